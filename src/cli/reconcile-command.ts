/**
 * `yibao reconcile`: a reconciliation (对账) of an institution's detail with the ledger, as 3202
 * 医药机构费用结算对明细账 does it: the institution's file — 3202's TXT (表150, tab-separated) or its
 * own CSV export (UTF-8, UTF-8 with BOM or GBK; Chinese or national headers) — against the ledger's
 * entries settled in the span, every difference classified (医保端无此记录, 医院端无此记录,
 * 退费正反记录不全, 金额不一致, 信息不一致, 重复记录). The run is kept in the ledger (the agency reads
 * it back) and audited as the system actor `cli`.
 *
 * Exit codes: 0 balanced (平); 1 not balanced (不平); 2 invalid input: an option, or a file that
 * cannot be read (INVALID_FILE naming its line and column), with nothing written to the ledger.
 */
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import type { DetailRow } from '../clearing/detail.js';
import { readHospitalFile } from '../clearing/hospital-file.js';
import { DetailFileError, formatResultFile, parseDetailFile } from '../clearing/national-file.js';
import { daySpan } from '../clearing/period.js';
import { DIFFERENCE_CLASSES, type DetailReconciliation, type DetailSums, resultFileRows } from '../clearing/reconcile.js';
import { DIFFERENCE_LABELS, differencesTable } from '../clearing/tables.js';
import { SettlementEngine } from '../engine/settle.js';
import { YibaoError } from '../errors.js';
import { decodeCsv, readCsv } from '../export/csv.js';
import { isExportFormat, type ExportFormat } from '../export/formats.js';
import type { Table } from '../export/table.js';
import { Ledger } from '../ledger/ledger.js';
import { loadPolicies } from '../policy/policies.js';
import { isId } from '../request/id.js';
import { CLI_ACTOR } from './clearing-commands.js';
import { EXIT_FAILED, EXIT_OK, UsageError, type Command, type Io } from './io.js';
import { openStore } from './open-store.js';
import { formatOfFile, readBytes, textTable, writeExport, writeOut } from './output.js';

/** The differences the summary shows; --out writes them all. */
export const SHOWN_DIFFERENCES = 50;

const RECONCILE_USAGE = `  yibao reconcile --institution H --from YYYY-MM-DD --to YYYY-MM-DD FILE [--format 3202|csv]
                  [--out FILE] [--out-format json|csv|csv-gbk|xlsx] [--result FILE] [--db PATH|URL] [--json]
      Reconcile (对账) an institution's detail with the ledger's entries settled from --from to --to
      (China days, both included). FILE (or -): 3202's TXT (表150, tab-separated; .txt, .tsv) or the
      hospital's CSV export (.csv; UTF-8, UTF-8 BOM or GBK; Chinese or national headers). Prints the
      count of each class of difference, both sides' sums and the first ${SHOWN_DIFFERENCES} differences; --out writes
      every difference (format from --out-format, else the extension, else csv); --result writes
      3202's result file (表151) for a 3202 FILE. Exit 0 balanced (平), 1 not (不平), 2 bad input.
`;

type FileFormat = '3202' | 'csv';

/** The file's format: --format, else its extension (.txt/.tsv 3202, .csv csv), else a tab in its first line. */
function fileFormat(given: string | undefined, file: string, bytes: Buffer): FileFormat {
  if (given !== undefined) {
    if (given === '3202' || given === 'csv') return given;
    throw new UsageError(`--format must be 3202 (3202's TXT, 表150) or csv (the hospital's export), got ${JSON.stringify(given)}`);
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.txt' || ext === '.tsv') return '3202';
  if (ext === '.csv') return 'csv';
  const end = bytes.indexOf(0x0a);
  return bytes.subarray(0, end < 0 ? bytes.length : end).includes(0x09) ? '3202' : 'csv';
}

/** The file's rows; an unreadable file names itself, its line and column (INVALID_FILE, exit 2). */
function readDetail(format: FileFormat, file: string, bytes: Buffer): { rows: DetailRow[]; encoding: string } {
  try {
    if (format === '3202') {
      const { encoding, text } = decodeCsv(bytes);
      return { rows: parseDetailFile(text), encoding };
    }
    const csv = readCsv(bytes);
    return { rows: readHospitalFile(csv), encoding: csv.encoding };
  } catch (e) {
    if (e instanceof YibaoError && e.code === 'INVALID_FILE') throw new DetailFileError(`${file}: ${e.message}`, e.details);
    throw e;
  }
}

export async function reconcileCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      institution: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'out-format': { type: 'string' },
      result: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError("reconcile needs one FILE (or - for stdin): the institution's 3202 TXT or its CSV export");
  const file = positionals[0] as string;
  const institution = values.institution;
  if (institution === undefined) throw new UsageError('reconcile needs --institution H (the institution whose detail FILE is)');
  if (!isId(institution)) throw new UsageError(`--institution must be an id (1 to 128 printable characters), got ${JSON.stringify(institution)}`);
  if (values.from === undefined || values.to === undefined) throw new UsageError('reconcile needs --from YYYY-MM-DD and --to YYYY-MM-DD (the settlement days, both included)');
  const { from, to } = values as { from: string; to: string };
  daySpan(from, to, ['--from', '--to']);
  let outFormat: ExportFormat | undefined;
  if (values['out-format'] !== undefined) {
    if (!isExportFormat(values['out-format'])) throw new UsageError(`--out-format must be json | csv | csv-gbk | xlsx, got ${JSON.stringify(values['out-format'])}`);
    if (values.out === undefined) throw new UsageError('--out-format goes with --out FILE');
    outFormat = values['out-format'];
  } else if (values.out !== undefined) outFormat = (values.out !== '-' && formatOfFile(values.out)) || 'csv';
  if (values.out === '-' && values.result === '-') throw new UsageError('--out - and --result - cannot both go to stdout');
  // The file is read before the ledger is opened: a bad file writes nothing.
  const bytes = await readBytes(file, io);
  const format = fileFormat(values.format, file, bytes);
  if (values.result !== undefined && format !== '3202') throw new UsageError("--result writes 3202's result file (表151): it goes with a 3202 FILE (--format 3202)");
  const { rows, encoding } = readDetail(format, file, bytes);

  const store = await openStore(values.db, io);
  try {
    const ledger = new Ledger(store, new SettlementEngine(loadPolicies()));
    const { id, result } = await ledger.reconciliations.detail(institution, format === '3202' ? '3202' : 'file', from, to, rows, CLI_ACTOR);
    // When a file goes to stdout (--out -, --result -), the summary goes to stderr.
    const say = values.out === '-' || values.result === '-' ? io.stderr : io.stdout;
    if (values.json) say(`${JSON.stringify(await ledger.reconciliations.get(id, CLI_ACTOR), null, 2)}\n`);
    else {
      const source = `${file}（${format === '3202' ? '3202 对明细账文件（表150）' : '医院结算明细 CSV'}，${encoding === 'gbk' ? 'GBK' : 'UTF-8'}，${rows.length} 行）`;
      say(summaryText(id, institution, from, to, source, result));
    }
    if (values.out !== undefined && outFormat !== undefined) await writeExport(io, [differencesTable(result.differences)], outFormat, values.out, '--out-format');
    if (values.result !== undefined) {
      const text = formatResultFile(resultFileRows(result));
      if (values.result === '-') io.stdout(text);
      else {
        writeOut(io, values.result, text);
        io.stderr(`已写入 ${values.result}（3202 对账结果文件，表151）/ written\n`);
      }
    }
    return result.balanced ? EXIT_OK : EXIT_FAILED;
  } finally {
    await store.close();
  }
}

/** The summary a clerk reads: the result, the count of each class, both sides' sums, the first differences. */
export function summaryText(id: string, institution: string, from: string, to: string, source: string, r: DetailReconciliation): string {
  const t = r.totals;
  const differences = r.differences.length;
  const classes: Table = {
    name: '差异分类',
    columns: [
      { key: 'class', header: '差异类型', kind: 'text' },
      { key: 'count', header: '笔数', kind: 'count' },
    ],
    rows: [...DIFFERENCE_CLASSES.map((c) => ({ class: DIFFERENCE_LABELS[c] ?? c, count: t.byClass[c] })), { class: '一致（对平）', count: t.matched }],
  };
  const side = (s: DetailSums) => ({ count: s.count, medfee: s.medfee_sumamt, fund: s.fund_pay_sumamt, acct: s.acct_pay });
  const h = side(t.hospital);
  const l = side(t.ledger);
  const sums: Table = {
    name: '双方合计',
    columns: [
      { key: 'what', header: '项目', kind: 'text' },
      { key: 'hospital', header: '医院端', kind: 'fen' },
      { key: 'ledger', header: '医保端', kind: 'fen' },
      { key: 'difference', header: '差额', kind: 'fen' },
    ],
    rows: [
      ['medfee', '医疗费总额（元）'],
      ['fund', '基金支付总额（元）'],
      ['acct', '个人账户支出（元）'],
    ].map(([k, what]) => {
      const key = k as 'medfee' | 'fund' | 'acct';
      return { what: what as string, hospital: h[key], ledger: l[key], difference: h[key] - l[key] };
    }),
  };
  const counts = `  笔数：医院端 ${h.count}，医保端 ${l.count}\n`;
  const head =
    `对账 ${id}：机构 ${institution}，结算日期 ${from} 至 ${to}\n` +
    `  医院明细：${source}\n` +
    `结果：${r.balanced ? '平 / balanced' : `不平 / unbalanced（${differences} 项差异）`}\n`;
  const shown = r.differences.slice(0, SHOWN_DIFFERENCES);
  const list =
    differences === 0
      ? ''
      : `\n${textTable(differencesTable(shown), { title: shown.length < differences ? `对账差异（前 ${shown.length} 项，共 ${differences} 项）` : `对账差异（${differences} 项）` })}` +
        (differences > shown.length ? `  … 另有 ${differences - shown.length} 项：--out FILE 写出全部差异\n` : '');
  return `${head}\n${textTable(classes, { title: '差异分类' })}\n${textTable(sums, { title: '双方合计' })}${counts}${list}`;
}

export const RECONCILE_COMMAND: Command = { name: 'reconcile', summary: '对账（3202 明细、医院导出）/ reconcile a hospital file', usage: RECONCILE_USAGE, run: reconcileCommand };
