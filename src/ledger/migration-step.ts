import { type Kysely, sql } from 'kysely';

/**
 * Runs a migration's steps as one unit on both stores: a savepoint (Kysely runs SQLite's
 * migrations outside a transaction; on PostgreSQL this nests in the migrator's).
 */
export async function atomically(db: Kysely<unknown>, steps: () => Promise<void>): Promise<void> {
  await sql`savepoint migration_step`.execute(db);
  try {
    await steps();
  } catch (e) {
    await sql`rollback to savepoint migration_step`.execute(db);
    await sql`release savepoint migration_step`.execute(db);
    throw e;
  }
  await sql`release savepoint migration_step`.execute(db);
}
