/**
 * `yibao budget …` (and the helpers `yibao monitor …` shares, monitor-commands.ts): watching the fund in the ledger (--db, as for the other
 * ledger commands). Budgets per pooling area (县区), year and account, payments out of the
 * separate accounts, the statements (预算执行) with the projection and the warning
 * (洛医保〔2023〕63号 三(一); 洛医保〔2022〕36号 第三条); the agency's monitoring settings; the warnings
 * of a year; high-cost patients (高额费用负担患者预警, 豫医保办〔2023〕71号 六, 63号 七(三)). The
 * command line acts as the system actor `cli`; every change and every list of persons is in the
 * audit log.
 *
 * Exit codes: 0 done; 1 refused (IDEMPOTENCY_CONFLICT, MISSING_PARAMETER, NOT_FOUND…): `{ "error": … }`
 * on stdout and the reason on stderr; 2 invalid input (an option, a date, an amount), named on
 * stderr, nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { formatDate } from '../calendar/calendar.js';
import { SettlementEngine } from '../engine/settle.js';
import { exitCodeFor, YibaoError } from '../errors.js';
import type { Table } from '../export/table.js';
import { Ledger } from '../ledger/ledger.js';
import { areaStatementJson, budgetJson, paymentJson } from '../monitoring/json.js';
import { budgetsTable, monthsTable, paymentsTable, statementTable } from '../monitoring/tables.js';
import { loadPolicies } from '../policy/policies.js';
import { parseBudget, parsePayment, reportDay, yearText } from '../request/budget-request.js';
import { decodeCursor, PAGE_MAX } from '../request/page.js';
import { RequestError } from '../request/settle-request.js';
import { formatIssues } from '../policy/schema.js';
import type { PaymentRecord } from '../ledger/budgets.js';
import type { BudgetRecord } from '../monitoring/budget.js';
import { EXIT_INVALID, EXIT_OK, pathsIn, printJson, printRefusal, UsageError, type Command, type Io } from './io.js';
import { openStore } from './open-store.js';
import { emitTables, reportFormat, textTable, writeExport, writeOut, type ReportFormat } from './output.js';

/** The command line acts as the system (as its audited reads do). */
export const CLI_ACTOR = { id: 'cli', role: 'system' } as const;

const BUDGET_USAGE = `  yibao budget set --id ID --area CODE --year YYYY --account A (--amount YUAN | --from-policy [--persons N]) [--note T] [--json]
      Record a budget (a new revision; the same --id again is a replay). A: a benefit id
      (resident-outpatient…), student-outpatient (大学生门诊统筹) or family-doctor (家庭医生签约服务费).
      --from-policy: persons (counted in the ledger, or --persons) × the policy's rate (洛医保〔2022〕36号 第三条).
  yibao budget list [--area CODE] [--year YYYY] [--account A] [--history] [--format F] [--out FILE]
      Budgets in force (--history: every revision). F: table (default) | json | csv | csv-gbk | xlsx.
  yibao budget statement --area CODE --year YYYY [--as-of YYYY-MM-DD] [--format F] [--table accounts|months] [--out FILE]
      预算执行: each account's budget, carried in (结余滚存), spending by month, balance, overspending
      (超支), the projection to the year's end (method and backtest) and the warning. Default day: yesterday.
  yibao budget pay --id ID --area CODE --account family-doctor --amount YUAN --paid-on YYYY-MM-DD [--note T] [--json]
      Record a payment out of a separate account (家庭医生签约服务费, 分账管理), charged to its year.
  yibao budget payments [--area CODE] [--year YYYY] [--account A] [--format F] [--out FILE]
      The payments recorded.
`;

/** The options each subcommand takes besides --db and --policy-file. */
const BUDGET_OPTIONS: Record<string, readonly string[]> = {
  set: ['id', 'area', 'year', 'account', 'amount', 'from-policy', 'persons', 'note', 'json'],
  list: ['area', 'year', 'account', 'history', 'format', 'out'],
  statement: ['area', 'year', 'as-of', 'format', 'table', 'out'],
  pay: ['id', 'area', 'account', 'amount', 'paid-on', 'note', 'json'],
  payments: ['area', 'year', 'account', 'format', 'out'],
};

export const OPTION_SPEC = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  id: { type: 'string' },
  area: { type: 'string' },
  year: { type: 'string' },
  account: { type: 'string' },
  amount: { type: 'string' },
  'from-policy': { type: 'boolean' },
  persons: { type: 'string' },
  note: { type: 'string' },
  history: { type: 'boolean' },
  'as-of': { type: 'string' },
  'paid-on': { type: 'string' },
  format: { type: 'string' },
  table: { type: 'string' },
  out: { type: 'string' },
  counts: { type: 'boolean' },
  value: { type: 'string' },
  reason: { type: 'string' },
  'policy-file': { type: 'string', multiple: true },
} as const;

export type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTION_SPEC }>>['values'];
export type Run = (ledger: Ledger) => Promise<number>;

/** The year of --year, checked. */
export function yearOption(v: string | undefined, required: boolean): number | undefined {
  if (v === undefined) {
    if (required) throw new UsageError('--year YYYY is required');
    return undefined;
  }
  const r = yearText.safeParse(v);
  if (!r.success) throw new RequestError(formatIssues(r.error.issues, '--year'));
  return r.data;
}

/** --as-of, checked: a real date. */
export const asOfOption = (v: string | undefined): number | undefined => (v === undefined ? undefined : reportDay(v, '--as-of'));

/** Parses the command line; checks each option goes with the subcommand. */
export function options(args: string[], table: Record<string, readonly string[]>, command: string): { values: Values; sub: string; rest: string[] } {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTION_SPEC });
  const [sub, ...rest] = positionals;
  const allowed = table[sub ?? ''];
  if (sub === undefined || allowed === undefined) {
    throw new UsageError(`${command} needs a command: ${Object.keys(table).join(' | ')}${sub === undefined ? '' : ` (got ${JSON.stringify(sub)})`}`);
  }
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && k !== 'db' && k !== 'policy-file' && !allowed.includes(k)) throw new UsageError(`--${k} does not go with ${command} ${sub}`);
  }
  return { values, sub, rest };
}

/** Opens the ledger, runs, closes; a refusal (exit 1) is printed as JSON and a line. */
export async function withLedger(values: Values, io: Io, run: Run): Promise<number> {
  const policies = loadPolicies({ policyFiles: pathsIn(io, values['policy-file']) ?? [] });
  const store = await openStore(values.db, io);
  try {
    return await run(new Ledger(store, new SettlementEngine(policies), io.now ?? Date.now));
  } catch (e) {
    if (!(e instanceof YibaoError) || exitCodeFor(e.code) === EXIT_INVALID || e.code === 'INTERNAL' || e.code === 'INTERNAL_INVARIANT') throw e;
    return printRefusal(io, e.toJSON(), `${e.code}: ${e.message}`);
  } finally {
    await store.close();
  }
}

/** JSON to stdout, or to `out`. */
export function writeJson(io: Io, value: unknown, out: string | undefined): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (out === undefined || out === '-') io.stdout(text);
  else {
    writeOut(io, out, text);
    io.stderr(`已写入 ${out}（json）/ written\n`);
  }
}

/** A table without some columns (the terminal's narrower view). */
export const without = (t: Table, keys: readonly string[]): Table => ({ ...t, columns: t.columns.filter((c) => !keys.includes(c.key)) });

/** Every page of a paged list. */
async function allPages<T, C>(read: (after: C | undefined) => Promise<{ entries: T[]; nextCursor: string | null }>, decode: (c: string) => C | undefined): Promise<T[]> {
  const out: T[] = [];
  let after: C | undefined;
  for (;;) {
    const page = await read(after);
    out.push(...page.entries);
    if (page.nextCursor === null) return out;
    after = decode(page.nextCursor);
    if (after === undefined) throw new Error('the ledger answered a cursor it cannot read');
  }
}

const yuanText = (fen: number) => `${(fen / 100).toFixed(2)} 元`;

function budgetLine(b: BudgetRecord): string {
  const basis = b.basis.method === 'entered' ? '录入' : `${b.basis.persons} 人 × ${b.basis.rateText}，${b.basis.citation.citation}`;
  return `${b.area} ${b.year} 年 ${b.account}：${yuanText(b.amount)}（${basis}）`;
}

async function budgetCommand(args: string[], io: Io): Promise<number> {
  const { values: v, sub, rest } = options(args, BUDGET_OPTIONS, 'budget');
  if (rest.length > 0) throw new UsageError(`budget ${sub} takes options only, got ${JSON.stringify(rest[0])}`);
  const format: ReportFormat = reportFormat(v.format, v.out);
  const filter = () => ({
    ...(v.area !== undefined ? { area: v.area } : {}),
    ...(v.year !== undefined ? { year: yearOption(v.year, false) as number } : {}),
    ...(v.account !== undefined ? { account: v.account } : {}),
  });
  // Everything is validated before the ledger is opened: invalid input creates no database.
  switch (sub) {
    case 'set': {
      if (v['from-policy'] !== true && v.persons !== undefined) throw new UsageError('--persons goes with --from-policy');
      const persons = v.persons === undefined ? undefined : Number(v.persons);
      const req = parseBudget({
        id: v.id,
        area: v.area,
        year: v.year === undefined ? undefined : Number(v.year),
        account: v.account,
        ...(v.amount !== undefined ? { amount: v.amount } : {}),
        ...(v['from-policy'] ? { fromPolicy: persons === undefined ? true : { persons } } : {}),
        ...(v.note !== undefined ? { note: v.note } : {}),
      });
      return withLedger(v, io, async (ledger) => {
        const r = await ledger.budgets.setBudget(req, CLI_ACTOR);
        if (v.json) printJson(io, { ...budgetJson(r.budget), replayed: !r.created, previous: r.previous ? budgetJson(r.previous) : null });
        else if (!r.created) io.stdout(`已录入过（同一请求编号、同一内容，未重复记录）：${budgetLine(r.budget)}\n`);
        else io.stdout(`已录入预算 ${budgetLine(r.budget)}${r.previous ? `，取代此前的 ${yuanText(r.previous.amount)}` : ''}\n`);
        return EXIT_OK;
      });
    }
    case 'pay': {
      const req = parsePayment({ id: v.id, area: v.area, account: v.account, amount: v.amount, paidOn: v['paid-on'], ...(v.note !== undefined ? { note: v.note } : {}) });
      return withLedger(v, io, async (ledger) => {
        const r = await ledger.budgets.recordPayment(req, CLI_ACTOR);
        const p = r.payment;
        if (v.json) printJson(io, { ...paymentJson(p), replayed: !r.created });
        else
          io.stdout(
            `${r.created ? '已登记' : '已登记过（同一请求编号、同一内容，未重复记录）'}支出 ${p.area} ${p.account} ${yuanText(p.amount)}，支付日期 ${p.paidOn}（计入 ${p.year} 年预算）\n`,
          );
        return EXIT_OK;
      });
    }
    case 'list': {
      const f = { ...filter(), history: v.history === true };
      return withLedger(v, io, async (ledger) => {
        const rows = await allPages<BudgetRecord, [string, number, string, string]>(
          (after) => ledger.budgets.list({ ...f, limit: PAGE_MAX, ...(after ? { after } : {}) }),
          (c) => decodeCursor('budgets', c),
        );
        if (format === 'json') writeJson(io, rows.map(budgetJson), v.out);
        else if (format === 'table' && rows.length === 0) io.stdout('没有符合条件的预算 / no budgets match (yibao budget set)\n');
        else await emitTables(io, [budgetsTable(rows)], format, v.out);
        return EXIT_OK;
      });
    }
    case 'payments': {
      const f = filter();
      return withLedger(v, io, async (ledger) => {
        const rows = await allPages<PaymentRecord, [string]>(
          (after) => ledger.budgets.payments({ ...f, limit: PAGE_MAX, ...(after ? { after } : {}) }),
          (c) => decodeCursor('budgetPayments', c),
        );
        if (format === 'json') writeJson(io, rows.map(paymentJson), v.out);
        else if (format === 'table' && rows.length === 0) io.stdout('没有符合条件的支出 / no payments match (yibao budget pay)\n');
        else await emitTables(io, [paymentsTable(rows)], format, v.out);
        return EXIT_OK;
      });
    }
    default: {
      if (v.area === undefined) throw new UsageError('budget statement needs --area CODE');
      const area = v.area;
      const year = yearOption(v.year, true) as number;
      const asOf = asOfOption(v['as-of']);
      const pick = v.table;
      if (pick !== undefined && pick !== 'accounts' && pick !== 'months') throw new UsageError(`--table must be accounts or months, got ${JSON.stringify(pick)}`);
      if ((format === 'csv' || format === 'csv-gbk') && pick === undefined)
        throw new UsageError('a CSV file holds one table: add --table accounts|months (or --format xlsx for both)');
      return withLedger(v, io, async (ledger) => {
        const day = asOf ?? ledger.budgets.defaultAsOf(year);
        const s = await ledger.budgets.statement(area, year, day);
        const tables = [statementTable(s.accounts), monthsTable(s.accounts)];
        if (format === 'json') writeJson(io, areaStatementJson(s), v.out);
        else if (format === 'table') {
          const head = `预算执行 ${s.area.name}（${s.area.code}）${year} 年，截至 ${formatDate(Math.min(day, s.asOf))}\n`;
          const lines = s.accounts.flatMap((a) => [
            `  ${a.account}：${a.warning.evaluated ? a.warning.text : a.warning.reason}`,
            ...(a.projection ? [`    ${a.projection.text}${a.projection.meanAbsErrorBp === null ? '' : `；回测平均误差 ${a.projection.meanAbsErrorBp} 基点`}`] : []),
            ...(a.carry ? [`    ${a.carry.text}`] : []),
            ...a.notes.map((n) => `    ${n}`),
          ]);
          const body = `${head}${textTable(without(tables[0] as Table, ['area', 'year', 'asOf', 'text']))}\n${textTable(without(tables[1] as Table, ['area', 'year']))}\n${lines.join('\n')}\n`;
          if (v.out === undefined || v.out === '-') io.stdout(body);
          else writeOut(io, v.out, body);
        } else await writeExport(io, pick === undefined ? tables : [tables[pick === 'accounts' ? 0 : 1] as Table], format, v.out);
        return EXIT_OK;
      });
    }
  }
}

export const BUDGET_COMMAND: Command = { name: 'budget', summary: '预算管理 / budgets, payments, statements', usage: BUDGET_USAGE, run: budgetCommand };
