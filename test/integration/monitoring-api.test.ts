/**
 * Budgets, warnings, monitoring settings and high-cost patients over HTTP (/v1/monitoring), on
 * SQLite and PostgreSQL, over the hand-made history of test/support/budget-history.ts (the figures
 * are computed there and in budgets.test.ts): the students' account of 涧西区 in 2024 has
 * 700.00 + 50.00 carried in, spent 800.00 by 31 March, projects 1,300.00 and warns at a 10%
 * margin; S3 (低保对象) bore 125.00 in 2024.
 *
 * Roles: the agency writes and reads everything; an analyst reads the aggregates (statements,
 * warnings, the high-cost counts) but not the high-cost list, nor the settings; an institution
 * key is refused everywhere here (403, audited).
 */
import type { FastifyInstance } from 'fastify';
import { strFromU8, unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, type CreatedKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { seedHistory } from '../support/budget-history.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
type Json = any;

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`budgets, warnings and high-cost patients over HTTP on ${s.label}`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    const clock = { now: 0 };
    const keys = {} as Record<'agency' | 'analyst' | 'h1', CreatedKey>;

    async function call(method: 'GET' | 'POST' | 'PUT', url: string, key: CreatedKey | undefined, body?: unknown) {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key.key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
      let json: Json;
      try {
        json = res.json();
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, body: json, res };
    }
    const count = async (table: 'budgets' | 'budget_payments' | 'monitoring_settings') =>
      Number(
        (
          await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst()
        )?.n,
      );

    beforeAll(async () => {
      store = await s.open();
      const ledger = new Ledger(store, engine, () => clock.now);
      await ledger.ready;
      await seedHistory(ledger, policies, clock);
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      keys.agency = await createKey(store.db, 'agency');
      keys.analyst = await createKey(store.db, 'analyst');
      keys.h1 = await createKey(store.db, 'institution', { institutionId: 'H1' });
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('refuses an institution key everywhere, and an analyst the writes, the settings and the list of persons (403, audited)', async () => {
      const budget = { id: 'b-x', area: '410305', year: 2024, account: 'resident-outpatient', amount: 1 };
      for (const key of [keys.h1, keys.analyst]) {
        expect((await call('POST', '/v1/monitoring/budgets', key, budget)).status).toBe(403);
        expect((await call('POST', '/v1/monitoring/budget-payments', key, { id: 'p', area: '410305', account: 'family-doctor', amount: 1, paidOn: '2024-01-01' })).status).toBe(
          403,
        );
        expect((await call('GET', '/v1/monitoring/high-cost', key)).status).toBe(403);
        expect((await call('GET', '/v1/monitoring/settings/warning', key)).status).toBe(403);
        expect((await call('PUT', '/v1/monitoring/settings/high-cost', key, { value: { yearBurdenFen: 1 }, reason: 'x' })).status).toBe(403);
      }
      for (const url of ['/v1/monitoring/warnings', '/v1/monitoring/budgets', '/v1/monitoring/budgets/410305/2024', '/v1/monitoring/high-cost/counts']) {
        expect((await call('GET', url, keys.h1)).status).toBe(403);
      }
      expect((await call('GET', '/v1/monitoring/warnings', undefined)).status).toBe(401);
      expect(await count('budgets')).toBe(0);
      expect(await count('monitoring_settings')).toBe(0);
      const refused = await store.db.selectFrom('audit_log').select(['action', 'actor']).where('action', '=', 'refused').execute();
      expect(refused.filter((r) => r.actor === keys.analyst.id)).toHaveLength(5);
    });

    it('records budgets (the standard one from the policy rate), replays, refuses with stable codes and writes nothing then', async () => {
      const first = await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-s23', area: '410305', year: 2023, account: 'student-outpatient', fromPolicy: true });
      expect([first.status, first.body.amount, first.body.basis.rate, first.body.basis.persons, first.body.basis.citation.citation, first.body.replayed]).toEqual([
        201,
        700,
        70,
        10,
        '洛医保〔2022〕36号 第三条',
        false,
      ]);
      const again = await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-s23', area: '410305', year: 2023, account: 'student-outpatient', fromPolicy: true });
      expect([again.status, again.body.replayed, again.body.id]).toEqual([200, true, first.body.id]);
      const other = await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-s23', area: '410305', year: 2023, account: 'student-outpatient', amount: '1.00' });
      expect([other.status, other.body.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
      const both = await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-2', area: '410305', year: 2024, account: 'student-outpatient', amount: 1, fromPolicy: true });
      expect([both.status, both.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      const area = await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-3', area: '999999', year: 2024, account: 'student-outpatient', amount: 1 });
      expect([area.status, area.body.error.code, area.body.error.message]).toEqual([400, 'INVALID_REQUEST', expect.stringContaining('999999')]);
      const fee = await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-4', area: '410305', year: 2024, account: 'family-doctor', fromPolicy: true });
      expect([fee.status, fee.body.error.code, fee.body.error.missing[0].path]).toEqual([422, 'MISSING_PARAMETER', 'parameters.budget.familyDoctorServiceFee']);
      const year = await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-5', area: '410305', year: 1999, account: 'student-outpatient', amount: 1 });
      expect([year.status, year.body.error.problems]).toEqual([400, ['year: must be a year 2000 to 2099']]);
      expect(await count('budgets')).toBe(1);

      expect(
        (await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-s24', area: '410305', year: 2024, account: 'student-outpatient', fromPolicy: { persons: 10 } })).status,
      ).toBe(201);
      expect(
        (await call('POST', '/v1/monitoring/budgets', keys.agency, { id: 'b-r24', area: '410305', year: 2024, account: 'resident-outpatient', amount: '1200.00' })).status,
      ).toBe(201);
      const list = await call('GET', '/v1/monitoring/budgets?year=2024', keys.analyst);
      expect(list.body.budgets.map((b: Json) => [b.account, b.amount])).toEqual([
        ['resident-outpatient', 1200],
        ['student-outpatient', 700],
      ]);
      expect((await call('GET', '/v1/monitoring/budgets?year=24', keys.analyst)).status).toBe(400);

      const pay = { id: 'p1', area: '410305', account: 'family-doctor', amount: '30.00', paidOn: '2024-02-01' };
      expect((await call('POST', '/v1/monitoring/budget-payments', keys.agency, pay)).status).toBe(201);
      expect((await call('POST', '/v1/monitoring/budget-payments', keys.agency, pay)).body.replayed).toBe(true);
      const wrong = await call('POST', '/v1/monitoring/budget-payments', keys.agency, { ...pay, id: 'p2', account: 'student-outpatient' });
      expect([wrong.status, wrong.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect((await call('GET', '/v1/monitoring/budget-payments?area=410305', keys.analyst)).body.payments.map((p: Json) => p.amount)).toEqual([30]);
    });

    it('answers statements and warnings to analysts: nothing evaluated without the margin, the student account warning with it', async () => {
      const none = await call('GET', '/v1/monitoring/warnings', keys.analyst);
      expect([none.status, none.body.asOf, none.body.missingSetting, none.body.firing]).toEqual([200, '2024-03-31', 'warning', 0]);
      expect(none.body.accounts.every((a: Json) => a.warning.evaluated === false && a.warning.missingSetting === 'warning')).toBe(true);

      expect((await call('PUT', '/v1/monitoring/settings/warning', keys.agency, { value: { marginBp: 1000 } })).status).toBe(400);
      expect((await call('PUT', '/v1/monitoring/settings/warning', keys.agency, { value: { marginBp: -1 }, reason: 'x' })).status).toBe(400);
      const set = await call('PUT', '/v1/monitoring/settings/warning', keys.agency, { value: { marginBp: 1000 }, reason: '10%' });
      expect([set.status, set.body.changed, set.body.setting.value, set.body.setting.reason]).toEqual([200, true, { marginBp: 1000 }, '10%']);
      expect((await call('PUT', '/v1/monitoring/settings/warning', keys.agency, { value: { marginBp: 1000 }, reason: 'again' })).body.changed).toBe(false);
      expect((await call('GET', '/v1/monitoring/settings/warning', keys.agency)).body.setting.value).toEqual({ marginBp: 1000 });

      const w = await call('GET', '/v1/monitoring/warnings', keys.analyst);
      expect([w.body.missingSetting, w.body.firing, w.body.citations[0].article]).toEqual([null, 1, '三(一)']);
      const student = w.body.accounts.find((a: Json) => a.account === 'student-outpatient');
      expect([student.area.code, student.available, student.spentToDate, student.overspent, student.projection.projected, student.warning.fires, student.warning.excess]).toEqual([
        '410305',
        750,
        800,
        50,
        1300,
        true,
        550,
      ]);

      const st = await call('GET', '/v1/monitoring/budgets/410305/2024', keys.analyst);
      expect(st.status).toBe(200);
      expect(st.body.accounts.map((a: Json) => a.account)).toEqual(['resident-outpatient', 'student-outpatient', 'family-doctor']);
      const sa = st.body.accounts[1];
      expect([sa.carriedIn, sa.months[0], sa.months[2], sa.projection.method, sa.projection.backtest[0].errorBp]).toEqual([
        50,
        { month: '2024-01', spent: 300 },
        { month: '2024-03', spent: 500 },
        'seasonal-share',
        14683,
      ]);
      expect((await call('GET', '/v1/monitoring/budgets/410305/2024?asOf=2024-03-30', keys.analyst)).body.accounts[1].spentToDate).toBe(300);
      expect((await call('GET', '/v1/monitoring/budgets/410305/2024?asOf=2023-12-31', keys.analyst)).status).toBe(400);
      expect((await call('GET', '/v1/monitoring/budgets/410305/2024?asOf=2024-02-30', keys.analyst)).status).toBe(400);
      const unknown = await call('GET', '/v1/monitoring/budgets/999999/2024', keys.analyst);
      expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);

      // Files: the statement as GBK CSV (one table) and XLSX (both).
      const csv = await call('GET', '/v1/monitoring/budgets/410305/2024?format=csv-gbk', keys.analyst);
      expect(csv.res.headers['content-type']).toContain('gbk');
      const text = iconv.decode(csv.res.rawPayload, 'gbk');
      expect(text.split('\r\n')[0]).toContain('可用额度（元）');
      expect(text).toContain('750.00');
      const xlsx = await call('GET', '/v1/monitoring/budgets/410305/2024?format=xlsx', keys.analyst);
      const files = unzipSync(new Uint8Array(xlsx.res.rawPayload));
      expect(strFromU8(files['xl/workbook.xml'] as Uint8Array)).toContain('按月支出');
    });

    it('lists high-cost patients to the agency only, auditing the read; counts them for analysts; nobody without thresholds', async () => {
      const none = await call('GET', '/v1/monitoring/high-cost', keys.agency);
      expect([none.status, none.body.patients, none.body.missingSetting]).toEqual([200, [], 'high-cost']);
      expect((await call('GET', '/v1/monitoring/high-cost/counts', keys.analyst)).body).toMatchObject({ counts: [], total: 0, missingSetting: 'high-cost' });
      expect((await call('PUT', '/v1/monitoring/settings/high-cost', keys.agency, { value: {}, reason: 'x' })).status).toBe(400);
      expect((await call('PUT', '/v1/monitoring/settings/high-cost', keys.agency, { value: { yearBurdenFen: 12_500 }, reason: '试行' })).status).toBe(200);

      const list = await call('GET', '/v1/monitoring/high-cost?asOf=2024-03-31', keys.agency);
      expect(list.body.patients.map((p: Json) => [p.person, p.hardshipLabel, p.yearBurden, p.year.cash, p.year.fund, p.reasons])).toEqual([
        ['S3', '低保对象', 125, 125, 500, ['year']],
      ]);
      expect(list.body.citations.map((c: Json) => c.document)).toEqual(['豫医保办〔2023〕71号', '洛医保〔2023〕63号']);
      const reads = await store.db.selectFrom('audit_log').select(['detail', 'actor']).where('action', '=', 'read.high-cost').execute();
      expect(reads.map((r) => [r.actor, JSON.parse(r.detail).persons])).toEqual([[keys.agency.id, ['S3']]]);

      const counts = await call('GET', '/v1/monitoring/high-cost/counts?asOf=2024-03-31', keys.analyst);
      expect([counts.status, counts.body.total, counts.body.counts]).toEqual([200, 1, [{ area: '410305', hardship: 'dibao', hardshipLabel: '低保对象', persons: 1 }]]);
      // Counts name nobody.
      expect(JSON.stringify(counts.body)).not.toContain('S3');

      const csv = await call('GET', '/v1/monitoring/high-cost?asOf=2024-03-31&format=csv', keys.agency);
      expect(csv.res.body.split('\r\n')[0]).toContain('人员编号');
      expect(csv.res.body).toContain('S3');
      expect((await call('GET', '/v1/monitoring/high-cost?asOf=2099-01-01', keys.agency)).status).toBe(400);
    });
  });
}
