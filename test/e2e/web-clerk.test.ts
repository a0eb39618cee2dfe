import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.js';
import { startWebApp, unlabelledInputs, type WebApp } from '../support/web-app.js';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';

const haveChromium = chromiumPresent('web-clerk');

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(!haveChromium || s.skip)(`the clerk console in chromium (${s.label})`, () => {
    let web: WebApp;
    let app: FastifyInstance;
    let agencyKey: string;
    let institutionKey: string;

    beforeAll(async () => {
      web = await startWebApp(s.open);
      ({ app } = web);
      agencyKey = web.keys.agency;
      institutionKey = web.keys.institution;
      // The person, registered by the agency through the API.
      const put = await app.inject({
        method: 'PUT',
        url: '/v1/persons/p-clerk-1',
        headers: { authorization: `Bearer ${agencyKey}` },
        payload: { region: '410300', scheme: 'resident', category: 'adult' },
      });
      expect(put.statusCode).toBe(201);
    }, 120_000);

    afterAll(async () => web?.close());

    /** Opens the app and signs in through the UI with the key given. */
    const signedIn = (key: string, viewport = { width: 1280, height: 800 }): Promise<Page> => web.open('/#/clerk', key, viewport);

    const pick = async (page: Page, testId: string, text: string) => {
      await page.getByTestId(testId).click();
      await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click();
    };
    const split = (page: Page, key: string) => page.getByTestId(`r-${key}`).locator('td');

    // By hand: a Luoyang (410300) resident adult at a contracted county hospital of grade 2,
    // outpatient on 2024-03-02, 300.00 in all, 250.00 eligible. 洛医保〔2023〕63号: deductible
    // 50.00, ratio 50%: fund (250.00 − 50.00) × 50% = 100.00; cash 300.00 − 100.00 = 200.00.
    it('finds the person, pre-settles and settles the hand-computed case, prints the slip, reverses it', async () => {
      const page = await signedIn(agencyKey);
      await page.locator('nav a', { hasText: '经办台' }).waitFor();
      await page.getByLabel('人员编号').fill('p-clerk-1');
      await page.getByLabel('年度').fill('2024');
      await page.getByTestId('find').click();
      await expect.poll(() => page.getByTestId('registry').textContent()).toContain('410300');
      expect(await page.getByTestId('history').textContent()).toContain('无');

      await page.getByLabel('就诊编号').fill('v-clerk-1');
      await page.getByLabel('医疗机构编号').fill('H1');
      await pick(page, 'v-tier', '县级');
      await pick(page, 'v-grade', '二级');
      await pick(page, 'v-type', '普通门诊');
      await page.getByLabel('就诊日期').fill('2024-03-02');
      await page.getByLabel('医疗费总额（元）').fill('300.00');
      await page.getByLabel('政策范围内金额（元）').fill('250.00');

      // A refusal on its field first: an amount that is not one.
      await page.getByLabel('医疗费总额（元）').fill('abc');
      await page.getByTestId('pre-settle').click();
      const totalItem = page.locator('.el-form-item', { has: page.getByLabel('医疗费总额（元）') });
      await expect.poll(() => totalItem.locator('.el-form-item__error').textContent()).toContain('医疗费总额：须为以元为单位');
      await page.getByLabel('医疗费总额（元）').fill('300.00');

      await page.getByTestId('pre-settle').click();
      await expect.poll(() => split(page, 'fundPay').textContent()).toBe('100.00 元');
      expect(await split(page, 'cashPay').textContent()).toBe('200.00 元');
      expect(await page.locator('#result-title').textContent()).toContain('预结算');
      expect(await page.getByTestId('slip').count()).toBe(0);
      // Nothing written by the pre-settle.
      expect(await page.getByTestId('history').textContent()).toContain('无');

      await page.getByTestId('settle').click();
      await page.getByTestId('slip').waitFor();
      expect(await split(page, 'fundPay').textContent()).toBe('100.00 元');
      expect(await split(page, 'cashPay').textContent()).toBe('200.00 元');
      // The history and the year: the cap used 100.00, the deductible borne 50.00 at H1 on the day.
      await expect.poll(() => page.getByTestId('history').textContent()).toContain('v-clerk-1');
      const history = (await page.getByTestId('history').textContent()) ?? '';
      expect(history).toContain('300.00 元');
      expect(history).toContain('100.00 元');
      expect(await page.getByTestId('caps').textContent()).toContain('100.00 元');
      const deductibles = (await page.getByTestId('deductibles').textContent()) ?? '';
      expect(deductibles).toContain('H1');
      expect(deductibles).toContain('2024年3月2日');
      expect(deductibles).toContain('50.00 元');

      // The slip: person, visit, institution, date (China time), split, trace with its articles.
      const slip = (await page.getByTestId('slip').textContent()) ?? '';
      expect(slip).toContain('结算单');
      expect(slip).toContain('p-clerk-1');
      expect(slip).toContain('v-clerk-1');
      expect(slip).toContain('H1');
      expect(slip).toContain('2024年3月2日');
      expect(slip).toContain('北京时间');
      expect(slip).toMatch(/统筹基金\s*100\.00 元/);
      expect(slip).toMatch(/个人现金\s*200\.00 元/);
      expect(await page.getByTestId('slip-trace').textContent()).toMatch(/依据：洛医保〔2023〕63号/);
      const chinaNow = new Date(Date.now() + 8 * 3600_000);
      expect(await page.getByTestId('slip-time').textContent()).toContain(`${chinaNow.getUTCFullYear()}年${chinaNow.getUTCMonth() + 1}月`);
      await page.mouse.move(0, 0);
      await page.evaluate("document.activeElement?.blur(); document.getElementById('year-title')?.scrollIntoView()");
      await page.screenshot({ path: join(SHOTS, 'clerk-1280x800.png'), fullPage: false });
      copyFileSync(join(SHOTS, 'clerk-1280x800.png'), join(ROOT, 'docs', 'screenshots', 'clerk.png'));
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.app-header').isVisible()).toBe(false);
      expect(await page.getByTestId('find').isVisible()).toBe(false);
      expect(await page.getByTestId('slip').isVisible()).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'clerk-slip-print.png'), fullPage: true });
      await page.emulateMedia({ media: 'screen' });

      // Reverse: a confirmation first (cancel changes nothing), then the reversal.
      await page.getByTestId('reverse').click();
      await page.getByTestId('reverse-question').waitFor();
      await page.getByTestId('reverse-cancel').click();
      expect(await page.getByTestId('reversal').count()).toBe(0);
      await page.getByTestId('reverse').click();
      await page.getByTestId('reverse-confirm').click();
      await expect.poll(() => page.getByTestId('reversal').textContent()).toMatch(/已冲销：R-/);
      await expect.poll(() => page.getByTestId('history').textContent()).toContain('冲销');
      expect(await page.getByTestId('history').textContent()).toContain('-100.00 元');
      await expect.poll(() => page.getByTestId('caps').textContent()).toMatch(/已使用.*0\.00 元/);
      expect(await page.getByTestId('reverse').count()).toBe(0);
      await page.close();
    });

    it('labels every input and fits a phone (375px)', async () => {
      const page = await signedIn(agencyKey, { width: 375, height: 812 });
      await page.getByLabel('人员编号').fill('p-clerk-1');
      await page.getByLabel('人员编号').press('Enter');
      await page.getByTestId('registry').waitFor();
      const unlabelled = await unlabelledInputs(page);
      expect(unlabelled).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await page.screenshot({ path: join(SHOTS, 'clerk-375.png'), fullPage: true });
      await page.close();
    });

    it('an institution key opens the console: its own visits, its institution filled in, no agency reads', async () => {
      const page = await signedIn(institutionKey);
      await page.locator('nav a', { hasText: '经办台' }).waitFor();
      await page.getByLabel('人员编号').fill('p-clerk-1');
      await page.getByTestId('find').click();
      await expect.poll(() => page.getByTestId('history').textContent()).toContain('v-clerk-1');
      expect(await page.getByTestId('registry').count()).toBe(0);
      expect(await page.getByTestId('caps').count()).toBe(0);
      expect(await page.getByLabel('医疗机构编号').inputValue()).toBe('H1');
      await page.close();
    });
  });
}
