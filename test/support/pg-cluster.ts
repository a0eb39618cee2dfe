/**
 * A PostgreSQL cluster of a test's own, for the tests that stop and start a server: initdb in a
 * temporary directory, on a free port, with the binaries of /usr/lib/postgresql/15/bin (or
 * YIBAO_TEST_PG_BIN). The shared server (stores.ts) is never stopped or reconfigured.
 *
 * PostgreSQL refuses to run as root: as root every command runs as the `postgres` user
 * (`runuser -u postgres --`) in a directory that user owns. Without the binaries the tests that
 * need a cluster are skipped with a message, except under CI=true, where they must run.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PG_BIN = process.env.YIBAO_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export const clusterAvailable = existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
if (!clusterAvailable && process.env.CI === 'true') {
  throw new Error(`[yibao tests] CI=true but ${PG_BIN}/initdb is missing: the tests with a PostgreSQL cluster of their own must not be skipped in CI`);
}

/** A port nothing listens on now (the kernel's choice, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** pg_ctl start (waits until it accepts connections). */
  start(): Promise<void>;
  /** pg_ctl stop -m <mode> (immediate: as a crash, no checkpoint; the WAL replays at the next start). */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /** Stops it if it runs and removes its directory. */
  remove(): Promise<void>;
}

const asRoot = userInfo().uid === 0;

/** Runs a PostgreSQL binary, as the postgres user when this process is root. */
async function pgCommand(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
  const { stdout } = await run(file, argv, { timeout: timeoutMs, cwd: '/' });
  return stdout;
}

/** initdb (trust auth, user postgres) in a new temporary directory and start it on a free port. */
export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await pgCommand('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  // The socket in the cluster's own directory; TCP on loopback only; synchronous_commit stays on.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=32MB`;
  let running = false;
  const cluster: Cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => {
      await pgCommand('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'log'), '-o', options]);
      running = true;
    },
    stop: async (mode = 'fast') => {
      await pgCommand('pg_ctl', ['stop', '-w', '-t', '60', '-m', mode, '-D', data]);
      running = false;
    },
    remove: async () => {
      if (running) await cluster.stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
