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
 *
 * PostgreSQL runs a batch's locks as one statement, its reads as another and its writes as a third
 * (batchLocks, batchRead, batchWrite: the same locks, read and inserts over the batch's rows), so
 * that a batch of settles costs PostgreSQL three statements, not about four a settle
 * (docs/benchmarks.md).
 */
import { CompiledQuery, sql, type InsertQueryBuilder, type InsertResult, type Kysely, type QueryCreator } from 'kysely';
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
/** The person's registry row: only for a person the ledger does not hold yet (a settle never changes the registry). */
export const W_PERSON = 16;

/**
 * PostgreSQL: the transaction-scoped advisory lock of a person (on the hash of the id; a collision
 * only serializes two persons). Settles and reversals take it before reading the person's
 * accumulators, so two of them for one person never read the same remaining cap. The same
 * statement first takes the clearing lock shared ({@link CLEARING_LOCK_KEY}).
 */
export function personLock(personId: string) {
  return sql`select pg_advisory_xact_lock_shared(${sql.raw(CLEARING_LOCK_KEY)}), pg_advisory_xact_lock(${personKey(personId)})`;
}

/** A person's advisory lock key: the id's hash, in hash space 0 ({@link personLock}, {@link batchLocks}). */
const personKey = (personId: unknown) => sql`hashtextextended(${personId}, 0)`;

/** A visit's advisory lock key: institution id, chr(31), visit id, hashed in space 1 ({@link visitLock}, {@link batchLocks}). */
const visitKey = (institutionId: unknown, visitId: unknown) => sql`hashtextextended(${institutionId} || chr(31) || ${visitId}, 1)`;

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
  return sql`select pg_advisory_xact_lock(${visitKey(institutionId, visitId)})`;
}

/**
 * PostgreSQL: the locks of a batch of settles in one statement, under the same keys as
 * {@link personLock} and {@link visitLock}: the clearing lock shared, then each person's in the
 * order of `persons`, then each visit's in the order of its institution and visit id. The branches
 * of a UNION ALL run one after another and each reads its array in order, so the locks are taken
 * in that order (every batch sorts them alike, so no two wait on each other in a circle).
 */
export function batchLocks(persons: unknown, institutions: unknown, visits: unknown) {
  return sql`select count(*) as locks from (
      select pg_advisory_xact_lock_shared(${sql.raw(CLEARING_LOCK_KEY)})
      union all
      select pg_advisory_xact_lock(${personKey(sql.ref('t.id'))}) from unnest(cast(${persons} as text[])) with ordinality as t(id, n)
      union all
      select pg_advisory_xact_lock(${visitKey(sql.ref('u.inst'), sql.ref('u.id'))})
        from unnest(cast(${institutions} as text[]), cast(${visits} as text[])) with ordinality as u(inst, id, n)
    ) as l`;
}

/**
 * The bag of {@link SettleStatements.batchLocks}: the batch's persons, sorted, then its visits,
 * sorted by institution and visit id.
 */
export function batchLocksBag(reqs: readonly SettleOne[]): Bag {
  const persons = [...new Set(reqs.map((r) => r.person.id))].sort();
  const visits = reqs.map((r) => [r.visit.institution.id, r.visit.id] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return { locks: { persons, institutions: visits.map((v) => v[0]), visits: visits.map((v) => v[1]) } };
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
  /**
   * PostgreSQL: a batch's locks in one statement ({@link batchLocks}), in the order of its bag
   * ({@link batchLocksBag}): the clearing lock shared, each person's, then each visit's.
   */
  readonly batchLocks: Statement;
  /** The person's registry row, written (only when the person is new) with the settle's other writes. */
  readonly person: Statement;
  readonly read: Statement;
  readonly replay: Statement;
  /** The writes one by one, each with the flag that asks for it (0: always). */
  readonly writes: readonly { flag: number; stmt: Statement }[];
  /** The writes of one later layer of the fund chain: its yearly total, and the entry's change to it. */
  readonly layerWrites: readonly Statement[];
  /**
   * PostgreSQL: the reads of a batch of settles as one statement: the read for each settle of
   * {@link batchReadBag}'s rows (a lateral join), each row tagged with its settle's place `i`.
   */
  readonly batchRead: Statement;

  constructor(db: Kysely<Database>) {
    this.lock = compile('yb_lock', personLock(p<string>('person', 'id')).compile(db));
    this.visitLock = compile('yb_visit_lock', visitLock(p<string>('v', 'institution'), p<string>('v', 'id')).compile(db));
    this.batchLocks = compile('yb_batch_locks', batchLocks(p('locks', 'persons'), p('locks', 'institutions'), p('locks', 'visits')).compile(db));
    this.person = compile('yb_person', this.insertOf(db, WRITES[0] as TableWrite).compile());
    // One round trip for everything the settle reads. Columns: k (which part), s1–s3 text, n1–n3
    // numbers (typed in the first branch: PostgreSQL resolves a union's types pair by pair); see
    // decide.
    this.read = compile('yb_read', readUnion((col) => p<string>('q', col)).compile(db));
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
    this.writes = WRITES.map((w) => ({ flag: w.flag, stmt: w.key === 'person' ? this.person : compile(`yb_w_${w.table}`, this.insertOf(db, w).compile()) }));
    this.layerWrites = LAYER_WRITES.map((w) => compile(`yb_w_layer_${w.table}`, this.insertOf(db, w).compile()));
    const batch = p<string>('batch', 'rows');
    this.batchRead = compile(
      'yb_batch_read',
      sql`select q.i, r.k, r.s1, r.s2, r.s3, r.n1, r.n2, r.n3
            from jsonb_to_recordset(cast(${batch} as jsonb))
                 as q(i integer, request_id text, visit_id text, institution_id text, person_id text, day integer, enrollment_person_id text, coverage_year integer)
            cross join lateral (${readUnion((col) => sql.ref(`q.${col}`))}) as r`.compile(db),
    );
    // Kysely adds each CTE to the query's tables; none of these is read, so keep the plain type.
    type Creator = QueryCreator<Database>;
    let q = db.with('b', (qc) => qc.selectNoFrom(sql<string>`cast(${batch} as jsonb)`.as('j'))) as unknown as Creator;
    // One CTE a table: a settle's cap and its later layers' caps are rows of one upsert.
    const all = [...new Map([...WRITES, ...LAYER_WRITES].map((w) => [w.table, w])).values()];
    const texts = p<string>('batch', 'texts');
    const rowsOf = (w: TableWrite) => sql`jsonb_populate_recordset(cast(null as ${sql.table(w.table)}), b.j -> ${sql.lit(w.table)})`;
    const fromBatch = (c: Creator, w: TableWrite) =>
      withConflict(
        c
          .insertInto(w.table as 'persons')
          .columns(columnsOf(w) as never)
          .expression(
            w.apart
              ? // The long column's values, in the rows' order, from their own parameter.
                sql`select ${sql.join(columnsOf(w).map((col) => sql.ref(col === w.apart ? 't.v' : `r.${col}`)))}
                      from b, ${rowsOf(w)} with ordinality as r
                      join unnest(string_to_array(cast(${texts} as text), chr(${sql.lit(TEXT_SEPARATOR.charCodeAt(0))}))) with ordinality as t(v, n) on t.n = r.ordinality`
              : sql`select ${sql.join(columnsOf(w).map((col) => sql.ref(`r.${col}`)))} from b, ${rowsOf(w)} as r`,
          ),
        w,
      );
    for (const w of all.slice(0, -1)) q = q.with(`w_${w.table}`, (c) => fromBatch(c as unknown as Creator, w) as never) as unknown as Creator;
    this.batchWrite = compile('yb_batch_write', fromBatch(q, all[all.length - 1] as TableWrite).compile());
  }

  /**
   * PostgreSQL: all the writes of a batch of settles as one statement: data-modifying CTEs, one
   * per table, each inserting the batch's rows for it from one JSON parameter
   * ({@link batchWriteBag}: `jsonb_populate_recordset` over the table's own row type, so each
   * value takes its column's type), the settlements' entry texts from a second one, matched by
   * their order. One statement a batch instead of one a settle: PostgreSQL
   * starts, runs and answers one statement, and the foreign keys are checked at its end, as
   * before. A batch holds each person once, so no two rows of an upsert share a key.
   */
  readonly batchWrite: Statement;

  /** A decided settle's writes for the later layers of the fund chain, as statements with their bags, in order. */
  layerCalls(d: { layers?: Bag[] }): readonly [Statement, Bag][] {
    // Most settles have no later layer: nothing is made for them.
    if (d.layers === undefined) return NO_CALLS;
    const calls: [Statement, Bag][] = [];
    for (const bag of d.layers) for (const stmt of this.layerWrites) calls.push([stmt, bag]);
    return calls;
  }

  /** One settle's insert into one table, from the placeholders of its bag ({@link TableWrite}). */
  private insertOf(db: Pick<Kysely<Database>, 'insertInto'>, w: TableWrite, key = w.key) {
    const row = Object.fromEntries(w.columns.map((col) => [col, p(key, col)]));
    return withConflict(db.insertInto(w.table as 'persons').values({ ...row, ...w.fixed } as never), w);
  }
}

/**
 * One of a settle's inserts: the table, the bag's key whose values fill it, the columns, values
 * that are always the same (`fixed`), and what a row already there under the `conflict` key
 * does: nothing, or its `update` column takes the new value (an accumulator's running total).
 */
interface TableWrite {
  key: string;
  table: keyof Database & string;
  columns: readonly string[];
  fixed?: Record<string, null>;
  conflict?: readonly string[];
  update?: string;
  /**
   * A long text column whose values the batch's write takes from a parameter of their own, joined
   * by {@link TEXT_SEPARATOR}, rather than escaped inside its JSON ({@link batchWriteBag}).
   */
  apart?: string;
}

/** Separates the entries' texts in the batch's write (U+001E): `JSON.stringify` escapes it, so no entry holds it. */
export const TEXT_SEPARATOR = '\u001e';

/** The insert's ON CONFLICT, as its {@link TableWrite} says. */
function withConflict(q: PersonsInsert, w: TableWrite): PersonsInsert {
  const { conflict, update } = w;
  if (!conflict) return q;
  return q.onConflict((oc) => {
    const on = oc.columns(conflict as never);
    return update ? on.doUpdateSet((eb) => ({ [update]: eb.ref(`excluded.${update}` as never) }) as never) : on.doNothing();
  });
}

/** An insert, typed as one into persons: the writes are built from {@link TableWrite}s, table by table. */
type PersonsInsert = InsertQueryBuilder<Database, 'persons', InsertResult>;

/** The columns an insert fills: its bag's, then the fixed ones. */
const columnsOf = (w: TableWrite): string[] => [...w.columns, ...Object.keys(w.fixed ?? {})];

/**
 * The read (statements.ts SettleStatements.read): everything a settle reads, one part per `k`
 * (decide.ts), over the values `q` gives: a settle's parameters, or a batch's rows.
 */
function readUnion(q: (col: string) => unknown) {
  return sql`select 1 as k, body as s1, request_hash as s2, kind as s3,
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
          select 8, hardship, family_doctor_at, employment, null, null, null from persons where id = ${q('person_id')}`;
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

/** A settle's writes in the order they run (persons first: the others' foreign keys name it). */
const WRITES: readonly (TableWrite & { flag: number })[] = [
  {
    flag: W_PERSON,
    key: 'person',
    table: 'persons',
    columns: ['id', 'region', 'scheme', 'category', 'hardship', 'family_doctor_at', 'employment', 'account_reformed', 'updated_at'],
    // A person's first settle (or recorded payment) registers them; nothing but the agency
    // changes a registered person (registry.ts).
    conflict: ['id'],
  },
  {
    flag: W_INSTITUTION,
    key: 'institution',
    table: 'institutions',
    columns: ['id', 'tier', 'grade', 'contracted', 'region', 'updated_at'],
    fixed: { name: null },
    conflict: ['id'],
  },
  {
    flag: W_ENROLLMENT,
    key: 'enrollment',
    table: 'enrollments',
    columns: ['id', 'person_id', 'coverage_year', 'paid_on', 'transfer', 'recorded_at'],
    fixed: { amount_fen: null, payer: null },
    conflict: ['person_id', 'id'],
  },
  {
    flag: 0,
    key: 'visit',
    table: 'visits',
    columns: ['id', 'person_id', 'institution_id', 'time_ms', 'visit_date', 'type', 'total_fen', 'eligible_fen'],
    conflict: ['person_id', 'institution_id', 'id'],
  },
  { flag: 0, key: 'settlement', table: 'settlements', columns: SETTLEMENT_COLUMNS, apart: 'body' },
  { flag: W_CAP, key: 'cap', table: 'cap_usage', columns: ['person_id', 'year', 'bucket', 'used_fen'], conflict: ['person_id', 'year', 'bucket'], update: 'used_fen' },
  {
    flag: W_WINDOW,
    key: 'window',
    table: 'deductible_windows',
    columns: ['person_id', 'bucket', 'institution_id', 'day', 'borne_fen'],
    conflict: ['person_id', 'bucket', 'institution_id', 'day'],
    update: 'borne_fen',
  },
  { flag: 0, key: 'audit', table: 'audit_log', columns: ['at', 'actor', 'role', 'action', 'target', 'detail'] },
];

/** The writes of one later layer of the fund chain: its yearly total (an upsert like the cap's), and the entry's change to it. */
const LAYER_WRITES: readonly TableWrite[] = [
  { ...(WRITES.find((w) => w.key === 'cap') as TableWrite), key: 'layerCap' },
  { key: 'layer', table: 'settlement_layers', columns: ['settlement_id', 'person_id', 'year', 'bucket', 'change_fen', 'after_fen'] },
];

/**
 * The bag of {@link SettleStatements.batchWrite}: the decided settles' rows by table, as JSON
 * (`rows`), but for the entries' texts, which go apart (`texts`, joined by {@link TEXT_SEPARATOR},
 * in the settlements' order): escaped inside the JSON, 2.6 kB an entry cost PostgreSQL 25–38 µs
 * a settle to parse (docs/benchmarks.md "Thread by thread"). A key of an upsert (a cap, a window)
 * keeps its last row, as one statement after another would.
 */
export function batchWriteBag(decided: readonly Extract<Decision, { bag: Bag }>[]): Bag {
  const rows = new Map<string, Map<string, unknown>>();
  let n = 0;
  const add = (w: TableWrite, row: object | undefined) => {
    if (row === undefined) return;
    let t = rows.get(w.table);
    if (!t) rows.set(w.table, (t = new Map()));
    const r = row as Record<string, unknown>;
    const key = w.conflict ? w.conflict.map((c) => String(r[c])).join('\u0000') : String(n++);
    // An upsert's last row stands; a row that does nothing on conflict leaves the first.
    if (w.update || !t.has(key)) t.set(key, row);
  };
  for (const d of decided) {
    for (const w of WRITES) if (w.flag === 0 || d.flags & w.flag) add(w, d.bag[w.key]);
    for (const layer of d.layers ?? []) for (const w of LAYER_WRITES) add(w, layer[w.key]);
  }
  const out: Record<string, unknown[]> = {};
  const texts: string[] = [];
  for (const [table, t] of rows) {
    const apart = APART.get(table);
    out[table] = apart ? [...t.values()].map((row) => withoutText(row as Record<string, unknown>, apart, texts)) : [...t.values()];
  }
  return { batch: { rows: JSON.stringify(out), texts: texts.join(TEXT_SEPARATOR) } };
}

/** The table with a column sent apart, and that column ({@link TableWrite} `apart`): one at most, as there is one `texts`. */
const APART = new Map<string, string>([...WRITES, ...LAYER_WRITES].flatMap((w) => (w.apart ? [[w.table, w.apart] as const] : [])));
if (APART.size > 1) throw new Error('batch write: one column at most goes apart (one texts parameter)');

/** The row without its long text, which joins `texts` (in the rows' order). */
function withoutText(row: Record<string, unknown>, column: string, texts: string[]): Record<string, unknown> {
  const { [column]: text, ...rest } = row;
  if (typeof text !== 'string' || text.includes(TEXT_SEPARATOR)) throw new Error(`batch write: ${column} must be a text without U+001E`);
  texts.push(text);
  return rest;
}

/** The bag of {@link SettleStatements.batchRead}: each settle's read values ({@link readBag}), with its place `i`. */
export function batchReadBag(reqs: readonly SettleOne[]): Bag {
  return { batch: { rows: JSON.stringify(reqs.map((req, i) => ({ i, ...readBag(req).q }))) } };
}

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
