/**
 * The reconciliation page's files: the detail file read in the browser (a CSV as base64 of its bytes,
 * so GBK survives JSON; 3202's TXT as text), and an INVALID_FILE refusal said in the page's language.
 */
import type { ApiError } from '../../api';
import { r, type RKey, rOr } from '../reconciliations-i18n';

/** The largest body the service takes for a reconciliation (64 MiB); base64 makes a file 4/3 larger. */
const BODY_LIMIT = 64 * 1024 * 1024;

/** Base64 of bytes, a chunk at a time (String.fromCharCode with a spread is bounded by the stack). */
export function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The file as the API's body takes it: base64 of a CSV's bytes, the text of 3202's file. Null when too large. */
export async function fileBody(file: File, format: 'csv' | '3202'): Promise<string | null> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (format === '3202') {
    if (bytes.length > BODY_LIMIT - 4096) return null;
    return new TextDecoder('utf-8').decode(bytes);
  }
  if (Math.ceil(bytes.length / 3) * 4 > BODY_LIMIT - 4096) return null;
  return base64Of(bytes);
}

/** The format a file's name suggests (.txt → 3202, .csv → csv), or null. */
export function formatOfName(name: string): 'csv' | '3202' | null {
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.txt$/i.test(name)) return '3202';
  return null;
}

/** The problems of a cell the service names (its message in English), said in words. */
const PROBLEMS: [RegExp, RKey][] = [
  [/is not an amount/, 'problemAmount'],
  [/must not be empty/, 'problemEmpty'],
  [/is not a refund flag/, 'problemFlag'],
  [/characters long/, 'problemLong'],
  [/tab or a line break/, 'problemBreak'],
  [/neither UTF-8 nor GBK|not valid UTF-8/, 'problemEncoding'],
  [/is not valid CSV/, 'problemCsv'],
  [/is not base64/, 'problemBase64'],
  [/has \d+ cells/, 'problemCells'],
  [/more than \d+ rows/, 'problemRows'],
  [/is empty/, 'problemEmptyFile'],
];

/**
 * An INVALID_FILE refusal in words: where (the line, the column and its field, as the service's
 * message names them: `line 3, column 4 medfee_sumamt (医疗费总额): …`) and what is wrong; the
 * service's own message is shown beneath by the page.
 */
export function fileProblem(e: ApiError): string {
  const missing = (e as ApiError & { missing?: unknown[] }).missing?.filter((f): f is string => typeof f === 'string');
  if (missing && missing.length > 0) return r('fileMissing', { names: missing.map((f) => rOr(`fieldLabel_${f}`, f)).join('、') });
  const place = /\bline (\d+)(?:, column (\d+)(?: (\w+))?)?/.exec(e.message);
  let where = '';
  if (place) {
    where = r('fileError', { line: place[1] ?? '' });
    if (place[2]) where += r('fileColumn', { column: place[2] });
    if (place[3]) where += `（${rOr(`fieldLabel_${place[3]}`, place[3])}）`;
  }
  const problem = PROBLEMS.find(([re]) => re.test(e.message));
  const what = problem ? r(problem[1]) : r('fileUnreadable');
  return where ? `${where}：${what}` : what;
}
