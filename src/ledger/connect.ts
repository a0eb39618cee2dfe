/**
 * Opening the ledger database: an embedded SQLite file by default, PostgreSQL when a
 * `postgres://` URL is given. Both go through the same Kysely query code; only the dialect and a
 * few connection settings differ, and they live here.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface LedgerDb {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where it is: a file path or a URL with the password removed. */
  location: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** SQLite file path, or a postgres:// URL. */
  target: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** Told of errors on idle PostgreSQL connections. */
  onPoolError?: (e: Error) => void;
}

/** The default SQLite file: `--db`, else `YIBAO_DB`, else `./yibao.db`. DATABASE_URL selects PostgreSQL. */
export function defaultTarget(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.DATABASE_URL ?? env.YIBAO_DB ?? './yibao.db';
}

const isPostgresUrl = (t: string) => /^postgres(ql)?:\/\//.test(t);

/** BIGINT (int8) comes back from pg as text; our amounts are far below 2^53, so read numbers. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${value} is beyond the safe integer range`);
  return n;
}

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return parseInt8;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export async function openLedgerDb(options: OpenOptions): Promise<LedgerDb> {
  const { target } = options;
  if (isPostgresUrl(target)) {
    const pool = new pg.Pool({ connectionString: target, max: options.poolSize ?? 16, types: pgTypes as pg.CustomTypesConfig });
    // An idle connection the server closes (restart, failover) is dropped from the pool and
    // replaced on next use; without a listener pg would crash the process.
    pool.on('error', (e) => options.onPoolError?.(e));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const url = new URL(target);
    url.password = '';
    return { db, dialect: 'postgres', location: url.toString(), close: () => db.destroy() };
  }
  const sqlite = new BetterSqlite3(target, { timeout: 10_000 });
  // WAL: readers never block the writer. synchronous=NORMAL in WAL mode keeps every committed
  // transaction through a crash of the process (SIGKILL); YIBAO_SQLITE_SYNC=FULL also survives a
  // power cut, at the cost of one fsync per commit.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${process.env.YIBAO_SQLITE_SYNC === 'FULL' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', location: target, close: () => db.destroy() };
}

/** Brings the schema to the latest version. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
