/**
 * Residents' contributions (城乡居民医保筹资): what is asked (the query) and what is answered (the
 * breakdown, its bounds and the figures the documents leave missing). See contribution.ts.
 */
import { YibaoError } from '../errors.js';
import type { MissingParameter } from '../engine/errors.js';
import type { TraceStep } from '../engine/types.js';
import type { CountyType, Hardship } from '../domain.js';
import type { Fen } from '../money/money.js';

export interface ContributionQuery {
  /** admdvs code. */
  region: string;
  /** Funding year (筹资年度 / 缴费所属年度). */
  year: number;
  countyType: CountyType;
  /** Absent: not in a hardship group. */
  hardship?: Hardship;
  /**
   * For a group the document says *may* follow the 低保 standard (可参照当地低保对象标准): whether
   * the locality does. Needed only then.
   */
  followsDibao?: boolean;
}

/** The query leaves open a choice the document leaves to the locality (可参照…). */
export class OptionRequiredError extends YibaoError<'OPTION_REQUIRED'> {
  constructor(
    readonly option: 'followsDibao',
    message: string,
  ) {
    super('OPTION_REQUIRED', message, { option });
    this.name = 'OptionRequiredError';
  }
}

/** Which figures are floors (the documents' 不低于) and which therefore ceilings. */
export type Bound = 'at-least' | 'at-most';

export interface SubsidyBreakdown {
  /** Null when the document does not give the year's subsidy (then no level either). */
  total: Fen | null;
  /** Null where the document does not split the subsidy for the year. */
  central: Fen | null;
  province: Fen | null;
  city: Fen | null;
  county: Fen | null;
  /** The part besides the central subsidy, where the document does not split it further. */
  local?: Fen;
}

export interface Contribution {
  region: string;
  regionName: string;
  year: number;
  countyType: CountyType;
  hardship: Hardship | null;
  /** Document number of the governing policy. */
  policy: string;
  policyId: string;
  /** 筹资标准 per person: subsidy + individual (null when either is missing). */
  total: Fen | null;
  /** 个人缴费标准 (null: not given for the year). */
  individual: Fen | null;
  subsidy: SubsidyBreakdown;
  /** 资助参保: the part of the individual contribution paid for the person (null: cannot be known). */
  assistance: Fen | null;
  /** What the person pays: individual − assistance (0 under full assistance even when the standard is missing). */
  payable: Fen | null;
  /** 大病保险人均筹资, where the document gives it (part of the funding, not added to it); null: named for the year, not given. */
  criticalIllnessFunding?: Fen | null;
  /** Figures that are floors (or, for what the person pays, ceilings), by field. */
  bounds: Record<string, Bound>;
  /** Each figure above that is null for want of a parameter, with the parameters (empty: every figure given). */
  missing: MissingFigure[];
  trace: TraceStep[];
}

/** A figure of the breakdown the documents do not give: MISSING_PARAMETER, for that figure alone. */
export interface MissingFigure {
  /** The figure's field: individual, subsidy.total, total, assistance, payable, criticalIllnessFunding. */
  figure: string;
  code: 'MISSING_PARAMETER';
  message: string;
  missing: MissingParameter[];
}
