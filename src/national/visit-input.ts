/**
 * The outpatient visit's messages (the Hunan edition of the national interface specification
 * (V1.1.27), 【2201】门诊挂号, 【2202】门诊挂号撤销, 【2203】门诊就诊信息上传): the envelope (公共输入参数,
 * input.ts envelopeFields) and each transaction's input, strict (an unknown field is a problem), every
 * problem named by its national path. A write's request id is `INFNO:INSTITUTION:MSGID` (msgid
 * required), its hash the SHA-256 of the canonical JSON of the institution and the input.
 */
import { refineResidentIds } from './certno.js';
import { hash as digest } from 'node:crypto';
import { z } from 'zod';
import { parseInstant } from '../calendar/calendar.js';
import { safeParseNational } from './problems.js';
import { canonicalJson } from '../request/settle-one.js';
import { id, RequestError } from '../request/settle-request.js';
import { schemeOf } from './codes.js';
import { isInpatientMedType, NATIONAL_CODES, type CodeEdition } from './code-editions.js';
import { envelopeFields, text } from './input.js';

/** The transactions of the outpatient day, with their names (交易名称). */
export const OUTPATIENT_NAMES = {
  '2201': '门诊挂号',
  '2202': '门诊挂号撤销',
  '2203': '门诊就诊信息上传',
  '2204': '门诊费用明细信息上传',
  '2205': '门诊费用明细信息撤销',
  '5203': '结算信息查询',
  '5204': '费用明细查询',
} as const;
export type OutpatientInterface = keyof typeof OUTPATIENT_NAMES;

/** yyyy-MM-dd HH:mm:ss (日期时间型), China time. */
export const nationalDateTime = z
  .string({ error: 'must be a time yyyy-MM-dd HH:mm:ss' })
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be a time yyyy-MM-dd HH:mm:ss (China time)')
  .refine((v) => parseInstant(v.replace(' ', 'T')) !== undefined, { message: 'must be a real date and time yyyy-MM-dd HH:mm:ss', abort: true });

/** yyyy-MM-dd (日期型). */
export const nationalDate = z
  .string({ error: 'must be a date yyyy-MM-dd' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date yyyy-MM-dd')
  .refine((v) => parseInstant(v) !== undefined, { message: 'must be a real date yyyy-MM-dd', abort: true });

/** Epoch ms of a validated yyyy-MM-dd HH:mm:ss (China time). */
export const instantOf = (t: string): number => parseInstant(t.replace(' ', 'T')) as number;

/** 字段扩展: accepted, kept as sent, not read. */
export const expContent = text(4000).optional();

/** A national message: the envelope with `input` (the transaction's nodes). */
export const messageSchema = <I extends z.ZodRawShape>(input: I) =>
  z.strictObject({ ...envelopeFields, input: z.strictObject(input, { error: 'must be an object with the transaction’s nodes' }) });

/** What every write message carries besides its input: the institution, the request id and hash. */
export interface Envelope {
  fixmedinsCode: string;
  msgid: string | undefined;
  /** `INFNO:INSTITUTION:MSGID`; undefined for a read. */
  requestId: string;
  requestHash: string;
}

/**
 * Validates a message against `schema`; every problem named (with the infno and msgid checks and
 * `more`, the transaction's own checks across fields, when the shape is valid).
 *
 * @throws RequestError listing every problem.
 */
export function parseMessage<S extends z.ZodType>(infno: OutpatientInterface, schema: S, body: unknown, options: { write: boolean }): { body: z.output<S>; envelope: Envelope } {
  // Every problem in Chinese, with its national path (problems.ts).
  const r = safeParseNational(schema, body ?? {});
  if (!r.ok) throw new RequestError(r.problems);
  const b = r.data as { infno?: string; msgid?: string; fixmedins_code: string; input: unknown };
  const problems: string[] = [];
  if (b.infno !== undefined && b.infno !== infno) problems.push(`infno: the message says ${b.infno}, but this is ${infno} ${OUTPATIENT_NAMES[infno]} (POST /v1/national/${infno})`);
  if (options.write && b.msgid === undefined) problems.push(`msgid: required for ${infno}: the message id (发送方报文ID) makes a retry safe`);
  if (problems.length > 0) throw new RequestError(problems);
  const requestId = `${infno}:${b.fixmedins_code}:${b.msgid ?? ''}`;
  const requestHash = digest('sha256', canonicalJson({ fixmedins_code: b.fixmedins_code, input: b.input }), 'hex');
  return { body: r.data, envelope: { fixmedinsCode: b.fixmedins_code, msgid: b.msgid, requestId, requestHash } };
}

// ---- 2201 门诊挂号 --------------------------------------------------------------------------------

/** 表72 输入（节点标识：data）. */
const registerData = z
  .strictObject({
    psn_no: id,
    insutype: text(6),
    begntime: nationalDateTime,
    mdtrt_cert_type: text(3),
    mdtrt_cert_no: text(50),
    card_sn: text(32).optional(),
    psn_cert_type: text(3),
    certno: text(20),
    psn_type: text(3),
    psn_name: text(20),
    ipt_otp_no: id.pipe(text(30)),
    atddr_no: text(30).optional(),
    dr_name: text(50).optional(),
    dept_code: text(30),
    dept_name: text(100),
    caty: text(10),
    exp_content: expContent,
  })
  .superRefine(refineResidentIds());
export const registerSchema = messageSchema({ data: registerData });

/** A 2201 message, read: the visit to register (info without the certificate numbers, which are never stored). */
export interface OutpatientRegistration {
  envelope: Envelope;
  psnNo: string;
  insutype: string;
  begntime: number;
  iptOtpNo: string;
  info: Record<string, unknown>;
}

/** @throws RequestError listing every problem. */
export function parseRegister(body: unknown, codes: CodeEdition = NATIONAL_CODES): OutpatientRegistration {
  const { body: b, envelope } = parseMessage('2201', registerSchema, body, { write: true });
  const d = b.input.data;
  const problems: string[] = [];
  try {
    schemeOf(d.insutype, 'data.insutype', codes);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (d.mdtrt_cert_type === '03' && d.card_sn === undefined) problems.push('data.card_sn: required when mdtrt_cert_type is 03 (社会保障卡)');
  if (problems.length > 0) throw new RequestError(problems);
  // 证件号码, 就诊凭证编号 and 卡识别码 are not kept: the visit needs none of them.
  const { mdtrt_cert_no: _cert, certno: _certno, card_sn: _card, ...info } = d;
  return { envelope, psnNo: d.psn_no, insutype: d.insutype, begntime: instantOf(d.begntime), iptOtpNo: d.ipt_otp_no, info };
}

// ---- 2202 门诊挂号撤销 ----------------------------------------------------------------------------

/** 表74 输入（节点标识：data）. */
export const cancelVisitSchema = messageSchema({ data: z.strictObject({ psn_no: id, mdtrt_id: id.pipe(text(30)), ipt_otp_no: id.pipe(text(30)), exp_content: expContent }) });

export function parseCancelVisit(body: unknown): { envelope: Envelope; psnNo: string; mdtrtId: string; iptOtpNo: string } {
  const { body: b, envelope } = parseMessage('2202', cancelVisitSchema, body, { write: true });
  const d = b.input.data;
  return { envelope, psnNo: d.psn_no, mdtrtId: d.mdtrt_id, iptOtpNo: d.ipt_otp_no };
}

// ---- 2203 门诊就诊信息上传 ------------------------------------------------------------------------

/** 表75 输入-就诊信息（节点标识：mdtrtinfo）. */
const mdtrtinfo = z.strictObject({
  mdtrt_id: id.pipe(text(30)),
  psn_no: id,
  med_type: text(6),
  begntime: nationalDateTime,
  main_cond_dscr: text(1000).optional(),
  dise_type_code: text(30).optional(),
  dise_codg: text(30),
  dise_name: text(500),
  birctrl_type: text(6).optional(),
  birctrl_matn_date: nationalDate.optional(),
  exp_content: expContent,
});

/** 表76 输入-诊断信息（节点标识：diseinfo）. */
const diseinfo = z.strictObject({
  diag_type: text(3),
  diag_srt_no: z.union([z.number().int().min(0).max(99), z.string().regex(/^\d{1,2}$/, 'must be a number of at most 2 digits')], { error: 'must be a number of at most 2 digits' }),
  diag_code: text(20),
  diag_name: text(100),
  diag_dept: text(50),
  dise_dor_no: text(30),
  dise_dor_name: text(50),
  diag_time: nationalDateTime,
  vali_flag: z.enum(['0', '1'], { error: 'must be "0" (无效) or "1" (有效)' }),
});

export const visitInfoSchema = messageSchema({
  mdtrtinfo,
  diseinfo: z.array(diseinfo, { error: 'must be a list of diagnoses' }).max(100, 'must be at most 100 diagnoses'),
});

/** A 2203 message, read; its med_type is one of the edition's outpatient ones (not 住院). */
export function parseVisitInfo(
  body: unknown,
  codes: CodeEdition = NATIONAL_CODES,
): { envelope: Envelope; psnNo: string; mdtrtId: string; medType: string; info: Record<string, unknown> } {
  const { body: b, envelope } = parseMessage('2203', visitInfoSchema, body, { write: true });
  const m = b.input.mdtrtinfo;
  const problems: string[] = [];
  const name = codes.med_type.codes[m.med_type];
  if (name === undefined)
    problems.push(
      `mdtrtinfo.med_type: unknown 医疗类别 ${JSON.stringify(m.med_type)}${codes.name === NATIONAL_CODES.name ? '' : ` in ${codes.name}`} (${Object.keys(codes.med_type.codes).join(', ')})`,
    );
  else if (isInpatientMedType(codes, m.med_type))
    problems.push(`mdtrtinfo.med_type: ${m.med_type} ${name} is an inpatient 医疗类别; an outpatient visit (2201) takes an outpatient one`);
  if (problems.length > 0) throw new RequestError(problems);
  return { envelope, psnNo: m.psn_no, mdtrtId: m.mdtrt_id, medType: m.med_type, info: { mdtrtinfo: m, diseinfo: b.input.diseinfo } };
}
