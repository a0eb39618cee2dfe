/**
 * The policy browser (#/policies) in a real browser: Debian's chromium driven by playwright-core,
 * against the service on a real port over a SQLite store. A document's parameter with its article
 * and its quoted sentence (read from GET /v1/policies/packs/luoyang-2024, not written here), the
 * documents in force on a date, the diff of two documents signed in with an analyst key, the
 * missing list with its reasons, the page at phone width. Screenshots go to test-results/ (and the
 * one at 1280×800 to docs/screenshots/policies.png).
 *
 * Without /usr/bin/chromium the tests are skipped with a message, except under CI=true.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { freshSqlite } from '../support/stores.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CHROMIUM = process.env.YIBAO_CHROMIUM ?? '/usr/bin/chromium';
const WEB = join(ROOT, 'dist', 'web');
const SHOTS = join(ROOT, 'test-results');

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') {
  throw new Error(`[yibao tests] CI=true but ${CHROMIUM} is missing; the browser tests must not be skipped in CI (.ci/run installs chromium)`);
}
if (!haveChromium) process.stderr.write(`\n[yibao tests] ${CHROMIUM} is missing: the browser tests (web-policies) are SKIPPED (they run in CI).\n\n`);

/** The newest modification time under a folder. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** dist/web as today's web/ sources build it (built again when missing or older than a source). */
function ensureBuilt(): void {
  const index = join(WEB, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'web'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'pipe' });
}

interface ShownParam {
  path: string;
  label: string;
  source: string;
  quote?: string;
}

describe.skipIf(!haveChromium)('the policy browser in chromium', () => {
  let store: LedgerDb;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let analystKey: string;

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    store = await freshSqlite();
    const engine = new SettlementEngine(loadPolicies());
    const ledger = new Ledger(store, engine, Date.now);
    await ledger.ready;
    app = await buildServer({ ledger, policies: engine.policies, keys: new KeyStore(store.db, 0), logger: false });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    analystKey = (await createKey(store.db, 'analyst')).key;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=zh-CN'],
      env: { ...process.env, LANG: 'zh_CN.UTF-8', LANGUAGE: 'zh_CN' },
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
  });

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
