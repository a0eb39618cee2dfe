/**
 * 预算与预警 (#/budgets) in chromium, on SQLite and PostgreSQL: the agency records a budget through
 * the page; visits settled through the API (at times the ledger's clock is set to) spend it; the
 * warning margin and the high-cost threshold are set through the API (the page assumes none); the
 * page shows the execution, the chart, the warning with its evidence, the high-cost patients; an
 * analyst sees the figures without the writes; an institution key is refused the page.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';
import { STORES } from '../support/stores.js';
import { startWebApp, unlabelledInputs, type WebApp } from '../support/web-app.js';

const haveChromium = chromiumPresent('web-budgets');

// The history, by hand. Three Luoyang (410300) resident adults of 涧西区 (410305), each one visit at
// a contracted county hospital of grade 2 (H1), outpatient, 300.00 in all of which 250.00 eligible,
// on 10 January, 10 February and 10 March 2024 (settled an hour later). 洛医保〔2023〕63号: deductible
// 50.00, ratio 50%: 统筹基金 (250.00 − 50.00) × 50% = 100.00 each, 个人现金 300.00 − 100.00 = 200.00.
// The ledger's clock is then 2024-04-01 09:00 China time: the report day is yesterday, 2024-03-31.
const VISITS = ['2024-01-10', '2024-02-10', '2024-03-10'];
// The budget set through the page: resident-outpatient of 410305 for 2024, 1,000.00 元.
//   spent to date      3 × 100.00            = 300.00 元
//   remaining          1,000.00 − 300.00     = 700.00 元
//   share spent        300.00 ÷ 1,000.00     = 30.00%
// The projection: no year before 2024 is in the ledger from its January, so linear: 1 January to
// 31 March 2024 is 31 + 29 + 31 = 91 days of 366: 300.00 × 366 ÷ 91 = 1,206.5934… → 1,206.59 元.
// The margin set through the API: 1000 bp (10%): the line is 1,000.00 × 110% = 1,100.00 元, and
// 1,206.59 > 1,100.00 warns: excess 206.59 元, 206.59 ÷ 1,000.00 = 20.66% (2065.9 bp → 2066).
const SPENT = '300.00 元';
const REMAINING = '700.00 元';
const PERCENT = '30.00%';
const PROJECTED = '1,206.59 元';
const LINE = '1,100.00 元';
const EXCESS = '206.59 元（20.66%）';
// The high-cost threshold set through the API: a personal burden of 200.00 元 (20000 fen) in the
// year; each person paid 200.00 in cash (no personal account): all three are listed.

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(!haveChromium || s.skip)(`budgets and warnings in chromium (${s.label})`, () => {
    let w: WebApp;
    const clock = { now: Date.parse('2024-01-02T09:00:00+08:00') };

    const call = async (method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) => {
      const res = await w.inject(method, url, payload);
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    };

    beforeAll(async () => {
      w = await startWebApp(s.open, { clock: () => clock.now });
      expect((await call('PUT', '/v1/clearing/districts/410305', { name: '涧西区', region: '410300', level: 'urban' })).status).toBe(201);
      for (const [i, day] of VISITS.entries()) {
        const person = `p-budget-${i + 1}`;
        expect((await call('PUT', `/v1/persons/${person}`, { region: '410300', scheme: 'resident', category: 'adult', district: '410305' })).status).toBe(201);
        clock.now = Date.parse(`${day}T11:00:00+08:00`);
        const settled = await w.settleCase(`budget-${i + 1}`, person, { time: `${day}T10:00:00+08:00` });
        expect([settled.fundPay, settled.cashPay]).toEqual([100, 200]);
      }
      clock.now = Date.parse('2024-04-01T09:00:00+08:00');
      expect((await call('PUT', '/v1/monitoring/settings/warning', { value: { marginBp: 1000 }, reason: '测试：预警幅度 10%' })).status).toBe(200);
      expect((await call('PUT', '/v1/monitoring/settings/high-cost', { value: { yearBurdenFen: 20_000 }, reason: '测试：年度个人负担 200 元' })).status).toBe(200);
    }, 120_000);

    afterAll(async () => {
      await w?.close();
    });

    const signedIn = (key: 'agency' | 'analyst' | 'institution', viewport?: { width: number; height: number }): Promise<Page> => w.open('/#/budgets', w.keys[key], viewport);
    const row = (page: Page) => page.getByTestId('st-row-resident-outpatient');

    it('the agency sets a budget through the page (refused first on its field), and sees it spent, remaining, 30.00%, charted and warning', async () => {
      const page = await signedIn('agency');
      await page.locator('nav a', { hasText: '预算与预警' }).waitFor();
      await page.getByTestId('bl-empty').waitFor();
      const form = page.getByTestId('budget-form');
      await form.getByLabel('县区').selectOption('410305');
      await form.getByLabel('年度').fill('2024');
      await form.getByLabel('账户').fill('resident-outpatient');
      // Checked as the API checks it: three decimals is no amount.
      await form.getByLabel('金额（元）').fill('1000.005');
      await page.getByTestId('bf-save').click();
      await expect.poll(() => form.locator('#bf-amount-error').textContent()).toBe('金额（元）：须为以元为单位、最多两位小数的金额');
      // The service's refusal of an account the area does not have, under the account field, with its code.
      await form.getByLabel('金额（元）').fill('1000.00');
      await form.getByLabel('账户').fill('no-such-account');
      await page.getByTestId('bf-save').click();
      await expect.poll(() => form.locator('#bf-account-error').textContent()).toContain('账户：不是涧西区的预算账户；可选：');
      expect(await form.locator('#bf-account-error').textContent()).toContain('resident-outpatient');
      expect(await page.getByTestId('bf-error').textContent()).toContain('INVALID_REQUEST');
      expect((await call('GET', '/v1/monitoring/budgets?year=2024')).body.budgets).toEqual([]);

      await form.getByLabel('账户').fill('resident-outpatient');
      await page.getByTestId('bf-save').click();
      await expect.poll(() => page.getByTestId('bf-saved').textContent()).toContain('预算已保存');
      expect(await page.getByTestId('bf-saved').textContent()).toContain('1,000.00 元');
      // As the API now says.
      const budgets = (await call('GET', '/v1/monitoring/budgets?year=2024&area=410305')).body.budgets as { account: string; amount: number }[];
      expect(budgets.map((x) => [x.account, x.amount])).toEqual([['resident-outpatient', 1000]]);
      expect(await page.getByTestId('bl-table').textContent()).toContain('1,000.00 元');

      // The execution: spent, remaining, the share, the projection.
      await expect.poll(() => row(page).getByTestId('st-spent').textContent(), { timeout: 15_000 }).toBe(SPENT);
      expect(await row(page).getByTestId('st-remaining').textContent()).toBe(REMAINING);
      expect(await row(page).getByTestId('st-percent').textContent()).toBe(PERCENT);
      expect(await row(page).textContent()).toContain(PROJECTED);
      // The warning with its evidence, as the API evaluates it.
      const warning = page.getByTestId('st-warning');
      expect(await warning.locator('[data-state]').getAttribute('data-state')).toBe('fires');
      expect(await warning.getByTestId('w-threshold').textContent()).toBe(LINE);
      expect(await warning.getByTestId('w-projected').textContent()).toContain(PROJECTED);
      expect(await warning.getByTestId('w-excess').textContent()).toBe(EXCESS);
      expect(await warning.textContent()).toContain('洛医保〔2023〕63号 三(一)');
      // The months and the chart.
      const months = page.getByTestId('st-months');
      expect(await months.locator('thead th').allTextContents()).toEqual(['月份', ...Array.from({ length: 12 }, (_, i) => `${i + 1}月`)]);
      expect(await months.locator('tbody td').allTextContents()).toEqual(['100.00 元', '100.00 元', '100.00 元', ...Array(9).fill('0.00 元')]);
      const chart = page.getByTestId('st-chart');
      await expect.poll(() => chart.locator('svg path').count(), { timeout: 20_000 }).toBeGreaterThan(5);
      expect(await chart.getAttribute('aria-label')).toContain('涧西区 2024年');
      if (s.label === 'sqlite') {
        await page.evaluate("document.querySelector('[data-testid=statement]').scrollIntoView({ block: 'start' })");
        await page.screenshot({ path: join(SHOTS, 'budgets-1280x800.png') });
        await page.screenshot({ path: join(SHOTS, 'budgets-1280-full.png'), fullPage: true });
        copyFileSync(join(SHOTS, 'budgets-1280x800.png'), join(ROOT, 'docs', 'screenshots', 'budgets.png'));
      }

      // The warnings tab, reached by keyboard: focus the first tab, then the arrow keys.
      await page.getByRole('tab', { name: '总额预算' }).focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      const evidence = page.getByTestId('w-evidence-410305-resident-outpatient');
      await expect.poll(() => evidence.locator('[data-state]').getAttribute('data-state'), { timeout: 15_000 }).toBe('fires');
      expect(await page.getByTestId('w-summary').textContent()).toBe('1 个账户中 1 个预警');
      expect(await page.getByTestId('w-setting').textContent()).toContain('10.00%');
      expect(await page.getByTestId('w-setting').textContent()).toContain('测试：预警幅度 10%');
      expect(await evidence.getByTestId('w-threshold').textContent()).toBe(LINE);
      expect(await evidence.getByTestId('w-text').textContent()).toMatch(/^预警：.*年末预计支出 1206\.59 元，超过本年度可用额度 1000\.00 元 206\.59 元（20\.66%）/);
      expect(await page.getByTestId('w-account-410305-resident-outpatient').textContent()).toContain(`已支出 ${SPENT}`);
      if (s.label === 'sqlite') await page.screenshot({ path: join(SHOTS, 'budgets-warnings.png'), fullPage: true });

      // The high-cost patients: 3 listed, 200.00 元 each; the counts.
      await page.getByRole('tab', { name: '高额费用监测' }).click();
      await expect.poll(() => page.getByTestId('hc-total').textContent(), { timeout: 15_000 }).toBe('3');
      await page.getByTestId('hc-list').waitFor();
      expect(await page.getByTestId('hc-year-burden').allTextContents()).toEqual(['200.00 元', '200.00 元', '200.00 元']);
      expect(await page.getByTestId('hc-text').textContent()).toContain('200.00');
      await expect.poll(() => page.locator('#hs-year').inputValue()).toBe('200.00');
      if (s.label === 'sqlite') await page.screenshot({ path: join(SHOTS, 'budgets-high-cost.png'), fullPage: true });

      // A payment out of the family doctors' account (分账管理), through the page: 0 is refused under
      // its field, as the API refuses it; 30.00 元 on 1 February 2024 is recorded and listed.
      await page.getByRole('tab', { name: '预算账户支出' }).click();
      const pay = page.getByTestId('payment-form');
      await pay.getByLabel('县区').selectOption('410305');
      expect(await pay.getByLabel('账户').inputValue()).toBe('family-doctor');
      await pay.getByLabel('金额（元）').fill('0');
      await pay.getByLabel('支付日期').fill('2024-02-01');
      await pay.getByRole('button', { name: '记录支出' }).click();
      await expect.poll(() => pay.locator('#pf-amount-error').textContent()).toBe('金额（元）：须大于 0');
      await pay.getByLabel('金额（元）').fill('30.00');
      await pay.getByRole('button', { name: '记录支出' }).click();
      await expect.poll(() => page.getByTestId('pl-table').textContent(), { timeout: 15_000 }).toContain('2024年2月1日');
      expect(await page.getByTestId('pl-table').textContent()).toContain('30.00 元');
      const paid = (await call('GET', '/v1/monitoring/budget-payments?area=410305')).body.payments as { amount: number; paidOn: string }[];
      expect(paid.map((p) => [p.amount, p.paidOn])).toEqual([[30, '2024-02-01']]);
      await page.close();
    }, 90_000);

    it('labels every input, fits a phone (390px), speaks English', async () => {
      const page = await signedIn('agency', { width: 390, height: 844 });
      await page.getByTestId('bl-year').fill('2024');
      await page.getByTestId('bl-area').selectOption('410305');
      await page.getByTestId('bl-show').click();
      await expect.poll(() => row(page).getByTestId('st-spent').textContent(), { timeout: 15_000 }).toBe(SPENT);
      await expect.poll(() => page.getByTestId('st-chart').locator('svg path').count(), { timeout: 20_000 }).toBeGreaterThan(5);
      expect(await unlabelledInputs(page)).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      if (s.label === 'sqlite') {
        await page.screenshot({ path: join(SHOTS, 'budgets-390.png'), fullPage: true });
        await page.evaluate("document.querySelector('[data-testid=statement]').scrollIntoView({ block: 'start' })");
        await page.screenshot({ path: join(SHOTS, 'budgets-390-statement.png') });
      }
      // The English switch: the same figures in English words.
      await page.evaluate("localStorage.setItem('yibao.lang', 'en')");
      await page.reload();
      await page.getByRole('link', { name: 'Budgets and warnings' }).waitFor();
      await page.getByRole('tab', { name: 'Warnings' }).click();
      await expect.poll(() => page.getByTestId('w-account-410305-resident-outpatient').textContent(), { timeout: 15_000 }).toContain('Spent 300.00 yuan');
      expect(await page.getByTestId('w-evidence-410305-resident-outpatient').getByTestId('w-threshold').textContent()).toBe('1,100.00 yuan');
      await page.evaluate("localStorage.removeItem('yibao.lang')");
      await page.close();
    }, 60_000);

    it('an analyst sees the figures and the warning without the writes, and the counts but not the persons', async () => {
      const page = await signedIn('analyst');
      await page.locator('nav a', { hasText: '预算与预警' }).waitFor();
      await page.getByTestId('read-only').waitFor();
      await page.getByTestId('bl-year').fill('2024');
      await page.getByTestId('bl-area').selectOption('410305');
      await page.getByTestId('bl-show').click();
      await expect.poll(() => row(page).getByTestId('st-spent').textContent(), { timeout: 15_000 }).toBe(SPENT);
      expect(await row(page).getByTestId('st-remaining').textContent()).toBe(REMAINING);
      expect(await row(page).getByTestId('st-percent').textContent()).toBe(PERCENT);
      expect(await page.getByTestId('st-warning').getByTestId('w-threshold').textContent()).toBe(LINE);
      // As at 29 February 2024: January's and February's visits, 2 × 100.00 = 200.00 元, 20.00% of 1,000.00.
      await page.getByLabel('报告日').fill('2024-02-29');
      await page.getByTestId('bl-show').click();
      await expect.poll(() => row(page).getByTestId('st-spent').textContent(), { timeout: 15_000 }).toBe('200.00 元');
      expect(await row(page).getByTestId('st-remaining').textContent()).toBe('800.00 元');
      expect(await row(page).getByTestId('st-percent').textContent()).toBe('20.00%');
      expect(await page.getByTestId('budget-form').count()).toBe(0);
      expect(await page.getByTestId('bf-save').count()).toBe(0);
      await page.getByRole('tab', { name: '预算账户支出' }).click();
      await page.getByTestId('pl-year').fill('2024');
      await page.getByTestId('pl-show').click();
      await expect.poll(() => page.getByTestId('pl-table').textContent(), { timeout: 15_000 }).toContain('30.00 元');
      expect(await page.getByTestId('payment-form').count()).toBe(0);
      await page.getByRole('tab', { name: '预警分析' }).click();
      await expect.poll(() => page.getByTestId('w-summary').textContent(), { timeout: 15_000 }).toBe('1 个账户中 1 个预警');
      expect(await page.getByTestId('margin-form').count()).toBe(0);
      await page.getByRole('tab', { name: '高额费用监测' }).click();
      await expect.poll(() => page.getByTestId('hc-total').textContent(), { timeout: 15_000 }).toBe('3');
      await page.getByTestId('hc-analyst-note').waitFor();
      expect(await page.getByTestId('hc-list').count()).toBe(0);
      expect(await page.getByTestId('high-cost-form').count()).toBe(0);
      await page.close();
    }, 60_000);

    it('an institution key sees 无权访问 and no link to the page', async () => {
      const page = await signedIn('institution');
      await expect.poll(() => page.getByTestId('forbidden').textContent()).toContain('无权访问');
      expect(await page.locator('nav a', { hasText: '预算与预警' }).count()).toBe(0);
      expect(await page.getByTestId('budget-tabs').count()).toBe(0);
      await page.close();
    });
  });
}
