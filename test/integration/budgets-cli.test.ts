/**
 * `yibao budget …` and `yibao monitor …` in-process on a SQLite ledger holding the hand-made history
 * of test/support/budget-history.ts (figures there and in budgets.test.ts): the students' standard
 * budget 10 × 70.00 = 700.00 from the policy; 2024's account of 涧西区 has 750.00, spent 800.00,
 * projects 1,300.00 and warns at a 10% margin; S3 (低保对象) bore 125.00 in 2024. Exit codes: 0
 * done, 1 refused (JSON on stdout), 2 invalid input (nothing on stdout).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { runCli } from '../support/cli.js';
import { seedHistory } from '../support/budget-history.js';
import { freshSqlite } from '../support/stores.js';

const policies = loadPolicies();

describe('yibao budget and yibao monitor', () => {
  let store: LedgerDb & { path: string };
  const cli = (...args: string[]) => runCli([...args, '--db', store.path]);

  beforeAll(async () => {
    store = await freshSqlite();
    const clock = { now: 0 };
    await seedHistory(new Ledger(store, new SettlementEngine(policies), () => clock.now), policies, clock);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('records budgets, the standard one from the policy rate; replays; refuses with exit 1 and bad input with exit 2', async () => {
    const set = ['budget', 'set', '--id', 'b-s23', '--area', '410305', '--year', '2023', '--account', 'student-outpatient'];
    const first = await cli(...set, '--from-policy');
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toContain('已录入预算 410305 2023 年 student-outpatient：700.00 元（10 人 × 70 元/人/年，洛医保〔2022〕36号 第三条）');
    expect((await cli(...set, '--from-policy')).stdout).toContain('已录入过');
    const conflict = await cli(...set, '--amount', '1');
    expect([conflict.code, JSON.parse(conflict.stdout).error.code]).toEqual([1, 'IDEMPOTENCY_CONFLICT']);
    const neither = await cli(...set.slice(0, -2), '--account', 'resident-outpatient');
    expect([neither.code, neither.stdout]).toEqual([2, '']);
    expect(neither.stderr).toContain('amount');
    const fee = await cli('budget', 'set', '--id', 'b-f24', '--area', '410305', '--year', '2024', '--account', 'family-doctor', '--from-policy', '--persons', '3');
    expect([fee.code, JSON.parse(fee.stdout).error.code]).toEqual([1, 'MISSING_PARAMETER']);
    expect((await cli('budget', 'set', '--id', 'x', '--persons', '3')).code).toBe(2);
    const s24 = await cli('budget', 'set', '--id', 'b-s24', '--area', '410305', '--year', '2024', '--account', 'student-outpatient', '--from-policy', '--persons', '10', '--json');
    expect([s24.code, JSON.parse(s24.stdout).amount]).toEqual([0, 700]);
    const pay = await cli('budget', 'pay', '--id', 'p1', '--area', '410305', '--account', 'family-doctor', '--amount', '30', '--paid-on', '2024-02-01');
    expect([pay.code, pay.stdout]).toEqual([0, '已登记支出 410305 family-doctor 30.00 元，支付日期 2024-02-01（计入 2024 年预算）\n']);

    const list = await cli('budget', 'list');
    expect(list.stdout).toContain('预算金额（元）');
    expect(list.stdout).toContain('700.00');
    const out = join(store.path, '..', 'budgets.csv');
    expect((await cli('budget', 'list', '--format', 'csv', '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8').split('\r\n')[0]).toContain('预算金额（元）');
  });

  it('sets the margin (a reason required), then shows the statement and the warnings as computed by hand', async () => {
    expect((await cli('monitor', 'settings')).stdout).toContain('warning：未设置（无默认值）');
    const none = await cli('monitor', 'warnings', '--as-of', '2024-03-31');
    expect(none.stdout).toContain('未设置预警幅度');
    expect((await cli('monitor', 'settings', 'set', 'warning', '--value', '{"marginBp":1000}')).code).toBe(2);
    expect((await cli('monitor', 'settings', 'set', 'warning', '--value', '{"marginBp":-5}', '--reason', 'x')).code).toBe(2);
    expect((await cli('monitor', 'settings', 'set', 'warning', '--value', '{"marginBp":1000}', '--reason', '10%')).stdout).toContain('已设置 warning');
    expect((await cli('monitor', 'settings', 'set', 'warning', '--value', '{"marginBp":1000}', '--reason', 'again')).stdout).toContain('未变更');

    const st = await cli('budget', 'statement', '--area', '410305', '--year', '2024', '--as-of', '2024-03-31');
    expect(st.code).toBe(0);
    expect(st.stdout).toContain('预算执行 涧西区（410305）2024 年，截至 2024-03-31');
    expect(st.stdout).toContain('可用额度（元）');
    expect(st.stdout).toContain('750.00');
    expect(st.stdout).toContain('1300.00');
    expect(st.stdout).toContain('季节占比法');
    const json = JSON.parse((await cli('budget', 'statement', '--area', '410305', '--year', '2024', '--as-of', '2024-03-31', '--format', 'json')).stdout);
    const student = json.accounts.find((a: { account: string }) => a.account === 'student-outpatient');
    expect([student.available, student.overspent, student.projection.projected, student.warning.fires]).toEqual([750, 50, 1300, true]);
    const w = await cli('monitor', 'warnings', '--as-of', '2024-03-31');
    expect(w.stdout).toContain('个预警');
    expect(w.stdout).toContain('洛医保〔2023〕63号 三(一)');
    const unknown = await cli('budget', 'statement', '--area', '999999', '--year', '2024');
    expect([unknown.code, JSON.parse(unknown.stdout).error.code]).toEqual([1, 'NOT_FOUND']);
    expect((await cli('budget', 'statement', '--area', '410305', '--year', '2024', '--as-of', '2024-02-30')).code).toBe(2);
    expect((await cli('budget', 'statement', '--area', '410305', '--year', '2024', '--format', 'csv', '--out', '-')).code).toBe(2);
  });

  it('lists high-cost patients (audited as the CLI) and counts them without names; nobody without thresholds', async () => {
    expect((await cli('monitor', 'high-cost', '--as-of', '2024-03-31')).stdout).toContain('未设置高额费用负担标准');
    expect((await cli('monitor', 'settings', 'set', 'high-cost', '--value', '{"yearBurdenFen":12500}', '--reason', '试行')).code).toBe(0);
    const list = await cli('monitor', 'high-cost', '--as-of', '2024-03-31');
    expect(list.stdout).toContain('S3');
    expect(list.stdout).toContain('低保对象');
    expect(list.stdout).not.toContain('S2');
    const counts = await cli('monitor', 'high-cost', '--as-of', '2024-03-31', '--counts');
    expect(counts.stdout).toContain('合计 1 人');
    expect(counts.stdout).not.toContain('S3');
    const reads = await store.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', 'read.high-cost').execute();
    expect(reads.map((r) => [r.actor, JSON.parse(r.detail).persons])).toEqual([['cli', ['S3']]]);
    expect((await cli('monitor', 'nothing')).code).toBe(2);
    expect((await cli('monitor', 'high-cost', '--area', '410305')).code).toBe(2);
  });
});
