/**
 * The calculator's endpoint (POST /v1/calculations): public, stateless, the split and the trace
 * with its articles, hand-computed; nothing read or written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());
const TABLES = ['settlements', 'persons', 'institutions', 'audit_log', 'cap_usage', 'deductible_windows'] as const;

// A Luoyang resident adult at a contracted county hospital of grade 2, 2024-03-02: 医疗费 300.00,
// 政策范围内 250.00. By hand (洛医保〔2023〕63号, the 2024 pack): deductible 50.00 at this class, ratio
// 50%: fund (250.00 − 50.00) × 50% = 100.00; cash 300.00 − 100.00 = 200.00.
const body = {
  person: { id: 'C-1', region: '410300', scheme: 'resident', category: 'adult' },
  visit: {
    id: 'CV-1',
    time: '2024-03-02T10:00:00+08:00',
    type: 'outpatient',
    institution: { id: 'H9', tier: 'county', grade: 2, contracted: true },
    total: 300,
    eligible: 250,
  },
};

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`POST /v1/calculations on ${s.label}`, () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(s.open, engine);
    });
    afterAll(async () => svc?.close());
    const calc = (payload: unknown) =>
      svc.app.inject({ method: 'POST', url: '/v1/calculations', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

    it('answers without a key: the hand-computed split and the trace with its articles; writes and reads nothing', async () => {
      const before = await rowCounts(svc.store, TABLES);
      const r = await calc(body);
      expect(r.statusCode, r.body).toBe(200);
      const c = r.json();
      expect(c).toMatchObject({
        calculation: true,
        firstVisitOfYear: true,
        total: 300,
        eligible: 250,
        deductible: 50,
        fundPay: 100,
        criticalIllnessPay: 0,
        assistancePay: 0,
        accountPay: 0,
        cashPay: 200,
        ratio: 50,
      });
      const sources = (c.trace as { source?: string }[]).map((t) => t.source).filter(Boolean);
      expect(sources.length).toBeGreaterThan(0);
      expect(sources.join(' ')).toMatch(/洛医保/);
      // Again: the same answer (nothing was used up).
      expect((await calc(body)).json()).toEqual(c);
      expect(await rowCounts(svc.store, TABLES)).toEqual(before);
    });

    it('refuses a bad body listing every problem, and a visit the documents cannot settle with its code', async () => {
      const bad = await calc({ person: { ...body.person, category: 'alien' }, visit: { ...body.visit, total: 'lots' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('INVALID_REQUEST');
      expect(bad.json().error.problems.length).toBeGreaterThanOrEqual(2);
      const early = await calc({ ...body, visit: { ...body.visit, time: '1999-03-02T10:00:00+08:00' } });
      expect(early.statusCode).toBeGreaterThanOrEqual(400);
      expect(early.statusCode).toBeLessThan(500);
    });
  });
}
