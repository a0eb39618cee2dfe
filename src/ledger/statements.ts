/**
 * The steps of a settle, in one transaction, whichever path runs them:
 *
 *   lock      PostgreSQL: the person's advisory lock, which serializes the person's settles
 *   read      one query (below)
 *   decide    decide.ts: a retry → the original entry, nothing written; refusals → nothing
 *             written; else the engine settles it, the person as the registry holds them
 *   write     the person (only if new: a settle never changes the registry), the institution (if
 *             new), the enrollment (if sent), visit, settlement, cap, window, layers, audit
 *
 * The settle's statements: Kysely queries compiled once per store with named placeholders, then
 * run on the driver directly (no query building or compiling per settle). The paths (sqlite-path.ts,
 * postgres-path.ts, kysely-path.ts) run them; decide.ts fills their bags.
 *
 * The read is one round trip for everything a settle reads: the person's entry with the request id (a
 * retry: a request id is its person's), the visit's live settlement whoever's (a visit is settled
 * once), the institution's registry row, the person's caps, the windows at the institution, the
 * stored enrollment for the year, the person's registry record.
 */
import { CompiledQuery, sql, type Kysely, type QueryCreator } from 'kysely';
import { chinaDay, yearOf } from '../calendar/calendar.js';
import type { SettleOne } from '../request/settle-one.js';
import type { Database, SettlementsTable } from './schema.js';
import type { Bag, Decision, ReadRow } from './types.js';

/** A placeholder: compiled to a parameter whose value is `bag[key][col]` when the statement runs. */
class Param {
  constructor(
    readonly key: string,
    readonly col: string,
  ) {}
}

const p = <T>(key: string, col: string): T => new Param(key, col) as unknown as T;

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
export const W_INSTITUTION = 1;
export const W_ENROLLMENT = 2;
export const W_CAP = 4;
export const W_WINDOW = 8;
export const W_ALL = W_INSTITUTION | W_ENROLLMENT | W_CAP | W_WINDOW;

/**
 * PostgreSQL: the transaction-scoped advisory lock of a person (on the hash of the id; a collision
 * only serializes two persons). Settles and reversals take it before reading the person's
 * accumulators, so two of them for one person never read the same remaining cap. The same
 * statement first takes the clearing lock shared ({@link CLEARING_LOCK_KEY}).
 */
export function personLock(personId: string) {
  return sql`select pg_advisory_xact_lock_shared(${sql.raw(CLEARING_LOCK_KEY)}), pg_advisory_xact_lock(hashtextextended(${personId}, 0))`;
}

/**
 * PostgreSQL: the clearing lock (清算锁), an advisory lock of its own number. Every transaction
 * that writes a settlement entry holds it shared (taken with the person's lock, before the entry's
 * time is read); closing a month (clearing.ts) takes it exclusively. So no entry can be stamped
 * with a time in a month while that month is being closed: a settle in flight finishes first, and
 * one that starts after reads a time after the close began, which is after the month's end.
 */
export const CLEARING_LOCK_KEY = '7305108113310125'; // digits of 'yibao.clearing', any fixed bigint

/** PostgreSQL: {@link CLEARING_LOCK_KEY} exclusively, until the transaction ends. */
export const clearingLock = () => sql`select pg_advisory_xact_lock(${sql.raw(CLEARING_LOCK_KEY)})`;

/**
 * PostgreSQL: the transaction-scoped advisory lock of a visit (an institution's visit id; on the
 * hash of both, in a hash space of its own). Settles of one visit for different persons take
 * different person locks; this one keeps a second live settlement of the visit out. Always taken
 * after the person locks (in visit order within a batch), so no two transactions wait on each
 * other in a circle.
 */
export function visitLock(institutionId: string, visitId: string) {
  return sql`select pg_advisory_xact_lock(hashtextextended(${institutionId} || chr(31) || ${visitId}, 1))`;
}

/** The bag of {@link SettleStatements.visitLock}. */
export const visitLockBag = (institutionId: string, visitId: string): Bag => ({ v: { institution: institutionId, id: visitId } });

const NO_CALLS: readonly [Statement, Bag][] = [];

export class SettleStatements {
  /**
   * PostgreSQL: the person's lock for the rest of the transaction (an advisory lock on the
   * person id's hash: it needs no row, so a person's first settles are serialized too, and it
   * writes nothing). Every operation that reads and then writes a person's accumulators takes it.
   */
  readonly lock: Statement;
  /** PostgreSQL: the visit's lock ({@link visitLock}), taken after the person's. */
  readonly visitLock: Statement;
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
    this.visitLock = compile('yb_visit_lock', visitLock(p<string>('v', 'institution'), p<string>('v', 'id')).compile(db));
    this.person = compile('yb_person', this.personUpsert(db).compile());
    // One round trip for everything the settle reads. Columns: k (which part), s1–s3 text, n1–n3
    // numbers (typed in the first branch: PostgreSQL resolves a union's types pair by pair); see
    // decide.
    const q = (col: string) => p<string>('q', col);
    this.read = compile(
      'yb_read',
      sql`select 1 as k, body as s1, request_hash as s2, kind as s3,
                 cast(null as bigint) as n1, cast(null as bigint) as n2, cast(null as bigint) as n3
            from settlements where person_id = ${q('person_id')} and request_id = ${q('request_id')}
          union all
          select 2, s.id, null, null, null, null, null
            from settlements s
           where s.visit_id = ${q('visit_id')} and s.institution_id = ${q('institution_id')} and s.kind = 'settlement'
             and not exists (select 1 from settlements r where r.person_id = s.person_id and r.reverses = s.id)
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
    // A request id is the person's (idempotency per person): its bag is the read's ({@link readBag}).
    this.replay = compile(
      'yb_replay',
      db
        .selectFrom('settlements')
        .select(['body', 'request_hash', 'kind'])
        .where('person_id', '=', p<never>('q', 'person_id'))
        .where('request_id', '=', p<never>('q', 'request_id'))
        .compile(),
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
    this.layerWrites = [compile('yb_w_layer_cap', this.capUpsert(db, 'layerCap').compile()), compile('yb_w_layer', this.layerInsert(db).compile())];
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
      const add = (q: Creator, name: string, insert: (db: Creator) => unknown): Creator => q.with(name, (db) => insert(db as unknown as Creator) as never) as unknown as Creator;
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
      .onConflict((oc) => oc.columns(['person_id', 'id']).doNothing());
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
      .onConflict((oc) => oc.columns(['person_id', 'institution_id', 'id']).doNothing());
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

/** The year (China time) whose enrollment on file applies to a visit. */
export const coverageYearOf = (time: number) => yearOf(chinaDay(time));

/** What the read statement takes. A pre-settle looks up no request id: it reserves none, and replays none. */
export function readBag(req: SettleOne, preSettle = false): Bag {
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

/** Runs a compiled statement through Kysely (a transaction or the database). */
export const runStatement = (db: Pick<Kysely<Database>, 'executeQuery'>, s: Statement, bag: Bag) => db.executeQuery(CompiledQuery.raw(s.sql, s.params(bag)));

/** The settle's read, through Kysely. */
export async function readThrough(db: Pick<Kysely<Database>, 'executeQuery'>, st: SettleStatements, req: SettleOne): Promise<ReadRow[]> {
  return (await runStatement(db, st.read, readBag(req))).rows as ReadRow[];
}

/** A decided settle's writes, one statement each, through Kysely. */
export async function writeThrough(db: Pick<Kysely<Database>, 'executeQuery'>, st: SettleStatements, d: Extract<Decision, { bag: Bag }>): Promise<void> {
  for (const { flag, stmt } of st.writes) {
    if (flag === 0 || d.flags & flag) await runStatement(db, stmt, d.bag);
  }
  for (const [stmt, bag] of st.layerCalls(d)) await runStatement(db, stmt, bag);
}
