/**
 * Migration 0014 (issue 17): on PostgreSQL, a settlement's entry text (`settlements.body`, about
 * 2.6 kB, the trace most of it) is compressed with lz4 instead of pglz when it is stored. The row
 * is over PostgreSQL's TOAST threshold, so every settle compressed its entry; pglz was about 5% of
 * PostgreSQL's CPU in a settle, and lz4 takes 12–14 µs a settle of it back (the batch's write
 * statement timed alone: docs/benchmarks.md "Thread by thread"). Entries already stored keep
 * pglz; both read alike, so nothing else changes. A server without lz4 (built without it, or
 * before PostgreSQL 14) keeps pglz: the migration changes nothing there. SQLite stores text as
 * written: nothing to do.
 */
import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/** The column whose compression 0014 sets. */
export const COMPRESSED_ENTRY = { table: 'settlements', column: 'body' } as const;

/** Whether this PostgreSQL server can compress with lz4 (14 or later, built with it). */
export async function lz4Available(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ lz4: boolean | null }>`
    select current_setting('server_version_num')::int >= 140000
       and exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)) as lz4`.execute(db);
  return rows[0]?.lz4 === true;
}

export const entryCompressionMigration: Migration = {
  async up(db: Kysely<unknown>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    if (!(await lz4Available(db))) return;
    // A change to the column's metadata only: no row is rewritten, and it takes a moment.
    await sql`alter table ${sql.table(COMPRESSED_ENTRY.table)} alter column ${sql.ref(COMPRESSED_ENTRY.column)} set compression lz4`.execute(db);
  },
};
