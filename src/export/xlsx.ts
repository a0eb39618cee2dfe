/**
 * XLSX workbooks (Excel 工作簿): one sheet (工作表) per table, a bold header row that stays in
 * view (冻结首行), columns as wide as their content, amounts as numbers of yuan with two places,
 * dates as real dates. Written with write-excel-file into a Buffer; nothing touches the disk.
 */
import writeXlsxFile, { type Cell, type Row, type SheetData } from 'write-excel-file/node';
import { toYuanNumber } from '../money/money.js';
import { type Column, cellText, cellValue, checkTables, chinaWallClock, dayDate, ExportError, type Table } from './table.js';

/** The number format of fen cells: yuan with a thousands separator and two places. */
export const YUAN_FORMAT = '#,##0.00';
/** The format of date cells. */
export const DATE_FORMAT = 'yyyy-mm-dd';
/** The format of date-time cells (China wall clock). */
export const DATETIME_FORMAT = 'yyyy-mm-dd hh:mm:ss';

/** Excel's last row is 1,048,576: the header and this many rows. */
export const MAX_XLSX_ROWS = 1_048_575;
/** The most characters an Excel cell holds. */
export const MAX_CELL_CHARS = 32_767;
/** Excel's widest column, in characters; columns are kept narrower than this for reading. */
const MAX_WIDTH = 60;
const MIN_WIDTH = 8;

/**
 * The width of a text in Excel's character units: East Asian wide characters (CJK, full-width
 * forms) count two, others one.
 *
 * @example displayWidth('医疗费') // 6
 * @example displayWidth('12.35') // 5
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += isWide(char.codePointAt(0) as number) ? 2 : 1;
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) || // Hangul Jamo
    (code >= 0x2e80 && code <= 0xa4cf) || // CJK radicals … Yi, including CJK punctuation, kana, unified ideographs
    (code >= 0xac00 && code <= 0xd7a3) || // Hangul syllables
    (code >= 0xf900 && code <= 0xfaff) || // CJK compatibility ideographs
    (code >= 0xfe30 && code <= 0xfe4f) || // CJK compatibility forms
    (code >= 0xff00 && code <= 0xff60) || // full-width forms
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) || // emoji
    (code >= 0x20000 && code <= 0x3fffd) // CJK extensions B and later
  );
}

function xlsxCell(column: Column, row: Table['rows'][number], rowIndex: number, table: Table): Cell {
  const value = cellValue(column, row, rowIndex);
  if (value === null) return null;
  switch (column.kind) {
    case 'text': {
      const text = value as string;
      if (text.length > MAX_CELL_CHARS) {
        throw new ExportError(
          'INVALID_INPUT',
          `table ${JSON.stringify(table.name)}, row ${rowIndex + 1}, column ${JSON.stringify(column.header)}: ${text.length} characters, more than an Excel cell holds (${MAX_CELL_CHARS})`,
          {
            table: table.name,
            row: rowIndex + 1,
            column: column.key,
          },
        );
      }
      return { value: text, type: String };
    }
    case 'fen':
      // toYuanNumber reads formatYuan's decimal text: the double nearest 12.35, never 1235 / 100's drift.
      return { value: toYuanNumber(value as number), type: Number, format: YUAN_FORMAT };
    case 'count':
      return { value: value as number, type: Number };
    case 'date':
      return { value: dayDate(value as number), type: Date, format: DATE_FORMAT };
    case 'datetime':
      return { value: chinaWallClock(value as number), type: Date, format: DATETIME_FORMAT };
  }
}

/** A column's width: its widest cell as printed, the header included, between 8 and 60 characters. */
function columnWidths(table: Table): { width: number }[] {
  return table.columns.map((column) => {
    let widest = displayWidth(column.header);
    table.rows.forEach((row, rowIndex) => {
      let text = cellText(column, row, rowIndex);
      // A fen cell shows its thousands separators; a date-time its full text.
      if (column.kind === 'fen' && text !== '') text = text.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      if (text.length * 2 > widest) widest = Math.max(widest, displayWidth(text));
    });
    return { width: Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, widest + 2)) };
  });
}

function sheetData(table: Table): SheetData {
  const header: Row = table.columns.map((column) => ({ value: column.header, type: String, fontWeight: 'bold' }));
  const data: SheetData = [header];
  table.rows.forEach((row, rowIndex) => {
    data.push(table.columns.map((column) => xlsxCell(column, row, rowIndex, table)));
  });
  return data;
}

/**
 * Tables as an XLSX workbook, one sheet per table in order, named by the table.
 *
 * @throws ExportError INVALID_INPUT for no tables, a name a sheet cannot carry, two tables of one
 *   name, more rows than a sheet holds or a text longer than a cell holds; INTERNAL_INVARIANT for a
 *   cell of the wrong kind.
 */
export async function toXlsx(tables: readonly Table[]): Promise<Buffer> {
  if (tables.length === 0) throw new ExportError('INVALID_INPUT', 'a workbook needs at least one table');
  checkTables(tables);
  const sheets = tables.map((table) => {
    if (table.rows.length > MAX_XLSX_ROWS) {
      throw new ExportError(
        'INVALID_INPUT',
        `table ${JSON.stringify(table.name)} has ${table.rows.length} rows, more than an Excel sheet holds (${MAX_XLSX_ROWS}): export it as CSV`,
        {
          table: table.name,
        },
      );
    }
    return { data: sheetData(table), sheet: table.name, columns: columnWidths(table), stickyRowsCount: 1 };
  });
  return writeXlsxFile(sheets).toBuffer();
}
