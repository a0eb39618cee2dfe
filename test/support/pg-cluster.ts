/**
 * A PostgreSQL cluster of a test's own, for the tests that stop and start a server or replicate
 * one (startStandby: a streaming standby made with pg_basebackup -R): initdb in a
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
/** pg_basebackup too: a standby of a cluster of the test's own (startStandby). */
export const standbyAvailable = clusterAvailable && existsSync(join(PG_BIN, 'pg_basebackup'));
if (!standbyAvailable && process.env.CI === 'true') {
  throw new Error(`[yibao tests] CI=true but ${PG_BIN}/initdb, pg_ctl or pg_basebackup is missing: the tests with a PostgreSQL cluster of their own must not be skipped in CI`);
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

/** `file args` as the postgres user when this process is root (PostgreSQL and PgBouncer refuse root), else as is. */
export function asPostgresUser(file: string, args: readonly string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, [...args]];
}

/** Runs a PostgreSQL binary, as the postgres user when this process is root. */
async function pgCommand(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = asPostgresUser(join(PG_BIN, bin), args);
  const { stdout } = await run(file, argv, { timeout: timeoutMs, cwd: '/' });
  return stdout;
}

/** A new temporary directory (named from `prefix`) the postgres user owns when this process is root. */
export async function postgresOwnedDir(prefix = 'yibao-pg-'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  return dir;
}

/** A cluster over the data directory `data` in `dir`, on `port`: start, stop, remove. */
function clusterAt(dir: string, data: string, port: number, extra = ''): Cluster {
  // The socket in the cluster's own directory; TCP on loopback only; synchronous_commit stays on.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=32MB${extra}`;
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
  return cluster;
}

/**
 * initdb (trust auth, user postgres) in a new temporary directory and start it on a free port.
 * With `replication`, a primary a standby can stream from: wal_level=replica, WAL senders, and
 * initdb's pg_hba, which lets `replication` connections from 127.0.0.1 in (trust).
 */
export async function startCluster(options: { replication?: boolean } = {}): Promise<Cluster> {
  const dir = await postgresOwnedDir();
  const data = join(dir, 'data');
  const port = await freePort();
  await pgCommand('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const cluster = clusterAt(dir, data, port, options.replication ? ' -c wal_level=replica -c max_wal_senders=4 -c wal_keep_size=64MB' : '');
  await cluster.start();
  return cluster;
}

/**
 * A hot standby of `primary` (started with `replication`), streaming from it: pg_basebackup -R
 * (which writes primary_conninfo and standby.signal) into a new temporary directory, started on a
 * free port. Its reads are the primary's a moment ago; it refuses writes.
 */
export async function startStandby(primary: Cluster): Promise<Cluster> {
  const dir = await postgresOwnedDir();
  const data = join(dir, 'data');
  const port = await freePort();
  await pgCommand('pg_basebackup', ['-D', data, '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-X', 'stream', '-R', '--no-sync', '-c', 'fast']);
  const cluster = clusterAt(dir, data, port, ' -c hot_standby=on');
  await cluster.start();
  return cluster;
}
