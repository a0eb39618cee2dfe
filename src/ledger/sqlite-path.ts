/**
 * SQLite: settles that arrive together are committed together (group commit): one
 * `BEGIN IMMEDIATE … COMMIT` holds several settles. A settle writes only after it is decided, so a
 * refused one leaves nothing behind while the others commit. No answer is given before the COMMIT
 * returns, so every acknowledged settle is durable (WAL). SQLite has one writer, so the batch also
 * serializes every person. The service runs the batches on a thread of their own
 * (sqlite-writer.ts); the CLI on its own thread (SqliteSettlePath).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { SettlementEngine } from '../engine/settle.js';
import type { SettleOne } from '../request/settle-one.js';
import { decide } from './decide.js';
import { answer, DEFAULT_MAX_QUEUE, MAX_BATCH, overloaded, TransactionCounts } from './queue.js';
import type { RegistryMode } from './registry.js';
import type { Database } from './schema.js';
import { readBag, type SettleStatements, type Statement } from './statements.js';
import type { Actor, Bag, Decision, QueuedJob, ReadRow, SettleJob, SettleOutcome, SettlePath, SettlePathStats, SettleResult } from './types.js';

/**
 * SQLite: a batch of settles in one `BEGIN IMMEDIATE … COMMIT`, synchronously, on one connection
 * (group commit). Used on the event loop's thread (SqliteSettlePath) and by the writer thread
 * (sqlite-writer.ts).
 *
 * Each settle first reads and decides, and writes only once the engine has settled it, so a
 * refused settle (LedgerError, SettlementError) writes nothing and needs no savepoint: savepoints
 * cost SQLite a copy of every page a settle touches. A write that fails (which the read and the
 * single writer leave to disk errors and the like) rolls the whole batch back; its settles are
 * then run again one transaction each, so only the failing one fails. No outcome is given out
 * before the COMMIT returns: every acknowledged settle is durable (WAL).
 *
 * SQLite has one writer, so the batch also serializes every person: the person's row is written
 * (only when new) as the first write, not read as a lock.
 */
export class SqliteBatchSettler {
  private readonly prepared = new Map<Statement, BetterSqlite3.Statement>();
  private readonly begin: BetterSqlite3.Statement;
  private readonly commit: BetterSqlite3.Statement;
  private readonly rollback: BetterSqlite3.Statement;

  constructor(
    readonly sqlite: BetterSqlite3.Database,
    private readonly statements: SettleStatements,
    private readonly engine: SettlementEngine,
    private readonly now: () => number,
    private readonly mode: RegistryMode,
  ) {
    this.begin = sqlite.prepare('begin immediate');
    this.commit = sqlite.prepare('commit');
    this.rollback = sqlite.prepare('rollback');
  }

  /** `BEGIN IMMEDIATE` once (throws SQLITE_BUSY when another connection holds the write lock). */
  beginNow(): void {
    this.begin.run();
  }

  private stmt(s: Statement): BetterSqlite3.Statement {
    let st = this.prepared.get(s);
    if (!st) {
      st = this.sqlite.prepare(s.sql);
      this.prepared.set(s, st);
    }
    return st;
  }

  /**
   * Settles a batch in one transaction, which this begins (busy-waiting up to the connection's
   * timeout for the write lock) unless `begun`. Throws only when the transaction itself fails
   * (BEGIN or COMMIT): then nothing of the batch was written.
   */
  settleBatch(batch: readonly SettleJob[], begun = false): SettleOutcome[] {
    if (!begun) this.beginNow();
    const outcomes: SettleOutcome[] = [];
    /** The error of a write that failed midway, which rolls the batch back. */
    let failed: { error: unknown } | undefined;
    try {
      for (const job of batch) {
        const d = this.decide(job);
        if ('error' in d || 'replay' in d) {
          outcomes.push('error' in d ? d : { ok: d.replay });
          continue;
        }
        try {
          this.write(d);
        } catch (e) {
          failed = { error: e };
          break;
        }
        outcomes.push({ ok: d.result });
      }
      if (!failed) this.commit.run();
    } catch (e) {
      if (this.sqlite.inTransaction) this.rollback.run();
      throw e;
    }
    if (!failed) return outcomes;
    this.rollback.run();
    // One settle's write failed midway: every settle again, each alone, so that only it fails.
    if (batch.length === 1) return [failed];
    return batch.map((job) => {
      try {
        return (this.settleBatch([job]) as [SettleOutcome])[0];
      } catch (e) {
        return { error: e };
      }
    });
  }

  /** Reads what the ledger holds for the settle and decides it; writes nothing. */
  private decide(job: SettleJob): Decision | { error: unknown } {
    const { req, actor } = job;
    const st = this.statements;
    try {
      const rows = this.stmt(st.read).all(st.read.params(readBag(req))) as ReadRow[];
      return decide(this.engine, req, actor, rows, this.now(), undefined, this.mode);
    } catch (e) {
      return { error: e };
    }
  }

  private write(d: Extract<Decision, { bag: Bag }>): void {
    const st = this.statements;
    for (const { flag, stmt } of st.writes) {
      if (flag === 0 || d.flags & flag) this.stmt(stmt).run(stmt.params(d.bag));
    }
    for (const [stmt, bag] of st.layerCalls(d)) this.stmt(stmt).run(stmt.params(bag));
  }
}

/** SQLite on this thread: settles queued in the same turn of the event loop are committed together. */
export class SqliteSettlePath implements SettlePath {
  private readonly queue: QueuedJob[] = [];
  private draining = false;
  private readonly batcher: SqliteBatchSettler;
  private readonly busyTimeout: number;
  /** Settles of the batch under way. */
  private inBatch = 0;
  private readonly counts = new TransactionCounts();

  constructor(
    private readonly db: Kysely<Database>,
    sqlite: BetterSqlite3.Database,
    statements: SettleStatements,
    engine: SettlementEngine,
    now: () => number,
    mode: RegistryMode,
    private readonly maxQueue = DEFAULT_MAX_QUEUE,
  ) {
    this.batcher = new SqliteBatchSettler(sqlite, statements, engine, now, mode);
    this.busyTimeout = Number(sqlite.pragma('busy_timeout', { simple: true }));
  }

  settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    if (this.queue.length >= this.maxQueue) return Promise.reject(overloaded(this.queue.length, this.maxQueue));
    return new Promise((resolve, reject) => {
      this.queue.push({ req, actor, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  stats(): SettlePathStats {
    return { path: 'sqlite', waiting: this.queue.length + this.inBatch, maxQueue: this.maxQueue, transactions: this.counts };
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        this.inBatch = batch.length;
        let outcomes: SettleOutcome[];
        try {
          // Kysely's hold on the one connection: no other transaction is open on it meanwhile.
          outcomes = await this.db.connection().execute(async () => {
            await this.beginImmediate();
            const started = performance.now();
            try {
              return this.batcher.settleBatch(batch, true);
            } finally {
              this.counts.record(batch.length, (performance.now() - started) / 1000);
            }
          });
        } catch (e) {
          outcomes = batch.map(() => ({ error: e }));
        }
        this.inBatch = 0;
        answer(batch, outcomes);
        // Let the requests that arrived meanwhile in, to join the next batch.
        if (this.queue.length > 0) await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * `BEGIN IMMEDIATE`: takes the write lock, without the busy wait that would block the event
   * loop while another process (a CLI command, another server on the file) holds it: tries again
   * a little later, for as long as the connection's busy timeout.
   */
  private async beginImmediate(): Promise<void> {
    const sqlite = this.batcher.sqlite;
    const started = Date.now();
    for (let delay = 1; ; delay = Math.min(delay * 2, 16)) {
      // (A pragma takes effect when prepared, so it is not kept as a prepared statement.)
      sqlite.pragma('busy_timeout = 0');
      try {
        this.batcher.beginNow();
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() - started >= this.busyTimeout) throw e;
      } finally {
        sqlite.pragma(`busy_timeout = ${this.busyTimeout}`);
      }
      await new Promise<void>((r) => setTimeout(r, delay));
    }
  }
}
