/**
 * GET /metrics (运行指标): requests by route and status, refusals by code, the settle path's
 * transactions and queue, the PostgreSQL pools; agency and analyst keys only. On every store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_TYPE } from '../../src/api/metrics.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());

/** Luoyang 2024, a resident's outpatient visit at a county (grade 2) hospital: (250 − 50) × 50% = 100.00 from the fund. */
const settle = (tag: string) => ({
  requestId: `req-${tag}`,
  person: { id: `P-${tag}`, region: '410300', scheme: 'resident', category: 'adult' },
  visit: {
    id: `v-${tag}`,
    time: '2024-03-02T10:00:00+08:00',
    type: 'outpatient',
    institution: { id: 'H1', tier: 'county', grade: 2, contracted: true },
    total: 300,
    eligible: 250,
  },
});

/** The samples of an exposition, by their line's name and labels as written. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const PATHS = { sqlite: 'sqlite', 'sqlite (writer thread)': 'sqlite-writer', postgres: 'postgres' } as const;

for (const s of STORES) {
  describe.skipIf(s.skip)(`GET /metrics (${s.label})`, () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(s.open, engine);
    });
    afterAll(async () => {
      await svc?.close();
    });

    const post = (payload: unknown) =>
      svc.app.inject({ method: 'POST', url: '/v1/settlements', headers: { authorization: `Bearer ${svc.agency.key}` }, payload: payload as object });
    const scrape = (key?: string) => svc.app.inject({ url: '/metrics', headers: key ? { authorization: `Bearer ${key}` } : {} });

    it('counts answers by route and status, refusals by code, and the settle transactions', async () => {
      const first = await post(settle('m1'));
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({ fundPay: 100, cashPay: 200 });
      expect((await post(settle('m1'))).statusCode).toBe(200); // the retry, answered from the ledger
      const bad = await post({ requestId: 'req-bad' });
      expect(bad.statusCode).toBe(400);
      const code = bad.json().error.code as string;
      expect((await svc.app.inject({ url: '/v1/nowhere', headers: { authorization: `Bearer ${svc.agency.key}` } })).statusCode).toBe(404);

      const res = await scrape(svc.agency.key);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(METRICS_TYPE);
      const m = samples(res.body);
      const route = 'route="/v1/settlements"';
      expect(m.get(`yibao_http_requests_total{method="POST",${route},status="201"}`)).toBe(1);
      expect(m.get(`yibao_http_requests_total{method="POST",${route},status="200"}`)).toBe(1);
      expect(m.get(`yibao_http_requests_total{method="POST",${route},status="400"}`)).toBe(1);
      expect(m.get('yibao_http_requests_total{method="GET",route="(none)",status="404"}')).toBe(1);
      expect(m.get(`yibao_http_request_duration_seconds_count{method="POST",${route}}`)).toBe(3);
      expect(m.get(`yibao_http_errors_total{code="${code}"}`)).toBe(1);
      expect(m.get('yibao_http_errors_total{code="NOT_FOUND"}')).toBe(1);

      // The settle and its retry reached the ledger; the refused body never did.
      const path = `queue="settle",path="${PATHS[s.label as keyof typeof PATHS]}"`;
      expect(m.get(`yibao_settle_transaction_settles_total{${path}}`)).toBe(2);
      const transactions = m.get(`yibao_settle_transactions_total{${path}}`) as number;
      expect(transactions).toBeGreaterThanOrEqual(1);
      expect(transactions).toBeLessThanOrEqual(2);
      expect(m.get(`yibao_settle_transaction_seconds_count{${path}}`)).toBe(transactions);
      expect(m.get(`yibao_settle_transaction_size_sum{${path}}`)).toBe(2);
      expect(m.get(`yibao_settle_waiting{${path}}`)).toBe(0);
      expect(m.get(`yibao_settle_max_queue{${path}}`)).toBeGreaterThan(0);
      expect(m.get(`yibao_info{store="${s.name}"}`)).toBe(1);
      expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0);
      if (s.name === 'postgres') {
        expect(m.get('yibao_pg_pool_connections{pool="main",state="open"}')).toBeGreaterThanOrEqual(1);
        expect(m.get('yibao_pg_pool_connections{pool="settle",state="open"}')).toBeGreaterThanOrEqual(1);
        expect(m.get('yibao_pg_pool_waiting{pool="settle"}')).toBe(0);
      } else {
        expect([...m.keys()].some((k) => k.startsWith('yibao_pg_pool'))).toBe(false);
      }
      // No person, visit or key in any label.
      expect(res.body).not.toContain('P-m1');
      expect(res.body).not.toContain('v-m1');
      expect(res.body).not.toContain(svc.agency.key);
    });

    it('shows group commit: sixteen persons settled at once in fewer transactions', async () => {
      const path = `queue="settle",path="${PATHS[s.label as keyof typeof PATHS]}"`;
      const before = samples((await scrape(svc.agency.key)).body);
      // Handed to the ledger in one turn of the event loop (through HTTP they would arrive one by one).
      const actor = { id: svc.agency.id, role: 'agency' as const };
      const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => svc.ledger.settle(parseSettleOne(settle(`g${i}`), engine.policies), actor)));
      expect(answers.map((a) => a.created)).toEqual(Array(16).fill(true));
      const after = samples((await scrape(svc.agency.key)).body);
      const delta = (name: string) => (after.get(`${name}{${path}}`) as number) - (before.get(`${name}{${path}}`) as number);
      expect(delta('yibao_settle_transaction_settles_total')).toBe(16);
      expect(delta('yibao_settle_transaction_size_sum')).toBe(16);
      expect(delta('yibao_settle_transactions_total')).toBeLessThan(16);
      expect(after.get('nodejs_eventloop_delay_seconds{quantile="max"}')).toBeGreaterThanOrEqual(0);
    });

    it('answers agency and analyst keys; an institution key 403, no key 401, each counted', async () => {
      expect((await scrape(svc.analyst.key)).statusCode).toBe(200);
      const refused = await scrape(svc.h1.key);
      expect(refused.statusCode).toBe(403);
      expect((await scrape()).statusCode).toBe(401);
      const m = samples((await scrape(svc.agency.key)).body);
      expect(m.get('yibao_http_requests_total{method="GET",route="/metrics",status="403"}')).toBe(1);
      expect(m.get('yibao_http_requests_total{method="GET",route="/metrics",status="401"}')).toBe(1);
      expect(m.get(`yibao_http_errors_total{code="${refused.json().error.code}"}`)).toBeGreaterThanOrEqual(1);
    });
  });
}
