/**
 * The files of 3202 医药机构费用结算对明细账 (Hunan V1.1.27): TXT, UTF-8, the data items of a row
 * separated by TAB (制表符) in the order of the specification's table, one row per line.
 *
 * - The input file (输入文件, 表150), the detail the institution uploads with 9101: setl_id, mdtrt_id,
 *   psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag.
 * - The output file (输出文件, 表151), the result the centre returns through 9102: psn_no, mdtrt_id,
 *   setl_id, msgid, stmt_rslt, refd_setl_flag, memo, medfee_sumamt, fund_pay_sumamt, acct_pay.
 *
 * Amounts are yuan with at most two decimals; a refund's reverse row (退费结算标志 1) carries its
 * amounts negative, as the ledger keeps them, so a leading minus sign is read. Reading is strict
 * (a wrong column count, a bad amount or flag, an empty or over-long id refuse the file, naming the
 * line and column) and bounded (at most `maxRows` rows), and tolerant of what editors add: a UTF-8
 * BOM, CRLF line ends, trailing newlines, and a header line whose cells are the field names.
 */
import { YibaoError } from '../errors.js';
import { type Fen, formatYuan, MAX_AMOUNT_FEN, parseYuan } from '../money/money.js';
import type { DetailRow, RefundFlag } from './detail.js';

/** A detail or result file that cannot be read or written (INVALID_FILE). */
export class DetailFileError extends YibaoError<'INVALID_FILE'> {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super('INVALID_FILE', message, details);
    this.name = 'DetailFileError';
  }
}

/** The columns of the input file (表150 输入文件参数说明), in the specification's order. */
export const DETAIL_FIELDS = ['setl_id', 'mdtrt_id', 'psn_no', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay', 'refd_setl_flag'] as const;
export type DetailField = (typeof DETAIL_FIELDS)[number];

/** The Chinese names of the input file's columns (表150). */
export const DETAIL_FIELD_NAMES: Readonly<Record<DetailField, string>> = {
  setl_id: '结算ID',
  mdtrt_id: '就诊ID',
  psn_no: '人员编号',
  medfee_sumamt: '医疗费总额',
  fund_pay_sumamt: '基金支付总额',
  acct_pay: '个人账户支出',
  refd_setl_flag: '退费结算标志',
};

/** The columns of the output file (表151 输出文件参数说明), in the specification's order. */
export const RESULT_FIELDS = ['psn_no', 'mdtrt_id', 'setl_id', 'msgid', 'stmt_rslt', 'refd_setl_flag', 'memo', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const;

/** 对账结果 (stmt_rslt, 表384): 0 平, 1 不平. */
export type StatementResult = '0' | '1';

/** A row of the output file (表151), amounts in fen. */
export interface ResultFileRow {
  /** 人员编号. */
  psn_no: string;
  /** 就诊ID (empty when the centre holds several details for the row, 3202 重点说明 7). */
  mdtrt_id: string;
  /** 结算ID (empty likewise). */
  setl_id: string;
  /** 发送方报文ID: the message id of the settlement, for a reversal (冲正). */
  msgid: string;
  stmt_rslt: StatementResult;
  refd_setl_flag: RefundFlag;
  /** 备注 (at most 500 characters; tabs and line breaks become spaces). */
  memo: string;
  medfee_sumamt: Fen;
  fund_pay_sumamt: Fen;
  acct_pay: Fen;
}

/**
 * The longest id read or written, in characters. The specification gives the ids 字符型 30, but
 * the ids are the ledger's: its setl_id is `S-` or `R-` and a UUIDv7 (38 characters, as 2207
 * returned it to the institution), and the visit and person ids it holds are the ones the
 * institution sent, up to yibao's id rule of 128 (src/request/id.ts). A file naming them is read.
 */
export const ID_MAX_LENGTH = 128;
/** The length of a result row's memo (备注 字符型 500). */
export const MEMO_MAX_LENGTH = 500;
/** The default bound on a detail file's rows. */
export const DEFAULT_MAX_ROWS = 1_000_000;

/** Where a cell is, for an error message: `line 3, column 4 medfee_sumamt (医疗费总额)`. */
export interface CellPlace {
  /** The line (1-based, counting a header) or, when writing, the row. */
  line: number;
  /** The column, 1-based. */
  column: number;
  field: string;
  /** The field's Chinese name, when it has one. */
  label?: string;
  /** 'line' (a file being read; the default) or 'row' (rows being written). */
  unit?: 'line' | 'row';
}

function placeText(p: CellPlace): string {
  return `${p.unit ?? 'line'} ${p.line}, column ${p.column} ${p.field}${p.label ? ` (${p.label})` : ''}`;
}

/** Refuses a cell: a DetailFileError naming its line and column. */
export function cellError(p: CellPlace, problem: string): DetailFileError {
  return new DetailFileError(`${placeText(p)}: ${problem}`, { [p.unit ?? 'line']: p.line, column: p.column, field: p.field });
}

/** An id cell (结算ID, 就诊ID, 人员编号): trimmed, not empty, at most {@link ID_MAX_LENGTH} characters, no tab or line break. */
export function readId(text: string, p: CellPlace): string {
  const id = text.trim();
  if (id === '') throw cellError(p, 'must not be empty');
  if (/[\t\r\n]/.test(id)) throw cellError(p, 'must not contain a tab or a line break');
  const length = [...id].length;
  if (length > ID_MAX_LENGTH) throw cellError(p, `is ${length} characters long; at most ${ID_MAX_LENGTH} are read`);
  return id;
}

/** An amount cell: yuan with at most two decimals, a leading minus for a reverse row's amounts → fen. */
export function readAmount(text: string, p: CellPlace): Fen {
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  let fen: Fen;
  try {
    fen = parseYuan(negative ? trimmed.slice(1) : trimmed);
  } catch (e) {
    const why = e instanceof YibaoError ? e.message : String(e);
    throw cellError(p, `${JSON.stringify(trimmed)} is not an amount in yuan (${why})`);
  }
  return negative && fen !== 0 ? -fen : fen;
}

/** A refund flag cell (退费结算标志, 表397): 0 否, 1 是; `names` also reads 否/是. */
export function readRefundFlag(text: string, p: CellPlace, names = false): RefundFlag {
  const t = text.trim();
  if (t === '0' || t === '1') return t;
  if (names && t === '否') return '0';
  if (names && t === '是') return '1';
  throw cellError(p, `${JSON.stringify(t)} is not a refund flag: 0 (否) or 1 (是)`);
}

/** The lines of a text without a BOM, CRLF or LF, trailing empty lines dropped: [line number, text]. */
function* linesOf(text: string): Generator<[number, string]> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let end = body.length;
  while (end > 0 && (body[end - 1] === '\n' || body[end - 1] === '\r')) end--;
  if (end === 0) return;
  let start = 0;
  let n = 1;
  while (start <= end) {
    let nl = body.indexOf('\n', start);
    if (nl < 0 || nl > end) nl = end;
    const line = body.slice(start, nl);
    yield [n, line.endsWith('\r') ? line.slice(0, -1) : line];
    start = nl + 1;
    n++;
  }
}

function isHeader(cells: string[]): boolean {
  return cells[0]?.trim() === DETAIL_FIELDS[0];
}

/**
 * Reads the input file of 3202 (表150) into detail rows, amounts in fen.
 *
 * @example parseDetailFile('S1\tM1\tP1\t123.45\t100.00\t3.45\t0\n')
 *   // [{ setl_id: 'S1', mdtrt_id: 'M1', psn_no: 'P1', medfee_sumamt: 12345, fund_pay_sumamt: 10000, acct_pay: 345, refd_setl_flag: '0' }]
 * @throws DetailFileError (INVALID_FILE) naming the line and column: a row without 7 columns, an
 *   empty line inside the file, an empty id or one over 128 characters, an amount that is not yuan
 *   with two decimals, a flag other than 0/1, a header that is not the field names in order, more
 *   than `maxRows` rows.
 */
export function parseDetailFile(text: string, options: { maxRows?: number } = {}): DetailRow[] {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const rows: DetailRow[] = [];
  for (const [n, line] of linesOf(text)) {
    if (line.trim() === '') throw new DetailFileError(`line ${n}: empty line inside the file`, { line: n });
    const cells = line.split('\t');
    if (n === 1 && isHeader(cells)) {
      if (cells.length !== DETAIL_FIELDS.length || cells.some((c, i) => c.trim() !== DETAIL_FIELDS[i])) {
        throw new DetailFileError(`line 1: a header must be the field names in order, ${DETAIL_FIELDS.join(' ')}, separated by tabs`, { line: 1 });
      }
      continue;
    }
    if (cells.length !== DETAIL_FIELDS.length) {
      throw new DetailFileError(
        `line ${n}: has ${cells.length} column${cells.length === 1 ? '' : 's'}; a row has ${DETAIL_FIELDS.length} separated by tabs (${DETAIL_FIELDS.join(', ')})`,
        {
          line: n,
        },
      );
    }
    if (rows.length >= maxRows) throw new DetailFileError(`line ${n}: the file has more than ${maxRows} rows`, { line: n, maxRows });
    const at = (i: number): CellPlace => {
      const field = DETAIL_FIELDS[i] as DetailField;
      return { line: n, column: i + 1, field, label: DETAIL_FIELD_NAMES[field] };
    };
    const c = cells as [string, string, string, string, string, string, string];
    rows.push({
      setl_id: readId(c[0], at(0)),
      mdtrt_id: readId(c[1], at(1)),
      psn_no: readId(c[2], at(2)),
      medfee_sumamt: readAmount(c[3], at(3)),
      fund_pay_sumamt: readAmount(c[4], at(4)),
      acct_pay: readAmount(c[5], at(5)),
      refd_setl_flag: readRefundFlag(c[6], at(6)),
    });
  }
  return rows;
}

function writeAmount(fen: Fen, p: CellPlace): string {
  if (!Number.isSafeInteger(fen) || Math.abs(fen) > MAX_AMOUNT_FEN) throw cellError(p, `${fen} is not an amount in fen within ±${formatYuan(MAX_AMOUNT_FEN)} yuan`);
  return formatYuan(fen);
}

function writeId(id: string, p: CellPlace): string {
  if (readId(id, p) !== id) throw cellError(p, 'must not begin or end with spaces');
  return id;
}

/**
 * Writes detail rows as the input file of 3202 (表150): one tab-separated line per row, each
 * ending in LF, amounts in yuan with two decimals, no header. `parseDetailFile` reads it back.
 *
 * @throws DetailFileError naming the row and column of a value the file cannot carry.
 */
export function formatDetailFile(rows: readonly DetailRow[]): string {
  let out = '';
  rows.forEach((r, i) => {
    const at = (column: number): CellPlace => {
      const field = DETAIL_FIELDS[column] as DetailField;
      return { line: i + 1, column: column + 1, field, label: DETAIL_FIELD_NAMES[field], unit: 'row' };
    };
    const flag = r.refd_setl_flag;
    if (flag !== '0' && flag !== '1') throw cellError(at(6), `${JSON.stringify(flag)} is not a refund flag: 0 or 1`);
    const cells = [
      writeId(r.setl_id, at(0)),
      writeId(r.mdtrt_id, at(1)),
      writeId(r.psn_no, at(2)),
      writeAmount(r.medfee_sumamt, at(3)),
      writeAmount(r.fund_pay_sumamt, at(4)),
      writeAmount(r.acct_pay, at(5)),
      flag,
    ];
    out += `${cells.join('\t')}\n`;
  });
  return out;
}

/** A memo as the output file carries it: tabs and line breaks as spaces, at most 500 characters. */
export function memoCell(memo: string): string {
  const flat = memo.replace(/[\t\r\n]+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= MEMO_MAX_LENGTH ? flat : `${chars.slice(0, MEMO_MAX_LENGTH - 1).join('')}…`;
}

/**
 * Writes the output file of 3202 (表151): one tab-separated line per result, each ending in LF,
 * amounts in yuan with two decimals. The ids may be empty (重点说明 7); the memo is flattened to one
 * line of at most 500 characters.
 *
 * @throws DetailFileError naming the row and column of a value the file cannot carry.
 */
export function formatResultFile(results: readonly ResultFileRow[]): string {
  let out = '';
  results.forEach((r, i) => {
    const at = (field: (typeof RESULT_FIELDS)[number]): CellPlace => ({ line: i + 1, column: RESULT_FIELDS.indexOf(field) + 1, field, unit: 'row' });
    for (const field of ['psn_no', 'mdtrt_id', 'setl_id', 'msgid'] as const) {
      const v = r[field];
      if (/[\t\r\n]/.test(v)) throw cellError(at(field), 'must not contain a tab or a line break');
      if ([...v].length > ID_MAX_LENGTH) throw cellError(at(field), `is longer than ${ID_MAX_LENGTH} characters`);
    }
    if (r.psn_no === '') throw cellError(at('psn_no'), 'must not be empty');
    if (r.stmt_rslt !== '0' && r.stmt_rslt !== '1') throw cellError(at('stmt_rslt'), `${JSON.stringify(r.stmt_rslt)} is not a result: 0 (平) or 1 (不平)`);
    if (r.refd_setl_flag !== '0' && r.refd_setl_flag !== '1') throw cellError(at('refd_setl_flag'), `${JSON.stringify(r.refd_setl_flag)} is not a refund flag: 0 or 1`);
    const cells = [
      r.psn_no,
      r.mdtrt_id,
      r.setl_id,
      r.msgid,
      r.stmt_rslt,
      r.refd_setl_flag,
      memoCell(r.memo),
      writeAmount(r.medfee_sumamt, at('medfee_sumamt')),
      writeAmount(r.fund_pay_sumamt, at('fund_pay_sumamt')),
      writeAmount(r.acct_pay, at('acct_pay')),
    ];
    out += `${cells.join('\t')}\n`;
  });
  return out;
}
