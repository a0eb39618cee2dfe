/**
 * The ledger's shared types: who acts, what a settle answers, and what the settle paths pass
 * between the read (statements.ts), the decision (decide.ts) and the write.
 */
import type { AccountEntry, AccountState } from '../account/types.js';
import type { PolicySet } from '../policy/registry.js';
import type { SettleOne } from '../request/settle-one.js';

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
