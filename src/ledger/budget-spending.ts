/**
 * What budget accounts spent, read from the ledger in one pass each:
 *
 * - settlements: the pooled fund (统筹基金, fund_pay_fen) net of reversals, grouped by the insured's
 *   district (persons.district), benefit, whether the insured is a student (persons.category), and
 *   China day of the settlement time (created_at, the time the month's clearing also goes by) —
 *   one GROUP BY over the span's entries joined to their persons;
 * - the separate accounts' payments (budget_payments) by area, account and day.
 *
 * Why not clearing_days (日结): it holds the district but not the category, so the students'
 * account would need the join anyway; it holds only the days summed so far, so the rest would be
 * read from the entries; and its district is the one on file when the day was summed. One pass over
 * the entries gives every account from one reading of the registry (the district and category on
 * file now) and needs no day-end to have run.
 */
import { sql, type Kysely } from 'kysely';
import { CHINA_OFFSET_MS, chinaDay, MS_PER_DAY, parseDate } from '../calendar/calendar.js';
import type { Database } from './schema.js';

/** One group of the pooled fund's spending. */
export interface SpendGroup {
  /** The insured's district ('' when none is on file). */
  area: string;
  benefit: string;
  student: boolean;
  day: number;
  fund: number;
}

const num = (v: unknown) => Number(v ?? 0);

/** The instant a China day starts. */
export const dayStartMs = (day: number): number => day * MS_PER_DAY - CHINA_OFFSET_MS;

/**
 * The pooled fund paid on settlements of [fromDay, toDay] (China days, inclusive), net of
 * reversals, by area, benefit, student and day; only `area`'s when given.
 */
export async function dailySpending(db: Kysely<Database>, fromDay: number, toDay: number, area?: string): Promise<SpendGroup[]> {
  const only = area === undefined ? sql`` : sql`and p.district = ${area}`;
  // The day is computed in SQL as integer division of the China-time epoch ms (both stores divide bigint by integer exactly).
  const day = sql.raw(`(s.created_at + ${CHINA_OFFSET_MS}) / ${MS_PER_DAY}`);
  const { rows } = await sql<Record<string, unknown>>`
    select coalesce(p.district, '') as area, s.benefit as benefit, case when p.category = 'student' then 1 else 0 end as student,
           ${day} as day, sum(s.fund_pay_fen) as fund
      from settlements s
      join persons p on p.id = s.person_id
     where s.created_at >= ${dayStartMs(fromDay)} and s.created_at < ${dayStartMs(toDay + 1)} ${only}
     group by 1, 2, 3, 4`.execute(db);
  return rows.map((r) => ({ area: String(r.area), benefit: String(r.benefit), student: num(r.student) === 1, day: num(r.day), fund: num(r.fund) }));
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
