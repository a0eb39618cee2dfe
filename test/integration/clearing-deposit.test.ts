/**
 * The quality deposit (质量保证金) Puyang 第十九条 refers to (参照执行职工医保年度质量保证金相关规定)
 * without giving its figure: a statement of Puyang settlements says it is missing, naming the
 * parameter; a user policy file that supplies it makes the statement withhold it.
 *
 * Hand computation (Puyang 第十二条: 三级 deductible 50 per visit, 50%): total 1500 →
 * (1500 − 50) × 50% = 725.00 from the employees' outpatient pool (310102). With a deposit of 5%
 * (the user's file): 725.00 × 5% = 36.25 withheld, 688.75 payable after it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import type { PolicySet } from '../../src/policy/registry.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { freshSqlite } from '../support/stores.js';

const agency: Actor = { id: 'agency-1', role: 'agency' };
const dir = mkdtempSync(join(tmpdir(), 'yibao-deposit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function closeMarch(policies: PolicySet) {
  const store = await freshSqlite();
  try {
    const clock = { now: Date.parse('2024-03-10T11:00:00+08:00') };
    const ledger = new Ledger(store, new SettlementEngine(policies), () => clock.now);
    const r = ledger.clearing.registry;
    await r.setDistrict({ code: '410902', name: '华龙区', region: '410900', level: 'urban' }, agency);
    await r.setCentre({ id: '410900', name: '濮阳市医保中心', level: 'city', region: '410900', district: null }, agency);
    // Puyang gives no rule for who pays: the agency names the centre.
    const unnamed = await r.assignInstitution({ institutionId: 'PY1', district: '410902', centreId: null }, agency);
    expect(unnamed.centre).toBeNull();
    const named = await r.assignInstitution({ institutionId: 'PY1', district: '410902', centreId: '410900' }, agency);
    expect(named.centre).toMatchObject({ basis: 'registered', citation: null });
    const visit = { id: 'qv1', time: '2024-03-10T10:00:00+08:00', type: 'outpatient', institution: { id: 'PY1', tier: 'city', grade: 3, contracted: true }, total: 1500 };
    await ledger.settle(parseSettleOne({ requestId: 'q1', person: { id: 'Q1', region: '410900', scheme: 'employee', category: 'active' }, visit }, policies), agency);
    clock.now = Date.parse('2024-04-02T09:00:00+08:00');
    await ledger.clearing.close('2024-03', agency);
    return await ledger.clearing.statement(agency, '2024-03', 'PY1');
  } finally {
    await store.close();
  }
}

describe('the quality deposit of Puyang 第十九条', () => {
  it('is reported missing, naming the parameter, and the payable after it is not given', async () => {
    const s = await closeMarch(loadPolicies());
    expect(s.funds).toEqual([{ insutype: '310', clr_type: '11', fund_pay_type: '310102', fund_pay_type_name: '职工门诊统筹基金', amount: 725 }]);
    expect(s.totals).toMatchObject({ medfee_sumamt: 1500, fund_pay_sumamt: 725, cash_payamt: 775, payable: 725 });
    expect(s.missing).toEqual([expect.objectContaining({ parameter: 'parameters.clearing.qualityDeposit', article: '第十九条', quote: '参照执行职工医保年度质量保证金相关规定' })]);
    expect(s.payableAfterDeposits).toBeNull();
    expect((s.text as string[]).join('')).toContain('质量保证金缺少参数');
  });

  it('is withheld at the rate a user policy file supplies, rounded to the fen', async () => {
    const file = join(dir, 'deposit.yaml');
    writeFileSync(
      file,
      [
        'format: yibao-policy-overlay/1',
        'extends: puyang-2022',
        'parameters:',
        '  parameters.clearing.qualityDeposit:',
        '    value: 5',
        '    unit: percent',
        '    source: 示例：职工医保年度质量保证金规定',
      ].join('\n'),
    );
    const s = await closeMarch(loadPolicies({ policyFiles: [file] }));
    expect(s.missing).toEqual([]);
    expect(s.deposits).toEqual([expect.objectContaining({ base: 725, amount: 36.25, supplied: 'user' })]);
    expect(s.payableAfterDeposits).toBe(688.75);
  });
});
