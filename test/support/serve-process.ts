/**
 * `yibao serve` as a real process (the bin over dist/), for the tests of several instances and of
 * a database that goes away: start on a free port, call, kill. Every process started here is
 * killed by `killServers` (call it in afterAll) and when the test process exits.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/yibao.js');

const started = new Set<ChildProcess>();

/** Kills (SIGKILL) every serve process still running. */
export function killServers(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started.clear();
}
process.once('exit', killServers);

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Its stderr so far, for failure messages. */
  log(): string;
  /** Ends it with `signal` and waits (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `yibao serve --db <db> --port 0` plus `args`; resolves once it reports its address. */
export function serve(db: string, args: string[] = [], timeoutMs = 20_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1', '--log-level', 'error', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.add(child);
  let stderr = '';
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(hard);
    }
    started.delete(child);
  };
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`yibao serve did not report its address within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /yibao serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        done({ child, base: m[1] as string, log: () => stderr, stop });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`yibao serve exited (${code ?? signal}) before serving\n${stderr}`));
    });
  });
}

/** Runs `yibao <args>` to its end (bounded) and gives its output. */
export async function yibao(args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: timeoutMs });
}

export interface Answer {
  status: number;
  /** The body parsed as JSON (undefined when it is not). */
  json: any;
  text: string;
  ms: number;
}

/** One HTTP call with the key, bounded by `timeoutMs` (an AbortError past it). */
export async function call(base: string, key: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 15_000): Promise<Answer> {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, ms: performance.now() - t0 };
}
