/**
 * The SQLite writer thread: the service settles on a thread of its own.
 *
 * SQLite has one writer at a time, so settles are serialized whatever thread runs them; running
 * them on the event loop's thread would add the cost of every settle (the engine, the statements,
 * the commit) to the cost of parsing and answering every request, on one core. Here the event loop
 * validates requests and answers them, and the writer thread — its own connection to the same
 * file — settles them in batches (SqliteBatchSettler: one transaction per batch, group commit).
 *
 * Jobs that arrive in one turn of the event loop go to the thread in one message; the thread takes
 * every message waiting when it is free, up to a batch, and answers each batch in one message
 * after its COMMIT. Outcomes cross as data: the entry's JSON text (parsed here only when asked
 * for), or the refusal's code and message, rebuilt as the same error classes.
 *
 * The main thread's own connection still serves reads and the other writes (reversals, keys);
 * its transactions begin IMMEDIATE, so they queue for the write lock behind the writer's batch.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SettlementError, type MissingParameter, type SettlementErrorCode } from '../engine/errors.js';
import type { PolicyPack } from '../policy/model.js';
import type { SettleOne } from '../request/settle-one.js';
import { LedgerError, type LedgerErrorCode } from './errors.js';
import type { Actor, Entry, SettleJob, SettleOutcome, SettlePath, SettlePathStats, SettleResult } from './types.js';
import type { RegistryMode } from './registry.js';
import { DEFAULT_MAX_QUEUE, overloaded, TransactionCounts } from './queue.js';

/** What the thread is started with. */
export interface WriterThreadData {
  path: string;
  synchronous: number;
  busyTimeout: number;
  walAutocheckpoint?: number;
  /** The policy packs the service settles under (plain data; each side builds its own engine). */
  packs: readonly PolicyPack[];
  /** The service thread's id clock (ids.ts), so that entry ids of both threads keep one order. */
  idClock: SharedArrayBuffer;
  /** What the ledger requires on file before it settles (registry.ts). */
  mode: RegistryMode;
  /** The service thread's clock tolerance for visits after now (visit-time.ts). */
  clockToleranceMs: number;
}

/** Main → writer. */
export type ToWriter = { jobs: (SettleJob & { seq: number })[] } | { stop: true };

/** A settle's outcome as it crosses threads. */
export type WireOutcome =
  | { ok: { body: string; created: boolean } }
  | { ledgerError: { code: LedgerErrorCode; message: string } }
  | { settlementError: { code: SettlementErrorCode; message: string; missing: readonly MissingParameter[] } }
  | { failure: { message: string; code?: string } };

/** Writer → main: a batch's outcomes after its transaction, with the seconds it took (BEGIN to COMMIT). */
export type FromWriter = { ready: true; synchronous: number } | { results: [seq: number, outcome: WireOutcome][]; seconds: number } | { fatal: string };

export function toWire(o: SettleOutcome): WireOutcome {
  if ('ok' in o) return { ok: { body: o.ok.body, created: o.ok.created } };
  const e = o.error;
  if (e instanceof LedgerError) return { ledgerError: { code: e.code, message: e.message } };
  if (e instanceof SettlementError) return { settlementError: { code: e.code, message: e.message, missing: e.missing } };
  const err = e as { message?: unknown; code?: unknown };
  return { failure: { message: String(err?.message ?? e), ...(typeof err?.code === 'string' ? { code: err.code } : {}) } };
}

/** The settle result for an entry's JSON text; the entry is parsed only when read. */
export function resultOf(body: string, created: boolean): SettleResult {
  let entry: Entry | undefined;
  return {
    created,
    body,
    get entry(): Entry {
      entry ??= JSON.parse(body) as Entry;
      return entry;
    },
  };
}

function fromWire(w: WireOutcome): { ok: SettleResult } | { error: Error } {
  if ('ok' in w) return { ok: resultOf(w.ok.body, w.ok.created) };
  if ('ledgerError' in w) return { error: new LedgerError(w.ledgerError.code, w.ledgerError.message) };
  if ('settlementError' in w) return { error: new SettlementError(w.settlementError.code, w.settlementError.message, w.settlementError.missing) };
  return { error: Object.assign(new Error(w.failure.message), w.failure.code ? { code: w.failure.code } : {}) };
}

/**
 * The compiled thread. From the TypeScript sources (the tests run them), the build's copy: the
 * thread cannot run TypeScript, and `npm test` builds first.
 */
function threadFile(): URL {
  const beside = new URL('./sqlite-writer-thread.js', import.meta.url);
  if (existsSync(beside)) return beside;
  return new URL('../../dist/src/ledger/sqlite-writer-thread.js', import.meta.url);
}

interface Waiting {
  resolve: (r: SettleResult) => void;
  reject: (e: unknown) => void;
}

/** The settle path of the service on SQLite: the writer thread's client. */
export class SqliteWriterPath implements SettlePath {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private outbox: (SettleJob & { seq: number })[] = [];
  private seq = 0;
  private readonly counts = new TransactionCounts();
  private stopped: Error | undefined;
  private readonly exited: Promise<void>;
  /** Resolves when the thread has opened the file and is ready; rejects if it could not. */
  readonly ready: Promise<void>;
  /** `PRAGMA synchronous` of the thread's connection, as it reported when ready. */
  synchronous: number | undefined;

  /**
   * `maxQueue`: at most this many settles sent and not yet answered (the queue in front of the
   * thread); one more is refused OVERLOADED.
   */
  constructor(
    data: WriterThreadData,
    private readonly maxQueue = DEFAULT_MAX_QUEUE,
  ) {
    this.worker = new Worker(threadFile(), { workerData: data });
    let started!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    // Awaited by whoever cares; not an unhandled rejection for those who do not.
    this.ready.catch(() => undefined);
    this.worker.on('message', (m: FromWriter) => {
      if ('results' in m) {
        this.counts.record(m.results.length, m.seconds);
        for (const [seq, w] of m.results) {
          const waiting = this.waiting.get(seq);
          if (!waiting) continue;
          this.waiting.delete(seq);
          const o = fromWire(w);
          if ('ok' in o) waiting.resolve(o.ok);
          else waiting.reject(o.error);
        }
      } else if ('ready' in m) {
        this.synchronous = m.synchronous;
        started();
      } else this.fail(new Error(`the ledger writer thread stopped: ${m.fatal}`), failed);
    });
    this.worker.on('error', (e) => this.fail(new Error(`the ledger writer thread stopped: ${e.message}`), failed));
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', () => {
        this.fail(new Error('the ledger writer thread has stopped'), failed);
        resolve();
      }),
    );
    // Once it is ready, the server's socket keeps the process alive, not this thread.
    this.ready.then(
      () => this.worker.unref(),
      () => undefined,
    );
  }

  settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.waiting.size >= this.maxQueue) return Promise.reject(overloaded(this.waiting.size, this.maxQueue));
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.waiting.set(seq, { resolve, reject });
      if (this.outbox.push({ seq, req, actor }) === 1) setImmediate(() => this.flush());
    });
  }

  stats(): SettlePathStats {
    return { path: 'sqlite-writer', waiting: this.waiting.size, maxQueue: this.maxQueue, transactions: this.counts };
  }

  /** The settles of this turn of the event loop, in one message. */
  private flush(): void {
    const jobs = this.outbox;
    this.outbox = [];
    if (jobs.length > 0 && !this.stopped) this.worker.postMessage({ jobs } satisfies ToWriter);
  }

  private fail(e: Error, failStart: (e: Error) => void): void {
    this.stopped ??= e;
    failStart(e);
    for (const w of this.waiting.values()) w.reject(this.stopped);
    this.waiting.clear();
  }

  /** Lets the settles already sent finish, then stops the thread and closes its connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.flush();
    while (this.waiting.size > 0 && !this.stopped) await new Promise<void>((r) => setTimeout(r, 1));
    // Held again while it stops (see the checkpointer's stop in connect.ts): else the process
    // could end before the thread's exit is seen, with exit code 13.
    this.worker.ref();
    this.worker.postMessage({ stop: true } satisfies ToWriter);
    await this.exited;
  }
}
