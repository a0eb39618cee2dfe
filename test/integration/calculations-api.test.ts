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

describe('GET /v1/calculations/options (public; reads no ledger, so one store)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService(STORES[0]!.open, engine);
  });
  afterAll(async () => svc?.close());

  it('lists the regions with documents and the words of the domain with their Chinese labels, without a key', async () => {
    const r = await svc.app.inject({ method: 'GET', url: '/v1/calculations/options' });
    expect(r.statusCode, r.body).toBe(200);
    const o = r.json();
    const luoyang = o.regions.find((x: { code: string }) => x.code === '410300');
    expect(luoyang).toMatchObject({ code: '410300', name: '洛阳市' });
    expect(luoyang.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(o.schemes.map((s: { code: string }) => s.code)).toEqual(['resident', 'employee']);
    expect(o.schemes[0].categories).toContainEqual({ code: 'adult', label: '成年居民' });
    expect(o.schemes[1].categories).toContainEqual({ code: 'retired', label: '退休人员' });
    expect(o.hardshipGroups).toContainEqual({ code: 'dibao', label: '低保对象' });
    expect(o.tiers).toContainEqual({ code: 'county', label: '县级' });
    expect(o.grades).toContainEqual({ code: 2, label: '二级' });
    expect(o.visitTypes).toContainEqual({ code: 'outpatient', label: '普通门诊' });
  });

  it('is marked public in the OpenAPI document, as the calculation is', async () => {
    const doc = (await svc.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/v1/calculations/options'].get.security).toEqual([]);
    expect(doc.paths['/v1/calculations'].post.security).toEqual([]);
    expect(doc.paths['/v1/settlements'].post.security).toBeUndefined();
  });
});
