/**
 * Budgets, statements, warnings and high-cost patients as JSON answers (the service's and the
 * CLI's `--format json`): amounts as yuan numbers exact to the fen (toYuanNumber), dates as
 * YYYY-MM-DD, times as ISO.
 */
import { formatDate, yearOf as yearOfDay } from '../calendar/calendar.js';
import type { Hardship } from '../domain.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import type { AccountStatement, BudgetRecord, CarryIn } from './budget.js';
import type { BudgetBasis } from './budget-policy.js';
import { HIGH_COST_CITATIONS, HIGH_COST_SETTING, hardshipLabel, NO_THRESHOLD, thresholdText, type HighCostPatient, type HighCostSetting } from './high-cost.js';
import type { Projection } from './projection.js';
import { WARNING_CITATION, WARNING_SETTING, type WarningResult } from './warning.js';

const y = (f: Fen): number => toYuanNumber(f);
const yn = (f: Fen | null): number | null => (f === null ? null : toYuanNumber(f));
const iso = (ms: number) => new Date(ms).toISOString();

/** A setting as it stands, for an answer. */
export function settingJson<T>(s: { value: T; reason: string | null; actor: string; at: number } | null): { value: T; reason: string | null; setBy: string; setAt: string } | null {
  return s === null ? null : { value: s.value, reason: s.reason, setBy: s.actor, setAt: iso(s.at) };
}

export function basisJson(b: BudgetBasis) {
  return b.method === 'entered' ? b : { ...b, rate: y(b.rate) };
}

export function budgetJson(b: BudgetRecord) {
  return {
    id: b.id,
    requestId: b.requestId,
    area: b.area,
    year: b.year,
    account: b.account,
    amount: y(b.amount),
    basis: basisJson(b.basis),
    note: b.note,
    recordedBy: b.recordedBy,
    recordedAt: iso(b.recordedAt),
  };
}

export function paymentJson(p: {
  id: string;
  requestId: string;
  area: string;
  year: number;
  account: string;
  amount: Fen;
  paidOn: string;
  note: string | null;
  recordedBy: string;
  recordedAt: number;
}) {
  return {
    id: p.id,
    requestId: p.requestId,
    area: p.area,
    year: p.year,
    account: p.account,
    amount: y(p.amount),
    paidOn: p.paidOn,
    note: p.note,
    recordedBy: p.recordedBy,
    recordedAt: iso(p.recordedAt),
  };
}

export function carryJson(c: CarryIn) {
  return {
    ...c,
    previousBudget: yn(c.previousBudget),
    previousCarriedIn: y(c.previousCarriedIn),
    previousSpent: y(c.previousSpent),
    previousSurplus: y(c.previousSurplus),
    previousOverspent: y(c.previousOverspent),
    amount: y(c.amount),
  };
}

export function projectionJson(p: Projection) {
  return {
    ...p,
    spentToDate: y(p.spentToDate),
    projected: y(p.projected),
    shares: p.shares.map((s) => ({ ...s, spentBySameDay: y(s.spentBySameDay), total: y(s.total) })),
    backtest: p.backtest.map((b) => ({ ...b, spentBySameDay: y(b.spentBySameDay), projected: y(b.projected), actual: y(b.actual) })),
  };
}

export function warningJson(w: WarningResult) {
  if (!w.evaluated) return w;
  return { ...w, available: y(w.available), threshold: y(w.threshold), projected: y(w.projected), excess: y(w.excess) };
}

export function accountStatementJson(s: AccountStatement) {
  return {
    account: s.account,
    kind: s.kind,
    label: s.label,
    asOf: s.asOf,
    elapsed: s.elapsed,
    budget: s.budget === null ? null : budgetJson(s.budget),
    carriedIn: y(s.carriedIn),
    carry: s.carry === null ? null : carryJson(s.carry),
    available: yn(s.available),
    months: s.months.map((m, i) => ({ month: `${s.year}-${String(i + 1).padStart(2, '0')}`, spent: y(m) })),
    spentToDate: y(s.spentToDate),
    balance: yn(s.balance),
    overspent: yn(s.overspent),
    projection: s.projection === null ? null : projectionJson(s.projection),
    warning: warningJson(s.warning),
    notes: s.notes,
  };
}

const sumsJson = (s: HighCostPatient['year']) => ({
  settlements: s.settlements,
  total: y(s.total),
  fund: y(s.fund),
  criticalIllness: y(s.criticalIllness),
  assistance: y(s.assistance),
  account: y(s.account),
  cash: y(s.cash),
});

export function patientJson(p: HighCostPatient) {
  const cap = p.criticalIllness.cap;
  return {
    person: p.person,
    district: p.district,
    category: p.category,
    hardship: p.hardship,
    hardshipLabel: p.hardshipLabel,
    yearBurden: y(p.yearBurden),
    windowBurden: yn(p.windowBurden),
    year: sumsJson(p.year),
    window: p.window === null ? null : { account: y(p.window.account), cash: y(p.window.cash) },
    criticalIllness: {
      paidThisYear: y(p.criticalIllness.paidThisYear),
      cap: cap === null ? null : { bucket: cap.bucket, used: y(cap.used), limit: yn(cap.limit), remaining: yn(cap.remaining) },
      countedSelfPaid: yn(p.criticalIllness.countedSelfPaid),
    },
    reasons: p.reasons,
    text: p.text,
  };
}

/** A day number as the answers print it. */
export const dayJson = (day: number): string => formatDate(day);

/** A setting in force as the answers carry it (or null). */
type SettingIn<T> = { value: T; reason: string | null; actor: string; at: number } | null;

/** An area's statements. */
export function areaStatementJson(s: {
  area: { code: string; name: string; region: string };
  year: number;
  asOf: number;
  warningSetting: SettingIn<unknown>;
  accounts: AccountStatement[];
}) {
  return { area: s.area, year: s.year, asOf: formatDate(s.asOf), warningSetting: settingJson(s.warningSetting), accounts: s.accounts.map(accountStatementJson) };
}

/** The warnings of a year as at a day: every account with a budget, those that fire counted (洛医保〔2023〕63号 三(一)). */
export function warningsJson(asOf: number, setting: SettingIn<unknown>, areas: readonly { area: { code: string; name: string; region: string }; accounts: AccountStatement[] }[]) {
  const accounts = areas.flatMap((a) => a.accounts.filter((s) => s.budget !== null).map((s) => ({ ...accountStatementJson(s), area: a.area, year: s.year })));
  const firing = areas.reduce((n, a) => n + a.accounts.filter((s) => s.budget !== null && s.warning.evaluated && s.warning.fires).length, 0);
  const text =
    setting === null
      ? '未设置预警幅度（监测设置 warning：{ marginBp }），未作预警分析；各账户的预测照列'
      : accounts.length === 0
        ? `${yearOfDay(asOf)} 年尚无录入预算的账户`
        : `${accounts.length} 个账户中 ${firing} 个预警`;
  return {
    asOf: formatDate(asOf),
    year: yearOfDay(asOf),
    warningSetting: settingJson(setting),
    missingSetting: setting === null ? WARNING_SETTING : null,
    text,
    citations: [WARNING_CITATION],
    firing,
    accounts,
  };
}

/** The high-cost list's head: the day, the thresholds in force or the missing setting, the citations. */
export function highCostHead(asOf: number, setting: SettingIn<HighCostSetting>) {
  return {
    asOf: formatDate(asOf),
    setting: settingJson(setting),
    missingSetting: setting === null ? HIGH_COST_SETTING : null,
    text: setting === null ? NO_THRESHOLD : `列入标准：${thresholdText(setting.value)}，截至 ${formatDate(asOf)}`,
    citations: HIGH_COST_CITATIONS,
  };
}

/** The counts of listed persons by district and hardship group. */
export function highCostCountsJson(asOf: number, setting: SettingIn<HighCostSetting>, counts: readonly { area: string; hardship: Hardship | null; persons: number }[]) {
  return {
    ...highCostHead(asOf, setting),
    counts: counts.map((c) => ({ area: c.area, hardship: c.hardship, hardshipLabel: hardshipLabel(c.hardship), persons: c.persons })),
    total: counts.reduce((n, c) => n + c.persons, 0),
  };
}
