/**
 * The agency's month over HTTP (/v1/clearing, /v1/reconciliations, /v1/national/3201 and 3202), on
 * SQLite and PostgreSQL: the hand-computed March of clearing.test.ts registered, closed and read
 * through the service, the roles (an institution sees its own, an analyst aggregates only), the
 * exports (GBK CSV, XLSX), the national reconciliations balanced and not, and bad input refused
 * with stable codes and nothing written.
 *
 * Hand computation (洛医保〔2023〕63号 二(一)2; clearing.test.ts):
 *   #1 P1 at JX (city) 03-04 total 200 → 60.00 fund, 140.00 cash
 *   #2 P2 at YS (county) 03-05 total 100 → 25.00 fund, 75.00 cash
 *   #3 P3 at JX2 (primary) 03-06 total 80 → 48.00 fund, 32.00 cash
 *   #4 P1 at JX2 03-07 total 50 → 30.00 fund; reversed 03-08
 *   #5 P2 at YS 03-09 total 300 → 125.00 fund, 175.00 cash
 * JX 200 / 60 / cash 140 → 60; YS 2 settlements 400 / 150 / cash 250 → 150; JX2 2 + 1 reversal
 * 80 / 48 / cash 32 → 48. City centre (JX, JX2) 108, 偃师 centre 150.
 * By insured's district: 涧西 (P1) 60 + 30 − 30 = 60 paid by the city; 偃师 (P2) 150 by its own
 * centre; none on file (P3) 48 by the city.
 */
import type { FastifyInstance } from 'fastify';
import { strFromU8, unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { formatDetailFile } from '../../src/clearing/national-file.js';
import { periodBounds } from '../../src/clearing/period.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, type CreatedKey, KeyStore } from '../../src/ledger/keys.js';
import { type Actor, Ledger } from '../../src/ledger/ledger.js';
import { formatYuan } from '../../src/money/money.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const clerk: Actor = { id: 'agency-1', role: 'agency' };

type Json = any;
const at = (iso: string) => Date.parse(iso);
const resident = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const JX = { id: 'JX', tier: 'city', grade: 3, contracted: true };
const YS = { id: 'YS', tier: 'county', grade: 2, contracted: true };
const JX2 = { id: 'JX2', tier: 'primary', grade: 0, contracted: true };
const MARCH = periodBounds('2024-03');
const TABLES = ['clearing_periods', 'clearing_statements', 'remittances', 'reconciliations', 'paying_centres', 'districts', 'institution_clearing', 'audit_log'] as const;

function settleReq(n: string, person: unknown, time: string, institution: unknown, total: number) {
  return parseSettleOne({ requestId: `r-${n}`, person, visit: { id: `v-${n}`, time, type: 'outpatient', institution, total } }, policies);
}

/** A 3201 message of JX2's March, resident outpatient (390/11), paid by the city centre. */
function totals3201(data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  return {
    infno: '3201',
    fixmedins_code: 'JX2',
    ...envelope,
    input: {
      data: {
        insutype: '390',
        clr_type: '11',
        setl_optins: '410300',
        stmt_begndate: '2024-03-01',
        stmt_enddate: '2024-03-31',
        medfee_sumamt: '80.00',
        fund_pay_sumamt: '48.00',
        acct_pay: '0.00',
        fixmedins_setl_cnt: 3,
        fixmedins_refd_setl_flag: '0',
        ...data,
      },
    },
  };
}

/** A 3202 message whose totals are the file's. */
function detail3202(institution: string, rows: { medfee_sumamt: number; fund_pay_sumamt: number }[], file: string) {
  const sum = (f: 'medfee_sumamt' | 'fund_pay_sumamt') => formatYuan(rows.reduce((n, r) => n + r[f], 0));
  return {
    infno: '3202',
    fixmedins_code: institution,
    input: {
      data: {
        setl_optins: institution === 'YS' ? '410381' : '410300',
        file_qury_no: 'F-1',
        stmt_begndate: '2024-03-01',
        stmt_enddate: '2024-03-31',
        medfee_sumamt: sum('medfee_sumamt'),
        fund_pay_sumamt: sum('fund_pay_sumamt'),
        cash_payamt: '0.00',
        fixmedins_setl_cnt: rows.length,
        clr_type: '11',
        fixmedins_refd_setl_flag: '0',
      },
      file,
    },
  };
}

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`the agency's month over HTTP on ${s.label}`, () => {
    let store: LedgerDb;
    let ledger: Ledger;
    let app: FastifyInstance;
    const clock = { now: at('2024-03-01T08:00:00+08:00') };
    const keys = {} as Record<'agency' | 'analyst' | 'jx' | 'ys', CreatedKey>;
    const ids: Record<string, string> = {};

    async function call(method: 'GET' | 'POST' | 'PUT', url: string, key: CreatedKey | undefined, body?: unknown) {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key.key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      // Each reconciliation a second after the one before: runs list newest first.
      if (/^\/v1\/(reconciliations|national\/32)/.test(url) && method === 'POST') clock.now += 1000;
      const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
      let json: Json;
      try {
        json = res.json();
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, body: json, res };
    }
    const counts = () => rowCounts(store, TABLES);
    const actions = async () => (await store.db.selectFrom('audit_log').select(['action', 'target', 'actor']).orderBy('id').execute()).map((r) => r.action);

    beforeAll(async () => {
      store = await s.open();
      ledger = new Ledger(store, engine, () => clock.now);
      await ledger.ready;
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      keys.agency = await createKey(store.db, 'agency');
      keys.analyst = await createKey(store.db, 'analyst');
      keys.jx = await createKey(store.db, 'institution', { institutionId: 'JX' });
      keys.ys = await createKey(store.db, 'institution', { institutionId: 'YS' });
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('registers districts, centres and institutions (agency writes, analysts read), with the paying centre and its rule', async () => {
      const before = await counts();
      // Refused: an institution key, a code that is not 6–12 letters or digits, 偃师区 as a city district.
      expect((await call('PUT', '/v1/clearing/districts/410305', keys.jx, { name: '涧西区', region: '410300', level: 'urban' })).status).toBe(403);
      const short = await call('PUT', '/v1/clearing/districts/4103', keys.agency, { name: '涧西区', region: '410300', level: 'urban' });
      expect([short.status, short.body.error.code, short.body.error.problems]).toEqual([400, 'INVALID_REQUEST', ['params.code: must be a code of 6 to 12 letters or digits']]);
      const rule = await call('PUT', '/v1/clearing/districts/410381', keys.agency, { name: '偃师区', region: '410300', level: 'urban' });
      expect([rule.status, rule.body.error.code]).toEqual([422, 'PAYING_CENTRE_RULE']);
      expect(rule.body.error.message).toContain('偃师区');
      expect((await call('PUT', '/v1/clearing/centres/410300', keys.agency, { name: '洛阳市医保中心', level: 'city', region: 'nowhere' })).body.error.code).toBe('INVALID_REQUEST');
      expect(await counts()).toEqual(before);

      const jianxi = await call('PUT', '/v1/clearing/districts/410305', keys.agency, { name: '涧西区', region: 'luoyang', level: 'urban' });
      expect([jianxi.status, jianxi.body]).toEqual([201, { code: '410305', name: '涧西区', region: '410300', level: 'urban', changed: true }]);
      const again = await call('PUT', '/v1/clearing/districts/410305', keys.agency, { code: '410305', name: '涧西区', region: '410300', level: 'urban' });
      expect([again.status, again.body.changed]).toEqual([200, false]);
      expect((await call('PUT', '/v1/clearing/districts/410381', keys.agency, { name: '偃师区', region: '410300', level: 'county' })).status).toBe(201);
      expect((await call('PUT', '/v1/clearing/centres/410300', keys.agency, { name: '洛阳市医保中心', level: 'city', region: '410300' })).status).toBe(201);
      const county = await call('PUT', '/v1/clearing/centres/410381', keys.agency, { name: '偃师区医保中心', level: 'county', region: '410300', district: '410381' });
      expect([county.status, county.body]).toEqual([201, { id: '410381', name: '偃师区医保中心', level: 'county', region: '410300', district: '410381', changed: true }]);
      for (const [inst, district] of [
        ['JX', '410305'],
        ['JX2', '410305'],
        ['YS', '410381'],
      ] as const)
        expect((await call('PUT', `/v1/clearing/institutions/${inst}`, keys.agency, { district })).status).toBe(201);
      // Naming the city centre for 偃师's hospital contradicts 三(二): refused, citing it.
      const wrong = await call('PUT', '/v1/clearing/institutions/YS', keys.agency, { district: '410381', centre: '410300' });
      expect([wrong.status, wrong.body.error.code]).toEqual([422, 'PAYING_CENTRE_RULE']);
      expect(wrong.body.error.message).toContain('洛医保〔2023〕63号 三(二)');

      const listed = await call('GET', '/v1/clearing/institutions', keys.analyst);
      expect(listed.status).toBe(200);
      expect(listed.body.institutions.map((i: Json) => [i.id, i.payingCentre?.centre.id, i.payingCentre?.basis, i.payingCentre?.citation, i.problem])).toEqual([
        ['JX', '410300', 'rule', '洛医保〔2023〕63号 三(二)', null],
        ['JX2', '410300', 'rule', '洛医保〔2023〕63号 三(二)', null],
        ['YS', '410381', 'rule', '洛医保〔2023〕63号 三(二)', null],
      ]);
      expect((await call('GET', '/v1/clearing/centres', keys.analyst)).body.centres.map((c: Json) => c.id)).toEqual(['410300', '410381']);
      expect((await call('GET', '/v1/clearing/districts', keys.agency)).body.districts.map((d: Json) => [d.code, d.level])).toEqual([
        ['410305', 'urban'],
        ['410381', 'county'],
      ]);
      expect((await call('GET', '/v1/clearing/centres', keys.jx)).status).toBe(403);

      // Persons carry their district.
      const p1 = await call('PUT', '/v1/persons/P1', keys.agency, { region: '410300', scheme: 'resident', category: 'adult', district: '410305' });
      expect([p1.status, p1.body.district]).toEqual([201, '410305']);
      expect((await call('PUT', '/v1/persons/P2', keys.agency, { region: '410300', scheme: 'resident', category: 'adult', district: '410381' })).status).toBe(201);
      const unknown = await call('PUT', '/v1/persons/P4', keys.agency, { region: '410300', scheme: 'resident', category: 'adult', district: '999999' });
      expect(unknown.status).toBe(400);
    });

    it('closes March once it has ended, in order, and answers a replay with the first close', async () => {
      const settle = async (n: string, person: unknown, time: string, inst: unknown, total: number) => {
        clock.now = at(time) + 3_600_000;
        ids[n] = (await ledger.settle(settleReq(n, person, time, inst, total), clerk)).entry.id;
      };
      await settle('1', resident('P1'), '2024-03-04T10:00:00+08:00', JX, 200);
      await settle('2', resident('P2'), '2024-03-05T10:00:00+08:00', YS, 100);
      await settle('3', resident('P3'), '2024-03-06T10:00:00+08:00', JX2, 80);
      await settle('4', resident('P1'), '2024-03-07T10:00:00+08:00', JX2, 50);
      clock.now = at('2024-03-08T10:00:00+08:00');
      ids['4r'] = (await ledger.reverse(ids['4'] as string, 'r-4r', clerk)).entry.id;
      await settle('5', resident('P2'), '2024-03-09T10:00:00+08:00', YS, 300);

      const before = await counts();
      const early = await call('POST', '/v1/clearing/periods/2024-03/close', keys.agency);
      expect([early.status, early.body.error.code]).toEqual([422, 'PERIOD_NOT_ENDED']);
      clock.now = at('2024-05-01T09:00:00+08:00');
      expect((await call('POST', '/v1/clearing/periods/2024-04/close', keys.agency)).body.error.code).toBe('EARLIER_PERIOD_OPEN');
      const bad = await call('POST', '/v1/clearing/periods/2024-13/close', keys.agency);
      expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_PERIOD']);
      expect(bad.body.error.message).toContain('period: "2024-13"');
      expect((await call('POST', '/v1/clearing/periods/2024-03/close', keys.jx)).status).toBe(403);
      expect((await call('POST', '/v1/clearing/periods/2024-03/close', keys.analyst)).status).toBe(403);
      expect(await counts()).toEqual(before);

      clock.now = at('2024-04-01T09:00:00+08:00');
      const closed = await call('POST', '/v1/clearing/periods/2024-03/close', keys.agency);
      expect(closed.status).toBe(201);
      expect(closed.body).toMatchObject({ period: '2024-03', created: true, entries: 6, statements: 3 });
      expect(closed.body.summary.centres).toEqual([
        { id: '410300', name: '洛阳市医保中心', statements: 2, payable: 108 },
        { id: '410381', name: '偃师区医保中心', statements: 1, payable: 150 },
      ]);
      const replay = await call('POST', '/v1/clearing/periods/2024-03/close', keys.agency);
      expect([replay.status, replay.body.created, replay.body.closedAt]).toEqual([200, false, closed.body.closedAt]);

      const periods = await call('GET', '/v1/clearing/periods', keys.analyst);
      expect([periods.body.firstOpen, periods.body.periods.map((p: Json) => p.period)]).toEqual(['2024-04', ['2024-03']]);
      expect((await call('GET', '/v1/clearing/periods/2024-03', keys.agency)).body.closedAt).toBe(closed.body.closedAt);
      expect((await call('GET', '/v1/clearing/periods/2024-04', keys.agency)).status).toBe(404);
    });

    it('shows the statements: all to the agency and analysts, its own to an institution', async () => {
      const all = await call('GET', '/v1/clearing/statements?period=2024-03', keys.analyst);
      expect(all.status).toBe(200);
      expect(all.body.statements.map((r: Json) => [r.institution, r.centre, r.settlements, r.reversals, r.medfee_sumamt, r.fund_pay_sumamt, r.cash_payamt, r.payable])).toEqual([
        ['JX', '410300', 1, 0, 200, 60, 140, 60],
        ['JX2', '410300', 2, 1, 80, 48, 32, 48],
        ['YS', '410381', 2, 0, 400, 150, 250, 150],
      ]);
      // A page at a time.
      const first = await call('GET', '/v1/clearing/statements?limit=2', keys.agency);
      expect(first.body.statements.map((r: Json) => r.institution)).toEqual(['JX', 'JX2']);
      const next = await call('GET', `/v1/clearing/statements?limit=2&cursor=${first.body.nextCursor}`, keys.agency);
      expect([next.body.statements.map((r: Json) => r.institution), next.body.nextCursor]).toEqual([['YS'], null]);
      expect((await call('GET', '/v1/clearing/statements?centre=410381', keys.agency)).body.statements.map((r: Json) => r.institution)).toEqual(['YS']);

      const own = await call('GET', '/v1/clearing/statements', keys.jx);
      expect(own.body.statements.map((r: Json) => r.institution)).toEqual(['JX']);
      expect((await call('GET', '/v1/clearing/statements?institution=YS', keys.jx)).status).toBe(403);
      expect((await call('GET', '/v1/clearing/statements?period=2024-3', keys.agency)).body.error.code).toBe('INVALID_PERIOD');

      const jx = await call('GET', '/v1/clearing/statements/2024-03/JX', keys.jx);
      expect(jx.status).toBe(200);
      expect(jx.body.funds).toEqual([{ insutype: '390', clr_type: '11', fund_pay_type: '390102', fund_pay_type_name: '居民门诊统筹基金', amount: 60 }]);
      expect(jx.body.centre).toMatchObject({ id: '410300', basis: 'rule', citation: '洛医保〔2023〕63号 三(二)' });
      expect(jx.body.figures).toMatchObject({ payable: 60 });
      expect((await call('GET', '/v1/clearing/statements/2024-03/YS', keys.analyst)).body.figures.payable).toBe(150);
      expect((await call('GET', '/v1/clearing/statements/2024-03/YS', keys.jx)).status).toBe(404);
      expect((await call('GET', '/v1/clearing/statements/2024-04/JX', keys.agency)).status).toBe(404);

      const centres = await call('GET', '/v1/clearing/periods/2024-03/centres', keys.analyst);
      expect(centres.body.centres.map((c: Json) => [c.centre, c.institutions, c.fund_pay_sumamt, c.payable])).toEqual([
        ['410300', 2, 108, 108],
        ['410381', 1, 150, 150],
      ]);
      expect((await call('GET', '/v1/clearing/periods/2024-04/centres', keys.agency)).status).toBe(404);
    });

    it('shows the entries a statement covers to the agency and the institution itself only, and audits the read', async () => {
      const entries = await call('GET', '/v1/clearing/statements/2024-03/JX2/entries', keys.agency);
      expect(entries.status).toBe(200);
      expect(entries.body.entries.map((e: Json) => [e.setl_id, e.kind, e.psn_no, e.medfee_sumamt, e.fund_pay_sumamt])).toEqual([
        [ids['3'], 'settlement', 'P3', 80, 48],
        [ids['4'], 'settlement', 'P1', 50, 30],
        [ids['4r'], 'reversal', 'P1', -50, -30],
      ]);
      const paged = await call('GET', '/v1/clearing/statements/2024-03/JX2/entries?limit=2', keys.agency);
      const rest = await call('GET', `/v1/clearing/statements/2024-03/JX2/entries?cursor=${paged.body.nextCursor}`, keys.agency);
      expect(rest.body.entries.map((e: Json) => e.setl_id)).toEqual([ids['4r']]);
      expect((await call('GET', '/v1/clearing/statements/2024-03/JX/entries', keys.jx)).body.entries.map((e: Json) => e.setl_id)).toEqual([ids['1']]);
      expect((await call('GET', '/v1/clearing/statements/2024-03/YS/entries', keys.jx)).status).toBe(404);
      const analyst = await call('GET', '/v1/clearing/statements/2024-03/JX/entries', keys.analyst);
      expect([analyst.status, analyst.body.error.code]).toEqual([403, 'FORBIDDEN']);
      const reads = await store.db.selectFrom('audit_log').select(['actor', 'target']).where('action', '=', 'read.clearing.entries').orderBy('id').execute();
      expect(reads.map((r) => r.target)).toEqual(['2024-03/JX2', '2024-03/JX2', '2024-03/JX2', '2024-03/JX']);
      expect(reads[3]?.actor).toBe(keys.jx.id);
    });

    it('records remittances once and clears the districts (三(三))', async () => {
      const before = await counts();
      const badAmount = await call('POST', '/v1/clearing/remittances', keys.agency, {
        id: 'RM-1',
        district: '410305',
        period: '2024-03',
        amount: '1.234',
        remittedOn: '2024-04-10',
      });
      expect([badAmount.status, badAmount.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(badAmount.body.error.problems[0]).toMatch(/^amount: must have at most two decimal places/);
      const badPeriod = await call('POST', '/v1/clearing/remittances', keys.agency, {
        id: 'RM-1',
        district: '410305',
        period: '2024-3',
        amount: '100.50',
        remittedOn: '2024-04-10',
      });
      expect([badPeriod.status, badPeriod.body.error.code]).toEqual([400, 'INVALID_PERIOD']);
      expect((await call('POST', '/v1/clearing/remittances', keys.jx, { id: 'RM-1', district: '410305', period: '2024-03', amount: 1, remittedOn: '2024-04-10' })).status).toBe(
        403,
      );
      expect(await counts()).toEqual(before);

      const body = { id: 'RM-1', district: '410305', period: '2024-03', amount: '100.50', remittedOn: '2024-04-10', note: '3月上解' };
      const first = await call('POST', '/v1/clearing/remittances', keys.agency, body);
      expect([first.status, first.body.amount, first.body.replayed]).toEqual([201, 100.5, false]);
      const replay = await call('POST', '/v1/clearing/remittances', keys.agency, body);
      expect([replay.status, replay.body.replayed]).toEqual([200, true]);
      expect((await call('POST', '/v1/clearing/remittances', keys.agency, { ...body, amount: 100 })).status).toBe(409);

      const districts = await call('GET', '/v1/clearing/periods/2024-03/districts', keys.analyst);
      expect(districts.body.districts.map((d: Json) => [d.district, d.name, d.remitted, d.paidByCity, d.paidByOthers, d.balance])).toEqual([
        ['', '未登记县区', 0, 48, [], -48],
        ['410305', '涧西区', 100.5, 60, [], 40.5],
        ['410381', '偃师区', 0, 0, [{ centre: '410381', paid: 150 }], 0],
      ]);
    });

    it('exports the statements as GBK CSV and XLSX files with Chinese headers and names', async () => {
      const gbk = await call('GET', '/v1/clearing/statements?period=2024-03&format=csv-gbk', keys.analyst);
      expect(gbk.status).toBe(200);
      expect(gbk.res.headers['content-type']).toBe('text/csv; charset=gbk');
      expect(gbk.res.headers['content-disposition']).toBe(`attachment; filename="statements-2024-03.csv"; filename*=UTF-8''${encodeURIComponent('清算单-2024-03.csv')}`);
      const text = iconv.decode(gbk.res.rawPayload, 'gbk');
      expect(text.split('\r\n')[0] ?? text.split('\n')[0]).toMatch(/^清算期,定点医药机构编号,结算经办机构,结算笔数,退费笔数,医疗费总额（元）/);
      expect(text).toContain('2024-03,YS,410381,2,0,400.00,150.00');
      // Not UTF-8: the same bytes do not read as the header in UTF-8.
      expect(gbk.res.rawPayload.toString('utf8')).not.toContain('清算期');

      const utf8 = await call('GET', '/v1/clearing/statements?period=2024-03&format=csv', keys.agency);
      expect([...utf8.res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);

      const xlsx = await call('GET', '/v1/clearing/statements/2024-03/JX?format=xlsx', keys.jx);
      expect(xlsx.res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(xlsx.res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('清算单-2024-03-JX.xlsx')}`);
      const parts = Object.fromEntries(Object.entries(unzipSync(new Uint8Array(xlsx.res.rawPayload))).map(([p, b]) => [p, strFromU8(b)]));
      expect(parts['xl/workbook.xml']).toContain('清算类别');
      expect(parts['xl/workbook.xml']).toContain('基金支付');
      expect(parts['xl/sharedStrings.xml']).toContain('医疗费总额（元）');
      expect(parts['xl/sharedStrings.xml']).toContain('390102');

      const funds = await call('GET', '/v1/clearing/statements/2024-03/JX?format=csv&table=funds', keys.agency);
      expect(funds.res.rawPayload.toString('utf8')).toContain('基金支付类型');
      const centres = await call('GET', '/v1/clearing/periods/2024-03/centres?format=xlsx', keys.agency);
      expect(centres.res.headers['content-disposition']).toContain('filename="centres-2024-03.xlsx"');
      const json = await call('GET', '/v1/clearing/periods/2024-03/districts?format=json', keys.agency);
      expect(json.body.districts).toHaveLength(3);
      expect((await call('GET', '/v1/clearing/statements?format=pdf', keys.agency)).body.error.code).toBe('INVALID_REQUEST');

      // The document says these routes may answer a file.
      const doc = (await call('GET', '/openapi.json', undefined)).body;
      const ok = doc.paths['/v1/clearing/statements'].get.responses['200'];
      expect(Object.keys(ok.content)).toEqual(['application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
      expect(ok.headers['content-disposition']).toBeDefined();
    });

    it('answers 3201 balanced and not, per class of settlements and refund flag', async () => {
      const post = (body: unknown, key = keys.agency) => call('POST', '/v1/national/3201', key, body);
      const net = await post(totals3201());
      expect([net.status, net.body.infcode, net.body.output.stmtinfo.stmt_rslt, net.body.output.stmtinfo.setl_optins]).toEqual([200, 0, '0', '410300']);
      expect(net.body.output.stmtinfo.stmt_rslt_dscr).toContain('双方一致');
      expect(net.body.yibao.ledger).toEqual({ medfee_sumamt: 80, fund_pay_sumamt: 48, acct_pay: 0, fixmedins_setl_cnt: 3 });
      // The settlements alone: 130 / 78 in 2; the refunds alone: −50 / −30 in 1.
      expect((await post(totals3201({ refd_setl_flag: '0', medfee_sumamt: 130, fund_pay_sumamt: '78.00', fixmedins_setl_cnt: 2 }))).body.output.stmtinfo.stmt_rslt).toBe('0');
      expect((await post(totals3201({ refd_setl_flag: '1', medfee_sumamt: '-50.00', fund_pay_sumamt: '-30', fixmedins_setl_cnt: '1' }))).body.output.stmtinfo.stmt_rslt).toBe('0');

      const wrong = await post(totals3201({ fund_pay_sumamt: '49.00' }));
      expect(wrong.body.output.stmtinfo.stmt_rslt).toBe('1');
      expect(wrong.body.output.stmtinfo.stmt_rslt_dscr).toBe('不平：基金支付总额 医院 49.00 元，医保 48.00 元（医院多 1.00 元）');
      // The wrong centre: not balanced, naming the right one.
      expect((await post(totals3201({ setl_optins: '410381' }))).body.output.stmtinfo.stmt_rslt_dscr).toContain('结算经办机构为 410300');

      // An institution reconciles its own only.
      const other = await post(totals3201(), keys.jx);
      expect([other.status, other.body.infcode, other.body.error.code]).toEqual([403, -1, 'FORBIDDEN']);
      expect((await post(totals3201({}, { fixmedins_code: 'JX' }), keys.jx)).body.output.stmtinfo.stmt_rslt).toBe('1');
      expect((await post(totals3201(), keys.analyst)).status).toBe(403);
      const before = await counts();
      const badDay = await post(totals3201({ stmt_enddate: '2024-02-30' }));
      expect([badDay.status, badDay.body.error.code]).toEqual([400, 'INVALID_PERIOD']);
      const badAmount = await post(totals3201({ medfee_sumamt: '80.001' }));
      expect([badAmount.status, badAmount.body.error.code, badAmount.body.error.problems]).toEqual([400, 'INVALID_REQUEST', [expect.stringMatching(/^data\.medfee_sumamt: /)]]);
      expect(await counts()).toEqual(before);
    });

    it('answers 3202 with the result file: balanced from the ledger’s own rows, and not with a row dropped and an amount changed', async () => {
      const jx2 = await ledger.clearing.detailRows('JX2', MARCH.start, MARCH.end);
      const balanced = await call('POST', '/v1/national/3202', keys.agency, detail3202('JX2', jx2, formatDetailFile(jx2)));
      expect([balanced.status, balanced.body.infcode, balanced.body.output.stmt_rslt]).toEqual([200, 0, '0']);
      expect(balanced.body.output.summary).toMatchObject({ matched: 3, differences: 0, hospital: { medfee_sumamt: 80, fund_pay_sumamt: 48, count: 3 } });
      const runId = balanced.body.output.fileinfo.file_qury_no;
      expect(balanced.body.output.fileinfo).toMatchObject({ filename: `${runId}.txt` });
      expect(balanced.body.output.fileinfo.dld_endtime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const lines = (balanced.body.output.file as string)
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(lines.map((c) => [c[2], c[4], c[5], c[7]])).toEqual(
        [
          [ids['3'], '0', '0', '80.00'],
          [ids['4'], '0', '0', '50.00'],
          [ids['4r'], '0', '1', '-50.00'],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );

      // YS: #2 dropped, #5's total changed to 310.
      const ys = await ledger.clearing.detailRows('YS', MARCH.start, MARCH.end);
      const sent = ys.filter((r) => r.setl_id !== ids['2']).map((r) => ({ ...r, medfee_sumamt: 31_000 }));
      const unbalanced = await call('POST', '/v1/national/3202', keys.ys, detail3202('YS', sent, formatDetailFile(sent)));
      expect([unbalanced.status, unbalanced.body.output.stmt_rslt]).toEqual([200, '1']);
      const rows = new Map(
        (unbalanced.body.output.file as string)
          .trimEnd()
          .split('\n')
          .map((l) => [l.split('\t')[2], l.split('\t')]),
      );
      expect(rows.get(ids['2'])).toEqual(['P2', 'v-2', ids['2'], '', '1', '0', '医院端无此结算记录', '100.00', '25.00', '0.00']);
      expect(rows.get(ids['5'])).toEqual(['P2', 'v-5', ids['5'], '', '1', '0', '医疗费总额不一致：医院 310.00 元，医保 300.00 元', '300.00', '125.00', '0.00']);
      // The run is kept: the institution reads it back; another institution does not see it.
      const back = await call('GET', `/v1/reconciliations/${unbalanced.body.output.fileinfo.file_qury_no}`, keys.ys);
      expect(back.body.differences.map((d: Json) => d.class)).toEqual(
        [
          [ids['2'], 'missing-in-hospital'],
          [ids['5'], 'amount-differs'],
        ]
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
          .map((x) => x[1]),
      );
      // A page of them: the second difference alone.
      const second = await call('GET', `/v1/reconciliations/${unbalanced.body.output.fileinfo.file_qury_no}?limit=1&offset=1`, keys.ys);
      expect(second.body).toMatchObject({ differencesShown: 1, differencesOffset: 1, differencesTotal: 2 });
      expect(second.body.differences[0].setl_id).toBe(back.body.differences[1].setl_id);
      expect((await call('GET', `/v1/reconciliations/${unbalanced.body.output.fileinfo.file_qury_no}?limit=0`, keys.ys)).status).toBe(400);
      expect((await call('GET', `/v1/reconciliations/${unbalanced.body.output.fileinfo.file_qury_no}`, keys.jx)).status).toBe(404);

      // A file whose rows do not add up to the message's totals, or a bad cell: refused, nothing written.
      const before = await counts();
      const off = detail3202('YS', ys, formatDetailFile(sent));
      const mismatch = await call('POST', '/v1/national/3202', keys.ys, off);
      expect([mismatch.status, mismatch.body.infcode, mismatch.body.error.code]).toEqual([400, -1, 'INVALID_FILE']);
      expect(mismatch.body.error.message).toContain('data.medfee_sumamt: 400.00, but the file');
      const cell = await call('POST', '/v1/national/3202', keys.ys, detail3202('YS', [], 'S1\tM1\tP1\t1.5x\t0\t0\t0\n'));
      expect(cell.body.error).toMatchObject({ code: 'INVALID_FILE', message: expect.stringContaining('input.file: line 1, column 4 medfee_sumamt') });
      expect(await counts()).toEqual(before);
    });

    it('reconciles a hospital’s GBK CSV export over /v1/reconciliations, kept per run, institution-scoped, not for analysts', async () => {
      const ys = await ledger.clearing.detailRows('YS', MARCH.start, MARCH.end);
      const csv = `结算ID,就诊ID,人员编号,医疗费总额（元）,基金支付总额,个人账户支出,退费结算标志\r\n${ys
        .map((r) =>
          [r.setl_id, r.mdtrt_id, r.psn_no, formatYuan(r.medfee_sumamt), formatYuan(r.fund_pay_sumamt), formatYuan(r.acct_pay), r.refd_setl_flag === '1' ? '是' : '否'].join(','),
        )
        .join('\r\n')}\r\n`;
      const body = { from: '2024-03-01', to: '2024-03-31', format: 'csv', file: iconv.encode(csv, 'gbk').toString('base64') };
      const run = await call('POST', '/v1/reconciliations', keys.ys, body);
      expect(run.status).toBe(201);
      expect(run.body).toMatchObject({ institution: 'YS', kind: 'file', balanced: true, stmt_rslt: '0', differences: [], differencesTotal: 0 });
      expect(run.body.summary).toMatchObject({ matched: 2, hospital: { medfee_sumamt: 400, fund_pay_sumamt: 150, count: 2 } });

      // The agency names the institution; an institution names only its own.
      expect((await call('POST', '/v1/reconciliations', keys.agency, body)).body.error.code).toBe('INVALID_REQUEST');
      expect((await call('POST', '/v1/reconciliations', keys.jx, { ...body, institution: 'YS' })).status).toBe(403);
      const byAgency = await call('POST', '/v1/reconciliations', keys.agency, { ...body, institution: 'JX', format: '3202', file: 'X1\tV1\tP9\t1.00\t0.00\t0.00\t0\n' });
      expect(byAgency.body).toMatchObject({ institution: 'JX', kind: '3202', balanced: false, differencesTotal: 2 });
      expect(byAgency.body.differences.map((d: Json) => [d.class, d.hospital?.medfee_sumamt ?? null, d.ledger?.medfee_sumamt ?? null])).toEqual(
        [
          [ids['1'], 'missing-in-hospital', null, 200],
          ['X1', 'missing-in-ledger', 1, null],
        ]
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
          .map((x) => x.slice(1)),
      );

      const before = await counts();
      const notBase64 = await call('POST', '/v1/reconciliations', keys.ys, { ...body, file: '结算ID!' });
      expect([notBase64.status, notBase64.body.error.code]).toEqual([400, 'INVALID_FILE']);
      const noColumn = await call('POST', '/v1/reconciliations', keys.ys, { ...body, file: Buffer.from('结算ID,就诊ID\nS1,M1\n').toString('base64') });
      expect([noColumn.status, noColumn.body.error.code]).toEqual([400, 'INVALID_FILE']);
      expect(noColumn.body.error.message).toContain('psn_no (人员编号)');
      const backwards = await call('POST', '/v1/reconciliations', keys.ys, { ...body, from: '2024-03-31', to: '2024-03-01' });
      expect([backwards.status, backwards.body.error.code]).toEqual([400, 'INVALID_PERIOD']);
      expect(await counts()).toEqual(before);

      // A month's file may be larger than other bodies (256 KB): 64 MiB here.
      const big = `${csv}${',,,,,,\r\n'.repeat(50_000)}`;
      const large = await call('POST', '/v1/reconciliations', keys.ys, { ...body, file: Buffer.from(big).toString('base64') });
      expect([large.status, large.body.balanced]).toEqual([201, true]);
      const tooLarge = await call('POST', '/v1/clearing/remittances', keys.agency, {
        id: 'RM-9',
        district: '410305',
        period: '2024-03',
        amount: 1,
        remittedOn: '2024-04-10',
        note: 'x'.repeat(300_000),
      });
      expect([tooLarge.status, tooLarge.body.error.code, tooLarge.body.error.message]).toEqual([413, 'BODY_TOO_LARGE', 'request body is larger than 262144 bytes']);

      // Read back: the institution its own, the agency any, analysts none.
      const mine = await call('GET', '/v1/reconciliations', keys.ys);
      expect(mine.body.reconciliations.every((r: Json) => r.institution === 'YS')).toBe(true);
      expect(mine.body.reconciliations.map((r: Json) => r.kind)).toEqual(['file', 'file', '3202']);
      const theirs = await call('GET', '/v1/reconciliations?institution=JX', keys.agency);
      expect(theirs.body.reconciliations.map((r: Json) => [r.kind, r.balanced])).toEqual([
        ['3202', false],
        ['3201', false],
      ]);
      expect((await call('GET', '/v1/reconciliations', keys.analyst)).status).toBe(403);
      expect((await call('GET', `/v1/reconciliations/${run.body.id}`, keys.analyst)).status).toBe(403);
      expect((await call('GET', `/v1/reconciliations/${run.body.id}`, keys.jx)).status).toBe(404);
      const file = await call('GET', `/v1/reconciliations/${byAgency.body.id}?format=csv`, keys.agency);
      expect(file.res.headers['content-disposition']).toContain(`filename="reconciliation-${byAgency.body.id}.csv"`);
      expect(file.res.rawPayload.toString('utf8')).toContain('医院端无此记录');
    });

    it('audits the writes and the reads of personal data', async () => {
      const all = await actions();
      for (const action of [
        'clearing.district.register',
        'clearing.centre.register',
        'clearing.institution.register',
        'person.register',
        'clearing.close',
        'clearing.remittance',
        'read.clearing.entries',
        'reconcile.3201',
        'reconcile.3202',
        'reconcile.file',
        'read.reconciliation',
        'refused',
      ])
        expect(all, action).toContain(action);
      expect(all.filter((a) => a === 'clearing.close')).toHaveLength(1);
      expect(all.filter((a) => a === 'clearing.remittance')).toHaveLength(1);
    });
  });
}
