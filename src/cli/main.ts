/**
 * The `yibao` command: the table of commands, the top-level help built from it, --version, and
 * the one place errors become exit codes (src/cli/io.ts). main() runs in-process with an
 * injected Io (tests); bin/yibao.js hands it the process.
 */
import { readFileSync } from 'node:fs';
import { PolicyFileError } from '../policy/problems.js';
import { RequestError } from '../request/settle-request.js';
import { ACCOUNTS_COMMAND } from './account-commands.js';
import { BUDGET_COMMAND } from './budget-commands.js';
import { CATALOGUE_COMMAND } from './catalogue-commands.js';
import { MONITOR_COMMAND } from './monitor-commands.js';
import { CLEARING_COMMAND } from './clearing-commands.js';
import { ENROLLMENT_COMMAND } from './enrollment-commands.js';
import { HIS_SIM_COMMAND } from './his-sim-command.js';
import { FILE_COMMANDS } from './file-commands.js';
import { EXIT, exitCodeFor, YibaoError } from '../errors.js';
import { EXIT_OK, UsageError, type Command, type Io } from './io.js';
import { LEDGER_COMMANDS } from './ledger-commands.js';
import { storeUnavailable } from '../ledger/errors.js';
import { PERSONS_COMMAND } from './person-commands.js';
import { POLICY_COMMAND } from './policy-commands.js';
import { RECONCILE_COMMAND } from './reconcile-command.js';
import { SIMULATE_COMMAND } from './simulate-command.js';
import { SUPERVISE_COMMAND } from './supervise-commands.js';

export type { Io } from './io.js';
export { EXIT_FAILED, EXIT_INVALID, EXIT_OK } from './io.js';

/** Every command, in the order of the help. */
const [SERVE, LEDGER, AUDIT, KEYS] = LEDGER_COMMANDS as [Command, Command, Command, Command];
export const COMMANDS: readonly Command[] = [
  ...FILE_COMMANDS,
  ENROLLMENT_COMMAND,
  SERVE,
  LEDGER,
  AUDIT,
  ACCOUNTS_COMMAND,
  PERSONS_COMMAND,
  CLEARING_COMMAND,
  RECONCILE_COMMAND,
  BUDGET_COMMAND,
  CATALOGUE_COMMAND,
  MONITOR_COMMAND,
  SUPERVISE_COMMAND,
  KEYS,
  SIMULATE_COMMAND,
  HIS_SIM_COMMAND,
  POLICY_COMMAND,
];

export const USAGE =
  `yibao — China's basic medical insurance policies as running software

Usage:
` +
  COMMANDS.map((c) => c.usage).join('') +
  `
The ledger: a SQLite file (--db, else YIBAO_DB, else ./yibao.db), or PostgreSQL when --db or
DATABASE_URL is a postgres:// URL.

Options:
  --policy-file F   A user policy file (format yibao-policy-overlay/1) supplying parameters the
                    documents leave open. May be given more than once.
  -h, --help        This help.
`;

/** yibao's version, from the package.json above this file (src/cli or dist/src/cli). */
export function version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'yibao' && pkg.version) return pkg.version;
    } catch {
      // not there: one level further up
    }
  }
  return 'unknown';
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The command a mistyped one most likely meant, if one is close enough. */
export function suggest(typed: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const c of COMMANDS) {
    const d = distance(typed.toLowerCase(), c.name);
    if (d <= Math.max(1, Math.floor(c.name.length / 3)) && (!best || d < best.d)) best = { name: c.name, d };
  }
  return best?.name;
}

const wantsHelp = (args: string[]) => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/** Runs the command line; returns the exit code. Never throws for bad input. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === 'help' || name === '-h' || name === '--help') {
      io.stdout(USAGE);
      return name === undefined ? exitCodeFor('USAGE') : EXIT_OK;
    }
    if (name === '--version' || name === '-V' || name === 'version') {
      io.stdout(`yibao ${version()}\n`);
      return EXIT_OK;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      const near = suggest(name);
      throw new UsageError(`未知命令 / unknown command ${JSON.stringify(name)}${near ? `；您是不是要输入 ${near}？ / did you mean ${near}?` : ''}`);
    }
    if (wantsHelp(args)) {
      io.stdout(`用法 / Usage:\n${command.usage}`);
      return EXIT_OK;
    }
    return await command.run(args, io);
  } catch (e) {
    // Exit codes come from the error's code (src/errors.ts): 2 for input that is not valid, 1 else.
    if (e instanceof RequestError) {
      io.stderr(`yibao: invalid input:\n  ${e.problems.join('\n  ')}\n`);
      return exitCodeFor(e.code);
    }
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`yibao: ${(e as Error).message}\nRun yibao --help for usage.\n`);
      return exitCodeFor('USAGE');
    }
    if (e instanceof PolicyFileError) {
      io.stderr(`yibao: policy file rejected: ${e.message}\n`);
      // A user's file is their input (2); a file shipped with yibao that fails is yibao's fault (1).
      return e.file.includes('/policies/') ? EXIT.failed : exitCodeFor(e.code);
    }
    if (e instanceof YibaoError) {
      io.stderr(`yibao: ${e.code}: ${e.message}\n`);
      return exitCodeFor(e.code);
    }
    // The database cannot be reached (PostgreSQL down, a SQLite file locked): said so, not "internal".
    const down = storeUnavailable(e);
    if (down) {
      io.stderr(`yibao: ${down.code}: ${down.message}\n`);
      return exitCodeFor(down.code);
    }
    io.stderr(`yibao: internal error: ${(e as Error).message}\n`);
    return EXIT.failed;
  }
}
