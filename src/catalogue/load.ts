/**
 * Reading a catalogue file (三个目录, JSON; the format is in docs/national.md "The catalogue"):
 * every problem named with its path (`items[3].selfPayRatio: …`) in one error, nothing half-loaded.
 *
 * The codes of 目录类别 (list_type), 医疗收费项目类别 (med_chrgitm_type) and 收费项目等级
 * (chrgitm_lv) are those of the Hunan edition of the national interface specification (V1.1.27),
 * its code tables.
 */
import { z } from 'zod';
import { parseDate } from '../calendar/calendar.js';
import { YibaoError } from '../errors.js';
import { decimalProblem, PRICE, RATIO, scaled } from './decimal.js';
import type { Catalogue, CatalogueItem } from './types.js';

/** 目录类别 (list_type). */
export const LIST_TYPES: Readonly<Record<string, string>> = {
  '101': '西药中成药',
  '102': '中药饮片',
  '103': '自制剂',
  '104': '民族药',
  '105': '其他',
  '106': '中药配方颗粒',
  '201': '医疗服务项目',
  '301': '医用耗材',
};

/** 医疗收费项目类别 (med_chrgitm_type). */
export const CHARGE_TYPES: Readonly<Record<string, string>> = {
  '01': '床位费',
  '02': '诊察费',
  '03': '检查费',
  '04': '化验费',
  '05': '治疗费',
  '06': '手术费',
  '07': '护理费',
  '08': '卫生材料费',
  '09': '西药费',
  '10': '中药饮片费',
  '11': '中成药费',
  '12': '一般诊疗费',
  '13': '挂号费',
  '14': '其他费',
};

/** 收费项目等级 (chrgitm_lv). */
export const ITEM_CLASSES = { '01': '甲类', '02': '乙类', '03': '丙类' } as const;

/** At most this many items in one file. */
export const MAX_ITEMS = 1_000_000;

/** A catalogue file that cannot be used (INVALID_CATALOGUE): the file and each problem. */
export class CatalogueError extends YibaoError<'INVALID_CATALOGUE'> {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super('INVALID_CATALOGUE', `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} 处问题 / problems:\n  ${problems.join('\n  ')}`}`, { file, problems });
    this.name = 'CatalogueError';
  }
}

const text = (max: number) =>
  z
    .string({ error: '须为文本 / must be a string' })
    .min(1, '不可为空 / must not be empty')
    .max(max, `至多 ${max} 个字符 / at most ${max} characters`)
    .refine((v) => v.trim() === v && !/\p{Cc}/u.test(v), '不可含控制字符或首尾空白 / no control characters or surrounding blanks');

const codeOf = (table: Readonly<Record<string, string>>, what: string) =>
  z.string({ error: '须为文本 / must be a string' }).refine((v) => Object.hasOwn(table, v), {
    message: `${what}须为 ${Object.keys(table).join('/')} 之一 / must be one of its codes`,
  });

const decimal = (shape: typeof PRICE | typeof RATIO) =>
  z.string({ error: '须为十进制数文本 / must be a decimal number as text' }).superRefine((v, ctx) => {
    const problem = decimalProblem(v, shape);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

const date = z
  .string({ error: '须为日期 yyyy-MM-dd / must be a date yyyy-MM-dd' })
  .refine((v) => parseDate(v) !== undefined, '须为真实日期 yyyy-MM-dd / must be a real date yyyy-MM-dd');

const itemSchema = z
  .strictObject({
    code: text(50),
    name: text(200),
    listType: codeOf(LIST_TYPES, '目录类别'),
    chargeType: codeOf(CHARGE_TYPES, '医疗收费项目类别'),
    itemClass: z.enum(['01', '02', '03'], { error: '收费项目等级须为 01 甲类、02 乙类或 03 丙类 / must be "01", "02" or "03"' }),
    selfPayRatio: decimal(RATIO).optional(),
    priceLimit: decimal(PRICE).optional(),
    validFrom: date,
    validTo: date.optional(),
    source: text(500),
  })
  .superRefine((item, ctx) => {
    if (item.itemClass === '02' && item.selfPayRatio === undefined) {
      ctx.addIssue({ code: 'custom', path: ['selfPayRatio'], message: '乙类项目须有先行自付比例 / a 乙类 item needs its selfPayRatio' });
    }
    if (item.itemClass !== '02' && item.selfPayRatio !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['selfPayRatio'], message: `${ITEM_CLASSES[item.itemClass]}项目不设先行自付比例 / only a 乙类 item has a selfPayRatio` });
    }
    if (item.selfPayRatio !== undefined && decimalProblem(item.selfPayRatio, RATIO) === null && scaled(item.selfPayRatio, RATIO).value > 10_000n) {
      ctx.addIssue({ code: 'custom', path: ['selfPayRatio'], message: `须在 0 至 1 之间 / must be from 0 to 1: ${JSON.stringify(item.selfPayRatio)}` });
    }
    if (item.priceLimit !== undefined && decimalProblem(item.priceLimit, PRICE) === null && scaled(item.priceLimit, PRICE).value <= 0n) {
      ctx.addIssue({ code: 'custom', path: ['priceLimit'], message: `限价须大于 0 / must be more than 0: ${JSON.stringify(item.priceLimit)}` });
    }
    if (item.validTo !== undefined && item.validTo < item.validFrom) {
      ctx.addIssue({ code: 'custom', path: ['validTo'], message: `不可早于 validFrom ${item.validFrom} / must not be before validFrom` });
    }
  });

const fileSchema = z.strictObject({
  name: text(200),
  sample: z.boolean({ error: '须为 true 或 false / must be true or false' }),
  source: text(500).optional(),
  items: z.array(z.unknown(), { error: '须为项目列表 / must be a list of items' }).max(MAX_ITEMS, `至多 ${MAX_ITEMS} 项 / at most ${MAX_ITEMS} items`),
});

/** Zod's issues as `path: message` lines, the path in the file's words (`items[3].selfPayRatio`). */
function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const where = `${prefix}${path}`.replace(/^\./, '') || '(文件顶层 / top level)';
    const message = issue.code === 'unrecognized_keys' ? `未知字段 / unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
    return `${where}: ${message}`;
  });
}

/**
 * Parses a catalogue file's text.
 *
 * @param name the file's name, for the error.
 * @throws CatalogueError (INVALID_CATALOGUE) naming every bad item and field, and each code whose
 *   versions overlap.
 */
export function parseCatalogue(text: string, name: string): Catalogue {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CatalogueError(name, [`不是有效的 JSON / not valid JSON (${(e as Error).message})`]);
  }
  const file = fileSchema.safeParse(json);
  const problems: string[] = file.success ? [] : formatIssues(file.error.issues);
  // The items are checked even when the top level is not right, so that every problem is listed at once.
  const listed = (json as { items?: unknown } | null)?.items;
  const rawItems: readonly unknown[] = file.success ? file.data.items : Array.isArray(listed) && listed.length <= MAX_ITEMS ? listed : [];

  const byCode = new Map<string, { item: CatalogueItem; index: number }[]>();
  rawItems.forEach((raw, index) => {
    const r = itemSchema.safeParse(raw);
    if (!r.success) {
      problems.push(...formatIssues(r.error.issues, `items[${index}]`));
      return;
    }
    const item = withoutUndefined(r.data);
    const versions = byCode.get(item.code);
    if (versions) versions.push({ item, index });
    else byCode.set(item.code, [{ item, index }]);
  });

  const items = new Map<string, CatalogueItem[]>();
  for (const [code, versions] of byCode) {
    versions.sort((a, b) => (a.item.validFrom < b.item.validFrom ? -1 : a.item.validFrom > b.item.validFrom ? 1 : a.index - b.index));
    for (let i = 1; i < versions.length; i++) {
      const before = versions[i - 1] as (typeof versions)[number];
      const after = versions[i] as (typeof versions)[number];
      if (before.item.validTo === undefined || before.item.validTo >= after.item.validFrom) {
        problems.push(
          `items[${after.index}].validFrom: 编码 ${code} 的有效期与 items[${before.index}]（${before.item.validFrom} 至 ${before.item.validTo ?? '长期'}）重叠 / the versions of ${code} overlap`,
        );
      }
    }
    items.set(
      code,
      versions.map((v) => v.item),
    );
  }
  if (problems.length > 0) throw new CatalogueError(name, problems);
  const top = file.data as z.infer<typeof fileSchema>;
  return { name: top.name, sample: top.sample, items };
}

/** An item as the schema read it, without the keys it left out. */
function withoutUndefined(item: z.infer<typeof itemSchema>): CatalogueItem {
  const out: CatalogueItem = {
    code: item.code,
    name: item.name,
    listType: item.listType,
    chargeType: item.chargeType,
    itemClass: item.itemClass,
    validFrom: item.validFrom,
    source: item.source,
  };
  if (item.selfPayRatio !== undefined) out.selfPayRatio = item.selfPayRatio;
  if (item.priceLimit !== undefined) out.priceLimit = item.priceLimit;
  if (item.validTo !== undefined) out.validTo = item.validTo;
  return out;
}

/**
 * The version of `code` in force on `day` (yyyy-MM-dd, both ends included), if any.
 *
 * @example itemOn(catalogue, 'X', '2024-01-01')
 */
export function itemOn(catalogue: Catalogue, code: string, day: string): CatalogueItem | undefined {
  const versions = catalogue.items.get(code);
  if (!versions) return undefined;
  for (const v of versions) if (v.validFrom <= day && (v.validTo === undefined || day <= v.validTo)) return v;
  return undefined;
}
