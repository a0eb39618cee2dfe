/**
 * The engine's vocabulary: who is settled (Person, with their Enrollment), what is settled (Visit,
 * at an Institution), what the engine answers (Settlement, with its explanation as TraceSteps) and
 * the words of the eligibility step. Types and word lists only, so that everything that speaks of
 * settlements imports this and not the algorithm (settle.ts).
 */
import type { DayNumber } from '../calendar/calendar.js';
import type { Category, Employment, Grade, Hardship, Scheme, Tier, VisitType } from '../domain.js';
import type { BasisPoints, Fen } from '../money/money.js';
import type { AccumulatorChanges } from './accumulators.js';

/** One payment for a coverage year, as the engine takes it. */
export interface Enrollment {
  /** Day the contribution was paid. */
  paidOn: DayNumber;
  /** The calendar year the contribution is for. */
  coverageYear: number;
  /** 医保关系转移接续: no waiting period. */
  transfer: boolean;
  /**
   * The person as they enrolled (参保时身份), when it is on file with the payment: whether the
   * payment is exempt from the wait is a matter of who enrolled (新生儿、困难群众 … 参保). Absent: the
   * person as they are now.
   */
  enrolledAs?: EnrolledAs | undefined;
}

/** Who paid, as far as the periods care. */
export interface EnrolledAs {
  category: Category;
  hardship?: Hardship | undefined;
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
  /**
   * Employees (职工医保): `employer` for an employee of an employer (用人单位在职职工), `flexible` for a
   * flexible worker insured as an employee (灵活就业人员以职工身份参保, 洛医保〔2023〕63号 四(一): inpatient
   * maternity medical benefits, but no maternity grant, family-planning surgery benefits or
   * maternity allowance). Absent: not said; a rule that depends on it asks for it. Kept in the
   * person registry (src/ledger/registry.ts).
   */
  employment?: Employment;
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
