/**
 * CSV files (逗号分隔值文件) people open in Excel: written with the table's Chinese headers, RFC 4180
 * quoting and CRLF line ends, in UTF-8 with a byte-order mark (Excel needs the BOM to read UTF-8)
 * or in GBK (代码页 936, what Excel on Chinese Windows reads without a BOM); and read back, in
 * either encoding, for the files an institution or a bank sends for reconciliation (对账).
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { type Column, cellText, checkTable, ExportError, type Table } from './table.js';

/** How a CSV file is encoded: UTF-8 with a BOM, or GBK. */
export type CsvEncoding = 'utf8-bom' | 'gbk';

export interface CsvOptions {
  encoding: CsvEncoding;
}

/** The UTF-8 byte-order mark (BOM). */
export const UTF8_BOM: Buffer = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The first characters that make a spreadsheet read a cell as a formula (CSV injection, CSV 注入):
 * `=`, `+`, `-`, `@`, tab and carriage return (OWASP's list).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text cell guarded against formula injection: one that starts like a formula is prefixed with
 * a single quote, which Excel shows as text (OWASP, CSV Injection). Only text cells are guarded:
 * fen and count cells are numbers we printed ourselves, and a negative amount stays a number.
 *
 * @example guardFormula('=1+1') // "'=1+1"
 * @example guardFormula('张三') // '张三'
 */
export function guardFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function csvCell(column: Column, row: Table['rows'][number], rowIndex: number): string {
  const text = cellText(column, row, rowIndex);
  return column.kind === 'text' ? guardFormula(text) : text;
}

/**
 * A table as a CSV file: a header row of the columns' Chinese headers, then one line per row;
 * fields quoted when they hold a comma, a double quote, CR or LF (RFC 4180); lines end in CRLF.
 * Fen prints as yuan with two places (`-12.35`), null as an empty field, and a text cell that
 * starts like a formula gets a leading `'` ({@link guardFormula}).
 *
 * @param options.encoding `utf8-bom` (any character) or `gbk` (for Excel on Chinese Windows).
 * @throws ExportError INVALID_FILE when a character cannot be written in GBK (an emoji, a rare
 *   character outside GBK), naming its row and column: write `utf8-bom` instead. A GBK file
 *   never carries a silent `?`. (GBK here is iconv-lite's table, which follows GB18030 for the
 *   handful of ideographs Windows' code page 936 keeps in its private-use area, such as 䶮 FE9F:
 *   Excel on Windows may show those as a blank box. Use utf8-bom or XLSX for rare name characters.)
 */
export function toCsv(table: Table, options: CsvOptions): Buffer {
  checkTable(table);
  const records: string[][] = [table.columns.map((column) => column.header)];
  table.rows.forEach((row, rowIndex) => {
    records.push(table.columns.map((column) => csvCell(column, row, rowIndex)));
  });
  const text = stringify(records, { record_delimiter: 'windows', quoted_match: /[\r\n]/ });
  if (options.encoding === 'utf8-bom') return Buffer.concat([UTF8_BOM, Buffer.from(text, 'utf8')]);
  const bytes = iconv.encode(text, 'gbk');
  // iconv-lite writes '?' for what GBK lacks: a file whose bytes do not decode to its text lost a character.
  if (iconv.decode(bytes, 'gbk') !== text) throw unencodable(table, records);
  return bytes;
}

/** The first character GBK cannot write, found cell by cell (only once the whole file failed). */
function unencodable(table: Table, records: readonly (readonly string[])[]): ExportError {
  for (let r = 0; r < records.length; r++) {
    const record = records[r] as readonly string[];
    for (let c = 0; c < record.length; c++) {
      for (const char of record[c] as string) {
        if (iconv.decode(iconv.encode(char, 'gbk'), 'gbk') === char) continue;
        const column = table.columns[c] as Column;
        const place = r === 0 ? `the header of column ${JSON.stringify(column.header)}` : `row ${r}, column ${JSON.stringify(column.header)} (${column.key})`;
        const code = `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
        return new ExportError(
          'INVALID_FILE',
          `${place} holds ${JSON.stringify(char)} (${code}), which GBK cannot encode (GBK 编码无法表示该字符): export as UTF-8 CSV (utf8-bom) or XLSX instead`,
          { row: r, column: column.key, character: code, table: table.name },
        );
      }
    }
  }
  // Unreachable when every cell round-trips on its own; kept so the error is never lost.
  return new ExportError('INVALID_FILE', `table ${JSON.stringify(table.name)} cannot be written in GBK: export as UTF-8 CSV (utf8-bom) instead`, { table: table.name });
}

/** What {@link readCsv} found. */
export interface CsvFile {
  /** The encoding it was read in. */
  encoding: 'utf8' | 'gbk';
  /** The first record: the column headers. */
  header: string[];
  /** The other records, each with as many fields as the header. */
  rows: string[][];
}

export interface ReadCsvOptions {
  /** The largest file read, in bytes; 64 MiB unless given. */
  maxBytes?: number;
}

/** The default bound of {@link readCsv}: 64 MiB. */
export const DEFAULT_MAX_CSV_BYTES = 64 * 1024 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a CSV file and its encoding: a UTF-8 BOM means UTF-8 (the BOM dropped); bytes that
 * are valid UTF-8 are UTF-8; anything else is read as GBK (as GB18030, its superset). A short GBK
 * text can happen to be valid UTF-8 too, but a file of Chinese text almost never is.
 *
 * @throws ExportError INVALID_FILE when the bytes are neither UTF-8 nor GBK.
 */
export function decodeCsv(buf: Buffer): { encoding: 'utf8' | 'gbk'; text: string } {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    try {
      return { encoding: 'utf8', text: UTF8.decode(buf.subarray(3)) };
    } catch {
      throw new ExportError('INVALID_FILE', 'the file starts with a UTF-8 byte-order mark but is not valid UTF-8 (文件不是有效的 UTF-8 编码)');
    }
  }
  try {
    return { encoding: 'utf8', text: UTF8.decode(buf) };
  } catch {
    // Not UTF-8: GBK, or neither.
  }
  const text = iconv.decode(buf, 'gb18030');
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    const line = lineAt(text, bad);
    throw new ExportError('INVALID_FILE', `line ${line} holds bytes that are neither UTF-8 nor GBK (第 ${line} 行编码无法识别): save the file as UTF-8 or GBK CSV`, { line });
  }
  return { encoding: 'gbk', text };
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
}

/**
 * Reads a CSV file (comma-separated, RFC 4180 quoting, any line ends) in UTF-8, UTF-8 with a BOM,
 * or GBK ({@link decodeCsv}). Blank lines are skipped; fields are kept as they are (not trimmed,
 * and a `'` the writer put before a formula-like text stays).
 *
 * @throws ExportError INVALID_FILE for a file over `maxBytes`, an empty file, a header naming a
 *   column twice, a broken quote, or a row whose number of fields differs from the header's,
 *   naming the line (行号, counted from 1 with the header as line 1).
 */
export function readCsv(buf: Buffer, options: ReadCsvOptions = {}): CsvFile {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CSV_BYTES;
  if (buf.length > maxBytes) {
    throw new ExportError('INVALID_FILE', `the file is ${buf.length} bytes, more than the ${maxBytes} bytes accepted (文件过大)`, { bytes: buf.length, maxBytes });
  }
  const { encoding, text } = decodeCsv(buf);
  let parsed: ParsedRecord[];
  try {
    parsed = parse(text, { relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as ParsedRecord[];
  } catch (e) {
    const line = typeof (e as { lines?: unknown }).lines === 'number' ? (e as { lines: number }).lines : undefined;
    throw new ExportError(
      'INVALID_FILE',
      `${line === undefined ? 'the file' : `line ${line}`} is not valid CSV (CSV 格式错误): ${(e as Error).message}`,
      line === undefined ? {} : { line },
    );
  }
  const first = parsed[0];
  if (first === undefined) throw new ExportError('INVALID_FILE', 'the file is empty: it has no header row (文件为空，缺少表头)');
  const header = first.record;
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new ExportError('INVALID_FILE', `the header names column ${JSON.stringify(name)} twice (表头重复)`, { line: 1, column: name });
    seen.add(name);
  }
  const rows: string[][] = [];
  let previous = first.info;
  for (let i = 1; i < parsed.length; i++) {
    const { record, info } = parsed[i] as ParsedRecord;
    if (record.length !== header.length) {
      // A quoted field may span lines: report the line the record starts on.
      const line = previous.lines + 1 + (info.empty_lines - previous.empty_lines);
      throw new ExportError(
        'INVALID_FILE',
        `line ${line} has ${record.length} field${record.length === 1 ? '' : 's'}, the header ${header.length} (第 ${line} 行字段数与表头不一致)`,
        { line, fields: record.length, expected: header.length },
      );
    }
    rows.push(record);
    previous = info;
  }
  return { encoding, header, rows };
}
