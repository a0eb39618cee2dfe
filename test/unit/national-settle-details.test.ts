/** setlinfo from fee details: the split, the person fields and 年龄; what a settle must agree with. */
import { describe, expect, it } from 'vitest';
import { settleAgreement } from '../../src/national/settle-details.js';
import { ageText, figuresOf, nationalSettlement } from '../../src/national/setlinfo.js';

const at = (iso: string) => Date.parse(iso);

describe('年龄 at the settlement', () => {
  it('counts whole years completed on the China day, with one decimal', () => {
    expect(ageText('1980-05-01', at('2024-04-30T23:00:00+08:00'))).toBe('43.0');
    expect(ageText('1980-05-01', at('2024-04-30T16:00:00Z'))).toBe('44.0'); // 2024-05-01 00:00 China time
    expect(ageText('2000-02-29', at('2023-02-28T12:00:00+08:00'))).toBe('22.0');
    expect(ageText('2000-02-29', at('2023-03-01T12:00:00+08:00'))).toBe('23.0');
    expect(ageText('2030-01-01', at('2024-01-01T12:00:00+08:00'))).toBeNull();
  });
});

describe('a settlement from details', () => {
  const settlement = {
    total: 25550,
    eligible: 18200,
    outOfScope: 7350,
    deductible: 5000,
    fundPay: 6600,
    criticalIllnessPay: 0,
    assistancePay: 0,
    accountPay: 0,
    cashPay: 18950,
    ratio: 5000,
  };
  const context = {
    setlId: 'S-1',
    mdtrtId: 'M-1',
    psnNo: 'P1',
    scheme: 'resident',
    category: 'adult',
    visitType: 'outpatient',
    setlTime: at('2024-03-02T10:00:00+08:00'),
  } as const;

  it('carries the split and the identity; a split that does not make total − eligible is an internal error', () => {
    const out = nationalSettlement(figuresOf(settlement as never), {
      ...context,
      split: { fullOwnPay: 4550, overLimit: 2000, preSelfPay: 800 },
      person: { psnName: '张三', psnCertType: '01', certno: '410302198001010019', gend: '1', naty: '01', brdy: '1980-05-01' },
    });
    expect(out.setlinfo).toMatchObject({
      fulamt_ownpay_amt: '45.50',
      overlmt_selfpay: '20.00',
      preselfpay_amt: '8.00',
      psn_name: '张三',
      certno: '410302198001010019',
      age: '43.0',
    });
    expect(() => nationalSettlement(figuresOf(settlement as never), { ...context, split: { fullOwnPay: 4550, overLimit: 2000, preSelfPay: 799 } })).toThrow(
      /≠ medfee_sumamt − inscp_scp_amt 73\.50/,
    );
    const plain = nationalSettlement(figuresOf(settlement as never), context);
    expect(plain.setlinfo).toMatchObject({ fulamt_ownpay_amt: '73.50', overlmt_selfpay: '0.00', psn_name: null, age: null });
  });

  it('lists every figure of the message that disagrees with the details', () => {
    const sums = { count: 4, total: 25550, fullOwnPay: 4550, overLimit: 2000, preSelfPay: 800, eligible: 18200 };
    const d = { mdtrt_id: 'M-1', medfee_sumamt: 25500, inscp_scp_amt: 18200, preselfpay_amt: 0 } as never;
    expect(settleAgreement(d, sums)).toEqual([
      'data.medfee_sumamt: 255.00 与费用明细不符：the 4 live fee details of visit M-1 (2204/2301) make 医疗费总额 (Σ det_item_fee_sumamt) 255.50',
      'data.preselfpay_amt: 0.00 与费用明细不符：the 4 live fee details of visit M-1 (2204/2301) make 先行自付金额 (Σ preselfpay_amt) 8.00',
    ]);
  });
});
