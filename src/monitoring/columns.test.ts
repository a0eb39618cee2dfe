import { describe, expect, it } from 'vitest';
import { dayOf } from '../calendar/calendar.js';
import { ColumnsBuilder, type SettlementRow } from './columns.js';

const row = (person: number, timeMs: number, fundFen = 0): SettlementRow => ({
  person,
  institution: 0,
  timeMs,
  visitType: 0,
  totalFen: fundFen,
  fundFen,
  criticalFen: 0,
  assistanceFen: 0,
  accountFen: 0,
  cashFen: 0,
});

describe('ColumnsBuilder', () => {
  it('groups rows by person and orders each person by time, keeping arrival order on ties', () => {
    const b = new ColumnsBuilder(3, 1);
    b.push(row(2, 500, 1));
    b.push(row(0, 300, 2));
    b.push(row(2, 100, 3));
    b.push(row(0, 300, 4));
    b.push(row(0, 200, 5));
    const c = b.finish();
    expect(c.length).toBe(5);
    expect([...c.personStart]).toEqual([0, 3, 3, 5]);
    expect([...c.person]).toEqual([0, 0, 0, 2, 2]);
    expect([...c.timeMs]).toEqual([200, 300, 300, 100, 500]);
    // The two rows of person 0 at 300 keep the order they came in (fund 2, then 4).
    expect([...c.fundFen]).toEqual([5, 2, 4, 3, 1]);
  });

  it('grows past its capacity hint and gives each row its China day', () => {
    const b = new ColumnsBuilder(1, 16);
    // 2024-03-01 23:30 China time is 15:30 UTC: the China day is 1 March, not the UTC day.
    const t = Date.UTC(2024, 2, 1, 15, 30);
    for (let i = 0; i < 100; i++) b.push(row(0, t + i));
    const c = b.finish();
    expect(c.length).toBe(100);
    expect(c.day[0]).toBe(dayOf(2024, 3, 1));
    expect(c.day[99]).toBe(dayOf(2024, 3, 1));
    // 16:00 UTC is midnight in China: the next day.
    const d = new ColumnsBuilder(1);
    d.push(row(0, Date.UTC(2024, 2, 1, 16, 0)));
    expect(d.finish().day[0]).toBe(dayOf(2024, 3, 2));
  });

  it('refuses a person ordinal outside the persons', () => {
    const b = new ColumnsBuilder(2);
    expect(() => b.push(row(2, 0))).toThrow(RangeError);
    expect(() => b.push(row(-1, 0))).toThrow(RangeError);
  });
});
