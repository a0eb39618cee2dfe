/**
 * Runs once before any test file, in vitest's own process:
 *
 * 1. Builds dist/ from today's sources (an incremental `tsc -p tsconfig.json`: a few seconds when
 *    nothing changed). Worker threads (the simulation's workers, the SQLite writer thread) and the
 *    `yibao` bin run compiled JavaScript from dist/, so without this `npx vitest run` would test
 *    whatever an earlier build left there.
 * 2. Migrates one template ledger of each kind to the latest version, so that a test's fresh,
 *    migrated store is a copy instead of every migration run again: a SQLite file (copied), and,
 *    when PostgreSQL answers, a database (`CREATE DATABASE … TEMPLATE`). Both are removed after
 *    the run. Stores migrated only part way (to test a later migration) still run migrations.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest, openLedgerDb } from '../../src/ledger/connect.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PG_ADMIN_URL = process.env.YIBAO_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated template database's name, '' when PostgreSQL is not reachable. */
    pgTemplate: string;
    /** The migrated template SQLite file (closed, its WAL checkpointed away). */
    sqliteTemplate: string;
  }
}

function build(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = Date.now();
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string };
    throw new Error(`[yibao tests] the build (tsc -p tsconfig.json) failed; the tests run dist/ in worker threads and the bin:\n${out.stdout ?? ''}${out.stderr ?? ''}`);
  }
  if (process.env.YIBAO_TEST_VERBOSE) process.stderr.write(`[yibao tests] dist/ built in ${Date.now() - started} ms\n`);
}

async function admin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function pgTemplate(): Promise<string> {
  const name = `yibao_template_${process.pid}_${Date.now().toString(36)}`;
  try {
    await admin((c) => c.query(`create database ${name}`));
  } catch {
    return ''; // not reachable: support/stores.ts skips (or, under CI, fails) the PostgreSQL tests
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const store = await openLedgerDb({ target: url.toString(), poolSize: 1 });
  try {
    await migrateToLatest(store.db);
  } finally {
    await store.close();
  }
  return name;
}

async function sqliteTemplate(): Promise<{ path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-template-'));
  const path = join(dir, 'template.db');
  const store = await openLedgerDb({ target: path });
  try {
    await migrateToLatest(store.db);
  } finally {
    await store.close();
  }
  // The last connection's close checkpoints the WAL into the file and removes it: the file alone is the ledger.
  if (existsSync(`${path}-wal`)) throw new Error(`[yibao tests] the template ledger ${path} kept its WAL after closing`);
  return { path, dir };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  build();
  const template = await pgTemplate();
  project.provide('pgTemplate', template);
  const sqlite = await sqliteTemplate();
  project.provide('sqliteTemplate', sqlite.path);
  return async () => {
    rmSync(sqlite.dir, { recursive: true, force: true });
    if (template) await admin((c) => c.query(`drop database if exists ${template} with (force)`)).catch(() => undefined);
  };
}
