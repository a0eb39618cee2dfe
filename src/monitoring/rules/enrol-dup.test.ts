import { describe, expect, it } from 'vitest';
import { monitoringData, span } from '../../../test/support/monitoring.js';
import type { EnrollmentRow } from '../types.js';
import { ENROL_DUP, enrolDupLeads } from './enrol-dup.js';

let n = 0;
const e = (person: number, coverageYear: number, region: string, scheme: string, paidOn: string, amountFen: number | null, transfer = false): EnrollmentRow => ({
  id: `E${++n}`,
  person,
  coverageYear,
  region,
  scheme,
  paidOn,
  amountFen,
  transfer,
});

describe('ENROL-DUP 重复参保', () => {
  const enrollments = [
    // P0: 2024 in Luoyang and again in Puyang: a lead.
    e(0, 2024, '410300', 'resident', '2023-10-01', 38_000),
    e(0, 2024, '410900', 'resident', '2023-11-15', 38_000),
    // P1: the Puyang one is a transfer (转移接续): no lead.
    e(1, 2024, '410300', 'resident', '2023-10-01', 38_000),
    e(1, 2024, '410900', 'resident', '2024-05-01', null, true),
    // P2: one payment recorded twice (a settle carried it without the amount): no lead.
    e(2, 2024, '410300', 'resident', '2023-10-01', 38_000),
    e(2, 2024, '410300', 'resident', '2023-10-01', null),
    // P3: the same region and scheme paid twice on two days: a lead.
    e(3, 2024, '410300', 'resident', '2023-10-01', 38_000),
    e(3, 2024, '410300', 'resident', '2023-12-20', 38_000),
    // P4: one payment in each of two years: no lead.
    e(4, 2023, '410300', 'resident', '2022-10-01', 35_000),
    e(4, 2024, '410300', 'resident', '2023-10-01', 38_000),
    // P5: resident and employee in one year, and a record of the first payment again: a lead of 2 payments, 3 records.
    e(5, 2024, '410300', 'resident', '2023-10-01', 38_000),
    e(5, 2024, '410300', 'employee', '2024-03-01', null),
    e(5, 2024, '410300', 'resident', '2023-10-01', 38_000),
  ];
  const data = monitoringData({ persons: 6, institutions: 0, visits: [], enrollments });
  const Y2024 = span('2024-01-01', '2024-12-31');

  it('fires for two payments in one year, whatever the regions or schemes', () => {
    const leads = enrolDupLeads(data, {}, Y2024);
    expect(leads.map((l) => [l.key, l.enrollments, l.figures.payments, l.figures.records])).toEqual([
      ['ENROL-DUP:P0:2024', ['E1', 'E2'], 2, 2],
      ['ENROL-DUP:P3:2024', ['E7', 'E8'], 2, 2],
      ['ENROL-DUP:P5:2024', ['E11', 'E13', 'E12'], 2, 3],
    ]);
    const [p0, , p5] = leads;
    expect(p0).toMatchObject({ person: 0, rows: [], amountFen: 0, amountComputed: false, figures: { coverageYear: 2024, regions: '410300、410900', schemes: 'resident' } });
    expect(p0!.content).toBe(
      '参保人2024年度有2笔非转移接续的参保缴费：2023-10-01在410300参加城乡居民医保，缴费380.00元；2023-11-15在410900参加城乡居民医保，缴费380.00元。' +
        '同一参保人同一年度只应参保一次（医保关系转移接续除外），疑似重复参保、重复享受财政补助；重复补助的金额不在本账内，未计算违规金额。',
    );
    expect(p5!.content).toContain('2024-03-01在410300参加职工医保（另有1条记录与上列缴费的地区、险种、缴费日期相同');
  });

  it('two records of one day, region and scheme with different amounts are two payments', () => {
    const d = monitoringData({
      persons: 1,
      institutions: 0,
      visits: [],
      enrollments: [e(0, 2024, '410300', 'resident', '2023-10-01', 38_000), e(0, 2024, '410300', 'resident', '2023-10-01', 40_000)],
    });
    expect(enrolDupLeads(d, {}, Y2024)).toHaveLength(1);
  });

  it('looks at the coverage years the span touches, and ignores newFromMs', () => {
    expect(enrolDupLeads(data, {}, span('2025-01-01', '2025-12-31'))).toEqual([]);
    expect(enrolDupLeads(data, {}, span('2023-01-01', '2023-12-31'))).toEqual([]);
    // A span over the new year touches 2023 and 2024.
    expect(enrolDupLeads(data, {}, span('2023-12-31', '2024-01-01'))).toHaveLength(3);
    expect(enrolDupLeads(data, {}, { ...Y2024, newFromMs: Y2024.toMs })).toHaveLength(3);
  });

  it('has no parameter: the empty setting is the only one', () => {
    expect(ENROL_DUP.parameters).toEqual([]);
    expect(ENROL_DUP.schema.safeParse({}).success).toBe(true);
    expect(ENROL_DUP.schema.safeParse({ minPayments: 2 }).success).toBe(false);
  });
});
