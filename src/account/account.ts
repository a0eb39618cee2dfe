/**
 * The account model (个人账户, 个人（家庭）账户), pure: no I/O, no clock, no ids made up.
 *
 * An account is its entries; the balance is their sum. Functions here read an {@link AccountState}
 * (the account and its entries in ledger order) and the policies, and answer with the entry to
 * append — or a refusal naming the article — never changing what they are given. To persist:
 * in one transaction, lock the account's row, read its entries, call the function, insert the
 * entry it returns as a row (its `id` is deterministic: put a unique index on it), commit.
 *
 * ```ts
 * const policies = loadPolicies();
 * const state = { account: { id: 'A1', kind: 'employee-personal', holderId: 'p1', region: '410900' }, entries: [] };
 * const c = creditMonth(state, { id: 'p1', region: '410900', category: 'retired', requiredYearsMet: true }, '2023-01', policies);
 * // c.entry: { id: 'A1/credit/2023-01', kind: 'credit', amount: 6000, balanceAfter: 6000, source: '… 第六条(二)', … }
 * const a = authorize({ kind: 'visit-payment', ref: 'S9', date: '2023-01-15', visitId: 'v1', contracted: true,
 *                       personShare: 8000 }, c.state, policies);
 * // a.ok && a.entry.amount === -6000 (the whole balance), a.entry.cashPay === 2000
 * ```
 *
 * Amounts are integer fen. The one rounding is the active employee's credit (2% of the base),
 * rounded half away from zero to the fen.
 */
import { dayOf, formatDate, parseDate, type DayNumber } from '../calendar/calendar.js';
import { VISIT_TYPE_LABELS, type VisitType } from '../domain.js';
import type { TraceStep } from '../engine/types.js';
import { applyRate, formatPercent, formatYuan, MAX_AMOUNT_FEN, ONE_HUNDRED_PERCENT, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { KIND_LABELS, rulesAt, type RulesAt } from './rules.js';
import {
  AccountError,
  CLOSING_KINDS,
  type AccountEntry,
  type AccountKind,
  type AccountRelation,
  type AccountState,
  type Approval,
  type Authorization,
  type CostShare,
  type CreditEntry,
  type Holder,
  type Month,
  type Operation,
  type Refusal,
  type RefusalCode,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Input checks: bad input is an AccountError INVALID_INPUT naming the field.

function invalid(message: string): AccountError {
  return new AccountError('INVALID_INPUT', message);
}

function fen(name: string, v: unknown, { positive = false } = {}): Fen {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_AMOUNT_FEN)
    throw invalid(`${name} must be a whole number of fen from 0 to ${MAX_AMOUNT_FEN}, got ${JSON.stringify(v)}`);
  if (positive && v === 0) throw invalid(`${name} must be more than 0`);
  return v;
}

function day(name: string, v: unknown): DayNumber {
  const d = typeof v === 'string' ? parseDate(v) : undefined;
  if (d === undefined) throw invalid(`${name} must be a real date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return d;
}

function text(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${name} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The first day of a month `YYYY-MM`. */
function monthStart(month: unknown): DayNumber {
  const m = typeof month === 'string' ? MONTH.exec(month) : null;
  if (!m) throw invalid(`month must be YYYY-MM, got ${JSON.stringify(month)}`);
  return dayOf(Number(m[1]), Number(m[2]), 1);
}

const y = formatYuan;

// ---------------------------------------------------------------------------------------------
// Balance and the share the account pays

/**
 * The balance: the sum of the entries' signed amounts.
 *
 * @example balance([]) // 0
 * @example balance([{ amount: 6000, … }, { amount: -2500, … }]) // 3500
 */
export function balance(entries: readonly Pick<AccountEntry, 'amount'>[]): Fen {
  let sum = 0;
  for (const e of entries) {
    if (!Number.isSafeInteger(e.amount)) throw invalid(`an entry's amount must be a whole number of fen, got ${JSON.stringify(e.amount)}`);
    sum += e.amount;
  }
  return sum;
}

/**
 * How much of a share the account pays: all of it when the balance covers it, otherwise the
 * balance (the rest is paid in cash). Never more than either, never negative.
 *
 * @example accountShare(8000, 6000) // 6000 — the balance; 20.00 yuan left in cash
 * @example accountShare(2500, 6000) // 2500 — the whole share
 * @example accountShare(2500, 0) // 0
 */
export function accountShare(share: Fen, balanceNow: Fen): Fen {
  fen('share', share);
  if (!Number.isSafeInteger(balanceNow)) throw invalid(`balance must be a whole number of fen, got ${JSON.stringify(balanceNow)}`);
  const available = balanceNow > 0 ? balanceNow : 0;
  return share < available ? share : available;
}

/** Whether a transfer out, refund or inheritance has closed the account. */
export function isClosed(entries: readonly AccountEntry[]): boolean {
  return entries.some((e) => CLOSING_KINDS.includes(e.kind));
}

/**
 * A new state with the entry appended. The entry must be the next one (seq) and carry the right
 * balance after it — as {@link authorize} and {@link creditMonth} make them.
 */
export function append(state: AccountState, entry: AccountEntry): AccountState {
  const before = balance(state.entries);
  if (entry.accountId !== state.account.id) throw invalid(`entry ${entry.id} is for account ${entry.accountId}, not ${state.account.id}`);
  if (entry.seq !== state.entries.length + 1) throw invalid(`entry ${entry.id} has seq ${entry.seq}; the next is ${state.entries.length + 1}`);
  if (entry.balanceAfter !== before + entry.amount) throw invalid(`entry ${entry.id}: balanceAfter ${entry.balanceAfter} ≠ ${before} + ${entry.amount}`);
  if (entry.balanceAfter < 0) throw invalid(`entry ${entry.id} would make the balance negative`);
  return { account: state.account, entries: [...state.entries, entry] };
}

/**
 * Checks a stored ledger: seq 1, 2, 3...; each balanceAfter the running sum and never negative;
 * ids unique; one credit per month; nothing after a closing entry. Returns the problems (empty
 * when sound), for `ledger verify`-style checks.
 */
export function verifyEntries(state: AccountState): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const periods = new Set<string>();
  let sum = 0;
  let closedBy: string | undefined;
  state.entries.forEach((e, i) => {
    if (e.accountId !== state.account.id) problems.push(`${e.id}: belongs to account ${e.accountId}`);
    if (e.seq !== i + 1) problems.push(`${e.id}: seq ${e.seq}, expected ${i + 1}`);
    if (ids.has(e.id)) problems.push(`${e.id}: id used twice`);
    ids.add(e.id);
    if (closedBy) problems.push(`${e.id}: after the account was closed by ${closedBy}`);
    if (e.kind === 'credit') {
      if (periods.has(e.period)) problems.push(`${e.id}: a second credit for ${e.period}`);
      periods.add(e.period);
    }
    sum += e.amount;
    if (e.balanceAfter !== sum) problems.push(`${e.id}: balanceAfter ${e.balanceAfter}, the entries sum to ${sum}`);
    if (sum < 0) problems.push(`${e.id}: the balance is negative (${sum})`);
    if (CLOSING_KINDS.includes(e.kind)) closedBy = e.id;
  });
  return problems;
}

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
  const frac = String(n - whole * scale).padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

function policyStep(r: RulesAt, date: string): TraceStep {
  return { step: 'policy', source: r.citation, policy: r.pack.document.number, text: `${date}适用${r.pack.document.number}：${r.rules.label}。` };
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
    return { holderId: holder.id, period: month, entitled: true, amount, basis: 'active-contribution-base', fundedBy: 'individual-contribution', contributionBase: base, source, text: why, trace };
  }
  if (holder.category !== 'retired') throw invalid(`holder.category must be active or retired, got ${JSON.stringify(holder.category)}`);
  if (r.valueOr('credit.retiredNeedsRequiredYears', false)) {
    if (typeof holder.requiredYearsMet !== 'boolean')
      throw invalid(`holder.requiredYearsMet must be true or false for a retiree (${r.cite('credit.retiredNeedsRequiredYears')})`);
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

// ---------------------------------------------------------------------------------------------
// Authorizing an operation

const RELATION_LABELS: Record<AccountRelation, string> = { spouse: '配偶', parent: '父母', child: '子女', household: '家庭成员' };

interface Ctx {
  readonly state: AccountState;
  readonly r: RulesAt;
  readonly id: string;
  readonly date: string;
  readonly before: Fen;
  readonly trace: TraceStep[];
}

function refuse(ctx: Pick<Ctx, 'trace'>, code: RefusalCode, reason: string, source: string): Refusal {
  ctx.trace.push({ step: 'refused', source, code, text: reason });
  return { ok: false, code, reason, source, trace: ctx.trace };
}

/** What an entry has beyond the fields every entry shares, kind by kind. */
type EntryBody = AccountEntry extends infer E ? (E extends AccountEntry ? Omit<E, 'id' | 'accountId' | 'seq' | 'date' | 'amount' | 'balanceAfter' | 'source' | 'text'> : never) : never;

/** Approves an entry of `amount` (signed), filling the fields every entry shares. */
function approve(ctx: Ctx, amount: Fen, source: string, why: string, rest: EntryBody): Approval {
  const balanceAfter = ctx.before + amount;
  const entry = {
    id: ctx.id,
    accountId: ctx.state.account.id,
    seq: ctx.state.entries.length + 1,
    date: ctx.date,
    amount,
    balanceAfter,
    source,
    text: why,
    ...rest,
  } as AccountEntry;
  ctx.trace.push({ step: 'entry', source, amount: amount / 100, balanceAfter: balanceAfter / 100, text: why });
  return { ok: true, entry, balanceBefore: ctx.before, balanceAfter, trace: ctx.trace };
}

/** The account's share of a visit's or purchase's costs (own, or a relative's). */
function costShare(ctx: Ctx, op: CostShare, who: string): Refusal | { accountPay: Fen; cashPay: Fen; personShare: Fen; source: string; why: string } {
  const { r } = ctx;
  text('visitId', op.visitId);
  const personShare = fen('personShare', op.personShare);
  const outOfScope = fen('outOfScope', op.outOfScope ?? 0);
  if (outOfScope > personShare) throw invalid(`outOfScope ${outOfScope} is more than personShare ${personShare}`);
  if (typeof op.contracted !== 'boolean') throw invalid('contracted must be true or false');
  const place = op.place ?? 'institution';
  const sources: string[] = [];
  let what: string;
  if (place === 'pharmacy') {
    if (!r.valueOr('uses.pharmacy', false)) return refuse(ctx, 'USE_NOT_ALLOWED', `${r.rules.label}不得支付在零售药店购药的费用（${r.pack.document.number}未列此项用途）。`, r.cite('uses.pharmacy'));
    sources.push(r.cite('uses.pharmacy'));
    what = '定点零售药店购药';
  } else if (place === 'institution') {
    const type: VisitType = op.visitType ?? 'outpatient';
    if (!VISIT_TYPE_LABELS[type]) throw invalid(`visitType must be one of ${Object.keys(VISIT_TYPE_LABELS).join(', ')}, got ${JSON.stringify(type)}`);
    const types = r.valueOr<readonly string[]>('uses.visitTypes', []);
    if (!types.includes(type))
      return refuse(ctx, 'USE_NOT_ALLOWED', `${r.rules.label}只可支付${r.text('uses.visitTypes')}的费用，不支付${VISIT_TYPE_LABELS[type]}。`, r.cite('uses.visitTypes'));
    sources.push(r.cite('uses.visitTypes'));
    what = `${VISIT_TYPE_LABELS[type]}就医`;
  } else throw invalid(`place must be institution or pharmacy, got ${JSON.stringify(place)}`);
  if (!op.contracted && r.valueOr('uses.contractedOnly', false))
    return refuse(ctx, 'NON_CONTRACTED', `${r.rules.label}只在定点医药机构支付，非定点${place === 'pharmacy' ? '零售药店' : '医疗机构'}的费用不予支付。`, r.cite('uses.contractedOnly'));
  if (!r.has('uses.visitShare')) return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定${r.rules.label}可支付的费用部分。`, r.citation);
  const whole = r.value<string>('uses.visitShare') === 'whole-own-share';
  sources.push(r.cite('uses.visitShare'));
  const payable = whole ? personShare : personShare - outOfScope;
  const scopeText = whole
    ? `${who}个人负担${y(personShare)}元（含政策范围外${y(outOfScope)}元），账户可支付${y(payable)}元`
    : `${who}个人负担${y(personShare)}元，其中政策范围外${y(outOfScope)}元账户不予支付，账户可支付${y(payable)}元`;
  ctx.trace.push({ step: 'share', source: r.cite('uses.visitShare'), personShare: personShare / 100, outOfScope: outOfScope / 100, payable: payable / 100, text: `${what}：${scopeText}。` });
  if (payable === 0) return refuse(ctx, 'NOTHING_TO_PAY', `${scopeText}，无需账户支付。`, r.cite('uses.visitShare'));
  if (ctx.before <= 0) return refuse(ctx, 'INSUFFICIENT_BALANCE', `账户余额为0，${y(personShare)}元由个人现金支付。`, r.citation);
  const accountPay = accountShare(payable, ctx.before);
  const cashPay = personShare - accountPay;
  const why =
    accountPay === payable
      ? `${what}，${scopeText}；账户余额${y(ctx.before)}元，账户支付${y(accountPay)}元，个人现金支付${y(cashPay)}元，余额${y(ctx.before - accountPay)}元。`
      : `${what}，${scopeText}；账户余额${y(ctx.before)}元不足，账户支付全部余额${y(accountPay)}元，其余${y(cashPay)}元由个人现金支付。`;
  return { accountPay, cashPay, personShare, source: [...new Set(sources)].join('；'), why };
}

/** A whole amount paid from the account, or refused when the balance does not cover it. */
function wholeAmount(ctx: Ctx, amount: Fen, what: string): Refusal | null {
  if (ctx.before < amount) return refuse(ctx, 'INSUFFICIENT_BALANCE', `账户余额${y(ctx.before)}元不足${what}${y(amount)}元，不予支付（缴费须足额，不拆分）。`, ctx.r.citation);
  return null;
}

function relationAllowed(ctx: Ctx, key: 'uses.familyMedical' | 'uses.familyResidentContribution', relation: AccountRelation, memberId: string, what: string): Refusal | null {
  const { r, state } = ctx;
  if (!RELATION_LABELS[relation]) throw invalid(`relation must be one of ${Object.keys(RELATION_LABELS).join(', ')}, got ${JSON.stringify(relation)}`);
  text('memberId', memberId);
  const allowed = r.valueOr<readonly string[]>(key, []);
  if (!allowed.includes(relation))
    return refuse(ctx, 'USE_NOT_ALLOWED', allowed.length > 0
      ? `${r.rules.label}可用于${r.text(key)}的${what}，不含${RELATION_LABELS[relation]}。`
      : `${r.pack.document.number}未规定${r.rules.label}可用于家庭成员的${what}。`, r.cite(key));
  if (relation === 'household' && !(state.account.members ?? []).includes(memberId))
    return refuse(ctx, 'CONDITION_NOT_MET', `${memberId}不是登记在该家庭账户下的家庭成员。`, r.cite(key));
  if (memberId === state.account.holderId) throw invalid(`memberId ${memberId} is the holder: use a visit-payment or contribution-payment`);
  return null;
}

/** The closing entries take the whole balance. */
function closing(ctx: Ctx, key: 'closing.transferOut' | 'closing.refundIfNoTransfer' | 'closing.inheritance', what: string): Refusal | null {
  const { r } = ctx;
  if (!r.valueOr(key, false)) return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定${r.rules.label}可${what}。`, r.cite(key));
  return null;
}

/**
 * Decides an operation on an account against the rules in force on its date: the entry to
 * append, or a refusal `{ code, reason, source }` naming the article. Pure.
 *
 * How much each operation takes:
 * - `visit-payment` and `family-payment` of medical costs: the share the account may pay, up to
 *   the balance; the rest is the person's cash (`entry.cashPay`). Refused when the balance is 0.
 * - `family-payment` of a residents' contribution and `contribution-payment`: the whole amount, or
 *   refused (INSUFFICIENT_BALANCE) — a contribution is not paid in part.
 * - `transfer-out`, `refund`, `inheritance`: the whole balance (possibly 0), closing the account.
 * - `opening-balance` (first entry only) and `transfer-in`: money in.
 * - `other-use`: always refused (PROHIBITED_USE when the document names it).
 *
 * @example authorize({ kind: 'other-use', ref: 'g1', date: '2023-03-01', purpose: 'fitness', amount: 10000 }, state, policies)
 *   // { ok: false, code: 'PROHIBITED_USE', reason: '…不得用于支付公共卫生费用、体育健身或养生保健消费等…', source: '… 第七条' }
 * @throws AccountError INVALID_INPUT for malformed operations; NO_POLICY_IN_FORCE, NO_ACCOUNT_RULES,
 *   MISSING_PARAMETER from the policy.
 */
export function authorize(op: Operation, state: AccountState, policies: PolicySet): Authorization {
  const ref = text('ref', op?.ref);
  const d = day('date', op.date);
  const id = `${state.account.id}/${op.kind}/${ref}`;
  const trace: TraceStep[] = [];
  if (state.entries.some((e) => e.id === id)) return refuse({ trace }, 'DUPLICATE_REFERENCE', `账户中已有同一业务的记录（${id}），不重复记账。`, '');
  const closedBy = state.entries.find((e) => CLOSING_KINDS.includes(e.kind));
  if (closedBy) return refuse({ trace }, 'ACCOUNT_CLOSED', `账户已于${closedBy.date}关闭（${closedBy.text}），不再记账。`, closedBy.source);
  const r = rulesAt(policies, state.account.region, state.account.kind, d);
  trace.push(policyStep(r, op.date));
  const ctx: Ctx = { state, r, id, date: op.date, before: balance(state.entries), trace };
  switch (op.kind) {
    case 'visit-payment': {
      const share = costShare(ctx, op, '本人');
      if ('ok' in share) return share;
      return approve(ctx, -share.accountPay, share.source, share.why, {
        kind: 'visit-payment', ref, visitId: text('visitId', op.visitId), place: op.place ?? 'institution', personShare: share.personShare, cashPay: share.cashPay,
        ...(op.settlementId !== undefined ? { settlementId: op.settlementId } : {}),
      });
    }
    case 'family-payment': {
      const who = RELATION_LABELS[op.relation] ?? String(op.relation);
      if (op.purpose === 'medical-cost') {
        const no = relationAllowed(ctx, 'uses.familyMedical', op.relation, op.memberId, '医疗费用');
        if (no) return no;
        const share = costShare(ctx, op, `${who}（${op.memberId}）`);
        if ('ok' in share) return share;
        return approve(ctx, -share.accountPay, `${r.cite('uses.familyMedical')}；${share.source}`, share.why, {
          kind: 'family-payment', ref, relation: op.relation, memberId: op.memberId, purpose: 'medical-cost', visitId: text('visitId', op.visitId),
          place: op.place ?? 'institution', personShare: share.personShare, cashPay: share.cashPay,
        });
      }
      if ((op.purpose as string) !== 'resident-contribution') throw invalid(`purpose must be medical-cost or resident-contribution, got ${JSON.stringify((op as { purpose: unknown }).purpose)}`);
      const amount = fen('amount', op.amount, { positive: true });
      const year = coverageYear(op.coverageYear);
      const no = relationAllowed(ctx, 'uses.familyResidentContribution', op.relation, op.memberId, '城乡居民基本医疗保险个人缴费') ?? wholeAmount(ctx, amount, `${who}的居民医保个人缴费`);
      if (no) return no;
      return approve(ctx, -amount, r.cite('uses.familyResidentContribution'),
        `为${who}（${op.memberId}）缴纳${year}年度城乡居民基本医疗保险个人缴费${y(amount)}元，账户余额${y(ctx.before)}元，支付后余额${y(ctx.before - amount)}元。`,
        { kind: 'family-payment', ref, relation: op.relation, memberId: op.memberId, purpose: 'resident-contribution', coverageYear: year });
    }
    case 'contribution-payment': {
      if ((op.purpose as string) !== 'supplementary-contribution') throw invalid(`purpose must be supplementary-contribution, got ${JSON.stringify(op.purpose)}`);
      const amount = fen('amount', op.amount, { positive: true });
      const year = coverageYear(op.coverageYear);
      if (!r.valueOr('uses.ownSupplementaryContribution', false))
        return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定${r.rules.label}可缴纳本人大额医疗费用补助。`, r.cite('uses.ownSupplementaryContribution'));
      const no = wholeAmount(ctx, amount, '本人大额医疗费用补助缴费');
      if (no) return no;
      return approve(ctx, -amount, r.cite('uses.ownSupplementaryContribution'),
        `缴纳本人${year}年度职工大额医疗费用补助个人缴费${y(amount)}元，账户余额${y(ctx.before)}元，支付后余额${y(ctx.before - amount)}元。`,
        { kind: 'contribution-payment', ref, purpose: 'supplementary-contribution', coverageYear: year });
    }
    case 'transfer-out': {
      const to = text('toRegion', op.toRegion);
      const no = closing(ctx, 'closing.transferOut', '随医保关系转移划转') ?? sameRegion(ctx, to, 'closing.transferOut');
      if (no) return no;
      return approve(ctx, -ctx.before, r.cite('closing.transferOut'),
        `医保关系迁移到${to}，个人账户随其医保关系转移划转，划出全部余额${y(ctx.before)}元，账户关闭。`, { kind: 'transfer-out', ref, toRegion: to });
    }
    case 'refund': {
      const to = text('toRegion', op.toRegion);
      if (typeof op.transferPossible !== 'boolean') throw invalid('transferPossible must be true or false');
      const no = closing(ctx, 'closing.refundIfNoTransfer', '一次性返还本人') ?? sameRegion(ctx, to, 'closing.refundIfNoTransfer');
      if (no) return no;
      if (op.transferPossible)
        return refuse(ctx, 'CONDITION_NOT_MET', `具备转移条件的，个人账户随医保关系转移划转，不一次性返还本人。`, r.cite('closing.refundIfNoTransfer'));
      return approve(ctx, -ctx.before, r.cite('closing.refundIfNoTransfer'),
        `医保关系迁移到${to}，不具备转移条件，个人账户余额${y(ctx.before)}元一次性返还本人，账户关闭。`, { kind: 'refund', ref, toRegion: to });
    }
    case 'inheritance': {
      const death = day('deathDate', op.deathDate);
      if (death > d) throw invalid(`deathDate ${op.deathDate} is after the operation's date ${op.date}`);
      if (!Array.isArray(op.heirs) || op.heirs.length === 0) throw invalid('heirs must name at least one lawful heir');
      op.heirs.forEach((h, i) => text(`heirs[${i}]`, h));
      const no = closing(ctx, 'closing.inheritance', '由合法继承人继承');
      if (no) return no;
      return approve(ctx, -ctx.before, r.cite('closing.inheritance'),
        `参保人员于${op.deathDate}死亡，个人账户结余资金${y(ctx.before)}元一次性拨付给合法继承人（${op.heirs.join('、')}），账户关闭。`,
        { kind: 'inheritance', ref, deathDate: op.deathDate, heirs: [...op.heirs] });
    }
    case 'opening-balance': {
      const amount = fen('amount', op.amount, { positive: true });
      if (!r.valueOr('carryOver', false)) return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定账户结余结转使用。`, r.cite('carryOver'));
      if (state.entries.length > 0) return refuse(ctx, 'CONDITION_NOT_MET', '期初余额只能作为账户的第一笔记录。', r.cite('carryOver'));
      return approve(ctx, amount, r.cite('carryOver'), `${r.quote('carryOver') ?? '账户结余结转使用'}：结转期初余额${y(amount)}元。`, { kind: 'opening-balance', ref });
    }
    case 'transfer-in': {
      const amount = fen('amount', op.amount, { positive: true });
      const from = text('fromRegion', op.fromRegion);
      const no = closing(ctx, 'closing.transferOut', '随医保关系转移划转') ?? sameRegion(ctx, from, 'closing.transferOut');
      if (no) return no;
      return approve(ctx, amount, r.cite('closing.transferOut'), `医保关系自${from}转入，个人账户随之划入${y(amount)}元。`, { kind: 'transfer-in', ref, fromRegion: from });
    }
    case 'other-use': {
      const purpose = text('purpose', op.purpose);
      fen('amount', op.amount);
      const prohibited = r.valueOr<readonly string[]>('uses.prohibited', []);
      if (prohibited.includes(purpose))
        return refuse(ctx, 'PROHIBITED_USE', `${r.quote('uses.prohibited') ?? `不得用于${purpose}`}：${purpose}不予支付。`, r.cite('uses.prohibited'));
      return refuse(ctx, 'USE_NOT_ALLOWED', `${r.rules.label}的用途以${r.citation}所列为限，${purpose}不在其内，不予支付。`, r.citation);
    }
    default:
      throw invalid(`kind must be one of visit-payment, family-payment, contribution-payment, transfer-out, refund, inheritance, opening-balance, transfer-in, other-use; got ${JSON.stringify((op as { kind: unknown }).kind)}`);
  }
}

function coverageYear(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1990 || v > 2200) throw invalid(`coverageYear must be a year, got ${JSON.stringify(v)}`);
  return v;
}

/** A move must be to another pooling region (迁移到其他统筹地区, Puyang 第八条). */
function sameRegion(ctx: Ctx, region: string, key: 'closing.transferOut' | 'closing.refundIfNoTransfer'): Refusal | null {
  if (region !== ctx.state.account.region) return null;
  return refuse(ctx, 'CONDITION_NOT_MET', `${region}是账户所在统筹地区，不是迁移到其他统筹地区，不予${key === 'closing.transferOut' ? '划转' : '返还'}。`, ctx.r.cite(key));
}

export { KIND_LABELS };
