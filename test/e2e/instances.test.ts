/**
 * Two `yibao serve` processes over one PostgreSQL database (a fresh database on the shared server),
 * as behind a load balancer (docs/operations.md):
 *
 * - 64 settles of one person sent at once, spread over both, never pay beyond the annual cap: the
 *   person's advisory lock serializes them across processes.
 * - `kill -9` of one instance while clients settle through both: every settlement acknowledged
 *   before the kill is in the ledger, unchanged; the other instance keeps serving; the killed one's
 *   requests that were not answered, sent again to the other with the same request id, settle
 *   exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgres, PG_ADMIN_URL, pgAvailable } from '../support/stores.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { call, killServers, serve, yibao, type Answer, type ServeProcess } from '../support/serve-process.js';

const SERVE_ARGS = ['--pool-size', '6'];
const COUNTY = { id: 'LY-H1', tier: 'county', grade: 2, contracted: true };
const resident = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const dayOf = (i: number) => new Date(Date.UTC(2024, 0, 2) + i * 86_400_000).toISOString().slice(0, 10);

afterAll(() => killServers());

describe.skipIf(!pgAvailable)(`two instances over one PostgreSQL${pgAvailable ? '' : ` — SKIPPED: PostgreSQL is not reachable at ${PG_ADMIN_URL}`}`, () => {
  let store: (LedgerDb & { url: string }) | undefined;
  let a: ServeProcess;
  let b: ServeProcess;
  let key = '';

  beforeAll(async () => {
    store = await freshPostgres(2);
    key = (await yibao(['keys', 'create', 'agency', '--db', store.url])).stdout.trim();
    [a, b] = await Promise.all([serve(store.url, SERVE_ARGS), serve(store.url, SERVE_ARGS)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await store?.close();
  });

  it('64 settles of one person at once through both never exceed the annual cap', async () => {
    // By hand, from policies/luoyang-2024.yaml, resident-outpatient (洛医保〔2023〕63号 二(一)2) at a
    // county hospital: each visit on a day of its own, total 200.00 of which 180.00 eligible;
    // deductible 50.00 per visit-day at one institution; the fund pays 50% of the rest:
    // (180.00 − 50.00) × 50% = 65.00. The annual cap is 280.00: visits 1–4 pay 65.00 each (260.00),
    // the fifth 20.00 (280.00 reached), the other 59 nothing. Total 280.00 exactly, whatever order
    // the two instances settle them in.
    const person = resident('CAP-1');
    const bodies = Array.from({ length: 64 }, (_, i) => ({
      requestId: `cap-${i}`,
      person,
      visit: { id: `CAP-1-v${i}`, time: `${dayOf(i)}T09:00:00+08:00`, type: 'outpatient', institution: COUNTY, total: 200, eligible: 180 },
    }));
    const answers = await Promise.all(bodies.map((body, i) => call(i % 2 === 0 ? a.base : b.base, key, 'POST', '/v1/settlements', body)));
    expect(answers.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text.slice(0, 200)}`)).toEqual([]);
    const fund = answers.map((r) => r.json.fundPay as number);
    expect(fund.filter((f) => f === 65)).toHaveLength(4);
    expect(fund.filter((f) => f === 20)).toHaveLength(1);
    expect(fund.filter((f) => f === 0)).toHaveLength(59);
    expect(Math.round(fund.reduce((s, f) => s + f, 0) * 100)).toBe(28_000);
    expect(Math.max(...answers.map((r) => r.json.cap.usedAfter as number))).toBe(280);
    // The ledger says the same: the entries and the accumulator.
    const db = (store as LedgerDb).db;
    const sum = await db
      .selectFrom('settlements')
      .select((eb) => eb.fn.sum<number>('fund_pay_fen').as('f'))
      .where('person_id', '=', 'CAP-1')
      .executeTakeFirstOrThrow();
    expect(Number(sum.f)).toBe(28_000);
    const acc = await call(b.base, key, 'GET', '/v1/persons/CAP-1/accumulators?year=2024');
    expect(acc.status, acc.text).toBe(200);
    expect(acc.json.caps).toEqual([expect.objectContaining({ bucket: 'outpatient', year: 2024, used: 280, limit: 280, remaining: 0 })]);
  });

  it('kill -9 of one instance under load: nothing acknowledged lost, the other serves on, retries there settle once', async () => {
    const PERSONS = 100;
    const LOOPS = 12;
    const sent: { body: ReturnType<typeof bodyOf>; to: 'a' | 'b'; answer?: Answer; failure?: string; afterKill: boolean }[] = [];
    function bodyOf(n: number) {
      const p = n % PERSONS;
      return {
        requestId: `kill-${n}`,
        person: resident(`K${String(p).padStart(3, '0')}`),
        visit: { id: `K${p}-v${n}`, time: `${dayOf(Math.floor(n / PERSONS) % 300)}T10:00:00+08:00`, type: 'outpatient', institution: COUNTY, total: 60 + (n % 150) },
      };
    }
    let killed = false;
    let stopping = false;
    let inFlightOnA = 0;
    const loop = async (i: number) => {
      while (!stopping && sent.length < 20_000) {
        // Round robin, as a load balancer; once A is gone, B only.
        const to = !killed && (sent.length + i) % 2 === 0 ? 'a' : 'b';
        const s: (typeof sent)[number] = { body: bodyOf(sent.length), to, afterKill: killed };
        sent.push(s);
        if (to === 'a') inFlightOnA++;
        try {
          s.answer = await call(to === 'a' ? a.base : b.base, key, 'POST', '/v1/settlements', s.body, 10_000);
        } catch (e) {
          s.failure = String((e as Error)?.cause ?? e);
        } finally {
          if (to === 'a') inFlightOnA--;
        }
      }
    };
    const acked = (f: (s: (typeof sent)[number]) => boolean) => sent.filter((s) => s.answer?.status === 201 && f(s)).length;
    const until = async (done: () => boolean, what: string) => {
      const t0 = Date.now();
      while (!done()) {
        if (Date.now() - t0 > 30_000) throw new Error(`${what}: not within 30 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const loops = Array.from({ length: LOOPS }, (_, i) => loop(i));
    let killedAt = 0;
    try {
      // Killed with requests in flight on it.
      await until(() => acked((s) => s.to === 'a') >= 100 && acked((s) => s.to === 'b') >= 100 && inFlightOnA >= LOOPS / 4, 'acknowledged by both');
      a.child.kill('SIGKILL');
      killed = true;
      killedAt = sent.length;
      await new Promise<void>((r) => (a.child.exitCode !== null || a.child.signalCode !== null ? r() : a.child.once('exit', () => r())));
      await until(() => acked((s) => s.afterKill) >= 100, 'acknowledged by B after the kill');
    } finally {
      stopping = true;
      await Promise.all(loops);
    }
    expect(b.child.exitCode, 'B kept running').toBeNull();

    // Only A's requests at the kill went unanswered; everything else was 201.
    const unanswered = sent.filter((s) => s.answer === undefined);
    expect(
      unanswered.filter((s) => s.to !== 'a').map((s) => `${s.body.requestId} → ${s.to}: ${s.failure}`),
      'requests to B without an answer',
    ).toEqual([]);
    expect(
      sent.filter((s) => s.answer && s.answer.status !== 201).map((s) => `${s.body.requestId} → ${s.to}: HTTP ${s.answer?.status} ${s.answer?.text.slice(0, 200)}`),
      'answers other than 201',
    ).toEqual([]);
    expect(unanswered.length).toBeLessThanOrEqual(LOOPS);

    // A's unanswered requests, sent to B with the same request id: 201 (never committed) or 200
    // (committed, the answer lost with A); once more, the same entry.
    const retried: Answer[] = [];
    for (const s of unanswered) {
      const r = await call(b.base, key, 'POST', '/v1/settlements', s.body);
      expect([200, 201], `${s.body.requestId} on B: HTTP ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
      const again = await call(b.base, key, 'POST', '/v1/settlements', s.body);
      expect(again.status).toBe(200);
      expect(again.json).toEqual(r.json);
      retried.push(r);
    }

    // The ledger: every request sent once, each acknowledged entry under its id.
    const rows = await (store as LedgerDb).db.selectFrom('settlements').select(['id', 'request_id', 'visit_id']).where('request_id', 'like', 'kill-%').execute();
    const byRequest = new Map(rows.map((r) => [r.request_id, r.id]));
    expect(rows.length, 'entries = requests sent (each settled exactly once)').toBe(sent.length);
    expect(new Set(rows.map((r) => r.visit_id)).size).toBe(sent.length);
    const lost = sent.filter((s) => s.answer?.status === 201 && byRequest.get(s.body.requestId) !== s.answer.json.id).map((s) => s.body.requestId);
    expect(lost, 'acknowledged settlements lost or changed').toEqual([]);
    expect(unanswered.filter((s, i) => byRequest.get(s.body.requestId) !== retried[i]?.json.id).map((s) => s.body.requestId)).toEqual([]);

    const verified = await yibao(['ledger', 'verify', '--db', (store as LedgerDb & { url: string }).url]);
    expect(verified.stdout).toMatch(/agrees with the entries/);
    console.log(
      `[instances] ${sent.length} requests (${killedAt} before the kill): ${acked((s) => s.to === 'a')} acknowledged by A, ${acked((s) => s.to === 'b')} by B ` +
        `(${acked((s) => s.afterKill)} after the kill); ${unanswered.length} unanswered at the kill, sent again to B: ` +
        `${retried.filter((r) => r.status === 201).length} settled (201), ${retried.filter((r) => r.status === 200).length} had committed on A (200)`,
    );
  }, 120_000);
});
