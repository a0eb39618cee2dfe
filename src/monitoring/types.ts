/**
 * The words supervision (医保基金监管, 智能监管) shares between its pure rules and the ledger that
 * feeds them. Rules read settlements as columns (typed arrays, one row per live settlement: not a
 * reversal, not reversed), grouped by person and ordered by time within each person, so that one
 * pass over 10,000,000 rows fits in memory and time. They return leads (疑点): row numbers and the
 * figures that triggered them; the ledger turns rows into settlement ids for the evidence.
 */
import type { z } from 'zod';

/** A citation: the document, the article, its words. */
export interface Citation {
  document: string;
  article: string;
  quote: string;
}

/** sev_deg (national code table 严重程度): 1 明确违规, 2 高度可疑, 3 轻度可疑. */
export const SEVERITIES = ['1', '2', '3'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_LABELS: Record<Severity, string> = { '1': '明确违规', '2': '高度可疑', '3': '轻度可疑' };

/** vola_bhvr_type (违规行为分类): 1 就诊类 (about a visit), 2 项目类 (about an item). */
export const BEHAVIOUR_TYPES = ['1', '2'] as const;
export type BehaviourType = (typeof BEHAVIOUR_TYPES)[number];
export const BEHAVIOUR_LABELS: Record<BehaviourType, string> = { '1': '就诊类', '2': '项目类' };

/** A finding's status: a lead until agency staff confirm or dismiss it, with a reason. */
export const FINDING_STATUSES = ['open', 'confirmed', 'dismissed'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];
export const FINDING_STATUS_LABELS: Record<FindingStatus, string> = { open: '待核查', confirmed: '已确认', dismissed: '已排除' };

/** Institution kind (定点医药机构类型, fixmedins_type): 定点医疗机构 or 定点零售药店. */
export const INSTITUTION_KINDS = ['medical', 'pharmacy'] as const;
export type InstitutionKind = (typeof INSTITUTION_KINDS)[number];
export const INSTITUTION_KIND_LABELS: Record<InstitutionKind, string> = { medical: '定点医疗机构', pharmacy: '定点零售药店' };
/** The value in `InstitutionColumns.kind` of an institution whose kind the agency has not recorded. */
export const KIND_UNKNOWN = 255;

/**
 * Persons, by ordinal. `scheme`, `category` and `hardship` are indexes into SCHEMES, CATEGORIES and
 * HARDSHIP_GROUPS of src/domain.ts; hardship 255 is none.
 */
export interface PersonColumns {
  ids: string[];
  scheme: Uint8Array;
  category: Uint8Array;
  hardship: Uint8Array;
}

/**
 * Institutions, by ordinal. `tier` indexes TIERS; `kind` indexes INSTITUTION_KINDS (KIND_UNKNOWN when
 * not recorded); longitude and latitude are degrees × 1,000,000, NaN when not recorded.
 */
export interface InstitutionColumns {
  ids: string[];
  tier: Uint8Array;
  grade: Uint8Array;
  kind: Uint8Array;
  longitudeE6: Float64Array;
  latitudeE6: Float64Array;
}

/**
 * Live settlements as columns. Rows are grouped by person (`personStart[p]` .. `personStart[p + 1]`
 * are person p's rows) and ordered by time within a person. Amounts are integer fen held in
 * Float64Array (exact below 2^53).
 */
export interface SettlementColumns {
  length: number;
  person: Int32Array;
  institution: Int32Array;
  /** The settlement time (结算时间, the entry's created_at), epoch ms: when the card was used. */
  timeMs: Float64Array;
  /** The China day of timeMs (src/calendar). */
  day: Int32Array;
  /** Index into VISIT_TYPES. */
  visitType: Uint8Array;
  totalFen: Float64Array;
  /** The pooled fund (统筹基金). */
  fundFen: Float64Array;
  /** Critical-illness insurance (大病保险). */
  criticalFen: Float64Array;
  /** Medical assistance (医疗救助). */
  assistanceFen: Float64Array;
  /** Personal account (个人账户). */
  accountFen: Float64Array;
  /** The person's cash (现金). */
  cashFen: Float64Array;
  /** Length persons + 1. */
  personStart: Int32Array;
}

/** One enrollment (参保缴费) as the duplicate-enrollment rule reads it. */
export interface EnrollmentRow {
  id: string;
  person: number;
  coverageYear: number;
  region: string;
  scheme: string;
  /** 1 when the payment moved from elsewhere (转移接续), not a new enrollment. */
  transfer: boolean;
  amountFen: number | null;
  paidOn: string;
}

/** Everything a run gives the rules. */
export interface MonitoringData {
  persons: PersonColumns;
  institutions: InstitutionColumns;
  settlements: SettlementColumns;
  enrollments: EnrollmentRow[];
}

/** Peer statistics a batch run keeps, so that a pre-settle check can compare one visit with them. */
export type PeerStats = Record<string, Record<string, number>>;

/** What a run is asked to look at. */
export interface RunContext {
  /** Settlement times [fromMs, toMs) the run covers. */
  fromMs: number;
  toMs: number;
  /**
   * Incremental runs and checks: rows with timeMs >= newFromMs are new, and a lead that involves no
   * new row is not reported (it was, or would have been, found before). Undefined: every lead.
   */
  newFromMs?: number;
  /** Peer statistics of the last batch run (for checks and incremental runs). */
  peers?: PeerStats;
}

/** A lead (疑点) a rule raised: what triggered it and on which rows. */
export interface Lead {
  ruleId: string;
  /** The rule's subject, stable across runs: the same lead found again has the same key. */
  key: string;
  /** Person ordinal (patn_id). */
  person: number;
  /** Institution ordinal, when the lead is about one. */
  institution?: number;
  /**
   * Row numbers of the settlements it rests on; the first is the visit it is about (mdtrt_id).
   * Empty when it rests on no settlement (ENROL-DUP: on enrollments; no mdtrt_id).
   */
  rows: number[];
  /** vola_amt in fen: the fund paid that the lead puts in question (ACCT-CASHOUT: the personal account's). */
  amountFen: number;
  /** vola_amt_stas: true (1 正常) when the amount was computed; false (0) when it could not be. */
  amountComputed: boolean;
  /** vola_cont, in Chinese, readable by a clerk: what was seen, with the figures and the thresholds. */
  content: string;
  /** The figures that triggered it (counts, sums, thresholds, distances…), by name. */
  figures: Record<string, number | string>;
  /** Enrollment ids, for the duplicate-enrollment rule. */
  enrollments?: string[];
  /**
   * Each row's part of `amountFen` (表135 vola_amt of the row's detail), parallel to `rows`; they add
   * up to `amountFen`. Absent: the whole amount is on `rows[0]`.
   */
  rowAmountsFen?: number[];
}

/** A parameter the agency sets for a rule: none has a default. */
export interface RuleParameter {
  name: string;
  /** Chinese label. */
  label: string;
  unit: string;
  /**
   * True when the rule runs without it (the check it enables is then not made); such a parameter
   * is never missing. Absent: the agency must set it before the rule runs.
   */
  optional?: boolean;
}

/** Whether a rule can judge one visit at pre-settle (3101) and in an incremental run. */
export type RuleReach = 'visit' | 'period';

/** A supervision rule: data about it, and how it judges. */
export interface RuleDefinition<P = Record<string, unknown>> {
  /** rule_id. */
  id: string;
  /** rule_name, Chinese. */
  name: string;
  /** What it looks for, in Chinese, for the clerk. */
  description: string;
  /** The articles it serves. */
  sources: Citation[];
  /** vola_bhvr_type. */
  behaviour: BehaviourType;
  /** Whether it concerns a visit (就诊) or an item (项目). */
  concerns: 'visit' | 'item';
  /** `visit`: judged per visit (pre-settle, incremental); `period`: only over a batch run's span. */
  reach: RuleReach;
  /** The severity it is reported with unless the agency sets another. */
  severity: Severity;
  parameters: RuleParameter[];
  /** The parameters' schema (zod): the agency's settings are checked against it. */
  schema: z.ZodType<P>;
  evaluate(data: MonitoringData, params: P, ctx: RunContext): Lead[];
  /** Period rules: the peer statistics they computed, for later checks. */
  peerStats?(data: MonitoringData, params: P, ctx: RunContext): Record<string, number>;
  /**
   * Visit rules: the earliest settlement time whose rows the rule needs to judge a new settlement
   * at `fromMs` as a batch would (an incremental run and a check read each person's rows from
   * there). Absent: the start of the China calendar year (more rows never change a judgement).
   */
  lookbackFrom?(params: P, fromMs: number): number;
  /**
   * What the rule could not judge over the same data, in Chinese with the count (settlements at
   * institutions with no recorded location or kind, peer groups too small…), for the run's
   * `unjudged`; undefined when it judged everything. A second pass: `evaluate` stays one answer.
   */
  unjudged?(data: MonitoringData, params: P, ctx: RunContext): string | undefined;
}
