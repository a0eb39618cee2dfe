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

export interface PersonsTable {
  id: string;
  region: string;
  scheme: string;
  category: string;
  hardship: string | null;
  family_doctor_at: string | null;
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

export interface DeductibleWindowsTable {
  person_id: string;
  bucket: string;
  institution_id: string;
  opened_at: number;
  day: number;
  borne_fen: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  role: string;
  action: string;
  target: string;
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

export interface Database {
  persons: PersonsTable;
  enrollments: EnrollmentsTable;
  institutions: InstitutionsTable;
  visits: VisitsTable;
  settlements: SettlementsTable;
  cap_usage: CapUsageTable;
  deductible_windows: DeductibleWindowsTable;
  audit_log: AuditLogTable;
  api_keys: ApiKeysTable;
}
