/**
 * The inpatient stay over the national interface (issue 15), in the platform's envelope:
 *
 *   POST /v1/national/2401  入院办理          → ledger.national.visits.register (kind inpatient)
 *   POST /v1/national/2402  出院办理          → visits.change (endtime: the discharge)
 *   POST /v1/national/2403  住院信息变更      → visits.change (med_type, diagnoses, a discharge's time)
 *   POST /v1/national/2404  入院撤销          → visits.cancel
 *   POST /v1/national/2405  出院撤销          → visits.change (endtime null)
 *   POST /v1/national/2301  住院费用明细上传  → ledger.national.feeDetails.upload, priced by the catalogue
 *   POST /v1/national/2302  住院费用明细撤销  → feeDetails.cancel
 *
 * Messages: src/national/stay-input.ts. Each is a write, idempotent by msgid (request id
 * `INFNO:INSTITUTION:MSGID`) and audited by its book; a refusal lists every problem with its
 * national field and writes nothing. An institution key acts at its own fixmedins_code only, and
 * so on its own stays (a stay is looked up at the message's institution). docs/national.md, "The
 * inpatient stay".
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { detailAmountProblem, priceDetail } from '../../catalogue/price.js';
import { LedgerError } from '../../ledger/ledger.js';
import type { DetailToStore } from '../../ledger/national-fee-details.js';
import type { NationalVisitRow } from '../../ledger/national-visits.js';
import { nationalTime } from '../../national/setlinfo.js';
import { NationalCodeError, schemeOf } from '../../national/codes.js';
import { uploadResultRow } from '../../national/detail-input.js';
import { STAY_EXAMPLES } from '../../national/stay-examples.js';
import {
  type Admission,
  type Amendment,
  type DetailCancel,
  type DetailUpload,
  type Diagnosis,
  type Discharge,
  parseStayMessage,
  STAY_INTERFACE_NAMES,
  STAY_INTERFACES,
  type StayInterface,
  type StayRef,
  stayBodySchema,
} from '../../national/stay-input.js';
import { RequestError } from '../../request/settle-request.js';
import { parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { checkInstitution, nationalEnvelope, refusalEnvelopeSchema } from '../national-envelope.js';
import { envelopeSchema } from '../responses.js';

const SUMMARIES: Record<StayInterface, string> = {
  '2401': 'registers a stay: output.result { mdtrt_id (the centre’s 就诊ID), psn_no, ipt_otp_no }; the person must be known to the ledger',
  '2402': 'discharges a stay (endtime, not before admission); output null',
  '2403': 'changes a stay: med_type, diagnoses by 诊断排序号, the discharge time of a discharged stay; output null',
  '2404': 'cancels a stay with no live fee details and no live settlement; output null',
  '2405': 'undoes a discharge; refused while the stay is settled (2305 first); output null',
  '2301': 'uploads 1–1000 fee details of a stay, each priced by the catalogue: output.result one row per detail (表92)',
  '2302': 'cancels fee details of a stay by feedetl_sn ("0000": all); output null',
};

/** The body limit of 2301 and 2302 (up to 1000 rows each), as 2204's. */
const STAY_BODY_LIMIT = 4 * 1024 * 1024;

/** Fields of 2401's mdtrtinfo not kept with the stay: credentials and the certificate number (人员身份信息 keeps those). */
const NOT_KEPT = ['mdtrt_cert_no', 'card_sn', 'certno'] as const;

/** The request ids a visit's changes applied (the visit book keeps them in info.requests). */
const applied = (v: NationalVisitRow, requestId: string): boolean => {
  const requests = (JSON.parse(v.info) as { requests?: unknown }).requests;
  return Array.isArray(requests) && requests.includes(requestId);
};

/** A book's refusal names `data.x` and `input.feedetail`; the message's node is `node`. */
const renamed = (e: unknown, node: string): unknown =>
  e instanceof LedgerError ? new LedgerError(e.code, e.message.replace(/^data\./, `${node}.`).replace(/^input\.feedetail/, 'feedetail')) : e;

async function booked<T>(node: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    throw renamed(e, node);
  }
}

/** Diagnoses after a 2403: a row replaces the one of its 诊断类别 and 诊断排序号, else is added. */
function mergeDiagnoses(current: readonly Diagnosis[], changes: readonly Diagnosis[]): Diagnosis[] {
  const key = (d: Diagnosis) => `${d.diag_type}:${Number(d.diag_srt_no)}`;
  const out = new Map(current.map((d) => [key(d), d]));
  for (const d of changes) out.set(key(d), d);
  return [...out.values()].sort((a, b) => (a.diag_type === b.diag_type ? Number(a.diag_srt_no) - Number(b.diag_srt_no) : a.diag_type < b.diag_type ? -1 : 1));
}

export const nationalInpatientRoutes: RoutePlugin = async (scope, { ctx }) => {
  const ok = nationalEnvelope(scope, ctx);
  const visits = ctx.ledger.national.visits;
  const details = ctx.ledger.national.feeDetails;

  for (const infno of STAY_INTERFACES) {
    scope.post(
      `/${infno}`,
      {
        config: { roles: PERSONAL },
        // 1000 details of a 2301 are some 500 KB: above the service's default body limit.
        ...(infno === '2301' || infno === '2302' ? { bodyLimit: STAY_BODY_LIMIT } : {}),
        schema: {
          summary: `${STAY_INTERFACE_NAMES[infno]} (${infno}): ${SUMMARIES[infno]}; idempotent by msgid`,
          tags: ['national'],
          body: parsedBody(stayBodySchema(infno, ctx.national.codes), [STAY_EXAMPLES[infno]]),
          response: { 200: envelopeSchema, 201: envelopeSchema, '4xx': refusalEnvelopeSchema },
        },
        preHandler: async (req) => checkInstitution(req.actor, parseStayMessage(infno, req.body, ctx.national.codes).fixmedinsCode),
      },
      async (req, reply) => handle(parseStayMessage(infno, req.body, ctx.national.codes), req, reply),
    );
  }

  function handle(m: ReturnType<typeof parseStayMessage>, req: FastifyRequest, reply: FastifyReply) {
    switch (m.infno) {
      case '2401':
        return admit(m, req, reply);
      case '2402':
        return discharge(m, req, reply);
      case '2403':
        return amend(m, req, reply);
      case '2404':
      case '2405':
        return m.infno === '2404' ? cancelStay(m, req, reply) : undoDischarge(m, req, reply);
      case '2301':
        return upload(m, req, reply);
      case '2302':
        return cancelDetails(m, req, reply);
    }
  }

  /** The stay of the message at its institution, else NOT_FOUND; an outpatient visit is not a stay. */
  async function stayOf(m: { fixmedinsCode: string; mdtrtId: string; psnNo: string }, node: string): Promise<NationalVisitRow> {
    const v = await visits.get(m.fixmedinsCode, m.mdtrtId);
    if (!v) throw new LedgerError('NOT_FOUND', `${node}.mdtrt_id: 就诊ID ${m.mdtrtId} 不存在（no stay ${m.mdtrtId} at ${m.fixmedinsCode}）`);
    const problems: string[] = [];
    if (v.kind !== 'inpatient') problems.push(`${node}.mdtrt_id: 就诊ID ${m.mdtrtId} 是门诊就诊，不是住院（an outpatient visit: use 2201–2205）`);
    if (v.psn_no !== m.psnNo) problems.push(`${node}.psn_no: 就诊ID ${m.mdtrtId} 属于人员 ${v.psn_no}，不是 ${m.psnNo}（the stay is person ${v.psn_no}'s）`);
    if (problems.length > 0) throw new RequestError(problems);
    return v;
  }

  async function admit(m: Admission, req: FastifyRequest, reply: FastifyReply) {
    const d = m.mdtrtinfo;
    const registered = await ctx.ledger.registered(m.psnNo, m.fixmedinsCode);
    if (!registered.person) {
      throw new LedgerError(
        'PERSON_NOT_REGISTERED',
        `mdtrtinfo.psn_no: 人员 ${m.psnNo} 不在账本中（person ${m.psnNo} is neither in the person registry nor settled before: register them with PUT /v1/persons/{id} first）`,
      );
    }
    const problems: string[] = [];
    try {
      const scheme = schemeOf(d.insutype, 'mdtrtinfo.insutype', ctx.national.codes);
      if (scheme !== registered.person.scheme) {
        problems.push(`mdtrtinfo.insutype: ${d.insutype} 与人员 ${m.psnNo} 的险种不符（the person is in the ${registered.person.scheme} scheme）`);
      }
    } catch (e) {
      if (e instanceof NationalCodeError) problems.push(e.message);
      else throw e;
    }
    if (problems.length > 0) throw new RequestError(problems);
    // An admission a 2601 冲正 reversed before it arrived is refused (national-reversals.ts).
    await ctx.ledger.national.reversals.refuseIfReversed(m.fixmedinsCode, '2401', m.msgid);
    const kept: Record<string, unknown> = { ...d };
    for (const k of NOT_KEPT) delete kept[k];
    const { visit, created } = await booked('mdtrtinfo', () =>
      visits.register(
        {
          requestId: m.requestId,
          requestHash: m.hash,
          institutionId: m.fixmedinsCode,
          psnNo: m.psnNo,
          kind: 'inpatient',
          insutype: d.insutype,
          medType: d.med_type,
          begntime: m.begntime,
          iptOtpNo: d.ipt_no,
          info: { mdtrtinfo: kept, diseinfo: m.diseinfo },
        },
        req.actor,
      ),
    );
    // …and one whose 2601 came while it was being registered is cancelled, once, and refused.
    await ctx.ledger.national.reversals.afterAdmit(m.fixmedinsCode, m.msgid, visit.mdtrt_id, visit.psn_no, req.actor);
    const result = { mdtrt_id: visit.mdtrt_id, psn_no: visit.psn_no, ipt_otp_no: visit.ipt_otp_no };
    return ok(req, reply, created ? 201 : 200, { result }, { requestId: m.requestId, replayed: !created });
  }

  async function discharge(m: Discharge, req: FastifyRequest, reply: FastifyReply) {
    const stay = await stayOf(m, 'dscginfo');
    if (!applied(stay, m.requestId)) {
      const d = m.dscginfo;
      const problems: string[] = [];
      if (d.insutype !== stay.insutype) problems.push(`dscginfo.insutype: ${d.insutype} 不是入院时的险种 ${stay.insutype}（the stay was admitted under ${stay.insutype}）`);
      if (m.endtime < Number(stay.begntime)) problems.push(`dscginfo.endtime: ${d.endtime} 早于入院时间 ${nationalTime(Number(stay.begntime))}（discharge before admission）`);
      if (stay.endtime !== null && Number(stay.endtime) !== m.endtime) {
        problems.push(`dscginfo.endtime: 已于 ${nationalTime(Number(stay.endtime))} 出院（the stay is discharged already; undo it with 2405 first）`);
      }
      if (problems.length > 0) throw new RequestError(problems);
    }
    const v = await booked('dscginfo', () =>
      visits.change(
        {
          requestId: m.requestId,
          institutionId: m.fixmedinsCode,
          mdtrtId: m.mdtrtId,
          psnNo: m.psnNo,
          action: 'discharge',
          endtime: m.endtime,
          infoKey: 'discharge',
          infoValue: { dscginfo: m.dscginfo, diseinfo: m.diseinfo },
        },
        req.actor,
      ),
    );
    return ok(req, reply, 200, null, { requestId: m.requestId, mdtrtId: v.mdtrt_id, endtime: v.endtime === null ? null : nationalTime(Number(v.endtime)) });
  }

  async function amend(m: Amendment, req: FastifyRequest, reply: FastifyReply) {
    const stay = await stayOf(m, 'adminfo');
    const a = m.adminfo;
    const info = JSON.parse(stay.info) as { registration?: { diseinfo?: Diagnosis[] }; amend?: { diseinfo?: Diagnosis[] } };
    if (!applied(stay, m.requestId)) {
      // The visit book keeps begntime and ipt_otp_no as admitted: a change of them is refused, not dropped.
      const problems: string[] = [];
      if (m.begntime !== Number(stay.begntime))
        problems.push(`adminfo.begntime: ${a.begntime} 不是入院时间 ${nationalTime(Number(stay.begntime))}（the admission time cannot be changed: 2404 and admit again）`);
      if (a.ipt_otp_no !== stay.ipt_otp_no) problems.push(`adminfo.ipt_otp_no: ${a.ipt_otp_no} 不是住院号 ${stay.ipt_otp_no}（the hospital's number cannot be changed）`);
      if (m.endtime !== undefined && stay.endtime === null) problems.push(`adminfo.endtime: 尚未出院（the stay is not discharged: discharge it with 2402）`);
      if (problems.length > 0) throw new RequestError(problems);
    }
    const current = info.amend?.diseinfo ?? info.registration?.diseinfo ?? [];
    const v = await booked('adminfo', () =>
      visits.change(
        {
          requestId: m.requestId,
          institutionId: m.fixmedinsCode,
          mdtrtId: m.mdtrtId,
          psnNo: m.psnNo,
          action: 'amend',
          medType: a.med_type,
          ...(m.endtime !== undefined ? { endtime: m.endtime } : {}),
          infoKey: 'amend',
          infoValue: { adminfo: a, diseinfo: mergeDiagnoses(current, m.diseinfo) },
        },
        req.actor,
      ),
    );
    return ok(req, reply, 200, null, { requestId: m.requestId, mdtrtId: v.mdtrt_id, medType: v.med_type });
  }

  async function cancelStay(m: StayRef, req: FastifyRequest, reply: FastifyReply) {
    await stayOf(m, 'data');
    const v = await booked('data', () =>
      visits.cancel({ requestId: m.requestId, institutionId: m.fixmedinsCode, mdtrtId: m.mdtrtId, psnNo: m.psnNo, reason: '2404 入院撤销', onlyIfEmpty: true }, req.actor),
    );
    return ok(req, reply, 200, null, { requestId: m.requestId, mdtrtId: v.mdtrt_id, status: v.status });
  }

  async function undoDischarge(m: StayRef, req: FastifyRequest, reply: FastifyReply) {
    const stay = await stayOf(m, 'data');
    if (!applied(stay, m.requestId) && stay.status === 'open' && stay.endtime === null) {
      throw new LedgerError('NOT_REVERSIBLE', `data.mdtrt_id: 就诊ID ${m.mdtrtId} 未出院（the stay is not discharged）`);
    }
    const v = await booked('data', () =>
      visits.change(
        {
          requestId: m.requestId,
          institutionId: m.fixmedinsCode,
          mdtrtId: m.mdtrtId,
          psnNo: m.psnNo,
          action: 'undo-discharge',
          endtime: null,
          infoKey: 'discharge',
          infoValue: { undone: m.requestId },
        },
        req.actor,
      ),
    );
    return ok(req, reply, 200, null, { requestId: m.requestId, mdtrtId: v.mdtrt_id, endtime: null });
  }

  async function upload(m: DetailUpload, req: FastifyRequest, reply: FastifyReply) {
    await stayOf(m, 'feedetail[0]');
    const problems: string[] = [];
    const toStore: DetailToStore[] = [];
    m.feedetail.forEach((d, i) => {
      const amount = d.det_item_fee_sumamt;
      const wrong = detailAmountProblem(d.cnt, d.pric, amount);
      if (wrong !== null) {
        problems.push(`feedetail[${i}].det_item_fee_sumamt: ${wrong}`);
        return;
      }
      const priced = priceDetail(
        ctx.national.catalogue,
        { code: d.med_list_codg, count: d.cnt, price: d.pric, amount, day: d.fee_ocur_time.slice(0, 10) },
        { hospitalSelfPay: d.hosp_appr_flag === '2' },
      );
      toStore.push({
        feedetlSn: d.feedetl_sn,
        chrgBchno: null,
        feeOcurTime: Date.parse(`${d.fee_ocur_time.replace(' ', 'T')}+08:00`),
        medListCodg: d.med_list_codg,
        medinsListCodg: d.medins_list_codg,
        cnt: d.cnt,
        pric: d.pric,
        amount,
        priced,
        body: (req.body as { input: { feedetail: Record<string, unknown>[] } }).input.feedetail[i] as Record<string, unknown>,
      });
    });
    if (problems.length > 0) throw new RequestError(problems);
    const u = { requestId: m.requestId, institutionId: m.fixmedinsCode, mdtrtId: m.mdtrtId, psnNo: m.psnNo, details: toStore };
    const { rows, replayed } = await booked('feedetail', () => details.upload(u, req.actor));
    return ok(
      req,
      reply,
      replayed ? 200 : 201,
      { result: rows.map(uploadResultRow) },
      {
        requestId: m.requestId,
        replayed,
        catalogue: ctx.national.catalogue ? { name: ctx.national.catalogue.name, sample: ctx.national.catalogue.sample } : null,
      },
    );
  }

  async function cancelDetails(m: DetailCancel, req: FastifyRequest, reply: FastifyReply) {
    await stayOf(m, 'data[0]');
    const cancel = (feedetlSn: string | null, requestId: string) =>
      details.cancel({ requestId, institutionId: m.fixmedinsCode, mdtrtId: m.mdtrtId, psnNo: m.psnNo, feedetlSn }, req.actor);
    if (m.feedetlSns === null) {
      const { cancelled, replayed } = await booked('data[0]', () => cancel(null, m.requestId));
      return ok(req, reply, 200, null, { requestId: m.requestId, replayed, cancelled: cancelled.map((r) => r.feedetl_sn) });
    }
    // Several rows: each serial number its own cancel (request id `…:MSGID:SN`), all checked first,
    // so that either every row is cancelled (or was, by this message) or none is.
    const sns = m.feedetlSns;
    const rid = (sn: string) => `${m.requestId}:${sn}`;
    const live = new Set((await details.liveAt(m.fixmedinsCode, m.mdtrtId, Date.now())).map((r) => r.feedetl_sn));
    const problems: string[] = [];
    for (const [i, sn] of sns.entries()) {
      if (live.has(sn)) continue;
      // Not live: cancelled by this message before (answered as it was, nothing written), else refused.
      try {
        await cancel(sn, rid(sn));
      } catch (e) {
        if (e instanceof LedgerError && e.code === 'NOT_FOUND') problems.push(`data[${i}].feedetl_sn: ${e.message.replace(/^data\.feedetl_sn: /, '')}`);
        else throw renamed(e, 'data[0]');
      }
    }
    if (problems.length > 0) throw new LedgerError('NOT_FOUND', problems.join('; '));
    const cancelled: string[] = [];
    let replayed = true;
    for (const sn of sns) {
      const r = await booked('data', () => cancel(sn, rid(sn)));
      replayed &&= r.replayed;
      cancelled.push(...r.cancelled.map((x) => x.feedetl_sn));
    }
    return ok(req, reply, 200, null, { requestId: m.requestId, replayed, cancelled });
  }
};
