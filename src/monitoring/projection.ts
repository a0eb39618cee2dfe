/**
 * Projection of a budget account's spending to the year's end (年末支出预测), from the ledger's own
 * history, for the warning of 洛医保〔2023〕63号 三(一) (市医保中心结合基金支出情况，适时做出预警分析).
 *
 * Two methods, named in every answer:
 *
 * - 季节占比法 (`seasonal-share`): in each past complete year the share of the year's spending spent
 *   by the same day of the year (the same count of days from 1 January); the mean of those shares;
 *   projected = spent to date ÷ mean share. Used when at least one past complete year has spending
 *   and the mean share is above zero.
 * - 按日线性外推 (`linear`): projected = spent to date × days in the year ÷ days elapsed. Used when no
 *   past complete year allows the first.
 *
 * The arithmetic is exact (integers and fractions of BigInt); only the projected amount is rounded,
 * half away from zero, to the fen. A backtest shows each method's error on the past: for each past
 * complete year with spending, the projection that would have been made on the same day of that
 * year from the years before it (by the same rule), against what that year actually spent, the
 * error in basis points of the actual.
 */
import type { Fen } from '../money/money.js';

/** The projection methods. */
export const PROJECTION_METHODS = ['seasonal-share', 'linear'] as const;
export type ProjectionMethod = (typeof PROJECTION_METHODS)[number];
export const PROJECTION_METHOD_LABELS: Record<ProjectionMethod, string> = { 'seasonal-share': '季节占比法', linear: '按日线性外推' };

/** A year's spending by day: index 0 is 1 January; the length is the year's days (365 or 366). */
export interface YearSeries {
  year: number;
  daily: readonly Fen[];
}

/** One past year's share: spent by the same day of the year against the year's whole. */
export interface SeasonalShare {
  year: number;
  /** Spent in the year's first `elapsed` days (all of them when the year is shorter). */
  spentBySameDay: Fen;
  total: Fen;
  /** The share in basis points, rounded for display (the projection uses the exact fraction). */
  shareBp: number;
}

/** One past year's backtest: what would have been projected on its same day, against the actual. */
export interface BacktestYear {
  year: number;
  method: ProjectionMethod;
  methodLabel: string;
  /** Spent by the same day of that year. */
  spentBySameDay: Fen;
  projected: Fen;
  actual: Fen;
  /** (projected − actual) ÷ actual in basis points, rounded half away from zero: positive is an over-projection. */
  errorBp: number;
}

export interface Projection {
  method: ProjectionMethod;
  methodLabel: string;
  /** How the figure was reached, in words (Chinese). */
  text: string;
  year: number;
  /** Days counted from 1 January, the report day included. */
  elapsed: number;
  daysInYear: number;
  spentToDate: Fen;
  projected: Fen;
  /** The past years' shares the seasonal method used (empty for linear). */
  shares: SeasonalShare[];
  /** Why the seasonal method was not used, when it was not. */
  fallback: string | null;
  backtest: BacktestYear[];
  /** The mean of the backtest's absolute errors, basis points rounded half away from zero; null without a backtest. */
  meanAbsErrorBp: number | null;
}

const sum = (xs: readonly Fen[], n = xs.length): Fen => {
  let s = 0;
  for (let i = 0; i < Math.min(n, xs.length); i++) s += xs[i] as number;
  return s;
};

/** a ÷ b rounded half away from zero (b ≠ 0), BigInt. */
export function roundRational(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('roundRational: division by zero');
  const negative = a < 0n !== b < 0n;
  const n = a < 0n ? -a : a;
  const d = b < 0n ? -b : b;
  const q = n / d;
  const r = n - q * d;
  const rounded = r * 2n >= d ? q + 1n : q;
  return negative ? -rounded : rounded;
}

/** A fraction's value as a JS number, exact within the fen range the ledger holds. */
const toNumber = (x: bigint): number => {
  const n = Number(x);
  if (!Number.isSafeInteger(n)) throw new RangeError(`projection: ${x} is beyond the safe integers`);
  return n;
};

/** The error of a projection against the actual, basis points rounded half away from zero. */
export function errorBp(projected: Fen, actual: Fen): number {
  return toNumber(roundRational(BigInt(projected - actual) * 10_000n, BigInt(actual)));
}

interface Core {
  method: ProjectionMethod;
  projected: Fen;
  shares: SeasonalShare[];
  fallback: string | null;
}

/**
 * The projection of `spent` after `elapsed` days of a year of `daysInYear` days, from the past
 * complete years given (the seasonal method when they allow it, else linear).
 */
function projectCore(spent: Fen, elapsed: number, daysInYear: number, past: readonly YearSeries[]): Core {
  const withData = past.filter((p) => sum(p.daily) > 0);
  const shares = withData.map((p) => {
    const total = sum(p.daily);
    const by = sum(p.daily, elapsed);
    return { year: p.year, spentBySameDay: by, total, shareBp: toNumber(roundRational(BigInt(by) * 10_000n, BigInt(total))) };
  });
  let fallback: string | null = null;
  if (shares.length === 0) fallback = past.length === 0 ? '账本中没有以往完整年度' : '以往完整年度均无支出';
  else {
    // Σ by_y / total_y = N / D, exactly; mean share = N / (D × n); projected = spent × n × D / N.
    let numerator = 0n;
    let denominator = 1n;
    for (const s of shares) {
      numerator = numerator * BigInt(s.total) + BigInt(s.spentBySameDay) * denominator;
      denominator *= BigInt(s.total);
    }
    if (numerator > 0n) {
      const projected = toNumber(roundRational(BigInt(spent) * BigInt(shares.length) * denominator, numerator));
      return { method: 'seasonal-share', projected, shares, fallback: null };
    }
    fallback = `以往完整年度（${shares.map((s) => s.year).join('、')}）到同一天的支出占比均不大于零`;
  }
  const projected = toNumber(roundRational(BigInt(spent) * BigInt(daysInYear), BigInt(elapsed)));
  return { method: 'linear', projected, shares: [], fallback };
}

/**
 * The projection to the year's end, with its backtest.
 *
 * @param current the year's spending by day (only the first `elapsed` days are read).
 * @param elapsed days counted from 1 January, the report day included: 1 … days in the year.
 * @param past the past complete years (any order); those without spending are passed over.
 *
 * @example
 *   // 2022 spent 400 of 1,000 by day 73, 2023 1,000 of 2,000: mean share 45%; 2024 900 by day 73 → 2,000.
 */
export function projectYearEnd(current: YearSeries, elapsed: number, past: readonly YearSeries[]): Projection {
  const daysInYear = current.daily.length;
  if (!Number.isInteger(elapsed) || elapsed < 1 || elapsed > daysInYear) throw new RangeError(`projectYearEnd: elapsed ${elapsed} is not a day of ${current.year}`);
  const spent = sum(current.daily, elapsed);
  const ordered = [...past].filter((p) => p.year < current.year).sort((a, b) => a.year - b.year);
  const core = projectCore(spent, elapsed, daysInYear, ordered);
  const backtest: BacktestYear[] = [];
  for (const [i, p] of ordered.entries()) {
    const actual = sum(p.daily);
    if (actual <= 0) continue;
    const by = sum(p.daily, elapsed);
    const then = projectCore(by, Math.min(elapsed, p.daily.length), p.daily.length, ordered.slice(0, i));
    backtest.push({
      year: p.year,
      method: then.method,
      methodLabel: PROJECTION_METHOD_LABELS[then.method],
      spentBySameDay: by,
      projected: then.projected,
      actual,
      errorBp: errorBp(then.projected, actual),
    });
  }
  const meanAbsErrorBp = backtest.length === 0 ? null : toNumber(roundRational(BigInt(backtest.reduce((s, b) => s + Math.abs(b.errorBp), 0)), BigInt(backtest.length)));
  const label = PROJECTION_METHOD_LABELS[core.method];
  const text =
    core.method === 'seasonal-share'
      ? `${label}：以往完整年度（${core.shares.map((s) => `${s.year} 年 ${(s.shareBp / 100).toFixed(2)}%`).join('、')}）截至第 ${elapsed} 天的支出占全年比例取平均，年末预计 = 已支出 ÷ 平均占比`
      : `${label}：年末预计 = 已支出 × ${daysInYear} ÷ ${elapsed}（${core.fallback ?? ''}，不能用季节占比法）`;
  return {
    method: core.method,
    methodLabel: label,
    text,
    year: current.year,
    elapsed,
    daysInYear,
    spentToDate: spent,
    projected: core.projected,
    shares: core.shares,
    fallback: core.fallback,
    backtest,
    meanAbsErrorBp,
  };
}
