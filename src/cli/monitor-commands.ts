/**
 * `yibao monitor …`: the agency's monitoring settings (监测设置: the warning's margin, the high-cost
 * thresholds; none has a default), the warnings of a year (预警分析, 洛医保〔2023〕63号 三(一)) and
 * high-cost patients (高额费用负担患者预警, 豫医保办〔2023〕71号 六, 63号 七(三)). The list of persons
 * is personal data: each read is audited (read.high-cost); the counts name nobody.
 *
 * Exit codes as `yibao budget` (budget-commands.ts): 0 done, 1 refused, 2 invalid input.
 */
import { formatDate } from '../calendar/calendar.js';
import type { Table } from '../export/table.js';
import { HIGH_COST_SETTING, highCostSettingSchema, type HighCostPatient } from '../monitoring/high-cost.js';
import { highCostCountsJson, highCostHead, patientJson, settingJson, warningsJson } from '../monitoring/json.js';
import { highCostCountsTable, highCostTable, statementTable } from '../monitoring/tables.js';
import { WARNING_SETTING, warningSettingSchema } from '../monitoring/warning.js';
import { formatIssues } from '../policy/schema.js';
import { decodeCursor, PAGE_MAX } from '../request/page.js';
import { RequestError } from '../request/settle-request.js';
import { asOfOption, CLI_ACTOR, options, withLedger, without, writeJson, type Values } from './budget-commands.js';
import { EXIT_OK, printJson, UsageError, type Command, type Io } from './io.js';
import { emitTables, reportFormat, textTable } from './output.js';

/** The most persons `monitor high-cost` lists (a page of PAGE_MAX at a time). */
export const MAX_HIGH_COST_ROWS = 10_000;

const MONITOR_USAGE = `  yibao monitor settings [--json]
      The agency's settings in force: warning { marginBp }, high-cost { yearBurdenFen?, window? } (no defaults).
  yibao monitor settings set warning|high-cost --value JSON --reason TEXT [--json]
      Change a setting (audited; the value in force again writes nothing).
  yibao monitor warnings [--as-of YYYY-MM-DD] [--area CODE] [--format F] [--out FILE]
      预警分析 of the day's year: every account with a budget, projected against budget + carried in
      (洛医保〔2023〕63号 三(一)); without the margin nothing is evaluated and the setting is named.
  yibao monitor high-cost [--as-of YYYY-MM-DD] [--counts] [--format F] [--out FILE]
      高额费用负担患者: persons whose personal burden (cash + personal account) reaches the thresholds
      (the read is audited); --counts: how many by district and hardship group, naming nobody.
`;

const MONITOR_OPTIONS: Record<string, readonly string[]> = {
  settings: ['value', 'reason', 'json'],
  warnings: ['as-of', 'area', 'format', 'out'],
  'high-cost': ['as-of', 'counts', 'format', 'out'],
};

const SCHEMAS = { [WARNING_SETTING]: warningSettingSchema, [HIGH_COST_SETTING]: highCostSettingSchema } as const;

/** A setting's value from --value, checked by its key's schema. */
function settingValue(key: string, text: string | undefined): unknown {
  const schema = SCHEMAS[key as keyof typeof SCHEMAS];
  if (!schema) throw new UsageError(`monitor settings set needs warning or high-cost, got ${JSON.stringify(key)}`);
  if (text === undefined) throw new UsageError('monitor settings set needs --value JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RequestError([`--value: not valid JSON (${(e as Error).message})`]);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new RequestError(formatIssues(r.error.issues, '--value'));
  return r.data;
}

const settingText = (key: string, s: ReturnType<typeof settingJson>) =>
  s === null ? `  ${key}：未设置（无默认值）` : `  ${key}：${JSON.stringify(s.value)}（${s.setBy} 于 ${s.setAt} 设置；理由：${s.reason ?? '—'}）`;

async function monitorCommand(args: string[], io: Io): Promise<number> {
  const { values: v, sub, rest } = options(args, MONITOR_OPTIONS, 'monitor');
  if (sub === 'settings') return settings(rest, v, io);
  if (rest.length > 0) throw new UsageError(`monitor ${sub} takes options only, got ${JSON.stringify(rest[0])}`);
  const format = reportFormat(v.format, v.out);
  const asOf = asOfOption(v['as-of']);
  if (sub === 'warnings') {
    const area = v.area;
    return withLedger(v, io, async (ledger) => {
      const day = asOf ?? ledger.budgets.defaultAsOf();
      const [areas, setting] = await Promise.all([ledger.budgets.statementsOfYear(day, area), ledger.budgets.warningSetting()]);
      const body = warningsJson(day, setting, areas);
      const accounts = areas.flatMap((a) => a.accounts.filter((s) => s.budget !== null));
      const table = statementTable(accounts, '预警分析');
      if (format === 'json') writeJson(io, body, v.out);
      else if (format === 'table') {
        const lines = accounts.filter((a) => a.warning.evaluated && a.warning.fires).map((a) => `  ${a.area} ${a.account}：${a.warning.evaluated ? a.warning.text : ''}`);
        const cite = body.citations.map((c) => `${c.document} ${c.article}`).join('；');
        io.stdout(
          `预警分析 ${body.year} 年，截至 ${body.asOf}（${cite}）：${body.text}\n${accounts.length ? textTable(without(table, ['year', 'asOf', 'text'])) : ''}${lines.join('\n')}${lines.length ? '\n' : ''}`,
        );
      } else await emitTables(io, [table], format, v.out);
      return EXIT_OK;
    });
  }
  return withLedger(v, io, async (ledger) => {
    const day = asOf ?? ledger.budgets.defaultAsOf();
    if (v.counts) {
      const { setting, counts } = await ledger.highCost.counts(day);
      const body = highCostCountsJson(day, setting, counts);
      if (format === 'json') writeJson(io, body, v.out);
      else if (format === 'table') io.stdout(`${body.text}\n${counts.length ? textTable(highCostCountsTable(counts)) : ''}合计 ${body.total} 人\n`);
      else await emitTables(io, [highCostCountsTable(counts)], format, v.out);
      return EXIT_OK;
    }
    const rows: HighCostPatient[] = [];
    let after: [number, string] | undefined;
    let head = highCostHead(day, null);
    for (;;) {
      const { setting, page } = await ledger.highCost.list(day, CLI_ACTOR, { limit: PAGE_MAX, ...(after ? { after } : {}) });
      head = highCostHead(day, setting);
      rows.push(...page.entries);
      if (page.nextCursor === null || rows.length >= MAX_HIGH_COST_ROWS) {
        if (page.nextCursor !== null) io.stderr(`只列出前 ${MAX_HIGH_COST_ROWS} 人 / listed the first ${MAX_HIGH_COST_ROWS} only\n`);
        break;
      }
      after = decodeCursor('highCost', page.nextCursor);
    }
    const table: Table = highCostTable(rows);
    if (format === 'json') writeJson(io, { ...head, patients: rows.map(patientJson) }, v.out);
    else if (format === 'table') {
      const cite = head.citations.map((c) => `${c.document} ${c.article}`).join('；');
      io.stdout(`高额费用负担患者，截至 ${formatDate(day)}（${cite}）：${head.text}\n${rows.length ? textTable(without(table, ['text'])) : '无人达到标准\n'}`);
    } else await emitTables(io, [table], format, v.out);
    return EXIT_OK;
  });
}

/** `monitor settings [set KEY --value JSON --reason TEXT]`. */
async function settings(rest: string[], v: Values, io: Io): Promise<number> {
  if (rest.length === 0) {
    if (v.value !== undefined || v.reason !== undefined) throw new UsageError('--value and --reason go with monitor settings set KEY');
    return withLedger(v, io, async (ledger) => {
      const [w, h] = await Promise.all([ledger.settings.get(WARNING_SETTING), ledger.settings.get(HIGH_COST_SETTING)]);
      const out = { [WARNING_SETTING]: settingJson(w ?? null), [HIGH_COST_SETTING]: settingJson(h ?? null) };
      if (v.json) printJson(io, out);
      else io.stdout(`监测设置 / settings\n${settingText(WARNING_SETTING, out[WARNING_SETTING])}\n${settingText(HIGH_COST_SETTING, out[HIGH_COST_SETTING])}\n`);
      return EXIT_OK;
    });
  }
  if (rest[0] !== 'set' || rest.length !== 2) throw new UsageError('monitor settings lists; monitor settings set warning|high-cost --value JSON --reason TEXT changes one');
  const key = rest[1] as string;
  const value = settingValue(key, v.value);
  if (v.reason === undefined || v.reason.trim() === '') throw new UsageError('monitor settings set needs --reason TEXT (why the setting changes)');
  const reason = v.reason;
  return withLedger(v, io, async (ledger) => {
    const r = await ledger.settings.set(key, value, reason, CLI_ACTOR);
    if (v.json) printJson(io, { key, changed: r.changed, setting: settingJson(r.setting) });
    else io.stdout(r.changed ? `已设置 ${key} = ${JSON.stringify(value)}（理由：${reason}）\n` : `未变更：${key} 已是 ${JSON.stringify(value)}\n`);
    return EXIT_OK;
  });
}

export const MONITOR_COMMAND: Command = { name: 'monitor', summary: '基金监测 / settings, warnings, high-cost patients', usage: MONITOR_USAGE, run: monitorCommand };
