/**
 * The coverage a payment buys (待遇享受期): for a person and one payment (paid on, coverage year,
 * transfer), from the policy in force — whether it is in the concentrated or the extended period,
 * the waiting period or the exemption that applies and why, the day benefits start and the day
 * they end, each with its article, and an explanation for an agency clerk.
 *
 * Pure, and the same reading as the engine's eligibility step: both call `readPayment`
 * (periods.ts). A visit of the coverage year is covered by the engine exactly when its China day
 * is within [benefitsFrom, benefitsTo] here.
 *
 * Which rules: those in force in the region on the first day the payment can count for —
 * 1 January of the coverage year for a payment made before it, else the day of payment (the
 * engine reads each visit under the rules of the visit's day; the documents' periods do not change
 * within a year).
 */
import { formatDate, yearStart, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS, HARDSHIP_LABELS, type Category, type Hardship, type Scheme } from '../domain.js';
import { SettlementError } from '../engine/errors.js';
import { cited, sources2 } from '../engine/explain.js';
import type { SettlementEngine } from '../engine/settle.js';
import type { TraceStep } from '../engine/types.js';
import { exemptionCite, exemptionLabel, governingPayment, PERIOD_CONCENTRATED, readPayment, type Exemption } from '../engine/periods.js';
import type { Enrollment } from '../engine/types.js';

export interface CoveragePerson {
  /** Absent when the coverage is asked for without a person on file. */
  id?: string | undefined;
  /** admdvs code. */
  region: string;
  scheme: Scheme;
  category: Category;
  hardship?: Hardship | undefined;
}

export interface Dated {
  from: DayNumber;
  to: DayNumber;
  source: string;
}

export interface Coverage {
  person: string | null;
  region: string;
  regionName: string;
  scheme: Scheme;
  /** The person as the payment is read (as enrolled, when that is on file). */
  category: Category;
  hardship: Hardship | null;
  coverageYear: number;
  paidOn: DayNumber;
  transfer: boolean;
  /** Document number of the rules read, e.g. 洛医保〔2023〕63号; null for employees (no periods). */
  policy: string | null;
  policyId: string | null;
  /** null: the scheme has no payment periods in the documents (employees). */
  period: 'concentrated' | 'extended' | null;
  concentratedPeriod: Dated | null;
  /** 待遇享受期; null when the wait ends after the coverage year (the payment buys no days of it). */
  coverage: Dated | null;
  waitingPeriod: (Dated & { days: number }) | null;
  exemption: { reason: Exemption; label: string; source: string } | null;
  /** First day of benefits (may be after the coverage year: then coverage is null). */
  benefitsFrom: DayNumber;
  trace: TraceStep[];
}

/** The day whose rules read a payment for its coverage year (see the module comment). */
export function rulesDay(e: Pick<Enrollment, 'paidOn' | 'coverageYear'>): DayNumber {
  const first = yearStart(e.coverageYear);
  const last = yearStart(e.coverageYear + 1) - 1;
  return e.paidOn < first ? first : e.paidOn > last ? last : e.paidOn;
}

/** The payment-period rules in force in the person's region on a day, or NO_POLICY_IN_FORCE. */
function rulesAt(engine: SettlementEngine, region: string, day: DayNumber, where: string) {
  const segment = engine.segmentAt(region, day);
  if (!segment) throw new SettlementError('NO_POLICY_IN_FORCE', `${where}: ${engine.policies.describeInForce(region, day)}`);
  return segment.enrollment;
}

/**
 * Of a person's payments for one coverage year, the one a visit on `day` is settled with: the
 * payment whose benefits start first under the rules of that day (periods.ts governingPayment),
 * so that the person is covered on any day one of their payments covers. Employees: the first
 * (the engine covers the whole coverage year whichever it is).
 */
export function governingStoredPayment<E extends Enrollment>(engine: SettlementEngine, person: CoveragePerson, payments: readonly E[], day: DayNumber): E | undefined {
  if (payments.length <= 1 || person.scheme !== 'resident') return payments[0];
  const rules = engine.segmentAt(person.region, day)?.enrollment;
  return governingPayment(payments, (e) => readPayment(rules, person, e, person.id ?? '', 'payment').benefitsFrom);
}

/**
 * The coverage a payment buys.
 *
 * @throws SettlementError NO_POLICY_IN_FORCE (no document in force in the region for the coverage
 *   year), MISSING_PARAMETER (none gives the periods), ENROLLMENT_INVALID (the payment is in
 *   neither period).
 */
export function deriveCoverage(engine: SettlementEngine, person: CoveragePerson, e: Enrollment): Coverage {
  const where = person.id ? `person ${person.id}` : `the payment of ${formatDate(e.paidOn)} for ${e.coverageYear}`;
  const rules = rulesAt(engine, person.region, rulesDay(e), where);
  const regionName = engine.policies.region(person.region)?.name ?? person.region;
  const as = e.enrolledAs ?? person;
  const base = {
    person: person.id ?? null,
    region: person.region,
    regionName,
    scheme: person.scheme,
    category: as.category,
    hardship: as.hardship ?? null,
    coverageYear: e.coverageYear,
    paidOn: e.paidOn,
    transfer: e.transfer,
  };
  const y = e.coverageYear;
  const trace: TraceStep[] = [];
  if (person.scheme !== 'resident') {
    // The engine's reading for employees: covered throughout the coverage year (no periods in the documents).
    const from = yearStart(y);
    const to = yearStart(y + 1) - 1;
    trace.push({
      step: 'coverage',
      result: 'covered',
      text: `职工医保：所实施的文件未规定职工参保缴费期与待遇等待期，${y}年度缴费，${formatDate(from)}至${formatDate(to)}享受待遇（与结算一致）。`,
    });
    return {
      ...base,
      policy: null,
      policyId: null,
      period: null,
      concentratedPeriod: null,
      coverage: { from, to, source: '' },
      waitingPeriod: null,
      exemption: null,
      benefitsFrom: from,
      trace,
    };
  }
  const r = readPayment(rules, person, e, person.id ?? '(unnamed)', where);
  const c = r.rules;
  const doc = c.pack.document.number;
  const paid = formatDate(r.paidOn);
  const window = { from: r.windowFrom, to: r.windowTo, source: cited(c.concentratedCite) };
  const who = as.hardship ? `${CATEGORY_LABELS[as.category]}（${HARDSHIP_LABELS[as.hardship]}）` : CATEGORY_LABELS[as.category];
  trace.push({
    step: 'policy',
    source: sources2(c.concentratedCite, c.waitingCite),
    policy: doc,
    text: `${regionName}${y}年度城乡居民医保的缴费期与待遇等待期，适用${doc}。参保人：${who}${e.transfer ? '，医保关系转移接续' : ''}。`,
  });
  const endOfYear = formatDate(r.benefitsTo);
  if (r.period === PERIOD_CONCENTRATED) {
    trace.push({
      step: 'period',
      source: cited(c.concentratedCite),
      period: 'concentrated',
      text: `${paid}缴费，在${y}年度的集中缴费期（${formatDate(r.windowFrom)}至${formatDate(r.windowTo)}；${c.concentratedCite.quote ?? c.concentratedCite.text}）内。`,
    });
    trace.push({
      step: 'coverage',
      source: cited(c.coverageCite),
      benefitsFrom: formatDate(r.benefitsFrom),
      text: `在集中缴费期缴费，享受${formatDate(r.benefitsFrom)}至${endOfYear}的居民医保待遇，无待遇等待期。`,
    });
    return {
      ...base,
      policy: doc,
      policyId: c.pack.id,
      period: 'concentrated',
      concentratedPeriod: window,
      coverage: { from: r.benefitsFrom, to: r.benefitsTo, source: cited(c.coverageCite) },
      waitingPeriod: null,
      exemption: null,
      benefitsFrom: r.benefitsFrom,
      trace,
    };
  }
  trace.push({
    step: 'period',
    source: sources2(c.concentratedCite, c.waitingCite),
    period: 'extended',
    text: `${paid}缴费，在${y}年度集中缴费期（${formatDate(r.windowFrom)}至${formatDate(r.windowTo)}）之后、${y}年度之内，为在延长缴费期间缴纳当年居民医保费。`,
  });
  let exemption: Coverage['exemption'] = null;
  let waitingPeriod: Coverage['waitingPeriod'] = null;
  const within = r.benefitsFrom <= r.benefitsTo;
  const tail = within ? `${formatDate(r.benefitsFrom)}起享受待遇，至${endOfYear}。` : `等待期届满时${y}年度已结束：本次缴费在${y}年度不享受待遇。`;
  if (r.exemption !== null) {
    const source = sources2(exemptionCite(c, r.exemption), c.coverageCite);
    const label = exemptionLabel(r, person, e);
    exemption = {
      reason: r.exemption,
      label: r.exemption === 'hardship' && as.hardship ? `${label}（${HARDSHIP_LABELS[as.hardship]}）` : label,
      source: cited(exemptionCite(c, r.exemption)),
    };
    const quote = exemptionCite(c, r.exemption).quote;
    trace.push({
      step: 'exemption',
      source,
      exemption: r.exemption,
      benefitsFrom: formatDate(r.benefitsFrom),
      text: `${exemption.label}参保不设待遇等待期${quote ? `（${quote}）` : ''}，自缴费之日${tail}`,
    });
  } else {
    const source = sources2(c.waitingCite, c.coverageCite);
    const days = c.waitingDays;
    if (r.waitFrom !== null && r.waitTo !== null) waitingPeriod = { from: r.waitFrom, to: r.waitTo, days, source: cited(c.waitingCite) };
    trace.push({
      step: 'waiting-period',
      source,
      days,
      benefitsFrom: formatDate(r.benefitsFrom),
      text:
        waitingPeriod !== null
          ? `待遇等待期${days}天，自缴费次日起算：${formatDate(waitingPeriod.from)}至${formatDate(waitingPeriod.to)}；${tail}等待期期间及之前发生的费用基金不予追溯支付。`
          : `不设待遇等待期：${tail}`,
    });
  }
  return {
    ...base,
    policy: doc,
    policyId: c.pack.id,
    period: 'extended',
    concentratedPeriod: window,
    coverage: within ? { from: r.benefitsFrom, to: r.benefitsTo, source: sources2(c.coverageCite, r.exemption !== null ? exemptionCite(c, r.exemption) : c.waitingCite) } : null,
    waitingPeriod,
    exemption,
    benefitsFrom: r.benefitsFrom,
    trace,
  };
}

const dated = (d: Dated | null) => (d === null ? null : { from: formatDate(d.from), to: formatDate(d.to), source: d.source });

/** The coverage as JSON: dates as YYYY-MM-DD. */
export function coverageJson(c: Coverage, options: { trace?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    person: c.person,
    region: c.region,
    regionName: c.regionName,
    scheme: c.scheme,
    category: c.category,
    hardship: c.hardship,
    coverageYear: c.coverageYear,
    paidOn: formatDate(c.paidOn),
    transfer: c.transfer,
    policy: c.policy,
    policyId: c.policyId,
    period: c.period,
    concentratedPeriod: dated(c.concentratedPeriod),
    coverage: dated(c.coverage),
    waitingPeriod: c.waitingPeriod === null ? null : { ...dated(c.waitingPeriod), days: c.waitingPeriod.days },
    exemption: c.exemption,
    benefitsFrom: formatDate(c.benefitsFrom),
  };
  if (options.trace !== false) out.trace = c.trace;
  return out;
}
