/**
 * The reconciliation (对账) of an institution's settlements with the ledger, as 3201 医药机构费用
 * 结算对总账 and 3202 医药机构费用结算对明细账 (Hunan V1.1.27) do it: the totals first, and when they
 * do not balance (不平) the detail, setl_id by setl_id.
 *
 * The ledger's side is the rows whose settlement time (结算时间) lies in the span
 * (stmt_begndate..stmt_enddate, 3202 重点说明 6): the caller selects them. A refund (退费) is two
 * ledger rows, the forward settlement F and its reverse R (R.reverses = F); when both lie in the span
 * the institution must list both (重点说明 2), when F lies before the span only R is expected.
 *
 * Every difference is classified:
 * - `missing-in-ledger`: a hospital row whose setl_id the ledger lacks in the span.
 * - `missing-in-hospital`: a ledger row the hospital's file lacks (and which is not half of a pair the
 *   hospital lists the other half of).
 * - `refund-incomplete`: (a) a refund pair in the span of which the hospital lists only one row,
 *   reported once, on the row it lacks; (b) a row both sides hold whose 退费结算标志 differs (a
 *   reverse row the ledger knows as a settlement, or the other way round).
 * - `amount-differs`: a row both sides hold, same flag, whose medfee_sumamt, fund_pay_sumamt or
 *   acct_pay differ.
 * - `field-differs`: a row both sides hold, same flag and amounts, whose mdtrt_id or psn_no differ.
 * - `duplicated`: a setl_id the hospital's file lists again; one of its rows is compared, the others
 *   are reported. The compared one is the row closest to the ledger's (fewest differing fields, then
 *   the rows' content), not the first in file order, so the outcome never depends on the order of
 *   the input.
 *
 * A row both sides hold yields at most one difference, and its `fields` lists every field that
 * differs (refd_setl_flag, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, in that
 * order); its class is the first that applies: refund-incomplete, amount-differs, field-differs.
 */
import { YibaoError } from '../errors.js';
import { type Fen, formatYuan } from '../money/money.js';
import type { DetailRow, LedgerDetailRow, RefundFlag } from './detail.js';
import type { ResultFileRow, StatementResult } from './national-file.js';

/** The classes of a difference, in the order results of one setl_id are sorted. */
export const DIFFERENCE_CLASSES = ['missing-in-ledger', 'missing-in-hospital', 'refund-incomplete', 'amount-differs', 'field-differs', 'duplicated'] as const;
export type DifferenceClass = (typeof DIFFERENCE_CLASSES)[number];

/** The fields compared for a setl_id both sides hold, in the order `fields` lists them. */
export const COMPARED_FIELDS = ['refd_setl_flag', 'mdtrt_id', 'psn_no', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

const AMOUNT_FIELDS = ['medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const;

/** The Chinese names the memos use (表150/表151). */
export const FIELD_LABELS: Readonly<Record<ComparedField, string>> = {
  refd_setl_flag: '退费结算标志',
  mdtrt_id: '就诊ID',
  psn_no: '人员编号',
  medfee_sumamt: '医疗费总额',
  fund_pay_sumamt: '基金支付总额',
  acct_pay: '个人账户支出',
};

/** A row's amounts, fen. */
export interface DetailAmounts {
  medfee_sumamt: Fen;
  fund_pay_sumamt: Fen;
  acct_pay: Fen;
}

/** A difference between the hospital's file and the ledger (对账不平的明细). */
export interface DetailDifference {
  setl_id: string;
  /** The ledger's when it holds the row, else the hospital's (likewise psn_no and refd_setl_flag). */
  mdtrt_id: string;
  psn_no: string;
  refd_setl_flag: RefundFlag;
  class: DifferenceClass;
  /** The fields that differ, for a row both sides hold; empty otherwise. */
  fields: ComparedField[];
  /** The hospital row's amounts; null when the hospital's file lacks the row. */
  hospital: DetailAmounts | null;
  /** The ledger row's amounts; null when the ledger lacks the row. */
  ledger: DetailAmounts | null;
  /** What a clerk reads (备注), in Chinese. */
  memo: string;
}

/** A row both sides hold alike (对账平). */
export interface MatchedDetail extends DetailAmounts {
  setl_id: string;
  mdtrt_id: string;
  psn_no: string;
  refd_setl_flag: RefundFlag;
}

/** The sums of one side: amounts (fen) and rows (笔数). */
export interface DetailSums extends DetailAmounts {
  count: number;
}

export interface DetailReconciliation {
  /** Sorted by setl_id, then class (the order of {@link DIFFERENCE_CLASSES}), then content. */
  differences: DetailDifference[];
  /** Sorted by setl_id. */
  matched: MatchedDetail[];
  totals: {
    matched: number;
    byClass: Record<DifferenceClass, number>;
    /** Every row of the hospital's file, repeated setl_ids included. */
    hospital: DetailSums;
    ledger: DetailSums;
  };
  /** No difference at all. */
  balanced: boolean;
}

/** The sums of rows. */
export function detailSums(rows: readonly DetailRow[]): DetailSums {
  const s: DetailSums = { medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, count: 0 };
  for (const r of rows) {
    s.medfee_sumamt += r.medfee_sumamt;
    s.fund_pay_sumamt += r.fund_pay_sumamt;
    s.acct_pay += r.acct_pay;
    s.count++;
  }
  return s;
}

function amountsOf(r: DetailRow): DetailAmounts {
  return { medfee_sumamt: r.medfee_sumamt, fund_pay_sumamt: r.fund_pay_sumamt, acct_pay: r.acct_pay };
}

function differingFields(h: DetailRow, l: DetailRow): ComparedField[] {
  return COMPARED_FIELDS.filter((f) => h[f] !== l[f]);
}

const FLAG_NAME: Readonly<Record<RefundFlag, string>> = { '0': '否', '1': '是' };

function fieldMemo(field: ComparedField, h: DetailRow, l: DetailRow): string {
  if (field === 'refd_setl_flag') return `${FIELD_LABELS[field]}不一致：医院 ${h[field]}（${FLAG_NAME[h[field]]}），医保 ${l[field]}（${FLAG_NAME[l[field]]}）`;
  if (field === 'mdtrt_id' || field === 'psn_no') return `${FIELD_LABELS[field]}不一致：医院 ${h[field]}，医保 ${l[field]}`;
  return `${FIELD_LABELS[field]}不一致：医院 ${formatYuan(h[field])} 元，医保 ${formatYuan(l[field])} 元`;
}

function differenceOf(h: DetailRow, l: LedgerDetailRow, fields: ComparedField[]): DetailDifference {
  const cls: DifferenceClass = fields.includes('refd_setl_flag')
    ? 'refund-incomplete'
    : fields.some((f) => (AMOUNT_FIELDS as readonly string[]).includes(f))
      ? 'amount-differs'
      : 'field-differs';
  const parts = fields.map((f) => fieldMemo(f, h, l));
  const amountsDiffer = AMOUNT_FIELDS.some((f) => h[f] !== l[f]);
  if (amountsDiffer && AMOUNT_FIELDS.every((f) => h[f] === -l[f])) parts.push('金额正负相反');
  return { ...identity(l), class: cls, fields, hospital: amountsOf(h), ledger: amountsOf(l), memo: parts.join('；') };
}

function identity(r: DetailRow): Pick<DetailDifference, 'setl_id' | 'mdtrt_id' | 'psn_no' | 'refd_setl_flag'> {
  return { setl_id: r.setl_id, mdtrt_id: r.mdtrt_id, psn_no: r.psn_no, refd_setl_flag: r.refd_setl_flag };
}

/** A row's content as a string that orders rows of one setl_id. */
function rowKey(r: DetailRow): string {
  return JSON.stringify([r.refd_setl_flag, r.mdtrt_id, r.psn_no, r.medfee_sumamt, r.fund_pay_sumamt, r.acct_pay]);
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares a hospital's detail with the ledger's rows of the same span, setl_id by setl_id.
 *
 * @throws YibaoError INTERNAL_INVARIANT when the ledger lists a setl_id twice.
 */
export function reconcileDetail(hospital: readonly DetailRow[], ledger: readonly LedgerDetailRow[]): DetailReconciliation {
  const ledgerById = new Map<string, LedgerDetailRow>();
  for (const l of ledger) {
    if (ledgerById.has(l.setl_id)) throw new YibaoError('INTERNAL_INVARIANT', `ledger: setl_id ${l.setl_id} is listed twice`, { setl_id: l.setl_id });
    ledgerById.set(l.setl_id, l);
  }
  // Refund pairs with both rows in the span: each row's partner.
  const partner = new Map<string, string>();
  for (const l of ledger) {
    if (l.reverses !== null && ledgerById.has(l.reverses)) {
      partner.set(l.setl_id, l.reverses);
      partner.set(l.reverses, l.setl_id);
    }
  }
  const groups = new Map<string, DetailRow[]>();
  for (const h of hospital) {
    const group = groups.get(h.setl_id);
    if (group) group.push(h);
    else groups.set(h.setl_id, [h]);
  }

  const differences: DetailDifference[] = [];
  const matched: MatchedDetail[] = [];
  for (const [id, rows] of groups) {
    const l = ledgerById.get(id);
    const ranked = rows.map((h) => ({ h, key: rowKey(h), fields: l ? differingFields(h, l) : [] })).sort((a, b) => a.fields.length - b.fields.length || byText(a.key, b.key));
    const [first, ...rest] = ranked as [(typeof ranked)[number], ...typeof ranked];
    const h = first.h;
    if (!l) {
      differences.push({
        ...identity(h),
        class: 'missing-in-ledger',
        fields: [],
        hospital: amountsOf(h),
        ledger: null,
        memo: `医保端对账期内无此${h.refd_setl_flag === '1' ? '退费' : ''}结算记录`,
      });
    } else if (first.fields.length === 0) {
      matched.push({ ...identity(l), ...amountsOf(l) });
    } else {
      differences.push(differenceOf(h, l, first.fields));
    }
    for (const d of rest) {
      differences.push({
        ...identity(d.h),
        class: 'duplicated',
        fields: [],
        hospital: amountsOf(d.h),
        ledger: l ? amountsOf(l) : null,
        memo: `医院文件中结算ID ${id} 重复（共 ${rows.length} 条），此条未参与比对`,
      });
    }
  }
  for (const l of ledger) {
    if (groups.has(l.setl_id)) continue;
    const other = partner.get(l.setl_id);
    const base = { ...identity(l), fields: [], hospital: null, ledger: amountsOf(l) };
    if (other !== undefined && groups.has(other)) {
      const memo =
        l.reverses === other
          ? `退费不完整：医院端有原结算 ${other}，缺少其退费结算 ${l.setl_id}（医保端同一对账期内已退费）`
          : `退费不完整：医院端有退费结算 ${other}，缺少其原结算 ${l.setl_id}（同一对账期内的退费须传正向和反向两条）`;
      differences.push({ ...base, class: 'refund-incomplete', memo });
    } else if (l.reverses !== null) {
      const where = ledgerById.has(l.reverses) ? '' : ' 不在本对账期内';
      differences.push({ ...base, class: 'missing-in-hospital', memo: `医院端无此退费结算记录（原结算 ${l.reverses}${where}）` });
    } else {
      differences.push({ ...base, class: 'missing-in-hospital', memo: other === undefined ? '医院端无此结算记录' : `医院端无此结算记录（已由 ${other} 退费）` });
    }
  }

  const keyed = differences.map((d) => ({ d, key: JSON.stringify(d) }));
  keyed.sort((a, b) => byText(a.d.setl_id, b.d.setl_id) || DIFFERENCE_CLASSES.indexOf(a.d.class) - DIFFERENCE_CLASSES.indexOf(b.d.class) || byText(a.key, b.key));
  matched.sort((a, b) => byText(a.setl_id, b.setl_id));
  const byClass = Object.fromEntries(DIFFERENCE_CLASSES.map((c) => [c, 0])) as Record<DifferenceClass, number>;
  for (const d of differences) byClass[d.class]++;
  return {
    differences: keyed.map((k) => k.d),
    matched,
    totals: { matched: matched.length, byClass, hospital: detailSums(hospital), ledger: detailSums(ledger) },
    balanced: differences.length === 0,
  };
}

/**
 * The rows of 3202's output file (表151) for a reconciliation: each matched row with stmt_rslt 0
 * (平) and each difference with 1 (不平) and its memo, sorted by setl_id; amounts are the ledger's
 * when it holds the row, else the hospital's. `msgid` gives a row's 发送方报文ID (empty by default);
 * `matched: false` leaves the matched rows out.
 */
export function resultFileRows(rec: DetailReconciliation, options: { msgid?: (setl_id: string) => string; matched?: boolean } = {}): ResultFileRow[] {
  const msgid = options.msgid ?? (() => '');
  const row = (r: MatchedDetail | DetailDifference, stmt_rslt: StatementResult, memo: string, amounts: DetailAmounts): ResultFileRow => ({
    psn_no: r.psn_no,
    mdtrt_id: r.mdtrt_id,
    setl_id: r.setl_id,
    msgid: msgid(r.setl_id),
    stmt_rslt,
    refd_setl_flag: r.refd_setl_flag,
    memo,
    ...amounts,
  });
  const out: ResultFileRow[] = [];
  if (options.matched ?? true) for (const m of rec.matched) out.push(row(m, '0', '', amountsOf(m)));
  for (const d of rec.differences) out.push(row(d, '1', d.memo, (d.ledger ?? d.hospital) as DetailAmounts));
  // Stable: a setl_id's difference rows keep their class order.
  return out.sort((a, b) => byText(a.setl_id, b.setl_id));
}

/** The figures 3201 compares (fen; a count of settlements). */
export interface StatementTotals {
  /** 医疗费总额. */
  medfee_sumamt: Fen;
  /** 基金支付总额. */
  fund_pay_sumamt: Fen;
  /** 个人账户支付金额. */
  acct_pay: Fen;
  /** 定点医药机构结算笔数. */
  fixmedins_setl_cnt: number;
}

/** The length of 对账结果说明 (stmt_rslt_dscr 字符型 200). */
export const STMT_RSLT_DSCR_MAX_LENGTH = 200;

const TOTAL_LABEL: Readonly<Record<keyof StatementTotals, string>> = {
  medfee_sumamt: '医疗费总额',
  fund_pay_sumamt: '基金支付总额',
  acct_pay: '个人账户支付金额',
  fixmedins_setl_cnt: '结算笔数',
};
const TOTAL_FIELDS = ['medfee_sumamt', 'fund_pay_sumamt', 'acct_pay', 'fixmedins_setl_cnt'] as const;

function figure(field: keyof StatementTotals, value: number): string {
  return field === 'fixmedins_setl_cnt' ? `${value} 笔` : `${formatYuan(value)} 元`;
}

/**
 * The result of 3201 医药机构费用结算对总账: the institution's claimed totals against the ledger's
 * for the same span. stmt_rslt 0 (平) when every figure agrees, else 1 (不平); stmt_rslt_dscr says so
 * in Chinese, naming each differing figure with both values and by how much the hospital's is more
 * or less, in at most 200 characters (the gaps are dropped when they would not fit; the text is
 * cut only if it still would not, which safe integers never need).
 *
 * @throws RangeError for a figure that is not a safe integer, or a negative count.
 * @example reconcileTotals({ medfee_sumamt: 12345, fund_pay_sumamt: 10000, acct_pay: 345, fixmedins_setl_cnt: 2 },
 *   { medfee_sumamt: 12340, fund_pay_sumamt: 10000, acct_pay: 345, fixmedins_setl_cnt: 2 })
 *   // { stmt_rslt: '1', stmt_rslt_dscr: '不平：医疗费总额 医院 123.45 元，医保 123.40 元（医院多 0.05 元）' }
 */
export function reconcileTotals(claimed: StatementTotals, ledger: StatementTotals): { stmt_rslt: StatementResult; stmt_rslt_dscr: string } {
  for (const [side, t] of [
    ['claimed', claimed],
    ['ledger', ledger],
  ] as const) {
    for (const f of TOTAL_FIELDS) {
      if (!Number.isSafeInteger(t[f]) || (f === 'fixmedins_setl_cnt' && t[f] < 0))
        throw new RangeError(`reconcileTotals: ${side}.${f} must be ${f === 'fixmedins_setl_cnt' ? 'a count' : 'fen, a safe integer'}, got ${t[f]}`);
    }
  }
  const differing = TOTAL_FIELDS.filter((f) => claimed[f] !== ledger[f]);
  if (differing.length === 0) {
    const all = TOTAL_FIELDS.map((f) => `${TOTAL_LABEL[f]} ${figure(f, ledger[f])}`).join('、');
    return { stmt_rslt: '0', stmt_rslt_dscr: clip(`平：${all}，双方一致`) };
  }
  const text = (withGap: boolean) =>
    `不平：${differing
      .map((f) => {
        const gap = claimed[f] - ledger[f];
        const more = withGap ? `（医院${gap > 0 ? '多' : '少'} ${figure(f, Math.abs(gap))}）` : '';
        return `${TOTAL_LABEL[f]} 医院 ${figure(f, claimed[f])}，医保 ${figure(f, ledger[f])}${more}`;
      })
      .join('；')}`;
  const full = text(true);
  return { stmt_rslt: '1', stmt_rslt_dscr: full.length <= STMT_RSLT_DSCR_MAX_LENGTH ? full : clip(text(false)) };
}

function clip(text: string): string {
  return text.length <= STMT_RSLT_DSCR_MAX_LENGTH ? text : `${text.slice(0, STMT_RSLT_DSCR_MAX_LENGTH - 1)}…`;
}
