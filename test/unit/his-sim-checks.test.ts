/**
 * What `yibao his-sim` checks of a settlement (src/cli/his-sim-checks.ts), on hand-made setlinfo:
 * the identities in fen, a reversal as the negation, amounts read exactly (negative text included).
 */
import { describe, expect, it } from 'vitest';
import type { SetlInfo } from '../../src/client/messages.js';
import { feeDetailChecks, fenOf, sameFigures, settlementChecks } from '../../src/cli/his-sim-checks.js';

/** 300.00 total: 50.00 self-paid, 250.00 eligible; fund 100.00, cash 200.00. */
const info = {
  medfee_sumamt: '300.00',
  fulamt_ownpay_amt: '50.00',
  overlmt_selfpay: '0.00',
  preselfpay_amt: '0.00',
  inscp_scp_amt: '250.00',
  act_pay_dedc: '50.00',
  hifp_pay: '100.00',
  fund_pay_sumamt: '100.00',
  psn_part_amt: '200.00',
  acct_pay: '0.00',
  psn_cash_pay: '200.00',
  hosp_part_amt: '0.00',
} as unknown as SetlInfo;
const negated = Object.fromEntries(Object.entries(info).map(([k, v]) => [k, v === '0.00' ? '0.00' : `-${v}`])) as unknown as SetlInfo;

describe('his-sim checks', () => {
  it('reads amounts exactly, negative ones included', () => {
    expect([fenOf('300.00'), fenOf('-0.10'), fenOf(12.3), fenOf(null), fenOf('')]).toEqual([30000, -10, 1230, undefined, undefined]);
    expect(fenOf('1.005')).toBeNaN();
    expect(fenOf('abc')).toBeNaN();
  });

  it('holds the setlinfo identities, and names the one that breaks', () => {
    const detail = [{ fund_pay_type: '390100', fund_payamt: '100.00' }] as never;
    expect(settlementChecks(info, detail).map((c) => c.ok)).toEqual([true, true, true, true]);
    const broken = { ...info, psn_cash_pay: '199.99' } as SetlInfo;
    const checks = settlementChecks(broken, detail);
    expect(checks.filter((c) => !c.ok).map((c) => c.label)).toEqual(['个人账户支出 + 个人现金支出 = 个人负担总金额']);
    expect(checks[1]?.detail).toBe('199.99 ≠ 200.00');
    // The personal account's row 310200 is not the fund's.
    expect(settlementChecks(info, [...(detail as unknown[]), { fund_pay_type: '310200', fund_payamt: '5.00' }] as never)[3]?.ok).toBe(true);
  });

  it('compares a settlement with its pre-settlement and its reversal figure by figure', () => {
    expect(sameFigures('预结算 = 结算', info, { ...info }).ok).toBe(true);
    expect(sameFigures('撤销', info, negated, -1).ok).toBe(true);
    const moved = sameFigures('撤销', info, { ...negated, fulamt_ownpay_amt: '0.00', preselfpay_amt: '-50.00' } as SetlInfo, -1);
    expect(moved).toMatchObject({ ok: false, detail: 'fulamt_ownpay_amt 50.00 / 0.00' });
  });

  it('adds a fee detail up: 全自费 + 超限价 + 先行自付 + 符合政策范围 = 明细项目费用总额', () => {
    const rows = [
      { feedetl_sn: '1', det_item_fee_sumamt: '39.00', fulamt_ownpay_amt: '0.00', overlmt_amt: '0.00', preselfpay_amt: '0.00', inscp_scp_amt: '39.00' },
      { feedetl_sn: '2', det_item_fee_sumamt: '138.00', fulamt_ownpay_amt: '0.00', overlmt_amt: '0.00', preselfpay_amt: '13.80', inscp_scp_amt: '124.20' },
    ] as never;
    const r = feeDetailChecks(rows, 17700);
    expect(r.checks.map((c) => c.ok)).toEqual([true, true]);
    expect([r.inscp, r.fulamt]).toEqual([16320, 0]);
    expect(feeDetailChecks(rows, 17600).checks[1]).toMatchObject({ ok: false, detail: '中心 177.00 ≠ 医院 176.00' });
  });
});
