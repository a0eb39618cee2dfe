/**
 * PgBouncer in front of one database of the shared test server, for the tests of the service
 * behind a transaction-pooling proxy: Debian's `pgbouncer` (/usr/sbin/pgbouncer, or
 * YIBAO_TEST_PGBOUNCER) on a free port, `pool_mode = transaction`, with as few server connections
 * as asked, so that the transactions of the service's many client connections take turns on them.
 *
 * PgBouncer refuses to run as root: as root it runs as the `postgres` user (`runuser`), with its
 * files in a directory that user owns. Without the binary the tests that need it are skipped with
 * a message, except under CI=true, where they must run (.ci/run installs it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { asPostgresUser, freePort, postgresOwnedDir } from './pg-cluster.js';

export const PGBOUNCER = process.env.YIBAO_TEST_PGBOUNCER ?? '/usr/sbin/pgbouncer';
export const pgbouncerAvailable = existsSync(PGBOUNCER);
if (!pgbouncerAvailable && process.env.CI === 'true') {
  throw new Error(`[yibao tests] CI=true but ${PGBOUNCER} is missing: the tests behind a transaction-pooling proxy must not be skipped in CI`);
}

export interface Bouncer {
  /** postgres://postgres@127.0.0.1:<port>/<database>, through PgBouncer. */
  url: string;
  /** PgBouncer's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * PgBouncer for `target` (a postgres:// URL with host, port, user and database), in transaction
 * mode with `serverConnections` server connections at most; resolves once it accepts connections.
 */
export async function startPgBouncer(target: string, serverConnections: number): Promise<Bouncer> {
  const t = new URL(target);
  const database = t.pathname.slice(1);
  const port = await freePort();
  const dir = await postgresOwnedDir('yibao-pgbouncer-');
  const ini = join(dir, 'pgbouncer.ini');
  const users = join(dir, 'users.txt');
  writeFileSync(users, `"${t.username || 'postgres'}" ""\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `${database} = host=${t.hostname} port=${t.port || 5432} dbname=${database} user=${t.username || 'postgres'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      `default_pool_size = ${serverConnections}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      'max_client_conn = 200',
      // The service's connections set application_name; PgBouncer passes it on.
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  // Written as this process's user, readable by all (0644): PgBouncer, as the postgres user, reads them.
  const [file, argv] = asPostgresUser(PGBOUNCER, [ini]);
  const child: ChildProcess = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => void (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => void (output += d));
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const bouncer: Bouncer = {
    url: `postgres://${t.username || 'postgres'}@127.0.0.1:${port}/${database}`,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(hard);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready when it accepts a TCP connection.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode})\n${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return bouncer;
    if (Date.now() > deadline) {
      await bouncer.stop();
      throw new Error(`pgbouncer did not listen on ${port} within 10 s\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
