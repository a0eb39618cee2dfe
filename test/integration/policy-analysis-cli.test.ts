import { runCli } from '../support/cli.js';
import { describe, expect, it } from 'vitest';

const DRAFT = 'test/fixtures/luoyang-draft-below-floor.yaml';

function yibao(args: string[]) {
  return runCli(args);
}

describe('yibao policy check', () => {
  it('Luoyang 2024 meets Henan 71号: exit 0, a table with both citations', async () => {
    const r = await yibao(['policy', 'check', 'luoyang', '--against', 'henan', '--date', '2024-06-01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('洛阳市 (410300) 对照 河南省 (410000) 底线标准 · 2024-06-01');
    expect(r.stdout).toMatch(/\[符合\]\s+门诊统筹基层支付比例\s+不低于60%\s+60%/);
    expect(r.stdout).toContain('市 洛医保〔2023〕63号 二(一)2 · benefits.resident-outpatient.classes.primary.ratio');
    expect(r.stdout).toContain('符合 12 · 低于底线 0 · 与省参考值不同 0 · 无法比较 1');
  });

  it('--json for machines, by admdvs codes', async () => {
    const r = await yibao(['policy', 'check', '410300', '--against', '410000', '--date', '2024-06-01', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ date: '2024-06-01', city: { code: '410300' }, province: { code: '410000' }, breach: false });
    expect(out.lines.find((l: { floor: { path: string } }) => l.floor.path === 'parameters.floors.birthNatural')).toMatchObject({
      floor: { value: '不低于1000 元/例', citation: '豫医保办〔2023〕71号 三' },
      city: { value: '1000 元/例', citation: '洛医保〔2023〕63号 四(四)', path: 'benefits.resident-birth-natural.amount' },
      verdict: 'meets',
    });
  });

  it('a draft policy file with a primary ratio below the floor: exit 1, the breach named', async () => {
    const r = await yibao(['policy', 'check', DRAFT, '--against', 'henan', '--date', '2025-06-01']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/\[低于底线\]\s+门诊统筹基层支付比例\s+不低于60%\s+55%/);
    expect(r.stdout).toMatch(/\[与省参考值不同\]\s+门诊统筹县级及以上起付标准\s+50 元\/次左右\s+40 元\/次/);
    expect(r.stdout).toContain('55% 低于省级底线 60%');
    const json = await yibao(['policy', 'check', DRAFT, '--against', 'henan', '--date', '2025-06-01', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).summary).toEqual({ meets: 6, breach: 1, differs: 1, 'not-comparable': 3 });
  });

  it('Luoyang in 2023 (36号, 50% everywhere) is below the primary floor: exit 1', async () => {
    const r = await yibao(['policy', 'check', 'luoyang', '--against', 'henan', '--date', '2023-06-01', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary.breach).toBe(1);
  });

  it('no floors in force on the date: exit 1, the error on stdout with --json and on stderr', async () => {
    const r = await yibao(['policy', 'check', 'luoyang', '--against', 'henan', '--date', '2022-06-01', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('NO_POLICY_IN_FORCE');
    expect(r.stderr).toContain('no floors document of 河南省 (410000) is in force on 2022-06-01');
  });

  const invalid: [string, string[], RegExp][] = [
    ['an unknown region', ['atlantis', '--against', 'henan'], /CITY: unknown region "atlantis"/],
    ['an unknown province', ['luoyang', '--against', 'atlantis'], /--against: unknown region "atlantis"/],
    ['a date that does not exist', ['luoyang', '--against', 'henan', '--date', '2023-02-30'], /--date: must be a real date YYYY-MM-DD, got "2023-02-30"/],
    ['a city of another province', ['linfen', '--against', 'henan'], /--against: 临汾市 \(141000\) is not a city of 河南省 \(410000\)/],
    ['a city that is not in the region named', ['luoyang', '--against', 'puyang'], /--against: 洛阳市 \(410300\) is not a city of 濮阳市 \(410900\)/],
    ['no --against', ['luoyang'], /policy check needs --against PROVINCE/],
  ];
  for (const [name, args, pattern] of invalid) {
    it(`refuses ${name}: exit 2, the field named, no stack trace, nothing on stdout`, async () => {
      const r = await yibao(['policy', 'check', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
  }
});

describe('yibao policy diff', () => {
  it('luoyang-2022 luoyang-2024: the cap 260 → 280 with both citations, the ratio by tier', async () => {
    const r = await yibao(['policy', 'diff', 'luoyang-2022', 'luoyang-2024']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/年度最高支付限额\s+260 元\/人\/年 → 280 元\/人\/年/);
    expect(r.stdout).toContain('A 洛医保〔2022〕36号 第八条 · 2022-01-01 至 2023-12-31');
    expect(r.stdout).toContain('B 洛医保〔2023〕63号 二(一)2 · 2024-01-01 至 今');
    expect(r.stdout).toMatch(/\* 基层\s+50%\s+→ 60%/);
  });

  it('a pack against itself: empty (--json)', async () => {
    const r = await yibao(['policy', 'diff', 'luoyang-2024', 'luoyang-2024', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.identical).toBe(true);
    expect([out.added, out.removed, out.changed]).toEqual([[], [], []]);
  });

  it('refuses an unknown pack (exit 2, naming it) and a missing B', async () => {
    const r = await yibao(['policy', 'diff', 'luoyang-2024', 'luoyang-2099']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/B: "luoyang-2099" is not a policy pack id \(known: .*luoyang-2022/);
    expect((await yibao(['policy', 'diff', 'luoyang-2024'])).code).toBe(2);
  });
});
