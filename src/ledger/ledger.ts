/**
 * The ledger: the settlement engine wrapped in one database transaction per operation, in the
 * shape of the national platform's pre-settle / settle / reverse.
 *
 * - pre-settle computes what would be settled now and writes nothing;
 * - settle computes and commits the entry with its accumulator changes atomically; a request id
 *   makes it idempotent (same id and body: the original entry; same id, other body: refused);
 * - reverse writes a new entry with the amounts negated and restores the accumulators; an entry is
 *   never edited, and a settlement is reversed at most once.
 *
 * Settlements of one person are serialized: on PostgreSQL by the person's advisory lock (see
 * `personLock`; settles and reversals take it before they read), on SQLite by its single writer.
 * So two visits settled at once can never both spend the same remaining cap.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Hardship } from '../domain.js';
import { categoryIndex } from '../engine/compile.js';
import { chinaDay, formatDate, yearOf } from '../calendar/calendar.js';
import { SettlementError } from '../engine/errors.js';
import type { Person, SettlementEngine } from '../engine/settle.js';
import { formatYuan, toYuanNumber, type Fen } from '../money/money.js';
import { settlementJson } from '../request/settle-person.js';
import type { SettleOne } from '../request/settle-one.js';
import type { LedgerDb } from './connect.js';
import { LedgerError } from './errors.js';
import { idClock, uuidv7 } from './ids.js';
import type { Database, SettlementsTable } from './schema.js';
import {
  isUniqueViolation,
  DEFAULT_MAX_QUEUE,
  KyselySettlePath,
  personLock,
  LoadedAccumulators,
  PostgresSettlePath,
  SettleStatements,
  SqliteSettlePath,
  storedPaymentFor,
  type SettlePath,
} from './settle-path.js';
import { SqliteWriterPath } from './sqlite-writer.js';
import { insertEntry, loadState, lockAccount } from './accounts.js';
import { accountKindFor, accountView, payFromAccount } from '../account/settle.js';
import type { AccountEntry } from '../account/types.js';

import { PAGE_DEFAULT, pageOf, type Page, type Positions } from '../request/page.js';
import { EnrollmentBook } from './enrollments.js';
import { clockTolerance, refuseVisitInFuture } from './visit-time.js';

/** Who is acting: recorded on every write. */
export interface Actor {
  id: string;
  role: 'institution' | 'agency' | 'analyst' | 'system';
  institutionId?: string;
}

export { LedgerError, type LedgerErrorCode } from './errors.js';

export interface LedgerOptions {
  /**
   * At most this many settles wait for the writer (each settle path's queue; default
   * DEFAULT_MAX_QUEUE); one more is refused with OVERLOADED, nothing written.
   */
  maxQueue?: number;
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

export interface CapView {
  bucket: string;
  year: number;
  used: number;
  limit: number | null;
  remaining: number | null;
}

export interface AccumulatorView {
  person: string;
  year: number;
  caps: CapView[];
  deductibleWindows: { bucket: string; institution: string; openedAt: string; day: string; borne: number }[];
}

export interface VerifyReport {
  ok: boolean;
  checked: { entries: number; capRows: number; windowRows: number };
  mismatches: string[];
}

type Db = Kysely<Database> | Transaction<Database>;

async function loadAccumulators(db: Db, personId: string, institutionId: string): Promise<LoadedAccumulators> {
  const [caps, windows] = await Promise.all([
    db.selectFrom('cap_usage').select(['year', 'bucket', 'used_fen']).where('person_id', '=', personId).execute(),
    db
      .selectFrom('deductible_windows')
      .select(['bucket', 'opened_at', 'day', 'borne_fen'])
      .where('person_id', '=', personId)
      .where('institution_id', '=', institutionId)
      .execute(),
  ]);
  return new LoadedAccumulators(
    new Map(caps.map((c) => [`${c.year}\u0000${c.bucket}`, Number(c.used_fen)])),
    new Map(windows.map((w) => [`${w.bucket}\u0000${institutionId}`, { openedAt: Number(w.opened_at), day: Number(w.day), borne: Number(w.borne_fen) }])),
  );
}

function entryOf(row: Pick<SettlementsTable, 'body'>): Entry {
  return JSON.parse(row.body) as Entry;
}

export class Ledger {
  private readonly settlePath: SettlePath;
  /** Settles whose visit asks the personal account to pay: one Kysely transaction each, the account locked in it. */
  private readonly accountPath: SettlePath;
  /** Payments (参保缴费记录): recorded, and read back with the coverage they buy. */
  readonly enrollments: EnrollmentBook;

  constructor(
    readonly store: LedgerDb,
    readonly engine: SettlementEngine,
    private readonly now: () => number = Date.now,
    options: LedgerOptions = {},
  ) {
    const statements = new SettleStatements(store.db);
    const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.accountPath = new KyselySettlePath(store.db, statements, engine, now, store.dialect === 'postgres', (trx, req) => this.accountAtSettle(trx, req), maxQueue);
    this.enrollments = new EnrollmentBook(store.db, statements, engine, now);
    if (store.writer) {
      const writer = new SqliteWriterPath({ ...store.writer, packs: engine.policies.packs, idClock: idClock(), clockToleranceMs: clockTolerance() }, maxQueue);
      store.onClose?.(() => writer.stop());
      this.ready = writer.ready;
      this.writerSynchronous = writer.ready.then(
        () => writer.synchronous,
        () => undefined,
      );
      this.settlePath = writer;
    } else {
      this.ready = Promise.resolve();
      this.settlePath = store.sqlite
        ? new SqliteSettlePath(store.db, store.sqlite, statements, engine, now, maxQueue)
        : store.pool
          ? new PostgresSettlePath(store.pool, statements, engine, now, undefined, maxQueue)
          : new KyselySettlePath(store.db, statements, engine, now, store.dialect === 'postgres', undefined, maxQueue);
    }
  }

  /**
   * Resolves when the ledger can settle: at once, or when the SQLite writer thread has opened the
   * file (rejects if it could not). The writer thread stops when the store closes.
   */
  readonly ready: Promise<void>;

  /** SQLite with a writer thread: `PRAGMA synchronous` of the thread's connection, as it reports it. */
  readonly writerSynchronous: Promise<number | undefined> = Promise.resolve(undefined);

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  /** The payment on file a visit is settled with, when the request brings none (settle-path.ts storedPaymentFor). */
  private async withStoredEnrollment(db: Db, person: Person, visitTime: number): Promise<Person> {
    if (person.enrollment) return person;
    const rows = await db
      .selectFrom('enrollments')
      .select(['paid_on', 'coverage_year', 'transfer', 'category', 'hardship', 'recorded_at'])
      .where('person_id', '=', person.id)
      .where('coverage_year', '=', yearOf(chinaDay(visitTime)))
      .execute();
    return storedPaymentFor(this.engine, person, rows, visitTime);
  }

  /** What would be settled now. Writes nothing. */
  async preSettle(req: SettleOne, actor: Actor): Promise<Record<string, unknown>> {
    this.checkInstitution(req, actor);
    refuseVisitInFuture(req, this.now());
    const acc = await loadAccumulators(this.db, req.person.id, req.visit.institution.id);
    const person = await this.withStoredEnrollment(this.db, req.person, req.visit.time);
    let s = this.engine.settle(person, req.visit, acc, { trace: true });
    if (req.visit.useAccount) {
      const account = await this.openAccountOf(this.db, req.person);
      const paid = payFromAccount(s, req.visit, await loadState(this.db, account), this.engine.policies);
      s = { ...paid.settlement, account: accountView(paid.use) };
    }
    return { preSettlement: true, ...settlementJson(s) };
  }

  /**
   * The person's open personal account of the kind their scheme has (employees' 个人账户,
   * residents' 个人（家庭）账户).
   *
   * @throws LedgerError ACCOUNT_NOT_AVAILABLE when there is none.
   */
  private async openAccountOf(db: Db, person: Person) {
    const kind = accountKindFor(person);
    const row = await db.selectFrom('accounts').selectAll().where('holder_id', '=', person.id).where('kind', '=', kind).where('closed_on', 'is', null).executeTakeFirst();
    if (!row) {
      throw new LedgerError('ACCOUNT_NOT_AVAILABLE', `visit.useAccount: person ${person.id} has no open ${kind} account in the ledger; open one (POST /v1/accounts) or settle without useAccount`);
    }
    return row;
  }

  private checkInstitution(req: SettleOne, actor: Actor): void {
    if (actor.role === 'institution' && actor.institutionId !== req.visit.institution.id) {
      throw new LedgerError(
        'FORBIDDEN',
        `visit.institution.id: an institution key for ${actor.institutionId} may settle only visits at ${actor.institutionId}, not ${req.visit.institution.id}`,
      );
    }
  }

  /**
   * Settles one visit and commits it with its accumulator changes, atomically. Idempotent by
   * request id. Throws SettlementError (the documents cannot settle it) or LedgerError (refused).
   * The steps are in settle-path.ts.
   */
  async settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    this.checkInstitution(req, actor);
    return (req.visit.useAccount ? this.accountPath : this.settlePath).settle(req, actor);
  }

  /**
   * A reversed settlement the personal account paid into: what the account paid goes back to it,
   * as a new entry (冲正), never an edit. Null when the account paid nothing.
   */
  private async restoreAccount(trx: Transaction<Database>, original: SettlementsTable, reversalId: string, actor: Actor, now: number) {
    const paid = Number(original.account_pay_fen);
    if (paid === 0) return null;
    const payment = await trx
      .selectFrom('account_entries')
      .select(['account_id', 'id'])
      .where('settlement_id', '=', original.id)
      .where('kind', '=', 'visit-payment')
      .executeTakeFirst();
    if (!payment) throw new Error(`settlement ${original.id}: the account paid ${paid} fen but no account entry records it`);
    const row = await lockAccount(trx, payment.account_id);
    const before = Number(row.balance_fen);
    const entry: AccountEntry = {
      kind: 'visit-payment-reversal',
      id: `${row.id}/visit-payment-reversal/${original.id}`,
      accountId: row.id,
      seq: Number(row.seq) + 1,
      date: formatDate(chinaDay(now)),
      amount: paid,
      balanceAfter: before + paid,
      ref: reversalId,
      visitId: original.visit_id,
      settlementId: original.id,
      reversalId,
      source: `冲正 ${reversalId}`,
      text: `结算${original.id}冲正，个人账户支付的${formatYuan(paid)}元退回账户（余额${formatYuan(before)}元，退回后${formatYuan(before + paid)}元）。`,
    };
    await insertEntry(trx, entry, { requestId: null, requestHash: null, actor, now });
    return { id: row.id, returned: toYuanNumber(paid), balanceAfter: toYuanNumber(before + paid) };
  }

  /**
   * The person's open personal account, locked for the transaction, with the way to append the
   * entry the settle decides.
   *
   * @throws LedgerError ACCOUNT_NOT_AVAILABLE when the person has no open account of the kind.
   */
  private async accountAtSettle(trx: Transaction<Database>, req: SettleOne) {
    if (!req.visit.useAccount) return undefined;
    const open = await this.openAccountOf(trx, req.person);
    const state = await loadState(trx, await lockAccount(trx, open.id));
    return {
      at: { state, policies: this.engine.policies },
      write: (entry: AccountEntry, actor: Actor, now: number) => insertEntry(trx, entry, { requestId: null, requestHash: null, actor, now }),
    };
  }

  private async audit(db: Db, actor: Actor, action: string, target: string, detail: unknown, at: number): Promise<void> {
    await db.insertInto('audit_log').values({ at, actor: actor.id, role: actor.role, action, target, detail: JSON.stringify(detail) }).execute();
  }

  /**
   * Reverses a settlement: a new entry with the amounts negated, and the accumulators restored
   * (the cap by what the settlement paid; the deductible window by what it bore, if that window is
   * still the institution's current one). Refused for a reversal, or a settlement reversed before.
   */
  async reverse(settlementId: string, requestId: string, actor: Actor): Promise<SettleResult> {
    const hash = `reverse:${settlementId}`;
    try {
      return await this.db.transaction().execute(async (trx) => {
        // Who may see the settlement is checked first, also for a retry: request ids are chosen by
        // clients and may be guessed.
        const original = await trx.selectFrom('settlements').selectAll().where('id', '=', settlementId).executeTakeFirst();
        if (!original) throw new LedgerError('NOT_FOUND', `settlement ${settlementId} does not exist`);
        if (actor.role === 'institution' && actor.institutionId !== original.institution_id) {
          throw new LedgerError('NOT_FOUND', `settlement ${settlementId} does not exist`);
        }
        const prior = await trx.selectFrom('settlements').select(['body', 'request_hash']).where('request_id', '=', requestId).executeTakeFirst();
        if (prior) {
          if (prior.request_hash !== hash) throw new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${requestId} was already used for a different request`);
          return { entry: entryOf(prior), created: false, body: prior.body };
        }
        if (original.kind !== 'settlement') throw new LedgerError('NOT_REVERSIBLE', `${settlementId} is a reversal; a reversal cannot be reversed`);
        // Lock the person, as settle does (SQLite: the transaction already holds the one write lock).
        if (this.store.dialect === 'postgres') await personLock(original.person_id).execute(trx);
        const already = await trx.selectFrom('settlements').select('id').where('reverses', '=', settlementId).executeTakeFirst();
        if (already) throw new LedgerError('ALREADY_REVERSED', `settlement ${settlementId} was already reversed by ${already.id}`);
        const now = this.now();
        const id = `R-${uuidv7(now)}`;
        const n = (v: number | null) => (v === null ? null : -Number(v));
        const fund = Number(original.fund_pay_fen);
        const deductible = Number(original.deductible_fen);
        let capAfter: number | null = null;
        if (original.cap_bucket !== null && original.cap_year !== null && fund !== 0) {
          capAfter = await takeFromCap(trx, original.person_id, Number(original.cap_year), original.cap_bucket, fund);
        }
        let windowAfter: number | null = null;
        if (original.window_bucket !== null && deductible !== 0) {
          const current = await trx
            .selectFrom('deductible_windows')
            .select(['opened_at', 'borne_fen'])
            .where('person_id', '=', original.person_id)
            .where('bucket', '=', original.window_bucket)
            .where('institution_id', '=', original.institution_id)
            .executeTakeFirst();
          if (current && Number(current.opened_at) === Number(original.window_opened_at)) {
            windowAfter = Number(current.borne_fen) - deductible;
            const where = trx
              .updateTable('deductible_windows')
              .where('person_id', '=', original.person_id)
              .where('bucket', '=', original.window_bucket)
              .where('institution_id', '=', original.institution_id);
            if (windowAfter > 0) await where.set({ borne_fen: windowAfter }).execute();
            else
              await trx
                .deleteFrom('deductible_windows')
                .where('person_id', '=', original.person_id)
                .where('bucket', '=', original.window_bucket)
                .where('institution_id', '=', original.institution_id)
                .execute();
          }
        }
        // The later layers of the fund chain (大病保险, 医疗救助): each yearly total back by what the entry added.
        const layerRows = await trx.selectFrom('settlement_layers').selectAll().where('settlement_id', '=', settlementId).execute();
        const layersRestored: { settlement_id: string; person_id: string; year: number; bucket: string; change_fen: number; after_fen: number }[] = [];
        for (const l of layerRows) {
          const after = await takeFromCap(trx, original.person_id, Number(l.year), l.bucket, Number(l.change_fen));
          layersRestored.push({ settlement_id: id, person_id: original.person_id, year: Number(l.year), bucket: l.bucket, change_fen: -Number(l.change_fen), after_fen: after });
        }
        const accountRestored = await this.restoreAccount(trx, original, id, actor, now);
        const y = (v: number | null) => (v === null ? null : toYuanNumber(-Number(v)));
        const entry: Entry = {
          id,
          kind: 'reversal',
          requestId,
          reverses: settlementId,
          createdAt: new Date(now).toISOString(),
          visitId: original.visit_id,
          person: original.person_id,
          policy: original.policy,
          total: y(original.total_fen),
          eligible: y(original.eligible_fen),
          deductible: y(original.deductible_fen),
          fundPay: y(original.fund_pay_fen),
          criticalIllnessPay: y(original.critical_illness_pay_fen),
          assistancePay: y(original.assistance_pay_fen),
          accountPay: y(original.account_pay_fen),
          cashPay: y(original.cash_pay_fen),
          restored: {
            cap: capAfter === null ? null : { bucket: original.cap_bucket, year: original.cap_year, usedAfter: toYuanNumber(capAfter) },
            deductibleWindow: windowAfter === null ? null : { bucket: original.window_bucket, institution: original.institution_id, borneAfter: toYuanNumber(Math.max(0, windowAfter)) },
            account: accountRestored,
            ...(layersRestored.length > 0
              ? { layers: layersRestored.map((l) => ({ bucket: l.bucket, year: l.year, usedAfter: toYuanNumber(l.after_fen) })) }
              : {}),
          },
        };
        const body = JSON.stringify(entry);
        await trx
          .insertInto('settlements')
          .values({
            ...original,
            id,
            request_id: requestId,
            request_hash: hash,
            kind: 'reversal',
            reverses: settlementId,
            total_fen: -Number(original.total_fen),
            eligible_fen: -Number(original.eligible_fen),
            deductible_fen: -deductible,
            fund_pay_fen: -fund,
            critical_illness_pay_fen: -Number(original.critical_illness_pay_fen),
            assistance_pay_fen: -Number(original.assistance_pay_fen),
            account_pay_fen: -Number(original.account_pay_fen),
            cash_pay_fen: -Number(original.cash_pay_fen),
            cap_before_fen: n(null),
            cap_after_fen: capAfter,
            window_borne_after_fen: windowAfter,
            body,
            actor: actor.id,
            created_at: now,
          })
          .execute();
        if (layersRestored.length > 0) await trx.insertInto('settlement_layers').values(layersRestored).execute();
        await this.audit(trx, actor, 'reverse', id, { reverses: settlementId, requestId }, now);
        return { entry, created: true, body };
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        const prior = await this.db.selectFrom('settlements').select(['body', 'request_hash']).where('request_id', '=', requestId).executeTakeFirst();
        if (prior?.request_hash === hash) return { entry: entryOf(prior), created: false, body: prior.body };
        const again = await this.db.selectFrom('settlements').select('id').where('reverses', '=', settlementId).executeTakeFirst();
        if (again) throw new LedgerError('ALREADY_REVERSED', `settlement ${settlementId} was already reversed by ${again.id}`);
      }
      throw e;
    }
  }

  /** One entry with its trace; institutions see only their own. */
  async entry(id: string, actor: Actor): Promise<Entry> {
    const row = await this.db.selectFrom('settlements').select(['body', 'institution_id']).where('id', '=', id).executeTakeFirst();
    if (!row || (actor.role === 'institution' && row.institution_id !== actor.institutionId)) {
      throw new LedgerError('NOT_FOUND', `settlement ${id} does not exist`);
    }
    return entryOf(row);
  }

  /**
   * A person's entries, oldest first (after `after`, at most `limit` of them); institutions see
   * only those at their institution.
   */
  async history(personId: string, actor: Actor, options: { year?: number; after?: Positions['history']; limit?: number } = {}): Promise<Entry[]> {
    return (await this.historyRows(personId, actor, options)).map(entryOf);
  }

  /** A page of a person's history (request/page.ts), `limit` entries (default PAGE_DEFAULT) after the cursor's position. */
  async historyPage(personId: string, actor: Actor, options: { year?: number; after?: Positions['history'] | undefined; limit?: number | undefined } = {}): Promise<Page<Entry>> {
    const limit = options.limit ?? PAGE_DEFAULT;
    const rows = await this.historyRows(personId, actor, { ...options, limit: limit + 1 });
    return pageOf(rows, limit, 'history', (r) => [Number(r.created_at), r.id.slice(2)], entryOf);
  }

  private historyRows(personId: string, actor: Actor, options: { year?: number; after?: Positions['history'] | undefined; limit?: number }) {
    let q = this.db.selectFrom('settlements').select(['body', 'id', 'created_at']).where('person_id', '=', personId);
    if (options.year !== undefined) q = q.where('year', '=', options.year);
    if (actor.role === 'institution') q = q.where('institution_id', '=', actor.institutionId ?? '');
    // Ids are a kind prefix (S-, R-) and a time-ordered UUIDv7: within one millisecond the UUID,
    // not the prefix, says which came first.
    const tail = sql<string>`substr(id, 3)`;
    const after = options.after;
    if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after[0]), eb.and([eb('created_at', '=', after[0]), eb(tail, '>', after[1])])]));
    q = q.orderBy('created_at').orderBy(tail);
    return (options.limit !== undefined ? q.limit(options.limit) : q).execute();
  }

  /** Used and remaining per cap bucket for a year, and the open deductible windows. */
  async accumulators(personId: string, year: number): Promise<AccumulatorView> {
    const person = await this.db.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirst();
    if (!person) throw new LedgerError('NOT_FOUND', `person ${personId} has no settlements in the ledger`);
    const caps = await this.db.selectFrom('cap_usage').select(['bucket', 'used_fen']).where('person_id', '=', personId).where('year', '=', year).orderBy('bucket').execute();
    // The limit in force for the person's category at the end of the year (or today's policy).
    const limits = new Map<string, Fen>();
    const seg = this.engine.segmentAt(person.region, Date.UTC(year, 11, 31) / 86_400_000);
    if (seg) {
      for (const b of seg.benefits) {
        if (b?.kind !== 'pooling') continue;
        const table = b.tables[categoryIndex(person.category)];
        if (table && table.missing.length === 0 && !limits.has(b.bucket)) limits.set(b.bucket, table.cap);
      }
      // The later layers' caps for the person's group (大病保险, 医疗救助); none where lifted (取消封顶线).
      const hardship = (person.hardship ?? undefined) as Hardship | undefined;
      for (const layer of [seg.criticalIllness, seg.assistance]) {
        if (!layer) continue;
        const table = (hardship !== undefined ? layer.groups[hardship] : undefined) ?? layer.general;
        if (table && table.missing.length === 0 && table.cap !== null) limits.set(layer.paidBucket, table.cap);
      }
    }
    const buckets = new Set([...caps.map((c) => c.bucket), ...limits.keys()]);
    const used = new Map(caps.map((c) => [c.bucket, Number(c.used_fen)]));
    const windows = await this.db
      .selectFrom('deductible_windows')
      .select(['bucket', 'institution_id', 'opened_at', 'day', 'borne_fen'])
      .where('person_id', '=', personId)
      .orderBy('opened_at', 'desc')
      .execute();
    return {
      person: personId,
      year,
      caps: [...buckets].sort().map((bucket) => {
        const u = used.get(bucket) ?? 0;
        const limit = limits.get(bucket);
        return {
          bucket,
          year,
          used: toYuanNumber(u),
          limit: limit === undefined ? null : toYuanNumber(limit),
          remaining: limit === undefined ? null : toYuanNumber(Math.max(0, limit - u)),
        };
      }),
      deductibleWindows: windows
        .filter((w) => new Date(Number(w.day) * 86_400_000).getUTCFullYear() === year)
        .map((w) => ({
          bucket: w.bucket,
          institution: w.institution_id,
          openedAt: new Date(Number(w.opened_at)).toISOString(),
          day: formatDate(Number(w.day)),
          borne: toYuanNumber(Number(w.borne_fen)),
        })),
    };
  }

  /**
   * Fund outlay by policy and month: net of reversals, no personal data.
   */
  async fundStats(year?: number): Promise<{ year: number | null; rows: Record<string, unknown>[]; totals: Record<string, number> }> {
    let q = this.db
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

  /** See {@link verifyLedger}. */
  verify(): Promise<VerifyReport> {
    return verifyLedger(this.db);
  }
}

/** Takes an amount off a person's yearly total for a bucket (a reversal); returns the new total. */
async function takeFromCap(trx: Transaction<Database>, personId: string, year: number, bucket: string, amount: Fen): Promise<Fen> {
  const row = await trx
    .selectFrom('cap_usage')
    .select('used_fen')
    .where('person_id', '=', personId)
    .where('year', '=', year)
    .where('bucket', '=', bucket)
    .executeTakeFirst();
  const after = Number(row?.used_fen ?? 0) - amount;
  await trx.updateTable('cap_usage').set({ used_fen: after }).where('person_id', '=', personId).where('year', '=', year).where('bucket', '=', bucket).execute();
  return after;
}

/**
 * Recomputes every accumulator from the entries and compares: the cap used per person, year and
 * bucket must be the sum of the fund payments of its entries (reversals are negative); each
 * stored deductible window must hold the deductibles its entries bore; every entry's parts must
 * add up to its total.
 */
export async function verifyLedger(db: Kysely<Database>): Promise<VerifyReport> {
  const mismatches: string[] = [];
  const sums = await db
    .selectFrom('settlements')
    .select(['person_id', 'cap_year', 'cap_bucket', sql<string>`sum(fund_pay_fen)`.as('total')])
    .where('cap_bucket', 'is not', null)
    .groupBy(['person_id', 'cap_year', 'cap_bucket'])
    .execute();
  const layerSums = await db
    .selectFrom('settlement_layers')
    .select(['person_id', 'year', 'bucket', sql<string>`sum(change_fen)`.as('total')])
    .groupBy(['person_id', 'year', 'bucket'])
    .execute();
  const stored = await db.selectFrom('cap_usage').selectAll().execute();
  const key = (p: string, y: number | null, b: string | null) => `${p} ${y} ${b}`;
  const expected = new Map(sums.map((s) => [key(s.person_id, Number(s.cap_year), s.cap_bucket), Number(s.total)]));
  for (const l of layerSums) {
    const k = key(l.person_id, Number(l.year), l.bucket);
    expected.set(k, (expected.get(k) ?? 0) + Number(l.total));
  }
  const actual = new Map(stored.map((s) => [key(s.person_id, Number(s.year), s.bucket), Number(s.used_fen)]));
  for (const k of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(k) ?? 0;
    const a = actual.get(k) ?? 0;
    if (e !== a) mismatches.push(`cap used ${k}: the entries sum to ${toYuanNumber(e)}, the accumulator holds ${toYuanNumber(a)}`);
  }
  const windows = await db.selectFrom('deductible_windows').selectAll().execute();
  for (const w of windows) {
    const s = await db
      .selectFrom('settlements')
      .select(sql<string>`coalesce(sum(deductible_fen), 0)`.as('borne'))
      .where('person_id', '=', w.person_id)
      .where('window_bucket', '=', w.bucket)
      .where('institution_id', '=', w.institution_id)
      .where('window_opened_at', '=', w.opened_at)
      .executeTakeFirst();
    if (Number(s?.borne ?? 0) !== Number(w.borne_fen)) {
      mismatches.push(
        `deductible window ${w.person_id} ${w.bucket} ${w.institution_id} opened ${new Date(Number(w.opened_at)).toISOString()}: the entries bore ${toYuanNumber(Number(s?.borne ?? 0))}, the accumulator holds ${toYuanNumber(Number(w.borne_fen))}`,
      );
    }
  }
  const unbalanced = await db
    .selectFrom('settlements')
    .select(['id'])
    .where(
      sql<boolean>`fund_pay_fen + critical_illness_pay_fen + assistance_pay_fen + account_pay_fen + cash_pay_fen <> total_fen`,
    )
    .execute();
  for (const u of unbalanced) mismatches.push(`entry ${u.id}: its parts do not add up to its total`);
  const count = await db.selectFrom('settlements').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  return {
    ok: mismatches.length === 0,
    checked: { entries: Number(count?.n ?? 0), capRows: stored.length, windowRows: windows.length },
    mismatches,
  };
}

export { SettlementError };
