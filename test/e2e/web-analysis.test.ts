import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.js';
import { startWebApp, unlabelledInputs, type WebApp } from '../support/web-app.js';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';

const haveChromium = chromiumPresent('web-analysis');

/** 1,234.50 元 → 1234.5 */
const yuanOf = (text: string | null) => Number((text ?? '').replace(/[^\d.-]/g, ''));

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(!haveChromium || s.skip)(`the reform builder in chromium (${s.label})`, () => {
    let web: WebApp;
    let app: FastifyInstance;
    let analystKey: string;
    let deductiblePath: string;

    beforeAll(async () => {
      web = await startWebApp(s.open);
      ({ app } = web);
      analystKey = web.keys.analyst;
      // The county deductible of the resident outpatient pooling, as the API lists the pack.
      const pack = (await app.inject({ url: '/v1/policies/packs/luoyang-2024' })).json() as { params: { path: string; label: string; value: string }[] };
      const found = pack.params.find((x) => /resident-outpatient\.classes\.county\.deductible$/.test(x.path));
      expect(found?.value).toBe('50 元/次');
      deductiblePath = (found as { path: string }).path;
    }, 120_000);

    afterAll(async () => web?.close());

    const signedIn = (key: string, viewport = { width: 1280, height: 800 }): Promise<Page> => web.open('/#/analysis', key, viewport);

    /** Builds the reform through the UI: luoyang-2024, 2,000 persons, the county deductible at 100. */
    const buildReform = async (page: Page) => {
      await page.locator('nav a', { hasText: '改革测算' }).waitFor();
      await expect.poll(() => page.locator(`#a-param option[value="${deductiblePath}"]`).count()).toBe(1);
      await page.getByLabel('基础政策文件').selectOption('luoyang-2024');
      await page.getByLabel('合成人群人数').fill('2000');
      await page.getByLabel('参数', { exact: true }).selectOption(deductiblePath);
      expect(await page.getByTestId('a-current').textContent()).toBe('50 元/次');
      await page.getByLabel('新取值').fill('100');
      await page.getByLabel('新取值').press('Enter');
      await expect.poll(() => page.getByTestId('a-changes').textContent()).toContain(deductiblePath);
      expect(await page.getByTestId('a-changes').textContent()).toContain('假设');
    };

    it('runs a reform that raises the county deductible: the fund pays less, as the API says, and the charts are drawn', async () => {
      const page = await signedIn(analystKey);
      await buildReform(page);
      // Enter in a field runs it; while it runs (the answer held back a moment) it says so, the button disabled.
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      await page.route('**/v1/simulations', async (route) => {
        await held;
        await route.continue();
      });
      await page.getByLabel('调整理由').fill('县级起付线由50元调至100元');
      await page.getByLabel('调整理由').press('Enter');
      await page.getByTestId('a-running').waitFor();
      expect(await page.getByTestId('a-run').isDisabled()).toBe(true);
      expect(await page.getByTestId('a-run').textContent()).toContain('正在测算');
      release();
      await page.getByTestId('a-fund').waitFor({ timeout: 60_000 });
      const shownBase = yuanOf(await page.getByTestId('a-fund-base').textContent());
      const shownReform = yuanOf(await page.getByTestId('a-fund-reform').textContent());
      expect(shownBase).toBeGreaterThan(0);
      expect(shownReform).toBeLessThan(shownBase);
      // The same body, posted by the test: the same figures.
      const body = JSON.parse((await page.getByTestId('a-scenario').textContent()) as string) as { population: { size: number }; policies: unknown[] };
      expect(body.population.size).toBe(2000);
      expect(body.policies[1]).toMatchObject({ pack: 'luoyang-2024', overrides: { [deductiblePath]: 100 }, reason: '县级起付线由50元调至100元' });
      const res = await app.inject({ method: 'POST', url: '/v1/simulations', headers: { authorization: `Bearer ${analystKey}` }, payload: body });
      expect(res.statusCode).toBe(200);
      const answer = res.json() as { hypothetical: boolean; report: { comparisons: { fund: { base: number; other: number } }[] }; charts: Record<string, unknown> };
      expect(answer.hypothetical).toBe(true);
      const fund = answer.report.comparisons[0]?.fund;
      expect(shownBase).toBe(fund?.base);
      expect(shownReform).toBe(fund?.other);
      // Both runs (the page's and the test's) are audited in the store, by the analyst's key.
      const audited = await web.store.db.selectFrom('audit_log').select(['actor', 'action']).where('action', '=', 'analysis.simulation').execute();
      expect(audited).toHaveLength(2);
      // Who gains or loses: by category and by hardship group.
      await expect.poll(() => page.getByTestId('a-by-category').textContent()).toContain('成年居民');
      expect(await page.getByTestId('a-by-hardship').textContent()).toContain('非困难群众');
      // Every chart the API gives is drawn: an svg with shapes in it.
      for (const name of Object.keys(answer.charts)) {
        const chart = page.getByTestId(`a-chart-${name}`);
        await expect.poll(() => chart.locator('svg path').count(), { timeout: 20_000 }).toBeGreaterThan(5);
      }
      await page.screenshot({ path: join(SHOTS, 'analysis-1280x800.png'), fullPage: false });
      if (s.label === 'sqlite') copyFileSync(join(SHOTS, 'analysis-1280x800.png'), join(ROOT, 'docs', 'screenshots', 'analysis.png'));
      await page.screenshot({ path: join(SHOTS, 'analysis-1280x800-full.png'), fullPage: true });
      await page.close();
    }, 120_000);

    it('says in Chinese what is wrong: no change, too many persons, a parameter the service refuses', async () => {
      const page = await signedIn(analystKey);
      await page.locator('nav a', { hasText: '改革测算' }).waitFor();
      await expect.poll(() => page.locator(`#a-param option[value="${deductiblePath}"]`).count()).toBe(1);
      await page.getByTestId('a-run').click();
      await expect.poll(() => page.getByTestId('a-error').textContent()).toContain('请至少加入一项参数调整');
      await page.getByLabel('合成人群人数').fill('300000');
      await page.getByLabel('参数', { exact: true }).selectOption(deductiblePath);
      await page.getByLabel('新取值').fill('一百');
      await page.getByTestId('a-add').click();
      await page.getByTestId('a-run').click();
      await expect.poll(() => page.getByTestId('a-error').textContent()).toContain('合成人群人数须为 1 至 200,000 之间的整数');
      // A value the pack cannot take: the service's refusal, in Chinese first with its problems and code.
      await page.getByLabel('合成人群人数').fill('500');
      await page.getByTestId('a-run').click();
      await expect.poll(() => page.getByTestId('a-error').textContent(), { timeout: 30_000 }).toContain('无法测算');
      const refusal = (await page.getByTestId('a-error').textContent()) as string;
      expect(refusal).toContain(deductiblePath);
      expect(refusal).toMatch(/[A-Z_]{5,}/);
      await page.close();
    }, 60_000);

    it('labels every input and fits a phone (375px)', async () => {
      const page = await signedIn(analystKey, { width: 375, height: 812 });
      await buildReform(page);
      const unlabelled = await unlabelledInputs(page);
      expect(unlabelled).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await page.screenshot({ path: join(SHOTS, 'analysis-375.png'), fullPage: true });
      // In English: the navigation and the page's words (the key stays for the tab's session).
      await page.evaluate("localStorage.setItem('yibao.lang', 'en')");
      await page.reload();
      await page.getByRole('link', { name: 'Reform analysis' }).waitFor();
      await page.getByLabel('Base document').waitFor();
      expect(await page.getByTestId('a-run').textContent()).toBe('Run');
      await page.evaluate("localStorage.removeItem('yibao.lang')");
      await page.close();
    }, 60_000);
  });
}
