/**
 * The ledger's tables, as Kysely sees them. One query code path serves SQLite and PostgreSQL:
 * amounts are BIGINT fen in both (SQLite INTEGER is 64-bit), times are epoch milliseconds
 * (BIGINT), dates are ISO text, booleans are integers 0/1, JSON is text.
 *
 * Settlements are immutable entries: a reversal is a new entry pointing at the one it reverses,
 * never an edit. The accumulator tables are derived state kept beside the entries for speed;
 * `yibao ledger verify` recomputes them from the entries.
 */
import type { Generated } from 'kysely';
import type {
  BudgetPaymentsTable,
  BudgetsTable,
  FindingStatusTable,
  FindingsTable,
  InstitutionSitesTable,
  MonitoringSettingsTable,
  SupervisionRunsTable,
} from './schema-monitoring.js';

import type { FeeDetailsTable, NationalReversalsTable, NationalVisitsTable, PersonIdentitiesTable, SignInsTable } from './schema-national.js';

export type { FeeDetailsTable, NationalReversalsTable, NationalVisitsTable, PersonIdentitiesTable, SignInsTable };
export type { BudgetPaymentsTable, BudgetsTable, FindingStatusTable, FindingsTable, InstitutionSitesTable, MonitoringSettingsTable, SupervisionRunsTable };

/**
 * The person registry (参保人员信息): the attributes that change benefits. Kept by the agency
 * (PUT /v1/persons/{id}, `yibao persons set`); a person's first settle registers them when the
 * agency has not, and no settle changes them (src/ledger/registry.ts).
 */
export interface PersonsTable {
  id: string;
  region: string;
  scheme: string;
  category: string;
  hardship: string | null;
  family_doctor_at: string | null;
  /** Employees: employer (用人单位职工) or flexible (灵活就业人员); null when not known. */
  employment: string | null;
  /** Employees: 1 when the personal account's structure was adjusted (调整个人账户结构), 0 when not; null when not known. */
  account_reformed: number | null;
  /** The county or district (县区) the person is insured in: the district code (0009); null when not known. */
  district: string | null;
  updated_at: number;
}

export interface EnrollmentsTable {
  id: string;
  person_id: string;
  coverage_year: number;
  paid_on: string;
  transfer: number;
  amount_fen: number | null;
  payer: string | null;
  recorded_at: number;
  /** Recorded on its own: the client's request id (unique) and the hash of the request. Null when a settle stored it. */
  request_id: string | null;
  request_hash: string | null;
  actor: string | null;
  /** The person as they enrolled (null when a settle stored it: then the person as settled). */
  region: string | null;
  scheme: string | null;
  category: string | null;
  hardship: string | null;
}

export interface InstitutionsTable {
  id: string;
  name: string | null;
  tier: string;
  grade: number;
  contracted: number;
  region: string | null;
  updated_at: number;
}

/** A visit, keyed by (institution_id, id): a visit id (就诊ID) is its institution's. */
export interface VisitsTable {
  id: string;
  person_id: string;
  institution_id: string;
  time_ms: number;
  visit_date: string;
  type: string;
  total_fen: number;
  eligible_fen: number;
}

/** One immutable ledger entry: a settlement or the reversal of one. */
export interface SettlementsTable {
  id: string;
  /** Client-supplied idempotency key. */
  request_id: string;
  /** Hash of the request body, to refuse the same id with a different body. */
  request_hash: string;
  kind: 'settlement' | 'reversal';
  /** For a reversal, the settlement it reverses (unique: a settlement is reversed at most once). */
  reverses: string | null;
  person_id: string;
  visit_id: string;
  institution_id: string;
  visit_date: string;
  year: number;
  policy: string;
  benefit: string;
  eligibility: string;
  total_fen: number;
  eligible_fen: number;
  deductible_fen: number;
  fund_pay_fen: number;
  critical_illness_pay_fen: number;
  assistance_pay_fen: number;
  account_pay_fen: number;
  cash_pay_fen: number;
  cap_bucket: string | null;
  cap_year: number | null;
  /** Cap used before and after this entry (for a reversal: after = before − the reversed pay). */
  cap_before_fen: number | null;
  cap_after_fen: number | null;
  window_bucket: string | null;
  window_opened_at: number | null;
  window_day: number | null;
  window_borne_after_fen: number | null;
  /** The settlement as the API returns it (JSON), trace included. */
  body: string;
  actor: string;
  created_at: number;
}

export interface CapUsageTable {
  person_id: string;
  year: number;
  bucket: string;
  used_fen: number;
}

/**
 * The later layers of the fund chain (大病保险, 医疗救助) keep yearly totals in cap_usage like any
 * cap; each entry that changes one records the change here (a reversal records the opposite), so
 * that `ledger verify` can recompute them and a reversal can restore them.
 */
export interface SettlementLayersTable {
  settlement_id: string;
  person_id: string;
  year: number;
  bucket: string;
  change_fen: number;
  after_fen: number;
}

/** The deductible borne in a window (the China day, 0006) at an institution, by a person, for a bucket. */
export interface DeductibleWindowsTable {
  person_id: string;
  bucket: string;
  institution_id: string;
  day: number;
  borne_fen: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  /** Epoch milliseconds. */
  at: number;
  /** The API key id (K-…), `cli`, or `anonymous` for a request with no valid key. */
  actor: string;
  /** The actor's role, `system` (the CLI), or `none`. */
  role: string;
  /** What: settle, reverse, keys.create…; `read.…` for a read of personal data; `refused` for a 401 or 403. */
  action: string;
  /** Which record: an entry id, a person id, an account id…; for a refusal, the record or the route. */
  target: string;
  /** JSON text. */
  detail: string;
}

export interface ApiKeysTable {
  id: string;
  key_hash: string;
  role: string;
  institution_id: string | null;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** A personal account (个人账户) or a residents' legacy family account (个人（家庭）账户). */
export interface AccountsTable {
  id: string;
  kind: string;
  holder_id: string;
  region: string;
  /** Family accounts: the registered household members, JSON array of person ids. */
  members: string | null;
  opened_on: string;
  /** The day of the transfer out, refund or inheritance that closed it. */
  closed_on: string | null;
  /** Derived: the last entry's balance_after_fen (0 with none). */
  balance_fen: number;
  /** Derived: the last entry's seq (0 with none). */
  seq: number;
  /** Hash of the opening request: the same id opened again with other details is refused. */
  request_hash: string;
  created_at: number;
  updated_at: number;
}

/** The holder's details from a month on (what the month's credit needs). */
export interface AccountHoldersTable {
  /** The account's holder (accounts.holder_id), leading every key: the person the row belongs to (0012). */
  holder_id: string;
  account_id: string;
  /** YYYY-MM: in force from this month until the next row's. */
  from_month: string;
  category: string | null;
  contribution_base_fen: number | null;
  pays_at_employer_rate: number | null;
  required_years_met: number | null;
  actor: string;
  recorded_at: number;
}

/** One immutable account entry. */
export interface AccountEntriesTable {
  /** The model's deterministic id: `ACCOUNT/credit/YYYY-MM`, `ACCOUNT/KIND/REF`. */
  id: string;
  /** The account's holder (accounts.holder_id), leading every key: the person the row belongs to (0012). */
  holder_id: string;
  account_id: string;
  seq: number;
  kind: string;
  entry_date: string;
  /** Signed: positive into the account. */
  amount_fen: number;
  balance_after_fen: number;
  /** Credits: YYYY-MM (unique per account). */
  period: string | null;
  ref: string | null;
  settlement_id: string | null;
  visit_id: string | null;
  member_id: string | null;
  relation: string | null;
  purpose: string | null;
  source: string;
  text: string;
  /** The entry as the model made it (JSON, fen). */
  body: string;
  request_id: string | null;
  request_hash: string | null;
  actor: string;
  created_at: number;
}

/** A paying centre (医保经办机构: the city centre 市医保中心 or a county centre 县区医保中心). */
export interface PayingCentresTable {
  /** The centre's code (结算经办机构 setl_optins, 6 characters). */
  id: string;
  name: string;
  /** city | county */
  level: string;
  /** The region (统筹区) code it belongs to. */
  region: string;
  /** A county centre: the district (县区) code it serves; null for the city centre. */
  district: string | null;
  actor: string;
  updated_at: number;
}

/** A county or district (县区) of a region: `county` (县, and the districts the policy counts as counties) or `urban` (城市区). */
export interface DistrictsTable {
  code: string;
  name: string;
  region: string;
  level: string;
  actor: string;
  updated_at: number;
}

/** Where an institution is cleared: its district, and the centre the agency named (null: the policy's rule names it). */
export interface InstitutionClearingTable {
  institution_id: string;
  district: string;
  centre_id: string | null;
  actor: string;
  updated_at: number;
}

/** A closed month (已清算月份). Never updated. */
export interface ClearingPeriodsTable {
  period: string;
  closed_at: number;
  actor: string;
  /** The ledger entries the month's statements cover. */
  entries: number;
  statements: number;
  /** JSON: the close's summary (centres, totals, what was missing). */
  body: string;
}

/** One institution's statement for a closed month (清算单), immutable. */
export interface ClearingStatementsTable {
  period: string;
  institution_id: string;
  centre_id: string;
  settlements: number;
  reversals: number;
  medfee_sumamt: number;
  fund_pay_sumamt: number;
  acct_pay: number;
  cash_payamt: number;
  /** What the centre pays the institution: fund_pay_sumamt + acct_pay. */
  payable_fen: number;
  /** JSON: the statement (lines by fund, adjustments, rules and what is missing). */
  body: string;
}

/** What was paid in a closed month for a district's insured, by the paying centre (三(三)). */
export interface ClearingDistrictsTable {
  period: string;
  /** The insured's district code, '' when the person has none on file. */
  district: string;
  centre_id: string;
  entries: number;
  fund_pay_sumamt: number;
  acct_pay: number;
  /** JSON: by fund_pay_type. */
  body: string;
}

/** Funds a district remitted to the city (上解资金), recorded by the agency. */
export interface RemittancesTable {
  /** The client's id (idempotency key). */
  id: string;
  district: string;
  period: string;
  amount_fen: number;
  remitted_on: string;
  note: string | null;
  request_hash: string;
  actor: string;
  recorded_at: number;
}

/** A reconciliation run (对账): 3201, 3202 or a hospital's file. */
export interface ReconciliationsTable {
  id: string;
  institution_id: string;
  kind: string;
  span_from: string;
  span_to: string;
  balanced: number;
  /** JSON: totals and counts by class. */
  summary: string;
  /** JSON: the differences (and, for 3202, every row's result). */
  detail: string;
  actor: string;
  created_at: number;
}

/** A China day's entries summed (日结), by the keys a statement groups by. Never updated. */
export interface ClearingDaysTable {
  day: number;
  institution_id: string;
  district: string;
  policy: string;
  benefit: string;
  kind: string;
  adjustment: number;
  entries: number;
  total_fen: number;
  fund_fen: number;
  critical_fen: number;
  assistance_fen: number;
  account_fen: number;
  cash_fen: number;
}

/** The days summed into clearing_days. */
export interface ClearingRolledDaysTable {
  day: number;
  entries: number;
  rolled_at: number;
}

export interface Database {
  persons: PersonsTable;
  enrollments: EnrollmentsTable;
  institutions: InstitutionsTable;
  visits: VisitsTable;
  settlements: SettlementsTable;
  cap_usage: CapUsageTable;
  settlement_layers: SettlementLayersTable;
  deductible_windows: DeductibleWindowsTable;
  audit_log: AuditLogTable;
  api_keys: ApiKeysTable;
  accounts: AccountsTable;
  account_holders: AccountHoldersTable;
  account_entries: AccountEntriesTable;
  paying_centres: PayingCentresTable;
  districts: DistrictsTable;
  institution_clearing: InstitutionClearingTable;
  clearing_periods: ClearingPeriodsTable;
  clearing_statements: ClearingStatementsTable;
  clearing_districts: ClearingDistrictsTable;
  remittances: RemittancesTable;
  reconciliations: ReconciliationsTable;
  clearing_days: ClearingDaysTable;
  clearing_rolled_days: ClearingRolledDaysTable;
  monitoring_settings: MonitoringSettingsTable;
  budgets: BudgetsTable;
  budget_payments: BudgetPaymentsTable;
  institution_sites: InstitutionSitesTable;
  supervision_runs: SupervisionRunsTable;
  findings: FindingsTable;
  finding_status: FindingStatusTable;
  sign_ins: SignInsTable;
  person_identities: PersonIdentitiesTable;
  national_visits: NationalVisitsTable;
  fee_details: FeeDetailsTable;
  national_reversals: NationalReversalsTable;
}
