/** Any other store: the settle's statements through Kysely, one transaction per settle. */
import type { Kysely, Transaction } from 'kysely';
import type { AccountEntry } from '../account/types.js';
import type { SettlementEngine } from '../engine/settle.js';
import type { SettleOne } from '../request/settle-one.js';
import { decide, findSettle, settleReplay } from './decide.js';
import { replayAfterRace } from './idempotency.js';
import { DEFAULT_MAX_QUEUE, overloaded, TransactionCounts } from './queue.js';
import type { RegistryMode } from './registry.js';
import type { Database } from './schema.js';
import { readThrough, runStatement, visitLockBag, writeThrough, type SettleStatements } from './statements.js';
import type { AccountAtSettle, Actor, SettlePath, SettlePathStats, SettleResult } from './types.js';

/** Ends a transaction that found a retry, by rolling it back. */
class Replayed extends Error {
  constructor(readonly result: SettleResult) {
    super('replayed');
  }
}

/**
 * The settle through Kysely, one transaction per settle: any store without a path of its own, and
 * every settle whose visit asks the personal account to pay (the account locked in the transaction).
 */
export class KyselySettlePath implements SettlePath {
  /** Settles begun and not yet answered: each waits for a connection (SQLite's one; the pool's). */
  private inFlight = 0;
  private readonly counts = new TransactionCounts();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly statements: SettleStatements,
    private readonly engine: SettlementEngine,
    private readonly now: () => number,
    /** PostgreSQL takes the person's advisory lock; SQLite's transactions are serialized. */
    private readonly postgres: boolean,
    private readonly mode: RegistryMode,
    /**
     * The person's personal account, locked in the transaction, for a visit that asks it to pay
     * (undefined when it does not); `write` appends the entry the settle decided.
     */
    private readonly account?: (
      trx: Transaction<Database>,
      req: SettleOne,
    ) => Promise<{ at: AccountAtSettle; write: (entry: AccountEntry, actor: Actor, now: number) => Promise<void> } | undefined>,
    private readonly maxQueue = DEFAULT_MAX_QUEUE,
  ) {}

  async settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    if (this.inFlight >= this.maxQueue) throw overloaded(this.inFlight, this.maxQueue);
    this.inFlight++;
    const started = performance.now();
    try {
      return await this.settleNow(req, actor);
    } finally {
      this.inFlight--;
      // (The wait for a connection included: the settle's transaction is its whole time here.)
      this.counts.record(1, (performance.now() - started) / 1000);
    }
  }

  stats(): SettlePathStats {
    return { path: 'kysely', waiting: this.inFlight, maxQueue: this.maxQueue, transactions: this.counts };
  }

  private async settleNow(req: SettleOne, actor: Actor): Promise<SettleResult> {
    const st = this.statements;
    try {
      return await this.db.transaction().execute(async (trx) => {
        if (this.postgres) {
          await runStatement(trx, st.lock, { person: { id: req.person.id } });
          await runStatement(trx, st.visitLock, visitLockBag(req.visit.institution.id, req.visit.id));
        }
        // The entry's time is read under the locks (the clearing lock among them: statements.ts).
        const now = this.now();
        const account = await this.account?.(trx, req);
        const d = decide(this.engine, req, actor, await readThrough(trx, st, req), now, account?.at, this.mode);
        // A retry writes nothing: rolled back.
        if ('replay' in d) throw new Replayed(d.replay);
        await writeThrough(trx, st, d);
        if (d.accountEntry) await account?.write(d.accountEntry, actor, now);
        return d.result;
      });
    } catch (e) {
      if (e instanceof Replayed) return e.result;
      return replayAfterRace(e, () => findSettle(this.db, st, req), settleReplay(req));
    }
  }
}
