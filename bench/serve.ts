/**
 * What the service benches share: running `yibao` to completion, starting `yibao serve` (or another
 * server script) on a loopback port, a fresh store per run (a SQLite file in a temp directory, a
 * PostgreSQL database created and dropped), and undoing all of it on SIGINT/SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/yibao.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `yibao ARGS` to completion (bounded by a timeout). */
export function yibao(args: string[], timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface Server {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts a server process (node ARGS) and waits until it says where it listens. */
export function startServer(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  const exit = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the server did not start within 30 s:\n${stderr}`));
    }, 30_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: m[1] as string, child, stderr: () => stderr, stop });
      }
    });
    cleanups.add(stop);
    child.on('exit', () => cleanups.delete(stop));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${stderr}`));
    });
  });
}

export async function probe(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What to undo if the bench is interrupted (the normal path undoes it in `finally`). */
export const cleanups = new Set<() => Promise<void> | void>();

/** On SIGINT/SIGTERM: undo what `cleanups` holds, then exit 130. */
export function onSignals(name: string): void {
  const on = (signal: NodeJS.Signals) => {
    console.error(`\n${name}: ${signal}, cleaning up`);
    void Promise.allSettled([...cleanups].map((f) => f())).then(() => process.exit(130));
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
}

/**
 * Runs `run` on a fresh store of each kind asked for: a SQLite file in a temp directory (removed
 * after), and a PostgreSQL database created on the loopback server `pgUrl` and dropped after
 * (skipped, with a line saying why, when the server is unreachable). `shown` names the store for
 * the output.
 */
export async function eachStore<T>(
  which: 'both' | 'sqlite' | 'postgres',
  pgUrl: string,
  run: (label: 'sqlite' | 'postgres', db: string, shown: string) => Promise<T>,
  show: (label: 'sqlite' | 'postgres', name: string) => string = (_l, n) => n,
): Promise<T[]> {
  const out: T[] = [];
  if (which !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-'));
    const removeDir = () => rmSync(dir, { recursive: true, force: true });
    cleanups.add(removeDir);
    try {
      out.push(await run('sqlite', join(dir, 'bench.db'), show('sqlite', join(dir, 'bench.db'))));
    } finally {
      removeDir();
      cleanups.delete(removeDir);
    }
  }
  if (which !== 'sqlite') {
    const admin = new URL(pgUrl);
    // A loopback address, or a Unix socket's folder (postgres://user@%2Fvar%2Frun%2Fpostgresql/db).
    const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(admin.hostname) || decodeURIComponent(admin.hostname).startsWith('/');
    if (!local) throw new Error(`--pg must be a server on this machine (loopback or a Unix socket), not ${admin.hostname}`);
    const unreachable = await probe(pgUrl);
    if (unreachable) console.log(`\n== postgres: SKIPPED — no PostgreSQL server at ${pgUrl.replace(/:[^:@/]*@/, '@')} (${unreachable})`);
    else {
      const name = `yibao_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      await adminQuery(pgUrl, `create database ${name}`);
      const dropDb = () => adminQuery(pgUrl, `drop database if exists ${name} with (force)`);
      cleanups.add(dropDb);
      try {
        const url = new URL(pgUrl);
        url.pathname = `/${name}`;
        out.push(await run('postgres', url.toString(), show('postgres', `database ${name} on ${url.host}`)));
      } finally {
        await dropDb();
        cleanups.delete(dropDb);
      }
    }
  }
  return out;
}
