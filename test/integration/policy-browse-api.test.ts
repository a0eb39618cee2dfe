/** The policy browser's reads (GET /v1/policies…): public, the documents' own figures and sentences. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());
const sqlite = STORES.find((s) => s.label === 'sqlite');

describe.skipIf(!sqlite || sqlite.skip)('GET /v1/policies… (public)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService((sqlite as NonNullable<typeof sqlite>).open, engine);
  });
  afterAll(async () => svc?.close());
  const get = (url: string) => svc.app.inject({ url });

  it('lists every document without a key', async () => {
    const r = await get('/v1/policies');
    expect(r.statusCode, r.body).toBe(200);
    const ids = r.json().packs.map((p: { id: string }) => p.id);
    expect(ids).toEqual(engine.policies.packs.map((p) => p.id));
    expect(r.json().packs.find((p: { id: string }) => p.id === 'luoyang-2024')).toMatchObject({ document: '洛医保〔2023〕63号', region: '410300' });
  });

  it("shows a pack's parameters with the article and the document's own sentence; the chain in force for a region on a date", async () => {
    const pack = await get('/v1/policies/packs/luoyang-2024?date=2024-03-02');
    expect(pack.statusCode, pack.body).toBe(200);
    const params = pack.json().params as { source: string; quote?: string; value: string }[];
    expect(params.length).toBeGreaterThan(0);
    const quoted = params.filter((p) => p.quote);
    expect(quoted.length).toBeGreaterThan(0);
    // Each quoted parameter names its document and article; the 2024 pack's own are 63号's.
    expect(quoted.every((p) => /〔\d{4}〕\d+号 \S+/.test(p.source))).toBe(true);
    expect(quoted.some((p) => /^洛医保〔2023〕63号 二\(一\)/.test(p.source))).toBe(true);
    const all = await get('/v1/policies/packs/luoyang-2024');
    expect((all.json().params as unknown[]).length).toBeGreaterThanOrEqual(params.length);
    const chain = await get('/v1/policies/regions/洛阳?date=2024-03-02');
    expect(chain.statusCode, chain.body).toBe(200);
    expect(chain.json()).toMatchObject({ region: '410300', date: '2024-03-02' });
    expect(chain.json().inForce.map((p: { id: string }) => p.id)).toContain('luoyang-2024');
  });

  it('lists what the documents leave open, for a region too; refuses what is not there', async () => {
    const all = await get('/v1/policies/missing');
    expect(all.statusCode).toBe(200);
    const missing = all.json().missing as { pack: string; reason: string; citation: string }[];
    expect(missing.every((m) => m.reason.length > 0 && m.citation.length > 0)).toBe(true);
    const luoyang = await get('/v1/policies/missing?region=410300');
    expect((luoyang.json().missing as { pack: string }[]).every((m) => m.pack.startsWith('luoyang'))).toBe(true);
    expect((await get('/v1/policies/packs/atlantis-2024')).statusCode).toBe(404);
    expect((await get('/v1/policies/regions/atlantis')).json().error.code).toBe('NOT_FOUND');
    const bad = await get('/v1/policies/regions/410300?date=2024-02-30');
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'INVALID_REQUEST']);
  });
});
