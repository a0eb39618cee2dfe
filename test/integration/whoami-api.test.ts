/** GET /v1/whoami: who a key is (id, role, institution), never the key; 401 without one. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { freshSqlite } from '../support/stores.js';

describe('GET /v1/whoami', () => {
  let store: LedgerDb;
  let app: FastifyInstance;
  beforeAll(async () => {
    const policies = loadPolicies();
    store = await freshSqlite();
    app = await buildServer({ ledger: new Ledger(store, new SettlementEngine(policies)), policies, keys: new KeyStore(store.db, 0), logger: false });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers the role and institution of each key, never the key', async () => {
    for (const [role, institutionId] of [
      ['agency', undefined],
      ['analyst', undefined],
      ['institution', 'H1'],
    ] as const) {
      const k = await createKey(store.db, role, institutionId ? { institutionId } : {});
      const res = await app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${k.key}` } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ id: k.id, role, institution: institutionId ?? null });
      expect(res.body).not.toContain(k.key);
    }
  });

  it('refuses a request without a key or with an unknown one (401)', async () => {
    expect((await app.inject({ url: '/v1/whoami' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/v1/whoami', headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });
});
