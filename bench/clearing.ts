/**
 * The agency's month close (月结清算) on a ledger of a month's settlements: how long the load, the
 * ledger's verify and the close take, and what memory they need.
 *
 *   npm run bench:clearing
 *   node dist/bench/clearing.js --store sqlite --settles 20000
 *   node dist/bench/clearing.js --store postgres --settles 1000000 --keep
 *   node dist/bench/clearing.js --db /dev/shm/yibao-bench-clearing-XXXXXX/ledger.db
 *
 * For each store — SQLite (a fresh file in --dir, default /dev/shm where there is one, else the
 * temp directory) and PostgreSQL (a fresh database through --pg / YIBAO_BENCH_PG, default
 * postgres://postgres@127.0.0.1:5432/test, dropped afterwards; skipped with a message when the
 * server is unreachable):
 *
 * 1. migrates a fresh ledger;
 * 2. loads a synthetic month (bench/month.ts: --settles settlements made in --period, default
 *    10,000,000 in 2024-03, about 2% of them reversed, and the last days of the month before;
 *    ~1.6 M persons, 840 institutions) in bulk into the ledger's tables (bench/bulk.ts): the
 *    entries in time order, as the settle path writes them, the tables' indexes and constraints
 *    made after the rows, as pg_restore does; prints the load's time, rows per second and CPU
 *    (and the PostgreSQL backend's); PostgreSQL's tables are then ANALYZEd, as autovacuum would;
 * 3. times `Ledger.verify()` (every accumulator recomputed from the entries) and prints whether it
 *    passed;
 * 4. registers the paying centres, districts and institutions and times the close of the month
 *    before, then the month's day-ends (日结, `ledger.clearing.rollUp` one day at a time, as the
 *    nightly `yibao clearing rollup` does), then the close of the month ({@link closeMonth},
 *    `ledger.clearing.close`, which adds up the summed days);
 * 5. prints the database's size and the peak RSS of this process (process.resourceUsage().maxRSS).
 *
 * `--keep` keeps each database and prints where it is; `--db FILE|URL` runs 3 and 4 again on one
 * so kept (its closes undone first). Exits 1 when verify finds a mismatch or a step fails.
 * Speed is measured here, never asserted.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SettlementEngine } from '../src/engine/settle.js';
import { migrateToLatest, openLedgerDb, type LedgerDb } from '../src/ledger/connect.js';
import { Ledger } from '../src/ledger/ledger.js';
import type { Actor } from '../src/ledger/types.js';
import { loadPolicies } from '../src/policy/policies.js';
import { eachOption, fmt, gb, label, peakRss, secs, storeOption } from './cli.js';
import { columnsOf, deferPostgresIndexes, deferSqliteIndexes, HourFiles, PostgresCopySink, postgresColumns, SqliteSink, sqliteColumns, type Columns, type Sink } from './bulk.js';
import { CITIES, monthBatches, monthSpan, type MonthCounts, type Row } from './month.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Options {
  store: 'both' | 'sqlite' | 'postgres';
  settles: number;
  period: string;
  seed: number;
  keep: boolean;
  dir: string;
  pg: string;
  db: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    store: 'both',
    settles: 10_000_000,
    period: '2024-03',
    seed: 20240301,
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
        o.settles = int(1, 100_000_000);
        break;
      case '--period': {
        const p = next();
        if (!/^20\d\d-(0[1-9]|1[0-2])$/.test(p)) throw new Error(`--period: a month as YYYY-MM, not ${p}`);
        o.period = p;
        break;
      }
      case '--seed':
        o.seed = int(0, 2 ** 31);
        break;
      case '--keep':
        o.keep = true;
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
        throw new Error(`unknown option ${a} (options: --store sqlite|postgres|both --settles N --period YYYY-MM --seed N --keep --dir DIR --pg URL --db FILE|URL)`);
    }
  });
  return o;
}

const ACTOR: Actor = { id: 'bench', role: 'agency' };

/**
 * The paying centres (医保中心) and districts (县区) of bench/month's cities, and every institution's
 * district, as the agency registers them (ledger.clearing.registry). Luoyang's rule names each
 * institution's centre (洛医保〔2023〕63号 三(二): county institutions by their county's centre,
 * city-district ones by the city centre); Puyang's and Linfen's packs give no rule, so the agency
 * names it, the same way. An institution's district is in its code (H + district + number).
 */
async function registerClearing(ledger: Ledger): Promise<number> {
  const r = ledger.clearing.registry;
  const levels = new Map<string, 'urban' | 'county'>();
  for (const city of Object.values(CITIES)) {
    await r.setCentre({ id: city.region, name: `${city.name}医疗保障中心`, level: 'city', region: city.region, district: null }, ACTOR);
    for (const d of city.districts) {
      levels.set(d.code, d.level);
      await r.setDistrict({ code: d.code, name: d.name, region: city.region, level: d.level }, ACTOR);
      if (d.level === 'county') await r.setCentre({ id: d.code, name: `${d.name}医疗保障中心`, level: 'county', region: city.region, district: d.code }, ACTOR);
    }
  }
  const institutions = await ledger.store.db.selectFrom('institutions').select(['id', 'region']).orderBy('id').execute();
  for (const i of institutions) {
    const district = i.id.slice(1, 7);
    const centreId = i.region === CITIES.luoyang.region ? null : levels.get(district) === 'county' ? district : (i.region as string);
    await r.assignInstitution({ institutionId: i.id, district, centreId }, ACTOR);
  }
  return institutions.length;
}

/**
 * The month's close (月结): the month before first (months close in order; the ledger holds its
 * last days), then the month, each through `ledger.clearing.close` (src/ledger/clearing.ts).
 */
async function closeMonth(label: string, ledger: Ledger, period: string, serverCpu?: () => number): Promise<string> {
  let t = performance.now();
  const institutions = await registerClearing(ledger);
  const registered = performance.now() - t;
  const before = previousPeriod(period);
  t = performance.now();
  const first = await ledger.clearing.close(before, ACTOR);
  console.log(
    `${label.padEnd(9)} close ${before} (the month before) in ${secs(performance.now() - t)}: ${fmt(first.entries)} entries, ${fmt(first.statements)} statements ` +
      `(${fmt(institutions)} institutions registered in ${secs(registered)})`,
  );
  // Day-end (日结), as `yibao clearing rollup` does each night: every day of the month summed once.
  const [py, pm] = period.split('-').map(Number) as [number, number];
  const lastDay = Math.floor((Date.UTC(pm === 12 ? py + 1 : py, pm === 12 ? 0 : pm, 1) - 1) / 86_400_000);
  let days = 0;
  let slowest = 0;
  const rollStart = performance.now();
  for (let d = Math.floor(Date.UTC(py, pm - 1, 1) / 86_400_000); d <= lastDay; d++) {
    const td = performance.now();
    days += (await ledger.clearing.rollUp(d)).days;
    slowest = Math.max(slowest, performance.now() - td);
  }
  const rollMs = performance.now() - rollStart;
  console.log(
    `${label.padEnd(9)} day-end of ${period}: ${fmt(days)} days summed in ${secs(rollMs)} (${secs(rollMs / Math.max(days, 1))} a day on average, the slowest ${secs(slowest)})`,
  );
  t = performance.now();
  const server0 = serverCpu?.() ?? Number.NaN;
  const cpu0 = process.cpuUsage();
  const closed = await ledger.clearing.close(period, ACTOR);
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const server = serverCpu ? `, the server's backends ${secs(serverCpu() - server0)}` : '';
  const centres = (closed.summary.centres as unknown[] | undefined)?.length ?? 0;
  return `${fmt(closed.entries)} entries, ${fmt(closed.statements)} statements, ${fmt(centres)} paying centres in ${secs(ms)} (CPU: this process ${secs((cpu.user + cpu.system) / 1000)}${server})`;
}

/** The month before a YYYY-MM. */
function previousPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** Rows per table, and what the month holds, as one line. */
function describe(c: MonthCounts, rows: Record<string, number>, period: string): string {
  const entries = rows.settlements ?? 0;
  const other = Object.entries(rows)
    .filter(([t]) => t !== 'settlements')
    .map(([t, n]) => `${t} ${fmt(n)}`)
    .join(', ');
  return (
    `${fmt(c.settlements)} settlements in ${period} (+ ${fmt(c.settlementsBefore)} the month before), ` +
    `${fmt(c.reversalsOfMonth + c.reversalsOfMonthBefore)} reversals in ${period} (${fmt(c.reversalsOfMonthBefore)} of the month before; ${fmt(c.reversalsAfter)} more after it), ` +
    `${fmt(c.resettled)} settled again, ${fmt(c.refused)} refused: ${fmt(entries)} entries; ${other}`
  );
}

/**
 * A turn of the event loop: the COPY data queued on the socket goes out while the next rows are
 * made (awaiting a settled promise alone runs no I/O).
 */
const ioTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function load(
  label: string,
  o: Options,
  have: Columns,
  makeSink: (entryColumns: readonly string[]) => Sink,
  serverCpu?: () => number,
): Promise<{ ms: number; counts: MonthCounts; entries: number }> {
  const engine = new SettlementEngine(policies());
  const counts: MonthCounts = {
    persons: 0,
    settlements: 0,
    settlementsBefore: 0,
    reversalsOfMonth: 0,
    reversalsOfMonthBefore: 0,
    reversalsAfter: 0,
    resettled: 0,
    refused: 0,
    layerRows: 0,
  };
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const server0 = serverCpu?.() ?? Number.NaN;
  let shown = 0;
  let hours: HourFiles | undefined;
  let sink: Sink | undefined;
  // The month, person after person: every table but the entries, which wait in hour files.
  for (const batch of monthBatches(engine, { period: o.period, settles: o.settles, seed: o.seed, batchSize: 1000 }, counts)) {
    if (!hours || !sink) {
      const cols = columnsOf('settlements', batch.settlements[0] as Row, have);
      hours = new HourFiles(join(tmpdir(), `yibao-bench-clearing-hours-${process.pid}`), cols);
      sink = makeSink(cols);
    }
    hours.add(batch.settlements);
    batch.settlements = [];
    await sink.write(batch);
    await ioTurn();
    if (counts.settlements - shown >= 1_000_000) {
      shown = counts.settlements;
      const s = (performance.now() - t) / 1000;
      console.log(
        `${label.padEnd(9)} … ${fmt(counts.settlements)} settlements made in ${fmt(s, 1)} s (${fmt(counts.settlements / s)}/s), RSS ${fmt(process.memoryUsage.rss() / 2 ** 20)} MB`,
      );
    }
  }
  if (!hours || !sink) throw new Error('bench: the month made no entries');
  const made = performance.now() - t;
  const rssMade = peakRss();
  // The entries, an hour at a time, in time order.
  for (const lines of hours.hours()) {
    await sink.entries(lines);
    await ioTurn();
  }
  await sink.finish();
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const server = serverCpu ? `, the server's backend ${secs(serverCpu() - server0)}` : '';
  const total = Object.values(sink.rows).reduce((a, b) => a + b, 0);
  console.log(`${label.padEnd(9)} load ${describe(counts, sink.rows, o.period)}`);
  console.log(
    `${label.padEnd(9)} load ${fmt(counts.persons)} persons, ${fmt(total)} rows in ${secs(ms)} (the month made and all but the entries written in ${secs(made)}, ` +
      `the entries in time order in ${secs(ms - made)}): ${fmt(sink.rows.settlements / (ms / 1000))} entries/s, ${fmt(total / (ms / 1000))} rows/s`,
  );
  console.log(
    `${label.padEnd(9)} load CPU: this process ${secs((cpu.user + cpu.system) / 1000)}${server}; load average ${os
      .loadavg()
      .map((x) => fmt(x, 1))
      .join(' ')}; ` + `peak RSS ${rssMade} when the month was made, ${peakRss()} when loaded`,
  );
  return { ms, counts, entries: sink.rows.settlements };
}

let loaded: ReturnType<typeof loadPolicies> | undefined;
/** The policy packs, with the example user policies that supply what the documents leave open (Linfen's inpatient stays, Luoyang's 两病). */
function policies() {
  loaded ??= loadPolicies({
    policyFiles: [join(ROOT, 'examples/linfen-inpatient-user-policy.yaml'), join(ROOT, 'examples/user-policy-luoyang-two-diseases.yaml')],
  });
  return loaded;
}

/** Verify, then the close, on a loaded store. */
async function measure(label: string, store: LedgerDb, o: Options, serverCpu?: () => number): Promise<boolean> {
  const ledger = new Ledger(store, new SettlementEngine(policies()));
  const t = performance.now();
  const server0 = serverCpu?.() ?? Number.NaN;
  const report = await ledger.verify();
  const verifyMs = performance.now() - t;
  const serverMs = serverCpu ? ` (the server's backends: CPU ${secs(serverCpu() - server0)})` : '';
  console.log(
    `${label.padEnd(9)} verify ${report.ok ? 'ok' : `MISMATCH (${fmt(report.mismatches.length)}): ${report.mismatches.slice(0, 3).join('; ')}`} in ${secs(verifyMs)}${serverMs} ` +
      `(${fmt(report.checked.entries)} entries, ${fmt(report.checked.capRows)} cap rows, ${fmt(report.checked.windowRows)} windows); peak RSS ${peakRss()}`,
  );
  let closed = true;
  try {
    console.log(`${label.padEnd(9)} close ${o.period}: ${await closeMonth(label, ledger, o.period, serverCpu)}; peak RSS ${peakRss()}`);
  } catch (e) {
    console.log(`${label.padEnd(9)} close ${o.period} FAILED: ${(e as Error).message}`);
    closed = false;
  }
  return report.ok && closed;
}

async function benchSqlite(o: Options): Promise<boolean> {
  const dir = mkdtempSync(join(o.dir, 'yibao-bench-clearing-'));
  const path = join(dir, 'ledger.db');
  const store = await openLedgerDb({ target: path });
  const sqlite = store.sqlite as NonNullable<LedgerDb['sqlite']>;
  try {
    await migrateToLatest(store.db);
    // The load only: no fsyncs, a larger page cache, the tables' own indexes made after the rows;
    // foreign keys are kept (every reference is written before the row that makes it).
    const synchronous = sqlite.pragma('synchronous', { simple: true }) as number;
    sqlite.pragma('synchronous = OFF');
    sqlite.pragma('cache_size = -131072');
    const have = sqliteColumns(sqlite);
    const t0 = performance.now();
    const indexes = deferSqliteIndexes(sqlite);
    const loaded = await load('sqlite', o, have, (cols) => new SqliteSink(sqlite, have, cols));
    let t = performance.now();
    indexes();
    console.log(
      `${label('sqlite')} indexes made again in ${secs(performance.now() - t)}: loaded in ${secs(performance.now() - t0)} in all (${fmt(loaded.entries / ((performance.now() - t0) / 1000))} entries/s)`,
    );
    t = performance.now();
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.pragma(`synchronous = ${synchronous}`);
    sqlite.pragma('cache_size = -2000');
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    const size = pages * (sqlite.pragma('page_size', { simple: true }) as number);
    console.log(
      `${label('sqlite')} checkpoint ${secs(performance.now() - t)}; db ${gb(size)} (file ${gb(statSync(path).size)})${o.keep ? ` at ${path}` : ''}; peak RSS ${peakRss()}`,
    );
    return await measure('sqlite', store, o);
  } finally {
    await store.close();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time (ms) of the PostgreSQL backends serving `database` (their process titles name it); NaN without /proc. */
function backendCpuMs(database: string): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(database)) continue;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return Number.NaN;
  }
  return ticks * 10;
}

async function benchPostgres(o: Options): Promise<boolean> {
  const admin = new pg.Client({ connectionString: o.pg });
  try {
    await admin.connect();
  } catch (e) {
    console.log(`${label('postgres')} skipped: no server at ${o.pg} (${(e as Error).message})`);
    return true;
  }
  const name = `yibao_bench_clearing_${process.pid}`;
  await admin.query(`create database ${name}`);
  const url = new URL(o.pg);
  url.pathname = `/${name}`;
  const store = await openLedgerDb({ target: url.toString() });
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await migrateToLatest(store.db);
    await client.connect();
    await client.query('set synchronous_commit = off');
    const have = await postgresColumns(client);
    const t0 = performance.now();
    const indexes = await deferPostgresIndexes(client);
    const loaded = await load(
      'postgres',
      o,
      have,
      (cols) => new PostgresCopySink(client, have, cols),
      () => backendCpuMs(name),
    );
    let t = performance.now();
    await indexes();
    console.log(
      `${label('postgres')} indexes and constraints made again in ${secs(performance.now() - t)}: loaded in ${secs(performance.now() - t0)} in all (${fmt(loaded.entries / ((performance.now() - t0) / 1000))} entries/s)`,
    );
    t = performance.now();
    await client.query('analyze');
    const analyzeMs = performance.now() - t;
    t = performance.now();
    await client.query('checkpoint');
    const size = Number((await client.query<{ n: string }>('select pg_database_size(current_database()) as n')).rows[0]?.n);
    console.log(
      `${label('postgres')} analyze ${secs(analyzeMs)}, checkpoint ${secs(performance.now() - t)}; db ${gb(size)}${o.keep ? ` (database ${name})` : ''}; peak RSS ${peakRss()}`,
    );
    await client.end();
    return await measure('postgres', store, o, () => backendCpuMs(name));
  } finally {
    await client.end().catch(() => undefined);
    await store.close();
    if (!o.keep) await admin.query(`drop database ${name}`);
    await admin.end();
  }
}

/**
 * `--db`: verify and close again on a ledger this bench loaded and kept (--keep): it is brought to
 * the latest migration, the closes of its months are undone, and both are timed again.
 */
async function again(o: Options, target: string): Promise<boolean> {
  const store = await openLedgerDb({ target });
  const which = store.dialect.padEnd(9);
  try {
    const t = performance.now();
    const applied = await migrateToLatest(store.db);
    if (applied.length > 0) console.log(`${which} migrated (${applied.join(', ')}) in ${secs(performance.now() - t)}`);
    for (const table of ['clearing_districts', 'clearing_statements', 'clearing_periods', 'clearing_days', 'clearing_rolled_days'] as const)
      await store.db.deleteFrom(table).execute();
    const database = store.dialect === 'postgres' ? new URL(target).pathname.slice(1) : undefined;
    return await measure(store.dialect, store, o, database ? () => backendCpuMs(database) : undefined);
  } finally {
    await store.close();
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const span = monthSpan(o.period);
  console.log(
    `yibao clearing bench: ${fmt(o.settles)} settlements in ${o.period} [${new Date(span.start).toISOString()}, ${new Date(span.end).toISOString()}), seed ${o.seed}, node ${process.version}`,
  );
  let ok = true;
  if (o.db !== undefined) return (await again(o, o.db)) ? 0 : 1;
  if (o.store !== 'postgres') ok = (await benchSqlite(o)) && ok;
  if (o.store !== 'sqlite') ok = (await benchPostgres(o)) && ok;
  console.log(`peak RSS ${peakRss()}`);
  return ok ? 0 : 1;
}

process.exitCode = await main();
