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
 */
import { chinaDay, formatChinaTime, formatDate, yearOf, yearStart, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS, HARDSHIP_LABELS, TIER_LABELS, VISIT_TYPE_LABELS, VISIT_TYPES, type Category, type Grade, type Hardship, type Scheme, type Tier, type VisitType } from '../domain.js';
import { applyRate, formatPercent, formatYuan, ONE_HUNDRED_PERCENT, toYuanNumber, type BasisPoints, type Fen } from '../money/money.js';
import type { PolicySet, RegionInfo } from '../policy/registry.js';
import type { Accumulators, AccumulatorChanges, CapChange } from './accumulators.js';
import {
  categoryIndex,
  CompiledRegion,
  schemeIndex,
  tierIndex,
  visitTypeIndex,
  WINDOW_PER_VISIT,
  type Cite,
  type CompiledAmountLimit,
  type CompiledBenefit,
  type CompiledClass,
  type PoolingTable,
  type CompiledEnrollment,
  type CompiledPooling,
  type CompiledSegment,
  type CompiledLayer,
  type CompiledReferral,
} from './compile.js';
import { missingMessage, SettlementError } from './errors.js';
import { exemptionCite, exemptionLabel, PERIOD_CONCENTRATED, readPayment, type Enrollment, type PaymentReading } from '../enrollment/periods.js';

export type { Enrollment } from '../enrollment/periods.js';

export interface Person {
  id: string;
  /** admdvs code. */
  region: string;
  scheme: Scheme;
  category: Category;
  hardship?: Hardship;
  /** Institution id where the person signed with a family doctor (家庭医生签约). */
  familyDoctorAt?: string;
  /** Absent: taken as covered. */
  enrollment?: Enrollment;
  /**
   * Employees (职工医保): `employer` for an employee of an employer (用人单位在职职工), `flexible` for a
   * flexible worker insured as an employee (灵活就业人员以职工身份参保, 洛医保〔2023〕63号 四(一): inpatient
   * maternity medical benefits, but no maternity grant, family-planning surgery benefits or
   * maternity allowance). Absent: not said; a rule that depends on it asks for it. Kept in the
   * person registry (src/ledger/registry.ts).
   */
  employment?: 'employer' | 'flexible';
  /**
   * Employees: whether the person's personal-account structure was adjusted (调整个人账户结构, putting
   * more of the contributions into the pooled fund; 濮阳 第十四条). `false`: not adjusted, and the
   * outpatient mutual-aid benefits (门诊共济保障待遇) are refused (eligibility `account-not-reformed`).
   * Absent: taken as adjusted. Active insured paying at the employer rate (same article) pay all
   * into the pooled fund and count as adjusted.
   */
  accountReformed?: boolean;
}

export interface Institution {
  id: string;
  tier: Tier;
  grade: Grade;
  contracted: boolean;
}

export interface Visit {
  id: string;
  /** Instant of the visit, epoch milliseconds. */
  time: number;
  type: VisitType;
  institution: Institution;
  /** 医疗费总额. */
  total: Fen;
  /** 符合政策范围金额; at most total. */
  eligible: Fen;
  /** The person asks that their personal account pay before cash (not the engine's concern: see src/account/settle.ts). */
  useAccount: boolean;
  /** Inpatient stays: the instant of admission (入院); `time` is the discharge (出院结算). */
  admittedAt?: number;
  /** The institution is outside the person's county (县域外就医). */
  outOfCounty?: boolean;
  /** A transfer was referred and filed (已办理转诊备案). */
  referred?: boolean;
  /** An outpatient visit made while the person is in hospital (住院期间). */
  inHospital?: boolean;
}

/**
 * What the eligibility steps found, the one list of words for the engine and everything that
 * counts settlements by it (the simulation's breakdown): covered (享受待遇); not-covered (就诊不在
 * 缴费所属待遇年度); waiting-period (待遇等待期); non-contracted (非定点医疗机构); in-hospital (住院期间不享受
 * 门诊统筹); account-not-reformed (未调整个人账户结构，不享受门诊共济保障待遇).
 */
export const ELIGIBILITIES = ['covered', 'not-covered', 'waiting-period', 'non-contracted', 'in-hospital', 'account-not-reformed'] as const;
export type Eligibility = (typeof ELIGIBILITIES)[number];

/** One line of the explanation. Values in yuan, for people. */
export interface TraceStep {
  step: string;
  source?: string;
  text: string;
  [key: string]: unknown;
}

export interface CapUse {
  bucket: string;
  year: number;
  limit: Fen;
  usedBefore: Fen;
  usedAfter: Fen;
}

export interface Settlement {
  visitId: string;
  /** Document number of the governing policy, e.g. 洛医保〔2023〕63号. */
  policy: string;
  policyId: string;
  benefit: string;
  benefitLabel: string;
  /** China natural day of the visit. */
  date: DayNumber;
  eligibility: Eligibility;
  total: Fen;
  eligible: Fen;
  /** Amount outside the policy range (政策范围外), the person's. */
  outOfScope: Fen;
  deductible: Fen;
  /** 统筹基金支付. */
  fundPay: Fen;
  /** 大病保险支付. */
  criticalIllnessPay: Fen;
  /** 医疗救助支付. */
  assistancePay: Fen;
  /** 个人账户支付. */
  accountPay: Fen;
  /** 个人现金支付. */
  cashPay: Fen;
  /** The fund's ratio applied, or null when none was. */
  ratio: BasisPoints | null;
  institutionClass: string | null;
  cap: CapUse | null;
  trace: TraceStep[] | null;
  changes: AccumulatorChanges;
  /** What the personal account paid, when the visit asked it to (set after the engine, src/account/settle.ts). */
  account?: { accountId: string; paid: Fen; balanceBefore: Fen; balanceAfter: Fen; refused?: string };
}

export interface SettleOptions {
  /** Build the explanation (slower). */
  trace?: boolean;
}

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
 * {@link toYuanNumber}, without the detour through text: for a safe integer the quotient by 100
 * is the double nearest the decimal, which is what parsing the decimal gives (+0 for -0, as the
 * text has no sign).
 */
function y(amount: Fen): number {
  return Number.isSafeInteger(amount) ? amount / 100 + 0 : toYuanNumber(amount);
}

const CENTS: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

/** Yuan text of the amounts below 2^17 fen (1,310.72 yuan) that traces have printed. */
const YUAN_TEXT: (string | undefined)[] = new Array<string | undefined>(1 << 17).fill(undefined);

/** {@link formatYuan}, with the cents from a table, and small amounts' text made once. */
function yuanText(amount: Fen): string {
  if (amount >= 0 && amount < 1 << 17 && (amount | 0) === amount) {
    let text = YUAN_TEXT[amount];
    if (text === undefined) {
      const cents = amount % 100;
      YUAN_TEXT[amount] = text = `${(amount - cents) / 100}.${CENTS[cents] as string}`;
    }
    return text;
  }
  if (amount >= 0 && Number.isSafeInteger(amount)) {
    const cents = amount % 100;
    return `${(amount - cents) / 100}.${CENTS[cents] as string}`;
  }
  return formatYuan(amount);
}

/** Percent text of the ratios traces have printed (0 to 100%, in basis points). */
const PERCENT_TEXT: (string | undefined)[] = new Array<string | undefined>(10_001).fill(undefined);

/** {@link formatPercent}, each ratio's text made once. */
function percentText(rate: BasisPoints): string {
  if (rate >= 0 && rate <= 10_000 && (rate | 0) === rate) {
    let text = PERCENT_TEXT[rate];
    if (text === undefined) PERCENT_TEXT[rate] = text = formatPercent(rate);
    return text;
  }
  return formatPercent(rate);
}

const citedText = new WeakMap<Cite, string>();

export function cited(c: Cite): string {
  let text = citedText.get(c);
  if (text === undefined) {
    text = c.userSupplied ? `${c.citation}（用户提供）` : c.citation;
    citedText.set(c, text);
  }
  return text;
}

/** Two citations as one source line, each once (absent ones left out). */
export function sources2(a: Cite | null | undefined, b: Cite | null | undefined): string {
  if (!a) return b ? cited(b) : '';
  if (!b) return cited(a);
  const ta = cited(a);
  const tb = cited(b);
  return ta === tb ? ta : `${ta}；${tb}`;
}

/** Three citations as one source line, each once, in order (absent ones left out). */
function sources3(a: Cite | null | undefined, b: Cite | null | undefined, c: Cite | null | undefined): string {
  if (!a) return sources2(b, c);
  if (!b) return sources2(a, c);
  if (!c) return sources2(a, b);
  const ta = cited(a);
  const tb = cited(b);
  const tc = cited(c);
  let text = ta;
  if (tb !== ta) text += `；${tb}`;
  if (tc !== ta && tc !== tb) text += `；${tc}`;
  return text;
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
  /** The residents' payment window worked out last (rules and coverage year → day numbers). */
  private lastReading: PaymentReading | undefined = undefined;
  private readingEnrollment: Enrollment | undefined = undefined;
  private readingCategory: Category | undefined = undefined;
  private readingHardship: Hardship | undefined = undefined;

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
    if (trace !== null) this.tracePolicy(trace, person, visit, day, benefit);

    // Eligibility (待遇享受期).
    const eligibility = this.eligibility(person, scheme, visit, day, segment.enrollment, trace);
    if (eligibility !== 'covered') return this.nothingFromFund(person, visit, day, benefit, eligibility, trace);

    // 调整个人账户结构: a benefit for those whose account structure was adjusted only.
    if (person.accountReformed === false && benefit.kind === 'pooling' && benefit.accountReformRequired !== null) {
      if (trace !== null) {
        trace.push({
          step: 'account-reform',
          source: cited(benefit.accountReformRequired),
          result: 'account-not-reformed',
          text: `未通过调整个人账户结构增加统筹基金收入的参保人员，不享受门诊共济保障待遇：${benefit.label}基金不予支付。`,
        });
      }
      return this.nothingFromFund(person, visit, day, benefit, 'account-not-reformed', trace);
    }

    // Contracted institution (定点医疗机构).
    if (benefit.contractedOnly && !visit.institution.contracted) {
      if (trace !== null) {
        trace.push({
          step: 'contracted',
          source: cited(benefit.contractedCite),
          institution: visit.institution.id,
          text: `${visit.institution.id}不是定点医疗机构，基金不予支付。`,
        });
      }
      return this.nothingFromFund(person, visit, day, benefit, 'non-contracted', trace);
    }

    if (benefit.kind !== 'pooling') {
      const s = this.settleAmountLimit(person, visit, day, benefit, trace);
      return segment.criticalIllness === undefined && segment.assistance === undefined ? s : this.furtherLayers(s, segment, person, visit, acc, 0, trace);
    }

    // 住院期间不享受 (e.g. outpatient pooling while the person is in hospital).
    if (benefit.notDuringStay !== null && visit.inHospital === true) {
      if (trace !== null) {
        trace.push({ step: 'in-hospital', source: cited(benefit.notDuringStay), text: `住院期间发生的${VISIT_TYPE_LABELS[visit.type]}费用，不享受${benefit.label}待遇。` });
      }
      return this.nothingFromFund(person, visit, day, benefit, 'in-hospital', trace);
    }

    // Pooling (统筹): the common case, here rather than in a method of its own so that it is
    // optimized together with the steps above.
    const categoryAt = categoryIndex(person.category);
    const table = categoryAt >= 0 ? benefit.tables[categoryAt] : undefined;
    if (table === undefined) {
      throw new SettlementError(
        'NO_BENEFIT_RULE',
        `visit ${visit.id}: ${benefit.label} (${benefit.pack.document.number}) has no rule for category ${person.category}`,
      );
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
      trace.push({ step: 'deductible', source: cited(cls.deductibleCite), standard: 0, deductible: 0, text: `${cls.label}不设起付标准。` });
    }

    // Ratio (支付比例).
    let ratio = cls.ratio + table.ratioBonus;
    const familyDoctorAt = table.familyDoctorBonus > 0 ? person.familyDoctorAt : undefined;
    const familyDoctor =
      familyDoctorAt !== undefined && familyDoctorAt === inst.id && (table.familyDoctorTierMask & (1 << tierAt)) !== 0;
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
        throw new SettlementError('MISSING_PARAMETER', `visit ${visit.id}: ${missingMessage('a visit outside the county without referral', referral.pack.document.number, referral.missing)}`, referral.missing);
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
    const s = settlement(visit, benefit, day, 'covered', deductible, fundPay, ratio, cls.id, { bucket, year, limit: cap, usedBefore, usedAfter }, trace,
      fundPay > 0 || windowChange
        ? { cap: fundPay > 0 ? { bucket, year, before: usedBefore, after: usedAfter } : null, deductibleWindow: windowChange }
        : NO_CHANGES);
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
      const excluded = referral !== undefined && referral.excludedFromCriticalIllness ? lowered : 0;
      const counted = selfPaid > excluded ? selfPaid - excluded : 0;
      if (trace !== null && excluded > 0 && referral?.excludedCite) {
        trace.push({ step: 'referral-exclusion', source: cited(referral.excludedCite), amount: y(excluded), text: `转诊下浮少付的${yuanText(excluded)}元不纳入大病保险范围。` });
      }
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
    if (trace !== null) {
      trace.push({
        step: 'result',
        fundPay: y(s.fundPay),
        criticalIllnessPay: y(criticalIllnessPay),
        assistancePay: y(assistancePay),
        cashPay: y(cashPay),
        text: `统筹基金支付${yuanText(s.fundPay)}元；大病保险支付${yuanText(criticalIllnessPay)}元；医疗救助支付${yuanText(assistancePay)}元；个人现金支付${yuanText(cashPay)}元。`,
      });
    }
    if (changes.length === 0) return s;
    return { ...s, criticalIllnessPay, assistancePay, cashPay, changes: { ...s.changes, layers: changes } };
  }

  private tracePolicy(trace: TraceStep[], person: Person, visit: Visit, day: DayNumber, benefit: CompiledBenefit): void {
    const policy = benefit.pack.document.number;
    const region = this.regionInfo(person.region);
    trace.push({
      step: 'policy',
      source: benefit.citation,
      policy,
      benefit: benefit.label,
      region: person.region,
      date: formatDate(day),
      text: `${formatChinaTime(visit.time)}在${region?.name ?? person.region}就诊（${VISIT_TYPE_LABELS[visit.type]}），适用${policy}：${benefit.label}。`,
    });
  }

  private eligibility(
    person: Person,
    scheme: Scheme,
    visit: Visit,
    day: DayNumber,
    rules: CompiledEnrollment | undefined,
    trace: TraceStep[] | null,
  ): Eligibility {
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
    return this.residentEligibility(person, visit, day, e, rules, trace);
  }

  /**
   * A payment read against the rules of the visit's day (enrollment/periods.ts: the one
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

  private residentEligibility(
    person: Person,
    visit: Visit,
    day: DayNumber,
    e: Enrollment,
    rules: CompiledEnrollment | undefined,
    trace: TraceStep[] | null,
  ): Eligibility {
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

  private nothingFromFund(
    person: Person,
    visit: Visit,
    day: DayNumber,
    benefit: CompiledPooling | CompiledAmountLimit,
    eligibility: Eligibility,
    trace: TraceStep[] | null,
  ): Settlement {
    if (trace !== null) {
      trace.push({
        step: 'result',
        fundPay: 0,
        cashPay: y(visit.total),
        text: `基金支付0元，个人现金支付${yuanText(visit.total)}元。`,
      });
    }
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
    if (trace) {
      if (total > eligible) {
        trace.push({
          step: 'out-of-scope',
          amount: y(total - eligible),
          text: `医疗费总额${yuanText(total)}元，其中政策范围外${yuanText(total - eligible)}元由个人负担。`,
        });
      }
      trace.push({
        step: 'amount-limit',
        source: cited(benefit.amountCite),
        standard: y(benefit.amount),
        eligible: y(eligible),
        fundPay: y(fundPay),
        text: `${benefit.label}支付标准${benefit.amountCite.text}；政策范围内费用${yuanText(eligible)}元，基金支付${yuanText(fundPay)}元。`,
      });
      trace.push({ step: 'result', fundPay: y(fundPay), cashPay: y(cashPay), text: `基金支付${yuanText(fundPay)}元；个人现金支付${yuanText(cashPay)}元。` });
    }
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

// The explanation of a pooling settlement, line by line (only with the trace on).

/** The classify line's text by institution id, for the tier, grade and class it was made for. */
const CLASSIFY_TEXT = new Map<string, { tier: string; grade: number; label: string; text: string }>();

function classifyText(inst: Institution, cls: CompiledClass): string {
  const known = CLASSIFY_TEXT.get(inst.id);
  if (known !== undefined && known.tier === inst.tier && known.grade === inst.grade && known.label === cls.label) return known.text;
  const text = `${inst.id}（${TIER_LABELS[inst.tier]}，${inst.grade === 0 ? '未定级' : `${inst.grade}级`}）按${cls.label}结算。`;
  if (CLASSIFY_TEXT.size >= 100_000) CLASSIFY_TEXT.clear();
  CLASSIFY_TEXT.set(inst.id, { tier: inst.tier, grade: inst.grade, label: cls.label, text });
  return text;
}

/** The start of the cap line's text for the year and limit it was last made for. */
let capTextYear = NaN;
let capTextLimit = NaN;
let capTextStart = '';

function capText(year: number, limit: Fen): string {
  if (year !== capTextYear || limit !== capTextLimit) {
    capTextStart = `${year}年度支付限额${yuanText(limit)}元，已支付`;
    capTextYear = year;
    capTextLimit = limit;
  }
  return capTextStart;
}

function traceClassify(trace: TraceStep[], inst: Institution, cls: CompiledClass, total: Fen, eligible: Fen, outOfScope: Fen): void {
  trace.push({
    step: 'classify',
    source: cited(cls.ratioCite),
    institution: inst.id,
    tier: inst.tier,
    grade: inst.grade,
    class: cls.id,
    label: cls.label,
    text: classifyText(inst, cls),
  });
  if (outOfScope > 0) {
    trace.push({
      step: 'out-of-scope',
      amount: y(outOfScope),
      text: `医疗费总额${yuanText(total)}元，其中政策范围外${yuanText(outOfScope)}元由个人负担，政策范围内${yuanText(eligible)}元。`,
    });
  }
}

function traceDeductible(
  trace: TraceStep[],
  benefit: CompiledPooling,
  cls: CompiledClass,
  inst: Institution,
  day: DayNumber,
  sameWindow: boolean,
  borneBefore: Fen,
  deductible: Fen,
): void {
  const step: TraceStep = {
    step: 'deductible',
    source: sources2(cls.deductibleCite, benefit.windowCite),
    standard: y(cls.deductible),
    borneBefore: y(borneBefore),
    deductible: y(deductible),
    text: '',
  };
  if (benefit.window === WINDOW_PER_VISIT) {
    step.text = `起付标准${yuanText(cls.deductible)}元/次，本次负担${yuanText(deductible)}元。`;
  } else {
    // The window is the visit's China calendar day (同一自然日; 当日（24小时） read as 0时至24时),
    // not 24 hours from whichever visit was settled first.
    const window = `${formatDate(day)}当日（北京时间0时至24时）`;
    step.window = formatDate(day);
    step.text = sameWindow
      ? `起付标准${yuanText(cls.deductible)}元/次；${window}内已在${inst.id}负担${yuanText(borneBefore)}元，本次负担${yuanText(deductible)}元。`
      : `起付标准${yuanText(cls.deductible)}元/次，本次负担${yuanText(deductible)}元；${window}内在${inst.id}多次就诊只负担一次。`;
  }
  trace.push(step);
}

function traceRatio(
  trace: TraceStep[],
  person: Person,
  table: PoolingTable,
  cls: CompiledClass,
  familyDoctor: boolean,
  ratio: BasisPoints,
  eligible: Fen,
  deductible: Fen,
  base: Fen,
  computed: Fen,
): void {
  // The parts of the ratio, joined with '，', and their citations, each once.
  let parts = `${cls.label}${percentText(cls.ratio)}`;
  let bonusCite: Cite | null = null;
  let doctorCite: Cite | null = null;
  if (table.ratioBonus > 0 && table.ratioBonusCite) {
    parts += `，${CATEGORY_LABELS[person.category]}提高${table.ratioBonus / 100}个百分点`;
    bonusCite = table.ratioBonusCite;
  }
  if (familyDoctor && table.familyDoctorBonusCite) {
    parts += `，签约家庭医生机构提高${table.familyDoctorBonus / 100}个百分点`;
    doctorCite = table.familyDoctorBonusCite;
  }
  trace.push({
    step: 'ratio',
    source: sources3(cls.ratioCite, bonusCite, doctorCite),
    ratio: ratio / 100,
    base: y(base),
    amount: y(computed),
    text: `支付比例${percentText(ratio)}（${parts}）：(${yuanText(eligible)} − ${yuanText(deductible)}) × ${percentText(ratio)} = ${yuanText(computed)}元（四舍五入到分）。`,
  });
}

function traceCapAndResult(
  trace: TraceStep[],
  table: PoolingTable,
  year: number,
  usedBefore: Fen,
  remainingCap: Fen,
  computed: Fen,
  fundPay: Fen,
  usedAfter: Fen,
  cashPay: Fen,
  outOfScope: Fen,
  deductible: Fen,
  base: Fen,
): void {
  trace.push({
    step: 'cap',
    source: cited(table.capCite),
    cap: y(table.cap),
    usedBefore: y(usedBefore),
    remaining: y(remainingCap),
    fundPay: y(fundPay),
    usedAfter: y(usedAfter),
    text:
      fundPay < computed
        ? `${capText(year, table.cap)}${yuanText(usedBefore)}元，剩余${yuanText(remainingCap)}元；本次基金支付${yuanText(fundPay)}元，超出限额的${yuanText(computed - fundPay)}元由个人负担。`
        : `${capText(year, table.cap)}${yuanText(usedBefore)}元，剩余${yuanText(remainingCap)}元；本次基金支付${yuanText(fundPay)}元。`,
  });
  trace.push({
    step: 'result',
    fundPay: y(fundPay),
    cashPay: y(cashPay),
    text: `统筹基金支付${yuanText(fundPay)}元；个人现金支付${yuanText(cashPay)}元（政策范围外${yuanText(outOfScope)}元 + 起付标准${yuanText(deductible)}元 + 按比例自付及超限额${yuanText(base - fundPay)}元）。`,
  });
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
    throw new SettlementError('MISSING_PARAMETER', `visit ${visit.id}: ${missingMessage(`${l.label} (${VISIT_TYPE_LABELS[visit.type]})`, l.pack.document.number, missing)}`, missing);
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
  if (trace !== null) {
    const group = person.hardship !== undefined && l.groups[person.hardship] !== undefined ? `（${HARDSHIP_LABELS[person.hardship]}）` : '';
    const capText = table.cap === null ? '不设年度最高支付限额' : `年度最高支付限额${yuanText(table.cap)}元，已支付${yuanText(paidBefore)}元`;
    trace.push({
      step: l.kind,
      source: sources3(l.visitTypesCite, table.thresholdCite, table.ratioCite) + (table.cap === null || table.capCite.citation === table.thresholdCite.citation ? '' : `；${cited(table.capCite)}`),
      counted: y(counted),
      yearBefore: y(baseBefore),
      yearAfter: y(baseAfter),
      threshold: y(table.threshold),
      ratio: table.ratio / 100,
      cap: table.cap === null ? null : y(table.cap),
      paidBefore: y(paidBefore),
      pay: y(pay),
      text:
        `${l.label}${group}：本次计入医保目录内个人自付${yuanText(counted)}元，${year}年累计${yuanText(baseBefore)}元→${yuanText(baseAfter)}元；` +
        `起付标准${yuanText(table.threshold)}元，超过部分${yuanText(over)}元 × ${percentText(table.ratio)} = ${yuanText(computed)}元；${capText}；本次支付${yuanText(pay)}元。`,
    });
  }
  return { pay, changes };
}

function traceReferral(trace: TraceStep[], referral: CompiledReferral, full: BasisPoints, ratio: BasisPoints, base: Fen, computed: Fen, atFullRatio: Fen): void {
  trace.push({
    step: 'referral',
    source: cited(referral.reductionCite),
    reduction: referral.reduction / 100,
    ratio: ratio / 100,
    amount: y(computed),
    atFullRatio: y(atFullRatio),
    // What the lowering actually took off the fund's payment is known only after the cap (the
    // referral-exclusion step): here, the figure at the full ratio beside the lowered one.
    text: `未经转诊备案到县域外就医，支付比例下浮${referral.reduction / 100}个百分点：${percentText(full)} → ${percentText(ratio)}；${yuanText(base)} × ${percentText(ratio)} = ${yuanText(computed)}元（按原比例为${yuanText(atFullRatio)}元）。`,
  });
}
