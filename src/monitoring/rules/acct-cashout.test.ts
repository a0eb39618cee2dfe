import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chinaDay } from '../../calendar/calendar.js';
import { at, monitoringData, rowTimes, span, type InstitutionSpec, type VisitSpec } from '../../../test/support/monitoring.js';
import { ACCT_CASHOUT, type AcctCashoutParams } from './acct-cashout.js';

const MARCH = span('2024-03-01', '2024-03-31');
// H0, H1 pharmacies; H2 a medical institution; H3 of no recorded kind.
const INSTITUTIONS: InstitutionSpec[] = [{ kind: 'pharmacy' }, { kind: 'pharmacy' }, { kind: 'medical' }, { kind: 'unknown' }];
const evaluate = (data: Parameters<typeof ACCT_CASHOUT.evaluate>[0], params: AcctCashoutParams, ctx = MARCH) => ACCT_CASHOUT.evaluate(data, params, ctx);

describe('ACCT-CASHOUT 个人账户套现嫌疑', () => {
  const data = monitoringData({
    persons: 3,
    institutions: INSTITUTIONS,
    visits: [
      // P0 at pharmacy H0: 100.00, 100.00, 88.50 on 03-01..03-03, 200.00 on 03-05, all by the account.
      { person: 0, institution: 0, at: '2024-03-01 10:00', account: 10_000 },
      { person: 0, institution: 0, at: '2024-03-02 10:00', account: 10_000 },
      { person: 0, institution: 0, at: '2024-03-02 11:00', cash: 3_000 }, // cash only: not a purchase by the account
      { person: 0, institution: 1, at: '2024-03-03 09:00', account: 50_000 }, // another pharmacy
      { person: 0, institution: 0, at: '2024-03-03 10:00', account: 8_850 },
      { person: 0, institution: 0, at: '2024-03-05 10:00', account: 20_000 },
      // P2: account payments at a medical institution (not judged by this rule) and at one of no kind.
      { person: 2, institution: 2, at: '2024-03-03 10:00', account: 500 },
      { person: 2, institution: 3, at: '2024-03-03 11:00', account: 500 },
    ],
  });
  const base = { windowDays: 3, minPurchases: 3, minAccountFen: 28_000 };

  it('fires when a window of days holds enough account purchases at one pharmacy', () => {
    // Window 03-01..03-03 at H0: 3 purchases, 10000 + 10000 + 8850 = 28850 fen ≥ 28000. The 03-05
    // purchase starts a new window (03-03 is in the lead already): 1 purchase.
    const leads = evaluate(data, base);
    expect(leads).toHaveLength(1);
    const [lead] = leads;
    expect(lead).toMatchObject({
      ruleId: 'ACCT-CASHOUT',
      key: `ACCT-CASHOUT:P0:H0:${at('2024-03-03 10:00')}`,
      person: 0,
      institution: 0,
      amountFen: 28_850,
      amountComputed: true,
      rowAmountsFen: [8_850, 10_000, 10_000],
      figures: { purchases: 3, accountFen: 28_850, firstDay: '2024-03-01', lastDay: '2024-03-03', windowDays: 3 },
    });
    expect(rowTimes(data, lead!.rows)).toEqual(['P0 2024-03-03 10:00', 'P0 2024-03-01 10:00', 'P0 2024-03-02 10:00']);
    expect(lead!.content).toContain('用个人账户支付购药3次，个人账户支付合计288.50元');
    expect(lead!.content).toContain('3日内≥3次且合计≥280.00元');
  });

  it('does not fire just below each threshold', () => {
    expect(evaluate(data, { ...base, minAccountFen: 28_851 })).toEqual([]);
    expect(evaluate(data, { ...base, minPurchases: 4 })).toEqual([]);
    // Two days: 03-02..03-03 holds 2 purchases.
    expect(evaluate(data, { ...base, windowDays: 2 })).toEqual([]);
    // From 03-02 the window holds 2 purchases.
    expect(evaluate(data, base, span('2024-03-02', '2024-03-31'))).toEqual([]);
  });

  it('with round amounts, requires their share: 2 of 3 purchases are whole 100 yuan', () => {
    // 2 × 100 = 200 ≥ 66 × 3 = 198: fires; 200 < 67 × 3 = 201: does not.
    const fires = evaluate(data, { ...base, roundAmountFen: 10_000, minRoundSharePercent: 66 });
    expect(fires.map((l) => [l.amountFen, l.figures.roundPurchases])).toEqual([[28_850, 2]]);
    expect(fires[0]!.content).toContain('其中总金额为100.00元整数倍的2次');
    expect(evaluate(data, { ...base, roundAmountFen: 10_000, minRoundSharePercent: 67 })).toEqual([]);
    // Equality fires: 1 of 2 whole 100 yuan is 50 %: 1 × 100 = 50 × 2.
    const two = monitoringData({
      persons: 1,
      institutions: INSTITUTIONS,
      visits: [
        { person: 0, institution: 0, at: '2024-03-01 10:00', account: 10_000 },
        { person: 0, institution: 0, at: '2024-03-01 11:00', account: 9_999 },
      ],
    });
    const p2 = { windowDays: 1, minPurchases: 2, minAccountFen: 19_999, roundAmountFen: 10_000 };
    expect(evaluate(two, { ...p2, minRoundSharePercent: 50 }).map((l) => l.amountFen)).toEqual([19_999]);
    expect(evaluate(two, { ...p2, minRoundSharePercent: 51 })).toEqual([]);
  });

  it('never puts a purchase in two leads: the next window starts after a lead', () => {
    // Daily 10.00 yuan purchases 03-01..03-06; 2 in 3 days, 20.00 yuan: leads at 03-02, 03-04, 03-06.
    const daily = monitoringData({
      persons: 1,
      institutions: INSTITUTIONS,
      visits: Array.from({ length: 6 }, (_, i) => ({ person: 0, institution: 0, at: `2024-03-0${i + 1} 10:00`, account: 1_000 })),
    });
    const leads = evaluate(daily, { windowDays: 3, minPurchases: 2, minAccountFen: 2_000 });
    expect(leads.map((l) => rowTimes(daily, l.rows).map((t) => t.slice(3, 13)))).toEqual([
      ['2024-03-02', '2024-03-01'],
      ['2024-03-04', '2024-03-03'],
      ['2024-03-06', '2024-03-05'],
    ]);
    expect(leads.map((l) => l.amountFen)).toEqual([2_000, 2_000, 2_000]);
  });

  it('reports a lead in an incremental run only with a new purchase', () => {
    expect(evaluate(data, base, { ...MARCH, newFromMs: at('2024-03-03 10:00') })).toHaveLength(1);
    expect(evaluate(data, base, { ...MARCH, newFromMs: at('2024-03-03 10:01') })).toEqual([]);
  });

  it('counts account purchases at institutions of no recorded kind as not judged', () => {
    expect(ACCT_CASHOUT.unjudged?.(data, base, MARCH)).toBe('1笔个人账户支付的结算所在机构未登记类型（定点医疗机构或定点零售药店），未判断');
    expect(ACCT_CASHOUT.unjudged?.(data, base, { ...MARCH, newFromMs: at('2024-03-03 11:01') })).toBeUndefined();
    // Even the lowest thresholds judge nothing at H2 (medical) or H3 (unknown).
    expect(evaluate(data, { windowDays: 1, minPurchases: 1, minAccountFen: 1 }).filter((l) => l.person === 2)).toEqual([]);
  });

  it('has no default: the three required, the round pair both or neither', () => {
    const ok = (v: unknown) => ACCT_CASHOUT.schema.safeParse(v).success;
    expect(ok(base)).toBe(true);
    expect(ok({ minPurchases: 3, minAccountFen: 28_000 })).toBe(false);
    expect(ok({ windowDays: 3, minAccountFen: 28_000 })).toBe(false);
    expect(ok({ windowDays: 3, minPurchases: 3 })).toBe(false);
    expect(ok({ ...base, roundAmountFen: 10_000 })).toBe(false);
    expect(ok({ ...base, minRoundSharePercent: 50 })).toBe(false);
    expect(ok({ ...base, roundAmountFen: 10_000, minRoundSharePercent: 50 })).toBe(true);
    expect(ok({ ...base, roundAmountFen: 10_000, minRoundSharePercent: 101 })).toBe(false);
  });

  it('finds the windows a naive scan finds, with round amounts or without', () => {
    const purchase = fc.record({
      person: fc.integer({ min: 0, max: 2 }),
      institution: fc.integer({ min: 0, max: 3 }),
      minute: fc.integer({ min: 0, max: 10 * 1440 - 1 }),
      account: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 3 }).map((k) => k * 1_000),
        fc.integer({ min: 1, max: 5_000 }),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(purchase, { maxLength: 50 }),
        fc.record({ windowDays: fc.integer({ min: 1, max: 4 }), minPurchases: fc.integer({ min: 1, max: 4 }), minAccountFen: fc.integer({ min: 1, max: 8_000 }) }),
        // Shares that windows of 1 to 4 purchases can meet exactly (equality fires) as well as any.
        fc.option(fc.oneof(fc.constantFrom(25, 50, 75, 100), fc.integer({ min: 1, max: 100 })), { nil: undefined }),
        (ps, base, share) => {
          const params: AcctCashoutParams = share === undefined ? base : { ...base, roundAmountFen: 1_000, minRoundSharePercent: share };
          const t0 = at('2024-03-01 00:00');
          const visits: VisitSpec[] = ps.map((p) => ({ person: p.person, institution: p.institution, at: t0 + p.minute * 60_000, account: p.account }));
          const d = monitoringData({ persons: 3, institutions: INSTITUTIONS, visits });
          // Naive: each person's account purchases at each pharmacy in time order (ties in arrival order); at each,
          // the window is the purchases since the last lead within windowDays; a lead starts the next window after it.
          const expected: string[] = [];
          for (let person = 0; person < 3; person++) {
            for (const institution of [0, 1]) {
              const mine = visits
                .filter((v) => v.person === person && v.institution === institution && (v.account ?? 0) > 0)
                .map((v) => ({ t: v.at as number, day: chinaDay(v.at as number), account: v.account! }))
                .sort((a, b) => a.t - b.t);
              let start = 0;
              for (let i = 0; i < mine.length; i++) {
                const w = mine.slice(start, i + 1).filter((x) => x.day > mine[i]!.day - params.windowDays);
                const sum = w.reduce((a, x) => a + x.account, 0);
                const round = w.filter((x) => x.account % 1_000 === 0).length;
                if (w.length < params.minPurchases || sum < params.minAccountFen) continue;
                if (share !== undefined && round * 100 < share * w.length) continue;
                expected.push(`P${person}:H${institution}:${mine[i]!.t}=${sum}/${w.length}`);
                start = i + 1;
              }
            }
          }
          const got = evaluate(d, params).map((l) => `${l.key.slice('ACCT-CASHOUT:'.length)}=${l.amountFen}/${l.rows.length}`);
          expect(got.sort()).toEqual(expected.sort());
        },
      ),
      { numRuns: 1000 },
    );
  });
});
