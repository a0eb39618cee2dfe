/**
 * `policy check`: the built-in Luoyang documents against Henan 71号's floors, hand-read from the
 * documents, and a draft below a floor.
 *
 * 豫医保办〔2023〕71号 二: 县级及以上起付标准每次50元左右, 基层不设起付标准, 一天(自然日)内同一机构负担一次,
 * 支付比例 市级及以上不低于40%, 县级不低于50%, 基层不低于60%; 三: 生育医疗费自然分娩不低于1000元, 剖宫产不低于2000元.
 * 洛医保〔2023〕63号 二(一)2: 基层不设起付标准 60%, 县级（含一级）50元 50%, 市级及以上50元 40%; 二(一)3: 大学生基层
 * 不设起付线 80%; 四(四): 自然分娩1000元, 剖宫产2000元. 洛医保〔2022〕36号 第八条: 不设起付线, 50%; 大学生 80%.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDate, type DayNumber } from '../calendar/calendar.js';
import { SettlementError } from '../engine/errors.js';
import { loadPolicies } from '../policy/policies.js';
import { RequestError } from '../request/settle-request.js';
import { checkAgainstFloors, renderCheck, type CheckLine, type CheckReport } from './check.js';
import { readCity, readProvince } from './refs.js';

const policies = loadPolicies();
const DRAFT = join(import.meta.dirname, '../../test/fixtures/luoyang-draft-below-floor.yaml');
const day = (d: string) => parseDate(d) as DayNumber;

function check(city: string, date: string): CheckReport {
  const c = readCity(city, 'CITY', policies, day(date), { files: true });
  return checkAgainstFloors(policies, c, readProvince('henan', '--against', c, policies), day(date));
}

/** The lines as `floor name | city path | floor value | city value | verdict`. */
const table = (r: CheckReport) =>
  r.lines.map((l: CheckLine) => [l.floor.path.split('.').at(-1), l.city?.path ?? null, l.floor.value, l.city?.value ?? null, l.verdict].join(' | '));

describe('Luoyang 2024 (洛医保〔2023〕63号) against Henan 2023 (豫医保办〔2023〕71号)', () => {
  const r = check('luoyang', '2024-06-01');

  it('meets every floor it can be compared with; the inpatient fund share is an outcome, not a city parameter', () => {
    expect(table(r)).toEqual([
      'outpatientPrimaryDeductible | benefits.resident-outpatient.classes.primary.deductible | 0 元/次 | 0 元/次 | meets',
      'outpatientPrimaryDeductible | benefits.resident-outpatient.categories.student.classes.primary.deductible | 0 元/次 | 0 元/次 | meets',
      'outpatientDeductible | benefits.resident-outpatient.classes.county.deductible | 50 元/次左右 | 50 元/次 | meets',
      'outpatientDeductible | benefits.resident-outpatient.classes.city.deductible | 50 元/次左右 | 50 元/次 | meets',
      'outpatientDeductibleWindow | benefits.resident-outpatient.deductibleWindow | 同一自然日（北京时间0时至24时）内同一机构只负担一次 | 同一自然日（北京时间0时至24时）内同一机构只负担一次 | meets',
      // A grade-1 hospital of the city tier is settled in 63号's 县级（含一级） class: 50% ≥ 40%.
      'outpatientRatioCity | benefits.resident-outpatient.classes.county.ratio | 不低于40% | 50% | meets',
      'outpatientRatioCity | benefits.resident-outpatient.classes.city.ratio | 不低于40% | 40% | meets',
      'outpatientRatioCounty | benefits.resident-outpatient.classes.county.ratio | 不低于50% | 50% | meets',
      'outpatientRatioPrimary | benefits.resident-outpatient.classes.primary.ratio | 不低于60% | 60% | meets',
      'outpatientRatioPrimary | benefits.resident-outpatient.categories.student.classes.primary.ratio | 不低于60% | 80% | meets',
      'inpatientFundShare |  | 70%左右 |  | not-comparable',
      'birthNatural | benefits.resident-birth-natural.amount | 不低于1000 元/例 | 1000 元/例 | meets',
      'birthCesarean | benefits.resident-birth-cesarean.amount | 不低于2000 元/例 | 2000 元/例 | meets',
    ]);
    expect(r.summary).toEqual({ meets: 12, breach: 0, differs: 0, 'not-comparable': 1 });
    expect(r.breach).toBe(false);
  });

  it('lists the floors not in force on the day: 71号 一 sets the funding standard for 2023 only', () => {
    expect(r.notInForce.map((n) => [n.path, n.value, n.citation, n.from, n.to])).toEqual([
      ['contributions.subsidyStandard', '不低于640 元/人/年', '豫医保办〔2023〕71号 一', '2023-01-01', '2023-12-31'],
      ['contributions.fundingStandard', '不低于1020 元/人/年', '豫医保办〔2023〕71号 一', '2023-01-01', '2023-12-31'],
    ]);
  });

  it('cites both documents, article by article, on every compared line', () => {
    const primary = r.lines.find((l) => l.city?.path === 'benefits.resident-outpatient.classes.primary.ratio');
    expect(primary?.floor).toMatchObject({ citation: '豫医保办〔2023〕71号 二', quote: '基层定点医疗机构支付比例不低于60%', bound: 'at-least' });
    expect(primary?.city).toMatchObject({ citation: '洛医保〔2023〕63号 二(一)2', class: { id: 'primary', institutions: '基层' } });
    const birth = r.lines.find((l) => l.floor.path === 'parameters.floors.birthCesarean');
    expect(birth?.floor.citation).toBe('豫医保办〔2023〕71号 三');
    expect(birth?.city?.citation).toBe('洛医保〔2023〕63号 四(四)');
    for (const l of r.lines.filter((x) => x.city)) expect(l.city?.citation, l.city?.path).toMatch(/^洛医保〔2023〕63号 /);
    expect(r.cityDocuments.map((d) => d.document)).toEqual(['洛医保〔2023〕63号']);
    expect(r.floorDocuments.map((d) => d.document)).toEqual(['豫医保办〔2023〕71号']);
  });

  it('renders a table with Chinese verdicts and both citations', () => {
    const text = renderCheck(r);
    expect(text).toContain('[符合]');
    expect(text).toContain('省 豫医保办〔2023〕71号 二 · parameters.floors.outpatientRatioPrimary');
    expect(text).toContain('市 洛医保〔2023〕63号 二(一)2 · benefits.resident-outpatient.classes.primary.ratio');
    expect(text).toContain('符合 12 · 低于底线 0 · 与省参考值不同 0 · 无法比较 1');
  });
});

describe('Luoyang in 2023, under 洛医保〔2022〕36号 (50% everywhere, no deductible)', () => {
  const r = check('luoyang', '2023-06-01');

  it('is below the primary floor (50% < 60%) and differs from the county+ deductible of about 50', () => {
    const breach = r.lines.filter((l) => l.verdict === 'breach');
    expect(breach.map((l) => [l.city?.path, l.city?.value, l.city?.citation])).toEqual([['benefits.resident-outpatient.classes.any.ratio', '50%', '洛医保〔2022〕36号 第八条']]);
    expect(breach[0]?.floor.path).toBe('parameters.floors.outpatientRatioPrimary');
    const differs = r.lines.filter((l) => l.verdict === 'differs');
    expect(differs.map((l) => `${l.city?.path} ${l.city?.value}`)).toEqual([
      'benefits.resident-outpatient.classes.any.deductible 0 元/次',
      'benefits.resident-outpatient.categories.student.classes.any.deductible 0 元/次',
    ]);
    expect(r.summary).toEqual({ meets: 7, breach: 1, differs: 2, 'not-comparable': 6 });
    expect(r.breach).toBe(true);
  });

  it('says why a floor cannot be compared: no window, no birth benefit, no 2023 contributions in the city files', () => {
    const why = (path: string) => r.lines.find((l) => l.floor.path === path)?.why;
    expect(why('parameters.floors.outpatientDeductibleWindow')).toContain('未规定起付标准计算周期');
    expect(why('parameters.floors.birthNatural')).toContain('没有居民医保自然分娩待遇');
    // 71号 一's 2023 funding floor (不低于1020元) is in force in 2023; 36号 sets no contributions.
    expect(why('contributions.fundingStandard')).toContain('未规定 contributions.fundingStandard');
  });
});

describe('a draft city policy below a floor', () => {
  it('is a breach (55% < 60%) and a county deductible of 40 differs from 50左右 without being a breach', () => {
    const r = check(DRAFT, '2025-06-01');
    expect(r.cityDocuments.map((d) => d.id)).toEqual(['luoyang-draft']);
    const verdicts = Object.fromEntries(r.lines.filter((l) => l.city).map((l) => [`${l.floor.path.split('.').at(-1)} ${l.city?.path.split('.').slice(-2).join('.')}`, l.verdict]));
    expect(verdicts).toEqual({
      'outpatientPrimaryDeductible primary.deductible': 'meets',
      'outpatientDeductible county.deductible': 'differs',
      'outpatientDeductible city.deductible': 'meets',
      'outpatientDeductibleWindow resident-outpatient.deductibleWindow': 'meets',
      'outpatientRatioCity county.ratio': 'meets',
      'outpatientRatioCity city.ratio': 'meets',
      'outpatientRatioCounty county.ratio': 'meets',
      'outpatientRatioPrimary primary.ratio': 'breach',
    });
    expect(r.summary).toEqual({ meets: 6, breach: 1, differs: 1, 'not-comparable': 3 });
    expect(r.lines.find((l) => l.verdict === 'breach')?.why).toBe('55% 低于省级底线 60%');
  });
});

describe('what cannot be checked', () => {
  it('no floors document in force (71号 from 2023-01-01), no city document in force', () => {
    expect(() => check('luoyang', '2022-06-01')).toThrow(SettlementError);
    expect(() => check('luoyang', '2022-06-01')).toThrow(/no floors document of 河南省 \(410000\) is in force on 2022-06-01/);
    expect(() => check(DRAFT, '2024-06-01')).toThrow(/洛阳市门诊统筹调整草案（测试用） \(2025-01-01 至 今\) is not in force/);
  });

  it('a region that is not a city of the province, or not a region at all', () => {
    const linfen = readCity('linfen', 'CITY', policies, day('2024-06-01'), { files: false });
    expect(() => readProvince('henan', '--against', linfen, policies)).toThrow(/--against: 临汾市 \(141000\) is not a city of 河南省 \(410000\)/);
    const luoyang = readCity('410300', 'CITY', policies, day('2024-06-01'), { files: false });
    expect(() => readProvince('puyang', '--against', luoyang, policies)).toThrow(/is not a city of 濮阳市/);
    expect(() => readProvince('atlantis', '--against', luoyang, policies)).toThrow(RequestError);
    expect(() => readCity('atlantis', 'query.city', policies, day('2024-06-01'), { files: false })).toThrow(/query\.city: unknown region "atlantis"/);
    // The service names packs by id only: a file path is not read.
    expect(() => readCity(DRAFT, 'query.city', policies, day('2025-06-01'), { files: false })).toThrow(RequestError);
  });
});
