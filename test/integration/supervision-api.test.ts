/**
 * Supervision over HTTP (/v1/supervision), on SQLite and PostgreSQL: the split-visit rule (SPLIT-DAY,
 * 分解就诊) set by the agency, March run, and the findings read by role — an institution its own
 * only (404 for another's), analysts counts without person ids, the agency everything — a status
 * set with a reason and shown in the history and the audit log, exports with Chinese headers, and
 * bad input refused with stable codes.
 *
 * March, Luoyang residents (adult, 410300) at county hospitals H1 and H2 (grade 2), outpatient;
 * the fund pays 50% above a deductible of 50.00 a day at one institution (the clearing tests' YS:
 * 100 → 25.00, 300 → 125.00):
 *   #1 P1 at H1 03-04 09:00 total 100 → fund (100 − 50) × 50% = 25.00
 *   #2 P1 at H1 03-04 15:00 total 100 → deductible borne by #1: 100 × 50% = 50.00
 *   #3 P2 at H2 03-05 10:00 total 100 → 25.00
 *   #4 P2 at H2 03-05 11:00 total 100 → 50.00
 *   #5 P3 at H1 03-06 10:00 total 100 → 25.00 (once: no lead)
 * SPLIT-DAY with minVisits 2: P1 at H1 on 03-04 (2 visits ≥ 2: a lead, vola_amt = the fund after
 * the first visit = 50.00) and P2 at H2 on 03-05 (50.00); P3 visits once (no lead). 2 findings.
 */
import type { FastifyInstance } from 'fastify';
import { strFromU8, unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, type CreatedKey, KeyStore } from '../../src/ledger/keys.js';
import { type Actor, Ledger } from '../../src/ledger/ledger.js';
import { SPLIT_DAY } from '../../src/monitoring/rules/split-day.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const clerk: Actor = { id: 'agency-1', role: 'agency' };

type Json = any;
const at = (iso: string) => Date.parse(iso);
const H1 = { id: 'H1', tier: 'county', grade: 2, contracted: true };
const H2 = { id: 'H2', tier: 'county', grade: 2, contracted: true };
const TABLES = ['findings', 'finding_status', 'supervision_runs', 'monitoring_settings', 'institution_sites', 'audit_log'] as const;

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`supervision over HTTP on ${s.label}`, () => {
    let store: LedgerDb;
    let ledger: Ledger;
    let app: FastifyInstance;
    const clock = { now: at('2024-03-01T08:00:00+08:00') };
    const keys = {} as Record<'agency' | 'analyst' | 'h1' | 'h2', CreatedKey>;
    const found: Record<string, Json> = {};

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
    const counts = () => rowCounts(store, TABLES);
    const audit = async () => store.db.selectFrom('audit_log').select(['action', 'target', 'actor', 'detail']).orderBy('id').execute();

    beforeAll(async () => {
      store = await s.open();
      ledger = new Ledger(store, engine, () => clock.now, { supervisionRules: [SPLIT_DAY] });
      await ledger.ready;
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      keys.agency = await createKey(store.db, 'agency');
      keys.analyst = await createKey(store.db, 'analyst');
      keys.h1 = await createKey(store.db, 'institution', { institutionId: 'H1' });
      keys.h2 = await createKey(store.db, 'institution', { institutionId: 'H2' });
      const settle = async (n: string, person: string, time: string, institution: unknown) => {
        clock.now = at(time);
        const one = parseSettleOne(
          {
            requestId: `r-${n}`,
            person: { id: person, region: '410300', scheme: 'resident', category: 'adult' },
            visit: { id: `v-${n}`, time, type: 'outpatient', institution, total: 100 },
          },
          policies,
        );
        return (await ledger.settle(one, clerk)).entry;
      };
      const fund = [
        await settle('1', 'P1', '2024-03-04T09:00:00+08:00', H1),
        await settle('2', 'P1', '2024-03-04T15:00:00+08:00', H1),
        await settle('3', 'P2', '2024-03-05T10:00:00+08:00', H2),
        await settle('4', 'P2', '2024-03-05T11:00:00+08:00', H2),
        await settle('5', 'P3', '2024-03-06T10:00:00+08:00', H1),
      ].map((e) => e.fundPay);
      // The hand computation above.
      expect(fund).toEqual([25, 50, 25, 50, 25]);
      clock.now = at('2024-04-01T09:00:00+08:00');
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('lists the rules to the agency and analysts; the agency sets one, with its parameters and a reason', async () => {
      const listed = await call('GET', '/v1/supervision/rules', keys.analyst);
      expect(listed.status).toBe(200);
      expect(listed.body.rules.map((r: Json) => [r.id, r.params, r.missing, r.enabled])).toEqual([['SPLIT-DAY', null, ['minVisits'], expect.any(Boolean)]]);
      expect((await call('GET', '/v1/supervision/rules', keys.h1)).status).toBe(403);

      const before = await counts();
      const url = '/v1/supervision/rules/SPLIT-DAY';
      expect((await call('PUT', url, keys.analyst, { enabled: true, params: { minVisits: 2 }, reason: 'x' })).status).toBe(403);
      expect((await call('PUT', url, keys.h1, { enabled: true, params: { minVisits: 2 }, reason: 'x' })).status).toBe(403);
      const noReason = await call('PUT', url, keys.agency, { enabled: true, params: { minVisits: 2 } });
      expect([noReason.status, noReason.body.error.code, noReason.body.error.problems]).toEqual([400, 'INVALID_REQUEST', ['reason: must be a string']]);
      const blank = await call('PUT', url, keys.agency, { enabled: true, params: { minVisits: 2 }, reason: '   ' });
      expect([blank.status, blank.body.error.problems]).toEqual([400, ['reason: must not be empty: say why']]);
      const badParam = await call('PUT', url, keys.agency, { enabled: true, params: { minVisits: 'two' }, reason: '试行' });
      expect([badParam.status, badParam.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(badParam.body.error.message).toContain('minVisits');
      const badSeverity = await call('PUT', url, keys.agency, { enabled: true, params: { minVisits: 2 }, severity: '4', reason: '试行' });
      expect([badSeverity.status, badSeverity.body.error.problems]).toEqual([400, ['severity: must be "1" (明确违规), "2" (高度可疑) or "3" (轻度可疑)']]);
      const unknown = await call('PUT', '/v1/supervision/rules/NO-SUCH', keys.agency, { enabled: true, params: {}, reason: '试行' });
      expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
      const badId = await call('PUT', '/v1/supervision/rules/%E5%88%86', keys.agency, { enabled: true, params: {}, reason: '试行' });
      expect([badId.status, badId.body.error.problems]).toEqual([400, ['params.id: may contain letters, digits and . _ - only']]);
      expect(await counts()).toEqual(before);

      const set = await call('PUT', url, keys.agency, { enabled: true, params: { minVisits: 2 }, severity: '2', reason: '洛医保〔2022〕36号 第十六条' });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ id: 'SPLIT-DAY', enabled: true, params: { minVisits: 2 }, missing: [], severity: '2', reason: '洛医保〔2022〕36号 第十六条' });
      expect(set.body.setAt).toBe('2024-04-01T09:00:00+08:00');
    });

    it('records sites (agency) and lists them (agency, analyst)', async () => {
      const bad = await call('PUT', '/v1/supervision/sites/H1', keys.agency, { kind: 'medical', longitude: 112.45, latitude: null });
      expect([bad.status, bad.body.error.problems]).toEqual([400, ['latitude: longitude and latitude are given together, or both null']]);
      expect((await call('PUT', '/v1/supervision/sites/H1', keys.h1, { kind: 'medical', longitude: null, latitude: null })).status).toBe(403);
      const ok = await call('PUT', '/v1/supervision/sites/H1', keys.agency, { kind: 'medical', longitude: 112.454, latitude: 34.619 });
      expect([ok.status, ok.body]).toEqual([200, { institutionId: 'H1', kind: 'medical', longitude: 112.454, latitude: 34.619 }]);
      const listed = await call('GET', '/v1/supervision/sites', keys.analyst);
      expect([listed.body.total, listed.body.sites]).toEqual([1, [ok.body]]);
      expect((await call('GET', '/v1/supervision/sites?limit=0', keys.analyst)).status).toBe(400);
    });

    it('runs March (agency), refusing bad spans; the run is listed to analysts', async () => {
      const before = await counts();
      for (const body of [{ from: '2024-03-31', to: '2024-03-01' }, { from: 'March', to: '2024-03-31' }, { from: '2024-03-01' }, { incremental: false }, {}]) {
        const r = await call('POST', '/v1/supervision/runs', keys.agency, body);
        expect([r.status, r.body.error.code], JSON.stringify(body)).toEqual([400, 'INVALID_REQUEST']);
      }
      expect((await call('POST', '/v1/supervision/runs', keys.analyst, { from: '2024-03-01', to: '2024-03-31' })).status).toBe(403);
      expect(await counts()).toEqual(before);

      const run = await call('POST', '/v1/supervision/runs', keys.agency, { from: '2024-03-01', to: '2024-03-31' });
      expect(run.status).toBe(201);
      // [2024-03-01 00:00, 2024-04-01 00:00) China time; 5 settlements of 3 persons; 2 leads, both new.
      expect(run.body).toMatchObject({ kind: 'batch', from: '2024-03-01T00:00:00+08:00', to: '2024-04-01T00:00:00+08:00', settlements: 5, persons: 3, leads: 2, newFindings: 2 });
      expect(run.body.byRule).toEqual({ 'SPLIT-DAY': { leads: 2, newFindings: 2 } });
      const runs = await call('GET', '/v1/supervision/runs', keys.analyst);
      expect([runs.body.total, runs.body.runs[0].id]).toEqual([1, run.body.id]);
      expect((await call('GET', `/v1/supervision/runs/${run.body.id}`, keys.analyst)).body.leads).toBe(2);
      expect((await call('GET', '/v1/supervision/runs/no-such-run', keys.agency)).status).toBe(404);
      // Run again: the same leads are the same findings.
      const again = await call('POST', '/v1/supervision/runs', keys.agency, { from: '2024-03-01', to: '2024-03-31' });
      expect([again.body.leads, again.body.newFindings]).toEqual([2, 0]);
    });

    it('shows the agency every finding, an institution its own only, and refuses analysts', async () => {
      const all = await call('GET', '/v1/supervision/findings', keys.agency);
      expect(all.status).toBe(200);
      expect(all.body.total).toBe(2);
      const rows = all.body.findings.map((f: Json) => [f.ruleId, f.personId, f.institutionId, f.amount, f.severity, f.status]);
      expect(rows).toEqual(
        expect.arrayContaining([
          ['SPLIT-DAY', 'P1', 'H1', 50, '2', 'open'],
          ['SPLIT-DAY', 'P2', 'H2', 50, '2', 'open'],
        ]),
      );
      for (const f of all.body.findings) found[f.institutionId] = f;

      const own = await call('GET', '/v1/supervision/findings', keys.h1);
      expect([own.body.total, own.body.findings.map((f: Json) => f.id)]).toEqual([1, [found.H1.id]]);
      // The filter is the key's, whatever the query says.
      const other = await call('GET', '/v1/supervision/findings?institution=H2', keys.h1);
      expect([other.status, other.body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect((await call('GET', '/v1/supervision/findings?institution=H1', keys.h1)).body.total).toBe(1);
      expect((await call('GET', '/v1/supervision/findings?person=P2', keys.h1)).status).toBe(403);
      expect((await call('GET', '/v1/supervision/findings?person=P2', keys.agency)).body.findings.map((f: Json) => f.id)).toEqual([found.H2.id]);
      expect((await call('GET', '/v1/supervision/findings', keys.analyst)).status).toBe(403);
      expect((await call('GET', '/v1/supervision/findings', undefined)).status).toBe(401);

      // One finding: its own to H1, another's is not said to exist.
      const mine = await call('GET', `/v1/supervision/findings/${found.H1.id}`, keys.h1);
      expect(mine.status).toBe(200);
      expect(mine.body.evidence.settlements.map((x: Json) => [x.visitId, x.fund])).toEqual([
        ['v-1', 25],
        ['v-2', 50],
      ]);
      const theirs = await call('GET', `/v1/supervision/findings/${found.H2.id}`, keys.h1);
      const none = await call('GET', '/v1/supervision/findings/no-such-finding', keys.h1);
      expect([theirs.status, theirs.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(theirs.body.error.message.replace(found.H2.id, 'X')).toBe(none.body.error.message.replace('no-such-finding', 'X'));
      expect((await call('GET', `/v1/supervision/findings/${found.H2.id}/history`, keys.h1)).status).toBe(404);
      expect((await call('GET', `/v1/supervision/findings/${found.H2.id}`, keys.analyst)).status).toBe(403);

      // Each read of findings is in the audit log.
      const reads = (await audit()).filter((r) => r.action === 'read.findings' || r.action === 'read.finding');
      expect(reads.map((r) => [r.action, r.target])).toEqual(
        expect.arrayContaining([
          ['read.findings', '*'],
          ['read.findings', 'H1'],
          ['read.findings', 'P2'],
          ['read.finding', found.H1.id],
        ]),
      );
    });

    it('counts findings for analysts without a person id anywhere', async () => {
      const r = await call('GET', '/v1/supervision/findings/counts', keys.analyst);
      expect(r.status).toBe(200);
      expect(r.body.total).toEqual({ count: 2, amount: 100 });
      expect(r.body.counts.map((c: Json) => [c.ruleId, c.institutionId, c.status, c.count, c.amount])).toEqual(
        expect.arrayContaining([
          ['SPLIT-DAY', 'H1', 'open', 1, 50],
          ['SPLIT-DAY', 'H2', 'open', 1, 50],
        ]),
      );
      const text = r.res.body;
      for (const person of ['P1', 'P2', 'P3', 'personId', 'patn_id']) expect(text).not.toContain(person);
      const file = await call('GET', '/v1/supervision/findings/counts?format=csv', keys.analyst);
      expect(file.res.headers['content-type']).toContain('text/csv');
      expect(file.res.body).toContain('规则编号,规则名称,核查状态,严重程度,定点医药机构,线索数,涉及金额（元）');
      expect(file.res.body).not.toContain('P1');
      expect((await call('GET', '/v1/supervision/findings/counts?person=P1', keys.analyst)).status).toBe(400);
      expect((await call('GET', '/v1/supervision/findings/counts', keys.h1)).status).toBe(403);
    });

    it('sets a status (agency staff, with a reason): shown in the history and the audit log', async () => {
      const url = `/v1/supervision/findings/${found.H1.id}/status`;
      const before = await counts();
      expect((await call('POST', url, keys.h1, { status: 'dismissed', reason: '不同科室' })).status).toBe(403);
      expect((await call('POST', url, keys.analyst, { status: 'dismissed', reason: '不同科室' })).status).toBe(403);
      const noReason = await call('POST', url, keys.agency, { status: 'dismissed' });
      expect([noReason.status, noReason.body.error.problems]).toEqual([400, ['reason: must be a string']]);
      const long = await call('POST', url, keys.agency, { status: 'dismissed', reason: '因'.repeat(501) });
      expect([long.status, long.body.error.problems]).toEqual([400, ['reason: must be at most 500 characters']]);
      const bad = await call('POST', url, keys.agency, { status: 'closed', reason: '不同科室' });
      expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      const missing = await call('POST', '/v1/supervision/findings/no-such-finding/status', keys.agency, { status: 'dismissed', reason: '不同科室' });
      expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(await counts()).toEqual(before);

      clock.now = at('2024-04-02T10:00:00+08:00');
      const set = await call('POST', url, keys.agency, { status: 'dismissed', reason: '经核查，两次就诊分属不同科室，非分解就诊' });
      expect(set.status).toBe(200);
      expect([set.body.id, set.body.status, set.body.statusAt]).toEqual([found.H1.id, 'dismissed', '2024-04-02T10:00:00+08:00']);
      const history = await call('GET', `/v1/supervision/findings/${found.H1.id}/history`, keys.h1);
      expect(history.status).toBe(200);
      expect(history.body.history.at(-1)).toEqual({
        status: 'dismissed',
        reason: '经核查，两次就诊分属不同科室，非分解就诊',
        actor: keys.agency.id,
        at: '2024-04-02T10:00:00+08:00',
      });
      const rows = (await audit()).filter((r) => r.action === 'supervision.finding.status');
      expect(rows.map((r) => [r.target, r.actor])).toEqual([[found.H1.id, keys.agency.id]]);
      expect((await call('GET', '/v1/supervision/findings?status=dismissed', keys.agency)).body.findings.map((f: Json) => f.id)).toEqual([found.H1.id]);
      expect((await call('GET', '/v1/supervision/findings/counts?status=open', keys.analyst)).body.total).toEqual({ count: 1, amount: 50 });
    });

    it('exports findings with Chinese headers (GBK CSV, XLSX) and refuses bad filters with 400', async () => {
      const gbk = await call('GET', '/v1/supervision/findings?format=csv-gbk', keys.agency);
      expect(gbk.status).toBe(200);
      expect(gbk.res.headers['content-disposition']).toContain("filename*=UTF-8''%E7%96%91%E7%82%B9%E7%BA%BF%E7%B4%A2");
      const text = iconv.decode(gbk.res.rawPayload, 'gbk');
      expect(text.split('\r\n')[0]).toBe(
        '线索编号,规则编号,规则名称,严重程度,违规行为分类,核查状态,参保人,就诊ID,定点医药机构,违规金额（元）,金额计算状态,违规内容,发生时间,发现时间,状态时间,筛查批次',
      );
      expect(text).toContain('分解就诊');
      const own = await call('GET', '/v1/supervision/findings?format=xlsx', keys.h1);
      const parts = Object.fromEntries(Object.entries(unzipSync(new Uint8Array(own.res.rawPayload))).map(([p, b]) => [p, strFromU8(b)]));
      // The texts: H1's finding is P1's; P2's is not in H1's file.
      expect(parts['xl/sharedStrings.xml']).toContain('>P1<');
      expect(parts['xl/sharedStrings.xml']).toContain('线索编号');
      expect(parts['xl/sharedStrings.xml']).not.toContain('>P2<');
      expect((await call('GET', '/v1/supervision/findings?format=xlsx&limit=10', keys.agency)).status).toBe(400);

      for (const q of [
        'limit=0',
        'limit=501',
        'offset=-1',
        'offset=100001',
        'status=closed',
        'severity=4',
        'from=yesterday',
        'from=2024-03-05&to=2024-03-01',
        'format=pdf',
        'colour=red',
      ]) {
        const r = await call('GET', `/v1/supervision/findings?${q}`, keys.agency);
        expect([r.status, r.body.error.code], q).toEqual([400, 'INVALID_REQUEST']);
      }
      // Bodies of every shape: a 400 naming the problem, never a 500, nothing written.
      const before = await counts();
      for (const [method, url, body] of [
        ['PUT', '/v1/supervision/sites/H9', []],
        ['PUT', '/v1/supervision/sites/H9', null],
        ['PUT', '/v1/supervision/sites/H9', { kind: 'medical', longitude: '112', latitude: 34 }],
        ['PUT', '/v1/supervision/rules/SPLIT-DAY', { enabled: 'yes', params: [], reason: 'x' }],
        ['PUT', '/v1/supervision/rules/SPLIT-DAY', { enabled: true, params: { minVisits: 2 }, reason: 'x', extra: 1 }],
        ['POST', '/v1/supervision/runs', []],
        ['POST', '/v1/supervision/runs', { from: '2024-03-01T25:00:00', to: '2024-03-02' }],
        ['POST', `/v1/supervision/findings/${found.H2.id}/status`, 'dismissed'],
        ['POST', `/v1/supervision/findings/${found.H2.id}/status`, { status: 'dismissed', reason: 'a\u0000b' }],
      ] as const) {
        const r = await call(method, url, keys.agency, body);
        expect([r.status, r.body.error.code], `${method} ${url} ${JSON.stringify(body)}`).toEqual([400, 'INVALID_REQUEST']);
      }
      expect(await counts()).toEqual(before);
      const ranged = await call('GET', '/v1/supervision/findings?from=2024-03-05&to=2024-03-05', keys.agency);
      expect(ranged.body.findings.map((f: Json) => f.personId)).toEqual(['P2']);
      const paged = await call('GET', '/v1/supervision/findings?limit=1&offset=1', keys.agency);
      expect([paged.body.total, paged.body.findings.length, paged.body.limit, paged.body.offset]).toEqual([2, 1, 1, 1]);
    });
  });
}
