/**
 * What `yibao his-sim` checks of the answers (issue 15): the identities of a settlement's figures
 * in fen (基金支付总额 + 个人负担总金额 + 医院负担金额 = 医疗费总额; 个人负担 = 个人账户 + 个人现金;
 * the fund rows of setldetail add up to 基金支付总额), a pre-settlement equal to its settlement, a
 * reversal the exact negation of its settlement, fee details whose parts add up. Amounts are read
 * exactly (parseYuan): never a float sum.
 */
import { AmountError, parseYuan, type Fen } from '../money/money.js';
import type { FeeDetailResult, SetlDetail, SetlInfo } from '../client/messages.js';

/** 平 balanced, 不平 a figure differs, 拒绝 refused, 未提供 the service has no such transaction, 出错 no answer. */
export type StepStatus = 'balanced' | 'unbalanced' | 'refused' | 'unavailable' | 'failed';

/** One step of the day: a transaction sent and what its answer was checked for. */
export interface Step {
  n: number;
  infno: string;
  name: string;
  /** Whom or what the step is about (a person, a visit, a class). */
  subject: string;
  status: StepStatus;
  /** err_msg of a refusal, the reason of a failure, or a note. */
  message?: string;
  checks: Check[];
}

/** Outcome of one step's body. */
export interface Outcome<T> {
  result: T;
  checks?: Check[];
  message?: string;
}

/** One check: what was compared, whether it held, and the figures. */
export interface Check {
  label: string;
  ok: boolean;
  detail: string;
}

/** An amount of an answer in fen; null/absent → undefined; not an amount → NaN. */
export function fenOf(v: unknown): Fen | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return Number.NaN;
  // A reversal's amounts are negative; parseYuan reads magnitudes.
  const text = String(v);
  const negative = text.startsWith('-');
  try {
    const f = parseYuan(negative ? text.slice(1) : text);
    return negative ? -f : f;
  } catch (e) {
    if (e instanceof AmountError) return Number.NaN;
    throw e;
  }
}

/** fen → yuan text. */
export const yuan = (f: Fen | undefined): string => (f === undefined ? '—' : Number.isNaN(f) ? '（非金额）' : (f < 0 ? '-' : '') + (Math.abs(f) / 100).toFixed(2));

const z = (f: Fen | undefined) => f ?? 0;

/** a = b, in fen, as a check. */
export function equal(label: string, a: Fen | undefined, b: Fen | undefined, names = ['', '']): Check {
  const ok = a !== undefined && b !== undefined && a === b;
  return { label, ok, detail: `${names[0]}${yuan(a)} ${ok ? '=' : '≠'} ${names[1]}${yuan(b)}` };
}

/** The setlinfo identities (and setldetail's sum), each a check. */
export function settlementChecks(info: SetlInfo, detail: SetlDetail[] | undefined): Check[] {
  const medfee = fenOf(info.medfee_sumamt);
  const fund = fenOf(info.fund_pay_sumamt);
  const part = fenOf(info.psn_part_amt);
  const hosp = z(fenOf(info.hosp_part_amt));
  const checks: Check[] = [
    equal('基金支付总额 + 个人负担总金额 + 医院负担金额 = 医疗费总额', z(fund) + z(part) + hosp, medfee),
    equal('个人账户支出 + 个人现金支出 = 个人负担总金额', z(fenOf(info.acct_pay)) + z(fenOf(info.psn_cash_pay)), part),
    equal(
      '全自费 + 超限价 + 先行自付 + 符合政策范围 = 医疗费总额',
      z(fenOf(info.fulamt_ownpay_amt)) + z(fenOf(info.overlmt_selfpay)) + z(fenOf(info.preselfpay_amt)) + z(fenOf(info.inscp_scp_amt)),
      medfee,
    ),
  ];
  if (detail) {
    // The personal account's row (310200) is in psn_part_amt, not in the fund's sum (docs/national.md).
    const rows = detail.filter((d) => d.fund_pay_type !== '310200');
    checks.push(
      equal(
        '结算基金分项之和 = 基金支付总额',
        rows.reduce((n, d) => n + z(fenOf(d.fund_payamt)), 0),
        fund,
      ),
    );
  }
  return checks;
}

/** The figures compared between a pre-settlement and its settlement, or a settlement and its reversal. */
const FIGURES = [
  'medfee_sumamt',
  'fulamt_ownpay_amt',
  'inscp_scp_amt',
  'act_pay_dedc',
  'hifp_pay',
  'hifmi_pay',
  'hifob_pay',
  'maf_pay',
  'fund_pay_sumamt',
  'psn_part_amt',
  'acct_pay',
  'psn_cash_pay',
] as const;

/** Each figure of `b` equal to `a`'s (sign −1: its negation). */
export function sameFigures(label: string, a: SetlInfo, b: SetlInfo, sign: 1 | -1 = 1, figures: readonly (keyof SetlInfo & string)[] = FIGURES): Check {
  const off = figures.filter((f) => {
    const x = fenOf(a[f]);
    const y = fenOf(b[f]);
    return z(x) * sign !== z(y);
  });
  return {
    label,
    ok: off.length === 0,
    detail: off.length === 0 ? `${figures.length} 项金额一致` : off.map((f) => `${f} ${yuan(fenOf(a[f]))} / ${yuan(fenOf(b[f]))}`).join('；'),
  };
}

/** The figures 5203's setlinfo (表269) shares with a settlement's (表86). */
export const QUERY_FIGURES = [
  'medfee_sumamt',
  'fulamt_ownpay_amt',
  'inscp_scp_amt',
  'act_pay_dedc',
  'hifp_pay',
  'hifmi_pay',
  'hifob_pay',
  'maf_pay',
  'fund_pay_sumamt',
  'acct_pay',
] as const;

/** A fee detail's parts add up to its total; and the totals of the rows. */
export function feeDetailChecks(rows: FeeDetailResult[], sent: Fen): { checks: Check[]; inscp: Fen; fulamt: Fen } {
  const bad = rows.filter(
    (r) => z(fenOf(r.fulamt_ownpay_amt)) + z(fenOf(r.overlmt_amt)) + z(fenOf(r.preselfpay_amt)) + z(fenOf(r.inscp_scp_amt)) !== z(fenOf(r.det_item_fee_sumamt)),
  );
  const total = rows.reduce((n, r) => n + z(fenOf(r.det_item_fee_sumamt)), 0);
  return {
    checks: [
      {
        label: '每条明细：全自费 + 超限价 + 先行自付 + 符合政策范围 = 明细项目费用总额',
        ok: bad.length === 0,
        detail: bad.length === 0 ? `${rows.length} 条均相符` : `不符：${bad.map((r) => r.feedetl_sn).join('、')}`,
      },
      equal('明细项目费用总额之和 = 上传金额', total, sent, ['中心 ', '医院 ']),
    ],
    inscp: rows.reduce((n, r) => n + z(fenOf(r.inscp_scp_amt)), 0),
    fulamt: rows.reduce((n, r) => n + z(fenOf(r.fulamt_ownpay_amt)), 0),
  };
}

/** A row of the hospital's own ledger: a settlement (+) or a reversal (−), in fen; what 3201 and 3202 are sent. */
export interface Row {
  clrType: string;
  medfee: Fen;
  fund: Fen;
  acct: Fen;
  cash: Fen;
  /** 结算ID (a reversal's own), 就诊ID, 人员编号, 退费结算标志 (1 a reversal): 3202's file. */
  setlId: string;
  mdtrtId: string;
  psnNo: string;
  refd: '0' | '1';
}

export const fen0 = (v: unknown) => fenOf(v) ?? 0;

/** The ledger's row of a settlement or (refd 1) of its reversal, as its answer gave it. */
export function rowOf(clrType: string, s: SetlInfo, psnNo: string, refd: '0' | '1' = '0'): Row {
  const f = (v: unknown) => fen0(v);
  return {
    clrType,
    medfee: f(s.medfee_sumamt),
    fund: f(s.fund_pay_sumamt),
    acct: f(s.acct_pay),
    cash: f(s.psn_cash_pay),
    setlId: s.setl_id ?? '',
    mdtrtId: s.mdtrt_id ?? '',
    psnNo,
    refd,
  };
}
