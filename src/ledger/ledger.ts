/**
 * The ledger: the settlement engine wrapped in one database transaction per operation, in the
 * shape of the national platform's pre-settle / settle / reverse.
 *
 * - pre-settle computes what would be settled now and writes nothing: the settle's own read and
 *   decision (decide.ts), so it gives the same amounts and the same refusals;
 * - settle computes and commits the entry with its accumulator changes atomically; a request id
 *   makes it idempotent (same id and body: the original entry; same id, other body: refused);
 * - reverse (reverse.ts) writes a new entry with the amounts negated and restores the
 *   accumulators; an entry is never edited, and a settlement is reversed at most once.
 *
 * Settlements of one person are serialized: on PostgreSQL by the person's advisory lock (see
 * `personLock`; settles and reversals take it before they read), on SQLite by its single writer.
 * So two visits settled at once can never both spend the same remaining cap.
 *
 * The settle paths, as Kysely has a dialect per database: SQLite (sqlite-path.ts, or the writer
 * thread of sqlite-writer.ts), PostgreSQL (postgres-path.ts), any other store (kysely-path.ts);
 * all run the statements of statements.ts and the decision of decide.ts.
 */
import { NationalBook } from './national.js';
import { sql, type Kysely, type Transaction } from 'kysely';
import { accountKindFor } from '../account/settle.js';
import type { AccountEntry } from '../account/types.js';
import { dayOf, formatDate, yearStart } from '../calendar/calendar.js';
import type { Hardship } from '../domain.js';
import { categoryIndex } from '../engine/indexes.js';
import { SettlementError } from '../engine/errors.js';
import type { SettlementEngine } from '../engine/settle.js';
import type { Person } from '../engine/types.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import { PAGE_DEFAULT, pageOf, type Page, type Positions } from '../request/page.js';
import { settlementJson } from '../request/settle-person.js';
import type { SettleOne } from '../request/settle-one.js';
import { insertEntry, loadState, lockAccount } from './account-store.js';
import { AuditLog, readAudit, type AuditEntry, type AuditFilter } from './audit.js';
import type { LedgerDb } from './connect.js';
import { preSettle } from './decide.js';
import { EnrollmentBook } from './enrollments.js';
import { LedgerError } from './errors.js';
import { idClock } from './ids.js';
import { KyselySettlePath } from './kysely-path.js';
import { PostgresSettlePath } from './postgres-path.js';
import { DEFAULT_MAX_QUEUE } from './queue.js';
import { entryParties, lookupRegistered, PersonRegistry, type EntryParties, type InstitutionRecord, type PersonRecord, type RegistryMode } from './registry.js';
import { reverseSettlement } from './reverse.js';
import type { Database, SettlementsTable } from './schema.js';
import { SettleStatements } from './statements.js';
import { SqliteSettlePath } from './sqlite-path.js';
import { SqliteWriterPath } from './sqlite-writer.js';
import type { Actor, Entry, SettlePath, SettlePathStats, SettleResult } from './types.js';
import { verifyLedger, type VerifyReport } from './verify.js';
import { clockTolerance } from './visit-time.js';
import { ClearingBook } from './clearing.js';
import { BudgetBook } from './budgets.js';
import { HighCostBook } from './high-cost.js';
import { MonitoringSettings } from './monitoring-settings.js';
import { ReconciliationBook } from './reconciliations.js';
import { SupervisionBook } from './supervision.js';
import { fundStats, primaryReads, replicaReads, type AnalysisReads, type FundStats } from './analysis.js';
import type { AnyRule } from './supervision-rules.js';

export { LedgerError, type LedgerErrorCode } from './errors.js';
export type { Actor, Entry, SettlePathStats, SettleResult } from './types.js';
export { verifyLedger, type VerifyReport } from './verify.js';
export { SettlementError };

/** How the ledger is run. */
export interface LedgerOptions {
  /**
   * The agency's way: settle only registered persons with a payment the agency recorded for the
   * visit's year (registry.ts RegistryMode). Default false.
   */
  requireEnrollment?: boolean;
  /**
   * At most this many settles wait for the writer (each settle path's queue; default
   * DEFAULT_MAX_QUEUE); one more is refused with OVERLOADED, nothing written.
   */
  maxQueue?: number;
  /** The supervision rules the ledger's supervision book knows (default: the catalogue's RULES); for tests. */
  supervisionRules?: readonly AnyRule[];
  /**
   * A read replica of this (PostgreSQL) ledger (connect.ts openReadReplica): the analysis reads
   * go to it (analysis.ts). Closed by its opener.
   */
  readReplica?: LedgerDb;
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

/** A settlement's parties, as an authorization check needs them. */
export interface SettlementParties {
  kind: string;
  personId: string;
  visitId: string;
  institutionId: string;
}

type Db = Kysely<Database> | Transaction<Database>;

function entryOf(row: Pick<SettlementsTable, 'body'>): Entry {
  return JSON.parse(row.body) as Entry;
}

/** A PostgreSQL pool's connections: open, of those idle, and the requests waiting for one. */
export interface PoolStats {
  pool: string;
  total: number;
  idle: number;
  waiting: number;
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
  /** The agency's month: paying centres, closing months into statements, reconciliation reads (clearing.ts). */
  readonly clearing: ClearingBook;
  /** Reconciliations (对账): 3201, 3202 and hospitals' exports against the entries (reconciliations.ts). */
  readonly reconciliations: ReconciliationBook;
  /** The agency's monitoring settings: margins, thresholds, rule parameters (monitoring-settings.ts). */
  readonly settings: MonitoringSettings;
  /** Budgets per area, year and account, payments out of the separate accounts, statements and warnings (budgets.ts). */
  readonly budgets: BudgetBook;
  /** High-cost patients (高额费用负担患者预警, high-cost.ts). */
  readonly highCost: HighCostBook;
  /** Supervision (监管): rule settings, institution sites, runs, checks and findings (supervision.ts). */
  readonly supervision: SupervisionBook;
  /** The hospital day over the national interface: sign-ins, identities, visits, fee details, 冲正 (national.ts). */
  readonly national: NationalBook;
  /** The analysis reads (statistics, clearing's lists and views, supervision's lists and counts): on the read replica when there is one (analysis.ts). */
  readonly analysis: AnalysisReads;
  /** The read replica the analysis reads go to, if any. */
  readonly readReplica: LedgerDb | undefined;

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
    this.clearing = new ClearingBook(store.db, store.dialect === 'postgres', engine.policies, now);
    this.reconciliations = new ReconciliationBook(store.db, this.clearing, now);
    this.settings = new MonitoringSettings(store.db, now);
    this.budgets = new BudgetBook(store.db, engine.policies, this.settings, now);
    this.highCost = new HighCostBook(store.db, engine, this.settings, now);
    this.national = new NationalBook({ db: store.db, postgres: store.dialect === 'postgres', now });
    const supervisionOptions = { policies: engine.policies, ...(options.supervisionRules ? { rules: options.supervisionRules } : {}) };
    this.supervision = new SupervisionBook(store, this.settings, now, supervisionOptions);
    if (options.readReplica && store.dialect !== 'postgres') throw new Error('a read replica is for a PostgreSQL ledger; a SQLite ledger has none');
    this.readReplica = options.readReplica;
    this.analysis = options.readReplica ? replicaReads(options.readReplica, engine.policies, now, supervisionOptions) : primaryReads(store.db, this.clearing, this.supervision);
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
          ? new PostgresSettlePath(store.settlePool ?? store.pool, statements, engine, now, mode, undefined, maxQueue, store.pgStatements, store.warn)
          : new KyselySettlePath(store.db, statements, engine, now, store.dialect === 'postgres', mode, undefined, maxQueue);
    }
  }

  /**
   * Resolves when the ledger can settle: at once, or when the SQLite writer thread has opened the
   * file (rejects if it could not). The writer thread stops when the store closes.
   */
  readonly ready: Promise<void>;

  /**
   * What the settle paths have done since the ledger opened (the service's metrics): `settle`, the
   * path most settles take; `account`, the one for visits that ask the personal account to pay.
   */
  settleStats(): { settle: SettlePathStats; account: SettlePathStats } {
    return { settle: this.settlePath.stats(), account: this.accountPath.stats() };
  }

  /**
   * PostgreSQL: the connections of each pool (the service's metrics): `main` (Kysely's reads and
   * writes), `settle` (the settle path's pipelined connections), `replica` (the analysis reads,
   * with `--read-db`); none on SQLite.
   */
  poolStats(): PoolStats[] {
    const of = (pool: string, p: { totalCount: number; idleCount: number; waitingCount: number } | undefined): PoolStats[] =>
      p ? [{ pool, total: p.totalCount, idle: p.idleCount, waiting: p.waitingCount }] : [];
    return [...of('main', this.store.pool), ...of('settle', this.store.settlePool), ...of('replica', this.readReplica?.pool)];
  }

  /** SQLite with a writer thread: `PRAGMA synchronous` of the thread's connection, as it reports it. */
  readonly writerSynchronous: Promise<number | undefined> = Promise.resolve(undefined);

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  /**
   * What would be settled now (预结算, 2206/2303). Writes nothing. The settle's own read and
   * decision (decide.ts preSettle): the amounts the settle would give, and the same refusals
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
      throw new LedgerError(
        'ACCOUNT_NOT_AVAILABLE',
        `visit.useAccount: person ${person.id} has no open ${kind} account in the ledger; open one (POST /v1/accounts) or settle without useAccount`,
      );
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
   * The steps are in statements.ts, decide.ts and the paths (sqlite-path.ts, postgres-path.ts, kysely-path.ts).
   */
  async settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    this.checkInstitution(req, actor);
    return (req.visit.useAccount ? this.accountPath : this.settlePath).settle(req, actor);
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

  /**
   * Reverses a settlement: a new entry with the amounts negated, and the accumulators restored
   * (reverse.ts). Refused for a reversal, or a settlement reversed before. Idempotent by request id.
   */
  reverse(settlementId: string, requestId: string, actor: Actor): Promise<SettleResult> {
    return reverseSettlement(this.db, this.store.dialect === 'postgres', this.now, settlementId, requestId, actor);
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

  /** Fund outlay by policy and month, net of reversals, no personal data: on the ledger's own database (analysis.ts fundStats). */
  fundStats(year?: number): Promise<FundStats> {
    return fundStats(this.db, year);
  }

  /** Whether the store answers a query (the service's readiness check); throws when it does not. */
  async reachable(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** A settlement's kind and parties, or undefined when there is none (authorization checks; no audit). */
  async settlementParties(id: string): Promise<SettlementParties | undefined> {
    const s = await this.db.selectFrom('settlements').select(['kind', 'person_id', 'visit_id', 'institution_id']).where('id', '=', id).executeTakeFirst();
    return s && { kind: s.kind, personId: s.person_id, visitId: s.visit_id, institutionId: s.institution_id };
  }

  /** The holder of a personal account, or undefined when there is no such account (authorization checks; no audit). */
  async accountOwner(accountId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('accounts').select('holder_id').where('id', '=', accountId).executeTakeFirst();
    return row?.holder_id;
  }

  /** The ledger's person and institution records, where it has them (registry.ts lookupRegistered; no audit). */
  registered(personId: string, institutionId: string): Promise<{ person?: PersonRecord; institution?: InstitutionRecord }> {
    return lookupRegistered(this.db, personId, institutionId);
  }

  /** Whose a ledger entry is (registry.ts entryParties), or undefined when there is no such entry. */
  entryParties(entryId: string): Promise<EntryParties | undefined> {
    return entryParties(this.db, entryId);
  }

  /** The audit log of this store, to append to (the service keeps one). */
  auditLog(): AuditLog {
    return new AuditLog(this.db);
  }

  /** A page of the audit log (audit.ts readAudit). */
  readAudit(filter: AuditFilter): Promise<Page<AuditEntry>> {
    return readAudit(this.db, filter);
  }

  /** See {@link verifyLedger}. */
  verify(): Promise<VerifyReport> {
    return verifyLedger(this.db);
  }
}
