/**
 * The reconciliation messages of the national interface (Hunan V1.1.27), in the platform's
 * envelope (公共输入参数, src/national/input.ts):
 *
 *   3201 医药机构费用结算对总账   input.data: insutype, clr_type, setl_optins, stmt_begndate,
 *        stmt_enddate, medfee_sumamt, fund_pay_sumamt, acct_pay, fixmedins_setl_cnt,
 *        refd_setl_flag?, fixmedins_refd_setl_flag
 *   3202 医药机构费用结算对明细账 input.data: setl_optins, file_qury_no?, stmt_begndate,
 *        stmt_enddate, medfee_sumamt, fund_pay_sumamt, cash_payamt, fixmedins_setl_cnt, clr_type,
 *        refd_setl_flag?, fixmedins_refd_setl_flag; and input.file, the detail file itself (表150)
 *
 * The platform takes 3202's file by 9101 (文件上传) and the message names it by file_qury_no; yibao
 * has no file service, so the file's text comes inline as `input.file` (the documented difference,
 * docs/national.md), and file_qury_no, when given, is kept as it is.
 *
 * Amounts are yuan (a number or a decimal string, at most two places); a total may be negative (the
 * refunds alone, refd_setl_flag 1). Dates are yyyy-MM-dd (China days of the settlement time).
 */
import { z } from 'zod';
import type { DetailRow } from '../clearing/detail.js';
import { DetailFileError, parseDetailFile } from '../clearing/national-file.js';
import { type Fen, formatYuan, parseYuan } from '../money/money.js';
import { safeParseNational } from './problems.js';
import { RequestError } from '../request/settle-request.js';
import { envelopeFields, flag, text } from './input.js';

/** The reconciliation transactions. */
export const CLEARING_INTERFACES = ['3201', '3202'] as const;
export type ClearingInterface = (typeof CLEARING_INTERFACES)[number];

export const CLEARING_INTERFACE_NAMES: Record<ClearingInterface, string> = {
  '3201': '医药机构费用结算对总账',
  '3202': '医药机构费用结算对明细账',
};

/** A total in yuan, a leading minus allowed (数值型 16,2) → fen. */
const total = z.union([z.number(), z.string()], { error: 'must be an amount in yuan (a number or a decimal string)' }).transform((v, ctx) => {
  const t = typeof v === 'number' ? String(v) : v.trim();
  const negative = t.startsWith('-');
  try {
    const fen = parseYuan(negative ? t.slice(1) : t);
    return negative ? -fen : fen;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/** 定点医药机构结算笔数: a count, a number or a string of digits. */
const settlements = z.union([z.number().int().min(0), z.string().regex(/^\d{1,9}$/)], { error: 'must be a count of settlements (a whole number)' }).transform(Number);

const day = z.string({ error: 'must be a date yyyy-MM-dd' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date yyyy-MM-dd');

const common = {
  /** 结算经办机构: the paying centre. */
  setl_optins: text(30).min(1, 'must not be empty'),
  /** 清算类别. */
  clr_type: text(30).min(1, 'must not be empty'),
  stmt_begndate: day,
  stmt_enddate: day,
  medfee_sumamt: total,
  fund_pay_sumamt: total,
  fixmedins_setl_cnt: settlements,
  /** 退费结算标志: 0 the settlements only, 1 the refunds only; absent: both. */
  refd_setl_flag: flag.optional(),
  /** 定点医药机构退费结算标志: accepted and echoed, not read (refd_setl_flag says which rows). */
  fixmedins_refd_setl_flag: flag,
};

const totalsData = z.strictObject({ insutype: text(6).min(1, 'must not be empty'), ...common, acct_pay: total });
const detailData = z.strictObject({ ...common, file_qury_no: text(30).optional(), cash_payamt: total });

const nothing = z.strictObject({});

export const totalsBodySchema = z.strictObject({
  ...envelopeFields,
  input: z.strictObject({ data: totalsData }, { error: 'must be an object { data: {...} }' }),
  yibao: nothing.optional(),
});

export const detailBodySchema = z.strictObject({
  ...envelopeFields,
  input: z.strictObject(
    {
      data: detailData,
      file: z.string({ error: 'must be the detail file’s text (表150)' }).meta({
        description:
          'The detail file (表150) inline, in place of 9101’s upload: setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag, tab-separated, one row a line.',
      }),
    },
    { error: 'must be an object { data: {...}, file: "…" }' },
  ),
  yibao: nothing.optional(),
});

export type TotalsBody = z.output<typeof totalsBodySchema>;
export type DetailBody = z.output<typeof detailBodySchema>;

function parse<S extends z.ZodType>(schema: S, infno: ClearingInterface, body: unknown): z.output<S> {
  const r = safeParseNational(schema, body ?? {});
  if (!r.ok) throw new RequestError(r.problems);
  const given = (r.data as { infno?: string }).infno;
  if (given !== undefined && given !== infno) {
    throw new RequestError([`infno: the message says ${given}, but this is ${infno} ${CLEARING_INTERFACE_NAMES[infno]} (POST /v1/national/${infno})`]);
  }
  return r.data;
}

/** A validated 3201 message. @throws RequestError naming each bad field. */
export function parseNational3201(body: unknown): TotalsBody {
  return parse(totalsBodySchema, '3201', body);
}

/** A validated 3202 message. @throws RequestError naming each bad field. */
export function parseNational3202(body: unknown): DetailBody {
  return parse(detailBodySchema, '3202', body);
}

/**
 * The rows of 3202's inline file, checked against the message's totals: medfee_sumamt,
 * fund_pay_sumamt and fixmedins_setl_cnt must be the file's sums (cash_payamt is not in the file).
 *
 * @throws DetailFileError (INVALID_FILE) naming the line and column of a bad cell, or each total the
 *   file contradicts.
 */
export function detailRowsOf3202(body: DetailBody): DetailRow[] {
  let rows: DetailRow[];
  try {
    rows = parseDetailFile(body.input.file);
  } catch (e) {
    if (e instanceof DetailFileError) throw new DetailFileError(`input.file: ${e.message}`, e.details);
    throw e;
  }
  const d = body.input.data;
  const sums = { medfee_sumamt: 0, fund_pay_sumamt: 0 } as Record<'medfee_sumamt' | 'fund_pay_sumamt', Fen>;
  for (const r of rows) {
    sums.medfee_sumamt += r.medfee_sumamt;
    sums.fund_pay_sumamt += r.fund_pay_sumamt;
  }
  const problems: string[] = [];
  for (const f of ['medfee_sumamt', 'fund_pay_sumamt'] as const) {
    if (d[f] !== sums[f]) problems.push(`data.${f}: ${formatYuan(d[f])}, but the file's rows sum to ${formatYuan(sums[f])}`);
  }
  if (d.fixmedins_setl_cnt !== rows.length) problems.push(`data.fixmedins_setl_cnt: ${d.fixmedins_setl_cnt}, but the file has ${rows.length} rows`);
  if (problems.length > 0) throw new DetailFileError(`input.file does not add up to the message's totals (文件与汇总不符): ${problems.join('; ')}`, { problems });
  return rows;
}
