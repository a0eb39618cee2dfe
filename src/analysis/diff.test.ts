/**
 * `policy diff`, hand-read from the documents: 洛医保〔2022〕36号 第八条 (不设起付线, 50%, 限额260元;
 * 大学生 80%, 600元) against 洛医保〔2023〕63号 二(一)2–3 (基层 60% 不设起付标准, 县级（含一级）50% 每次50元,
 * 市级及以上 40% 每次50元, 限额280元; 大学生基层 80% 不设起付线, 其他级别参照居民, 600元).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_POLICY_DIR } from '../policy/load.js';
import { loadPolicies } from '../policy/policies.js';
import { diffPacks, renderDiff, type DiffReport } from './diff.js';
import { readPack } from './refs.js';

const policies = loadPolicies();
const pack = (ref: string) => readPack(ref, 'A', policies, { files: true });
const EXAMPLE = join(BUILTIN_POLICY_DIR, '../examples/user-policy-luoyang-two-diseases.yaml');

describe('洛医保〔2022〕36号 → 洛医保〔2023〕63号', () => {
  const r: DiffReport = diffPacks(pack('luoyang-2022'), pack('luoyang-2024'));

  it('the cap 260 → 280 is the one figure changed at the same path, with both citations and dates', () => {
    expect(r.changed).toEqual([
      {
        path: 'benefits.resident-outpatient.cap',
        group: '居民医保普通门诊统筹 · 普通门诊',
        label: '年度最高支付限额',
        a: [{ value: '260 元/人/年', unit: 'yuan-per-year', source: '洛医保〔2022〕36号 第八条', from: '2022-01-01', to: '2023-12-31', supplied: 'document' }],
        b: [{ value: '280 元/人/年', unit: 'yuan-per-year', source: '洛医保〔2023〕63号 二(一)2', from: '2024-01-01', to: null, supplied: 'document' }],
      },
    ]);
    expect(r.a.effective).toEqual({ from: '2022-01-01', to: '2023-12-31', source: '洛医保〔2022〕36号 第十九条' });
    expect(r.b.effective).toEqual({ from: '2024-01-01', to: null, source: '洛医保〔2023〕63号 末段' });
  });

  it('the student cap 600 is unchanged, restated by 63号 二(一)3', () => {
    const student = r.unchanged.find((u) => u.path === 'benefits.resident-outpatient.categories.student.cap');
    expect(student?.a[0]).toMatchObject({ value: '600 元/人/年', source: '洛医保〔2022〕36号 第八条' });
    expect(student?.b[0]).toMatchObject({ value: '600 元/人/年', source: '洛医保〔2023〕63号 二(一)3' });
  });

  it('the one class for every institution is removed, the three by tier and the deductible window added', () => {
    const paths = (list: { path: string }[]) =>
      list
        .map((p) => p.path)
        .filter((p) => p.startsWith('benefits.resident-outpatient.'))
        .sort();
    expect(paths(r.removed)).toEqual(
      [
        'benefits.resident-outpatient.classes.any.deductible',
        'benefits.resident-outpatient.classes.any.ratio',
        'benefits.resident-outpatient.categories.student.classes.any.deductible',
        'benefits.resident-outpatient.categories.student.classes.any.ratio',
        // 36号 第五条 住院期间不享受门诊统筹待遇: 63号 does not restate it.
        'benefits.resident-outpatient.notDuringStay',
      ].sort(),
    );
    expect(paths(r.added)).toEqual(
      [
        'benefits.resident-outpatient.deductibleWindow',
        'benefits.resident-outpatient.classes.primary.deductible',
        'benefits.resident-outpatient.classes.primary.ratio',
        'benefits.resident-outpatient.classes.county.deductible',
        'benefits.resident-outpatient.classes.county.ratio',
        'benefits.resident-outpatient.classes.city.deductible',
        'benefits.resident-outpatient.classes.city.ratio',
        'benefits.resident-outpatient.categories.student.classes.primary.deductible',
        'benefits.resident-outpatient.categories.student.classes.primary.ratio',
      ].sort(),
    );
    // Parameters 36号 has and 63号's file does not: 第三条's family-doctor fee. (Its student budget and
    // the budget's method are in 63号's file too, citing 36号 第三条: 63号 did not change them.)
    expect(r.removed.map((p) => p.path).filter((p) => p.startsWith('parameters.'))).toEqual(['parameters.budget.familyDoctorServiceFee']);
  });

  it('compares the outpatient benefit tier by tier: 50% → 60/50/40, deductible 0 → 0/50/50; students 80% → 50/40 outside primary care', () => {
    expect(r.byTier).toHaveLength(1);
    const t = r.byTier[0];
    expect(t?.classes).toEqual({
      a: [{ id: 'any', label: '门诊统筹定点医疗机构' }],
      b: [
        { id: 'primary', label: '基层定点医疗机构' },
        { id: 'county', label: '县级（含一级）定点医疗机构' },
        { id: 'city', label: '市级及以上定点医疗机构' },
      ],
    });
    const rows = (parameter: string, category: string | null) =>
      t?.tables.find((x) => x.parameter === parameter && (x.category?.id ?? null) === category)?.rows.map((row) => `${row.institutions} ${row.a?.value} → ${row.b?.value}`);
    expect(rows('ratio', null)).toEqual([
      '基层 50% → 60%',
      '县级 50% → 50%',
      '市级（未定级、二级、三级） 50% → 40%',
      '市级（一级） 50% → 50%',
      '省级（未定级、二级、三级） 50% → 40%',
      '省级（一级） 50% → 50%',
    ]);
    expect(rows('deductible', null)?.slice(0, 3)).toEqual(['基层 0 元/次 → 0 元/次', '县级 0 元/次 → 50 元/次', '市级（未定级、二级、三级） 0 元/次 → 50 元/次']);
    expect(rows('ratio', 'student')?.slice(0, 3)).toEqual(['基层 80% → 80%', '县级 80% → 50%', '市级（未定级、二级、三级） 80% → 40%']);
    const primary = t?.tables[0]?.rows[0];
    expect(primary).toMatchObject({ changed: true, a: { source: '洛医保〔2022〕36号 第八条' }, b: { source: '洛医保〔2023〕63号 二(一)2' } });
  });

  it('renders old → new with both citations, and the tier table', () => {
    const text = renderDiff(r);
    expect(text).toContain('260 元/人/年 → 280 元/人/年');
    expect(text).toContain('A 洛医保〔2022〕36号 第八条 · 2022-01-01 至 2023-12-31');
    expect(text).toContain('B 洛医保〔2023〕63号 二(一)2 · 2024-01-01 至 今');
    expect(text).toMatch(/\* 基层\s+50%\s+→ 60%/);
  });
});

describe('a pack against itself, and against a user policy file over it', () => {
  it('itself: nothing added, removed or changed', () => {
    const p = pack('luoyang-2024');
    const r = diffPacks(p, p);
    expect(r.identical).toBe(true);
    expect([r.added, r.removed, r.changed, r.byTier]).toEqual([[], [], [], []]);
    expect(r.unchanged).toHaveLength(p.params.size);
    expect(renderDiff(r)).toContain(`没有差别：${p.params.size} 个参数`);
  });

  it('the example user file fills the 两病 ratio and deductible 63号 二(二) leaves open', () => {
    const r = diffPacks(pack('luoyang-2024'), pack(EXAMPLE));
    expect(r.b.overlays).toEqual([EXAMPLE]);
    expect(r.changed.map((c) => [c.path, c.a[0]?.value.startsWith('（文件未规定'), c.b[0]?.value, c.b[0]?.supplied])).toEqual([
      ['benefits.resident-two-diseases.classes.any.deductible', true, '0 元/次', 'user'],
      ['benefits.resident-two-diseases.classes.any.ratio', true, '50%', 'user'],
    ]);
    expect([r.added, r.removed]).toEqual([[], []]);
  });
});
