/** `yibao catalogue show | price` in-process: the sample catalogue, a user's bad file, a detail priced. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const SAMPLE = 'catalogues/sample.json';
const dir = mkdtempSync(join(tmpdir(), 'yibao-catalogue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('yibao catalogue show', () => {
  it('lists the sample catalogue as a Chinese table, labelled a sample', async () => {
    const r = await runCli(['catalogue', 'show', SAMPLE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('样例目录（非真实目录，仅供测试）【样例目录，非真实目录数据】');
    expect(r.stdout).toMatch(/医疗目录编码\s+名称\s+目录类别\s+收费项目类别\s+等级\s+先行自付比例\s+限价（元）\s+有效期起\s+有效期止\s+来源/);
    expect(r.stdout).toMatch(/SAMPLE-C001\s+样例乙类限价医用耗材（虚构）\s+301 医用耗材\s+08 卫生材料费\s+02 乙类\s+0\.3000\s+100\s+2020-01-01\s+长期/);
  });

  it('--code and --on choose the version in force', async () => {
    const r = await runCli(['catalogue', 'show', SAMPLE, '--code', 'SAMPLE-D005', '--on', '2024-12-31', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ sample: true, on: '2024-12-31' });
    expect(out.items).toEqual([expect.objectContaining({ code: 'SAMPLE-D005', itemClass: '02', selfPayRatio: '0.1000', validTo: '2024-12-31' })]);
    const later = await runCli(['catalogue', 'show', SAMPLE, '--code', 'SAMPLE-D005', '--on', '2025-01-01']);
    expect(later.stdout).toMatch(/SAMPLE-D005.*01 甲类.*2025-01-01/);
    expect(later.stdout).not.toContain('2024-12-31');
    const none = await runCli(['catalogue', 'show', SAMPLE, '--code', 'NOPE']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('NOT_FOUND: 目录中没有编码 NOPE');
  });

  it('refuses a bad file naming every problem (exit 2, nothing on stdout)', async () => {
    const file = join(dir, 'bad.json');
    const item = { code: 'A', name: '甲', listType: '101', chargeType: '09', itemClass: '02', validFrom: '2024-01-01', source: '测试' };
    writeFileSync(file, JSON.stringify({ name: '坏目录', sample: false, items: [item, { ...item, code: 'B', itemClass: '01', priceLimit: '0' }] }));
    const r = await runCli(['catalogue', 'show', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('INVALID_CATALOGUE');
    expect(r.stderr).toContain('2 处问题');
    expect(r.stderr).toContain('items[0].selfPayRatio: 乙类项目须有先行自付比例');
    expect(r.stderr).toContain('items[1].priceLimit: 限价须大于 0');
  });
});

describe('yibao catalogue price', () => {
  it('prices a 乙类 consumable above its limit: the four parts and why', async () => {
    // 2 × 150.005 = 300.01; 超限价 (150.005 − 100) × 2 = 100.01; 先行自付 (300.01 − 100.01) × 0.3 = 60.00; 符合 140.00
    const r = await runCli(['catalogue', 'price', SAMPLE, '--code', 'SAMPLE-C001', '--count', '2', '--price', '150.005', '--on', '2024-05-01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/明细项目费用总额\s+300\.01 元/);
    expect(r.stdout).toMatch(/全自费金额\s+0\.00 元/);
    expect(r.stdout).toMatch(/超限价金额\s+100\.01 元/);
    expect(r.stdout).toMatch(/先行自付金额\s+60\.00 元/);
    expect(r.stdout).toMatch(/符合政策范围金额\s+140\.00 元/);
    expect(r.stdout).toContain('超限价 (150.005 − 100) × 2 = 100.01 元');
    expect(r.stdout).toContain('（样例目录，非真实目录）');
  });

  it('--json with the national names; a refund line with --amount', async () => {
    // −3 × 0.335 = −1.005 → −1.01; 乙类 0.1: 先行自付 −0.101 → −0.10; 符合 −0.91
    const r = await runCli(['catalogue', 'price', SAMPLE, '--code', 'SAMPLE-D002', '--count=-3', '--price', '0.335', '--amount=-1.01', '--on', '2024-05-01', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      sample: true,
      med_list_codg: 'SAMPLE-D002',
      det_item_fee_sumamt: -1.01,
      chrgitm_lv: '02',
      selfpay_prop: '0.1000',
      fulamt_ownpay_amt: 0,
      overlmt_amt: 0,
      preselfpay_amt: -0.1,
      inscp_scp_amt: -0.91,
    });
  });

  it('an item outside the catalogue, and 医院审批标志 2: all self-paid', async () => {
    const out = await runCli(['catalogue', 'price', SAMPLE, '--code', 'REAL-123', '--count', '1', '--price', '8', '--json']);
    expect(JSON.parse(out.stdout)).toMatchObject({
      listed: false,
      fulamt_ownpay_amt: 8,
      inscp_scp_amt: 0,
      memo: '目录外项目（编码REAL-123），全自费 8.00 元（样例目录，非真实目录）',
    });
    const refused = await runCli(['catalogue', 'price', SAMPLE, '--code', 'SAMPLE-D001', '--count', '1', '--price', '8', '--hospital-self-pay', '--json']);
    expect(JSON.parse(refused.stdout)).toMatchObject({ listed: true, fulamt_ownpay_amt: 8, inscp_scp_amt: 0 });
  });

  it('refuses an --amount that is not count × price, and bad options (exit 2)', async () => {
    const wrong = await runCli(['catalogue', 'price', SAMPLE, '--code', 'SAMPLE-D001', '--count', '3', '--price', '0.335', '--amount', '1.00']);
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toContain('--amount: 明细项目费用总额 1.00 元与 数量 3 × 单价 0.335 元 = 1.005 元（四舍五入到分为 1.01 元）不符');
    const both = await runCli(['catalogue', 'price', SAMPLE, '--code', 'X', '--count', '1.23456', '--price=-1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--count: 小数位数至多 4 位');
    expect(both.stderr).toContain('--price: 不可为负');
    expect((await runCli(['catalogue', 'price', SAMPLE, '--code', 'X', '--count', '1'])).stderr).toContain('catalogue price needs --price');
    expect((await runCli(['catalogue', 'show', SAMPLE, '--count', '1'])).stderr).toContain('--count does not go with catalogue show');
    expect((await runCli(['catalogue', 'show', SAMPLE, '--on', '2023-02-29'])).stderr).toContain('--on: 须为真实日期');
    expect((await runCli(['catalogue', 'list'])).code).toBe(2);
    expect((await runCli(['catalogue', 'show', join(dir, 'missing.json')])).stderr).toContain('cannot be read');
  });
});
