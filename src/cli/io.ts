/**
 * What every command of the `yibao` CLI shares: its Io (the process, injected, so that the CLI runs
 * in-process in tests), the usage error, the exit codes, reading a JSON input file.
 *
 * Exit codes: 0 success; 1 a refusal or failure of the documents or the ledger; 2 invalid input
 * (request, arguments, or a user's policy file), with nothing on stdout.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { EXIT, YibaoError } from '../errors.js';
import { RequestError } from '../request/settle-request.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  /** stdin as bytes (a GBK file piped in); readStdin's text as UTF-8 when absent. */
  readStdinBytes?: () => Promise<Buffer>;
  /** Bytes to stdout (an XLSX or GBK file with --out -); without it only UTF-8 text can go there. */
  stdoutBytes?: (bytes: Buffer) => void;
  /** The environment (YIBAO_DB, DATABASE_URL, PORT, …); process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** The directory relative paths are read from; the process's when absent. */
  cwd?: string;
  /** The clock, for defaults such as today's date. */
  now?: () => number;
  /** stderr is a terminal: progress may be drawn there. */
  stderrIsTTY?: boolean;
}

/** The exit codes, from the one error model (src/errors.ts: exitCodeFor maps a code to them). */
export const EXIT_OK = EXIT.ok;
export const EXIT_FAILED = EXIT.failed;
export const EXIT_INVALID = EXIT.invalid;

/** Bad arguments (code USAGE): exit 2, the message and a pointer to --help on stderr. */
export class UsageError extends YibaoError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

export const envOf = (io: Io): NodeJS.ProcessEnv => io.env ?? process.env;

/** A path as the user meant it: relative to the Io's directory (unchanged when that is the process's). */
export function pathIn(io: Io, file: string): string {
  if (io.cwd === undefined || isAbsolute(file) || resolve(io.cwd) === process.cwd()) return file;
  return resolve(io.cwd, file);
}

/** Several paths, as pathIn; undefined stays undefined. */
export const pathsIn = (io: Io, files: string[] | undefined): string[] | undefined => files?.map((f) => pathIn(io, f));

/** Reads FILE (or stdin for -); a file that cannot be read is invalid input. */
export async function readInput(file: string, io: Io): Promise<string> {
  if (file === '-') return io.readStdin();
  try {
    return readFileSync(pathIn(io, file), 'utf8');
  } catch (e) {
    throw new RequestError([`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
}

/** Reads FILE (or stdin) as JSON; a file that cannot be read or parsed is invalid input. */
export async function readJson(file: string, io: Io): Promise<unknown> {
  const text = await readInput(file, io);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RequestError([`${file}: not valid JSON (${(e as Error).message})`]);
  }
}

/** A value as the CLI prints JSON: two-space indented, one trailing newline. */
export const printJson = (io: Io, value: unknown): void => io.stdout(JSON.stringify(value, null, 2) + '\n');

/** A refusal of the documents or the ledger: `{ error }` as JSON on stdout, `line` on stderr; exit 1. */
export function printRefusal(io: Io, error: unknown, line: string): number {
  printJson(io, { error });
  io.stderr(`yibao: ${line}\n`);
  return EXIT_FAILED;
}

/** What a command is: its name, a one-line summary, its usage text, and how it runs. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run: (args: string[], io: Io) => Promise<number> | number;
}
