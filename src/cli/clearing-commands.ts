/**
 * `yibao clearing …`: the agency's month (月度清算) in the ledger (--db, as for the other ledger
 * commands). The clearing registry (清算登记: paying centres 医保中心, counties and districts 县区,
 * each institution's district and paying centre, remitted funds 上解资金), closing a month into
 * statements (清算单), and reading them back: the statements, one statement whole, and the month's
 * report per paying centre and per district (洛医保〔2023〕63号 三(二)、三(三)). The command line
 * acts as the system actor `cli`; every change is in the audit log.
 *
 * Exit codes: 0 done (a month closed, or closed before: 已清算); 1 refused (PERIOD_NOT_ENDED,
 * EARLIER_PERIOD_OPEN, NO_PAYING_CENTRE, PAYING_CENTRE_RULE, NOT_FOUND, IDEMPOTENCY_CONFLICT):
 * `{ "error": … }` on stdout and the reason on stderr; 2 invalid input (a period, a file, an
 * option), named on stderr, nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { CENTRE_LEVEL_LABELS, type CentreBasis, DISTRICT_LEVEL_LABELS, type CentreLevel, type DistrictLevel } from '../clearing/centres.js';
import { parsePeriod } from '../clearing/period.js';
import { centresTable, districtsTable, statementsTable, statementTables } from '../clearing/tables.js';
import { SettlementEngine } from '../engine/settle.js';
import { exitCodeFor } from '../errors.js';
import type { Table } from '../export/table.js';
import type { CloseResult } from '../ledger/clearing.js';
import { LedgerError } from '../ledger/errors.js';
import { Ledger, type Actor } from '../ledger/ledger.js';
import { loadPolicies } from '../policy/policies.js';
import { id, isId } from '../request/id.js';
import { decodeCursor, PAGE_MAX } from '../request/page.js';
import { parseCentre, parseDistrict, parseInstitutionClearing, parseRemittance } from '../request/clearing-request.js';
import { RequestError } from '../request/settle-request.js';
import { formatIssues } from '../policy/schema.js';
import { EXIT_INVALID, EXIT_OK, pathsIn, printJson, printRefusal, readJson, UsageError, type Command, type Io } from './io.js';
import { openStore } from './open-store.js';
import { commandReplicaTarget, openReplica } from './read-replica.js';
import { emitTables, pairs, reportFormat, textTable, writeExport, writeOut, type ReportFormat } from './output.js';

/** The command line acts as the system (as its audited reads do). */
export const CLI_ACTOR: Actor = { id: 'cli', role: 'system' };

const CLEARING_USAGE = `  yibao clearing centres [set FILE] [--db PATH|URL] [--json]
      The paying centres (医保中心); set: { id, name, level: city|county, region, district? }.
  yibao clearing districts [set FILE] [--db PATH|URL] [--json]
      The counties and districts (县区); set: { code, name, region, level: county|urban }.
  yibao clearing institutions [set FILE] [--db PATH|URL] [--json]
      Each institution's district and paying centre, with the rule that names it (洛医保〔2023〕63号
      三(二)); set: { institution, district, centre? } (FILE may be -).
  yibao clearing close --period YYYY-MM [--db PATH|URL] [--json]
      Close a month into statements per institution and paying centre, once; closing it again
      answers the first close (已清算). Exit 1: not ended, an earlier month open, no paying centre.
  yibao clearing periods [--db PATH|URL] [--json]
      The closed months and the first open one.
  yibao clearing rollup [--db PATH|URL] [--json]
      Day-end (日结): sum every China day that has ended and is not summed yet, once; run it each
      night (cron), so that a month's close adds up its days instead of reading a month of entries.
  yibao clearing statements [--period P] [--institution H] [--centre C] [--format F] [--out FILE]
      Every statement (清算单) matching; F: table (default) | json | csv | csv-gbk | xlsx.
  yibao clearing statement PERIOD INSTITUTION [--format F] [--table classes|funds] [--out FILE]
      One statement: its text, classes (险种 × 清算类别), funds, deposits and what is missing.
  yibao clearing report --period P [--format F] [--table centres|districts] [--out FILE]
      What each paying centre owes, and the districts' remitted funds against what was paid (三(三)).
  yibao clearing remit FILE [--db PATH|URL] [--json]
      Record remitted funds (上解资金): { id, district, period, amount (yuan), remittedOn, note? }.
  csv, csv-gbk and xlsx are written to --out FILE (--out - for stdout); csv holds one table
  (--table), xlsx one sheet a table. [--policy-file F]... as for settle. statements and report
  take [--read-db URL]: read them on a PostgreSQL read replica of the ledger (a moment behind it):
  docs/operations.md.
`;

/** The options each subcommand takes besides --db and --policy-file. */
const OPTIONS: Record<string, readonly string[]> = {
  centres: ['json'],
  districts: ['json'],
  institutions: ['json'],
  close: ['json', 'period'],
  periods: ['json'],
  rollup: ['json'],
  statements: ['period', 'institution', 'centre', 'format', 'out', 'read-db'],
  statement: ['format', 'table', 'out'],
  report: ['period', 'format', 'table', 'out', 'read-db'],
  remit: ['json'],
};

type Run = (ledger: Ledger) => Promise<number>;

export async function clearingCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'read-db': { type: 'string' },
      json: { type: 'boolean' },
      period: { type: 'string' },
      institution: { type: 'string' },
      centre: { type: 'string' },
      format: { type: 'string' },
      table: { type: 'string' },
      out: { type: 'string' },
      'policy-file': { type: 'string', multiple: true },
    },
  });
  const [sub, ...rest] = positionals;
  const allowed = OPTIONS[sub ?? ''];
  if (sub === undefined || allowed === undefined) {
    throw new UsageError(`clearing needs a command: ${Object.keys(OPTIONS).join(' | ')}${sub === undefined ? '' : ` (got ${JSON.stringify(sub)})`}`);
  }
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && k !== 'db' && k !== 'policy-file' && !allowed.includes(k)) throw new UsageError(`--${k} does not go with clearing ${sub}`);
  }
  const policies = loadPolicies({ policyFiles: pathsIn(io, values['policy-file']) ?? [] });
  const json = values.json === true;
  // Everything is validated before the ledger is opened: invalid input creates no database.
  let run: Run;
  switch (sub) {
    case 'centres':
    case 'districts':
    case 'institutions':
      run = await registryRun(sub, rest, json, policies, io);
      break;
    case 'close': {
      if (rest.length > 0) throw new UsageError('clearing close takes --period YYYY-MM, no other arguments');
      if (values.period === undefined) throw new UsageError('clearing close needs --period YYYY-MM');
      const period = values.period;
      parsePeriod(period, '--period');
      run = async (ledger) => {
        const r = await ledger.clearing.close(period, CLI_ACTOR);
        if (json) printJson(io, r);
        else io.stdout(closeText(r));
        return EXIT_OK;
      };
      break;
    }
    case 'rollup':
      if (rest.length > 0) throw new UsageError('clearing rollup takes no arguments');
      run = async (ledger) => {
        const r = await ledger.clearing.rollUp();
        if (json) printJson(io, r);
        else io.stdout(`日结：${r.days} 天、${r.entries} 笔结算已汇总 / day-end: ${r.days} days, ${r.entries} entries summed\n`);
        return EXIT_OK;
      };
      break;
    case 'periods':
      if (rest.length > 0) throw new UsageError('clearing periods takes no arguments');
      run = async (ledger) => {
        const closed = await ledger.clearing.periods();
        const firstOpen = await ledger.clearing.firstOpen();
        if (json) printJson(io, { closed, firstOpen });
        else io.stdout(periodsText(closed, firstOpen));
        return EXIT_OK;
      };
      break;
    case 'statements': {
      if (rest.length > 0) throw new UsageError('clearing statements takes options only: --period, --institution, --centre');
      const filter = {
        ...(values.period !== undefined ? { period: periodOption(values.period) } : {}),
        ...(values.institution !== undefined ? { institution: idOption('institution', values.institution) } : {}),
        ...(values.centre !== undefined ? { centre: idOption('centre', values.centre) } : {}),
      };
      const format = reportFormat(values.format, values.out);
      run = async (ledger) => {
        const rows = await allStatements(ledger, filter);
        if (format === 'json') writeJson(io, rows, values.out);
        else if (format === 'table' && rows.length === 0) io.stdout('没有符合条件的清算单 / no statements match (yibao clearing periods)\n');
        else await emitTables(io, [statementsTable(rows)], format, values.out);
        return EXIT_OK;
      };
      break;
    }
    case 'statement': {
      if (rest.length !== 2) throw new UsageError('clearing statement needs PERIOD INSTITUTION');
      const [period, institution] = rest as [string, string];
      parsePeriod(period, 'PERIOD');
      idOption('INSTITUTION', institution);
      const format = reportFormat(values.format, values.out);
      const pick = tableChoice(values.table, format, ['classes', 'funds']);
      run = async (ledger) => {
        const body = await ledger.clearing.statement(CLI_ACTOR, period, institution);
        const tables = statementTables(body);
        if (format === 'json') writeJson(io, body, values.out);
        else if (format === 'table') await emitTables(io, tables, 'table', values.out, statementText(body));
        else await writeExport(io, pick === undefined ? tables : [tables[pick === 'classes' ? 0 : 1] as Table], format, values.out);
        return EXIT_OK;
      };
      break;
    }
    case 'report': {
      if (rest.length > 0) throw new UsageError('clearing report takes --period YYYY-MM, no other arguments');
      if (values.period === undefined) throw new UsageError('clearing report needs --period YYYY-MM');
      const period = values.period;
      parsePeriod(period, '--period');
      const format = reportFormat(values.format, values.out);
      const pick = tableChoice(values.table, format, ['centres', 'districts']);
      run = async (ledger) => {
        const centres = await ledger.analysis.clearing.centreStatements(period);
        const districts = await ledger.analysis.clearing.districtClearing(period);
        const tables = [centresTable(centres), districtsTable(districts)];
        if (format === 'json') writeJson(io, { period, centres, districts }, values.out);
        else if (format === 'table') {
          const text = (rows: { text: string }[]) => rows.map((r) => `  ${r.text}\n`).join('');
          const body = `${textTable(tables[0] as Table)}${text(centres)}\n${textTable(tables[1] as Table)}${text(districts)}`;
          if (values.out === undefined || values.out === '-') io.stdout(body);
          else writeOut(io, values.out, body);
        } else await writeExport(io, pick === undefined ? tables : [tables[pick === 'centres' ? 0 : 1] as Table], format, values.out);
        return EXIT_OK;
      };
      break;
    }
    default: {
      if (rest.length !== 1) throw new UsageError('clearing remit needs one FILE (or - for stdin)');
      const r = parseRemittance(await readJson(rest[0] as string, io));
      run = async (ledger) => {
        const done = await ledger.clearing.registry.recordRemittance(r, CLI_ACTOR);
        if (json) printJson(io, done);
        else {
          const m = done.remittance;
          const what = `上解资金 ${String(m.id)}：县区 ${String(m.district)}，清算期 ${String(m.period)}，${Number(m.amount).toFixed(2)} 元，上解日期 ${String(m.remittedOn)}`;
          io.stdout(done.created ? `已登记${what}\n` : `已登记过（同一编号、同一内容，未重复记录）：${what}\n`);
        }
        return EXIT_OK;
      };
    }
  }
  const readDb = commandReplicaTarget(values['read-db'], values.db, io);
  const store = await openStore(values.db, io);
  // statements, report: read on the replica with --read-db.
  const replica = readDb === undefined ? undefined : openReplica(readDb, undefined, io);
  try {
    return await run(new Ledger(store, new SettlementEngine(policies), Date.now, replica ? { readReplica: replica } : {}));
  } catch (e) {
    // A refusal of the ledger: exit 1 with the reason; a value naming nothing registered is input (2).
    if (!(e instanceof LedgerError) || exitCodeFor(e.code) === EXIT_INVALID) throw e;
    return printRefusal(io, { code: e.code, message: e.message }, `${e.code}: ${e.message}`);
  } finally {
    await store.close();
    await replica?.close();
  }
}

function periodOption(value: string): string {
  parsePeriod(value, '--period');
  return value;
}

function idOption(name: string, value: string): string {
  if (!isId(value)) throw new UsageError(`${/^[A-Z]/.test(name) ? name : `--${name}`} must be an id (1 to 128 printable characters), got ${JSON.stringify(value)}`);
  return value;
}

/** `--table` for a CSV (one table of several); refused where it means nothing. */
function tableChoice<T extends string>(table: string | undefined, format: ReportFormat, names: readonly [T, T]): T | undefined {
  if (table === undefined) {
    if (format === 'csv' || format === 'csv-gbk') throw new UsageError(`a CSV file holds one table: add --table ${names.join('|')} (or --format xlsx for both)`);
    return undefined;
  }
  if (!(names as readonly string[]).includes(table)) throw new UsageError(`--table must be ${names.join(' or ')}, got ${JSON.stringify(table)}`);
  if (format === 'table' || format === 'json') throw new UsageError(`--table chooses the table of a CSV or XLSX file; --format ${format} shows both`);
  return table as T;
}

/** JSON to stdout, or to `out`. */
function writeJson(io: Io, value: unknown, out: string | undefined): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (out === undefined || out === '-') io.stdout(text);
  else {
    writeOut(io, out, text);
    io.stderr(`已写入 ${out}（json）/ written\n`);
  }
}

/** Every statement matching, a page of {@link PAGE_MAX} at a time. */
async function allStatements(ledger: Ledger, filter: { period?: string; institution?: string; centre?: string }) {
  const rows = [];
  let after: [string, string] | undefined;
  for (;;) {
    const page = await ledger.analysis.clearing.statements(CLI_ACTOR, { ...filter, limit: PAGE_MAX, ...(after ? { after } : {}) });
    rows.push(...page.entries);
    if (page.nextCursor === null) return rows;
    after = decodeCursor('statements', page.nextCursor);
    if (after === undefined) throw new Error('the ledger answered a cursor it cannot read');
  }
}

const fen = (yuan: unknown) => Math.round(Number(yuan ?? 0) * 100);

/** A close, for a clerk: the month, its counts, what each paying centre pays. */
export function closeText(r: CloseResult): string {
  const s = r.summary as { span?: { from: string; to: string }; centres?: { id: string; name: string; statements: number; payable: number }[]; missing?: string[] };
  const head = r.created ? `清算期 ${r.period} 已关账 / closed` : `清算期 ${r.period} 已清算（此前已关账，以下为首次关账的结果，未重复清算）/ already closed`;
  const centres: Table = {
    name: '支付经办机构',
    columns: [
      { key: 'id', header: '结算经办机构', kind: 'text' },
      { key: 'name', header: '经办机构名称', kind: 'text' },
      { key: 'statements', header: '清算单数', kind: 'count' },
      { key: 'payable', header: '应支付金额（元）', kind: 'fen' },
    ],
    rows: (s.centres ?? []).map((c) => ({ id: c.id, name: c.name, statements: c.statements, payable: fen(c.payable) })),
  };
  const missing = (s.missing ?? []).map((p) => `  缺少参数 ${p}：清算单的质量保证金暂不能计算（yibao clearing statement 查看依据）\n`).join('');
  return (
    `${head}\n` +
    pairs([
      ['清算期', r.period],
      ...(s.span ? ([['结算时间', `${s.span.from} 至 ${s.span.to}（不含）`]] as [string, string][]) : []),
      ['结算笔数（含退费）', String(r.entries)],
      ['清算单数', String(r.statements)],
      ['关账时间', r.closedAt],
      ['操作人', r.closedBy],
    ]) +
    textTable(centres) +
    missing
  );
}

function periodsText(closed: CloseResult[], firstOpen: string | null): string {
  const table: Table = {
    name: '已关账清算期',
    columns: [
      { key: 'period', header: '清算期', kind: 'text' },
      { key: 'closedAt', header: '关账时间', kind: 'text' },
      { key: 'closedBy', header: '操作人', kind: 'text' },
      { key: 'entries', header: '结算笔数（含退费）', kind: 'count' },
      { key: 'statements', header: '清算单数', kind: 'count' },
    ],
    rows: closed.map((c) => ({ period: c.period, closedAt: c.closedAt, closedBy: c.closedBy, entries: c.entries, statements: c.statements })),
  };
  const next = firstOpen === null ? '账本中尚无结算记录 / no entries yet' : `下一个待清算月份：${firstOpen}（yibao clearing close --period ${firstOpen}）`;
  return `${closed.length > 0 ? textTable(table) : '尚无已关账的清算期 / no month closed yet\n'}${next}\n`;
}

/** A statement's text lines, adjustments, deposits and what is missing, before its tables. */
function statementText(body: Record<string, unknown>): string {
  const lines = [...((body.text ?? []) as string[])];
  const adj = body.adjustments as { reversals?: number; payable?: number } | undefined;
  if (adj?.reversals) lines.push(`以前月份退费调整 ${adj.reversals} 笔，应支付 ${Number(adj.payable).toFixed(2)} 元（已计入本月）。`);
  for (const d of (body.deposits ?? []) as { text: string }[]) lines.push(d.text);
  for (const m of (body.missing ?? []) as { message: string; quote?: string | null }[]) lines.push(`缺少：${m.message}`);
  const closedAt = body.closedAt === undefined ? '' : `（关账时间 ${String(body.closedAt)}）`;
  return `清算单 ${String(body.period)} ${String(body.institution)}${closedAt}\n${lines.map((l) => `  ${l}\n`).join('')}\n`;
}

/**
 * A registry file's own key (`id` of a centre, `code` of a district), which HTTP takes from the
 * path: the body's rules then check it (src/request/clearing-request.ts).
 */
function ownKey(data: unknown, field: 'id' | 'code'): string {
  const v = (data as Record<string, unknown> | null)?.[field];
  if (typeof v !== 'string') throw new RequestError([`${field}: required`]);
  return v;
}

/** `clearing centres|districts|institutions [set FILE]`. */
async function registryRun(sub: 'centres' | 'districts' | 'institutions', rest: string[], json: boolean, policies: ReturnType<typeof loadPolicies>, io: Io): Promise<Run> {
  if (rest.length > 0 && (rest[0] !== 'set' || rest.length !== 2)) throw new UsageError(`clearing ${sub} lists; clearing ${sub} set FILE (or -) registers one`);
  const done = (r: { created: boolean; changed: boolean }) => (r.created ? '已登记' : r.changed ? '已更新' : '未变更（与已登记的相同）');
  if (rest[0] === 'set') {
    const data = await readJson(rest[1] as string, io);
    if (sub === 'centres') {
      const c = parseCentre(data, ownKey(data, 'id'), policies);
      return async (ledger) => {
        const r = await ledger.clearing.registry.setCentre(c, CLI_ACTOR);
        if (json) printJson(io, r);
        else io.stdout(`${done(r)} 支付经办机构 ${c.id} ${c.name}（${CENTRE_LEVEL_LABELS[c.level]}，统筹区 ${c.region}${c.district ? `，县区 ${c.district}` : ''}）\n`);
        return EXIT_OK;
      };
    }
    if (sub === 'districts') {
      const d = parseDistrict(data, ownKey(data, 'code'), policies);
      return async (ledger) => {
        const r = await ledger.clearing.registry.setDistrict(d, CLI_ACTOR);
        if (json) printJson(io, r);
        else io.stdout(`${done(r)} 县区 ${d.code} ${d.name}（${DISTRICT_LEVEL_LABELS[d.level]}，统筹区 ${d.region}）\n`);
        return EXIT_OK;
      };
    }
    // The file names the institution (`institution`); the request's rules are HTTP's (path id + body).
    const { institution, ...body } = (data ?? {}) as Record<string, unknown>;
    const inst = id.safeParse(institution);
    if (!inst.success) throw new RequestError(formatIssues(inst.error.issues, 'institution'));
    const reg = parseInstitutionClearing(body, inst.data);
    return async (ledger) => {
      const r = await ledger.clearing.registry.assignInstitution(reg, CLI_ACTOR);
      const resolved = (await ledger.clearing.registry.resolveAll()).get(reg.institutionId);
      const problem = resolved && 'problem' in resolved ? resolved.problem : null;
      if (json) printJson(io, { ...r, problem });
      else if (r.centre) {
        const c = r.centre;
        io.stdout(`${done(r)} 机构 ${reg.institutionId}：县区 ${reg.district}，支付经办机构 ${c.centre.name}（${c.centre.id}）\n` + `  依据：${basisText(c)}\n`);
      } else io.stdout(`${done(r)} 机构 ${reg.institutionId}：县区 ${reg.district}；尚无支付经办机构：${problem ?? '未知'}（关账前须登记）\n`);
      return EXIT_OK;
    };
  }
  return async (ledger) => {
    const registry = ledger.clearing.registry;
    if (sub === 'centres') {
      const centres = await registry.centres();
      if (json) {
        printJson(io, centres);
        return EXIT_OK;
      }
      io.stdout(
        textTable({
          name: '支付经办机构',
          columns: ['id:编号', 'name:名称', 'level:级别', 'region:统筹区', 'district:县区'].map(textColumn),
          rows: centres.map((c) => ({ ...c, level: CENTRE_LEVEL_LABELS[c.level as CentreLevel] })),
        }),
      );
      return EXIT_OK;
    }
    if (sub === 'districts') {
      const districts = await registry.districts();
      if (json) {
        printJson(io, districts);
        return EXIT_OK;
      }
      io.stdout(
        textTable({
          name: '县区',
          columns: ['code:编码', 'name:名称', 'region:统筹区', 'level:级别'].map(textColumn),
          rows: districts.map((d) => ({ ...d, level: DISTRICT_LEVEL_LABELS[d.level as DistrictLevel] })),
        }),
      );
      return EXIT_OK;
    }
    const [institutions, resolved] = await Promise.all([registry.institutions(), registry.resolveAll()]);
    const rows = institutions.map((i) => {
      const r = resolved.get(i.institutionId);
      const ok = r && !('problem' in r) ? r : undefined;
      return {
        institution: i.institutionId,
        district: i.district,
        registered: i.centreId,
        centre: ok ? `${ok.centre.name}（${ok.centre.id}）` : null,
        basis: ok ? basisText(ok) : r && 'problem' in r ? `尚无：${r.problem}` : null,
      };
    });
    if (json) {
      printJson(io, rows);
      return EXIT_OK;
    }
    io.stdout(
      textTable({
        name: '定点医药机构清算登记',
        columns: ['institution:定点医药机构编号', 'district:县区', 'registered:登记的经办机构', 'centre:支付经办机构', 'basis:依据'].map(textColumn),
        rows,
      }),
    );
    return EXIT_OK;
  };
}

/** Why a centre pays: the rule's text (which cites it) or the agency's registration. */
const basisText = (c: CentreBasis) => (c.citation === null || c.text.includes(c.citation) ? c.text : `${c.text}（${c.citation}）`);

const textColumn = (spec: string) => {
  const [key, header] = spec.split(':') as [string, string];
  return { key, header, kind: 'text' as const };
};

export const CLEARING_COMMAND: Command = { name: 'clearing', summary: '月度清算 / the month: close, statements, report', usage: CLEARING_USAGE, run: clearingCommand };
