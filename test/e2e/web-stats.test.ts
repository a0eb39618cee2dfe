import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.js';
import { startWebApp, unlabelledInputs, type WebApp } from '../support/web-app.js';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';

const haveChromium = chromiumPresent('web-stats');

/** 1,234.50 元 → 1234.5 */
const yuanOf = (text: string | null) => Number((text ?? '').replace(/[^\d.-]/g, ''));

const N = 3;

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(!haveChromium || s.skip)(`the fund statistics in chromium (${s.label})`, () => {
    let web: WebApp;
    let app: FastifyInstance;
    let analystKey: string;
    let expectedFund = 0;

    beforeAll(async () => {
      web = await startWebApp(s.open);
      ({ app } = web);
      analystKey = web.keys.analyst;
      // N visits settled by the agency: Luoyang resident adult, county grade-2 contracted, outpatient 2024-03-02, 300.00 of which 250.00 eligible.
      let fen = 0;
      for (let i = 1; i <= N; i++) {
        const { fundPay } = await web.settleCase(`stats-${i}`, `p-stats-${i}`);
        expect(fundPay).toBe(100);
        fen += Math.round(fundPay * 100);
      }
      expectedFund = fen / 100;
    }, 120_000);

    afterAll(async () => web?.close());

    const signedIn = (key: string, viewport = { width: 1280, height: 800 }): Promise<Page> => web.open('/#/stats', key, viewport);

    const open2024 = async (page: Page) => {
      await page.locator('nav a', { hasText: '基金统计' }).waitFor();
      await page.getByLabel('年度').fill('2024');
      await page.getByLabel('年度').press('Enter');
      await expect.poll(() => page.getByTestId('s-settlements').textContent()).toBe(String(N));
    };

    it('shows 2024: the fund outlay is N × 100.00 元, by policy and month, and the chart is drawn', async () => {
      // The page first shows this year; its answer is held back until after 2024's has come: a late
      // answer to the year asked before must not replace the one asked last.
      const thisYear = new Date().getFullYear();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const page = await web.open('/#/stats', analystKey, undefined, (p) =>
        p.route(`**/v1/stats/fund?year=${thisYear}`, async (route) => {
          await held;
          await route.continue();
        }),
      );
      await open2024(page);
      release();
      await page.waitForResponse(`**/v1/stats/fund?year=${thisYear}`);
      await page.waitForTimeout(200);
      expect(await page.getByTestId('s-settlements').textContent()).toBe(String(N));
      expect(await page.getByTestId('s-fund').textContent()).toBe(`${expectedFund.toFixed(2)} 元`);
      expect(yuanOf(await page.getByTestId('s-fund').textContent())).toBe(N * 100);
      expect(await page.getByTestId('s-by-policy').textContent()).toContain(`${expectedFund.toFixed(2)} 元`);
      expect(await page.getByTestId('s-by-month').textContent()).toContain('3月');
      // As the API says.
      const api = (await app.inject({ url: '/v1/stats/fund?year=2024', headers: { authorization: `Bearer ${analystKey}` } })).json() as { totals: { fundPay: number } };
      expect(api.totals.fundPay).toBe(expectedFund);
      const chart = page.getByTestId('s-chart');
      await expect.poll(() => chart.locator('svg path').count(), { timeout: 20_000 }).toBeGreaterThan(5);
      expect(await chart.getAttribute('aria-label')).toContain('2024');
      await page.screenshot({ path: join(SHOTS, 'stats-1280x800.png'), fullPage: false });
      if (s.label === 'sqlite') copyFileSync(join(SHOTS, 'stats-1280x800.png'), join(ROOT, 'docs', 'screenshots', 'stats.png'));
      // A year without settlements says so; a year that is not one is refused in Chinese.
      await page.getByLabel('年度').fill('2023');
      await page.getByTestId('s-show').click();
      await page.getByTestId('s-empty').waitFor();
      expect(await page.getByTestId('s-fund').textContent()).toBe('0.00 元');
      await page.getByLabel('年度').fill('abc');
      await page.getByTestId('s-show').click();
      await expect.poll(() => page.getByTestId('s-error').textContent()).toContain('年度须为四位数字');
      await page.close();
    }, 60_000);

    it('labels every input, fits a phone (375px) and speaks English', async () => {
      const page = await signedIn(analystKey, { width: 375, height: 812 });
      await open2024(page);
      await expect.poll(() => page.getByTestId('s-chart').locator('svg path').count(), { timeout: 20_000 }).toBeGreaterThan(5);
      const unlabelled = await unlabelledInputs(page);
      expect(unlabelled).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await page.screenshot({ path: join(SHOTS, 'stats-375.png'), fullPage: true });
      await page.evaluate("localStorage.setItem('yibao.lang', 'en')");
      await page.reload();
      await page.getByRole('link', { name: 'Fund statistics' }).waitFor();
      await page.getByLabel('Year').fill('2024');
      await page.getByLabel('Year').press('Enter');
      await expect.poll(() => page.getByTestId('s-fund').textContent()).toBe(`${expectedFund.toFixed(2)} yuan`);
      await page.evaluate("localStorage.removeItem('yibao.lang')");
      await page.close();
    }, 60_000);
  });
}
