/**
 * The national platform's interface format (《医疗保障信息平台 定点医药机构接口规范》) over the same
 * settle, pre-settle and reverse paths as /v1/settlements:
 *
 *   POST /v1/national/2206  门诊预结算    → ledger.preSettle
 *   POST /v1/national/2207  门诊结算      → ledger.settle (idempotent by msgid)
 *   POST /v1/national/2208  门诊结算撤销  → ledger.reverse
 *   POST /v1/national/2303  住院预结算    → ledger.preSettle
 *   POST /v1/national/2304  住院结算      → ledger.settle
 *   POST /v1/national/2305  住院结算撤销  → ledger.reverse
 *
 * Requests are the platform's messages (src/national/input.ts); answers its envelope: `infcode`
 * 0 with `output: { setlinfo, setldetail }` (src/national/setlinfo.ts), or -1 with `err_msg`. A
 * refusal keeps the service's HTTP status and its `error: { code, message, problems }` beside the
 * envelope's fields. Authentication, roles and the institution rule are those of /v1/settlements.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LedgerError, type Entry } from '../../ledger/ledger.js';
import type { Category, Scheme, VisitType } from '../../domain.js';
import { RequestError } from '../../request/settle-request.js';
import {
  INTERFACE_NAMES,
  parseNationalReverse,
  parseNationalSettle,
  REVERSE_INTERFACES,
  reverseBodySchema,
  SETTLE_INTERFACES,
  settleBodySchema,
  toSettleOne,
  type ReverseInterface,
  type SettleInterface,
} from '../../national/input.js';
import { detailSums } from '../../national/detail-input.js';
import type { NationalVisitRow } from '../../ledger/national-visits.js';
import { formatYuan } from '../../money/money.js';
import { detailSplitOf } from './national-split.js';
import { personOf, settleAgreement, type DetailSplit, type SettleBody } from '../../national/settle-details.js';
import { figuresOfEntry, nationalSettlement } from '../../national/setlinfo.js';
import { parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { checkInstitution, nationalEnvelope, refusalEnvelopeSchema } from '../national-envelope.js';
import { EXAMPLES } from '../examples.js';
import { envelopeSchema } from '../responses.js';

export const nationalRoutes: RoutePlugin = async (scope, { ctx }) => {
  {
    const ok = nationalEnvelope(scope, ctx);

    for (const infno of SETTLE_INTERFACES) {
      const commits = infno === '2207' || infno === '2304';
      scope.post(
        `/${infno}`,
        {
          config: { roles: PERSONAL },
          schema: {
            summary: `${INTERFACE_NAMES[infno]} (${infno})${commits ? ': settles and commits; idempotent by msgid' : ': what would be settled now; writes nothing'}`,
            tags: ['national'],
            body: parsedBody(settleBodySchema(infno), [EXAMPLES.national(infno)]),
            response: { 200: envelopeSchema, ...(commits ? { 201: envelopeSchema } : {}), '4xx': refusalEnvelopeSchema },
          },
          preHandler: async (req) => checkInstitution(req.actor, parseNationalSettle(infno, req.body).fixmedins_code),
        },
        async (req, reply) => settle(infno, req, reply),
      );
    }
    for (const infno of REVERSE_INTERFACES) {
      scope.post(
        `/${infno}`,
        {
          config: { roles: PERSONAL },
          schema: {
            summary: `${INTERFACE_NAMES[infno]} (${infno}): reverses a settlement (冲正); idempotent by msgid`,
            tags: ['national'],
            body: parsedBody(reverseBodySchema, [EXAMPLES.nationalReverse(infno)]),
            response: { 200: envelopeSchema, 201: envelopeSchema, '4xx': refusalEnvelopeSchema },
          },
          preHandler: async (req) => checkInstitution(req.actor, parseNationalReverse(infno, req.body).fixmedinsCode),
        },
        async (req, reply) => reverse(infno, req, reply),
      );
    }

    async function settle(infno: SettleInterface, req: FastifyRequest, reply: FastifyReply) {
      const actor = req.actor;
      const parsed = parseNationalSettle(infno, req.body);
      // A pre-settlement shows the person's accumulators as they stand: a read of personal data.
      if (infno === '2206' || infno === '2303') ctx.reads(req, `read.national-${infno}`, parsed.input.data.psn_no, { mdtrtId: parsed.input.data.mdtrt_id });
      // A visit the centre registered (2201/2401) with live fee details (2204/2301) is settled from them.
      const { body, split, details, visit: registered } = await fromDetails(parsed);
      const commits = infno === '2207' || infno === '2304';
      const known = await ctx.ledger.registered(body.input.data.psn_no, body.fixmedins_code);
      const n = toSettleOne(infno, body, known, ctx.policies, ctx.national.codes);
      let entry: Record<string, unknown>;
      let created = false;
      const original = (infno === '2207' || infno === '2304') && n.msgid !== undefined ? n.msgid : undefined;
      // A message a 2601 冲正 reversed before it arrived is refused (national-reversals.ts).
      if (original !== undefined) await ctx.ledger.national.reversals.refuseIfReversed(body.fixmedins_code, infno, original);
      try {
        if (infno === '2207' || infno === '2304') ({ entry, created } = await ctx.ledger.settle(n.one, actor));
        else entry = await ctx.ledger.preSettle(n.one, actor);
      } catch (e) {
        // The ledger names the project's fields (one or more `field: …` parts); the caller sent national ones.
        if (e instanceof LedgerError) throw new LedgerError(e.code, e.message.split('; ').map(n.rename).join('; '));
        throw e;
      }
      const id = typeof entry.id === 'string' ? entry.id : null;
      // …and one whose 2601 came while it was being settled is reversed, once, and refused.
      if (original !== undefined && id !== null) await ctx.ledger.national.reversals.afterSettle(body.fixmedins_code, infno, original, id, actor);
      // …and one whose visit's details changed while it was being settled is reversed and refused.
      if (id !== null && registered !== undefined && commits)
        await recheckDetails(body, id, Date.parse(String(entry.createdAt)), { total: n.one.visit.total, eligible: n.one.visit.eligible }, actor);
      // setlinfo's person fields: the identity the agency keeps (a read of personal data).
      const identity = await ctx.ledger.national.identities.get(n.one.person.id);
      if (identity && (infno === '2207' || infno === '2304')) ctx.reads(req, `read.national-${infno}-identity`, n.one.person.id, { mdtrtId: n.one.visit.id });
      const output = nationalSettlement(figuresOfEntry(entry), {
        setlId: id,
        mdtrtId: n.one.visit.id,
        psnNo: n.one.person.id,
        scheme: n.scheme,
        category: n.category,
        visitType: n.visitType,
        setlTime: typeof entry.createdAt === 'string' ? Date.parse(entry.createdAt) : Date.now(),
        medType: n.medType,
        ...(n.psnType !== undefined ? { psnType: n.psnType } : {}),
        ...(n.msgid !== undefined ? { medinsSetlId: n.msgid } : {}),
        codes: ctx.national.codes,
        ...(split ? { split } : {}),
        ...(identity ? { person: personOf(identity) } : {}),
      });
      const yibao = id === null ? { preSettlement: true } : { entryId: id, requestId: n.one.requestId, replayed: !created };
      return ok(req, reply, created ? 201 : 200, output, { ...yibao, ...(details > 0 ? { feeDetails: details } : {}) });
    }

    /**
     * The message with the visit's live fee details in it: when the visit is one the centre
     * registered (2201/2401) and has live details, medfee_sumamt must be their sum, and
     * inscp_scp_amt, fulamt_ownpay_amt, overlmt_selfpay and preselfpay_amt, when sent, theirs (every
     * disagreement listed); the split is then the details'. A registered visit must be the
     * person's and not cancelled, and an outpatient one's med_type the message's.
     */
    async function fromDetails(body: SettleBody): Promise<{ body: SettleBody; split?: DetailSplit; details: number; visit?: NationalVisitRow }> {
      const d = body.input.data;
      const visit = await ctx.ledger.national.visits.get(body.fixmedins_code, d.mdtrt_id);
      if (!visit) return { body, details: 0 };
      if (visit.psn_no !== d.psn_no)
        throw new LedgerError('PERSON_MISMATCH', `data.psn_no: 就诊ID ${d.mdtrt_id} 属于人员 ${visit.psn_no}，不是 ${d.psn_no}（the visit is of person ${visit.psn_no}）`);
      if (visit.status !== 'open') throw new LedgerError('VISIT_CANCELLED', `data.mdtrt_id: 就诊ID ${d.mdtrt_id} 已撤销（visit ${d.mdtrt_id} was cancelled）`);
      // 每次就诊只能选择一个医疗类别: the visit's is the one 2201/2203 or 2401/2403 gave it; a stay's
      // settle (2303/2304 carry no med_type) takes it from the stay.
      const problems: string[] = [];
      if (d.med_type !== undefined && d.med_type !== visit.med_type) {
        problems.push(
          `data.med_type: ${d.med_type} 与就诊信息不符：visit ${d.mdtrt_id} is of 医疗类别 ${visit.med_type} (${visit.kind === 'inpatient' ? '2401/2403' : '2201/2203'})`,
        );
      }
      const rows = await ctx.ledger.national.feeDetails.liveAt(body.fixmedins_code, d.mdtrt_id, ctx.ledger.national.feeDetails.deps.now());
      const sums = detailSums(rows);
      if (rows.length > 0) problems.push(...settleAgreement(d, sums));
      if (problems.length > 0) throw new RequestError(problems);
      const withType = { ...d, med_type: visit.med_type };
      if (rows.length === 0) return { body: { ...body, input: { data: withType } }, details: 0, visit };
      const data = { ...withType, inscp_scp_amt: sums.eligible, fulamt_ownpay_amt: sums.fullOwnPay, overlmt_selfpay: sums.overLimit, preselfpay_amt: sums.preSelfPay };
      return { body: { ...body, input: { data } }, split: { fullOwnPay: sums.fullOwnPay, overLimit: sums.overLimit, preSelfPay: sums.preSelfPay }, details: rows.length, visit };
    }

    /**
     * A settlement's details are those live at its time (FeeDetailBook.liveAt). A 2204/2301 (or
     * 2205/2302) that committed between the settle's read of the details and its commit changes
     * them: the settlement then no longer matches its details, so it is reversed (once, request id
     * `nat-details-{id}`) and the message refused with DETAILS_CHANGED — a retry of the same
     * message finds the same mismatch and the same answer; a new message settles the details as
     * they are.
     */
    async function recheckDetails(body: SettleBody, id: string, at: number, used: { total: number; eligible: number }, actor: FastifyRequest['actor']) {
      const rows = await ctx.ledger.national.feeDetails.liveAt(body.fixmedins_code, body.input.data.mdtrt_id, at);
      if (rows.length === 0) return;
      const sums = detailSums(rows);
      if (sums.total === used.total && sums.eligible === used.eligible) return;
      let reversal = '';
      try {
        reversal = (await ctx.ledger.reverse(id, `nat-details-${id}`, actor)).entry.id;
      } catch (e) {
        if (!(e instanceof LedgerError && e.code === 'ALREADY_REVERSED')) throw e;
      }
      throw new LedgerError(
        'DETAILS_CHANGED',
        `data.mdtrt_id: 结算期间就诊 ${body.input.data.mdtrt_id} 的费用明细发生变化（医疗费总额 ${formatYuan(used.total)} 元，明细合计 ${formatYuan(sums.total)} 元），结算 ${id} 已撤销${reversal ? `（${reversal}）` : ''}，请按现有明细重新结算（the visit's fee details changed while it was being settled; the settlement was reversed: settle again）`,
      );
    }

    async function reverse(infno: ReverseInterface, req: FastifyRequest, reply: FastifyReply) {
      const actor = req.actor;
      const r = parseNationalReverse(infno, req.body);
      const parties = await ctx.ledger.entryParties(r.setlId);
      // As the ledger: another institution's settlement does not exist for an institution key.
      if (!parties || (actor.role === 'institution' && parties.institutionId !== actor.institutionId)) {
        throw new LedgerError('NOT_FOUND', `data.setl_id: settlement ${r.setlId} does not exist`);
      }
      const problems: string[] = [];
      if (parties.visitId !== r.mdtrtId) problems.push(`data.mdtrt_id: settlement ${r.setlId} is of visit ${parties.visitId}, not ${r.mdtrtId}`);
      if (parties.personId !== r.psnNo) problems.push(`data.psn_no: settlement ${r.setlId} is of person ${parties.personId}, not ${r.psnNo}`);
      if (parties.institutionId !== r.fixmedinsCode) problems.push(`fixmedins_code: settlement ${r.setlId} was settled at ${parties.institutionId}, not ${r.fixmedinsCode}`);
      const stay = ['inpatient', 'birth-natural', 'birth-cesarean'].includes(parties.visitType);
      if (stay !== (infno === '2305')) {
        problems.push(`data.setl_id: settlement ${r.setlId} is ${stay ? 'an inpatient' : 'an outpatient'} settlement; reverse it with ${stay ? '2305' : '2208'}, not ${infno}`);
      }
      if (problems.length > 0) throw new RequestError(problems);
      let result: { entry: Entry; created: boolean };
      try {
        result = await ctx.ledger.reverse(r.setlId, r.requestId, actor);
      } catch (e) {
        if (e instanceof LedgerError) throw new LedgerError(e.code, e.message.replace(/^requestId:/, r.msgid !== undefined ? 'msgid:' : 'yibao.requestId:'));
        throw e;
      }
      const { entry, created } = result;
      // Settled from fee details, the reversal negates the details' split (全自费, 超限价, 先行自付).
      const split = await detailSplitOf(ctx, entry, parties.institutionId, parties.visitId, actor);
      const output = nationalSettlement(figuresOfEntry(entry), {
        setlId: entry.id,
        mdtrtId: parties.visitId,
        psnNo: parties.personId,
        scheme: parties.scheme as Scheme,
        category: parties.category as Category,
        visitType: parties.visitType as VisitType,
        setlTime: typeof entry.createdAt === 'string' ? Date.parse(entry.createdAt) : Date.now(),
        ...(r.msgid !== undefined ? { medinsSetlId: r.msgid } : {}),
        ...(split ? { split } : {}),
        codes: ctx.national.codes,
      });
      return ok(req, reply, created ? 201 : 200, output, { entryId: entry.id, reverses: r.setlId, requestId: r.requestId, replayed: !created });
    }
  }
};
