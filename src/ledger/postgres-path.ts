/**
 * PostgreSQL: settles batched, two round trips per batch, `BEGIN; locks; read` and
 * `write; COMMIT`, the batch's reads one statement and its writes another (statements.ts
 * batchRead, batchWrite), every statement with bound parameters, the statements of a round trip
 * sent together (pg's pipeline mode).
 */
import type pg from 'pg';
import type { SettlementEngine } from '../engine/settle.js';
import type { SettleOne } from '../request/settle-one.js';
import { type PgStatements, SETTLE_CONNECTIONS } from './connect.js';
import { decide, settleReplay } from './decide.js';
import { isUniqueViolation, replayed } from './idempotency.js';
import { answer, DEFAULT_MAX_QUEUE, MAX_BATCH, overloaded, TransactionCounts } from './queue.js';
import type { RegistryMode } from './registry.js';
import { batchLocksBag, batchReadBag, batchWriteBag, readBag, type SettleStatements, type Statement } from './statements.js';
import type { Actor, Bag, Decision, QueuedJob, ReadRow, SettleJob, SettleOutcome, SettlePath, SettlePathStats, SettleResult } from './types.js';

/**
 * A statement with its bound parameters. `prepared`: named, so pg parses it once per connection
 * and then sends only the name and the parameters. `unprepared`: unnamed, parsed where it runs,
 * so it needs nothing left on the server connection by an earlier transaction, as behind a
 * transaction-pooling proxy that may give each transaction another server connection
 * (connect.ts PgStatements).
 */
export function bound(s: Statement, bag: Bag, how: PgStatements = 'prepared'): pg.QueryConfig {
  return how === 'prepared' ? { name: s.name, text: s.sql, values: s.params(bag) } : { text: s.sql, values: s.params(bag) };
}

/**
 * Sends the queries together, in one write to the socket when the connection is in pipeline mode
 * (the settle pool's are: connect.ts), and waits for every answer. PostgreSQL runs them in order;
 * after one fails, the rest of an explicit transaction fail too (25P02): the first error, the cause,
 * is thrown. Without pipeline mode pg sends them one after another: slower, the same result.
 */
export async function pipelined(client: pg.PoolClient, queries: readonly (string | pg.QueryConfig)[]): Promise<pg.QueryResult[]> {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
  stream?.cork?.();
  let sent: Promise<pg.QueryResult>[];
  try {
    sent = queries.map((q) => client.query(q));
  } finally {
    stream?.uncork?.();
  }
  const answers = await Promise.allSettled(sent);
  const failed = answers.find((a) => a.status === 'rejected');
  if (failed) throw failed.reason;
  return answers.map((a) => (a as PromiseFulfilledResult<pg.QueryResult>).value);
}

/**
 * Batches that start as soon as settles wait: one in PostgreSQL while the next is read and
 * decided. More start only as {@link PostgresSettlePath} says.
 */
export const FREE_BATCHES = 2;

/**
 * A batch in flight this long (ms) no longer holds the next one back: a batch takes a few ms when
 * it commits at once; one this old is waiting (for a lock, for the disk).
 */
export const PARALLEL_AFTER_MS = 20;

/**
 * PostgreSQL: settles batched into one transaction on a pooled connection, in two round trips
 * whatever the batch's size (group commit, one WAL flush per batch):
 *
 *   1. `BEGIN;` the batch's locks, one statement (statements.ts batchLocks: the clearing lock
 *      shared, each person's advisory lock in id order, so batches on other connections or other
 *      servers never deadlock, then each visit's); then the batch's read, one statement for all
 *      its settles. The statements run one after the other, each with its own snapshot, so the
 *      read sees what was committed before the locks were granted.
 *   2. Each settle decided (refusals and retries write nothing); the writes of all that were
 *      settled, one statement (data-modifying CTEs, one a table); `COMMIT`.
 *
 * A batch holds each person, visit and request id at most once (a later one waits for the next
 * batch), so no read of a batch misses a write of the same batch; a new institution registered
 * twice in a batch is checked against the first. Up to `concurrency` batches run at once, each on
 * its own connection; under light load a batch is one settle. While {@link FREE_BATCHES} are in
 * flight, the next starts only when a full batch ({@link MAX_BATCH}) waits or the oldest in
 * flight is {@link PARALLEL_AFTER_MS} old: the settles that arrive meanwhile gather into a larger
 * batch (fewer transactions, messages and commits per settle: bench/api measured about a sixth
 * less CPU per settle in PostgreSQL's backends than with four small batches at once, at the same
 * rate or better; docs/benchmarks.md). If a write fails, the batch is rolled back and
 * its settles run again one per batch, so only the failing one fails (a request id raced by
 * another connection is then answered as a retry).
 *
 * Every statement goes with bound parameters ({@link bound}), prepared once per connection or
 * not (connect.ts PgStatements: `unprepared` behind a transaction-pooling proxy that keeps no
 * prepared statements, test/e2e/pgbouncer.test.ts); the statements of a round trip are sent
 * together ({@link pipelined}) on the settle pool's connections, which are in pg's pipeline mode.
 */
export class PostgresSettlePath implements SettlePath {
  private readonly queue: QueuedJob[] = [];
  /** When each batch in flight started (performance.now()). */
  private readonly inFlight = new Set<{ at: number }>();
  /** Set while settles wait for a batch in flight to commit or to be {@link PARALLEL_AFTER_MS} old. */
  private timer: NodeJS.Timeout | undefined;
  /** Settles in the batches in flight. */
  private inFlightSettles = 0;
  private readonly counts = new TransactionCounts();

  constructor(
    private readonly pool: pg.Pool,
    private readonly statements: SettleStatements,
    private readonly engine: SettlementEngine,
    private readonly now: () => number,
    private readonly mode: RegistryMode,
    private readonly concurrency = SETTLE_CONNECTIONS,
    private readonly maxQueue = DEFAULT_MAX_QUEUE,
    private how: PgStatements = 'prepared',
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    if (this.queue.length >= this.maxQueue) return Promise.reject(overloaded(this.queue.length, this.maxQueue));
    return new Promise((resolve, reject) => {
      this.queue.push({ req, actor, resolve, reject });
      this.pump();
    });
  }

  stats(): SettlePathStats {
    return { path: 'postgres', waiting: this.queue.length + this.inFlightSettles, maxQueue: this.maxQueue, transactions: this.counts };
  }

  /**
   * Starts a batch while fewer than {@link FREE_BATCHES} are in flight, and more (up to
   * `concurrency`) only while a full batch waits, or once the oldest batch in flight has taken {@link PARALLEL_AFTER_MS} (it may be
   * waiting for a person's lock that another instance holds: the others do not wait behind it).
   */
  private pump(): void {
    while (this.inFlight.size < this.concurrency && this.queue.length > 0) {
      if (this.inFlight.size >= FREE_BATCHES && this.queue.length < MAX_BATCH) {
        let oldest = Number.POSITIVE_INFINITY;
        for (const b of this.inFlight) oldest = Math.min(oldest, b.at);
        const wait = oldest + PARALLEL_AFTER_MS - performance.now();
        if (wait > 0) {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, Math.ceil(wait)).unref();
          return;
        }
      }
      const batch = this.takeBatch();
      const started = { at: performance.now() };
      this.inFlight.add(started);
      this.inFlightSettles += batch.length;
      void this.runBatch(batch).finally(() => {
        this.inFlight.delete(started);
        this.inFlightSettles -= batch.length;
        this.pump();
      });
    }
  }

  /** Up to MAX_BATCH queued settles, in order, each person, visit and request id once. */
  private takeBatch(): QueuedJob[] {
    const batch: QueuedJob[] = [];
    const seen = new Set<string>();
    const rest: QueuedJob[] = [];
    for (const job of this.queue) {
      const keys = [`p\u0000${job.req.person.id}`, `v\u0000${job.req.visit.institution.id}\u0000${job.req.visit.id}`, `r\u0000${job.req.requestId}`];
      if (batch.length < MAX_BATCH && !keys.some((k) => seen.has(k))) {
        batch.push(job);
        for (const k of keys) seen.add(k);
      } else {
        rest.push(job);
        // A later settle of a person stays behind the earlier one.
        for (const k of keys) seen.add(k);
      }
    }
    this.queue.length = 0;
    this.queue.push(...rest);
    return batch;
  }

  private async runBatch(batch: QueuedJob[]): Promise<void> {
    let outcomes: SettleOutcome[];
    try {
      outcomes = await this.settleBatch(batch).catch((e: unknown) => {
        if (!this.lostPrepared(e)) throw e;
        // Nothing of the batch was committed: again, unprepared.
        return this.settleBatch(batch);
      });
    } catch (e) {
      outcomes = batch.length === 1 ? [{ error: e }] : [];
      if (batch.length > 1) {
        // A write failed: each settle again on its own, so that only the failing one fails.
        for (const job of batch) {
          try {
            outcomes.push(...(await this.settleBatch([job])));
          } catch (err) {
            outcomes.push({ error: err });
          }
        }
      }
    }
    answer(batch, outcomes);
  }

  /**
   * A prepared statement the server connection does not have (26000), or has already (42P05,
   * prepared there by another of our connections): a transaction-pooling proxy that keeps no
   * prepared statements lent this transaction a server connection other than the one this client
   * connection prepared on. From now on the statements go unprepared (as `--pg-statements
   * unprepared`), and the operator is told once.
   */
  private lostPrepared(e: unknown): boolean {
    const code = (e as { code?: unknown } | null)?.code;
    if (code !== '26000' && code !== '42P05') return false;
    if (this.how === 'prepared') {
      this.how = 'unprepared';
      this.warn(
        `postgres: the settle's prepared statements are not kept by the server connections (${(e as Error).message}): a transaction-pooling proxy that keeps no prepared statements is in between; settle statements now go unprepared (--pg-statements unprepared or YIBAO_PG_STATEMENTS=unprepared starts so)`,
      );
    }
    // A batch sent prepared before the change (another in flight) runs again too.
    return true;
  }

  /** One batch in one transaction; throws (all rolled back) when a statement fails. */
  private async settleBatch(batch: readonly SettleJob[]): Promise<SettleOutcome[]> {
    const st = this.statements;
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const started = performance.now();
    try {
      const reqs = batch.map((j) => j.req);
      try {
        const opened = await pipelined(client, ['begin', bound(st.batchLocks, batchLocksBag(reqs), this.how), bound(st.batchRead, batchReadBag(reqs), this.how)]);
        const read = (opened[2] as pg.QueryResult).rows as (ReadRow & { i: number })[];
        const rowsOf = batch.map((): ReadRow[] => []);
        for (const r of read) rowsOf[r.i]?.push(r);
        const now = this.now();
        const outcomes: SettleOutcome[] = [];
        const decided: Extract<Decision, { bag: Bag }>[] = [];
        const registered = new Map<string, ReadRow>();
        batch.forEach((job, i) => {
          try {
            const d = decide(this.engine, job.req, job.actor, withRegistered(rowsOf[i] as ReadRow[], job.req, registered), now, undefined, this.mode);
            if ('replay' in d) return void outcomes.push({ ok: d.replay });
            decided.push(d);
            const inst = job.req.visit.institution;
            registered.set(inst.id, { k: 3, s1: inst.tier, s2: null, s3: null, n1: inst.grade, n2: inst.contracted ? 1 : 0, n3: null });
            outcomes.push({ ok: d.result });
          } catch (e) {
            outcomes.push({ error: e });
          }
        });
        if (decided.length === 0) {
          await client.query('rollback');
          return outcomes;
        }
        const done = await pipelined(client, [bound(st.batchWrite, batchWriteBag(decided), this.how), 'commit']);
        // A failed write throws above; a COMMIT that PostgreSQL answers ROLLBACK committed nothing.
        const commit = done[done.length - 1] as pg.QueryResult;
        if (commit.command !== 'COMMIT') throw new Error(`the batch's commit was answered ${commit.command}`);
        return outcomes;
      } catch (e) {
        await client.query('rollback').catch((err: Error) => (broken = err));
        if (batch.length === 1 && !broken && isUniqueViolation(e)) return [await this.afterUniqueViolation(client, batch[0] as SettleJob, e)];
        throw e;
      }
    } finally {
      client.release(broken);
      this.counts.record(batch.length, (performance.now() - started) / 1000);
    }
  }

  /** Two requests with one id raced: the loser's insert hit the unique index. Answer as a retry. */
  private async afterUniqueViolation(client: pg.PoolClient, job: SettleJob, e: unknown): Promise<SettleOutcome> {
    const { rows } = await client.query(bound(this.statements.replay, readBag(job.req), this.how));
    const prior = rows[0] as { body: string; request_hash: string; kind: string } | undefined;
    if (!prior) throw e;
    try {
      return { ok: replayed(settleReplay(job.req), prior) };
    } catch (refused) {
      return { error: refused };
    }
  }
}

/**
 * The read's rows, with the registry row of an institution an earlier settle of the same batch
 * registers (the read, made before that write, did not see it).
 */
function withRegistered(rows: ReadRow[], req: SettleOne, registered: Map<string, ReadRow>): ReadRow[] {
  const mine = registered.get(req.visit.institution.id);
  if (!mine || rows.some((r) => Number(r.k) === 3)) return rows;
  return [...rows, mine];
}
