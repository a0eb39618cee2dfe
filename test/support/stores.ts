/**
 * The two ledger stores for tests: a fresh SQLite file, and a fresh PostgreSQL database when a
 * server is reachable (YIBAO_TEST_PG, default postgres://postgres@127.0.0.1:5432/test). Without a
 * server the PostgreSQL tests are skipped with a message saying so, except under CI=true, where
 * they must run and a missing server fails the run (.ci/run starts it).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { SettlementEngine } from '../../src/engine/settle.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { migrateToLatest, openLedgerDb, type LedgerDb, type OpenOptions } from '../../src/ledger/connect.js';
import { migrationProvider } from '../../src/ledger/migrations.js';
import type { Database } from '../../src/ledger/schema.js';

export const PG_ADMIN_URL = process.env.YIBAO_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const pgAvailable = await probe();
if (!pgAvailable && process.env.CI === 'true') {
  // Under CI the PostgreSQL tests must run, not skip: .ci/run starts the server.
  throw new Error(`[yibao tests] CI=true but PostgreSQL is not reachable at ${PG_ADMIN_URL}; PostgreSQL tests must not be skipped in CI`);
}
if (!pgAvailable) {
  process.stderr.write(`\n[yibao tests] PostgreSQL is not reachable at ${PG_ADMIN_URL}: PostgreSQL tests are SKIPPED (they run in CI).\n\n`);
}

/** Migrates to the latest version, or only up to the migration named (to test a later one). */
async function migrate(db: Kysely<Database>, upTo?: string): Promise<void> {
  if (upTo === undefined) return void (await migrateToLatest(db));
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(upTo);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/**
 * Where the SQLite test ledgers live: YIBAO_TEST_TMPDIR, else /dev/shm (memory) where there is one,
 * else the system's temporary directory. The code path is the same on any file system (WAL,
 * synchronous=FULL, its fsyncs); no test here is about surviving a power cut, which only a disk
 * could show, and the crash tests kill processes, whose writes the page cache keeps either way.
 */
export const TEST_TMPDIR = process.env.YIBAO_TEST_TMPDIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

/**
 * A new, empty, migrated SQLite ledger file (removed by `close`); migrated to the latest version,
 * a copy of the template the global setup migrated once (support/global-setup.ts). With `writerThread`, as the
 * service opens it: a ledger over it settles on the writer thread. With `upTo`, migrated only
 * that far.
 */
export async function freshSqlite(
  options: Pick<OpenOptions, 'writerThread' | 'backgroundCheckpoints' | 'sqliteSync'> & { upTo?: string } = {},
): Promise<LedgerDb & { path: string }> {
  const dir = mkdtempSync(join(TEST_TMPDIR, 'yibao-ledger-'));
  const path = join(dir, 'yibao.db');
  const { upTo, ...open } = options;
  // Migrated to the latest version: a copy of the file the global setup migrated once.
  const template = upTo === undefined ? inject('sqliteTemplate') : '';
  if (template) copyFileSync(template, path);
  const store = await openLedgerDb({ target: path, ...open });
  if (!template) await migrate(store.db, upTo);
  store.onClose?.(async () => rmSync(dir, { recursive: true, force: true }));
  return Object.assign(store, { path });
}

/**
 * A new, empty, migrated PostgreSQL database (with `upTo`, only that far); dropped by `close`.
 * Migrated to the latest version, it is a copy of the template the global setup migrated once
 * (support/global-setup.ts); migrated only part way, it runs the migrations itself.
 */
export async function freshPostgres(poolSize = 16, upTo?: string): Promise<LedgerDb & { url: string }> {
  const name = `yibao_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const template = upTo === undefined ? inject('pgTemplate') : '';
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(template ? `create database ${name} template ${template}` : `create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const store = await openLedgerDb({ target: url.toString(), poolSize });
  if (!template) await migrate(store.db, upTo);
  return {
    ...store,
    url: url.toString(),
    close: async () => {
      await store.close();
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/**
 * The stores every ledger test runs on: SQLite settling on the caller's thread (the CLI's way),
 * SQLite settling on the writer thread (the service's way), and PostgreSQL.
 */
const WRITTEN_TABLES = ['settlements', 'visits', 'persons', 'audit_log', 'cap_usage', 'deductible_windows', 'enrollments', 'institutions'] as const;

/**
 * Row counts of every table a settle, a reversal or a record could write, in one query: what a
 * refusal must leave as it was.
 */
export async function tableCounts(store: LedgerDb): Promise<Record<(typeof WRITTEN_TABLES)[number], number>> {
  const select = sql.join(WRITTEN_TABLES.map((t) => sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`));
  const row = (await sql<Record<string, string | number>>`select ${select}`.execute(store.db)).rows[0] ?? {};
  return Object.fromEntries(WRITTEN_TABLES.map((t) => [t, Number(row[t])])) as Record<(typeof WRITTEN_TABLES)[number], number>;
}

export const STORES: { name: 'sqlite' | 'postgres'; label: string; open: () => Promise<LedgerDb>; skip: boolean }[] = [
  { name: 'sqlite', label: 'sqlite', open: () => freshSqlite(), skip: false },
  { name: 'sqlite', label: 'sqlite (writer thread)', open: () => freshSqlite({ writerThread: true }), skip: false },
  { name: 'postgres', label: 'postgres', open: () => freshPostgres(), skip: !pgAvailable },
];

/**
 * For the tests of one describe block: a fresh store and a ledger over it (with `kysely`, settling
 * through Kysely alone, without the driver's handles), opened before the tests and closed after.
 */
export function ledgerOn(s: (typeof STORES)[number], engine: SettlementEngine, options: { kysely?: boolean } = {}): { store: LedgerDb; ledger: Ledger } {
  const opened = {} as { store: LedgerDb; ledger: Ledger };
  beforeAll(async () => {
    opened.store = await s.open();
    opened.ledger = new Ledger(options.kysely ? { ...opened.store, sqlite: undefined, pool: undefined } : opened.store, engine);
    await opened.ledger.ready;
  });
  afterAll(async () => {
    await opened.store?.close();
  });
  return opened;
}
