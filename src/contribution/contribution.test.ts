/**
 * The contribution calculator on small made-up packs (the real documents' figures are in
 * test/cases/*.yaml): rounding of a percentage share, the checks that the figures add up, the
 * floors, the choice the documents leave open, user-supplied values, and the loader's checks.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SettlementError } from '../engine/errors.js';
import { applyOverlay } from '../policy/overlay.js';
import { buildPack } from '../policy/pack.js';
import { PolicyFileError } from '../policy/problems.js';
import { PolicySet } from '../policy/registry.js';
import { RequestError } from '../request/settle-request.js';
import { computeContribution } from './contribution.js';
import { contributionJson } from './json.js';
import { OptionRequiredError } from './types.js';
import { contributionFromRequest } from './request.js';

/** A pack for a made-up city with contributions for 2030, to change in each test. */
function file(): Record<string, any> {
  return parse(`
format: yibao-policy/1
id: test-city
document: { number: 测试〔2029〕9号, title: 测试文件, issuer: 测试局 }
region: { code: "419900", name: 测试市, aliases: [testcity], parent: "410000" }
schemes: [resident]
effective: { from: 2030-01-01, source: 末段 }
contributions:
  source: 一
  fundingStandard: { value: 1000.01, unit: yuan-per-year, source: 一, to: 2030-12-31 }
  subsidyStandard: { value: 640.01, unit: yuan-per-year, bound: at-least, source: 一, to: 2030-12-31 }
  individual: { value: 360, unit: yuan-per-year, source: 一, to: 2030-12-31 }
  subsidyShares:
    western: { central: { value: 80, unit: percent, source: 一 } }
    ordinary:
      central: { value: 300, unit: yuan-per-year, source: 一 }
      province: { value: 100, unit: yuan-per-year, source: 一 }
      city: { value: 40.01, unit: yuan-per-year, source: 一 }
      county: { value: 200, unit: yuan-per-year, source: 一 }
  assistance:
    tekun: { value: full, unit: rule, source: 二 }
    dibao: { value: 400, unit: yuan-per-year, source: 二 }
    fanpin: { value: 50, unit: yuan-per-year, bound: at-least, source: 二 }
    monitored: { value: may-follow-dibao, unit: rule, source: 二 }
    other: { value: null, unit: yuan-per-year, source: 二, missing: 另行规定 }
`);
}

const setOf = (f: Record<string, any>) => new PolicySet([buildPack('policies/test.yaml', f)]);
const region = '419900';

/** What fn throws (the test fails if it returns). */
function caught<E>(fn: () => unknown, type: new (...args: any[]) => E): E {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  return error as E;
}

const codeOf = (fn: () => unknown) => caught(fn, SettlementError).code;

describe('computeContribution', () => {
  it('takes a percentage share of the subsidy to the fen, rounding half away from zero, and leaves the rest local', () => {
    // 64001 fen × 80% = 51200.8 fen → 51201; local 64001 − 51201 = 12800.
    const c = computeContribution(setOf(file()), { region, year: 2030, countyType: 'western' });
    expect(c.subsidy).toEqual({ total: 64001, central: 51201, province: null, city: null, county: null, local: 12800 });
    expect(c.total).toBe(100001);
    expect(c.bounds).toMatchObject({ total: 'at-least', 'subsidy.total': 'at-least', 'subsidy.central': 'at-least', 'subsidy.local': 'at-least' });
  });

  it('gives each level as the document does when it names all four, exactly in fen', () => {
    const c = computeContribution(setOf(file()), { region, year: 2030, countyType: 'ordinary' });
    expect(c.subsidy).toEqual({ total: 64001, central: 30000, province: 10000, city: 4001, county: 20000 });
    expect(c.subsidy.local).toBeUndefined();
    expect(c.trace.map((s) => s.step)).toEqual(['policy', 'standard', 'subsidy-central', 'subsidy-levels', 'assistance', 'result']);
  });

  it('refuses levels that do not add up to the subsidy', () => {
    const f = file();
    f.contributions.subsidyShares.ordinary.county.value = 199.99;
    expect(codeOf(() => computeContribution(setOf(f), { region, year: 2030, countyType: 'ordinary' }))).toBe('INCONSISTENT_POLICY');
  });

  it('refuses a funding standard that is not subsidy + individual', () => {
    const f = file();
    f.contributions.fundingStandard.value = 1000;
    expect(codeOf(() => computeContribution(setOf(f), { region, year: 2030, countyType: 'western' }))).toBe('INCONSISTENT_POLICY');
  });

  it('pays a full assistance in full, a fixed one up to the individual contribution', () => {
    const s = setOf(file());
    const q = { region, year: 2030, countyType: 'western' } as const;
    expect(computeContribution(s, { ...q, hardship: 'tekun' })).toMatchObject({ assistance: 36000, payable: 0 });
    expect(computeContribution(s, { ...q, hardship: 'dibao' })).toMatchObject({ assistance: 36000, payable: 0 });
    const fanpin = computeContribution(s, { ...q, hardship: 'fanpin' });
    expect(fanpin).toMatchObject({ assistance: 5000, payable: 31000 });
    expect(fanpin.bounds).toMatchObject({ assistance: 'at-least', payable: 'at-most' });
  });

  it('needs to be told whether the locality follows the 低保 standard, and follows it only when told so', () => {
    const s = setOf(file());
    const q = { region, year: 2030, countyType: 'western', hardship: 'monitored' } as const;
    expect(() => computeContribution(s, q)).toThrow(OptionRequiredError);
    expect(computeContribution(s, { ...q, followsDibao: true })).toMatchObject({ assistance: 36000, payable: 0 });
    expect(computeContribution(s, { ...q, followsDibao: false })).toMatchObject({ assistance: 0, payable: 36000 });
  });

  it('marks a missing assistance (and what is paid) as missing figures, and refuses a group the document does not name', () => {
    const s = setOf(file());
    const q = { region, year: 2030, countyType: 'western' } as const;
    const c = computeContribution(s, { ...q, hardship: 'other' });
    expect(c).toMatchObject({ total: 100001, individual: 36000, assistance: null, payable: null });
    expect(c.missing.map((m) => [m.figure, m.code, m.missing.map((p) => p.path)])).toEqual([
      ['assistance', 'MISSING_PARAMETER', ['contributions.assistance.other']],
      ['payable', 'MISSING_PARAMETER', ['contributions.assistance.other']],
    ]);
    expect(c.missing[0]?.message).toMatch(/资助参保金额.*contributions\.assistance\.other.*--policy-file/);
    expect(codeOf(() => computeContribution(s, { ...q, hardship: 'jiandang' }))).toBe('NO_ASSISTANCE_RULE');
  });

  it('gives the figures of a year the document gives one standard for, and marks each figure that needs the other', () => {
    const f = file();
    delete f.contributions.fundingStandard;
    f.contributions.subsidyStandard = [
      f.contributions.subsidyStandard,
      { value: null, unit: 'yuan-per-year', source: '一', from: '2031-01-01', to: '2031-12-31', missing: '未规定' },
    ];
    f.contributions.individual = [f.contributions.individual, { value: 390, unit: 'yuan-per-year', source: '一', from: '2031-01-01', to: '2031-12-31' }];
    const s = setOf(f);
    const q = { region, year: 2031, countyType: 'western' } as const;
    // The subsidy is missing: no level, no total; the individual contribution and what follows from it are given.
    expect(computeContribution(s, { ...q, hardship: 'fanpin' })).toMatchObject({
      total: null,
      individual: 39000,
      subsidy: { total: null, central: null, province: null, city: null, county: null },
      assistance: 5000,
      payable: 34000,
    });
    expect(computeContribution(s, q).missing.map((m) => m.figure)).toEqual(['subsidy.total', 'total']);
    // Neither standard given for a year that is spoken for: nothing to give → the whole fails.
    f.contributions.individual[1] = { value: null, unit: 'yuan-per-year', source: '一', from: '2031-01-01', to: '2031-12-31', missing: '未规定' };
    const e = caught(() => computeContribution(setOf(f), q), SettlementError);
    expect(e.code).toBe('MISSING_PARAMETER');
    expect(e.missing.map((m) => m.path)).toEqual(['contributions.subsidyStandard', 'contributions.individual']);
  });

  it("refuses a year the document does not set, and never takes the parent region's figures", () => {
    const city = file();
    const province = file();
    province.id = 'test-province';
    province.region = { code: '410000', name: '测试省' };
    province.contributions.subsidyStandard.to = '2031-12-31';
    province.contributions.individual.to = '2031-12-31';
    delete province.contributions.fundingStandard;
    const s = new PolicySet([buildPack('policies/city.yaml', city), buildPack('policies/province.yaml', province)]);
    expect(codeOf(() => computeContribution(s, { region, year: 2031, countyType: 'western' }))).toBe('NO_CONTRIBUTION_STANDARD');
    expect(computeContribution(s, { region: '410000', year: 2031, countyType: 'western' }).policy).toBe('测试〔2029〕9号');
  });

  it('marks a user-supplied value in the trace', () => {
    const f = file();
    f.contributions.assistance.other = { value: null, unit: 'yuan-per-year', source: '二', missing: '另行规定' };
    const packs = applyOverlay([buildPack('policies/test.yaml', f)], 'mine.yaml', {
      format: 'yibao-policy-overlay/1',
      extends: 'test-city',
      parameters: { 'contributions.assistance.other': { value: 120, unit: 'yuan-per-year', source: '本地文件 三' } },
    });
    const c = computeContribution(new PolicySet(packs), { region, year: 2030, countyType: 'western', hardship: 'other' });
    expect(c.assistance).toBe(12000);
    expect(c.trace.find((s) => s.step === 'assistance')?.source).toContain('（用户提供）');
  });

  it('is pure: the same answer twice, the policies unchanged', () => {
    const s = setOf(file());
    const before = JSON.stringify(s.packs[0]?.contributions);
    const q = { region, year: 2030, countyType: 'ordinary', hardship: 'fanpin' } as const;
    expect(computeContribution(s, q)).toEqual(computeContribution(s, q));
    expect(JSON.stringify(s.packs[0]?.contributions)).toBe(before);
  });

  it('prints yuan as numbers, and null for levels not split', () => {
    const json = contributionJson(computeContribution(setOf(file()), { region, year: 2030, countyType: 'western' }), { trace: false });
    expect(json).toMatchObject({ total: 1000.01, individual: 360, subsidy: { total: 640.01, central: 512.01, province: null, local: 128 } });
    expect(json.trace).toBeUndefined();
  });
});

describe('contributionFromRequest', () => {
  it('reads aliases and none, and names every bad field', () => {
    const s = setOf(file());
    expect(contributionFromRequest({ region: 'testcity', year: 2030, countyType: 'western', hardship: 'none' }, s).hardship).toBeNull();
    const bad = { region: 7, year: '2030', countyType: 'east', hardship: 'poor', followsDibao: 'yes', extra: 1 };
    const text = caught(() => contributionFromRequest(bad, s), RequestError).problems.join('\n');
    for (const field of ['region', 'year', 'countyType', 'hardship', 'followsDibao']) expect(text).toMatch(new RegExp(`^${field}: `, 'm'));
    expect(text).toContain('extra');
  });

  it('turns the missing choice into an invalid request naming followsDibao', () => {
    expect(() => contributionFromRequest({ region, year: 2030, countyType: 'western', hardship: 'monitored' }, setOf(file()))).toThrow(/followsDibao: required/);
  });
});

describe('the loader', () => {
  it('wants contribution versions to cover whole funding years', () => {
    const f = file();
    f.contributions.individual.from = '2030-07-01';
    const problems = caught(() => buildPack('policies/test.yaml', f), PolicyFileError).problems.join('\n');
    expect(problems).toMatch(/contributions\.individual: contributions are set by funding year/);
  });

  it('wants a level as an amount or a percentage, and assistance as full, may-follow-dibao or an amount', () => {
    const f = file();
    f.contributions.subsidyShares.western.central.unit = 'days';
    f.contributions.assistance.tekun.value = 'half';
    const text = caught(() => buildPack('policies/test.yaml', f), PolicyFileError).problems.join('\n');
    expect(text).toMatch(/contributions\.subsidyShares\.western\.central: unit must be yuan-per-year or percent/);
    expect(text).toMatch(/contributions\.assistance\.tekun: must be one of full, may-follow-dibao/);
  });
});
