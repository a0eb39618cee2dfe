/**
 * Property tests of the settlement engine against the real built-in policies: random persons
 * (Luoyang residents, Puyang employees), random years of visits in time order at random
 * institutions, settled in order with the accumulators carried. Invariants that must hold for any
 * input, whatever the policy says:
 *
 *   - the parts add up to the total exactly, and none is negative;
 *   - the fund never pays more than the eligible amount, the deductible is never more than it;
 *   - over a cap bucket and year the fund never pays more than the cap;
 *   - the deductible borne at one institution within one window never exceeds the class's
 *     deductible (the window: the visit's China calendar day — Luoyang 63号 二(一)2 一天（自然日）, and
 *     Puyang 第十二条(四) 当日（24小时） read as 0时至24时);
 *   - settling is pure: the same sequence twice gives the same results, and the explanation
 *     (trace) does not change the amounts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chinaDay, dayOf } from '../../src/calendar/calendar.js';
import type { Category, Grade, Hardship, Tier, VisitType } from '../../src/domain.js';
import { MemoryAccumulators } from '../../src/engine/accumulators.js';
import { SettlementError } from '../../src/engine/errors.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { Person, Settlement, Visit } from '../../src/engine/types.js';
import { loadPolicies } from '../../src/policy/policies.js';

const policies = loadPolicies();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2022-07-01T00:00:00+08:00');
const END = Date.parse('2025-12-31T23:59:59+08:00');
const NUM_RUNS = 150;

// ---------------------------------------------------------------------------------------------
// Generators

const tierArb = fc.constantFrom<Tier>('primary', 'county', 'city', 'province');
const gradeArb = fc.constantFrom<Grade>(0, 1, 2, 3);

interface InstitutionSpec {
  tier: Tier;
  grade: Grade;
  contracted: boolean;
}

/** A small pool of institutions per person, so that visits come back to the same one. */
const institutionPoolArb = fc.array(
  fc.record({
    tier: tierArb,
    grade: gradeArb,
    contracted: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  }),
  { minLength: 1, maxLength: 6 },
);

const residentArb = (poolSize: number) =>
  fc
    .record(
      {
        category: fc.constantFrom<Category>('adult', 'child', 'student', 'newborn'),
        hardship: fc.constantFrom<Hardship>('tekun', 'dibao', 'fanpin', 'monitored', 'jiandang', 'rural-tekun', 'other'),
        enrollment: fc.integer({ min: 2022, max: 2026 }).chain((coverageYear) =>
          fc.record({
            coverageYear: fc.constant(coverageYear),
            // From the start of the concentrated period before the year to the end of the year.
            paidOn: fc.integer({ min: dayOf(coverageYear - 1, 9, 1), max: dayOf(coverageYear, 12, 31) }),
            transfer: fc.boolean(),
          }),
        ),
      },
      { requiredKeys: ['category'] },
    )
    .map((r): Person => {
      void poolSize;
      const p: Person = { id: 'p', region: '410300', scheme: 'resident', category: r.category };
      if (r.hardship) p.hardship = r.hardship;
      if (r.enrollment) p.enrollment = r.enrollment;
      return p;
    });

const employeeArb = (poolSize: number) =>
  fc
    .record(
      {
        category: fc.constantFrom<Category>('active', 'retired'),
        familyDoctorAt: fc.integer({ min: 0, max: poolSize - 1 }),
      },
      { requiredKeys: ['category'] },
    )
    .map((r): Person => {
      const p: Person = { id: 'p', region: '410900', scheme: 'employee', category: r.category };
      if (r.familyDoctorAt !== undefined) p.familyDoctorAt = `I${r.familyDoctorAt}`;
      return p;
    });

/** Time between visits: mostly hours (to exercise the deductible windows) or days; sometimes exactly 24 h. */
const gapArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 36 * 3600 }).map((s) => s * 1000) },
  { weight: 1, arbitrary: fc.constantFrom(0, DAY - 1000, DAY, DAY + 1000) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 90 * 24 * 60 }).map((m) => m * 60_000) },
);

/** Total 0..5000 yuan in fen, sometimes tiny (rounding); eligible ≤ total. */
const amountsArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 500_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }) }).chain((total) =>
  fc.record({
    total: fc.constant(total),
    eligible: fc.oneof(fc.constant(total), fc.integer({ min: 0, max: total }), fc.constant(0)),
  }),
);

interface VisitSpec {
  gap: number;
  institution: number;
  type: VisitType;
  total: number;
  eligible: number;
}

const visitSpecArb = (poolSize: number, resident: boolean) =>
  fc
    .record({
      gap: gapArb,
      institution: fc.integer({ min: 0, max: poolSize - 1 }),
      type: resident
        ? fc.oneof({ weight: 10, arbitrary: fc.constant<VisitType>('outpatient') }, { weight: 1, arbitrary: fc.constantFrom<VisitType>('birth-natural', 'birth-cesarean') })
        : fc.constant<VisitType>('outpatient'),
      amounts: amountsArb,
    })
    .map((v): VisitSpec => ({ gap: v.gap, institution: v.institution, type: v.type, total: v.amounts.total, eligible: v.amounts.eligible }));

interface Scenario {
  person: Person;
  visits: Visit[];
}

function buildVisits(start: number, pool: InstitutionSpec[], specs: VisitSpec[]): Visit[] {
  const visits: Visit[] = [];
  let t = start;
  specs.forEach((s, i) => {
    t += s.gap;
    if (t > END) return;
    const inst = pool[s.institution] as InstitutionSpec;
    visits.push({
      id: `v${i}`,
      time: t,
      type: s.type,
      institution: { id: `I${s.institution}`, tier: inst.tier, grade: inst.grade, contracted: inst.contracted },
      total: s.total,
      eligible: s.eligible,
      useAccount: false,
    });
  });
  return visits;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .tuple(institutionPoolArb, fc.boolean())
  .chain(([pool, resident]) =>
    fc.record({
      pool: fc.constant(pool),
      person: resident ? residentArb(pool.length) : employeeArb(pool.length),
      start: fc.integer({ min: START, max: END }),
      specs: fc.array(visitSpecArb(pool.length, resident), { minLength: 1, maxLength: 80, size: 'medium' }),
    }),
  )
  .map(({ pool, person, start, specs }) => ({ person, visits: buildVisits(start, pool, specs) }));

// ---------------------------------------------------------------------------------------------
// Running a scenario

type Outcome = { visit: Visit; settlement: Settlement } | { visit: Visit; error: string };

function run(engine: SettlementEngine, s: Scenario, trace: boolean): Outcome[] {
  const acc = new MemoryAccumulators();
  const out: Outcome[] = [];
  for (const visit of s.visits) {
    try {
      const settlement = engine.settle(s.person, visit, acc, { trace });
      acc.apply(settlement.changes);
      out.push({ visit, settlement });
    } catch (e) {
      if (!(e instanceof SettlementError)) throw e;
      out.push({ visit, error: e.code });
    }
  }
  return out;
}

const settled = (outcomes: Outcome[]) => outcomes.flatMap((o) => ('settlement' in o ? [{ visit: o.visit, s: o.settlement }] : []));

function withoutTrace(o: Outcome): unknown {
  if (!('settlement' in o)) return o;
  const { trace, ...rest } = o.settlement;
  void trace;
  return { visit: o.visit, settlement: rest };
}

/**
 * The deductible per class as the documents give it (yuan × 100), and how the window is read.
 * Worked out from the documents, not read from the policy files.
 */
const CLASS_DEDUCTIBLE: Record<string, { window: 'natural-day' | 'none'; classes: Record<string, number> }> = {
  // 濮阳 第十二条(一)(四): 当日（24小时）, read as the calendar day.
  'puyang-2022': { window: 'natural-day', classes: { 'grade-1-and-below': 0, 'grade-2': 3000, 'grade-3': 5000 } },
  // 洛医保〔2023〕63号 二(一)2: 基层 none, 县级（含一级）50, 市级及以上 50; one per natural day per institution.
  'luoyang-2024': { window: 'natural-day', classes: { primary: 0, county: 5000, city: 5000 } },
  // 洛医保〔2022〕36号 第八条: no deductible.
  'luoyang-2022': { window: 'none', classes: { any: 0 } },
};

const engine = new SettlementEngine(policies);

// ---------------------------------------------------------------------------------------------
// Properties

describe('settlement properties (built-in policies, random persons and visits)', () => {
  it('the parts add up to the total exactly and none is negative', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        for (const { s } of settled(run(engine, sc, false))) {
          const parts = [s.fundPay, s.criticalIllnessPay, s.assistancePay, s.accountPay, s.cashPay];
          for (const p of parts) {
            expect(Number.isSafeInteger(p)).toBe(true);
            expect(p).toBeGreaterThanOrEqual(0);
          }
          expect(parts.reduce((a, b) => a + b, 0)).toBe(s.total);
          expect(s.deductible).toBeGreaterThanOrEqual(0);
          expect(s.outOfScope).toBeGreaterThanOrEqual(0);
          expect(s.eligible + s.outOfScope).toBe(s.total);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the fund pays at most the eligible amount; the deductible is at most the eligible amount', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        for (const { s } of settled(run(engine, sc, false))) {
          expect(s.fundPay).toBeLessThanOrEqual(s.eligible);
          expect(s.deductible).toBeLessThanOrEqual(s.eligible);
          expect(s.fundPay + s.deductible).toBeLessThanOrEqual(s.eligible);
          if (s.eligibility !== 'covered') expect(s.fundPay).toBe(0);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('over each cap bucket and year the fund never pays more than the cap', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const paid = new Map<string, number>();
        for (const { s } of settled(run(engine, sc, false))) {
          if (!s.cap) continue;
          const key = `${s.cap.bucket}|${s.cap.year}`;
          const before = paid.get(key) ?? 0;
          // The accumulators carried the fund's payments so far in this bucket and year.
          expect(s.cap.usedBefore).toBe(before);
          expect(s.cap.usedAfter).toBe(before + s.fundPay);
          const after = before + s.fundPay;
          paid.set(key, after);
          expect(after).toBeLessThanOrEqual(s.cap.limit);
          // The year of the cap is the visit's calendar year in China.
          expect(s.cap.year).toBe(new Date(s.date * DAY).getUTCFullYear());
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the deductible borne at one institution within one window never exceeds the class deductible', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        // (bucket, institution, day) → the deductible borne in that window.
        const windows = new Map<string, number>();
        for (const { visit, s } of settled(run(engine, sc, false))) {
          if (s.eligibility !== 'covered' || s.institutionClass === null) {
            expect(s.deductible).toBe(0);
            continue;
          }
          const rule = CLASS_DEDUCTIBLE[s.policyId];
          expect(rule, `deductible rule for ${s.policyId}`).toBeDefined();
          if (!rule) continue;
          const standard = rule.classes[s.institutionClass];
          expect(standard, `${s.policyId} class ${s.institutionClass}`).toBeDefined();
          if (standard === undefined) continue;
          const key = `${s.cap?.bucket}|${visit.institution.id}|${chinaDay(visit.time)}`;
          const borneBefore = rule.window === 'natural-day' ? (windows.get(key) ?? 0) : 0;
          // The deductible is an amount per window: what is left of it, as far as the eligible amount goes.
          expect(s.deductible).toBe(Math.min(Math.max(standard - borneBefore, 0), s.eligible));
          if (s.deductible > 0) {
            windows.set(key, borneBefore + s.deductible);
            expect(borneBefore + s.deductible).toBeLessThanOrEqual(standard);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the deductible borne in each window does not depend on the order the visits are settled in', () => {
    // Each window (bucket, institution, China day) bears min(standard, what its visits had eligible),
    // in time order and in any other; caps are first come, first served, so only the deductible is compared.
    const byWindow = (outcomes: Outcome[]) => {
      const windows = new Map<string, { borne: number; eligible: number; standard: number }>();
      for (const { visit, s } of settled(outcomes)) {
        const standard = s.institutionClass === null ? undefined : CLASS_DEDUCTIBLE[s.policyId]?.classes[s.institutionClass];
        if (s.eligibility !== 'covered' || standard === undefined || standard === 0) continue;
        const key = `${s.cap?.bucket}|${visit.institution.id}|${chinaDay(visit.time)}`;
        const w = windows.get(key) ?? { borne: 0, eligible: 0, standard };
        w.borne += s.deductible;
        w.eligible += s.eligible;
        windows.set(key, w);
      }
      return windows;
    };
    const shuffledArb = scenarioArb.chain((sc) =>
      fc.shuffledSubarray(sc.visits, { minLength: sc.visits.length, maxLength: sc.visits.length }).map((visits) => ({ sc, shuffled: { ...sc, visits } })),
    );
    fc.assert(
      fc.property(shuffledArb, ({ sc, shuffled }) => {
        const inOrder = byWindow(run(engine, sc, false));
        expect(byWindow(run(engine, shuffled, false))).toEqual(inOrder);
        for (const w of inOrder.values()) expect(w.borne).toBe(Math.min(w.standard, w.eligible));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('settling is pure: the same sequence twice, or with a fresh engine, gives identical results', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const first = run(engine, sc, false);
        const second = run(engine, sc, false);
        const fresh = run(new SettlementEngine(policies), sc, false);
        expect(second).toEqual(first);
        expect(fresh).toEqual(first);
        // Settling twice against the same accumulators, before applying, gives the same answer and
        // changes nothing.
        const acc = new MemoryAccumulators();
        for (const visit of sc.visits) {
          let a: Settlement;
          try {
            a = engine.settle(sc.person, visit, acc);
          } catch (e) {
            if (!(e instanceof SettlementError)) throw e;
            expect(() => engine.settle(sc.person, visit, acc)).toThrow(SettlementError);
            continue;
          }
          const entries = acc.capEntries();
          const b = engine.settle(sc.person, visit, acc);
          expect(b).toEqual(a);
          expect(acc.capEntries()).toEqual(entries);
          acc.apply(a.changes);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the trace does not change the amounts', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const plain = run(engine, sc, false);
        const traced = run(engine, sc, true);
        expect(traced.map(withoutTrace)).toEqual(plain.map(withoutTrace));
        for (const o of traced) if ('settlement' in o) expect(Array.isArray(o.settlement.trace)).toBe(true);
        for (const o of plain) if ('settlement' in o) expect(o.settlement.trace).toBeNull();
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the generated scenarios reach the interesting paths', () => {
    // Not a property: a check that the generators are not vacuous (caps hit, deductibles shared
    // within a window, non-contracted visits, failures, both regions, birth visits).
    const seen = { capHit: 0, sharedWindow: 0, nonContracted: 0, failed: 0, puyang: 0, luoyang: 0, birth: 0, familyDoctor: 0 };
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const outcomes = run(engine, sc, false);
        for (const o of outcomes) {
          if (!('settlement' in o)) {
            seen.failed++;
            continue;
          }
          const s = o.settlement;
          if (s.policyId.startsWith('puyang')) seen.puyang++;
          else seen.luoyang++;
          if (s.cap && s.cap.usedAfter === s.cap.limit && s.fundPay > 0) seen.capHit++;
          if (s.eligibility === 'non-contracted') seen.nonContracted++;
          if (s.institutionClass !== null && s.institutionClass !== 'grade-1-and-below' && s.institutionClass !== 'primary' && s.deductible === 0 && s.eligible > 0)
            seen.sharedWindow++;
          if (o.visit.type !== 'outpatient') seen.birth++;
          if (sc.person.familyDoctorAt === o.visit.institution.id && s.ratio !== null) seen.familyDoctor++;
        }
      }),
      { numRuns: NUM_RUNS },
    );
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
  });
});
