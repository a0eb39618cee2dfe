/**
 * `yibao enrollment record FILE [--db D]`, `yibao enrollment list PERSON [--db D] [--json]` and
 * `yibao enrollment coverage FILE` (no database).
 *
 * Exit codes as the other commands: 0 done; 1 the documents cannot read the payment, or the ledger
 * refuses it (`{ "error": { code, message } }` on stdout, the message on stderr); 2 invalid input,
 * every bad field on stderr and nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { chinaDay } from '../calendar/calendar.js';
import { coverageJson, deriveCoverage } from '../enrollment/coverage.js';
import { parseCoverageRequest, parseRecordRequest } from '../enrollment/request.js';
import { SettlementError } from '../engine/errors.js';
import { SettlementEngine } from '../engine/settle.js';
import { Ledger, LedgerError, type Actor } from '../ledger/ledger.js';
import { loadPolicies } from '../policy/policies.js';
import { pathsIn, printJson, printRefusal, readJson, UsageError, type Command, type Io } from './io.js';
import { openStore } from './open-store.js';

const CLI_ACTOR: Actor = { id: 'cli', role: 'agency' };

/** A refusal the documents or the ledger give: on stdout as JSON, on stderr as a line; exit 1. */
function refused(e: unknown, io: Io): number {
  if (!(e instanceof SettlementError || e instanceof LedgerError)) throw e;
  return printRefusal(io, e instanceof SettlementError ? e.toJSON() : { code: e.code, message: e.message }, `${e.code}: ${e.message}`);
}

export async function enrollmentCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean' },
      'no-trace': { type: 'boolean' },
      'policy-file': { type: 'string', multiple: true },
    },
  });
  const [sub, arg, ...rest] = positionals;
  if (rest.length > 0 || arg === undefined || !['record', 'list', 'coverage'].includes(sub ?? '')) {
    throw new UsageError('enrollment needs a command: record FILE [--db D] | list PERSON [--db D] [--json] | coverage FILE');
  }
  if (sub === 'coverage' && values.db !== undefined) throw new UsageError('enrollment coverage takes no --db (it records nothing)');
  if (sub !== 'list' && values.json) throw new UsageError(`enrollment ${sub} prints JSON already; drop --json`);
  const policies = loadPolicies({ policyFiles: pathsIn(io, values['policy-file']) ?? [] });
  const engine = new SettlementEngine(policies);
  const trace = !values['no-trace'];

  if (sub === 'coverage') {
    const { person, payment } = parseCoverageRequest(await readJson(arg, io), policies);
    try {
      printJson(io, coverageJson(deriveCoverage(engine, person, payment), { trace }));
      return 0;
    } catch (e) {
      return refused(e, io);
    }
  }

  if (sub === 'record') {
    // Validated before the ledger is opened: a bad file creates no database.
    const req = parseRecordRequest(await readJson(arg, io), policies, { today: chinaDay((io.now ?? Date.now)()) });
    const store = await openStore(values.db, io);
    try {
      const ledger = new Ledger(store, engine);
      const { record, created } = await ledger.enrollments.record(req, CLI_ACTOR);
      const out = trace ? record : stripTrace(record);
      printJson(io, { ...out, replayed: !created });
      return 0;
    } catch (e) {
      return refused(e, io);
    } finally {
      await store.close();
    }
  }

  const store = await openStore(values.db, io);
  try {
    const ledger = new Ledger(store, engine);
    const history = await ledger.enrollments.history(arg);
    if (values.json) printJson(io, { ...history, enrollments: trace ? history.enrollments : history.enrollments.map(stripTrace) });
    else io.stdout(renderHistory(history));
    return 0;
  } catch (e) {
    return refused(e, io);
  } finally {
    await store.close();
  }
}

function stripTrace(record: Record<string, unknown>): Record<string, unknown> {
  const coverage = record.coverage as Record<string, unknown> | undefined;
  return coverage ? { ...record, coverage: { ...coverage, trace: undefined } } : record;
}

type Dated = { from: string; to: string } | null;

/** One line a payment, for a clerk. */
function renderHistory(h: { person: string; enrollments: Record<string, unknown>[] }): string {
  const lines = [`${h.person}：参保缴费记录 ${h.enrollments.length} 条`];
  for (const r of h.enrollments) {
    const c = r.coverage as { period: string | null; coverage: Dated; waitingPeriod: Dated; exemption: { label: string } | null; policy: string | null } | undefined;
    const paid = `${r.coverageYear}年度 ${r.paidOn} 缴费${r.amount === null ? '' : ` ${(r.amount as number).toFixed(2)}元`}${r.payerLabel ? `（${r.payerLabel}）` : ''}${r.transfer ? ' 转移接续' : ''}`;
    if (!c) {
      const err = r.error as { code: string; message: string };
      lines.push(`  ${paid}：无法认定（${err.code}: ${err.message}）`);
      continue;
    }
    const period = c.period === 'concentrated' ? '集中缴费期' : c.period === 'extended' ? '延长缴费期' : '职工医保';
    const wait = c.waitingPeriod ? `，等待期 ${c.waitingPeriod.from}至${c.waitingPeriod.to}` : c.exemption ? `，${c.exemption.label}不设等待期` : '';
    const span = c.coverage ? `待遇享受期 ${c.coverage.from}至${c.coverage.to}` : '本年度不享受待遇';
    lines.push(`  ${paid}：${period}${wait}；${span}${r.governing ? '（结算适用）' : ''}  [${r.id}${c.policy ? `，${c.policy}` : ''}]`);
  }
  return lines.join('\n') + '\n';
}

export const ENROLLMENT_COMMAND: Command = {
  name: 'enrollment',
  summary: '参保缴费与待遇享受期 / payments and the coverage they buy',
  usage: `  yibao enrollment record FILE [--db PATH|URL]
      Record a payment { requestId, person, coverageYear, paidOn, amount, payer, transfer? } (JSON;
      FILE may be -) in the ledger; prints it with the coverage it buys. Same requestId, same
      payment: the original.
  yibao enrollment list PERSON [--db PATH|URL] [--json]
      A person's payments by coverage year, each with its coverage period and waiting period.
  yibao enrollment coverage FILE [--policy-file F]... [--no-trace]
      The coverage a payment { person, coverageYear, paidOn, transfer? } buys: concentrated or
      extended period, 待遇享受期, waiting period or exemption, with articles. Records nothing.
`,
  run: enrollmentCommand,
};
