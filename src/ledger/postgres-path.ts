/**
 * PostgreSQL: settles batched, two round trips per batch, `BEGIN; locks; reads` and
 * `writes; COMMIT`, each settle's writes one statement (data-modifying CTEs), all through
 * statements prepared once per connection and run with literal arguments.
 */
import type pg from 'pg';
import type { SettlementEngine } from '../engine/settle.js';
import type { SettleOne } from '../request/settle-one.js';
import { decide, settleReplay } from './decide.js';
import { isUniqueViolation, replayed } from './idempotency.js';
import { answer, DEFAULT_MAX_QUEUE, MAX_BATCH, overloaded } from './queue.js';
import type { RegistryMode } from './registry.js';
import { readBag, visitLockBag, W_ALL, type SettleStatements, type Statement } from './statements.js';
import type { Actor, Bag, QueuedJob, ReadRow, SettleJob, SettleOutcome, SettlePath, SettleResult } from './types.js';

/**
 * A value as an SQL literal, for `EXECUTE name(…)`: quotes doubled, and backslashes doubled in an
 * E'' string (so it reads the same whatever standard_conforming_strings says) — as pg's
 * escapeLiteral. Numbers are sent quoted and take the parameter's type. A NUL character cannot
 * be in a query's text: such a value is refused here and the settle sent with bound parameters.
 */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) s = String(v);
  else throw new TypeError(`no SQL literal for ${typeof v} ${String(v)}`);
  if (s.includes('\u0000')) throw new TypeError('a NUL character cannot be sent in a query text');
  if (s.includes("'")) s = s.replace(/'/g, "''");
  return s.includes('\\') ? ` E'${s.replace(/\\/g, '\\\\')}'` : `'${s}'`;
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

const hasNul = (...values: (string | undefined)[]) => values.some((v) => v?.includes('\u0000'));

/**
 * PostgreSQL: settles batched into one transaction on a pooled connection, in two round trips
 * whatever the batch's size (group commit, one WAL flush per batch):
 *
 *   1. `BEGIN;` each person's advisory lock, in id order (so batches on other connections or
 *      other servers never deadlock); then each settle's read. Statements of one simple-protocol
 *      message run one after the other, each with its own snapshot, so every read sees what was
 *      committed before its locks were granted.
 *   2. Each settle decided (refusals and retries write nothing), its writes (one statement of
 *      data-modifying CTEs each); `COMMIT`.
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
 * Statements are prepared once per connection and run with `EXECUTE name(literals)`. A request
 * with a NUL character in a field goes through bound parameters instead, where the server
 * refuses it as it always has.
 */
export class PostgresSettlePath implements SettlePath {
  /** Connections on which the statements are prepared. */
  private readonly ready = new WeakSet<object>();
  private readonly prepareAll: string;
  private readonly writes: Statement[];
  private readonly queue: QueuedJob[] = [];
  /** When each batch in flight started (performance.now()). */
  private readonly inFlight = new Set<{ at: number }>();
  /** Set while settles wait for a batch in flight to commit or to be {@link PARALLEL_AFTER_MS} old. */
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly statements: SettleStatements,
    private readonly engine: SettlementEngine,
    private readonly now: () => number,
    private readonly mode: RegistryMode,
    private readonly concurrency = 4,
    private readonly maxQueue = DEFAULT_MAX_QUEUE,
  ) {
    const st = statements;
    this.writes = Array.from({ length: W_ALL + 1 }, (_, flags) => st.combinedWrite(flags));
    this.prepareAll = [st.lock, st.visitLock, st.read, ...this.writes, ...st.layerWrites].map((x) => `prepare ${x.name} as ${x.sql}`).join(';\n');
  }

  private static execute(s: Statement, bag: Bag): string {
    return `execute ${s.name}(${s.params(bag).map(literal).join(', ')})`;
  }

  settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    const { person, visit } = req;
    if (hasNul(req.requestId, person.id, person.familyDoctorAt, visit.id, visit.institution.id)) return this.settleWithParameters(req, actor);
    if (this.queue.length >= this.maxQueue) return Promise.reject(overloaded(this.queue.length, this.maxQueue));
    return new Promise((resolve, reject) => {
      this.queue.push({ req, actor, resolve, reject });
      this.pump();
    });
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
      void this.runBatch(batch).finally(() => {
        this.inFlight.delete(started);
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
      outcomes = await this.settleBatch(batch);
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

  /** One batch in one transaction; throws (all rolled back) when a statement fails. */
  private async settleBatch(batch: readonly SettleJob[]): Promise<SettleOutcome[]> {
    const st = this.statements;
    const x = PostgresSettlePath.execute;
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      if (!this.ready.has(client)) {
        await client.query(this.prepareAll).catch((e: Error) => {
          broken = e;
          throw e;
        });
        this.ready.add(client);
      }
      const persons = [...new Set(batch.map((j) => j.req.person.id))].sort();
      // Every person's lock, then every visit's (a batch holds each visit once), each in order.
      const visits = batch
        .map((j) => [j.req.visit.institution.id, j.req.visit.id] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      const locks = [...persons.map((id) => x(st.lock, { person: { id } })), ...visits.map(([inst, id]) => x(st.visitLock, visitLockBag(inst, id)))];
      const reads = batch.map((j) => x(st.read, readBag(j.req)));
      try {
        const opened = (await client.query(['begin', ...locks, ...reads].join('; '))) as unknown as pg.QueryResult[];
        const now = this.now();
        const outcomes: SettleOutcome[] = [];
        const writes: string[] = [];
        const registered = new Map<string, ReadRow>();
        batch.forEach((job, i) => {
          try {
            const rows = (opened[1 + locks.length + i] as pg.QueryResult).rows as ReadRow[];
            const d = decide(this.engine, job.req, job.actor, withRegistered(rows, job.req, registered), now, undefined, this.mode);
            if ('replay' in d) return void outcomes.push({ ok: d.replay });
            writes.push(x(this.writes[d.flags] as Statement, d.bag));
            for (const [stmt, bag] of st.layerCalls(d)) writes.push(x(stmt, bag));
            const inst = job.req.visit.institution;
            registered.set(inst.id, { k: 3, s1: inst.tier, s2: null, s3: null, n1: inst.grade, n2: inst.contracted ? 1 : 0, n3: null });
            outcomes.push({ ok: d.result });
          } catch (e) {
            outcomes.push({ error: e });
          }
        });
        await client.query(writes.length > 0 ? `${writes.join('; ')}; commit` : 'rollback');
        return outcomes;
      } catch (e) {
        await client.query('rollback').catch((err: Error) => (broken = err));
        if (batch.length === 1 && !broken && isUniqueViolation(e)) return [await this.afterUniqueViolation(client, batch[0] as SettleJob, e)];
        throw e;
      }
    } finally {
      client.release(broken);
    }
  }

  /** Two requests with one id raced: the loser's insert hit the unique index. Answer as a retry. */
  private async afterUniqueViolation(client: pg.PoolClient, job: SettleJob, e: unknown): Promise<SettleOutcome> {
    const s = this.statements.replay;
    const { rows } = await client.query({ text: s.sql, values: s.params(readBag(job.req)) });
    const prior = rows[0] as { body: string; request_hash: string; kind: string } | undefined;
    if (!prior) throw e;
    try {
      return { ok: replayed(settleReplay(job.req), prior) };
    } catch (refused) {
      return { error: refused };
    }
  }

  /** The same settle with bound parameters (unnamed statements), one statement per round trip. */
  private async settleWithParameters(req: SettleOne, actor: Actor): Promise<SettleResult> {
    const st = this.statements;
    const run = (client: pg.PoolClient, s: Statement, bag: Bag) => client.query({ text: s.sql, values: s.params(bag) });
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await run(client, st.lock, { person: { id: req.person.id } });
      await run(client, st.visitLock, visitLockBag(req.visit.institution.id, req.visit.id));
      const { rows } = await run(client, st.read, readBag(req));
      const d = decide(this.engine, req, actor, rows as ReadRow[], this.now(), undefined, this.mode);
      if ('replay' in d) {
        await client.query('rollback');
        return d.replay;
      }
      await run(client, this.writes[d.flags] as Statement, d.bag);
      for (const [stmt, bag] of st.layerCalls(d)) await run(client, stmt, bag);
      await client.query('commit');
      return d.result;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
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
