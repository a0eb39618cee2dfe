import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshSqlite } from '../support/stores.js';
import { startWebApp, type WebApp } from '../support/web-app.js';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';

const haveChromium = chromiumPresent('web-policies');

interface ShownParam {
  path: string;
  label: string;
  source: string;
  quote?: string;
}

describe.skipIf(!haveChromium)('the policy browser in chromium', () => {
  let web: WebApp;
  let browser: Browser;
  let base: string;
  let analystKey: string;

  beforeAll(async () => {
    web = await startWebApp(freshSqlite);
    ({ base, browser } = web);
    analystKey = web.keys.analyst;
  }, 120_000);

  afterAll(async () => web?.close());

  const open = async (viewport = { width: 1280, height: 800 }): Promise<Page> => {
    const page = await browser.newPage({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await page.goto(`${base}/#/policies`);
    await page.getByTestId('pack-luoyang-2024').waitFor();
    return page;
  };

  it('shows a document’s parameter with its article and quoted sentence, and the versions on a date', async () => {
    const shown = (await (await fetch(`${base}/v1/policies/packs/luoyang-2024`)).json()) as { params: ShownParam[] };
    const param = shown.params.find((x) => x.quote && x.source.startsWith('洛医保〔2023〕63号'));
    if (!param?.quote) throw new Error('luoyang-2024 has no quoted parameter');

    const page = await open();
    expect(await page.getByRole('link', { name: '政策文件' }).getAttribute('aria-current')).toBe('page');
    await page.getByTestId('pack-luoyang-2024').click();
    const card = page.locator(`[data-testid="param"][data-path="${param.path}"]`).first();
    await card.waitFor();
    expect(await card.getByTestId('quote').textContent()).toContain(param.quote);
    expect(await card.getByTestId('source').textContent()).toContain(param.source);
    expect(await page.getByTestId('pack').locator('h2').textContent()).toContain('洛医保〔2023〕63号');
    // The screenshot: the document's heading at the top, its first parameters with their quotes.
    await page.evaluate("document.querySelector('[data-testid=pack]').scrollIntoView()");
    await page.screenshot({ path: join(SHOTS, 'policies-1280x800.png'), fullPage: false });
    copyFileSync(join(SHOTS, 'policies-1280x800.png'), join(ROOT, 'docs', 'screenshots', 'policies.png'));

    // On a date: the region's documents in force that day, and the versions shown.
    expect(await page.getByTestId('showing').textContent()).toContain('显示全部版本');
    // Each date shows as many versions as the API gives for it (fewer than all, or none before the document).
    const countOn = async (date?: string) =>
      ((await (await fetch(`${base}/v1/policies/packs/luoyang-2024${date ? `?date=${date}` : ''}`)).json()) as { params: unknown[] }).params.length;
    const all = await countOn();
    expect(await page.getByTestId('param').count()).toBe(all);
    await page.getByLabel('查看某日生效的版本').fill('2024-03-01');
    await expect.poll(() => page.getByTestId('chain').textContent()).toContain('洛医保〔2023〕63号');
    const onDay = await countOn('2024-03-01');
    expect(onDay).toBeLessThanOrEqual(all);
    await expect.poll(() => page.getByTestId('param').count()).toBe(onDay);
    expect(await page.getByTestId('showing').textContent()).toContain('2024年3月1日');
    expect(await page.getByTestId('chain').textContent()).not.toContain('洛医保〔2022〕36号');
    await page.getByLabel('查看某日生效的版本').fill('2023-06-01');
    await expect.poll(() => page.getByTestId('chain').textContent()).toContain('洛医保〔2022〕36号');
    expect(await page.getByTestId('chain').textContent()).not.toContain('洛医保〔2023〕63号');
    const before = await countOn('2023-06-01');
    await expect.poll(() => page.getByTestId('param').count()).toBe(before);
    if (before === 0) expect(await page.getByTestId('none-on-date').textContent()).toContain('该日本文件没有生效的参数');
    await page.getByTestId('all-versions').click();
    await expect.poll(() => page.getByTestId('showing').textContent()).toContain('显示全部版本');
    await expect.poll(() => page.getByTestId('param').count()).toBe(all);
    expect(await page.getByTestId('chain').count()).toBe(0);
    await page.close();
  });

  it('lists what is still missing with the reasons', async () => {
    const page = await open();
    const reasons = page.getByTestId('missing-reason');
    await reasons.first().waitFor();
    expect(await reasons.count()).toBeGreaterThan(0);
    expect((await reasons.first().textContent())?.trim().length).toBeGreaterThan(4);
    await page.getByLabel('地区', { exact: true }).selectOption('410300');
    await expect.poll(async () => (await page.getByTestId('missing').textContent()) ?? '').toContain('洛医保');
    await page.close();
  });

  it('asks for a key for the diff, and signed in shows luoyang-2022 → luoyang-2024 with a changed row', async () => {
    const page = await open();
    expect(await page.getByTestId('need-key').textContent()).toContain('需要登录');
    await page.getByTestId('sign-in').click();
    await page.getByLabel('API 密钥').fill(analystKey);
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByTestId('run-diff').waitFor();
    await page.getByLabel('原文件').selectOption('luoyang-2022');
    await page.getByLabel('新文件').selectOption('luoyang-2024');
    await page.getByTestId('run-diff').click();
    const changed = page.locator('[data-testid="diff"] tr[data-kind="changed"]');
    await changed.first().waitFor();
    expect(await changed.count()).toBeGreaterThan(0);
    const row = (await changed.first().textContent()) ?? '';
    expect(row).toContain('洛医保〔2022〕36号');
    expect(row).toContain('洛医保〔2023〕63号');
    // The check of Luoyang against Henan's floors on a date: verdicts.
    await page.getByLabel('核对日期').fill('2024-03-01');
    await page.getByTestId('run-check').click();
    await expect.poll(async () => (await page.getByTestId('check').textContent()) ?? '').toContain('符合');
    await page.close();
  });

  it('reads at phone width (375px) and in English', async () => {
    const page = await open({ width: 375, height: 800 });
    await page.getByTestId('pack-luoyang-2024').click();
    await page.getByTestId('quote').first().waitFor();
    await page.getByTestId('quote').first().scrollIntoViewIfNeeded();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(SHOTS, 'policies-375.png'), fullPage: false });
    await page.evaluate("localStorage.setItem('yibao.lang', 'en')");
    await page.reload();
    await page.getByTestId('pack-luoyang-2024').waitFor();
    expect(await page.getByRole('link', { name: 'Policy documents' }).count()).toBe(1);
    await page.evaluate("localStorage.removeItem('yibao.lang')");
    await page.close();
  });
});
