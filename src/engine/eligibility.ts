/**
 * The eligibility step for residents (居民医保): the payment read against the periods of the policy in
 * force (periods.ts), and whether the visit's day falls in the benefits (待遇享受期) or in the wait
 * (待遇等待期). The engine (settle.ts) asks it for every resident visit that carries an enrollment.
 */
import { formatDate, type DayNumber } from '../calendar/calendar.js';
import type { Category, Hardship } from '../domain.js';
import type { CompiledEnrollment } from './compiled.js';
import { cited, sources2 } from './explain.js';
import { exemptionCite, exemptionLabel, PERIOD_CONCENTRATED, readPayment, type PaymentReading } from './periods.js';
import type { Eligibility, Enrollment, Person, TraceStep, Visit } from './types.js';

/** The residents' eligibility step, keeping the payment it read last (a person's visits come together). */
export class ResidentEligibility {
  private lastReading: PaymentReading | undefined = undefined;
  private readingEnrollment: Enrollment | undefined = undefined;
  private readingCategory: Category | undefined = undefined;
  private readingHardship: Hardship | undefined = undefined;

  /**
   * A payment read against the rules of the visit's day (periods.ts: the one
   * implementation of the periods). The last reading is kept: a person's visits come together.
   */
  private readingFor(person: Person, e: Enrollment, rules: CompiledEnrollment | undefined, visit: Visit): PaymentReading {
    const last = this.lastReading;
    if (last !== undefined && this.readingEnrollment === e && last.rules === rules && this.readingCategory === person.category && this.readingHardship === person.hardship) {
      return last;
    }
    const reading = readPayment(rules, person, e, person.id, `visit ${visit.id}`);
    this.lastReading = reading;
    this.readingEnrollment = e;
    this.readingCategory = person.category;
    this.readingHardship = person.hardship;
    return reading;
  }

  /** Whether a resident's payment covers the visit's day: in the concentrated period, or past the wait. */
  check(person: Person, visit: Visit, day: DayNumber, e: Enrollment, rules: CompiledEnrollment | undefined, trace: TraceStep[] | null): Eligibility {
    const r = this.readingFor(person, e, rules, visit);
    const c = r.rules;
    if (r.period === PERIOD_CONCENTRATED) {
      if (trace !== null) {
        trace.push({
          step: 'eligibility',
          source: sources2(c.concentratedCite, c.coverageCite),
          result: 'covered',
          paidOn: formatDate(e.paidOn),
          coverageYear: e.coverageYear,
          text: `${formatDate(e.paidOn)}在集中缴费期（${c.concentratedCite.text}）缴费，享受${e.coverageYear}年1月1日至12月31日待遇。`,
        });
      }
      return 'covered';
    }
    const exempt = r.exemption !== null;
    const start = r.benefitsFrom;
    const source = exempt ? cited(exemptionCite(c, r.exemption)) : cited(c.waitingCite);
    if (day >= start) {
      if (trace !== null) {
        trace.push({
          step: 'eligibility',
          source,
          result: 'covered',
          paidOn: formatDate(e.paidOn),
          benefitsFrom: formatDate(start),
          text: exempt
            ? `延长缴费期${formatDate(e.paidOn)}缴费；${exemptionLabel(r, person, e)}不设待遇等待期，自缴费之日起享受待遇。`
            : `延长缴费期${formatDate(e.paidOn)}缴费，待遇等待期${c.waitingDays}天（${formatDate(r.waitFrom as DayNumber)}至${formatDate(r.waitTo as DayNumber)}），${formatDate(start)}起享受待遇。`,
        });
      }
      return 'covered';
    }
    if (trace !== null) {
      trace.push({
        step: 'eligibility',
        source,
        result: 'waiting-period',
        paidOn: formatDate(e.paidOn),
        benefitsFrom: formatDate(start),
        text: exempt
          ? `就诊日期${formatDate(day)}早于缴费日期${formatDate(e.paidOn)}，基金不予支付。`
          : `延长缴费期${formatDate(e.paidOn)}缴费，待遇等待期${c.waitingDays}天，${formatDate(start)}起享受待遇；等待期期间及之前发生的费用基金不予追溯支付。`,
      });
    }
    return 'waiting-period';
  }
}
