/**
 * The settle hot path: the steps of a settle, in one transaction.
 *
 *   lock      PostgreSQL: the person's advisory lock, which serializes the person's settles
 *   read      one query: the request id's entry (a retry), the visit's live settlement (a visit
 *             is its institution's: institution id and visit id), the institution's registry row,
 *             the person's caps, the windows at the institution, the stored enrollment for the
 *             year, the person's registry record
 *   decide    a retry → the original entry, nothing written; refusals (LedgerError, or
 *             SettlementError from the engine) → nothing written; else the engine settles it,
 *             the person as the registry holds them (registry.ts personForSettle)
 *   write     the person (only if new: a settle never changes the registry), the institution (if
 *             new), the enrollment (if sent), visit, settlement, cap, window, audit
 *
 * The statements are Kysely queries compiled once per store with named placeholders, then run on
 * the driver directly: no query building or compiling per settle.
 *
 * SQLite (SqliteBatchSettler): settles that arrive together are committed together (group commit):
 * one `BEGIN IMMEDIATE … COMMIT` holds several settles. A settle writes only after it is decided,
 * so a refused one leaves nothing behind while the others commit. No answer is given before the
 * COMMIT returns, so every acknowledged settle is durable (WAL). SQLite has one writer, so the
 * batch also serializes every person. The service runs the batches on a thread of their own
 * (sqlite-writer.ts); the CLI on its own thread (SqliteSettlePath).
 *
 * PostgreSQL (PostgresSettlePath): settles batched too, two round trips per batch,
 * `BEGIN; locks; reads` and `writes; COMMIT`, each settle's writes one statement (data-modifying
 * CTEs), all through statements prepared once per connection.
 *
 * Any other store (KyselySettlePath): the same statements one by one through Kysely.
 *
 * A pre-settle (preSettle) is the same read and the same decision with the write left out.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, sql, type Kysely, type QueryCreator, type Transaction } from 'kysely';
import type pg from 'pg';
import { chinaDay, formatDate, parseDate, yearOf, type DayNumber } from '../calendar/calendar.js';
import type { Category, Hardship } from '../domain.js';
import { governingStoredPayment } from '../enrollment/coverage.js';
import type { Accumulators, DeductibleWindow } from '../engine/accumulators.js';
import type { SettlementEngine } from '../engine/settle.js';
import type { Person, Settlement } from '../engine/types.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import { settlementJson } from '../request/settle-person.js';
import type { SettleOne } from '../request/settle-one.js';
import type { Actor, Entry, SettleResult } from './ledger.js';
import { LedgerError } from './errors.js';
import { assertMoneyIdentity, type CapSpent } from './invariants.js';
import { uuidv7 } from './ids.js';
import { OPEN_MODE, personForSettle, personRecordOf, personRowOf, recordOfPerson, type RegistryMode } from './registry.js';
import { refuseVisitInFuture } from './visit-time.js';
import type { AccountEntry, AccountState } from '../account/types.js';
import { accountView, payFromAccount } from '../account/settle.js';
import type { PolicySet } from '../policy/registry.js';
import type { Database, SettlementsTable } from './schema.js';

// ---------------------------------------------------------------------------------------------
// Statements compiled once, with named placeholders.

/** A placeholder: compiled to a parameter whose value is `bag[key][col]` when the statement runs. */
class Param {
  constructor(
    readonly key: string,
    readonly col: string,
  ) {}
}

const p = <T>(key: string, col: string): T => new Param(key, col) as unknown as T;

/** Rows (or row-like objects) a statement takes its parameters from, by key. */
type Bag = Record<string, object | undefined>;

export class Statement {
  constructor(
    /** Name of the prepared statement on each PostgreSQL connection. */
    readonly name: string,
    readonly sql: string,
    private readonly slots: readonly (Param | { value: unknown })[],
  ) {}

  params(bag: Bag): unknown[] {
    const out = new Array<unknown>(this.slots.length);
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i] as Param | { value: unknown };
      const v = s instanceof Param ? (bag[s.key] as Record<string, unknown> | undefined)?.[s.col] : s.value;
      out[i] = v === undefined ? null : v;
    }
    return out;
  }
}

function compile(name: string, c: CompiledQuery): Statement {
  return new Statement(
    name,
    c.sql,
    c.parameters.map((v) => (v instanceof Param ? v : { value: v })),
  );
}

/** Which optional writes a settle makes. */
const W_INSTITUTION = 1;
const W_ENROLLMENT = 2;
const W_CAP = 4;
const W_WINDOW = 8;
const W_ALL = W_INSTITUTION | W_ENROLLMENT | W_CAP | W_WINDOW;

/**
 * PostgreSQL: the transaction-scoped advisory lock of a person (on the hash of the id; a collision
 * only serializes two persons). Settles and reversals take it before reading the person's
 * accumulators, so two of them for one person never read the same remaining cap.
 */
export function personLock(personId: string) {
  return sql`select pg_advisory_xact_lock(hashtextextended(${personId}, 0))`;
}

const NO_CALLS: readonly [Statement, Bag][] = [];

export class SettleStatements {
  /**
   * PostgreSQL: the person's lock for the rest of the transaction (an advisory lock on the
   * person id's hash: it needs no row, so a person's first settles are serialized too, and it
   * writes nothing). Every operation that reads and then writes a person's accumulators takes it.
   */
  readonly lock: Statement;
  /** The person's registry row, written (only when the person is new) with the settle's other writes. */
  readonly person: Statement;
  readonly read: Statement;
  readonly replay: Statement;
  /** The writes one by one, each with the flag that asks for it (0: always). */
  readonly writes: readonly { flag: number; stmt: Statement }[];
  /** The writes of one later layer of the fund chain: its yearly total, and the entry's change to it. */
  readonly layerWrites: readonly Statement[];
  private readonly combined = new Map<number, Statement>();

  constructor(private readonly db: Kysely<Database>) {
    this.lock = compile('yb_lock', personLock(p<string>('person', 'id')).compile(db));
    this.person = compile('yb_person', this.personUpsert(db).compile());
    // One round trip for everything the settle reads. Columns: k (which part), s1–s3 text, n1–n3
    // numbers (typed in the first branch: PostgreSQL resolves a union's types pair by pair); see
    // decide.
    const q = (col: string) => p<string>('q', col);
    this.read = compile(
      'yb_read',
      sql`select 1 as k, body as s1, request_hash as s2, kind as s3,
                 cast(null as bigint) as n1, cast(null as bigint) as n2, cast(null as bigint) as n3
            from settlements where request_id = ${q('request_id')}
          union all
          select 2, s.id, null, null, null, null, null
            from settlements s
           where s.visit_id = ${q('visit_id')} and s.institution_id = ${q('institution_id')} and s.kind = 'settlement'
             and not exists (select 1 from settlements r where r.reverses = s.id)
          union all
          select 3, tier, null, null, grade, contracted, null from institutions where id = ${q('institution_id')}
          union all
          select 4, bucket, null, null, year, used_fen, null from cap_usage where person_id = ${q('person_id')}
          union all
          select 5, bucket, null, null, day, borne_fen, null
            from deductible_windows
           where person_id = ${q('person_id')} and institution_id = ${q('institution_id')} and day = ${q('day')}
          union all
          select 6, paid_on, category, hardship, coverage_year, transfer, recorded_at
            from enrollments
           where person_id = ${q('enrollment_person_id')} and coverage_year = ${q('coverage_year')}
          union all
          select 7, region, scheme, category, account_reformed, null, null from persons where id = ${q('person_id')}
          union all
          select 8, hardship, family_doctor_at, employment, null, null, null from persons where id = ${q('person_id')}`.compile(db),
    );
    this.replay = compile(
      'yb_replay',
      db.selectFrom('settlements').select(['body', 'request_hash', 'kind']).where('request_id', '=', p<never>('q', 'request_id')).compile(),
    );
    this.writes = [
      { flag: 0, stmt: this.person },
      { flag: W_INSTITUTION, stmt: compile('yb_w_institution', this.institutionInsert(db).compile()) },
      { flag: W_ENROLLMENT, stmt: compile('yb_w_enrollment', this.enrollmentInsert(db).compile()) },
      { flag: 0, stmt: compile('yb_w_visit', this.visitInsert(db).compile()) },
      { flag: 0, stmt: compile('yb_w_settlement', this.settlementInsert(db).compile()) },
      { flag: W_CAP, stmt: compile('yb_w_cap', this.capUpsert(db).compile()) },
      { flag: W_WINDOW, stmt: compile('yb_w_window', this.windowUpsert(db).compile()) },
      { flag: 0, stmt: compile('yb_w_audit', this.auditInsert(db).compile()) },
    ];
    this.layerWrites = [
      compile('yb_w_layer_cap', this.capUpsert(db, 'layerCap').compile()),
      compile('yb_w_layer', this.layerInsert(db).compile()),
    ];
  }

  /**
   * All of a settle's writes as one statement (PostgreSQL: data-modifying CTEs), per combination
   * of the optional ones; compiled when first needed.
   */
  combinedWrite(flags: number): Statement {
    let s = this.combined.get(flags);
    if (!s) {
      // Kysely adds each CTE to the query's tables; none of these is read, so keep the plain type.
      type Creator = QueryCreator<Database>;
      const add = (q: Creator, name: string, insert: (db: Creator) => unknown): Creator =>
        q.with(name, (db) => insert(db as unknown as Creator) as never) as unknown as Creator;
      let q = add(this.db, 'p', (db) => this.personUpsert(db));
      q = add(q, 'v', (db) => this.visitInsert(db));
      q = add(q, 's', (db) => this.settlementInsert(db));
      if (flags & W_INSTITUTION) q = add(q, 'i', (db) => this.institutionInsert(db));
      if (flags & W_ENROLLMENT) q = add(q, 'e', (db) => this.enrollmentInsert(db));
      if (flags & W_CAP) q = add(q, 'c', (db) => this.capUpsert(db));
      if (flags & W_WINDOW) q = add(q, 'w', (db) => this.windowUpsert(db));
      s = compile(`yb_write_${flags}`, this.auditInsert(q).compile());
      this.combined.set(flags, s);
    }
    return s;
  }

  private personUpsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const c = (col: string) => p<never>('person', col);
    return (
      db
        .insertInto('persons')
        .values({
          id: c('id'),
          region: c('region'),
          scheme: c('scheme'),
          category: c('category'),
          hardship: c('hardship'),
          family_doctor_at: c('family_doctor_at'),
          employment: c('employment'),
          account_reformed: c('account_reformed'),
          updated_at: c('updated_at'),
        })
        // A person's first settle (or recorded payment) registers them; nothing but the agency
        // changes a registered person (registry.ts).
        .onConflict((oc) => oc.column('id').doNothing())
    );
  }

  private institutionInsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const c = (col: string) => p<never>('institution', col);
    return db
      .insertInto('institutions')
      .values({ id: c('id'), name: null, tier: c('tier'), grade: c('grade'), contracted: c('contracted'), region: c('region'), updated_at: c('updated_at') })
      .onConflict((oc) => oc.column('id').doNothing());
  }

  private enrollmentInsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const c = (col: string) => p<never>('enrollment', col);
    return db
      .insertInto('enrollments')
      .values({
        id: c('id'),
        person_id: c('person_id'),
        coverage_year: c('coverage_year'),
        paid_on: c('paid_on'),
        transfer: c('transfer'),
        amount_fen: null,
        payer: null,
        recorded_at: c('recorded_at'),
      })
      .onConflict((oc) => oc.column('id').doNothing());
  }

  private visitInsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const c = (col: string) => p<never>('visit', col);
    return db
      .insertInto('visits')
      .values({
        id: c('id'),
        person_id: c('person_id'),
        institution_id: c('institution_id'),
        time_ms: c('time_ms'),
        visit_date: c('visit_date'),
        type: c('type'),
        total_fen: c('total_fen'),
        eligible_fen: c('eligible_fen'),
      })
      .onConflict((oc) => oc.columns(['institution_id', 'id']).doNothing());
  }

  private settlementInsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const row = Object.fromEntries(SETTLEMENT_COLUMNS.map((col) => [col, p('settlement', col)])) as unknown as SettlementsTable;
    return db.insertInto('settlements').values(row);
  }

  /** A decided settle's writes for the later layers of the fund chain, as statements with their bags, in order. */
  layerCalls(d: { layers?: Bag[] }): readonly [Statement, Bag][] {
    // Most settles have no later layer: nothing is made for them.
    if (d.layers === undefined) return NO_CALLS;
    const calls: [Statement, Bag][] = [];
    for (const bag of d.layers) for (const stmt of this.layerWrites) calls.push([stmt, bag]);
    return calls;
  }

  private layerInsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const c = (col: string) => p<never>('layer', col);
    return db.insertInto('settlement_layers').values({
      settlement_id: c('settlement_id'),
      person_id: c('person_id'),
      year: c('year'),
      bucket: c('bucket'),
      change_fen: c('change_fen'),
      after_fen: c('after_fen'),
    });
  }

  private capUpsert(db: Pick<Kysely<Database>, 'insertInto'>, key = 'cap') {
    const c = (col: string) => p<never>(key, col);
    return db
      .insertInto('cap_usage')
      .values({ person_id: c('person_id'), year: c('year'), bucket: c('bucket'), used_fen: c('used_fen') })
      .onConflict((oc) => oc.columns(['person_id', 'year', 'bucket']).doUpdateSet((eb) => ({ used_fen: eb.ref('excluded.used_fen') })));
  }

  private windowUpsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const c = (col: string) => p<never>('window', col);
    return db
      .insertInto('deductible_windows')
      .values({ person_id: c('person_id'), bucket: c('bucket'), institution_id: c('institution_id'), day: c('day'), borne_fen: c('borne_fen') })
      .onConflict((oc) => oc.columns(['person_id', 'bucket', 'institution_id', 'day']).doUpdateSet((eb) => ({ borne_fen: eb.ref('excluded.borne_fen') })));
  }

  private auditInsert(db: Pick<Kysely<Database>, 'insertInto'>) {
    const c = (col: string) => p<never>('audit', col);
    return db.insertInto('audit_log').values({ at: c('at'), actor: c('actor'), role: c('role'), action: c('action'), target: c('target'), detail: c('detail') });
  }
}

const SETTLEMENT_COLUMNS: readonly (keyof SettlementsTable)[] = [
  'id',
  'request_id',
  'request_hash',
  'kind',
  'reverses',
  'person_id',
  'visit_id',
  'institution_id',
  'visit_date',
  'year',
  'policy',
  'benefit',
  'eligibility',
  'total_fen',
  'eligible_fen',
  'deductible_fen',
  'fund_pay_fen',
  'critical_illness_pay_fen',
  'assistance_pay_fen',
  'account_pay_fen',
  'cash_pay_fen',
  'cap_bucket',
  'cap_year',
  'cap_before_fen',
  'cap_after_fen',
  'window_bucket',
  'window_opened_at',
  'window_day',
  'window_borne_after_fen',
  'body',
  'actor',
  'created_at',
];

// ---------------------------------------------------------------------------------------------
// Deciding a settle from what the ledger holds.

/** A row of the read statement. */
interface ReadRow {
  k: number;
  s1: string | null;
  s2: string | null;
  s3: string | null;
  n1: number | string | null;
  n2: number | string | null;
  n3: number | string | null;
}

/** Accumulators read from the ledger inside the transaction. */
export class LoadedAccumulators implements Accumulators {
  constructor(
    private readonly caps: Map<string, Fen>,
    /** By bucket, institution and day. */
    private readonly windows: Map<string, DeductibleWindow>,
  ) {}
  capUsed(bucket: string, year: number): Fen {
    return this.caps.get(`${year}\u0000${bucket}`) ?? 0;
  }
  deductibleWindow(bucket: string, institutionId: string, day: number): DeductibleWindow | undefined {
    return this.windows.get(`${bucket}\u0000${institutionId}\u0000${day}`);
  }
}

/** A payment on file, as the enrollments table holds it (the columns the settle reads). */
export interface StoredPaymentRow {
  paid_on: string;
  coverage_year: number | string;
  transfer: number | string;
  category: string | null;
  hardship: string | null;
  recorded_at: number | string;
}

/** A payment on file, as the engine takes it: with the person as they enrolled, when on file. */
export function storedEnrollment(row: StoredPaymentRow): NonNullable<Person['enrollment']> {
  return {
    paidOn: parseDate(row.paid_on) as DayNumber,
    coverageYear: Number(row.coverage_year),
    transfer: Number(row.transfer) === 1,
    enrolledAs: row.category === null ? undefined : { category: row.category as Category, hardship: (row.hardship ?? undefined) as Hardship | undefined },
  };
}

/**
 * The payment on file a visit is settled with, when the request brings none: of the person's
 * payments for the visit's year (in the order recorded), the one whose benefits start first
 * (enrollment/coverage.ts governingStoredPayment).
 */
export function storedPaymentFor(engine: SettlementEngine, person: Person, rows: readonly StoredPaymentRow[], visitTime: number): Person {
  if (person.enrollment || rows.length === 0) return person;
  const ordered = [...rows].sort((a, b) => Number(a.recorded_at) - Number(b.recorded_at));
  const chosen = governingStoredPayment(engine, person, ordered.map(storedEnrollment), chinaDay(visitTime));
  return chosen ? { ...person, enrollment: chosen } : person;
}

/**
 * The payments on file a settle may use: all of them; when the ledger requires enrollment, only
 * those the agency recorded (the rows a settle stores have no category), at least one for the
 * visit's year, and none brought by the request.
 *
 * @throws LedgerError ENROLLMENT_NOT_ACCEPTED, NOT_ENROLLED (requireEnrollment only).
 */
export function enrollmentsFor(person: Person, rows: readonly StoredPaymentRow[], visitTime: number, mode: RegistryMode): readonly StoredPaymentRow[] {
  if (!mode.requireEnrollment) return rows;
  if (person.enrollment) {
    throw new LedgerError(
      'ENROLLMENT_NOT_ACCEPTED',
      `person.enrollment: this service settles with the payments the agency recorded (--require-enrollment), not a request's; record the payment (POST /v1/persons/${person.id}/enrollments, yibao enrollment record) and send the visit without person.enrollment`,
    );
  }
  const recorded = rows.filter((r) => r.category !== null);
  if (recorded.length === 0) {
    throw new LedgerError(
      'NOT_ENROLLED',
      `person.id: person ${person.id} has no payment (参保缴费) on file for ${coverageYearOf(visitTime)}; this service settles enrolled persons only (--require-enrollment): the agency records payments (POST /v1/persons/${person.id}/enrollments, yibao enrollment record)`,
    );
  }
  return recorded;
}

export function replayOf(prior: { body: string; request_hash: string; kind: string }, req: SettleOne): SettleResult {
  if (prior.kind !== 'settlement' || prior.request_hash !== req.hash) {
    throw new LedgerError(
      'IDEMPOTENCY_CONFLICT',
      `requestId: ${req.requestId} was already used for a different request; use a new request id for a new request`,
    );
  }
  return { entry: JSON.parse(prior.body) as Entry, created: false, body: prior.body };
}

/** The year (China time) whose enrollment on file applies to a visit. */
const coverageYearOf = (time: number) => yearOf(chinaDay(time));

/** What the read statement takes. A pre-settle looks up no request id: it reserves none, and replays none. */
function readBag(req: SettleOne, preSettle = false): Bag {
  const { person, visit } = req;
  return {
    q: {
      request_id: preSettle ? null : req.requestId,
      visit_id: visit.id,
      institution_id: visit.institution.id,
      person_id: person.id,
      // The deductible window the visit falls in: its own China day.
      day: chinaDay(visit.time),
      // The enrollment on file is needed only when the request brings none.
      enrollment_person_id: person.enrollment ? null : person.id,
      coverage_year: coverageYearOf(visit.time),
    },
  };
}

function personRow(req: SettleOne, now: number): Record<string, unknown> {
  return personRowOf(recordOfPerson(req.person), now);
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

/**
 * Decides a settle from the rows the read statement returned, under the person's lock: the
 * original entry for a retry; a refusal (LedgerError, or SettlementError from the engine); or the
 * new entry with the rows to write. With `preSettle`, the settlement the settle would make, and
 * nothing to write.
 *
 * @throws InvariantError when the settlement breaks the money identity (invariants.ts): nothing is written.
 */
export function decide(engine: SettlementEngine, req: SettleOne, actor: Actor, rows: readonly ReadRow[], now: number, account?: AccountAtSettle, mode?: RegistryMode): Decision;
export function decide(
  engine: SettlementEngine,
  req: SettleOne,
  actor: Actor,
  rows: readonly ReadRow[],
  now: number,
  account: AccountAtSettle | undefined,
  mode: RegistryMode,
  preSettle: true,
): Settlement;
export function decide(
  engine: SettlementEngine,
  req: SettleOne,
  actor: Actor,
  rows: readonly ReadRow[],
  now: number,
  account?: AccountAtSettle,
  mode: RegistryMode = OPEN_MODE,
  preSettle = false,
): Decision | Settlement {
  refuseVisitInFuture(req, now);
  let replay: ReadRow | undefined;
  let settled: string | undefined;
  let institution: ReadRow | undefined;
  let registry: ReadRow | undefined;
  let registryMore: ReadRow | undefined;
  const payments: StoredPaymentRow[] = [];
  const caps = new Map<string, Fen>();
  const windows = new Map<string, DeductibleWindow>();
  const { person: p, visit } = req;
  const inst = visit.institution;
  for (const r of rows) {
    switch (Number(r.k)) {
      case 1:
        replay = r;
        break;
      case 2:
        settled ??= r.s1 as string;
        break;
      case 3:
        institution = r;
        break;
      case 4:
        caps.set(`${Number(r.n1)}\u0000${r.s1}`, Number(r.n2));
        break;
      case 5:
        windows.set(`${r.s1}\u0000${inst.id}\u0000${Number(r.n1)}`, { day: Number(r.n1), borne: Number(r.n2) });
        break;
      case 6:
        payments.push({ paid_on: r.s1 as string, category: r.s2 as string | null, hardship: r.s3 as string | null, coverage_year: r.n1 as number, transfer: r.n2 as number, recorded_at: r.n3 as number });
        break;
      case 7:
        registry = r;
        break;
      case 8:
        registryMore = r;
        break;
    }
  }
  // Under the lock: a retry of a committed request (perhaps committed while we waited) gets the
  // original entry.
  if (replay && !preSettle) return { replay: replayOf({ body: replay.s1 as string, request_hash: replay.s2 as string, kind: replay.s3 as string }, req) };
  if (settled !== undefined) {
    throw new LedgerError('VISIT_ALREADY_SETTLED', `visit.id: visit ${visit.id} at ${inst.id} is already settled as ${settled}; reverse it first to settle it again`);
  }
  let flags = 0;
  if (institution) {
    const tier = institution.s1 as string;
    const grade = Number(institution.n1);
    const contracted = Number(institution.n2) === 1;
    if (tier !== inst.tier || grade !== inst.grade || contracted !== inst.contracted) {
      throw new LedgerError(
        'INSTITUTION_MISMATCH',
        `visit.institution: ${inst.id} is registered as ${tier}, grade ${grade}, ${contracted ? 'contracted' : 'not contracted'}; the request says ${inst.tier}, grade ${inst.grade}, ${inst.contracted ? 'contracted' : 'not contracted'}`,
      );
    }
  } else flags |= W_INSTITUTION;
  const record =
    registry && registryMore
      ? personRecordOf({
          id: p.id,
          region: registry.s1 as string,
          scheme: registry.s2 as string,
          category: registry.s3 as string,
          account_reformed: registry.n1 === null ? null : Number(registry.n1),
          hardship: registryMore.s1,
          family_doctor_at: registryMore.s2,
          employment: registryMore.s3,
        })
      : undefined;
  const registered = personForSettle(p, record, mode);
  if (p.enrollment) flags |= W_ENROLLMENT;
  const person = storedPaymentFor(engine, registered, enrollmentsFor(registered, payments, visit.time, mode), visit.time);
  let s = engine.settle(person, visit, new LoadedAccumulators(caps, windows), { trace: true });
  const id = `S-${uuidv7(now)}`;
  let accountEntry: AccountEntry | undefined;
  if (account && visit.useAccount) {
    // The fund chain's last layer before cash: the personal account (src/account/settle.ts).
    const paid = payFromAccount(s, visit, account.state, account.policies, id);
    s = { ...paid.settlement, account: accountView(paid.use) };
    accountEntry = paid.use.entry;
  }
  assertMoneyIdentity(`visit ${visit.id}`, s, capsSpent(s));
  if (preSettle) return s;
  const entry: Entry = { id, kind: 'settlement', requestId: req.requestId, createdAt: new Date(now).toISOString(), institution: inst.id, ...settlementJson(s) };
  const body = JSON.stringify(entry);
  const visitDate = formatDate(s.date);
  const cap = s.changes.cap;
  const w = s.changes.deductibleWindow;
  if (cap) flags |= W_CAP;
  if (w) flags |= W_WINDOW;
  const bag: Bag = {
    person: personRow(req, now),
    visit: {
      id: visit.id,
      person_id: p.id,
      institution_id: inst.id,
      time_ms: visit.time,
      visit_date: visitDate,
      type: visit.type,
      total_fen: visit.total,
      eligible_fen: visit.eligible,
    },
    settlement: settlementRow(id, req, s, visitDate, body, actor, now),
    audit: {
      at: now,
      actor: actor.id,
      role: actor.role,
      action: 'settle',
      target: id,
      detail: JSON.stringify({ requestId: req.requestId, visitId: visit.id, person: p.id, fundPay: toYuanNumber(s.fundPay) }),
    },
  };
  if (flags & W_INSTITUTION) {
    bag.institution = { id: inst.id, tier: inst.tier, grade: inst.grade, contracted: inst.contracted ? 1 : 0, region: p.region, updated_at: now };
  }
  if (p.enrollment) {
    const paidOn = formatDate(p.enrollment.paidOn);
    bag.enrollment = {
      id: `${p.id}:${p.enrollment.coverageYear}:${paidOn}`,
      person_id: p.id,
      coverage_year: p.enrollment.coverageYear,
      paid_on: paidOn,
      transfer: p.enrollment.transfer ? 1 : 0,
      recorded_at: now,
    };
  }
  if (cap) bag.cap = { person_id: p.id, year: cap.year, bucket: cap.bucket, used_fen: cap.after };
  if (w) {
    bag.window = { person_id: p.id, bucket: w.bucket, institution_id: inst.id, day: w.window.day, borne_fen: w.window.borne };
  }
  const layers = s.changes.layers?.map((l) => ({
    layerCap: { person_id: p.id, year: l.year, bucket: l.bucket, used_fen: l.after },
    layer: { settlement_id: id, person_id: p.id, year: l.year, bucket: l.bucket, change_fen: l.after - l.before, after_fen: l.after },
  }));
  return { result: { entry, created: true, body }, bag, flags, ...(accountEntry ? { accountEntry } : {}), ...(layers ? { layers } : {}) };
}

const NO_CAPS: readonly CapSpent[] = [];

/** The caps a settlement spends, for the money identity. */
function capsSpent(s: Settlement): readonly CapSpent[] {
  const { cap, layers } = s.changes;
  if (!layers) return cap ? [cap] : NO_CAPS;
  return cap ? [cap, ...layers] : layers;
}

function settlementRow(id: string, req: SettleOne, s: Settlement, visitDate: string, body: string, actor: Actor, now: number): SettlementsTable {
  const w = s.changes.deductibleWindow;
  return {
    id,
    request_id: req.requestId,
    request_hash: req.hash,
    kind: 'settlement',
    reverses: null,
    person_id: req.person.id,
    visit_id: req.visit.id,
    institution_id: req.visit.institution.id,
    visit_date: visitDate,
    year: yearOf(s.date),
    policy: s.policy,
    benefit: s.benefit,
    eligibility: s.eligibility,
    total_fen: s.total,
    eligible_fen: s.eligible,
    deductible_fen: s.deductible,
    fund_pay_fen: s.fundPay,
    critical_illness_pay_fen: s.criticalIllnessPay,
    assistance_pay_fen: s.assistancePay,
    account_pay_fen: s.accountPay,
    cash_pay_fen: s.cashPay,
    cap_bucket: s.changes.cap?.bucket ?? null,
    cap_year: s.changes.cap?.year ?? null,
    cap_before_fen: s.changes.cap?.before ?? null,
    cap_after_fen: s.changes.cap?.after ?? null,
    window_bucket: w?.bucket ?? null,
    // Windows are days now (0006); the column is kept for the entries written before.
    window_opened_at: null,
    window_day: w?.window.day ?? null,
    window_borne_after_fen: w?.window.borne ?? null,
    body,
    actor: actor.id,
    created_at: now,
  };
}

/**
 * A unique (or primary key) violation, by the driver's error code: SQLSTATE 23505 on PostgreSQL,
 * SQLITE_CONSTRAINT_UNIQUE or SQLITE_CONSTRAINT_PRIMARYKEY from better-sqlite3 (also as the SQLite
 * writer thread passes it on). Never by the message's text, which the server's language and
 * version may change, and which a value in the message could contain.
 */
export function isUniqueViolation(e: unknown): boolean {
  const code = e !== null && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

// ---------------------------------------------------------------------------------------------
// The paths.

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

/** At most this many settles share one SQLite transaction. */
export const MAX_BATCH = 64;

/**
 * At most this many settles wait in a path's queue for the writer (`yibao serve --max-queue`,
 * YIBAO_MAX_QUEUE); one more is refused at once with OVERLOADED (503, Retry-After), nothing
 * written, rather than wait longer than any client would.
 */
export const DEFAULT_MAX_QUEUE = 1024;

/** The refusal of a settle that finds its path's queue full. */
export function overloaded(waiting: number, maxQueue: number): LedgerError {
  return new LedgerError('OVERLOADED', `the ledger is busy: ${waiting} settles are waiting for its writer (at most ${maxQueue}); nothing was written; try again shortly`);
}

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

interface QueuedJob extends SettleJob {
  resolve: (r: SettleResult) => void;
  reject: (e: unknown) => void;
}

/** Answers each queued job with its outcome. */
export function answer(jobs: readonly QueuedJob[], outcomes: readonly SettleOutcome[]): void {
  for (let i = 0; i < jobs.length; i++) {
    const o = outcomes[i] as SettleOutcome;
    const job = jobs[i] as QueuedJob;
    if ('ok' in o) job.resolve(o.ok);
    else job.reject(o.error);
  }
}

/** SQLite on this thread: settles queued in the same turn of the event loop are committed together. */
export class SqliteSettlePath implements SettlePath {
  private readonly queue: QueuedJob[] = [];
  private draining = false;
  private readonly batcher: SqliteBatchSettler;
  private readonly busyTimeout: number;

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

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        let outcomes: SettleOutcome[];
        try {
          // Kysely's hold on the one connection: no other transaction is open on it meanwhile.
          outcomes = await this.db.connection().execute(async () => {
            await this.beginImmediate();
            return this.batcher.settleBatch(batch, true);
          });
        } catch (e) {
          outcomes = batch.map(() => ({ error: e }));
        }
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

const hasNul = (...values: (string | undefined)[]) => values.some((v) => v !== undefined && v.includes('\u0000'));

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
 * its own connection; under light load a batch is one settle. If a write fails, the batch is
 * rolled back and its settles run again one per batch, so only the failing one fails (a request
 * id raced by another connection is then answered as a retry).
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
  private running = 0;

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
    this.prepareAll = [st.lock, st.read, ...this.writes, ...st.layerWrites].map((x) => `prepare ${x.name} as ${x.sql}`).join(';\n');
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

  /** Starts batches while connections are free. */
  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.running++;
      void this.runBatch(batch).finally(() => {
        this.running--;
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
      const locks = persons.map((id) => x(st.lock, { person: { id } }));
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
    const { rows } = await client.query({ text: s.sql, values: s.params({ q: { request_id: job.req.requestId } }) });
    const prior = rows[0] as { body: string; request_hash: string; kind: string } | undefined;
    if (!prior) throw e;
    try {
      return { ok: replayOf(prior, job.req) };
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

/** Ends a transaction that found a retry, by rolling it back. */
class Replayed extends Error {
  constructor(readonly result: SettleResult) {
    super('replayed');
  }
}

/** Any other store: the same statements through Kysely, one transaction per settle. */
/** Runs a compiled statement through Kysely (a transaction or the database). */
export const runStatement = (db: Pick<Kysely<Database>, 'executeQuery'>, s: Statement, bag: Bag) => db.executeQuery(CompiledQuery.raw(s.sql, s.params(bag)));

/** The settle's read, through Kysely. */
export async function readThrough(db: Pick<Kysely<Database>, 'executeQuery'>, st: SettleStatements, req: SettleOne): Promise<ReadRow[]> {
  return (await runStatement(db, st.read, readBag(req))).rows as ReadRow[];
}

/**
 * Pre-settle (预结算): the settle's read and decision ({@link decide}) with the write left out, so
 * it gives what the settle would give now — the same amounts, the same refusals. It takes no lock
 * and looks up no request id (a pre-settle reserves nothing and replays nothing); what other
 * settles commit in between is the settle's to see.
 */
export async function preSettle(
  db: Pick<Kysely<Database>, 'executeQuery'>,
  st: SettleStatements,
  engine: SettlementEngine,
  req: SettleOne,
  actor: Actor,
  now: number,
  account: AccountAtSettle | undefined,
  mode: RegistryMode,
): Promise<Settlement> {
  const rows = (await runStatement(db, st.read, readBag(req, true))).rows as ReadRow[];
  return decide(engine, req, actor, rows, now, account, mode, true);
}

/** A decided settle's writes, one statement each, through Kysely. */
export async function writeThrough(db: Pick<Kysely<Database>, 'executeQuery'>, st: SettleStatements, d: Extract<Decision, { bag: Bag }>): Promise<void> {
  for (const { flag, stmt } of st.writes) {
    if (flag === 0 || d.flags & flag) await runStatement(db, stmt, d.bag);
  }
  for (const [stmt, bag] of st.layerCalls(d)) await runStatement(db, stmt, bag);
}

export class KyselySettlePath implements SettlePath {
  /** Settles begun and not yet answered: each waits for a connection (SQLite's one; the pool's). */
  private inFlight = 0;

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
    try {
      return await this.settleNow(req, actor);
    } finally {
      this.inFlight--;
    }
  }

  private async settleNow(req: SettleOne, actor: Actor): Promise<SettleResult> {
    const st = this.statements;
    try {
      return await this.db.transaction().execute(async (trx) => {
        const now = this.now();
        if (this.postgres) await runStatement(trx, st.lock, { person: { id: req.person.id } });
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
      if (isUniqueViolation(e)) {
        const { rows } = await runStatement(this.db, st.replay, { q: { request_id: req.requestId } });
        const prior = rows[0] as { body: string; request_hash: string; kind: string } | undefined;
        if (prior) return replayOf(prior, req);
      }
      throw e;
    }
  }
}
