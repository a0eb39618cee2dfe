/**
 * The shape of compiled policy: the flat tables compile.ts makes of a segment of constant policy
 * and the settlement engine reads (settle.ts), with each value's citation (Cite) for the trace.
 */
import type { DayNumber } from '../calendar/calendar.js';
import type { Category, Hardship } from '../domain.js';
import type { BasisPoints, Fen } from '../money/money.js';
import type { MonthDayRange, PolicyPack } from '../policy/model.js';
import type { MissingParameter } from './errors.js';

/** A value used in a settlement, with where it came from, for the trace. */
export interface Cite {
  path: string;
  label: string;
  text: string;
  citation: string;
  quote?: string;
  note?: string;
  /** Supplied by a user's policy file rather than the document. */
  userSupplied: boolean;
}

export interface CompiledClass {
  id: string;
  label: string;
  deductible: Fen;
  deductibleCite: Cite;
  ratio: BasisPoints;
  ratioCite: Cite;
}

/** The pooling rule for one person category. */
export interface PoolingTable {
  classes: CompiledClass[];
  /** Class index by `tier * 4 + grade`. */
  classify: Int8Array;
  cap: Fen;
  capCite: Cite;
  ratioBonus: BasisPoints;
  ratioBonusCite: Cite | null;
  familyDoctorBonus: BasisPoints;
  familyDoctorBonusCite: Cite | null;
  /** Bit per tier index: where the family-doctor bonus may apply. */
  familyDoctorTierMask: number;
  /** Non-empty: this table cannot settle until these are supplied. */
  missing: MissingParameter[];
}

export const WINDOW_NONE = 0;
/**
 * The China calendar day, 0:00 to 24:00 (同一自然日; Puyang's 当日（24小时） is read the same way:
 * a window of 24 hours from whichever visit was settled first would depend on the order of
 * settling, see accumulators.ts DeductibleWindow).
 */
export const WINDOW_NATURAL_DAY = 1;
/** Every visit (every stay) bears its own deductible: nothing carried between visits. */
export const WINDOW_PER_VISIT = 3;

export interface CompiledCommon {
  pack: PolicyPack;
  benefitId: string;
  label: string;
  citation: string;
  contractedOnly: boolean;
  contractedCite: Cite;
}

export interface CompiledPooling extends CompiledCommon {
  kind: 'pooling';
  bucket: string;
  window: number;
  windowCite: Cite | null;
  /** By category index; undefined where the category does not belong to the benefit's scheme. */
  tables: (PoolingTable | undefined)[];
  /** 住院期间不享受: the benefit pays nothing for a visit made while the person is in hospital. */
  notDuringStay: Cite | null;
  /** Only for those whose personal-account structure was adjusted (调整个人账户结构): where it says so. */
  accountReformRequired: Cite | null;
}

export interface CompiledAmountLimit extends CompiledCommon {
  kind: 'amount-limit';
  amount: Fen;
  amountCite: Cite;
  missing: MissingParameter[];
}

export type CompiledBenefit = CompiledPooling | CompiledAmountLimit;

export interface CompiledEnrollment {
  pack: PolicyPack;
  concentrated: MonthDayRange | null;
  concentratedCite: Cite;
  coverageCite: Cite;
  waitingDays: number;
  waitingCite: Cite;
  exemptCategories: ReadonlySet<Category>;
  exemptHardship: ReadonlySet<Hardship>;
  exemptTransfer: boolean;
  /** Where the categories (新生儿), the hardship groups (困难群众) and transfers are exempted. */
  exemptCite: Cite;
  exemptHardshipCite: Cite;
  exemptTransferCite: Cite;
  missing: MissingParameter[];
}

/** 转诊: the ratio lowered for treatment outside the county without referral. */
export interface CompiledReferral {
  pack: PolicyPack;
  reduction: BasisPoints;
  reductionCite: Cite;
  /** The lowered part is left out of the critical-illness self-paid total. */
  excludedFromCriticalIllness: boolean;
  excludedCite: Cite | null;
  missing: MissingParameter[];
}

/** A yearly layer of the fund chain for one group of people: threshold, ratio and cap (null: none). */
export interface LayerTable {
  threshold: Fen;
  thresholdCite: Cite;
  ratio: BasisPoints;
  ratioCite: Cite;
  cap: Fen | null;
  capCite: Cite;
  missing: MissingParameter[];
}

/**
 * A layer of the fund chain after the basic fund (大病保险, 医疗救助): what the person paid of the
 * in-catalogue cost of the listed visit types, summed over the year, above the threshold, at the
 * ratio, to the cap.
 */
export interface CompiledLayer {
  pack: PolicyPack;
  kind: 'critical-illness' | 'assistance';
  label: string;
  citation: string;
  /** The scheme it covers, or null for both. */
  scheme: string | null;
  visitTypes: ReadonlySet<string>;
  visitTypesCite: Cite;
  /** Accumulator buckets: the year's counted self-paid cost, and what the layer paid. */
  baseBucket: string;
  paidBucket: string;
  /** For people in no listed hardship group; null when the layer is for the groups only. */
  general: LayerTable | null;
  groups: Partial<Record<Hardship, LayerTable>>;
  missing: MissingParameter[];
}

export interface CompiledSegment {
  from: DayNumber;
  to: DayNumber | null;
  chain: PolicyPack[];
  /** By benefitSlot(scheme, visitType). */
  benefits: (CompiledBenefit | undefined)[];
  enrollment: CompiledEnrollment | undefined;
  referral: CompiledReferral | undefined;
  criticalIllness: CompiledLayer | undefined;
  assistance: CompiledLayer | undefined;
}

/** Accumulator buckets of the fund chain's later layers. */
export const CRITICAL_ILLNESS_BASE = 'critical-illness-self-paid';
export const CRITICAL_ILLNESS_PAID = 'critical-illness';
export const ASSISTANCE_BASE = 'assistance-self-paid';
export const ASSISTANCE_PAID = 'assistance';
