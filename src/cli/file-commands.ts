/**
 * `yibao settle`, `yibao contribution` and `yibao claim KIND`: one JSON input file (or stdin), an
 * answer as JSON on stdout, each failure on stderr.
 */
import { contributionJson } from '../contribution/json.js';
import { contributionFromRequest } from '../contribution/request.js';
import { maternityGrantJson } from '../maternity/grant.js';
import { maternityGrantFromRequest } from '../maternity/request.js';
import { SettlementError } from '../engine/errors.js';
import { SettlementEngine } from '../engine/settle.js';
import { loadPolicies } from '../policy/policies.js';
import type { PolicySet } from '../policy/registry.js';
import { isFailure, outcomeJson, settleVisits } from '../request/settle-person.js';
import { parseSettleRequest } from '../request/settle-request.js';
import { nationalLedgerOutcomes, nationalOutcomes } from '../national/cli.js';
import { loadCodeEdition, NATIONAL_CODES } from '../national/code-editions.js';
import { parseArgs } from 'node:util';
import { EXIT_FAILED, EXIT_OK, pathIn, pathsIn, printJson, printRefusal, readJson, UsageError, type Command, type Io } from './io.js';
import { settleIntoLedger } from './ledger-commands.js';

export function policiesFrom(files: string[] | undefined, io: Io): PolicySet {
  return loadPolicies({ policyFiles: pathsIn(io, files) ?? [] });
}

/**
 * The arguments of `COMMAND FILE [--policy-file F]... [--no-trace] [--db D]` (--db only where
 * `ledger` is true); null once help is printed.
 */
async function fileCommandArgs(command: string, args: string[], io: Io, ledger: boolean) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'policy-file': { type: 'string', multiple: true },
      'no-trace': { type: 'boolean' },
      db: { type: 'string' },
      format: { type: 'string' },
      codes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (!ledger && values.db !== undefined) throw new UsageError(`${command} takes no --db`);
  if (values.format !== undefined && (command !== 'settle' || !['json', 'national'].includes(values.format))) {
    throw new UsageError(command === 'settle' ? `--format is json (the default) or national, not ${JSON.stringify(values.format)}` : `${command} takes no --format`);
  }
  if (values.codes !== undefined && values.format !== 'national') throw new UsageError('--codes is for --format national (the code tables its answer is written in)');
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one FILE (or - for stdin)`);
  const policies = policiesFrom(values['policy-file'], io);
  const data = await readJson(positionals[0] as string, io);
  return { values, policies, data };
}

async function settleCommand(args: string[], io: Io): Promise<number> {
  const parsed = await fileCommandArgs('settle', args, io, true);
  if (!parsed) return EXIT_OK;
  const { values, policies, data } = parsed;
  const request = parseSettleRequest(data, policies);
  const national = values.format === 'national';
  // The code tables' edition the national answer is written in (as `yibao serve --codes`).
  const codes = values.codes === undefined ? NATIONAL_CODES : loadCodeEdition(/[/\\]|\.json$/.test(values.codes) ? pathIn(io, values.codes) : values.codes);
  if (values.db !== undefined) {
    const raw = data as { person: unknown; visits: unknown[] };
    const { outcomes, failures } = await settleIntoLedger(request, raw, policies, values.db, io);
    const strip = (o: Record<string, unknown>) => (values['no-trace'] ? { ...o, trace: undefined } : o);
    const settlements = national ? nationalLedgerOutcomes(request, outcomes, codes) : outcomes.map(strip);
    printJson(io, { person: request.person.id, settlements });
    for (const f of failures) io.stderr(`yibao: ${f.code}: ${f.message}\n`);
    return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
  }
  const engine = new SettlementEngine(policies);
  const { outcomes } = settleVisits(engine, request, { trace: !values['no-trace'] && !national });
  const settlements = national ? nationalOutcomes(request, outcomes, codes) : outcomes.map(outcomeJson);
  printJson(io, { person: request.person.id, settlements });
  const failures = outcomes.filter(isFailure);
  for (const f of failures) io.stderr(`yibao: ${f.error.code}: ${f.error.message}\n`);
  return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
}

async function contributionCommand(args: string[], io: Io): Promise<number> {
  const parsed = await fileCommandArgs('contribution', args, io, false);
  if (!parsed) return EXIT_OK;
  const { values, policies, data } = parsed;
  return printAnswer(io, () => {
    const c = contributionFromRequest(data, policies);
    // What the documents give is printed; a figure they do not give fails on its own.
    return { json: contributionJson(c, { trace: !values['no-trace'] }), failures: c.missing };
  });
}

/**
 * Prints an answer as JSON, and each of its failures on stderr (exit 1 if any); when the documents
 * do not give the answer at all (a SettlementError), prints `{ error }` instead, exit 1.
 */
function printAnswer(io: Io, compute: () => { json: Record<string, unknown>; failures?: readonly { code: string; message: string }[] }): number {
  try {
    const { json, failures = [] } = compute();
    printJson(io, json);
    for (const f of failures) io.stderr(`yibao: ${f.code}: ${f.message}\n`);
    return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
  } catch (e) {
    if (!(e instanceof SettlementError)) throw e;
    return printRefusal(io, e.toJSON(), `${e.code}: ${e.message}`);
  }
}

/** The claims `yibao claim KIND FILE` decides. */
const CLAIMS = ['maternity-grant'] as const;

async function claimCommand(args: string[], io: Io): Promise<number> {
  const [kind, ...rest] = args;
  if (!(CLAIMS as readonly (string | undefined)[]).includes(kind)) {
    throw new UsageError(kind === undefined ? `claim needs a kind: ${CLAIMS.join(', ')}` : `unknown claim ${JSON.stringify(kind)}; known: ${CLAIMS.join(', ')}`);
  }
  const parsed = await fileCommandArgs(`claim ${kind}`, rest, io, false);
  if (!parsed) return EXIT_OK;
  const { values, policies, data } = parsed;
  // Granted or refused, a decision is an answer (exit 0).
  return printAnswer(io, () => ({ json: maternityGrantJson(maternityGrantFromRequest(data, policies), { trace: !values['no-trace'] }) }));
}

export const FILE_COMMANDS: Command[] = [
  {
    name: 'settle',
    summary: "结算一名参保人的就诊 / settle one person's visits",
    usage: `  yibao settle FILE [--policy-file F]... [--no-trace]
      Settle one person's visits (JSON; FILE may be - for stdin). Prints the settlements as JSON.
  yibao settle FILE --db PATH|URL
      Settle into the ledger too, continuing each person's year from what it holds.
  yibao settle FILE --format national [--db PATH|URL] [--codes EDITION|FILE]
      Each visit's settlement in the national platform's shape (setlinfo, setldetail), its codes
      (insutype, psn_type, med_type, fund_pay_type) those of --codes: national (the default),
      hunan-v1.1.27, or an edition file (as yibao serve --codes).
`,
    run: settleCommand,
  },
  {
    name: 'contribution',
    summary: "城乡居民缴费 / residents' contribution",
    usage: `  yibao contribution FILE [--policy-file F]... [--no-trace]
      Residents' contribution for { region, year, countyType, hardship } (JSON; FILE may be -):
      funding standard, individual contribution, fiscal subsidy by level, assistance, what the
      person pays.
`,
    run: contributionCommand,
  },
  {
    name: 'claim',
    summary: '待遇申领（一次性生育补助金）/ decide a claim',
    usage: `  yibao claim maternity-grant FILE [--policy-file F]... [--no-trace]
      Decide a claim for the one-time maternity grant (一次性生育补助金) from the facts the agency has
      verified { claimant, employer?, spouse, birthDate } (JSON; FILE may be -): every condition of
      the article in force on the day of the birth, met or not, each with its article and words;
      granted or refused (exit 0 either way). Records nothing.
`,
    run: claimCommand,
  },
];
