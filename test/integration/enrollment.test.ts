/**
 * Enrollment over HTTP on every store (SQLite, SQLite with the writer thread, PostgreSQL): record a
 * payment (idempotent; 409 for another payment under the same id), the history with the coverage
 * each payment buys, roles, the audit log, malformed requests that write nothing, and settlements
 * that use the stored payments — the wait refusing a visit and paying after it, and of several
 * payments for a year the one whose benefits start first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { createKey, KeyStore, type CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

const H9 = { id: 'H9', tier: 'primary', grade: 1, contracted: true };
const person = (id: string, more: Record<string, unknown> = {}) => ({ id, region: '410300', scheme: 'resident', category: 'adult', ...more });
const payment = (requestId: string, id: string, more: Record<string, unknown> = {}) => ({
  requestId,
  person: person(id),
  coverageYear: 2024,
  paidOn: '2024-03-01',
  amount: 380,
  payer: 'self',
  ...more,
});
const visitAt = (id: string, time: string) => ({ id, time, type: 'outpatient', institution: H9, total: 100 });

const TABLES = ['enrollments', 'persons', 'audit_log', 'settlements'] as const;
const counts = (store: LedgerDb): Promise<Record<(typeof TABLES)[number], number>> => rowCounts(store, TABLES);

type Json = any;

for (const s of STORES) {
  describe.skipIf(s.skip)(`enrollment on ${s.label}`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let h9: CreatedKey;
    let analyst: CreatedKey;

    const call = async (method: 'GET' | 'POST', url: string, key: string | undefined, body?: unknown) => {
      const res = await app.inject({
        method,
        url,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      return { status: res.statusCode, body: res.json() as Json };
    };
    const record = (body: Record<string, unknown>, key = agency.key) => call('POST', `/v1/persons/${(body.person as { id: string }).id}/enrollments`, key, body);
    const settle = (requestId: string, id: string, visit: object) => call('POST', '/v1/settlements', agency.key, { requestId, person: person(id), visit });

    beforeAll(async () => {
      store = await s.open();
      const ledger = new Ledger(store, engine);
      await ledger.ready;
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      agency = await createKey(store.db, 'agency');
      h9 = await createKey(store.db, 'institution', { institutionId: 'H9' });
      analyst = await createKey(store.db, 'analyst');
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('records a payment with its coverage, answers a retry with the original, refuses the id for another payment', async () => {
      const before = await counts(store);
      const first = await record(payment('pay-a1', 'e-a'));
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        requestId: 'pay-a1',
        person: 'e-a',
        coverageYear: 2024,
        paidOn: '2024-03-01',
        amount: 380,
        payer: 'self',
        source: 'record',
        coverage: {
          period: 'extended',
          policy: '洛医保〔2023〕63号',
          waitingPeriod: { from: '2024-03-02', to: '2024-03-31', days: 30, source: '洛医保〔2023〕63号 六(三)' },
          coverage: { from: '2024-04-01', to: '2024-12-31' },
          benefitsFrom: '2024-04-01',
        },
      });
      expect(first.body.id).toMatch(/^E-/);
      expect(first.body.coverage.trace.map((t: { step: string }) => t.step)).toEqual(['policy', 'period', 'waiting-period']);
      expect(await counts(store)).toEqual({ ...before, enrollments: before.enrollments + 1, persons: before.persons + 1, audit_log: before.audit_log + 1 });
      const audit = await store.db.selectFrom('audit_log').selectAll().where('target', '=', first.body.id).execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: 'enrollment.record', role: 'agency' });
      expect(JSON.parse(audit[0]!.detail)).toMatchObject({ requestId: 'pay-a1', person: 'e-a', amount: 380, payer: 'self' });
      const row = await store.db.selectFrom('enrollments').selectAll().where('id', '=', first.body.id).executeTakeFirstOrThrow();
      expect(Number(row.amount_fen)).toBe(38_000);

      // The same payment again (the amount written otherwise): the original, nothing written.
      const again = await record(payment('pay-a1', 'e-a', { amount: '380.00' }));
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect(await counts(store)).toEqual({ ...before, enrollments: before.enrollments + 1, persons: before.persons + 1, audit_log: before.audit_log + 1 });

      const other = await record(payment('pay-a1', 'e-a', { amount: 300 }));
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
      expect(await counts(store)).toEqual({ ...before, enrollments: before.enrollments + 1, persons: before.persons + 1, audit_log: before.audit_log + 1 });

      // A request id is the person's: the same id for another person is another payment.
      const anothers = await record(payment('pay-a1', 'e-a2', { amount: 300 }));
      expect(anothers.status).toBe(201);
      expect(anothers.body.id).not.toBe(first.body.id);
    });

    it('settles with the stored payment: nothing during the wait, paid after it (settle and pre-settle)', async () => {
      expect((await record(payment('pay-w1', 'e-w'))).status).toBe(201);
      const during = await settle('set-w1', 'e-w', visitAt('e-w-v1', '2024-03-31T20:00:00+08:00'));
      expect(during.status).toBe(201);
      expect(during.body).toMatchObject({ eligibility: 'waiting-period', fundPay: 0, cashPay: 100 });
      expect(JSON.stringify(during.body.trace)).toContain('2024-04-01起享受待遇');
      const pre = await call('POST', '/v1/pre-settlements', agency.key, { person: person('e-w'), visit: visitAt('e-w-v2', '2024-04-01T08:00:00+08:00') });
      expect(pre.body).toMatchObject({ eligibility: 'covered', fundPay: 60 });
      const after = await settle('set-w2', 'e-w', visitAt('e-w-v2', '2024-04-01T08:00:00+08:00'));
      expect(after.body).toMatchObject({ eligibility: 'covered', fundPay: 60, cashPay: 40 });
    });

    it('of several payments for a year, the one whose benefits start first governs, whatever the order recorded', async () => {
      // A transfer (no wait), then an ordinary extended-period payment recorded after it: the latest
      // recorded would wait until 04-01; the transfer covers from 03-01.
      expect((await record(payment('pay-t2', 'e-t', { transfer: true, amount: 190, payer: 'self' }))).status).toBe(201);
      expect((await record(payment('pay-t1', 'e-t', { amount: 190 }))).status).toBe(201);
      const v = await settle('set-t1', 'e-t', visitAt('e-t-v1', '2024-03-05T10:00:00+08:00'));
      expect(v.body).toMatchObject({ eligibility: 'covered', fundPay: 60 });
      // A concentrated-period payment, then an assistance top-up in February recorded after it:
      // still covered from 1 January (the top-up alone would wait until March).
      expect((await record(payment('pay-c1', 'e-c', { paidOn: '2023-10-20', amount: 300 }))).status).toBe(201);
      expect((await record(payment('pay-c2', 'e-c', { paidOn: '2024-02-10', amount: 80, payer: 'assistance' }))).status).toBe(201);
      const jan = await settle('set-c1', 'e-c', visitAt('e-c-v1', '2024-01-05T10:00:00+08:00'));
      expect(jan.body).toMatchObject({ eligibility: 'covered', fundPay: 60 });

      const history = await call('GET', '/v1/persons/e-c/enrollments', agency.key);
      expect(history.status).toBe(200);
      expect(history.body.enrollments.map((e: Json) => [e.paidOn, e.payer, e.coverage.period, e.governing])).toEqual([
        ['2023-10-20', 'self', 'concentrated', true],
        ['2024-02-10', 'assistance', 'extended', false],
      ]);
      // A payment a settle brought is in the history too, marked as such.
      await settle('set-s1', 'e-s', { ...visitAt('e-s-v1', '2024-06-01T10:00:00+08:00') });
      await call('POST', '/v1/settlements', agency.key, {
        requestId: 'set-s2',
        person: { ...person('e-s'), enrollment: { paidOn: '2023-11-11', coverageYear: 2024 } },
        visit: visitAt('e-s-v2', '2024-06-02T10:00:00+08:00'),
      });
      const brought = await call('GET', '/v1/persons/e-s/enrollments', agency.key);
      expect(brought.body.enrollments).toMatchObject([{ source: 'settle', amount: null, payer: null, coverage: { period: 'concentrated' }, governing: true }]);
    });

    it('keeps the person as enrolled: a hardship group paying in the extended period stays exempt', async () => {
      expect((await record(payment('pay-h1', 'e-h', { person: person('e-h', { hardship: 'dibao' }), payer: 'assistance' }))).status).toBe(201);
      // Settled later with the person no longer in the group: the payment was made as 低保 (no wait).
      const v = await settle('set-h1', 'e-h', visitAt('e-h-v1', '2024-03-02T10:00:00+08:00'));
      expect(v.body).toMatchObject({ eligibility: 'covered', fundPay: 60 });
      const h = await call('GET', '/v1/persons/e-h/enrollments', agency.key);
      expect(h.body.enrollments[0]).toMatchObject({ enrolledAs: { hardship: 'dibao' }, coverage: { exemption: { reason: 'hardship' }, waitingPeriod: null } });
    });

    it('derives coverage without recording (agency and institutions)', async () => {
      const before = await counts(store);
      const body = { person: { region: 'luoyang', scheme: 'resident', category: 'newborn' }, coverageYear: 2024, paidOn: '2024-05-10' };
      for (const key of [agency.key, h9.key]) {
        const r = await call('POST', '/v1/enrollments/coverage', key, body);
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ period: 'extended', exemption: { reason: 'category', label: '新生儿' }, coverage: { from: '2024-05-10', to: '2024-12-31' } });
      }
      expect((await call('POST', '/v1/enrollments/coverage', analyst.key, body)).status).toBe(403);
      expect(await counts(store)).toEqual(before);
    });

    it('refuses institutions and analysts the payments, and unknown persons', async () => {
      const before = await counts(store);
      const r = await record(payment('pay-r1', 'e-r'), h9.key);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
      expect((await call('GET', '/v1/persons/e-a/enrollments', h9.key)).status).toBe(403);
      expect((await call('GET', '/v1/persons/e-a/enrollments', analyst.key)).status).toBe(403);
      expect((await call('GET', '/v1/persons/e-a/enrollments', undefined)).status).toBe(401);
      const missing = await call('GET', '/v1/persons/nobody/enrollments', agency.key);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
      expect(await counts(store)).toEqual(before);
    });

    const bad: { name: string; body: unknown; url?: string; status: number; code: string; names: string[] }[] = [
      { name: 'no request id', body: { ...payment('x', 'e-m'), requestId: undefined }, status: 400, code: 'INVALID_REQUEST', names: ['requestId'] },
      { name: 'amount with three places', body: payment('m1', 'e-m', { amount: '380.001' }), status: 400, code: 'INVALID_REQUEST', names: ['amount'] },
      { name: 'amount zero', body: payment('m2', 'e-m', { amount: 0 }), status: 400, code: 'INVALID_REQUEST', names: ['amount'] },
      { name: 'amount missing', body: { ...payment('m3', 'e-m'), amount: undefined }, status: 400, code: 'INVALID_REQUEST', names: ['amount'] },
      { name: 'unknown payer', body: payment('m4', 'e-m', { payer: 'boss' }), status: 400, code: 'INVALID_REQUEST', names: ['payer'] },
      { name: 'not a date', body: payment('m5', 'e-m', { paidOn: '2024-02-30' }), status: 400, code: 'INVALID_REQUEST', names: ['paidOn'] },
      { name: 'paid after the year', body: payment('m6', 'e-m', { paidOn: '2025-01-02' }), status: 400, code: 'INVALID_REQUEST', names: ['paidOn'] },
      { name: 'paid in the future', body: payment('m7', 'e-m', { coverageYear: 2200, paidOn: '2199-10-01' }), status: 400, code: 'INVALID_REQUEST', names: ['paidOn'] },
      {
        name: 'category of another scheme',
        body: payment('m8', 'e-m', { person: person('e-m', { category: 'retired' }) }),
        status: 400,
        code: 'INVALID_REQUEST',
        names: ['person.category'],
      },
      { name: 'unknown region', body: payment('m9', 'e-m', { person: person('e-m', { region: 'atlantis' }) }), status: 400, code: 'INVALID_REQUEST', names: ['person.region'] },
      { name: 'extra field', body: payment('m10', 'e-m', { colour: 'red' }), status: 400, code: 'INVALID_REQUEST', names: ['colour'] },
      { name: 'transfer not a boolean', body: payment('m11', 'e-m', { transfer: 'yes' }), status: 400, code: 'INVALID_REQUEST', names: ['transfer'] },
      { name: 'another person than the path', body: payment('m12', 'e-m'), url: '/v1/persons/e-other/enrollments', status: 400, code: 'INVALID_REQUEST', names: ['person.id'] },
      { name: 'not JSON', body: '{"requestId":', status: 400, code: 'INVALID_JSON', names: [] },
      { name: 'in neither period', body: payment('m13', 'e-m', { paidOn: '2023-08-31' }), status: 422, code: 'ENROLLMENT_INVALID', names: ['2023-08-31'] },
      { name: 'no document gives the periods', body: payment('m14', 'e-m', { coverageYear: 2022, paidOn: '2022-03-01' }), status: 422, code: 'MISSING_PARAMETER', names: [] },
    ];
    for (const b of bad) {
      it(`refuses a malformed payment and writes nothing: ${b.name}`, async () => {
        const before = await counts(store);
        const r = await call('POST', b.url ?? '/v1/persons/e-m/enrollments', agency.key, b.body);
        expect(r.status, JSON.stringify(r.body)).toBe(b.status);
        expect(r.body.error.code).toBe(b.code);
        for (const n of b.names) expect(r.body.error.message).toContain(n);
        expect(await counts(store)).toEqual(before);
      });
    }

    it('lists the routes in the OpenAPI document', async () => {
      const doc = (await call('GET', '/openapi.json', undefined)).body;
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/persons/{id}/enrollments', '/v1/enrollments/coverage']));
      expect(JSON.stringify(doc.paths['/v1/persons/{id}/enrollments'].post.requestBody)).toContain('assistance');
    });
  });
}
