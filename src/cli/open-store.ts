/**
 * The ledger a command uses: `--db`, else YIBAO_DB or DATABASE_URL of the Io's environment, else
 * ./yibao.db, migrated to the latest schema.
 */
import { existsSync } from 'node:fs';
import { defaultTarget, isPostgresUrl, migrateToLatest, openLedgerDb, type LedgerDb } from '../ledger/connect.js';
import { envOf, pathIn, UsageError, type Io } from './io.js';

/**
 * The ledger at --db, else YIBAO_DB or DATABASE_URL of the Io's environment, else ./yibao.db.
 * A SQLite file that does not exist is created (the first write makes the ledger), except with
 * `existing`: a command that only reads refuses it, so that a mistyped path is not verified or
 * listed as an empty ledger.
 *
 * @throws UsageError (exit 2) with `existing`, when the SQLite file does not exist.
 */
export async function openStore(db: string | undefined, io: Io, options: { existing?: boolean } = {}): Promise<LedgerDb> {
  const t = target(db, io);
  if (options.existing && !isPostgresUrl(t) && t !== ':memory:' && !existsSync(t)) {
    throw new UsageError(
      `账本不存在：${t}（no ledger at ${t}: the file does not exist; a ledger is made by its first write — yibao keys create, settle --db, serve; check --db, YIBAO_DB or DATABASE_URL）`,
    );
  }
  const store = await openLedgerDb({ target: t });
  await migrateToLatest(store.db);
  return store;
}

export function target(db: string | undefined, io: Io): string {
  const t = defaultTarget(db, envOf(io));
  return isPostgresUrl(t) ? t : pathIn(io, t);
}
