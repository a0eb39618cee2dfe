/**
 * A table of results (报表) as the exports see it: named columns with Chinese headers (表头) and
 * rows of plain values. Every file yibao hands to a person — a monthly clearing statement
 * (清算单), a reconciliation's differences (对账差异明细) — is made from one or more tables, by
 * {@link ./csv.ts}, {@link ./xlsx.ts} or {@link ./formats.ts}.
 *
 * What a cell holds depends on its column's kind:
 *
 * | kind       | value                                   | CSV text                 | XLSX cell                        | JSON                          |
 * |------------|-----------------------------------------|--------------------------|----------------------------------|-------------------------------|
 * | `text`     | string (a number prints as its digits)  | as is (injection-guarded) | string                           | string                        |
 * | `fen`      | integer fen (分)                         | yuan `-12.35`            | number of yuan, `#,##0.00`       | number of yuan (toYuanNumber) |
 * | `count`    | integer                                 | digits                   | number                           | number                        |
 * | `date`     | day number or `YYYY-MM-DD`              | `YYYY-MM-DD`             | date, `yyyy-mm-dd`               | `YYYY-MM-DD`                  |
 * | `datetime` | epoch ms                                | China time `YYYY-MM-DD HH:mm:ss` | date-time, China wall clock | ISO with `+08:00`           |
 *
 * `null` is an empty cell everywhere. A value of the wrong kind is a bug in the code that built
 * the table (INTERNAL_INVARIANT); a table name a sheet cannot carry is INVALID_INPUT.
 */
import { CHINA_OFFSET_MS, formatChinaTime, formatDate, MS_PER_DAY, parseDate } from '../calendar/calendar.js';
import { YibaoError } from '../errors.js';
import { formatYuan, toYuanNumber } from '../money/money.js';

/** How a column's cells are read and printed (see the module's table). */
export type ColumnKind = 'text' | 'fen' | 'count' | 'date' | 'datetime';

/** A column (列): the row key it reads, its Chinese header (表头), and its kind. */
export interface Column {
  /** The key of the rows' records, e.g. `medfee_sumamt`. */
  key: string;
  /** The header people read, e.g. `医疗费总额（元）`. */
  header: string;
  kind: ColumnKind;
}

/** One cell's value: see {@link ColumnKind}. */
export type CellValue = string | number | null;

/** A table (报表): a sheet of an XLSX file, a CSV file, or an entry of a JSON export. */
export interface Table {
  /** The sheet's name (工作表名): Chinese is fine; 1 to 31 characters, none of `[]:*?/\`. */
  name: string;
  columns: readonly Column[];
  rows: readonly Readonly<Record<string, CellValue>>[];
}

/** The codes an export throws. */
export type ExportErrorCode = 'INVALID_FILE' | 'INVALID_INPUT' | 'INTERNAL_INVARIANT';

/**
 * A file that cannot be read or written (INVALID_FILE), a table a format cannot carry
 * (INVALID_INPUT), or a cell of the wrong kind, a bug (INTERNAL_INVARIANT).
 */
export class ExportError extends YibaoError<ExportErrorCode> {
  constructor(code: ExportErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
    this.name = 'ExportError';
  }
}

/** The longest sheet name Excel accepts. */
export const MAX_SHEET_NAME = 31;
const SHEET_NAME_FORBIDDEN = /[[\]:*?/\\]/;

/**
 * Checks that a set of tables can be written: each name a valid sheet name, names distinct
 * (Excel compares them case-insensitively), each table with at least one column and distinct keys.
 *
 * @throws ExportError INVALID_INPUT naming the table.
 */
export function checkTables(tables: readonly Table[]): void {
  const seen = new Set<string>();
  for (const table of tables) {
    checkTable(table);
    const folded = table.name.toLowerCase();
    if (seen.has(folded)) throw new ExportError('INVALID_INPUT', `two tables are named ${JSON.stringify(table.name)}: each sheet needs its own name`, { table: table.name });
    seen.add(folded);
  }
}

/** Checks one table's name and columns (see {@link checkTables}). */
export function checkTable(table: Table): void {
  const name = table.name;
  const bad = (why: string) => new ExportError('INVALID_INPUT', `table name ${JSON.stringify(name)} ${why}`, { table: name });
  if (name.trim() === '') throw bad('is empty');
  if ([...name].length > MAX_SHEET_NAME) throw bad(`is longer than ${MAX_SHEET_NAME} characters (工作表名最多 ${MAX_SHEET_NAME} 个字符)`);
  if (SHEET_NAME_FORBIDDEN.test(name)) throw bad('contains one of [ ] : * ? / \\');
  if (name.startsWith("'") || name.endsWith("'")) throw bad('starts or ends with an apostrophe');
  if (name.toLowerCase() === 'history') throw bad('is reserved by Excel');
  if (table.columns.length === 0) throw new ExportError('INVALID_INPUT', `table ${JSON.stringify(name)} has no columns`, { table: name });
  const keys = new Set<string>();
  for (const column of table.columns) {
    if (keys.has(column.key)) throw new ExportError('INVALID_INPUT', `table ${JSON.stringify(name)} has two columns with key ${JSON.stringify(column.key)}`, { table: name });
    keys.add(column.key);
  }
}

/** Where a cell is, for messages: the data row counts from 1 (the header row is not counted). */
function where(column: Column, rowIndex: number): string {
  return `row ${rowIndex + 1}, column ${JSON.stringify(column.header)} (${column.key})`;
}

function wrongKind(column: Column, rowIndex: number, value: unknown, expected: string): ExportError {
  return new ExportError('INTERNAL_INVARIANT', `${where(column, rowIndex)}: a ${column.kind} cell must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`, {
    row: rowIndex + 1,
    column: column.key,
  });
}

/**
 * The value of a row's cell, checked against its column's kind. A row without the column's key
 * is a bug (a misspelt key would otherwise print as empty cells).
 *
 * @returns the value: a safe integer for fen and count, a day number for a date (a `YYYY-MM-DD`
 *   string is read into one), an integer epoch ms for a datetime, a string for text; or null.
 * @throws ExportError INTERNAL_INVARIANT.
 */
export function cellValue(column: Column, row: Readonly<Record<string, CellValue>>, rowIndex: number): string | number | null {
  const value = Object.hasOwn(row, column.key) ? row[column.key] : undefined;
  if (value === undefined)
    throw new ExportError('INTERNAL_INVARIANT', `${where(column, rowIndex)}: the row has no ${JSON.stringify(column.key)}`, { row: rowIndex + 1, column: column.key });
  if (value === null) return null;
  switch (column.kind) {
    case 'text':
      if (typeof value === 'string') return value;
      if (Number.isFinite(value)) return String(value);
      throw wrongKind(column, rowIndex, value, 'a string or a finite number');
    case 'fen':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw wrongKind(column, rowIndex, value, 'an integer number of fen');
    case 'count':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw wrongKind(column, rowIndex, value, 'an integer');
    case 'date': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      const day = typeof value === 'string' ? parseDate(value) : undefined;
      if (day !== undefined) return day;
      throw wrongKind(column, rowIndex, value, 'a day number or a YYYY-MM-DD date');
    }
    case 'datetime':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw wrongKind(column, rowIndex, value, 'an integer epoch milliseconds');
  }
}

/**
 * A cell as text people read (CSV, column widths): fen as yuan with two places (formatYuan),
 * a date as `YYYY-MM-DD`, a datetime as China time `YYYY-MM-DD HH:mm:ss`, null as ''. Text is
 * returned as is: the CSV writer guards it against formula injection.
 */
export function cellText(column: Column, row: Readonly<Record<string, CellValue>>, rowIndex: number): string {
  const value = cellValue(column, row, rowIndex);
  if (value === null) return '';
  switch (column.kind) {
    case 'text':
      return value as string;
    case 'fen':
      return formatYuan(value as number);
    case 'count':
      return String(value);
    case 'date':
      return formatDate(value as number);
    case 'datetime':
      return chinaDateTimeText(value as number);
  }
}

/**
 * A cell as JSON carries it: fen as a number of yuan (toYuanNumber, exact in its shortest
 * decimal form), a date as `YYYY-MM-DD`, a datetime as ISO China time with `+08:00`.
 */
export function cellJson(column: Column, row: Readonly<Record<string, CellValue>>, rowIndex: number): string | number | null {
  const value = cellValue(column, row, rowIndex);
  if (value === null) return null;
  switch (column.kind) {
    case 'text':
    case 'count':
      return value;
    case 'fen':
      return toYuanNumber(value as number);
    case 'date':
      return formatDate(value as number);
    case 'datetime':
      return formatChinaTime(value as number);
  }
}

/**
 * An instant as China Standard Time (北京时间) `YYYY-MM-DD HH:mm:ss`, the national interface's
 * date-time shape, which Excel reads as a date-time.
 *
 * @example chinaDateTimeText(Date.parse('2024-03-02T02:00:00Z')) // '2024-03-02 10:00:00'
 */
export function chinaDateTimeText(epochMs: number): string {
  return formatChinaTime(epochMs).slice(0, 19).replace('T', ' ');
}

/**
 * The Date whose UTC fields are a China wall-clock instant, for a spreadsheet (which knows no time
 * zones: its serial numbers are read in UTC by the XLSX writer).
 */
export function chinaWallClock(epochMs: number): Date {
  return new Date(epochMs + CHINA_OFFSET_MS);
}

/** The Date of a day number's midnight in UTC, a whole spreadsheet serial day. */
export function dayDate(day: number): Date {
  return new Date(day * MS_PER_DAY);
}
