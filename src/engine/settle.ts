/**
 * The settlement engine (结算): one visit, against the policy in force, to the fen.
 *
 * Pure: it reads the person, the visit and the accumulators, and returns the settlement with the
 * accumulator changes it implies. No I/O, no clock. The steps, in order:
 *
 *   resolve the policy in force (region, date) → eligibility (参保缴费、待遇等待期) →
 *   contracted institution (定点) → classify the institution → amount outside the policy range →
 *   deductible (起付标准) → ratio (支付比例) → annual cap (年度最高支付限额) → fund chain → result.
 *
 * Amounts are integer fen; the fund's payment is rounded half away from zero to the fen, once,
 * where the ratio is applied. fundPay + criticalIllnessPay + assistancePay + accountPay + cashPay
 * = total, always.
 *
 * The vocabulary (Person, Visit, Settlement, the eligibility words) is in types.ts, the explanation's
 * text in explain.ts, the residents' payment periods in periods.ts and eligibility.ts, the compiled
 * tables in compile.ts and compiled.ts: this module is the algorithm.
 */
import { chinaDay, formatDate, yearOf, yearStart, type DayNumber } from '../calendar/calendar.js';
import { VISIT_TYPE_LABELS, VISIT_TYPES, type Scheme } from '../domain.js';
import { applyRate, ONE_HUNDRED_PERCENT, type BasisPoints, type Fen } from '../money/money.js';
import type { PolicySet, RegionInfo } from '../policy/registry.js';
import type { Accumulators, AccumulatorChanges, CapChange } from './accumulators.js';
import { CompiledRegion } from './compile.js';
import {
  WINDOW_PER_VISIT,
  type CompiledAmountLimit,
  type CompiledBenefit,
  type CompiledEnrollment,
  type CompiledLayer,
  type CompiledPooling,
  type CompiledSegment,
} from './compiled.js';
import { ResidentEligibility } from './eligibility.js';
import { missingMessage, SettlementError } from './errors.js';
import { categoryIndex, schemeIndex, tierIndex, visitTypeIndex } from './indexes.js';
import {
  traceAccountReform,
  traceAmountLimit,
  traceCapAndResult,
  traceChainResult,
  traceClassify,
  traceDeductible,
  traceInHospital,
  traceLayer,
  traceNoDeductible,
  traceNotContracted,
  traceNothingFromFund,
  tracePolicy,
  traceRatio,
  traceReferral,
  traceReferralExclusion,
} from './explain.js';
import type { CapUse, Eligibility, Person, Settlement, SettleOptions, TraceStep, Visit } from './types.js';

const NO_CHANGES: AccumulatorChanges = Object.freeze({ cap: null, deductibleWindow: null }) as AccumulatorChanges;

/** What the later layers of the fund chain (大病保险, 医疗救助) add to a settlement. */
interface LayerOutcome {
  pay: Fen;
  changes: CapChange[];
}
// The hot path writes these out as literals (a module binding costs a load and a check there).
if (WINDOW_PER_VISIT !== 3 || ONE_HUNDRED_PERCENT !== 10_000) throw new Error('settle.ts: literal constants out of date');
const VISIT_TYPE_COUNT = VISIT_TYPES.length;
/** Above this a fen amount times basis points goes the long way round ({@link applyRate}). */
const FAST_PRODUCT_LIMIT = 2 ** 52;

/**
 * {@link applyRate}, exactly: the division done in floating point and corrected, for products
 * where that is exact; anything else (negative, fractional, huge) goes to applyRate itself.
 */
function rate(amount: Fen, ratio: BasisPoints): Fen {
  const n = amount * ratio;
  // 10_000 below is ONE_HUNDRED_PERCENT, written out: a module binding costs a load and a check.
  if (n > 0 && n <= 0x7fffffff && (n | 0) === n) {
    const r = n % 10_000;
    const q = (n - r) / 10_000;
    return r * 2 >= 10_000 ? q + 1 : q;
  }
  if (n > 0 && n <= FAST_PRODUCT_LIMIT && Math.floor(n) === n) {
    let q = Math.floor(n / ONE_HUNDRED_PERCENT);
    let r = n - q * ONE_HUNDRED_PERCENT;
    if (r < 0) {
      q -= 1;
      r += ONE_HUNDRED_PERCENT;
    } else if (r >= ONE_HUNDRED_PERCENT) {
      q += 1;
      r -= ONE_HUNDRED_PERCENT;
    }
    return r * 2 >= ONE_HUNDRED_PERCENT ? q + 1 : q;
  }
  if (n === 0) return 0;
  return applyRate(amount, ratio);
}

/**
 * Settles visits against a set of policies. Keeps compiled policy per region; otherwise stateless.
 *
 * The hot path (trace off) is a few reads of compiled integer tables and of the accumulators,
 * integer arithmetic, and the result object; every line of the explanation is built in a method of
 * its own, called only when the trace is on.
 */
export class SettlementEngine {
  private readonly regions = new Map<string, CompiledRegion>();
  // The segment found last, with its region and days: a person's visits come one after another.
  private lastCode: string | undefined = undefined;
  private lastSegment: CompiledSegment | undefined = undefined;
  private segmentFrom = 0;
  private segmentTo = -1;
  private infoCode: string | undefined = undefined;
  private info: RegionInfo | undefined = undefined;
  // The year found last, with its first and last day.
  private lastYear = 0;
  private yearFrom = 0;
  private yearTo = -1;
  /** The residents' eligibility step, with the payment it read last. */
  private readonly residents = new ResidentEligibility();

  constructor(readonly policies: PolicySet) {}

  private region(code: string): CompiledRegion {
    let r = this.regions.get(code);
    if (!r) {
      r = new CompiledRegion(this.policies, code);
      this.regions.set(code, r);
    }
    return r;
  }

  /**
   * The segment in force in a region on a day, or undefined when none is (or it has no packs);
   * kept, with its days, for the visits that follow.
   */
  private segmentFor(code: string, day: DayNumber): CompiledSegment | undefined {
    const segment = this.region(code).at(day);
    if (!segment || segment.chain.length === 0) return undefined;
    this.lastCode = code;
    this.lastSegment = segment;
    this.segmentFrom = segment.from;
    this.segmentTo = segment.to === null ? Infinity : segment.to;
    return segment;
  }

  /** The region's name and codes (PolicySet.region), the last one asked for kept. */
  private regionInfo(code: string): RegionInfo | undefined {
    if (code !== this.infoCode || this.infoCode === undefined) {
      this.info = this.policies.region(code);
      this.infoCode = code;
    }
    return this.info;
  }

  /** The calendar year of a day, from the year kept when the day falls in it. */
  private year(day: DayNumber): number {
    if (day >= this.yearFrom && day <= this.yearTo) return this.lastYear;
    const year = yearOf(day);
    // Only years whose bounds come from the calendar's tables (it answers the same for every day in them).
    if (year >= 1970 && year < 2200) {
      this.lastYear = year;
      this.yearFrom = yearStart(year);
      this.yearTo = yearStart(year + 1) - 1;
    }
    return year;
  }

  /** The compiled policy in force in a region on a day. */
  segmentAt(region: string, day: DayNumber): CompiledSegment | undefined {
    const seg = this.region(region).at(day);
    return seg && seg.chain.length > 0 ? seg : undefined;
  }

  /**
   * Settles one visit. Throws {@link SettlementError} when no policy settles it or a parameter
   * it needs is missing; nothing is changed then.
   */
  settle(person: Person, visit: Visit, acc: Accumulators, options?: SettleOptions): Settlement {
    const traceOn = options?.trace === true;
    const day = chinaDay(visit.time);
    const code = person.region;
    let segment = this.lastSegment;
    if (code !== this.lastCode || !(day >= this.segmentFrom && day <= this.segmentTo)) segment = this.segmentFor(code, day);
    if (segment === undefined) {
      throw new SettlementError('NO_POLICY_IN_FORCE', `visit ${visit.id}: ${this.policies.describeInForce(person.region, day)}`);
    }
    const scheme = person.scheme;
    const schemeAt = schemeIndex(scheme);
    const typeAt = visitTypeIndex(visit.type);
    const benefit = schemeAt >= 0 && typeAt >= 0 ? segment.benefits[schemeAt * VISIT_TYPE_COUNT + typeAt] : undefined;
    if (benefit === undefined) {
      throw new SettlementError(
        'NO_BENEFIT_RULE',
        `visit ${visit.id}: no policy in force settles ${person.scheme} ${visit.type} (${VISIT_TYPE_LABELS[visit.type]}) visits; ${this.policies.describeInForce(person.region, day)}`,
      );
    }
    const trace: TraceStep[] | null = traceOn ? [] : null;
    if (trace !== null) tracePolicy(trace, person, visit, day, benefit, this.regionInfo(person.region)?.name);

    // Eligibility (待遇享受期).
    const eligibility = this.eligibility(person, scheme, visit, day, segment.enrollment, trace);
    if (eligibility !== 'covered') return this.nothingFromFund(person, visit, day, benefit, eligibility, trace);

    // 调整个人账户结构: a benefit for those whose account structure was adjusted only.
    if (person.accountReformed === false && benefit.kind === 'pooling' && benefit.accountReformRequired !== null) {
      if (trace !== null) traceAccountReform(trace, benefit, benefit.accountReformRequired);
      return this.nothingFromFund(person, visit, day, benefit, 'account-not-reformed', trace);
    }

    // Contracted institution (定点医疗机构).
    if (benefit.contractedOnly && !visit.institution.contracted) {
      if (trace !== null) traceNotContracted(trace, benefit, visit.institution);
      return this.nothingFromFund(person, visit, day, benefit, 'non-contracted', trace);
    }

    if (benefit.kind !== 'pooling') {
      const s = this.settleAmountLimit(person, visit, day, benefit, trace);
      return segment.criticalIllness === undefined && segment.assistance === undefined ? s : this.furtherLayers(s, segment, person, visit, acc, 0, trace);
    }

    // 住院期间不享受 (e.g. outpatient pooling while the person is in hospital).
    if (benefit.notDuringStay !== null && visit.inHospital === true) {
      if (trace !== null) traceInHospital(trace, benefit, benefit.notDuringStay, visit);
      return this.nothingFromFund(person, visit, day, benefit, 'in-hospital', trace);
    }

    // Pooling (统筹): the common case, here rather than in a method of its own so that it is
    // optimized together with the steps above.
    const categoryAt = categoryIndex(person.category);
    const table = categoryAt >= 0 ? benefit.tables[categoryAt] : undefined;
    if (table === undefined) {
      throw new SettlementError('NO_BENEFIT_RULE', `visit ${visit.id}: ${benefit.label} (${benefit.pack.document.number}) has no rule for category ${person.category}`);
    }
    if (table.missing.length > 0) {
      throw new SettlementError(
        'MISSING_PARAMETER',
        `visit ${visit.id}: ${missingMessage(`${VISIT_TYPE_LABELS[visit.type]} visits (${benefit.label})`, benefit.pack.document.number, table.missing)}`,
        table.missing,
      );
    }
    const inst = visit.institution;
    const tierAt = tierIndex(inst.tier);
    const cls = tierAt >= 0 ? table.classes[table.classify[tierAt * 4 + inst.grade] as number] : undefined;
    if (cls === undefined) throw new SettlementError('NO_BENEFIT_RULE', `visit ${visit.id}: no institution class for a ${inst.tier} institution of grade ${inst.grade}`);
    const total = visit.total;
    const eligible = visit.eligible;
    const outOfScope = total - eligible;
    if (trace !== null) traceClassify(trace, inst, cls, total, eligible, outOfScope);

    // Deductible (起付标准), borne once per window per institution. The window is the visit's own
    // China day (accumulators.ts DeductibleWindow), whatever order the visits are settled in.
    const bucket = benefit.bucket;
    let deductible = 0;
    let windowChange: AccumulatorChanges['deductibleWindow'] = null;
    if (cls.deductible > 0) {
      // 3 is WINDOW_PER_VISIT: each stay bears its own deductible, no window to keep.
      const windowed = benefit.window !== 3;
      const open = windowed ? acc.deductibleWindow(bucket, inst.id, day) : undefined;
      const borneBefore = open !== undefined ? open.borne : 0;
      const remaining = cls.deductible > borneBefore ? cls.deductible - borneBefore : 0;
      deductible = remaining < eligible ? remaining : eligible;
      if (deductible > 0 && windowed) windowChange = { bucket, institutionId: inst.id, window: { day, borne: borneBefore + deductible } };
      if (trace !== null) traceDeductible(trace, benefit, cls, inst, day, open !== undefined, borneBefore, deductible);
    } else if (trace !== null) {
      traceNoDeductible(trace, cls);
    }

    // Ratio (支付比例).
    let ratio = cls.ratio + table.ratioBonus;
    const familyDoctorAt = table.familyDoctorBonus > 0 ? person.familyDoctorAt : undefined;
    const familyDoctor = familyDoctorAt !== undefined && familyDoctorAt === inst.id && (table.familyDoctorTierMask & (1 << tierAt)) !== 0;
    if (familyDoctor) ratio += table.familyDoctorBonus;
    if (ratio > 10_000) ratio = 10_000; // ONE_HUNDRED_PERCENT
    const base = eligible - deductible;
    let computed = rate(base, ratio);
    if (trace !== null) traceRatio(trace, person, table, cls, familyDoctor, ratio, eligible, deductible, base, computed);
    // 转诊: outside the county without referral and filing, the ratio is lowered.
    // What the fund would pay at the full ratio, when a referral rule lowers it (else -1).
    let unlowered = -1;
    const referral = segment.referral;
    if (referral !== undefined && visit.outOfCounty === true && visit.referred !== true) {
      if (referral.missing.length > 0) {
        throw new SettlementError(
          'MISSING_PARAMETER',
          `visit ${visit.id}: ${missingMessage('a visit outside the county without referral', referral.pack.document.number, referral.missing)}`,
          referral.missing,
        );
      }
      const full = ratio;
      ratio = ratio > referral.reduction ? ratio - referral.reduction : 0;
      const reduced = rate(base, ratio);
      unlowered = computed;
      computed = reduced;
      if (trace !== null) traceReferral(trace, referral, full, ratio, base, computed, unlowered);
    }

    // Annual cap (年度最高支付限额).
    const year = this.year(day);
    const usedBefore = acc.capUsed(bucket, year);
    const cap = table.cap;
    const remainingCap = cap > usedBefore ? cap - usedBefore : 0;
    const fundPay = computed < remainingCap ? computed : remainingCap;
    // The part the referral rule actually took off the fund's payment, after the cap: where the cap
    // binds at both ratios, nothing was lowered.
    const lowered = unlowered < 0 ? 0 : (unlowered < remainingCap ? unlowered : remainingCap) - fundPay;
    const usedAfter = usedBefore + fundPay;
    const cashPay = total - fundPay;
    if (trace !== null) traceCapAndResult(trace, table, year, usedBefore, remainingCap, computed, fundPay, usedAfter, cashPay, outOfScope, deductible, base);
    const s = settlement(
      visit,
      benefit,
      day,
      'covered',
      deductible,
      fundPay,
      ratio,
      cls.id,
      { bucket, year, limit: cap, usedBefore, usedAfter },
      trace,
      fundPay > 0 || windowChange ? { cap: fundPay > 0 ? { bucket, year, before: usedBefore, after: usedAfter } : null, deductibleWindow: windowChange } : NO_CHANGES,
    );
    return segment.criticalIllness === undefined && segment.assistance === undefined ? s : this.furtherLayers(s, segment, person, visit, acc, lowered, trace);
  }

  /**
   * The fund chain after the basic fund: critical-illness insurance (大病保险), then medical
   * assistance (医疗救助), each on what the person still pays of the in-catalogue cost, summed over
   * the year. `lowered` is what the referral rule took off the basic fund's payment.
   */
  private furtherLayers(s: Settlement, segment: CompiledSegment, person: Person, visit: Visit, acc: Accumulators, lowered: Fen, trace: TraceStep[] | null): Settlement {
    if (s.eligibility !== 'covered') return s;
    const year = this.year(s.date);
    // The basic fund's result line gives way to the whole chain's.
    if (trace !== null && trace.at(-1)?.step === 'result') trace.pop();
    const changes: CapChange[] = [];
    let criticalIllnessPay = 0;
    let assistancePay = 0;
    const selfPaid = s.eligible - s.fundPay;
    const ci = segment.criticalIllness;
    if (ci !== undefined && (ci.scheme === null || ci.scheme === person.scheme) && ci.visitTypes.has(visit.type)) {
      const referral = segment.referral;
      const excluded = referral?.excludedFromCriticalIllness ? lowered : 0;
      const counted = selfPaid > excluded ? selfPaid - excluded : 0;
      if (trace !== null && excluded > 0 && referral?.excludedCite) traceReferralExclusion(trace, referral.excludedCite, excluded);
      const out = layer(ci, person, visit, year, counted, acc, trace);
      criticalIllnessPay = out.pay;
      changes.push(...out.changes);
    }
    const assistance = segment.assistance;
    if (assistance !== undefined && person.hardship !== undefined && assistance.groups[person.hardship] !== undefined && assistance.visitTypes.has(visit.type)) {
      const owed = selfPaid - criticalIllnessPay;
      const out = layer(assistance, person, visit, year, owed > 0 ? owed : 0, acc, trace);
      assistancePay = out.pay;
      changes.push(...out.changes);
    }
    const cashPay = s.total - s.fundPay - criticalIllnessPay - assistancePay;
    if (trace !== null) traceChainResult(trace, s.fundPay, criticalIllnessPay, assistancePay, cashPay);
    if (changes.length === 0) return s;
    return { ...s, criticalIllnessPay, assistancePay, cashPay, changes: { ...s.changes, layers: changes } };
  }

  private eligibility(person: Person, scheme: Scheme, visit: Visit, day: DayNumber, rules: CompiledEnrollment | undefined, trace: TraceStep[] | null): Eligibility {
    const e = person.enrollment;
    if (!e) {
      if (trace !== null) trace.push({ step: 'eligibility', result: 'covered', text: '未提供参保缴费信息，按已参保处理。' });
      return 'covered';
    }
    const year = this.year(day);
    if (year !== e.coverageYear) {
      if (trace !== null) {
        trace.push({
          step: 'eligibility',
          result: 'not-covered',
          coverageYear: e.coverageYear,
          text: `缴费所属待遇年度为${e.coverageYear}年，就诊日期${formatDate(day)}不在该年度内，基金不予支付。`,
        });
      }
      return 'not-covered';
    }
    if (scheme !== 'resident') {
      if (trace !== null) trace.push({ step: 'eligibility', result: 'covered', coverageYear: e.coverageYear, text: `${e.coverageYear}年度参保，就诊在待遇年度内。` });
      return 'covered';
    }
    return this.residents.check(person, visit, day, e, rules, trace);
  }

  private nothingFromFund(
    person: Person,
    visit: Visit,
    day: DayNumber,
    benefit: CompiledPooling | CompiledAmountLimit,
    eligibility: Eligibility,
    trace: TraceStep[] | null,
  ): Settlement {
    if (trace !== null) traceNothingFromFund(trace, visit);
    void person;
    return settlement(visit, benefit, day, eligibility, 0, 0, null, null, null, trace, NO_CHANGES);
  }

  private settleAmountLimit(person: Person, visit: Visit, day: DayNumber, benefit: CompiledAmountLimit, trace: TraceStep[] | null): Settlement {
    if (benefit.missing.length > 0) {
      throw new SettlementError(
        'MISSING_PARAMETER',
        `visit ${visit.id}: ${missingMessage(`${VISIT_TYPE_LABELS[visit.type]} visits (${benefit.label})`, benefit.pack.document.number, benefit.missing)}`,
        benefit.missing,
      );
    }
    const total = visit.total;
    const eligible = visit.eligible;
    const fundPay = eligible < benefit.amount ? eligible : benefit.amount;
    const cashPay = total - fundPay;
    if (trace) traceAmountLimit(trace, benefit, total, eligible, fundPay, cashPay);
    void person;
    return settlement(visit, benefit, day, 'covered', 0, fundPay, null, null, null, trace, NO_CHANGES);
  }
}

/**
 * The one place a Settlement is made, so that every settlement has the same shape. The person's
 * cash share is what the fund does not pay.
 */
function settlement(
  visit: Visit,
  benefit: CompiledBenefit,
  day: DayNumber,
  eligibility: Eligibility,
  deductible: Fen,
  fundPay: Fen,
  ratio: BasisPoints | null,
  institutionClass: string | null,
  cap: CapUse | null,
  trace: TraceStep[] | null,
  changes: AccumulatorChanges,
): Settlement {
  return {
    visitId: visit.id,
    policy: benefit.pack.document.number,
    policyId: benefit.pack.id,
    benefit: benefit.benefitId,
    benefitLabel: benefit.label,
    date: day,
    eligibility,
    total: visit.total,
    eligible: visit.eligible,
    outOfScope: visit.total - visit.eligible,
    deductible,
    fundPay,
    criticalIllnessPay: 0,
    assistancePay: 0,
    accountPay: 0,
    cashPay: visit.total - fundPay,
    ratio,
    institutionClass,
    cap,
    trace,
    changes,
  };
}

/**
 * One later layer of the fund chain for one visit: the person's self-paid in-catalogue cost
 * `counted` is added to the year's total; the part of the new total above the threshold (and not
 * above it before) is paid at the ratio, up to what is left of the cap.
 */
function layer(l: CompiledLayer, person: Person, visit: Visit, year: number, counted: Fen, acc: Accumulators, trace: TraceStep[] | null): LayerOutcome {
  const table = (person.hardship !== undefined ? l.groups[person.hardship] : undefined) ?? l.general;
  if (table === null || table === undefined) return { pay: 0, changes: [] };
  const missing = [...l.missing, ...table.missing];
  if (missing.length > 0) {
    throw new SettlementError(
      'MISSING_PARAMETER',
      `visit ${visit.id}: ${missingMessage(`${l.label} (${VISIT_TYPE_LABELS[visit.type]})`, l.pack.document.number, missing)}`,
      missing,
    );
  }
  const changes: CapChange[] = [];
  const baseBefore = acc.capUsed(l.baseBucket, year);
  const baseAfter = baseBefore + counted;
  if (counted > 0) changes.push({ bucket: l.baseBucket, year, before: baseBefore, after: baseAfter });
  const from = baseBefore > table.threshold ? baseBefore : table.threshold;
  const over = baseAfter > from ? baseAfter - from : 0;
  const computed = rate(over, table.ratio);
  const paidBefore = acc.capUsed(l.paidBucket, year);
  const remaining = table.cap === null ? Infinity : table.cap > paidBefore ? table.cap - paidBefore : 0;
  const pay = computed < remaining ? computed : remaining;
  if (pay > 0) changes.push({ bucket: l.paidBucket, year, before: paidBefore, after: paidBefore + pay });
  if (trace !== null) traceLayer(trace, l, table, person, year, counted, baseBefore, baseAfter, over, computed, paidBefore, pay);
  return { pay, changes };
}
