/**
 * The ledger: the settlement engine wrapped in one database transaction per operation, in the
 * shape of the national platform's pre-settle / settle / reverse.
 *
 * - pre-settle computes what would be settled now and writes nothing: the settle's own read and
 *   decision (settle-path.ts decide), so it gives the same amounts and the same refusals;
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
import { chinaDay, dayOf, formatDate, yearStart } from '../calendar/calendar.js';
import { SettlementError } from '../engine/errors.js';
import type { Person, SettlementEngine } from '../engine/settle.js';
import { formatYuan, toYuanNumber, type Fen } from '../money/money.js';
import { settlementJson } from '../request/settle-person.js';
import type { SettleOne } from '../request/settle-one.js';
import type { LedgerDb } from './connect.js';
import { LedgerError } from './errors.js';
import { idClock, uuidv7 } from './ids.js';
import { assertMoneyIdentity, moneyProblems, type EntryAmounts } from './invariants.js';
import type { Database, SettlementsTable } from './schema.js';
import {
  isUniqueViolation,
  DEFAULT_MAX_QUEUE,
  KyselySettlePath,
  personLock,
  PostgresSettlePath,
  preSettle,
  SettleStatements,
  SqliteSettlePath,
  type SettlePath,
} from './settle-path.js';
import { PersonRegistry, type RegistryMode } from './registry.js';
import { SqliteWriterPath } from './sqlite-writer.js';
import { insertEntry, loadState, lockAccount } from './accounts.js';
import { accountKindFor } from '../account/settle.js';
import type { AccountEntry } from '../account/types.js';

import { PAGE_DEFAULT, pageOf, type Page, type Positions } from '../request/page.js';
import { EnrollmentBook } from './enrollments.js';
import { clockTolerance } from './visit-time.js';

/** How the ledger is run. */
export interface LedgerOptions {
  /**
   * The agency's way: settle only registered persons with a payment the agency recorded for the
   * visit's year (registry.ts RegistryMode). Default false.
   */
  requireEnrollment?: boolean;
}

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
  /** The deductible borne at each institution on each day (the window) of the year. */
  deductibleWindows: { bucket: string; institution: string; day: string; borne: number }[];
}

export interface VerifyReport {
  ok: boolean;
  checked: { entries: number; capRows: number; windowRows: number };
  mismatches: string[];
}

type Db = Kysely<Database> | Transaction<Database>;

function entryOf(row: Pick<SettlementsTable, 'body'>): Entry {
  return JSON.parse(row.body) as Entry;
}

export class Ledger {
  private readonly settlePath: SettlePath;
  /** Settles whose visit asks the personal account to pay: one Kysely transaction each, the account locked in it. */
  private readonly accountPath: SettlePath;
  /** The settle's statements, whose read pre-settle makes too. */
  private readonly statements: SettleStatements;
  /** Payments (参保缴费记录): recorded, and read back with the coverage they buy. */
  readonly enrollments: EnrollmentBook;
  /** The person registry (参保人员信息), kept by the agency (registry.ts). */
  readonly persons: PersonRegistry;
  /** What the ledger requires on file before it settles a visit. */
  readonly mode: RegistryMode;

  constructor(
    readonly store: LedgerDb,
    readonly engine: SettlementEngine,
    private readonly now: () => number = Date.now,
    options: LedgerOptions = {},
  ) {
    const mode: RegistryMode = { requireEnrollment: options.requireEnrollment ?? false };
    this.mode = mode;
    const statements = (this.statements = new SettleStatements(store.db));
    const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.accountPath = new KyselySettlePath(store.db, statements, engine, now, store.dialect === 'postgres', mode, (trx, req) => this.accountAtSettle(trx, req), maxQueue);
    this.enrollments = new EnrollmentBook(store.db, statements, engine, now);
    this.persons = new PersonRegistry(store.db, now);
    if (store.writer) {
      const writer = new SqliteWriterPath({ ...store.writer, packs: engine.policies.packs, idClock: idClock(), mode, clockToleranceMs: clockTolerance() }, maxQueue);
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
        ? new SqliteSettlePath(store.db, store.sqlite, statements, engine, now, mode, maxQueue)
        : store.pool
          ? new PostgresSettlePath(store.pool, statements, engine, now, mode, undefined, maxQueue)
          : new KyselySettlePath(store.db, statements, engine, now, store.dialect === 'postgres', mode, undefined, maxQueue);
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

  /**
   * What would be settled now (预结算, 2206/2303). Writes nothing. The settle's own read and
   * decision (settle-path.ts preSettle): the amounts the settle would give, and the same refusals
   * (a visit already settled, an institution the registry holds otherwise, no open account).
   */
  async preSettle(req: SettleOne, actor: Actor): Promise<Record<string, unknown>> {
    this.checkInstitution(req, actor);
    // As the settle of a visit that asks the account to pay: the account first.
    const account = req.visit.useAccount ? { state: await loadState(this.db, await this.openAccountOf(this.db, req.person)), policies: this.engine.policies } : undefined;
    const s = await preSettle(this.db, this.statements, this.engine, req, actor, this.now(), account, this.mode);
    return { preSettlement: true, institution: req.visit.institution.id, ...settlementJson(s) };
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
   * (the cap by what the settlement paid; the settlement's deductible window — its visit's day at
   * its institution — by what it bore). Refused for a reversal, or a settlement reversed before.
   * Idempotent by request id: a retry gets the original reversal, also when it waited for the
   * person's lock while the first of its kind committed.
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
        const retry = async () => {
          const prior = await trx.selectFrom('settlements').select(['body', 'request_hash']).where('request_id', '=', requestId).executeTakeFirst();
          if (!prior) return undefined;
          if (prior.request_hash !== hash) throw new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${requestId} was already used for a different request`);
          return { entry: entryOf(prior), created: false, body: prior.body };
        };
        const before = await retry();
        if (before) return before;
        if (original.kind !== 'settlement') throw new LedgerError('NOT_REVERSIBLE', `${settlementId} is a reversal; a reversal cannot be reversed`);
        // Lock the person, as settle does (SQLite: the transaction already holds the one write lock).
        if (this.store.dialect === 'postgres') {
          await personLock(original.person_id).execute(trx);
          // A retry that waited for the lock while the first of its request id committed: the
          // original answer, not ALREADY_REVERSED (each statement reads what was committed before it).
          const after = await retry();
          if (after) return after;
        }
        const already = await trx.selectFrom('settlements').select('id').where('reverses', '=', settlementId).executeTakeFirst();
        if (already) throw new LedgerError('ALREADY_REVERSED', `settlement ${settlementId} was already reversed by ${already.id}`);
        // The reversal holds the settlement's money identity, negated: checked before anything is written.
        assertMoneyIdentity(`reversal of ${settlementId}`, storedAmounts(original));
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
        if (original.window_bucket !== null && original.window_day !== null && deductible !== 0) {
          // The settlement's own window (its visit's day at its institution) gives back what it bore.
          const window = { person_id: original.person_id, bucket: original.window_bucket, institution_id: original.institution_id, day: Number(original.window_day) };
          const current = await trx.selectFrom('deductible_windows').select('borne_fen').where((eb) => eb.and(window)).executeTakeFirst();
          if (!current) throw new Error(`settlement ${settlementId} bore ${deductible} fen in a deductible window the ledger does not hold`);
          windowAfter = Number(current.borne_fen) - deductible;
          if (windowAfter > 0) await trx.updateTable('deductible_windows').set({ borne_fen: windowAfter }).where((eb) => eb.and(window)).execute();
          else await trx.deleteFrom('deductible_windows').where((eb) => eb.and(window)).execute();
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
          institution: original.institution_id,
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
    const seg = this.engine.segmentAt(person.region, dayOf(year, 12, 31));
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
      .select(['bucket', 'institution_id', 'day', 'borne_fen'])
      .where('person_id', '=', personId)
      .where('day', '>=', yearStart(year))
      .where('day', '<', yearStart(year + 1))
      .orderBy('day', 'desc')
      .orderBy('institution_id')
      .orderBy('bucket')
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
      deductibleWindows: windows.map((w) => ({
        bucket: w.bucket,
        institution: w.institution_id,
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

  /** Whether the store answers (the service's /readyz): throws when it does not. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /**
   * What an institution's visit payment from an account is checked against: the settlement it
   * names (undefined when there is none) and the account's holder (undefined when no account).
   */
  async visitPaymentParties(
    settlementId: string,
    accountId: string,
  ): Promise<{ settlement: { kind: string; personId: string; visitId: string; institutionId: string } | undefined; holderId: string | undefined }> {
    const [s, a] = await Promise.all([
      this.db.selectFrom('settlements').select(['kind', 'person_id', 'visit_id', 'institution_id']).where('id', '=', settlementId).executeTakeFirst(),
      this.db.selectFrom('accounts').select('holder_id').where('id', '=', accountId).executeTakeFirst(),
    ]);
    return {
      settlement: s && { kind: s.kind, personId: s.person_id, visitId: s.visit_id, institutionId: s.institution_id },
      holderId: a?.holder_id,
    };
  }
}

/** A stored entry's amounts in fen, a reversal's negated back, for the money identity (invariants.ts). */
function storedAmounts(
  r: Pick<SettlementsTable, 'kind' | 'total_fen' | 'eligible_fen' | 'deductible_fen' | 'fund_pay_fen' | 'critical_illness_pay_fen' | 'assistance_pay_fen' | 'account_pay_fen' | 'cash_pay_fen'>,
): EntryAmounts {
  const m = r.kind === 'reversal' ? -1 : 1;
  return {
    total: m * Number(r.total_fen),
    eligible: m * Number(r.eligible_fen),
    deductible: m * Number(r.deductible_fen),
    fundPay: m * Number(r.fund_pay_fen),
    criticalIllnessPay: m * Number(r.critical_illness_pay_fen),
    assistancePay: m * Number(r.assistance_pay_fen),
    accountPay: m * Number(r.account_pay_fen),
    cashPay: m * Number(r.cash_pay_fen),
  };
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
 * bucket must be the sum of the fund payments of its entries (reversals are negative); the
 * deductible borne in each window (person, bucket, institution, day) must be what its entries
 * bore, and a window the entries bore something in must be stored; every entry must hold the money
 * identity (invariants.ts: its parts add up to its total, nothing negative, eligible ≤ total, the
 * cap only grows), a reversal with its amounts negated.
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
  const borne = await db
    .selectFrom('settlements')
    .select(['person_id', 'window_bucket', 'institution_id', 'window_day', sql<string>`sum(deductible_fen)`.as('borne')])
    .where('window_bucket', 'is not', null)
    .where('window_day', 'is not', null)
    .groupBy(['person_id', 'window_bucket', 'institution_id', 'window_day'])
    .execute();
  const windowKey = (p: string, b: string | null, i: string, d: number | null) => `${p} ${b} ${i} ${formatDate(Number(d))}`;
  const bore = new Map(borne.map((w) => [windowKey(w.person_id, w.window_bucket, w.institution_id, w.window_day), Number(w.borne)]));
  const held = new Map(windows.map((w) => [windowKey(w.person_id, w.bucket, w.institution_id, w.day), Number(w.borne_fen)]));
  for (const k of new Set([...bore.keys(), ...held.keys()])) {
    const e = bore.get(k) ?? 0;
    const a = held.get(k);
    // A window nothing is borne in (all reversed) is not kept.
    if (a === undefined ? e !== 0 : a !== e) {
      mismatches.push(`deductible window ${k}: the entries bore ${toYuanNumber(e)}, the accumulator holds ${a === undefined ? 'no window' : toYuanNumber(a)}`);
    }
  }
  // The money identity, in SQL first (a reversal's amounts negated), then each entry that breaks
  // it told with what it breaks.
  const sign = sql<number>`(case when kind = 'reversal' then -1 else 1 end)`;
  const parts = ['fund_pay_fen', 'critical_illness_pay_fen', 'assistance_pay_fen', 'account_pay_fen', 'cash_pay_fen'] as const;
  const broken = await db
    .selectFrom('settlements')
    .select(['id', 'kind', 'total_fen', 'eligible_fen', 'deductible_fen', ...parts, 'cap_bucket', 'cap_before_fen', 'cap_after_fen'])
    .where((eb) =>
      eb.or([
        eb(sql`fund_pay_fen + critical_illness_pay_fen + assistance_pay_fen + account_pay_fen + cash_pay_fen`, '<>', eb.ref('total_fen')),
        ...(['total_fen', 'eligible_fen', 'deductible_fen', ...parts] as const).map((c) => eb(sql`${sign} * ${sql.ref(c)}`, '<', 0)),
        eb(sql`${sign} * eligible_fen`, '>', sql`${sign} * total_fen`),
        eb(sql`${sign} * deductible_fen`, '>', sql`${sign} * eligible_fen`),
        eb.and([eb('kind', '=', 'settlement'), eb('cap_after_fen', '<', eb.ref('cap_before_fen'))]),
      ]),
    )
    .orderBy('id')
    .execute();
  for (const r of broken) {
    const caps = r.kind === 'settlement' && r.cap_bucket !== null && r.cap_before_fen !== null && r.cap_after_fen !== null ? [{ bucket: r.cap_bucket, before: Number(r.cap_before_fen), after: Number(r.cap_after_fen) }] : [];
    const problems = moneyProblems(storedAmounts(r), caps);
    mismatches.push(`entry ${r.id}${r.kind === 'reversal' ? ' (a reversal, its amounts negated)' : ''}: ${problems.length > 0 ? problems.join('; ') : 'the money identity does not hold'}`);
  }
  // A later layer's yearly total only grows with a settlement (and goes back with its reversal).
  const layersDown = await db
    .selectFrom('settlement_layers as l')
    .innerJoin('settlements as s', 's.id', 'l.settlement_id')
    .select(['l.settlement_id', 'l.bucket', 'l.year', 'l.change_fen'])
    .where(sql<boolean>`(case when s.kind = 'reversal' then -1 else 1 end) * l.change_fen < 0`)
    .execute();
  for (const l of layersDown) mismatches.push(`entry ${l.settlement_id}: cap ${l.bucket} ${l.year} goes the wrong way, by ${toYuanNumber(Number(l.change_fen))}`);
  const count = await db.selectFrom('settlements').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  return {
    ok: mismatches.length === 0,
    checked: { entries: Number(count?.n ?? 0), capRows: stored.length, windowRows: windows.length },
    mismatches,
  };
}

export { SettlementError };
