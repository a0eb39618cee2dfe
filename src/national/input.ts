/**
 * National-style request bodies (2206/2207 门诊预结算/结算, 2208 门诊结算撤销, 2303/2304 住院预结算/结算,
 * 2305 住院结算撤销) → the project's own settle request (src/request/settle-one.ts) and reversal.
 *
 * The body is the platform's message: the envelope (infno, msgid, insuplc_admdvs, fixmedins_code,
 * inf_time, …) with the transaction's `input.data`. The platform resolves psn_no and fixmedins_code
 * against its registries; yibao has no such registry of its own, so what the engine needs beyond
 * the message comes, field by field, from (first that has it):
 *
 *   person.region     yibao.person.region, insuplc_admdvs (参保地医保区划), the ledger's person
 *   person.scheme     data.insutype (310 employee, 390 resident)
 *   person.category   yibao.person.category, data.psn_type (11 在职, 12 退休), the ledger's person
 *   person.hardship, familyDoctorAt, employment, accountReformed, enrollment
 *                     yibao.person when that block is given, else the ledger's person (enrollment:
 *                     the payments on file, as for any settle); a registered person's attributes
 *                     the message leaves out are the registry's (src/ledger/registry.ts)
 *   institution       yibao.institution {tier, grade, contracted}, else the ledger's institution
 *   visit.time        yibao.visit.time (ISO 8601), else inf_time (交易时间, China time)
 *   visit.type        data.med_type (yibao.visit.type chooses natural or caesarean birth for 52)
 *   visit.eligible    data.inscp_scp_amt, else medfee_sumamt less fulamt_ownpay_amt, overlmt_selfpay
 *                     and preselfpay_amt, else medfee_sumamt
 *   admittedAt, outOfCounty, referred, inHospital
 *                     yibao.visit
 *
 * The `yibao` block is the documented extension: a national message with it is still the
 * platform's message plus one key. Every problem names the national field (`data.medfee_sumamt: …`,
 * `fixmedins_code: …`, `yibao.person.category: …`); nothing is settled unless the whole body is
 * valid.
 *
 * Idempotency: the platform identifies a message by msgid (发送方报文ID); a settle's request id is
 * `nat-INFNO-MSGID` (or yibao.requestId), so the same message sent again returns the original
 * settlement, and the same msgid with another body is refused.
 */
import { refineResidentIds } from './certno.js';
import { z } from 'zod';
import { parseInstant } from '../calendar/calendar.js';
import { CATEGORIES, TIERS, VISIT_TYPES, type Category, type Scheme, type VisitType } from '../domain.js';
import { formatYuan, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { parseSettleOne, requestIdSchema, type SettleOne } from '../request/settle-one.js';
import { printableText } from '../request/id.js';
import { amount, enumOf, id, personSchema, RequestError } from '../request/settle-request.js';
import { safeParseNational } from './problems.js';
import { NATIONAL_CODES, type CodeEdition } from './code-editions.js';
import { categoryOf, medTypeOf, NationalCodeError, schemeOf, visitTypeOf } from './codes.js';

/** The transactions yibao answers. */
export const SETTLE_INTERFACES = ['2206', '2207', '2303', '2304'] as const;
export const REVERSE_INTERFACES = ['2208', '2305'] as const;
export type SettleInterface = (typeof SETTLE_INTERFACES)[number];
export type ReverseInterface = (typeof REVERSE_INTERFACES)[number];
export type Interface = SettleInterface | ReverseInterface;

/** 交易名称. */
export const INTERFACE_NAMES: Record<Interface, string> = {
  '2206': '门诊预结算',
  '2207': '门诊结算',
  '2208': '门诊结算撤销',
  '2303': '住院预结算',
  '2304': '住院结算',
  '2305': '住院结算撤销',
};

const inpatient = (infno: Interface) => infno.startsWith('23');
const commits = (infno: SettleInterface) => infno === '2207' || infno === '2304';

export const text = (max: number) => z.string({ error: 'must be a string' }).max(max, `must be at most ${max} characters`);
/** 是/否 flags: "0" no, "1" yes. */
export const flag = z.enum(['0', '1'], { error: 'must be "0" (否) or "1" (是)' });
/** yyyy-MM-dd HH:mm:ss, as the platform writes times. */
const nationalTime = z
  .string({ error: 'must be a time yyyy-MM-dd HH:mm:ss' })
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be a time yyyy-MM-dd HH:mm:ss (China time)')
  .refine((v) => parseInstant(v.replace(' ', 'T')) !== undefined, { message: 'must be a real date and time yyyy-MM-dd HH:mm:ss', abort: true });

/** 扩展字段: accepted and not read. */
const expContent = z.unknown().optional();

const settleData = (infno: SettleInterface) =>
  z
    .strictObject({
      psn_no: id,
      mdtrt_cert_type: text(3).optional(),
      mdtrt_cert_no: text(50).optional(),
      // 2303/2304 carry no med_type (it is fixed at admission, 2401): the edition's inpatient one (21) unless given.
      med_type: inpatient(infno) ? text(6).optional() : text(6),
      medfee_sumamt: amount,
      psn_setlway: text(6).optional(),
      mdtrt_id: id,
      chrg_bchno: text(30).optional(),
      insutype: text(6),
      acct_used_flag: flag.optional(),
      invono: text(20).optional(),
      mid_setl_flag: flag.optional(),
      fulamt_ownpay_amt: amount.optional(),
      overlmt_selfpay: amount.optional(),
      preselfpay_amt: amount.optional(),
      inscp_scp_amt: amount.optional(),
      /** Not in the platform's settle input: the person's psn_type as 1101 gave it, echoed and read for the category. */
      psn_type: text(6).optional(),
      /** In the specification's settle inputs (V1.1.27 表82/85/94/97), accepted and not read. */
      card_sn: text(32).optional(),
      psn_cert_type: text(6).optional(),
      certno: text(50).optional(),
      psn_name: text(50).optional(),
      pub_hosp_rfom_flag: text(6).optional(),
      insuplc_admdvs: text(6).optional(),
      mdtrtarea_admvs: text(6).optional(),
      dscgTime: text(19).optional(),
      exp_content: expContent,
    })
    .superRefine(refineResidentIds());

const reverseData = z.strictObject({
  setl_id: id,
  mdtrt_id: id,
  psn_no: id,
  exp_content: expContent,
});

/** The documented extension block: what the platform's registries would know. */
const extension = z.strictObject({
  requestId: requestIdSchema.optional(),
  person: personSchema.pick({ region: true, category: true, hardship: true, familyDoctorAt: true, employment: true, accountReformed: true, enrollment: true }).partial().optional(),
  institution: z
    .strictObject({
      name: printableText(200).optional(),
      tier: enumOf(TIERS),
      grade: z.number({ error: 'must be 0, 1, 2 or 3 (0 = ungraded)' }).int().min(0, 'must be 0, 1, 2 or 3').max(3, 'must be 0, 1, 2 or 3'),
      contracted: z.boolean({ error: 'must be true or false' }),
    })
    .optional(),
  visit: z
    .strictObject({
      time: z.string({ error: 'must be an ISO 8601 date-time' }).optional(),
      type: enumOf(VISIT_TYPES).optional(),
      admittedAt: z.string({ error: 'must be an ISO 8601 date-time' }).optional(),
      outOfCounty: z.boolean({ error: 'must be true or false' }).optional(),
      referred: z.boolean({ error: 'must be true or false' }).optional(),
      inHospital: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .optional(),
});

/** The envelope's fields (公共输入参数) besides `input` and the `yibao` extension. */
export const envelopeFields = {
  infno: text(4).optional(),
  /** 发送方报文ID. */
  msgid: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only')
    .optional(),
  mdtrtarea_admvs: text(6).optional(),
  /** 参保地医保区划: the person's region. */
  insuplc_admdvs: text(6).optional(),
  recer_sys_code: text(10).optional(),
  dev_no: text(100).optional(),
  dev_safe_info: text(2000).optional(),
  cainfo: text(1024).optional(),
  signtype: text(10).optional(),
  infver: text(6).optional(),
  opter_type: text(3).optional(),
  opter: text(30).optional(),
  opter_name: text(50).optional(),
  /** 交易时间. */
  inf_time: nationalTime.optional(),
  /** 定点医药机构编号: the institution. */
  fixmedins_code: id,
  fixmedins_name: text(200).optional(),
  sign_no: text(30).optional(),
};

const envelope = <D extends z.ZodType, E extends z.ZodType>(data: D, ext: E) =>
  z.strictObject({
    ...envelopeFields,
    input: z.strictObject({ data }, { error: 'must be an object { data: {...} }' }),
    yibao: ext.optional(),
  });

export const settleBodySchema = (infno: SettleInterface) => envelope(settleData(infno), extension);
/** A reversal's extension can only name the request id. */
export const reverseBodySchema = envelope(reverseData, extension.pick({ requestId: true }));

type SettleBody = z.output<ReturnType<typeof settleBodySchema>>;
type ReverseBody = z.output<typeof reverseBodySchema>;

/**
 * Parses a national message: every problem in Chinese with its national path (problems.ts), and
 * the envelope's infno, when given, must be the transaction's own.
 */
export function parseNationalBody<S extends z.ZodType>(schema: S, infno: string, name: string, body: unknown): z.output<S> {
  const r = safeParseNational(schema, body ?? {});
  if (!r.ok) throw new RequestError(r.problems);
  const infnoGiven = (r.data as { infno?: string }).infno;
  if (infnoGiven !== undefined && infnoGiven !== infno) {
    throw new RequestError([`infno: the message says ${infnoGiven}, but this is ${infno} ${name} (POST /v1/national/${infno})`]);
  }
  return r.data;
}

function parseBody<S extends z.ZodType>(schema: S, infno: Interface, body: unknown): z.output<S> {
  return parseNationalBody(schema, infno, INTERFACE_NAMES[infno], body);
}

/** A validated national settle (or pre-settle) message. */
export function parseNationalSettle(infno: SettleInterface, body: unknown): SettleBody {
  return parseBody(settleBodySchema(infno), infno, body);
}

/** What the ledger knows of the message's person and institution (src/ledger/registry.ts). */
export interface Registered {
  person?: { region: string; scheme: string; category: string; hardship: string | null; familyDoctorAt: string | null; employment: string | null; accountReformed: boolean | null };
  institution?: { tier: string; grade: number; contracted: boolean };
}

/** The project's request for a national settle message, with how to name its fields nationally. */
export interface NationalSettle {
  infno: SettleInterface;
  one: SettleOne;
  scheme: Scheme;
  category: Category;
  visitType: VisitType;
  /** As sent, echoed into setlinfo: med_type (or the default 21) and psn_type. */
  medType: string;
  psnType?: string;
  msgid?: string;
  /** Renames the project's field paths in a problem line to the national fields they came from. */
  rename: (line: string) => string;
}

/** Amount in fen of a parsed optional amount. */
const fenOr0 = (v: Fen | undefined) => v ?? 0;

/**
 * Converts a validated national settle message, with what the ledger knows, into the project's
 * settle request (validated by the same code as POST /v1/settlements).
 *
 * @throws RequestError naming the national fields.
 */
export function toSettleOne(infno: SettleInterface, body: SettleBody, registered: Registered, policies: PolicySet, codes: CodeEdition = NATIONAL_CODES): NationalSettle {
  const d = body.input.data;
  const ext = body.yibao ?? {};
  const problems: string[] = [];
  const fail = (e: unknown) => {
    if (e instanceof NationalCodeError) problems.push(e.message);
    else throw e;
  };
  // Where each of the project's fields came from, for naming problems.
  const source: Record<string, string> = {
    'person.id': 'data.psn_no',
    'person.scheme': 'data.insutype',
    'person.hardship': 'yibao.person.hardship',
    'person.familyDoctorAt': 'yibao.person.familyDoctorAt',
    'person.employment': 'yibao.person.employment',
    'person.accountReformed': 'yibao.person.accountReformed',
    'person.enrollment': 'yibao.person.enrollment',
    'visit.id': 'data.mdtrt_id',
    'visit.type': 'data.med_type',
    'visit.institution.id': 'fixmedins_code',
    'visit.total': 'data.medfee_sumamt',
    'visit.useAccount': 'data.acct_used_flag',
    'visit.admittedAt': 'yibao.visit.admittedAt',
    'visit.outOfCounty': 'yibao.visit.outOfCounty',
    'visit.referred': 'yibao.visit.referred',
    'visit.inHospital': 'yibao.visit.inHospital',
    visit: 'data',
    person: 'data',
    requestId: ext.requestId !== undefined ? 'yibao.requestId' : 'msgid',
  };

  // Scheme and category.
  let scheme: Scheme = 'resident';
  try {
    scheme = schemeOf(d.insutype, 'data.insutype', codes);
  } catch (e) {
    fail(e);
  }
  let category: string | undefined = ext.person?.category;
  source['person.category'] = 'yibao.person.category';
  if (category === undefined && d.psn_type !== undefined) {
    try {
      category = categoryOf(d.psn_type, 'data.psn_type', codes);
      source['person.category'] = 'data.psn_type';
    } catch (e) {
      fail(e);
    }
  }
  if (category === undefined && registered.person) {
    category = registered.person.category;
    source['person.category'] = `the ledger's person ${d.psn_no}: its category (give yibao.person.category)`;
  }
  if (category === undefined && problems.length === 0) {
    problems.push(
      `yibao.person.category: required: person ${d.psn_no} is not in the ledger and the message gives no psn_type yibao can read; give the category (${CATEGORIES.join(' | ')})`,
    );
  }

  // Region.
  let region = ext.person?.region;
  source['person.region'] = 'yibao.person.region';
  if (region === undefined && body.insuplc_admdvs !== undefined) {
    region = body.insuplc_admdvs;
    source['person.region'] = 'insuplc_admdvs';
  }
  if (region === undefined && registered.person) {
    region = registered.person.region;
    source['person.region'] = `the ledger's person ${d.psn_no}: its region (give insuplc_admdvs)`;
  }
  if (region === undefined) problems.push(`insuplc_admdvs: required: person ${d.psn_no} is not in the ledger; give the 参保地医保区划 (or yibao.person.region)`);

  // The rest of the person: the extension's block, else the ledger's.
  const rest: Record<string, unknown> = {};
  if (ext.person) {
    const raw = (body as { yibao: { person: Record<string, unknown> } }).yibao.person;
    for (const k of ['hardship', 'familyDoctorAt', 'employment', 'accountReformed', 'enrollment'] as const) if (raw[k] !== undefined) rest[k] = raw[k];
  } else if (registered.person) {
    if (registered.person.hardship !== null) rest.hardship = registered.person.hardship;
    if (registered.person.familyDoctorAt !== null) rest.familyDoctorAt = registered.person.familyDoctorAt;
    if (registered.person.employment !== null) rest.employment = registered.person.employment;
    if (registered.person.accountReformed !== null) rest.accountReformed = registered.person.accountReformed;
    source['person.hardship'] = `the ledger's person ${d.psn_no}: its hardship (give yibao.person)`;
  }

  // Institution.
  let institution: Record<string, unknown> | undefined;
  if (ext.institution) {
    institution = { id: body.fixmedins_code, tier: ext.institution.tier, grade: ext.institution.grade, contracted: ext.institution.contracted };
    source['visit.institution'] = 'yibao.institution';
  } else if (registered.institution) {
    institution = { id: body.fixmedins_code, ...registered.institution };
    source['visit.institution'] = `the ledger's institution ${body.fixmedins_code}: its record (give yibao.institution)`;
  } else {
    problems.push(`yibao.institution: required: institution ${body.fixmedins_code} (fixmedins_code) is not in the ledger; give { tier, grade, contracted }`);
  }

  // Visit type: the interface decides outpatient or inpatient.
  const medType = d.med_type ?? medTypeOf('inpatient', codes).code;
  let visitType: VisitType = inpatient(infno) ? 'inpatient' : 'outpatient';
  try {
    visitType = visitTypeOf(medType, ext.visit?.type, 'data.med_type', codes);
    const isInpatientType = visitType === 'inpatient' || visitType === 'birth-natural' || visitType === 'birth-cesarean';
    if (isInpatientType !== inpatient(infno)) {
      problems.push(
        `data.med_type: ${medType} ${codes.med_type.codes[medType] as string} is ${isInpatientType ? 'an inpatient' : 'an outpatient'} med_type; settle it with ${isInpatientType ? '2303/2304' : '2206/2207'}, not ${infno}`,
      );
    }
  } catch (e) {
    fail(e);
  }
  if (d.mid_setl_flag === '1') problems.push('data.mid_setl_flag: 中途结算 (settling a stay before discharge) is not supported; settle the stay at discharge');

  // Time.
  let time: string | undefined = ext.visit?.time;
  source['visit.time'] = 'yibao.visit.time';
  if (time === undefined && body.inf_time !== undefined) {
    time = body.inf_time.replace(' ', 'T');
    source['visit.time'] = 'inf_time';
  }
  if (time === undefined) problems.push("inf_time: required: the visit's settlement time (交易时间 yyyy-MM-dd HH:mm:ss), unless yibao.visit.time gives it");

  // Eligible: 符合政策范围金额 = 医疗费总额 − 全自费 − 超限价 − 先行自付.
  const outside = fenOr0(d.fulamt_ownpay_amt) + fenOr0(d.overlmt_selfpay) + fenOr0(d.preselfpay_amt);
  const anyOutside = d.fulamt_ownpay_amt !== undefined || d.overlmt_selfpay !== undefined || d.preselfpay_amt !== undefined;
  let eligible: Fen = d.medfee_sumamt;
  source['visit.eligible'] = 'data.inscp_scp_amt';
  if (d.inscp_scp_amt !== undefined) {
    eligible = d.inscp_scp_amt;
    if (anyOutside && d.inscp_scp_amt + outside !== d.medfee_sumamt) {
      problems.push(
        `data.inscp_scp_amt: ${formatYuan(d.inscp_scp_amt)} with fulamt_ownpay_amt, overlmt_selfpay and preselfpay_amt (${formatYuan(outside)}) must make medfee_sumamt ${formatYuan(d.medfee_sumamt)}, but make ${formatYuan(d.inscp_scp_amt + outside)}`,
      );
    }
  } else if (anyOutside) {
    eligible = d.medfee_sumamt - outside;
    source['visit.eligible'] = 'data.fulamt_ownpay_amt';
    if (eligible < 0)
      problems.push(`data.fulamt_ownpay_amt: with overlmt_selfpay and preselfpay_amt (${formatYuan(outside)}) exceeds medfee_sumamt ${formatYuan(d.medfee_sumamt)}`);
  }

  // Request id.
  let requestId = ext.requestId;
  if (requestId === undefined && commits(infno)) {
    if (body.msgid === undefined) problems.push(`msgid: required for ${infno}: the message id (发送方报文ID) makes a retry safe; or give yibao.requestId`);
    else requestId = `nat-${infno}-${body.msgid}`.slice(0, 128);
  }

  const rename = renamer(source);
  if (problems.length > 0) throw new RequestError(problems);

  const v = ext.visit ?? {};
  const raw = {
    ...(requestId !== undefined ? { requestId } : {}),
    person: { id: d.psn_no, region, scheme, category, ...rest },
    visit: {
      id: d.mdtrt_id,
      time,
      type: visitType,
      institution,
      total: formatYuan(d.medfee_sumamt),
      eligible: formatYuan(eligible),
      ...(d.acct_used_flag === '1' ? { useAccount: true } : {}),
      ...(v.admittedAt !== undefined ? { admittedAt: v.admittedAt } : {}),
      ...(v.outOfCounty !== undefined ? { outOfCounty: v.outOfCounty } : {}),
      ...(v.referred !== undefined ? { referred: v.referred } : {}),
      ...(v.inHospital !== undefined ? { inHospital: v.inHospital } : {}),
    },
  };
  let one: SettleOne;
  try {
    one = parseSettleOne(raw, policies, { requestIdRequired: commits(infno) });
  } catch (e) {
    if (e instanceof RequestError) throw new RequestError(e.problems.map(rename));
    throw e;
  }
  return {
    infno,
    one,
    scheme,
    category: one.person.category,
    visitType,
    medType,
    ...(d.psn_type !== undefined ? { psnType: d.psn_type } : {}),
    ...(body.msgid !== undefined ? { msgid: body.msgid } : {}),
    rename,
  };
}

/**
 * A function renaming the project's field paths at the start of a problem line (`visit.total: …`)
 * to the national field they came from (`data.medfee_sumamt: …`), the longest known prefix first.
 */
export function renamer(source: Record<string, string>): (line: string) => string {
  const keys = Object.keys(source).sort((a, b) => b.length - a.length);
  return (line) => {
    for (const k of keys) {
      if (line === k || line.startsWith(`${k}:`) || line.startsWith(`${k}.`) || line.startsWith(`${k}[`)) {
        return `${source[k] as string}${line.slice(k.length)}`;
      }
    }
    return line;
  };
}

/** A validated national reversal message (2208 / 2305) and its request id. */
export interface NationalReverse {
  infno: ReverseInterface;
  setlId: string;
  mdtrtId: string;
  psnNo: string;
  fixmedinsCode: string;
  requestId: string;
  msgid?: string;
}

/** @throws RequestError naming the national fields. */
export function parseNationalReverse(infno: ReverseInterface, body: unknown): NationalReverse {
  const b: ReverseBody = parseBody(reverseBodySchema, infno, body);
  const requestId = b.yibao?.requestId ?? (b.msgid !== undefined ? `nat-${infno}-${b.msgid}`.slice(0, 128) : undefined);
  if (requestId === undefined) throw new RequestError([`msgid: required for ${infno}: the message id (发送方报文ID) makes a retry safe; or give yibao.requestId`]);
  const d = b.input.data;
  return {
    infno,
    setlId: d.setl_id,
    mdtrtId: d.mdtrt_id,
    psnNo: d.psn_no,
    fixmedinsCode: b.fixmedins_code,
    requestId,
    ...(b.msgid !== undefined ? { msgid: b.msgid } : {}),
  };
}
