/**
 * The simulation report's arithmetic on five persons whose every fund payment is worked out by
 * hand from the documents' figures:
 *
 *   洛医保〔2023〕63号 二(一)2–3 (2024): primary 60%, no deductible; county (and grade 1) 50 yuan per
 *   visit, borne once per natural day at an institution, then 50%; city 40% after 50; cap 280;
 *   students (大学生) 80% at primary, 600 cap, other tiers as residents.
 *   洛医保〔2022〕36号 第八条 (settled as 2023): 50% everywhere, no deductible, cap 260; students 80%, 600.
 *
 * The claims are of 2024; under 36号 they are settled on the same days of 2023 (29 February on 28
 * February).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { ELIGIBILITIES, type Settlement } from '../../src/engine/types.js';
import { toYuanNumber } from '../../src/money/money.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { isFailure, settleVisits } from '../../src/request/settle-person.js';
import { parseSettleRequest } from '../../src/request/settle-request.js';
import { ClaimsSource, parseClaims } from '../../src/sim/claims.js';
import { settleRange } from '../../src/sim/kernel.js';
import { dayStarts } from '../../src/sim/population.js';
import { buildReport, type SimulationReport } from '../../src/sim/report.js';
import { parseScenario } from '../../src/sim/scenario.js';
import { simulate } from '../../src/sim/simulate.js';
import { scenarioProblems } from '../support/problems.js';

const CLAIMS = `person,category,hardship,visit,time,institution,tier,grade,contracted,total,eligible
P1,adult,,P1-1,2024-03-01T09:00:00+08:00,J1,primary,0,true,100,100
P1,adult,,P1-2,2024-03-01T10:00:00+08:00,X1,county,2,true,200,180
P1,adult,,P1-3,2024-03-01T15:00:00+08:00,X1,county,2,true,100,
P1,adult,,P1-4,2024-06-10T09:00:00+08:00,S1,city,3,true,500,400
P2,child,,P2-1,2024-02-29T09:00:00+08:00,J1,primary,0,true,33.33,33.33
P2,child,,P2-2,2024-12-31T09:00:00+08:00,X2,county,1,true,40,40
P3,student,,P3-2,2024-02-02T09:00:00+08:00,J2,primary,0,true,300,300
P3,student,,P3-1,2024-02-01T09:00:00+08:00,J2,primary,0,true,500,500
P3,student,,P3-3,2024-05-05T09:00:00+08:00,X1,county,2,true,150,150
P4,adult,dibao,P4-1,2024-04-01T09:00:00+08:00,J9,primary,0,false,80,80
P5,retired,,P5-1,2024-04-02T09:00:00+08:00,J1,primary,0,true,50,50
`;

let dir: string;
let report: SimulationReport;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yibao-sim-'));
  writeFileSync(join(dir, 'claims.csv'), CLAIMS);
  const scenario = parseScenario({ format: 'yibao-scenario/1', name: 'hand', policies: ['luoyang-2022', 'luoyang-2024'], claims: { file: 'claims.csv' } }, dir);
  report = buildReport(await simulate(scenario, { threads: 0 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policy = (id: string) => report.policies.find((p) => p.policy.id === id) as SimulationReport['policies'][number];

describe('report on a hand-checked population (洛阳, claims of 2024)', () => {
  it('settles each policy in the year it governs', () => {
    expect(report.visitsYear).toBe(2024);
    expect(policy('luoyang-2024').policy).toMatchObject({ year: 2024, shift: 0, document: '洛医保〔2023〕63号' });
    expect(policy('luoyang-2022').policy).toMatchObject({ year: 2023, shift: -1, document: '洛医保〔2022〕36号' });
    expect(report.population).toMatchObject({ persons: 5, visits: 11, byCategory: { adult: 2, child: 1, student: 1, retired: 1 }, byHardship: { dibao: 1 } });
  });

  it('63号 (2024): fund pay, by tier, month and category', () => {
    // P1: 60.00 + (180−50)×50% = 65.00 + 100×50% = 50.00 (same day, same institution: no second
    //     deductible) + min((400−50)×40% = 140.00, 280 − 175 = 105.00) = 280.00; pays 620.00.
    // P2: 33.33×60% = 19.998 → 20.00; 40 < the 50 deductible → 0; pays 53.33.
    // P3: 500×80% = 400.00; min(300×80%, 600 − 400) = 200.00; county: nothing left under the cap; pays 350.00.
    // P4: a non-contracted institution: 0, pays 80.00. P5: no 2024 rule settles employees' outpatient visits.
    const p = policy('luoyang-2024');
    expect(p.fund.total).toBe(900);
    expect(p.fund.perCapita).toBe(180);
    expect(p.amounts).toEqual({ total: 2003.33, eligible: 1883.33, outOfScope: 120, deductible: 190, fund: 900, cash: 1103.33, criticalIllness: 0, assistance: 0 });
    expect(p.fund.byTier.map((t) => t.fund)).toEqual([680, 115, 105, 0]);
    expect(p.fund.byMonth.map((m) => m.fund)).toEqual([0, 620, 175, 0, 0, 105, 0, 0, 0, 0, 0, 0]);
    expect(p.fund.byCategory.map((c) => [c.category, c.persons, c.fund])).toEqual([
      ['adult', 2, 280],
      ['child', 1, 20],
      ['student', 1, 600],
      ['retired', 1, 0],
    ]);
    expect(p.fund.byBenefit).toEqual([{ benefit: 'resident-outpatient', label: '居民医保普通门诊统筹', policy: '洛医保〔2023〕63号', visits: 10, fund: 900, share: 100 }]);
    expect(p.visits.byEligibility).toEqual({ covered: 9, 'not-covered': 0, 'waiting-period': 0, 'non-contracted': 1, 'in-hospital': 0, 'account-not-reformed': 0 });
    expect(p.visits.unsettled).toMatchObject([{ code: 'NO_BENEFIT_RULE', visits: 1, total: 50 }]);
  });

  it('63号: caps reached, out-of-pocket percentiles and histogram', () => {
    const p = policy('luoyang-2024');
    // Cap 280 for adults and children: P1 reached it, P2 did not; P4's only visit was refused before the cap.
    expect(p.caps).toEqual([
      { bucket: 'outpatient', limit: 280, categories: ['adult', 'child'], persons: 3, users: 2, reached: 1, shareOfPersons: 33.33, shareOfUsers: 50 },
      { bucket: 'outpatient', limit: 600, categories: ['student'], persons: 1, users: 1, reached: 1, shareOfPersons: 100, shareOfUsers: 100 },
    ]);
    // Paid themselves, sorted: 0 (P5), 53.33, 80, 350, 620.
    expect(p.outOfPocket.mean).toBe(220.67);
    expect(p.outOfPocket.zero).toBe(1);
    expect(p.outOfPocket.percentiles).toMatchObject({ p10: 0, p25: 53.33, p50: 80, p75: 350, p90: 620, p99: 620 });
    expect(p.outOfPocket.max).toBe(620);
    expect(p.outOfPocket.histogram.map((b) => b.persons)).toEqual([1, 0, 2, 0, 1, 1, 0, 0, 0, 0]);
    expect(p.outOfPocket.histogram[2]).toEqual({ above: 50, upTo: 100, persons: 2, share: 40 });
  });

  it('63号: income from contributions, and the student budget', () => {
    const p = policy('luoyang-2024');
    // 4 residents × 1020 (63号 一: 640 subsidy + 380 individual); the 低保 person's 80 is assisted (七(二)).
    expect(p.income).toMatchObject({
      available: true,
      policy: '洛医保〔2023〕63号',
      residents: 4,
      total: 4080,
      individual: 1520,
      subsidy: 2560,
      assistance: 80,
      outlayShare: 22.06,
    });
    // 1 student × 70 (36号 第三条, carried by the 63号 pack) against 600 spent: overspent 530, not topped up.
    expect(p.studentBudget).toMatchObject({ available: true, students: 1, budget: 70, spent: 600, balance: -530, outcome: 'overspent-not-topped-up' });
    if (p.studentBudget.available) expect(p.studentBudget.perStudent.citation).toBe('洛医保〔2022〕36号 第三条');
  });

  it('36号 (as 2023): 50% with no deductible, cap 260; no contribution standard for 2023', () => {
    // P1: 50 + 90 + 50 + min(200, 260 − 190) = 260. P2: 16.665 → 16.67 (on 28 February 2023) + 20 = 36.67.
    // P3: 400 + 200 + 0 (80% at every tier for students under 36号, cap reached). P4, P5: 0.
    const p = policy('luoyang-2022');
    expect(p.fund.total).toBe(896.67);
    expect(p.fund.byMonth.map((m) => m.fund)).toEqual([0, 616.67, 190, 0, 0, 70, 0, 0, 0, 0, 0, 20]);
    expect(p.amounts.deductible).toBe(0);
    expect(p.caps.map((c) => [c.limit, c.reached, c.users])).toEqual([
      [260, 1, 2],
      [600, 1, 1],
    ]);
    expect(p.income).toMatchObject({ available: false });
    if (!p.income.available) expect(p.income.reason).toContain('NO_CONTRIBUTION_STANDARD');
    expect(p.studentBudget).toMatchObject({ available: true, budget: 70, spent: 600, outcome: 'overspent-not-topped-up' });
  });

  it('63号 against 36号: the change in outlay and who gains', () => {
    const [c] = report.comparisons;
    expect(c).toMatchObject({ base: 'luoyang-2022', other: 'luoyang-2024' });
    expect(c?.fund).toEqual({ base: 896.67, other: 900, change: 3.33, changeShare: 0.37 });
    // P1 pays 620 instead of 640 (better), P2 53.33 instead of 36.66 (worse); P3, P4, P5 the same.
    expect(c?.persons).toMatchObject({ better: 1, worse: 1, same: 3 });
    expect(c?.gain).toBe(20);
    expect(c?.loss).toBe(16.67);
    expect(c?.byCategory.map((x) => [x.category, x.better, x.worse, x.same])).toEqual([
      ['adult', 1, 0, 1],
      ['child', 0, 1, 0],
      ['student', 0, 0, 1],
      ['retired', 0, 0, 1],
    ]);
    // By tier, 36号 → 63号: primary 666.67 → 680, county 160 → 115, city 70 → 105.
    expect(c?.byTier.map((t) => [t.base, t.other, t.change])).toEqual([
      [666.67, 680, 13.33],
      [160, 115, -45],
      [70, 105, 35],
      [0, 0, 0],
    ]);
  });
});

describe('claims with inpatient stays (临汾, with the example user policy file)', () => {
  const STAYS = `person,category,hardship,visit,time,admittedAt,type,institution,tier,grade,contracted,total,eligible,outOfCounty
lf-1,adult,jiandang,stay-1,2019-03-10T10:00:00+08:00,2019-03-01T09:00:00+08:00,inpatient,LF-CITY-3,city,3,true,30000,26000,
lf-1,adult,jiandang,stay-2,2019-06-10T10:00:00+08:00,2019-06-02T09:00:00+08:00,inpatient,TY-PROV-3,province,3,true,20000,,true
`;
  const policyFiles = ['examples/linfen-inpatient-user-policy.yaml'];

  it('gives the fund chain yibao settle gives the same stays, on worker threads too', async () => {
    writeFileSync(join(dir, 'stays.csv'), STAYS);
    const scenario = parseScenario({ format: 'yibao-scenario/1', policies: ['linfen-2019'], claims: { file: 'stays.csv' } }, dir);
    const policies = loadPolicies({ policyFiles });
    const { outcomes } = settleVisits(new SettlementEngine(policies), parseSettleRequest(JSON.parse(readFileSync('examples/linfen-inpatient-2019.json', 'utf8')), policies), {
      trace: false,
    });
    const settled = outcomes.filter((o): o is Settlement => !isFailure(o));
    expect(settled).toHaveLength(2);
    const sum = (f: (s: Settlement) => number) => toYuanNumber(settled.reduce((n, s) => n + f(s), 0));
    for (const threads of [0, 1]) {
      const r = buildReport(await simulate(scenario, { threads, policyFiles }));
      const p = r.policies[0] as SimulationReport['policies'][number];
      expect(p.visits.unsettled).toEqual([]);
      expect(p.amounts).toMatchObject({
        fund: sum((s) => s.fundPay),
        criticalIllness: sum((s) => s.criticalIllnessPay),
        assistance: sum((s) => s.assistancePay),
        cash: sum((s) => s.cashPay),
      });
      expect(p.amounts.criticalIllness).toBeGreaterThan(0);
      expect(p.fund.byMonth.filter((m) => m.fund > 0).map((m) => m.month)).toEqual([3, 6]);
    }
  });

  it('refuses an admission time on an outpatient visit, and inHospital on a stay', () => {
    const bad = `person,category,visit,time,admittedAt,type,institution,tier,grade,contracted,total,inHospital
a,adult,v1,2019-03-10T10:00:00+08:00,2019-03-01T09:00:00+08:00,outpatient,H,city,3,true,10,
a,adult,v2,2019-03-10T10:00:00+08:00,2019-03-11T09:00:00+08:00,inpatient,H,city,3,true,10,
a,adult,v3,2019-03-10T10:00:00+08:00,,inpatient,H,city,3,true,10,true
`;
    expect(scenarioProblems(() => parseClaims(bad, 'b.csv'))).toEqual([
      'b.csv line 2: admittedAt: only an inpatient stay has an admission time',
      'b.csv line 3: admittedAt: must not be after the discharge (time)',
      'b.csv line 4: inHospital: is for outpatient visits made during a stay; an inpatient stay is type inpatient',
    ]);
  });
});

describe('the eligibility breakdown has every word of the engine', () => {
  it('counts an outpatient visit made in hospital under 36号 第五条 as in-hospital, not nowhere', async () => {
    // 36号 第五条 住院期间不享受门诊统筹待遇: the second visit pays nothing and is counted as in-hospital.
    const claims = `person,category,visit,time,institution,tier,grade,contracted,total,inHospital
h1,adult,h1-1,2024-03-01T09:00:00+08:00,J1,primary,0,true,100,
h1,adult,h1-2,2024-03-05T09:00:00+08:00,J1,primary,0,true,100,true
`;
    writeFileSync(join(dir, 'in-hospital.csv'), claims);
    const scenario = parseScenario({ format: 'yibao-scenario/1', policies: ['luoyang-2022'], claims: { file: 'in-hospital.csv' } }, dir);
    const r = buildReport(await simulate(scenario, { threads: 0 }));
    const p = r.policies[0] as SimulationReport['policies'][number];
    expect(Object.keys(p.visits.byEligibility)).toEqual([...ELIGIBILITIES]);
    expect(p.visits.byEligibility).toMatchObject({ covered: 1, 'in-hospital': 1 });
    // 100 × 50% on the first visit; nothing on the second.
    expect(p.fund.total).toBe(50);
  });

  it('gives each eligibility the engine can return its own count', () => {
    // An engine that answers each visit with the next word of the list: every word must be counted
    // once, and the counts must add up to the visits settled.
    const rows = ELIGIBILITIES.map((_, i) => `e1,adult,e1-${i},2024-03-0${i + 1}T09:00:00+08:00,J1,primary,0,true,10`);
    const source = new ClaimsSource(parseClaims(`person,category,visit,time,institution,tier,grade,contracted,total\n${rows.join('\n')}\n`, 'e.csv'));
    let next = 0;
    class EveryWord extends SettlementEngine {
      override settle(...args: Parameters<SettlementEngine['settle']>): Settlement {
        return { ...super.settle(...args), eligibility: ELIGIBILITIES[next++ % ELIGIBILITIES.length] as Settlement['eligibility'] };
      }
    }
    const engine = new EveryWord(loadPolicies());
    const totals = settleRange(engine, source, [{ packId: 'luoyang-2024', region: '410300', year: 2024, dayStarts: dayStarts(2024) }], 0, source.size);
    const by = totals.policies[0]?.byEligibility as Float64Array;
    expect(Array.from(by)).toEqual(ELIGIBILITIES.map(() => 1));
    expect(by.reduce((a, b) => a + b, 0)).toBe(totals.policies[0]?.visits);
  });
});
