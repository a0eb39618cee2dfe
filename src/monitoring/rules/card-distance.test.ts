import { describe, expect, it } from 'vitest';
import { at, monitoringData, rowTimes, span, type InstitutionSpec } from '../../../test/support/monitoring.js';
import { CARD_DISTANCE } from './card-distance.js';

const MARCH = span('2024-03-01', '2024-03-31');
// H0 in Luoyang; H1 in Puyang, 266.23 km away (haversine); H2 0.01° of latitude north of H0, 1.11 km
// from H0 and 265.69 km from H1; H3 with no recorded site.
const INSTITUTIONS: InstitutionSpec[] = [{ lat: 34.6197, lon: 112.454 }, { lat: 35.7617, lon: 115.0292 }, { lat: 34.6297, lon: 112.454 }, {}];
const evaluate = CARD_DISTANCE.evaluate;

describe('CARD-DISTANCE 异地短时就诊', () => {
  const data = monitoringData({
    persons: 4,
    institutions: INSTITUTIONS,
    visits: [
      // P0: Luoyang at 10:00, Puyang 25 minutes later.
      { person: 0, institution: 0, at: '2024-03-05 10:00', fund: 1200 },
      { person: 0, institution: 1, at: '2024-03-05 10:25', fund: 4500, critical: 500, cash: 300 },
      // P1: two Luoyang institutions 1.11 km apart, 5 minutes.
      { person: 1, institution: 0, at: '2024-03-05 10:00', fund: 100 },
      { person: 1, institution: 2, at: '2024-03-05 10:05', fund: 100 },
      // P2: Luoyang, then an institution with no site.
      { person: 2, institution: 0, at: '2024-03-05 10:00', fund: 100 },
      { person: 2, institution: 3, at: '2024-03-05 10:05', fund: 100 },
      // P3: H0, H0 (same institution), H2 (1.11 km), then H1 (Puyang) 10 minutes after H2.
      { person: 3, institution: 0, at: '2024-03-05 09:55', fund: 100 },
      { person: 3, institution: 0, at: '2024-03-05 10:00', fund: 100 },
      { person: 3, institution: 2, at: '2024-03-05 10:10', fund: 200 },
      { person: 3, institution: 1, at: '2024-03-05 10:20', fund: 700, assistance: 80 },
    ],
  });

  it('fires for visits 266 km apart 25 minutes apart, with the later visit fund in question', () => {
    const leads = evaluate(data, { minDistanceKm: 200, withinMinutes: 30 }, MARCH);
    expect(leads.map((l) => l.key)).toEqual([
      `CARD-DISTANCE:P0:H0:${at('2024-03-05 10:00')}:H1:${at('2024-03-05 10:25')}`,
      `CARD-DISTANCE:P3:H2:${at('2024-03-05 10:10')}:H1:${at('2024-03-05 10:20')}`,
    ]);
    const [p0, p3] = leads;
    // P0: later visit 4500 + 500 = 5000 fen (the cash is not fund).
    expect(p0).toMatchObject({ person: 0, institution: 1, amountFen: 5000, amountComputed: true, rowAmountsFen: [5000, 0] });
    expect(p0!.figures).toMatchObject({ distanceKm: 266.235, elapsedMinutes: 25, earlierInstitution: 'H0', laterInstitution: 'H1', fundLaterFen: 5000 });
    expect(rowTimes(data, p0!.rows)).toEqual(['P0 2024-03-05 10:25', 'P0 2024-03-05 10:00']);
    expect(p0!.content).toContain('相隔25分钟');
    expect(p0!.content).toContain('266.2公里');
    expect(p0!.content).toContain('50.00元');
    // P3: only adjacent pairs: H2 → H1 (10 minutes), later visit 700 + 80 = 780 fen.
    expect(p3).toMatchObject({ person: 3, amountFen: 780 });
    expect(rowTimes(data, p3!.rows)).toEqual(['P3 2024-03-05 10:20', 'P3 2024-03-05 10:10']);
  });

  it('does not fire just past either threshold; equal counts', () => {
    // 266.23 km < 267.
    expect(evaluate(data, { minDistanceKm: 267, withinMinutes: 30 }, MARCH)).toEqual([]);
    // P3's H2 → H1 is 265.69 km: at 266 only P0 fires.
    expect(evaluate(data, { minDistanceKm: 266, withinMinutes: 30 }, MARCH).map((l) => l.person)).toEqual([0]);
    // P0's 25 minutes: within 25, not within 24. P3's 10 minutes fires at both, not within 9.
    expect(evaluate(data, { minDistanceKm: 265, withinMinutes: 25 }, MARCH).map((l) => l.person)).toEqual([0, 3]);
    expect(evaluate(data, { minDistanceKm: 265, withinMinutes: 24 }, MARCH).map((l) => l.person)).toEqual([3]);
    expect(evaluate(data, { minDistanceKm: 265, withinMinutes: 9 }, MARCH)).toEqual([]);
    // 1.11 km apart (P1, P3's H0 → H2) fires at 1 km, and P1's H0 → H2 was not a lead before.
    expect(evaluate(data, { minDistanceKm: 1, withinMinutes: 10 }, MARCH).map((l) => `${l.person}:${l.figures.distanceKm}`)).toEqual(['1:1.112', '3:1.112', '3:265.694']);
  });

  it('counts the pairs it cannot judge for want of a site', () => {
    // P2's H0 → H3 (no site), 5 minutes.
    expect(CARD_DISTANCE.unjudged?.(data, { minDistanceKm: 200, withinMinutes: 30 }, MARCH)).toBe('1对相邻结算所在机构的位置未登记，无法计算距离，未判断');
    // Not within 4 minutes: not a pair to judge.
    expect(CARD_DISTANCE.unjudged?.(data, { minDistanceKm: 200, withinMinutes: 4 }, MARCH)).toBeUndefined();
    // Incremental: the pair's later visit is old.
    expect(CARD_DISTANCE.unjudged?.(data, { minDistanceKm: 200, withinMinutes: 30 }, { ...MARCH, newFromMs: at('2024-03-05 10:06') })).toBeUndefined();
  });

  it('judges only pairs inside the span, and reports only leads with a new visit', () => {
    // The span starting at 10:01 leaves P0 one visit.
    const from1001 = { fromMs: at('2024-03-05 10:01'), toMs: MARCH.toMs };
    expect(evaluate(data, { minDistanceKm: 200, withinMinutes: 30 }, from1001).map((l) => l.person)).toEqual([3]);
    // The span ending at 10:25 (exclusive) leaves P0 one visit too.
    expect(evaluate(data, { minDistanceKm: 200, withinMinutes: 30 }, { fromMs: MARCH.fromMs, toMs: at('2024-03-05 10:25') }).map((l) => l.person)).toEqual([3]);
    const p = { minDistanceKm: 200, withinMinutes: 30 };
    expect(evaluate(data, p, { ...MARCH, newFromMs: at('2024-03-05 10:21') }).map((l) => l.person)).toEqual([0]);
    expect(evaluate(data, p, { ...MARCH, newFromMs: at('2024-03-05 10:26') })).toEqual([]);
  });

  it('has no default for either parameter', () => {
    expect(CARD_DISTANCE.schema.safeParse({ minDistanceKm: 200 }).success).toBe(false);
    expect(CARD_DISTANCE.schema.safeParse({ withinMinutes: 30 }).success).toBe(false);
    expect(CARD_DISTANCE.schema.safeParse({ minDistanceKm: 0, withinMinutes: 30 }).success).toBe(false);
    expect(CARD_DISTANCE.schema.safeParse({ minDistanceKm: 200, withinMinutes: 30 }).success).toBe(true);
  });
});
