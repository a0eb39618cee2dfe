/**
 * Supervision (智能监管) over a year: every rule over --settles settlements of --persons persons,
 * and the 3101 check of one visit at pre-settle.
 *
 *   npm run bench:supervision
 *   node dist/bench/supervision.js --store sqlite --settles 200000 --persons 20000
 *   node dist/bench/supervision.js --store postgres --keep
 *   node dist/bench/supervision.js --db /dev/shm/yibao-bench-supervision-XXXXXX/ledger.db
 *
 * For each store — SQLite (a fresh file in --dir, default /dev/shm where there is one) and
 * PostgreSQL (a fresh database through --pg / YIBAO_BENCH_PG, dropped afterwards; skipped with a
 * message when the server is unreachable):
 *
 * 1. migrates a fresh ledger and loads a synthetic year (bench/year.ts: default 10,000,000
 *    settlements of 1,000,000 persons at 1,000 institutions, 200 of them pharmacies, in 2024) in
 *    bulk, the tables' indexes made after the rows;
 * 2. registers where each institution is and what kind, and sets every rule's parameters as the
 *    agency would (the values are this bench's, printed; yibao has none of its own);
 * 3. the baseline: one plain pass over the same settlements (count and sum of the fund in the
 *    year), so the run reads as a ratio of a scan;
 * 4. times --checks 3101 checks (`ledger.supervision.check`) of one new visit of a random person,
 *    and prints p50, p99 and the slowest, beside the same persons' history read alone;
 * 5. times the batch run (`ledger.supervision.run`) over the year: wall, CPU, peak RSS, leads and
 *    new findings by rule, beside what the generator planted.
 *
 * `--one-reader` reads a SQLite batch's settlements on the run's connection, not by worker threads
 * (src/ledger/supervision-read-threads.ts). `--keep` keeps each database; `--db FILE|URL` runs 2–5 again on one so kept. Speed is measured
 * here, never asserted.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { SettlementEngine } from '../src/engine/settle.js';
import { migrateToLatest, openLedgerDb, type LedgerDb } from '../src/ledger/connect.js';
import { Ledger } from '../src/ledger/ledger.js';
import { readThreads } from '../src/ledger/supervision-read-threads.js';
import type { Actor } from '../src/ledger/types.js';
import { loadPolicies } from '../src/policy/policies.js';
import { eachOption, fmt, label, peakRss, secs, storeOption } from './cli.js';
import { copyInto, deferPostgresIndexes, deferSqliteIndexes } from './bulk.js';
import { Rng } from './month.js';
import { enrollments, institutions, persons, personId, settlements, type Planted, type Row, type YearInstitution, type YearOptions } from './year.js';

interface Options extends YearOptions {
  store: 'both' | 'sqlite' | 'postgres';
  checks: number;
  keep: boolean;
  dir: string;
  pg: string;
  db: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    store: 'both',
    year: 2024,
    persons: 1_000_000,
    settles: 10_000_000,
    institutions: 1_000,
    pharmacies: 200,
    seed: 20240101,
    checks: 10_000,
    keep: false,
    dir: existsSync('/dev/shm') ? '/dev/shm' : tmpdir(),
    pg: process.env.YIBAO_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
    db: undefined,
  };
  eachOption(argv, (a, { next, int }) => {
    switch (a) {
      case '--store': {
        o.store = storeOption(next());
        break;
      }
      case '--settles':
        o.settles = int(1_000, 100_000_000);
        break;
      case '--persons':
        o.persons = int(1_000, 20_000_000);
        break;
      case '--checks':
        o.checks = int(1, 1_000_000);
        break;
      case '--seed':
        o.seed = int(0, 2 ** 31);
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--one-reader':
        // A SQLite batch's settlements read on the run's connection, not by worker threads (src/ledger/supervision-read-threads.ts).
        readThreads.minEntries = Number.POSITIVE_INFINITY;
        break;
      case '--dir':
        o.dir = resolve(next());
        break;
      case '--pg':
        o.pg = next();
        break;
      case '--db':
        o.db = next();
        break;
      default:
        throw new Error(`unknown option ${a} (options: --store sqlite|postgres|both --settles N --persons N --checks N --seed N --keep --dir DIR --pg URL --db FILE|URL)`);
    }
  });
  return o;
}

const ACTOR: Actor = { id: 'bench', role: 'agency' };
const SCHEME_SEED = 977;

/** A person's scheme, the same in every table: drawn from the person's number. */
function schemeOf(i: number): string {
  return new Rng(i * SCHEME_SEED + 1).next() < 0.7 ? 'resident' : 'employee';
}

/** Rows in the columns of their first row, to a writer. */
type Write = (table: string, rows: Row[]) => Promise<void> | void;

async function load(o: Options, write: Write): Promise<{ planted: Planted; insts: YearInstitution[]; ms: number; entries: number }> {
  const t0 = performance.now();
  const rng = new Rng(o.seed);
  const at = Date.UTC(o.year - 1, 11, 1);
  let batch: Row[] = [];
  const flush = async (table: string) => {
    if (batch.length) await write(table, batch);
    batch = [];
  };
  // The persons' schemes come from schemeOf, so every table agrees.
  let i = 0;
  for (const p of persons(o, rng, at)) {
    const scheme = schemeOf(i++);
    const category = String(p.category);
    const employeeCategory = category === 'active' || category === 'retired';
    batch.push({ ...p, scheme, category: scheme === 'resident' ? (employeeCategory ? 'adult' : category) : employeeCategory ? category : 'active' });
    if (batch.length >= 50_000) await flush('persons');
  }
  await flush('persons');
  const insts = institutions(o, rng);
  for (const inst of insts) batch.push({ id: inst.id, name: null, tier: inst.tier, grade: inst.grade, contracted: 1, region: '410300', updated_at: at });
  await flush('institutions');
  for (const e of enrollments(o, rng, at, schemeOf)) {
    batch.push(e);
    if (batch.length >= 50_000) await flush('enrollments');
  }
  await flush('enrollments');
  const planted: Planted = { splits: 0, farPairs: 0, cashOutPersons: 0 };
  let n = 0;
  for (const day of settlements(o, rng, insts, schemeOf, planted)) {
    for (const r of day) {
      const id = `S${String(n++).padStart(10, '0')}`;
      batch.push({ id, request_id: id, ...r });
    }
    await flush('settlements');
  }
  return { planted, insts, ms: performance.now() - t0, entries: n };
}

function sqliteWriter(db: NonNullable<LedgerDb['sqlite']>): Write {
  const statements = new Map<string, { run: (...a: unknown[]) => unknown }>();
  return (table, rows) => {
    const cols = Object.keys(rows[0] as Row);
    const key = `${table}:${cols.join(',')}`;
    let st = statements.get(key);
    if (!st) {
      st = db.prepare(`insert into ${table} (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`) as unknown as { run: (...a: unknown[]) => unknown };
      statements.set(key, st);
    }
    const s = st;
    db.transaction(() => {
      for (const r of rows) s.run(...cols.map((c) => r[c]));
    })();
  };
}

const copyText = (v: string | number | null): string =>
  v === null ? '\\N' : typeof v === 'number' ? String(v) : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

function postgresWriter(client: pg.Client): Write {
  return async (table, rows) => {
    const cols = Object.keys(rows[0] as Row);
    await copyInto(client, table, cols, `${rows.map((r) => cols.map((c) => copyText(r[c] ?? null)).join('\t')).join('\n')}\n`);
  };
}

/** Step 2: the institutions' places and kinds, and the agency's rule parameters (this bench's values). */
async function configure(ledger: Ledger, insts: YearInstitution[]): Promise<void> {
  for (const inst of insts) await ledger.supervision.setSite({ institutionId: inst.id, kind: inst.kind, longitude: inst.longitude, latitude: inst.latitude }, ACTOR);
  const settings: Record<string, Record<string, unknown>> = {
    'SPLIT-DAY': { minVisits: 2 },
    'FREQ-PEER': { minVisits: 40, multipleOfMedian: 50_000 },
    'CARD-DISTANCE': { minDistanceKm: 40, withinMinutes: 60 },
    'ACCT-CASHOUT': { windowDays: 90, minPurchases: 8, minAccountFen: 50_000, roundAmountFen: 10_000, minRoundSharePercent: 80 },
    'INST-FUND-PEER': { minVisits: 100, minPeers: 5, multipleOfMedian: 30_000 },
    'ENROL-DUP': {},
  };
  for (const rule of await ledger.supervision.rules()) {
    const params = settings[rule.id];
    if (!params) {
      console.log(`bench: no bench setting for rule ${rule.id}; it is left unset`);
      continue;
    }
    await ledger.supervision.setRule(rule.id, { enabled: true, params, reason: 'bench' }, ACTOR);
    console.log(`bench: rule ${rule.id} ${rule.name}: ${JSON.stringify(params)}`);
  }
}

/** Steps 3–5 on a loaded store. */
async function measure(name: string, store: LedgerDb, o: Options, insts: YearInstitution[] | undefined, planted: Planted | undefined): Promise<void> {
  const ledger = new Ledger(store, new SettlementEngine(loadPolicies()));
  if (insts) await configure(ledger, insts);
  const from = Date.UTC(o.year, 0, 1) - 8 * 3_600_000;
  const to = Date.UTC(o.year + 1, 0, 1) - 8 * 3_600_000;
  let t = performance.now();
  const base = await store.db
    .selectFrom('settlements')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('fund_pay_fen').as('fund')])
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .executeTakeFirstOrThrow();
  const baseMs = performance.now() - t;
  console.log(`${label(name)} baseline: one pass over ${fmt(Number(base.n))} settlements (count, sum of the fund) in ${secs(baseMs)}`);
  // The 3101 check of one new visit, and the same person's history read alone: before the run,
  // as the service checks visits (a run's reading happens off this thread's heap or not at all).
  const rng = new Rng(o.seed + 1);
  const checkMs: number[] = [];
  const readMs: number[] = [];
  const ids = insts ?? (await store.db.selectFrom('institutions').select('id').execute()).map((r) => ({ id: r.id }));
  for (let k = 0; k < o.checks; k++) {
    const person = personId(Math.min(o.persons - 1, Math.floor(o.persons * rng.next() ** 1.4)));
    const inst = ids[rng.int(0, ids.length - 1)] as { id: string };
    const time = to - 3_600_000 * rng.int(1, 24 * 300);
    let s = performance.now();
    await store.db
      .selectFrom('settlements')
      .select(['id', 'institution_id', 'created_at', 'fund_pay_fen'])
      .where('person_id', '=', person)
      .where('created_at', '>=', time - 86_400_000 * 31)
      .where('created_at', '<', time)
      .execute();
    readMs.push(performance.now() - s);
    s = performance.now();
    await ledger.supervision.check([
      { personId: person, institutionId: inst.id, visitId: `C${k}`, timeMs: time, visitType: 'outpatient', total: 10_000, fund: 6_000, account: 0, cash: 4_000 },
    ]);
    checkMs.push(performance.now() - s);
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] as number;
  console.log(
    `${label(name)} 3101 check of one visit (${fmt(o.checks)}): p50 ${fmt(q(checkMs, 0.5), 3)} ms, p99 ${fmt(q(checkMs, 0.99), 3)} ms, slowest ${fmt(Math.max(...checkMs), 3)} ms; ` +
      `the person's month read alone: p50 ${fmt(q(readMs, 0.5), 3)} ms, p99 ${fmt(q(readMs, 0.99), 3)} ms (ratio at p99 ${fmt(q(checkMs, 0.99) / q(readMs, 0.99), 1)}×)`,
  );
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const run = await ledger.supervision.run({ from, to }, ACTOR);
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${label(name)} run over the year: ${secs(ms)} (${fmt(ms / baseMs, 1)}× the baseline pass; CPU ${secs((cpu.user + cpu.system) / 1000)}); ` +
      `${fmt(run.settlements)} settlements of ${fmt(run.persons)} persons; ${fmt(run.leads)} leads, ${fmt(run.newFindings)} new findings; peak RSS ${peakRss()}`,
  );
  if (run.timings) {
    const tm = run.timings;
    console.log(`${label(name)}   read ${secs(tm.loadMs)}, judge ${secs(tm.evaluateMs)}, evidence ${secs(tm.resolveMs)}, write ${secs(tm.writeMs)}`);
  }
  for (const [rule, c] of Object.entries(run.byRule)) console.log(`${label(name)}   ${rule.padEnd(15)} ${fmt(c.leads).padStart(9)} leads ${fmt(c.newFindings).padStart(9)} new`);
  for (const n of run.notRun) console.log(`${label(name)}   not run: ${n.ruleId}: ${n.reason}`);
  for (const [rule, why] of Object.entries(run.unjudged)) console.log(`${label(name)}   unjudged ${rule}: ${why}`);
  if (planted)
    console.log(
      `${label(name)}   planted: ${fmt(planted.splits)} split visits, ${fmt(planted.farPairs)} second visits within 30 min elsewhere, ${fmt(planted.cashOutPersons)} round-sum pharmacy buyers`,
    );
}

async function benchSqlite(o: Options): Promise<void> {
  const dir = o.db ? undefined : mkdtempSync(join(o.dir, 'yibao-bench-supervision-'));
  const path = o.db ?? join(dir as string, 'ledger.db');
  const store = await openLedgerDb({ target: path });
  const sqlite = store.sqlite as NonNullable<LedgerDb['sqlite']>;
  try {
    let loaded: Awaited<ReturnType<typeof load>> | undefined;
    if (!o.db) {
      await migrateToLatest(store.db);
      sqlite.pragma('synchronous = OFF');
      const indexes = deferSqliteIndexes(sqlite);
      loaded = await load(o, sqliteWriter(sqlite));
      const t = performance.now();
      indexes();
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      sqlite.pragma('synchronous = FULL');
      console.log(
        `${label('sqlite')} loaded ${fmt(loaded.entries)} settlements in ${secs(loaded.ms)}, indexes in ${secs(performance.now() - t)}; file ${fmt(statSync(path).size / 2 ** 30, 2)} GB${o.keep ? ` at ${path}` : ''}`,
      );
    }
    await measure('sqlite', store, o, loaded?.insts, loaded?.planted);
  } finally {
    await store.close();
    if (dir && !o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(o: Options): Promise<void> {
  const admin = new pg.Client({ connectionString: o.pg });
  try {
    await admin.connect();
  } catch (e) {
    console.log(`${label('postgres')} skipped: no server at ${o.pg} (${(e as Error).message})`);
    return;
  }
  const name = `yibao_bench_supervision_${process.pid}`;
  let url = o.db;
  if (!url) {
    await admin.query(`create database ${name}`);
    const u = new URL(o.pg);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const store = await openLedgerDb({ target: url });
  const client = new pg.Client({ connectionString: url });
  try {
    let loaded: Awaited<ReturnType<typeof load>> | undefined;
    if (!o.db) {
      await migrateToLatest(store.db);
      await client.connect();
      await client.query('set synchronous_commit = off');
      const indexes = await deferPostgresIndexes(client);
      loaded = await load(o, postgresWriter(client));
      const t = performance.now();
      await indexes();
      await client.query('analyze');
      console.log(
        `${label('postgres')} loaded ${fmt(loaded.entries)} settlements in ${secs(loaded.ms)}, indexes and analyze in ${secs(performance.now() - t)}${o.keep ? ` at ${url}` : ''}`,
      );
    }
    await measure('postgres', store, o, loaded?.insts, loaded?.planted);
  } finally {
    await client.end().catch(() => undefined);
    await store.close();
    if (!o.db && !o.keep) await admin.query(`drop database if exists ${name}`);
    await admin.end();
  }
}

const o = parseArgs(process.argv.slice(2));
console.log(
  `bench/supervision: ${fmt(o.settles)} settlements of ${fmt(o.persons)} persons in ${o.year}, ${fmt(o.institutions)} institutions (${fmt(o.pharmacies)} pharmacies); node ${process.version}`,
);
if (o.store !== 'postgres' && !(o.db && /^postgres(ql)?:/.test(o.db))) await benchSqlite(o);
if (o.store !== 'sqlite' && !(o.db && !/^postgres(ql)?:/.test(o.db))) await benchPostgres(o);
