/**
 * Budget accounts by hand, with the Luoyang policies (洛医保〔2022〕36号 第三条; 洛医保〔2023〕63号):
 *
 * The students' account (大学生门诊统筹) of one district:
 *   2023: budget 10 students × 70 元 = 700.00 (the rate read from the policy); spent 650.00
 *         → surplus 50.00 rolls into 2024 (结余滚存, 36号 第三条 in force on 2023-12-31).
 *   2024: budget 700.00 + carried in 50.00 = 750.00; spent 800.00 → overspent 50.00 (超支),
 *         reported, not made good (超支不补): 2025 carries in 0.00.
 *   2025: budget 700.00, carried in 0.00.
 */
import { describe, expect, it } from 'vitest';
import { dayOf } from '../calendar/calendar.js';
import type { YibaoError } from '../errors.js';
import type { Fen } from '../money/money.js';
import { loadPolicies } from '../policy/policies.js';
import { accountStatement, carryInto, completeYears, DailySeries, type BudgetRecord, type StatementInput } from './budget.js';
import { accountOf, accountSpec, standardBudget, studentBenefits, surplusRule, type BudgetBasis } from './budget-policy.js';

const policies = loadPolicies();
const LY = '410300';
const STUDENT = accountSpec(policies, LY, 'student-outpatient');

function budget(year: number, amount: Fen, basis: BudgetBasis = { method: 'entered' }): BudgetRecord {
  return { id: `B${year}`, area: '410305', year, account: 'student-outpatient', amount, basis, note: null, requestId: `r${year}`, recordedBy: 'agency-1', recordedAt: 0 };
}

/** The students' spending: 650.00 in 2023 (two days), 800.00 in 2024 (January and March). */
function spending(): DailySeries {
  const s = new DailySeries();
  s.add(dayOf(2023, 3, 1), 400_00);
  s.add(dayOf(2023, 11, 30), 250_00);
  s.add(dayOf(2024, 1, 15), 300_00);
  s.add(dayOf(2024, 3, 31), 500_00);
  return s;
}

function input(year: number, asOf: number, budgets: Map<number, BudgetRecord>, over: Partial<StatementInput> = {}): StatementInput {
  if (!STUDENT) throw new Error('no student account');
  return {
    area: '410305',
    year,
    asOf,
    account: STUDENT,
    budgets,
    series: spending(),
    pastYears: [],
    surplusRule: (y) => surplusRule(policies, LY, y),
    warning: undefined,
    ...over,
  };
}

describe('the standard budget from the policy rate', () => {
  it('is students × 70 元 (洛医保〔2022〕36号 第三条), the rate and its citation from the policy file', () => {
    const { amount, basis } = standardBudget(policies, LY, 2023, 'student-outpatient', 10, 'ledger');
    expect(amount).toBe(700_00);
    expect(basis).toMatchObject({
      method: 'policy-rate',
      parameter: 'parameters.budget.studentOutpatientBudget',
      rate: 70_00,
      persons: 10,
      personsSource: 'ledger',
      rateDay: '2023-01-01',
      citation: { document: '洛医保〔2022〕36号', article: '第三条', citation: '洛医保〔2022〕36号 第三条' },
    });
  });

  it('is signed persons × 22 元 for the family-doctor fee while 36号 is in force, and refused naming the parameter after', () => {
    expect(standardBudget(policies, LY, 2023, 'family-doctor', 5, 'entered')).toMatchObject({ amount: 110_00, basis: { rate: 22_00, persons: 5, personsSource: 'entered' } });
    // 2024: 洛医保〔2023〕63号 restates only the students' rate; no file in force gives the fee.
    const e = (() => {
      try {
        standardBudget(policies, LY, 2024, 'family-doctor', 5, 'ledger');
      } catch (x) {
        return x as YibaoError;
      }
      throw new Error('not refused');
    })();
    expect(e.code).toBe('MISSING_PARAMETER');
    expect(e.details.missing).toEqual([expect.objectContaining({ path: 'parameters.budget.familyDoctorServiceFee' })]);
  });

  it('is refused for a benefit account: 36号 第三条 leaves that amount to the centre', () => {
    expect(() => standardBudget(policies, LY, 2024, 'resident-outpatient', 5, 'ledger')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('the accounts', () => {
  it('charges a student’s outpatient pooling to the students’ account, everything else to its benefit', () => {
    const sb = studentBenefits(policies, LY);
    expect([...sb]).toEqual(['resident-outpatient']);
    expect(accountOf('resident-outpatient', true, sb)).toBe('student-outpatient');
    expect(accountOf('resident-two-diseases', true, sb)).toBe('resident-two-diseases');
    expect(accountOf('resident-outpatient', false, sb)).toBe('resident-outpatient');
  });

  it('knows the region’s benefits and the separate accounts, and nothing else', () => {
    expect(accountSpec(policies, LY, 'resident-outpatient')).toMatchObject({ kind: 'benefit' });
    expect(accountSpec(policies, LY, 'family-doctor')).toMatchObject({ kind: 'family-doctor', label: '家庭医生签约服务费（分账管理）' });
    expect(accountSpec(policies, LY, 'employee-outpatient')).toBeUndefined(); // Puyang's, not Luoyang's
    expect(accountSpec(policies, LY, 'nonsense')).toBeUndefined();
  });
});

describe('the students’ account: 总额预算、超支不补、结余滚存', () => {
  const budgets = new Map([
    [2023, budget(2023, 700_00)],
    [2024, budget(2024, 700_00)],
    [2025, budget(2025, 700_00)],
  ]);

  it('2023: budget 700.00, spent 650.00, nothing carried in (the first year)', () => {
    const s = accountStatement(input(2023, dayOf(2023, 12, 31), budgets));
    expect(s).toMatchObject({ carriedIn: 0, carry: null, available: 700_00, spentToDate: 650_00, balance: 50_00, overspent: 0 });
    expect(s.months).toEqual([0, 0, 400_00, 0, 0, 0, 0, 0, 0, 0, 250_00, 0]);
  });

  it('2024: carries in the 50.00 surplus; spends 800.00 of 750.00 → overspent 50.00', () => {
    const s = accountStatement(input(2024, dayOf(2024, 12, 31), budgets));
    expect(s.carriedIn).toBe(50_00);
    expect(s.carry).toMatchObject({ fromYear: 2023, previousBudget: 700_00, previousSpent: 650_00, previousSurplus: 50_00, previousOverspent: 0, amount: 50_00 });
    expect(s.carry?.rule).toMatchObject({ document: '洛医保〔2022〕36号', article: '第三条' });
    expect(s).toMatchObject({ available: 750_00, spentToDate: 800_00, balance: -50_00, overspent: 50_00 });
    expect(s.months.slice(0, 3)).toEqual([300_00, 0, 500_00]);
  });

  it('2025: carries in nothing after the overspent year (超支不补), never less than nothing', () => {
    const s = accountStatement(input(2025, dayOf(2025, 6, 30), budgets));
    expect(s.carriedIn).toBe(0);
    expect(s.carry).toMatchObject({ fromYear: 2024, previousCarriedIn: 50_00, previousSpent: 800_00, previousOverspent: 50_00, amount: 0 });
    expect(s.available).toBe(700_00);
    expect(s.carry?.text).toContain('超支不补');
  });

  it('counts only up to the report day: 2024 as at 31 January has spent 300.00', () => {
    const s = accountStatement(input(2024, dayOf(2024, 1, 31), budgets));
    expect(s).toMatchObject({ spentToDate: 300_00, elapsed: 31, asOf: '2024-01-31', balance: 450_00, overspent: 0 });
    expect(s.projection?.method).toBe('linear');
  });

  it('a year without a budget in the chain has nothing; its spending eats the carry', () => {
    // 2023 budget 700, spent 650 → 50 carried; 2024 no budget (0) + 50 carried − 30 spent → 2025 carries 20.
    const amounts = new Map([[2023, 700_00]]);
    expect(
      carryInto(
        2025,
        amounts,
        (y) => (y === 2023 ? 650_00 : 30_00),
        () => ({ document: 'd', article: 'a', quote: '' }),
      ),
    ).toMatchObject({
      fromYear: 2024,
      previousBudget: null,
      previousCarriedIn: 50_00,
      amount: 20_00,
    });
    // Where no rule is in force nothing rolls.
    expect(
      carryInto(
        2024,
        amounts,
        () => 0,
        () => undefined,
      ),
    ).toMatchObject({ amount: 0, previousSurplus: 700_00, rule: null });
    expect(
      carryInto(
        2023,
        amounts,
        () => 0,
        () => undefined,
      ),
    ).toBeNull();
  });

  it('an account without a budget lists its spending and evaluates no warning', () => {
    const s = accountStatement(input(2024, dayOf(2024, 12, 31), new Map(), { warning: { marginBp: 0 } }));
    expect(s).toMatchObject({ budget: null, available: null, balance: null, overspent: null, spentToDate: 800_00 });
    expect(s.warning).toMatchObject({ evaluated: false, missingSetting: null });
    expect(s.notes.join()).toContain('未录入预算');
  });
});

describe('completeYears', () => {
  it('counts the years the ledger holds from their January, at most `max` of the latest', () => {
    expect(completeYears(dayOf(2022, 1, 15), 2024, 5)).toEqual([2022, 2023]);
    expect(completeYears(dayOf(2022, 2, 1), 2024, 5)).toEqual([2023]);
    expect(completeYears(dayOf(2022, 1, 31), 2024, 1)).toEqual([2023]);
    expect(completeYears(null, 2024, 5)).toEqual([]);
    expect(completeYears(dayOf(2024, 1, 1), 2024, 5)).toEqual([]);
  });
});
