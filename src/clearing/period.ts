/**
 * The clearing period (清算期): a calendar month in China time. A ledger entry belongs to the
 * month of its settlement time (结算时间, the entry's created_at) in China Standard Time, as the
 * national interface reckons a reconciliation's dates (3201/3202: 以医保结算返回的结算时间作为依据).
 */
import { CHINA_OFFSET_MS, chinaDayStart, dayOf, formatDate, MS_PER_DAY, parseDate } from '../calendar/calendar.js';
import { YibaoError } from '../errors.js';

/** A month as `YYYY-MM`. */
export type Period = string;

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** A period that is not a month (INVALID_PERIOD). */
export class PeriodError extends YibaoError<'INVALID_PERIOD'> {
  constructor(message: string) {
    super('INVALID_PERIOD', message, {});
    this.name = 'PeriodError';
  }
}

/**
 * Reads `YYYY-MM` (years 2000–2099).
 *
 * @example parsePeriod('2024-03') // { year: 2024, month: 3 }
 * @throws PeriodError for anything else.
 */
export function parsePeriod(text: string, field = 'period'): { year: number; month: number } {
  const m = PERIOD.exec(text);
  const year = m ? Number(m[1]) : Number.NaN;
  if (!m || year < 2000 || year > 2099) throw new PeriodError(`${field}: ${JSON.stringify(text)} is not a month YYYY-MM (2000-01 … 2099-12)`);
  return { year, month: Number(m[2]) };
}

/** The period of the month after. @example nextPeriod('2024-12') // '2025-01' */
export function nextPeriod(period: Period): Period {
  const { year, month } = parsePeriod(period);
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
}

/** The period of the month before. @example previousPeriod('2024-01') // '2023-12' */
export function previousPeriod(period: Period): Period {
  const { year, month } = parsePeriod(period);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

/**
 * The instants a period spans, epoch milliseconds: [start, end), midnight China time on the 1st
 * to midnight on the 1st of the next month.
 *
 * @example periodBounds('2024-03').start === Date.parse('2024-02-29T16:00:00Z')
 */
export function periodBounds(period: Period): { start: number; end: number } {
  const { year, month } = parsePeriod(period);
  const next = month === 12 ? dayOf(year + 1, 1, 1) : dayOf(year, month + 1, 1);
  return { start: chinaDayStart(dayOf(year, month, 1)), end: chinaDayStart(next) };
}

/** The period an instant falls in, China time. @example periodOf(Date.parse('2024-03-31T16:30:00Z')) // '2024-04' */
export function periodOf(epochMs: number): Period {
  return formatDate(Math.floor((epochMs + CHINA_OFFSET_MS) / MS_PER_DAY)).slice(0, 7);
}

/** The first and last day of a period, `YYYY-MM-DD`. */
export function periodDays(period: Period): { first: string; last: string } {
  const { start, end } = periodBounds(period);
  return { first: formatDate((start + CHINA_OFFSET_MS) / MS_PER_DAY), last: formatDate((end + CHINA_OFFSET_MS) / MS_PER_DAY - 1) };
}

/**
 * The instants of a span of China days given as `YYYY-MM-DD` (a reconciliation's
 * stmt_begndate..stmt_enddate, both included): [start, end).
 *
 * @throws PeriodError when a date cannot be read or the span runs backwards or over 366 days.
 */
export function daySpan(from: string, to: string, fields = ['stmt_begndate', 'stmt_enddate']): { start: number; end: number } {
  const a = parseDate(from);
  const b = parseDate(to);
  if (a === undefined) throw new PeriodError(`${fields[0]}: ${JSON.stringify(from)} is not a date YYYY-MM-DD`);
  if (b === undefined) throw new PeriodError(`${fields[1]}: ${JSON.stringify(to)} is not a date YYYY-MM-DD`);
  if (b < a) throw new PeriodError(`${fields[1]}: ${to} is before ${fields[0]} ${from}`);
  if (b - a > 366) throw new PeriodError(`${fields[1]}: a reconciliation spans at most 366 days (${from} … ${to})`);
  return { start: chinaDayStart(a), end: chinaDayStart(b + 1) };
}
