/** The settle paths' queues: how many settles a batch and a queue hold, and how a batch is answered. */
import { Durations, SECONDS_BUCKETS } from '../metrics/registry.js';
import { LedgerError } from './errors.js';
import type { QueuedJob, SettleOutcome } from './types.js';

/** At most this many settles share one SQLite transaction. */
export const MAX_BATCH = 64;

/**
 * At most this many settles wait in a path's queue for the writer (`yibao serve --max-queue`,
 * YIBAO_MAX_QUEUE); one more is refused at once with OVERLOADED (503, Retry-After), nothing
 * written, rather than wait longer than any client would.
 */
export const DEFAULT_MAX_QUEUE = 1024;

/** The refusal of a settle that finds its path's queue full. */
export function overloaded(waiting: number, maxQueue: number): LedgerError {
  return new LedgerError('OVERLOADED', `the ledger is busy: ${waiting} settles are waiting for its writer (at most ${maxQueue}); nothing was written; try again shortly`);
}

/** Answers each queued job with its outcome. */
export function answer(jobs: readonly QueuedJob[], outcomes: readonly SettleOutcome[]): void {
  for (let i = 0; i < jobs.length; i++) {
    const o = outcomes[i] as SettleOutcome;
    const job = jobs[i] as QueuedJob;
    if ('ok' in o) job.resolve(o.ok);
    else job.reject(o.error);
  }
}

/** Upper bounds of the settles-a-transaction histogram: 1 to {@link MAX_BATCH}. */
export const TRANSACTION_SIZE_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, MAX_BATCH];

/**
 * The transactions of a settle path (SettlePathStats): how many, the settles they answered
 * (written, replayed or refused), how long each took, and how many settles each carried. The
 * batched paths time a transaction from its BEGIN to its COMMIT's return (or its rollback's); the
 * Kysely path, a settle from its arrival, its wait for a connection included.
 */
export class TransactionCounts {
  count = 0;
  settles = 0;
  readonly seconds = new Durations(SECONDS_BUCKETS);
  readonly sizes = new Durations(TRANSACTION_SIZE_BUCKETS);

  record(settles: number, seconds: number): void {
    this.count++;
    this.settles += settles;
    this.seconds.observe(seconds);
    this.sizes.observe(settles);
  }
}
