/**
 * The two ledger stores for tests: a fresh SQLite file, and a fresh PostgreSQL database when a
 * server is reachable (YIBAO_TEST_PG, default postgres://postgres@127.0.0.1:5432/test). Without a
 * server the PostgreSQL tests are skipped with a message saying so; CI has one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest, openLedgerDb, type LedgerDb, type OpenOptions } from '../../src/ledger/connect.js';

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
if (!pgAvailable) {
  process.stderr.write(`\n[yibao tests] PostgreSQL is not reachable at ${PG_ADMIN_URL}: PostgreSQL tests are SKIPPED (they run in CI).\n\n`);
}

/**
 * A new, empty, migrated SQLite ledger file (removed by `close`). With `writerThread`, as the
 * service opens it: a ledger over it settles on the writer thread.
 */
export async function freshSqlite(options: Pick<OpenOptions, 'writerThread' | 'backgroundCheckpoints' | 'sqliteSync'> = {}): Promise<LedgerDb & { path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-ledger-'));
  const path = join(dir, 'yibao.db');
  const store = await openLedgerDb({ target: path, ...options });
  await migrateToLatest(store.db);
  store.onClose?.(async () => rmSync(dir, { recursive: true, force: true }));
  return Object.assign(store, { path });
}

/** A new, empty, migrated PostgreSQL database; dropped by `close`. */
export async function freshPostgres(poolSize = 16): Promise<LedgerDb & { url: string }> {
  const name = `yibao_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const store = await openLedgerDb({ target: url.toString(), poolSize });
  await migrateToLatest(store.db);
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
export const STORES: { name: 'sqlite' | 'postgres'; label: string; open: () => Promise<LedgerDb>; skip: boolean }[] = [
  { name: 'sqlite', label: 'sqlite', open: () => freshSqlite(), skip: false },
  { name: 'sqlite', label: 'sqlite (writer thread)', open: () => freshSqlite({ writerThread: true }), skip: false },
  { name: 'postgres', label: 'postgres', open: () => freshPostgres(), skip: !pgAvailable },
];
