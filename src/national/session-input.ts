/**
 * The messages of the hospital's session and of the person (the Hunan edition of the national
 * interface specification (V1.1.27)): 【9001】签到 (input signIn), 【9002】签退 (signOut),
 * 【1101】人员信息获取, 【2001】人员待遇享受检查 and 【5206】人员累计信息查询 (input data). Strict
 * schemas: an unknown field is refused; every problem names the national field (`signIn.mac: …`,
 * `data.certno: …`, `fixmedins_code: …`), never the value of a certificate number.
 */
import { refineResidentIds } from './certno.js';
import { z } from 'zod';
import { parseDate, parseInstant } from '../calendar/calendar.js';
import { TIERS } from '../domain.js';
import { safeParseNational } from './problems.js';
import { id } from '../request/id.js';
import { enumOf, RequestError } from '../request/settle-request.js';
import { envelopeFields, text } from './input.js';

/** The transactions of this file. */
export const SESSION_INTERFACES = ['9001', '9002', '1101', '2001', '5206'] as const;
export type SessionInterface = (typeof SESSION_INTERFACES)[number];

/** 交易名称. */
export const SESSION_NAMES: Record<SessionInterface, string> = {
  '9001': '签到',
  '9002': '签退',
  '1101': '人员信息获取',
  '2001': '人员待遇享受检查',
  '5206': '人员累计信息查询',
};

const required = (max: number) => text(max).min(1, 'must not be empty');

/** yyyy-MM-dd HH:mm:ss, China time. */
export const nationalDateTime = z
  .string({ error: 'must be a time yyyy-MM-dd HH:mm:ss' })
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be a time yyyy-MM-dd HH:mm:ss (China time)')
  .refine((v) => parseInstant(v.replace(' ', 'T')) !== undefined, { message: 'must be a real date and time yyyy-MM-dd HH:mm:ss', abort: true });

/** 扩展字段: accepted and not read. */
const expContent = z.unknown().optional();

const envelope = <I extends z.ZodRawShape, E extends z.ZodType>(input: I, ext: E) =>
  z.strictObject({
    ...envelopeFields,
    input: z.strictObject(input, { error: `must be an object { ${Object.keys(input).join(', ')} }` }),
    yibao: ext.optional(),
  });

const noExtension = z.strictObject({});

/** 【9001】签到: signIn {opter_no, mac, ip}. */
export const signInBodySchema = envelope({ signIn: z.strictObject({ opter_no: required(20), mac: required(20), ip: required(20) }) }, noExtension);

/** 【9002】签退: signOut {sign_no, opter_no}. */
export const signOutBodySchema = envelope({ signOut: z.strictObject({ sign_no: required(30), opter_no: required(20) }) }, noExtension);

/** 就诊凭证类型 (mdtrt_cert_type): 01 医保电子凭证, 02 居民身份证, 03 社会保障卡. */
export const MDTRT_CERT_TYPES: Readonly<Record<string, string>> = { '01': '医保电子凭证', '02': '居民身份证', '03': '社会保障卡' };

/** 【1101】人员信息获取: data; the platform's example sends empty strings for what it leaves out. */
export const personInfoBodySchema = envelope(
  {
    data: z
      .strictObject({
        mdtrt_cert_type: z.enum(['01', '02', '03'], { error: 'must be 01 医保电子凭证, 02 居民身份证 or 03 社会保障卡' }),
        mdtrt_cert_no: text(50),
        card_sn: text(32).optional(),
        begntime: z.union([z.literal(''), nationalDateTime]).optional(),
        psn_cert_type: required(6),
        certno: text(50),
        psn_name: text(50),
      })
      .superRefine(refineResidentIds()),
  },
  /** The documented extension: the person, when the 凭证 (01 电子凭证, 03 社保卡) cannot be read here. */
  z.strictObject({ psn_no: id.optional() }),
);

const institutionExtension = z.strictObject({
  tier: enumOf(TIERS),
  grade: z.number({ error: 'must be 0, 1, 2 or 3 (0 = ungraded)' }).int().min(0, 'must be 0, 1, 2 or 3').max(3, 'must be 0, 1, 2 or 3'),
  contracted: z.boolean({ error: 'must be true or false' }),
});

/** 【2001】人员待遇享受检查: data. */
export const treatmentCheckBodySchema = envelope(
  {
    data: z.strictObject({
      psn_no: id,
      insutype: required(6),
      fixmedins_code: id,
      med_type: required(6),
      begntime: nationalDateTime,
      endtime: nationalDateTime.optional(),
      dise_codg: text(30).optional(),
      dise_name: text(500).optional(),
      oprn_oprt_code: text(30).optional(),
      oprn_oprt_name: text(500).optional(),
      matn_type: text(6).optional(),
      birctrl_type: text(6).optional(),
      exp_content: expContent,
    }),
  },
  /** The institution, when the ledger has no record of it yet: { tier, grade, contracted }. */
  z.strictObject({ institution: institutionExtension.optional() }),
);

/** 【5206】人员累计信息查询: data {psn_no, cum_ym?}. */
export const cumulativeBodySchema = envelope(
  {
    data: z.strictObject({
      psn_no: id,
      cum_ym: z
        .string({ error: 'must be a month yyyyMM' })
        .refine((v) => /^\d{6}$/.test(v) && parseDate(`${v.slice(0, 4)}-${v.slice(4)}-01`) !== undefined, 'must be a month yyyyMM')
        .optional(),
      exp_content: expContent,
    }),
  },
  noExtension,
);

/**
 * A validated message of one of these transactions.
 *
 * @throws RequestError naming every bad national field.
 */
export function parseSession<S extends z.ZodType>(infno: SessionInterface, schema: S, body: unknown): z.output<S> {
  // Every problem in Chinese, with its national path (problems.ts).
  const r = safeParseNational(schema, body ?? {});
  if (!r.ok) throw new RequestError(r.problems);
  const given = (r.data as { infno?: string }).infno;
  if (given !== undefined && given !== infno) {
    throw new RequestError([`infno: the message says ${given}, but this is ${infno} ${SESSION_NAMES[infno]} (POST /v1/national/${infno})`]);
  }
  return r.data;
}

/** The China day (yyyy-MM-dd) a message asks about: `time` (yyyy-MM-dd HH:mm:ss), else inf_time, else now. */
export function dayAsked(time: string | undefined, infTime: string | undefined, now: number): { day: string; at: number } {
  const t = time !== undefined && time !== '' ? time : infTime;
  const at = t !== undefined ? (parseInstant(t.replace(' ', 'T')) as number) : now;
  const day = new Date(at + 8 * 3_600_000).toISOString().slice(0, 10);
  return { day, at };
}
