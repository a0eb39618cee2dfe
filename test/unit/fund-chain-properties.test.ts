/**
 * Property tests of the fund chain past the basic fund (临医保发〔2019〕15号 三(一), 三(三); medical
 * assistance from the test file): random years of Linfen stays, random hardship groups, random
 * referral situations, settled in order with the accumulators carried. For any input:
 *
 *   - the parts add up to the total exactly and none is negative; the funds together never pay
 *     more than the eligible amount;
 *   - a year's critical-illness payments are the ratio of the year's counted self-paid cost above
 *     the threshold, to within the rounding of each stay (half a fen), and never above the cap
 *     (no cap for 建档立卡);
 *   - medical assistance never pays above its yearly cap;
 *   - the trace does not change the amounts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Grade, Hardship } from '../../src/domain.js';
import { MemoryAccumulators } from '../../src/engine/accumulators.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { Person, Settlement, Visit } from '../../src/engine/types.js';
import { loadPolicies } from '../../src/policy/policies.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const policies = loadPolicies({ policyFiles: [`${ROOT}examples/linfen-inpatient-user-policy.yaml`, `${ROOT}test/fixtures/linfen-assistance-user.yaml`] });
const engine = new SettlementEngine(policies);

/** The document's figures, in fen and basis points, to check against (三(三)). */
const THRESHOLD = { general: 1_000_000, hardship: 500_000 };
const RATIO: Record<string, number> = { none: 7500, jiandang: 8000, 'rural-tekun': 8000, dibao: 7800, other: 7800, fanpin: 7800 };
const CI_CAP = 40_000_000;
const ASSISTANCE_CAP = 500_000; // the test file's 低保 cap

const stayArb = fc.record({
  day: fc.integer({ min: 0, max: 729 }),
  grade: fc.constantFrom<Grade>(0, 1, 2, 3),
  total: fc.integer({ min: 0, max: 200_000_000 }),
  eligibleShare: fc.integer({ min: 0, max: 100 }),
  outOfCounty: fc.boolean(),
  referred: fc.boolean(),
});

const caseArb = fc.record({
  hardship: fc.constantFrom<Hardship | 'none'>('none', 'jiandang', 'rural-tekun', 'dibao', 'other', 'fanpin'),
  stays: fc.array(stayArb, { minLength: 1, maxLength: 12 }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function run(c: Case, trace: boolean): Settlement[] {
  const person: Person = { id: 'P', region: '141000', scheme: 'resident', category: 'adult', ...(c.hardship === 'none' ? {} : { hardship: c.hardship }) };
  const acc = new MemoryAccumulators();
  const start = Date.parse('2019-01-01T10:00:00+08:00');
  return [...c.stays]
    .sort((a, b) => a.day - b.day)
    .map((s, i) => {
      const eligible = Math.floor((s.total * s.eligibleShare) / 100);
      const visit: Visit = {
        id: `v${i}`,
        time: start + s.day * 86_400_000 + i,
        type: 'inpatient',
        institution: { id: `H${s.grade}`, tier: 'city', grade: s.grade, contracted: true },
        total: s.total,
        eligible,
        useAccount: false,
        outOfCounty: s.outOfCounty,
        referred: s.referred,
      };
      const settled = engine.settle(person, visit, acc, { trace });
      acc.apply(settled.changes);
      return settled;
    });
}

describe('fund chain properties (Linfen stays)', () => {
  it('parts add up; critical illness is the ratio of the year above the threshold, capped; assistance capped', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const out = run(c, false);
        const years = new Map<number, { counted: number; ci: number; assistance: number; stays: number }>();
        for (const s of out) {
          const parts = s.fundPay + s.criticalIllnessPay + s.assistancePay + s.accountPay + s.cashPay;
          expect(parts).toBe(s.total);
          for (const p of [s.fundPay, s.criticalIllnessPay, s.assistancePay, s.cashPay]) expect(p).toBeGreaterThanOrEqual(0);
          expect(s.fundPay + s.criticalIllnessPay + s.assistancePay).toBeLessThanOrEqual(s.eligible);
          const year = new Date(s.date * 86_400_000).getUTCFullYear();
          const y = years.get(year) ?? { counted: 0, ci: 0, assistance: 0, stays: 0 };
          const counted = s.changes.layers?.find((l) => l.bucket === 'critical-illness-self-paid');
          if (counted) y.counted = counted.after;
          y.ci += s.criticalIllnessPay;
          y.assistance += s.assistancePay;
          y.stays += 1;
          years.set(year, y);
        }
        for (const y of years.values()) {
          const threshold = c.hardship === 'none' ? THRESHOLD.general : THRESHOLD.hardship;
          const ideal = (Math.max(0, y.counted - threshold) * (RATIO[c.hardship] as number)) / 10_000;
          const capped = c.hardship === 'jiandang' ? ideal : Math.min(ideal, CI_CAP);
          expect(Math.abs(y.ci - capped)).toBeLessThanOrEqual(y.stays * 0.5 + 1e-9);
          if (c.hardship !== 'jiandang') expect(y.ci).toBeLessThanOrEqual(CI_CAP);
          expect(y.assistance).toBeLessThanOrEqual(ASSISTANCE_CAP);
          if (c.hardship !== 'dibao') expect(y.assistance).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the trace does not change the amounts', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const strip = (s: Settlement) => ({ ...s, trace: null });
        expect(run(c, true).map(strip)).toEqual(run(c, false).map(strip));
      }),
      { numRuns: 100 },
    );
  });
});
