/**
 * Civil dates as day numbers, and China Standard Time.
 *
 * Policies speak of natural days (自然日), calendar years (自然年度) and dates such as
 * 2024-01-01. Inside yibao a civil date is a day number: whole days since 1970-01-01. The
 * engine compares integers, never Date objects, and never reads a clock.
 *
 * All five documents are Chinese, so a visit's natural day is its date in China Standard Time
 * (UTC+8, no daylight saving): a visit at 2024-03-02T23:30:00Z happened on 2024-03-03.
 */

/** Whole days since 1970-01-01. */
export type DayNumber = number;

/** Milliseconds in a day: the one place day arithmetic on instants takes it from. */
export const MS_PER_DAY = 86_400_000;
/** China Standard Time is UTC+8 all year. */
export const CHINA_OFFSET_MS = 8 * 3_600_000;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// Day numbers of 1 January for the years the tables cover; outside them we fall back to Date.
const FIRST_YEAR = 1970;
const LAST_YEAR = 2200;
const JAN_FIRST: Int32Array = (() => {
  const table = new Int32Array(LAST_YEAR - FIRST_YEAR + 2);
  for (let y = FIRST_YEAR; y <= LAST_YEAR + 1; y++) table[y - FIRST_YEAR] = utcDay(y, 1, 1);
  return table;
})();
/** Days in each month of a common year. */
const MONTH_LENGTH: Int32Array = Int32Array.from([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
/** Days before the first of each month in a common year. */
const MONTH_START: Int32Array = Int32Array.from([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]);
/** The day number of 1 January after the last year of the tables. */
const END_DAY = JAN_FIRST[LAST_YEAR + 1 - FIRST_YEAR] as number;
/** `YYYY-MM-DD` of the days the tables cover, made as asked for. */
const DATE_TEXT: (string | undefined)[] = new Array<string | undefined>(END_DAY).fill(undefined);
/** `00` to `59`. */
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

// The year found last, and its first and last day: visits come in runs of the same year.
let cachedYear = FIRST_YEAR;
let cachedYearFrom = 0;
let cachedYearTo = -1;

/**
 * The day number of a civil date.
 *
 * @example dayOf(1970, 1, 2) // 1
 */
export function dayOf(year: number, month: number, day: number): DayNumber {
  // A real date in the years the tables cover: from the tables (settlement asks for the payment
  // windows of every resident's visit). Anything else, rolled over the way Date.UTC does.
  if (
    year >= FIRST_YEAR &&
    year <= LAST_YEAR &&
    (year | 0) === year &&
    month >= 1 &&
    month <= 12 &&
    (month | 0) === month &&
    day >= 1 &&
    (day | 0) === day &&
    (day <= (MONTH_LENGTH[month - 1] as number) || (month === 2 && day === 29 && isLeapYear(year)))
  ) {
    const leap = month > 2 && isLeapYear(year) ? 1 : 0;
    return (JAN_FIRST[year - FIRST_YEAR] as number) + (MONTH_START[month - 1] as number) + leap + day - 1;
  }
  return utcDay(year, month, day);
}

function utcDay(year: number, month: number, day: number): DayNumber {
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/**
 * Reads `YYYY-MM-DD`, rejecting dates that do not exist (2023-02-29).
 *
 * @example parseDate('2024-01-01') // 19723
 * @returns the day number, or undefined when the text is not a real date.
 */
export function parseDate(text: string): DayNumber | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const n = dayOf(year, month, day);
  return formatDate(n) === text ? n : undefined;
}

/**
 * A day number as `YYYY-MM-DD`.
 *
 * @example formatDate(19723) // '2024-01-01'
 */
export function formatDate(day: DayNumber): string {
  // Traces print a date or several for every visit: each day's text is made once, by Date.
  if (day >= 0 && day < END_DAY && (day | 0) === day) {
    let text = DATE_TEXT[day];
    if (text === undefined) DATE_TEXT[day] = text = isoDate(day);
    return text;
  }
  return isoDate(day);
}

function isoDate(day: DayNumber): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/**
 * The natural day (自然日) in China of an instant.
 *
 * @example chinaDay(Date.parse('2024-03-02T23:30:00Z')) // the day number of 2024-03-03
 */
export function chinaDay(epochMs: number): DayNumber {
  return Math.floor((epochMs + CHINA_OFFSET_MS) / MS_PER_DAY);
}

/**
 * The instant (epoch ms) a China day begins: 00:00 China time. The inverse of {@link chinaDay}.
 *
 * @example chinaDayStart(dayOf(2024, 3, 1)) // Date.parse('2024-02-29T16:00:00Z')
 */
export function chinaDayStart(day: DayNumber): number {
  return day * MS_PER_DAY - CHINA_OFFSET_MS;
}

/**
 * The calendar year of a day number. Runs in a handful of integer steps: settlement calls it for
 * every visit.
 *
 * @example yearOf(dayOf(2024, 12, 31)) // 2024
 */
export function yearOf(day: DayNumber): number {
  if (day >= cachedYearFrom && day <= cachedYearTo) return cachedYear;
  let y = FIRST_YEAR + Math.floor(day / 365.2425);
  if (y < FIRST_YEAR || y > LAST_YEAR) return new Date(day * MS_PER_DAY).getUTCFullYear();
  while (y > FIRST_YEAR && (JAN_FIRST[y - FIRST_YEAR] as number) > day) y--;
  while (y < LAST_YEAR && (JAN_FIRST[y + 1 - FIRST_YEAR] as number) <= day) y++;
  if (y < LAST_YEAR) {
    cachedYear = y;
    cachedYearFrom = JAN_FIRST[y - FIRST_YEAR] as number;
    cachedYearTo = (JAN_FIRST[y + 1 - FIRST_YEAR] as number) - 1;
  }
  return y;
}

/**
 * The day number of 1 January of a year.
 *
 * @example yearStart(2024) === dayOf(2024, 1, 1) // true
 */
export function yearStart(year: number): DayNumber {
  if (year >= FIRST_YEAR && year <= LAST_YEAR) return JAN_FIRST[year - FIRST_YEAR] as number;
  return dayOf(year, 1, 1);
}

/**
 * The day a period of whole years from `day` ends on: the same month and day `years` later (对应日),
 * or the last day of the month when that year has none (29 February → 28 February), as
 * 《民法典》第二百零二条 ends a period counted in years. (The period itself starts the next day,
 * 第二百零一条: a year counted from D is D+1 to yearsLater(D, 1), complete from the day after.)
 *
 * @example formatDate(yearsLater(dayOf(2024, 2, 29), 1)) // '2025-02-28'
 */
export function yearsLater(day: DayNumber, years: number): DayNumber {
  const [y, m, d] = formatDate(day).split('-').map(Number) as [number, number, number];
  const year = y + years;
  return m === 2 && d === 29 && !isLeapYear(year) ? dayOf(year, 2, 28) : dayOf(year, m, d);
}

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Reads an ISO 8601 date or date-time into epoch milliseconds. A date-time without an offset,
 * and a bare date (taken as its midnight), are China Standard Time.
 *
 * @example parseInstant('2024-03-02T10:00:00+08:00') === Date.parse('2024-03-02T02:00:00Z') // true
 * @returns epoch milliseconds, or undefined when the text is not a real date or time.
 */
export function parseInstant(text: string): number | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const day = parseDate(match[1] as string);
  if (day === undefined) return undefined;
  const hours = Number(match[2] ?? 0);
  const minutes = Number(match[3] ?? 0);
  const seconds = Number(match[4] ?? 0);
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const millis = Number(((match[5] ?? '') + '000').slice(0, 3));
  let offsetMs = CHINA_OFFSET_MS;
  const zone = match[6];
  if (zone === 'Z') offsetMs = 0;
  else if (zone !== undefined) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) return undefined;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  return day * MS_PER_DAY + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis - offsetMs;
}

/**
 * An instant as a China Standard Time ISO string, for traces.
 *
 * @example formatChinaTime(Date.parse('2024-03-02T02:00:00Z')) // '2024-03-02T10:00:00+08:00'
 */
export function formatChinaTime(epochMs: number): string {
  const t = epochMs + CHINA_OFFSET_MS;
  if (t >= 0 && t < END_DAY * MS_PER_DAY && Math.floor(t) === t) {
    const day = Math.floor(t / MS_PER_DAY);
    const second = Math.floor((t - day * MS_PER_DAY) / 1000);
    const minute = Math.floor(second / 60);
    return `${formatDate(day)}T${TWO_DIGITS[Math.floor(minute / 60)] as string}:${TWO_DIGITS[minute % 60] as string}:${TWO_DIGITS[second % 60] as string}+08:00`;
  }
  return new Date(t).toISOString().slice(0, 19) + '+08:00';
}
