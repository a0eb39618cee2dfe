/**
 * High-cost patients (高额费用负担患者预警, 豫医保办〔2023〕71号 六, 洛医保〔2023〕63号 七(三)) around
 * the agency's thresholds, by hand. Personal burden = cash + personal account.
 *
 *   year threshold 10,000.00: 6,000.00 cash + 4,000.00 account = 10,000.00 → listed (reaches it);
 *                             6,000.00 + 3,999.99 = 9,999.99 → not listed.
 *   window 30 days, 3,000.00: 2,000.00 + 1,000.00 in the window → listed; 2,999.99 → not.
 */
import { describe, expect, it } from 'vitest';
import { dayOf, formatDate } from '../calendar/calendar.js';
import { highCostPatient, highCostReasons, highCostSettingSchema, windowDays, type PersonBurden } from './high-cost.js';

const ASOF = dayOf(2024, 6, 30);

function person(yearCash: number, yearAccount: number, window: { cash: number; account: number } | null = null): PersonBurden {
  return {
    person: 'P1',
    district: '410305',
    hardship: 'dibao',
    category: 'adult',
    year: { settlements: 3, total: 50_000_00, fund: 30_000_00, criticalIllness: 5_000_00, assistance: 0, account: yearAccount, cash: yearCash },
    window,
    criticalIllness: { paidThisYear: 5_000_00, cap: null, countedSelfPaid: null },
  };
}

describe('high-cost patients', () => {
  const year = { yearBurdenFen: 10_000_00 };
  const windowOnly = { window: { days: 30, burdenFen: 3_000_00 } };

  it('lists a person whose year burden reaches the threshold, and not one a fen below', () => {
    const hit = highCostPatient(person(6_000_00, 4_000_00), year, ASOF);
    expect(hit).toMatchObject({ yearBurden: 10_000_00, reasons: ['year'], hardshipLabel: '低保对象', windowBurden: null });
    expect(hit?.text).toContain('10000.00');
    expect(highCostPatient(person(6_000_00, 3_999_99), year, ASOF)).toBeUndefined();
  });

  it('lists a person whose burden in the window reaches its threshold, and not one a fen below', () => {
    expect(highCostReasons(person(2_000_00, 1_000_00, { cash: 2_000_00, account: 1_000_00 }), windowOnly)).toEqual(['window']);
    expect(highCostReasons(person(2_000_00, 999_99, { cash: 2_000_00, account: 999_99 }), windowOnly)).toEqual([]);
    // Only a window is set: a large year burden with a small window burden is not listed.
    expect(highCostReasons(person(50_000_00, 0, { cash: 100_00, account: 0 }), windowOnly)).toEqual([]);
  });

  it('names both reasons when both thresholds are reached', () => {
    const both = { ...year, ...windowOnly };
    expect(highCostReasons(person(8_000_00, 2_000_00, { cash: 3_000_00, account: 0 }), both)).toEqual(['year', 'window']);
    expect(highCostReasons(person(8_000_00, 1_999_99, { cash: 3_000_00, account: 0 }), both)).toEqual(['window']);
  });

  it('counts the window as the N days ending on the report day', () => {
    const w = windowDays(ASOF, 30);
    expect([formatDate(w.from), formatDate(w.to)]).toEqual(['2024-06-01', '2024-06-30']);
    expect(formatDate(windowDays(dayOf(2024, 1, 10), 30).from)).toBe('2023-12-12');
  });

  it('reads the setting strictly: at least one threshold, whole fen, 1 to 366 days', () => {
    expect(highCostSettingSchema.safeParse({}).success).toBe(false);
    expect(highCostSettingSchema.safeParse({ yearBurdenFen: 0 }).success).toBe(false);
    expect(highCostSettingSchema.safeParse({ yearBurdenFen: 1.5 }).success).toBe(false);
    expect(highCostSettingSchema.safeParse({ window: { days: 0, burdenFen: 1 } }).success).toBe(false);
    expect(highCostSettingSchema.safeParse({ window: { days: 367, burdenFen: 1 } }).success).toBe(false);
    expect(highCostSettingSchema.safeParse({ window: { days: 30 } }).success).toBe(false);
    expect(highCostSettingSchema.safeParse({ yearBurdenFen: 1, extra: true }).success).toBe(false);
    expect(highCostSettingSchema.safeParse({ yearBurdenFen: 1_000_000 }).success).toBe(true);
    expect(highCostSettingSchema.safeParse({ window: { days: 366, burdenFen: 1 } }).success).toBe(true);
  });
});
