/**
 * The national interface: the hospital's session and the person (issue 15; the Hunan edition of
 * the national interface specification (V1.1.27)):
 *
 *   POST /v1/national/9001  签到                 → a sign_no for the institution and the key (idempotent by msgid)
 *   POST /v1/national/9002  签退                 → by the key that signed in
 *   POST /v1/national/1101  人员信息获取         → baseinfo, insuinfo, idetinfo (registry, identity, payments, account)
 *   POST /v1/national/2001  人员待遇享受检查     → trtinfo: the engine's eligibility (a pre-settle of nothing)
 *   POST /v1/national/5206  人员累计信息查询     → cuminfo: the ledger's accumulators
 *
 * Institution and agency keys (an institution key at its own fixmedins_code only); 1101, 2001 and
 * 5206 are audited reads of personal data. Field readings: docs/national.md.
 */
import { randomUUID } from 'node:crypto';
import { accountKindFor } from '../../account/settle.js';
import { yearOf, chinaDay } from '../../calendar/calendar.js';
import { SettlementError } from '../../engine/errors.js';
import type { TraceStep } from '../../engine/types.js';
import { LedgerError } from '../../ledger/ledger.js';
import type { PersonIdentity } from '../../ledger/national-identities.js';
import { openAccountBalance } from '../../ledger/national-person.js';
import { maskCertno, RESIDENT_ID } from '../../national/certno.js';
import { insutypeOf, schemeOf, visitTypeOf, visitTypesOf } from '../../national/codes.js';
import { renamer } from '../../national/input.js';
import { cuminfo, personInfo, trtinfo } from '../../national/person-info.js';
import {
  cumulativeBodySchema,
  dayAsked,
  MDTRT_CERT_TYPES,
  parseSession,
  personInfoBodySchema,
  SESSION_NAMES,
  signInBodySchema,
  signOutBodySchema,
  treatmentCheckBodySchema,
  type SessionInterface,
} from '../../national/session-input.js';
import { nationalTime } from '../../national/setlinfo.js';
import { parseSettleOne } from '../../request/settle-one.js';
import { RequestError } from '../../request/settle-request.js';
import { parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { checkInstitution, nationalEnvelope, refusalEnvelopeSchema } from '../national-envelope.js';
import { envelopeSchema } from '../responses.js';

const base = { infver: '1.0.0', inf_time: '2024-03-02 09:20:03', fixmedins_code: 'H1', msgid: 'H1202403020920030001' };
const EXAMPLES: Record<SessionInterface, unknown> = {
  '9001': { ...base, infno: '9001', input: { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } } },
  '9002': { ...base, infno: '9002', input: { signOut: { sign_no: 'SI0192A1B2C3D4E5F60718293A4B5C', opter_no: '0053' } } },
  '1101': { ...base, infno: '1101', input: { data: { mdtrt_cert_type: '02', mdtrt_cert_no: '11010519491231002X', psn_cert_type: '01', certno: '', psn_name: '' } } },
  '2001': { ...base, infno: '2001', input: { data: { psn_no: 'P-0100', insutype: '390', fixmedins_code: 'H1', med_type: '21', begntime: '2024-03-02 09:20:03' } } },
  '5206': { ...base, infno: '5206', input: { data: { psn_no: 'P-0100', cum_ym: '202403' } } },
};

/** 2001's settle request field by field: the national fields they came from. */
const RENAME = renamer({
  'visit.time': 'data.begntime',
  'visit.institution': 'yibao.institution',
  'visit.type': 'data.med_type',
  'person.id': 'data.psn_no',
  person: 'data.psn_no',
  visit: 'data',
});

/** The eligibility steps whose refusal 2001 reports, as the engine names them (engine/explain.ts). */
const REFUSING_STEPS = new Set(['eligibility', 'contracted', 'account-reform', 'in-hospital']);

/** Why the engine found nothing for the fund: the refusing step's text and its article. */
function reasonOf(trace: readonly TraceStep[] | undefined): string | null {
  const step = [...(trace ?? [])].reverse().find((s) => REFUSING_STEPS.has(s.step) && s.result !== 'covered');
  if (!step) return null;
  return step.source ? `${step.text}（${step.source}）` : step.text;
}

export const nationalSessionRoutes: RoutePlugin = async (scope, { ctx }) => {
  const ok = nationalEnvelope(scope, ctx);
  const route = (infno: SessionInterface, summary: string, schema: Parameters<typeof parsedBody>[0]) => ({
    config: { roles: PERSONAL },
    schema: {
      summary: `${SESSION_NAMES[infno]} (${infno}): ${summary}`,
      tags: ['national'],
      body: parsedBody(schema, [EXAMPLES[infno]]),
      response: { 200: envelopeSchema, 201: envelopeSchema, '4xx': refusalEnvelopeSchema },
    },
  });

  scope.post('/9001', route('9001', 'a sign_no for the institution and this key; idempotent by msgid', signInBodySchema), async (req, reply) => {
    const b = parseSession('9001', signInBodySchema, req.body);
    checkInstitution(req.actor, b.fixmedins_code);
    const s = b.input.signIn;
    const signIn = await ctx.ledger.national.signIns.signIn(
      { institutionId: b.fixmedins_code, opterNo: s.opter_no, mac: s.mac, ip: s.ip, ...(b.msgid !== undefined ? { msgid: b.msgid } : {}) },
      req.actor,
    );
    return ok(req, reply, signIn.created ? 201 : 200, { signinoutb: { sign_time: nationalTime(signIn.signedInAt), sign_no: signIn.signNo } }, { replayed: !signIn.created });
  });

  scope.post('/9002', route('9002', 'signs out a sign_no; only the key that signed in', signOutBodySchema), async (req, reply) => {
    const b = parseSession('9002', signOutBodySchema, req.body);
    checkInstitution(req.actor, b.fixmedins_code);
    const s = b.input.signOut;
    const out = await ctx.ledger.national.signIns.signOut(s.sign_no, b.fixmedins_code, s.opter_no, req.actor);
    return ok(req, reply, 200, { signoutoutb: { sign_time: nationalTime(out.signedOutAt as number) } }, { signNo: out.signNo, replayed: !out.created });
  });

  scope.post('/1101', route('1101', 'the person by certificate: identity, insurance, hardship (an audited read)', personInfoBodySchema), async (req, reply) => {
    const b = parseSession('1101', personInfoBodySchema, req.body);
    checkInstitution(req.actor, b.fixmedins_code);
    const d = b.input.data;
    const ids = ctx.ledger.national.identities;
    // Which certificate finds the person: certno, else a resident ID as 就诊凭证 (02), else yibao.psn_no.
    let found: PersonIdentity | undefined;
    let asked: Record<string, unknown>;
    if (d.certno !== '') {
      asked = { psnCertType: d.psn_cert_type, certno: maskCertno(d.certno) };
      found = await ids.findByCert(d.psn_cert_type, d.certno);
    } else if (d.mdtrt_cert_type === '02' && d.mdtrt_cert_no !== '') {
      asked = { mdtrtCertType: '02', certno: maskCertno(d.mdtrt_cert_no) };
      found = await ids.findByCert(RESIDENT_ID, d.mdtrt_cert_no);
    } else if (b.yibao?.psn_no !== undefined) {
      asked = { psnNo: b.yibao.psn_no };
      found = await ids.get(b.yibao.psn_no);
    } else {
      const which =
        d.mdtrt_cert_type === '02'
          ? 'data.mdtrt_cert_no: required for 02 居民身份证: the resident ID'
          : `data.mdtrt_cert_type: ${d.mdtrt_cert_type} ${MDTRT_CERT_TYPES[d.mdtrt_cert_type]}不能在本服务读取（无电子凭证、社保卡系统）`;
      throw new RequestError([`${which}; give psn_cert_type and certno (证件号码), or the person in yibao.psn_no`]);
    }
    if (found && b.yibao?.psn_no !== undefined && found.personId !== b.yibao.psn_no) found = undefined;
    if (found && d.psn_name !== '' && d.psn_name !== found.psnName) found = undefined;
    ctx.reads(req, 'read.national-1101', found?.personId ?? 'persons', { ...asked, found: found !== undefined });
    if (!found) throw new LedgerError('NOT_FOUND', `未找到该证件（及姓名）对应的参保人员: no person in the registry has this certificate${d.psn_name !== '' ? ' and name' : ''}`);
    const { person } = await ctx.ledger.registered(found.personId, b.fixmedins_code);
    if (!person) throw new LedgerError('NOT_FOUND', `person ${found.personId} is not in the person registry`);
    const { enrollments } = await ctx.ledger.enrollments.history(found.personId);
    const balance = await openAccountBalance(ctx.ledger.store.db, found.personId, accountKindFor(person));
    const { day } = dayAsked(d.begntime, b.inf_time, Date.now());
    const output = personInfo(
      {
        personId: found.personId,
        region: person.region,
        scheme: person.scheme,
        category: person.category,
        hardship: person.hardship,
        identity: found,
        balance,
        payments: enrollments.map((e) => ({ coverageYear: e.coverageYear as number, paidOn: e.paidOn as string })),
      },
      day,
      ctx.national.codes,
    );
    return ok(req, reply, 200, output, { asOf: day });
  });

  scope.post(
    '/2001',
    route('2001', "whether the person enjoys the fund's benefits for a visit (the engine's eligibility; an audited read)", treatmentCheckBodySchema),
    async (req, reply) => {
      const b = parseSession('2001', treatmentCheckBodySchema, req.body);
      const d = b.input.data;
      checkInstitution(req.actor, b.fixmedins_code);
      checkInstitution(req.actor, d.fixmedins_code);
      ctx.reads(req, 'read.national-2001', d.psn_no, { institution: d.fixmedins_code, medType: d.med_type });
      const codes = ctx.national.codes;
      const scheme = schemeOf(d.insutype, 'data.insutype', codes);
      const types = visitTypesOf(d.med_type, codes);
      // 52 生育住院 is natural birth or caesarean: their eligibility is the same, the first is asked.
      const type = types[0] ?? visitTypeOf(d.med_type, undefined, 'data.med_type', codes);
      const { day, at } = dayAsked(d.begntime, undefined, Date.now());
      const enddate = d.endtime?.slice(0, 10) ?? null;
      const row = (enjoys: boolean, reason: string | null) => trtinfo(d.psn_no, scheme, enjoys, day, enddate, reason, codes);
      const send = (r: Record<string, unknown>, yibao: Record<string, unknown>) => ok(req, reply, 200, { trtinfo: [r] }, yibao);

      const { person, institution } = await ctx.ledger.registered(d.psn_no, d.fixmedins_code);
      if (!person) return send(row(false, `人员${d.psn_no}不在参保人员信息（人员登记）中：未参保，基金不予支付。`), { eligibility: 'not-registered' });
      if (person.scheme !== scheme) {
        const own = insutypeOf(person.scheme, codes);
        return send(row(false, `该人员参加${own.code} ${own.name}，未参加${d.insutype} ${codes.insutype.codes[d.insutype] ?? ''}：基金不予支付。`), {
          eligibility: 'other-insutype',
        });
      }
      const year = yearOf(chinaDay(at));
      const { enrollments } = await ctx.ledger.enrollments.history(d.psn_no);
      // The agency's way (--require-enrollment) counts the payments it recorded only, as a settle does.
      const counted = ctx.ledger.mode.requireEnrollment ? enrollments.filter((e) => e.source === 'record') : enrollments;
      if (!counted.some((e) => e.coverageYear === year)) {
        return send(row(false, `未查到${year}年度参保缴费记录：未参保（待遇按缴费所属年度享受），基金不予支付。`), { eligibility: 'not-enrolled' });
      }
      const inst = b.yibao?.institution ?? institution;
      if (!inst) {
        throw new RequestError([`yibao.institution: required: institution ${d.fixmedins_code} (data.fixmedins_code) is not in the ledger; give { tier, grade, contracted }`]);
      }
      // The engine's own decision: a pre-settle of a visit of nothing at that time (writes nothing).
      const one = parseSettleOne(
        {
          person: {
            id: person.id,
            region: person.region,
            scheme: person.scheme,
            category: person.category,
            ...(person.hardship !== null ? { hardship: person.hardship } : {}),
            ...(person.familyDoctorAt !== null ? { familyDoctorAt: person.familyDoctorAt } : {}),
            ...(person.employment !== null ? { employment: person.employment } : {}),
            ...(person.accountReformed !== null ? { accountReformed: person.accountReformed } : {}),
          },
          visit: { id: `2001-${randomUUID()}`, time: d.begntime.replace(' ', 'T'), type, institution: { id: d.fixmedins_code, ...inst }, total: '0.00', eligible: '0.00' },
        },
        ctx.policies,
        { requestIdRequired: false },
      );
      let s: Record<string, unknown>;
      try {
        s = await ctx.ledger.preSettle(one, req.actor);
      } catch (e) {
        if (e instanceof SettlementError && (e.code === 'NO_POLICY_IN_FORCE' || e.code === 'NO_BENEFIT_RULE')) {
          return send(row(false, `无适用的待遇政策，基金不予支付：${e.message}`), { eligibility: 'no-policy' });
        }
        // The pre-settle names the project's fields; the caller sent national ones (a begntime to come is refused as a settle's).
        if (e instanceof LedgerError) throw new LedgerError(e.code, e.message.split('; ').map(RENAME).join('; '));
        throw e;
      }
      const covered = s.eligibility === 'covered';
      return send(row(covered, covered ? null : reasonOf(s.trace as TraceStep[] | undefined)), {
        eligibility: s.eligibility,
        policy: s.policy ?? null,
        benefit: s.benefitLabel ?? null,
      });
    },
  );

  scope.post('/5206', route('5206', "the person's accumulated amounts of the year (an audited read)", cumulativeBodySchema), async (req, reply) => {
    const b = parseSession('5206', cumulativeBodySchema, req.body);
    checkInstitution(req.actor, b.fixmedins_code);
    const d = b.input.data;
    ctx.reads(req, 'read.national-5206', d.psn_no, { cumYm: d.cum_ym ?? null });
    const { person } = await ctx.ledger.registered(d.psn_no, b.fixmedins_code);
    if (!person) throw new LedgerError('NOT_FOUND', `data.psn_no: person ${d.psn_no} is not in the person registry`);
    const { day } = dayAsked(undefined, b.inf_time, Date.now());
    const asOf = d.cum_ym ?? day.slice(0, 7).replace('-', '');
    const view = await ctx.ledger.accumulators(d.psn_no, Number(asOf.slice(0, 4)));
    return ok(req, reply, 200, { cuminfo: cuminfo(view, person.scheme, d.cum_ym, asOf, ctx.national.codes) }, { year: view.year });
  });
};
