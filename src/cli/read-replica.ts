/**
 * `yibao serve --read-db URL` (or YIBAO_READ_DATABASE_URL): the read replica the analysis reads go
 * to (src/ledger/analysis.ts; docs/operations.md "Reads on a replica"). PostgreSQL only.
 */
import { replicaState } from '../ledger/analysis.js';
import { defaultTarget, isPostgresUrl, openReadReplica, type LedgerDb } from '../ledger/connect.js';
import { envOf, type Io, UsageError } from './io.js';

/**
 * The read replica's URL: `--read-db`, else YIBAO_READ_DATABASE_URL, else none.
 *
 * @throws UsageError when it is not a postgres:// URL, or the ledger (`primary`) is not on PostgreSQL.
 */
export function readReplicaTarget(flag: string | undefined, primary: string, env: NodeJS.ProcessEnv): string | undefined {
  const raw = flag ?? env.YIBAO_READ_DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  const name = flag !== undefined ? '--read-db' : 'YIBAO_READ_DATABASE_URL';
  if (!isPostgresUrl(primary)) {
    throw new UsageError(
      `${name}: a read replica is for a PostgreSQL ledger; this ledger is the SQLite file ${primary}, whose reads need no replica (drop ${name}, or give --db a postgres:// URL)`,
    );
  }
  if (!isPostgresUrl(raw)) throw new UsageError(`${name} must be a postgres:// URL of a replica of the ledger's database, not ${JSON.stringify(raw)}`);
  return raw;
}

/** The replica's pool: the size of the primary's (--pool-size), its errors on idle connections logged. */
export function openReplica(url: string, poolSize: string | undefined, io: Io): LedgerDb {
  return openReadReplica(url, {
    ...(poolSize ? { poolSize: Number(poolSize) } : {}),
    onPoolError: (e) => io.stderr(`yibao: read replica connection error: ${e.message}\n`),
  });
}

/**
 * The start-up line naming the replica and its state now (the service starts while it is away).
 *
 * @throws UsageError when it answers but holds no yibao ledger (a wrong database).
 */
export async function replicaLine(replica: LedgerDb): Promise<string> {
  const s = await replicaState(replica);
  if (s.status === 'ready' && !s.ledger) {
    throw new UsageError(`--read-db: ${replica.location} answers but holds no yibao ledger (no settlements table): give a replica of the ledger's database`);
  }
  const state =
    s.status === 'ready'
      ? s.inRecovery
        ? 'a standby in recovery'
        : 'reachable (not a standby)'
      : `NOT reachable now (${s.error}): those reads answer 503 STORE_UNAVAILABLE until it is`;
  return `read replica: ${replica.location} for the analysis reads (fund statistics, clearing's statement list and views, supervision's lists and counts), ${state}\n`;
}

/**
 * A command's `--read-db URL` (the command line takes the flag only, not YIBAO_READ_DATABASE_URL,
 * which is the service's): the replica its analysis reads go to, checked against the ledger
 * (`--db`, else DATABASE_URL or YIBAO_DB) before anything is opened; undefined without the flag.
 */
export function commandReplicaTarget(flag: string | undefined, db: string | undefined, io: Io): string | undefined {
  return readReplicaTarget(flag, defaultTarget(db, envOf(io)), {});
}
