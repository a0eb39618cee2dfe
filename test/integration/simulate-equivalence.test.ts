/**
 * The simulation against the other settle paths, and against itself on other thread counts.
 *
 * Equivalence: thousands of synthetic persons (tens of thousands of visits, under both Luoyang
 * policies) are written out as `yibao settle` requests — JSON with ISO times and yuan amounts, as
 * a user would send them — and settled through parseSettleRequest + settleVisits (the CLI path);
 * a sample also goes one visit at a time through the Ledger over a temporary SQLite file. Every
 * visit's fund pay, cash pay and deductible must be the simulation's.
 *
 * Determinism: the same scenario on 0, 1, 2 and 4 worker threads, with different range sizes,
 * gives the same report to the fen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChinaTime } from '../../src/calendar/calendar.js';
import { CATEGORIES, HARDSHIP_GROUPS, schemeOf, VISIT_TYPES } from '../../src/domain.js';
import { SettlementError } from '../../src/engine/errors.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { Settlement } from '../../src/engine/types.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { formatYuan } from '../../src/money/money.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { settleVisits, isFailure } from '../../src/request/settle-person.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { parseSettleRequest } from '../../src/request/settle-request.js';
import { settleRange } from '../../src/sim/kernel.js';
import { choosePolicyYears, type ChosenPolicy } from '../../src/sim/policy-year.js';
import { PersonDraft, SyntheticPopulation } from '../../src/sim/population.js';
import { buildReport } from '../../src/sim/report.js';
import { readScenario, type Scenario, type SyntheticSpec } from '../../src/sim/scenario.js';
import { simulate, type SimulationRun } from '../../src/sim/simulate.js';
import { freshSqlite } from '../support/stores.js';

const policies = loadPolicies();

function exampleScenario(size: number): Scenario & { population: SyntheticSpec } {
  const s = readScenario('examples/simulate-luoyang-2024.yaml');
  if (s.population.kind !== 'synthetic') throw new Error('the example is synthetic');
  s.population.size = size;
  return s as Scenario & { population: SyntheticSpec };
}

interface Seen {
  fundPay: number;
  cashPay: number;
  deductible: number;
  error?: string;
}

/** Settles persons [0, n) in the simulation's kernel, keeping every visit's outcome. */
function simulated(scenario: Scenario & { population: SyntheticSpec }, n: number) {
  const engine = new SettlementEngine(policies);
  const source = new SyntheticPopulation(scenario.population, scenario.seed);
  const chosen = choosePolicyYears(engine, scenario.policies, scenario.year as number, { schemes: ['resident'], visitTypes: ['outpatient'] });
  const seen = new Map<string, Seen>();
  settleRange(engine, source, chosen, 0, n, {
    observe: (person, policy, visit, o) => {
      seen.set(
        `${person}/${policy}/${visit}`,
        o instanceof SettlementError ? { fundPay: 0, cashPay: 0, deductible: 0, error: o.code } : { fundPay: o.fundPay, cashPay: o.cashPay, deductible: o.deductible },
      );
    },
  });
  return { source, chosen, seen };
}

/** Person i's visits under a policy as the JSON a user sends to `yibao settle`. */
function requestJson(source: SyntheticPopulation, chosen: ChosenPolicy, i: number) {
  const d = new PersonDraft();
  source.fill(i, d);
  const category = CATEGORIES[d.category] as (typeof CATEGORIES)[number];
  const person: Record<string, unknown> = { id: d.id, region: chosen.region, scheme: schemeOf(category), category };
  if (d.hardship >= 0) person.hardship = HARDSHIP_GROUPS[d.hardship];
  if (d.familyDoctorAt !== undefined) person.familyDoctorAt = d.familyDoctorAt;
  const visits = Array.from({ length: d.count }, (_, v) => {
    const inst = source.institutions[d.institution[v] as number];
    return {
      id: `${d.id}-${v}`,
      time: formatChinaTime((chosen.dayStarts[d.day[v] as number] as number) + (d.msOfDay[v] as number)),
      type: VISIT_TYPES[d.type[v] as number],
      institution: { ...inst },
      total: formatYuan(d.total[v] as number),
      eligible: formatYuan(d.eligible[v] as number),
    };
  });
  return { person, visits };
}

describe('the simulation settles as the settle paths do', () => {
  const persons = 3000;
  const scenario = exampleScenario(persons);
  const { source, chosen, seen } = simulated(scenario, persons);

  it('settles a sample of many thousands of visits as the CLI path (parseSettleRequest + settleVisits)', () => {
    const engine = new SettlementEngine(policies);
    let compared = 0;
    let paid = 0;
    const mismatches: string[] = [];
    chosen.forEach((policy, p) => {
      for (let i = 0; i < persons; i++) {
        const json = requestJson(source, policy, i);
        if (json.visits.length === 0) continue; // a request lists at least one visit
        const request = parseSettleRequest(json, policies);
        const { outcomes } = settleVisits(engine, request, { trace: false });
        outcomes.forEach((o, v) => {
          const sim = seen.get(`${i}/${p}/${v}`);
          const cli: Seen = isFailure(o)
            ? { fundPay: 0, cashPay: 0, deductible: 0, error: o.error.code }
            : { fundPay: (o as Settlement).fundPay, cashPay: (o as Settlement).cashPay, deductible: (o as Settlement).deductible };
          if (JSON.stringify(sim) !== JSON.stringify(cli) && mismatches.length < 5)
            mismatches.push(`${policy.packId} person ${i} visit ${v}: simulation ${JSON.stringify(sim)}, CLI ${JSON.stringify(cli)}`);
          compared++;
          paid += cli.fundPay > 0 ? 1 : 0;
        });
      }
    });
    expect(mismatches).toEqual([]);
    expect(compared).toBe(seen.size);
    expect(compared).toBeGreaterThan(50_000);
    // The sample exercises the cap and the deductible, not only the easy cases.
    expect(paid).toBeGreaterThan(compared / 4);
    expect([...seen.values()].some((s) => s.deductible > 0)).toBe(true);
  });

  describe('through the Ledger (SQLite)', () => {
    let store: LedgerDb;
    let ledger: Ledger;
    const agency: Actor = { id: 'agency-1', role: 'agency' };
    beforeAll(async () => {
      store = await freshSqlite();
      ledger = new Ledger(store, new SettlementEngine(policies));
    });
    afterAll(async () => {
      await store?.close();
    });

    it('gives each visit of a sample the same fund pay, one settle request at a time', async () => {
      const p = chosen.findIndex((c) => c.packId === 'luoyang-2024');
      const policy = chosen[p] as ChosenPolicy;
      let compared = 0;
      const mismatches: string[] = [];
      for (let i = 0; i < 150; i++) {
        const { person, visits } = requestJson(source, policy, i);
        for (const [v, visit] of visits.entries()) {
          const r = await ledger.settle(parseSettleOne({ requestId: `sim-${i}-${v}`, person, visit }, policies), agency);
          const sim = seen.get(`${i}/${p}/${v}`) as Seen;
          const entry = {
            fundPay: Math.round((r.entry.fundPay as number) * 100),
            cashPay: Math.round((r.entry.cashPay as number) * 100),
            deductible: Math.round((r.entry.deductible as number) * 100),
          };
          if (JSON.stringify(entry) !== JSON.stringify(sim) && mismatches.length < 5)
            mismatches.push(`person ${i} visit ${v}: simulation ${JSON.stringify(sim)}, ledger ${JSON.stringify(entry)}`);
          compared++;
        }
      }
      expect(mismatches).toEqual([]);
      expect(compared).toBeGreaterThan(1000);
    });
  });
});

describe('determinism', () => {
  const scenario = exampleScenario(20_000);
  // The report on the calling thread, computed once for both tests (the seed and the thread count
  // are the same; the first test shows the worker threads give it too).
  let inProcess: Promise<SimulationRun> | undefined;
  const onCallingThread = () => (inProcess ??= simulate(scenario, { threads: 0 }));

  it('gives the same report on 0, 1, 2 and 4 worker threads, whatever the ranges', async () => {
    const reports = [];
    for (const [threads, rangeSize] of [
      [0, undefined],
      [1, 1500],
      [2, 4096],
      [4, 777],
    ] as const) {
      const run = threads === 0 ? await onCallingThread() : await simulate(scenario, { threads, ...(rangeSize ? { rangeSize } : {}) });
      expect(run.threads).toBe(threads);
      reports.push(JSON.stringify(buildReport(run)));
    }
    const first = reports[0] as string;
    expect(JSON.parse(first).population.visits).toBeGreaterThan(150_000);
    for (const r of reports.slice(1)) expect(r).toBe(first);
  });

  it('gives another population for another seed', async () => {
    const a = buildReport(await onCallingThread());
    const b = buildReport(await simulate({ ...scenario, seed: scenario.seed + 1 }, { threads: 0 }));
    expect(b.population.visits).not.toBe(a.population.visits);
    expect(b.policies[0]?.fund.total).not.toBe(a.policies[0]?.fund.total);
  });
});
