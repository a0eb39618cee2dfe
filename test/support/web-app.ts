/**
 * What a browser test of a signed-in page starts with: the real service on a fresh ledger (a
 * port of its own on 127.0.0.1) with an agency, an analyst and an institution key, and a page of the
 * app signed in through its own 登录 dialog. The browser itself is test/support/browser.ts's.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildServer } from '../../src/api/server.js';
import type { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';

export interface WebService {
  store: LedgerDb;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  base: string;
  keys: { agency: string; analyst: string; institution: string };
  close(): Promise<void>;
}

/** The service on `open()`'s ledger, listening; the institution key is `institution`'s (H1 unless told). */
export async function serveLedger(open: () => Promise<LedgerDb>, engine: SettlementEngine, institution = 'H1'): Promise<WebService> {
  const store = await open();
  const ledger = new Ledger(store, engine, Date.now);
  await ledger.ready;
  const app = await buildServer({ ledger, policies: engine.policies, keys: new KeyStore(store.db, 0), logger: false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const keys = {
    agency: (await createKey(store.db, 'agency')).key,
    analyst: (await createKey(store.db, 'analyst')).key,
    institution: (await createKey(store.db, 'institution', { institutionId: institution })).key,
  };
  return {
    store,
    app,
    base,
    keys,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** A new page (Chinese, China time) at `base/#path`, signed in with `key` through the app's 登录 dialog. */
export async function signedInPage(browser: Browser, base: string, path: string, key: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  await page.goto(`${base}/#${path}`);
  await page.getByTestId('sign-in').click();
  await page.getByLabel('API 密钥').fill(key);
  await page.getByRole('button', { name: '确定' }).click();
  await page.getByTestId('sign-out').waitFor();
  return page;
}
