/**
 * How long migration 0012 (the person id in every person-scoped key, src/ledger/migrations-person-keys.ts)
 * takes on a ledger of a given size: the upgrade rebuilds and copies the settlements and their
 * visits with every instance stopped (docs/operations.md "Upgrading to 0012"); then 0013 (two
 * unique keys made partial, src/ledger/migrations-partial-keys.ts), timed on its own.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/migration.js --settlements 200000
 *
 * On a fresh SQLite file and, when reachable, a fresh PostgreSQL database: migrated to 0011, filled
 * by SQL with `--settlements` settlements (one visit each, a person for every four), each with the
 * entry text of a real settle (made by the ledger at the start) and a per-row digest in it so that
 * rows do not compress alike; then the migrations after 0011 run and are timed. Prints the rows,
 * the seconds, settlements a second and the store's size before and after.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { migrateToLatest, openLedgerDb, type LedgerDb } from '../src/ledger/connect.js';
import { Ledger } from '../src/ledger/ledger.js';
import { migrationProvider } from '../src/ledger/migrations.js';
import type { Database } from '../src/ledger/schema.js';
import { SettlementEngine } from '../src/engine/settle.js';
import { loadPolicies } from '../src/policy/policies.js';
import { parseSettleOne } from '../src/request/settle-one.js';

const BEFORE = '0011_national';

function parseArgs(argv: readonly string[]) {
  const o = { settlements: 100_000, pg: process.env.YIBAO_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--settlements') {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 4 || n > 50_000_000) throw new Error(`--settlements: a whole number from 4 to 50,000,000, not ${v}`);
      o.settlements = n;
    } else if (flag === '--pg') o.pg = v;
    else throw new Error(`unknown option ${flag} ${v} (options: --settlements --pg)`);
  }
  return o;
}

/** The stored entry text of one real settle (the latest schema, in memory). */
async function realBody(): Promise<string> {
  const store = await openLedgerDb({ target: ':memory:' });
  try {
    await migrateToLatest(store.db);
    const policies = loadPolicies();
    const ledger = new Ledger(store, new SettlementEngine(policies));
    const req = parseSettleOne(
      {
        requestId: 'm-1',
        person: { id: 'P1', region: '410300', scheme: 'resident', category: 'adult' },
        visit: { id: 'V1', time: '2024-03-01T09:00:00+08:00', type: 'outpatient', institution: { id: 'LY-H1', tier: 'county', grade: 2, contracted: true }, total: 250 },
      },
      policies,
    );
    await ledger.settle(req, { id: 'bench', role: 'agency' });
    const row = await store.db.selectFrom('settlements').select('body').executeTakeFirstOrThrow();
    return row.body;
  } finally {
    await store.close();
  }
}

/**
 * The rows, by SQL on the store itself: persons, visits and settlements as 0011 stored them. `n`
 * is a row number from 1; `digest` a text that differs per row.
 */
async function fill(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', count: number, body: string): Promise<void> {
  // Whole numbers inlined: better-sqlite3 binds a JS number as REAL ('MP' || 2.0 is 'MP2.0').
  const persons = sql.raw(String(Math.ceil(count / 4)));
  const series = (upTo: number) =>
    dialect === 'postgres'
      ? sql.raw(`generate_series(1, ${upTo}) as g(n)`)
      : sql.raw(`(with recursive s(n) as (select 1 union all select n + 1 from s where n < ${upTo}) select n from s) as g`);
  const digest = dialect === 'postgres' ? sql.raw(`md5(n::text)`) : sql.raw(`hex(randomblob(16))`);
  const cut = Math.floor(body.length / 2);
  const [head, tail] = [body.slice(0, cut), body.slice(cut)];
  await sql`insert into persons (id, region, scheme, category, updated_at) select 'MP' || n, '410300', 'resident', 'adult', 1 from ${series(Math.ceil(count / 4))}`.execute(db);
  await sql`insert into visits (id, person_id, institution_id, time_ms, visit_date, type, total_fen, eligible_fen)
            select 'MV' || n, 'MP' || (n % ${persons} + 1), 'LY-H1', 1709254800000, '2024-03-01', 'outpatient', 25000, 25000 from ${series(count)}`.execute(db);
  await sql`insert into settlements (id, request_id, request_hash, kind, reverses, person_id, visit_id, institution_id, visit_date, year, policy, benefit,
              eligibility, total_fen, eligible_fen, deductible_fen, fund_pay_fen, critical_illness_pay_fen, assistance_pay_fen, account_pay_fen, cash_pay_fen,
              cap_bucket, cap_year, cap_before_fen, cap_after_fen, window_bucket, window_opened_at, window_day, window_borne_after_fen, body, actor, created_at)
            select 'S-' || n, 'm-' || n, ${digest}, 'settlement', null, 'MP' || (n % ${persons} + 1), 'MV' || n, 'LY-H1', '2024-03-01', 2024,
              '洛医保〔2023〕63号', 'resident-outpatient', 'covered', 25000, 25000, 5000, 10000, 0, 0, 0, 15000,
              'outpatient', 2024, 0, 10000, 'outpatient', 1709254800000, 19783, 5000, ${head} || ${digest} || ${tail}, 'bench', 1709254800000 + n
            from ${series(count)}`.execute(db);
}

async function size(store: LedgerDb, file?: string): Promise<number> {
  if (store.dialect === 'postgres') {
    const r = await sql<{ b: string }>`select pg_database_size(current_database()) as b`.execute(store.db);
    return Number(r.rows[0]?.b ?? 0);
  }
  await sql`pragma wal_checkpoint(truncate)`.execute(store.db);
  return file ? statSync(file).size : 0;
}

async function run(label: string, store: LedgerDb, count: number, body: string, file?: string): Promise<void> {
  const { error } = await new Migrator({ db: store.db, provider: migrationProvider }).migrateTo(BEFORE);
  if (error) throw error;
  const t0 = performance.now();
  await fill(store.db, store.dialect === 'postgres' ? 'postgres' : 'sqlite', count, body);
  const filledS = (performance.now() - t0) / 1000;
  const before = await size(store, file);
  const t1 = performance.now();
  const to12 = await new Migrator({ db: store.db, provider: migrationProvider }).migrateTo('0012_person_keys');
  if (to12.error) throw to12.error;
  const s = (performance.now() - t1) / 1000;
  const after = await size(store, file);
  // 0013 (the partial unique keys) after it, timed on its own.
  const t2 = performance.now();
  await migrateToLatest(store.db);
  const s13 = (performance.now() - t2) / 1000;
  const n = await sql<{ n: string }>`select count(*) as n from settlements`.execute(store.db);
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  console.log(
    `${label.padEnd(9)} ${Number(n.rows[0]?.n).toLocaleString('en')} settlements (filled in ${filledS.toFixed(1)} s): 0012 took ${s.toFixed(1)} s, ` +
      `${Math.round(count / s).toLocaleString('en')} settlements/s; store ${mb(before)} before, ${mb(after)} after; then 0013 took ${s13.toFixed(1)} s`,
  );
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const body = await realBody();
  console.log(`yibao migration bench: 0011 → 0012 → 0013 with ${o.settlements.toLocaleString('en')} settlements (entry text ${body.length} characters), node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-migration-'));
  try {
    const file = join(dir, 'ledger.db');
    const store = await openLedgerDb({ target: file });
    try {
      await run('sqlite', store, o.settlements, body, file);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const name = `yibao_bench_migration_${process.pid}`;
  const admin = new pg.Client({ connectionString: o.pg });
  try {
    await admin.connect();
  } catch (e) {
    console.log(`postgres  skipped: ${o.pg} not reachable (${(e as Error).message})`);
    return;
  }
  try {
    await admin.query(`create database ${name}`);
    const url = new URL(o.pg);
    url.pathname = `/${name}`;
    const store = await openLedgerDb({ target: url.toString() });
    try {
      await run('postgres', store, o.settlements, body);
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

main().catch((e) => {
  console.error(`bench:migration: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
