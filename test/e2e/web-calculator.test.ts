import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshSqlite } from '../support/stores.js';
import { startWebApp, unlabelledInputs, type WebApp } from '../support/web-app.js';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';

const haveChromium = chromiumPresent('web-calculator');

describe.skipIf(!haveChromium)('the calculator page in chromium', () => {
  let web: WebApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    web = await startWebApp(freshSqlite);
    ({ base, browser } = web);
  }, 120_000);

  afterAll(async () => web?.close());

  const open = async (path = '/', viewport = { width: 1280, height: 800 }): Promise<Page> => {
    const page = await browser.newPage({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await page.goto(base + path);
    // The form's choices have arrived from GET /v1/calculations/options.
    await page.getByTestId('region').getByText('洛阳市').waitFor();
    return page;
  };

  /** Picks an option of an Element Plus select by its text. */
  const pick = async (page: Page, testId: string, text: string) => {
    await page.getByTestId(testId).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click();
  };

  const amount = (page: Page, key: string) => page.getByTestId(`split-${key}`).locator('td');

  // By hand: a Luoyang (410300) resident adult at a contracted county hospital of grade 2,
  // outpatient on 2024-03-02, 300.00 in all, 250.00 eligible. 洛医保〔2023〕63号: deductible
  // 50.00, ratio 50%: fund (250.00 − 50.00) × 50% = 100.00; cash 300.00 − 100.00 = 200.00.
  it('calculates the hand-computed case with its citation, and its link gives the same', async () => {
    const page = await open();
    await pick(page, 'region', '洛阳市');
    await pick(page, 'scheme', '城乡居民');
    await pick(page, 'category', '成年居民');
    await pick(page, 'tier', '县级');
    await pick(page, 'grade', '二级');
    await pick(page, 'type', '普通门诊');
    await page.getByLabel('就诊日期').fill('2024-03-02');
    await page.getByLabel('医疗费总额（元）').fill('300.00');
    await page.getByLabel('政策范围内金额（元）').fill('250.00');
    await page.getByTestId('calculate').click();
    await expect.poll(() => amount(page, 'fundPay').textContent()).toBe('100.00 元');
    expect(await amount(page, 'cashPay').textContent()).toBe('200.00 元');
    expect(await amount(page, 'criticalIllnessPay').textContent()).toBe('0.00 元');
    expect(await amount(page, 'assistancePay').textContent()).toBe('0.00 元');
    expect(await amount(page, 'accountPay').textContent()).toBe('0.00 元');
    const trace = await page.getByTestId('trace').textContent();
    expect(trace).toMatch(/依据：洛医保〔2023〕63号/);
    expect(trace).toContain('(250.00 − 50.00) × 50% = 100.00');
    expect(await page.getByTestId('policy').textContent()).toContain('2024年3月2日');
    await page.mouse.move(0, 0);
    // Browser code as text: the tests are compiled without the DOM's types.
    await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
    await page.screenshot({ path: join(SHOTS, 'calculator-1280x800.png'), fullPage: false });
    copyFileSync(join(SHOTS, 'calculator-1280x800.png'), join(ROOT, 'docs', 'screenshots', 'calculator.png'));

    // The shareable link: the form in the query string; a new page opens it filled and calculated.
    const link = page.url();
    expect(link).toMatch(/region=410300/);
    expect(link).toMatch(/total=300\.00/);
    const shared = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await shared.goto(link);
    await expect.poll(() => amount(shared, 'fundPay').textContent(), { timeout: 10_000 }).toBe('100.00 元');
    expect(await amount(shared, 'cashPay').textContent()).toBe('200.00 元');
    expect(await shared.getByLabel('医疗费总额（元）').inputValue()).toBe('300.00');
    await shared.close();
    await page.close();
  });

  it('shows a refusal in Chinese on the field at fault', async () => {
    const page = await open('/?region=410300&scheme=resident&category=adult&tier=county&grade=2&contracted=1&type=outpatient&date=2024-03-02&total=abc');
    const item = page.locator('.el-form-item', { has: page.getByLabel('医疗费总额（元）') });
    await expect.poll(() => item.locator('.el-form-item__error').textContent()).toContain('医疗费总额：须为以元为单位、最多两位小数的金额');
    expect(await page.getByRole('alert').first().textContent()).toContain('请更正以下问题');
    expect(await page.getByTestId('split').count()).toBe(0);
    // Eligible above the total: on the eligible field.
    await page.getByLabel('医疗费总额（元）').fill('100');
    await page.getByLabel('政策范围内金额（元）').fill('250');
    await page.getByTestId('calculate').click();
    const eligible = page.locator('.el-form-item', { has: page.getByLabel('政策范围内金额（元）') });
    await expect.poll(() => eligible.locator('.el-form-item__error').textContent()).toContain('政策范围内金额：不得超过医疗费总额');
    await page.screenshot({ path: join(SHOTS, 'calculator-error.png') });
    // A date no document of the region covers: said in Chinese, the service's message beneath.
    await page.getByLabel('政策范围内金额（元）').fill('50');
    await page.getByLabel('就诊日期').fill('1999-03-02');
    await page.getByTestId('calculate').click();
    await expect.poll(() => page.getByTestId('failure-zh').textContent()).toContain('没有生效的政策文件');
    await page.close();
  });

  it('labels every input for screen readers', async () => {
    const page = await open();
    // Every <label for> names an element there, and every visible input has a label or an aria-label.
    const dangling = await page.evaluate<string[]>("[...document.querySelectorAll('label[for]')].filter((l) => !document.getElementById(l.htmlFor)).map((l) => l.textContent)");
    expect(dangling).toEqual([]);
    const unlabelled = await unlabelledInputs(page);
    expect(unlabelled).toEqual([]);
    for (const name of ['参保地', '险种', '人员类别', '困难群众类别', '医疗机构级别', '医院等级', '就诊类型', '就诊日期', '医疗费总额（元）', '政策范围内金额（元）']) {
      expect(await page.getByLabel(name, { exact: true }).count(), name).toBeGreaterThan(0);
    }
    await page.close();
  });

  it('signs in with an API key kept for the browser session only, and out', async () => {
    const page = await open();
    await page.getByTestId('sign-in').click();
    await page.getByLabel('API 密钥').fill('yb_test_key');
    await page.screenshot({ path: join(SHOTS, 'sign-in.png') });
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByTestId('sign-out').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('yibao.apiKey')")).toBe('yb_test_key');
    expect(await page.evaluate("localStorage.getItem('yibao.apiKey')")).toBeNull();
    await page.reload();
    await page.getByTestId('sign-out').waitFor();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('yibao.apiKey')")).toBeNull();
    await page.close();
  });

  it('switches to English and back', async () => {
    const page = await open();
    await pick(page, 'lang', 'English');
    await page.getByText('Total (yuan)').waitFor();
    expect(await page.getByTestId('calculate').textContent()).toContain('Calculate');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await page.screenshot({ path: join(SHOTS, 'calculator-en.png') });
    await pick(page, 'lang', '中文');
    await page.getByText('医疗费总额（元）').waitFor();
    await page.close();
  });

  it('works from the keyboard: Enter in a field, and tabbing to 计算', async () => {
    const page = await open('/?date=2024-03-02&eligible=250');
    const total = page.getByLabel('医疗费总额（元）');
    await total.fill('300');
    await total.press('Enter');
    await expect.poll(() => amount(page, 'fundPay').textContent()).toBe('100.00 元');
    // Again from the last field, Tab by Tab to the button, then Enter.
    await total.fill('200');
    await page.getByLabel('政策范围内金额（元）').fill('150');
    await page.getByLabel('政策范围内金额（元）').focus();
    for (let i = 0; i < 5; i++) {
      if ((await page.evaluate('document.activeElement?.textContent?.trim()')) === '计算') break;
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate('document.activeElement?.textContent?.trim()')).toBe('计算');
    await page.keyboard.press('Enter');
    // (150.00 − 50.00) × 50% = 50.00; cash 200.00 − 50.00 = 150.00.
    await expect.poll(() => amount(page, 'fundPay').textContent()).toBe('50.00 元');
    expect(await amount(page, 'cashPay').textContent()).toBe('150.00 元');
    await page.close();
  });

  it('is readable at phone width (375px): nothing wider than the screen', async () => {
    const page = await open('/?region=410300&date=2024-03-02&total=300&eligible=250', { width: 375, height: 812 });
    await expect.poll(() => amount(page, 'fundPay').textContent()).toBe('100.00 元');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(SHOTS, 'calculator-375.png'), fullPage: true });
    await page.close();
  });
});
