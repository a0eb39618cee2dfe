/**
 * The account model (个人账户, 个人（家庭）账户), pure: no I/O, no clock, no ids made up.
 *
 * An account is its entries; the balance is their sum. Functions here (the entries and balances),
 * in credit.ts (the monthly credit) and in authorize.ts (using and closing the account) read an {@link AccountState}
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
import { dayOf, parseDate, type DayNumber } from '../calendar/calendar.js';
import type { TraceStep } from '../engine/types.js';
import { formatYuan, MAX_AMOUNT_FEN, type Fen } from '../money/money.js';
import type { RulesAt } from './rules.js';
import { AccountError, CLOSING_KINDS, type AccountEntry, type AccountState } from './types.js';

// ---------------------------------------------------------------------------------------------
// Input checks: bad input is an AccountError INVALID_INPUT naming the field.

export function invalid(message: string): AccountError {
  return new AccountError('INVALID_INPUT', message);
}

export function fen(name: string, v: unknown, { positive = false } = {}): Fen {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_AMOUNT_FEN)
    throw invalid(`${name} must be a whole number of fen from 0 to ${MAX_AMOUNT_FEN}, got ${JSON.stringify(v)}`);
  if (positive && v === 0) throw invalid(`${name} must be more than 0`);
  return v;
}

export function day(name: string, v: unknown): DayNumber {
  const d = typeof v === 'string' ? parseDate(v) : undefined;
  if (d === undefined) throw invalid(`${name} must be a real date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return d;
}

export function text(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${name} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The first day of a month `YYYY-MM`. */
export function monthStart(month: unknown): DayNumber {
  const m = typeof month === 'string' ? MONTH.exec(month) : null;
  if (!m) throw invalid(`month must be YYYY-MM, got ${JSON.stringify(month)}`);
  return dayOf(Number(m[1]), Number(m[2]), 1);
}

export const y = formatYuan;

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

/** The trace line naming the rules in force. */
export function policyStep(r: RulesAt, date: string): TraceStep {
  return { step: 'policy', source: r.citation, policy: r.pack.document.number, text: `${date}适用${r.pack.document.number}：${r.rules.label}。` };
}
