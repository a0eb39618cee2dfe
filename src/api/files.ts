/**
 * Answers as files (导出文件): a route that offers `?format=json|csv|csv-gbk|xlsx` answers JSON by
 * default and, for the other formats, the tables rendered by src/export as an attachment, with its
 * Content-Type and a Content-Disposition naming the file twice (RFC 6266): an ASCII `filename` for
 * old clients and the Chinese name as `filename*=UTF-8''…` (RFC 5987).
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { EXPORT_FORMATS, type ExportFormat, render } from '../export/formats.js';
import type { Table } from '../export/table.js';

/** `?format=`: json (the default, the route's JSON answer), csv (UTF-8 with a BOM), csv-gbk or xlsx. */
export const formatField = z
  .enum(EXPORT_FORMATS, { error: `must be one of ${EXPORT_FORMATS.join(', ')}` })
  .optional()
  .meta({ description: 'json (default: the JSON answer), or a file: csv (UTF-8 with a BOM), csv-gbk (GBK, for Excel on Chinese Windows), xlsx.' });

/** Whether the caller asked for a file rather than the JSON answer. */
export function wantsFile(format: ExportFormat | undefined): format is Exclude<ExportFormat, 'json'> {
  return format !== undefined && format !== 'json';
}

/** RFC 5987's attr-char: what a `filename*` value may carry unencoded. */
function rfc5987(text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The Content-Disposition of an attachment: the ASCII name (characters outside printable ASCII, a
 * quote or a backslash as `_`) and the UTF-8 name percent-encoded.
 *
 * @example contentDisposition('statements-2024-03.csv', '清算单-2024-03.csv')
 *   // attachment; filename="statements-2024-03.csv"; filename*=UTF-8''%E6%B8%85%E7%AE%97%E5%8D%95-2024-03.csv
 */
export function contentDisposition(ascii: string, utf8: string): string {
  const safe = ascii.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${safe}"; filename*=UTF-8''${rfc5987(utf8)}`;
}

/** A file's names without the extension: ASCII (`statements-2024-03`) and Chinese (`清算单-2024-03`). */
export interface FileNames {
  ascii: string;
  chinese: string;
}

/** Sends `tables` as a file of `format` (200). @throws ExportError (INVALID_INPUT, INVALID_FILE: 400) when they cannot be. */
export async function sendTables(reply: FastifyReply, tables: readonly Table[], format: Exclude<ExportFormat, 'json'>, names: FileNames): Promise<FastifyReply> {
  const file = await render(tables, format);
  return reply
    .code(200)
    .header('content-type', file.contentType)
    .header('content-disposition', contentDisposition(`${names.ascii}.${file.extension}`, `${names.chinese}.${file.extension}`))
    .send(file.body);
}
