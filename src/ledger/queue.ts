/** The settle paths' queues: how many settles a batch and a queue hold, and how a batch is answered. */
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
