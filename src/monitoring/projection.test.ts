/**
 * The projection to the year's end and its backtest, computed by hand.
 *
 * A two-year history, amounts in yuan, day 73 of each year (2022 and 2023: 14 March; 2024, a leap
 * year: 13 March):
 *   2022: 400.00 spent by day 73, 1,000.00 in the year → share 40%
 *   2023: 1,000.00 by day 73, 2,000.00 in the year      → share 50%
 *   2024: 900.00 by day 73.
 * Seasonal share: mean share (40% + 50%) ÷ 2 = 45%; projected 900 ÷ 45% = 2,000.00.
 * Backtest:
 *   2022 (no year before it): linear 400 × 365 ÷ 73 = 2,000.00 against 1,000.00 → +10,000 bp
 *   2023 (2022 before it, share 40%): 1,000 ÷ 40% = 2,500.00 against 2,000.00 → +2,500 bp
 *   mean absolute error (10,000 + 2,500) ÷ 2 = 6,250 bp.
 */
import { describe, expect, it } from 'vitest';
import type { Fen } from '../money/money.js';
import { emptyYear } from './budget.js';
import { errorBp, projectYearEnd, roundRational, type YearSeries } from './projection.js';

/** A year with `amounts` (fen) on the days given (0 = 1 January). */
function year(y: number, amounts: [day: number, fen: Fen][]): YearSeries {
  const daily = emptyYear(y);
  for (const [d, f] of amounts) daily[d] = (daily[d] as number) + f;
  return { year: y, daily };
}

const Y2022 = year(2022, [
  [10, 400_00],
  [200, 600_00],
]);
const Y2023 = year(2023, [
  [0, 500_00],
  [72, 500_00],
  [73, 1_000_00],
]);

describe('projectYearEnd', () => {
  it('projects by the mean seasonal share of the past complete years, with the backtest computed by hand', () => {
    const p = projectYearEnd(year(2024, [[5, 900_00]]), 73, [Y2023, Y2022]);
    expect(p.method).toBe('seasonal-share');
    expect(p.methodLabel).toBe('季节占比法');
    expect(p.spentToDate).toBe(900_00);
    expect(p.daysInYear).toBe(366);
    expect(p.projected).toBe(2_000_00);
    expect(p.shares).toEqual([
      { year: 2022, spentBySameDay: 400_00, total: 1_000_00, shareBp: 4000 },
      { year: 2023, spentBySameDay: 1_000_00, total: 2_000_00, shareBp: 5000 },
    ]);
    expect(p.backtest).toEqual([
      { year: 2022, method: 'linear', methodLabel: '按日线性外推', spentBySameDay: 400_00, projected: 2_000_00, actual: 1_000_00, errorBp: 10_000 },
      { year: 2023, method: 'seasonal-share', methodLabel: '季节占比法', spentBySameDay: 1_000_00, projected: 2_500_00, actual: 2_000_00, errorBp: 2_500 },
    ]);
    expect(p.meanAbsErrorBp).toBe(6_250);
    expect(p.fallback).toBeNull();
  });

  it('counts only the days up to the report day: spending after it is not read', () => {
    // The same 2024 with 5,000.00 more on day 73 (the 74th day): not counted at day 73.
    const p = projectYearEnd(
      year(2024, [
        [5, 900_00],
        [73, 5_000_00],
      ]),
      73,
      [Y2022, Y2023],
    );
    expect(p.spentToDate).toBe(900_00);
    expect(p.projected).toBe(2_000_00);
  });

  it('falls back to linear with no past year: spent × days in the year ÷ days elapsed', () => {
    // 2023, 100.00 after 10 days: 100 × 365 ÷ 10 = 3,650.00.
    const p = projectYearEnd(year(2023, [[3, 100_00]]), 10, []);
    expect(p.method).toBe('linear');
    expect(p.projected).toBe(3_650_00);
    expect(p.fallback).toBe('账本中没有以往完整年度');
    expect(p.backtest).toEqual([]);
    expect(p.meanAbsErrorBp).toBeNull();
  });

  it('rounds once, half away from zero, to the fen', () => {
    // 0.01 after 2 days of 2023: 1 × 365 ÷ 2 = 182.5 fen → 183; after 3 days: 121.67 → 122.
    expect(projectYearEnd(year(2023, [[0, 1]]), 2, []).projected).toBe(183);
    expect(projectYearEnd(year(2023, [[0, 1]]), 3, []).projected).toBe(122);
    // Seasonal: 2022 share 1 ÷ 3 by day 1 (1 fen of 3); 2023 spent 1 fen by day 1 → 1 ÷ (1/3) = 3.
    expect(
      projectYearEnd(year(2023, [[0, 1]]), 1, [
        year(2022, [
          [0, 1],
          [9, 2],
        ]),
      ]).projected,
    ).toBe(3);
    // 2022 share 2 ÷ 3; 1 fen → 1.5 → 2 (half away from zero).
    expect(
      projectYearEnd(year(2023, [[0, 1]]), 1, [
        year(2022, [
          [0, 2],
          [9, 1],
        ]),
      ]).projected,
    ).toBe(2);
    expect(roundRational(-3n, 2n)).toBe(-2n);
    expect(roundRational(3n, -2n)).toBe(-2n);
    expect(roundRational(5n, 4n)).toBe(1n);
  });

  it('falls back to linear when the past years spent nothing by the same day, and says why', () => {
    // 2022 spent only after day 10: share 0 at day 10 → linear.
    const p = projectYearEnd(year(2023, [[0, 100_00]]), 10, [year(2022, [[200, 500_00]])]);
    expect(p.method).toBe('linear');
    expect(p.fallback).toContain('2022');
    expect(p.projected).toBe(3_650_00);
    // A past year without any spending is passed over.
    expect(projectYearEnd(year(2023, [[0, 100_00]]), 10, [year(2022, [])]).fallback).toBe('以往完整年度均无支出');
  });

  it('projects the spent amount itself on the last day of the year', () => {
    expect(projectYearEnd(Y2023, 365, [Y2022]).projected).toBe(2_000_00);
  });

  it('refuses a day outside the year', () => {
    expect(() => projectYearEnd(Y2023, 0, [])).toThrow(RangeError);
    expect(() => projectYearEnd(Y2023, 366, [])).toThrow(RangeError);
  });

  it('gives the error in basis points of the actual', () => {
    expect(errorBp(2_000_00, 1_000_00)).toBe(10_000);
    expect(errorBp(900, 1000)).toBe(-1000);
    // −1/3 → −3333.33 bp → −3333
    expect(errorBp(2, 3)).toBe(-3333);
  });
});
