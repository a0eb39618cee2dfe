/**
 * The ledger's shared types: who acts, what a settle answers, and what the settle paths pass
 * between the read (statements.ts), the decision (decide.ts) and the write.
 */
import type { AccountEntry, AccountState } from '../account/types.js';
import type { PolicySet } from '../policy/registry.js';
import type { SettleOne } from '../request/settle-one.js';
import type { Durations } from '../metrics/registry.js';

/** Who is acting: recorded on every write. */
export interface Actor {
  id: string;
  role: 'institution' | 'agency' | 'analyst' | 'system';
  institutionId?: string;
}

/** A ledger entry as the API returns it. */
export type Entry = Record<string, unknown> & { id: string; kind: 'settlement' | 'reversal'; requestId: string };

export interface SettleResult {
  entry: Entry;
  /** False when the request id was seen before and the original entry is returned. */
  created: boolean;
  /** The entry as JSON text, as stored: what the API sends. */
  body: string;
}

export interface SettlePath {
  settle(req: SettleOne, actor: Actor): Promise<SettleResult>;
  /** What the path has done since it started, for the service's metrics. */
  stats(): SettlePathStats;
}

/**
 * What a settle path has done since it started (运行指标: `GET /metrics`, docs/operations.md
 * "Metrics"): how many settles wait, and the transactions that carried them.
 */
export interface SettlePathStats {
  /**
   * How it settles: `postgres` (batches on the settle pool, postgres-path.ts), `sqlite-writer`
   * (batches on the writer thread, sqlite-writer.ts), `sqlite` (batches on the caller's thread),
   * `kysely` (a transaction a settle: kysely-path.ts; the settles whose visit asks the personal
   * account to pay, and stores opened without the drivers' handles).
   */
  path: 'postgres' | 'sqlite-writer' | 'sqlite' | 'kysely';
  /** Settles accepted and not yet answered (queued, or in a transaction under way). */
  waiting: number;
  /** The most that may wait: one more is refused OVERLOADED (`yibao serve --max-queue`). */
  maxQueue: number;
  /** What the transactions did (queue.ts TransactionCounts). */
  transactions: {
    /** Transactions committed or rolled back. */
    readonly count: number;
    /** Settles they answered (written, retries answered, refusals). */
    readonly settles: number;
    /** Seconds each took. */
    readonly seconds: Durations;
    /** Settles each carried. */
    readonly sizes: Durations;
  };
}

/** One settle to run, and where its outcome goes. */
export interface SettleJob {
  req: SettleOne;
  actor: Actor;
}

/** What became of a settle of a batch: the result, or why it was refused or failed. */
export type SettleOutcome = { ok: SettleResult } | { error: unknown };

/** A settle waiting in a path's queue, with the promise it answers. */
export interface QueuedJob extends SettleJob {
  resolve: (r: SettleResult) => void;
  reject: (e: unknown) => void;
}

/** Rows (or row-like objects) a statement takes its parameters from, by key. */
export type Bag = Record<string, object | undefined>;

/** A row of the read statement (statements.ts SettleStatements.read). */
export interface ReadRow {
  k: number;
  s1: string | null;
  s2: string | null;
  s3: string | null;
  n1: number | string | null;
  n2: number | string | null;
  n3: number | string | null;
}

export type Decision =
  | { replay: SettleResult }
  | {
      result: SettleResult;
      bag: Bag;
      flags: number;
      /** The personal account's entry for what it paid, when the visit asked it to and it did. */
      accountEntry?: AccountEntry;
      /** The later layers' writes (one bag each for SettleStatements.layerWrites). */
      layers?: Bag[];
    };

/** The person's personal account as it stands in the transaction, when the visit asks it to pay. */
export interface AccountAtSettle {
  state: AccountState;
  policies: PolicySet;
}
