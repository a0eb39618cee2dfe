/**
 * The money identity every ledger entry holds (结算金额恒等式), checked before anything is written
 * and again by `yibao ledger verify` on every stored entry:
 *
 *   fundPay + criticalIllnessPay + assistancePay + accountPay + cashPay = total
 *   0 ≤ deductible ≤ eligible ≤ total, and every part ≥ 0
 *   a cap (and each later layer's yearly total) only grows: after ≥ before
 *
 * A reversal (冲正) holds the same identity with its amounts negated.
 *
 * A broken identity is the project's own bug, never the caller's: settling throws
 * {@link InvariantError} (an internal error) and writes nothing.
 */
import { YibaoError } from '../errors.js';
import type { Settlement } from '../engine/types.js';
import type { Fen } from '../money/money.js';

/** An entry's amounts in fen, as a settlement has them (a reversal's negated back). */
export type EntryAmounts = Pick<Settlement, 'total' | 'eligible' | 'deductible' | 'fundPay' | 'criticalIllnessPay' | 'assistancePay' | 'accountPay' | 'cashPay'>;

/** A cap an entry spends (the basic fund's, or a later layer's yearly total), before and after. */
export interface CapSpent {
  bucket: string;
  before: Fen;
  after: Fen;
}

const PARTS = ['fundPay', 'criticalIllnessPay', 'assistancePay', 'accountPay', 'cashPay'] as const;

/** What is wrong with an entry's amounts and the caps it spends; empty when the identity holds. */
export function moneyProblems(a: EntryAmounts, caps: readonly CapSpent[] = []): string[] {
  const problems: string[] = [];
  let sum = 0;
  for (const k of PARTS) sum += a[k];
  if (sum !== a.total) problems.push(`its parts do not add up to its total (${PARTS.join(' + ')} = ${sum} fen, total ${a.total} fen)`);
  for (const k of ['total', 'eligible', 'deductible', ...PARTS] as const) {
    if (!Number.isSafeInteger(a[k]) || a[k] < 0) problems.push(`${k} is ${a[k]} fen, not a non-negative whole number of fen`);
  }
  if (a.eligible > a.total) problems.push(`eligible ${a.eligible} fen is more than the total ${a.total} fen`);
  if (a.deductible > a.eligible) problems.push(`deductible ${a.deductible} fen is more than the eligible ${a.eligible} fen`);
  for (const c of caps) {
    if (c.after < c.before) problems.push(`cap ${c.bucket} goes down, from ${c.before} fen to ${c.after} fen`);
  }
  return problems;
}

/** A broken invariant of the ledger's own making (not a refusal of the request): an internal error. */
export class InvariantError extends YibaoError<'INTERNAL_INVARIANT'> {
  constructor(message: string) {
    super('INTERNAL_INVARIANT', message);
    this.name = 'InvariantError';
  }
}

/**
 * Throws {@link InvariantError} naming the entry and each broken part of the identity.
 *
 * @throws InvariantError when the identity does not hold.
 */
export function assertMoneyIdentity(what: string, a: EntryAmounts, caps: readonly CapSpent[] = []): void {
  const problems = moneyProblems(a, caps);
  if (problems.length > 0) throw new InvariantError(`${what}: the money identity does not hold, nothing was written: ${problems.join('; ')}`);
}
