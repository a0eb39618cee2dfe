/**
 * The monthly credit (按月计入) of employees' personal accounts (Puyang 第六条, 第十四条): the month's
 * amount for a holder with its explanation, and the entry that records it, one holder or a batch.
 * Pure, like account.ts.
 */
import { formatDate } from '../calendar/calendar.js';
import type { TraceStep } from '../engine/types.js';
import { applyRate, formatPercent, ONE_HUNDRED_PERCENT, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { rulesAt } from './rules.js';
import { AccountError, type AccountKind, type AccountState, type CreditEntry, type Holder, type Month } from './types.js';
import { append, balance, fen, invalid, isClosed, monthStart, policyStep, text, y } from './account.js';
// ---------------------------------------------------------------------------------------------
// Monthly credit (按月计入)

/** A month's credit for one holder, with its explanation. */
export interface MonthlyCredit {
  readonly holderId: string;
  readonly period: Month;
  /** Whether the holder gets a credit at all this month (第十四条, no allocation...). */
  readonly entitled: boolean;
  /** Fen; 0 when not entitled. */
  readonly amount: Fen;
  readonly basis?: CreditEntry['basis'];
  readonly fundedBy?: CreditEntry['fundedBy'];
  readonly contributionBase?: Fen;
  /** Citations of what decided. */
  readonly source: string;
  /** The decision in Chinese. */
  readonly text: string;
  readonly trace: readonly TraceStep[];
}

/** The exact yuan value of fen × basis points (e.g. 456789 × 200 bp → `91.3578`). */
function exactYuan(amount: Fen, rate: number): string {
  const n = amount * rate; // fen·bp; yuan = n / (100 × 10_000)
  const scale = 100 * ONE_HUNDRED_PERCENT;
  const whole = Math.floor(n / scale);
  const frac = String(n - whole * scale)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/**
 * The month's credit for a holder (Puyang 第六条, 第十四条): an active employee gets the rate
 * (2%) of the month's own contribution base, rounded half away from zero to the fen; a retiree the
 * fixed monthly amount (60 yuan) from the pooled fund. Active insured who pay at the employer rate
 * get nothing, nor do retirees without the required contribution years (第十四条); an account kind
 * no longer allocated to (Luoyang 36号 第五条) gets nothing.
 *
 * @example monthlyCredit({ id: 'p1', region: '410900', category: 'active', contributionBase: 456789 }, '2023-01', policies)
 *   // amount 9136: 4567.89 × 2% = 91.3578 → 91.36 yuan (第六条(一))
 * @example monthlyCredit({ id: 'p2', region: '410900', category: 'retired', requiredYearsMet: true }, '2023-01', policies)
 *   // amount 6000: 60 yuan a month (第六条(二))
 * @throws AccountError INVALID_INPUT (bad month, no contribution base for an active holder...),
 *   NO_POLICY_IN_FORCE / NO_ACCOUNT_RULES (e.g. a month before 2022-07), MISSING_PARAMETER.
 */
export function monthlyCredit(holder: Holder, month: Month, policies: PolicySet, kind: AccountKind = 'employee-personal'): MonthlyCredit {
  const first = monthStart(month);
  text('holder.id', holder?.id);
  text('holder.region', holder.region);
  const r = rulesAt(policies, holder.region, kind, first);
  const trace: TraceStep[] = [policyStep(r, month)];
  const none = (source: string, why: string): MonthlyCredit => {
    trace.push({ step: 'credit', source, amount: 0, text: why });
    return { holderId: holder.id, period: month, entitled: false, amount: 0, source, text: why, trace };
  };
  if (r.has('credit.allocation') && r.value<boolean>('credit.allocation') === false)
    return none(r.cite('credit.allocation'), `${r.quote('credit.allocation') ?? '不再向账户分配资金'}：${month}不计入。`);
  if (holder.category === 'active') {
    if (holder.paysAtEmployerRate === true && r.valueOr('credit.employerRateNoAccount', false))
      return none(r.cite('credit.employerRateNoAccount'), `按照用人单位费率标准缴纳医保费的在职参保人员不享受个人账户待遇，${month}不计入。`);
    if (!r.has('credit.activeRate')) return none(r.citation, `${r.pack.document.number}未规定在职职工个人账户计入标准，${month}不计入。`);
    const rate = r.value<number>('credit.activeRate');
    const base = fen('holder.contributionBase (the month’s own contribution base, in fen)', holder.contributionBase);
    const amount = applyRate(base, rate);
    const source = r.cite('credit.activeRate');
    const why = `在职职工个人账户按本人参保缴费基数的${formatPercent(rate)}计入：${y(base)} × ${formatPercent(rate)} = ${exactYuan(base, rate)} 元，四舍五入到分，${month}计入${y(amount)}元（由个人缴纳的基本医疗保险费计入）。`;
    trace.push({ step: 'credit', source, basis: 'active-contribution-base', contributionBase: base / 100, rate: rate / 100, amount: amount / 100, text: why });
    return {
      holderId: holder.id,
      period: month,
      entitled: true,
      amount,
      basis: 'active-contribution-base',
      fundedBy: 'individual-contribution',
      contributionBase: base,
      source,
      text: why,
      trace,
    };
  }
  if (holder.category !== 'retired') throw invalid(`holder.category must be active or retired, got ${JSON.stringify(holder.category)}`);
  if (r.valueOr('credit.retiredNeedsRequiredYears', false)) {
    if (typeof holder.requiredYearsMet !== 'boolean') throw invalid(`holder.requiredYearsMet must be true or false for a retiree (${r.cite('credit.retiredNeedsRequiredYears')})`);
    if (!holder.requiredYearsMet)
      return none(r.cite('credit.retiredNeedsRequiredYears'), `退休时未达到规定缴费年限（也未一次性补缴至规定缴费年限），不享受个人账户待遇，${month}不计入。`);
  }
  if (!r.has('credit.retiredMonthly')) return none(r.citation, `${r.pack.document.number}未规定退休人员个人账户划入标准，${month}不计入。`);
  const amount = r.value<number>('credit.retiredMonthly');
  const source = r.cite('credit.retiredMonthly');
  const why = `退休人员个人账户由统筹基金按月定额划入，月定额${y(amount)}元，${month}计入${y(amount)}元。`;
  trace.push({ step: 'credit', source, basis: 'retired-fixed', amount: amount / 100, text: why });
  return { holderId: holder.id, period: month, entitled: true, amount, basis: 'retired-fixed', fundedBy: 'pooled-fund', source, text: why, trace };
}

export type CreditSkip = 'ALREADY_CREDITED' | 'ACCOUNT_CLOSED' | 'NOT_ENTITLED' | 'NOTHING_TO_CREDIT';

/** What crediting a month did: the entry (and the state with it), or why nothing was credited. */
export interface CreditOutcome {
  readonly entry: CreditEntry | null;
  /** The state after: with the entry, or as it was. */
  readonly state: AccountState;
  readonly credit?: MonthlyCredit;
  readonly skipped?: { readonly code: CreditSkip; readonly reason: string; readonly source?: string };
}

function checkHolder(state: AccountState, holder: Holder): void {
  if (holder?.id !== state.account.holderId) throw invalid(`holder ${JSON.stringify(holder?.id)} does not hold account ${state.account.id} (held by ${state.account.holderId})`);
  if (holder.region !== state.account.region) throw invalid(`holder.region ${holder.region} is not the account's region ${state.account.region}`);
}

/**
 * Credits a month to an account, once: when the account already has the month's credit, no new
 * entry (`skipped.code` ALREADY_CREDITED) — so running the month again changes nothing.
 *
 * @example creditMonth(state, holder, '2023-01', policies).entry?.id // 'A1/credit/2023-01'
 * @example creditMonth(after, holder, '2023-01', policies).entry // null (skipped: ALREADY_CREDITED)
 */
export function creditMonth(state: AccountState, holder: Holder, month: Month, policies: PolicySet): CreditOutcome {
  monthStart(month);
  checkHolder(state, holder);
  const existing = state.entries.find((e) => e.kind === 'credit' && e.period === month);
  if (existing) return { entry: null, state, skipped: { code: 'ALREADY_CREDITED', reason: `${month}已计入（${existing.id}），不再重复计入。`, source: existing.source } };
  if (isClosed(state.entries)) return { entry: null, state, skipped: { code: 'ACCOUNT_CLOSED', reason: `账户已关闭，${month}不计入。` } };
  const credit = monthlyCredit(holder, month, policies, state.account.kind);
  if (!credit.entitled || credit.amount === 0)
    return { entry: null, state, credit, skipped: { code: credit.entitled ? 'NOTHING_TO_CREDIT' : 'NOT_ENTITLED', reason: credit.text, source: credit.source } };
  const entry = creditEntry(state.account.id, { seq: state.entries.length + 1, balanceBefore: balance(state.entries) }, credit);
  return { entry, state: append(state, entry), credit };
}

/**
 * The credit entry of a {@link monthlyCredit} that is entitled, at a position in the account's
 * ledger: the next seq and the balance before it. For a store that keeps the balance and the
 * last seq on the account row (so that crediting a month for every account need not read every
 * entry); {@link creditMonth} is the same over a whole state.
 *
 * @throws AccountError INVALID_INPUT when the credit is not entitled or the position is impossible.
 */
export function creditEntry(accountId: string, at: { readonly seq: number; readonly balanceBefore: Fen }, credit: MonthlyCredit): CreditEntry {
  if (!credit.entitled || credit.amount <= 0) throw invalid(`${credit.period}: there is nothing to credit (${credit.text})`);
  if (!Number.isSafeInteger(at.seq) || at.seq < 1) throw invalid(`seq must be a whole number from 1, got ${JSON.stringify(at.seq)}`);
  if (!Number.isSafeInteger(at.balanceBefore) || at.balanceBefore < 0) throw invalid(`the balance before must be whole fen, not negative, got ${JSON.stringify(at.balanceBefore)}`);
  return {
    id: `${accountId}/credit/${credit.period}`,
    accountId,
    seq: at.seq,
    date: formatDate(monthStart(credit.period)),
    amount: credit.amount,
    balanceAfter: at.balanceBefore + credit.amount,
    source: credit.source,
    text: credit.text,
    kind: 'credit',
    period: credit.period,
    basis: credit.basis as CreditEntry['basis'],
    fundedBy: credit.fundedBy as CreditEntry['fundedBy'],
    ...(credit.contributionBase !== undefined ? { contributionBase: credit.contributionBase } : {}),
  };
}

/** What a batch credit did, account by account. */
export interface BatchResult {
  readonly month: Month;
  readonly credited: readonly CreditEntry[];
  readonly skipped: readonly { readonly accountId: string; readonly code: CreditSkip; readonly reason: string }[];
  /** Accounts that could not be credited (bad holder data, a missing parameter...): the others still are. */
  readonly failed: readonly { readonly accountId: string; readonly error: AccountError }[];
}

/**
 * Credits a month to every account given, once each (an account named twice is credited once;
 * accounts that already have the month are skipped). The integrator inserts `credited` as rows.
 */
export function creditMonthBatch(items: readonly { readonly state: AccountState; readonly holder: Holder }[], month: Month, policies: PolicySet): BatchResult {
  monthStart(month);
  const credited: CreditEntry[] = [];
  const skipped: { accountId: string; code: CreditSkip; reason: string }[] = [];
  const failed: { accountId: string; error: AccountError }[] = [];
  const seen = new Set<string>();
  for (const { state, holder } of items) {
    const accountId = state.account.id;
    if (seen.has(accountId)) {
      skipped.push({ accountId, code: 'ALREADY_CREDITED', reason: `${month}已在本批次计入，不再重复计入。` });
      continue;
    }
    seen.add(accountId);
    try {
      const out = creditMonth(state, holder, month, policies);
      if (out.entry) credited.push(out.entry);
      else if (out.skipped) skipped.push({ accountId, code: out.skipped.code, reason: out.skipped.reason });
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      failed.push({ accountId, error: e });
    }
  }
  return { month, credited, skipped, failed };
}
