/**
 * Row counts of the tables a request could write, for tests that a refused request wrote
 * nothing. Of audit_log only the writes' rows count: the service also records refusals (401, 403)
 * and reads of personal data there, which the tests of the audit log check on their own.
 */
import { sql } from 'kysely';
import type { LedgerDb } from '../../src/ledger/connect.js';

/** Audit rows of writes (not `refused`, not `read.…`). */
export const WRITE_ROWS = sql`action <> 'refused' and action not like 'read.%'`;

/** The row count of each table, in one query (of audit_log, the writes' rows). */
export async function rowCounts<T extends string>(store: LedgerDb, tables: readonly T[]): Promise<Record<T, number>> {
  const select = sql.join(
    tables.map((t) => (t === 'audit_log' ? sql`(select count(*) from audit_log where ${WRITE_ROWS}) as audit_log` : sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`)),
  );
  const r = await sql<Record<string, string | number>>`select ${select}`.execute(store.db);
  const row = r.rows[0] ?? {};
  return Object.fromEntries(tables.map((t) => [t, Number(row[t])])) as Record<T, number>;
}
