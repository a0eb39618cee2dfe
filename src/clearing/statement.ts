/**
 * A month's clearing statements (清算单), built from the ledger's entries grouped by institution,
 * insured's district, policy, benefit and kind. Pure: the ledger (src/ledger/clearing.ts) reads the
 * groups and stores what this returns.
 *
 * Per institution × paying centre: the entries of the month net of reversals, by 险种 (insutype) ×
 * 清算类别 (clr_type) with counts and the national totals, and by 基金支付类型 (fund_pay_type); what
 * the centre pays the institution (fund_pay_sumamt + acct_pay: the patient paid the cash at the
 * desk); the reversals of entries of months already closed, as this month's adjustment (以前月份
 * 退费调整); and the deposits a policy withholds (Puyang 第十九条: 参照执行职工医保年度质量保证金相关
 * 规定), or, where the documents leave the figure to rules not in the project, what is missing.
 * Amounts in the bodies are yuan numbers (exact to the fen); the ledger's columns keep fen.
 */
import { applyRate, toYuanNumber, type Fen } from '../money/money.js';
import type { ParamVersion } from '../policy/model.js';
import type { CentreBasis } from './centres.js';
import { clearingClass, fundsOf, nationalTotals, type EntryAmounts } from './funds.js';

/** Entries of a month with the same institution, insured's district, policy, benefit and kind. */
export interface EntryGroup extends EntryAmounts {
  institution: string;
  /** The insured's district code, '' when none is on file. */
  district: string;
  policy: string;
  benefit: string;
  kind: 'settlement' | 'reversal';
  /** Reversals of entries made before the month (their month is closed): the adjustment. */
  adjustment: boolean;
  count: number;
}

/** A policy's deposit rule: its parameter version in force, or undefined when the pack has none. */
export interface DepositRule {
  policy: string;
  path: string;
  version: ParamVersion;
}

export interface Totals {
  medfee_sumamt: Fen;
  fund_pay_sumamt: Fen;
  acct_pay: Fen;
  cash_payamt: Fen;
}

/** One statement, in fen, before it is written. */
export interface Statement {
  institution: string;
  centre: CentreBasis;
  settlements: number;
  reversals: number;
  totals: Totals;
  payable: Fen;
  body: Record<string, unknown>;
}

/** What was paid for a district's insured through one centre. */
export interface DistrictPaid {
  district: string;
  centre: string;
  entries: number;
  fund_pay_sumamt: Fen;
  acct_pay: Fen;
  body: Record<string, unknown>;
}

const zero = (): Totals => ({ medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, cash_payamt: 0 });

function add(t: Totals, g: EntryAmounts): void {
  const n = nationalTotals(g);
  t.medfee_sumamt += n.medfee_sumamt;
  t.fund_pay_sumamt += n.fund_pay_sumamt;
  t.acct_pay += n.acct_pay;
  t.cash_payamt += n.cash_payamt;
}

const yuanTotals = (t: Totals) => ({
  medfee_sumamt: toYuanNumber(t.medfee_sumamt),
  fund_pay_sumamt: toYuanNumber(t.fund_pay_sumamt),
  acct_pay: toYuanNumber(t.acct_pay),
  cash_payamt: toYuanNumber(t.cash_payamt),
});

/** A group whose benefit is not `<scheme>-<visit type>`: a broken ledger, not bad input. */
export class ClearingClassError extends Error {
  constructor(benefit: string) {
    super(`benefit ${JSON.stringify(benefit)} has no clearing class (insutype, clr_type)`);
  }
}

interface ClassLine {
  insutype: string;
  insutype_name: string;
  clr_type: string;
  clr_type_name: string;
  settlements: number;
  reversals: number;
  totals: Totals;
}

interface FundLine {
  insutype: string;
  clr_type: string;
  fund_pay_type: string;
  fund_pay_type_name: string;
  amount: Fen;
}

/**
 * The statements of a month, one per institution, and what was paid per district.
 *
 * @param centreOf the institution's paying centre (every institution of `groups` must have one).
 * @param depositOf the deposit rule of a policy, or undefined when its pack has none.
 */
export function buildStatements(input: {
  period: string;
  groups: readonly EntryGroup[];
  centreOf: (institution: string) => CentreBasis;
  depositOf: (policy: string) => DepositRule | undefined;
}): { statements: Statement[]; districts: DistrictPaid[] } {
  const byInstitution = new Map<string, EntryGroup[]>();
  for (const g of input.groups) {
    const list = byInstitution.get(g.institution);
    if (list) list.push(g);
    else byInstitution.set(g.institution, [g]);
  }
  const statements: Statement[] = [];
  for (const institution of [...byInstitution.keys()].sort()) {
    statements.push(statementOf(input.period, institution, byInstitution.get(institution) as EntryGroup[], input.centreOf(institution), input.depositOf));
  }
  return { statements, districts: districtsOf(input.groups, input.centreOf) };
}

function statementOf(period: string, institution: string, groups: readonly EntryGroup[], centre: CentreBasis, depositOf: (policy: string) => DepositRule | undefined): Statement {
  const classes = new Map<string, ClassLine>();
  const funds = new Map<string, FundLine>();
  const totals = zero();
  const adjustment = zero();
  let settlements = 0;
  let reversals = 0;
  let adjusted = 0;
  /** The pooled-fund part (统筹基金支付的部分) by policy: what a deposit is reckoned on. */
  const pooledByPolicy = new Map<string, Fen>();
  for (const g of groups) {
    const c = clearingClass(g.benefit);
    if (!c) throw new ClearingClassError(g.benefit);
    const key = `${c.insutype.code}|${c.clrType.code}`;
    let line = classes.get(key);
    if (!line) {
      line = { insutype: c.insutype.code, insutype_name: c.insutype.name, clr_type: c.clrType.code, clr_type_name: c.clrType.name, settlements: 0, reversals: 0, totals: zero() };
      classes.set(key, line);
    }
    if (g.kind === 'settlement') {
      line.settlements += g.count;
      settlements += g.count;
    } else {
      line.reversals += g.count;
      reversals += g.count;
    }
    add(line.totals, g);
    add(totals, g);
    if (g.adjustment) {
      adjusted += g.count;
      add(adjustment, g);
    }
    for (const f of fundsOf(c, g)) {
      const fk = `${key}|${f.fundPayType.code}`;
      const fl = funds.get(fk);
      if (fl) fl.amount += f.amount;
      else funds.set(fk, { insutype: c.insutype.code, clr_type: c.clrType.code, fund_pay_type: f.fundPayType.code, fund_pay_type_name: f.fundPayType.name, amount: f.amount });
    }
    pooledByPolicy.set(g.policy, (pooledByPolicy.get(g.policy) ?? 0) + g.fund);
  }
  const payable = totals.fund_pay_sumamt + totals.acct_pay;
  const deposits: Record<string, unknown>[] = [];
  const missing: Record<string, unknown>[] = [];
  let withheld: Fen | null = 0;
  for (const policy of [...pooledByPolicy.keys()].sort()) {
    const rule = depositOf(policy);
    if (!rule) continue;
    const base = pooledByPolicy.get(policy) as Fen;
    const v = rule.version;
    const cite = { parameter: rule.path, document: v.document, article: v.article, citation: v.citation, quote: v.quote ?? null };
    if (typeof v.value !== 'number') {
      withheld = null;
      const message = `缺少参数 ${rule.path}（${v.citation}）：${v.missing ?? '文件未给出'}`;
      missing.push({ ...cite, message });
      deposits.push({ policy, ...cite, base: toYuanNumber(base), rate: null, amount: null, text: message });
      continue;
    }
    const amount = applyRate(base, v.value);
    if (withheld !== null) withheld += amount;
    deposits.push({
      policy,
      ...cite,
      base: toYuanNumber(base),
      rate: v.text,
      amount: toYuanNumber(amount),
      supplied: v.supplied,
      text: `质量保证金：统筹基金支付${toYuanNumber(base)}元 × ${v.text} = ${toYuanNumber(amount)}元（${v.citation}${v.supplied === 'user' ? '，用户提供' : ''}）`,
    });
  }
  const classLines = [...classes.values()].sort((a, b) => (a.insutype + a.clr_type).localeCompare(b.insutype + b.clr_type));
  const fundLines = [...funds.values()].sort((a, b) => `${a.insutype}${a.clr_type}${a.fund_pay_type}`.localeCompare(`${b.insutype}${b.clr_type}${b.fund_pay_type}`));
  const c = centre.centre;
  const text = [
    `${period} 清算单：机构 ${institution}，支付经办机构 ${c.name}（${c.id}）；${centre.text}。`,
    `结算 ${settlements} 笔，退费 ${reversals} 笔（其中以前月份退费调整 ${adjusted} 笔）；医疗费总额 ${toYuanNumber(totals.medfee_sumamt)} 元，基金支付 ${toYuanNumber(totals.fund_pay_sumamt)} 元，个人账户支付 ${toYuanNumber(totals.acct_pay)} 元，现金支付 ${toYuanNumber(totals.cash_payamt)} 元。`,
    `应支付机构 ${toYuanNumber(payable)} 元（基金支付 + 个人账户支付）${withheld === null ? '；质量保证金缺少参数，预留后应付额暂不能确定' : withheld > 0 ? `；预留质量保证金 ${toYuanNumber(withheld)} 元后应付 ${toYuanNumber(payable - withheld)} 元` : ''}。`,
  ];
  const body = {
    period,
    institution,
    centre: { id: c.id, name: c.name, level: c.level, basis: centre.basis, citation: centre.citation, text: centre.text },
    settlements,
    reversals,
    totals: { ...yuanTotals(totals), payable: toYuanNumber(payable) },
    classes: classLines.map((l) => ({ ...l, totals: yuanTotals(l.totals) })),
    funds: fundLines.map((f) => ({ ...f, amount: toYuanNumber(f.amount) })),
    adjustments: { reversals: adjusted, ...yuanTotals(adjustment), payable: toYuanNumber(adjustment.fund_pay_sumamt + adjustment.acct_pay) },
    deposits,
    payableAfterDeposits: withheld === null ? null : toYuanNumber(payable - withheld),
    missing,
    text,
  };
  return { institution, centre, settlements, reversals, totals, payable, body };
}

function districtsOf(groups: readonly EntryGroup[], centreOf: (institution: string) => CentreBasis): DistrictPaid[] {
  const out = new Map<string, { district: string; centre: string; entries: number; totals: Totals; funds: Map<string, Fen> }>();
  for (const g of groups) {
    const centre = centreOf(g.institution).centre.id;
    const key = `${g.district}|${centre}`;
    let d = out.get(key);
    if (!d) {
      d = { district: g.district, centre, entries: 0, totals: zero(), funds: new Map() };
      out.set(key, d);
    }
    d.entries += g.count;
    add(d.totals, g);
    const c = clearingClass(g.benefit);
    if (!c) throw new ClearingClassError(g.benefit);
    for (const f of fundsOf(c, g)) d.funds.set(f.fundPayType.code, (d.funds.get(f.fundPayType.code) ?? 0) + f.amount);
  }
  return [...out.values()]
    .sort((a, b) => (a.district + a.centre).localeCompare(b.district + b.centre))
    .map((d) => ({
      district: d.district,
      centre: d.centre,
      entries: d.entries,
      fund_pay_sumamt: d.totals.fund_pay_sumamt,
      acct_pay: d.totals.acct_pay,
      body: {
        ...yuanTotals(d.totals),
        funds: [...d.funds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([fund_pay_type, amount]) => ({ fund_pay_type, amount: toYuanNumber(amount) })),
      },
    }));
}
