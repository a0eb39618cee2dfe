/**
 * A loaded policy pack: the policy file, checked, with money in fen, rates in basis points, and
 * every parameter carrying its full citation and effective dates.
 */
import type { DayNumber } from '../calendar/calendar.js';
import type { Category, CountyType, Hardship, Scheme, Tier, Grade, VisitType } from '../domain.js';
import type { AccountKind, AccountParamKey, FloorTarget, Unit } from './schema.js';

/** Where a value came from: the document itself, or a user's policy file. */
export type Supplier = 'document' | 'user';

export interface MonthDayRange {
  from: { month: number; day: number };
  to: { month: number; day: number };
}

export type ParamValue = number | string | boolean | readonly string[] | MonthDayRange;

/** One dated version of a parameter. */
export interface ParamVersion {
  /** Fen for money, basis points for rates, days, names...; null when the document does not give it. */
  value: ParamValue | null;
  unit: Unit;
  /** The value as written, with its unit, e.g. `280 元/人/年`, `60%`. */
  text: string;
  /** Document number, e.g. 洛医保〔2023〕63号. */
  document: string;
  /** Article or section, e.g. 二(一)2. */
  article: string;
  /** `document article`, as printed in traces. */
  citation: string;
  quote?: string;
  note?: string;
  /** Why the value is missing, when it is. */
  missing?: string;
  bound?: 'at-least' | 'about' | 'exactly';
  /** A provincial floor: the city parameter it bounds (`yibao policy check`). */
  compares?: FloorTarget;
  from: DayNumber;
  /** Last day in force, inclusive; null = open. */
  to: DayNumber | null;
  supplied: Supplier;
  /** The file a user-supplied value came from. */
  suppliedBy?: string;
}

export interface Param {
  /** Address inside the pack, e.g. benefits.resident-outpatient.cap. */
  path: string;
  /** Human label (Chinese), e.g. 年度最高支付限额. */
  label: string;
  versions: ParamVersion[];
}

/** The version of a parameter in force on a day. */
export function versionAt(param: Param, day: DayNumber): ParamVersion | undefined {
  for (const v of param.versions) if (v.from <= day && (v.to === null || day <= v.to)) return v;
  return undefined;
}

export interface InstitutionClass {
  id: string;
  label: string;
  tiers: readonly Tier[];
  grades: readonly Grade[];
  deductible: Param;
  ratio: Param;
}

export interface CategoryOverride {
  cap?: Param;
  ratioBonus?: Param;
  classes: Record<string, { deductible?: Param; ratio?: Param }>;
}

interface BenefitCommon {
  id: string;
  label: string;
  visitType: VisitType;
  scheme: Scheme;
  /** Article the benefit as a whole comes from. */
  citation: string;
  contractedOnly: Param;
}

export interface PoolingBenefit extends BenefitCommon {
  kind: 'pooling';
  capBucket: string;
  deductibleWindow?: Param;
  classes: InstitutionClass[];
  cap: Param;
  familyDoctorBonus?: Param;
  /** Tiers at which the family-doctor bonus applies, at the signed institution. */
  familyDoctorTiers: readonly Tier[];
  categories: Partial<Record<Category, CategoryOverride>>;
  /** 住院期间不享受: nothing from this benefit while the person is in hospital. */
  notDuringStay?: Param;
  /** Only for those whose personal-account structure was adjusted (调整个人账户结构). */
  accountReformRequired?: Param;
}

export interface AmountLimitBenefit extends BenefitCommon {
  kind: 'amount-limit';
  amount: Param;
}

export type Benefit = PoolingBenefit | AmountLimitBenefit;

export interface EnrollmentRules {
  concentratedPeriod: Param;
  coverageAfterConcentrated: Param;
  waitingDays: Param;
  waitExemptCategories: Param;
  waitExemptHardship: Param;
  waitExemptTransfer: Param;
}

/** How the fiscal subsidy is shared by level for one county type (amounts or shares of the subsidy). */
export interface SubsidyLevels {
  central: Param;
  province?: Param;
  city?: Param;
  county?: Param;
}

/** Residents' contributions by funding year (every version covers whole calendar years). */
export interface ContributionRules {
  /** `document article` of the section. */
  citation: string;
  fundingStandard?: Param;
  subsidyStandard: Param;
  individual: Param;
  subsidyShares?: Record<CountyType, SubsidyLevels>;
  assistance: Partial<Record<Hardship, Param>>;
  criticalIllnessFunding?: Param;
}

/** An account's rules (个人账户, 个人（家庭）账户): each a cited parameter, by `group.name` key. */
export interface AccountRules {
  kind: AccountKind;
  label: string;
  scheme: Scheme;
  /** The article the account's rules as a whole come from. */
  citation: string;
  params: Partial<Record<AccountParamKey, Param>>;
}

/** 大病保险 (see schema.ts). */
export interface CriticalIllnessRules {
  citation: string;
  scheme: Scheme;
  visitTypes: Param;
  threshold: Param;
  ratio: Param;
  cap: Param;
  groups: Partial<Record<Hardship, { threshold?: Param; ratio?: Param; uncapped?: Param }>>;
}

/** 转诊 (see schema.ts). */
export interface ReferralRules {
  citation: string;
  unreferredRatioReduction: Param;
  reductionExcludedFromCriticalIllness?: Param;
}

/** 医疗救助 (see schema.ts). */
export interface MedicalAssistanceRules {
  citation: string;
  visitTypes: Param;
  groups: Partial<Record<Hardship, { threshold: Param; ratio: Param; cap: Param }>>;
}

/** 一次性生育补助金 (see schema.ts): the amount and the conditions the document gives. */
export interface MaternityGrantRules {
  citation: string;
  label: string;
  amount: Param;
  claimantScheme?: Param;
  claimantSex?: Param;
  claimantInsured?: Param;
  contributionsPaid?: Param;
  flexibleWorkersExcluded?: Param;
  employerInsuredYears?: Param;
  spouseWithoutEmployer?: Param;
  noResidentMaternityBenefit?: Param;
}

export interface PolicyPack {
  id: string;
  /** The file it was loaded from. */
  file: string;
  document: { number: string; title: string; issuer: string; seed?: string; note?: string };
  region: { code: string; name: string; aliases: string[]; parent?: string };
  role: 'rules' | 'floors';
  schemes: Scheme[];
  effective: { from: DayNumber; to: DayNumber | null; citation: string; quote?: string; note?: string };
  enrollment?: EnrollmentRules;
  contributions?: ContributionRules;
  benefits: Benefit[];
  /** Account rules, one per account kind the document governs. */
  accounts: AccountRules[];
  criticalIllness?: CriticalIllnessRules;
  referral?: ReferralRules;
  medicalAssistance?: MedicalAssistanceRules;
  /** 一次性生育补助金, where the document gives one. */
  maternityGrant?: MaternityGrantRules;
  /** Other cited parameters by group (contributions, floors, ...). */
  groups: Record<string, Record<string, Param>>;
  /** Every parameter of the pack, by path. */
  params: Map<string, Param>;
  /** User policy files layered over this pack, in order. */
  overlays: string[];
}
