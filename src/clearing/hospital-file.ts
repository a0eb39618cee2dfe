/**
 * A hospital's own export of its settlements (医院结算明细), the detail a reconciliation (对账)
 * compares with the ledger when the institution does not send 3202's TXT. The CSV is decoded and
 * split elsewhere (UTF-8 or GBK); this module maps its header to the fields of 表150 and reads the
 * rows into detail rows, amounts in fen.
 *
 * A column is known by the national field name (`setl_id`, any case) or its Chinese name (结算ID,
 * 就诊ID, 人员编号, 医疗费总额, 基金支付总额, 个人账户支出 or 个人账户支付金额, 退费结算标志), with
 * surrounding spaces and a unit suffix `（元）` / `(元)` ignored. Other columns are ignored. The refund
 * flag reads 0/1 or 否/是; a reverse row's amounts may carry a minus sign.
 */
import type { DetailRow } from './detail.js';
import { type CellPlace, DETAIL_FIELD_NAMES, DETAIL_FIELDS, type DetailField, DetailFileError, DEFAULT_MAX_ROWS, readAmount, readId, readRefundFlag } from './national-file.js';

/** A CSV already decoded and split: its header and its data rows. */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** The headers each field is known by besides its national name (normalised: no spaces, no unit, ASCII lower case). */
const ALIASES: Readonly<Record<DetailField, readonly string[]>> = {
  setl_id: ['结算id'],
  mdtrt_id: ['就诊id'],
  psn_no: ['人员编号'],
  medfee_sumamt: ['医疗费总额'],
  fund_pay_sumamt: ['基金支付总额'],
  acct_pay: ['个人账户支出', '个人账户支付金额'],
  refd_setl_flag: ['退费结算标志'],
};

const BY_HEADER: ReadonlyMap<string, DetailField> = new Map(DETAIL_FIELDS.flatMap((f) => [f, ...ALIASES[f]].map((h) => [h, f] as const)));

/** A header cell as matched: BOM, spaces (also full-width) and a `（元）`/`(元)` unit dropped, ASCII lower-cased. */
export function normaliseHeader(cell: string): string {
  return cell
    .replace(/^\uFEFF/, '')
    .replace(/[\s\u3000]+/g, '')
    .replace(/[（(]元[）)]$/, '')
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * The column of each field of 表150 in a hospital's header.
 *
 * @throws DetailFileError (INVALID_FILE) naming a required column that is missing, or a field two
 *   columns claim.
 */
export function mapHospitalHeader(header: readonly string[]): Record<DetailField, number> {
  const found = new Map<DetailField, number>();
  header.forEach((cell, i) => {
    const field = BY_HEADER.get(normaliseHeader(cell));
    if (!field) return;
    const before = found.get(field);
    if (before !== undefined) {
      throw new DetailFileError(
        `header: columns ${before + 1} (${JSON.stringify(header[before])}) and ${i + 1} (${JSON.stringify(cell)}) both give ${field} (${DETAIL_FIELD_NAMES[field]}); keep one`,
        { line: 1, column: i + 1, field },
      );
    }
    found.set(field, i);
  });
  const missing = DETAIL_FIELDS.filter((f) => !found.has(f));
  if (missing.length > 0) {
    const names = missing.map((f) => `${f} (${DETAIL_FIELD_NAMES[f]})`).join(', ');
    throw new DetailFileError(`header: missing the column${missing.length === 1 ? '' : 's'} ${names}`, { line: 1, missing });
  }
  return Object.fromEntries(found) as Record<DetailField, number>;
}

/**
 * Reads a hospital's export into detail rows. Lines are counted with the header as line 1 (a CSV
 * whose cells hold line breaks counts records, not physical lines). Rows whose cells are all blank
 * are skipped.
 *
 * @example readHospitalFile({ header: ['结算ID', '就诊ID', '人员编号', '医疗费总额（元）', '基金支付总额', '个人账户支出', '退费结算标志'],
 *   rows: [['S1', 'M1', 'P1', '123.45', '100', '3.45', '否']] })
 *   // [{ setl_id: 'S1', …, medfee_sumamt: 12345, fund_pay_sumamt: 10000, acct_pay: 345, refd_setl_flag: '0' }]
 * @throws DetailFileError (INVALID_FILE) naming the line and column of a missing column, an empty
 *   or over-long id, a bad amount or flag, or more than `maxRows` rows.
 */
export function readHospitalFile(table: CsvTable, options: { maxRows?: number } = {}): DetailRow[] {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const columns = mapHospitalHeader(table.header);
  const out: DetailRow[] = [];
  table.rows.forEach((cells, i) => {
    const line = i + 2;
    if (cells.every((c) => c.trim() === '')) return;
    if (out.length >= maxRows) throw new DetailFileError(`line ${line}: the file has more than ${maxRows} rows`, { line, maxRows });
    const cell = (field: DetailField): [string, CellPlace] => {
      const column = columns[field];
      const place: CellPlace = { line, column: column + 1, field, label: DETAIL_FIELD_NAMES[field] };
      const text = cells[column];
      if (text === undefined)
        throw new DetailFileError(`line ${line}: has ${cells.length} cells; column ${column + 1} ${field} (${DETAIL_FIELD_NAMES[field]}) is missing`, {
          line,
          column: column + 1,
          field,
        });
      return [text, place];
    };
    out.push({
      setl_id: readId(...cell('setl_id')),
      mdtrt_id: readId(...cell('mdtrt_id')),
      psn_no: readId(...cell('psn_no')),
      medfee_sumamt: readAmount(...cell('medfee_sumamt')),
      fund_pay_sumamt: readAmount(...cell('fund_pay_sumamt')),
      acct_pay: readAmount(...cell('acct_pay')),
      refd_setl_flag: readRefundFlag(...cell('refd_setl_flag'), true),
    });
  });
  return out;
}
