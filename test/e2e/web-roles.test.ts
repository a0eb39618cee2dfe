/**
 * Who may open which page, in chromium: for every page and every role (and no key at all), the
 * navigation links it only for the roles that may use it, and opening its address directly shows
 * the page to them and 无权访问 to everyone else. The table below is the issue's statement of the
 * roles (docs/web.md); the routes the app declares (web/src/router.ts) must match it exactly, so a
 * page added without its line here fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent, ROOT, SHOTS } from '../support/browser.js';
import { STORES } from '../support/stores.js';
import { startWebApp, type WebApp } from '../support/web-app.js';

const haveChromium = chromiumPresent('web-roles');

type Who = 'none' | 'institution' | 'agency' | 'analyst';
const EVERYONE: Who[] = ['none', 'institution', 'agency', 'analyst'];

/** Each page's address, its name in the navigation, and who may open it ('none': without a key). */
const PAGES: { path: string; nav: string; who: Who[] }[] = [
  { path: '/', nav: '待遇测算', who: EVERYONE },
  { path: '/policies', nav: '政策文件', who: EVERYONE },
  { path: '/clerk', nav: '经办台', who: ['agency', 'institution'] },
  { path: '/analysis', nav: '改革测算', who: ['analyst', 'agency'] },
  { path: '/stats', nav: '基金统计', who: ['analyst', 'agency'] },
  { path: '/clearing', nav: '清算', who: ['agency', 'analyst'] },
  { path: '/supervision', nav: '监管', who: ['agency', 'analyst', 'institution'] },
  { path: '/reconciliations', nav: '对账', who: ['agency', 'institution'] },
  { path: '/budgets', nav: '预算与预警', who: ['agency', 'analyst'] },
];

/** The routes web/src/router.ts declares: path → roles (undefined: public). */
function declaredRoutes(): Map<string, string[] | undefined> {
  const source = readFileSync(join(ROOT, 'web', 'src', 'router.ts'), 'utf8');
  const routes = new Map<string, string[] | undefined>();
  for (const line of source.split('\n')) {
    const path = /^\s*\{ path: '([^']+)'/.exec(line)?.[1];
    if (!path) continue;
    const roles = /roles: \[([^\]]*)\]/.exec(line)?.[1];
    routes.set(path, roles === undefined ? undefined : [...roles.matchAll(/'([^']+)'/g)].map((m) => m[1] as string));
  }
  return routes;
}

describe('the routes the app declares', () => {
  it('are the pages of the table, each with the same roles', () => {
    const declared = declaredRoutes();
    expect([...declared.keys()].sort()).toEqual(PAGES.map((p) => p.path).sort());
    for (const p of PAGES) {
      const roles = declared.get(p.path);
      if (p.who.includes('none')) expect(roles, p.path).toBeUndefined();
      else expect([...(roles ?? [])].sort(), p.path).toEqual([...p.who].sort());
    }
  });
});

const sqlite = STORES.find((x) => x.label === 'sqlite');

describe.skipIf(!haveChromium || !sqlite)('who may open which page, in chromium', () => {
  let web: WebApp;
  beforeAll(async () => {
    web = await startWebApp((sqlite as (typeof STORES)[number]).open);
  }, 120_000);
  afterAll(async () => web?.close());

  /**
   * What opening the page's address shows, from a fresh load (the key kept in the tab's session):
   * 'forbidden' or 'page'. Nothing is shown until the service has said who the key is, so the first
   * element in the main area is the answer.
   */
  const shown = async (page: Page, path: string): Promise<'forbidden' | 'page'> => {
    await page.goto(`${web.base}/#${path}`);
    await page.reload();
    await page.locator('main.app-main > *').first().waitFor();
    return (await page.getByTestId('forbidden').count()) > 0 ? 'forbidden' : 'page';
  };

  for (const who of EVERYONE) {
    it(`${who === 'none' ? 'without a key' : `as ${who}`}: the navigation and each page's address`, async () => {
      const page = await web.open('/#/', who === 'none' ? undefined : web.keys[who]);
      await page.locator('nav a', { hasText: '待遇测算' }).waitFor();
      for (const p of PAGES) {
        const allowed = p.who.includes(who);
        // The navigation links the page only for those who may open it.
        await expect.poll(() => page.locator('nav a', { hasText: p.nav }).count(), { message: `${who} nav ${p.path}` }).toBe(allowed ? 1 : 0);
        expect(await shown(page, p.path), `${who} opens ${p.path}`).toBe(allowed ? 'page' : 'forbidden');
        if (!allowed) {
          const text = (await page.getByTestId('forbidden').textContent()) ?? '';
          expect(text).toContain('无权访问此页面');
          expect(text).toContain(who === 'none' ? '此页面需要登录' : '当前密钥的角色不能使用此页面');
        }
      }
      await page.close();
    });
  }

  it('without a key, 登录 on 无权访问 signs in and the page opens for a role that may use it', async () => {
    const page = await web.open('/#/clerk');
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByTestId('forbidden').textContent()).toContain('经办机构、定点医疗机构');
    await page.screenshot({ path: join(SHOTS, 'forbidden-1280x800.png') });
    await page.getByTestId('forbidden-sign-in').click();
    await page.getByRole('dialog').getByLabel('API 密钥').fill(web.keys.institution);
    await page.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.getByTestId('forbidden').count()).toBe(0);
    await page.locator('nav a', { hasText: '经办台' }).waitFor();
    await page.close();
  });
});
