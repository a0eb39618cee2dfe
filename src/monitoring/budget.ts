/**
 * Budget accounts (预算账户) and their statements (预算执行情况): per pooling area (县区, the
 * district code), year and account, what the agency budgeted, what the account carried in, what it
 * spent month by month, its balance and any overspending, the projection to the year's end and
 * the warning (洛医保〔2023〕63号 三(一); 洛医保〔2022〕36号 第三条).
 *
 * Accounts (budget-policy.ts): a benefit's pooled fund (统筹基金) of the insured of the area —
 * its spending the fund paid on their settlements, students' outpatient pooling excepted; the
 * students' account (大学生门诊统筹) — the pooled fund paid on the outpatient settlements of
 * persons of category student; the family-doctor fee (家庭医生签约服务费, 分账管理) — the payments
 * the agency records.
 *
 * The students' account is managed 总额预算、超支不补、结余滚存 (36号 第三条): what a year leaves
 * (budget + carried in − spent) rolls into the next; what it overspends is reported and not made
 * good, so a year never carries in less than nothing. The chain starts with the first year the
 * account has a budget; a year without one has a budget of nothing.
 */
import { dayOf, formatDate, yearOf, yearStart, type DayNumber } from '../calendar/calendar.js';
import { formatYuan, type Fen } from '../money/money.js';
import { STUDENT_ACCOUNT, type AccountKind, type BudgetBasis } from './budget-policy.js';
import { projectYearEnd, type Projection, type YearSeries } from './projection.js';
import type { Citation } from './types.js';
import { evaluateWarning, type WarningResult, type WarningSetting } from './warning.js';

/** A budget as recorded: the newest revision of an area, year and account is in force. */
export interface BudgetRecord {
  id: string;
  area: string;
  year: number;
  account: string;
  amount: Fen;
  basis: BudgetBasis;
  note: string | null;
  /** The client's request id. */
  requestId: string;
  recordedBy: string;
  /** Epoch ms. */
  recordedAt: number;
}

/** What the students' account carried in from the year before (结余滚存), and how. */
export interface CarryIn {
  fromYear: number;
  /** The year before's budget (null: none recorded, taken as nothing). */
  previousBudget: Fen | null;
  previousCarriedIn: Fen;
  previousSpent: Fen;
  /** budget + carried in − spent of the year before, when positive. */
  previousSurplus: Fen;
  /** spent − (budget + carried in) of the year before, when positive: reported, not made good (超支不补). */
  previousOverspent: Fen;
  amount: Fen;
  /** The rule (studentOutpatientBudgetMethod) in force in the year before; null when none, and nothing rolls. */
  rule: Citation | null;
  text: string;
}

/** One account's statement for a year, as at a report day. */
export interface AccountStatement {
  area: string;
  year: number;
  account: string;
  kind: AccountKind;
  label: string;
  /** The last day counted (YYYY-MM-DD); spending after it is not in the figures. */
  asOf: string;
  /** Days of the year counted (0 before the year, all after it). */
  elapsed: number;
  budget: BudgetRecord | null;
  carriedIn: Fen;
  carry: CarryIn | null;
  /** Budget + carried in; null without a budget. */
  available: Fen | null;
  /** Spent in each month (January first), fen; months after the report day are 0. */
  months: Fen[];
  spentToDate: Fen;
  /** available − spent; null without a budget. */
  balance: Fen | null;
  /** spent − available when positive (超支), else 0; null without a budget. */
  overspent: Fen | null;
  projection: Projection | null;
  warning: WarningResult;
  notes: string[];
}

/** Days in a year. */
export const daysInYear = (year: number): number => yearStart(year + 1) - yearStart(year);

/** An empty year of days. */
export const emptyYear = (year: number): Fen[] => new Array<Fen>(daysInYear(year)).fill(0);

/** Adds day amounts into years of days: `add(day, fen)`, then `series` by year. */
export class DailySeries {
  readonly byYear = new Map<number, Fen[]>();

  add(day: DayNumber, fen: Fen): void {
    const year = yearOf(day);
    let days = this.byYear.get(year);
    if (!days) this.byYear.set(year, (days = emptyYear(year)));
    days[day - yearStart(year)] = (days[day - yearStart(year)] as number) + fen;
  }

  year(year: number): Fen[] {
    return this.byYear.get(year) ?? emptyYear(year);
  }

  total(year: number): Fen {
    return this.year(year).reduce((s, x) => s + x, 0);
  }
}

/**
 * The past years the ledger holds whole, before `year`: those from the first with an entry in its
 * January (`firstEntryDay` on or before 31 January), up to `year` − 1, at most `max` of the latest.
 */
export function completeYears(firstEntryDay: DayNumber | null, year: number, max: number): number[] {
  if (firstEntryDay === null) return [];
  const first = yearOf(firstEntryDay);
  const from = firstEntryDay <= dayOf(first, 1, 31) ? first : first + 1;
  const out: number[] = [];
  for (let y = Math.max(from, year - max); y < year; y++) out.push(y);
  return out;
}

/**
 * The students' carry into `year` (结余滚存, 超支不补): the chain from the first year with a budget.
 *
 * @param budgets the budget in force of each year (amounts), any years.
 * @param spent spent in a year.
 * @param ruleOf the rule in force in a year, undefined when none (nothing rolls from it).
 */
export function carryInto(year: number, budgets: ReadonlyMap<number, Fen>, spent: (year: number) => Fen, ruleOf: (year: number) => Citation | undefined): CarryIn | null {
  const years = [...budgets.keys()].filter((y) => y < year);
  if (years.length === 0) return null;
  let carried = 0;
  let last: CarryIn | null = null;
  for (let y = Math.min(...years); y < year; y++) {
    const budget = budgets.get(y) ?? null;
    const available = (budget ?? 0) + carried;
    const used = spent(y);
    const rule = ruleOf(y) ?? null;
    const surplus = Math.max(0, available - used);
    const overspent = Math.max(0, used - available);
    const amount = rule ? surplus : 0;
    const why = rule
      ? overspent > 0
        ? `${y} 年超支 ${formatYuan(overspent)} 元，超支不补，结转 0 元（${rule.document} ${rule.article}）`
        : `${y} 年结余 ${formatYuan(surplus)} 元滚存至 ${y + 1} 年（${rule.document} ${rule.article}）`
      : `${y} 年无结余滚存的政策依据，不结转`;
    last = {
      fromYear: y,
      previousBudget: budget,
      previousCarriedIn: carried,
      previousSpent: used,
      previousSurplus: surplus,
      previousOverspent: overspent,
      amount,
      rule,
      text: `${why}：预算 ${budget === null ? '未录入（按 0 计）' : `${formatYuan(budget)} 元`}，上年结转 ${formatYuan(carried)} 元，支出 ${formatYuan(used)} 元`,
    };
    carried = amount;
  }
  return last;
}

/** What {@link accountStatement} reads. */
export interface StatementInput {
  area: string;
  year: number;
  /** The report day: the last day counted. */
  asOf: DayNumber;
  account: { account: string; kind: AccountKind; label: string };
  /** The budget in force of each year for this area and account (the statement's year and those before). */
  budgets: ReadonlyMap<number, BudgetRecord>;
  /** This account's spending by day. */
  series: DailySeries;
  /** The past complete years (completeYears). */
  pastYears: readonly number[];
  /** The students' rollover rule in force in a year (surplusRule); unused for other accounts. */
  surplusRule: (year: number) => Citation | undefined;
  warning: WarningSetting | undefined;
}

/** Spending by month of a year, up to `elapsed` days. */
function monthsOf(year: number, daily: readonly Fen[], elapsed: number): Fen[] {
  const out = new Array<Fen>(12).fill(0);
  const start = yearStart(year);
  for (let m = 1; m <= 12; m++) {
    const from = dayOf(year, m, 1) - start;
    const to = (m === 12 ? daysInYear(year) : dayOf(year, m + 1, 1) - start) - 1;
    let s = 0;
    for (let i = from; i <= Math.min(to, elapsed - 1); i++) s += daily[i] as number;
    out[m - 1] = s;
  }
  return out;
}

/** One account's statement (budget, carry, months, balance, overspending, projection, warning). */
export function accountStatement(input: StatementInput): AccountStatement {
  const { year, account } = input;
  const days = daysInYear(year);
  const elapsed = Math.max(0, Math.min(days, input.asOf - yearStart(year) + 1));
  const daily = input.series.year(year);
  const months = monthsOf(year, daily, elapsed);
  const spentToDate = months.reduce((s, x) => s + x, 0);
  const budget = input.budgets.get(year) ?? null;
  const notes: string[] = [];
  let carry: CarryIn | null = null;
  const extra: Citation[] = [];
  if (account.kind === STUDENT_ACCOUNT) {
    const amounts = new Map([...input.budgets].map(([y, b]) => [y, b.amount]));
    carry = carryInto(year, amounts, (y) => input.series.total(y), input.surplusRule);
    const rule = input.surplusRule(year);
    if (rule) extra.push(rule);
    else notes.push(`${year} 年在该统筹区没有大学生门诊统筹“总额预算、超支不补、结余滚存”的政策依据，本年结余不滚存`);
  }
  if (carry && input.asOf < yearStart(year)) notes.push(`${year - 1} 年尚未结束：结转额按截至报告日 ${formatDate(input.asOf)} 的支出计算，年终前还会变化`);
  const carriedIn = carry?.amount ?? 0;
  const available = budget === null ? null : budget.amount + carriedIn;
  if (budget === null) notes.push(`${year} 年该账户未录入预算（yibao budget set），只列支出`);
  const past = input.pastYears.filter((y) => y < year).map<YearSeries>((y) => ({ year: y, daily: input.series.year(y) }));
  const projection = elapsed > 0 ? projectYearEnd({ year, daily }, elapsed, past) : null;
  if (elapsed === 0) notes.push(`报告日 ${formatDate(input.asOf)} 在 ${year} 年开始之前，尚无支出`);
  return {
    area: input.area,
    year,
    account: account.account,
    kind: account.kind,
    label: account.label,
    asOf: formatDate(Math.min(input.asOf, yearStart(year + 1) - 1)),
    elapsed,
    budget,
    carriedIn,
    carry,
    available,
    months,
    spentToDate,
    balance: available === null ? null : available - spentToDate,
    overspent: available === null ? null : Math.max(0, spentToDate - available),
    projection,
    warning: evaluateWarning(available, projection, input.warning, extra),
    notes,
  };
}
