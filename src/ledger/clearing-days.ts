/**
 * Day-end (日结): the entries of each China day that has ended, summed once by the keys a month's
 * statements group by (institution, insured's district, policy, benefit, kind, and whether a
 * reversal reverses an entry of an earlier month), into `clearing_days`. A day that has ended can
 * take no more entries: each day is summed in a transaction of its own under the clearing lock
 * (PostgreSQL: exclusively, as a close; SQLite: the write lock), so an entry in flight finishes
 * first and any later one is stamped after the day. The month's close sums its days, at most 31
 * rows per key, instead of reading a month of entries at once; `yibao clearing rollup` (nightly)
 * keeps the days summed, and a close sums whatever days are left.
 */
import { sql, type Kysely } from 'kysely';
import { chinaDay, chinaDayStart } from '../calendar/calendar.js';
import { periodBounds, periodOf } from '../clearing/period.js';
import type { EntryGroup } from '../clearing/statement.js';
import type { Database } from './schema.js';
import { clearingLock } from './statements.js';

const num = (v: unknown) => Number(v ?? 0);

/** The first China day not yet summed (after the last summed, else the first entry's), or null with no entries. */
export async function firstUnrolled(db: Kysely<Database>): Promise<number | null> {
  const last = await db
    .selectFrom('clearing_rolled_days')
    .select((eb) => eb.fn.max('day').as('d'))
    .executeTakeFirst();
  if (last?.d !== null && last?.d !== undefined) return Number(last.d) + 1;
  const first = await db
    .selectFrom('settlements')
    .select((eb) => eb.fn.min('created_at').as('t'))
    .executeTakeFirst();
  return first?.t === null || first?.t === undefined ? null : chinaDay(Number(first.t));
}

/**
 * Sums every day that has ended, up to `throughDay` (a China day number), each in its own
 * transaction. Idempotent: a summed day is not summed again.
 */
export async function rollUpDays(db: Kysely<Database>, postgres: boolean, now: () => number, throughDay: number): Promise<{ days: number; entries: number }> {
  let days = 0;
  let entries = 0;
  let day = await firstUnrolled(db);
  if (day === null) return { days, entries };
  const lastEnded = chinaDay(now()) - 1;
  for (; day <= Math.min(throughDay, lastEnded); day++) {
    const d = day;
    const done = await db.connection().execute(async (conn) => {
      await sql.raw(postgres ? 'begin' : 'begin immediate').execute(conn);
      try {
        if (postgres) await clearingLock().execute(conn);
        if (await conn.selectFrom('clearing_rolled_days').select('day').where('day', '=', d).executeTakeFirst()) {
          await sql`rollback`.execute(conn);
          return 0;
        }
        const groups = await monthGroups(conn, chinaDayStart(d), chinaDayStart(d + 1), undefined, periodBounds(periodOf(chinaDayStart(d))).start);
        for (let i = 0; i < groups.length; i += 500) {
          await conn
            .insertInto('clearing_days')
            .values(
              groups.slice(i, i + 500).map((g) => ({
                day: d,
                institution_id: g.institution,
                district: g.district,
                policy: g.policy,
                benefit: g.benefit,
                kind: g.kind,
                adjustment: g.adjustment ? 1 : 0,
                entries: g.count,
                total_fen: g.total,
                fund_fen: g.fund,
                critical_fen: g.criticalIllness,
                assistance_fen: g.assistance,
                account_fen: g.account,
                cash_fen: g.cash,
              })),
            )
            .execute();
        }
        const n = groups.reduce((s, g) => s + g.count, 0);
        await conn.insertInto('clearing_rolled_days').values({ day: d, entries: n, rolled_at: now() }).execute();
        await sql`commit`.execute(conn);
        return n;
      } catch (e) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw e;
      }
    });
    days++;
    entries += done;
  }
  return { days, entries };
}

/** The summed days [firstDay, lastDay] added up by key, as the month's statements group them. */
export async function daysGroups(db: Kysely<Database>, firstDay: number, lastDay: number): Promise<EntryGroup[]> {
  const { rows } = await sql<Record<string, unknown>>`
    select institution_id as institution, district, policy, benefit, kind, adjustment, sum(entries) as n, sum(total_fen) as total, sum(fund_fen) as fund,
           sum(critical_fen) as critical, sum(assistance_fen) as assistance, sum(account_fen) as account, sum(cash_fen) as cash
      from clearing_days where day >= ${firstDay} and day <= ${lastDay}
     group by institution_id, district, policy, benefit, kind, adjustment`.execute(db);
  return rows.map(groupOf);
}

/** A grouped row (institution, district, policy, benefit, kind, adjustment, n and the sums) as an {@link EntryGroup}. */
function groupOf(r: Record<string, unknown>): EntryGroup {
  return {
    institution: String(r.institution),
    district: String(r.district),
    policy: String(r.policy),
    benefit: String(r.benefit),
    kind: r.kind === 'reversal' ? 'reversal' : 'settlement',
    adjustment: num(r.adjustment) === 1,
    count: num(r.n),
    total: num(r.total),
    fund: num(r.fund),
    criticalIllness: num(r.critical),
    assistance: num(r.assistance),
    account: num(r.account),
    cash: num(r.cash),
  };
}

/** The entries of [start, end) grouped for the statements (one pass over the month). */
export async function monthGroups(db: Kysely<Database>, start: number, end: number, institution?: string, adjustBefore = start): Promise<EntryGroup[]> {
  const only = institution === undefined ? sql`` : sql`and s.institution_id = ${institution}`;
  // A reversal's settlement is looked up for reversals only (a correlated subquery under the CASE),
  // not by joining the month to the whole table.
  const { rows } = await sql<Record<string, unknown>>`
    select s.institution_id as institution, coalesce(p.district, '') as district, s.policy as policy, s.benefit as benefit, s.kind as kind,
           case when s.kind = 'reversal' and (select f.created_at from settlements f where f.person_id = s.person_id and f.id = s.reverses) < ${adjustBefore} then 1 else 0 end as adjustment,
           count(*) as n, sum(s.total_fen) as total, sum(s.fund_pay_fen) as fund, sum(s.critical_illness_pay_fen) as critical,
           sum(s.assistance_pay_fen) as assistance, sum(s.account_pay_fen) as account, sum(s.cash_pay_fen) as cash
      from settlements s
      left join persons p on p.id = s.person_id
     where s.created_at >= ${start} and s.created_at < ${end} ${only}
     group by 1, 2, 3, 4, 5, 6`.execute(db);
  return rows.map(groupOf);
}
