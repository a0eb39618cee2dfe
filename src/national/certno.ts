/**
 * Certificate numbers (证件号码) of the persons' identities (人员身份信息), and the identity the agency
 * keeps beside the registry record (PUT /v1/persons/{id}/identity).
 *
 * A resident ID (居民身份证, psn_cert_type 01) is checked as GB 11643-1999 defines it: 18 characters,
 * 6 digits of the address code, the birth date yyyyMMdd (a real date, not in the future), a
 * 3-digit sequence whose last digit is odd for men and even for women, and the ISO 7064 MOD 11-2
 * check character (0–9 or X). Sex (gend) and birth date (brdy) are read from it when not given, and
 * a given one that disagrees is refused. Other certificate types are taken as sent (at most 50
 * characters).
 *
 * A certificate number is personal data: it is never logged, nor written into the audit log or an
 * error message in full; {@link maskCertno} shows its first and last four characters only.
 */
import { z } from 'zod';
import { formatDate, parseDate } from '../calendar/calendar.js';
import { formatIssues } from '../policy/schema.js';
import { RequestError } from '../request/settle-request.js';

/** 人员证件类型 (psn_cert_type), the specification's table. */
export const PSN_CERT_TYPES: Readonly<Record<string, string>> = {
  '01': '居民身份证（户口簿）',
  '02': '中国人民解放军军官证',
  '03': '中国人民武装警察警官证',
  '04': '香港特区护照/港澳居民来往内地通行证',
  '05': '澳门特区护照/港澳居民来往内地通行证',
  '06': '台湾居民来往大陆通行证',
  '07': '外国人永久居留证',
  '08': '外国人护照',
  '09': '残疾人证',
  '10': '军烈属证明',
  '11': '外国人就业证',
  '12': '外国专家证',
  '13': '外国人常驻记者证',
  '14': '台港澳人员就业证',
  '15': '回国（来华）定居专家证',
  '16': '中国护照',
  '17': '港澳台居民居住证',
  '90': '社会保障卡',
  '99': '其他身份证件',
  '990102': '扶贫人口编码',
  '990201': '医学出生证明',
};

/** 性别 (gend): 0 未知, 1 男, 2 女, 9 未说明性别. */
export const GENDERS: Readonly<Record<string, string>> = { '0': '未知', '1': '男', '2': '女', '9': '未说明性别' };

/** The resident ID's type (居民身份证). */
export const RESIDENT_ID = '01';

/** A certificate number as it may be shown: its first and last four characters, the rest `*` (4101**********1234). */
export function maskCertno(certno: string): string {
  if (certno.length <= 8) return '*'.repeat(certno.length);
  return `${certno.slice(0, 4)}${'*'.repeat(certno.length - 8)}${certno.slice(-4)}`;
}

/** GB 11643 weights of the first 17 characters (2^(18−i) mod 11) and the check characters by sum mod 11. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK = '10X98765432';

/** The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID. */
export function residentIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] as number);
  return CHECK[sum % 11] as string;
}

/** What a valid resident ID says of its holder. */
export interface ResidentId {
  /** 出生日期 yyyy-MM-dd. */
  brdy: string;
  /** 性别: 1 男 (odd sequence digit), 2 女 (even). */
  gend: '1' | '2';
}

/**
 * Reads a resident ID (居民身份证): its birth date and sex, or the problem with it. The problem
 * never repeats the number.
 *
 * @param today the China day it is (a birth date after it is refused).
 */
export function readResidentId(certno: string, today?: number): ResidentId | string {
  if (!/^\d{17}[\dX]$/.test(certno)) return 'a resident ID (居民身份证) is 18 characters: 17 digits and a check digit 0–9 or X (upper case)';
  const y = certno.slice(6, 10);
  const m = certno.slice(10, 12);
  const d = certno.slice(12, 14);
  const birth = parseDate(`${y}-${m}-${d}`);
  if (birth === undefined || Number(y) < 1850) return 'the birth date inside the resident ID (characters 7–14) is not a real date';
  if (today !== undefined && birth > today) return 'the birth date inside the resident ID (characters 7–14) is in the future';
  const check = residentIdCheck(certno.slice(0, 17));
  if (certno[17] !== check) return 'the check digit (GB 11643, ISO 7064 MOD 11-2) does not match: the number is mistyped';
  return { brdy: formatDate(birth), gend: Number(certno[16]) % 2 === 1 ? '1' : '2' };
}

const text = (max: number) => z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** PUT /v1/persons/{id}/identity: the identity as the national messages name its fields. */
export const identityBodySchema = z.strictObject({
  /** 人员证件类型. */
  psn_cert_type: z.enum(Object.keys(PSN_CERT_TYPES) as [string, ...string[]], { error: 'must be a code of 人员证件类型 (01 居民身份证…)' }),
  /** 证件号码. */
  certno: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(50, 'must be at most 50 characters')
    .regex(/^[0-9A-Za-z()（）-]+$/, 'may contain letters, digits, brackets and - only'),
  /** 人员姓名. */
  psn_name: text(50),
  /** 性别: read from a resident ID when not given. */
  gend: z.enum(['0', '1', '2', '9'], { error: 'must be 0 未知, 1 男, 2 女 or 9 未说明性别' }).optional(),
  /** 出生日期 yyyy-MM-dd: read from a resident ID when not given. */
  brdy: z
    .string({ error: 'must be a date yyyy-MM-dd' })
    .refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && parseDate(v) !== undefined, 'must be a real date yyyy-MM-dd')
    .optional(),
  /** 民族 (naty): the code as the agency keeps it. */
  naty: z
    .string({ error: 'must be a string' })
    .regex(/^\d{1,3}$/, 'must be a code of 民族 (1 to 3 digits)')
    .optional(),
});

/** An identity as checked: the fields of PersonIdentity without the person. */
export interface IdentityInput {
  psnCertType: string;
  certno: string;
  psnName: string;
  gend: string;
  brdy: string | null;
  naty: string | null;
}

/**
 * Checks an identity body. A resident ID gives gend and brdy when they are not given, and refuses
 * given ones that disagree; other types need gend (else 0 未知 is not assumed: the field is required).
 *
 * @throws RequestError listing every problem; no problem repeats the certificate number.
 */
export function parseIdentity(body: unknown, today?: number): IdentityInput {
  const r = identityBodySchema.safeParse(body ?? {});
  if (!r.success) throw new RequestError(formatIssues(r.error.issues));
  const b = r.data;
  const problems: string[] = [];
  let gend = b.gend;
  let brdy = b.brdy;
  if (b.psn_cert_type === RESIDENT_ID) {
    const id = readResidentId(b.certno, today);
    if (typeof id === 'string') problems.push(`certno: ${maskCertno(b.certno)}: ${id}`);
    else {
      if (gend !== undefined && gend !== id.gend)
        problems.push(`gend: ${gend} ${GENDERS[gend]} is not the sex the resident ID gives (${id.gend} ${GENDERS[id.gend]}); leave gend out to take the ID's`);
      if (brdy !== undefined && brdy !== id.brdy) problems.push(`brdy: ${brdy} is not the birth date the resident ID gives; leave brdy out to take the ID's`);
      gend ??= id.gend;
      brdy ??= id.brdy;
    }
  } else if (gend === undefined) {
    problems.push(`gend: required for psn_cert_type ${b.psn_cert_type} (only a resident ID, 01, gives the sex)`);
  }
  if (problems.length > 0) throw new RequestError(problems);
  return { psnCertType: b.psn_cert_type, certno: b.certno, psnName: b.psn_name, gend: gend as string, brdy: brdy ?? null, naty: b.naty ?? null };
}

/** 周岁: full years from a birth date (yyyy-MM-dd) to a China day (yyyy-MM-dd). */
export function ageOn(brdy: string, on: string): number {
  const [by, bm, bd] = brdy.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return Math.max(0, age);
}

/** Which of a message's fields carry a resident ID: [the type field, the code meaning 居民身份证, the number field]. */
export type ResidentIdFields = readonly (readonly [typeField: string, code: string, numberField: string])[];

/** 2201, 2401, 1101, 2206/2207: 人员证件类型 01 + 证件号码, 就诊凭证类型 02 + 就诊凭证编号. */
export const RESIDENT_ID_FIELDS: ResidentIdFields = [
  ['psn_cert_type', RESIDENT_ID, 'certno'],
  ['cert_type', RESIDENT_ID, 'certno'],
  ['mdtrt_cert_type', '02', 'mdtrt_cert_no'],
];

/**
 * Checks every resident ID a message's node carries (an empty one is left to the field's own
 * rule): the number is never repeated in the problem. For zod's superRefine on the node.
 */
export function refineResidentIds(fields: ResidentIdFields = RESIDENT_ID_FIELDS) {
  return (d: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    for (const [typeField, code, numberField] of fields) {
      const no = d[numberField];
      if (d[typeField] !== code || typeof no !== 'string' || no === '') continue;
      const r = readResidentId(no);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', path: [numberField], message: `居民身份证号码有误（${r}）` });
    }
  };
}
