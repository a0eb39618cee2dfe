/**
 * Reforms: a draft of hypothetical values simulated beside the documents' pack on the same
 * persons — the fund's change checked by hand, the base untouched, the same on worker threads, the
 * per-person impacts adding up to the report, and POST /v1/simulations answering the CLI's figures.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAccumulators } from '../../src/engine/accumulators.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { writeImpactsCsv } from '../../src/sim/impacts.js';
import { buildReport } from '../../src/sim/report.js';
import { parseScenario, ScenarioError } from '../../src/sim/scenario.js';
import { PersonDraft, SyntheticPopulation } from '../../src/sim/population.js';
import type { SyntheticSpec } from '../../src/sim/scenario.js';
import { simulate } from '../../src/sim/simulate.js';
import { rowCounts } from '../support/counts.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const COUNTY_DEDUCTIBLE = 'benefits.resident-outpatient.classes.county.deductible';
// Luoyang residents (adults) visiting contracted county hospitals of grade 1 only, every visit
// 200.00 yuan all within the policy's scope (洛医保〔2023〕63号, the 2024 pack): deductible 50.00 a
// visit, ratio 50%, an annual cap of 280.00. By hand, per visit: base (200 − 50) × 50% = 75.00,
// reform (200 − 100) × 50% = 50.00; a person with n visits gets min(75n, 280) and min(50n, 280) —
// but the deductible is paid once a day at one institution (一天内在同一门诊统筹定点医疗机构多次就诊的
// 负担一次起付标准), so with d such days: min((200n − 50d) × 50%, 280) and min((200n − 100d) × 50%, 280).
const SCENARIO = {
  format: 'yibao-scenario/1',
  name: 'reform test',
  seed: 11,
  year: 2024,
  policies: ['luoyang-2024', { pack: 'luoyang-2024', name: '调高起付线（假设）', overrides: { [COUNTY_DEDUCTIBLE]: 100 }, reason: '县级起付线由50元调至100元' }],
  population: { size: 300 },
  visits: { perPerson: { adult: 3 } },
  tiers: { county: { share: 100, grade: 1, institutions: 1000, cost: { p0: 200, p100: 200 } } },
};

const toFen = (s: string) => Math.round(Number(s) * 100);

describe('a reform against its baseline', () => {
  it('changes the fund by the hand-computed amount, person by person; the base is the documents’; the draft is marked hypothetical', async () => {
    const run = await simulate(parseScenario(SCENARIO), { threads: 0 });
    const report = buildReport(run);
    const t = run.totals;
    let base = 0;
    let reform = 0;
    const people = new SyntheticPopulation(run.scenario.population as SyntheticSpec, run.scenario.seed);
    const draft = new PersonDraft();
    for (let i = 0; i < t.persons; i++) {
      people.fill(i, draft);
      const n = t.personVisits[i] as number;
      expect(draft.count).toBe(n);
      const d = new Set(Array.from({ length: n }, (_, v) => `${draft.day[v]}/${draft.institution[v]}`)).size;
      const b = Math.min((20000 * n - 5000 * d) / 2, 28000);
      const r = Math.min((20000 * n - 10000 * d) / 2, 28000);
      base += b;
      reform += r;
      expect(t.policies[0]?.personFund[i]).toBe(b);
      expect(t.policies[1]?.personFund[i]).toBe(r);
    }
    expect(reform).toBeLessThan(base);
    const [b, r] = report.policies;
    expect(b?.fund.total).toBe(base / 100);
    expect(r?.fund.total).toBe(reform / 100);
    expect(report.comparisons[0]?.fund.change).toBe((reform - base) / 100);
    // What the fund no longer pays, persons pay.
    expect(report.comparisons[0]?.cash.change).toBe((base - reform) / 100);
    // The base is exactly the base run alone.
    const alone = buildReport(await simulate(parseScenario({ ...SCENARIO, policies: ['luoyang-2024'] }), { threads: 0 }));
    expect(b).toEqual(alone.policies[0]);
    expect(b?.policy.draft).toBeNull();
    expect(r?.policy.name).toBe('调高起付线（假设）');
    expect(r?.policy.draft).toMatchObject({
      hypothetical: true,
      reason: '县级起付线由50元调至100元',
      parameters: [{ path: COUNTY_DEDUCTIBLE, text: '100 元/次', citation: '假设（改革草案）: 县级起付线由50元调至100元' }],
    });
    // The drafted pack's trace cites the hypothetical value.
    const drafted = run.policies[1]?.pack.params.get(COUNTY_DEDUCTIBLE);
    expect(drafted?.versions.map((v) => v.citation)).toEqual(['假设（改革草案）: 县级起付线由50元调至100元']);
    // The documents' pack is untouched.
    expect(run.engine.policies.packs.find((p) => p.id === 'luoyang-2024')?.params.get(COUNTY_DEDUCTIBLE)?.versions[0]?.text).toBe('50 元/次');
    const imp = report.comparisons[0]?.impacts;
    expect(imp?.gainers).toBe(0);
    expect((imp?.losers ?? 0) + (imp?.same ?? 0)).toBe(300);
    expect(imp?.largestLosses.length).toBeLessThanOrEqual(20);
    expect(imp?.largestGains).toEqual([]);
  });

  it('gives the same report on 0 and 2 threads, and the impacts CSV adds up to the report', async () => {
    const scenario = parseScenario({ ...SCENARIO, population: { size: 5000 } });
    const a = await simulate(scenario, { threads: 0 });
    const b = await simulate(scenario, { threads: 2, rangeSize: 1024 });
    expect(b.threads).toBe(2);
    expect(JSON.stringify(buildReport(b))).toBe(JSON.stringify(buildReport(a)));
    const file = join(mkdtempSync(join(tmpdir(), 'yibao-impacts-')), 'impacts.csv');
    expect(writeImpactsCsv(b, file)).toBe(5000);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      '方案 policy,序号 index,人员编号 person,人员类别 category,困难群体 hardship,就诊次数 visits,基准现金支付 cash_base,方案现金支付 cash_policy,现金支付差额 cash_change,基准统筹基金支付 fund_base,方案统筹基金支付 fund_policy',
    );
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(5000);
    const sum = (col: number) => rows.reduce((s, r) => s + toFen(r[col] as string), 0);
    const r = buildReport(b);
    expect(rows.reduce((s, x) => s + Number(x[5]), 0)).toBe(r.population.visits);
    expect(sum(6) / 100).toBe(r.policies[0]?.amounts.cash);
    expect(sum(7) / 100).toBe(r.policies[1]?.amounts.cash);
    expect(sum(8) / 100).toBe(r.comparisons[0]?.cash.change);
    expect(sum(9) / 100).toBe(r.policies[0]?.fund.total);
    expect(sum(10) / 100).toBe(r.policies[1]?.fund.total);
    expect(rows[0]?.slice(0, 5)).toEqual(['调高起付线（假设）', '0', 'p0', '成年居民 adult', '']);
  });

  it('cites the hypothetical value in the trace of a settlement under the draft', async () => {
    const run = await simulate(parseScenario({ ...SCENARIO, population: { size: 1 } }), { threads: 0 });
    const person = { id: 'p', region: '410300', scheme: 'resident' as const, category: 'adult' as const };
    const visit = {
      id: 'v',
      time: Date.parse('2024-03-02T10:00:00+08:00'),
      type: 'outpatient' as const,
      institution: { id: 'H', tier: 'county' as const, grade: 1 as const, contracted: true },
      total: 20000,
      eligible: 20000,
      useAccount: false,
    };
    const under = (i: number) => run.policies[i]?.engine.settle(person, visit, new MemoryAccumulators(), { trace: true });
    const reform = under(1);
    expect(reform?.fundPay).toBe(5000);
    expect(JSON.stringify(reform?.trace)).toContain('假设（改革草案）: 县级起付线由50元调至100元');
    const base = under(0);
    expect(base?.fundPay).toBe(7500);
    expect(JSON.stringify(base?.trace)).not.toContain('假设');
  });

  it('stops the threads and fails with SIMULATION_TIMEOUT when the run takes too long', async () => {
    const e = await simulate(parseScenario({ ...SCENARIO, population: { size: 50_000 } }), { threads: 1, timeoutMs: 1 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SIMULATION_TIMEOUT' });
  });

  it('refuses a path the pack does not have, naming it', async () => {
    const bad = parseScenario({ ...SCENARIO, policies: ['luoyang-2024', { pack: 'luoyang-2024', overrides: { 'benefits.nothing.ratio': 40, [COUNTY_DEDUCTIBLE]: 'lots' } }] });
    const e = await simulate(bad, { threads: 0 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).problems).toEqual([
      'policies[1].overrides.benefits.nothing.ratio: luoyang-2024 has no parameter benefits.nothing.ratio (the paths are those `yibao policy show luoyang-2024 --json` prints)',
      expect.stringMatching(/^policies\[1\]\.overrides\.benefits\.resident-outpatient\.classes\.county\.deductible: /),
    ]);
  });
});

const engine = new SettlementEngine(loadPolicies());
for (const s of STORES.filter((x) => x.label === 'sqlite')) {
  describe.skipIf(s.skip)(`POST /v1/simulations on ${s.label}`, () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(s.open, engine);
    });
    afterAll(async () => svc?.close());
    const post = (key: string | undefined, payload: unknown) =>
      svc.app.inject({
        method: 'POST',
        url: '/v1/simulations',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        payload: JSON.stringify(payload),
      });

    it('answers the CLI’s figures and charts, writes nothing but its audit row', async () => {
      const before = await rowCounts(svc.store, ['settlements', 'persons']);
      const res = await post(svc.analyst.key, SCENARIO);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      const cli = buildReport(await simulate(parseScenario(SCENARIO), { threads: 0 }));
      expect(body.simulation).toBe(true);
      expect(body.hypothetical).toBe(true);
      expect(body.report).toEqual(JSON.parse(JSON.stringify(cli)));
      expect(Object.keys(body.charts)).toEqual(['fund-by-month', 'fund-by-tier', 'fund-per-capita-by-category', 'out-of-pocket']);
      expect(body.charts['fund-by-tier'].option.series).toHaveLength(2);
      expect(body.charts['fund-by-tier'].chart.series[1].name).toContain('调高起付线（假设）（假设）');
      expect(await rowCounts(svc.store, ['settlements', 'persons'])).toEqual(before);
      const audit = await svc.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'analysis.simulation').execute();
      expect(audit.map((a) => [a.actor, a.target])).toEqual([[svc.analyst.id, 'reform test']]);
    });

    it('refuses an institution key, too large a population, a bad draft path and a file (400 with every problem)', async () => {
      expect((await post(svc.h1.key, SCENARIO)).statusCode).toBe(403);
      expect((await post(undefined, SCENARIO)).statusCode).toBe(401);
      const big = await post(svc.agency.key, { ...SCENARIO, population: { size: 200_001 }, claims: undefined });
      expect(big.statusCode).toBe(400);
      expect(big.json().error.code).toBe('INVALID_SCENARIO');
      expect(big.json().error.problems).toEqual(['population.size: must be at most 200,000 persons here, got 200,001']);
      const path = await post(svc.agency.key, { ...SCENARIO, policies: ['luoyang-2024', { pack: 'luoyang-2024', overrides: { 'no.such.path': 1 } }] });
      expect(path.statusCode).toBe(400);
      expect(path.json().error.problems[0]).toContain('policies[1].overrides.no.such.path: luoyang-2024 has no parameter no.such.path');
      const file = await post(svc.agency.key, { ...SCENARIO, policies: ['luoyang-2024', { pack: 'luoyang-2024', draft: '/etc/passwd' }] });
      expect(file.statusCode).toBe(400);
      expect(file.json().error.problems).toEqual(['policies[1].draft: draft files are not read here; give the values inline as overrides: { path: value }']);
    });
  });

  describe.skipIf(s.skip)(`POST /v1/simulations with serve --policy-file on ${s.label}`, () => {
    // A user policy file giving Luoyang's 2025 contribution figures, which no document gives (test
    // values, not policy): the service settles with it, so its simulations must run it too.
    const dir = mkdtempSync(join(tmpdir(), 'yibao-sim-overlay-'));
    const overlay = join(dir, 'luoyang-2025.yaml');
    writeFileSync(
      overlay,
      [
        'format: yibao-policy-overlay/1',
        'extends: luoyang-2024',
        'note: 测试用：2025年度居民医保筹资标准（非政策数值）。',
        'parameters:',
        '  contributions.fundingStandard: { value: 1090, unit: yuan-per-year, from: 2025-01-01, to: 2025-12-31, source: 测试用 }',
        '  contributions.subsidyStandard: { value: 690, unit: yuan-per-year, from: 2025-01-01, to: 2025-12-31, source: 测试用 }',
        '  contributions.individual: { value: 400, unit: yuan-per-year, from: 2025-01-01, to: 2025-12-31, source: 测试用 }',
        '',
      ].join('\n'),
    );
    const scenario = { ...SCENARIO, name: 'luoyang 2025', year: 2025, policies: ['luoyang-2024'] };
    let withFile: TestService;
    let documentsOnly: TestService;
    beforeAll(async () => {
      withFile = await startService(s.open, new SettlementEngine(loadPolicies({ policyFiles: [overlay] })), { server: { policyFiles: [overlay] } });
      documentsOnly = await startService(s.open, engine);
    });
    afterAll(async () => {
      await withFile?.close();
      await documentsOnly?.close();
    });
    const run = async (svc: TestService) => {
      const res = await svc.app.inject({ method: 'POST', url: '/v1/simulations', headers: { authorization: `Bearer ${svc.analyst.key}` }, payload: scenario });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().report as ReturnType<typeof buildReport>;
    };

    it('simulates the policies the service settles with: the file’s 2025 funding counts, as in the CLI with --policy-file', async () => {
      const report = await run(withFile);
      // By hand: 300 adult residents, none in a hardship group: 300 × 1090 = 327,000.00 funding,
      // of which 300 × 400 = 120,000.00 individual and 300 × 690 = 207,000.00 subsidy.
      expect(report.policies[0]?.income).toMatchObject({ available: true, year: 2025, residents: 300, total: 327000, individual: 120000, subsidy: 207000 });
      const cli = buildReport(await simulate(parseScenario(scenario), { threads: 0, policyFiles: [overlay] }));
      expect(report).toEqual(JSON.parse(JSON.stringify(cli)));
      // Without the file, no document gives Luoyang's 2025 funding.
      const without = await run(documentsOnly);
      expect(without.policies[0]?.income).toMatchObject({ available: false, reason: expect.stringContaining('NO_CONTRIBUTION_STANDARD') });
    });
  });
}
