/**
 * The accounts over HTTP on every store: open, credit a month twice, operate with refusals and
 * idempotent retries, read; roles (an institution may pay only its own settled visits); and a
 * malformed-request suite that must answer 4xx with a stable code and write nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { createKey, KeyStore, type CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { verifyAccounts } from '../../src/ledger/accounts.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

const TABLES = ['accounts', 'account_entries', 'account_holders', 'audit_log', 'settlements'] as const;

/** Response bodies are read loosely; the assertions are the schema. */
type Json = any;

const retired = (id: string, holderId: string) => ({
  id,
  kind: 'employee-personal',
  holderId,
  region: '410900',
  openedOn: '2023-01-01',
  holder: { category: 'retired', requiredYearsMet: true },
});

for (const s of STORES) {
  describe.skipIf(s.skip)(`accounts over HTTP on ${s.label}`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let analyst: CreatedKey;
    let h1: CreatedKey;
    let h2: CreatedKey;

    async function call(method: 'GET' | 'POST', url: string, key: string | undefined, body?: unknown, raw?: string): Promise<{ status: number; body: Json }> {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key}`;
      const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
      return { status: res.statusCode, body: res.json() };
    }
    const counts = (): Promise<Record<string, number>> => rowCounts(store, TABLES);

    beforeAll(async () => {
      store = await s.open();
      app = await buildServer({ ledger: new Ledger(store, engine), policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      agency = await createKey(store.db, 'agency');
      analyst = await createKey(store.db, 'analyst');
      h1 = await createKey(store.db, 'institution', { institutionId: 'H1' });
      h2 = await createKey(store.db, 'institution', { institutionId: 'H2' });
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('opens, credits a month once, pays, refuses with the article, answers retries, and shows the account', async () => {
      const opened = await call('POST', '/v1/accounts', agency.key, retired('API-1', 'api-p1'));
      expect(opened.status).toBe(201);
      expect(opened.body).toMatchObject({ id: 'API-1', balance: 0, holder: [{ from: '2023-01', category: 'retired' }] });
      expect((await call('POST', '/v1/accounts', agency.key, retired('API-1', 'api-p1'))).status).toBe(200);
      expect((await call('POST', '/v1/accounts', agency.key, { ...retired('API-1', 'api-p1'), openedOn: '2023-02-01' })).body.error.code).toBe('IDEMPOTENCY_CONFLICT');

      const c1 = await call('POST', '/v1/accounts/credit-month', agency.key, { month: '2023-01' });
      expect(c1.status).toBe(200);
      expect(c1.body).toMatchObject({ month: '2023-01', credited: 1, creditedAmount: 60, alreadyCredited: 0 });
      const c2 = await call('POST', '/v1/accounts/credit-month', agency.key, { month: '2023-01' });
      expect(c2.body).toMatchObject({ credited: 0, alreadyCredited: 1 });

      const pay = { requestId: 'api-pay-1', operation: { kind: 'visit-payment', date: '2023-02-01', visitId: 'v1', contracted: true, personShare: '25.50' } };
      const p1 = await call('POST', '/v1/accounts/API-1/operations', agency.key, pay);
      expect(p1.status).toBe(201);
      expect(p1.body).toMatchObject({
        kind: 'visit-payment',
        amount: -25.5,
        balanceAfter: 34.5,
        cashPay: 0,
        requestId: 'api-pay-1',
        replayed: false,
        source: expect.stringContaining('第七条'),
      });
      const retry = await call('POST', '/v1/accounts/API-1/operations', agency.key, pay);
      expect(retry.status).toBe(200);
      expect({ ...retry.body, replayed: false }).toEqual(p1.body);
      const other = await call('POST', '/v1/accounts/API-1/operations', agency.key, { ...pay, operation: { ...pay.operation, personShare: 26 } });
      expect(other).toMatchObject({ status: 409, body: { error: { code: 'IDEMPOTENCY_CONFLICT' } } });

      const before = await counts();
      const fitness = await call('POST', '/v1/accounts/API-1/operations', agency.key, {
        requestId: 'api-fit',
        operation: { kind: 'other-use', purpose: 'fitness', amount: 10, date: '2023-02-02' },
      });
      expect(fitness.status).toBe(422);
      expect(fitness.body.error).toMatchObject({ code: 'PROHIBITED_USE', source: expect.stringContaining('第七条'), reason: expect.stringContaining('体育健身') });
      const tooMuch = await call('POST', '/v1/accounts/API-1/operations', agency.key, {
        requestId: 'api-sup',
        operation: { kind: 'contribution-payment', purpose: 'supplementary-contribution', amount: 100, coverageYear: 2024, date: '2023-02-02' },
      });
      expect(tooMuch.body.error).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
      expect(await counts()).toEqual(before);

      const shown = await call('GET', '/v1/accounts/API-1', agency.key);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ id: 'API-1', balance: 34.5 });
      expect(shown.body.entries.map((e: Json) => [e.seq, e.kind, e.amount, e.balanceAfter])).toEqual([
        [1, 'credit', 60, 60],
        [2, 'visit-payment', -25.5, 34.5],
      ]);
      expect((await call('GET', '/v1/accounts/nope', agency.key)).body.error.code).toBe('NOT_FOUND');
      expect((await verifyAccounts(store.db)).ok).toBe(true);
    });

    it('lets an institution pay only a visit it settled for the holder; everything else is the agency’s', async () => {
      await call('POST', '/v1/accounts', agency.key, retired('API-2', 'api-p2'));
      await call('POST', '/v1/accounts/API-2/operations', agency.key, { requestId: 'api2-open', operation: { kind: 'opening-balance', amount: 100, date: '2023-01-01' } });
      const settled = await call('POST', '/v1/settlements', h1.key, {
        requestId: 'api2-settle',
        person: { id: 'api-p2', region: '410900', scheme: 'employee', category: 'retired' },
        visit: { id: 'api2-v1', time: '2023-03-01T09:00:00+08:00', type: 'outpatient', institution: { id: 'H1', tier: 'city', grade: 3, contracted: true }, total: 250 },
      });
      expect(settled.status).toBe(201);
      const visitPay = (settlementId: string, visitId = 'api2-v1') => ({
        requestId: `api2-pay-${settlementId}-${visitId}`,
        operation: { kind: 'visit-payment', date: '2023-03-01', visitId, settlementId, contracted: true, personShare: settled.body.cashPay },
      });
      const before = await counts();
      // Another institution, another visit, another kind of operation, or no settlement: 403.
      expect((await call('POST', '/v1/accounts/API-2/operations', h2.key, visitPay(settled.body.id))).body.error.code).toBe('FORBIDDEN');
      expect((await call('POST', '/v1/accounts/API-2/operations', h1.key, visitPay(settled.body.id, 'other-visit'))).body.error.code).toBe('FORBIDDEN');
      expect(
        (await call('POST', '/v1/accounts/API-2/operations', h1.key, { requestId: 'api2-x', operation: { kind: 'transfer-out', toRegion: 'luoyang', date: '2023-03-02' } })).status,
      ).toBe(403);
      expect(
        (
          await call('POST', '/v1/accounts/API-2/operations', h1.key, {
            requestId: 'api2-y',
            operation: { kind: 'visit-payment', date: '2023-03-01', visitId: 'api2-v1', contracted: true, personShare: 1 },
          })
        ).status,
      ).toBe(403);
      // Another holder's account: the settlement is not of its holder.
      await call('POST', '/v1/accounts', agency.key, retired('API-3', 'api-p3'));
      expect((await call('POST', '/v1/accounts/API-3/operations', h1.key, visitPay(settled.body.id))).status).toBe(403);
      for (const [method, url, body] of [
        ['POST', '/v1/accounts', retired('API-9', 'api-p9')],
        ['POST', '/v1/accounts/credit-month', { month: '2023-05' }],
        ['GET', '/v1/accounts/API-2', undefined],
        ['POST', '/v1/accounts/API-2/holder', { from: '2023-06', category: 'retired', requiredYearsMet: true }],
      ] as const) {
        expect((await call(method, url, h1.key, body)).status, `${method} ${url} as an institution`).toBe(403);
        expect((await call(method, url, analyst.key, body)).status, `${method} ${url} as an analyst`).toBe(403);
        expect((await call(method, url, undefined, body)).status, `${method} ${url} unauthenticated`).toBe(401);
      }
      expect(await counts()).toEqual({
        ...before,
        accounts: (before.accounts as number) + 1,
        account_holders: (before.account_holders as number) + 1,
        audit_log: (before.audit_log as number) + 1,
      });
      // Its own settled visit: the share the person bears (the settlement's cash) from the account.
      const ok = await call('POST', '/v1/accounts/API-2/operations', h1.key, visitPay(settled.body.id));
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ kind: 'visit-payment', settlementId: settled.body.id, amount: -Math.min(100, settled.body.cashPay) });
    });

    it('answers malformed requests with 4xx and a stable code naming the field, and writes nothing', async () => {
      await call('POST', '/v1/accounts', agency.key, retired('API-M', 'api-pm'));
      const before = await counts();
      const cases: [string, 'GET' | 'POST', string, unknown, number, string, RegExp?][] = [
        ['open: unknown kind', 'POST', '/v1/accounts', { ...retired('M1', 'm1'), kind: 'savings' }, 400, 'INVALID_REQUEST', /kind/],
        ['open: unknown region', 'POST', '/v1/accounts', { ...retired('M1', 'm1'), region: 'atlantis' }, 400, 'INVALID_REQUEST', /region/],
        ['open: active without base', 'POST', '/v1/accounts', { ...retired('M1', 'm1'), holder: { category: 'active' } }, 400, 'INVALID_REQUEST', /holder\.contributionBase/],
        ['open: no holder details', 'POST', '/v1/accounts', { ...retired('M1', 'm1'), holder: undefined }, 400, 'INVALID_REQUEST', /holder/],
        ['open: bad date', 'POST', '/v1/accounts', { ...retired('M1', 'm1'), openedOn: '2023-02-30' }, 400, 'INVALID_REQUEST', /openedOn/],
        ['open: unknown field', 'POST', '/v1/accounts', { ...retired('M1', 'm1'), colour: 'red' }, 400, 'INVALID_REQUEST'],
        ['open: members on a personal account', 'POST', '/v1/accounts', { ...retired('M1', 'm1'), members: ['x'] }, 400, 'INVALID_REQUEST', /members/],
        ['credit: bad month', 'POST', '/v1/accounts/credit-month', { month: '2023-13' }, 400, 'INVALID_REQUEST', /month/],
        ['credit: no month', 'POST', '/v1/accounts/credit-month', {}, 400, 'INVALID_REQUEST', /month/],
        [
          'operate: no requestId',
          'POST',
          '/v1/accounts/API-M/operations',
          { operation: { kind: 'opening-balance', amount: 1, date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /requestId/,
        ],
        [
          'operate: unknown kind',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'gift', amount: 1, date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /operation/,
        ],
        [
          'operate: negative amount',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'opening-balance', amount: -1, date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /operation\.amount/,
        ],
        [
          'operate: three decimals',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'opening-balance', amount: '1.234', date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /operation\.amount/,
        ],
        [
          'operate: huge',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'opening-balance', amount: 1e300, date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /operation\.amount/,
        ],
        [
          'operate: bad date',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'opening-balance', amount: 1, date: 'yesterday' } },
          400,
          'INVALID_REQUEST',
          /operation\.date/,
        ],
        [
          'operate: bad purpose',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'family-payment', purpose: 'gift', date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /purpose/,
        ],
        [
          'operate: bad relation',
          'POST',
          '/v1/accounts/API-M/operations',
          {
            requestId: 'm',
            operation: { kind: 'family-payment', purpose: 'resident-contribution', relation: 'cousin', memberId: 'c', amount: 1, coverageYear: 2024, date: '2023-01-01' },
          },
          400,
          'INVALID_REQUEST',
          /relation/,
        ],
        [
          'operate: out of scope above share',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'visit-payment', visitId: 'v', contracted: true, personShare: 1, outOfScope: 2, date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /outOfScope/,
        ],
        [
          'operate: death after the date',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'inheritance', deathDate: '2023-02-01', heirs: ['h'], date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /deathDate/,
        ],
        [
          'operate: no heirs',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'inheritance', deathDate: '2023-01-01', heirs: [], date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /heirs/,
        ],
        [
          'operate: bad request id',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'a b', operation: { kind: 'opening-balance', amount: 1, date: '2023-01-01' } },
          400,
          'INVALID_REQUEST',
          /requestId/,
        ],
        [
          'operate: no such account',
          'POST',
          '/v1/accounts/nope/operations',
          { requestId: 'm', operation: { kind: 'opening-balance', amount: 1, date: '2023-01-01' } },
          404,
          'NOT_FOUND',
        ],
        [
          'operate: before any policy',
          'POST',
          '/v1/accounts/API-M/operations',
          { requestId: 'm', operation: { kind: 'opening-balance', amount: 1, date: '2020-01-01' } },
          422,
          'NO_POLICY_IN_FORCE',
        ],
        ['holder: no from', 'POST', '/v1/accounts/API-M/holder', { category: 'retired' }, 400, 'INVALID_REQUEST', /from/],
        ['holder: no such account', 'POST', '/v1/accounts/nope/holder', { from: '2023-01', category: 'retired' }, 404, 'NOT_FOUND'],
      ];
      for (const [name, method, url, body, status, code, field] of cases) {
        const r = await call(method, url, agency.key, body);
        expect(r.status, name).toBe(status);
        expect(r.body.error.code, name).toBe(code);
        if (field) expect(r.body.error.message, name).toMatch(field);
      }
      expect((await call('POST', '/v1/accounts', agency.key, undefined, '{"id":')).body.error.code).toBe('INVALID_JSON');
      expect(await counts()).toEqual(before);
    });
  });
}
