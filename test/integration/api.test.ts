/**
 * The HTTP service on both stores, through app.inject (and one real socket for the concurrency
 * test): the settle / pre-settle / reverse cycle, a malformed-request suite that must answer 4xx
 * with a stable code and write nothing, roles, the audit log, health and OpenAPI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../../src/api/server.js';
import { createKey, KeyStore, revokeKey, type CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, verifyLedger } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { withJson } from '../support/service.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

// One registry entry per institution id for the whole file (the ledger refuses a visit whose
// tier or grade disagrees with what it has on record).
const H1 = { id: 'H1', tier: 'county', grade: 2, contracted: true };
const H2 = { id: 'H2', tier: 'city', grade: 3, contracted: true };

const luoyang = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const visit = (id: string, institution: object = H1, more: Record<string, unknown> = {}) => ({
  id,
  time: '2024-03-02T10:00:00+08:00',
  type: 'outpatient',
  institution: { ...institution },
  total: 200,
  eligible: 180,
  ...more,
});
const settleBody = (requestId: string, personId: string, visitId: string, institution: object = H1) => ({
  requestId,
  person: luoyang(personId),
  visit: visit(visitId, institution),
});

const TABLES = ['settlements', 'visits', 'persons', 'audit_log', 'cap_usage', 'deductible_windows', 'enrollments', 'institutions'] as const;
type Counts = Record<(typeof TABLES)[number], number>;

/** Row counts of every table a request could write (of audit_log, the writes' rows). */
const counts = (store: LedgerDb): Promise<Counts> => rowCounts(store, TABLES);

const fen = (yuan: number) => Math.round(yuan * 100);

/** Response bodies are read loosely; the assertions are the schema. */
type Json = any;

interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  key?: string | undefined;
  body?: unknown;
  /** A raw payload, sent as is (with `contentType`, default application/json). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`HTTP API on ${s.label}`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let analyst: CreatedKey;
    let h1: CreatedKey;

    async function call(c: Call): Promise<LightMyRequestResponse & { body_: Json }> {
      const headers: Record<string, string> = { ...(c.headers ?? {}) };
      if (c.key !== undefined) headers.authorization = `Bearer ${c.key}`;
      let payload: string | undefined;
      if (c.raw !== undefined) {
        payload = c.raw;
        headers['content-type'] = c.contentType ?? 'application/json';
      } else if (c.body !== undefined) {
        payload = JSON.stringify(c.body);
        headers['content-type'] = c.contentType ?? 'application/json';
      }
      return withJson(await app.inject({ method: c.method ?? (payload === undefined ? 'GET' : 'POST'), url: c.url, headers, ...(payload === undefined ? {} : { payload }) }));
    }

    beforeAll(async () => {
      store = await s.open();
      const ledger = new Ledger(store, engine);
      // ttl 0: a revoked key stops working at once.
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      agency = await createKey(store.db, 'agency');
      analyst = await createKey(store.db, 'analyst');
      h1 = await createKey(store.db, 'institution', { institutionId: 'H1' });
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    describe('settle, retry, pre-settle, reverse, read', () => {
      it('settles, answers a retry with the same entry, refuses the id with another body, reverses and restores', async () => {
        const statsBefore = (await call({ url: '/v1/stats/fund?year=2024', key: agency.key })).body_;
        const before = await counts(store);

        // Pre-settle first: the figures, and nothing written.
        const pre = await call({ url: '/v1/pre-settlements', key: agency.key, body: { person: luoyang('lu-happy'), visit: visit('lu-happy-v1') } });
        expect(pre.statusCode).toBe(200);
        expect(pre.body_).toMatchObject({ preSettlement: true, deductible: 50, fundPay: 65, cashPay: 135 });
        expect(await counts(store)).toEqual(before);

        const body = settleBody('happy-1', 'lu-happy', 'lu-happy-v1');
        const first = await call({ url: '/v1/settlements', key: agency.key, body });
        expect(first.statusCode).toBe(201);
        const entry = first.body_;
        expect(entry).toMatchObject({
          kind: 'settlement',
          requestId: 'happy-1',
          visitId: 'lu-happy-v1',
          policy: '洛医保〔2023〕63号',
          total: 200,
          eligible: 180,
          outOfScope: 20,
          deductible: 50,
          fundPay: 65,
          cashPay: 135,
          ratio: 50,
          cap: { bucket: 'outpatient', year: 2024, limit: 280, usedBefore: 0, usedAfter: 65, remaining: 215 },
        });
        expect(entry.id).toMatch(/^S-/);
        const afterSettle = await counts(store);
        expect(afterSettle.settlements).toBe(before.settlements + 1);
        expect(afterSettle.audit_log).toBe(before.audit_log + 1);

        // The same request again: 200 and the identical entry, nothing written.
        const retry = await call({ url: '/v1/settlements', key: agency.key, body });
        expect(retry.statusCode).toBe(200);
        expect(retry.body_).toEqual(entry);
        // Key order does not make it another request.
        const reordered = { visit: { ...body.visit }, person: { category: 'adult', scheme: 'resident', region: '410300', id: 'lu-happy' }, requestId: 'happy-1' };
        const retry2 = await call({ url: '/v1/settlements', key: agency.key, body: reordered });
        expect(retry2.statusCode).toBe(200);
        expect(retry2.body_).toEqual(entry);
        expect(await counts(store)).toEqual(afterSettle);

        // The same id with another body: refused, nothing written.
        const conflict = await call({ url: '/v1/settlements', key: agency.key, body: { ...body, visit: { ...body.visit, total: 201 } } });
        expect(conflict.statusCode).toBe(409);
        expect(conflict.body_.error.code).toBe('IDEMPOTENCY_CONFLICT');
        expect(conflict.body_.error.message).toContain('requestId');
        expect(await counts(store)).toEqual(afterSettle);

        // Another request id for a visit already settled: refused.
        const twice = await call({ url: '/v1/settlements', key: agency.key, body: { ...body, requestId: 'happy-1b' } });
        expect(twice.statusCode).toBe(409);
        expect(twice.body_.error.code).toBe('VISIT_ALREADY_SETTLED');
        expect(await counts(store)).toEqual(afterSettle);

        // Pre-settle now sees the accumulators: the deductible of the day is borne, 65 of the cap used.
        const pre2 = await call({
          url: '/v1/pre-settlements',
          key: agency.key,
          body: { person: luoyang('lu-happy'), visit: visit('lu-happy-v2', H1, { time: '2024-03-02T15:00:00+08:00' }) },
        });
        expect(pre2.statusCode).toBe(200);
        expect(pre2.body_).toMatchObject({ deductible: 0, fundPay: 90, cap: { usedBefore: 65, usedAfter: 155 } });
        expect(await counts(store)).toEqual(afterSettle);

        // The entry, with its trace.
        const got = await call({ url: `/v1/settlements/${entry.id}`, key: agency.key });
        expect(got.statusCode).toBe(200);
        expect(got.body_).toEqual(entry);
        expect(Array.isArray(got.body_.trace)).toBe(true);
        expect(got.body_.trace).toContainEqual(expect.objectContaining({ step: 'deductible', source: '洛医保〔2023〕63号 二(一)2', deductible: 50 }));

        // Accumulators.
        const acc = await call({ url: '/v1/persons/lu-happy/accumulators?year=2024', key: agency.key });
        expect(acc.statusCode).toBe(200);
        expect(acc.body_.caps).toEqual([{ bucket: 'outpatient', year: 2024, used: 65, limit: 280, remaining: 215 }]);
        expect(acc.body_.deductibleWindows).toEqual([expect.objectContaining({ bucket: 'outpatient', institution: 'H1', day: '2024-03-02', borne: 50 })]);

        // Stats include it.
        const statsMid = (await call({ url: '/v1/stats/fund?year=2024', key: agency.key })).body_;
        expect(statsMid.totals.settlements).toBe(statsBefore.totals.settlements + 1);
        expect(fen(statsMid.totals.fundPay)).toBe(fen(statsBefore.totals.fundPay) + 6500);
        expect(fen(statsMid.totals.total)).toBe(fen(statsBefore.totals.total) + 20000);
        expect(statsMid.rows).toContainEqual(expect.objectContaining({ policy: '洛医保〔2023〕63号', month: '2024-03' }));

        // Reverse.
        const rev = await call({ url: `/v1/settlements/${entry.id}/reversal`, key: agency.key, body: { requestId: 'happy-1-rev' } });
        expect(rev.statusCode).toBe(201);
        expect(rev.body_).toMatchObject({ kind: 'reversal', reverses: entry.id, requestId: 'happy-1-rev', total: -200, fundPay: -65, cashPay: -135, deductible: -50 });
        expect(rev.body_.id).toMatch(/^R-/);
        const afterRev = await counts(store);
        expect(afterRev.settlements).toBe(afterSettle.settlements + 1);
        expect(afterRev.audit_log).toBe(afterSettle.audit_log + 1);

        const acc2 = await call({ url: '/v1/persons/lu-happy/accumulators?year=2024', key: agency.key });
        expect(acc2.body_.caps).toEqual([{ bucket: 'outpatient', year: 2024, used: 0, limit: 280, remaining: 280 }]);
        expect(acc2.body_.deductibleWindows).toEqual([]);

        // The reversal again: the same reversal; with a new id: refused; a reversal cannot be reversed.
        const revRetry = await call({ url: `/v1/settlements/${entry.id}/reversal`, key: agency.key, body: { requestId: 'happy-1-rev' } });
        expect(revRetry.statusCode).toBe(200);
        expect(revRetry.body_).toEqual(rev.body_);
        const revTwice = await call({ url: `/v1/settlements/${entry.id}/reversal`, key: agency.key, body: { requestId: 'happy-1-rev2' } });
        expect(revTwice.statusCode).toBe(409);
        expect(revTwice.body_.error.code).toBe('ALREADY_REVERSED');
        const revRev = await call({ url: `/v1/settlements/${rev.body_.id}/reversal`, key: agency.key, body: { requestId: 'happy-1-rev3' } });
        expect(revRev.statusCode).toBe(409);
        expect(revRev.body_.error.code).toBe('NOT_REVERSIBLE');
        // A settlement's request id is not a reversal's.
        const crossed = await call({ url: `/v1/settlements/${entry.id}/reversal`, key: agency.key, body: { requestId: 'happy-1' } });
        expect(crossed.statusCode).toBe(409);
        expect(crossed.body_.error.code).toBe('IDEMPOTENCY_CONFLICT');
        expect(await counts(store)).toEqual(afterRev);

        // The original is unchanged; history lists both.
        expect((await call({ url: `/v1/settlements/${entry.id}`, key: agency.key })).body_).toEqual(entry);
        const hist = await call({ url: '/v1/persons/lu-happy/settlements?year=2024', key: agency.key });
        expect(hist.statusCode).toBe(200);
        expect(hist.body_.person).toBe('lu-happy');
        expect(hist.body_.entries.map((e: Json) => [e.kind, e.id])).toEqual([
          ['settlement', entry.id],
          ['reversal', rev.body_.id],
        ]);
        expect((await call({ url: '/v1/persons/lu-happy/settlements?year=2023', key: agency.key })).body_.entries).toEqual([]);

        // Stats are net of the reversal: back where they were.
        const statsAfter = (await call({ url: '/v1/stats/fund?year=2024', key: agency.key })).body_;
        expect(statsAfter.totals).toEqual(statsBefore.totals);

        // The visit may be settled again, and bears the deductible again.
        const again = await call({ url: '/v1/settlements', key: agency.key, body: { ...body, requestId: 'happy-1-again' } });
        expect(again.statusCode).toBe(201);
        expect(again.body_).toMatchObject({ deductible: 50, fundPay: 65, cap: { usedBefore: 0, usedAfter: 65 } });
        expect((await verifyLedger(store.db)).ok).toBe(true);
      });

      it('pre-settle with a request id writes nothing either, and does not reserve the id', async () => {
        const before = await counts(store);
        const body = settleBody('pre-1', 'lu-pre', 'lu-pre-v1');
        const pre = await call({ url: '/v1/pre-settlements', key: agency.key, body });
        expect(pre.statusCode).toBe(200);
        expect(pre.body_).toMatchObject({ preSettlement: true, fundPay: 65 });
        expect(await counts(store)).toEqual(before);
        expect((await call({ url: '/v1/persons/lu-pre/settlements', key: agency.key })).body_.entries).toEqual([]);
        const acc = await call({ url: '/v1/persons/lu-pre/accumulators?year=2024', key: agency.key });
        expect(acc.statusCode).toBe(404);
        expect(acc.body_.error.code).toBe('NOT_FOUND');
        const settled = await call({ url: '/v1/settlements', key: agency.key, body });
        expect(settled.statusCode).toBe(201);
      });
    });

    describe('malformed requests: 4xx with a stable code naming the field, and nothing written', () => {
      let n = 0;
      /** A valid settle body, new ids every time: if a bad case were accepted it would write. */
      const base = (): Json => {
        n += 1;
        return structuredClone(settleBody(`bad-${n}`, `lu-bad-${n}`, `lu-bad-v${n}`));
      };
      const mut = (f: (b: Json) => void) => () => {
        const b = base();
        f(b);
        return b;
      };

      interface Bad {
        name: string;
        url?: string;
        body?: () => unknown;
        raw?: () => string;
        contentType?: string;
        status: number;
        code: string;
        /** The message must contain each of these. */
        names?: string[];
      }

      const INVALID = 'INVALID_REQUEST';
      const cases: Bad[] = [
        // wrong types
        { name: 'total is a boolean', body: mut((b) => (b.visit.total = true)), status: 400, code: INVALID, names: ['visit.total'] },
        { name: 'total is an object', body: mut((b) => (b.visit.total = { yuan: 1 })), status: 400, code: INVALID, names: ['visit.total'] },
        { name: 'person.id is a number', body: mut((b) => (b.person.id = 42)), status: 400, code: INVALID, names: ['person.id'] },
        { name: 'grade is a string', body: mut((b) => (b.visit.institution.grade = '2')), status: 400, code: INVALID, names: ['visit.institution.grade'] },
        { name: 'grade is 4', body: mut((b) => (b.visit.institution.grade = 4)), status: 400, code: INVALID, names: ['visit.institution.grade'] },
        { name: 'contracted is "yes"', body: mut((b) => (b.visit.institution.contracted = 'yes')), status: 400, code: INVALID, names: ['visit.institution.contracted'] },
        { name: 'visit is an array', body: mut((b) => (b.visit = [b.visit])), status: 400, code: INVALID, names: ['visit'] },
        { name: 'person is null', body: mut((b) => (b.person = null)), status: 400, code: INVALID, names: ['person'] },
        { name: 'requestId is a number', body: mut((b) => (b.requestId = 12345)), status: 400, code: INVALID, names: ['requestId'] },
        { name: 'unknown visit type', body: mut((b) => (b.visit.type = 'dental')), status: 400, code: INVALID, names: ['visit.type'] },
        { name: 'unknown scheme', body: mut((b) => (b.person.scheme = 'private')), status: 400, code: INVALID, names: ['person.scheme'] },
        { name: 'employee category for a resident', body: mut((b) => (b.person.category = 'retired')), status: 400, code: INVALID, names: ['person.category'] },
        {
          name: 'enrollment coverageYear is a string',
          body: mut((b) => (b.person.enrollment = { paidOn: '2023-10-20', coverageYear: '2024' })),
          status: 400,
          code: INVALID,
          names: ['person.enrollment.coverageYear'],
        },
        // missing fields
        { name: 'no requestId', body: mut((b) => delete b.requestId), status: 400, code: INVALID, names: ['requestId'] },
        { name: 'no visit', body: mut((b) => delete b.visit), status: 400, code: INVALID, names: ['visit'] },
        { name: 'no person.scheme', body: mut((b) => delete b.person.scheme), status: 400, code: INVALID, names: ['person.scheme'] },
        { name: 'no visit.time', body: mut((b) => delete b.visit.time), status: 400, code: INVALID, names: ['visit.time'] },
        { name: 'no institution.tier', body: mut((b) => delete b.visit.institution.tier), status: 400, code: INVALID, names: ['visit.institution.tier'] },
        { name: 'no total', body: mut((b) => delete b.visit.total), status: 400, code: INVALID, names: ['visit.total'] },
        { name: 'empty person id', body: mut((b) => (b.person.id = '')), status: 400, code: INVALID, names: ['person.id'] },
        // huge numbers
        { name: 'total 1e308', body: mut((b) => (b.visit.total = 1e308)), status: 400, code: INVALID, names: ['visit.total'] },
        { name: 'total 1e21', body: mut((b) => (b.visit.total = 1e21)), status: 400, code: INVALID, names: ['visit.total'] },
        { name: 'total "99999999999"', body: mut((b) => (b.visit.total = '99999999999')), status: 400, code: INVALID, names: ['visit.total'] },
        {
          name: 'eligible 1e21 (and total 1e21)',
          body: mut((b) => ((b.visit.total = 1e21), (b.visit.eligible = 1e21))),
          status: 400,
          code: INVALID,
          names: ['visit.total', 'visit.eligible'],
        },
        {
          name: 'total 1e400 in the JSON text (Infinity)',
          raw: () => JSON.stringify(base()).replace('"total":200', '"total":1e400'),
          status: 400,
          code: INVALID,
          names: ['visit.total'],
        },
        { name: 'total 1e-7', body: mut((b) => (b.visit.total = 1e-7)), status: 400, code: INVALID, names: ['visit.total'] },
        // negative amounts
        { name: 'total -5', body: mut((b) => (b.visit.total = -5)), status: 400, code: INVALID, names: ['visit.total', 'negative'] },
        { name: 'eligible "-1"', body: mut((b) => (b.visit.eligible = '-1')), status: 400, code: INVALID, names: ['visit.eligible', 'negative'] },
        // decimals
        { name: 'total 10.123', body: mut((b) => (b.visit.total = 10.123)), status: 400, code: INVALID, names: ['visit.total', 'decimal'] },
        { name: 'eligible "100.001"', body: mut((b) => (b.visit.eligible = '100.001')), status: 400, code: INVALID, names: ['visit.eligible', 'decimal'] },
        { name: 'total 0.1+0.2', body: mut((b) => (b.visit.total = 0.1 + 0.2)), status: 400, code: INVALID, names: ['visit.total'] },
        { name: 'total "12,5"', body: mut((b) => (b.visit.total = '12,5')), status: 400, code: INVALID, names: ['visit.total'] },
        // unknown region
        { name: 'unknown region 999999', body: mut((b) => (b.person.region = '999999')), status: 400, code: INVALID, names: ['person.region', '999999'] },
        { name: 'unknown region name', body: mut((b) => (b.person.region = 'atlantis')), status: 400, code: INVALID, names: ['person.region', 'atlantis'] },
        // dates
        { name: 'visit on 2023-02-29', body: mut((b) => (b.visit.time = '2023-02-29T10:00:00+08:00')), status: 400, code: INVALID, names: ['visit.time'] },
        { name: 'visit "yesterday"', body: mut((b) => (b.visit.time = 'yesterday')), status: 400, code: INVALID, names: ['visit.time', 'yesterday'] },
        { name: 'visit at 25:00', body: mut((b) => (b.visit.time = '2024-03-02T25:00:00+08:00')), status: 400, code: INVALID, names: ['visit.time'] },
        { name: 'visit with offset +25:00', body: mut((b) => (b.visit.time = '2024-03-02T10:00:00+25:00')), status: 400, code: INVALID, names: ['visit.time'] },
        { name: 'visit time as epoch number', body: mut((b) => (b.visit.time = 1709344800000)), status: 400, code: INVALID, names: ['visit.time'] },
        {
          name: 'paidOn 2023-02-29',
          body: mut((b) => (b.person.enrollment = { paidOn: '2023-02-29', coverageYear: 2024 })),
          status: 400,
          code: INVALID,
          names: ['person.enrollment.paidOn'],
        },
        {
          name: 'paid after the coverage year',
          body: mut((b) => (b.person.enrollment = { paidOn: '2025-01-02', coverageYear: 2024 })),
          status: 400,
          code: INVALID,
          names: ['person.enrollment.paidOn'],
        },
        // eligible > total
        { name: 'eligible > total', body: mut((b) => ((b.visit.total = 100), (b.visit.eligible = 100.01))), status: 400, code: INVALID, names: ['visit.eligible'] },
        // unknown fields
        { name: 'unknown top-level field', body: mut((b) => (b.discount = 10)), status: 400, code: INVALID, names: ['discount'] },
        { name: 'unknown person field', body: mut((b) => (b.person.vip = true)), status: 400, code: INVALID, names: ['person', 'vip'] },
        { name: 'unknown institution field', body: mut((b) => (b.visit.institution.ratio = 100)), status: 400, code: INVALID, names: ['visit.institution', 'ratio'] },
        { name: 'fundPay sent by the client', body: mut((b) => (b.visit.fundPay = 200)), status: 400, code: INVALID, names: ['visit', 'fundPay'] },
        // bodies that are not a settle request
        { name: 'invalid JSON', raw: () => JSON.stringify(base()).slice(0, 40), status: 400, code: 'INVALID_JSON' },
        { name: 'JSON with a trailing comma', raw: () => JSON.stringify(base()).replace(/}$/, ',}'), status: 400, code: 'INVALID_JSON' },
        { name: 'empty body with a JSON content type', raw: () => '', status: 400, code: 'INVALID_JSON' },
        { name: 'no body at all', status: 400, code: INVALID, names: ['(top level)'] },
        { name: 'a JSON array', body: () => [base()], status: 400, code: INVALID },
        { name: 'a JSON string', body: () => 'settle please', status: 400, code: INVALID },
        { name: 'JSON null', raw: () => 'null', status: 400, code: INVALID },
        { name: 'a __proto__ key', raw: () => JSON.stringify(base()).replace(/^{/, '{"__proto__":{"admin":true},'), status: 400, code: 'FORBIDDEN_KEY', names: ['__proto__'] },
        {
          name: 'a nested constructor key',
          raw: () => JSON.stringify(base()).replace('"visit":{', '"visit":{"constructor":{"prototype":{"admin":true}},'),
          status: 400,
          code: 'FORBIDDEN_KEY',
          names: ['visit.constructor'],
        },
        { name: 'application/xml', raw: () => '<settle/>', contentType: 'application/xml', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        { name: 'form-urlencoded', raw: () => 'requestId=x', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        { name: 'a valid settle request sent as text/plain', raw: () => JSON.stringify(base()), contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        {
          name: 'an oversized body',
          raw: () => JSON.stringify(mut((b) => (b.visit.institution.name = 'x'.repeat(300 * 1024)))()),
          status: 413,
          code: 'BODY_TOO_LARGE',
        },
        // request ids
        { name: 'requestId with spaces', body: mut((b) => (b.requestId = 'my request 1')), status: 400, code: INVALID, names: ['requestId'] },
        { name: 'requestId of 129 characters', body: mut((b) => (b.requestId = 'r'.repeat(129))), status: 400, code: INVALID, names: ['requestId', '128'] },
        { name: 'empty requestId', body: mut((b) => (b.requestId = '')), status: 400, code: INVALID, names: ['requestId'] },
        { name: 'requestId with a newline', body: mut((b) => (b.requestId = 'r-1\n')), status: 400, code: INVALID, names: ['requestId'] },
        { name: 'visit id of 129 characters', body: mut((b) => (b.visit.id = 'v'.repeat(129))), status: 400, code: INVALID, names: ['visit.id'] },
        // ids: one rule in every field and path (src/request/id.ts), the same on every store
        { name: 'person.id with a NUL', body: mut((b) => (b.person.id = 'lu\u0000nul')), status: 400, code: INVALID, names: ['person.id', 'printable'] },
        { name: 'visit.id with a newline', body: mut((b) => (b.visit.id = 'v\n1')), status: 400, code: INVALID, names: ['visit.id', 'printable'] },
        { name: 'institution id with a tab', body: mut((b) => (b.visit.institution.id = 'H\t1')), status: 400, code: INVALID, names: ['visit.institution.id'] },
        { name: 'familyDoctorAt with a NUL', body: mut((b) => (b.person.familyDoctorAt = 'H\u00001')), status: 400, code: INVALID, names: ['person.familyDoctorAt'] },
        { name: 'person.id with DEL', body: mut((b) => (b.person.id = 'lu\u007f')), status: 400, code: INVALID, names: ['person.id'] },
        { name: 'visit.id with a zero-width space', body: mut((b) => (b.visit.id = 'v\u200b1')), status: 400, code: INVALID, names: ['visit.id'] },
        { name: 'person.id with a right-to-left override', body: mut((b) => (b.person.id = 'lu\u202ebad')), status: 400, code: INVALID, names: ['person.id'] },
        { name: 'person.id with a lone surrogate', body: mut((b) => (b.person.id = 'lu\ud800')), status: 400, code: INVALID, names: ['person.id'] },
        { name: 'person.id beginning with a space', body: mut((b) => (b.person.id = ' lu-space')), status: 400, code: INVALID, names: ['person.id', 'space'] },
        { name: 'institution name with a NUL', body: mut((b) => (b.visit.institution.name = 'a\u0000b')), status: 400, code: INVALID, names: ['visit.institution.name'] },
        // NUL anywhere in a body: no field takes it and PostgreSQL cannot store it, so the same refusal on both stores
        { name: 'a key with a NUL', raw: () => JSON.stringify(base()).replace('"visit":{', '"visit":{"a\\u0000b":1,'), status: 400, code: INVALID, names: ['U+0000', 'u0000b'] },
        { name: 'a NUL in an array', raw: () => JSON.stringify({ ...base(), tags: ['ok', 'a\u0000'] }), status: 400, code: INVALID, names: ['tags[1]', 'U+0000'] },
        {
          name: 'an escaped backslash before u0000 is no NUL',
          raw: () => JSON.stringify({ ...base(), note: '\\u0000' }),
          status: 400,
          code: INVALID,
          names: ['note', 'Unrecognized'],
        },
        {
          name: 'a path id with a NUL',
          url: '/v1/settlements/S-%00/reversal',
          body: () => ({ requestId: 'rev-nul' }),
          status: 400,
          code: INVALID,
          names: ['params.id', 'printable'],
        },
        { name: 'a path id with a newline', url: '/v1/settlements/S-%0A/reversal', body: () => ({ requestId: 'rev-nl' }), status: 400, code: INVALID, names: ['params.id'] },
        {
          name: 'a path id of 129 characters',
          url: `/v1/settlements/${'S'.repeat(129)}/reversal`,
          body: () => ({ requestId: 'rev-129' }),
          status: 400,
          code: INVALID,
          names: ['params.id', '128'],
        },
        {
          name: 'a path id of 600 characters',
          url: `/v1/settlements/${'S'.repeat(600)}/reversal`,
          body: () => ({ requestId: 'rev-600' }),
          status: 400,
          code: INVALID,
          names: ['params', '128'],
        },
        { name: 'a path with a broken %-escape', url: '/v1/settlements/S-%E0%A4%A/reversal', body: () => ({ requestId: 'rev-esc' }), status: 400, code: INVALID },
        // visits after now: the ledger settles a visit once it has happened
        { name: 'a visit in 2099', body: mut((b) => (b.visit.time = '2099-03-02T10:00:00+08:00')), status: 422, code: 'VISIT_IN_FUTURE', names: ['visit.time', '2099'] },
        {
          name: 'a visit tomorrow',
          body: mut((b) => (b.visit.time = new Date(Date.now() + 86_400_000).toISOString())),
          status: 422,
          code: 'VISIT_IN_FUTURE',
          names: ['visit.time'],
        },
        // reversal
        {
          name: 'reversal of an unknown settlement',
          url: '/v1/settlements/S-does-not-exist/reversal',
          body: () => ({ requestId: 'rev-unknown' }),
          status: 404,
          code: 'NOT_FOUND',
          names: ['S-does-not-exist'],
        },
        { name: 'reversal without a body', url: '/v1/settlements/S-does-not-exist/reversal', status: 400, code: INVALID, names: ['requestId'] },
        {
          name: 'reversal with a requestId with spaces',
          url: '/v1/settlements/S-x/reversal',
          body: () => ({ requestId: 'a b' }),
          status: 400,
          code: INVALID,
          names: ['requestId'],
        },
        {
          name: 'reversal with an unknown field',
          url: '/v1/settlements/S-x/reversal',
          body: () => ({ requestId: 'rev-x', reason: 'oops' }),
          status: 400,
          code: INVALID,
          names: ['reason'],
        },
        // what the documents cannot settle
        {
          name: 'a two-diseases visit in Luoyang 2024 (ratio not given)',
          body: mut((b) => (b.visit.type = 'two-diseases')),
          status: 422,
          code: 'MISSING_PARAMETER',
          names: ['ratio'],
        },
        {
          name: 'a visit before any policy is in force',
          body: mut((b) => (b.visit.time = '2015-03-02T10:00:00+08:00')),
          status: 422,
          code: 'NO_POLICY_IN_FORCE',
        },
        // routes
        { name: 'unknown route', url: '/v1/settle', body: () => base(), status: 404, code: 'NOT_FOUND', names: ['/v1/settle'] },
      ];

      it('the base body is valid (pre-settles 200)', async () => {
        const res = await call({ url: '/v1/pre-settlements', key: agency.key, body: base() });
        expect(res.statusCode).toBe(200);
      });

      for (const c of cases) {
        it(`${c.name} → ${c.status} ${c.code}`, async () => {
          const before = await counts(store);
          const res = await call({
            url: c.url ?? '/v1/settlements',
            method: 'POST',
            key: agency.key,
            ...(c.body ? { body: c.body() } : {}),
            ...(c.raw ? { raw: c.raw() } : {}),
            ...(c.contentType ? { contentType: c.contentType } : {}),
          });
          const info = `${res.statusCode} ${res.body}`.slice(0, 600);
          expect(res.statusCode, info).toBe(c.status);
          expect(res.headers['content-type'], info).toMatch(/^application\/json/);
          expect(res.body_?.error?.code, info).toBe(c.code);
          expect(typeof res.body_.error.message).toBe('string');
          for (const name of c.names ?? []) expect(JSON.stringify(res.body_.error), info).toContain(name);
          if (c.code === INVALID) {
            expect(Array.isArray(res.body_.error.problems), info).toBe(true);
            for (const name of (c.names ?? []).filter((x) => /^[a-z]+(\.[a-zA-Z]+)*$/.test(x) && x.includes('.'))) {
              expect(
                res.body_.error.problems.some((p: string) => p.startsWith(`${name}:`)),
                info,
              ).toBe(true);
            }
          }
          expect(res.body_.requestId).toBe(res.headers['x-request-id']);
          expect(await counts(store)).toEqual(before);
        });
      }

      it('the two-diseases refusal names the parameter path and its citation', async () => {
        const before = await counts(store);
        const res = await call({ url: '/v1/settlements', key: agency.key, body: mut((b) => (b.visit.type = 'two-diseases'))() });
        expect(res.statusCode).toBe(422);
        expect(res.body_.error.code).toBe('MISSING_PARAMETER');
        expect(res.body_.error.message).toContain('benefits.resident-two-diseases.classes.any.ratio');
        expect(res.body_.error.message).toContain('支付比例');
        // The structured list the engine gives (path, label, citation, reason) must reach the client.
        expect(res.body_.error.missing, `error.missing is missing from ${res.body}`).toEqual(
          expect.arrayContaining([expect.objectContaining({ path: 'benefits.resident-two-diseases.classes.any.ratio', label: '支付比例' })]),
        );
        const pre = await call({ url: '/v1/pre-settlements', key: agency.key, body: mut((b) => (b.visit.type = 'two-diseases'))() });
        expect(pre.statusCode).toBe(422);
        expect(pre.body_.error.code).toBe('MISSING_PARAMETER');
        expect(await counts(store)).toEqual(before);
      });

      it('ids are one rule in bodies and paths: 128 characters (Chinese too) settle and are found by path; 129 are refused in both, naming the field', async () => {
        for (const stem of ['p', '洛']) {
          const person = stem.repeat(128);
          const body = { ...base(), person: luoyang(person) };
          body.visit.id = stem === 'p' ? 'v'.repeat(128) : '诊'.repeat(128);
          const settled = await call({ url: '/v1/settlements', key: agency.key, body });
          expect(settled.statusCode, settled.body).toBe(201);
          const hist = await call({ url: `/v1/persons/${encodeURIComponent(person)}/settlements`, key: agency.key });
          expect(hist.statusCode, hist.body).toBe(200);
          expect(hist.body_.entries.map((e: Json) => e.id)).toEqual([settled.body_.id]);
          const acc = await call({ url: `/v1/persons/${encodeURIComponent(person)}/accumulators?year=2024`, key: agency.key });
          expect(acc.statusCode).toBe(200);
        }
        const before = await counts(store);
        const tooLong = 'p'.repeat(129);
        const inBody = await call({ url: '/v1/settlements', key: agency.key, body: { ...base(), person: luoyang(tooLong) } });
        expect(inBody.statusCode).toBe(400);
        expect(inBody.body_.error.problems).toEqual(['person.id: must be at most 128 characters']);
        const inPath = await call({ url: `/v1/persons/${tooLong}/settlements`, key: agency.key });
        expect(inPath.statusCode).toBe(400);
        expect(inPath.body_.error.problems).toEqual(['params.id: must be at most 128 characters']);
        expect(await counts(store)).toEqual(before);
      });

      it("every path id of every route obeys the rule: 400 in the service's shape, never a 414 or a 500", async () => {
        const routes = ['/v1/settlements/ID', '/v1/persons/ID/settlements', '/v1/persons/ID/accumulators', '/v1/persons/ID/enrollments', '/v1/accounts/ID'];
        const bad = ['a%00b', 'a%0Ab', 'a%09b', '%20a', 'x'.repeat(129), 'x'.repeat(101), 'x'.repeat(5000), 'a%E0%A4%A'];
        const before = await counts(store);
        for (const route of routes) {
          for (const id of bad) {
            const url = route.replace('ID', id);
            const res = await call({ url, key: agency.key });
            const info = `${url.slice(0, 80)}: ${res.statusCode} ${res.body.slice(0, 300)}`;
            if (id === 'x'.repeat(101)) {
              // 101 to 128 characters: an id like any other (not found), as in a body.
              expect(res.statusCode, info).toBeLessThan(500);
              expect(res.statusCode, info).not.toBe(400);
              continue;
            }
            expect(res.statusCode, info).toBe(400);
            expect(res.headers['content-type'], info).toMatch(/^application\/json/);
            expect(res.body_.error.code, info).toBe('INVALID_REQUEST');
            expect(res.body_.error.problems[0], info).toMatch(/^(params|url)/);
            expect(res.body_.requestId, info).toBe(res.headers['x-request-id']);
          }
        }
        expect(await counts(store)).toEqual(before);
      });

      it('a visit a little after now is within the clock tolerance (5 minutes); a little more is refused', async () => {
        const at = (ms: number) => new Date(Date.now() + ms).toISOString();
        const near = await call({ url: '/v1/pre-settlements', key: agency.key, body: mut((b) => (b.visit.time = at(4 * 60_000)))() });
        expect(near.body_?.error?.code, near.body).not.toBe('VISIT_IN_FUTURE');
        const far = await call({ url: '/v1/pre-settlements', key: agency.key, body: mut((b) => (b.visit.time = at(6 * 60_000)))() });
        expect(far.statusCode, far.body).toBe(422);
        expect(far.body_.error.code).toBe('VISIT_IN_FUTURE');
        expect(far.body_.error.message).toMatch(/^visit\.time: .* is after now/);
      });

      it('"__proto__" and "constructor" inside a string are no keys: an ordinary pre-settle', async () => {
        const res = await call({ url: '/v1/pre-settlements', key: agency.key, body: mut((b) => (b.visit.institution.name = '"__proto__": constructor'))() });
        expect(res.statusCode, res.body).toBe(200);
      });

      it('a JSON content type with a charset is JSON', async () => {
        const res = await call({ url: '/v1/pre-settlements', key: agency.key, raw: JSON.stringify(base()), contentType: 'application/json; charset=utf-8' });
        expect(res.statusCode).toBe(200);
      });

      it('an institution that disagrees with the registry → 409 INSTITUTION_MISMATCH, nothing written', async () => {
        const first = await call({ url: '/v1/settlements', key: agency.key, body: base() });
        expect(first.statusCode).toBe(201);
        const before = await counts(store);
        const res = await call({ url: '/v1/settlements', key: agency.key, body: mut((b) => (b.visit.institution.grade = 3))() });
        expect(res.statusCode).toBe(409);
        expect(res.body_.error.code).toBe('INSTITUTION_MISMATCH');
        expect(res.body_.error.message).toContain('visit.institution');
        expect(await counts(store)).toEqual(before);
      });

      it('bad query strings and path parameters are 400s naming them, never 500s', async () => {
        for (const url of ['/v1/stats/fund?year=abc', '/v1/stats/fund?year=20245', '/v1/stats/fund?year=2024&year=2025', '/v1/stats/fund?yaer=2024']) {
          const res = await call({ url, key: agency.key });
          expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
          expect(res.body_.error.code).toBe(INVALID);
          expect(res.body_.error.message).toMatch(/query/);
        }
        const hist = await call({ url: '/v1/persons/lu-happy/settlements?year=twenty', key: agency.key });
        expect(hist.statusCode).toBe(400);
        expect(hist.body_.error.message).toContain('query.year');
        const acc = await call({ url: '/v1/persons/lu-happy/accumulators?year=-1', key: agency.key });
        expect(acc.statusCode).toBe(400);
        const missing = await call({ url: '/v1/settlements/S-missing', key: agency.key });
        expect(missing.statusCode).toBe(404);
        expect(missing.body_.error.code).toBe('NOT_FOUND');
        const odd = await call({ url: `/v1/settlements/${encodeURIComponent("'; drop table settlements; --")}`, key: agency.key });
        expect(odd.statusCode).toBe(404);
        expect(odd.body_.error.code).toBe('NOT_FOUND');
      });

      it('unknown routes and methods are JSON 404s', async () => {
        for (const [method, url] of [
          ['GET', '/nope'],
          ['GET', '/v1/settlements'],
          ['DELETE', '/v1/settlements/S-1'],
          ['PUT', '/v1/settlements'],
        ] as const) {
          const res = await call({ method, url, key: agency.key });
          expect(res.statusCode, `${method} ${url}`).toBe(404);
          expect(res.headers['content-type']).toMatch(/^application\/json/);
          expect(res.body_.error.code).toBe('NOT_FOUND');
          expect(res.body_.error.message).toContain(url);
        }
      });
    });

    describe('roles', () => {
      it('no key, a wrong key, a malformed header or a revoked key: 401, nothing written', async () => {
        const before = await counts(store);
        const attempts: Call[] = [
          { url: '/v1/settlements', body: settleBody('auth-1', 'lu-auth', 'lu-auth-v1') },
          { url: '/v1/settlements', key: 'yb_not-a-key', body: settleBody('auth-1', 'lu-auth', 'lu-auth-v1') },
          { url: '/v1/settlements', key: '', body: settleBody('auth-1', 'lu-auth', 'lu-auth-v1') },
          { url: '/v1/settlements', headers: { authorization: `Basic ${agency.key}` }, body: settleBody('auth-1', 'lu-auth', 'lu-auth-v1') },
          { url: '/v1/pre-settlements', body: settleBody('auth-1', 'lu-auth', 'lu-auth-v1') },
          { url: '/v1/settlements/S-x/reversal', body: { requestId: 'auth-rev' } },
          { url: '/v1/persons/lu-happy/settlements' },
          { url: '/v1/persons/lu-happy/accumulators' },
          { url: '/v1/stats/fund' },
          { url: '/v1/stats/fund', key: 'yb_not-a-key' },
        ];
        for (const a of attempts) {
          const res = await call(a);
          expect(res.statusCode, `${a.url} ${JSON.stringify(a.headers ?? a.key ?? null)}`).toBe(401);
          expect(res.body_.error.code).toBe('UNAUTHENTICATED');
        }
        expect(await counts(store)).toEqual(before);

        const temp = await createKey(store.db, 'agency');
        const ok = await call({ url: '/v1/settlements', key: temp.key, body: settleBody('auth-2', 'lu-auth', 'lu-auth-v2') });
        expect(ok.statusCode).toBe(201);
        expect(await revokeKey(store.db, temp.id)).toBe(true);
        const afterRevoke = await counts(store);
        for (const a of [
          { url: '/v1/settlements', key: temp.key, body: settleBody('auth-3', 'lu-auth', 'lu-auth-v3') },
          { url: `/v1/settlements/${ok.body_.id}/reversal`, key: temp.key, body: { requestId: 'auth-2-rev' } },
          { url: `/v1/settlements/${ok.body_.id}`, key: temp.key },
          // Even a retry of what it did before.
          { url: '/v1/settlements', key: temp.key, body: settleBody('auth-2', 'lu-auth', 'lu-auth-v2') },
        ]) {
          const res = await call(a);
          expect(res.statusCode, a.url).toBe(401);
          expect(res.body_.error.code).toBe('UNAUTHENTICATED');
          expect(res.body_.error.message).toMatch(/revoked|not valid/);
        }
        expect(await counts(store)).toEqual(afterRevoke);
      });

      it('an institution key settles and reads only its own institution', async () => {
        // An entry at H2, settled by the agency, and reversed.
        const theirs = await call({ url: '/v1/settlements', key: agency.key, body: settleBody('inst-h2', 'lu-inst', 'lu-inst-v2', H2) });
        expect(theirs.statusCode).toBe(201);
        const theirs2 = await call({ url: '/v1/settlements', key: agency.key, body: settleBody('inst-h2b', 'lu-inst', 'lu-inst-v3', { ...H2 }) });
        expect(theirs2.statusCode).toBe(201);
        const theirsRev = await call({ url: `/v1/settlements/${theirs2.body_.id}/reversal`, key: agency.key, body: { requestId: 'inst-h2b-rev' } });
        expect(theirsRev.statusCode).toBe(201);

        const pre = await call({ url: '/v1/pre-settlements', key: h1.key, body: { person: luoyang('lu-inst'), visit: visit('lu-inst-v1') } });
        expect(pre.statusCode).toBe(200);
        const mine = await call({ url: '/v1/settlements', key: h1.key, body: settleBody('inst-h1', 'lu-inst', 'lu-inst-v1') });
        expect(mine.statusCode).toBe(201);
        expect((await call({ url: `/v1/settlements/${mine.body_.id}`, key: h1.key })).statusCode).toBe(200);

        const before = await counts(store);
        // A visit at H2: 403, nothing written.
        for (const url of ['/v1/settlements', '/v1/pre-settlements']) {
          const res = await call({ url, key: h1.key, body: settleBody('inst-h1-at-h2', 'lu-inst', 'lu-inst-v4', H2) });
          expect(res.statusCode, url).toBe(403);
          expect(res.body_.error.code).toBe('FORBIDDEN');
          expect(res.body_.error.message).toContain('visit.institution.id');
        }
        // H2's entries do not exist for H1: not readable, not reversible, not even by replaying the
        // agency's reversal request id.
        const read = await call({ url: `/v1/settlements/${theirs.body_.id}`, key: h1.key });
        expect(read.statusCode).toBe(404);
        expect(read.body_.error.code).toBe('NOT_FOUND');
        expect(read.body_.error.message).not.toContain('H2');
        const readRev = await call({ url: `/v1/settlements/${theirsRev.body_.id}`, key: h1.key });
        expect(readRev.statusCode).toBe(404);
        const rev = await call({ url: `/v1/settlements/${theirs.body_.id}/reversal`, key: h1.key, body: { requestId: 'inst-h1-rev-h2' } });
        expect(rev.statusCode).toBe(404);
        expect(rev.body_.error.code).toBe('NOT_FOUND');
        const replay = await call({ url: `/v1/settlements/${theirs2.body_.id}/reversal`, key: h1.key, body: { requestId: 'inst-h2b-rev' } });
        expect(replay.statusCode, `an H1 key replaying the agency's reversal of an H2 entry got ${replay.body}`).toBe(404);
        expect(replay.body).not.toContain(theirsRev.body_.id);
        // History: only H1's entries.
        const hist = await call({ url: '/v1/persons/lu-inst/settlements', key: h1.key });
        expect(hist.statusCode).toBe(200);
        expect(hist.body_.entries.map((e: Json) => e.id)).toEqual([mine.body_.id]);
        // No accumulators, no stats.
        for (const url of ['/v1/persons/lu-inst/accumulators?year=2024', '/v1/stats/fund', '/v1/stats/fund?year=2024']) {
          const res = await call({ url, key: h1.key });
          expect(res.statusCode, url).toBe(403);
          expect(res.body_.error.code).toBe('FORBIDDEN');
          expect(res.body_.error.message).toMatch(/^an institution key may not do this \(allowed: [a-z, ]*agency/);
        }
        expect(await counts(store)).toEqual(before);
        // The agency sees everything.
        const all = await call({ url: '/v1/persons/lu-inst/settlements', key: agency.key });
        expect(all.body_.entries.map((e: Json) => e.id)).toEqual([theirs.body_.id, theirs2.body_.id, theirsRev.body_.id, mine.body_.id]);
        expect((await call({ url: `/v1/settlements/${mine.body_.id}`, key: agency.key })).body_).toEqual(mine.body_);
        // And the institution may reverse its own.
        const own = await call({ url: `/v1/settlements/${mine.body_.id}/reversal`, key: h1.key, body: { requestId: 'inst-h1-rev' } });
        expect(own.statusCode).toBe(201);
      });

      it('an analyst key reads fund statistics only, and they hold no person ids', async () => {
        const before = await counts(store);
        const someEntry = (await call({ url: '/v1/persons/lu-happy/settlements', key: agency.key })).body_.entries[0];
        expect(someEntry).toBeDefined();
        const personal: Call[] = [
          { url: '/v1/settlements', body: settleBody('an-1', 'lu-an', 'lu-an-v1') },
          { url: '/v1/pre-settlements', body: settleBody('an-1', 'lu-an', 'lu-an-v1') },
          { url: `/v1/settlements/${someEntry.id}/reversal`, body: { requestId: 'an-rev' } },
          { url: `/v1/settlements/${someEntry.id}` },
          { url: '/v1/persons/lu-happy/settlements' },
          { url: '/v1/persons/lu-happy/accumulators?year=2024' },
        ];
        for (const c of personal) {
          const res = await call({ ...c, key: analyst.key });
          expect(res.statusCode, c.url).toBe(403);
          expect(res.body_.error.code).toBe('FORBIDDEN');
          expect(res.body).not.toContain('lu-happy-v1');
        }
        expect(await counts(store)).toEqual(before);

        const stats = await call({ url: '/v1/stats/fund?year=2024', key: analyst.key });
        expect(stats.statusCode).toBe(200);
        expect(stats.body_.year).toBe(2024);
        expect(stats.body_.rows.length).toBeGreaterThan(0);
        const all = await call({ url: '/v1/stats/fund', key: analyst.key });
        expect(all.statusCode).toBe(200);
        expect(all.body_.year).toBeNull();
        const persons = await store.db.selectFrom('persons').select('id').execute();
        const visits = await store.db.selectFrom('visits').select('id').execute();
        expect(persons.length).toBeGreaterThan(3);
        for (const text of [stats.body, all.body]) {
          for (const p of persons) expect(text).not.toContain(`"${p.id}"`);
          for (const v of visits) expect(text).not.toContain(`"${v.id}"`);
          expect(text).not.toMatch(/"(S|R)-[0-9a-f-]{36}"/);
        }
        // The stats are the ledger's: net per row equals settlements minus reversals.
        const sum = stats.body_.rows.reduce((a: number, r: Json) => a + fen(r.fundPay), 0);
        expect(sum).toBe(fen(stats.body_.totals.fundPay));
        const [agg] = await store.db.selectFrom('settlements').select(sql<string>`sum(fund_pay_fen)`.as('f')).where('year', '=', 2024).execute();
        expect(fen(stats.body_.totals.fundPay)).toBe(Number(agg?.f));
      });
    });

    describe('contributions', () => {
      it("computes a residents' contribution for every role, writes nothing, and names bad fields", async () => {
        const before = await counts(store);
        for (const key of [agency.key, analyst.key, h1.key]) {
          // 63号 一 and 71号 一: 640 × 80% = 512 central in a western-policy county; 七(二) 低保 80 (at least).
          const res = await call({ url: '/v1/contributions', key, body: { region: 'luoyang', year: 2024, countyType: 'western', hardship: 'dibao' } });
          expect(res.statusCode).toBe(200);
          expect(res.body_).toMatchObject({ total: 1020, individual: 380, subsidy: { total: 640, central: 512, local: 128 }, assistance: 80, payable: 300 });
          expect(JSON.stringify(res.body_.trace)).toContain('洛医保〔2023〕63号 七(二)');
        }
        const bad = await call({ url: '/v1/contributions', key: agency.key, body: { region: 'atlantis', year: 'soon', countyType: 'coastal' } });
        expect(bad.statusCode).toBe(400);
        expect(bad.body_.error.code).toBe('INVALID_REQUEST');
        for (const f of ['region', 'year', 'countyType']) expect(bad.body_.error.problems.some((p: string) => p.startsWith(f))).toBe(true);
        const none = await call({ url: '/v1/contributions', key: agency.key, body: { region: 'luoyang', year: 2023, countyType: 'ordinary' } });
        expect(none.statusCode).toBe(422);
        expect(none.body_.error.code).toBe('NO_CONTRIBUTION_STANDARD');
        // 15号 一(二) gives 2020's individual contribution, not its subsidy: 200, the figure given, the others missing.
        const part = await call({ url: '/v1/contributions', key: agency.key, body: { region: 'linfen', year: 2020, countyType: 'ordinary' } });
        expect(part.statusCode).toBe(200);
        expect(part.body_).toMatchObject({ individual: 250, payable: 250, total: null, subsidy: { total: null } });
        expect(part.body_.missing.map((m: { figure: string }) => m.figure)).toEqual(['subsidy.total', 'total', 'criticalIllnessFunding']);
        expect((await call({ url: '/v1/contributions', body: { region: 'luoyang', year: 2024, countyType: 'ordinary' } })).statusCode).toBe(401);
        expect(await counts(store)).toEqual(before);
      });
    });

    describe('claims', () => {
      it('decides a maternity grant for the agency only, cites each refusal, writes nothing, and names bad fields', async () => {
        const before = await counts(store);
        const claim = {
          claimant: { id: 'gm1', region: 'luoyang', scheme: 'employee', sex: 'male', employment: 'employer', maternityInsured: true, contributionsPaid: true },
          employer: { maternityInsuredSince: '2022-05-01' },
          spouse: { hasEmployer: false, residentMaternityBenefit: false },
          birthDate: '2024-03-10',
        };
        // 63号 四(三)2: every condition met → 1000 (定额).
        const ok = await call({ url: '/v1/claims/maternity-grant', key: agency.key, body: claim });
        expect(ok.statusCode).toBe(200);
        expect(ok.body_).toMatchObject({ granted: true, amount: 1000, refusals: [] });
        // 四(一): a flexible worker insured as an employee gets no grant; each refusal cites and quotes its article.
        const flexible = { ...claim, claimant: { ...claim.claimant, employment: 'flexible' }, employer: undefined };
        const no = await call({ url: '/v1/claims/maternity-grant', key: agency.key, body: flexible });
        expect(no.statusCode).toBe(200);
        expect(no.body_).toMatchObject({ granted: false, amount: 0 });
        expect(no.body_.refusals[0]).toMatchObject({ condition: 'not-flexible', source: '洛医保〔2023〕63号 四(一)' });
        expect(no.body_.refusals[0].quote).toContain('不享受一次性生育补助金');
        for (const key of [analyst.key, h1.key]) expect((await call({ url: '/v1/claims/maternity-grant', key, body: claim })).statusCode).toBe(403);
        const bad = await call({
          url: '/v1/claims/maternity-grant',
          key: agency.key,
          body: { ...claim, claimant: { ...claim.claimant, employment: undefined }, birthDate: 'soon' },
        });
        expect(bad.statusCode).toBe(400);
        expect(bad.body_.error.code).toBe('INVALID_REQUEST');
        expect(bad.body_.error.problems.some((p: string) => p.startsWith('birthDate'))).toBe(true);
        // Before 63号 no document in force gives the grant.
        const early = await call({ url: '/v1/claims/maternity-grant', key: agency.key, body: { ...claim, birthDate: '2023-12-31' } });
        expect(early.statusCode).toBe(422);
        expect(early.body_.error.code).toBe('NO_BENEFIT_RULE');
        expect(await counts(store)).toEqual(before);
      });
    });

    describe('audit log', () => {
      it('records every write, refused request and read of personal data, with who, what and which record; malformed and aggregate requests add nothing', async () => {
        const audit = () => store.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
        const isWrite = (r: { action: string }) => !r.action.startsWith('read.') && r.action !== 'refused';
        const start = (await audit()).length;
        const startWrites = (await audit()).filter(isWrite).length;

        const settled = await call({ url: '/v1/settlements', key: h1.key, body: settleBody('audit-1', 'lu-audit', 'lu-audit-v1') });
        expect(settled.statusCode).toBe(201);
        let rows = await audit();
        expect(rows.length).toBe(start + 1);
        expect(rows.at(-1)).toMatchObject({ actor: h1.id, role: 'institution', action: 'settle', target: settled.body_.id });
        expect(JSON.parse(rows.at(-1)!.detail)).toMatchObject({ requestId: 'audit-1', visitId: 'lu-audit-v1' });

        const reversed = await call({ url: `/v1/settlements/${settled.body_.id}/reversal`, key: agency.key, body: { requestId: 'audit-1-rev' } });
        expect(reversed.statusCode).toBe(201);
        rows = await audit();
        expect(rows.length).toBe(start + 2);
        expect(rows.at(-1)).toMatchObject({ actor: agency.id, role: 'agency', action: 'reverse', target: reversed.body_.id });
        expect(JSON.parse(rows.at(-1)!.detail)).toMatchObject({ reverses: settled.body_.id });

        // Each settlement and reversal in the ledger has exactly one write row naming it.
        const entries = await store.db.selectFrom('settlements').select(['id', 'actor', 'kind']).execute();
        const all = await audit();
        for (const e of entries) {
          const hits = all.filter((r) => r.target === e.id && isWrite(r));
          expect(hits, e.id).toHaveLength(1);
          expect(hits[0]).toMatchObject({ actor: e.actor, action: e.kind === 'settlement' ? 'settle' : 'reverse' });
        }

        // Each request below, in order, and the row it must leave (none: undefined).
        const cases: [Call, { actor: string; role: string; action: string; target: string; status: number } | undefined][] = [
          // refused: 403 and 401
          [
            { url: '/v1/settlements', key: h1.key, body: settleBody('audit-2', 'lu-audit', 'lu-audit-v2', H2) },
            { actor: h1.id, role: 'institution', action: 'refused', target: 'POST /v1/settlements', status: 403 },
          ],
          [
            { url: '/v1/settlements', key: analyst.key, body: settleBody('audit-3', 'lu-audit', 'lu-audit-v3') },
            { actor: analyst.id, role: 'analyst', action: 'refused', target: 'POST /v1/settlements', status: 403 },
          ],
          [
            { url: '/v1/settlements', body: settleBody('audit-4', 'lu-audit', 'lu-audit-v4') },
            { actor: 'anonymous', role: 'none', action: 'refused', target: 'POST /v1/settlements', status: 401 },
          ],
          [
            { url: '/v1/persons/lu-audit/settlements', key: 'yb_wrong' },
            { actor: 'anonymous', role: 'none', action: 'refused', target: 'lu-audit', status: 401 },
          ],
          [
            { url: '/v1/persons/lu-audit/accumulators?year=2024', key: h1.key },
            { actor: h1.id, role: 'institution', action: 'refused', target: 'lu-audit', status: 403 },
          ],
          // refusals of the ledger's rules and failures: no row (the write did not happen)
          [{ url: '/v1/settlements', key: agency.key, body: { ...settleBody('audit-1', 'lu-audit', 'lu-audit-v1'), visit: visit('lu-audit-v1', H1, { total: 300 }) } }, undefined],
          [
            { url: '/v1/settlements', key: agency.key, body: { ...settleBody('audit-5', 'lu-audit', 'lu-audit-v5'), visit: visit('lu-audit-v5', H1, { type: 'two-diseases' }) } },
            undefined,
          ],
          [{ url: `/v1/settlements/${settled.body_.id}/reversal`, key: agency.key, body: { requestId: 'audit-1-rev-again' } }, undefined],
          [{ url: `/v1/settlements/${settled.body_.id}/reversal`, key: agency.key, body: { requestId: 'audit-1-rev' } }, undefined],
          // malformed: no row
          [{ url: '/v1/persons/lu-audit/settlements?year=twenty', key: agency.key }, undefined],
          [{ url: '/v1/settlements', key: agency.key, raw: '{' }, undefined],
          // reads of personal data
          [
            { url: '/v1/pre-settlements', key: agency.key, body: settleBody('audit-6', 'lu-audit', 'lu-audit-v6') },
            { actor: agency.id, role: 'agency', action: 'read.pre-settle', target: 'lu-audit', status: 200 },
          ],
          [
            { url: `/v1/settlements/${settled.body_.id}`, key: agency.key },
            { actor: agency.id, role: 'agency', action: 'read.settlement', target: settled.body_.id, status: 200 },
          ],
          [
            { url: '/v1/settlements/S-nobody', key: h1.key },
            { actor: h1.id, role: 'institution', action: 'read.settlement', target: 'S-nobody', status: 404 },
          ],
          [
            { url: '/v1/persons/lu-audit/settlements', key: agency.key },
            { actor: agency.id, role: 'agency', action: 'read.history', target: 'lu-audit', status: 200 },
          ],
          [
            { url: '/v1/persons/lu-audit/accumulators?year=2024', key: agency.key },
            { actor: agency.id, role: 'agency', action: 'read.accumulators', target: 'lu-audit', status: 200 },
          ],
          // aggregates: no row
          [{ url: '/v1/stats/fund', key: analyst.key }, undefined],
        ];
        for (const [c, want] of cases) {
          const before = await counts(store);
          const seen = (await audit()).length;
          const res = await call(c);
          expect(res.statusCode, `${c.url}: ${res.body}`).toBeLessThan(500);
          const added = (await audit()).slice(seen);
          if (!want) expect(added, c.url).toEqual([]);
          else {
            expect(added, c.url).toHaveLength(1);
            expect(added[0], c.url).toMatchObject({ actor: want.actor, role: want.role, action: want.action, target: want.target });
            const detail = JSON.parse(added[0]!.detail);
            expect(detail).toMatchObject({ status: want.status, requestId: res.headers['x-request-id'] });
            // No secret: neither a presented key nor any key's hash.
            for (const k of [agency, analyst, h1]) expect(added[0]!.detail).not.toContain(k.key);
            expect(added[0]!.detail).not.toContain('yb_wrong');
            expect(added[0]!.detail).not.toMatch(/[0-9a-f]{64}/);
          }
          expect(await counts(store), c.url).toEqual(before);
        }
        expect((await audit()).filter(isWrite).length).toBe(startWrites + 2);
      });
    });

    describe('health, OpenAPI, request ids', () => {
      it('/healthz and /readyz', async () => {
        const h = await call({ url: '/healthz' });
        expect(h.statusCode).toBe(200);
        expect(h.body_).toEqual({ status: 'ok' });
        const r = await call({ url: '/readyz' });
        expect(r.statusCode).toBe(200);
        expect(r.body_).toMatchObject({
          status: 'ready',
          store: s.name,
          national: { statusMode: 'http', requireSignIn: false, codes: 'national', amounts: 'number', catalogue: null },
        });
        expect(r.body_.policies).toBeGreaterThan(0);
      });

      it('/openapi.json is an OpenAPI 3 document with the /v1 paths', async () => {
        const res = await call({ url: '/openapi.json' });
        expect(res.statusCode).toBe(200);
        const doc = res.body_;
        expect(doc.openapi).toMatch(/^3\./);
        expect(doc.info.title).toBeTruthy();
        const paths = Object.keys(doc.paths);
        for (const p of [
          '/v1/pre-settlements',
          '/v1/settlements',
          '/v1/settlements/{id}/reversal',
          '/v1/settlements/{id}',
          '/v1/persons/{id}/settlements',
          '/v1/persons/{id}/accumulators',
          '/v1/stats/fund',
        ]) {
          expect(paths, p).toContain(p);
        }
        expect(doc.paths['/v1/settlements'].post).toBeDefined();
        expect(doc.paths['/v1/settlements'].post.requestBody).toBeDefined();
        expect(doc.paths['/v1/stats/fund'].get).toBeDefined();
        expect(doc.components.securitySchemes).toBeDefined();
        const docs = await call({ url: '/docs' });
        expect(docs.statusCode).toBeLessThan(400);
      });

      it('every response carries x-request-id; a client-sent one is echoed', async () => {
        const seen = new Set<string>();
        for (const c of [
          { url: '/healthz' },
          { url: '/v1/stats/fund', key: agency.key },
          { url: '/v1/stats/fund' },
          { url: '/nope' },
          { url: '/v1/settlements', key: agency.key, raw: '{' },
        ] as Call[]) {
          const res = await call(c);
          const id = res.headers['x-request-id'];
          expect(typeof id, c.url).toBe('string');
          expect(String(id).length).toBeGreaterThan(0);
          seen.add(String(id));
          if (res.statusCode >= 400) expect(res.body_.requestId).toBe(id);
        }
        expect(seen.size).toBe(5);
        const mine = 'client-trace-0001';
        const ok = await call({ url: '/healthz', headers: { 'x-request-id': mine } });
        expect(ok.headers['x-request-id']).toBe(mine);
        // At most 64 characters of A-Z a-z 0-9 . _ : -; anything else is replaced by a new id.
        const longest = 'r'.repeat(64);
        expect((await call({ url: '/healthz', headers: { 'x-request-id': longest } })).headers['x-request-id']).toBe(longest);
        for (const sent of ['r'.repeat(65), 'r'.repeat(10_000), 'has space', 'semi;colon', '<script>', '']) {
          const res = await call({ url: '/v1/stats/fund', headers: { 'x-request-id': sent } });
          const got = String(res.headers['x-request-id']);
          expect(got, sent.slice(0, 20)).not.toBe(sent);
          expect(got).toMatch(/^[0-9a-f-]{36}$/);
          expect(res.body_.requestId).toBe(got);
        }
        const err = await call({ url: '/v1/settlements', headers: { 'x-request-id': mine }, body: settleBody('rid-1', 'lu-rid', 'lu-rid-v1') });
        expect(err.statusCode).toBe(401);
        expect(err.headers['x-request-id']).toBe(mine);
        expect(err.body_.requestId).toBe(mine);
      });
    });

    describe('over a real socket', () => {
      it('64 concurrent settles for one person never exceed the cap', async () => {
        await app.listen({ port: 0, host: '127.0.0.1' });
        const address = app.server.address();
        if (address === null || typeof address === 'string') throw new Error('no port');
        const base = `http://127.0.0.1:${address.port}`;
        const person = { id: 'py-conc', region: '410900', scheme: 'employee', category: 'active' };
        // Puyang 2022, active, grade 1: 100 yuan at 60% = 60 asked each; 2022 cap 750.
        const responses = await Promise.all(
          Array.from({ length: 64 }, (_, i) =>
            fetch(`${base}/v1/settlements`, {
              method: 'POST',
              headers: { authorization: `Bearer ${agency.key}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                requestId: `conc-${i}`,
                person,
                visit: {
                  id: `py-conc-v${i}`,
                  time: `2022-08-01T${String(8 + (i % 12)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00+08:00`,
                  type: 'outpatient',
                  institution: { id: `PY${i}`, tier: 'primary', grade: 1, contracted: true },
                  total: 100,
                },
              }),
            }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json })),
          ),
        );
        const statuses = responses.map((r) => r.status);
        expect(
          statuses.filter((x) => x !== 201),
          JSON.stringify(responses.find((r) => r.status !== 201)?.body),
        ).toEqual([]);
        const paid = responses.reduce((a, r) => a + fen(r.body.fundPay), 0);
        expect(paid).toBe(75_000);
        for (const r of responses) expect(fen(r.body.fundPay)).toBeLessThanOrEqual(6000);
        expect(responses.filter((r) => fen(r.body.fundPay) === 6000)).toHaveLength(12);
        const acc = await fetch(`${base}/v1/persons/py-conc/accumulators?year=2022`, { headers: { authorization: `Bearer ${agency.key}` } });
        expect(await acc.json()).toMatchObject({ caps: [{ bucket: 'outpatient', used: 750, limit: 750, remaining: 0 }] });
        const report = await verifyLedger(store.db);
        expect(report.mismatches).toEqual([]);
        expect(report.ok).toBe(true);
      });
    });
  });
}
