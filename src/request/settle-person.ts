/**
 * Settling a person's visits in order, carrying the annual accumulators from visit to visit, and
 * the JSON shape of the results (amounts in yuan).
 */
import { formatDate } from '../calendar/calendar.js';
import { MemoryAccumulators } from '../engine/accumulators.js';
import { SettlementError } from '../engine/errors.js';
import type { SettlementEngine } from '../engine/settle.js';
import type { Settlement } from '../engine/types.js';
import { toYuanNumber } from '../money/money.js';
import type { SettleRequest } from './settle-request.js';
import { append } from '../account/account.js';
import { accountView, payFromAccount, stateFromBalance } from '../account/settle.js';

export interface VisitFailure {
  visitId: string;
  error: SettlementError;
}

export type VisitOutcome = Settlement | VisitFailure;

export const isFailure = (o: VisitOutcome): o is VisitFailure => 'error' in o;

/**
 * Settles each visit in order against the accumulators (fresh ones by default). A visit that
 * cannot be settled is reported and changes nothing; the visits after it are still settled.
 */
export function settleVisits(
  engine: SettlementEngine,
  request: SettleRequest,
  options: { trace?: boolean; accumulators?: MemoryAccumulators } = {},
): { outcomes: VisitOutcome[]; accumulators: MemoryAccumulators } {
  const acc = options.accumulators ?? new MemoryAccumulators();
  const outcomes: VisitOutcome[] = [];
  let account = request.account ? stateFromBalance(request.person, request.account) : undefined;
  for (const visit of request.visits) {
    try {
      let s = engine.settle(request.person, visit, acc, { trace: options.trace ?? true });
      if (visit.useAccount && account) {
        const paid = payFromAccount(s, visit, account, engine.policies);
        s = { ...paid.settlement, account: accountView(paid.use) };
        if (paid.use.entry) account = append(account, paid.use.entry);
      }
      acc.apply(s.changes);
      outcomes.push(s);
    } catch (e) {
      if (!(e instanceof SettlementError)) throw e;
      outcomes.push({ visitId: visit.id, error: e });
    }
  }
  return { outcomes, accumulators: acc };
}

/** A settlement as JSON, amounts in yuan. */
export function settlementJson(s: Settlement): Record<string, unknown> {
  const y = toYuanNumber;
  const out: Record<string, unknown> = {
    visitId: s.visitId,
    policy: s.policy,
    policyId: s.policyId,
    benefit: s.benefit,
    benefitLabel: s.benefitLabel,
    date: formatDate(s.date),
    eligibility: s.eligibility,
    total: y(s.total),
    eligible: y(s.eligible),
    outOfScope: y(s.outOfScope),
    deductible: y(s.deductible),
    fundPay: y(s.fundPay),
    criticalIllnessPay: y(s.criticalIllnessPay),
    assistancePay: y(s.assistancePay),
    accountPay: y(s.accountPay),
    cashPay: y(s.cashPay),
    ratio: s.ratio === null ? null : s.ratio / 100,
    institutionClass: s.institutionClass,
    cap: s.cap
      ? {
          bucket: s.cap.bucket,
          year: s.cap.year,
          limit: y(s.cap.limit),
          usedBefore: y(s.cap.usedBefore),
          usedAfter: y(s.cap.usedAfter),
          remaining: y(Math.max(0, s.cap.limit - s.cap.usedAfter)),
        }
      : null,
  };
  // The yearly totals of the fund chain's later layers (大病保险, 医疗救助), when they changed.
  if (s.changes.layers) out.layers = s.changes.layers.map((l) => ({ bucket: l.bucket, year: l.year, before: y(l.before), after: y(l.after) }));
  // The personal account's part, when the visit asked it to pay (null otherwise).
  out.account = s.account
    ? {
        id: s.account.accountId,
        paid: y(s.account.paid),
        balanceBefore: y(s.account.balanceBefore),
        balanceAfter: y(s.account.balanceAfter),
        ...(s.account.refused ? { refused: s.account.refused } : {}),
      }
    : null;
  if (s.trace) out.trace = s.trace;
  return out;
}

export function outcomeJson(o: VisitOutcome): Record<string, unknown> {
  return isFailure(o) ? { visitId: o.visitId, error: o.error.toJSON() } : settlementJson(o);
}
