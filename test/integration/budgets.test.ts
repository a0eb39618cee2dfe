/**
 * Budgets, warnings and high-cost patients in the ledger, on SQLite and PostgreSQL, over the
 * hand-made history of test/support/budget-history.ts (amounts there).
 *
 * The students' account of 涧西区 (410305), 洛医保〔2022〕36号 第三条:
 *   2023 budget 10 students × 70.00 = 700.00 (counted in the ledger, rate from the policy);
 *        spent 400.00 (March) + 250.00 (November) = 650.00 → 50.00 rolls into 2024.
 *   2024 budget 700.00 (10 given) + 50.00 = 750.00; spent by 31 March 300.00 + 500.00 = 800.00
 *        → balance −50.00, overspent 50.00.
 *   Projection on 2024-03-31 (day 91 of 2024): the ledger's first entry is 2023-01-10, so 2023 is a
 *   complete past year; by its day 91 (2023-04-01) it had spent 400.00 of 650.00 → share 400/650;
 *   projected 800.00 × 650 ÷ 400 = 1,300.00 (季节占比法). Backtest 2023 (no year before it, linear):
 *   400.00 × 365 ÷ 91 = 1,604.3956 → 1,604.40 against 650.00 → +14,683 bp (95,440 ÷ 65,000).
 *   Warning with a margin of 1,000 bp: 1,300.00 > 750.00 × 110% = 825.00 → fires; excess 550.00,
 *   7,333 bp of 750.00.
 * resident-outpatient of 410305 2024: budget 1,000.00 revised to 1,200.00; spent 60.00 (February);
 *   2023 spent 50.00, all of it by day 91 → share 1 → projected 60.00: no warning.
 * family-doctor of 410305: 2023 standard budget 3 signed × 22.00 = 66.00; 2024 (no rate in force:
 *   MISSING_PARAMETER) entered 100.00; paid 30.00 on 2024-02-01.
 *
 * High-cost patients as at 2024-03-31 (personal burden = cash + account, 2024):
 *   S3 125.00, S2 75.00, A1 40.00, T1 20.00. Year ≥ 125.00: S3 only (reaches it exactly), not S2.
 *   Window of 60 days (from 2024-02-01) ≥ 40.00: A1 (02-10, 40.00) and S3 (03-31); not T1 (20.00),
 *   not S2 (01-15, before the window).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dayOf } from '../../src/calendar/calendar.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { decodeCursor } from '../../src/request/page.js';
import type { BudgetRequest } from '../../src/request/budget-request.js';
import { unsummedRuns } from '../../src/ledger/budget-spending.js';
import { at, CLERK, seedHistory } from '../support/budget-history.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const MARCH_31 = dayOf(2024, 3, 31);

const budget = (over: Partial<BudgetRequest>): BudgetRequest => ({
  id: 'b',
  area: '410305',
  year: 2024,
  account: 'student-outpatient',
  amount: null,
  fromPolicy: null,
  note: null,
  ...over,
});

async function count(store: LedgerDb, table: 'budgets' | 'budget_payments' | 'audit_log', action?: string): Promise<number> {
  const where = action ? sql`where action = ${action}` : sql``;
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} ${where}`.execute(store.db);
  return Number(rows[0]?.n);
}

describe('the days not summed yet', () => {
  it('are the runs of days the day-end has not summed', () => {
    expect(unsummedRuns(1, 10, new Set([3, 4, 8]))).toEqual([
      [1, 2],
      [5, 7],
      [9, 10],
    ]);
    expect(unsummedRuns(1, 3, new Set([1, 2, 3]))).toEqual([]);
    expect(unsummedRuns(5, 4, new Set())).toEqual([]);
  });
});

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`budgets and high-cost patients on ${s.label}`, () => {
    it('records budgets, payments, and reads statements, warnings and high-cost patients as computed by hand', async () => {
      const store = await s.open();
      try {
        const clock = { now: 0 };
        const ledger = new Ledger(store, engine, () => clock.now);
        await seedHistory(ledger, policies, clock);
        const book = ledger.budgets;

        // ---- budgets -------------------------------------------------------------------------
        const first = await book.setBudget(budget({ id: 'b-s23', year: 2023, fromPolicy: { persons: null } }), CLERK);
        expect(first).toMatchObject({ created: true, previous: null, budget: { amount: 700_00, area: '410305', year: 2023, account: 'student-outpatient', requestId: 'b-s23' } });
        expect(first.budget.basis).toMatchObject({
          method: 'policy-rate',
          rate: 70_00,
          persons: 10,
          personsSource: 'ledger',
          citation: { document: '洛医保〔2022〕36号', article: '第三条' },
        });
        // The same request again: the original, nothing written; another body under the id: refused.
        const again = await book.setBudget(budget({ id: 'b-s23', year: 2023, fromPolicy: { persons: null } }), CLERK);
        expect(again).toMatchObject({ created: false, budget: { id: first.budget.id, amount: 700_00 } });
        await expect(book.setBudget(budget({ id: 'b-s23', year: 2023, amount: 1 }), CLERK)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
        expect(await count(store, 'budgets')).toBe(1);
        expect(await count(store, 'audit_log', 'monitoring.budget.set')).toBe(1);

        // Family doctors: 3 signed × 22.00 in 2023; in 2024 no policy in force gives the fee.
        expect((await book.setBudget(budget({ id: 'b-f23', year: 2023, account: 'family-doctor', fromPolicy: { persons: null } }), CLERK)).budget.amount).toBe(66_00);
        await expect(book.setBudget(budget({ id: 'b-f24p', account: 'family-doctor', fromPolicy: { persons: null } }), CLERK)).rejects.toMatchObject({
          code: 'MISSING_PARAMETER',
          details: { missing: [expect.objectContaining({ path: 'parameters.budget.familyDoctorServiceFee' })] },
        });
        // Refusals name the problem and write nothing.
        await expect(book.setBudget(budget({ id: 'x1', area: '999999', amount: 1 }), CLERK)).rejects.toMatchObject({
          code: 'INVALID_REQUEST',
          message: expect.stringContaining('999999'),
        });
        await expect(book.setBudget(budget({ id: 'x2', account: 'employee-outpatient', amount: 1 }), CLERK)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
        await expect(book.setBudget(budget({ id: 'x3', account: 'resident-outpatient', fromPolicy: { persons: 5 } }), CLERK)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
        // 2024: nobody has a payment recorded for it, so the ledger counts none; the agency gives 10.
        await expect(book.setBudget(budget({ id: 'x4', fromPolicy: { persons: null } }), CLERK)).rejects.toMatchObject({
          code: 'INVALID_REQUEST',
          message: expect.stringContaining('persons'),
        });
        expect(await count(store, 'budgets')).toBe(2);
        expect((await book.setBudget(budget({ id: 'b-s24', fromPolicy: { persons: 10 } }), CLERK)).budget).toMatchObject({ amount: 700_00, basis: { personsSource: 'entered' } });
        await book.setBudget(budget({ id: 'b-r24', account: 'resident-outpatient', amount: 1_000_00 }), CLERK);
        const revised = await book.setBudget(budget({ id: 'b-r24b', account: 'resident-outpatient', amount: 1_200_00, note: '年中调整' }), CLERK);
        expect(revised.previous?.amount).toBe(1_000_00);
        await book.setBudget(budget({ id: 'b-f24', account: 'family-doctor', amount: 100_00 }), CLERK);
        const inForce = await book.list({ area: '410305', year: 2024, limit: 10 });
        expect(inForce.entries.map((b) => [b.account, b.amount])).toEqual([
          ['family-doctor', 100_00],
          ['resident-outpatient', 1_200_00],
          ['student-outpatient', 700_00],
        ]);
        // Every revision, a page at a time.
        const p1 = await book.list({ year: 2024, history: true, limit: 2 });
        expect(p1.entries.map((b) => b.amount)).toEqual([100_00, 1_000_00]);
        const p2 = await book.list({ year: 2024, history: true, limit: 2, after: decodeCursor('budgets', p1.nextCursor ?? '') });
        expect(p2.entries.map((b) => b.amount)).toEqual([1_200_00, 700_00]);
        expect(p2.nextCursor).toBeNull();

        // ---- payments (家庭医生签约服务费, 分账管理) ----------------------------------------------
        const pay = { id: 'p1', area: '410305', account: 'family-doctor', amount: 30_00, paidOn: '2024-02-01', year: 2024, note: null };
        expect(await book.recordPayment(pay, CLERK)).toMatchObject({ created: true, payment: { amount: 30_00, year: 2024 } });
        expect(await book.recordPayment(pay, CLERK)).toMatchObject({ created: false });
        await expect(book.recordPayment({ ...pay, amount: 31_00 }, CLERK)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
        await expect(book.recordPayment({ ...pay, id: 'p2', account: 'student-outpatient' }, CLERK)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
        await expect(book.recordPayment({ ...pay, id: 'p3', area: '999999' }, CLERK)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
        expect(await count(store, 'budget_payments')).toBe(1);
        expect((await book.payments({ area: '410305', limit: 10 })).entries).toHaveLength(1);

        // ---- statements ----------------------------------------------------------------------
        const noMargin = await book.statement('410305', 2024, MARCH_31);
        expect(noMargin.accounts.every((a) => a.warning.evaluated === false && a.warning.missingSetting === 'warning')).toBe(true);
        await ledger.settings.set('warning', { marginBp: 1000 }, '2024 年预警幅度 10%', CLERK);
        const st = await book.statement('410305', 2024, MARCH_31);
        expect(st.area).toMatchObject({ code: '410305', name: '涧西区' });
        expect(st.accounts.map((a) => a.account)).toEqual(['resident-outpatient', 'student-outpatient', 'family-doctor']);
        const [resident, student, family] = st.accounts;
        expect(student).toMatchObject({
          budget: { amount: 700_00 },
          carriedIn: 50_00,
          carry: { fromYear: 2023, previousBudget: 700_00, previousSpent: 650_00, previousSurplus: 50_00 },
          available: 750_00,
          spentToDate: 800_00,
          balance: -50_00,
          overspent: 50_00,
          elapsed: 91,
        });
        expect(student?.months).toEqual([300_00, 0, 500_00, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        expect(student?.projection).toMatchObject({ method: 'seasonal-share', projected: 1_300_00, shares: [{ year: 2023, spentBySameDay: 400_00, total: 650_00 }] });
        expect(student?.projection?.backtest).toEqual([
          { year: 2023, method: 'linear', methodLabel: '按日线性外推', spentBySameDay: 400_00, projected: 1_604_40, actual: 650_00, errorBp: 14_683 },
        ]);
        expect(student?.warning).toMatchObject({ evaluated: true, fires: true, available: 750_00, projected: 1_300_00, excess: 550_00, excessBp: 7333, marginBp: 1000 });
        expect(resident).toMatchObject({
          budget: { amount: 1_200_00 },
          carriedIn: 0,
          spentToDate: 60_00,
          projection: { projected: 60_00 },
          warning: { evaluated: true, fires: false },
        });
        expect(resident?.months.slice(0, 3)).toEqual([0, 60_00, 0]);
        expect(family).toMatchObject({ budget: { amount: 100_00 }, spentToDate: 30_00 });
        expect(family?.months.slice(0, 3)).toEqual([0, 30_00, 0]);
        // The day-ends (日结) summed: the same statement, read from clearing_days and the students' entries.
        expect((await ledger.clearing.rollUp()).entries).toBe(7);
        expect(await book.statement('410305', 2024, MARCH_31)).toEqual(st);
        // Before the student's March visit (settled 2024-03-31 11:00): 300.00.
        expect((await book.statement('410305', 2024, dayOf(2024, 3, 30))).accounts[1]?.spentToDate).toBe(300_00);
        // 偃师区: the student T1's 80.00, no budget.
        const ys = await book.statement('410381', 2024, MARCH_31);
        expect(ys.accounts).toHaveLength(1);
        expect(ys.accounts[0]).toMatchObject({ account: 'student-outpatient', budget: null, spentToDate: 80_00, warning: { evaluated: false } });
        await expect(book.statement('999999', 2024, MARCH_31)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        // The warnings' reading: the areas with a budget in the year.
        const year = await book.statementsOfYear(MARCH_31);
        expect(year.map((a) => a.area.code)).toEqual(['410305']);
        expect(year[0]?.accounts.filter((a) => a.warning.evaluated && a.warning.fires).map((a) => a.account)).toEqual(['student-outpatient', 'family-doctor']);

        // ---- high-cost patients ---------------------------------------------------------------
        const hc = ledger.highCost;
        expect(await hc.list(MARCH_31, CLERK, { limit: 10 })).toEqual({ setting: null, page: { entries: [], nextCursor: null } });
        expect(await hc.counts(MARCH_31)).toEqual({ setting: null, counts: [] });
        await ledger.settings.set('high-cost', { yearBurdenFen: 125_00, window: { days: 30, burdenFen: 125_01 } }, '试行标准', CLERK);
        const byYear = await hc.list(MARCH_31, CLERK, { limit: 10 });
        expect(byYear.page.entries.map((e) => e.person)).toEqual(['S3']);
        expect(byYear.page.entries[0]).toMatchObject({
          district: '410305',
          hardship: 'dibao',
          hardshipLabel: '低保对象',
          yearBurden: 125_00,
          windowBurden: 125_00,
          reasons: ['year'],
          year: { settlements: 1, total: 625_00, fund: 500_00, criticalIllness: 0, assistance: 0, account: 0, cash: 125_00 },
          criticalIllness: { paidThisYear: 0 },
        });
        await ledger.settings.set('high-cost', { window: { days: 60, burdenFen: 40_00 } }, '窗口标准', CLERK);
        const one = await hc.list(MARCH_31, CLERK, { limit: 1 });
        expect(one.page.entries.map((e) => [e.person, e.reasons])).toEqual([['S3', ['window']]]);
        const two = await hc.list(MARCH_31, CLERK, { limit: 1, after: decodeCursor('highCost', one.page.nextCursor ?? '') });
        expect(two.page.entries.map((e) => [e.person, e.windowBurden])).toEqual([['A1', 40_00]]);
        expect(two.page.nextCursor).toBeNull();
        expect((await hc.counts(MARCH_31)).counts).toEqual([
          { area: '410305', hardship: null, persons: 1 },
          { area: '410305', hardship: 'dibao', persons: 1 },
        ]);
        // The report day counts its own settlements: S2's of 2024-01-15 (75.00) only from that day.
        await ledger.settings.set('high-cost', { yearBurdenFen: 75_00 }, '年度标准', CLERK);
        expect((await hc.list(dayOf(2024, 1, 15), CLERK, { limit: 10 })).page.entries.map((e) => e.person)).toEqual(['S2']);
        expect((await hc.list(dayOf(2024, 1, 14), CLERK, { limit: 10 })).page.entries).toEqual([]);
        // Each list read is audited, naming whom it listed (none without a setting too).
        const reads = await store.db.selectFrom('audit_log').select(['detail', 'target']).where('action', '=', 'read.high-cost').orderBy('id').execute();
        expect(reads.map((r) => (JSON.parse(r.detail) as { persons: string[] }).persons)).toEqual([['S3'], ['S3'], ['A1'], ['S2'], []]);
        expect(clock.now).toBe(at('2024-04-01T09:00:00+08:00'));
      } finally {
        await store.close();
      }
    });
  });
}
