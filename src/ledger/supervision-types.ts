/**
 * What the supervision book (监管, src/ledger/supervision.ts) offers the service and the CLI: rule
 * settings, institution sites, runs (batch over a span, incremental since the last), checks of
 * visits not yet settled (3101) or being settled (3102), and findings with their status changes.
 */
import type { Fen } from '../money/money.js';
import type { BehaviourType, Citation, FindingStatus, InstitutionKind, RuleParameter, RuleReach, Severity } from '../monitoring/types.js';
import type { Actor } from './types.js';

/** A rule as the agency sees it: what it is, and the settings in force (none until the agency sets them). */
export interface RuleView {
  id: string;
  name: string;
  description: string;
  sources: Citation[];
  behaviour: BehaviourType;
  concerns: 'visit' | 'item';
  reach: RuleReach;
  parameters: RuleParameter[];
  /** The catalogue's severity, or the agency's. */
  severity: Severity;
  enabled: boolean;
  /** The parameters in force; null when the agency has set none. */
  params: Record<string, unknown> | null;
  /** The parameters still to be set: the rule does not run until this is empty. */
  missing: string[];
  setBy: string | null;
  setAt: number | null;
  reason: string | null;
}

/** The agency's setting of a rule. */
export interface RuleSettingInput {
  enabled: boolean;
  params: Record<string, unknown>;
  severity?: Severity;
  reason: string;
}

/** Where an institution is and what kind. */
export interface Site {
  institutionId: string;
  kind: InstitutionKind;
  /** Degrees (WGS-84), up to 6 decimals; null when not known. */
  longitude: number | null;
  latitude: number | null;
}

/** A run's account of itself. */
export interface RunSummary {
  id: string;
  kind: 'batch' | 'incremental' | 'in-process';
  /** Settlement times covered, epoch ms, [from, to). */
  from: number;
  to: number;
  startedAt: number;
  finishedAt: number;
  /** The rules run and the settings they ran with. */
  rules: { ruleId: string; severity: Severity; params: Record<string, unknown> }[];
  /** Rules not run, and why (not configured: the parameters missing; disabled; a period rule in an incremental run). */
  notRun: { ruleId: string; reason: string }[];
  settlements: number;
  persons: number;
  leads: number;
  newFindings: number;
  byRule: Record<string, { leads: number; newFindings: number }>;
  /** What a rule could not judge, by rule (e.g. visits at institutions with no location). */
  unjudged: Record<string, string>;
  /**
   * New leads beyond the most a run writes (MAX_RUN_FINDINGS in supervision.ts) and so not written;
   * absent when none. Narrow the span (or raise the thresholds) and run again.
   */
  truncated?: number;
  /** Where the run's time went, ms (for the bench): reading, judging, finding the evidence, writing. Absent on runs stored before. */
  timings?: { loadMs: number; evaluateMs: number; resolveMs: number; writeMs: number };
}

/** A settlement a finding rests on. */
export interface EvidenceSettlement {
  id: string;
  visitId: string;
  institutionId: string;
  /** Settlement time, epoch ms. */
  time: number;
  visitType: string;
  total: Fen;
  fund: Fen;
  critical: Fen;
  assistance: Fen;
  account: Fen;
  cash: Fen;
  /** This settlement's part of the finding's amount (vola_amt of the 3101/3102 detail); absent on findings stored before. */
  amount?: Fen;
}

export interface FindingEvidence {
  settlements: EvidenceSettlement[];
  /** The figures that triggered it and the thresholds in force. */
  figures: Record<string, number | string>;
  sources: Citation[];
  enrollments?: { id: string; coverageYear: number; region: string; scheme: string; paidOn: string; amount: Fen | null }[];
}

/** A finding (疑点线索): a lead, never a verdict. */
export interface Finding {
  /** jr_id. */
  id: string;
  ruleId: string;
  ruleName: string;
  runId: string;
  personId: string;
  visitId: string | null;
  institutionId: string | null;
  /** vola_amt. */
  amount: Fen;
  amountComputed: boolean;
  severity: Severity;
  behaviour: BehaviourType;
  /** vola_cont. */
  content: string;
  evidence: FindingEvidence;
  happenedAt: number;
  status: FindingStatus;
  statusAt: number;
  createdAt: number;
}

export interface FindingStatusChange {
  status: FindingStatus;
  reason: string;
  actor: string;
  at: number;
}

export interface FindingQuery {
  status?: FindingStatus;
  ruleId?: string;
  institutionId?: string;
  personId?: string;
  severity?: Severity;
  /** happened_at, epoch ms, [from, to). */
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

/** Counts without personal data (for analysts): by rule, status, severity and institution. */
export interface FindingCount {
  ruleId: string;
  ruleName: string;
  status: FindingStatus;
  severity: Severity;
  institutionId: string | null;
  count: number;
  amount: Fen;
}

/** A visit to check before (3101) or while (3102) it is settled: the ledger holds the person's history. */
export interface CheckVisit {
  personId: string;
  institutionId: string;
  visitId: string;
  /** When the card is used (settlement time), epoch ms. */
  timeMs: number;
  visitType: string;
  total: Fen;
  fund: Fen;
  account: Fen;
  cash: Fen;
}

/** A lead a check raised, in the shape findings have, not stored (3101) or stored (3102: `findingId`). */
export interface CheckLead {
  ruleId: string;
  ruleName: string;
  personId: string;
  visitId: string;
  institutionId: string | null;
  amount: Fen;
  amountComputed: boolean;
  severity: Severity;
  behaviour: BehaviourType;
  content: string;
  evidence: FindingEvidence;
  findingId?: string;
}

export interface SupervisionBookApi {
  rules(): Promise<RuleView[]>;
  /** Refused with INVALID_REQUEST naming each bad parameter; unknown rule: NOT_FOUND. Audited. */
  setRule(ruleId: string, input: RuleSettingInput, actor: Actor): Promise<RuleView>;
  sites(limit: number, offset: number): Promise<{ items: Site[]; total: number }>;
  /** Audited; unchanged writes nothing. */
  setSite(site: Site, actor: Actor): Promise<Site>;
  /** A batch run over settlement times [from, to). Audited. */
  run(span: { from: number; to: number }, actor: Actor): Promise<RunSummary>;
  /** An incremental run: the settlements since the last run's end (visit rules only). Audited. */
  runIncremental(actor: Actor): Promise<RunSummary>;
  runs(limit: number, offset: number): Promise<{ items: RunSummary[]; total: number }>;
  getRun(id: string): Promise<RunSummary | undefined>;
  /** 3101: leads the visits would raise, against each person's history; nothing stored. */
  check(visits: CheckVisit[], ruleIds?: string[]): Promise<CheckLead[]>;
  /** 3102: as check, and the leads are kept as findings (a run of kind in-process). */
  checkInProcess(visits: CheckVisit[], actor: Actor, ruleIds?: string[]): Promise<CheckLead[]>;
  findings(q: FindingQuery): Promise<{ items: Finding[]; total: number }>;
  finding(id: string): Promise<Finding | undefined>;
  statusHistory(id: string): Promise<FindingStatusChange[]>;
  /** Agency staff only (the caller checks the role); a reason is required; audited. Unknown id: NOT_FOUND. */
  setStatus(id: string, change: { status: FindingStatus; reason: string }, actor: Actor): Promise<Finding>;
  counts(q: Omit<FindingQuery, 'limit' | 'offset' | 'personId'>): Promise<FindingCount[]>;
}
