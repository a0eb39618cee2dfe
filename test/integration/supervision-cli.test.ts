/**
 * `yibao supervise …` as an agency clerk runs it, on a SQLite file and on PostgreSQL: the
 * split-visit rule set on the command line, sites from a GBK CSV, March run, the findings listed,
 * exported, read one by one (audited), dismissed with a reason, and counted.
 *
 * March (hand computed as in supervision-api.test.ts: Luoyang residents, county hospitals, 50%
 * above a deductible of 50.00 a day at one institution):
 *   P1 at H1 03-04 09:00 and 15:00, 100 each → fund 25.00, then 50.00 → SPLIT-DAY, vola_amt 50.00
 *   P2 at H2 03-05 10:00 and 11:00, 100 each → fund 25.00, then 50.00 → SPLIT-DAY, vola_amt 50.00
 *   P3 at H1 03-06 once → nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { migrateToLatest, openLedgerDb } from '../../src/ledger/connect.js';
import { type Actor, Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { runCli } from '../support/cli.js';
import { freshPostgres, pgAvailable, TEST_TMPDIR } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };
const dir = mkdtempSync(join(TEST_TMPDIR, 'yibao-supervise-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = any;
const at = (iso: string) => Date.parse(iso);

function file(name: string, body: string | Buffer | unknown): string {
  const f = join(dir, name);
  writeFileSync(f, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
  return f;
}

/** March settled through a ledger whose clock is each visit's time. */
async function settleMarch(db: string): Promise<void> {
  const store = await openLedgerDb({ target: db });
  await migrateToLatest(store.db);
  try {
    const clock = { now: 0 };
    const ledger = new Ledger(store, engine, () => clock.now);
    const settle = async (n: string, person: string, time: string, institution: string) => {
      clock.now = at(time);
      const req = parseSettleOne(
        {
          requestId: `r-${n}`,
          person: { id: person, region: '410300', scheme: 'resident', category: 'adult' },
          visit: { id: `v-${n}`, time, type: 'outpatient', institution: { id: institution, tier: 'county', grade: 2, contracted: true }, total: 100 },
        },
        policies,
      );
      return (await ledger.settle(req, agency)).entry.fundPay;
    };
    expect([
      await settle('1', 'P1', '2024-03-04T09:00:00+08:00', 'H1'),
      await settle('2', 'P1', '2024-03-04T15:00:00+08:00', 'H1'),
      await settle('3', 'P2', '2024-03-05T10:00:00+08:00', 'H2'),
      await settle('4', 'P2', '2024-03-05T11:00:00+08:00', 'H2'),
      await settle('5', 'P3', '2024-03-06T10:00:00+08:00', 'H1'),
    ]).toEqual([25, 50, 25, 50, 25]);
  } finally {
    await store.close();
  }
}

const targets: { label: string; skip: boolean; db: () => Promise<{ db: string; close: () => Promise<void> }> }[] = [
  { label: 'a SQLite file', skip: false, db: async () => ({ db: join(dir, 'supervise.db'), close: async () => undefined }) },
  {
    label: 'PostgreSQL',
    skip: !pgAvailable,
    db: async () => {
      const pg = await freshPostgres(4);
      return { db: pg.url, close: () => pg.close() };
    },
  },
];

for (const t of targets) {
  describe.skipIf(t.skip)(`yibao supervise on ${t.label}`, () => {
    let db = '';
    let close: () => Promise<void> = async () => undefined;
    const cli = (...args: string[]) => runCli(['supervise', ...args, '--db', db]);
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      ({ db, close } = await t.db());
      await settleMarch(db);
    });
    afterAll(async () => close());

    it('lists the rules with what is still to be set, and sets one (bad input exit 2, an unknown rule exit 1)', async () => {
      const listed = await cli('rules');
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/^监管规则（6 行）/);
      expect(listed.stdout).toMatch(/SPLIT-DAY\s+分解就诊（同日同机构多次结算）\s+2 高度可疑/);
      expect(listed.stdout).toContain('minVisits');

      const bad = await cli('rules', 'set', 'SPLIT-DAY', '--params', '{"minVisits":1}', '--reason', '试行');
      expect([bad.code, bad.stdout]).toEqual([2, '']);
      expect(bad.stderr).toContain('minVisits');
      const notJson = await cli('rules', 'set', 'SPLIT-DAY', '--params', '{minVisits', '--reason', '试行');
      expect([notJson.code, notJson.stderr]).toEqual([2, expect.stringContaining('--params: not valid JSON')]);
      expect((await cli('rules', 'set', 'SPLIT-DAY', '--params', '{"minVisits":2}')).code).toBe(2);
      const unknown = await cli('rules', 'set', 'NO-SUCH', '--params', '{}', '--reason', '试行');
      expect([unknown.code, JSON.parse(unknown.stdout).error.code]).toEqual([1, 'NOT_FOUND']);

      const set = await cli('rules', 'set', 'SPLIT-DAY', '--params', '{"minVisits":2}', '--reason', '洛医保〔2022〕36号 第十六条');
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toBe('已设置规则 SPLIT-DAY 分解就诊（同日同机构多次结算）：启用，严重程度 2 高度可疑，参数 {"minVisits":2}\n');
      const viaFile = await cli('rules', 'set', 'SPLIT-DAY', '--file', file('rule.json', { enabled: true, params: { minVisits: 2 }, severity: '2', reason: '复核' }));
      expect(viaFile.code, viaFile.stderr).toBe(0);
      const json = JSON.parse((await cli('rules', '--format', 'json')).stdout);
      expect(json.rules.find((r: Json) => r.id === 'SPLIT-DAY')).toMatchObject({ params: { minVisits: 2 }, missing: [], reason: '复核' });
    });

    it('records sites from a GBK CSV with Chinese headers, refusing a file with a bad row whole', async () => {
      const bad = await cli('sites', 'set', file('bad.csv', '定点医药机构编号,类型,经度,纬度\nH1,定点医疗机构,112.45,\n'));
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('line 2.latitude: longitude and latitude are given together')]);
      expect(JSON.parse((await cli('sites', '--format', 'json')).stdout).total).toBe(0);
      const csv = iconv.encode('定点医药机构编号,类型,经度,纬度\r\nH1,定点医疗机构,112.454,34.619\r\nH2,定点医疗机构,,\r\n', 'gbk');
      const ok = await cli('sites', 'set', file('sites.csv', csv));
      expect([ok.code, ok.stdout]).toEqual([0, '已登记 2 个定点医药机构的类型和位置 / 2 sites recorded\n']);
      const listed = await cli('sites');
      expect(listed.stdout).toMatch(/H1\s+定点医疗机构\s+112\.454000\s+34\.619000/);
    });

    it('runs March, refusing a span that is not one', async () => {
      expect((await cli('run', '--from', '2024-03-01')).code).toBe(2);
      expect((await cli('run', '--incremental', '--from', '2024-03-01', '--to', '2024-03-31')).code).toBe(2);
      const backwards = await cli('run', '--from', '2024-03-31', '--to', '2024-03-01');
      expect([backwards.code, backwards.stderr]).toEqual([2, expect.stringContaining('--to: 2024-03-01 is not after from 2024-03-31')]);
      const run = await cli('run', '--from', '2024-03-01', '--to', '2024-03-31');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^筛查完成 \/ run SR-/);
      expect(run.stdout).toContain('结算时间  2024-03-01 00:00:00 至 2024-04-01 00:00:00（不含）');
      expect(run.stdout).toMatch(/结算笔数\s+5\n/);
      expect(run.stdout).toMatch(/线索数\s+2\n/);
      // Rules without settings do not run, each named with why.
      expect(run.stdout).toContain('未运行 FREQ-PEER');
      const runs = await cli('runs');
      expect(runs.stdout).toMatch(/^筛查批次（1 行）/);
    });

    it('lists, exports and shows findings (audited), sets a status with a reason, and counts without person ids', async () => {
      const listed = await cli('findings', '--format', 'json');
      expect(listed.code, listed.stderr).toBe(0);
      const all = JSON.parse(listed.stdout);
      expect(all.total).toBe(2);
      for (const f of all.findings) ids[f.institutionId] = f.id;
      expect(all.findings.map((f: Json) => [f.personId, f.institutionId, f.amount]).sort()).toEqual([
        ['P1', 'H1', 50],
        ['P2', 'H2', 50],
      ]);
      const table = await cli('findings', '--institution', 'H1');
      expect(table.stdout).toMatch(/^疑点线索（1 行）\n\s+线索编号\s+规则编号\s+规则名称/);
      expect(table.stdout).toContain('P1');
      expect(table.stdout).not.toContain('P2');
      const out = join(dir, `findings-${t.label.length}.csv`);
      const csv = await cli('findings', '--format', 'csv-gbk', '--out', out);
      expect(csv.code, csv.stderr).toBe(0);
      expect(iconv.decode(readFileSync(out), 'gbk').split('\r\n')[0]).toContain('线索编号,规则编号,规则名称,严重程度');
      expect((await cli('findings', '--format', 'xlsx')).code).toBe(2);
      expect((await cli('findings', '--format', 'csv', '--out', out, '--limit', '5')).code).toBe(2);
      const badStatus = await cli('findings', '--status', 'closed');
      expect([badStatus.code, badStatus.stderr]).toEqual([2, expect.stringContaining('--status: must be one of open, confirmed, dismissed')]);

      const one = await cli('finding', ids.H1 as string);
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout).toMatch(/^疑点线索 \S+（待核查）/);
      expect(one.stdout).toMatch(/违规金额\s+50\.00 元/);
      expect(one.stdout).toMatch(/v-1\s+H1/);
      expect((await cli('finding', 'no-such')).code).toBe(1);

      expect((await cli('status', ids.H1 as string, '--to', 'closed', '--reason', 'x')).code).toBe(2);
      expect((await cli('status', ids.H1 as string, '--to', 'dismissed')).code).toBe(2);
      expect((await cli('status', 'no-such', '--to', 'dismissed', '--reason', '不同科室')).code).toBe(1);
      const dismissed = await cli('status', ids.H1 as string, '--to', 'dismissed', '--reason', '经核查，两次就诊分属不同科室');
      expect([dismissed.code, dismissed.stdout]).toEqual([0, `疑点线索 ${ids.H1} 的核查状态已改为「已排除」（理由：经核查，两次就诊分属不同科室）/ status set to dismissed\n`]);
      const shown = await cli('finding', ids.H1 as string, '--json');
      expect(JSON.parse(shown.stdout).history.at(-1)).toMatchObject({ status: 'dismissed', reason: '经核查，两次就诊分属不同科室', actor: 'cli' });

      const counts = await cli('counts');
      expect(counts.stdout).toContain('合计：2 条线索，涉及金额 100.00 元');
      const countsJson = await cli('counts', '--status', 'open', '--format', 'json');
      expect(JSON.parse(countsJson.stdout).total).toEqual({ count: 1, amount: 50 });
      expect(countsJson.stdout).not.toMatch(/P1|P2|personId/);

      // The reads are in the audit log, by the command line.
      const audit = JSON.parse((await runCli(['audit', '--action', 'read.finding', '--json', '--db', db])).stdout);
      expect(audit.entries.map((e: Json) => [e.actor, e.target])).toContainEqual(['cli', ids.H1]);
      const lists = JSON.parse((await runCli(['audit', '--action', 'read.findings', '--json', '--db', db])).stdout);
      expect(lists.entries.map((e: Json) => e.target)).toEqual(expect.arrayContaining(['*', 'H1']));
    });
  });
}
