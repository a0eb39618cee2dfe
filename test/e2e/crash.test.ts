/**
 * Crash recovery of the HTTP service, on both stores.
 *
 * The service runs as a child process (`yibao serve`) and is put under concurrent settle load;
 * then it is killed with SIGKILL mid-load (no chance to clean up) and restarted on the same store.
 * What the service acknowledged (201 with an entry) must have survived exactly, the accumulators
 * must agree with the entries (`yibao ledger verify`), and a retry of a request that was in flight
 * at the kill must be answered with the original entry (200) or settled once (201) — never twice.
 *
 * Loopback only, bounded in time and request count; every process started here is killed in
 * afterAll / afterEach even when an assertion fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PG_ADMIN_URL, freshPostgres, pgAvailable } from '../support/stores.js';
import { call as callService, killServers, serve, type ServeProcess } from '../support/serve-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/yibao.js');

// Load shape and bounds.
const LOOPS = 24;
const PERSONS = 200;
const LOAD_MS = 1_500;
const MIN_ACKED = 100;
const MAX_REQUESTS = 30_000;
const MAX_VISITS_PER_PERSON = 600;
const REQUEST_TIMEOUT_MS = 8_000;
const RETRIES = 8;

// ---------------------------------------------------------------------------------------------
// Processes: `yibao serve` through test/support/serve-process.ts; every other child started here,
// so that it can be killed whatever happens.

/** The server's warnings kept for failure messages. */
const SERVE_ARGS = ['--log-level', 'warn'];

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  children.clear();
}
process.once('exit', killAll);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the yibao command to completion (bounded). */
function cli(args: string[], timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`yibao ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      fail(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Requests.

type Entry = Record<string, unknown> & { id: string; requestId: string; visitId: string; kind: string };

interface SettleBody {
  requestId: string;
  person: { id: string; region: string; scheme: string; category: string };
  visit: { id: string; time: string; type: 'outpatient'; institution: { id: string; tier: string; grade: number; contracted: boolean }; total: string };
}

const INSTITUTIONS = {
  puyang: [
    { id: 'PY-H1', tier: 'city', grade: 3, contracted: true },
    { id: 'PY-H2', tier: 'county', grade: 2, contracted: true },
    { id: 'PY-H3', tier: 'primary', grade: 1, contracted: true },
  ],
  luoyang: [
    { id: 'LY-H1', tier: 'county', grade: 2, contracted: true },
    { id: 'LY-H2', tier: 'primary', grade: 1, contracted: true },
  ],
};

/** Person i: Puyang active and retired employees (caps 1500/2000), Luoyang residents (cap 260). */
function personOf(i: number): SettleBody['person'] {
  const id = `P${String(i).padStart(4, '0')}`;
  switch (i % 4) {
    case 0:
    case 1:
      return { id, region: '410900', scheme: 'employee', category: 'active' };
    case 2:
      return { id, region: '410900', scheme: 'employee', category: 'retired' };
    default:
      return { id, region: '410300', scheme: 'resident', category: 'adult' };
  }
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

/** The n-th visit of a person: every ~13 hours through 2023, at a random amount of 10.00–900.99 yuan. */
function settleBody(person: SettleBody['person'], n: number): SettleBody {
  const time = new Date(Date.UTC(2023, 0, 2, 1, 0) + n * 13 * 3_600_000 + Math.floor(Math.random() * 600) * 60_000);
  const china = new Date(time.getTime() + 8 * 3_600_000).toISOString().slice(0, 19);
  const yuan = 10 + Math.floor(Math.random() * 891);
  const fen = Math.floor(Math.random() * 100);
  const institution = pick(person.region === '410900' ? INSTITUTIONS.puyang : INSTITUTIONS.luoyang);
  return {
    requestId: `crash-${person.id}-${n}`,
    person,
    visit: { id: `${person.id}-v${n}`, time: `${china}+08:00`, type: 'outpatient', institution, total: `${yuan}.${String(fen).padStart(2, '0')}` },
  };
}

/** One HTTP call with the key, bounded by REQUEST_TIMEOUT_MS. */
const call = (base: string, key: string, method: 'GET' | 'POST', path: string, body?: unknown) => callService(base, key, method, path, body, REQUEST_TIMEOUT_MS);

/** Runs fn over xs with at most `width` at once. */
async function pool<T>(xs: readonly T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, xs.length) }, async () => {
      while (next < xs.length) await fn(xs[next++] as T);
    }),
  );
}

interface LoadResult {
  acked: Map<string, { body: SettleBody; entry: Entry }>;
  /** Requests whose answer never came because the server was killed. */
  inFlight: SettleBody[];
  /** Anything else: an HTTP answer other than 201, or a network failure before the kill. */
  unexpected: string[];
  sent: number;
  loadMs: number;
}

/** Concurrent settle loops; kills the server with SIGKILL once LOAD_MS have passed (and MIN_ACKED were acknowledged). */
async function loadThenKill(server: ServeProcess, key: string): Promise<LoadResult> {
  const acked = new Map<string, { body: SettleBody; entry: Entry }>();
  const inFlight: SettleBody[] = [];
  const unexpected: string[] = [];
  const persons = Array.from({ length: PERSONS }, (_, i) => personOf(i));
  const nextVisit = new Array<number>(PERSONS).fill(0);
  let sent = 0;
  let killed = false;
  const started = Date.now();

  const loop = async () => {
    while (!killed && sent < MAX_REQUESTS) {
      const i = Math.floor(Math.random() * PERSONS);
      const n = nextVisit[i] as number;
      if (n >= MAX_VISITS_PER_PERSON) continue;
      nextVisit[i] = n + 1;
      const body = settleBody(persons[i] as SettleBody['person'], n);
      sent++;
      try {
        const r = await call(server.base, key, 'POST', '/v1/settlements', body);
        if (r.status === 201) acked.set(body.requestId, { body, entry: r.json as Entry });
        else unexpected.push(`${body.requestId}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      } catch (e) {
        if (killed) inFlight.push(body);
        else unexpected.push(`${body.requestId}: network failure before the kill: ${String((e as Error)?.cause ?? e)}`);
      }
    }
  };

  const loops = Array.from({ length: LOOPS }, loop);
  // Kill mid-load: after LOAD_MS, once enough has been acknowledged (bounded by the test timeout).
  while ((Date.now() - started < LOAD_MS || acked.size < MIN_ACKED) && sent < MAX_REQUESTS && Date.now() - started < 20_000) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const loadMs = Date.now() - started;
  server.child.kill('SIGKILL');
  killed = true;
  await server.stop('SIGKILL');
  await Promise.all(loops);
  return { acked, inFlight, unexpected, sent, loadMs };
}

// ---------------------------------------------------------------------------------------------

interface StoreUnderTest {
  /** --db argument. */
  db: string;
  cleanup: () => Promise<void>;
}

const STORES: { name: string; skip: boolean; why: string; open: () => Promise<StoreUnderTest> }[] = [
  {
    name: 'sqlite',
    skip: false,
    why: '',
    open: async () => {
      // A new file: `keys create` migrates it.
      const dir = mkdtempSync(join(tmpdir(), 'yibao-crash-'));
      return { db: join(dir, 'yibao.db'), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    skip: !pgAvailable,
    why: ` — SKIPPED: PostgreSQL is not reachable at ${PG_ADMIN_URL}`,
    open: async () => {
      const s = await freshPostgres(2);
      return { db: s.url, cleanup: () => s.close() };
    },
  },
];

afterEach(() => {
  killAll();
  killServers();
});
afterAll(() => {
  killAll();
  killServers();
});

for (const s of STORES) {
  describe.skipIf(s.skip)(`crash recovery on ${s.name}${s.skip ? s.why : ''}`, () => {
    let store: StoreUnderTest | undefined;
    let server: ServeProcess | undefined;

    afterAll(async () => {
      await server?.stop('SIGKILL');
      await store?.cleanup();
    });

    it('keeps every acknowledged settlement through SIGKILL, verifies, and settles an in-flight retry at most once', async () => {
      const t0 = Date.now();
      store = await s.open();
      const created = await cli(['keys', 'create', 'agency', '--db', store.db]);
      expect(created.code, created.stderr).toBe(0);
      const key = created.stdout.trim();
      expect(key).not.toBe('');

      // Load, then SIGKILL mid-load.
      server = await serve(store.db, SERVE_ARGS);
      const tServing = Date.now();
      const load = await loadThenKill(server, key);
      server = undefined;
      const { acked, inFlight, unexpected } = load;
      expect(unexpected, 'answers other than 201 (or network failures) before the kill').toEqual([]);
      expect(acked.size).toBeGreaterThanOrEqual(MIN_ACKED);

      // The store as the crash left it: the accumulators agree with the entries. Verified while the
      // service restarts on the same store (startup writes nothing; no request is sent until both are done).
      const [afterCrash, restarted] = await Promise.all([cli(['ledger', 'verify', '--db', store.db]), serve(store.db, SERVE_ARGS)]);
      server = restarted;
      const base = server.base;
      expect(afterCrash.code, `ledger verify right after the crash:\n${afterCrash.stdout}${afterCrash.stderr}`).toBe(0);
      const tRestarted = Date.now();

      // Every acknowledged settlement is there, identical (amounts, trace and all).
      const lost: string[] = [];
      const changed: string[] = [];
      await pool([...acked.values()], 16, async ({ body, entry }) => {
        const r = await call(base, key, 'GET', `/v1/settlements/${encodeURIComponent(entry.id)}`);
        if (r.status !== 200) lost.push(`${body.requestId} → ${entry.id}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
        else {
          const got = r.json as Entry;
          const amounts = (e: Entry) =>
            JSON.stringify([e.requestId, e.visitId, e.total, e.eligible, e.deductible, e.fundPay, e.criticalIllnessPay, e.assistancePay, e.accountPay, e.cashPay, e.cap]);
          if (amounts(got) !== amounts(entry) || JSON.stringify(got) !== JSON.stringify(entry)) changed.push(`${entry.id}: acknowledged ${amounts(entry)}, now ${amounts(got)}`);
        }
      });
      expect(lost, 'acknowledged settlements lost in the crash').toEqual([]);
      expect(changed, 'acknowledged settlements changed by the crash').toEqual([]);

      // Retry some of the requests that were in flight at the kill, with the same request id.
      const retried = inFlight.slice(0, RETRIES);
      const retryOutcomes: string[] = [];
      for (const body of retried) {
        const r = await call(base, key, 'POST', '/v1/settlements', body);
        retryOutcomes.push(`${body.requestId}: ${r.status}`);
        expect([200, 201], `retry of in-flight ${body.requestId}: HTTP ${r.status} ${r.text.slice(0, 300)}`).toContain(r.status);
        const e = r.json as Entry;
        expect(e).toMatchObject({ kind: 'settlement', requestId: body.requestId, visitId: body.visit.id });
        // A second retry is a replay of whatever the first one answered.
        const again = await call(base, key, 'POST', '/v1/settlements', body);
        expect(again.status).toBe(200);
        expect(again.json).toEqual(e);
      }

      // No visit settled twice; every acknowledged entry and every retried visit in the history.
      const byPerson = new Map<string, Set<string>>();
      for (const { body, entry } of acked.values()) {
        const set = byPerson.get(body.person.id) ?? new Set<string>();
        set.add(entry.id);
        byPerson.set(body.person.id, set);
      }
      const retriedVisits = new Set(retried.map((b) => b.visit.id));
      const duplicates: string[] = [];
      const missing: string[] = [];
      let historyEntries = 0;
      await pool(
        Array.from({ length: PERSONS }, (_, i) => personOf(i).id),
        16,
        async (personId) => {
          const r = await call(base, key, 'GET', `/v1/persons/${personId}/settlements`);
          expect(r.status, r.text.slice(0, 300)).toBe(200);
          const entries = (r.json as { entries: Entry[] }).entries;
          historyEntries += entries.length;
          const seen = new Map<string, string[]>();
          for (const e of entries) {
            expect(e.kind).toBe('settlement');
            seen.set(e.visitId, [...(seen.get(e.visitId) ?? []), e.id]);
          }
          for (const [visitId, ids] of seen) if (ids.length > 1) duplicates.push(`${visitId} settled ${ids.length} times: ${ids.join(', ')}`);
          const ids = new Set(entries.map((e) => e.id));
          for (const id of byPerson.get(personId) ?? []) if (!ids.has(id)) missing.push(`${personId}: acknowledged ${id} not in the history`);
          for (const v of retriedVisits)
            if (v.startsWith(`${personId}-`) && (seen.get(v)?.length ?? 0) !== 1) missing.push(`${v}: retried but settled ${seen.get(v)?.length ?? 0} times`);
        },
      );
      expect(duplicates, 'visits settled more than once').toEqual([]);
      expect(missing).toEqual([]);
      // What survived: every acknowledged entry, plus at most the requests in flight at the kill.
      expect(historyEntries).toBeGreaterThanOrEqual(acked.size);
      expect(historyEntries).toBeLessThanOrEqual(acked.size + inFlight.length);

      const tChecked = Date.now();
      // Stop the restarted server cleanly; the ledger still verifies.
      await server?.stop('SIGTERM');
      server = undefined;
      const verified = await cli(['ledger', 'verify', '--db', store.db]);
      expect(verified.code, `ledger verify after restart and retries:\n${verified.stdout}${verified.stderr}`).toBe(0);

      console.log(
        `[crash ${s.name}] ${load.sent} requests in ${load.loadMs} ms before SIGKILL: ${acked.size} acknowledged, ${inFlight.length} in flight; ` +
          `after restart ${historyEntries} entries in the ledger; retried ${retried.length} (${retryOutcomes.join(', ')}); total ${Date.now() - t0} ms ` +
          `(setup+start ${tServing - t0}, load ${load.loadMs}, verify+restart ${tRestarted - tServing - load.loadMs}, checks ${tChecked - tRestarted}, stop+verify ${Date.now() - tChecked})`,
      );
    }, 60_000);
  });
}
