/**
 * A hand-made history for the budget and high-cost tests (ledger, service, CLI), Luoyang residents
 * (洛医保〔2022〕36号 for 2023: no deductible, adults 50%, students 80%; 洛医保〔2023〕63号 for
 * 2024: at primary institutions no deductible, adults 60%, students 80%), every visit at one
 * primary institution (JX2), settled an hour after it:
 *
 *   #  person  district  visit day    total    fund (pooled)    cash   account
 *   1  A1      410305    2023-01-10   100.00    50.00 (50%)     50.00  —       resident-outpatient 2023
 *   2  S0      410305    2023-03-01   500.00   400.00 (80%)    100.00  —       student 2023
 *   3  S1      410305    2023-11-30   312.50   250.00 (80%)     62.50  —       student 2023
 *   4  S2      410305    2024-01-15   375.00   300.00 (80%)     75.00  —       student 2024
 *   5  A1      410305    2024-02-10   100.00    60.00 (60%)     40.00  —       resident-outpatient 2024
 *   6  S3      410305    2024-03-31   625.00   500.00 (80%)    125.00  —       student 2024 (S3: 低保对象)
 *   7  T1      410381    2024-03-20   100.00    80.00 (80%)     20.00  —       student 2024 of 偃师区
 *
 * The students' account of 410305: 2023 spent 650.00 (March 400.00, November 250.00), 2024 spent
 * 800.00 by 31 March (January 300.00, March 500.00). Every person has a payment recorded for
 * 2023: the ten students S0…S9 of 410305 (a standard budget of 10 × 70 = 700.00), T1 a student of
 * 410381, A1 and F1…F3 adults of 410305, F1…F3 signed with a family doctor at JX2 (3 × 22 = 66.00).
 */
import { dayOf } from '../../src/calendar/calendar.js';
import { parseRecordRequest } from '../../src/enrollment/request.js';
import type { Actor, Ledger } from '../../src/ledger/ledger.js';
import type { PolicySet } from '../../src/policy/registry.js';
import { parseSettleOne } from '../../src/request/settle-one.js';

export const CLERK: Actor = { id: 'agency-1', role: 'agency' };
export const JX2 = { id: 'JX2', tier: 'primary', grade: 0, contracted: true };
export const at = (iso: string) => Date.parse(iso);

/** The persons: id → district, category, hardship, family doctor. */
export const PERSONS: { id: string; district: string | null; category: string; hardship: string | null; familyDoctorAt: string | null }[] = [
  { id: 'A1', district: '410305', category: 'adult', hardship: null, familyDoctorAt: null },
  ...Array.from({ length: 10 }, (_, i) => ({ id: `S${i}`, district: '410305', category: 'student', hardship: i === 3 ? 'dibao' : null, familyDoctorAt: null })),
  { id: 'T1', district: '410381', category: 'student', hardship: null, familyDoctorAt: null },
  ...[1, 2, 3].map((i) => ({ id: `F${i}`, district: '410305', category: 'adult', hardship: null, familyDoctorAt: 'JX2' })),
];

/** The visits: person, visit time (China), total yuan. */
export const VISITS: [string, string, number][] = [
  ['A1', '2023-01-10T10:00:00+08:00', 100],
  ['S0', '2023-03-01T10:00:00+08:00', 500],
  ['S1', '2023-11-30T10:00:00+08:00', 312.5],
  ['S2', '2024-01-15T10:00:00+08:00', 375],
  ['A1', '2024-02-10T10:00:00+08:00', 100],
  ['S3', '2024-03-31T10:00:00+08:00', 625],
  ['T1', '2024-03-20T10:00:00+08:00', 100],
];

/** Registers the districts (涧西区 urban, 偃师区 county). */
export async function registerDistricts(ledger: Ledger): Promise<void> {
  await ledger.clearing.registry.setDistrict({ code: '410305', name: '涧西区', region: '410300', level: 'urban' }, CLERK);
  await ledger.clearing.registry.setDistrict({ code: '410381', name: '偃师区', region: '410300', level: 'county' }, CLERK);
}

/**
 * Writes the history into a ledger whose clock is `clock.now` (moved to each visit's hour after;
 * left at 2024-04-01 09:00 China time).
 */
export async function seedHistory(ledger: Ledger, policies: PolicySet, clock: { now: number }): Promise<void> {
  await registerDistricts(ledger);
  clock.now = at('2022-10-02T09:00:00+08:00');
  for (const p of PERSONS) {
    const person = {
      id: p.id,
      region: '410300',
      scheme: 'resident',
      category: p.category,
      ...(p.hardship ? { hardship: p.hardship } : {}),
      ...(p.familyDoctorAt ? { familyDoctorAt: p.familyDoctorAt } : {}),
    };
    await ledger.enrollments.record(
      parseRecordRequest({ requestId: `e-${p.id}`, person, coverageYear: 2023, paidOn: '2022-10-01', amount: 380, payer: 'self' }, policies, { today: dayOf(2022, 10, 2) }),
      CLERK,
    );
    await ledger.persons.set(
      {
        id: p.id,
        region: '410300',
        scheme: 'resident',
        category: p.category as 'adult',
        hardship: p.hardship as 'dibao' | null,
        familyDoctorAt: p.familyDoctorAt,
        employment: null,
        accountReformed: null,
        district: p.district,
      },
      CLERK,
    );
  }
  for (const [i, [who, time, total]] of VISITS.entries()) {
    const p = PERSONS.find((x) => x.id === who);
    if (!p) throw new Error(who);
    const person = { id: p.id, region: '410300', scheme: 'resident', category: p.category, ...(p.hardship ? { hardship: p.hardship } : {}) };
    clock.now = at(time) + 3_600_000;
    await ledger.settle(parseSettleOne({ requestId: `r-${i}`, person, visit: { id: `v-${i}`, time, type: 'outpatient', institution: JX2, total } }, policies), CLERK);
  }
  clock.now = at('2024-04-01T09:00:00+08:00');
}
