/** Checking the ledger against itself: every accumulator recomputed from the entries, every entry's money identity. */
import { sql, type Kysely } from 'kysely';
import { formatDate } from '../calendar/calendar.js';
import { toYuanNumber } from '../money/money.js';
import { moneyProblems, type EntryAmounts } from './invariants.js';
import type { Database, SettlementsTable } from './schema.js';

export interface VerifyReport {
  ok: boolean;
  checked: { entries: number; capRows: number; windowRows: number };
  mismatches: string[];
}

/** A stored entry's amounts in fen, a reversal's negated back, for the money identity (invariants.ts). */
export function storedAmounts(
  r: Pick<
    SettlementsTable,
    'kind' | 'total_fen' | 'eligible_fen' | 'deductible_fen' | 'fund_pay_fen' | 'critical_illness_pay_fen' | 'assistance_pay_fen' | 'account_pay_fen' | 'cash_pay_fen'
  >,
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
  // Each accumulator against its entries, compared by the database: one pass over the entries and
  // the accumulators (grouped together), and only the rows that differ come back. Memory does not
  // grow with the ledger; a ledger of millions of entries is checked in a few grouped scans.
  const caps = await sql<{ person_id: string; year: number | string; bucket: string; expected: number | string; actual: number | string }>`
    select person_id, year, bucket, sum(e) as expected, sum(a) as actual from (
      select person_id, cap_year as year, cap_bucket as bucket, fund_pay_fen as e, 0 as a from settlements where cap_bucket is not null
      union all
      select person_id, year, bucket, change_fen as e, 0 as a from settlement_layers
      union all
      select person_id, year, bucket, 0 as e, used_fen as a from cap_usage
    ) t
    group by person_id, year, bucket
    having sum(e) <> sum(a)
    order by person_id, year, bucket`.execute(db);
  for (const c of caps.rows) {
    mismatches.push(
      `cap used ${c.person_id} ${Number(c.year)} ${c.bucket}: the entries sum to ${toYuanNumber(Number(c.expected))}, the accumulator holds ${toYuanNumber(Number(c.actual))}`,
    );
  }
  // A window nothing is borne in (all reversed) is not kept; a kept one holds what its entries bore.
  const windowsOff = await sql<{
    person_id: string;
    bucket: string;
    institution_id: string;
    day: number | string;
    expected: number | string;
    actual: number | string;
    held: number | string;
  }>`
    select person_id, bucket, institution_id, day, sum(e) as expected, sum(a) as actual, sum(held) as held from (
      select person_id, window_bucket as bucket, institution_id, window_day as day, deductible_fen as e, 0 as a, 0 as held
        from settlements where window_bucket is not null and window_day is not null
      union all
      select person_id, bucket, institution_id, day, 0 as e, borne_fen as a, 1 as held from deductible_windows
    ) t
    group by person_id, bucket, institution_id, day
    having (sum(held) = 0 and sum(e) <> 0) or (sum(held) > 0 and sum(e) <> sum(a))
    order by person_id, bucket, institution_id, day`.execute(db);
  for (const w of windowsOff.rows) {
    const held = Number(w.held) > 0;
    mismatches.push(
      `deductible window ${w.person_id} ${w.bucket} ${w.institution_id} ${formatDate(Number(w.day))}: the entries bore ${toYuanNumber(Number(w.expected))}, the accumulator holds ${held ? toYuanNumber(Number(w.actual)) : 'no window'}`,
    );
  }
  const capRows = await db.selectFrom('cap_usage').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  const windowRows = await db.selectFrom('deductible_windows').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
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
    const caps =
      r.kind === 'settlement' && r.cap_bucket !== null && r.cap_before_fen !== null && r.cap_after_fen !== null
        ? [{ bucket: r.cap_bucket, before: Number(r.cap_before_fen), after: Number(r.cap_after_fen) }]
        : [];
    const problems = moneyProblems(storedAmounts(r), caps);
    mismatches.push(
      `entry ${r.id}${r.kind === 'reversal' ? ' (a reversal, its amounts negated)' : ''}: ${problems.length > 0 ? problems.join('; ') : 'the money identity does not hold'}`,
    );
  }
  // A later layer's yearly total only grows with a settlement (and goes back with its reversal).
  const layersDown = await db
    .selectFrom('settlement_layers as l')
    .innerJoin('settlements as s', (j) => j.onRef('s.person_id', '=', 'l.person_id').onRef('s.id', '=', 'l.settlement_id'))
    .select(['l.settlement_id', 'l.bucket', 'l.year', 'l.change_fen'])
    .where(sql<boolean>`(case when s.kind = 'reversal' then -1 else 1 end) * l.change_fen < 0`)
    .execute();
  for (const l of layersDown) mismatches.push(`entry ${l.settlement_id}: cap ${l.bucket} ${l.year} goes the wrong way, by ${toYuanNumber(Number(l.change_fen))}`);
  const count = await db.selectFrom('settlements').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  return {
    ok: mismatches.length === 0,
    checked: { entries: Number(count?.n ?? 0), capRows: Number(capRows?.n ?? 0), windowRows: Number(windowRows?.n ?? 0) },
    mismatches,
  };
}
