import { describe, expect, it } from 'vitest';
import { scenarioProblems } from '../../test/support/problems.js';
import { SettlementEngine } from '../engine/settle.js';
import { loadPolicies } from '../policy/policies.js';
import { choosePolicyYears } from './policy-year.js';
import { costAt, daySlots, MONTH_OF_DAY, slots } from './population.js';
import { poissonTable, U32 } from './rng.js';
import { parseScenario, PPM, ScenarioError } from './scenario.js';

const tier = (share: number) => ({ share, cost: { p0: 10, p50: 50, p100: 500 } });
const valid = {
  format: 'yibao-scenario/1',
  seed: 7,
  year: 2024,
  policies: ['luoyang-2024', { pack: 'luoyang-2022', year: 2023 }],
  population: { size: 100, shares: { student: 5, child: 20.5 }, hardship: { dibao: 3 } },
  visits: { perPerson: { adult: 10, child: 8.5, student: 6 } },
  tiers: { primary: { ...tier(70), eligible: { min: 80, max: 100 } }, county: { ...tier(30), grade: { 1: 40, 2: 60 } } },
};

const problems = (data: unknown) => scenarioProblems(() => parseScenario(data));

describe('parseScenario', () => {
  it('reads shares as basis points, amounts as fen, costs as quantile knots', () => {
    const s = parseScenario(valid);
    expect(s.policies).toEqual([{ pack: 'luoyang-2024' }, { pack: 'luoyang-2022', year: 2023 }]);
    expect(s.population.kind).toBe('synthetic');
    if (s.population.kind !== 'synthetic') return;
    // adult, child, student, newborn, active, retired: adults take the rest.
    expect(s.population.categoryShares).toEqual([7450, 2050, 500, 0, 0, 0]);
    expect(s.population.hardshipShares).toEqual([0, 300, 0, 0, 0, 0, 0]);
    expect(s.population.visitsPerPerson).toEqual([10, 8.5, 6, 0, 0, 0]);
    expect(s.population.tiers[0]).toMatchObject({ share: 7000, grades: [10_000, 0, 0, 0], eligibleMin: 8000, eligibleMax: 10_000, institutions: 100, contracted: 10_000 });
    expect(s.population.tiers[1]).toMatchObject({ share: 3000, grades: [0, 4000, 6000, 0], eligibleMin: 10_000 });
    expect(s.population.tiers[0]?.cost).toEqual([
      { at: 0, fen: 1000 },
      { at: PPM / 2, fen: 5000 },
      { at: PPM, fen: 50_000 },
    ]);
    expect(s.histogram[0]).toBe(0);
    expect(s.contributions).toEqual({ countyType: 'ordinary' });
  });

  it('names every bad field', () => {
    expect(
      problems({
        ...valid,
        format: 'x',
        seed: -1,
        policies: [],
        population: { size: 0, shares: { student: 60, child: 50, adult: 1 }, extra: 1 },
        visits: { perPerson: { adult: -1 }, months: [1, 2] },
        tiers: { primary: { share: 50.001, cost: { p0: 5, p50: 3, p110: 1 } }, county: { share: 40, cost: { p50: 5 }, eligible: { min: 90, max: 80 } } },
      }),
    ).toEqual([
      'format: must be yibao-scenario/1',
      'seed: must be a whole number 0 … 4294967295',
      'policies: must name at least one policy',
      'population.size: must be at least 1',
      'population: Unrecognized key: "extra"',
      'visits.perPerson.adult: must not be negative',
      'visits.months: must be 12 monthly weights, January first',
      'tiers.primary.share: must have at most two decimal places, got 50.001',
      'tiers.primary.cost.p110: keys are percentiles p0 … p100 (e.g. p50, p99.5)',
      'tiers.primary.cost: must give p0 (the least cost) and p100 (the greatest)',
      'tiers.primary.cost: amounts must not fall as the percentile rises',
      'tiers.county.cost: must give p0 (the least cost) and p100 (the greatest)',
    ]);
    // An empty distribution gives no cost to draw: refused, not a failure in the simulation's thread.
    expect(problems({ ...valid, tiers: { primary: { share: 50, cost: {} }, county: tier(50) } })).toEqual([
      'tiers.primary.cost: must give p0 (the least cost) and p100 (the greatest)',
    ]);
    // Cross-field checks once the fields themselves are good.
    expect(
      problems({
        ...valid,
        population: { size: 10, shares: { student: 60, child: 50, adult: 1 } },
        tiers: { primary: tier(50), county: { ...tier(40), eligible: { min: 90, max: 80 }, grade: { 2: 50 } } },
      }),
    ).toEqual([
      'population.shares: add up to 111%, more than 100% (adults take what is left)',
      'population.shares.adult: adults take what the other shares leave; do not give it',
      'tiers: visit shares add up to 90%, not 100%',
      'tiers.county.grade: grade shares add up to 50%, not 100%',
      'tiers.county.eligible: min must not exceed max',
    ]);
  });

  it('wants a population or claims, not both', () => {
    expect(problems({ format: 'yibao-scenario/1', policies: ['luoyang-2024'] })).toEqual([
      'population: is required for a synthetic population (or give claims: { file })',
      'visits: is required for a synthetic population (or give claims: { file })',
      'tiers: is required for a synthetic population (or give claims: { file })',
      'year: is required for a synthetic population (or give claims: { file })',
    ]);
    expect(problems({ ...valid, claims: { file: 'c.csv' } })).toEqual([
      'claims: give either claims (a CSV file) or population, visits and tiers, not both',
      'year: claims are of their own year: do not give year (to settle a policy in another year, give { pack, year })',
    ]);
  });
});

describe('choosePolicyYears', () => {
  const engine = new SettlementEngine(loadPolicies());
  const residents = { schemes: ['resident'] as const, visitTypes: ['outpatient'] as const };

  it('settles a pack in the scenario year, or the nearest year it governs whole', () => {
    const chosen = choosePolicyYears(engine, [{ pack: 'luoyang-2024' }, { pack: 'luoyang-2022' }], 2024, {
      ...residents,
      schemes: [...residents.schemes],
      visitTypes: [...residents.visitTypes],
    });
    expect(chosen.map((c) => [c.packId, c.year, c.shift])).toEqual([
      ['luoyang-2024', 2024, 0],
      ['luoyang-2022', 2023, -1],
    ]);
    expect(choosePolicyYears(engine, [{ pack: 'luoyang-2024' }], 2022, { schemes: ['resident'], visitTypes: ['outpatient'] }).map((c) => c.year)).toEqual([2024]);
  });

  it('refuses an unknown pack, and a year the pack does not govern', () => {
    let err: unknown;
    try {
      choosePolicyYears(engine, [{ pack: 'nowhere-2024' }, { pack: 'luoyang-2022', year: 2024 }, { pack: 'puyang-2022', year: 2022 }], 2024, {
        schemes: ['resident'],
        visitTypes: ['outpatient'],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    const p = (err as ScenarioError).problems;
    expect(p[0]).toMatch(/^policies\[0\]: unknown policy pack "nowhere-2024"; known: .*luoyang-2024/);
    expect(p[1]).toBe('policies[1].year: luoyang-2022 is not in force all of 2024');
    expect(p[2]).toBe('policies[2].year: puyang-2022 is not in force all of 2022');
  });
});

describe('draws', () => {
  it('costs: piecewise linear between the knots, in whole fen', () => {
    const knots = [
      { at: 0, fen: 1000 },
      { at: PPM / 2, fen: 5000 },
      { at: PPM, fen: 50_001 },
    ];
    expect(costAt(knots, 0)).toBe(1000);
    expect(costAt(knots, PPM / 4)).toBe(3000);
    expect(costAt(knots, PPM / 2)).toBe(5000);
    expect(costAt(knots, (PPM * 3) / 4)).toBe(27_501); // 27,500.5 rounded half up
    expect(costAt(knots, PPM)).toBe(50_001);
  });

  it('shares become slots of a 16-bit draw; days keep their months', () => {
    const s = slots([7000, 3000]);
    expect(s.filter((x) => x === 0).length).toBe(45_876); // 70% of 65,536 is 45,875.2: the slot it falls in is the share's
    const days = daySlots([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const months = new Set([...days].map((d) => MONTH_OF_DAY[d]));
    expect([...months].sort()).toEqual([0, 11]);
    expect(Math.max(...days)).toBe(365); // 31 December on the leap-year calendar
  });

  it('Poisson tables end at 2^32 and have the right mean', () => {
    const t = poissonTable(10);
    expect(t[t.length - 1]).toBe(U32);
    let mean = 0;
    let before = 0;
    t.forEach((c, k) => {
      mean += (k * (c - before)) / U32;
      before = c;
    });
    expect(mean).toBeCloseTo(10, 6);
    expect([...poissonTable(0)]).toEqual([U32]);
  });
});
