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
