/**
 * 清算 (#/clearing) in chromium, on SQLite and PostgreSQL, against the real service: the registry and
 * three March 2024 visits set up through the API, then the agency closes March from the page (a
 * refusal while March has not ended, said in Chinese with its code; 取消 sends nothing; the
 * confirmation), reads the statements whose totals are the visits' fund amounts, opens one with its
 * entries, downloads the CSVs, records a remittance; an analyst reads the tables without the
 * close button nor the entries; an institution key sees 无权访问 and no link.
 *
 * Hand computation (洛医保〔2023〕63号 二(一)2, Luoyang resident adult general outpatient: 基层 no
 * deductible, 60%; 市级及以上 50 per visit, 40%):
 *   #1 P1 at JX  (city, grade 3) 2024-03-04 total 200 → (200 − 50) × 40% = 60.00 fund, 140.00 cash
 *   #2 P2 at JX  (city, grade 3) 2024-03-05 total 300 → (300 − 50) × 40% = 100.00 fund, 200.00 cash
 *   #3 P3 at JX2 (primary)       2024-03-06 total 80  → 80 × 60% = 48.00 fund, 32.00 cash
 * Statements: JX 2 settlements, 500.00 / fund 160.00 / cash 340.00, payable 160.00;
 *             JX2 1 settlement, 80.00 / fund 48.00 / cash 32.00, payable 48.00.
 * Totals: 3 settlements, 580.00 medical costs, fund 208.00, cash 372.00, payable 208.00 (no account
 * pay: the personal account is not asked). Both are paid by the city centre (三(二): 城市区).
 * Districts (三(三)): P1 lives in 涧西区 (60.00 paid by the city); 涧西区 remits 100.50 → balance 40.50.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import iconv from 'iconv-lite';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';
import { STORES } from '../support/stores.js';
import { startWebApp, type WebApp } from '../support/web-app.js';

const haveChromium = chromiumPresent('web-clearing');
const at = (iso: string) => Date.parse(iso);

const JX = { id: 'JX', tier: 'city', grade: 3, contracted: true };
const JX2 = { id: 'JX2', tier: 'primary', grade: 0, contracted: true };
const VISITS = [
  { n: 1, person: 'P1', time: '2024-03-04T10:00:00+08:00', institution: JX, total: 200, fund: 60 },
  { n: 2, person: 'P2', time: '2024-03-05T10:00:00+08:00', institution: JX, total: 300, fund: 100 },
  { n: 3, person: 'P3', time: '2024-03-06T10:00:00+08:00', institution: JX2, total: 80, fund: 48 },
] as const;

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(!haveChromium || s.skip)(`the agency's month in chromium (${s.label})`, () => {
    let web: WebApp;
    let app: FastifyInstance;
    let agencyKey: string;
    let analystKey: string;
    let institutionKey: string;
    const clock = { now: at('2024-03-01T08:00:00+08:00') };
    /** Settlement ids by visit number, from the service's answers. */
    const ids: Record<number, string> = {};
    /** The fund amounts the service answered, summed in fen. */
    let fundFen = 0;
    const shot = s.label === 'sqlite';

    const call = async (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: unknown) => {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
      return { status: res.statusCode, body: res.json() as any };
    };

    beforeAll(async () => {
      web = await startWebApp(s.open, { clock: () => clock.now, institution: 'JX' });
      ({ app } = web);
      ({ agency: agencyKey, analyst: analystKey, institution: institutionKey } = web.keys);
      // The registry: 涧西区 (a city district), the city centre; JX and JX2 in 涧西区 (paid by the city by rule).
      expect((await call('PUT', '/v1/clearing/districts/410305', agencyKey, { name: '涧西区', region: '410300', level: 'urban' })).status).toBe(201);
      expect((await call('PUT', '/v1/clearing/centres/410300', agencyKey, { name: '洛阳市医保中心', level: 'city', region: '410300' })).status).toBe(201);
      for (const inst of ['JX', 'JX2']) expect((await call('PUT', `/v1/clearing/institutions/${inst}`, agencyKey, { district: '410305' })).status).toBe(201);
      expect((await call('PUT', '/v1/persons/P1', agencyKey, { region: '410300', scheme: 'resident', category: 'adult', district: '410305' })).status).toBe(201);
      // The visits, each settled an hour after it (the settlement time decides its month).
      for (const v of VISITS) {
        clock.now = at(v.time) + 3_600_000;
        const r = await call('POST', '/v1/settlements', agencyKey, {
          requestId: `clr-${v.n}`,
          person: { id: v.person, region: '410300', scheme: 'resident', category: 'adult' },
          visit: { id: `v-${v.n}`, time: v.time, type: 'outpatient', institution: v.institution, total: v.total },
        });
        expect(r.status).toBe(201);
        expect(r.body.fundPay).toBe(v.fund);
        ids[v.n] = r.body.id;
        fundFen += Math.round(r.body.fundPay * 100);
      }
      expect(fundFen).toBe(20_800); // 60.00 + 100.00 + 48.00 = 208.00
      clock.now = at('2024-03-20T09:00:00+08:00'); // March has not ended yet.
    }, 120_000);

    afterAll(async () => web?.close());

    const signedIn = (key: string, viewport = { width: 1280, height: 800 }): Promise<Page> => web.open('/#/clearing', key, viewport);
    /**
     * The file a download button gives, and the name the page gives it (the link's download
     * attribute: headless chromium saves a non-ASCII name as "download", a desktop browser keeps it).
     */
    const downloaded = async (page: Page, testid: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
      const name = await page.locator('a[download]').last().getAttribute('download');
      return { name, bytes: readFileSync((await d.path()) as string) };
    };

    it('the agency closes March from the page (refused before its end, 取消 sends nothing, then confirmed) and reads its statements, entries and files', async () => {
      const page = await signedIn(agencyKey);
      await page.locator('nav a', { hasText: '清算' }).waitFor();
      await expect.poll(() => page.getByTestId('c-first-open').textContent()).toContain('2024-03');
      await page.getByTestId('c-no-periods').waitFor();

      // Before March has ended: refused, in Chinese, with the code.
      await page.getByTestId('c-close').click();
      await page.locator('.c-close-box').getByRole('button', { name: '确定月结' }).click();
      const refusal = page.getByTestId('c-close-error');
      await expect.poll(() => refusal.textContent()).toContain('该月尚未结束');
      expect(await refusal.textContent()).toContain('PERIOD_NOT_ENDED');

      // April 1st: 取消 changes nothing; 确定月结 closes it.
      clock.now = at('2024-04-01T09:00:00+08:00');
      await page.getByTestId('c-close').click();
      const box = page.locator('.c-close-box');
      expect(await box.textContent()).toContain('不可修改、不可撤销');
      await box.getByRole('button', { name: '取消' }).click();
      await box.waitFor({ state: 'hidden' });
      expect((await call('GET', '/v1/clearing/periods', agencyKey)).body.periods).toEqual([]);
      await page.getByTestId('c-close').click();
      await page.locator('.c-close-box').getByRole('button', { name: '确定月结' }).click();
      await expect.poll(() => page.getByTestId('c-closed').textContent()).toBe('2024-03 已月结：2 张清算单，3 条结算记录');
      expect(await page.getByTestId('c-close-error').count()).toBe(0);
      const periods = (await call('GET', '/v1/clearing/periods', agencyKey)).body;
      expect([periods.periods.map((p: any) => p.period), periods.firstOpen]).toEqual([['2024-03'], '2024-04']);
      await expect.poll(() => page.getByTestId('c-first-open').textContent()).toContain('2024-04');

      // The statements: JX 160.00, JX2 48.00; the totals row is the visits' fund amounts, 208.00 元.
      const table = page.getByTestId('c-statements');
      await table.waitFor();
      expect(await page.getByTestId('c-row-JX').textContent()).toContain('160.00 元');
      expect(await page.getByTestId('c-row-JX').textContent()).toContain('500.00 元');
      expect(await page.getByTestId('c-row-JX').textContent()).toContain('洛阳市医保中心（410300）');
      expect(await page.getByTestId('c-row-JX2').textContent()).toContain('48.00 元');
      expect(await page.getByTestId('c-total-fund').textContent()).toBe(`${(fundFen / 100).toFixed(2)} 元`);
      expect(await page.getByTestId('c-total-fund').textContent()).toBe('208.00 元');
      expect(await page.getByTestId('c-total-payable').textContent()).toBe('208.00 元');
      expect(await page.getByTestId('c-statements-total').textContent()).toContain('580.00 元');
      expect(await page.getByTestId('c-statements-total').textContent()).toContain('372.00 元');
      expect(await page.getByTestId('c-periods').textContent()).toContain('208.00 元');
      if (shot) {
        await page.screenshot({ path: join(SHOTS, 'clearing-1280x800.png'), fullPage: false });
        copyFileSync(join(SHOTS, 'clearing-1280x800.png'), join(ROOT, 'docs', 'screenshots', 'clearing.png'));
      }

      // The list as CSV (UTF-8 with a BOM): the Chinese headers and the amounts.
      const csv = await downloaded(page, 'c-statements-dl-csv');
      expect(csv.name).toBe('清算单-2024-03.csv');
      const text = csv.bytes.toString('utf8');
      expect(text.charCodeAt(0)).toBe(0xfeff);
      expect(text).toContain('清算期');
      expect(text).toContain('基金支付总额（元）');
      expect(text).toMatch(/JX,410300,2,0,500\.00,160\.00/);
      expect(text).toMatch(/JX2,410300,1,0,80\.00,48\.00/);

      // One statement: its funds, then its entries with their ids and China times.
      await page.getByTestId('c-open-JX').click();
      await page.getByTestId('c-statement').waitFor();
      await expect.poll(() => page.getByTestId('c-statement-fund').textContent()).toBe('160.00 元');
      expect(await page.getByTestId('c-statement-payable').textContent()).toBe('160.00 元');
      expect(await page.getByTestId('c-funds').textContent()).toContain('居民门诊统筹基金');
      expect(await page.getByTestId('c-statement').textContent()).toContain('洛医保〔2023〕63号');
      await page.getByTestId('c-show-entries').click();
      const entries = page.getByTestId('c-entries');
      await entries.waitFor();
      expect(await entries.locator('tbody tr').count()).toBe(2);
      const first = (await entries.locator('tbody tr').nth(0).textContent()) ?? '';
      expect(first).toContain(ids[1] as string);
      expect(first).toContain('v-1');
      expect(first).toContain('2024年3月4日 11:00:00');
      expect(first).toContain('60.00 元');
      expect(await entries.locator('tbody tr').nth(1).textContent()).toContain(ids[2] as string);
      if (shot) await page.screenshot({ path: join(SHOTS, 'clearing-statement.png'), fullPage: true });
      // One statement as GBK CSV: Chinese headers that Excel on Chinese Windows reads.
      const gbk = await downloaded(page, 'c-statement-dl-csv-gbk');
      expect(gbk.name).toBe('清算单-2024-03-JX.csv');
      const decoded = iconv.decode(gbk.bytes, 'gbk');
      expect(decoded).toContain('清算类别');
      expect(decoded).toContain('160.00');
      const xlsx = await downloaded(page, 'c-statement-dl-xlsx');
      expect([xlsx.name, xlsx.bytes.subarray(0, 2).toString('latin1')]).toEqual(['清算单-2024-03-JX.xlsx', 'PK']);
      await page.getByTestId('c-back').click();

      // The centres and districts; a remittance recorded from the page (涧西区 100.50 − 60.00 = 40.50).
      await page.getByTestId('c-tab-views').click();
      await expect.poll(() => page.getByTestId('c-centres-total').textContent()).toBe('208.00 元');
      await page.getByTestId('c-remit-district').selectOption('410305');
      await page.getByTestId('c-remit-amount').fill('1.234');
      await page.getByTestId('c-remit-save').click();
      await expect.poll(() => page.getByTestId('c-remit-amount-error').textContent()).toContain('金额：');
      expect(await page.getByTestId('c-remit-error').textContent()).toContain('INVALID_REQUEST');
      await page.getByTestId('c-remit-amount').fill('100.50');
      await page.getByTestId('c-remit-save').click();
      await expect.poll(() => page.getByTestId('c-remit-saved').textContent()).toContain('100.50 元');
      const jianxi = page.getByTestId('c-districts').locator('tr', { hasText: '涧西区' });
      await expect.poll(() => jianxi.textContent()).toContain('40.50 元');
      expect(await jianxi.textContent()).toContain('60.00 元');
      if (shot) await page.screenshot({ path: join(SHOTS, 'clearing-views.png'), fullPage: true });
      await page.getByTestId('c-tab-registry').click();
      await expect.poll(() => page.getByTestId('c-registry-institutions').textContent()).toContain('洛阳市医保中心（410300）');

      // April has a visit at ZZ, an institution no centre pays: its close is refused, naming it.
      clock.now = at('2024-04-03T11:00:00+08:00');
      const zz = await call('POST', '/v1/settlements', agencyKey, {
        requestId: 'clr-zz',
        person: { id: 'P3', region: '410300', scheme: 'resident', category: 'adult' },
        visit: { id: 'v-zz', time: '2024-04-03T10:00:00+08:00', type: 'outpatient', institution: { id: 'ZZ', tier: 'primary', grade: 0, contracted: true }, total: 80 },
      });
      expect(zz.status).toBe(201);
      clock.now = at('2024-05-02T09:00:00+08:00');
      await page.getByTestId('c-close').click();
      const dialog = page.locator('.c-close-box');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('确定对 2024-04 进行月结吗');
      if (shot) {
        await page.waitForTimeout(500); // the dialog's fade-in
        await page.screenshot({ path: join(SHOTS, 'clearing-confirm.png'), fullPage: false });
      }
      await dialog.getByRole('button', { name: '确定月结' }).click();
      const noCentre = page.getByTestId('c-close-error');
      await expect.poll(() => noCentre.textContent()).toContain('有定点医疗机构没有支付经办机构');
      expect(await noCentre.textContent()).toContain('NO_PAYING_CENTRE');
      expect(await noCentre.textContent()).toContain('ZZ');
      expect((await call('GET', '/v1/clearing/periods', agencyKey)).body.periods.map((p: any) => p.period)).toEqual(['2024-03']);
      await page.close();
    }, 90_000);

    it('an analyst reads the tables without the close button, the remittance form nor the entries; at phone width', async () => {
      const page = await signedIn(analystKey, { width: 390, height: 844 });
      await page.getByTestId('c-periods').waitFor();
      await expect.poll(() => page.getByTestId('c-total-fund').textContent()).toBe('208.00 元');
      expect(await page.getByTestId('c-close').count()).toBe(0);
      expect(await page.getByTestId('c-analyst-note').textContent()).toContain('仅限经办机构');
      const unlabelled = await page.evaluate<string[]>(
        "[...document.querySelectorAll('input, select, button')].filter((i) => i.type !== 'hidden' && i.offsetParent !== null && (i.tagName === 'BUTTON' ? !(i.textContent.trim() || i.getAttribute('aria-label')) : i.labels.length === 0 && !i.getAttribute('aria-label'))).map((i) => i.outerHTML)",
      );
      expect(unlabelled).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      if (shot) await page.screenshot({ path: join(SHOTS, 'clearing-390.png'), fullPage: true });
      await page.getByTestId('c-open-JX2').click();
      await expect.poll(() => page.getByTestId('c-statement-fund').textContent()).toBe('48.00 元');
      expect(await page.getByTestId('c-entries-analyst').textContent()).toContain('仅经办机构可查看');
      expect(await page.getByTestId('c-show-entries').count()).toBe(0);
      // Back to the list by keyboard (the focus returns to the row's 查看), then the next tab with →.
      await page.getByTestId('c-back').press('Enter');
      await expect.poll(() => page.evaluate('document.activeElement?.dataset.testid')).toBe('c-open-JX2');
      await page.getByTestId('c-tab-statements').focus();
      await page.keyboard.press('ArrowRight');
      await page.getByTestId('c-districts').waitFor();
      expect(await page.getByTestId('c-tab-views').getAttribute('aria-selected')).toBe('true');
      expect(await page.evaluate('document.activeElement?.id')).toBe('c-tab-views');
      expect(await page.getByTestId('c-remit').count()).toBe(0);
      // In English.
      await page.evaluate("localStorage.setItem('yibao.lang', 'en')");
      await page.reload();
      await page.getByRole('link', { name: 'Monthly clearing' }).waitFor();
      await expect.poll(() => page.getByTestId('c-total-fund').textContent()).toBe('208.00 yuan');
      expect(await page.getByTestId('c-statements').textContent()).toContain('Payable');
      await page.evaluate("localStorage.removeItem('yibao.lang')");
      await page.close();
    }, 60_000);

    it('an institution key sees 无权访问 and no link to the page', async () => {
      const page = await signedIn(institutionKey);
      await page.getByTestId('forbidden').waitFor();
      expect(await page.locator('nav a', { hasText: '清算' }).count()).toBe(0);
      expect(await page.getByTestId('c-periods').count()).toBe(0);
      await page.close();
    });
  });
}
