import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at, monitoringData, rowTimes, span, type VisitSpec } from '../../../test/support/monitoring.js';
import { chinaDay, formatDate } from '../../calendar/calendar.js';
import type { VISIT_TYPES } from '../../domain.js';
import { SPLIT_DAY, splitDayLeads } from './split-day.js';

const MARCH = span('2024-03-01', '2024-03-31');

describe('SPLIT-DAY 分解就诊', () => {
  it('fires for three outpatient visits at one institution on one China day, with the fund after the first', () => {
    const data = monitoringData({
      persons: 1,
      institutions: 2,
      visits: [
        { person: 0, institution: 0, at: '2024-03-05 09:00', fund: 1000, cash: 200 },
        { person: 0, institution: 1, at: '2024-03-05 09:30', fund: 9999 }, // another institution: not in the group
        { person: 0, institution: 0, at: '2024-03-05 10:00', fund: 2000, critical: 300 },
        { person: 0, institution: 0, at: '2024-03-05 15:30', fund: 500, assistance: 50, account: 70 },
      ],
    });
    const leads = splitDayLeads(data, { minVisits: 3 }, MARCH);
    expect(leads).toHaveLength(1);
    const [lead] = leads;
    // After the first: (2000 + 300) + (500 + 50) = 2850 fen = 28.50 yuan; the account's 70 is not fund.
    expect(lead).toMatchObject({
      ruleId: 'SPLIT-DAY',
      key: 'SPLIT-DAY:P0:H0:2024-03-05:outpatient',
      person: 0,
      institution: 0,
      amountFen: 2850,
      amountComputed: true,
      rowAmountsFen: [0, 2300, 550],
      figures: { visits: 3, minVisits: 3, fundAfterFirstFen: 2850, day: '2024-03-05', institution: 'H0', visitType: 'outpatient' },
    });
    expect(rowTimes(data, lead!.rows)).toEqual(['P0 2024-03-05 09:00', 'P0 2024-03-05 10:00', 'P0 2024-03-05 15:30']);
    expect(lead!.content).toContain('结算3次');
    expect(lead!.content).toContain('28.50元');
    // Just below the threshold: three visits, four needed.
    expect(splitDayLeads(data, { minVisits: 4 }, MARCH)).toEqual([]);
  });

  it('groups by the China day, not the UTC day', () => {
    const data = monitoringData({
      persons: 2,
      institutions: 1,
      visits: [
        // 07:00 and 09:00 China time on 03-06 are 23:00 on 03-05 and 01:00 on 03-06 UTC: one China day.
        { person: 0, institution: 0, at: '2024-03-06 07:00', fund: 100 },
        { person: 0, institution: 0, at: '2024-03-06 09:00', fund: 400 },
        // 23:50 on 03-05 and 00:10 on 03-06 China time: two China days (one UTC day).
        { person: 1, institution: 0, at: '2024-03-05 23:50', fund: 100 },
        { person: 1, institution: 0, at: '2024-03-06 00:10', fund: 100 },
      ],
    });
    const leads = splitDayLeads(data, { minVisits: 2 }, MARCH);
    expect(leads.map((l) => [l.key, l.amountFen])).toEqual([['SPLIT-DAY:P0:H0:2024-03-06:outpatient', 400]]);
  });

  it('does not fire across institutions, visit types, or outside the span', () => {
    const data = monitoringData({
      persons: 3,
      institutions: 2,
      visits: [
        { person: 0, institution: 0, at: '2024-03-05 09:00', fund: 100 },
        { person: 0, institution: 1, at: '2024-03-05 10:00', fund: 100 },
        { person: 1, institution: 0, at: '2024-03-05 09:00', fund: 100, type: 'outpatient' },
        { person: 1, institution: 0, at: '2024-03-05 10:00', fund: 100, type: 'two-diseases' },
        // Two on 02-29 (before the span), one on 03-01 in it: only one in the span on each day.
        { person: 2, institution: 0, at: '2024-02-29 09:00', fund: 100 },
        { person: 2, institution: 0, at: '2024-02-29 10:00', fund: 100 },
        { person: 2, institution: 0, at: '2024-03-01 10:00', fund: 100 },
      ],
    });
    expect(splitDayLeads(data, { minVisits: 2 }, MARCH)).toEqual([]);
    // The same data over February fires for person 2 on 02-29 (the rule can fire on it).
    expect(splitDayLeads(data, { minVisits: 2 }, span('2024-02-01', '2024-02-29')).map((l) => l.key)).toEqual(['SPLIT-DAY:P2:H0:2024-02-29:outpatient']);
    // A span that ends at 10:00 on 02-29 leaves one visit that day.
    expect(splitDayLeads(data, { minVisits: 2 }, { fromMs: at('2024-02-01 00:00'), toMs: at('2024-02-29 10:00') })).toEqual([]);
  });

  it('reports a lead in an incremental run only when one of its visits is new', () => {
    const data = monitoringData({
      persons: 1,
      institutions: 1,
      visits: [
        { person: 0, institution: 0, at: '2024-03-05 09:00', fund: 100 },
        { person: 0, institution: 0, at: '2024-03-05 10:00', fund: 300 },
      ],
    });
    expect(splitDayLeads(data, { minVisits: 2 }, { ...MARCH, newFromMs: at('2024-03-05 10:00') })).toHaveLength(1);
    expect(splitDayLeads(data, { minVisits: 2 }, { ...MARCH, newFromMs: at('2024-03-05 10:01') })).toEqual([]);
  });

  it('takes minVisits from the agency: none, 1 or a fraction is refused', () => {
    expect(SPLIT_DAY.schema.safeParse({}).success).toBe(false);
    expect(SPLIT_DAY.schema.safeParse({ minVisits: 1 }).success).toBe(false);
    expect(SPLIT_DAY.schema.safeParse({ minVisits: 2.5 }).success).toBe(false);
    expect(SPLIT_DAY.schema.safeParse({ minVisits: 2, other: 1 }).success).toBe(false);
    expect(SPLIT_DAY.schema.parse({ minVisits: 2 })).toEqual({ minVisits: 2 });
  });

  it('fires exactly for the (person, institution, day, type) groups of at least minVisits (against a naive count)', () => {
    const visit = fc.record({
      person: fc.integer({ min: 0, max: 3 }),
      institution: fc.integer({ min: 0, max: 2 }),
      minute: fc.integer({ min: 0, max: 4 * 1440 - 1 }),
      type: fc.constantFrom<(typeof VISIT_TYPES)[number]>('outpatient', 'two-diseases'),
      fund: fc.integer({ min: 0, max: 10_000 }),
    });
    fc.assert(
      fc.property(fc.array(visit, { maxLength: 60 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 0, max: 4 * 1440 }), (vs, min, newFromMinute) => {
        const base = at('2024-03-04 00:00');
        const visits: VisitSpec[] = vs.map((v) => ({ person: v.person, institution: v.institution, at: base + v.minute * 60_000, type: v.type, fund: v.fund }));
        const data = monitoringData({ persons: 4, institutions: 3, visits });
        const newFromMs = base + newFromMinute * 60_000;
        const ctx = { ...MARCH, newFromMs };
        // Naive: group by a string key; sort each group by time (ties in arrival order, as the columns do).
        const groups = new Map<string, { t: number; fund: number }[]>();
        for (const v of visits) {
          const t = v.at as number;
          const key = `SPLIT-DAY:P${v.person}:H${v.institution}:${formatDate(chinaDay(t))}:${v.type}`;
          groups.set(key, [...(groups.get(key) ?? []), { t, fund: v.fund ?? 0 }]);
        }
        const expected = [...groups]
          .map(([key, g]) => [key, g.sort((a, b) => a.t - b.t)] as const)
          .filter(([, g]) => g.length >= min && g.some((x) => x.t >= newFromMs))
          .map(([key, g]) => `${key}=${g.slice(1).reduce((a, x) => a + x.fund, 0)}`)
          .sort();
        const got = splitDayLeads(data, { minVisits: min }, ctx)
          .map((l) => `${l.key}=${l.amountFen}`)
          .sort();
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
