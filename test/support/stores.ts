/**
 * The two ledger stores for tests: a fresh SQLite file, and a fresh PostgreSQL database when a
 * server is reachable (YIBAO_TEST_PG, default postgres://postgres@127.0.0.1:5432/test). Without a
 * server the PostgreSQL tests are skipped with a message saying so; CI has one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest, openLedgerDb, type LedgerDb } from '../../src/ledger/connect.js';

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

/** A new, empty, migrated SQLite ledger file. */
export async function freshSqlite(): Promise<LedgerDb & { path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'yibao-ledger-')), 'yibao.db');
  const store = await openLedgerDb({ target: path });
  await migrateToLatest(store.db);
  return { ...store, path };
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

export const STORES: { name: 'sqlite' | 'postgres'; open: () => Promise<LedgerDb>; skip: boolean }[] = [
  { name: 'sqlite', open: freshSqlite, skip: false },
  { name: 'postgres', open: () => freshPostgres(), skip: !pgAvailable },
];
