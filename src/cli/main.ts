/**
 * The `yibao` command.
 *
 * Exit codes: 0 success; 1 a visit could not be settled or a contribution (or one of its figures)
 * computed (no policy in force, missing parameter), a city's policy is below a provincial floor (`policy check`),
 * or a policy file shipped with yibao is broken; 2 invalid input (request, arguments, or a user's
 * policy file), with nothing on stdout.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chinaDay, formatDate, parseDate } from '../calendar/calendar.js';
import { contributionJson } from '../contribution/json.js';
import { contributionFromRequest } from '../contribution/request.js';
import { maternityGrantJson } from '../maternity/grant.js';
import { maternityGrantFromRequest } from '../maternity/request.js';
import { SettlementError } from '../engine/errors.js';
import { SettlementEngine } from '../engine/settle.js';
import { PolicyFileError } from '../policy/problems.js';
import { loadPolicies } from '../policy/policies.js';
import type { PolicySet } from '../policy/registry.js';
import { missingParameters, renderShow, showPack } from '../policy/show.js';
import { isFailure, outcomeJson, settleVisits } from '../request/settle-person.js';
import { parseSettleRequest, RequestError } from '../request/settle-request.js';
import { nationalLedgerOutcomes, nationalOutcomes } from '../national/cli.js';
import { accountsCommand, ACCOUNTS_USAGE } from './account-commands.js';
import { enrollmentCommand } from './enrollment-commands.js';
import { personsCommand, PERSONS_USAGE } from './person-commands.js';
import { policyAnalysisCommand } from './policy-analysis-commands.js';
import { auditCommand, keysCommand, ledgerCommand, serveCommand, settleIntoLedger, UsageError as LedgerUsageError } from './ledger-commands.js';
import { simulateCommand } from './simulate-command.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  /** The clock, for defaults such as today's date. */
  now?: () => number;
  /** stderr is a terminal: progress may be drawn there. */
  stderrIsTTY?: boolean;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID = 2;

const USAGE = `yibao — China's basic medical insurance policies as running software

Usage:
  yibao settle FILE [--policy-file F]... [--no-trace]
      Settle one person's visits (JSON; FILE may be - for stdin). Prints the settlements as JSON.
  yibao settle FILE --db PATH|URL
      Settle into the ledger too, continuing each person's year from what it holds.
  yibao settle FILE --format national [--db PATH|URL]
      Each visit's settlement in the national platform's shape (setlinfo, setldetail).
  yibao contribution FILE [--policy-file F]... [--no-trace]
      Residents' contribution for { region, year, countyType, hardship } (JSON; FILE may be -):
      funding standard, individual contribution, fiscal subsidy by level, assistance, what the
      person pays.
  yibao claim maternity-grant FILE [--policy-file F]... [--no-trace]
      Decide a claim for the one-time maternity grant (一次性生育补助金) from the facts the agency has
      verified { claimant, employer?, spouse, birthDate } (JSON; FILE may be -): every condition of
      the article in force on the day of the birth, met or not, each with its article and words;
      granted or refused (exit 0 either way). Records nothing.
  yibao enrollment record FILE [--db PATH|URL]
      Record a payment { requestId, person, coverageYear, paidOn, amount, payer, transfer? } (JSON;
      FILE may be -) in the ledger; prints it with the coverage it buys. Same requestId, same
      payment: the original.
  yibao enrollment list PERSON [--db PATH|URL] [--json]
      A person's payments by coverage year, each with its coverage period and waiting period.
  yibao enrollment coverage FILE [--policy-file F]... [--no-trace]
      The coverage a payment { person, coverageYear, paidOn, transfer? } buys: concentrated or
      extended period, 待遇享受期, waiting period or exemption, with articles. Records nothing.
  yibao serve [--port 8080] [--host 127.0.0.1] [--db PATH|URL] [--policy-file F]... [--log-level info]
              [--require-enrollment]
      [--headers-timeout MS] [--request-timeout MS] [--keep-alive-timeout MS] [--idle-timeout MS]
      [--max-queue N] [--clock-tolerance MS] [--sqlite-sync full|normal]
      (without --policy-file, the files listed in YIBAO_POLICY_FILES, separated by :)
      The settlement service (HTTP). OpenAPI document at /openapi.json, interactive docs at /docs.
      --require-enrollment (or YIBAO_REQUIRE_ENROLLMENT=1), the agency's way: settle only persons
      in the registry (yibao persons set) with a payment recorded for the visit's year (yibao
      enrollment record); by default a first settle registers the person and no payment on file
      is taken as covered.
  yibao ledger verify [--db PATH|URL] [--json]
      Recompute every accumulator and account balance from the entries; exit 1 on any mismatch.
  yibao ledger history PERSON [--year Y] [--limit N] [--cursor C] [--db PATH|URL]
      A page of a person's entries, oldest first (JSON, with nextCursor for the next page).
  yibao audit [--actor K] [--action A] [--target T] [--from T] [--to T] [--limit N] [--cursor C] [--json]
      A page of the audit log: writes, refused requests and reads of personal data, oldest first.
${ACCOUNTS_USAGE}${PERSONS_USAGE}  yibao keys create ROLE [--institution ID] [--label L] [--db PATH|URL]
      Create an API key (ROLE: institution | agency | analyst); prints it once.
  yibao keys list [--db PATH|URL] [--json]
      Every key: id, role, institution, label, created, revoked (never the key or its hash).
  yibao keys revoke ID [--db PATH|URL]
  yibao simulate SCENARIO [--json] [--svg DIR] [--threads N] [--policy-file F]...
      Settle a year of a population's visits under one or more policies (a YAML or JSON scenario:
      a seeded synthetic population, or real claims from a CSV file; see examples/simulate-*.yaml).
      Reports the fund's outlay (total, per capita, by tier, month, category, benefit), the share
      of people reaching each cap, what people pay themselves (percentiles, histogram), outlay
      against contributions, the student outpatient budget, and each policy against the first.
      --json prints the report as JSON; --svg DIR writes charts there; --threads N worker threads
      (default: every core; 0: none). Progress on stderr when it is a terminal.
  yibao policy list [--policy-file F]...
      The policy documents yibao implements, with their regions and dates.
  yibao policy missing [REGION] [--json] [--policy-file F]...
      The parameters the documents leave open and no user policy file has supplied yet: a
      settlement that needs one fails with MISSING_PARAMETER naming it.
  yibao policy show REGION [--date YYYY-MM-DD] [--json] [--policy-file F]...
      The parameters in force in REGION (admdvs code or name, e.g. 410300 or luoyang) on a date
      (default today), each with its source.
  yibao policy check CITY --against PROVINCE [--date YYYY-MM-DD] [--json] [--policy-file F]...
      Every provincial floor in force on the date (default today) against the city's value, with
      both citations: meets, breach, differs (a value the province gives as 左右 "about"), or
      not comparable (and why). CITY: a region, a pack id or a policy file (e.g. a draft). Exit 1
      on any breach.
  yibao policy diff A B [--json] [--policy-file F]...
      Parameters added, removed and changed from A to B (pack ids such as luoyang-2022, policy
      files, or a user policy file over its pack), with both citations and dates; a benefit whose
      institution classes changed is also compared tier by tier.

The ledger: a SQLite file (--db, else YIBAO_DB, else ./yibao.db), or PostgreSQL when --db or
DATABASE_URL is a postgres:// URL.

Options:
  --policy-file F   A user policy file (format yibao-policy-overlay/1) supplying parameters the
                    documents leave open. May be given more than once.
  -h, --help        This help.
`;

class UsageError extends Error {}

function policiesFrom(files: string[] | undefined): PolicySet {
  return loadPolicies({ policyFiles: files ?? [] });
}

async function readInput(file: string, io: Io): Promise<string> {
  if (file === '-') return io.readStdin();
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new RequestError([`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(USAGE);
    return null;
  }
  if (!ledger && values.db !== undefined) throw new UsageError(`${command} takes no --db`);
  if (values.format !== undefined && (command !== 'settle' || !['json', 'national'].includes(values.format))) {
    throw new UsageError(command === 'settle' ? `--format is json (the default) or national, not ${JSON.stringify(values.format)}` : `${command} takes no --format`);
  }
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one FILE (or - for stdin)`);
  const policies = policiesFrom(values['policy-file']);
  const data = await readJson(positionals[0] as string, io);
  return { values, policies, data };
}

async function settleCommand(args: string[], io: Io): Promise<number> {
  const parsed = await fileCommandArgs('settle', args, io, true);
  if (!parsed) return EXIT_OK;
  const { values, policies, data } = parsed;
  const request = parseSettleRequest(data, policies);
  const national = values.format === 'national';
  if (values.db !== undefined) {
    const raw = data as { person: unknown; visits: unknown[] };
    const { outcomes, failures } = await settleIntoLedger(request, raw, policies, values.db);
    const strip = (o: Record<string, unknown>) => (values['no-trace'] ? { ...o, trace: undefined } : o);
    const settlements = national ? nationalLedgerOutcomes(request, outcomes) : outcomes.map(strip);
    io.stdout(JSON.stringify({ person: request.person.id, settlements }, null, 2) + '\n');
    for (const f of failures) io.stderr(`yibao: ${f.code}: ${f.message}\n`);
    return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
  }
  const engine = new SettlementEngine(policies);
  const { outcomes } = settleVisits(engine, request, { trace: !values['no-trace'] && !national });
  const settlements = national ? nationalOutcomes(request, outcomes) : outcomes.map(outcomeJson);
  io.stdout(JSON.stringify({ person: request.person.id, settlements }, null, 2) + '\n');
  const failures = outcomes.filter(isFailure);
  for (const f of failures) io.stderr(`yibao: ${f.error.code}: ${f.error.message}\n`);
  return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
}

/** Reads FILE (or stdin) as JSON; a file that cannot be read or parsed is invalid input. */
async function readJson(file: string, io: Io): Promise<unknown> {
  const text = await readInput(file, io);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RequestError([`${file}: not valid JSON (${(e as Error).message})`]);
  }
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
    io.stdout(JSON.stringify(json, null, 2) + '\n');
    for (const f of failures) io.stderr(`yibao: ${f.code}: ${f.message}\n`);
    return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
  } catch (e) {
    if (!(e instanceof SettlementError)) throw e;
    io.stdout(JSON.stringify({ error: e.toJSON() }, null, 2) + '\n');
    io.stderr(`yibao: ${e.code}: ${e.message}\n`);
    return EXIT_FAILED;
  }
}

/** The claims `yibao claim KIND FILE` decides. */
const CLAIMS = ['maternity-grant'] as const;

async function claimCommand(args: string[], io: Io): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === '-h' || kind === '--help') {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (!(CLAIMS as readonly (string | undefined)[]).includes(kind)) {
    throw new UsageError(kind === undefined ? `claim needs a kind: ${CLAIMS.join(', ')}` : `unknown claim ${JSON.stringify(kind)}; known: ${CLAIMS.join(', ')}`);
  }
  const parsed = await fileCommandArgs(`claim ${kind}`, rest, io, false);
  if (!parsed) return EXIT_OK;
  const { values, policies, data } = parsed;
  // Granted or refused, a decision is an answer (exit 0).
  return printAnswer(io, () => ({ json: maternityGrantJson(maternityGrantFromRequest(data, policies), { trace: !values['no-trace'] }) }));
}

function policyCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'policy-file': { type: 'string', multiple: true },
      date: { type: 'string' },
      json: { type: 'boolean' },
      against: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const [sub, ...rest] = positionals;
  const policies = policiesFrom(values['policy-file']);
  if (sub === 'check' || sub === 'diff') return policyAnalysisCommand(sub, rest, values, policies, io);
  if (values.against !== undefined) throw new UsageError('--against goes with policy check');
  if (sub === 'list') {
    if (rest.length > 0) throw new UsageError('policy list takes no arguments');
    const rows = policies.packs.map((p) => ({
      id: p.id,
      document: p.document.number,
      region: p.region.code,
      regionName: p.region.name,
      aliases: p.region.aliases,
      schemes: p.schemes,
      role: p.role,
      from: formatDate(p.effective.from),
      to: p.effective.to === null ? null : formatDate(p.effective.to),
      benefits: p.benefits.map((b) => `${b.scheme}/${b.visitType}`),
      parameters: p.params.size,
    }));
    if (values.json) io.stdout(JSON.stringify(rows, null, 2) + '\n');
    else {
      for (const r of rows) {
        io.stdout(`${r.region} ${r.regionName.padEnd(4, '　')} ${r.document}\n`);
        io.stdout(`    ${r.id} · ${r.schemes.join('/')} · ${r.from} – ${r.to ?? ''} · ${r.parameters} parameters · ${r.role === 'floors' ? 'provincial floors and payment periods' : r.benefits.join(', ') || 'parameters only'}\n`);
      }
    }
    return EXIT_OK;
  }
  if (sub === 'show') {
    if (rest.length !== 1) throw new UsageError('policy show needs one REGION (admdvs code or name)');
    const code = policies.regionCode(rest[0] as string);
    if (!code) {
      throw new UsageError(
        `unknown region ${JSON.stringify(rest[0])}; known: ${policies
          .allRegions()
          .map((r) => `${r.code} ${r.name}`)
          .join(', ')}`,
      );
    }
    let day: number;
    if (values.date !== undefined) {
      const d = parseDate(values.date);
      if (d === undefined) throw new UsageError(`--date must be a real date YYYY-MM-DD, got ${JSON.stringify(values.date)}`);
      day = d;
    } else day = chinaDay((io.now ?? Date.now)());
    if (values.json) {
      const chain = policies.chain(code, day);
      io.stdout(JSON.stringify({ region: code, date: formatDate(day), inForce: chain.map((p) => showPack(p, day)) }, null, 2) + '\n');
    } else io.stdout(renderShow(policies, code, day));
    return policies.chain(code, day).length > 0 ? EXIT_OK : EXIT_FAILED;
  }
  if (sub === 'missing') {
    if (rest.length > 1) throw new UsageError('policy missing takes at most one REGION');
    let packs = policies.packs;
    if (rest.length === 1) {
      const code = policies.regionCode(rest[0] as string);
      if (!code) throw new UsageError(`unknown region ${JSON.stringify(rest[0])}; known: ${policies.allRegions().map((r) => `${r.code} ${r.name}`).join(', ')}`);
      packs = packs.filter((p) => p.region.code === code);
    }
    const missing = missingParameters(packs);
    if (values.json) io.stdout(JSON.stringify(missing, null, 2) + '\n');
    else if (missing.length === 0) io.stdout('No parameter is missing: every one the packs name has a value.\n');
    else {
      let pack = '';
      for (const m of missing) {
        if (m.pack !== pack) {
          io.stdout(`${m.document} (${m.pack})\n`);
          pack = m.pack;
        }
        io.stdout(`  ${m.path}  ${m.label}  ${m.from} – ${m.to ?? ''}\n    ${m.citation}: ${m.reason}\n`);
      }
    }
    return EXIT_OK;
  }
  throw new UsageError(sub ? `unknown policy command ${JSON.stringify(sub)}` : 'policy needs a command: list, show, missing, check or diff');
}

/** Runs the command line; returns the exit code. Never throws for bad input. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'settle':
        return await settleCommand(args, io);
      case 'contribution':
        return await contributionCommand(args, io);
      case 'claim':
        return await claimCommand(args, io);
      case 'policy':
        return policyCommand(args, io);
      case 'enrollment':
        return await enrollmentCommand(args, io);
      case 'serve':
        return await serveCommand(args, io, policiesFrom);
      case 'ledger':
        return await ledgerCommand(args, io);
      case 'keys':
        return await keysCommand(args, io);
      case 'audit':
        return await auditCommand(args, io);
      case 'accounts':
        return await accountsCommand(args, io, readJson);
      case 'persons':
        return await personsCommand(args, io, readJson);
      case 'simulate':
        return await simulateCommand(args, io, USAGE);
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        io.stdout(USAGE);
        return command === undefined ? EXIT_INVALID : EXIT_OK;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof RequestError) {
      io.stderr(`yibao: invalid input:\n  ${e.problems.join('\n  ')}\n`);
      return EXIT_INVALID;
    }
    if (e instanceof UsageError || e instanceof LedgerUsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`yibao: ${(e as Error).message}\nRun yibao --help for usage.\n`);
      return EXIT_INVALID;
    }
    if (e instanceof PolicyFileError) {
      io.stderr(`yibao: policy file rejected: ${e.message}\n`);
      return e.file.includes('/policies/') ? EXIT_FAILED : EXIT_INVALID;
    }
    io.stderr(`yibao: internal error: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
}
