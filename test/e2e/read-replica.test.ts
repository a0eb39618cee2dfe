/**
 * The analysis reads on a read replica (`yibao serve --read-db`), over real streaming replication.
 *
 * Two clusters of the test's own (support/pg-cluster.ts; the shared server is never touched): a
 * primary with wal_level=replica, and a hot standby made from it with pg_basebackup -R. A real
 * `yibao serve --db primary --read-db standby`. Visits are settled; once the standby has replayed
 * them, the routed reads (fund statistics) are correct. Then replay is paused on the standby
 * (pg_wal_replay_pause()): a new settlement and a new supervision run are on the primary (their
 * own answers, the person's accumulators: read there) but not in the routed reads (fund
 * statistics, the list of runs), which come from the standby — and /readyz says replay is paused.
 * Resumed, the routed reads catch up. The standby stopped: the routed reads (statistics,
 * clearing's statement list and views, supervision's lists and counts) answer 503
 * STORE_UNAVAILABLE naming the replica, while settles and the primary's reads go on and /readyz
 * stays ready, reporting the replica unavailable; started again, they answer again.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_BIN, standbyAvailable, startCluster, startStandby, type Cluster } from '../support/pg-cluster.js';
import { call, killServers, serve, yibao, type ServeProcess } from '../support/serve-process.js';

const PERSONS = 40;
const SETTLED_FIRST = 120;

/** The n-th request: a Luoyang resident's outpatient visit at a county hospital in 2024. */
function settleBody(n: number) {
  const p = n % PERSONS;
  const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(n / PERSONS) * 86_400_000).toISOString().slice(0, 10);
  return {
    requestId: `rr-${n}`,
    person: { id: `RR${String(p).padStart(4, '0')}`, region: '410300', scheme: 'resident', category: 'adult' },
    visit: {
      id: `RR${p}-v${n}`,
      time: `${day}T09:00:00+08:00`,
      type: 'outpatient',
      institution: { id: 'LY-H1', tier: 'county', grade: 2, contracted: true },
      total: `${60 + (n % 200)}.${String(n % 100).padStart(2, '0')}`,
    },
  };
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function until(done: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!(await done())) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterAll(() => killServers());

describe('--read-db is refused without PostgreSQL', () => {
  it('a SQLite ledger, or a replica that is not a postgres:// URL, or a command that writes: exit 2 with the reason', async () => {
    const sqlite = await yibao(['serve', '--db', '/nonexistent-dir/yibao.db', '--read-db', 'postgres://postgres@127.0.0.1:1/x']).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(sqlite?.code).toBe(2);
    expect(sqlite?.stderr).toMatch(/--read-db: a read replica is for a PostgreSQL ledger; this ledger is the SQLite file/);
    const notPg = await yibao(['serve', '--db', 'postgres://postgres@127.0.0.1:1/x', '--read-db', './replica.db']).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(notPg?.code).toBe(2);
    expect(notPg?.stderr).toMatch(/--read-db must be a postgres:\/\/ URL/);
    const cli = await yibao(['supervise', 'counts', '--db', '/nonexistent-dir/yibao.db', '--read-db', 'postgres://postgres@127.0.0.1:1/x']).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(cli?.code).toBe(2);
    expect(cli?.stderr).toMatch(/--read-db: a read replica is for a PostgreSQL ledger/);
    const write = await yibao(['supervise', 'status', 'F-1', '--to', 'open', '--reason', 'x', '--db', '/nonexistent-dir/yibao.db', '--read-db', 'postgres://x@h/y']).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(write?.code).toBe(2);
    expect(write?.stderr).toMatch(/--read-db does not go with supervise status/);
  });
});

describe.skipIf(!standbyAvailable)(`the analysis reads on a streaming standby${standbyAvailable ? '' : ` — SKIPPED: no ${PG_BIN}/initdb, pg_ctl or pg_basebackup`}`, () => {
  let primary: Cluster | undefined;
  let standby: Cluster | undefined;
  let server: ServeProcess | undefined;

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await standby?.remove();
    await primary?.remove();
  });

  it('reads statistics, clearing and supervision lists from the standby, a moment behind; 503 STORE_UNAVAILABLE while it is away', async () => {
    primary = await startCluster({ replication: true });
    // `keys create` migrates the primary; the standby gets the schema by replication.
    const key = (await yibao(['keys', 'create', 'agency', '--db', primary.url])).stdout.trim();
    standby = await startStandby(primary);
    const p = primary.url;
    const s = standby.url;
    expect((await query<{ r: boolean }>(s, 'select pg_is_in_recovery() as r'))[0]?.r, 'the standby is in recovery').toBe(true);
    // A database that answers but is not the ledger's replica: refused at start.
    const wrong = await yibao(['serve', '--db', p, '--port', '0', '--read-db', s.replace(/\/postgres$/, '/template1')]).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(wrong?.code).toBe(2);
    expect(wrong?.stderr).toMatch(/--read-db: postgres:\/\/postgres@127\.0\.0\.1:\d+\/template1 answers but holds no yibao ledger/);
    server = await serve(p, ['--read-db', s]);
    const announced = /read replica: postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres for the analysis reads.*a standby in recovery/;
    await until(async () => announced.test(server?.log() ?? ''), `serve names its read replica\n${server.log()}`, 10_000);
    const base = server.base;
    const get = (path: string) => call(base, key, 'GET', path);

    const settle = async (n: number) => {
      const r = await call(base, key, 'POST', '/v1/settlements', settleBody(n));
      expect(r.status, r.text).toBe(201);
      return r;
    };
    for (let n = 0; n < SETTLED_FIRST; n++) await settle(n);

    // The standby replays up to the primary's WAL position after the settles.
    const caughtUp = async () => {
      const t = performance.now();
      const [at] = await query<{ lsn: string }>(p, 'select pg_current_wal_lsn()::text as lsn');
      await until(async () => (await query<{ ok: boolean }>(s, 'select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [at?.lsn]))[0]?.ok === true, 'the standby replays');
      return performance.now() - t;
    };
    const firstWait = await caughtUp();

    // Correct: the statistics from the standby agree with the primary's entries, to the fen.
    const truth = async () =>
      (
        await query<{ n: string; total: string; fund: string }>(
          p,
          "select count(*) as n, sum(total_fen) as total, sum(fund_pay_fen) as fund from settlements where kind = 'settlement'",
        )
      )[0];
    const t0 = await truth();
    const stats0 = await get('/v1/stats/fund?year=2024');
    expect(stats0.status, stats0.text).toBe(200);
    expect(stats0.json.totals.settlements).toBe(SETTLED_FIRST);
    expect(Number(t0?.n)).toBe(SETTLED_FIRST);
    expect(Math.round(stats0.json.totals.total * 100)).toBe(Number(t0?.total));
    expect(Math.round(stats0.json.totals.fundPay * 100)).toBe(Number(t0?.fund));
    // The read went to the standby's pool (application_name yibao-read), not to the primary's.
    const readersOn = async (url: string) => Number((await query<{ n: string }>(url, "select count(*) as n from pg_stat_activity where application_name = 'yibao-read'"))[0]?.n);
    expect(await readersOn(s), "the replica pool's connections on the standby").toBeGreaterThan(0);
    expect(await readersOn(p), "the replica pool's connections on the primary").toBe(0);

    const ready0 = await fetch(`${base}/readyz`);
    const r0 = (await ready0.json()) as any;
    expect(ready0.status).toBe(200);
    expect(r0.replica).toMatchObject({ status: 'ready', ledger: true, inRecovery: true, replayPaused: false });

    // Clearing's registry (on the primary), so that January can be closed.
    for (const [path, body] of [
      ['/v1/clearing/districts/410305', { name: '涧西区', region: '410300', level: 'urban' }],
      ['/v1/clearing/centres/410300', { name: '洛阳市医保中心', level: 'city', region: '410300' }],
      ['/v1/clearing/institutions/LY-H1', { district: '410305' }],
    ] as const) {
      const r = await call(base, key, 'PUT' as 'POST', path, body);
      expect(r.status, `${path}: ${r.text}`).toBe(201);
    }

    // Replay paused: the standby stands still.
    await query(s, 'select pg_wal_replay_pause()');
    await until(async () => (await query<{ st: string }>(s, 'select pg_get_wal_replay_pause_state() as st'))[0]?.st === 'paused', 'replay pauses');
    const last = await settle(SETTLED_FIRST);
    const runsBefore = await get('/v1/supervision/runs');
    expect(runsBefore.status, runsBefore.text).toBe(200);
    const run = await call(base, key, 'POST', '/v1/supervision/runs', { incremental: true });
    expect(run.status, run.text).toBe(201);
    expect(Number((await query<{ n: string }>(p, 'select count(*) as n from supervision_runs'))[0]?.n), 'the run on the primary').toBe(runsBefore.json.total + 1);

    const close = await call(base, key, 'POST', '/v1/clearing/periods/2024-01/close');
    expect(close.status, close.text).toBe(201);

    // The primary's reads see the new writes: the settlement's own entry, the person's year, the run, the close.
    const person = settleBody(SETTLED_FIRST).person.id;
    const entry = await get(`/v1/settlements/${last.json.id}`);
    expect(entry.status, entry.text).toBe(200);
    const history = await get(`/v1/persons/${person}/settlements?year=2024`);
    expect(history.status, history.text).toBe(200);
    expect(history.json.entries.map((e: { id: string }) => e.id)).toContain(last.json.id);
    const runOne = await get(`/v1/supervision/runs/${run.json.id}`);
    expect(runOne.status, runOne.text).toBe(200);
    const closed = await get('/v1/clearing/periods/2024-01');
    expect(closed.status, closed.text).toBe(200);
    // The routed reads do not, yet: they come from the paused standby.
    const statsPaused = await get('/v1/stats/fund?year=2024');
    expect(statsPaused.json.totals.settlements, 'fund statistics while replay is paused').toBe(SETTLED_FIRST);
    const runsPaused = await get('/v1/supervision/runs');
    expect(runsPaused.json.total, 'runs listed while replay is paused').toBe(runsBefore.json.total);
    for (const view of ['centres', 'districts']) {
      const r = await get(`/v1/clearing/periods/2024-01/${view}`);
      expect(r.status, `the ${view} view while replay is paused: January is not closed on the replica`).toBe(404);
      expect(r.json.error.message).toMatch(/2024-01 is not closed/);
    }
    // The command line too: --read-db reads the runs and the month's report on the replica.
    const cliRuns = async (...read: string[]) => JSON.parse((await yibao(['supervise', 'runs', '--db', p, ...read, '--format', 'json'])).stdout).total as number;
    expect(await cliRuns('--read-db', s), 'yibao supervise runs --read-db while replay is paused').toBe(runsBefore.json.total);
    expect(await cliRuns(), 'yibao supervise runs on the primary').toBe(runsBefore.json.total + 1);
    const report = (...read: string[]) =>
      yibao(['clearing', 'report', '--period', '2024-01', '--db', p, ...read, '--format', 'json']).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
      );
    const reportReplica = await report('--read-db', s);
    expect(reportReplica.code, reportReplica.out).toBe(1);
    expect(reportReplica.out).toMatch(/2024-01 is not closed/);
    expect((await report()).code, 'yibao clearing report on the primary').toBe(0);
    const readyPaused = (await (await fetch(`${base}/readyz`)).json()) as any;
    expect(readyPaused.replica).toMatchObject({ status: 'ready', inRecovery: true, replayPaused: true });
    expect(readyPaused.replica.replayLagMs).toBeGreaterThanOrEqual(0);

    // Resumed: the routed reads catch up.
    await query(s, 'select pg_wal_replay_resume()');
    const resumedWait = await caughtUp();
    const statsAfter = await get('/v1/stats/fund?year=2024');
    expect(statsAfter.json.totals.settlements).toBe(SETTLED_FIRST + 1);
    const t1 = await truth();
    expect(Math.round(statsAfter.json.totals.total * 100)).toBe(Number(t1?.total));
    const runsAfter = await get('/v1/supervision/runs');
    expect(runsAfter.json.total).toBe(runsBefore.json.total + 1);
    expect(runsAfter.json.runs.map((r: { id: string }) => r.id)).toContain(run.json.id);
    // The views exist on the replica once it has replayed the close. (The visits were settled now,
    // and a month closes by settlement time: January holds no statements, the district's balance is 0.)
    const centresAfter = await get('/v1/clearing/periods/2024-01/centres');
    expect(centresAfter.status, centresAfter.text).toBe(200);
    expect(centresAfter.json).toEqual({ period: '2024-01', centres: [] });
    const districtsAfter = await get('/v1/clearing/periods/2024-01/districts');
    expect(districtsAfter.status, districtsAfter.text).toBe(200);
    expect(districtsAfter.json.districts.map((d: { district: string; balance: number }) => [d.district, d.balance])).toEqual([['410305', 0]]);
    const readyAfter = (await (await fetch(`${base}/readyz`)).json()) as any;
    expect(readyAfter.replica).toMatchObject({ status: 'ready', replayPaused: false, replayLagMs: 0 });

    // The standby away: the routed reads answer 503 STORE_UNAVAILABLE naming it; the rest goes on.
    await standby.stop('immediate');
    const routed = [
      '/v1/stats/fund?year=2024',
      '/v1/clearing/statements',
      '/v1/clearing/periods/2024-01/centres',
      '/v1/clearing/periods/2024-01/districts',
      '/v1/supervision/runs',
      '/v1/supervision/findings',
      '/v1/supervision/findings/counts',
    ];
    for (const path of routed) {
      const r = await get(path);
      expect(r.status, `${path}: ${r.text}`).toBe(503);
      expect(r.json.error.code).toBe('STORE_UNAVAILABLE');
      expect(r.json.error.message).toMatch(/^the read replica cannot be reached/);
    }
    await settle(SETTLED_FIRST + 1);
    for (const path of ['/v1/clearing/periods', `/v1/persons/${person}/settlements?year=2024`, `/v1/supervision/runs/${run.json.id}`]) {
      const r = await get(path);
      expect(r.status, `${path} (on the primary) while the replica is away: ${r.text}`).toBe(200);
    }
    const readyDown = await fetch(`${base}/readyz`);
    expect(readyDown.status, 'ready: the primary serves').toBe(200);
    expect(((await readyDown.json()) as any).replica).toMatchObject({ status: 'unavailable' });

    // Back: the same process reads from it again.
    await standby.start();
    await caughtUp();
    const statsBack = await get('/v1/stats/fund?year=2024');
    expect(statsBack.status, statsBack.text).toBe(200);
    expect(statsBack.json.totals.settlements).toBe(SETTLED_FIRST + 2);
    for (const path of routed) {
      const r = await get(path);
      expect(r.status, `${path} with the replica back: ${r.text}`).toBe(200);
    }
    expect(server.child.exitCode, 'the service kept running').toBeNull();
    console.log(
      `[read-replica] the standby had replayed the primary's WAL ${firstWait.toFixed(0)} ms after ${SETTLED_FIRST} settles were acknowledged, ` +
        `${resumedWait.toFixed(0)} ms after replay was resumed (polled every 50 ms); replica lag at the paused /readyz: ${readyPaused.replica.replayLagMs} ms`,
    );
  }, 120_000);
});
