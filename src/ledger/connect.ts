/**
 * Opening the ledger database: an embedded SQLite file by default, PostgreSQL when a
 * `postgres://` URL is given. Both go through the same Kysely query code; only the dialect and a
 * few connection settings differ, and they live here.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, type Driver } from 'kysely';
import pg from 'pg';
import { LedgerError } from './errors.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/**
 * SQLite's `synchronous` on every connection to a ledger file (this one, the writer thread's, the
 * checkpointing thread's). FULL (the default): every commit is on disk when it returns — an
 * acknowledged settlement survives a power cut. NORMAL: faster, and in WAL mode still survives a
 * crash of the process, but a power cut can lose the last commits, acknowledged or not; an
 * explicit opt-in (`yibao serve --sqlite-sync normal`, YIBAO_SQLITE_SYNC=NORMAL), logged at start.
 */
export type SqliteSync = 'FULL' | 'NORMAL';

/** PRAGMA synchronous's numbers. */
export const SYNCHRONOUS: Record<SqliteSync, number> = { NORMAL: 1, FULL: 2 };

/**
 * The SQLite durability asked for: `flag` (--sqlite-sync), else YIBAO_SQLITE_SYNC, else FULL.
 *
 * @throws Error naming the setting when it is neither FULL nor NORMAL.
 */
export function sqliteSyncFrom(flag?: string, env: NodeJS.ProcessEnv = process.env): SqliteSync {
  return choiceFrom(flag, '--sqlite-sync', env, 'YIBAO_SQLITE_SYNC', ['FULL', 'NORMAL'], (s) => s.toUpperCase());
}

/**
 * A setting given by a flag, else by an environment variable: one of `choices` (any case), the
 * first when neither gives it.
 *
 * @throws Error naming the flag or the variable, and the choices.
 */
function choiceFrom<T extends string>(
  flag: string | undefined,
  flagName: string,
  env: NodeJS.ProcessEnv,
  envName: string,
  choices: readonly [T, ...T[]],
  spell: (s: string) => string,
): T {
  const raw = flag ?? env[envName];
  if (raw === undefined || raw === '') return choices[0];
  const v = spell(raw);
  if (!(choices as readonly string[]).includes(v)) {
    throw new Error(`${flag !== undefined ? flagName : envName} must be ${choices.map((c) => c.toLowerCase()).join(' or ')}, not ${JSON.stringify(raw)}`);
  }
  return v as T;
}

/**
 * PostgreSQL: how the settle path's statements reach the server (YIBAO_PG_STATEMENTS,
 * `serve --pg-statements`). `prepared` (the default): each is parsed and planned once per server
 * connection (named, at the protocol level), and later runs send only its parameters; a direct
 * connection, or PgBouncer 1.21 or later with `max_prepared_statements` set, keeps them. `unprepared`:
 * each is parsed and planned where it runs, for a transaction-pooling proxy that keeps no prepared
 * statement from one transaction to the next (PgBouncer before 1.21; docs/operations.md). Both
 * bind their parameters; both send a batch in two round trips.
 */
export type PgStatements = 'prepared' | 'unprepared';

/** `--pg-statements`, else YIBAO_PG_STATEMENTS, else `prepared`; case-insensitive, anything else refused. */
export function pgStatementsFrom(flag?: string, env: NodeJS.ProcessEnv = process.env): PgStatements {
  return choiceFrom(flag, '--pg-statements', env, 'YIBAO_PG_STATEMENTS', ['prepared', 'unprepared'], (s) => s.toLowerCase());
}

export interface LedgerDb {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where it is: a file path or a URL with the password removed. */
  location: string;
  /**
   * The driver under Kysely, for the settle hot path (statements compiled once, run without the
   * query builder): the SQLite handle (use it only while holding Kysely's connection, see
   * `SqliteSettlePath`) or the PostgreSQL pool.
   */
  sqlite?: BetterSqlite3.Database;
  /** SQLite: the durability of every connection to the file. */
  sqliteSync?: SqliteSync;
  /** SQLite with background checkpoints: `synchronous` as the checkpointing thread's connection reports it. */
  checkpointerSynchronous?: Promise<number>;
  pool?: pg.Pool;
  /**
   * PostgreSQL: the settle path's own connections (postgres-path.ts), in pg's pipeline mode: the
   * statements of a batch go out together and their answers are read as they come, so a batch
   * takes two round trips with bound parameters. Bounded as `pool`, at most
   * {@link SETTLE_CONNECTIONS} connections; closed with the store.
   */
  settlePool?: pg.Pool;
  /** PostgreSQL: how the settle path sends its statements. */
  pgStatements?: PgStatements;
  /** Told of what an operator should know but that fails nothing (OpenOptions.onWarning). */
  warn?: (message: string) => void;
  /**
   * SQLite opened with `writerThread`: settles go to a thread of their own with its own connection
   * to this file (sqlite-writer.ts), set up with these.
   */
  writer?: { path: string; synchronous: number; busyTimeout: number; walAutocheckpoint?: number };
  /** Runs `hook` when the store closes, before its connections close (last registered, first run). */
  onClose?(hook: () => Promise<void>): void;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** SQLite file path, or a postgres:// URL. */
  target: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** PostgreSQL: how long opening a connection (or waiting for a free one) may take, ms (default PG_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** PostgreSQL: callers waiting for a free connection at most; one more is refused OVERLOADED (default PG_MAX_WAITING). */
  maxWaiting?: number;
  /** Told of errors on idle PostgreSQL connections. */
  onPoolError?: (e: Error) => void;
  /** Told of what an operator should know but that fails nothing (a prepared statement the server lost: postgres-path.ts). */
  onWarning?: (message: string) => void;
  /**
   * SQLite: checkpoint the WAL from a worker thread (its own connection) instead of in the
   * commits of the one that writes, which then never waits for a checkpoint's fsyncs. For the
   * service; each store opened so has a thread until it is closed.
   */
  backgroundCheckpoints?: boolean;
  /**
   * SQLite file: settle on a thread of its own (the writer thread), so that the service's event
   * loop parses and answers requests while the writer settles and commits. For the service.
   */
  writerThread?: boolean;
  /** SQLite: FULL or NORMAL on every connection (default: YIBAO_SQLITE_SYNC, else FULL); see SqliteSync. */
  sqliteSync?: SqliteSync;
  /** PostgreSQL: how the settle path sends its statements (default: YIBAO_PG_STATEMENTS, else prepared); see PgStatements. */
  pgStatements?: PgStatements;
}

/** The default SQLite file: `--db`, else `YIBAO_DB`, else `./yibao.db`. DATABASE_URL selects PostgreSQL. */
export function defaultTarget(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.DATABASE_URL ?? env.YIBAO_DB ?? './yibao.db';
}

/** Whether a ledger target is a PostgreSQL URL (else it is a SQLite file's path). */
export const isPostgresUrl = (t: string) => /^postgres(ql)?:\/\//.test(t);

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
  if (isPostgresUrl(target)) return openPostgres(target, options);
  const sync = options.sqliteSync ?? sqliteSyncFrom();
  const sqlite = openSqlite(target, SQLITE_BUSY_TIMEOUT_MS, SYNCHRONOUS[sync]);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  const closing: (() => Promise<void>)[] = [];
  const store: LedgerDb = {
    db,
    dialect: 'sqlite',
    location: target,
    sqlite,
    sqliteSync: sync,
    onClose: (hook) => void closing.push(hook),
    close: async () => {
      for (const hook of closing.splice(0).reverse()) await hook();
      await db.destroy();
    },
  };
  const onDisk = target !== ':memory:' && !target.startsWith('file::memory:');
  if (options.writerThread && onDisk) {
    store.writer = { path: target, synchronous: sqlite.pragma('synchronous', { simple: true }) as number, busyTimeout: SQLITE_BUSY_TIMEOUT_MS };
  }
  if (options.backgroundCheckpoints && onDisk) {
    // The writer still checkpoints if the WAL grows past this many pages (the thread fell behind).
    sqlite.pragma(`wal_autocheckpoint = ${BACKGROUND_AUTOCHECKPOINT_PAGES}`);
    if (store.writer) store.writer.walAutocheckpoint = BACKGROUND_AUTOCHECKPOINT_PAGES;
    const checkpointer = startCheckpointer(target, sqlite.pragma('synchronous', { simple: true }) as number);
    store.checkpointerSynchronous = checkpointer.synchronous;
    closing.unshift(() => checkpointer.stop());
  }
  return store;
}

/**
 * PostgreSQL: connections of the settle path at most (batches in flight at once, one connection
 * each; postgres-path.ts).
 */
export const SETTLE_CONNECTIONS = 4;

/** A PostgreSQL store: a bounded pool (see boundedPool) under Kysely, and the settle path's pipelined pool. */
function openPostgres(target: string, options: Omit<OpenOptions, 'target'> & { applicationName?: string; readOnly?: boolean }): LedgerDb {
  const pool = postgresPool(target, options, { max: options.poolSize ?? 16 });
  const settlePool = options.readOnly ? undefined : postgresPool(target, options, { max: SETTLE_CONNECTIONS, pipeline: true });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const url = new URL(target);
  url.password = '';
  return {
    db,
    dialect: 'postgres',
    location: url.toString(),
    pool,
    ...(settlePool ? { settlePool, pgStatements: options.pgStatements ?? pgStatementsFrom() } : {}),
    ...(options.onWarning ? { warn: options.onWarning } : {}),
    close: async () => {
      try {
        await db.destroy();
      } finally {
        await settlePool?.end();
      }
    },
  };
}

function postgresPool(target: string, options: Omit<OpenOptions, 'target'> & { applicationName?: string }, own: { max: number; pipeline?: boolean }): pg.Pool {
  const pool = boundedPool(
    new pg.Pool({
      connectionString: target,
      max: own.max,
      types: pgTypes as pg.CustomTypesConfig,
      connectionTimeoutMillis: options.connectTimeoutMs ?? PG_CONNECT_TIMEOUT_MS,
      // TCP keepalives: a server gone without closing the connection (a host down, a network cut) is noticed.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(own.pipeline ? { pipeline: true } : {}),
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    }),
    options.maxWaiting ?? PG_MAX_WAITING,
  );
  // An idle connection the server closes (restart, failover) is dropped from the pool and
  // replaced on next use; without a listener pg would crash the process.
  pool.on('error', (e) => options.onPoolError?.(e));
  // A connection the server closes while it is checked out (between two statements of a
  // transaction, a settle's batch) emits 'error' too, and the pool listens only to idle ones:
  // without this pg would crash the process. The error reaches its user at the next statement
  // (answered 503 STORE_UNAVAILABLE), and the pool drops the connection when it is given back.
  pool.on('connect', (client) => void client.on('error', () => undefined));
  return pool;
}

/** The application_name of the read replica's connections (pg_stat_activity on the replica shows them). */
export const READ_REPLICA_APPLICATION = 'yibao-read';

/**
 * A read replica of the PostgreSQL ledger (`yibao serve --read-db`): a second pool, bounded as
 * the first (the same size, connect timeout and waiting list), for the analysis reads only
 * (src/ledger/analysis.ts). Never migrated, never written: a standby refuses writes. Opening it
 * connects nothing yet, so the service starts while the replica is away.
 *
 * @throws Error when `target` is not a postgres:// URL (a SQLite file has no replica).
 */
export function openReadReplica(target: string, options: Omit<OpenOptions, 'target' | 'backgroundCheckpoints' | 'writerThread' | 'sqliteSync'> = {}): LedgerDb {
  if (!isPostgresUrl(target)) throw new Error(`a read replica is a PostgreSQL server: give a postgres:// URL, not ${JSON.stringify(target)}`);
  return openPostgres(target, { ...options, applicationName: READ_REPLICA_APPLICATION, readOnly: true });
}

const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * PostgreSQL: opening a connection, or waiting for a free one, fails after this long ("timeout
 * exceeded when trying to connect", answered 503 STORE_UNAVAILABLE): a server that does not answer
 * (down, unreachable) holds no request longer. A refused connection (the server stopped) fails at once.
 */
export const PG_CONNECT_TIMEOUT_MS = 5_000;
/** PostgreSQL: callers waiting for a free pooled connection at most; one more is refused at once with OVERLOADED (503). */
export const PG_MAX_WAITING = 512;

/**
 * The pool with its waiting list bounded: `connect` (both its forms; `pool.query` uses the callback
 * one) refuses with OVERLOADED when `maxWaiting` callers already wait for a connection.
 */
function boundedPool(pool: pg.Pool, maxWaiting: number): pg.Pool {
  const connect = pool.connect.bind(pool) as (
    cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void,
  ) => Promise<pg.PoolClient> | undefined;
  const bounded = (cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void) => {
    if (pool.waitingCount >= maxWaiting) {
      const e = new LedgerError('OVERLOADED', `${pool.waitingCount} requests are waiting for a database connection (at most ${maxWaiting}); try again shortly`);
      if (cb) return void cb(e);
      return Promise.reject(e);
    }
    return connect(cb);
  };
  pool.connect = bounded as typeof pool.connect;
  return pool;
}

/**
 * How often the checkpointing thread runs. Each checkpoint ends with an fsync of the database
 * file; the longer the interval, the more it has to flush at once, and a large flush stalls the
 * writer's own writes to the WAL. Measured with bench/api on SQLite (32 connections): every
 * 1000 ms, p99 82 ms; 100 ms, p99 ~40 ms; 20 ms, 26 ms; 10 ms, 22 ms; 5 ms, 19 ms at a little
 * lower throughput.
 */
const CHECKPOINT_INTERVAL_MS = 10;
const BACKGROUND_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * A connection to a SQLite ledger file, set up as every connection to it must be (this one, the
 * writer thread's): WAL, so readers never block the writer; `synchronous` (SqliteSync; FULL, 2,
 * unless NORMAL, 1, is asked for): with FULL each commit waits for its fsync, which group commit
 * shares among the settles of a batch; foreign keys enforced.
 */
export function openSqlite(path: string, busyTimeoutMs: number, synchronous: number = SYNCHRONOUS.FULL): BetterSqlite3.Database {
  const sqlite = new BetterSqlite3(path, { timeout: busyTimeoutMs });
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}

/**
 * Kysely's SQLite dialect, with transactions begun `IMMEDIATE`: a transaction that reads, then
 * writes, takes the write lock at its start, waiting (busy timeout) while another connection (the
 * writer thread, a CLI command) holds it. A plain `BEGIN` would take it at the first write and
 * fail at once with SQLITE_BUSY if another connection had committed since the transaction's reads.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/**
 * The checkpointing thread: every CHECKPOINT_INTERVAL_MS, `PRAGMA wal_checkpoint(PASSIVE)` on its own connection
 * — copies committed pages from the WAL into the database file without blocking the writer or
 * the readers, and never touches what is not yet committed. Durability is the WAL's, unchanged.
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 10000 });
db.pragma('synchronous = ' + workerData.synchronous);
parentPort.postMessage({ synchronous: db.pragma('synchronous', { simple: true }) });
let timer;
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (e) {
    parentPort.postMessage(String((e && e.message) || e));
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

function startCheckpointer(path: string, synchronous: number): { stop(): Promise<void>; synchronous: Promise<number> } {
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path, synchronous, intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  // A failed checkpoint is retried at the next tick; the writer's own checkpoints remain.
  let reported!: (n: number) => void;
  const reportedSync = new Promise<number>((resolve) => (reported = resolve));
  worker.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && 'synchronous' in m) reported(Number((m as { synchronous: unknown }).synchronous));
  });
  worker.on('error', () => undefined);
  // Does not keep the process alive on its own.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    synchronous: reportedSync,
    async stop() {
      // Held again while it stops: an unref'd thread's exit alone would let the process end with
      // this await unsettled (exit code 13) instead of closing cleanly.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}

/** Brings the schema to the latest version. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
