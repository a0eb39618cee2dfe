/**
 * The ledger's settle path without HTTP: what one settle costs the store, in CPU time of this
 * process, so that the service benchmark (bench/api) can be read against it.
 *
 *   npm run bench:ledger
 *   node dist/bench/ledger.js --store sqlite --settles 40000 --window 32
 *
 * Parses the same request bodies as bench/api (parseSettleOne, as the server does), then keeps
 * `--window` settles in flight through `Ledger.settle` until `--settles` are done, on a fresh
 * SQLite file and (when reachable) a fresh PostgreSQL database. Prints parse and settle cost per
 * request and settles per second, then runs the ledger's verify. Exits 1 on any failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest, openLedgerDb, type LedgerDb } from '../src/ledger/connect.js';
import { Ledger, verifyLedger, type Actor } from '../src/ledger/ledger.js';
import { SettlementEngine } from '../src/engine/settle.js';
import { loadPolicies } from '../src/policy/policies.js';
import { parseSettleOne, type SettleOne } from '../src/request/settle-one.js';
import { population, Requests } from './population.js';

interface Options {
  store: 'both' | 'sqlite' | 'postgres';
  settles: number;
  window: number;
  persons: number;
  pg: string;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { store: 'both', settles: 40_000, window: 32, persons: 20_000, pg: process.env.YIBAO_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--store' && (v === 'both' || v === 'sqlite' || v === 'postgres')) o.store = v;
    else if (flag === '--settles' || flag === '--window' || flag === '--persons') {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag}: a positive whole number, not ${v}`);
      o[flag.slice(2) as 'settles' | 'window' | 'persons'] = n;
    } else if (flag === '--pg') o.pg = v;
    else throw new Error(`unknown option ${flag} ${v} (options: --store sqlite|postgres|both --settles --window --persons --pg)`);
  }
  return o;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const ACTOR: Actor = { id: 'bench', role: 'agency' };

async function benchStore(label: string, store: LedgerDb, o: Options): Promise<boolean> {
  await migrateToLatest(store.db);
  const policies = loadPolicies();
  const ledger = new Ledger(store, new SettlementEngine(policies));
  const requests = new Requests(population(20240101, o.persons), label, 7);
  const bodies = Array.from({ length: o.settles }, () => JSON.parse(requests.body()) as unknown);

  let cpu = cpuMs();
  let t = performance.now();
  const parsed: SettleOne[] = bodies.map((b) => parseSettleOne(b, policies));
  const parseCpu = cpuMs() - cpu;
  const parseWall = performance.now() - t;

  cpu = cpuMs();
  t = performance.now();
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < parsed.length) {
      const req = parsed[next++] as SettleOne;
      try {
        await ledger.settle(req, ACTOR);
      } catch (e) {
        if (failed++ === 0) console.error(`${label}: settle failed: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.window }, worker));
  const settleCpu = cpuMs() - cpu;
  const settleWall = performance.now() - t;
  const verifyStart = performance.now();
  const report = await verifyLedger(store.db);
  const verifyMs = performance.now() - verifyStart;
  console.log(
    `${label.padEnd(9)} parse ${fmt((parseCpu * 1000) / o.settles)} µs/request (${fmt(o.settles / (parseWall / 1000))}/s); ` +
      `settle ${fmt((settleCpu * 1000) / o.settles)} µs CPU/request in this process, ${fmt(o.settles / (settleWall / 1000))} settles/s ` +
      `(window ${o.window}); failed ${failed}; verify ${report.ok ? 'ok' : `MISMATCH: ${report.mismatches.slice(0, 3).join('; ')}`} in ${fmt(verifyMs)} ms ` +
      `(${fmt(report.checked.entries)} entries, ${fmt(report.checked.capRows)} cap rows, ${fmt(report.checked.windowRows)} windows)`,
  );
  return failed === 0 && report.ok;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  console.log(`yibao ledger bench: ${fmt(o.settles)} settles, ${fmt(o.persons)} persons, node ${process.version}`);
  let ok = true;
  if (o.store !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-ledger-'));
    const store = await openLedgerDb({ target: join(dir, 'bench.db'), backgroundCheckpoints: true });
    try {
      ok = (await benchStore('sqlite', store, o)) && ok;
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (o.store !== 'sqlite') {
    const name = `yibao_bench_ledger_${process.pid}`;
    const admin = new pg.Client({ connectionString: o.pg });
    try {
      await admin.connect();
    } catch (e) {
      console.log(`postgres  skipped: no server at ${o.pg} (${(e as Error).message})`);
      return ok ? 0 : 1;
    }
    await admin.query(`create database ${name}`);
    const url = new URL(o.pg);
    url.pathname = `/${name}`;
    const store = await openLedgerDb({ target: url.toString() });
    try {
      ok = (await benchStore('postgres', store, o)) && ok;
    } finally {
      await store.close();
      await admin.query(`drop database ${name}`);
      await admin.end();
    }
  }
  return ok ? 0 : 1;
}

process.exitCode = await main();
