/**
 * The residents' payment periods read against one payment (参保缴费期、待遇享受期、待遇等待期): the one
 * implementation of the rules, used by the settlement engine's eligibility step for every visit and
 * by `deriveCoverage` (coverage.ts) for a payment on its own. Pure; day numbers only (no text), so
 * that the engine's hot path stays cheap.
 *
 * The rules come from the policy in force (CompiledEnrollment: 豫医保办〔2023〕71号 五, 洛医保〔2023〕63号
 * 六), nothing here is a policy figure:
 *
 *   - the concentrated period (集中缴费期) of coverage year Y is the policy's month-day range in Y − 1;
 *     paying in it covers 1 January – 31 December of Y, with no wait;
 *   - paying for Y on a day of Y itself (after the concentrated period) is the extended period
 *     (延长缴费期): the wait is the policy's number of days counted from the day after payment
 *     (《民法典》第二百零一条): paid on D, the wait is D+1 … D+n and benefits run from D+n+1 to
 *     31 December of Y — unless the person is exempt (the policy's categories, hardship groups,
 *     transfers), who are covered from D;
 *   - any other day (before the concentrated period, or after Y) is in neither period: ENROLLMENT_INVALID.
 */
import { dayOf, formatDate, yearStart, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS } from '../domain.js';
import type { Cite, CompiledEnrollment } from './compiled.js';
import { missingMessage, SettlementError, type MissingParameter } from './errors.js';
import type { EnrolledAs, Enrollment } from './types.js';

/** Why a payment in the extended period has no wait. */
export type Exemption = 'category' | 'hardship' | 'transfer';

export const PERIOD_CONCENTRATED = 'concentrated';
export const PERIOD_EXTENDED = 'extended';

/** A payment read against the rules: every day the documents make of it. */
export interface PaymentReading {
  rules: CompiledEnrollment;
  coverageYear: number;
  paidOn: DayNumber;
  period: typeof PERIOD_CONCENTRATED | typeof PERIOD_EXTENDED;
  /** The concentrated period for the coverage year (in the year before). */
  windowFrom: DayNumber;
  windowTo: DayNumber;
  /** The exemption from the wait that applies (extended period only), or null. */
  exemption: Exemption | null;
  /** The waiting period, first and last day; null when there is none. */
  waitFrom: DayNumber | null;
  waitTo: DayNumber | null;
  /** First day of benefits (待遇享受期). After `benefitsTo` when the wait runs past the year. */
  benefitsFrom: DayNumber;
  /** Last day of benefits: 31 December of the coverage year. */
  benefitsTo: DayNumber;
}

/**
 * The rules of a segment, checked: complete, or MISSING_PARAMETER naming what is missing.
 * `where` starts the message (e.g. `visit v1`).
 */
export function usableRules(rules: CompiledEnrollment | undefined, where: string): CompiledEnrollment {
  if (!rules) {
    const missing: MissingParameter[] = [{ path: 'enrollment', label: '参保缴费期与待遇等待期', citation: '（无）', reason: 'no document in force for the region states them' }];
    throw new SettlementError('MISSING_PARAMETER', `${where}: no policy in force gives the residents' payment periods and waiting period needed to read the enrollment`, missing);
  }
  if (rules.missing.length > 0 || !rules.concentrated) {
    throw new SettlementError('MISSING_PARAMETER', `${where}: ${missingMessage('the enrollment', rules.pack.document.number, rules.missing)}`, rules.missing);
  }
  return rules;
}

/** The exemption from the wait that applies to a payer, or null. */
export function exemptionOf(rules: CompiledEnrollment, who: EnrolledAs, transfer: boolean): Exemption | null {
  if (rules.exemptCategories.has(who.category)) return 'category';
  if (who.hardship !== undefined && rules.exemptHardship.has(who.hardship)) return 'hardship';
  if (transfer && rules.exemptTransfer) return 'transfer';
  return null;
}

/**
 * Reads one payment against the rules. `who` is the person now (used unless the payment carries
 * `enrolledAs`); `personId` and `where` name them in errors.
 *
 * @throws SettlementError MISSING_PARAMETER (the rules are not given), ENROLLMENT_INVALID (the
 *   payment is in neither period for its coverage year).
 */
export function readPayment(rules: CompiledEnrollment | undefined, who: EnrolledAs, e: Enrollment, personId: string, where: string): PaymentReading {
  const r = usableRules(rules, where);
  const c = r.concentrated as NonNullable<CompiledEnrollment['concentrated']>;
  const y = e.coverageYear;
  const windowFrom = dayOf(y - 1, c.from.month, c.from.day);
  const windowTo = dayOf(y - 1, c.to.month, c.to.day);
  const benefitsTo = yearStart(y + 1) - 1;
  const paidOn = e.paidOn;
  if (paidOn >= windowFrom && paidOn <= windowTo) {
    return {
      rules: r,
      coverageYear: y,
      paidOn,
      period: PERIOD_CONCENTRATED,
      windowFrom,
      windowTo,
      exemption: null,
      waitFrom: null,
      waitTo: null,
      benefitsFrom: yearStart(y),
      benefitsTo,
    };
  }
  if (paidOn < yearStart(y) || paidOn > benefitsTo) {
    throw new SettlementError(
      'ENROLLMENT_INVALID',
      `person ${personId}: enrollment.paidOn ${formatDate(paidOn)} is neither in the concentrated period for ${y} (${formatDate(windowFrom)} to ${formatDate(windowTo)}, ${r.concentratedCite.citation}) nor in ${y} itself`,
    );
  }
  const exemption = exemptionOf(r, e.enrolledAs ?? who, e.transfer);
  if (exemption !== null) {
    return { rules: r, coverageYear: y, paidOn, period: PERIOD_EXTENDED, windowFrom, windowTo, exemption, waitFrom: null, waitTo: null, benefitsFrom: paidOn, benefitsTo };
  }
  const days = r.waitingDays;
  return {
    rules: r,
    coverageYear: y,
    paidOn,
    period: PERIOD_EXTENDED,
    windowFrom,
    windowTo,
    exemption: null,
    waitFrom: days > 0 ? paidOn + 1 : null,
    waitTo: days > 0 ? paidOn + days : null,
    benefitsFrom: paidOn + days + 1,
    benefitsTo,
  };
}

/**
 * Of several payments for one coverage year, the one that governs: the person is covered on a day
 * when any of their payments covers it, and as every payment's benefits run to 31 December, that
 * is the payment whose benefits start first (ties: the earlier payment, then the one listed first).
 * Payments that cannot be read are passed over; when none can, the first is returned so that its
 * error is the one reported.
 *
 * `benefitsFrom` gives a payment's first day of benefits (throwing SettlementError as readPayment does).
 */
export function governingPayment<E extends { paidOn: DayNumber }>(payments: readonly E[], benefitsFrom: (e: E) => DayNumber): E | undefined {
  let best: E | undefined;
  let bestFrom = Infinity;
  for (const e of payments) {
    let from: number;
    try {
      from = benefitsFrom(e);
    } catch (err) {
      if (err instanceof SettlementError) continue;
      throw err;
    }
    if (from < bestFrom || (from === bestFrom && best !== undefined && e.paidOn < best.paidOn)) {
      best = e;
      bestFrom = from;
    }
  }
  return best ?? payments[0];
}

/** The article that grants an exemption. */
export function exemptionCite(rules: CompiledEnrollment, exemption: Exemption | null): Cite {
  if (exemption === 'hardship') return rules.exemptHardshipCite;
  if (exemption === 'transfer') return rules.exemptTransferCite;
  return rules.exemptCite;
}

/** Who is exempt, in the documents' words: 新生儿, 困难群众, 医保关系转移接续. */
export function exemptionLabel(reading: PaymentReading, who: EnrolledAs, e: Enrollment): string {
  const as = e.enrolledAs ?? who;
  if (reading.exemption === 'category') return CATEGORY_LABELS[as.category];
  if (reading.exemption === 'hardship') return '困难群众';
  if (reading.exemption === 'transfer') return '医保关系转移接续';
  return '特殊群体';
}
