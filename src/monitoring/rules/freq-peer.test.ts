import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monitoringData, rowTimes, span, type PersonSpec, type VisitSpec } from '../../../test/support/monitoring.js';
import { FREQ_PEER, freqPeerLeads, freqPeerStats } from './freq-peer.js';

const YEAR = span('2024-01-01', '2024-12-31');

/** `count` visits of person p on consecutive days from 2024-03-01, the k-th (1-based) paying k × 100 fen of fund. */
function visitsOf(p: number, count: number, institution = 0): VisitSpec[] {
  return Array.from({ length: count }, (_, i) => ({ person: p, institution, at: `2024-03-${String(i + 1).padStart(2, '0')} 10:00`, fund: (i + 1) * 100, cash: 50 }));
}

describe('FREQ-PEER 就诊频次异常', () => {
  // Resident adults P0..P4 with 1, 2, 2, 3, 9 visits; P5..P7 resident adults with none; P8 an
  // employee (active) with 9 visits, alone in the group.
  const persons: PersonSpec[] = [...Array.from({ length: 8 }, (): PersonSpec => ({ scheme: 'resident', category: 'adult' })), { scheme: 'employee', category: 'active' }];
  const data = monitoringData({
    persons,
    institutions: 1,
    visits: [...visitsOf(0, 1), ...visitsOf(1, 2), ...visitsOf(2, 2), ...visitsOf(3, 3), ...visitsOf(4, 9), ...visitsOf(8, 9)],
  });

  it('fires for the person far above the median of the peers who visited', () => {
    // Peers with visits: 1, 2, 2, 3, 9 → median 2 (the three adults with no visit are not peers: with
    // them the median would be 1.5 and the threshold 5). minVisits 5, 3 倍: T = max(5, ⌈2 × 3⌉) = 6.
    // P4's visits 6..9 are in question: 600 + 700 + 800 + 900 = 3000 fen = 30.00 yuan.
    // P8 (employee) is alone: the median is its own 9, T = 27: no lead.
    const leads = freqPeerLeads(data, { minVisits: 5, multipleOfMedian: 30_000 }, YEAR);
    expect(leads).toHaveLength(1);
    const [lead] = leads;
    expect(lead).toMatchObject({
      ruleId: 'FREQ-PEER',
      key: `FREQ-PEER:P4:${YEAR.fromMs}:${YEAR.toMs}`,
      person: 4,
      amountFen: 3000,
      amountComputed: true,
      rowAmountsFen: [600, 700, 800, 900, 0, 0, 0, 0, 0],
      figures: { visits: 9, peers: 5, peerMedianVisits: 2, thresholdVisits: 6, questionedVisits: 4, fundQuestionedFen: 3000 },
    });
    // The visit that reached the threshold first, then the later ones, then those before it.
    expect(rowTimes(data, lead!.rows).map((t) => t.slice(3, 13))).toEqual([
      '2024-03-06',
      '2024-03-07',
      '2024-03-08',
      '2024-03-09',
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
      '2024-03-04',
      '2024-03-05',
    ]);
    expect(lead!.content).toContain('中位数2次');
    expect(lead!.content).toContain('即≥6次');
    expect(lead!.content).toContain('30.00元');
  });

  it('does not fire just below either threshold; equality with the multiple fires', () => {
    expect(freqPeerLeads(data, { minVisits: 10, multipleOfMedian: 10_000 }, YEAR)).toEqual([]);
    // 9 × 20000 = 180000 = median2 4 × 45000: reaches 4.5 倍 exactly.
    expect(freqPeerLeads(data, { minVisits: 1, multipleOfMedian: 45_000 }, YEAR).map((l) => [l.key.split(':')[1], l.figures.thresholdVisits, l.amountFen])).toEqual([
      ['P4', 9, 900],
    ]);
    expect(freqPeerLeads(data, { minVisits: 1, multipleOfMedian: 45_001 }, YEAR)).toEqual([]);
  });

  it('takes a half median exactly', () => {
    // Peers 1, 2, 3, 10 → median 2.5; 4 倍: T = 10, so P3's 10th visit alone is in question (1000 fen).
    const d = monitoringData({ persons: 4, institutions: 1, visits: [...visitsOf(0, 1), ...visitsOf(1, 2), ...visitsOf(2, 3), ...visitsOf(3, 10)] });
    const leads = freqPeerLeads(d, { minVisits: 2, multipleOfMedian: 40_000 }, YEAR);
    expect(leads.map((l) => [l.person, l.figures.peerMedianVisits, l.figures.thresholdVisits, l.amountFen])).toEqual([[3, 2.5, 10, 1000]]);
    expect(freqPeerLeads(d, { minVisits: 2, multipleOfMedian: 40_001 }, YEAR)).toEqual([]);
    expect(freqPeerStats(d, { minVisits: 2, multipleOfMedian: 40_000 }, YEAR)).toEqual({ 'median:resident:adult': 2.5, 'peers:resident:adult': 4 });
  });

  it('counts only the span', () => {
    // March 1..9 in the span; a span from March 5 leaves P4 5 visits and the others none but P3 (none
    // from 03-05) → peers P4 (5) and P8 (5, its own group): the median is P4's own 5, 3 倍 is 15.
    const fromMarch5 = span('2024-03-05', '2024-12-31');
    expect(freqPeerLeads(data, { minVisits: 5, multipleOfMedian: 30_000 }, fromMarch5)).toEqual([]);
    expect(freqPeerStats(data, { minVisits: 5, multipleOfMedian: 30_000 }, fromMarch5)).toEqual({
      'median:resident:adult': 5,
      'peers:resident:adult': 1,
      'median:employee:active': 5,
      'peers:employee:active': 1,
    });
  });

  it('gives the medians by peer group for later checks', () => {
    expect(freqPeerStats(data, { minVisits: 5, multipleOfMedian: 30_000 }, YEAR)).toEqual({
      'median:resident:adult': 2,
      'peers:resident:adult': 5,
      'median:employee:active': 9,
      'peers:employee:active': 1,
    });
    expect(FREQ_PEER.unjudged?.(data, { minVisits: 5, multipleOfMedian: 30_000 }, YEAR)).toBeUndefined();
  });

  it('has no default: both parameters required, the multiple at least 1 倍', () => {
    expect(FREQ_PEER.schema.safeParse({ minVisits: 5 }).success).toBe(false);
    expect(FREQ_PEER.schema.safeParse({ multipleOfMedian: 30_000 }).success).toBe(false);
    expect(FREQ_PEER.schema.safeParse({ minVisits: 5, multipleOfMedian: 9_999 }).success).toBe(false);
    expect(FREQ_PEER.schema.safeParse({ minVisits: 5, multipleOfMedian: 3 }).success).toBe(false);
    expect(FREQ_PEER.schema.safeParse({ minVisits: 5, multipleOfMedian: 30_000 }).success).toBe(true);
  });

  it('fires exactly for the persons at or above max(minVisits, multiple × the median of their peers) (against a naive sort)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ employee: fc.boolean(), visits: fc.integer({ min: 0, max: 12 }) }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 10_000, max: 60_000 }),
        (people, minVisits, multipleOfMedian) => {
          const persons = people.map((p): PersonSpec => (p.employee ? { scheme: 'employee', category: 'retired' } : { scheme: 'resident', category: 'child' }));
          const d = monitoringData({ persons, institutions: 1, visits: people.flatMap((p, i) => visitsOf(i, p.visits)) });
          // Naive: sort each group's counts (persons with a visit), the median as a possibly half number.
          const medianOf = (employee: boolean) => {
            const xs = people
              .filter((p) => p.employee === employee && p.visits > 0)
              .map((p) => p.visits)
              .sort((a, b) => a - b);
            return (xs[(xs.length - 1) >> 1]! + xs[xs.length >> 1]!) / 2;
          };
          const expected = people.flatMap((p, i) => {
            const median = medianOf(p.employee);
            if (p.visits === 0 || p.visits < minVisits || p.visits * 10_000 < median * multipleOfMedian) return [];
            let threshold = minVisits;
            while (threshold * 10_000 < median * multipleOfMedian) threshold++;
            // Visit k pays k × 100: the visits from the threshold on.
            let amount = 0;
            for (let k = threshold; k <= p.visits; k++) amount += k * 100;
            return [`P${i}:${threshold}:${amount}`];
          });
          const got = freqPeerLeads(d, { minVisits, multipleOfMedian }, YEAR).map((l) => `P${l.person}:${l.figures.thresholdVisits}:${l.amountFen}`);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
