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
import { chinaDay, formatChinaTime, formatDate, yearOf, yearStart, dayOf, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS, TIER_LABELS, VISIT_TYPE_LABELS, type Category, type Grade, type Hardship, type Scheme, type Tier, type VisitType } from '../domain.js';
import { applyRate, formatPercent, formatYuan, ONE_HUNDRED_PERCENT, toYuanNumber, type BasisPoints, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import type { Accumulators, AccumulatorChanges, DeductibleWindow } from './accumulators.js';
import {
  benefitSlot,
  CATEGORY_INDEX,
  CompiledRegion,
  SCHEME_INDEX,
  TIER_INDEX,
  VISIT_TYPE_INDEX,
  WINDOW_NATURAL_DAY,
  WINDOW_ROLLING_24H,
  type Cite,
  type CompiledAmountLimit,
  type CompiledEnrollment,
  type CompiledPooling,
  type CompiledSegment,
} from './compile.js';
import { SettlementError, type MissingParameter } from './errors.js';

export interface Enrollment {
  /** Day the contribution was paid. */
  paidOn: DayNumber;
  /** The calendar year the contribution is for. */
  coverageYear: number;
  /** 医保关系转移接续: no waiting period. */
  transfer: boolean;
}

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
}

export type Eligibility = 'covered' | 'not-covered' | 'waiting-period' | 'non-contracted';

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
}

export interface SettleOptions {
  /** Build the explanation (slower). */
  trace?: boolean;
}

const NO_CHANGES: AccumulatorChanges = Object.freeze({ cap: null, deductibleWindow: null }) as AccumulatorChanges;
const DAY_MS = 86_400_000;
const y = toYuanNumber;

function cited(c: Cite): string {
  return c.userSupplied ? `${c.citation}（用户提供）` : c.citation;
}

/** Several citations as one source line, each once. */
function sources(...cites: (Cite | null | undefined)[]): string {
  return [...new Set(cites.filter((c): c is Cite => !!c).map(cited))].join('；');
}

function missingMessage(what: string, policy: string, missing: readonly MissingParameter[]): string {
  const list = missing.map((m) => `${m.path} (${m.label}; ${m.citation}: ${m.reason})`).join('; ');
  return `cannot settle ${what} under ${policy}: missing parameter${missing.length > 1 ? 's' : ''} ${list}. Supply ${missing.length > 1 ? 'them' : 'it'} in a user policy file (--policy-file).`;
}

/**
 * Settles visits against a set of policies. Keeps compiled policy per region; otherwise stateless.
 */
export class SettlementEngine {
  private readonly regions = new Map<string, CompiledRegion>();

  constructor(readonly policies: PolicySet) {}

  private region(code: string): CompiledRegion {
    let r = this.regions.get(code);
    if (!r) {
      r = new CompiledRegion(this.policies, code);
      this.regions.set(code, r);
    }
    return r;
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
    const segment = this.region(person.region).at(day);
    if (!segment || segment.chain.length === 0) {
      throw new SettlementError('NO_POLICY_IN_FORCE', `visit ${visit.id}: ${this.policies.describeInForce(person.region, day)}`);
    }
    const benefit = segment.benefits[benefitSlot(SCHEME_INDEX[person.scheme] as number, VISIT_TYPE_INDEX[visit.type] as number)];
    if (!benefit) {
      throw new SettlementError(
        'NO_BENEFIT_RULE',
        `visit ${visit.id}: no policy in force settles ${person.scheme} ${visit.type} (${VISIT_TYPE_LABELS[visit.type]}) visits; ${this.policies.describeInForce(person.region, day)}`,
      );
    }
    const trace: TraceStep[] | null = traceOn ? [] : null;
    const policy = benefit.pack.document.number;
    if (trace) {
      const region = this.policies.region(person.region);
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

    // Eligibility (待遇享受期).
    const eligibility = this.eligibility(person, visit, day, segment.enrollment, trace);
    if (eligibility !== 'covered') return this.nothingFromFund(person, visit, day, benefit, eligibility, trace);

    // Contracted institution (定点医疗机构).
    if (benefit.contractedOnly && !visit.institution.contracted) {
      trace?.push({
        step: 'contracted',
        source: cited(benefit.contractedCite),
        institution: visit.institution.id,
        text: `${visit.institution.id}不是定点医疗机构，基金不予支付。`,
      });
      return this.nothingFromFund(person, visit, day, benefit, 'non-contracted', trace);
    }

    if (benefit.kind === 'pooling') return this.settlePooling(person, visit, day, benefit, acc, trace);
    return this.settleAmountLimit(person, visit, day, benefit, trace);
  }

  private eligibility(
    person: Person,
    visit: Visit,
    day: DayNumber,
    rules: CompiledEnrollment | undefined,
    trace: TraceStep[] | null,
  ): Eligibility {
    const e = person.enrollment;
    if (!e) {
      trace?.push({ step: 'eligibility', result: 'covered', text: '未提供参保缴费信息，按已参保处理。' });
      return 'covered';
    }
    const year = yearOf(day);
    if (year !== e.coverageYear) {
      trace?.push({
        step: 'eligibility',
        result: 'not-covered',
        coverageYear: e.coverageYear,
        text: `缴费所属待遇年度为${e.coverageYear}年，就诊日期${formatDate(day)}不在该年度内，基金不予支付。`,
      });
      return 'not-covered';
    }
    if (person.scheme !== 'resident') {
      trace?.push({ step: 'eligibility', result: 'covered', coverageYear: e.coverageYear, text: `${e.coverageYear}年度参保，就诊在待遇年度内。` });
      return 'covered';
    }
    if (!rules) {
      throw new SettlementError(
        'MISSING_PARAMETER',
        `visit ${visit.id}: no policy in force gives the residents' payment periods and waiting period needed to read the enrollment`,
        [{ path: 'enrollment', label: '参保缴费期与待遇等待期', citation: '（无）', reason: 'no document in force for the region states them' }],
      );
    }
    if (rules.missing.length > 0 || !rules.concentrated) {
      throw new SettlementError('MISSING_PARAMETER', `visit ${visit.id}: ${missingMessage('the enrollment', rules.pack.document.number, rules.missing)}`, rules.missing);
    }
    const c = rules.concentrated;
    const windowFrom = dayOf(e.coverageYear - 1, c.from.month, c.from.day);
    const windowTo = dayOf(e.coverageYear - 1, c.to.month, c.to.day);
    const coverageStart = yearStart(e.coverageYear);
    if (e.paidOn >= windowFrom && e.paidOn <= windowTo) {
      trace?.push({
        step: 'eligibility',
        source: sources(rules.concentratedCite, rules.coverageCite),
        result: 'covered',
        paidOn: formatDate(e.paidOn),
        coverageYear: e.coverageYear,
        text: `${formatDate(e.paidOn)}在集中缴费期（${rules.concentratedCite.text}）缴费，享受${e.coverageYear}年1月1日至12月31日待遇。`,
      });
      return 'covered';
    }
    if (e.paidOn < coverageStart) {
      throw new SettlementError(
        'ENROLLMENT_INVALID',
        `person ${person.id}: enrollment.paidOn ${formatDate(e.paidOn)} is neither in the concentrated period for ${e.coverageYear} (${formatDate(windowFrom)} to ${formatDate(windowTo)}, ${rules.concentratedCite.citation}) nor in ${e.coverageYear} itself`,
      );
    }
    const exempt =
      rules.exemptCategories.has(person.category) ||
      (person.hardship !== undefined && rules.exemptHardship.has(person.hardship)) ||
      (e.transfer && rules.exemptTransfer);
    const start = exempt ? e.paidOn : e.paidOn + rules.waitingDays + 1;
    if (day >= start) {
      trace?.push({
        step: 'eligibility',
        source: exempt ? cited(rules.exemptCite) : cited(rules.waitingCite),
        result: 'covered',
        paidOn: formatDate(e.paidOn),
        benefitsFrom: formatDate(start),
        text: exempt
          ? `延长缴费期${formatDate(e.paidOn)}缴费；${this.exemptReason(person, e)}不设待遇等待期，自缴费之日起享受待遇。`
          : `延长缴费期${formatDate(e.paidOn)}缴费，待遇等待期${rules.waitingDays}天（${formatDate(e.paidOn + 1)}至${formatDate(e.paidOn + rules.waitingDays)}），${formatDate(start)}起享受待遇。`,
      });
      return 'covered';
    }
    trace?.push({
      step: 'eligibility',
      source: exempt ? cited(rules.exemptCite) : cited(rules.waitingCite),
      result: 'waiting-period',
      paidOn: formatDate(e.paidOn),
      benefitsFrom: formatDate(start),
      text: exempt
        ? `就诊日期${formatDate(day)}早于缴费日期${formatDate(e.paidOn)}，基金不予支付。`
        : `延长缴费期${formatDate(e.paidOn)}缴费，待遇等待期${rules.waitingDays}天，${formatDate(start)}起享受待遇；等待期期间及之前发生的费用基金不予追溯支付。`,
    });
    return 'waiting-period';
  }

  private exemptReason(person: Person, e: Enrollment): string {
    if (person.category === 'newborn') return '新生儿';
    if (person.hardship) return '困难群众';
    if (e.transfer) return '医保关系转移接续';
    return '特殊群体';
  }

  private nothingFromFund(
    person: Person,
    visit: Visit,
    day: DayNumber,
    benefit: CompiledPooling | CompiledAmountLimit,
    eligibility: Eligibility,
    trace: TraceStep[] | null,
  ): Settlement {
    trace?.push({
      step: 'result',
      fundPay: 0,
      cashPay: y(visit.total),
      text: `基金支付0元，个人现金支付${formatYuan(visit.total)}元。`,
    });
    void person;
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
      deductible: 0,
      fundPay: 0,
      criticalIllnessPay: 0,
      assistancePay: 0,
      accountPay: 0,
      cashPay: visit.total,
      ratio: null,
      institutionClass: null,
      cap: null,
      trace,
      changes: NO_CHANGES,
    };
  }

  private settlePooling(
    person: Person,
    visit: Visit,
    day: DayNumber,
    benefit: CompiledPooling,
    acc: Accumulators,
    trace: TraceStep[] | null,
  ): Settlement {
    const table = benefit.tables[CATEGORY_INDEX[person.category] as number];
    if (!table) {
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
    const cls = table.classes[table.classify[(TIER_INDEX[inst.tier] as number) * 4 + inst.grade] as number];
    if (!cls) throw new SettlementError('NO_BENEFIT_RULE', `visit ${visit.id}: no institution class for a ${inst.tier} institution of grade ${inst.grade}`);
    const total = visit.total;
    const eligible = visit.eligible;
    const outOfScope = total - eligible;
    trace?.push({
      step: 'classify',
      source: cited(cls.ratioCite),
      institution: inst.id,
      tier: inst.tier,
      grade: inst.grade,
      class: cls.id,
      label: cls.label,
      text: `${inst.id}（${TIER_LABELS[inst.tier]}，${inst.grade === 0 ? '未定级' : `${inst.grade}级`}）按${cls.label}结算。`,
    });
    if (trace && outOfScope > 0) {
      trace.push({
        step: 'out-of-scope',
        amount: y(outOfScope),
        text: `医疗费总额${formatYuan(total)}元，其中政策范围外${formatYuan(outOfScope)}元由个人负担，政策范围内${formatYuan(eligible)}元。`,
      });
    }

    // Deductible (起付标准), borne once per window per institution.
    let deductible = 0;
    let windowChange: AccumulatorChanges['deductibleWindow'] = null;
    if (cls.deductible > 0) {
      const open = acc.deductibleWindow(benefit.bucket, inst.id);
      const sameWindow =
        open !== undefined &&
        (benefit.window === WINDOW_NATURAL_DAY
          ? open.day === day
          : benefit.window === WINDOW_ROLLING_24H
            ? visit.time >= open.openedAt && visit.time < open.openedAt + DAY_MS
            : false);
      const borneBefore = sameWindow ? (open as DeductibleWindow).borne : 0;
      const remaining = cls.deductible > borneBefore ? cls.deductible - borneBefore : 0;
      deductible = remaining < eligible ? remaining : eligible;
      if (deductible > 0) {
        const window: DeductibleWindow = sameWindow
          ? { openedAt: (open as DeductibleWindow).openedAt, day: (open as DeductibleWindow).day, borne: borneBefore + deductible }
          : { openedAt: visit.time, day, borne: deductible };
        windowChange = { bucket: benefit.bucket, institutionId: inst.id, window };
      }
      if (trace) {
        const period = benefit.window === WINDOW_NATURAL_DAY ? '同一自然日' : '24小时';
        trace.push({
          step: 'deductible',
          source: sources(cls.deductibleCite, benefit.windowCite),
          standard: y(cls.deductible),
          borneBefore: y(borneBefore),
          deductible: y(deductible),
          text: sameWindow
            ? `起付标准${formatYuan(cls.deductible)}元/次；${period}内已在${inst.id}负担${formatYuan(borneBefore)}元，本次负担${formatYuan(deductible)}元。`
            : `起付标准${formatYuan(cls.deductible)}元/次，本次负担${formatYuan(deductible)}元。`,
        });
      }
    } else if (trace) {
      trace.push({ step: 'deductible', source: cited(cls.deductibleCite), standard: 0, deductible: 0, text: `${cls.label}不设起付标准。` });
    }

    // Ratio (支付比例).
    let ratio = cls.ratio + table.ratioBonus;
    const familyDoctor = table.familyDoctorBonus > 0 && person.familyDoctorAt !== undefined && person.familyDoctorAt === inst.id;
    if (familyDoctor) ratio += table.familyDoctorBonus;
    if (ratio > ONE_HUNDRED_PERCENT) ratio = ONE_HUNDRED_PERCENT;
    const base = eligible - deductible;
    const computed = applyRate(base, ratio);
    if (trace) {
      const parts = [`${cls.label}${formatPercent(cls.ratio)}`];
      const used: Cite[] = [cls.ratioCite];
      if (table.ratioBonus > 0 && table.ratioBonusCite) {
        parts.push(`${CATEGORY_LABELS[person.category]}提高${table.ratioBonus / 100}个百分点`);
        used.push(table.ratioBonusCite);
      }
      if (familyDoctor && table.familyDoctorBonusCite) {
        parts.push(`签约家庭医生机构提高${table.familyDoctorBonus / 100}个百分点`);
        used.push(table.familyDoctorBonusCite);
      }
      trace.push({
        step: 'ratio',
        source: sources(...used),
        ratio: ratio / 100,
        base: y(base),
        amount: y(computed),
        text: `支付比例${formatPercent(ratio)}（${parts.join('，')}）：(${formatYuan(eligible)} − ${formatYuan(deductible)}) × ${formatPercent(ratio)} = ${formatYuan(computed)}元（四舍五入到分）。`,
      });
    }

    // Annual cap (年度最高支付限额).
    const year = yearOf(day);
    const usedBefore = acc.capUsed(benefit.bucket, year);
    const remainingCap = table.cap > usedBefore ? table.cap - usedBefore : 0;
    const fundPay = computed < remainingCap ? computed : remainingCap;
    const usedAfter = usedBefore + fundPay;
    if (trace) {
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
            ? `${year}年度支付限额${formatYuan(table.cap)}元，已支付${formatYuan(usedBefore)}元，剩余${formatYuan(remainingCap)}元；本次基金支付${formatYuan(fundPay)}元，超出限额的${formatYuan(computed - fundPay)}元由个人负担。`
            : `${year}年度支付限额${formatYuan(table.cap)}元，已支付${formatYuan(usedBefore)}元，剩余${formatYuan(remainingCap)}元；本次基金支付${formatYuan(fundPay)}元。`,
      });
    }

    const cashPay = total - fundPay;
    if (trace) {
      trace.push({
        step: 'result',
        fundPay: y(fundPay),
        cashPay: y(cashPay),
        text: `统筹基金支付${formatYuan(fundPay)}元；个人现金支付${formatYuan(cashPay)}元（政策范围外${formatYuan(outOfScope)}元 + 起付标准${formatYuan(deductible)}元 + 按比例自付及超限额${formatYuan(base - fundPay)}元）。`,
      });
    }
    return {
      visitId: visit.id,
      policy: benefit.pack.document.number,
      policyId: benefit.pack.id,
      benefit: benefit.benefitId,
      benefitLabel: benefit.label,
      date: day,
      eligibility: 'covered',
      total,
      eligible,
      outOfScope,
      deductible,
      fundPay,
      criticalIllnessPay: 0,
      assistancePay: 0,
      accountPay: 0,
      cashPay,
      ratio,
      institutionClass: cls.id,
      cap: { bucket: benefit.bucket, year, limit: table.cap, usedBefore, usedAfter },
      trace,
      changes:
        fundPay > 0 || windowChange
          ? { cap: fundPay > 0 ? { bucket: benefit.bucket, year, before: usedBefore, after: usedAfter } : null, deductibleWindow: windowChange }
          : NO_CHANGES,
    };
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
          text: `医疗费总额${formatYuan(total)}元，其中政策范围外${formatYuan(total - eligible)}元由个人负担。`,
        });
      }
      trace.push({
        step: 'amount-limit',
        source: cited(benefit.amountCite),
        standard: y(benefit.amount),
        eligible: y(eligible),
        fundPay: y(fundPay),
        text: `${benefit.label}支付标准${benefit.amountCite.text}；政策范围内费用${formatYuan(eligible)}元，基金支付${formatYuan(fundPay)}元。`,
      });
      trace.push({ step: 'result', fundPay: y(fundPay), cashPay: y(cashPay), text: `基金支付${formatYuan(fundPay)}元；个人现金支付${formatYuan(cashPay)}元。` });
    }
    void person;
    return {
      visitId: visit.id,
      policy: benefit.pack.document.number,
      policyId: benefit.pack.id,
      benefit: benefit.benefitId,
      benefitLabel: benefit.label,
      date: day,
      eligibility: 'covered',
      total,
      eligible,
      outOfScope: total - eligible,
      deductible: 0,
      fundPay,
      criticalIllnessPay: 0,
      assistancePay: 0,
      accountPay: 0,
      cashPay,
      ratio: null,
      institutionClass: null,
      cap: null,
      trace,
      changes: NO_CHANGES,
    };
  }
}
