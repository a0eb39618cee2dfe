/**
 * Service throughput: POST /v1/settlements end to end, over HTTP on loopback, against each store.
 *
 *   npm run bench:api                                # the no-op route, SQLite, PostgreSQL; ratios and targets
 *   node dist/bench/api.js --store sqlite --duration 10 --connections 32 --persons 20000
 *   node dist/bench/api.js --store postgres --pg postgres://postgres@127.0.0.1:5432/test
 *   node dist/bench/api.js --cpu-prof /tmp/prof      # the server writes a .cpuprofile there on exit
 *   node dist/bench/api.js --no-calibrate            # without the no-op Fastify route first
 *   node dist/bench/api.js --sqlite-sync normal      # SQLite with synchronous=NORMAL (default FULL, or YIBAO_SQLITE_SYNC)
 *   node dist/bench/api.js --rounds 3                # the whole sequence three times: medians, with ranges
 *
 * For each store — SQLite (a fresh file in a temp directory) and PostgreSQL (a fresh database
 * created through --pg / YIBAO_BENCH_PG, default postgres://postgres@127.0.0.1:5432/test, and
 * dropped afterwards; skipped with a message when the server is unreachable):
 *
 * 1. `yibao keys create agency --db …` (which also migrates the store);
 * 2. `yibao serve --db … --port 0 --host 127.0.0.1 --log-level warn` as a child process;
 * 3. the load generator — wrk (`apt-get install wrk`) where it is installed, else autocannon in
 *    this process, which takes most of a core from the server — sends the requests: every one has
 *    its own requestId and
 *    visit id, for one of many persons (Puyang employees in 2023, Luoyang residents in 2024), each
 *    person's visits in time order at a few institutions of a fixed registry, some the same day at
 *    the same institution; a warm-up, then a timed run;
 * 4. prints settles/s, p50/p99 latency, error counts (every response must be 2xx) and the CPU
 *    time of the server, the load generator and (PostgreSQL) the server's backends; then stops the
 *    server, runs `yibao ledger verify` on the store, and checks that the ledger holds an entry for
 *    every acknowledged settle (and at most one more per connection: a request in flight when the
 *    load stopped may commit unanswered).
 *
 * First (unless --no-calibrate) the same load on a no-op Fastify route: the ceiling of HTTP on
 * this machine in this run. The summary gives each store's settles/s as a share of it, beside
 * issue 17's targets (SQLite fsync-durable ≥ 50% of the no-op route and p99 < 10 ms; PostgreSQL
 * ≥ 3,500 settles/s and p99 < 20 ms, at 32 connections). The targets are printed, not enforced.
 * On PostgreSQL it also prints, from pg_stat_database of the bench's own database, transactions
 * (= batches: two round trips each) and rows inserted/updated per settle. On both stores it reads
 * the server's own `GET /metrics` before and after each run: the settle path's transactions, the
 * settles each carried (group commit) and their time from BEGIN to the COMMIT's return.
 *
 * The summary ends with the CPU budget: each store's CPU a request (server, its PostgreSQL
 * backends, the load generator after its start), the rate at which that cost fills every core (the
 * ceiling, whatever the latency), and the cost a settle that the target's rate allows.
 *
 * Exits 1 when a response was not 2xx, a request failed, or verify found a mismatch.
 * Loopback only; everything it creates is removed at the end, also on SIGINT/SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { sqliteSyncFrom, type SqliteSync } from '../src/ledger/connect.js';
import { eachOption, fmt, storeOption } from './cli.js';
import { BIN, eachStore, onSignals, startServer, yibao, type Server } from './serve.js';
import { population, Requests } from './population.js';

// ---------------------------------------------------------------------------------------------
// Options.

interface Options {
  store: 'both' | 'sqlite' | 'postgres';
  duration: number;
  warmup: number;
  connections: number;
  persons: number;
  pg: string;
  poolSize: number | undefined;
  cpuProf: string | undefined;
  seed: number;
  calibrate: boolean;
  /** SQLite's durability for the server (`yibao serve --sqlite-sync`). */
  sqliteSync: SqliteSync;
  /** Rounds of the whole sequence (no-op route, SQLite, PostgreSQL), one after the other: the summary gives medians. */
  rounds: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    store: 'both',
    duration: 10,
    warmup: 3,
    connections: 32,
    persons: 20_000,
    pg: process.env.YIBAO_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
    poolSize: undefined,
    cpuProf: undefined,
    seed: 20240101,
    calibrate: true,
    sqliteSync: sqliteSyncFrom(),
    rounds: 1,
  };
  eachOption(argv, (a, { next, int }) => {
    switch (a) {
      case '--store': {
        o.store = storeOption(next());
        break;
      }
      case '--duration':
        o.duration = int(1, 300);
        break;
      case '--warmup':
        o.warmup = int(0, 60);
        break;
      case '--connections':
        o.connections = int(1, 1024);
        break;
      case '--persons':
        o.persons = int(1, 10_000_000);
        break;
      case '--pg':
        o.pg = next();
        break;
      case '--pool-size':
        o.poolSize = int(1, 1000);
        break;
      case '--cpu-prof':
        o.cpuProf = resolve(next());
        break;
      case '--seed':
        o.seed = int(0, 2 ** 31);
        break;
      case '--calibrate':
        o.calibrate = true;
        break;
      case '--no-calibrate':
        o.calibrate = false;
        break;
      case '--sqlite-sync':
        o.sqliteSync = sqliteSyncFrom(next());
        break;
      case '--rounds':
        o.rounds = int(1, 20);
        break;
      default:
        throw new Error(
          `unknown option ${a} (options: --store --duration --warmup --connections --persons --pg --pool-size --cpu-prof --seed --calibrate --no-calibrate --sqlite-sync --rounds)`,
        );
    }
  });
  return o;
}

// ---------------------------------------------------------------------------------------------
// Processes.

/** `yibao serve` on an ephemeral loopback port. */
function serveArgs(db: string, o: Options, label: string): string[] {
  const nodeArgs = o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProf, '--cpu-prof-name', `yibao-${label}-${process.pid}.cpuprofile`] : [];
  const args = [...nodeArgs, BIN, 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn'];
  if (o.poolSize !== undefined) args.push('--pool-size', String(o.poolSize));
  if (label === 'sqlite') args.push('--sqlite-sync', o.sqliteSync);
  return args;
}

/**
 * For --calibrate: a Fastify server that parses the body as the service does and answers every
 * POST /v1/settlements with a fixed entry of the size of a real one (with its trace), settling
 * nothing. What it reaches is the ceiling of HTTP on this machine with this load generator.
 */
const NOOP_SERVER = `
import Fastify from 'fastify';
const entry = JSON.stringify({ id: 'S-00000000-0000-4000-8000-000000000000', kind: 'settlement', trace: [{ text: '统筹基金支付'.repeat(140) }] });
const app = Fastify({ logger: { level: 'warn' } });
app.post('/v1/settlements', async (req, reply) => reply.code(201).type('application/json; charset=utf-8').send(entry));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write('noop serving on ' + address + '\\n');
process.once('SIGTERM', () => app.close());
`;

// ---------------------------------------------------------------------------------------------
// Load.

interface Load {
  generator: 'wrk' | 'autocannon';
  seconds: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** autocannon: latencies of every response, ms (its own histogram has 1 ms resolution). */
  latencies?: Float64Array | undefined;
  /** wrk: latency percentiles, ms, by percentile ('50', '99', '100'). */
  percentiles?: Map<string, number>;
  responses: number;
  statuses: Map<number, number>;
  /** A few non-2xx bodies, to say what went wrong. */
  samples: string[];
  /** CPU time of the load generator, ms. */
  cpuMs: number;
  /**
   * Of `cpuMs`, what it spent before the load started (wrk: its Lua `init`, formatting every
   * body), ms; 0 for autocannon (its bodies are made as it goes), NaN where it was not seen.
   */
  startCpuMs: number;
}

/**
 * The load generator: wrk where it is installed (Debian's package `wrk`; a C program, it leaves
 * the cores to the server), else autocannon in this process (which takes most of a core).
 */
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

function load(url: string, key: string, requests: Requests, duration: number, connections: number, wrap: boolean): Promise<Load> {
  return WRK ? loadWithWrk(WRK, url, key, requests, duration, connections, wrap) : loadWithAutocannon(url, key, requests, duration, connections);
}

function loadWithAutocannon(url: string, key: string, requests: Requests, duration: number, connections: number): Promise<Load> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const samples: string[] = [];
  const started = process.cpuUsage();
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        duration,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: '/v1/settlements',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            setupRequest: (req) => ({ ...req, body: requests.body() }),
            onResponse: (status, body) => {
              if ((status < 200 || status > 299) && samples.length < 5) samples.push(`${status} ${body.slice(0, 400)}`);
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const used = process.cpuUsage(started);
        resolvePromise({
          generator: 'autocannon',
          seconds: result.duration,
          errors: result.errors + result.timeouts,
          latencies: Float64Array.from(latencies),
          responses: latencies.length,
          statuses,
          samples,
          cpuMs: (used.user + used.system) / 1000,
          startCpuMs: 0,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
  });
}

/**
 * wrk with a Lua script that sends the bodies of a file, one per request, in order, and reports
 * each status and every latency (µs) on stdout when done. The bodies are made beforehand: enough
 * for 20,000 requests a second.
 */
const WRK_SCRIPT = String.raw`
local requests, i, key = {}, 0, os.getenv("YIBAO_BENCH_KEY")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
-- Each request formatted once, before the load starts (in init: wrk sets the Host header after
-- loading the script).
init = function(args)
  for line in io.lines(os.getenv("YIBAO_BENCH_BODIES")) do requests[#requests + 1] = wrk.format(nil, "/v1/settlements", nil, line) end
end
request = function()
  i = i + 1
  if i > #requests then
    -- The no-op route settles nothing: its bodies may be sent again. A settle's may not.
    if os.getenv("YIBAO_BENCH_WRAP") ~= "1" then error("bench: out of request bodies") end
    i = 1
  end
  return requests[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("seconds %f\nerrors %d\nresponses %d\nnon2xx %d\n", summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, summary.requests, e.status))
  for _, p in pairs({ 50, 90, 99, 99.9 }) do io.write(string.format("latency %s %d\n", p, latency:percentile(p))) end
  io.write(string.format("latency 100 %d\n", latency.max))
end
`;

async function loadWithWrk(wrk: string, url: string, key: string, requests: Requests, duration: number, connections: number, wrap: boolean): Promise<Load> {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-wrk-'));
  try {
    const bodies = join(dir, 'bodies.jsonl');
    const count = Math.ceil(duration * 20_000) + connections;
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(requests.body());
    writeFileSync(bodies, `${lines.join('\n')}\n`);
    const script = join(dir, 'settle.lua');
    writeFileSync(script, WRK_SCRIPT);
    // The shell's \`times\` reports the CPU time of wrk (its children) when it ends.
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string; startCpuMs: number }>((resolvePromise) => {
      const child = spawn('sh', ['-c', '"$@"; rc=$?; times; exit $rc', 'sh', wrk, '-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '10s', '-s', script, url], {
        env: { ...process.env, YIBAO_BENCH_KEY: key, YIBAO_BENCH_BODIES: bodies, YIBAO_BENCH_WRAP: wrap ? '1' : '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      const watch = watchStart(child.pid);
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolvePromise({ code, stdout, stderr, startCpuMs: watch.stop() }));
    });
    if (run.code !== 0) throw new Error(`wrk failed (${run.code}): ${run.stderr}${run.stdout}`);
    const statuses = new Map<number, number>();
    const samples: string[] = [];
    const latency = new Map<string, number>();
    let seconds = NaN;
    let errors = 0;
    let responsesSeen = 0;
    let non2xx = 0;
    for (const line of run.stdout.split('\n')) {
      const [word, a, b] = line.split(' ');
      if (word === 'seconds') seconds = Number(a);
      else if (word === 'errors') errors = Number(a);
      else if (word === 'responses') responsesSeen = Number(a);
      else if (word === 'non2xx') non2xx = Number(a);
      else if (word === 'latency') latency.set(a as string, Number(b) / 1000);
    }
    // \`times\` (last on stdout): the shell's own user and system time, then its children's: "0m1.234s 0m0.567s".
    const children = (run.stdout.trim().split('\n').pop() ?? '').match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
    const cpuMs = children ? (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000 : NaN;
    // wrk counts statuses of 400 and above (errors.status); every other answer of this bench is a
    // new settle (201): each body is a new visit with a new request id. (Reading each response in
    // Lua to count statuses one by one would cost wrk a third of a core.)
    const responses = responsesSeen;
    if (responses - non2xx > 0) statuses.set(201, responses - non2xx);
    if (non2xx > 0) statuses.set(400, non2xx);
    return { generator: 'wrk', seconds, errors, latencies: undefined, percentiles: latency, responses, statuses, samples, cpuMs, startCpuMs: run.startCpuMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * wrk's CPU before its load starts: it runs the script's `init` (formatting every body) on its
 * main thread and only then starts the thread that sends, so the CPU it has used when a second
 * thread appears is its start. `pid` is the shell that runs wrk; wrk is its child. Polled every
 * 5 ms; `stop()` gives the figure, NaN when the start was not seen (no /proc).
 */
function watchStart(pid: number | undefined): { stop: () => number } {
  let seen = Number.NaN;
  let wrkPid: number | undefined;
  const timer = setInterval(() => {
    try {
      wrkPid ??= Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || undefined;
      if (wrkPid !== undefined && readdirSync(`/proc/${wrkPid}/task`).length > 1) {
        seen = processCpuMs(wrkPid);
        clearInterval(timer);
      }
    } catch {
      // Not started yet, or no /proc.
    }
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return seen;
    },
  };
}

/** CPU time (user + system) a process has used so far, in ms; NaN where /proc is not available. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

/** CPU time of each thread of a process, ms, by thread id; empty where /proc is not available. */
function threadCpuMs(pid: number | undefined): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS);
    }
  } catch {
    // No /proc, or the process ended.
  }
  return out;
}

/** The server's CPU by thread: the event loop's (the process's own id), then the busiest others. */
function threadReport(pid: number | undefined, before: Map<number, number>, after: Map<number, number>, responses: number): string {
  const used = [...after].map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)] as const).filter(([, ms]) => ms > 0);
  const per = (ms: number) => `${fmt((ms * 1000) / Math.max(1, responses))} µs`;
  const main = used.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = used.filter(([tid]) => tid !== pid).sort((a, b) => b[1] - a[1]);
  const [busiest, ...rest] = others;
  return (
    `event loop ${per(main)}` +
    (busiest ? `, busiest other thread (the SQLite writer, when there is one) ${per(busiest[1])}` : '') +
    (rest.length ? `, ${rest.length} more threads ${per(rest.reduce((n, [, ms]) => n + ms, 0))}` : '') +
    ' per request'
  );
}

/**
 * CPU time of every local process named postgres, in ms; NaN without /proc. The shared server
 * also serves other work: pgBackends says which of them serve the bench's database.
 */
function postgresCpuMs(): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return NaN;
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

interface PgStats {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  deleted: number;
}

/** The counters of pg_stat_database for the database of `url` (the bench's own). */
async function pgDatabaseStats(url: string): Promise<PgStats> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select xact_commit::float8 as commits, xact_rollback::float8 as rollbacks, tup_inserted::float8 as inserted, tup_updated::float8 as updated, tup_deleted::float8 as deleted from pg_stat_database where datname = current_database()',
    );
    return rows[0] as PgStats;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CPU time, ms, of each of these processes (those that ended are left out). */
function cpuByPid(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (!Number.isNaN(ms)) out.set(pid, ms);
  }
  return out;
}

/** Process ids of the backends connected to the database of `url`, except this query's own. */
async function pgBackends(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return rows.map((r: { pid: number }) => r.pid);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

// ---------------------------------------------------------------------------------------------
// One store.

interface Outcome {
  store: string;
  /** What the server said it ran with (SQLite: its synchronous mode). */
  mode?: string | undefined;
  ok: boolean;
  measured?: PhaseResult | undefined;
}

interface PhaseResult {
  phase: string;
  rate: number;
  p50: number;
  p99: number;
  responses: number;
  created: number;
  ok: boolean;
  /**
   * CPU a request, µs: the server process (every thread), this database's PostgreSQL backends
   * (NaN on SQLite and the no-op route), the load generator once its load started.
   */
  cpu: { server: number; postgres: number; generator: number };
}

/** The warm-up and the measured run against a server; prints each. */
async function runPhases(label: string, server: Server, key: string, requests: Requests, o: Options, pgDb?: string): Promise<PhaseResult[]> {
  const out: PhaseResult[] = [];
  const phases: [string, number][] =
    o.warmup > 0
      ? [
          ['warm-up', o.warmup],
          ['measured', o.duration],
        ]
      : [['measured', o.duration]];
  for (const [phase, seconds] of phases) {
    const before = requests.made;
    const cpu0 = processCpuMs(server.child.pid);
    const pg0 = label === 'postgres' ? postgresCpuMs() : NaN;
    // The pool's backends stay connected: those of the warm-up serve the measured run too.
    const mine0 = pgDb ? cpuByPid(await pgBackends(pgDb)) : undefined;
    const threads0 = threadCpuMs(server.child.pid);
    const stats0 = pgDb ? await pgDatabaseStats(pgDb) : undefined;
    const path0 = label === 'noop' ? undefined : await settlePathMetrics(server.url, key);
    const r = await load(server.url, key, requests, seconds, o.connections, label === 'noop');
    const serverCpu = processCpuMs(server.child.pid) - cpu0;
    const threads = threadReport(server.child.pid, threads0, threadCpuMs(server.child.pid), r.responses);
    const pgCpu = label === 'postgres' ? postgresCpuMs() - pg0 : NaN;
    // The pool may open backends during the run: theirs counts from their start.
    const backends = pgDb ? await pgBackends(pgDb) : [];
    const pgMine = mine0 ? [...cpuByPid(backends)].reduce((n, [pid, ms]) => n + ms - (mine0.get(pid) ?? 0), 0) : NaN;
    const sorted = r.latencies?.slice().sort();
    const at = (p: number) => (sorted ? percentile(sorted, p) : (r.percentiles?.get(String(p)) ?? NaN));
    const ok2xx = (r.statuses.get(200) ?? 0) + (r.statuses.get(201) ?? 0);
    const non2xx = r.responses - [...r.statuses].filter(([st]) => st >= 200 && st < 300).reduce((n, [, c]) => n + c, 0);
    const codes = [...r.statuses]
      .sort(([x], [y]) => x - y)
      .map(([st, c]) => `${st}×${fmt(c)}`)
      .join(' ');
    const rate = r.responses / r.seconds;
    const perRequest = (ms: number) => (ms * 1000) / Math.max(1, r.responses);
    const result: PhaseResult = {
      phase,
      rate,
      p50: at(50),
      p99: at(99),
      responses: r.responses,
      created: r.statuses.get(201) ?? 0,
      ok: !(non2xx > 0 || r.errors > 0 || ok2xx === 0),
      cpu: { server: perRequest(serverCpu), postgres: perRequest(pgMine), generator: perRequest(r.cpuMs - r.startCpuMs) },
    };
    console.log(
      `${phase}: ${fmt(rate)} ${label === 'noop' ? 'requests' : 'settles'}/s over ${fmt(r.seconds, 1)} s (${fmt(r.responses)} responses, ${fmt(requests.made - before)} bodies made); ` +
        `latency p50 ${fmt(result.p50, 2)} ms, p99 ${fmt(result.p99, 2)} ms, max ${fmt(at(100), 1)} ms; ` +
        `status ${codes || 'none'}; non-2xx ${non2xx}, connection errors and timeouts ${r.errors}`,
    );
    console.log(
      `  cpu: server ${fmt(serverCpu)} ms (${fmt(result.cpu.server)} µs per request, ${fmt(serverCpu / 10 / r.seconds)}% of a core); ` +
        `load generator (${r.generator}) ${fmt(r.cpuMs)} ms${r.startCpuMs > 0 ? ` (${fmt(r.startCpuMs)} ms of it before the load, formatting the bodies; ${fmt(result.cpu.generator)} µs per request after)` : ''}` +
        (Number.isNaN(pgCpu) ? '' : `; postgres processes ${fmt(pgCpu)} ms (${fmt(perRequest(pgCpu))} µs per request, other databases' work included)`) +
        (Number.isNaN(pgMine) ? '' : `; of which this database's ${backends.length} backends ${fmt(result.cpu.postgres)} µs per request`),
    );
    console.log(`  server threads: ${threads}`);
    const path1 = path0 ? await settlePathMetrics(server.url, key) : undefined;
    if (path0 && path1) {
      const n = path1.transactions - path0.transactions;
      const seconds = path1.seconds - path0.seconds;
      console.log(
        `  settle path ${path1.path} (GET /metrics): ${fmt(n)} transactions, ${fmt((path1.settles - path0.settles) / Math.max(1, n), 1)} settles each, ` +
          `${fmt((seconds * 1000) / Math.max(1, n), 2)} ms each from BEGIN to COMMIT's return, ${fmt(seconds / r.seconds, 2)} under way on average`,
      );
    }
    if (pgDb && stats0) {
      // Backends publish their counters when idle, at most once a second.
      await new Promise((r) => setTimeout(r, 1500));
      const s1 = await pgDatabaseStats(pgDb);
      const per = (k: keyof PgStats) => fmt((s1[k] - stats0[k]) / Math.max(1, r.responses), 2);
      const commits = s1.commits - stats0.commits;
      console.log(
        `  postgres (this database): ${fmt(commits)} commits, ${fmt(r.responses / Math.max(1, commits), 1)} settles per transaction (two round trips each); ` +
          `per settle: ${per('inserted')} rows inserted, ${per('updated')} updated, ${per('deleted')} deleted; ${fmt(s1.rollbacks - stats0.rollbacks)} rollbacks`,
      );
    }
    for (const sample of r.samples) console.log(`  non-2xx sample: ${sample}`);
    out.push(result);
  }
  return out;
}

/** The service's settle path as its metrics show it (src/api/metrics.ts): the main queue's counters. */
async function settlePathMetrics(url: string, key: string): Promise<{ path: string; transactions: number; settles: number; seconds: number } | undefined> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } }).catch(() => undefined);
  if (!res?.ok) return undefined;
  const text = await res.text();
  const value = (name: string): { path: string; v: number } | undefined => {
    const m = new RegExp(`^${name}\\{queue="settle",path="([a-z-]+)"\\} (\\S+)$`, 'm').exec(text);
    return m ? { path: m[1] as string, v: Number(m[2]) } : undefined;
  };
  const t = value('yibao_settle_transactions_total');
  const st = value('yibao_settle_transaction_settles_total');
  const sec = value('yibao_settle_transaction_seconds_sum');
  return t && st && sec ? { path: t.path, transactions: t.v, settles: st.v, seconds: sec.v } : undefined;
}

async function benchStore(label: 'sqlite' | 'postgres', db: string, shown: string, o: Options): Promise<Outcome> {
  console.log(`\n== ${label}: ${shown}`);
  const created = await yibao(['keys', 'create', 'agency', '--db', db, '--label', 'bench']);
  if (created.code !== 0) throw new Error(`keys create failed (${created.code}): ${created.stderr}`);
  const key = created.stdout.trim();
  const server = await startServer(serveArgs(db, o, label));
  let ok = true;
  let acknowledged = 0;
  let measured: PhaseResult | undefined;
  let mode: string | undefined;
  try {
    const requests = new Requests(population(o.seed, o.persons), `b${Date.now().toString(36)}`, o.seed);
    console.log(`server ${server.url} (pid ${server.child.pid}); ${fmt(o.persons)} persons, ${o.connections} connections`);
    for (const r of await runPhases(label, server, key, requests, o, label === 'postgres' ? db : undefined)) {
      acknowledged += r.created;
      if (!r.ok) ok = false;
      measured = r;
    }
  } finally {
    await server.stop();
    // The mode measured, as the server itself reported it at start.
    mode = /^sqlite: (synchronous=\w+)/m.exec(server.stderr())?.[1];
    if (label === 'sqlite') console.log(`measured with ${mode ?? 'an unreported synchronous mode'}`);
    const log = server
      .stderr()
      .replace(/^.*serving on.*\n/m, '')
      .trim();
    if (log) console.log(`server log:\n${log.split('\n').slice(0, 20).join('\n')}`);
  }
  const verify = await yibao(['ledger', 'verify', '--db', db, '--json']);
  let entries = -1;
  try {
    const report = JSON.parse(verify.stdout) as { ok: boolean; checked: { entries: number; capRows: number; windowRows: number }; mismatches: string[] };
    entries = report.checked.entries;
    console.log(
      `ledger verify: ${report.ok ? 'ok' : 'MISMATCH'} (exit ${verify.code}); ${fmt(report.checked.entries)} entries, ${fmt(report.checked.capRows)} cap accumulators, ${fmt(report.checked.windowRows)} deductible windows` +
        (report.mismatches.length ? `\n  ${report.mismatches.slice(0, 10).join('\n  ')}` : ''),
    );
  } catch {
    console.log(`ledger verify: exit ${verify.code}\n${verify.stdout}${verify.stderr}`);
  }
  if (verify.code !== 0) ok = false;
  // A request in flight when the load generator stops may be committed without its answer being
  // read: at most one per connection per phase.
  const inFlight = o.connections * (o.warmup > 0 ? 2 : 1);
  if (entries < acknowledged || entries > acknowledged + inFlight) {
    console.log(`entries: the ledger holds ${fmt(entries)} entries for ${fmt(acknowledged)} acknowledged settles (+ at most ${inFlight} in flight at stop) — MISMATCH`);
    ok = false;
  } else console.log(`entries: ${fmt(entries)} in the ledger for ${fmt(acknowledged)} acknowledged settles (${entries - acknowledged} answered after the load generator stopped)`);
  return { store: label, mode, ok, measured };
}

async function calibrate(o: Options): Promise<Outcome> {
  console.log('\n== noop: the same requests to a Fastify route that settles nothing (the ceiling on this machine)');
  const server = await startServer(['--input-type=module', '-e', NOOP_SERVER]);
  try {
    const requests = new Requests(population(o.seed, o.persons), `n${Date.now().toString(36)}`, o.seed);
    const results = await runPhases('noop', server, 'none', requests, o);
    const measured = results[results.length - 1];
    return { store: 'noop', ok: results.every((r) => r.ok), measured };
  } finally {
    await server.stop();
  }
}

/** Issue 17's targets on a 2-core machine, load generator included: printed beside the figures, never enforced. */
const TARGETS: Record<string, { text: string; check: (m: PhaseResult, ofNoop: number | undefined) => boolean; rate: (noop: number | undefined) => number | undefined }> = {
  sqlite: { text: '≥ 50% of no-op, p99 < 10 ms', check: (m, r) => r !== undefined && r >= 0.5 && m.p99 < 10, rate: (noop) => (noop === undefined ? undefined : noop / 2) },
  postgres: { text: '≥ 3,500/s, p99 < 20 ms', check: (m) => m.rate >= 3500 && m.p99 < 20, rate: () => 3500 },
};

/**
 * The CPU budget: each store's CPU a request (server, its PostgreSQL backends, the load
 * generator), the rate at which that cost fills every core of this machine (no rate can be
 * higher, whatever the latency), and the cost a settle that the target's rate allows.
 */
function printBudget(rows: readonly { store: string; cpu: PhaseResult['cpu']; targetRate: number | undefined }[], cores: number): void {
  console.log(
    `\nCPU a request in the measured run, µs (${cores} cores, the load generator's included; medians). The ceiling: the rate at which that cost fills every core, whatever the latency:`,
  );
  console.log(
    `${'store'.padEnd(10)} ${'server'.padStart(7)} ${'postgres'.padStart(9)} ${'load gen'.padStart(9)} ${'total'.padStart(7)} ${'ceiling/s'.padStart(10)}   the target's rate, and what it allows`,
  );
  for (const { store, cpu, targetRate } of rows) {
    const total = cpu.server + (Number.isNaN(cpu.postgres) ? 0 : cpu.postgres) + cpu.generator;
    const allows =
      targetRate === undefined ? '' : `${fmt(targetRate)}/s: ≤ ${fmt((cores * 1e6) / targetRate)} µs a settle, ${fmt(total / ((cores * 1e6) / targetRate), 2)}× less than now`;
    const cell = (v: number) => (Number.isNaN(v) ? '-' : fmt(v));
    console.log(
      `${store.padEnd(10)} ${cell(cpu.server).padStart(7)} ${cell(cpu.postgres).padStart(9)} ${cell(cpu.generator).padStart(9)} ${cell(total).padStart(7)} ${cell((cores * 1e6) / total).padStart(10)}   ${allows}`,
    );
  }
}

async function main(): Promise<number> {
  onSignals('bench:api');
  const o = parseArgs(process.argv.slice(2));
  console.log(
    `yibao API bench: POST /v1/settlements, ${o.warmup} s warm-up + ${o.duration} s per store${o.rounds > 1 ? `, ${o.rounds} rounds` : ''}, node ${process.version}, ${cpus().length} CPUs`,
  );
  const rounds: Outcome[][] = [];
  for (let round = 1; round <= o.rounds; round++) {
    if (o.rounds > 1) console.log(`\n######## round ${round} of ${o.rounds}`);
    const outcomes: Outcome[] = [];
    if (o.calibrate) outcomes.push(await calibrate(o));
    outcomes.push(
      ...(await eachStore(
        o.store,
        o.pg,
        (label, db, shown) => benchStore(label, db, shown, o),
        (label, name) => (label === 'sqlite' ? `${name} (WAL, synchronous=${o.sqliteSync})` : name),
      )),
    );
    rounds.push(outcomes);
  }
  const all = rounds.flat();
  const stores = [...new Set(all.map((x) => x.store))];
  console.log(
    `\nsummary (${o.connections} connections, ${o.duration} s measured each${o.rounds > 1 ? `; medians of ${o.rounds} rounds, each store's share of the no-op route of its own round, ranges in brackets` : ''}):`,
  );
  console.log(`${'store'.padEnd(10)} ${'settles/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'of no-op'.padStart(9)}   ok    target (issue 17)`);
  for (const store of stores) {
    const runs = rounds.map((r) => ({ x: r.find((x) => x.store === store), noop: r.find((x) => x.store === 'noop')?.measured })).filter((r) => r.x);
    const measured = runs.flatMap((r) => (r.x?.measured ? [r.x.measured] : []));
    const ratios = runs.flatMap((r) => (r.x?.measured && r.noop && store !== 'noop' ? [r.x.measured.rate / r.noop.rate] : []));
    const m: PhaseResult | undefined = measured.length
      ? { ...(measured[0] as PhaseResult), rate: median(measured.map((x) => x.rate)), p50: median(measured.map((x) => x.p50)), p99: median(measured.map((x) => x.p99)) }
      : undefined;
    const ratio = ratios.length ? median(ratios) : undefined;
    const ok = runs.every((r) => r.x?.ok);
    const t = TARGETS[store];
    const verdict = t && m ? (t.check(m, ratio) ? 'met' : 'NOT met') : '';
    const range = (v: number[], digits = 0) => (o.rounds > 1 && v.length > 1 ? ` [${fmt(Math.min(...v), digits)}–${fmt(Math.max(...v), digits)}]` : '');
    const mode = runs.find((r) => r.x?.mode)?.x?.mode;
    console.log(
      `${store.padEnd(10)} ${(m ? fmt(m.rate) : '-').padStart(9)} ${(m ? fmt(m.p50, 2) : '-').padStart(8)} ${(m ? fmt(m.p99, 2) : '-').padStart(8)} ${(ratio !== undefined ? `${fmt(ratio * 100, 1)}%` : '-').padStart(9)}   ${(ok ? 'yes' : 'NO').padEnd(5)} ${t ? `${t.text}: ${verdict}` : store === 'noop' ? '(the ceiling: requests/s)' : ''}${mode ? `   (${mode})` : ''}` +
        (o.rounds > 1
          ? `\n${''.padEnd(10)} rates${range(measured.map((x) => x.rate))}, p99${range(
              measured.map((x) => x.p99),
              1,
            )} ms${
              ratios.length
                ? `, of no-op${range(
                    ratios.map((r) => r * 100),
                    1,
                  )}%`
                : ''
            }`
          : ''),
    );
  }
  const noopRate = (r: Outcome[]) => r.find((x) => x.store === 'noop')?.measured?.rate;
  const noopRates = rounds.flatMap((r) => noopRate(r) ?? []);
  printBudget(
    stores.flatMap((store) => {
      const measured = rounds.flatMap((r) => r.find((x) => x.store === store)?.measured ?? []);
      if (measured.length === 0) return [];
      const cpu = {
        server: median(measured.map((m) => m.cpu.server)),
        postgres: median(measured.map((m) => m.cpu.postgres)),
        generator: median(measured.map((m) => m.cpu.generator)),
      };
      return [{ store, cpu, targetRate: TARGETS[store]?.rate(noopRates.length ? median(noopRates) : undefined) }];
    }),
    cpus().length,
  );
  const failed = all.filter((x) => !x.ok);
  console.log(failed.length ? `\nFAILED: ${[...new Set(failed.map((x) => x.store))].join(', ')}` : '\nok');
  return failed.length ? 1 : 0;
}

/** The median of some numbers (the mean of the middle two when there is an even count). */
function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`bench:api: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
