/**
 * GET /v1/policies/check and /v1/policies/diff through app.inject. The analyses read no ledger
 * data (only the API keys), so one store, SQLite, is enough here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { createKey, KeyStore, type CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { freshSqlite } from '../support/stores.js';

const policies = loadPolicies();
let store: LedgerDb;
let app: FastifyInstance;
let analyst: CreatedKey;
let institution: CreatedKey;

beforeAll(async () => {
  store = await freshSqlite();
  app = await buildServer({ ledger: new Ledger(store, new SettlementEngine(policies)), policies, keys: new KeyStore(store.db, 0), logger: false });
  await app.ready();
  analyst = await createKey(store.db, 'analyst');
  institution = await createKey(store.db, 'institution', { institutionId: 'H1' });
});
afterAll(async () => {
  await app?.close();
  await store?.close();
});

async function get(url: string, key: string | null = analyst.key) {
  const res = await app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.statusCode, body: res.json() };
}

describe('GET /v1/policies/check', () => {
  it('Luoyang 2024 against Henan: every comparable floor met, both citations on each line', async () => {
    const r = await get('/v1/policies/check?city=luoyang&against=henan&date=2024-06-01');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ date: '2024-06-01', city: { code: '410300', name: '洛阳市' }, province: { code: '410000' }, breach: false });
    expect(r.body.summary).toEqual({ meets: 12, breach: 0, differs: 0, 'not-comparable': 1 });
    const county = r.body.lines.find((l: { floor: { path: string } }) => l.floor.path === 'parameters.floors.outpatientRatioCounty');
    expect(county).toMatchObject({
      floor: { value: '不低于50%', citation: '豫医保办〔2023〕71号 二' },
      city: { value: '50%', citation: '洛医保〔2023〕63号 二(一)2', class: { id: 'county' } },
      verdict: 'meets',
    });
  });

  it('a city may be named by pack id; a breach is still a 200 with breach: true', async () => {
    const r = await get('/v1/policies/check?city=luoyang-2022&against=410000&date=2023-06-01');
    expect(r.status).toBe(200);
    expect(r.body.breach).toBe(true);
    expect(r.body.cityDocuments.map((d: { id: string }) => d.id)).toEqual(['luoyang-2022']);
  });

  it('any role may ask (no personal data); no key is 401', async () => {
    expect((await get('/v1/policies/check?city=luoyang&against=henan&date=2024-06-01', institution.key)).status).toBe(200);
    expect((await get('/v1/policies/check?city=luoyang&against=henan', null)).body.error.code).toBe('UNAUTHENTICATED');
  });

  const invalid: [string, string, RegExp][] = [
    ['a bad date', 'city=luoyang&against=henan&date=2023-02-30', /query\.date: must be a real date/],
    ['a date in another form', 'city=luoyang&against=henan&date=1.6.2024', /query\.date: must be a date YYYY-MM-DD/],
    ['an unknown city', 'city=atlantis&against=henan', /query\.city: unknown region "atlantis"/],
    ['a city of another province', 'city=linfen&against=henan', /query\.against: 临汾市 \(141000\) is not a city of 河南省/],
    ['no province', 'city=luoyang', /query\.against: is required/],
    ['an unknown parameter', 'city=luoyang&against=henan&colour=red', /query: Unrecognized key: "colour"/],
    ['a file path for the city (the service reads no files)', 'city=test/fixtures/luoyang-draft-below-floor.yaml&against=henan', /query\.city: unknown region/],
  ];
  for (const [name, query, pattern] of invalid) {
    it(`refuses ${name}: 400 INVALID_REQUEST naming the field`, async () => {
      const r = await get(`/v1/policies/check?${query}`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('INVALID_REQUEST');
      expect(r.body.error.message).toMatch(pattern);
    });
  }

  it('no floors document in force: 422 NO_POLICY_IN_FORCE', async () => {
    const r = await get('/v1/policies/check?city=luoyang&against=henan&date=2022-06-01');
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('NO_POLICY_IN_FORCE');
  });
});

describe('GET /v1/policies/diff', () => {
  it('luoyang-2022 → luoyang-2024: the cap with both citations', async () => {
    const r = await get('/v1/policies/diff?a=luoyang-2022&b=luoyang-2024');
    expect(r.status).toBe(200);
    expect(r.body.changed).toEqual([
      expect.objectContaining({
        path: 'benefits.resident-outpatient.cap',
        a: [expect.objectContaining({ value: '260 元/人/年', source: '洛医保〔2022〕36号 第八条' })],
        b: [expect.objectContaining({ value: '280 元/人/年', source: '洛医保〔2023〕63号 二(一)2' })],
      }),
    ]);
  });

  it('refuses an unknown pack and a missing b', async () => {
    const r = await get('/v1/policies/diff?a=luoyang-2022&b=nope');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/query\.b: "nope" is not a policy pack id/);
    expect((await get('/v1/policies/diff?a=luoyang-2022')).body.error.message).toMatch(/query\.b: is required/);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/policies/check', '/v1/policies/diff']));
    expect(doc.paths['/v1/policies/check'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['city', 'against', 'date']);
  });
});
