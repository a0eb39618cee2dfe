/**
 * Editions of the national code tables (字典表 by province): which codes a platform uses and what
 * each stands for in the project's words. An edition is a JSON file (codes/<name>.json, or a
 * user's own file), validated here:
 *
 *   insutype       险种类型: codes, and the insutype of each scheme
 *   med_type       医疗类别: codes, the med_type of each visit type (answers), which visit
 *                  types a med_type is read as (messages; default: the first map reversed), and
 *                  which med_types are a stay's (住院: 2401/2403/2301 take only these, 2203 none;
 *                  default: the national table's and the Hunan edition's inpatient codes, see
 *                  {@link inpatientMedTypes})
 *   psn_type       人员类别: codes, the psn_type of each category (answers), and which category a
 *                  psn_type is read as (`?` stands for one digit: `11??` is 1101–1199)
 *   fund_pay_type  基金支付类型: codes, the fund_pay_type of each fund layer per scheme (null: none),
 *                  and those not part of fund_pay_sumamt (the personal account)
 *
 * `national` (codes/national.json) is the default; `hunan-v1.1.27` follows the Hunan edition of the
 * national interface specification (V1.1.27), §6.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CATEGORIES, SCHEMES, VISIT_TYPES, type Category, type Scheme, type VisitType } from '../domain.js';
import { YibaoError } from '../errors.js';
import { formatIssues } from '../policy/schema.js';

const codeMap = z.record(z.string().regex(/^[0-9A-Za-z]{1,10}$/, 'a code is 1–10 letters or digits'), z.string().min(1));
const perScheme = <T extends z.ZodType>(v: T) => z.strictObject(Object.fromEntries(SCHEMES.map((s) => [s, v])) as Record<Scheme, T>);

export const codeEditionSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'lowercase letters, digits, . and -'),
    title: z.string().min(1),
    source: z.string().min(1),
    insutype: z.strictObject({ codes: codeMap, scheme: perScheme(z.string()) }),
    med_type: z.strictObject({
      codes: codeMap,
      visitType: z.strictObject(Object.fromEntries(VISIT_TYPES.map((t) => [t, z.string()])) as Record<VisitType, z.ZodString>),
      read: z.record(z.string(), z.array(z.enum(VISIT_TYPES)).min(1)).optional(),
      inpatient: z.array(z.string()).min(1).optional(),
    }),
    psn_type: z.strictObject({
      codes: codeMap,
      category: z.partialRecord(z.enum(CATEGORIES), z.string()),
      read: z.record(z.string().regex(/^[0-9?]{1,10}$/, 'digits, ? for any one digit'), z.enum(CATEGORIES)),
    }),
    fund_pay_type: z.strictObject({
      codes: codeMap,
      layer: z.strictObject({
        pooled: perScheme(z.string().nullable()),
        'critical-illness': perScheme(z.string().nullable()),
        assistance: perScheme(z.string().nullable()),
        account: perScheme(z.string().nullable()),
      }),
      notInFundSum: z.array(z.string()),
    }),
  })
  .superRefine((e, ctx) => {
    // Every code an edition maps to must be in its own table.
    const need = (table: Record<string, string>, code: string | null, path: (string | number)[]) => {
      if (code !== null && !(code in table)) ctx.addIssue({ code: 'custom', path, message: `${code} is not in this edition's table` });
    };
    for (const [s, c] of Object.entries(e.insutype.scheme)) need(e.insutype.codes, c, ['insutype', 'scheme', s]);
    for (const [t, c] of Object.entries(e.med_type.visitType)) need(e.med_type.codes, c, ['med_type', 'visitType', t]);
    for (const c of Object.keys(e.med_type.read ?? {})) need(e.med_type.codes, c, ['med_type', 'read', c]);
    (e.med_type.inpatient ?? []).forEach((c, i) => need(e.med_type.codes, c, ['med_type', 'inpatient', i]));
    for (const [k, c] of Object.entries(e.psn_type.category)) need(e.psn_type.codes, c as string, ['psn_type', 'category', k]);
    for (const [l, m] of Object.entries(e.fund_pay_type.layer))
      for (const [s, c] of Object.entries(m)) need(e.fund_pay_type.codes, c as string | null, ['fund_pay_type', 'layer', l, s]);
  });

/** An edition of the code tables, validated. */
export type CodeEdition = z.output<typeof codeEditionSchema>;

/** The folder of the built-in editions: `codes/` at the package root (as policies/). */
export const BUILTIN_CODES_DIR = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'codes'))) return join(dir, 'codes');
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the codes/ folder of the yibao package');
    dir = up;
  }
})();

/** The built-in editions' names. */
export const BUILTIN_EDITIONS = ['national', 'hunan-v1.1.27'] as const;

/** @throws YibaoError INVALID_FILE naming every problem of the edition. */
export function parseCodeEdition(text: string, file: string): CodeEdition {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new YibaoError('INVALID_FILE', `${file}: not JSON: ${(e as Error).message}`);
  }
  const r = codeEditionSchema.safeParse(json);
  if (!r.success) throw new YibaoError('INVALID_FILE', `${file}: not a code edition: ${formatIssues(r.error.issues).join('; ')}`, { problems: formatIssues(r.error.issues) });
  return r.data;
}

/** A built-in edition by name, or an edition file by path. */
export function loadCodeEdition(nameOrFile: string): CodeEdition {
  const file = (BUILTIN_EDITIONS as readonly string[]).includes(nameOrFile) ? join(BUILTIN_CODES_DIR, `${nameOrFile}.json`) : nameOrFile;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new YibaoError('INVALID_FILE', `${nameOrFile}: neither a built-in code edition (${BUILTIN_EDITIONS.join(', ')}) nor a readable file: ${(e as Error).message}`);
  }
  return parseCodeEdition(text, file);
}

/** The default edition (codes/national.json): the codes yibao has always answered. */
export const NATIONAL_CODES: CodeEdition = loadCodeEdition('national');

/** The visit types a med_type is read as in an edition. */
export function readMedType(e: CodeEdition, medType: string): VisitType[] {
  if (e.med_type.read) return e.med_type.read[medType] ?? [];
  return (Object.keys(e.med_type.visitType) as VisitType[]).filter((t) => e.med_type.visitType[t] === medType);
}

/** The med_types an edition reads, in order. */
export function readMedTypes(e: CodeEdition): string[] {
  return e.med_type.read ? Object.keys(e.med_type.read) : [...new Set(Object.values(e.med_type.visitType))];
}

/** The category a psn_type is read as, if any (`?` one digit). */
export function readPsnType(e: CodeEdition, psnType: string): Category | undefined {
  for (const [pattern, category] of Object.entries(e.psn_type.read)) {
    if (pattern.length === psnType.length && [...pattern].every((ch, i) => (ch === '?' ? /\d/.test(psnType[i] as string) : ch === psnType[i]))) return category;
  }
  return undefined;
}

/**
 * The national table's inpatient med_types (住院): 21 普通住院, 22 外伤住院, 23 转外诊治住院, 24 急诊转住院,
 * 52 生育住院, 92 其他住院 — what an outpatient visit (2203) may not take in an edition naming none.
 */
const NATIONAL_INPATIENT = ['21', '22', '23', '24', '52', '92'];

/**
 * What a stay takes in an edition naming no inpatient med_types (the default, as yibao has always
 * taken them): the Hunan edition's inpatient codes (the Hunan edition of the national interface
 * specification (V1.1.27), §6 医疗类别: 2101 普通住院, 2102 单病种住院, 21303 精神病住院, 2105 康复治疗住院,
 * 2106/2107 生育平产/剖宫产(居民), 2109 新生儿抢救, 22 外伤住院, 28 日间手术, 52 生育住院) and the national
 * table's (21 普通住院, 23 转外诊治住院, 24 急诊转住院, 92 其他住院).
 */
const ANY_STAY: Record<string, string> = {
  '21': '普通住院',
  '2101': '普通住院',
  '2102': '单病种住院',
  '21303': '精神病住院',
  '2105': '康复治疗住院',
  '2106': '生育平产(居民)',
  '2107': '生育剖宫产(居民)',
  '2109': '新生儿抢救',
  '22': '外伤住院',
  '23': '转外诊治住院',
  '24': '急诊转住院',
  '28': '日间手术',
  '52': '生育住院',
  '92': '其他住院',
};

/**
 * The med_types a stay (2401/2403, 2301's rows) may take in an edition, with their names, in order (an
 * array: an object would put 22 before 2101):
 * the edition's `med_type.inpatient`, else (the default) {@link ANY_STAY}.
 */
export function inpatientMedTypes(e: CodeEdition): readonly (readonly [code: string, name: string])[] {
  if (e.med_type.inpatient) return e.med_type.inpatient.map((c) => [c, e.med_type.codes[c] as string] as const);
  return Object.entries(ANY_STAY);
}

/** Whether a med_type is an inpatient one (住院) of an edition: an outpatient visit (2203) may not take it. */
export function isInpatientMedType(e: CodeEdition, medType: string): boolean {
  return (e.med_type.inpatient ?? NATIONAL_INPATIENT).includes(medType);
}
