/**
 * The export formats (导出格式) a report is offered in, and the one function that renders tables
 * into any of them: the service and the command line call {@link render} and send or write its
 * body, with its content type and file extension.
 *
 * - `json`: `{ "<table name>": [row, …], … }`, each row an object keyed by the columns' keys, in
 *   column order; fen as numbers of yuan (`12.35`, exact: toYuanNumber), dates `YYYY-MM-DD`,
 *   date-times ISO with `+08:00`, null as null. UTF-8, no BOM.
 * - `csv`: one table, UTF-8 with a BOM ({@link toCsv}).
 * - `csv-gbk`: one table, GBK, for Excel on Chinese Windows ({@link toCsv}).
 * - `xlsx`: every table, one sheet each ({@link toXlsx}).
 */
import { toCsv } from './csv.js';
import { type CellValue, cellJson, checkTables, ExportError, type Table } from './table.js';
import { toXlsx } from './xlsx.js';

export const EXPORT_FORMATS = ['json', 'csv', 'csv-gbk', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Whether a string names an export format (for a query parameter or a command-line option). */
export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

const CONTENT_TYPE: Readonly<Record<ExportFormat, string>> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  'csv-gbk': 'text/csv; charset=gbk',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const EXTENSION: Readonly<Record<ExportFormat, string>> = { json: 'json', csv: 'csv', 'csv-gbk': 'csv', xlsx: 'xlsx' };

/** The HTTP Content-Type of a format, with its charset for text. */
export function contentTypeOf(format: ExportFormat): string {
  return CONTENT_TYPE[format];
}

/** The file name extension of a format, without the dot: `json`, `csv` (both CSVs) or `xlsx`. */
export function fileExtension(format: ExportFormat): string {
  return EXTENSION[format];
}

/** A rendered export: the file's bytes, its Content-Type and its extension. */
export interface Rendered {
  body: Buffer;
  contentType: string;
  extension: string;
}

/**
 * Tables as JSON values: `{ [table.name]: rows }`, each row keyed by the columns' keys (only the
 * columns', in their order), cells as {@link cellJson} gives them.
 */
export function toJsonValue(tables: readonly Table[]): Record<string, Record<string, CellValue>[]> {
  checkTables(tables);
  return Object.fromEntries(
    tables.map((table) => [table.name, table.rows.map((row, rowIndex) => Object.fromEntries(table.columns.map((column) => [column.key, cellJson(column, row, rowIndex)])))]),
  );
}

/**
 * Tables in an export format.
 *
 * @throws ExportError INVALID_INPUT for no tables, or for CSV given other than exactly one table
 *   (a CSV file holds one table: pass the one wanted, or ask for XLSX); INVALID_FILE when GBK
 *   cannot write a character; and what {@link toCsv} and {@link toXlsx} throw.
 */
export async function render(tables: readonly Table[], format: ExportFormat): Promise<Rendered> {
  if (tables.length === 0) throw new ExportError('INVALID_INPUT', 'nothing to export: no tables');
  const done = (body: Buffer): Rendered => ({ body, contentType: contentTypeOf(format), extension: fileExtension(format) });
  switch (format) {
    case 'json':
      return done(Buffer.from(`${JSON.stringify(toJsonValue(tables), null, 2)}\n`, 'utf8'));
    case 'csv':
    case 'csv-gbk': {
      const [table, ...more] = tables;
      if (table === undefined || more.length > 0) {
        const names = tables.map((t) => JSON.stringify(t.name)).join(', ');
        throw new ExportError('INVALID_INPUT', `a CSV file holds one table, got ${tables.length} (${names}): choose one, or export as xlsx (CSV 只能导出一张表)`, {
          tables: tables.map((t) => t.name),
        });
      }
      return done(toCsv(table, { encoding: format === 'csv' ? 'utf8-bom' : 'gbk' }));
    }
    case 'xlsx':
      return done(await toXlsx(tables));
  }
}
