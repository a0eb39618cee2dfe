/**
 * Several `yibao serve` processes over one PostgreSQL database (docs/operations.md): settles/s with
 * 1, 2, … instances, the load spread evenly over them (as a load balancer would).
 *
 *   npm run bench:instances
 *   node dist/bench/instances.js --instances 1,2 --duration 10 --connections 32 --persons 20000
 *   node dist/bench/instances.js --pg postgres://postgres@127.0.0.1:5432/test --pool-size 8
 *
 * For each count: a fresh database on the loopback server (--pg / YIBAO_BENCH_PG, default
 * postgres://postgres@127.0.0.1:5432/test; created and dropped), `yibao keys create`, that many
 * `yibao serve` processes on it, then autocannon in this process with one client per instance
 * (the connections shared out among them): a warm-up, then a timed run. Prints settles/s, p50/p99
 * and the status counts; then checks with `yibao ledger verify` that the accumulators agree with
 * the entries and that the ledger holds every acknowledged settle. Exits 1 on a non-2xx answer, a
 * failed request or a mismatch. The load generator takes most of a core of its own: on a 2-core
 * machine the figures measure the machine as much as the instances.
 */
import autocannon from 'autocannon';
import { eachOption, fmt } from './cli.js';
import { BIN, eachStore, onSignals, startServer, yibao, type Server } from './serve.js';
import { population, Requests } from './population.js';

interface Options {
  instances: number[];
  duration: number;
  warmup: number;
  connections: number;
  persons: number;
  pg: string;
  poolSize: number | undefined;
  seed: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    instances: [1, 2],
    duration: 10,
    warmup: 3,
    connections: 32,
    persons: 20_000,
    pg: process.env.YIBAO_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
    poolSize: undefined,
    seed: 20240101,
  };
  eachOption(argv, (a, { next, int }) => {
    switch (a) {
      case '--instances':
        o.instances = next()
          .split(',')
          .map((s) => Number(s));
        if (o.instances.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new Error('--instances: counts from 1 to 8, separated by commas');
        break;
      case '--duration':
        o.duration = int(1, 600);
        break;
      case '--warmup':
        o.warmup = int(0, 600);
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
        o.poolSize = int(1, 100);
        break;
      case '--seed':
        o.seed = int(0, 2 ** 31 - 1);
        break;
      default:
        throw new Error(`unknown option ${a} (options: --instances --duration --warmup --connections --persons --pg --pool-size --seed)`);
    }
  });
  return o;
}

interface Phase {
  rate: number;
  p50: number;
  p99: number;
  created: number;
  ok: boolean;
}

/** autocannon against each server at once, the connections shared out; the answers summed. */
async function load(servers: Server[], key: string, requests: Requests, seconds: number, connections: number): Promise<Phase & { line: string }> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const samples: string[] = [];
  const runs = servers.map(
    (s, i) =>
      new Promise<{ errors: number; duration: number }>((resolve, reject) => {
        const share = Math.floor(connections / servers.length) + (i < connections % servers.length ? 1 : 0);
        const instance = autocannon(
          {
            url: s.url,
            connections: Math.max(1, share),
            pipelining: 1,
            duration: seconds,
            timeout: 10,
            requests: [
              {
                method: 'POST',
                path: '/v1/settlements',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
                setupRequest: (req) => ({ ...req, body: requests.body() }),
                onResponse: (status, body) => {
                  if ((status < 200 || status > 299) && samples.length < 5) samples.push(`${status} ${body.slice(0, 300)}`);
                },
              },
            ],
          },
          (err, result) => (err ? reject(err) : resolve({ errors: result.errors + result.timeouts, duration: result.duration })),
        );
        instance.on('response', (_c: unknown, status: number, _b: number, ms: number) => {
          latencies.push(ms);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        });
      }),
  );
  const done = await Promise.all(runs);
  const errors = done.reduce((n, d) => n + d.errors, 0);
  const duration = Math.max(...done.map((d) => d.duration));
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  const non2xx = [...statuses].filter(([st]) => st < 200 || st > 299).reduce((n, [, c]) => n + c, 0);
  const rate = latencies.length / duration;
  const codes = [...statuses].map(([st, c]) => `${st}×${fmt(c)}`).join(' ');
  return {
    rate,
    p50: at(50),
    p99: at(99),
    created: statuses.get(201) ?? 0,
    ok: non2xx === 0 && errors === 0 && latencies.length > 0,
    line:
      `${fmt(rate)} settles/s over ${fmt(duration, 1)} s; p50 ${fmt(at(50), 2)} ms, p99 ${fmt(at(99), 2)} ms, max ${fmt(sorted[sorted.length - 1] ?? 0, 1)} ms; ` +
      `status ${codes || 'none'}; errors and timeouts ${errors}${samples.length ? `\n  non-2xx: ${samples.join('\n  non-2xx: ')}` : ''}`,
  };
}

async function benchCount(n: number, db: string, o: Options): Promise<Phase & { n: number }> {
  const created = await yibao(['keys', 'create', 'agency', '--db', db, '--label', 'bench']);
  if (created.code !== 0) throw new Error(`keys create failed (${created.code}): ${created.stderr}`);
  const key = created.stdout.trim();
  const args = [BIN, 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', ...(o.poolSize ? ['--pool-size', String(o.poolSize)] : [])];
  const servers = await Promise.all(Array.from({ length: n }, () => startServer(args)));
  let acknowledged = 0;
  let measured: Phase | undefined;
  let ok = true;
  try {
    const requests = new Requests(population(o.seed, o.persons), `i${n}-${Date.now().toString(36)}`, o.seed);
    for (const [phase, seconds] of [
      ['warm-up', o.warmup],
      ['measured', o.duration],
    ] as const) {
      if (seconds === 0) continue;
      const r = await load(servers, key, requests, seconds, o.connections);
      console.log(`${n} instance${n > 1 ? 's' : ''}, ${phase}: ${r.line}`);
      acknowledged += r.created;
      ok &&= r.ok;
      measured = r;
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  const verify = await yibao(['ledger', 'verify', '--db', db, '--json']);
  const entries = verify.code === 0 ? (JSON.parse(verify.stdout) as { checked: { entries: number } }).checked.entries : -1;
  // A request in flight when a phase ended may commit unanswered: at most one per connection per phase.
  const inFlight = o.connections * 2;
  const agrees = verify.code === 0 && entries >= acknowledged && entries <= acknowledged + inFlight;
  console.log(`  ledger verify: exit ${verify.code}; ${fmt(entries)} entries for ${fmt(acknowledged)} acknowledged settles${agrees ? '' : ' — MISMATCH'}`);
  return { n, ...(measured ?? { rate: Number.NaN, p50: Number.NaN, p99: Number.NaN, created: 0, ok: false }), ok: ok && agrees };
}

async function main(): Promise<number> {
  onSignals('bench:instances');
  const o = parseArgs(process.argv.slice(2));
  console.log(
    `yibao instances bench: POST /v1/settlements over ${o.instances.join(', ')} yibao serve process(es) on one PostgreSQL database; ${o.warmup} s warm-up + ${o.duration} s, ` +
      `${o.connections} connections, ${fmt(o.persons)} persons, node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`,
  );
  const results: (Phase & { n: number })[] = [];
  for (const n of o.instances) {
    const [r] = await eachStore('postgres', o.pg, (_label, db) => benchCount(n, db, o));
    if (r) results.push(r);
  }
  console.log('\ninstances  settles/s   p50 ms   p99 ms   ok');
  for (const r of results) console.log(`${String(r.n).padEnd(10)} ${fmt(r.rate).padStart(9)} ${fmt(r.p50, 2).padStart(8)} ${fmt(r.p99, 2).padStart(8)}   ${r.ok ? 'yes' : 'NO'}`);
  return results.length > 0 && results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`bench:instances: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
