/**
 * What budget accounts spent, read from the ledger:
 *
 * - the pooled fund (统筹基金, fund_pay_fen) net of reversals, by the insured's district, benefit
 *   and China day of the settlement time (created_at, the time the month's clearing goes by): for
 *   the days the day-end (日结, clearing-days.ts) has summed, from `clearing_days` (a few hundred
 *   rows a day); for the days not summed yet, one GROUP BY over their entries joined to persons;
 * - the students' part of it (大学生门诊统筹: persons of category student), from the students'
 *   own entries — read person first (the registry's students, then each one's entries by the
 *   settlements_person index), since `clearing_days` holds no category — and taken off the
 *   totals, so that a benefit's account is everyone else's;
 * - the separate accounts' payments (budget_payments) by area, account and day.
 *
 * Reading every entry of a year joined to its person is minutes at 10,000,000 entries (the rows
 * carry their trace); the day-ends make it seconds (docs/monitoring.md, Speed). One caveat, named
 * there: a summed day's district is the one on file when it was summed, the students' district the
 * one on file now; a student who moved district after a day was summed has that day's spending
 * taken off the new district's benefit account.
 */
import { PostgresAdapter, sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { CHINA_OFFSET_MS, chinaDay, chinaDayStart, MS_PER_DAY, parseDate } from '../calendar/calendar.js';
import type { Database } from './schema.js';

/** One group of the pooled fund's spending. */
export interface SpendGroup {
  /** The insured's district ('' when none is on file). */
  area: string;
  benefit: string;
  /** true: the students' part; false: everyone's (a negative row takes the students' part off). */
  student: boolean;
  day: number;
  fund: number;
}

const num = (v: unknown) => Number(v ?? 0);

/** The instant a China day starts. */

/** The China day of an entry, in SQL: integer division of the China-time epoch ms (both stores divide bigint by integer exactly). */
const DAY = sql.raw(`(s.created_at + ${CHINA_OFFSET_MS}) / ${MS_PER_DAY}`);

const groups = (rows: Record<string, unknown>[], student: boolean, sign = 1): SpendGroup[] =>
  rows.map((r) => ({ area: String(r.area), benefit: String(r.benefit), student, day: num(r.day), fund: sign * num(r.fund) }));

/** The runs of consecutive days in [from, to] that are not in `summed`. */
export function unsummedRuns(from: number, to: number, summed: ReadonlySet<number>): [number, number][] {
  const runs: [number, number][] = [];
  for (let d = from; d <= to; d++) {
    if (summed.has(d)) continue;
    const last = runs.at(-1);
    if (last && last[1] === d - 1) last[1] = d;
    else runs.push([d, d]);
  }
  return runs;
}

/**
 * The pooled fund paid on settlements of [fromDay, toDay] (China days, inclusive), net of
 * reversals, by area, benefit and day — everyone's, and the students' part — only `area`'s when given.
 */
export async function dailySpending(store: Kysely<Database>, fromDay: number, toDay: number, area?: string): Promise<SpendGroup[]> {
  // PostgreSQL: in a read transaction without JIT, whose compiling these one-off scans costs seconds.
  if (!(store.getExecutor().adapter instanceof PostgresAdapter)) return spending(store, fromDay, toDay, area);
  return store.transaction().execute(async (db) => {
    await sql`set local jit = off`.execute(db);
    return spending(db, fromDay, toDay, area);
  });
}

async function spending(db: Kysely<Database> | Transaction<Database>, fromDay: number, toDay: number, area?: string): Promise<SpendGroup[]> {
  const rolled = await db.selectFrom('clearing_rolled_days').select('day').where('day', '>=', fromDay).where('day', '<=', toDay).execute();
  const summed = new Set(rolled.map((r) => num(r.day)));
  const out: SpendGroup[] = [];
  if (summed.size > 0) {
    const only = area === undefined ? sql`` : sql`and district = ${area}`;
    const { rows } = await sql<Record<string, unknown>>`
      select district as area, benefit, day, sum(fund_fen) as fund
        from clearing_days
       where day >= ${fromDay} and day <= ${toDay} ${only}
       group by district, benefit, day`.execute(db);
    out.push(...groups(rows, false));
  }
  const onlyPerson = area === undefined ? sql`` : sql`and p.district = ${area}`;
  const span = (from: number, to: number): RawBuilder<unknown> => sql`s.created_at >= ${chinaDayStart(from)} and s.created_at < ${chinaDayStart(to + 1)}`;
  for (const [from, to] of unsummedRuns(fromDay, toDay, summed)) {
    const { rows } = await sql<Record<string, unknown>>`
      select coalesce(p.district, '') as area, s.benefit as benefit, ${DAY} as day, sum(s.fund_pay_fen) as fund
        from settlements s
        join persons p on p.id = s.person_id
       where ${span(from, to)} ${onlyPerson}
       group by 1, 2, 3`.execute(db);
    out.push(...groups(rows, false));
  }
  // The students' part, person first: CROSS JOIN keeps SQLite's order (persons, then each one's
  // entries by settlements_person); PostgreSQL plans it as the inner join it is.
  const { rows } = await sql<Record<string, unknown>>`
    select coalesce(p.district, '') as area, s.benefit as benefit, ${DAY} as day, sum(s.fund_pay_fen) as fund
      from persons p
     cross join settlements s
     where s.person_id = p.id and p.category = 'student' and ${span(fromDay, toDay)} ${onlyPerson}
     group by 1, 2, 3`.execute(db);
  out.push(...groups(rows, true), ...groups(rows, false, -1));
  return out;
}

/** One group of the separate accounts' payments. */
export interface PaymentGroup {
  area: string;
  account: string;
  day: number;
  amount: number;
}

/** Payments of [fromDay, toDay] (paid_on, inclusive) by area, account and day; only `area`'s when given. */
export async function dailyPayments(db: Kysely<Database>, fromDay: number, toDay: number, area?: string): Promise<PaymentGroup[]> {
  const iso = (d: number) => new Date(d * MS_PER_DAY).toISOString().slice(0, 10);
  let q = db
    .selectFrom('budget_payments')
    .select(['area', 'account', 'paid_on', (eb) => eb.fn.sum<string>('amount_fen').as('amount')])
    .where('paid_on', '>=', iso(fromDay))
    .where('paid_on', '<=', iso(toDay))
    .groupBy(['area', 'account', 'paid_on']);
  if (area !== undefined) q = q.where('area', '=', area);
  const rows = await q.execute();
  return rows.map((r) => ({ area: r.area, account: r.account, day: parseDate(r.paid_on) ?? 0, amount: num(r.amount) }));
}

/** The China day of the ledger's first entry, or null when it has none. */
export async function firstEntryDay(db: Kysely<Database>): Promise<number | null> {
  const r = await db
    .selectFrom('settlements')
    .select((eb) => eb.fn.min('created_at').as('t'))
    .executeTakeFirst();
  return r?.t === null || r?.t === undefined ? null : chinaDay(Number(r.t));
}

/**
 * Persons of an area the standard budget of a separate account counts (src/monitoring/budget-policy.ts
 * PERSONS_COUNTED): registered in the district, with a payment recorded for the year, and students
 * (category student) or signed with a family doctor (an institution on file).
 */
export async function countPersons(db: Kysely<Database>, area: string, year: number, account: 'student-outpatient' | 'family-doctor'): Promise<number> {
  let q = db
    .selectFrom('persons as p')
    .select((eb) => eb.fn.count<string>('p.id').as('n'))
    .where('p.district', '=', area)
    .where((eb) => eb.exists(eb.selectFrom('enrollments as e').select('e.id').whereRef('e.person_id', '=', 'p.id').where('e.coverage_year', '=', year)));
  q = account === 'student-outpatient' ? q.where('p.category', '=', 'student') : q.where('p.family_doctor_at', 'is not', null);
  const r = await q.executeTakeFirst();
  return num(r?.n);
}
