import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chinaDay, chinaDayStart, dayOf, formatChinaTime, formatDate, parseDate, parseInstant, yearOf, yearsLater, yearStart } from './calendar.js';

describe('dates', () => {
  it('parses real dates only', () => {
    expect(parseDate('2024-01-01')).toBe(19_723);
    expect(parseDate('2024-02-29')).toBe(dayOf(2024, 2, 29));
    expect(parseDate('2023-02-29')).toBeUndefined();
    expect(parseDate('2024-13-01')).toBeUndefined();
    expect(parseDate('2024-1-1')).toBeUndefined();
    expect(formatDate(19_723)).toBe('2024-01-01');
  });
  it('finds the year of any day', () => {
    fc.assert(
      fc.property(fc.integer({ min: dayOf(1900, 1, 1), max: dayOf(2300, 12, 31) }), (day) => {
        expect(yearOf(day)).toBe(new Date(day * 86_400_000).getUTCFullYear());
      }),
    );
    expect(yearStart(2024)).toBe(dayOf(2024, 1, 1));
  });
  it("ends a period of years on the same date, or the month's last day when the year has none (民法典 第二百零二条)", () => {
    expect(formatDate(yearsLater(dayOf(2023, 3, 1), 1))).toBe('2024-03-01');
    expect(formatDate(yearsLater(dayOf(2024, 2, 29), 1))).toBe('2025-02-28');
    expect(formatDate(yearsLater(dayOf(2024, 2, 29), 4))).toBe('2028-02-29');
    expect(formatDate(yearsLater(dayOf(2023, 12, 31), 1))).toBe('2024-12-31');
    fc.assert(
      fc.property(fc.integer({ min: dayOf(1971, 1, 1), max: dayOf(2150, 12, 31) }), fc.integer({ min: 0, max: 40 }), (day, n) => {
        const later = yearsLater(day, n);
        expect(yearOf(later)).toBe(yearOf(day) + n);
        // Same month and day, except 29 February in a common year.
        const [, md] = formatDate(day).split(/-(.*)/);
        expect(formatDate(later).slice(5)).toBe(md === '02-29' && formatDate(later).slice(5) === '02-28' ? '02-28' : md);
      }),
    );
  });
});

describe('instants and the China natural day', () => {
  it('reads offsets, Z, and local time as China time', () => {
    const t = Date.parse('2024-03-02T02:00:00Z');
    expect(parseInstant('2024-03-02T10:00:00+08:00')).toBe(t);
    expect(parseInstant('2024-03-02T10:00:00')).toBe(t);
    expect(parseInstant('2024-03-02T02:00:00Z')).toBe(t);
    expect(parseInstant('2024-03-02T02:00:00.500Z')).toBe(t + 500);
    expect(parseInstant('2024-03-02')).toBe(Date.parse('2024-03-01T16:00:00Z'));
    expect(parseInstant('2024-03-02T24:00:00+08:00')).toBeUndefined();
    expect(parseInstant('2024-02-30T10:00:00+08:00')).toBeUndefined();
    expect(parseInstant('yesterday')).toBeUndefined();
  });
  it('puts late UTC evenings on the next China day', () => {
    expect(formatDate(chinaDay(Date.parse('2024-03-02T23:30:00Z')))).toBe('2024-03-03');
    expect(formatDate(chinaDay(Date.parse('2024-03-02T15:59:59Z')))).toBe('2024-03-02');
    expect(formatDate(chinaDay(Date.parse('2024-03-02T16:00:00Z')))).toBe('2024-03-03');
    expect(formatChinaTime(Date.parse('2024-03-02T02:00:00Z'))).toBe('2024-03-02T10:00:00+08:00');
  });
});

describe('chinaDayStart', () => {
  it('is 00:00 China time of the day (16:00 UTC the day before), the inverse of chinaDay', () => {
    const day = dayOf(2024, 3, 1);
    expect(chinaDayStart(day)).toBe(Date.parse('2024-02-29T16:00:00Z'));
    expect(chinaDay(chinaDayStart(day))).toBe(day);
    expect(chinaDay(chinaDayStart(day) - 1)).toBe(day - 1);
  });
});
