import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNT, DecimalError, decimalProblem, fenOfProduct, plainDecimal, PRICE, RATIO, roundHalfAway, scaled, scaledText } from './decimal.js';

describe('decimal text', () => {
  it('reads decimals exactly, scaled to their places', () => {
    expect(scaled('12.3456', COUNT)).toEqual({ value: 123456n, places: 4 });
    expect(scaled('-2', COUNT)).toEqual({ value: -20000n, places: 4 });
    expect(scaled('+2.5', COUNT)).toEqual({ value: 25000n, places: 4 });
    expect(scaled('0.000001', PRICE)).toEqual({ value: 1n, places: 6 });
    expect(scaled('999999999999.9999', COUNT).value).toBe(9999999999999999n);
    expect(scaled('0.1000', RATIO)).toEqual({ value: 1000n, places: 4 });
    expect(scaled('-0', PRICE).value).toBe(0n);
  });

  it('names what is wrong with a text', () => {
    expect(decimalProblem('1.23456', COUNT)).toBe('小数位数至多 4 位 / at most 4 decimal places: "1.23456"');
    expect(decimalProblem('1.23456', PRICE)).toBeNull();
    expect(decimalProblem('1.2345678', PRICE)).toContain('至多 6 位');
    expect(decimalProblem('-1', PRICE)).toContain('不可为负');
    expect(decimalProblem('-0.000', PRICE)).toBeNull();
    expect(decimalProblem('1e3', COUNT)).toContain('不是十进制数');
    expect(decimalProblem('1.', COUNT)).toContain('不是十进制数');
    expect(decimalProblem('.5', COUNT)).toContain('不是十进制数');
    expect(decimalProblem(' 1', COUNT)).toContain('不是十进制数');
    expect(decimalProblem('', COUNT)).toContain('不是十进制数');
    expect(decimalProblem(12, COUNT)).toContain('须为十进制数文本');
    expect(decimalProblem('12345678901', PRICE)).toContain('整数部分至多 10 位');
    expect(decimalProblem('0000000000012', PRICE)).toBeNull(); // leading zeros are not digits of the value
    expect(() => scaled('x', COUNT, 'cnt')).toThrow(DecimalError);
    try {
      scaled('1.23456', COUNT, 'cnt');
    } catch (e) {
      expect((e as DecimalError).code).toBe('INVALID_REQUEST');
      expect((e as DecimalError).problems).toEqual(['cnt: 小数位数至多 4 位 / at most 4 decimal places: "1.23456"']);
    }
  });

  it('prints scaled decimals with all their places, and texts without trailing zeros', () => {
    expect(scaledText({ value: 1000n, places: 4 })).toBe('0.1000');
    expect(scaledText({ value: -25000n, places: 4 })).toBe('-2.5000');
    expect(scaledText({ value: 5n, places: 2 })).toBe('0.05');
    expect(scaledText({ value: 7n, places: 0 })).toBe('7');
    expect(plainDecimal('12.500000')).toBe('12.5');
    expect(plainDecimal('+3.0')).toBe('3');
    expect(plainDecimal('-0.00')).toBe('0');
    expect(plainDecimal('007.10')).toBe('7.1');
  });
});

describe('rounding half away from zero', () => {
  it('rounds halves away from zero, both signs', () => {
    expect(roundHalfAway(5n, 10n)).toBe(1n);
    expect(roundHalfAway(-5n, 10n)).toBe(-1n);
    expect(roundHalfAway(4n, 10n)).toBe(0n);
    expect(roundHalfAway(-4n, 10n)).toBe(0n);
    expect(roundHalfAway(15n, 10n)).toBe(2n);
    expect(roundHalfAway(25n, 10n)).toBe(3n); // not banker's rounding
    expect(roundHalfAway(-25n, 10n)).toBe(-3n);
    expect(() => roundHalfAway(1n, 0n)).toThrow(RangeError);
  });

  it('makes fen of count × price', () => {
    // 3 × 0.335 = 1.005 yuan → 1.01 (half a fen away from zero)
    expect(fenOfProduct(scaled('3', COUNT), scaled('0.335', PRICE))).toBe(101n);
    // −3 × 0.335 = −1.005 → −1.01
    expect(fenOfProduct(scaled('-3', COUNT), scaled('0.335', PRICE))).toBe(-101n);
    // 1 × 0.004999 = 0.004999 → 0.00
    expect(fenOfProduct(scaled('1', COUNT), scaled('0.004999', PRICE))).toBe(0n);
    // 0.0001 × 50 = 0.005 → 0.01
    expect(fenOfProduct(scaled('0.0001', COUNT), scaled('50', PRICE))).toBe(1n);
    // 1.5 × 25.333333 = 37.9999995 → 38.00
    expect(fenOfProduct(scaled('1.5', COUNT), scaled('25.333333', PRICE))).toBe(3800n);
    // beyond any safe number, still exact: (10^12 − 10^−4) × (10^10 − 10^−6)
    //   = 10^22 − 10^6 − 10^6 + 10^−10 = 9999999999999998000000.0000000001 yuan → …800000000 fen
    expect(fenOfProduct(scaled('999999999999.9999', COUNT), scaled('9999999999.999999', PRICE))).toBe(999999999999999800000000n);
  });

  it('agrees with exact rational rounding', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const q = roundHalfAway(n, d);
        const twice = 2n * (n - q * d < 0n ? q * d - n : n - q * d);
        expect(twice <= d).toBe(true);
        if (twice === d) expect((q * d < 0n ? -q * d : q * d) > (n < 0n ? -n : n)).toBe(true);
        expect(roundHalfAway(-n, d)).toBe(-q);
      }),
    );
  });
});
