import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNT, fenOfProduct, PRICE, scaled } from './decimal.js';
import { parseCatalogue } from './load.js';
import { detailAmountProblem, partsOf, priceDetail } from './price.js';
import type { Catalogue, DetailInput } from './types.js';

const base = { listType: '101', chargeType: '09', validFrom: '2024-01-01', source: '测试（虚构）' };
const CATALOGUE = parseCatalogue(
  JSON.stringify({
    name: '测试目录',
    sample: false,
    items: [
      { ...base, code: 'A01', name: '甲药', itemClass: '01' },
      { ...base, code: 'B02', name: '乙药', itemClass: '02', selfPayRatio: '0.1000' },
      { ...base, code: 'L02', name: '限价乙药', itemClass: '02', selfPayRatio: '0.2000', priceLimit: '10' },
      { ...base, code: 'C03', name: '丙药', itemClass: '03' },
      { ...base, code: 'S01', name: '限价治疗', listType: '201', chargeType: '05', itemClass: '01', priceLimit: '20.00' },
      { ...base, code: 'V', name: '调整药', itemClass: '02', selfPayRatio: '0.1500', validTo: '2024-06-30' },
      { ...base, code: 'V', name: '调整药', itemClass: '01', validFrom: '2024-07-01' },
      { ...base, code: 'E', name: '停用药', itemClass: '01', validTo: '2024-03-31' },
    ],
  }),
  'test.json',
);

/** A detail on 2024-05-01 whose amount is count × price rounded, as the hospital must send it. */
const detail = (code: string, count: string, price: string, day = '2024-05-01'): DetailInput => ({
  code,
  count,
  price,
  day,
  amount: Number(fenOfProduct(scaled(count, COUNT), scaled(price, PRICE))),
});

/** [全自费, 超限价, 先行自付, 符合政策范围] and the amount. */
const parts = (c: Catalogue | undefined, d: DetailInput, o = {}) => {
  const p = priceDetail(c, d, o);
  return { amount: d.amount, parts: partsOf(p) };
};

describe('priceDetail, item by item', () => {
  it('甲类: all of it is within the policy', () => {
    // 2 × 12.5 = 25.00
    expect(parts(CATALOGUE, detail('A01', '2', '12.5'))).toEqual({ amount: 2500, parts: [0, 0, 0, 2500] });
    const p = priceDetail(CATALOGUE, detail('A01', '2', '12.5'));
    expect(p.listed).toBe(true);
    expect(p.item?.code).toBe('A01');
    expect(p.memo).toBe('甲药（编码A01）为甲类项目，明细总额 25.00 元；符合政策范围 25.00 元');
  });

  it('乙类: 先行自付 is the ratio of the amount, half a fen away from zero', () => {
    // 3 × 0.335 = 1.005 → 1.01; 先行自付 101 × 0.1 = 10.1 → 10 fen; 符合 101 − 10 = 91
    expect(parts(CATALOGUE, detail('B02', '3', '0.335'))).toEqual({ amount: 101, parts: [0, 0, 10, 91] });
    // 1 × 1.05 = 1.05; 先行自付 105 × 0.1 = 10.5 → 11 fen; 符合 105 − 11 = 94
    expect(parts(CATALOGUE, detail('B02', '1', '1.05'))).toEqual({ amount: 105, parts: [0, 0, 11, 94] });
    // the refund: −105 × 0.1 = −10.5 → −11; 符合 −94
    expect(parts(CATALOGUE, detail('B02', '-1', '1.05'))).toEqual({ amount: -105, parts: [0, 0, -11, -94] });
    expect(priceDetail(CATALOGUE, detail('B02', '1', '1.05')).memo).toBe(
      '乙药（编码B02）为乙类项目，明细总额 1.05 元；先行自付 (1.05 − 0.00) × 0.1 = 0.11 元；符合政策范围 0.94 元',
    );
  });

  it('a limit and a ratio together: the limit comes first', () => {
    // 3 × 12.345 = 37.035 → 37.04 (3704 fen)
    // 超限价 (12.345 − 10) × 3 = 7.035 → 7.04 (704)
    // 先行自付 (3704 − 704) × 0.2 = 600; 符合 3704 − 704 − 600 = 2400
    expect(parts(CATALOGUE, detail('L02', '3', '12.345'))).toEqual({ amount: 3704, parts: [0, 704, 600, 2400] });
    expect(priceDetail(CATALOGUE, detail('L02', '3', '12.345')).memo).toBe(
      '限价乙药（编码L02）为乙类项目，明细总额 37.04 元；单价 12.345 元超过限价 10 元，超限价 (12.345 − 10) × 3 = 7.04 元；先行自付 (37.04 − 7.04) × 0.2 = 6.00 元；符合政策范围 24.00 元',
    );
    // the refund line, the mirror image: −37.035 → −37.04, −7.035 → −7.04
    expect(parts(CATALOGUE, detail('L02', '-3', '12.345'))).toEqual({ amount: -3704, parts: [0, -704, -600, -2400] });
    // at the limit: nothing over it; 2 × 10 = 20.00, 先行自付 400, 符合 1600
    expect(parts(CATALOGUE, detail('L02', '2', '10'))).toEqual({ amount: 2000, parts: [0, 0, 400, 1600] });
    // below it: 1 × 9.99 = 9.99, 先行自付 999 × 0.2 = 199.8 → 200, 符合 799
    expect(parts(CATALOGUE, detail('L02', '1', '9.99'))).toEqual({ amount: 999, parts: [0, 0, 200, 799] });
  });

  it('a limit on a 甲类 service item, with a fractional count', () => {
    // 1.5 × 25.333333 = 37.9999995 → 38.00; 超限价 (25.333333 − 20) × 1.5 = 7.9999995 → 8.00; 符合 30.00
    expect(parts(CATALOGUE, detail('S01', '1.5', '25.333333'))).toEqual({ amount: 3800, parts: [0, 800, 0, 3000] });
    // 超限价 at .005: (20.001 − 20) × 5 = 0.005 → 0.01; 5 × 20.001 = 100.005 → 100.01; 符合 100.00
    expect(parts(CATALOGUE, detail('S01', '5', '20.001'))).toEqual({ amount: 10001, parts: [0, 1, 0, 10000] });
    expect(parts(CATALOGUE, detail('S01', '-5', '20.001'))).toEqual({ amount: -10001, parts: [0, -1, 0, -10000] });
  });

  it('never puts more over the limit than the amount (an amount sent short of count × price)', () => {
    // (50 − 10) × 1 = 40.00 over the limit, but the line is 1.00: all of it is 超限价
    const p = priceDetail(CATALOGUE, { code: 'L02', count: '1', price: '50', amount: 100, day: '2024-05-01' });
    expect(partsOf(p)).toEqual([0, 100, 0, 0]);
    expect(p.memo).toContain('以明细总额为限');
  });

  it('丙类, 医院审批标志 2, an item not listed, no catalogue: all self-paid, the memo says why', () => {
    const c03 = priceDetail(CATALOGUE, detail('C03', '2', '3.5'));
    expect(partsOf(c03)).toEqual([700, 0, 0, 0]);
    expect(c03.listed).toBe(true);
    expect(c03.memo).toBe('丙药（编码C03）为丙类项目，全自费 7.00 元');
    const refused = priceDetail(CATALOGUE, detail('L02', '3', '12.345'), { hospitalSelfPay: true });
    expect(partsOf(refused)).toEqual([3704, 0, 0, 0]);
    expect(refused.memo).toBe('限价乙药（编码L02）医院审批标志为 2（审批不通过），按自费处理，全自费 37.04 元');
    const outside = priceDetail(CATALOGUE, detail('X9', '1', '8'));
    expect(outside).toEqual({ listed: false, fullOwnPay: 800, overLimit: 0, preSelfPay: 0, eligible: 0, memo: '目录外项目（编码X9），全自费 8.00 元' });
    const none = priceDetail(undefined, detail('A01', '-1', '8'));
    expect(partsOf(none)).toEqual([-800, 0, 0, 0]);
    expect(none.memo).toBe('未配置医保目录，按目录外项目（编码A01）处理，全自费 -8.00 元');
  });

  it('takes the version in force on the detail’s day, both ends included', () => {
    // 1 × 10 = 10.00; 2024-06-30 乙类 0.15: 先行自付 150, 符合 850; 2024-07-01 甲类: 符合 1000
    expect(parts(CATALOGUE, detail('V', '1', '10', '2024-06-30')).parts).toEqual([0, 0, 150, 850]);
    expect(parts(CATALOGUE, detail('V', '1', '10', '2024-07-01')).parts).toEqual([0, 0, 0, 1000]);
    expect(parts(CATALOGUE, detail('V', '1', '10', '2024-01-01')).parts).toEqual([0, 0, 150, 850]);
    const before = priceDetail(CATALOGUE, detail('V', '1', '10', '2023-12-31'));
    expect(partsOf(before)).toEqual([1000, 0, 0, 0]);
    expect(before.memo).toBe('编码V（调整药）2023-12-31 不在目录有效期内，按目录外项目处理，全自费 10.00 元');
    expect(parts(CATALOGUE, detail('E', '1', '10', '2024-03-31')).parts).toEqual([0, 0, 0, 1000]);
    expect(parts(CATALOGUE, detail('E', '1', '10', '2024-04-01')).parts).toEqual([1000, 0, 0, 0]);
  });

  it('says so when the catalogue is the sample', () => {
    const sample: Catalogue = { ...CATALOGUE, sample: true };
    expect(priceDetail(sample, detail('A01', '1', '1')).memo).toMatch(/（样例目录，非真实目录）$/);
    expect(priceDetail(sample, detail('C03', '1', '1')).memo).toMatch(/（样例目录，非真实目录）$/);
  });

  it('refuses a count or price that is not a decimal of its size', () => {
    expect(() => priceDetail(CATALOGUE, { code: 'A01', count: '1.23456', price: '1', amount: 100, day: '2024-05-01' })).toThrow(/cnt: 小数位数至多 4 位/);
    expect(() => priceDetail(CATALOGUE, { code: 'A01', count: '1', price: '-1', amount: -100, day: '2024-05-01' })).toThrow(/pric: 不可为负/);
    expect(() => priceDetail(CATALOGUE, { code: 'A01', count: '1', price: '1', amount: 1.5, day: '2024-05-01' })).toThrow(/整数分/);
  });

  it('always adds up, each part within the amount, a refund the mirror of its charge', () => {
    const codes = ['A01', 'B02', 'L02', 'C03', 'S01', 'V', 'E', 'X9'];
    const decimal = (intMax: number, places: number) =>
      fc.tuple(fc.integer({ min: 0, max: intMax }), fc.integer({ min: 0, max: 10 ** places - 1 })).map(([w, f]) => `${w}.${String(f).padStart(places, '0')}`);
    fc.assert(
      fc.property(
        fc.constantFrom(...codes),
        decimal(9999, 4),
        decimal(99999, 6),
        fc.constantFrom('2023-12-31', '2024-01-01', '2024-03-31', '2024-04-01', '2024-06-30', '2024-07-01'),
        fc.boolean(),
        fc.boolean(),
        (code, count, price, day, refund, hospitalSelfPay) => {
          const d = detail(code, refund ? `-${count}` : count, price, day);
          const p = priceDetail(CATALOGUE, d, { hospitalSelfPay });
          const [own, over, pre, eligible] = partsOf(p);
          expect(own + over + pre + eligible).toBe(d.amount);
          for (const part of [own, over, pre, eligible]) {
            expect(Number.isSafeInteger(part)).toBe(true);
            if (d.amount >= 0) expect(part >= 0 && part <= d.amount).toBe(true);
            else expect(part <= 0 && part >= d.amount).toBe(true);
          }
          const mirror = priceDetail(CATALOGUE, { ...d, count: refund ? count : `-${count}`, amount: -d.amount }, { hospitalSelfPay });
          expect(partsOf(mirror).map((x) => -x + 0)).toEqual(partsOf(p).map((x) => x + 0));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('detailAmountProblem', () => {
  it('accepts count × price rounded half away from zero, both signs', () => {
    expect(detailAmountProblem('3', '0.335', 101)).toBeNull(); // 1.005 → 1.01
    expect(detailAmountProblem('-3', '0.335', -101)).toBeNull(); // −1.005 → −1.01
    expect(detailAmountProblem('-1', '0.005', -1)).toBeNull(); // −0.005 → −0.01
    expect(detailAmountProblem('1', '0.004999', 0)).toBeNull();
    expect(detailAmountProblem('-3', '12.345', -3704)).toBeNull(); // −37.035 → −37.04
    expect(detailAmountProblem('2.5', '4', 1000)).toBeNull();
  });

  it('names both figures when the amount is not the product', () => {
    expect(detailAmountProblem('3', '0.335', 100)).toBe('明细项目费用总额 1.00 元与 数量 3 × 单价 0.335 元 = 1.005 元（四舍五入到分为 1.01 元）不符');
    expect(detailAmountProblem('-1', '0.005', 0)).toBe('明细项目费用总额 0.00 元与 数量 -1 × 单价 0.005 元 = -0.005 元（四舍五入到分为 -0.01 元）不符');
    expect(detailAmountProblem('-3', '12.345', -3703)).toContain('-37.035 元（四舍五入到分为 -37.04 元）');
    expect(detailAmountProblem('3', '12.345', -3704)).not.toBeNull();
  });

  it('names a count or price that is not a decimal', () => {
    expect(detailAmountProblem('1.23456', '1', 100)).toBe('数量 cnt: 小数位数至多 4 位 / at most 4 decimal places: "1.23456"');
    expect(detailAmountProblem('1', 'abc', 100)).toContain('单价 pric: 不是十进制数');
    expect(detailAmountProblem('1', '1', 0.5)).toContain('整数分');
  });
});
