/**
 * Migration 0013 (issue 17): two unique keys of optional columns index only the rows that have
 * the column. `settlements_reverses` (a settlement is reversed at most once) now holds reversals
 * only, and `enrollments_request` (a recorded payment's request id) the payments recorded by
 * request only: a settle no longer writes an index entry of a null into either. Every query of
 * them names the column with a value (`reverses = …`, `request_id = …`), which a partial index
 * serves on both stores; a null never conflicted in a unique index, so what is unique is
 * unchanged. Measured: docs/benchmarks.md ("Partial unique keys").
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { atomically } from './migration-step.js';

/** The keys made partial: the index, its table, its columns, and the column it needs. */
export const PARTIAL_KEYS = [
  { name: 'settlements_reverses', table: 'settlements', columns: ['person_id', 'reverses'], present: 'reverses' },
  { name: 'enrollments_request', table: 'enrollments', columns: ['person_id', 'request_id'], present: 'request_id' },
] as const;

export const partialKeysMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await atomically(db, async () => {
      for (const k of PARTIAL_KEYS) {
        await db.schema.dropIndex(k.name).execute();
        await db.schema
          .createIndex(k.name)
          .unique()
          .on(k.table)
          .columns([...k.columns])
          .where(sql.ref(k.present), 'is not', null)
          .execute();
      }
    });
  },
};
