/**
 * The analysis reads (统计、清算、监管的查询), and where they are read: the ledger's own database, or
 * a read replica of it (`yibao serve --read-db`, PostgreSQL streaming replication; docs/operations.md
 * "Reads on a replica").
 *
 * Routed to the replica: the fund statistics (GET /v1/stats/fund); clearing's statement list and
 * the month's views by paying centre and by district; supervision's finding list (and its file),
 * the finding counts and the list of runs. These are aggregates and lists an analyst or the
 * agency reads after the fact: a replica a moment behind gives the answer of a moment ago.
 *
 * Never routed: every write, and every read a write makes to decide (a settle's caps, idempotency,
 * the month close, a supervision run, the national interface); a caller's own answer (a
 * settlement, a close, a run); a person's accumulators and history; and the reads of one thing by
 * its id (a closed month, one statement, a finding and its history, a run), which a caller opens
 * right after writing it. Those stay on the primary, which always has its own latest writes.
 *
 * A replica that cannot be reached answers its reads 503 STORE_UNAVAILABLE naming the replica;
 * they do not fall back to the primary (the reason is in docs/operations.md).
 */
import { sql, type Kysely } from 'kysely';
import type { PolicySet } from '../policy/registry.js';
import { toYuanNumber } from '../money/money.js';
import { ClearingBook } from './clearing.js';
import type { LedgerDb } from './connect.js';
import { StoreUnavailableError, storeUnavailable } from './errors.js';
import { MonitoringSettings } from './monitoring-settings.js';
import type { Database } from './schema.js';
import { SupervisionBook, type SupervisionOptions } from './supervision.js';

export interface FundStats {
  year: number | null;
  rows: Record<string, unknown>[];
  totals: Record<string, number>;
}

/** Fund outlay by policy and month: net of reversals, no personal data. */
export async function fundStats(db: Kysely<Database>, year?: number): Promise<FundStats> {
  let q = db
    .selectFrom('settlements')
    .select([
      'policy',
      sql<string>`substr(visit_date, 1, 7)`.as('month'),
      sql<string>`sum(case when kind = 'settlement' then 1 else -1 end)`.as('settlements'),
      sql<string>`sum(total_fen)`.as('total'),
      sql<string>`sum(fund_pay_fen)`.as('fund'),
      sql<string>`sum(cash_pay_fen)`.as('cash'),
    ])
    .groupBy(['policy', sql`substr(visit_date, 1, 7)`])
    .orderBy('policy')
    .orderBy(sql`substr(visit_date, 1, 7)`);
  if (year !== undefined) q = q.where('year', '=', year);
  const rows = await q.execute();
  const out = rows.map((r) => ({
    policy: r.policy,
    month: r.month,
    settlements: Number(r.settlements),
    total: toYuanNumber(Number(r.total)),
    fundPay: toYuanNumber(Number(r.fund)),
    cashPay: toYuanNumber(Number(r.cash)),
  }));
  const sum = (k: 'total' | 'fund' | 'cash') => rows.reduce((a, r) => a + Number(r[k]), 0);
  return {
    year: year ?? null,
    rows: out,
    totals: {
      settlements: out.reduce((a, r) => a + r.settlements, 0),
      total: toYuanNumber(sum('total')),
      fundPay: toYuanNumber(sum('fund')),
      cashPay: toYuanNumber(sum('cash')),
    },
  };
}

/** The routed reads of the clearing book. */
export type ClearingReads = Pick<ClearingBook, 'statements' | 'centreStatements' | 'districtClearing'>;
/** The routed reads of the supervision book. */
export type SupervisionReads = Pick<SupervisionBook, 'findings' | 'counts' | 'runs'>;

/** The analysis reads, on the primary or on the replica. */
export interface AnalysisReads {
  /** Whether they go to a read replica. */
  readonly replica: boolean;
  fundStats(year?: number): Promise<FundStats>;
  readonly clearing: ClearingReads;
  readonly supervision: SupervisionReads;
}

/** What the readiness check reports of the replica. */
export interface ReplicaState {
  status: 'ready' | 'unavailable';
  /** The replica's URL without its password. */
  location: string;
  /** Whether it holds a yibao ledger (a `settlements` table on its search path): false for a wrong database. */
  ledger?: boolean;
  /** pg_is_in_recovery(): a standby replaying the primary's WAL (false: a server that is not a standby). */
  inRecovery?: boolean;
  /** pg_is_wal_replay_paused(): replay paused (pg_wal_replay_pause()), the reads stand still. */
  replayPaused?: boolean;
  /** pg_last_xact_replay_timestamp(): when the last transaction it replayed committed on the primary (ISO 8601), null before any. */
  lastReplayAt?: string | null;
  /**
   * 0 when it has replayed all the WAL it has received, else how long ago (its clock) the last
   * transaction it replayed committed: an upper bound of how far behind its reads are. Null when
   * not a standby or nothing was replayed yet.
   */
  replayLagMs?: number | null;
  error?: string;
}

/** The replica's error as STORE_UNAVAILABLE naming it, when it is one (a server away, or a query cancelled by replay). */
export function replicaError(e: unknown): unknown {
  const down = storeUnavailable(e);
  if (down) return new StoreUnavailableError(down.reason, 'the read replica');
  // A hot standby cancels a query that replay conflicts with (max_standby_streaming_delay): asked again, it runs.
  const err = e as { code?: unknown; message?: unknown };
  if (err?.code === '40001' && typeof err.message === 'string' && /conflict with recovery/.test(err.message)) {
    return new StoreUnavailableError(`a query cancelled by the replica's replay: ${err.message}`, 'the read replica');
  }
  return e;
}

/** `target` with every method's failure from the replica turned into STORE_UNAVAILABLE naming it. */
function onReplica<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      const v = Reflect.get(t, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        try {
          const r = (v as (...a: unknown[]) => unknown).apply(t, args);
          return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(replicaError(e))) : r;
        } catch (e) {
          throw replicaError(e);
        }
      };
    },
  });
}

/** The analysis reads on the primary's own books. */
export function primaryReads(db: Kysely<Database>, clearing: ClearingBook, supervision: SupervisionBook): AnalysisReads {
  return { replica: false, fundStats: (year) => fundStats(db, year), clearing, supervision };
}

/** The analysis reads on a read replica: books of their own over its pool, read only. */
export function replicaReads(replica: LedgerDb, policies: PolicySet, now: () => number, supervision: SupervisionOptions = {}): AnalysisReads {
  const settings = new MonitoringSettings(replica.db, now);
  return {
    replica: true,
    fundStats: (year) => fundStats(replica.db, year).catch((e: unknown) => Promise.reject(replicaError(e))),
    clearing: onReplica(new ClearingBook(replica.db, true, policies, now)),
    supervision: onReplica(new SupervisionBook(replica, settings, now, { policies, ...supervision })),
  };
}

/** The replica's state for /readyz: reachable or not, and how far behind (cheap: one query of four functions). */
export async function replicaState(replica: LedgerDb): Promise<ReplicaState> {
  try {
    const { rows } = await sql<{
      ledger: boolean;
      recovery: boolean;
      paused: boolean | null;
      replayed_at: Date | null;
      lag_ms: string | number | null;
      caught_up: boolean | null;
    }>`
      select to_regclass('settlements') is not null as ledger,
        pg_is_in_recovery() as recovery,
        case when pg_is_in_recovery() then pg_is_wal_replay_paused() end as paused,
        pg_last_xact_replay_timestamp() as replayed_at,
        (extract(epoch from (clock_timestamp() - pg_last_xact_replay_timestamp())) * 1000)::bigint as lag_ms,
        pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() as caught_up`.execute(replica.db);
    const r = rows[0];
    if (!r) throw new Error('no answer');
    return {
      status: 'ready',
      location: replica.location,
      ledger: r.ledger,
      inRecovery: r.recovery,
      replayPaused: r.paused ?? false,
      lastReplayAt: r.replayed_at ? new Date(r.replayed_at).toISOString() : null,
      replayLagMs: !r.recovery || r.replayed_at === null ? null : r.caught_up ? 0 : Math.max(0, Number(r.lag_ms)),
    };
  } catch (e) {
    return { status: 'unavailable', location: replica.location, error: (e as Error).message };
  }
}
