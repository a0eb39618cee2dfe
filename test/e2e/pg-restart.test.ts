/**
 * PostgreSQL stopped under load and started again, with `yibao serve` running over it throughout.
 *
 * The test's own cluster (support/pg-cluster.ts: initdb in a temporary directory on a free port;
 * the shared server is never touched). A real `yibao serve` process; clients settle from several
 * loops at once; mid-load the cluster is stopped as a crash (`pg_ctl stop -m immediate`). While it
 * is down every request must be answered, within a bound, 503 with a stable code
 * (STORE_UNAVAILABLE, or OVERLOADED when the waiting list is full) — never a 500, never a hang —
 * and /readyz must say not ready. The cluster is started again: the same process must serve again
 * without a restart. Then every settlement acknowledged (201) is in the ledger, identical, and every
 * request that was not acknowledged, sent again with its request id, is settled exactly once (201
 * if its transaction never committed, 200 with the entry if it had committed and only its answer
 * was lost); the ledger holds each request id once and nothing else, and verifies.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterAvailable, PG_BIN, startCluster, type Cluster } from '../support/pg-cluster.js';
import { call, killServers, serve, yibao, type Answer, type ServeProcess } from '../support/serve-process.js';

// Load shape and bounds.
const LOOPS = 12;
const PERSONS = 150;
/** Acknowledged before the stop, at least. */
const MIN_ACKED_BEFORE = 80;
/** How long the database stays down while the loops keep sending. */
const DOWN_MS = 2_000;
/** Acknowledged after the start again, at least (the service serves again). */
const MIN_ACKED_AFTER = 80;
/** Every request is answered within this (the pool's connect timeout, 5 s, and some). */
const ANSWER_BOUND_MS = 8_000;
const MAX_REQUESTS = 20_000;

interface Sent {
  body: ReturnType<typeof settleBody>;
  phase: 'up' | 'down' | 'back';
  answer?: Answer;
  /** A failure to get any answer (network error, timeout): never expected, the process stays up. */
  failure?: string;
}

/** The n-th request: a Luoyang resident's outpatient visit at a county hospital in 2024, 60.00–259.99 yuan. */
function settleBody(n: number) {
  const p = n % PERSONS;
  const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(n / PERSONS) * 86_400_000).toISOString().slice(0, 10);
  return {
    requestId: `restart-${n}`,
    person: { id: `R${String(p).padStart(4, '0')}`, region: '410300', scheme: 'resident', category: 'adult' },
    visit: {
      id: `R${p}-v${n}`,
      time: `${day}T09:00:00+08:00`,
      type: 'outpatient',
      institution: { id: 'LY-H1', tier: 'county', grade: 2, contracted: true },
      total: `${60 + (n % 200)}.${String(n % 100).padStart(2, '0')}`,
    },
  };
}

afterAll(() => killServers());

describe.skipIf(!clusterAvailable)(`PostgreSQL stopped and started under load${clusterAvailable ? '' : ` — SKIPPED: no ${PG_BIN}/initdb`}`, () => {
  let cluster: Cluster | undefined;
  let server: ServeProcess | undefined;

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await cluster?.remove();
  });

  it('answers 503 while the database is down, serves again when it is back, and loses nothing acknowledged', async () => {
    cluster = await startCluster();
    const db = cluster.url;
    // `keys create` migrates the new database.
    const key = (await yibao(['keys', 'create', 'agency', '--db', db])).stdout.trim();
    expect(key).not.toBe('');
    server = await serve(db);
    const base = server.base;

    const sent: Sent[] = [];
    let phase: Sent['phase'] = 'up';
    let stopping = false;
    const acked = (p: Sent['phase']) => sent.filter((s) => s.phase === p && s.answer?.status === 201).length;
    const loop = async () => {
      while (!stopping && sent.length < MAX_REQUESTS) {
        const s: Sent = { body: settleBody(sent.length), phase };
        sent.push(s);
        try {
          s.answer = await call(base, key, 'POST', '/v1/settlements', s.body, ANSWER_BOUND_MS);
        } catch (e) {
          s.failure = String((e as Error)?.cause ?? e);
        }
        // While the database is down the answers come at once: a short pause keeps the count sane.
        if (s.answer?.status === 503) await new Promise((r) => setTimeout(r, 20));
      }
    };
    const until = async (done: () => boolean, what: string, ms = 30_000) => {
      const t0 = Date.now();
      while (!done()) {
        if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms\n${server?.log() ?? ''}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    const loops = Array.from({ length: LOOPS }, loop);
    try {
      await until(() => acked('up') >= MIN_ACKED_BEFORE, 'acknowledged before the stop');

      // Down, as a crash: no checkpoint, connections cut.
      phase = 'down';
      await cluster.stop('immediate');
      const tDown = Date.now();
      const readyDown = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) }).catch(async (e: unknown) => {
        await new Promise((r) => setTimeout(r, 200));
        throw new Error(`readyz: ${String(e)}; the service: exit ${server?.child.exitCode ?? server?.child.signalCode}\n${server?.log()}`);
      });
      expect(readyDown.status, 'readyz while the database is down').toBe(503);
      await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - tDown))));
      const readyStillDown = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
      expect(readyStillDown.status).toBe(503);

      // Back: the same process serves again, without a restart.
      await cluster.start();
      phase = 'back';
      await until(() => acked('back') >= MIN_ACKED_AFTER, 'acknowledged after the database came back');
      const readyBack = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
      expect(readyBack.status, 'readyz once the database is back').toBe(200);
    } finally {
      stopping = true;
      await Promise.all(loops);
    }
    expect(server.child.exitCode, 'the service kept running').toBeNull();

    // Every request answered, within the bound; only 201 and 503 (with its stable codes).
    expect(
      sent.filter((s) => s.failure).map((s) => `${s.body.requestId}: ${s.failure}`),
      'requests without an answer',
    ).toEqual([]);
    const slow = sent.filter((s) => (s.answer?.ms ?? 0) > ANSWER_BOUND_MS).map((s) => `${s.body.requestId}: ${s.answer?.ms.toFixed(0)} ms`);
    expect(slow).toEqual([]);
    const odd = sent
      .filter((s) => s.answer && s.answer.status !== 201 && !(s.answer.status === 503 && ['STORE_UNAVAILABLE', 'OVERLOADED'].includes(s.answer.json?.error?.code)))
      .map((s) => `${s.body.requestId} (${s.phase}): HTTP ${s.answer?.status} ${s.answer?.text.slice(0, 300)}`);
    expect(odd, 'answers other than 201 and 503 STORE_UNAVAILABLE/OVERLOADED').toEqual([]);
    const down = sent.filter((s) => s.phase === 'down');
    const unavailable = down.filter((s) => s.answer?.json?.error?.code === 'STORE_UNAVAILABLE');
    expect(unavailable.length, 'requests answered 503 STORE_UNAVAILABLE while the database was down').toBeGreaterThan(0);

    // Every request not acknowledged, again with its request id: settled once (201), or the entry
    // its lost answer carried (200).
    const notAcked = sent.filter((s) => s.answer?.status !== 201);
    const again: Answer[] = [];
    for (const s of notAcked) {
      const r = await call(base, key, 'POST', '/v1/settlements', s.body);
      expect([200, 201], `${s.body.requestId} again: HTTP ${r.status} ${r.text.slice(0, 300)}`).toContain(r.status);
      expect(r.json).toMatchObject({ kind: 'settlement', requestId: s.body.requestId, visitId: s.body.visit.id });
      again.push(r);
    }
    // And once more: the same entry, as a replay.
    for (const [i, s] of notAcked.slice(0, 20).entries()) {
      const r = await call(base, key, 'POST', '/v1/settlements', s.body);
      expect(r.status).toBe(200);
      expect(r.json).toEqual(again[i]?.json);
    }

    // The ledger: every request id once, each acknowledged entry with its id, nothing else.
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string; request_id: string; visit_id: string }>("select id, request_id, visit_id from settlements where kind = 'settlement'");
      const byRequest = new Map(rows.map((r) => [r.request_id, r]));
      expect(rows.length, 'entries in the ledger = requests sent (each settled exactly once)').toBe(sent.length);
      expect(byRequest.size).toBe(sent.length);
      expect(new Set(rows.map((r) => r.visit_id)).size).toBe(sent.length);
      const lost = sent
        .filter((s) => s.answer?.status === 201 && byRequest.get(s.body.requestId)?.id !== s.answer.json.id)
        .map((s) => `${s.body.requestId} → ${s.answer?.json?.id}: ${byRequest.get(s.body.requestId)?.id ?? 'missing'}`);
      expect(lost, 'acknowledged settlements lost or changed').toEqual([]);
      const retried = notAcked.filter((s, i) => byRequest.get(s.body.requestId)?.id !== again[i]?.json?.id).map((s) => s.body.requestId);
      expect(retried, 'retried requests whose entry is not the one answered').toEqual([]);
    } finally {
      await client.end();
    }

    await server.stop('SIGTERM');
    server = undefined;
    const verified = await yibao(['ledger', 'verify', '--db', db]);
    // (a nonzero exit rejects)
    expect(verified.stdout).toMatch(/agrees with the entries/);

    const answeredLate = again.filter((r) => r.status === 200).length;
    console.log(
      `[pg-restart] ${sent.length} requests: ${acked('up')} acknowledged before the stop, ${down.length} while down (${unavailable.length} STORE_UNAVAILABLE), ` +
        `${acked('back')} after; ${notAcked.length} not acknowledged, sent again: ${again.length - answeredLate} settled (201), ${answeredLate} had committed (200); ` +
        `slowest answer ${Math.max(...sent.map((s) => s.answer?.ms ?? 0)).toFixed(0)} ms`,
    );
  }, 120_000);
});
