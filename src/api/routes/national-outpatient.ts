/**
 * The outpatient day over the national interface (issue 15), in the platform's envelope:
 *
 *   POST /v1/national/2201  门诊挂号              → ledger.national.visits.register (mdtrt_id made here)
 *   POST /v1/national/2202  门诊挂号撤销          → visits.cancel (refused while settled)
 *   POST /v1/national/2203  门诊就诊信息上传      → visits.change (med_type, diagnoses)
 *   POST /v1/national/2204  门诊费用明细信息上传  → each detail priced by the catalogue, feeDetails.upload
 *   POST /v1/national/2205  门诊费用明细信息撤销  → feeDetails.cancel (chrg_bchno "0000" = all)
 *   POST /v1/national/5203  结算信息查询          → the settlement's setlinfo and setldetail (a read)
 *   POST /v1/national/5204  费用明细查询          → the settlement's fee details, as stored (a read)
 *
 * Writes are idempotent by msgid (request id `INFNO:INSTITUTION:MSGID`) and audited; an
 * institution key acts at its own institution only (403). Messages: src/national/visit-input.ts,
 * detail-input.ts, query-output.ts. docs/national.md, "The outpatient day".
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { itemOn } from '../../catalogue/load.js';
import type { Category, Scheme, VisitType } from '../../domain.js';
import { LedgerError } from '../../ledger/errors.js';
import { infoOf, type NationalVisitRow } from '../../ledger/national-visits.js';
import { medTypeOf } from '../../national/codes.js';
import { cancelDetailsSchema, detailSums, parseCancelDetails, parseUpload, uploadResultRow, uploadSchema } from '../../national/detail-input.js';
import { parseQuery, queryDetailRow, querySchema, querySetlinfo } from '../../national/query-output.js';
import { personOf } from '../../national/settle-details.js';
import { figuresOfEntry, nationalSettlement, nationalTime } from '../../national/setlinfo.js';
import {
  cancelVisitSchema,
  OUTPATIENT_NAMES,
  type OutpatientInterface,
  parseCancelVisit,
  parseRegister,
  parseVisitInfo,
  registerSchema,
  visitInfoSchema,
} from '../../national/visit-input.js';
import { RequestError } from '../../request/settle-request.js';
import { parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { OUTPATIENT_EXAMPLES } from '../examples-outpatient.js';
import { checkInstitution, nationalEnvelope, refusalEnvelopeSchema } from '../national-envelope.js';
import { detailSplitOf } from './national-split.js';
import { envelopeSchema } from '../responses.js';

/** Bodies of 2204 (up to 1000 details of about 1 KB). */
const UPLOAD_BODY_LIMIT = 4 * 1024 * 1024;

const SUMMARIES: Record<OutpatientInterface, string> = {
  '2201': 'registers an outpatient visit: output.data { mdtrt_id, psn_no, ipt_otp_no }; idempotent by msgid',
  '2202': 'cancels an outpatient visit (refused while it has a live settlement); idempotent',
  '2203': 'the visit’s information and diagnoses (mdtrtinfo, diseinfo); sets med_type; idempotent by msgid',
  '2204': 'uploads fee details (1–1000), each priced by the catalogue: output.result is 表80; all or nothing; idempotent by msgid',
  '2205': 'cancels the visit’s live fee details of a charge batch (chrg_bchno, "0000" = all); refused while settled; idempotent by msgid',
  '5203': 'a settlement’s setlinfo (表269) and setldetail (表270); audited read of personal data',
  '5204': 'a settlement’s fee details (表272), as uploaded and priced; audited read of personal data',
};

const SCHEMAS = {
  '2201': registerSchema,
  '2202': cancelVisitSchema,
  '2203': visitInfoSchema,
  '2204': uploadSchema,
  '2205': cancelDetailsSchema,
  '5203': querySchema,
  '5204': querySchema,
} as const;

export const nationalOutpatientRoutes: RoutePlugin = async (scope, { ctx }) => {
  const ok = nationalEnvelope(scope, ctx);
  const visits = ctx.ledger.national.visits;
  const details = ctx.ledger.national.feeDetails;

  for (const infno of Object.keys(OUTPATIENT_NAMES) as OutpatientInterface[]) {
    const writes = !infno.startsWith('52');
    scope.post(
      `/${infno}`,
      {
        config: { roles: PERSONAL },
        ...(infno === '2204' ? { bodyLimit: UPLOAD_BODY_LIMIT } : {}),
        schema: {
          summary: `${OUTPATIENT_NAMES[infno]} (${infno}): ${SUMMARIES[infno]}`,
          tags: ['national'],
          body: parsedBody(SCHEMAS[infno], [OUTPATIENT_EXAMPLES[infno]]),
          response: { 200: envelopeSchema, ...(writes ? { 201: envelopeSchema } : {}), '4xx': refusalEnvelopeSchema },
        },
      },
      async (req, reply) => HANDLERS[infno](req, reply),
    );
  }

  const HANDLERS: Record<OutpatientInterface, (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>> = {
    async '2201'(req, reply) {
      const m = parseRegister(req.body, ctx.national.codes);
      checkInstitution(req.actor, m.envelope.fixmedinsCode);
      // The person must be known: in the registry (or settled before), or with an identity the agency keeps.
      const known = (await ctx.ledger.registered(m.psnNo, m.envelope.fixmedinsCode)).person ?? (await ctx.ledger.national.identities.get(m.psnNo));
      if (!known) {
        throw new LedgerError(
          'PERSON_NOT_REGISTERED',
          `data.psn_no: 人员 ${m.psnNo} 不在医保登记中，不能挂号（person ${m.psnNo} is unknown to the ledger: register the person (PUT /v1/persons/{id}) or settle them once first）`,
        );
      }
      const { visit, created } = await visits.register(
        {
          requestId: m.envelope.requestId,
          requestHash: m.envelope.requestHash,
          institutionId: m.envelope.fixmedinsCode,
          psnNo: m.psnNo,
          kind: 'outpatient',
          insutype: m.insutype,
          // 普通门诊 (the edition's outpatient med_type) until 2203 says otherwise.
          medType: medTypeOf('outpatient', ctx.national.codes).code,
          begntime: m.begntime,
          iptOtpNo: m.iptOtpNo,
          info: m.info,
        },
        req.actor,
      );
      const data = { mdtrt_id: visit.mdtrt_id, psn_no: visit.psn_no, ipt_otp_no: visit.ipt_otp_no, exp_content: null };
      return ok(req, reply, created ? 201 : 200, { data }, { requestId: m.envelope.requestId, replayed: !created });
    },

    async '2202'(req, reply) {
      const m = parseCancelVisit(req.body);
      checkInstitution(req.actor, m.envelope.fixmedinsCode);
      const v = await visits.get(m.envelope.fixmedinsCode, m.mdtrtId);
      if (v && v.ipt_otp_no !== m.iptOtpNo) throw new RequestError([`data.ipt_otp_no: 就诊ID ${m.mdtrtId} 的门诊号是 ${v.ipt_otp_no}，不是 ${m.iptOtpNo}`]);
      if (v && v.kind !== 'outpatient') throw new RequestError([`data.mdtrt_id: ${m.mdtrtId} is an inpatient visit (2401); cancel it with 2404`]);
      const before = v?.status;
      const visit = await visits.cancel(
        { requestId: m.envelope.requestId, institutionId: m.envelope.fixmedinsCode, mdtrtId: m.mdtrtId, psnNo: m.psnNo, reason: '门诊挂号撤销 (2202)' },
        req.actor,
      );
      return ok(req, reply, 200, null, { requestId: m.envelope.requestId, mdtrtId: visit.mdtrt_id, status: visit.status, replayed: before === 'cancelled' });
    },

    async '2203'(req, reply) {
      const m = parseVisitInfo(req.body, ctx.national.codes);
      checkInstitution(req.actor, m.envelope.fixmedinsCode);
      await outpatientVisit(m.envelope.fixmedinsCode, m.mdtrtId);
      const visit = await visits.change(
        {
          requestId: m.envelope.requestId,
          institutionId: m.envelope.fixmedinsCode,
          mdtrtId: m.mdtrtId,
          psnNo: m.psnNo,
          action: 'visit-info',
          medType: m.medType,
          infoKey: 'visit',
          infoValue: m.info,
        },
        req.actor,
      );
      return ok(req, reply, 200, null, { requestId: m.envelope.requestId, mdtrtId: visit.mdtrt_id, medType: visit.med_type });
    },

    async '2204'(req, reply) {
      const m = parseUpload(req.body, ctx.national.catalogue);
      checkInstitution(req.actor, m.envelope.fixmedinsCode);
      await outpatientVisit(m.envelope.fixmedinsCode, m.mdtrtId);
      const { rows, replayed } = await details.upload(
        { requestId: m.envelope.requestId, institutionId: m.envelope.fixmedinsCode, mdtrtId: m.mdtrtId, psnNo: m.psnNo, details: m.details },
        req.actor,
      );
      const sums = detailSums(rows);
      const yibao = { requestId: m.envelope.requestId, replayed, details: rows.length, sumamt: sums.total / 100, catalogue: ctx.national.catalogue?.name ?? null };
      return ok(req, reply, replayed ? 200 : 201, { result: rows.map(uploadResultRow) }, yibao);
    },

    async '2205'(req, reply) {
      const m = parseCancelDetails(req.body);
      checkInstitution(req.actor, m.envelope.fixmedinsCode);
      await outpatientVisit(m.envelope.fixmedinsCode, m.mdtrtId);
      const { cancelled, replayed } = await details.cancel(
        {
          requestId: m.envelope.requestId,
          institutionId: m.envelope.fixmedinsCode,
          mdtrtId: m.mdtrtId,
          psnNo: m.psnNo,
          feedetlSn: null,
          ...(m.chrgBchno !== null ? { chrgBchno: m.chrgBchno } : {}),
        },
        req.actor,
      );
      return ok(req, reply, 200, null, { requestId: m.envelope.requestId, replayed, cancelled: cancelled.map((r) => r.feedetl_sn) });
    },

    async '5203'(req, reply) {
      const q = parseQuery('5203', req.body);
      checkInstitution(req.actor, q.envelope.fixmedinsCode);
      const s = await settlementOf(req, q);
      ctx.reads(req, 'read.national-5203', q.psnNo, { setlId: q.setlId, mdtrtId: q.mdtrtId });
      const info = s.visit ? infoOf(s.visit) : {};
      const registration = (info.registration ?? {}) as Record<string, unknown>;
      const mdtrtinfo = ((info.visit ?? {}) as { mdtrtinfo?: Record<string, unknown> }).mdtrtinfo ?? {};
      const day = (ms: number) => nationalTime(ms).slice(0, 10);
      const setlinfo = querySetlinfo(s.output.setlinfo, {
        fixmedinsCode: s.institutionId,
        begndate: day(s.visit ? Number(s.visit.begntime) : s.createdAt),
        enddate: day(s.visit?.endtime != null ? Number(s.visit.endtime) : s.createdAt),
        refund: s.kind === 'reversal',
        mdtrtCertType: typeof registration.mdtrt_cert_type === 'string' ? registration.mdtrt_cert_type : null,
        diseCodg: typeof mdtrtinfo.dise_codg === 'string' ? mdtrtinfo.dise_codg : null,
        diseName: typeof mdtrtinfo.dise_name === 'string' ? mdtrtinfo.dise_name : null,
        opterId: null,
        optTime: s.createdAt,
      });
      return ok(req, reply, 200, { setlinfo, setldetail: s.output.setldetail }, { entryId: q.setlId, feeDetails: s.rows.length });
    },

    async '5204'(req, reply) {
      const q = parseQuery('5204', req.body);
      checkInstitution(req.actor, q.envelope.fixmedinsCode);
      const s = await settlementOf(req, q);
      ctx.reads(req, 'read.national-5204', q.psnNo, { setlId: q.setlId, mdtrtId: q.mdtrtId });
      const medType = s.output.setlinfo.med_type;
      const catalogue = ctx.national.catalogue;
      // 医保目录名称: the catalogue's item in force on the detail's day, when it is listed.
      const nameOf = (r: (typeof s.rows)[number]) =>
        catalogue && r.listed === 1 ? (itemOn(catalogue, r.med_list_codg, nationalTime(Number(r.fee_ocur_time)).slice(0, 10))?.name ?? null) : null;
      const rows = s.rows.map((r) => queryDetailRow(r, { setlId: q.setlId, medType, opterId: null, optTime: Number(r.uploaded_at), hilistName: nameOf(r) }));
      return ok(req, reply, 200, rows, { entryId: q.setlId, feeDetails: rows.length });
    },
  };

  /** The institution's open-or-not outpatient visit: NOT_FOUND when it has none of that id, 400 when it is an inpatient one. */
  async function outpatientVisit(institutionId: string, mdtrtId: string): Promise<void> {
    const v = await visits.get(institutionId, mdtrtId);
    if (v && v.kind !== 'outpatient') throw new RequestError([`mdtrt_id: ${mdtrtId} is an inpatient visit (2401); use 2301/2302 for its details`]);
  }

  /**
   * A settlement (or reversal) of the institution's, as 5203/5204 read it: its entry, national
   * setlinfo, visit (when the centre registered it) and the details live when it was made.
   * Another institution's is NOT_FOUND for an institution key; a setl_id of another visit or person is 400.
   */
  async function settlementOf(req: FastifyRequest, q: ReturnType<typeof parseQuery>) {
    const actor = req.actor;
    const parties = await ctx.ledger.entryParties(q.setlId);
    if (!parties || (actor.role === 'institution' && parties.institutionId !== actor.institutionId)) {
      throw new LedgerError('NOT_FOUND', `data.setl_id: 结算ID ${q.setlId} 不存在（settlement ${q.setlId} does not exist）`);
    }
    const problems: string[] = [];
    if (parties.visitId !== q.mdtrtId) problems.push(`data.mdtrt_id: settlement ${q.setlId} is of visit ${parties.visitId}, not ${q.mdtrtId}`);
    if (parties.personId !== q.psnNo) problems.push(`data.psn_no: settlement ${q.setlId} is of person ${parties.personId}, not ${q.psnNo}`);
    if (parties.institutionId !== q.envelope.fixmedinsCode)
      problems.push(`fixmedins_code: settlement ${q.setlId} was settled at ${parties.institutionId}, not ${q.envelope.fixmedinsCode}`);
    if (problems.length > 0) throw new RequestError(problems);
    const entry = await ctx.ledger.entry(q.setlId, actor);
    const createdAt = Date.parse(String(entry.createdAt));
    const visit: NationalVisitRow | undefined = await visits.get(parties.institutionId, parties.visitId);
    const rows = visit && entry.kind === 'settlement' ? await details.liveAt(parties.institutionId, parties.visitId, createdAt) : [];
    const figures = figuresOfEntry(entry);
    // The split is the details' when they make the settlement's total (they do for one settled from
    // them); a refund's is its settlement's, negated.
    const split = visit ? await detailSplitOf(ctx, entry, parties.institutionId, parties.visitId, actor) : undefined;
    const identity = await ctx.ledger.national.identities.get(parties.personId);
    const msgid = /^nat-(?:2207|2304)-(.+)$/.exec(entry.requestId)?.[1];
    const visitType = parties.visitType as VisitType;
    const output = nationalSettlement(figures, {
      setlId: entry.id,
      mdtrtId: parties.visitId,
      psnNo: parties.personId,
      scheme: parties.scheme as Scheme,
      category: parties.category as Category,
      visitType,
      setlTime: createdAt,
      medType: visit?.med_type ?? medTypeOf(visitType, ctx.national.codes).code,
      codes: ctx.national.codes,
      ...(msgid !== undefined ? { medinsSetlId: msgid } : {}),
      ...(split ? { split } : {}),
      ...(identity ? { person: personOf(identity) } : {}),
    });
    return { output, visit, rows, createdAt, kind: entry.kind, institutionId: parties.institutionId };
  }
};
