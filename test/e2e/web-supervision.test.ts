import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.js';
import { startWebApp, unlabelledInputs, type WebApp } from '../support/web-app.js';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';

const haveChromium = chromiumPresent('web-supervision');

/** Today in China (UTC+8), YYYY-MM-DD: supervision judges settlements by when they were settled. */
const todayInChina = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

// By hand, the rule SPLIT-DAY (分解就诊) set to minVisits = 2: a person settled twice at one
// institution on one China day for the same visit type is a lead; its amount (vola_amt) is the fund
// (统筹基金 + 大病保险 + 医疗救助) of the visits after the first.
//
// Each of two persons (p-sv-1 at H1, p-sv-2 at H2) is settled twice, a Luoyang (410300) resident
// adult at a contracted county hospital of grade 2, outpatient on 2024-03-02 (10:00 and 11:00),
// 300.00 in all, 250.00 eligible. 洛医保〔2023〕63号: deductible 50.00 once a day and institution,
// ratio 50%:
//   the first visit:  (250.00 − 50.00) × 50% = 100.00 from the fund;
//   the second visit: the day's deductible is borne, 250.00 × 50% = 125.00 from the fund;
// no critical-illness insurance or assistance on an outpatient visit. Both are settled now, so a run
// over today (China time) sees both on one day: the lead's amount is the second visit's fund,
// 125.00 元, one finding at H1 and one at H2: 2 findings, 250.00 元 in all.
const SECOND_FUND = 125;

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(!haveChromium || s.skip)(`the supervision page in chromium (${s.label})`, () => {
    let web: WebApp;
    let app: FastifyInstance;
    let browser: Browser;
    let base: string;
    let agencyKey: string;
    let analystKey: string;
    let institutionKey: string;
    /** When the last visit was settled. */
    let settledAt = 0;

    beforeAll(async () => {
      web = await startWebApp(s.open);
      ({ app, base, browser } = web);
      agencyKey = web.keys.agency;
      analystKey = web.keys.analyst;
      institutionKey = web.keys.institution;
      for (const [person, institution] of [
        ['p-sv-1', 'H1'],
        ['p-sv-2', 'H2'],
      ] as const) {
        const funds: number[] = [];
        for (const [n, hour] of [
          [1, '10'],
          [2, '11'],
        ] as const) {
          const e = await web.settleCase(`sv-${person}-${n}`, person, { institution, time: `2024-03-02T${hour}:00:00+08:00` });
          funds.push(e.fundPay);
        }
        // The hand figures above: the first visit bears the deductible, the second does not.
        expect(funds).toEqual([100, SECOND_FUND]);
      }
      settledAt = Date.now();
    }, 120_000);

    afterAll(async () => web?.close());

    /** Opens the app on #/supervision and signs in through the UI with the key given. */
    const signedIn = async (key: string, viewport = { width: 1280, height: 800 }): Promise<Page> => {
      const page = await browser.newPage({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
      await page.goto(`${base}/#/supervision`);
      await page.getByTestId('sign-in').click();
      await page.getByLabel('API 密钥').fill(key);
      await page.getByRole('button', { name: '确定' }).click();
      await page.getByTestId('sign-out').waitFor();
      await page.locator('nav a', { hasText: '监管' }).waitFor();
      return page;
    };
    const rows = (page: Page) => page.getByTestId('sv-row');

    it('the agency sets SPLIT-DAY, runs the rules, sees the findings in 元, confirms one with a reason and sees its history', async () => {
      const page = await signedIn(agencyKey);
      // Before any run the list is empty.
      await page.getByTestId('sv-empty').waitFor();
      await page.getByRole('tab', { name: '规则与筛查' }).click();
      // No parameter has a default: SPLIT-DAY names its missing parameter and does not run.
      await expect.poll(() => page.getByTestId('sv-missing-SPLIT-DAY').textContent()).toContain('不能运行，尚缺参数：同日同机构同类就诊结算次数下限');
      await page.getByTestId('sv-edit-SPLIT-DAY').click();
      await page.getByLabel('同日同机构同类就诊结算次数下限（次）').fill('1');
      await page.getByTestId('sv-p-reason').fill('浏览器测试：同日同机构两次即提示');
      await page.getByTestId('sv-rule-save').click();
      // 1 is refused by the rule (at least 2), named under its field, with the code.
      await expect.poll(() => page.getByTestId('sv-rule-error').textContent()).toContain('INVALID_REQUEST');
      expect(await page.getByTestId('sv-rule-form').textContent()).toContain('同日同机构同类就诊结算次数下限：');
      await page.getByLabel('同日同机构同类就诊结算次数下限（次）').fill('2');
      await page.getByTestId('sv-rule-save').click();
      await page.getByTestId('sv-rule-saved').waitFor();
      await expect.poll(() => page.getByTestId('sv-missing-SPLIT-DAY').textContent()).toContain('可运行');
      // The rules left unset are still missing theirs.
      expect(await page.getByTestId('sv-missing-CARD-DISTANCE').textContent()).not.toContain('可运行');

      // A run over today (China time: when the visits were settled), the page's default span.
      expect(await page.getByTestId('sv-run-from').inputValue()).toBe(todayInChina());
      // A batch run covers settlements up to 5 s before it starts (SETTLE_LAG_MS, src/ledger/supervision.ts:
      // a settle committing a moment late is not missed): the visits settled in beforeAll must be older.
      const wait = settledAt + 5_500 - Date.now();
      if (wait > 0) await page.waitForTimeout(wait);
      await page.getByTestId('sv-run').click();
      await page.getByTestId('sv-run-result').waitFor();
      expect(await page.getByTestId('sv-run-settlements').textContent()).toBe('4');
      expect(await page.getByTestId('sv-run-new').textContent()).toBe('2');
      // The rules without their parameters are named as not run, with why.
      const notRun = (await page.getByTestId('sv-run-notrun').textContent()) ?? '';
      expect(notRun).toContain('CARD-DISTANCE');
      expect(notRun).toContain('FREQ-PEER');
      expect(notRun).not.toContain('SPLIT-DAY');
      // Card distance cannot judge visits at institutions without a site (unjudged), if it ran; it did not.
      await page.getByTestId('sv-run-unjudged').waitFor();
      expect(await page.getByTestId('sv-runs').textContent()).toContain('批量');
      // ENROL-DUP has no parameter, yet the agency has not set it up: it does not run either.
      expect(await page.getByTestId('sv-missing-ENROL-DUP').textContent()).toContain('未设置');
      await page.screenshot({ path: join(SHOTS, `supervision-rules-${s.label}.png`), fullPage: true });

      // The findings: two, 125.00 each; the counts on top: 2 open, 250.00 元.
      await page.getByRole('tab', { name: '疑点线索' }).click();
      await page.getByTestId('sv-search').click();
      await expect.poll(() => rows(page).count()).toBe(2);
      expect(await page.getByTestId('sv-shown').textContent()).toBe('第 1–2 条，共 2 条');
      expect(await page.getByTestId('sv-row-amount').allTextContents()).toEqual([SECOND_FUND.toFixed(2), SECOND_FUND.toFixed(2)]);
      await expect.poll(() => page.getByTestId('sv-count-total').textContent()).toBe('2');
      expect(await page.getByTestId('sv-amount-total').textContent()).toBe(`${(2 * SECOND_FUND).toFixed(2)} 元`);
      expect(await page.getByTestId('sv-count-open').textContent()).toBe('2');
      expect(await page.getByTestId('sv-list').textContent()).toContain('分解就诊（同日同机构多次结算）');
      expect(await page.getByTestId('sv-list').textContent()).toContain('高度可疑');
      expect(await page.getByTestId('sv-list').textContent()).toContain('待核查');
      await page.screenshot({ path: join(SHOTS, `supervision-1280x800-${s.label}.png`), fullPage: false });
      if (s.label === 'sqlite') copyFileSync(join(SHOTS, `supervision-1280x800-${s.label}.png`), join(ROOT, 'docs', 'screenshots', 'supervision.png'));

      // Filtered to H1: one finding.
      await page.getByLabel('机构', { exact: true }).fill('H1');
      await page.getByTestId('sv-search').click();
      await expect.poll(() => rows(page).count()).toBe(1);
      expect(await rows(page).first().textContent()).toContain('p-sv-1');

      // Its detail: the amount in 元, what was found, the two settlements, the figures and articles.
      await rows(page).first().getByRole('button').click();
      const detail = page.getByTestId('sv-detail');
      await detail.waitFor();
      await expect.poll(() => page.getByTestId('sv-d-amount').textContent()).toBe(`${SECOND_FUND.toFixed(2)} 元`);
      expect(await page.getByTestId('sv-d-content').textContent()).toContain('疑似分解就诊');
      expect(await page.getByTestId('sv-d-settlements').locator('tbody tr').count()).toBe(2);
      expect(await page.getByTestId('sv-d-figures').textContent()).toContain(`首次之后的基金支付${SECOND_FUND.toFixed(2)} 元`);
      expect(await page.getByTestId('sv-d-sources').textContent()).toContain('洛医保〔2022〕36号');
      expect(await page.getByTestId('sv-history-entry').count()).toBe(0);

      // The workflow: open → either other status; a reason is required; a confirmation first.
      expect(await page.getByTestId('sv-to-open').count()).toBe(0);
      await page.getByTestId('sv-to-confirmed').click();
      await expect.poll(() => detail.textContent()).toContain('理由：请填写理由');
      // A reason the service refuses (over 500 characters): its refusal in Chinese with its code.
      await page.getByTestId('sv-reason').fill('长'.repeat(501));
      await page.getByTestId('sv-to-confirmed').click();
      await page.getByTestId('sv-confirm').click();
      await expect.poll(() => page.getByTestId('sv-refusal').textContent()).toContain('请求有误');
      expect(await page.getByTestId('sv-refusal').textContent()).toContain('INVALID_REQUEST');
      // 取消 changes nothing.
      const reason = '核实病历：同日两次挂号为同一次诊疗，确认分解就诊';
      await page.getByTestId('sv-reason').fill(reason);
      await page.getByTestId('sv-to-confirmed').click();
      expect(await page.getByTestId('sv-confirm-text').textContent()).toContain('由「待核查」改为「已确认」');
      await page.getByTestId('sv-cancel').click();
      expect(await page.getByTestId('sv-d-status').textContent()).toBe('待核查');
      await page.getByTestId('sv-to-confirmed').click();
      await page.getByTestId('sv-confirm').click();
      await expect.poll(() => page.getByTestId('sv-changed').textContent()).toContain('已确认');
      expect(await page.getByTestId('sv-d-status').textContent()).toBe('已确认');
      // The history gains the change, with its reason; the list and the counts follow.
      await expect.poll(() => page.getByTestId('sv-history-entry').count()).toBe(1);
      expect(await page.getByTestId('sv-history-entry').textContent()).toContain(reason);
      expect(await page.getByTestId('sv-history-entry').textContent()).toContain('已确认');
      await expect.poll(() => rows(page).first().getByTestId('sv-row-status').textContent()).toBe('已确认');
      await expect.poll(() => page.getByTestId('sv-count-confirmed').textContent()).toBe('1');
      await page.getByTestId('sv-detail').screenshot({ path: join(SHOTS, `supervision-detail-${s.label}.png`) });
      // Now open is offered again, confirmed no more.
      expect(await page.getByTestId('sv-to-open').count()).toBe(1);
      expect(await page.getByTestId('sv-to-confirmed').count()).toBe(0);
      // As the API keeps it.
      const id = await rows(page).first().getAttribute('data-id');
      const history = (await app.inject({ url: `/v1/supervision/findings/${id}/history`, headers: { authorization: `Bearer ${agencyKey}` } })).json() as {
        history: { status: string; reason: string }[];
      };
      expect(history.history).toEqual([expect.objectContaining({ status: 'confirmed', reason })]);

      // The download: the list as CSV, fetched with the key (Chinese headers, the amount).
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sv-dl-csv').click()]);
      // The file's name is the service's (Content-Disposition), given to the link; headless chromium
      // reports a Blob link's download as "download", so the name is read where the page says it.
      await expect.poll(() => page.getByTestId('sv-downloaded').textContent()).toBe('已下载：疑点线索-H1.csv');
      const csv = readFileSync((await file.path()) as string, 'utf8');
      expect(csv).toContain('线索编号');
      expect(csv).toContain(SECOND_FUND.toFixed(2));
      expect(csv).toContain('p-sv-1');
      expect(csv).not.toContain('p-sv-2');
      const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sv-dl-xlsx').click()]);
      await expect.poll(() => page.getByTestId('sv-downloaded').textContent()).toBe('已下载：疑点线索-H1.xlsx');
      // An XLSX file is a ZIP archive: it starts with PK.
      expect(
        readFileSync((await xlsx.path()) as string)
          .subarray(0, 2)
          .toString('latin1'),
      ).toBe('PK');
      // A span that runs backwards: the service's refusal, in Chinese with its code (Enter in a field asks).
      await page.getByLabel('发生时间自').fill('2024-03-05');
      await page.getByLabel('发生时间至（含当日）').fill('2024-03-01');
      await page.getByLabel('发生时间至（含当日）').press('Enter');
      await expect.poll(() => page.getByTestId('sv-list-error').textContent()).toContain('请求有误');
      expect(await page.getByTestId('sv-list-error').textContent()).toContain('INVALID_REQUEST');
      expect(await rows(page).count()).toBe(0);
      await page.close();
    }, 120_000);

    it('an institution key sees its own findings only, and no status buttons', async () => {
      const page = await signedIn(institutionKey);
      await expect.poll(() => rows(page).count()).toBe(1);
      expect(await rows(page).first().textContent()).toContain('H1');
      expect(await page.getByTestId('sv-list').textContent()).not.toContain('p-sv-2');
      expect(await page.getByTestId('sv-counts').count()).toBe(0);
      expect(await page.getByRole('tab', { name: '规则与筛查' }).count()).toBe(0);
      await rows(page).first().getByRole('button').click();
      await expect.poll(() => page.getByTestId('sv-d-amount').textContent()).toBe(`${SECOND_FUND.toFixed(2)} 元`);
      await page.getByTestId('sv-no-workflow').waitFor();
      expect(await page.getByTestId('sv-workflow').count()).toBe(0);
      expect(await page.locator('[data-testid^="sv-to-"]').count()).toBe(0);
      // It reads the history the agency wrote.
      await expect.poll(() => page.getByTestId('sv-history-entry').count()).toBe(1);
      await page.close();
    }, 60_000);

    it('an analyst sees the counts only: no finding, no person', async () => {
      const page = await signedIn(analystKey);
      await expect.poll(() => page.getByTestId('sv-count-total').textContent()).toBe('2');
      expect(await page.getByTestId('sv-amount-total').textContent()).toBe(`${(2 * SECOND_FUND).toFixed(2)} 元`);
      expect(await page.getByTestId('sv-count-confirmed').textContent()).toBe('1');
      expect(await page.getByTestId('sv-counts-rows').textContent()).toContain('H2');
      await page.screenshot({ path: join(SHOTS, `supervision-analyst-${s.label}.png`), fullPage: true });
      expect(await page.getByRole('tab', { name: '疑点线索' }).count()).toBe(0);
      expect(await page.getByTestId('sv-list').count()).toBe(0);
      expect(await rows(page).count()).toBe(0);
      const text = (await page.textContent('body')) ?? '';
      expect(text).not.toContain('p-sv-1');
      expect(text).not.toContain('p-sv-2');
      // The rules read only: no 设置, no run.
      await page.getByRole('tab', { name: '规则与筛查' }).click();
      await expect.poll(() => page.getByTestId('sv-missing-SPLIT-DAY').textContent()).toContain('可运行');
      expect(await page.getByTestId('sv-edit-SPLIT-DAY').count()).toBe(0);
      expect(await page.getByTestId('sv-run-form').count()).toBe(0);
      await page.close();
    }, 60_000);

    it('labels every input, fits a phone (390px) and speaks English', async () => {
      const page = await signedIn(agencyKey, { width: 390, height: 844 });
      await expect.poll(() => rows(page).count()).toBe(2);
      await rows(page).first().getByRole('button').click();
      await page.getByTestId('sv-detail').waitFor();
      const unlabelled = await unlabelledInputs(page);
      expect(unlabelled).toEqual([]);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, `supervision-390-${s.label}.png`), fullPage: true });
      await page.screenshot({ path: join(SHOTS, `supervision-390-top-${s.label}.png`), fullPage: false });
      await page.getByTestId('sv-detail').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `supervision-390-detail-${s.label}.png`), fullPage: false });
      await page.evaluate("localStorage.setItem('yibao.lang', 'en')");
      await page.reload();
      await page.getByRole('link', { name: 'Supervision' }).waitFor();
      await page.getByRole('tab', { name: 'Findings' }).waitFor();
      await expect.poll(() => page.getByTestId('sv-list').textContent()).toContain('Highly suspect');
      await page.evaluate("localStorage.removeItem('yibao.lang')");
      await page.close();
    }, 60_000);
  });
}
