import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AmountError, applyRate, divRoundHalfAway, formatYuan, MAX_AMOUNT_FEN, parseYuan, percentToBasisPoints, toYuanNumber } from './money.js';

describe('divRoundHalfAway', () => {
  it('rounds halves away from zero', () => {
    expect(divRoundHalfAway(5, 2)).toBe(3);
    expect(divRoundHalfAway(-5, 2)).toBe(-3);
    expect(divRoundHalfAway(15, 10)).toBe(2);
    expect(divRoundHalfAway(25, 10)).toBe(3); // not banker's rounding
    expect(divRoundHalfAway(14, 10)).toBe(1);
    expect(divRoundHalfAway(4, 3)).toBe(1);
    expect(divRoundHalfAway(0, 7)).toBe(0);
  });
  it('refuses non-integers and zero divisors', () => {
    expect(() => divRoundHalfAway(1.5, 2)).toThrow(RangeError);
    expect(() => divRoundHalfAway(1, 0)).toThrow(RangeError);
  });
  it('agrees with exact rational rounding on random integers', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 1e6 }), (n, d) => {
        const q = divRoundHalfAway(n, d);
        // |n/d - q| <= 1/2, and exactly 1/2 only when q is further from zero.
        const twice = 2 * Math.abs(n - q * d);
        expect(twice).toBeLessThanOrEqual(d);
        if (twice === d) expect(Math.abs(q * d)).toBeGreaterThan(Math.abs(n));
      }),
    );
  });
});

describe('applyRate', () => {
  it('takes a share to the fen, half a fen up', () => {
    expect(applyRate(13_000, 5_000)).toBe(6_500);
    expect(applyRate(1, 5_000)).toBe(1); // 0.005 yuan → 0.01
    expect(applyRate(3, 5_000)).toBe(2); // 0.015 yuan → 0.02
    expect(applyRate(1, 4_000)).toBe(0); // 0.004 yuan → 0.00
    expect(applyRate(10, 6_500)).toBe(7); // 0.065 yuan → 0.07
    expect(applyRate(MAX_AMOUNT_FEN, 10_000)).toBe(MAX_AMOUNT_FEN);
  });
});

describe('parseYuan', () => {
  it('reads numbers and decimal strings exactly', () => {
    expect(parseYuan(200)).toBe(20_000);
    expect(parseYuan('80.50')).toBe(8_050);
    expect(parseYuan(12.35)).toBe(1_235);
    expect(parseYuan(0.3)).toBe(30);
    expect(parseYuan('0')).toBe(0);
    expect(parseYuan('0.01')).toBe(1);
    expect(parseYuan(' 7.5 ')).toBe(750);
  });
  it('refuses negatives, extra places, exponents, junk and huge amounts', () => {
    for (const bad of [-1, '-0.01', 0.001, '1.234', 1e21, '1e3', 'abc', '', '.5', '01', NaN, Infinity, 100_000_001, '99999999999']) {
      expect(() => parseYuan(bad as number | string), String(bad)).toThrow(AmountError);
    }
  });
  it('round-trips through formatYuan and toYuanNumber', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_AMOUNT_FEN }), (fen) => {
        expect(parseYuan(formatYuan(fen))).toBe(fen);
        expect(parseYuan(toYuanNumber(fen))).toBe(fen);
      }),
    );
  });
});

describe('formatYuan and percentToBasisPoints', () => {
  it('formats', () => {
    expect(formatYuan(1235)).toBe('12.35');
    expect(formatYuan(5)).toBe('0.05');
    expect(formatYuan(-5)).toBe('-0.05');
    expect(formatYuan(100)).toBe('1.00');
  });
  it('converts percentages', () => {
    expect(percentToBasisPoints(60)).toBe(6000);
    expect(percentToBasisPoints(62.5)).toBe(6250);
    expect(() => percentToBasisPoints(1.005)).toThrow(RangeError);
  });
});
