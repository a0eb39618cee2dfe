/**
 * 对账 (#/reconciliations) in chromium, on SQLite and PostgreSQL, against the real service: three
 * visits settled at H1 through the API, then hospital files uploaded through the page (setInputFiles)
 * — a UTF-8 CSV that does not balance (each class and both sides' sums worked out by hand below), a
 * GBK CSV and a 3202 TXT that do, 1001 rows the ledger lacks (the note and the pages read from the
 * service), files the service refuses (the line, column and field in Chinese under the file field);
 * the runs listed and reopened, the differences downloaded with the key; an institution key
 * reconciles its own; an analyst key sees 无权访问 and no 对账 link.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import iconv from 'iconv-lite';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../support/stores.js';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';
import { startWebApp, unlabelledInputs, type WebApp } from '../support/web-app.js';

const haveChromium = chromiumPresent('web-reconciliations');

/** A day in China (UTC+8), YYYY-MM-DD, `days` from today. */
const chinaDay = (days = 0) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);

const HEADER = '结算ID,就诊ID,人员编号,医疗费总额（元）,基金支付总额,个人账户支出,退费结算标志';

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(!haveChromium || s.skip)(`the reconciliation page in chromium (${s.label})`, () => {
    let svc: WebApp;
    let app: FastifyInstance;
    let agencyKey: string;
    let institutionKey: string;
    /** The ledger's settlement ids (setl_id) of the three visits, in order. */
    const setl: string[] = [];
    // The span: the settlements are recorded now, and a reconciliation's days are settlement days
    // (结算时间, China time): yesterday to today covers them whatever the hour.
    const from = chinaDay(-1);
    const to = chinaDay();

    beforeAll(async () => {
      svc = await startWebApp(s.open);
      app = svc.app;
      agencyKey = svc.keys.agency;
      institutionKey = svc.keys.institution;
      // Three visits settled at H1 through the API. By hand (洛医保〔2023〕63号): a Luoyang resident
      // adult, contracted county hospital of grade 2, outpatient, 300.00 in all, 250.00 eligible:
      // deductible 50.00, ratio 50%: fund (250.00 − 50.00) × 50% = 100.00; no personal account.
      // Each is a ledger row: medfee_sumamt 300.00, fund_pay_sumamt 100.00, acct_pay 0.00.
      for (let i = 1; i <= 3; i++) {
        const e = await svc.settleCase(`rc-${i}`, `p-rc-${i}`);
        expect([e.fundPay, e.criticalIllnessPay, e.assistancePay, e.accountPay]).toEqual([100, 0, 0, 0]);
        setl.push(e.id);
      }
      // Another institution's run (H2), which H1's key must never list.
      const h2 = await app.inject({
        method: 'POST',
        url: '/v1/reconciliations',
        headers: { authorization: `Bearer ${agencyKey}` },
        payload: { institution: 'H2', from, to, format: '3202', file: 'X1\tV1\tP9\t1.00\t0.00\t0.00\t0\n' },
      });
      expect(h2.statusCode).toBe(201);
    }, 120_000);

    afterAll(async () => {
      await svc?.close();
    });

    const signedIn = (key: string, viewport = { width: 1280, height: 800 }): Promise<Page> => svc.open('/#/reconciliations', key, viewport);

    /** Fills the span, chooses a file (its bytes as given) and starts the run. */
    const reconcile = async (page: Page, name: string, bytes: Buffer, institution?: string) => {
      if (institution !== undefined) await page.getByLabel('医疗机构编号').fill(institution);
      await page.getByLabel('开始日期').fill(from);
      await page.getByLabel('结束日期').fill(to);
      await page.getByLabel('明细文件').setInputFiles({ name, mimeType: 'text/csv', buffer: bytes });
      expect(await page.getByTestId('rc-file-name').textContent()).toBe(name);
      await page.getByTestId('rc-start').click();
    };

    const row = (id: string, mdtrt: string, psn: string, medfee: string, fund: string) => [id, mdtrt, psn, medfee, fund, '0.00', '否'].join(',');

    it('reconciles a hospital CSV that does not balance: 不平, each class in Chinese, both sides’ sums; the run kept and its file downloaded', async () => {
      const page = await signedIn(agencyKey);
      await page.locator('nav a', { hasText: '对账' }).waitFor();
      // The hospital's file (UTF-8):
      // - setl[0] exactly as the ledger holds it                         → matched (1)
      // - setl[1] with 基金支付总额 100.01 instead of 100.00 (0.01 元 more) → amount-differs 金额不一致
      // - S-NOT-IN-LEDGER, 120.00 / 60.00, a settlement the ledger lacks  → missing-in-ledger 医保端无此记录
      // - setl[2] is not in the file                                      → missing-in-hospital 医院端无此记录
      // So 3 differences, 1 matched. Sums: the hospital's 3 rows: medfee 300.00 + 300.00 + 120.00 =
      // 720.00, fund 100.00 + 100.01 + 60.00 = 260.01, account 0.00; the ledger's 3 rows: medfee
      // 3 × 300.00 = 900.00, fund 3 × 100.00 = 300.00, account 0.00.
      const csv = [
        HEADER,
        row(setl[0] as string, 'v-rc-1', 'p-rc-1', '300.00', '100.00'),
        row(setl[1] as string, 'v-rc-2', 'p-rc-2', '300.00', '100.01'),
        row('S-NOT-IN-LEDGER', 'v-rc-9', 'p-rc-9', '120.00', '60.00'),
      ].join('\r\n');
      await reconcile(page, 'hospital-utf8.csv', Buffer.from(`${csv}\r\n`, 'utf8'), 'H1');
      await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('不平');
      expect(await page.getByTestId('verdict').locator('strong').textContent()).toBe('不平');
      expect(await page.getByTestId('matched').textContent()).toBe('1');
      expect(await page.getByTestId('diff-count').textContent()).toBe('3');
      expect(await page.getByTestId('by-missing-in-ledger').textContent()).toBe('医保端无此记录1');
      expect(await page.getByTestId('by-missing-in-hospital').textContent()).toBe('医院端无此记录1');
      expect(await page.getByTestId('by-amount-differs').textContent()).toBe('金额不一致1');
      expect(await page.getByTestId('by-duplicated').textContent()).toBe('重复记录0');
      const hospital = page.getByTestId('sums-hospital').locator('td');
      expect(await hospital.allTextContents()).toEqual(['3', '720.00 元', '260.01 元', '0.00 元']);
      const ledgerSums = page.getByTestId('sums-ledger').locator('td');
      expect(await ledgerSums.allTextContents()).toEqual(['3', '900.00 元', '300.00 元', '0.00 元']);
      // The differences, each with its class in Chinese and its memo.
      const diffs = page.getByTestId('differences');
      const amountRow = diffs.locator('tr[data-class="amount-differs"]');
      expect(await amountRow.locator('th').textContent()).toBe(setl[1]);
      expect(await amountRow.textContent()).toContain('金额不一致');
      expect(await amountRow.textContent()).toContain('基金支付总额不一致：医院 100.01 元，医保 100.00 元');
      expect(await diffs.locator('tr[data-class="missing-in-ledger"]').textContent()).toContain('医保端对账期内无此结算记录');
      expect(await diffs.locator('tr[data-class="missing-in-hospital"] th').textContent()).toBe(setl[2]);
      expect(await diffs.locator('tr[data-class="missing-in-hospital"]').textContent()).toContain('医院端无此结算记录');
      expect(await page.getByTestId('first-only').count()).toBe(0);
      // As the API keeps it.
      const id = (await page.getByTestId('run-id').textContent()) ?? '';
      const kept = (await app.inject({ url: `/v1/reconciliations/${id}`, headers: { authorization: `Bearer ${agencyKey}` } })).json() as {
        summary: { hospital: { fund_pay_sumamt: number } };
      };
      expect(kept.summary.hospital.fund_pay_sumamt).toBe(260.01);
      // The run is listed (newest first, above H2's) and its differences download as a file.
      await expect.poll(() => page.getByTestId('rc-runs').locator('tbody tr').first().getAttribute('data-run')).toBe(id);
      expect(await page.getByTestId('rc-runs').textContent()).toContain('H2');
      // The agency's institution field suggests the institutions of the runs (and of the registry).
      expect(await page.locator('#rc-institutions option').evaluateAll((o) => o.map((x) => x.getAttribute('value')))).toEqual(['H1', 'H2']);
      // The link's name is the service's Chinese one (filename*); Debian's headless chromium here
      // saves a non-ASCII name as "download", so the name is read from the link the page clicks.
      await page.evaluate(
        '{ const click = HTMLAnchorElement.prototype.click; HTMLAnchorElement.prototype.click = function () { window.lastDownload = this.download; return click.call(this); }; }',
      );
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
      expect(await page.evaluate('window.lastDownload')).toBe(`对账差异-${id}.csv`);
      const text = readFileSync((await download.path()) as string, 'utf8');
      expect(text).toContain('金额不一致');
      expect(text).toContain('S-NOT-IN-LEDGER');
      await page.mouse.move(0, 0);
      await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
      await page.screenshot({ path: join(SHOTS, `reconciliations-1280x800-${s.name}.png`), fullPage: false });
      if (s.name === 'sqlite') copyFileSync(join(SHOTS, `reconciliations-1280x800-${s.name}.png`), join(ROOT, 'docs', 'screenshots', 'reconciliations.png'));
      await page.screenshot({ path: join(SHOTS, `reconciliations-full-${s.name}.png`), fullPage: true });

      // A GBK file (Excel on Chinese Windows) listing all three as the ledger does: 平, 3 matched,
      // both sides 900.00 / 300.00.
      const gbk = [
        HEADER,
        row(setl[0] as string, 'v-rc-1', 'p-rc-1', '300.00', '100.00'),
        row(setl[1] as string, 'v-rc-2', 'p-rc-2', '300.00', '100.00'),
        row(setl[2] as string, 'v-rc-3', 'p-rc-3', '300.00', '100.00'),
      ].join('\r\n');
      await reconcile(page, 'hospital-gbk.csv', iconv.encode(`${gbk}\r\n`, 'gbk'));
      await expect.poll(() => page.getByTestId('verdict').locator('strong').textContent()).toBe('平');
      expect(await page.getByTestId('matched').textContent()).toBe('3');
      expect(await page.getByTestId('sums-hospital').locator('td').allTextContents()).toEqual(['3', '900.00 元', '300.00 元', '0.00 元']);
      expect(await page.getByTestId('differences').count()).toBe(0);

      // Opening the first run again from the list shows its result.
      await page.locator(`tr[data-run="${id}"]`).getByTestId('rc-open').click();
      await expect.poll(() => page.getByTestId('verdict').locator('strong').textContent()).toBe('不平');
      expect(await page.getByTestId('run-id').textContent()).toBe(id);
      expect(await page.getByTestId('differences').locator('tbody tr').count()).toBe(3);
      await page.close();
    }, 90_000);

    it('more than 1000 differences: a note, 20 a page, the pages past the answer read from the service', async () => {
      const page = await signedIn(agencyKey);
      // 1001 settlements the ledger lacks, S-NL-0000 … S-NL-1000 (1.00 / 0.00 each), and none of the
      // three H1 holds: 1001 医保端无此记录 + 3 医院端无此记录 = 1004 differences. They are sorted by
      // setl_id: the ledger's S-0… (UUIDv7, hex) before S-N…, so the 1004 on 20 a page make 51 pages,
      // the last holding differences 1001–1004: S-NL-0997 … S-NL-1000.
      const rows = Array.from({ length: 1001 }, (_, i) => `S-NL-${String(i).padStart(4, '0')},v-nl-${i},p-nl-${i},1.00,0.00,0.00,否`);
      await reconcile(page, 'many.csv', Buffer.from([HEADER, ...rows].join('\n'), 'utf8'), 'H1');
      await expect.poll(() => page.getByTestId('diff-count').textContent()).toBe('1004');
      expect(await page.getByTestId('by-missing-in-ledger').textContent()).toBe('医保端无此记录1001');
      expect(await page.getByTestId('first-only').textContent()).toContain('共 1004 条差异，本次应答只列出前 1000 条');
      expect(await page.getByTestId('page').textContent()).toBe('第 1 / 51 页');
      const body = page.getByTestId('differences').locator('tbody tr');
      expect(await body.count()).toBe(20);
      expect(await body.first().getAttribute('data-class')).toBe('missing-in-hospital');
      await page.getByTestId('next').click();
      await expect.poll(() => page.getByTestId('page').textContent()).toBe('第 2 / 51 页');
      // 21st difference: the 18th hospital row, S-NL-0017.
      expect(await body.first().locator('th').textContent()).toBe('S-NL-0017');
      await page.getByTestId('last').click();
      await expect.poll(() => page.getByTestId('page').textContent()).toBe('第 51 / 51 页');
      expect(await body.locator('th').allTextContents()).toEqual(['S-NL-0997', 'S-NL-0998', 'S-NL-0999', 'S-NL-1000']);
      await page.close();
    }, 60_000);

    it('a file that cannot be read is refused under the file field, naming its line and column in Chinese', async () => {
      const page = await signedIn(agencyKey);
      // Line 3 (the header is line 1), column 4 医疗费总额: "1.5x" is not an amount.
      const bad = [HEADER, row(setl[0] as string, 'v-rc-1', 'p-rc-1', '300.00', '100.00'), row('S-X', 'v-x', 'p-x', '1.5x', '0.00')].join('\n');
      await reconcile(page, 'bad.csv', Buffer.from(bad, 'utf8'), 'H1');
      await expect.poll(() => page.getByTestId('rc-file-error').textContent()).toContain('明细文件：文件第 3 行第 4 列（医疗费总额）');
      expect(await page.getByTestId('rc-file-error').textContent()).toContain('INVALID_FILE');
      await page.screenshot({ path: join(SHOTS, `reconciliations-bad-file-${s.name}.png`), fullPage: false });
      // A header without 人员编号: the missing columns named.
      await reconcile(page, 'short.csv', Buffer.from('结算ID,就诊ID\nS1,M1\n', 'utf8'));
      await expect.poll(() => page.getByTestId('rc-file-error').textContent()).toContain('表头缺少列：人员编号、医疗费总额、基金支付总额、个人账户支出、退费结算标志');
      // No institution: required, nothing sent.
      await page.getByLabel('医疗机构编号').fill('');
      await page.getByTestId('rc-start').click();
      await expect.poll(() => page.locator('#rc-institution-error').textContent()).toBe('医疗机构编号：必须填写');
      await page.close();
    }, 60_000);

    it('an institution key reconciles its own (the institution fixed) and lists only its own runs', async () => {
      const page = await signedIn(institutionKey);
      await page.locator('nav a', { hasText: '对账' }).waitFor();
      const field = page.getByLabel('医疗机构编号（本机构）');
      await expect.poll(() => field.inputValue()).toBe('H1');
      expect(await field.getAttribute('readonly')).not.toBeNull();
      // setl[0] alone: matched 1; setl[1] and setl[2] missing in the hospital's file (医院端无此记录 2).
      const csv = [HEADER, row(setl[0] as string, 'v-rc-1', 'p-rc-1', '300.00', '100.00')].join('\r\n');
      await reconcile(page, 'own.csv', Buffer.from(csv, 'utf8'));
      await expect.poll(() => page.getByTestId('verdict').locator('strong').textContent()).toBe('不平');
      expect(await page.getByTestId('run-institution').textContent()).toBe('H1');
      expect(await page.getByTestId('by-missing-in-hospital').textContent()).toBe('医院端无此记录2');
      expect(await page.getByTestId('sums-hospital').locator('td').allTextContents()).toEqual(['1', '300.00 元', '100.00 元', '0.00 元']);
      // 3202's detail file (TXT, tab-separated, 表150) of the three rows as the ledger holds them:
      // chosen as .txt, the format follows; 平 with 3 matched, 900.00 元 on both sides.
      const txt = [1, 2, 3].map((i) => [setl[i - 1], `v-rc-${i}`, `p-rc-${i}`, '300.00', '100.00', '0.00', '0'].join('\t')).join('\n');
      await page.getByLabel('明细文件').setInputFiles({ name: 'detail-3202.txt', mimeType: 'text/plain', buffer: Buffer.from(`${txt}\n`, 'utf8') });
      expect(await page.getByLabel('文件格式').inputValue()).toBe('3202');
      await page.getByTestId('rc-start').click();
      await expect.poll(() => page.getByTestId('verdict').locator('strong').textContent()).toBe('平');
      expect(await page.getByTestId('matched').textContent()).toBe('3');
      expect(await page.getByTestId('sums-ledger').locator('td').allTextContents()).toEqual(['3', '900.00 元', '300.00 元', '0.00 元']);
      expect(await page.getByTestId('sums-hospital').locator('td').allTextContents()).toEqual(['3', '900.00 元', '300.00 元', '0.00 元']);
      await expect.poll(() => page.getByTestId('rc-runs').locator('tbody tr').count()).toBeGreaterThan(1);
      const institutions = await page.getByTestId('rc-runs').locator('tbody tr td:nth-of-type(1)').allTextContents();
      expect(new Set(institutions)).toEqual(new Set(['H1']));
      await page.close();
    }, 60_000);

    it('labels every input and fits a phone (390px)', async () => {
      const page = await signedIn(agencyKey, { width: 390, height: 844 });
      await page.locator(`tr[data-run]`).first().getByTestId('rc-open').click();
      await page.getByTestId('verdict').waitFor();
      expect(await unlabelledInputs(page)).toEqual([]);
      // By keyboard: from the format, Tab reaches the file (visually replaced by 选择文件), then 开始对账.
      await page.getByLabel('文件格式').focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement?.id')).toBe('rc-file');
      await page.keyboard.press('Tab');
      expect(await page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('rc-start');
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, `reconciliations-390-${s.name}.png`), fullPage: true });
      // English.
      await page.evaluate("localStorage.setItem('yibao.lang', 'en')");
      await page.reload();
      await page.getByRole('link', { name: 'Reconciliation' }).waitFor();
      await page.getByLabel('Detail file').waitFor();
      await page.locator('tr[data-run]').first().getByTestId('rc-open').click();
      await expect.poll(() => page.getByTestId('verdict').locator('strong').textContent()).toMatch(/^(Balanced|Not balanced)$/);
      await page.screenshot({ path: join(SHOTS, `reconciliations-390-en-${s.name}.png`), fullPage: true });
      await page.evaluate("localStorage.removeItem('yibao.lang')");
      await page.close();
    }, 60_000);

    it('an analyst key sees 无权访问 and no 对账 in the navigation', async () => {
      const page = await signedIn(svc.keys.analyst);
      await page.getByTestId('forbidden').waitFor();
      expect(await page.getByTestId('forbidden').textContent()).toContain('无权访问');
      expect(await page.getByTestId('rc-file').count()).toBe(0);
      expect(await page.locator('nav a', { hasText: '对账' }).count()).toBe(0);
      await page.close();
    });
  });
}
