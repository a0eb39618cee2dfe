/**
 * Starting the settlement service (`yibao serve`): the one place that joins the ledger and the
 * HTTP service (src/api) into a listening server. The CLI asks for a service through this module
 * and never imports src/api; the service knows nothing of the CLI.
 *
 * The service can also keep the agency's routine going while it runs: the day-end (日结, summing
 * each China day that has ended, `ledger.clearing.rollUp`) and supervision's incremental runs
 * (监管增量筛查: the visit rules over the settlements since the last run,
 * `ledger.supervision.runIncremental`). Each is off unless asked for; each runs one at a time (a
 * turn still running when the next is due is skipped), and a failure is logged and retried at the
 * next turn. On PostgreSQL a turn holds the job's session advisory lock, so that of several
 * instances over one database one runs it and the others skip it (docs/operations.md).
 */
import { buildServer, DEFAULT_TIMEOUTS, type ServerOptions, type Timeouts } from './api/server.js';
import type pg from 'pg';
import type { Actor } from './ledger/types.js';

export { DEFAULT_TIMEOUTS, type Timeouts };

/** The routine jobs' bounds: at least a minute apart, at most a day. */
export const MIN_EVERY_MS = 60_000;
export const MAX_EVERY_MS = 86_400_000;

export interface ServiceOptions extends ServerOptions {
  port: number;
  host: string;
  /** Run supervision's incremental run this often (ms); off when absent. */
  superviseEveryMs?: number;
  /** Sum the ended China days (day-end) this often (ms); off when absent. */
  dayEndEveryMs?: number;
  /** Told of each routine turn's outcome (for the log). */
  onRoutine?: (job: 'supervise' | 'day-end', outcome: { ok: true; detail: string } | { ok: false; error: Error }) => void;
}

/** A running service. */
export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  address: string;
  /** Stops taking connections and lets the requests in flight finish. */
  close(): Promise<void>;
}

/** Who the service's own routine acts as, in the audit log. */
export const ROUTINE_ACTOR: Actor = { id: 'serve', role: 'system' };

/** A job run every `everyMs`, one turn at a time. Returns what stops it and waits for a turn in flight. */
export function every(everyMs: number, job: () => Promise<void>): () => Promise<void> {
  if (!Number.isInteger(everyMs) || everyMs < MIN_EVERY_MS || everyMs > MAX_EVERY_MS)
    throw new RangeError(`a routine job runs every ${MIN_EVERY_MS} to ${MAX_EVERY_MS} ms, not ${everyMs}`);
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = job().finally(() => {
      running = undefined;
    });
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * PostgreSQL: the session advisory lock each routine job holds while it runs, so that of several
 * instances over one database one runs a turn and the others skip it (any fixed bigints, distinct
 * from the clearing lock's).
 */
export const ROUTINE_LOCK_KEYS = { 'day-end': '7305108113310201', supervise: '7305108113310202' } as const;

/** What a turn reports when another instance holds the job's lock. */
export const SKIPPED_ELSEWHERE = 'skipped: another instance is running it';

/**
 * Runs `run` holding the advisory lock `key`, or skips it when another instance holds it. The lock
 * is the transaction's (`pg_try_advisory_xact_lock`), on a connection of its own kept in an open
 * transaction until `run` ends, then committed: behind a transaction-pooling proxy the lock and
 * its release stay on one server connection (a session lock would stay with whichever server
 * connection the proxy had lent, and its unlock go to another). An instance killed mid-turn
 * leaves no lock behind: the server ends its transaction.
 */
export async function exclusively(pool: pg.Pool, key: string, run: () => Promise<string>): Promise<string> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    let got: boolean | undefined;
    try {
      await client.query('begin');
      got = (await client.query<{ got: boolean }>('select pg_try_advisory_xact_lock($1::bigint) as got', [key])).rows[0]?.got;
    } catch (e) {
      await client.query('rollback').catch((err: Error) => (broken = err));
      throw e;
    }
    if (!got) {
      await client.query('rollback');
      return SKIPPED_ELSEWHERE;
    }
    try {
      return await run();
    } finally {
      // Ends the transaction, and with it the lock, whether the turn succeeded or not.
      await client.query('commit').catch((e: Error) => (broken = e));
    }
  } finally {
    client.release(broken);
  }
}

/** Builds the service over the ledger and starts listening, with the routine jobs asked for. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { port, host, superviseEveryMs, dayEndEveryMs, onRoutine, ...server } = options;
  const app = await buildServer(server);
  const address = await app.listen({ port, host });
  const { ledger } = server;
  const report = onRoutine ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const pool = ledger.store.pool;
  const guarded = (name: 'supervise' | 'day-end', run: () => Promise<string>) => async () => {
    try {
      report(name, { ok: true, detail: pool ? await exclusively(pool, ROUTINE_LOCK_KEYS[name], run) : await run() });
    } catch (e) {
      report(name, { ok: false, error: e instanceof Error ? e : new Error(String(e)) });
    }
  };
  if (dayEndEveryMs !== undefined) {
    stops.push(
      every(
        dayEndEveryMs,
        guarded('day-end', async () => {
          const r = await ledger.clearing.rollUp();
          return `${r.days} days, ${r.entries} entries summed`;
        }),
      ),
    );
  }
  if (superviseEveryMs !== undefined) {
    stops.push(
      every(
        superviseEveryMs,
        guarded('supervise', async () => {
          const r = await ledger.supervision.runIncremental(ROUTINE_ACTOR);
          return `run ${r.id}: ${r.settlements} settlements, ${r.leads} leads, ${r.newFindings} new findings`;
        }),
      ),
    );
  }
  return {
    address,
    close: async () => {
      await Promise.all(stops.map((s) => s()));
      await app.close();
    },
  };
}
