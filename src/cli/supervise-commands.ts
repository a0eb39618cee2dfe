/**
 * `yibao supervise …`: supervision (医保基金监管, 智能监管) in the ledger (--db, as for the other
 * ledger commands): the rules and their settings (监管规则: none has a default), institutions' kinds
 * and locations (机构位置), runs over a span or since the last (筛查), and the findings (疑点线索:
 * leads, never verdicts) with their status (待核查、已确认、已排除) and counts. The command line acts
 * as the system actor `cli` (agency staff at the agency's own machine); every change, and every
 * read of findings (personal data), is in the audit log.
 *
 * Exit codes: 0 done; 1 refused (NOT_FOUND…): `{ "error": … }` on stdout and the reason on stderr;
 * 2 invalid input (an option, a file, a rule's parameters), named on stderr, nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatChinaTime } from '../calendar/calendar.js';
import { SettlementEngine } from '../engine/settle.js';
import { exitCodeFor, YibaoError } from '../errors.js';
import type { Table } from '../export/table.js';
import { Ledger } from '../ledger/ledger.js';
import type { Finding, RunSummary, SupervisionBookApi } from '../ledger/supervision-types.js';
import { toYuanNumber } from '../money/money.js';
import {
  countsTable,
  countsView,
  findingsTable,
  findingView,
  historyTable,
  historyView,
  RUN_KIND_LABELS,
  ruleView,
  rulesTable,
  runsTable,
  runView,
  sitesTable,
} from '../monitoring/supervision-tables.js';
import { FINDING_STATUS_LABELS, SEVERITY_LABELS } from '../monitoring/types.js';
import { loadPolicies } from '../policy/policies.js';
import { formatIssues } from '../policy/schema.js';
import { isId } from '../request/id.js';
import { RequestError } from '../request/settle-request.js';
import {
  countsQueryFields,
  FINDINGS_EXPORT_MAX,
  FINDINGS_PAGE_DEFAULT,
  FINDINGS_PAGE_MAX,
  findingFilter,
  findingsQueryFields,
  type FindingFilter,
  parseRuleSetting,
  parseRun,
  parseSitesFile,
  reason,
  ruleId,
  statusField,
} from '../request/supervision-request.js';
import { CLI_ACTOR } from './clearing-commands.js';
import { EXIT_INVALID, EXIT_OK, pathsIn, printJson, printRefusal, readJson, UsageError, type Command, type Io } from './io.js';
import { openStore } from './open-store.js';
import { commandReplicaTarget, openReplica } from './read-replica.js';
import { emitTables, pairs, readBytes, reportFormat, textTable, writeOut, type ReportFormat } from './output.js';

const USAGE = `  yibao supervise rules [--format F] [--out FILE]
      The supervision rules (监管规则): what each looks for, its articles, its parameters (none has a
      default) and the settings in force; a rule runs once every parameter is set.
  yibao supervise rules set ID (--file F | --params JSON --reason R [--severity 1|2|3] [--disable])
      Set a rule: F is { enabled, params, severity?, reason }; versioned and audited.
  yibao supervise sites [--limit N] [--offset N] [--format F] [--out FILE]
  yibao supervise sites set FILE
      Institutions' kinds and locations (机构位置): FILE a JSON array of { institutionId, kind:
      medical|pharmacy, longitude, latitude } or a CSV (UTF-8 or GBK) with those columns (or
      定点医药机构编号、类型、经度、纬度); an empty coordinate is not known.
  yibao supervise run (--from D --to D | --incremental) [--json]
      Run the rules over settlement times [from, to) (a China day YYYY-MM-DD, the day as --to
      included, or ISO 8601 instants; at most 366 days), or over the settlements since the last run.
  yibao supervise runs [--limit N] [--offset N] [--format F] [--out FILE]
  yibao supervise findings [--status S] [--rule R] [--institution H] [--person P] [--severity N]
                           [--from D] [--to D] [--limit N] [--offset N] [--format F] [--out FILE]
      Findings (疑点线索), newest first: a page (--limit, default ${FINDINGS_PAGE_DEFAULT}, at most ${FINDINGS_PAGE_MAX}); a csv, csv-gbk or
      xlsx file holds every finding the filter selects (at most ${FINDINGS_EXPORT_MAX}). Audited.
  yibao supervise finding ID [--json]
      One finding: what was seen, its evidence (the settlements and figures) and its status history.
  yibao supervise status ID --to open|confirmed|dismissed --reason R [--json]
      Confirm (已确认) or dismiss (已排除) a finding, or open it again (待核查), with a reason.
  yibao supervise counts [--status S] [--rule R] [--institution H] [--severity N] [--from D] [--to D]
                         [--format F] [--out FILE]
      Findings counted by rule, status, severity and institution (no personal data).
  F: table (default) | json | csv | csv-gbk | xlsx; csv, csv-gbk and xlsx go to --out FILE (- for
  stdout). [--db PATH|URL] [--policy-file F]... as for the other ledger commands.
  runs, findings and counts take [--read-db URL]: read them on a PostgreSQL read replica of the
  ledger (a moment behind it; the audit row still goes to --db): docs/operations.md.
`;

/** The options each subcommand takes besides --db and --policy-file. */
const OPTIONS: Record<string, readonly string[]> = {
  rules: ['format', 'out', 'file', 'params', 'reason', 'severity', 'disable'],
  sites: ['format', 'out', 'limit', 'offset'],
  run: ['from', 'to', 'incremental', 'json'],
  runs: ['format', 'out', 'limit', 'offset', 'read-db'],
  findings: ['status', 'rule', 'institution', 'person', 'severity', 'from', 'to', 'limit', 'offset', 'format', 'out', 'read-db'],
  finding: ['json'],
  status: ['to', 'reason', 'json'],
  counts: ['status', 'rule', 'institution', 'severity', 'from', 'to', 'format', 'out', 'read-db'],
};

type Values = Record<string, string | boolean | string[] | undefined>;
type Run = (book: SupervisionBookApi, ledger: Ledger) => Promise<number>;

/** Options checked with the service's rules: problems name them as --option. */
function parseOptions<T extends z.ZodType>(schema: T, data: Record<string, unknown>): z.output<T> {
  const r = schema.safeParse(Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)));
  if (!r.success) throw new RequestError(formatIssues(r.error.issues).map((l) => `--${l}`));
  return r.data;
}

const pick = (values: Values, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, values[k]]));

/** A CLI read of personal data, in the audit log as the service's are. */
async function audited(ledger: Ledger, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
  await ledger.auditLog().record({ at: Date.now(), actor: CLI_ACTOR.id, role: CLI_ACTOR.role, action, target, detail: JSON.stringify(detail) });
}

export async function superviseCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'read-db': { type: 'string' },
      'policy-file': { type: 'string', multiple: true },
      json: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      file: { type: 'string' },
      params: { type: 'string' },
      reason: { type: 'string' },
      severity: { type: 'string' },
      disable: { type: 'boolean' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      incremental: { type: 'boolean' },
      status: { type: 'string' },
      rule: { type: 'string' },
      institution: { type: 'string' },
      person: { type: 'string' },
    },
  });
  const [sub, ...rest] = positionals;
  const allowed = OPTIONS[sub ?? ''];
  if (sub === undefined || allowed === undefined) {
    throw new UsageError(`supervise needs a command: ${Object.keys(OPTIONS).join(' | ')}${sub === undefined ? '' : ` (got ${JSON.stringify(sub)})`}`);
  }
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && k !== 'db' && k !== 'policy-file' && !allowed.includes(k)) throw new UsageError(`--${k} does not go with supervise ${sub}`);
  }
  const policies = loadPolicies({ policyFiles: pathsIn(io, values['policy-file']) ?? [] });
  // Everything is validated before the ledger is opened: invalid input creates no database.
  const run = await plan(sub, rest, values, io);
  const readDb = commandReplicaTarget(values['read-db'], values.db, io);
  const store = await openStore(values.db, io);
  // runs, findings, counts: read on the replica with --read-db (the audit row on the ledger).
  const replica = readDb === undefined ? undefined : openReplica(readDb, undefined, io);
  try {
    const ledger = new Ledger(store, new SettlementEngine(policies), Date.now, replica ? { readReplica: replica } : {});
    return await run(ledger.supervision, ledger);
  } catch (e) {
    // A refusal of the ledger: exit 1 with the reason; input that is not valid: exit 2 (main).
    if (!(e instanceof YibaoError) || exitCodeFor(e.code) === EXIT_INVALID || e.code.startsWith('INTERNAL')) throw e;
    return printRefusal(io, { code: e.code, message: e.message }, `${e.code}: ${e.message}`);
  } finally {
    await store.close();
    await replica?.close();
  }
}

/** What a subcommand will do, its input checked. */
async function plan(sub: string, rest: string[], values: Values, io: Io): Promise<Run> {
  const format = (): ReportFormat => reportFormat(values.format as string | undefined, values.out as string | undefined);
  const out = values.out as string | undefined;
  const noArgs = () => {
    if (rest.length > 0) throw new UsageError(`supervise ${sub} takes options only, not ${JSON.stringify(rest[0])}`);
  };
  switch (sub) {
    case 'rules': {
      if (rest[0] === 'set') return ruleSet(rest, values, io);
      noArgs();
      for (const k of ['file', 'params', 'reason', 'severity', 'disable']) if (values[k] !== undefined) throw new UsageError(`--${k} goes with supervise rules set ID`);
      const f = format();
      return async (book) => {
        const rules = await book.rules();
        if (f === 'json') printJson(io, { rules: rules.map(ruleView) });
        else await emitTables(io, [rulesTable(rules)], f, out);
        return EXIT_OK;
      };
    }
    case 'sites': {
      if (rest[0] === 'set') {
        if (rest.length !== 2) throw new UsageError('supervise sites set needs one FILE (JSON or CSV; - for stdin)');
        for (const k of ['format', 'out', 'limit', 'offset']) if (values[k] !== undefined) throw new UsageError(`--${k} does not go with supervise sites set`);
        const sites = parseSitesFile(await readBytes(rest[1] as string, io), rest[1] as string);
        return async (book) => {
          for (const s of sites) await book.setSite(s, CLI_ACTOR);
          io.stdout(`已登记 ${sites.length} 个定点医药机构的类型和位置 / ${sites.length} sites recorded\n`);
          return EXIT_OK;
        };
      }
      noArgs();
      const page = parseOptions(z.strictObject({ limit: findingsQueryFields.limit, offset: findingsQueryFields.offset }), pick(values, ['limit', 'offset']));
      const f = format();
      return async (book) => {
        const r = await book.sites(page.limit ?? FINDINGS_PAGE_MAX, page.offset ?? 0);
        if (f === 'json') printJson(io, { sites: r.items, total: r.total });
        else await emitTables(io, [sitesTable(r.items)], f, out);
        if (f === 'table' && r.total > r.items.length) io.stderr(`共 ${r.total} 个，本页 ${r.items.length} 个：--offset 翻页 / more: --offset\n`);
        return EXIT_OK;
      };
    }
    case 'run': {
      noArgs();
      if (values.incremental === true && (values.from !== undefined || values.to !== undefined))
        throw new UsageError('supervise run takes --from D --to D, or --incremental, not both');
      if (values.incremental !== true && (values.from === undefined || values.to === undefined)) throw new UsageError('supervise run needs --from D --to D, or --incremental');
      let r: ReturnType<typeof parseRun>;
      try {
        r = parseRun(values.incremental === true ? { incremental: true } : { from: values.from, to: values.to });
      } catch (e) {
        if (e instanceof RequestError) throw new RequestError(e.problems.map((l) => `--${l}`));
        throw e;
      }
      return async (book) => {
        const summary = 'span' in r ? await book.run(r.span, CLI_ACTOR) : await book.runIncremental(CLI_ACTOR);
        if (values.json === true) printJson(io, runView(summary));
        else io.stdout(runText(summary));
        return EXIT_OK;
      };
    }
    case 'runs': {
      noArgs();
      const page = parseOptions(z.strictObject({ limit: findingsQueryFields.limit, offset: findingsQueryFields.offset }), pick(values, ['limit', 'offset']));
      const f = format();
      return async (_book, ledger) => {
        const r = await ledger.analysis.supervision.runs(page.limit ?? FINDINGS_PAGE_DEFAULT, page.offset ?? 0);
        if (f === 'json') printJson(io, { runs: r.items.map(runView), total: r.total });
        else if (f === 'table' && r.items.length === 0) io.stdout('尚无筛查批次 / no runs yet (yibao supervise run)\n');
        else await emitTables(io, [runsTable(r.items)], f, out);
        return EXIT_OK;
      };
    }
    case 'findings': {
      noArgs();
      const q = parseOptions(z.strictObject(findingsQueryFields), pick(values, Object.keys(findingsQueryFields)));
      const filter = optionFilter(q);
      const f = format();
      if (f !== 'table' && f !== 'json' && (q.limit !== undefined || q.offset !== undefined))
        throw new UsageError(`a ${f} file holds every finding the filter selects; leave out --limit and --offset`);
      return async (_book, ledger) => {
        const file = f !== 'table' && f !== 'json';
        const reads = ledger.analysis.supervision;
        const page = file ? await allFindings(reads, filter) : await reads.findings({ ...filter, limit: q.limit ?? FINDINGS_PAGE_DEFAULT, offset: q.offset ?? 0 });
        await audited(ledger, 'read.findings', filter.personId ?? filter.institutionId ?? '*', {
          filter: pick(values, Object.keys(findingsQueryFields)),
          returned: page.items.length,
        });
        if (f === 'json') printJson(io, { findings: page.items.map(findingView), total: page.total });
        else if (f === 'table' && page.items.length === 0) io.stdout('没有符合条件的疑点线索 / no findings match\n');
        else await emitTables(io, [findingsTable(page.items)], f, out);
        if (f === 'table' && page.total > page.items.length) io.stderr(`共 ${page.total} 条，本页 ${page.items.length} 条：--offset 翻页，或 --format xlsx --out FILE 导出全部\n`);
        return EXIT_OK;
      };
    }
    case 'finding': {
      if (rest.length !== 1 || !isId(rest[0])) throw new UsageError('supervise finding needs one finding ID');
      const findingId = rest[0] as string;
      return async (book, ledger) => {
        const found = await book.finding(findingId);
        if (!found) throw new YibaoError('NOT_FOUND', `finding ${findingId} does not exist (疑点线索不存在)`);
        const history = await book.statusHistory(findingId);
        await audited(ledger, 'read.finding', findingId, { person: found.personId });
        if (values.json === true) printJson(io, { ...findingView(found), history: historyView(findingId, history).history });
        else io.stdout(`${findingText(found)}\n${textTable(historyTable(history))}`);
        return EXIT_OK;
      };
    }
    case 'status': {
      if (rest.length !== 1 || !isId(rest[0])) throw new UsageError('supervise status needs one finding ID');
      const findingId = rest[0] as string;
      const change = parseOptions(z.strictObject({ to: statusField, reason }), { to: values.to, reason: values.reason });
      return async (book) => {
        const f = await book.setStatus(findingId, { status: change.to, reason: change.reason }, CLI_ACTOR);
        if (values.json === true) printJson(io, findingView(f));
        else io.stdout(`疑点线索 ${f.id} 的核查状态已改为「${FINDING_STATUS_LABELS[f.status]}」（理由：${change.reason}）/ status set to ${f.status}\n`);
        return EXIT_OK;
      };
    }
    default: {
      noArgs();
      const q = parseOptions(z.strictObject(countsQueryFields), pick(values, Object.keys(countsQueryFields)));
      const filter = optionFilter(q);
      const f = format();
      return async (_book, ledger) => {
        const counts = await ledger.analysis.supervision.counts(filter);
        const view = countsView(counts);
        if (f === 'json') printJson(io, view);
        else if (f !== 'table') await emitTables(io, [countsTable(counts)], f, out);
        else {
          const text = `${textTable(countsTable(counts))}合计：${view.total.count} 条线索，涉及金额 ${view.total.amount.toFixed(2)} 元 / total\n`;
          if (out === undefined || out === '-') io.stdout(text);
          else writeOut(io, out, text);
        }
        return EXIT_OK;
      };
    }
  }
}

/** A filter's times read as the service reads them, problems named as options. */
function optionFilter(q: Parameters<typeof findingFilter>[0]): FindingFilter {
  try {
    return findingFilter(q);
  } catch (e) {
    if (e instanceof RequestError) throw new RequestError(e.problems.map((l) => `--${l.replace(/^query\./, '').replace(/query\./g, '--')}`));
    throw e;
  }
}

/** `rules set ID (--file F | --params JSON --reason R [--severity N] [--disable])`. */
async function ruleSet(rest: string[], values: Values, io: Io): Promise<Run> {
  if (rest.length !== 2) throw new UsageError('supervise rules set needs one rule ID');
  const r = ruleId.safeParse(rest[1]);
  if (!r.success) throw new RequestError(formatIssues(r.error.issues, 'ID'));
  for (const k of ['format', 'out']) if (values[k] !== undefined) throw new UsageError(`--${k} does not go with supervise rules set`);
  let body: unknown;
  if (values.file !== undefined) {
    for (const k of ['params', 'reason', 'severity', 'disable']) if (values[k] !== undefined) throw new UsageError(`--file holds the whole setting; --${k} does not go with it`);
    body = await readJson(values.file as string, io);
  } else {
    if (values.params === undefined || values.reason === undefined) throw new UsageError('supervise rules set ID needs --file F, or --params JSON and --reason R');
    let params: unknown;
    try {
      params = JSON.parse(values.params as string);
    } catch (e) {
      throw new RequestError([`--params: not valid JSON (${(e as Error).message})`]);
    }
    body = { enabled: values.disable !== true, params, reason: values.reason, ...(values.severity !== undefined ? { severity: values.severity } : {}) };
  }
  const setting = parseRuleSetting(body);
  return async (book) => {
    const rule = await book.setRule(
      r.data,
      { enabled: setting.enabled, params: setting.params, reason: setting.reason, ...(setting.severity ? { severity: setting.severity } : {}) },
      CLI_ACTOR,
    );
    const missing = rule.missing.length > 0 ? `；待设参数：${rule.missing.join('、')}（设齐前不运行）` : '';
    io.stdout(
      `已设置规则 ${rule.id} ${rule.name}：${rule.enabled ? '启用' : '停用'}，严重程度 ${rule.severity} ${SEVERITY_LABELS[rule.severity]}，参数 ${JSON.stringify(rule.params ?? {})}${missing}\n`,
    );
    return EXIT_OK;
  };
}

/** Every finding of a filter, a page at a time; more than {@link FINDINGS_EXPORT_MAX} is refused. */
async function allFindings(book: Pick<SupervisionBookApi, 'findings'>, filter: FindingFilter): Promise<{ items: Finding[]; total: number }> {
  const items: Finding[] = [];
  for (let offset = 0; ; offset += FINDINGS_PAGE_MAX) {
    const page = await book.findings({ ...filter, limit: FINDINGS_PAGE_MAX, offset });
    if (page.total > FINDINGS_EXPORT_MAX)
      throw new RequestError([`${page.total} findings match; a file holds at most ${FINDINGS_EXPORT_MAX}: narrow it with --from, --to, --rule, --institution or --status`]);
    items.push(...page.items);
    if (page.items.length < FINDINGS_PAGE_MAX || items.length >= page.total) return { items, total: page.total };
  }
}

/** yyyy-MM-dd HH:mm:ss, China time. */
const china = (ms: number) => formatChinaTime(ms).replace('T', ' ').slice(0, 19);

/** A run, for a clerk: its span, counts, the rules not run and why, what could not be judged. */
export function runText(r: RunSummary): string {
  const byRule: Table = {
    name: '各规则线索',
    columns: [
      { key: 'rule', header: '规则编号', kind: 'text' },
      { key: 'leads', header: '线索数', kind: 'count' },
      { key: 'newFindings', header: '新增线索', kind: 'count' },
    ],
    rows: Object.entries(r.byRule).map(([rule, c]) => ({ rule, leads: c.leads, newFindings: c.newFindings })),
  };
  const notRun = r.notRun.map((n) => `  未运行 ${n.ruleId}：${n.reason}\n`).join('');
  const truncated = r.truncated ? `  另有 ${r.truncated} 条新线索超过单次筛查上限，未写入：请缩短时间范围后重新筛查 / ${r.truncated} new leads not written\n` : '';
  const unjudged = Object.entries(r.unjudged)
    .map(([rule, why]) => `  ${rule} 未能判断：${why}\n`)
    .join('');
  return (
    `筛查完成 / run ${r.id}\n` +
    pairs([
      ['类型', RUN_KIND_LABELS[r.kind]],
      ['结算时间', `${china(r.from)} 至 ${china(r.to)}（不含）`],
      ['结算笔数', String(r.settlements)],
      ['参保人数', String(r.persons)],
      ['线索数', String(r.leads)],
      ['新增线索', String(r.newFindings)],
    ]) +
    (byRule.rows.length > 0 ? textTable(byRule) : '') +
    notRun +
    unjudged +
    truncated
  );
}

/** A finding, for a clerk: what was seen, the figures, the settlements it rests on. */
function findingText(f: Finding): string {
  const settlements: Table = {
    name: '涉及结算',
    columns: [
      { key: 'id', header: '结算ID', kind: 'text' },
      { key: 'visitId', header: '就诊ID', kind: 'text' },
      { key: 'institutionId', header: '定点医药机构', kind: 'text' },
      { key: 'time', header: '结算时间', kind: 'datetime' },
      { key: 'visitType', header: '就诊类型', kind: 'text' },
      { key: 'total', header: '医疗费总额（元）', kind: 'fen' },
      { key: 'fund', header: '统筹基金（元）', kind: 'fen' },
      { key: 'account', header: '个人账户（元）', kind: 'fen' },
      { key: 'cash', header: '现金（元）', kind: 'fen' },
    ],
    rows: f.evidence.settlements.map((s) => ({ ...s })),
  };
  const figures = Object.entries(f.evidence.figures).map(([k, v]) => [k, String(v)] as [string, string]);
  const sources = f.evidence.sources.map((s) => `  依据：${s.document} ${s.article}：${s.quote}\n`).join('');
  return (
    `疑点线索 ${f.id}（${FINDING_STATUS_LABELS[f.status]}）\n` +
    pairs([
      ['规则', `${f.ruleId} ${f.ruleName}`],
      ['严重程度', `${f.severity} ${SEVERITY_LABELS[f.severity]}`],
      ['参保人', f.personId],
      ['就诊ID', f.visitId ?? '—'],
      ['定点医药机构', f.institutionId ?? '—'],
      ['违规金额', `${toYuanNumber(f.amount).toFixed(2)} 元${f.amountComputed ? '' : '（未能计算）'}`],
      ['发生时间', china(f.happenedAt)],
      ['违规内容', f.content],
    ]) +
    sources +
    (figures.length > 0 ? `指标\n${pairs(figures)}` : '') +
    textTable(settlements)
  );
}

export const SUPERVISE_COMMAND: Command = { name: 'supervise', summary: '医保基金监管 / supervision: rules, runs, findings', usage: USAGE, run: superviseCommand };
