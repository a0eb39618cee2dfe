import { describe, expect, it } from 'vitest';
import { dayOf } from '../calendar/calendar.js';
import { ColumnsBuilder, type SettlementPart, type SettlementRow } from './columns.js';

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

  it('groups parts as one builder would, each part cut at its length, the parts let go', () => {
    // Two parts, as two threads read [0, 1000) and [1000, 2000): arrays longer than their length
    // (the rows past it, person 9 and fund 99, must not be read).
    const part = (rows: [number, number, number, number][], spare: number): SettlementPart => {
      const n = rows.length + spare;
      const p: SettlementPart = {
        length: rows.length,
        person: new Int32Array(n).fill(9),
        institution: new Int32Array(n),
        timeMs: new Float64Array(n),
        visitType: new Uint8Array(n),
        amounts: Array.from({ length: 6 }, () => new Float64Array(n).fill(99)),
      };
      rows.forEach(([person, institution, timeMs, fund], i) => {
        p.person[i] = person;
        p.institution[i] = institution;
        p.timeMs[i] = timeMs;
        p.visitType[i] = person;
        for (const a of p.amounts) a[i] = 0;
        (p.amounts[1] as Float64Array)[i] = fund;
      });
      return p;
    };
    const a = part(
      [
        [1, 7, 900, 1],
        [0, 5, 100, 2],
        [1, 7, 300, 3],
      ],
      2,
    );
    const b = part(
      [
        [0, 6, 1500, 4],
        [1, 8, 1000, 5],
      ],
      1,
    );
    const c = ColumnsBuilder.fromParts(2, [a, b]);
    // Person 0: fund 2 (t 100), 4 (t 1500); person 1: fund 3 (t 300), 1 (t 900), 5 (t 1000).
    expect(c.length).toBe(5);
    expect([...c.personStart]).toEqual([0, 2, 5]);
    expect([...c.person]).toEqual([0, 0, 1, 1, 1]);
    expect([...c.timeMs]).toEqual([100, 1500, 300, 900, 1000]);
    expect([...c.fundFen]).toEqual([2, 4, 3, 1, 5]);
    expect([...c.institution]).toEqual([5, 6, 7, 7, 8]);
    expect([...c.visitType]).toEqual([0, 0, 1, 1, 1]);
    expect([...c.totalFen]).toEqual([0, 0, 0, 0, 0]);
    // The same rows through one builder give the same columns.
    const one = new ColumnsBuilder(2);
    for (const [person, institution, timeMs, fund] of [
      [1, 7, 900, 1],
      [0, 5, 100, 2],
      [1, 7, 300, 3],
      [0, 6, 1500, 4],
      [1, 8, 1000, 5],
    ] as const) {
      one.push({ ...row(person, timeMs, fund), institution, visitType: person, totalFen: 0 });
    }
    expect(one.finish()).toEqual(c);
    expect(a.person.length + a.amounts[5]!.length + b.timeMs.length).toBe(0);
    expect(() => ColumnsBuilder.fromParts(1, [part([[1, 0, 0, 0]], 0)])).toThrow(RangeError);
  });

  it('gives its rows as a part, as pushed, cut to them when the arrays are far longer', () => {
    const parts = [new ColumnsBuilder(2, 4096), new ColumnsBuilder(2, 4)];
    const one = new ColumnsBuilder(2);
    const rows = [row(1, 300, 7), row(0, 100, 8), row(1, 200, 9), row(0, 400, 10), row(1, 500, 11)];
    rows.forEach((r, i) => {
      (parts[i < 2 ? 0 : 1] as ColumnsBuilder).push(r);
      one.push(r);
    });
    const [a, b] = parts.map((p) => p.part()) as [ReturnType<ColumnsBuilder['part']>, ReturnType<ColumnsBuilder['part']>];
    // Not grouped: the first part holds persons 1 then 0, as pushed; 4096 slots for 2 rows are cut to 2.
    expect(a.length).toBe(2);
    expect([...a.person]).toEqual([1, 0]);
    expect(a.timeMs.length).toBe(2);
    // Three rows in a capacity of 16 are not far over: kept, the length says how many count.
    expect(b.length).toBe(3);
    expect(b.timeMs.length).toBe(16);
    expect(ColumnsBuilder.fromParts(2, [a, b])).toEqual(one.finish());
  });
});
