import { describe, expect, it } from 'vitest';
import { at, monitoringData, rowTimes, span, type InstitutionSpec, type VisitSpec } from '../../../test/support/monitoring.js';
import { INST_FUND_PEER, instFundPeerLeads, instFundPeerStats } from './inst-fund-peer.js';

const YEAR = span('2024-01-01', '2024-12-31');

/** Visits at one institution, one a day from 2024-03-01, each by its own person number from `person`. */
function visits(institution: number, funds: number[], person = 0, type: VisitSpec['type'] = 'outpatient'): VisitSpec[] {
  return funds.map((fund, i) => ({ person: person + i, institution, at: `2024-03-${String(i + 1).padStart(2, '0')} 10:00`, fund, cash: 10, type }));
}

describe('INST-FUND-PEER 机构次均基金支付异常', () => {
  // Primary outpatient: H0 100, 100 (avg 100); H1 150, 150 (150); H2 200, 200 (200); H3 100, 200, 300
  // (200); H4 P0 900 and P1 700 (800). Sorted 100, 150, 200, 200, 800: median 200.
  // H5 (county) and H6 (tier unknown) have 2 visits each; H0 also 2 inpatient stays (another group).
  const institutions: InstitutionSpec[] = [{}, {}, {}, {}, {}, { tier: 'county' }, { tier: 'unknown' }];
  const data = monitoringData({
    persons: 10,
    institutions,
    visits: [
      ...visits(4, [900, 700], 0),
      ...visits(0, [100, 100], 2),
      ...visits(1, [150, 150], 2),
      ...visits(2, [200, 200], 2),
      ...visits(3, [100, 200, 300], 2),
      ...visits(5, [5000, 5000], 5),
      ...visits(6, [5000, 5000], 5),
      ...visits(0, [90_000, 90_000], 7, 'inpatient'),
    ],
  });

  it('fires at exactly the multiple of the median, with the fund above the median level', () => {
    // H4: 1600 × 10000 × 2 = 32,000,000 = median 400/2 × 40000 × 2 visits: 4 倍 exactly.
    // Excess: 1600 − 200 × 2 = 1200 fen. The person of its largest visit (900) is P0.
    const leads = instFundPeerLeads(data, { minVisits: 2, minPeers: 5, multipleOfMedian: 40_000 }, YEAR);
    expect(leads).toHaveLength(1);
    const [lead] = leads;
    expect(lead).toMatchObject({
      ruleId: 'INST-FUND-PEER',
      key: `INST-FUND-PEER:H4:outpatient:${YEAR.fromMs}:${YEAR.toMs}`,
      person: 0,
      institution: 4,
      amountFen: 1200,
      amountComputed: true,
      rowAmountsFen: [0, 0],
      figures: { visits: 2, fundFen: 1600, averageFen: 800, peers: 5, peerMedianFen: 200, ratio: 4, excessFen: 1200, tier: 'primary' },
    });
    expect(rowTimes(data, lead!.rows)).toEqual(['P0 2024-03-01 10:00', 'P1 2024-03-02 10:00']);
    expect(lead!.content).toContain('次均8.00元');
    expect(lead!.content).toContain('中位数2.00元，本机构为其4.00倍');
    expect(lead!.content).toContain('约12.00元');
  });

  it('does not fire just below the multiple, with too few peers, or with too few visits', () => {
    expect(instFundPeerLeads(data, { minVisits: 2, minPeers: 5, multipleOfMedian: 40_001 }, YEAR)).toEqual([]);
    expect(instFundPeerLeads(data, { minVisits: 2, minPeers: 6, multipleOfMedian: 10_000 }, YEAR)).toEqual([]);
    // With minVisits 3 only H3 is judged: a group of one.
    expect(instFundPeerLeads(data, { minVisits: 3, minPeers: 2, multipleOfMedian: 10_000 }, YEAR)).toEqual([]);
  });

  it('reports what it could not judge', () => {
    // Groups: primary outpatient 5 (judged), primary inpatient 1 (H0), county outpatient 1 (H5); H6 tier unknown.
    expect(INST_FUND_PEER.unjudged?.(data, { minVisits: 2, minPeers: 5, multipleOfMedian: 40_000 }, YEAR)).toBe(
      '1个机构就诊类型组合的机构级别未知；2个机构就诊类型组合所在的同级同类组不足5家机构，未判断',
    );
  });

  it('rounds the excess over a fractional median half away from zero', () => {
    // A: 33 + 33 + 34 = 100 over 3 (33⅓); B: 20; C: 150 + 151 = 301 over 2 (150.5). Median A: 100/3.
    // C: 301 × 10000 × 3 = 9,030,000 ≥ 100 × 40000 × 2 = 8,000,000: fires at 4 倍.
    // Excess 301 − 2 × 100/3 = 234⅓ → 234 fen. Ratio 150.5 / 33⅓ = 4.515 → 4.52; average 150.5 → 151.
    const d = monitoringData({ persons: 6, institutions: 3, visits: [...visits(0, [33, 33, 34]), ...visits(1, [20]), ...visits(2, [150, 151], 3)] });
    const leads = instFundPeerLeads(d, { minVisits: 1, minPeers: 3, multipleOfMedian: 40_000 }, YEAR);
    expect(leads.map((l) => [l.institution, l.amountFen, l.figures.ratio, l.figures.averageFen, l.figures.peerMedianFen])).toEqual([[2, 234, 4.52, 151, 33]]);
    // 4.515 倍 reaches 45150 basis points (9,030,000 ≥ 100 × 45150 × 2 = 9,030,000), not 45151.
    expect(instFundPeerLeads(d, { minVisits: 1, minPeers: 3, multipleOfMedian: 45_150 }, YEAR)).toHaveLength(1);
    expect(instFundPeerLeads(d, { minVisits: 1, minPeers: 3, multipleOfMedian: 45_151 }, YEAR)).toEqual([]);
    expect(instFundPeerStats(d, { minVisits: 1, minPeers: 3, multipleOfMedian: 40_000 }, YEAR)).toEqual({ 'median:primary:outpatient': 100 / 3, 'peers:primary:outpatient': 3 });
  });

  it('takes the mean of the two middle averages for an even group', () => {
    // Averages 100, 150, 250, 1000: median (150 + 250) / 2 = 200; 5 倍 reaches 1000. Excess 1000 − 200 = 800.
    const d = monitoringData({ persons: 6, institutions: 4, visits: [...visits(0, [100]), ...visits(1, [150]), ...visits(2, [250]), ...visits(3, [1000])] });
    expect(instFundPeerLeads(d, { minVisits: 1, minPeers: 4, multipleOfMedian: 50_000 }, YEAR).map((l) => [l.institution, l.amountFen])).toEqual([[3, 800]]);
    expect(instFundPeerLeads(d, { minVisits: 1, minPeers: 4, multipleOfMedian: 50_001 }, YEAR)).toEqual([]);
  });

  it('does not judge a group whose median is 0', () => {
    const d = monitoringData({ persons: 6, institutions: 3, visits: [...visits(0, [0]), ...visits(1, [0]), ...visits(2, [500])] });
    expect(instFundPeerLeads(d, { minVisits: 1, minPeers: 3, multipleOfMedian: 10_000 }, YEAR)).toEqual([]);
    expect(INST_FUND_PEER.unjudged?.(d, { minVisits: 1, minPeers: 3, multipleOfMedian: 10_000 }, YEAR)).toBe(
      '3个机构就诊类型组合所在组的次均基金支付中位数为0，无法按倍数判断，未判断',
    );
  });

  it('lists at most 20 visits, those with the most fund, and honours the span and newFromMs', () => {
    // H0: 25 visits paying 10, 20, … 250 (avg 130); H1, H2: 1 visit of 10 each. Median 10.
    const funds = Array.from({ length: 25 }, (_, i) => (i + 1) * 10);
    const d = monitoringData({ persons: 30, institutions: 3, visits: [...visits(0, funds), ...visits(1, [10], 26), ...visits(2, [10], 27)] });
    const p = { minVisits: 1, minPeers: 3, multipleOfMedian: 20_000 };
    const [lead] = instFundPeerLeads(d, p, YEAR);
    expect(lead!.rows.map((r) => d.settlements.fundFen[r])).toEqual(funds.slice(5).reverse());
    // Excess: 3250 − 10 × 25 = 3000.
    expect(lead!.amountFen).toBe(3000);
    // H0's last visit is on 03-25.
    expect(instFundPeerLeads(d, p, { ...YEAR, newFromMs: at('2024-03-25 10:00') })).toHaveLength(1);
    expect(instFundPeerLeads(d, p, { ...YEAR, newFromMs: at('2024-03-25 10:01') })).toEqual([]);
    // Outside the span: nothing to judge.
    expect(instFundPeerLeads(d, p, span('2024-04-01', '2024-04-30'))).toEqual([]);
  });

  it('has no default for any parameter', () => {
    const ok = (v: unknown) => INST_FUND_PEER.schema.safeParse(v).success;
    expect(ok({ minVisits: 1, minPeers: 3, multipleOfMedian: 20_000 })).toBe(true);
    expect(ok({ minPeers: 3, multipleOfMedian: 20_000 })).toBe(false);
    expect(ok({ minVisits: 1, multipleOfMedian: 20_000 })).toBe(false);
    expect(ok({ minVisits: 1, minPeers: 3 })).toBe(false);
    expect(ok({ minVisits: 1, minPeers: 1, multipleOfMedian: 20_000 })).toBe(false);
  });
});
