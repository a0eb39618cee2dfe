/**
 * Reports (报表) on the command line: tables drawn for a terminal with their Chinese headers, and
 * the files (JSON, CSV UTF-8 with BOM or GBK, XLSX: src/export) written to `--out FILE`. A binary
 * format (csv, csv-gbk, xlsx) is never written to stdout unless asked with `--out -`, so that a
 * terminal does not receive a spreadsheet's bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { EXPORT_FORMATS, isExportFormat, render, type ExportFormat } from '../export/formats.js';
import { cellText, type Table } from '../export/table.js';
import { displayWidth } from '../export/xlsx.js';
import { RequestError } from '../request/settle-request.js';
import { pathIn, UsageError, type Io } from './io.js';

/** What `--format` may name for a report: a table for the terminal, or an export format. */
export type ReportFormat = 'table' | ExportFormat;
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', ...EXPORT_FORMATS];

const pad = (text: string, width: number, right: boolean) => {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
};

/**
 * A table as a terminal shows it: its name, the header and the rows aligned by display width
 * (a Chinese character is two columns), amounts as yuan with two places right-aligned.
 *
 * @example textTable({ name: '清算单', columns: [{ key: 'p', header: '清算期', kind: 'text' }], rows: [{ p: '2024-03' }] })
 *   // '清算单\n  清算期 \n  2024-03\n'
 */
export function textTable(table: Table, options: { title?: string | false } = {}): string {
  const cells = table.rows.map((row, i) => table.columns.map((c) => cellText(c, row, i)));
  const widths = table.columns.map((c, j) => Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[j] as string))));
  const right = table.columns.map((c) => c.kind === 'fen' || c.kind === 'count');
  const line = (texts: string[]) => `  ${texts.map((t, j) => pad(t, widths[j] as number, right[j] as boolean)).join('  ')}`.trimEnd();
  const out = [...(options.title === false ? [] : [options.title ?? `${table.name}（${table.rows.length} 行）`]), line(table.columns.map((c) => c.header)), ...cells.map(line)];
  return `${out.join('\n')}\n`;
}

/** Two columns of labels and values (a summary), aligned. */
export function pairs(rows: readonly [string, string][]): string {
  const width = Math.max(0, ...rows.map(([k]) => displayWidth(k)));
  return rows.map(([k, v]) => `  ${pad(k, width, false)}  ${v}`).join('\n') + '\n';
}

/** The export format a file name's extension suggests (`.xlsx`, `.json`, `.csv` as UTF-8), if any. */
export function formatOfFile(file: string): ExportFormat | undefined {
  const ext = extname(file).toLowerCase();
  return ext === '.xlsx' ? 'xlsx' : ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : undefined;
}

/**
 * The report format of `--format`, else the one `--out`'s extension suggests, else a table.
 *
 * @throws UsageError for a format that is not one.
 */
export function reportFormat(format: string | undefined, out: string | undefined): ReportFormat {
  if (format === undefined) return (out !== undefined && out !== '-' && formatOfFile(out)) || 'table';
  if (format === 'table' || isExportFormat(format)) return format;
  throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(' | ')}, got ${JSON.stringify(format)}`);
}

/** Bytes to stdout: the Io's byte writer, else (UTF-8 formats only) as text. */
function writeStdout(io: Io, body: Buffer, format: ExportFormat): void {
  if (io.stdoutBytes) io.stdoutBytes(body);
  else if (format === 'json' || format === 'csv') io.stdout(body.toString('utf8'));
  else throw new UsageError(`--format ${format} cannot be written to this stdout; give --out FILE`);
}

/** Writes a file the user named; one that cannot be written is their input (exit 2). */
export function writeOut(io: Io, out: string, body: Buffer | string): void {
  try {
    writeFileSync(pathIn(io, out), body);
  } catch (e) {
    throw new RequestError([`--out ${out}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
}

/**
 * Writes tables in an export format: to `out` (a file, or `-` for stdout), or, for JSON only, to
 * stdout when `out` is absent. Says on stderr what was written.
 *
 * @throws UsageError for csv/csv-gbk/xlsx without `out` (binary is not sent to a terminal).
 */
export async function writeExport(io: Io, tables: readonly Table[], format: ExportFormat, out: string | undefined, option = '--format'): Promise<void> {
  if (out === undefined && format !== 'json') {
    throw new UsageError(`${option} ${format} writes a file: give --out FILE (or --out - to send it to stdout)`);
  }
  const rendered = await render(tables, format);
  if (out === undefined || out === '-') return writeStdout(io, rendered.body, format);
  writeOut(io, out, rendered.body);
  const rows = tables.map((t) => `${t.name} ${t.rows.length} 行`).join('，');
  io.stderr(`已写入 ${out}（${format}，${rows}）/ written\n`);
}

/**
 * Prints tables as the format asks: drawn for the terminal (or into `out` as that text), or
 * exported ({@link writeExport}).
 */
export async function emitTables(io: Io, tables: readonly Table[], format: ReportFormat, out: string | undefined, before = ''): Promise<void> {
  if (format !== 'table') return writeExport(io, tables, format, out);
  const text = before + tables.map((t) => textTable(t)).join('\n');
  if (out === undefined || out === '-') io.stdout(text);
  else {
    writeOut(io, out, text);
    io.stderr(`已写入 ${out}（文本表格）/ written\n`);
  }
}

/** A file's bytes (stdin for `-`); one that cannot be read is invalid input. */
export async function readBytes(file: string, io: Io): Promise<Buffer> {
  if (file === '-') return io.readStdinBytes ? io.readStdinBytes() : Buffer.from(await io.readStdin(), 'utf8');
  try {
    return readFileSync(pathIn(io, file));
  } catch (e) {
    throw new RequestError([`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
}
