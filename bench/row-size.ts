/**
 * What a settlement costs on disk, on each store: the bytes of every table a settle writes and of
 * their indexes, divided by the settlements written (docs/scale.md sizes a province with it).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/row-size.js --settles 5000
 *
 * Settles `--settles` of bench/api's requests (bench/population: `--persons` persons) on a fresh
 * SQLite file and, when reachable, a fresh PostgreSQL database, then prints per table: rows, bytes
 * of the table and of its indexes (SQLite: dbstat after a checkpoint; PostgreSQL:
 * pg_table_size (heap and TOAST) and pg_indexes_size after VACUUM), and both per settlement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest, openLedgerDb, type LedgerDb } from '../src/ledger/connect.js';
import { Ledger, type Actor } from '../src/ledger/ledger.js';
import { SettlementEngine } from '../src/engine/settle.js';
import { loadPolicies } from '../src/policy/policies.js';
import { parseSettleOne, type SettleOne } from '../src/request/settle-one.js';
import { population, Requests } from './population.js';

const TABLES = ['settlements', 'visits', 'audit_log', 'cap_usage', 'deductible_windows', 'settlement_layers', 'persons', 'enrollments', 'institutions'];

function parseArgs(argv: readonly string[]) {
  const o = { settles: 5000, persons: 2000, pg: process.env.YIBAO_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--settles' || flag === '--persons') {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag}: a positive whole number, not ${v}`);
      o[flag.slice(2) as 'settles' | 'persons'] = n;
    } else if (flag === '--pg') o.pg = v;
    else throw new Error(`unknown option ${flag} ${v} (options: --settles --persons --pg)`);
  }
  return o;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ACTOR: Actor = { id: 'bench', role: 'agency' };

async function settleAll(label: string, store: LedgerDb, o: ReturnType<typeof parseArgs>): Promise<number> {
  await migrateToLatest(store.db);
  const policies = loadPolicies();
  const ledger = new Ledger(store, new SettlementEngine(policies));
  const requests = new Requests(population(20240101, o.persons), label, 7);
  const parsed: SettleOne[] = Array.from({ length: o.settles }, () => parseSettleOne(JSON.parse(requests.body()) as unknown, policies));
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < parsed.length) {
      const req = parsed[next++] as SettleOne;
      try {
        if ((await ledger.settle(req, ACTOR)).created) done++;
      } catch {
        // A refusal (the population has some) writes nothing: not counted.
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return done;
}

interface Size {
  table: string;
  rows: number;
  tableBytes: number;
  indexBytes: number;
}

async function sizes(store: LedgerDb): Promise<Size[]> {
  const out: Size[] = [];
  if (store.dialect === 'sqlite') {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
    const pages = (
      await sql<{ name: string; tbl: string; bytes: number; kind: string }>`
        select d.name as name, m.tbl_name as tbl, m.type as kind, sum(d.pgsize) as bytes
          from dbstat d join sqlite_master m on m.name = d.name group by d.name`.execute(store.db)
    ).rows;
    for (const table of TABLES) {
      const rows = Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(store.db)).rows[0]?.n ?? 0);
      const mine = pages.filter((p) => p.tbl === table);
      out.push({
        table,
        rows,
        tableBytes: mine.filter((p) => p.kind === 'table').reduce((a, p) => a + Number(p.bytes), 0),
        indexBytes: mine.filter((p) => p.kind === 'index').reduce((a, p) => a + Number(p.bytes), 0),
      });
    }
  } else {
    for (const table of TABLES) await sql`vacuum ${sql.table(table)}`.execute(store.db);
    for (const table of TABLES) {
      const r = (
        await sql<{ n: string; t: string; i: string }>`select (select count(*) from ${sql.table(table)}) as n,
                 pg_table_size(${table}) as t, pg_indexes_size(${table}) as i`.execute(store.db)
      ).rows[0];
      out.push({ table, rows: Number(r?.n), tableBytes: Number(r?.t), indexBytes: Number(r?.i) });
    }
  }
  return out;
}

async function report(label: string, store: LedgerDb, o: ReturnType<typeof parseArgs>): Promise<void> {
  const n = await settleAll(label, store, o);
  const body = (await sql<{ b: number }>`select avg(length(body)) as b from settlements`.execute(store.db)).rows[0]?.b ?? 0;
  const all = await sizes(store);
  console.log(`\n${label}: ${fmt(n)} settlements (average body ${fmt(Number(body))} characters)`);
  console.log(`${'table'.padEnd(20)}${'rows'.padStart(8)}${'table B'.padStart(12)}${'index B'.padStart(12)}${'table B/stl'.padStart(13)}${'index B/stl'.padStart(13)}`);
  let t = 0;
  let i = 0;
  for (const s of all) {
    t += s.tableBytes;
    i += s.indexBytes;
    console.log(
      `${s.table.padEnd(20)}${fmt(s.rows).padStart(8)}${fmt(s.tableBytes).padStart(12)}${fmt(s.indexBytes).padStart(12)}${fmt(s.tableBytes / n).padStart(13)}${fmt(s.indexBytes / n).padStart(13)}`,
    );
  }
  console.log(
    `${'all'.padEnd(20)}${''.padStart(8)}${fmt(t).padStart(12)}${fmt(i).padStart(12)}${fmt(t / n).padStart(13)}${fmt(i / n).padStart(13)}  = ${fmt((t + i) / n)} B per settlement`,
  );
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  console.log(`yibao row-size bench: ${fmt(o.settles)} settle requests over ${fmt(o.persons)} persons, node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-rows-'));
  const sqlite = await openLedgerDb({ target: join(dir, 'bench.db') });
  try {
    await report('sqlite', sqlite, o);
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const name = `yibao_bench_rows_${process.pid}`;
  const admin = new pg.Client({ connectionString: o.pg });
  try {
    await admin.connect();
  } catch (e) {
    console.log(`postgres  skipped: no server at ${o.pg} (${(e as Error).message})`);
    return 0;
  }
  await admin.query(`create database ${name}`);
  const url = new URL(o.pg);
  url.pathname = `/${name}`;
  const store = await openLedgerDb({ target: url.toString() });
  try {
    await report('postgres', store, o);
  } finally {
    await store.close();
    await admin.query(`drop database ${name}`);
    await admin.end();
  }
  return 0;
}

process.exitCode = await main();
