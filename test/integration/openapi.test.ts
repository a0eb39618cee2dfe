/**
 * The OpenAPI document (/openapi.json) describes every route with real schemas: each operation has
 * its request schemas (body, path and query parameters) and a schema for each answer it gives, and
 * each request example is valid against its schema in the document and is accepted by the service
 * when tried, in order, on an empty ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nationalJson } from '../support/national.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildServer } from '../../src/api/server.js';
import { createKey, KeyStore, type CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { freshSqlite } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

type Json = any;

/** Writes whose path says everything. */
const NO_BODY = ['POST /v1/clearing/periods/{period}/close'];
interface Operation {
  method: string;
  path: string;
  op: Json;
}

describe('the OpenAPI document', () => {
  let store: LedgerDb;
  let app: FastifyInstance;
  let agency: CreatedKey;
  let doc: Json;
  let operations: Operation[];

  beforeAll(async () => {
    store = await freshSqlite();
    app = await buildServer({ ledger: new Ledger(store, engine), policies, keys: new KeyStore(store.db, 0), logger: false });
    await app.ready();
    agency = await createKey(store.db, 'agency');
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
    operations = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method, path, op })),
    );
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('lists every service route, and none of the hidden ones', () => {
    const names = operations.map((o) => `${o.method.toUpperCase()} ${o.path}`);
    // 75 + the session's 7 (9001, 9002, 1101, 2001, 5206, the identity's PUT and GET) + the outpatient
    // day's 7 (2201–2205, 5203, 5204) + the inpatient stay's 7 (2401–2405, 2301, 2302) + 2601
    // … + the calculator's POST /v1/calculations and GET /v1/calculations/options + the policy browser's 4 reads + POST /v1/simulations + GET /v1/whoami
    expect(names.length).toBe(105);
    for (const name of [
      'POST /v1/settlements',
      'POST /v1/accounts',
      'GET /v1/audit',
      'PUT /v1/persons/{id}',
      'GET /v1/persons',
      'POST /v1/national/2207',
      'GET /v1/policies/check',
      'POST /v1/clearing/periods/{period}/close',
      'GET /v1/clearing/statements/{period}/{institution}/entries',
      'POST /v1/reconciliations',
      'POST /v1/national/3202',
      'GET /v1/supervision/findings',
      'GET /v1/supervision/findings/counts',
      'POST /v1/supervision/findings/{id}/status',
      'POST /v1/national/3101',
      'POST /v1/national/3102',
      'GET /v1/monitoring/budgets/{area}/{year}',
      'GET /v1/monitoring/high-cost',
    ])
      expect(names).toContain(name);
    expect(names.some((n) => /healthz|readyz|openapi/.test(n))).toBe(false);
  });

  it('gives each route its request schemas and a schema for each answer, success and refusal', () => {
    for (const { method, path, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      // Path parameters: each `{name}` is described with a schema.
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        const p = (op.parameters ?? []).find((x: Json) => x.in === 'path' && x.name === name);
        expect(p?.schema?.type, `${where}: path parameter ${name}`).toBe('string');
      }
      // Closing a month takes no body: the month is the path's.
      if ((method === 'post' || method === 'put') && !NO_BODY.includes(where)) {
        const body = op.requestBody?.content?.['application/json'];
        expect(body?.schema?.type, `${where}: body schema`).toBe('object');
        expect(Object.keys(body.schema.properties ?? {}).length, `${where}: body properties`).toBeGreaterThan(0);
      }
      const success = Object.keys(op.responses).filter((s) => /^2\d\d$/.test(s));
      expect(success.length, `${where}: a success answer`).toBeGreaterThan(0);
      for (const status of [...success, '4XX']) {
        const schema = op.responses[status]?.content?.['application/json']?.schema;
        expect(schema, `${where}: ${status} schema`).toBeDefined();
        expect(schema.type, `${where}: ${status} schema type`).toBe('object');
      }
      // A refusal names its stable code.
      const refusal = op.responses['4XX'].content['application/json'].schema;
      expect(refusal.properties.error.properties.code.type, `${where}: error.code`).toBe('string');
    }
  });

  /** Each request body example of the document, with its schema there. */
  const examples = (): { where: string; path: string; method: string; schema: Json; example: Json }[] =>
    operations.flatMap(({ method, path, op }) => {
      const body = op.requestBody?.content?.['application/json'];
      if (!body) return [];
      const listed: Json[] = body.examples ? Object.values(body.examples).map((e: Json) => e.value) : body.example !== undefined ? [body.example] : (body.schema.examples ?? []);
      return listed.map((example) => ({ where: `${method.toUpperCase()} ${path}`, path, method, schema: body.schema, example }));
    });

  it('gives every request body an example valid against its schema in the document', () => {
    const all = examples();
    const withBody = operations.filter((o) => o.op.requestBody).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(new Set(all.map((e) => e.where))).toEqual(new Set(withBody));
    for (const { where, schema, example } of all) {
      const check = z.fromJSONSchema(schema, { defaultTarget: 'openapi-3.0' }).safeParse(example);
      expect(check.success ? [] : check.error.issues, where).toEqual([]);
    }
    // The schema in the document is not a formality: a wrong body does not validate.
    const settle = all.find((e) => e.where === 'POST /v1/settlements');
    expect(z.fromJSONSchema(settle?.schema, { defaultTarget: 'openapi-3.0' }).safeParse({ ...settle?.example, requestId: 12345 }).success).toBe(false);
    expect(
      z.fromJSONSchema(settle?.schema, { defaultTarget: 'openapi-3.0' }).safeParse({ ...settle?.example, visit: { ...settle?.example.visit, type: 'spaceflight' } }).success,
    ).toBe(false);
  });

  it('takes every example when tried, in order, on an empty ledger (a reversal names the entry settled before it)', async () => {
    const byRoute = new Map(examples().map((e) => [e.where, e.example]));
    const call = async (method: string, url: string, body: unknown) => {
      const res = await app.inject({
        method: method as 'POST',
        url,
        headers: { authorization: `Bearer ${agency.key}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: (url.startsWith('/v1/national/') ? nationalJson(res.body) : res.json()) as Json };
    };
    const tried = new Set<string>();
    const tryIt = async (where: string, url: string, edit: (b: Json) => Json = (b) => b) => {
      tried.add(where);
      const [method] = where.split(' ');
      const r = await call(method as string, url, edit(structuredClone(byRoute.get(where))));
      expect([200, 201], `${where}: ${JSON.stringify(r.body).slice(0, 400)}`).toContain(r.status);
      return r.body;
    };
    const person = byRoute.get('POST /v1/settlements').person.id;
    await tryIt('PUT /v1/persons/{id}', '/v1/persons/P-0100');
    await tryIt('POST /v1/persons/{id}/enrollments', `/v1/persons/${byRoute.get('POST /v1/persons/{id}/enrollments').person.id}/enrollments`);
    await tryIt('POST /v1/enrollments/coverage', '/v1/enrollments/coverage');
    const calculated = await tryIt('POST /v1/calculations', '/v1/calculations');
    expect(calculated).toMatchObject({ calculation: true, firstVisitOfYear: true });
    const simulated = await tryIt('POST /v1/simulations', '/v1/simulations');
    expect(simulated).toMatchObject({ simulation: true, hypothetical: true });
    const pre = await tryIt('POST /v1/pre-settlements', '/v1/pre-settlements');
    // The answer keeps the order it was made in (the schema's checked keys do not move first).
    expect(Object.keys(pre).slice(0, 4)).toEqual(['preSettlement', 'institution', 'visitId', 'policy']);
    const entry = await tryIt('POST /v1/settlements', '/v1/settlements');
    expect(entry.person ?? person).toBeDefined();
    await tryIt('POST /v1/settlements/{id}/reversal', `/v1/settlements/${entry.id}/reversal`);
    await tryIt('POST /v1/contributions', '/v1/contributions');
    await tryIt('POST /v1/claims/maternity-grant', '/v1/claims/maternity-grant');
    const account = byRoute.get('POST /v1/accounts').id;
    await tryIt('POST /v1/accounts', '/v1/accounts');
    await tryIt('POST /v1/accounts/credit-month', '/v1/accounts/credit-month');
    await tryIt('POST /v1/accounts/{id}/holder', `/v1/accounts/${account}/holder`);
    await tryIt('POST /v1/accounts/{id}/operations', `/v1/accounts/${account}/operations`);
    for (const [settle, reverse] of [
      ['2207', '2208'],
      ['2304', '2305'],
    ] as const) {
      await tryIt(`POST /v1/national/${settle === '2207' ? '2206' : '2303'}`, `/v1/national/${settle === '2207' ? '2206' : '2303'}`);
      const settled = await tryIt(`POST /v1/national/${settle}`, `/v1/national/${settle}`);
      const setlId = settled.output.setlinfo.setl_id;
      await tryIt(`POST /v1/national/${reverse}`, `/v1/national/${reverse}`, (b) => ({ ...b, input: { data: { ...b.input.data, setl_id: setlId } } }));
    }
    // The outpatient day: P-0002 (settled above) registered at H1, its visit's information and a
    // detail (no catalogue here: all self-paid), settled from it, queried, reversed; then the detail
    // and the visit cancelled.
    const visit = (await tryIt('POST /v1/national/2201', '/v1/national/2201')).output.data.mdtrt_id;
    const onVisit = (b: Json) => JSON.parse(JSON.stringify(b).replaceAll('M-0001', visit));
    await tryIt('POST /v1/national/2203', '/v1/national/2203', onVisit);
    await tryIt('POST /v1/national/2204', '/v1/national/2204', onVisit);
    const day = structuredClone(byRoute.get('POST /v1/national/2207'));
    const { fulamt_ownpay_amt: _f, inscp_scp_amt: _i, ...data } = day.input.data;
    const settledDay = await call('POST', '/v1/national/2207', { ...day, msgid: 'H1-day-2207', input: { data: { ...data, mdtrt_id: visit, medfee_sumamt: '30.00' } } });
    expect(settledDay.status, JSON.stringify(settledDay.body)).toBe(201);
    expect(settledDay.body.output.setlinfo).toMatchObject({ medfee_sumamt: '30.00', fulamt_ownpay_amt: '30.00', inscp_scp_amt: '0.00' });
    const daySetl = settledDay.body.output.setlinfo.setl_id;
    const onSettlement = (b: Json) => JSON.parse(JSON.stringify(onVisit(b)).replaceAll('S-0001', daySetl));
    await tryIt('POST /v1/national/5203', '/v1/national/5203', onSettlement);
    await tryIt('POST /v1/national/5204', '/v1/national/5204', onSettlement);
    const undone = await call('POST', '/v1/national/2208', {
      msgid: 'H1-day-2208',
      fixmedins_code: 'H1',
      input: { data: { setl_id: daySetl, mdtrt_id: visit, psn_no: 'P-0002' } },
    });
    expect(undone.status, JSON.stringify(undone.body)).toBe(201);
    await tryIt('POST /v1/national/2205', '/v1/national/2205', onVisit);
    await tryIt('POST /v1/national/2202', '/v1/national/2202', onVisit);
    // The month: the registry (district, centre, institution), a remittance, a close with no body,
    // a reconciliation of H1's own export and the national 3201 and 3202.
    await tryIt('PUT /v1/clearing/districts/{code}', '/v1/clearing/districts/410305');
    await tryIt('PUT /v1/clearing/centres/{id}', '/v1/clearing/centres/410300');
    const institution = await tryIt('PUT /v1/clearing/institutions/{id}', '/v1/clearing/institutions/H1');
    expect(institution.payingCentre).toMatchObject({ centre: { id: '410300' }, basis: 'rule' });
    await tryIt('POST /v1/clearing/remittances', '/v1/clearing/remittances');
    const closed = await app.inject({ method: 'POST', url: '/v1/clearing/periods/2024-03/close', headers: { authorization: `Bearer ${agency.key}` } });
    expect(closed.statusCode, closed.body).toBe(201);
    const run = await tryIt('POST /v1/reconciliations', '/v1/reconciliations');
    expect(run).toMatchObject({ institution: 'H1', balanced: false, stmt_rslt: '1', differencesTotal: 1 });
    const totals = await tryIt('POST /v1/national/3201', '/v1/national/3201');
    expect(totals.output.stmtinfo).toMatchObject({ setl_optins: '410300', stmt_rslt: '0' });
    const detail = await tryIt('POST /v1/national/3202', '/v1/national/3202');
    expect(detail.output).toMatchObject({ stmt_rslt: '1' });
    // Supervision: the split-visit rule, H1's site, a run; then a visit of P-0002 settled at H1 now
    // (the examples' settlements were reversed) and the 3101/3102 examples checking a second visit
    // a second later the same day: a lead, kept by 3102 as the finding whose status is set.
    const rule = await tryIt('PUT /v1/supervision/rules/{id}', '/v1/supervision/rules/SPLIT-DAY');
    expect(rule).toMatchObject({ params: { minVisits: 2 }, missing: [] });
    await tryIt('PUT /v1/supervision/sites/{institutionId}', '/v1/supervision/sites/H1');
    await tryIt('POST /v1/supervision/runs', '/v1/supervision/runs');
    const live = await call('POST', '/v1/national/2207', { ...structuredClone(byRoute.get('POST /v1/national/2207')), msgid: 'H1-live-2207' });
    expect(live.status, JSON.stringify(live.body)).toBe(201);
    const then = Date.parse(`${live.body.output.setlinfo.setl_time.replace(' ', 'T')}+08:00`) + 1000;
    const admDate = new Date(then + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    const laterVisit = (b: Json) => {
      const e = b.input.data.patient_dtos[0].fsi_encounter_dtos[0];
      Object.assign(e, { adm_date: admDate, dscg_date: admDate });
      return b;
    };
    const before = await tryIt('POST /v1/national/3101', '/v1/national/3101', laterVisit);
    expect(before.output.result.map((r: Json) => r.rule_id)).toEqual(['SPLIT-DAY']);
    const during = await tryIt('POST /v1/national/3102', '/v1/national/3102', laterVisit);
    const jrId = during.output.result[0].jr_id;
    const dismissed = await tryIt('POST /v1/supervision/findings/{id}/status', `/v1/supervision/findings/${jrId}/status`);
    expect(dismissed).toMatchObject({ id: jrId, status: 'dismissed' });
    // Watching the fund: a budget of 涧西区 (registered above) entered and from the policy rate, a
    // family-doctor payment, the two settings.
    await tryIt('POST /v1/monitoring/budgets', '/v1/monitoring/budgets');
    await tryIt('POST /v1/monitoring/budget-payments', '/v1/monitoring/budget-payments');
    await tryIt('PUT /v1/monitoring/settings/warning', '/v1/monitoring/settings/warning');
    await tryIt('PUT /v1/monitoring/settings/high-cost', '/v1/monitoring/settings/high-cost');
    // The hospital's session and the person: P-0100 (registered above) given an identity, found by
    // its resident ID (1101), checked (2001) and its accumulators read (5206); a sign-in and its sign-out.
    await tryIt('PUT /v1/persons/{id}/identity', '/v1/persons/P-0100/identity');
    const info = await tryIt('POST /v1/national/1101', '/v1/national/1101');
    expect(info.output.baseinfo).toMatchObject({ psn_no: 'P-0100', gend: '2', brdy: '1949-12-31' });
    await tryIt('POST /v1/national/2001', '/v1/national/2001');
    await tryIt('POST /v1/national/5206', '/v1/national/5206');
    const signIn = await tryIt('POST /v1/national/9001', '/v1/national/9001');
    await tryIt('POST /v1/national/9002', '/v1/national/9002', (b) => ({ ...b, input: { signOut: { ...b.input.signOut, sign_no: signIn.output.signinoutb.sign_no } } }));
    // The inpatient stay (2401–2405, 2301, 2302): admitted, a detail uploaded and cancelled, changed,
    // discharged, the discharge undone, the stay cancelled; each on the stay 2401 answered.
    const admitted = await tryIt('POST /v1/national/2401', '/v1/national/2401');
    const onStay = (b: Json) => JSON.parse(JSON.stringify(b).replaceAll('M-EXAMPLE-STAY', admitted.output.result.mdtrt_id));
    for (const infno of ['2301', '2302', '2403', '2402', '2405', '2404']) await tryIt(`POST /v1/national/${infno}`, `/v1/national/${infno}`, onStay);
    // 2601 冲正 of the examples' 2207 message (reversed by the 2208 above): its reversal recorded.
    const corrected = await tryIt('POST /v1/national/2601', '/v1/national/2601');
    expect(corrected).toMatchObject({ infcode: 0, output: null, yibao: { done: 'reversed', setlId: expect.stringMatching(/^S-/) } });
    // Every example was tried.
    expect([...byRoute.keys()].filter((w) => !tried.has(w))).toEqual([]);
  });
});
