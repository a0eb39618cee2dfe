/** The tables of watching the fund (issue 14, migration 0010). */
/** The agency's monitoring settings (监测设置), versioned: the newest row of a key is in force. Never defaulted. */
export interface MonitoringSettingsTable {
  /** uuidv7: sorts by time. */
  id: string;
  /** `warning` (the budget warning margin), `high-cost` (the thresholds), `rule:<rule id>` (a supervision rule's parameters). */
  key: string;
  /** JSON text. */
  value: string;
  reason: string | null;
  actor: string;
  at: number;
}

/** A budget (预算) the agency entered for a pooling area (统筹区: county or district), year and account. A revision is a new row; the newest is in force. */
export interface BudgetsTable {
  id: string;
  /** The district code (县区), as in `districts`. */
  area: string;
  year: number;
  /** A benefit id (`resident-outpatient`…) or a separate account: `family-doctor` (家庭医生签约服务费), `student-outpatient` (大学生门诊统筹). */
  account: string;
  amount_fen: number;
  /** JSON: how the amount was set (entered, or persons × a policy rate with its citation). */
  basis: string;
  note: string | null;
  request_id: string;
  request_hash: string;
  actor: string;
  recorded_at: number;
}

/** A payment out of a separate budget account the agency records (e.g. family-doctor fees paid to institutions). Immutable. */
export interface BudgetPaymentsTable {
  id: string;
  area: string;
  year: number;
  account: string;
  amount_fen: number;
  /** YYYY-MM-DD. */
  paid_on: string;
  note: string | null;
  request_id: string;
  request_hash: string;
  actor: string;
  recorded_at: number;
}

/** Where an institution is and what kind (定点医疗机构 or 定点零售药店), for supervision. */
export interface InstitutionSitesTable {
  institution_id: string;
  /** `medical` (定点医疗机构, fixmedins_type 1) or `pharmacy` (定点零售药店, 2). */
  kind: string;
  /** Degrees × 1,000,000 (WGS-84); null when not known. */
  longitude_e6: number | null;
  latitude_e6: number | null;
  actor: string;
  updated_at: number;
}

/** A supervision run (监管筛查): a batch over a span, an incremental run since the last, or a 3101/3102 check. */
export interface SupervisionRunsTable {
  id: string;
  /** `batch`, `incremental`. */
  kind: string;
  /** The settlement times (created_at, epoch ms) covered: [span_from, span_to). */
  span_from: number;
  span_to: number;
  /** JSON: the rules run, each with the parameters in force. */
  rules: string;
  /** JSON: counts, rules not run and why, peer statistics. */
  summary: string;
  actor: string;
  started_at: number;
  finished_at: number;
}

/** A finding (疑点线索): a lead a rule raised, never a verdict. Only its status changes, each change in finding_status. */
export interface FindingsTable {
  /** jr_id. */
  id: string;
  /** The rule and its subject: the same lead found again is the same finding. */
  key: string;
  rule_id: string;
  run_id: string;
  /** patn_id: the person (for a lead about many, one of them). */
  person_id: string;
  /** mdtrt_id: the visit, when the lead is about one. */
  visit_id: string | null;
  institution_id: string | null;
  /** vola_amt in fen. */
  amount_fen: number;
  /** 1 明确违规, 2 高度可疑, 3 轻度可疑. */
  sev_deg: string;
  /** vola_bhvr_type: 1 就诊类, 2 项目类. */
  bhvr_type: string;
  /** vola_cont. */
  content: string;
  /** JSON: the settlements and the figures that triggered it, with the rule's citations. */
  evidence: string;
  /** When what it is about happened (the latest settlement's time), epoch ms. */
  happened_at: number;
  /** open, confirmed, dismissed. */
  status: string;
  status_at: number;
  created_at: number;
}

/** Every status change of a finding: who, when, why. */
export interface FindingStatusTable {
  id: string;
  finding_id: string;
  status: string;
  reason: string;
  actor: string;
  at: number;
}
