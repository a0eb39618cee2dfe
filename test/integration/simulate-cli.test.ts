/**
 * `yibao simulate`: the report as a table, as JSON and as SVG charts; bad scenarios and claims
 * refused with exit 2, naming the field or line, nothing on stdout and no stack trace.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main.js';
import { barChartOption, COLOURS } from '../../src/sim/charts.js';
import { barChartSvg } from '../../src/sim/svg.js';

const dir = mkdtempSync(join(tmpdir(), 'yibao-simcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], stderrIsTTY = false) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => '', stderrIsTTY };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const SMALL = `format: yibao-scenario/1
name: small
seed: 3
year: 2024
policies: [luoyang-2022, luoyang-2024]
population: { size: 400, shares: { student: 10, child: 20 }, hardship: { dibao: 5 } }
visits: { perPerson: { adult: 6, child: 4, student: 3 } }
tiers:
  primary: { share: 70, cost: { p0: 5, p50: 40, p100: 600 } }
  county: { share: 30, cost: { p0: 20, p50: 150, p100: 2000 }, eligible: { min: 80, max: 100 } }
`;

describe('yibao simulate', () => {
  it('prints the report as a table by default', async () => {
    const r = await run(['simulate', file('small.yaml', SMALL), '--threads', '0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Fund outlay 统筹基金支付 (yuan)');
    expect(r.stdout).toContain('Comparison: 洛医保〔2023〕63号 (2024) against 洛医保〔2022〕36号 (2023)');
    expect(r.stdout).toContain('who gains');
  });

  it('prints JSON with --json, the same on worker threads, and writes SVG charts with --svg', async () => {
    const svg = join(dir, 'charts');
    const a = await run(['simulate', file('small.yaml', SMALL), '--json', '--threads', '0']);
    const b = await run(['simulate', file('small.yaml', SMALL), '--json', '--threads', '2', '--svg', svg]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const report = JSON.parse(a.stdout);
    expect(report.population.persons).toBe(400);
    expect(report.policies.map((p: { policy: { id: string } }) => p.policy.id)).toEqual(['luoyang-2022', 'luoyang-2024']);
    expect(report.comparisons).toHaveLength(1);
    for (const name of ['fund-by-month.svg', 'fund-by-tier.svg', 'fund-per-capita-by-category.svg', 'out-of-pocket.svg']) {
      expect(existsSync(join(svg, name)), name).toBe(true);
    }
    const month = readFileSync(join(svg, 'fund-by-month.svg'), 'utf8');
    expect(month.startsWith('<svg ')).toBe(true);
    expect(month).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(month.trimEnd().endsWith('</svg>')).toBe(true);
    expect(month).toMatch(/<title>[^<]*统筹基金支付 by month<\/title>/);
    // Twelve months × two policies: a bar in each policy's colour per month, and its legend mark.
    expect(month.match(/fill="#3b6ea8"/g)).toHaveLength(13);
    expect(month.match(/fill="#d9822b"/g)).toHaveLength(13);
    expect(b.stderr).toContain('charts written');
  });

  it('refuses a bad scenario with exit 2, naming the field', async () => {
    const r = await run(['simulate', file('bad.yaml', SMALL.replace('size: 400', 'size: -4').replace('luoyang-2022', 'atlantis-2022'))]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('yibao: invalid scenario:\n  population.size: must be at least 1\n');
    const pack = await run(['simulate', file('pack.yaml', SMALL.replace('luoyang-2022', 'atlantis-2022'))]);
    expect(pack.code).toBe(2);
    expect(pack.stderr).toMatch(/^yibao: invalid scenario:\n {2}policies\[0\]: unknown policy pack "atlantis-2022"/);
    const yaml = await run(['simulate', file('syntax.yaml', 'format: [\n')]);
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toMatch(/^yibao: invalid scenario:\n {2}.*syntax\.yaml: line \d+: /);
    const missing = await run(['simulate', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: cannot be read (ENOENT)');
    for (const x of [r, pack, yaml, missing]) expect(x.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses bad claims with exit 2, naming the line', async () => {
    file('claims.csv', 'person,category,visit,time,institution,tier,grade,contracted,total\nA,adult,a1,2024-01-02T09:00:00+08:00,J1,primary,0,true,abc\n');
    const r = await run(['simulate', file('claims.yaml', 'format: yibao-scenario/1\npolicies: [luoyang-2024]\nclaims: { file: claims.csv }\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`yibao: invalid scenario:\n  ${join(dir, 'claims.csv')} line 2: total: must be an amount in yuan with at most two decimal places, got "abc"\n`);
  });

  it('draws a progress bar on stderr only when it is a terminal', async () => {
    const tty = await run(['simulate', file('small.yaml', SMALL), '--threads', '1'], true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/^\r\[[#.]{30}\] [\d,]+\/400 persons, [\d,]+ visits, [\d.]+ s/);
    expect(tty.stderr).toMatch(/\r\[#{30}\] 400\/400 persons, [\d,]+ visits, [\d.]+ s\n$/);
    const piped = await run(['simulate', file('small.yaml', SMALL), '--threads', '1']);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe(tty.stdout);
  });

  it('checks its arguments', async () => {
    expect((await run(['simulate'])).code).toBe(2);
    const t = await run(['simulate', file('small.yaml', SMALL), '--threads', 'many']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--threads must be a whole number 0–64');
    expect((await run(['--help'])).stdout).toContain('yibao simulate SCENARIO [--json] [--svg DIR] [--impacts FILE.csv] [--threads N]');
  });
});

describe('SVG charts (ECharts, server-side)', () => {
  it('the option: title, groups, unit, a bar series per policy in its colour, no animation', () => {
    const option = barChartOption({ title: 'T', unit: '元', groups: ['x', 'y'], series: [{ name: 'p', values: [1, 2] }] });
    expect(option).toMatchObject({
      animation: false,
      title: { text: 'T' },
      xAxis: { type: 'category', data: ['x', 'y'] },
      yAxis: { name: '元' },
      series: [{ name: 'p', type: 'bar', data: [1, 2], itemStyle: { color: COLOURS[0] } }],
    });
  });

  it('escape text and draw a bar per series and group', () => {
    const svg = barChartSvg({
      title: 'a < b & "c"',
      unit: '元',
      groups: ['x', 'y'],
      series: [
        { name: 'p', values: [1, 2] },
        { name: 'q', values: [3, 0] },
      ],
    });
    expect(svg).toContain('<title>a &lt; b &amp; &quot;c&quot;</title>');
    expect(svg).not.toContain('a < b');
    // Two groups per series, and the series' legend mark.
    expect(svg.match(new RegExp(`fill="${COLOURS[0]}"`, 'g'))).toHaveLength(3);
    expect(svg.match(new RegExp(`fill="${COLOURS[1]}"`, 'g'))).toHaveLength(3);
  });

  it('simulates a reform from a draft file on worker threads, marks it hypothetical and writes the impacts CSV', async () => {
    const draft = file(
      'reform.yaml',
      'format: yibao-policy-overlay/1\nextends: luoyang-2024\nreason: 比例下调\nparameters:\n  benefits.resident-outpatient.classes.county.ratio: { value: 40, unit: percent, source: 草案 }\n',
    );
    const scenario = file(
      'reform-scenario.yaml',
      SMALL.replace('policies: [luoyang-2022, luoyang-2024]', `policies: [luoyang-2024, { pack: luoyang-2024, name: 比例下调, draft: ${draft} }]`),
    );
    const csv = join(dir, 'impacts.csv');
    const r = await run(['simulate', scenario, '--threads', '2', '--json', '--impacts', csv]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('per-person impacts written');
    const report = JSON.parse(r.stdout);
    expect(report.policies[1].policy).toMatchObject({ name: '比例下调', draft: { hypothetical: true, parameters: [{ text: '40%', citation: '假设（改革草案）: 比例下调' }] } });
    // A lower ratio: the fund pays less, nobody pays less.
    expect(report.comparisons[0].fund.change).toBeLessThan(0);
    expect(report.comparisons[0].impacts.gainers).toBe(0);
    expect(readFileSync(csv, 'utf8').trimEnd().split('\r\n')).toHaveLength(401);
    const table = await run(['simulate', scenario, '--threads', '0']);
    expect(table.stdout).toContain('比例下调（假设）');
    expect(table.stdout).toContain('假设（改革草案）: 比例下调; hypothetical, not policy');
  });
});
