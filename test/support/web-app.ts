/**
 * The real service for a browser test: a fresh store, the ledger with the built-in policies,
 * `buildServer` listening on a loopback port, a key of each role, and chromium — and the pages the
 * tests open, in Chinese, in China's time zone, signed in through the header's 登录 as a user would.
 */
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { ensureBuilt, launchChromium, SHOTS } from './browser.js';

export interface WebApp {
  store: LedgerDb;
  ledger: Ledger;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  base: string;
  browser: Browser;
  /** A key of each role (the institution's is H1's unless told). */
  keys: { agency: string; analyst: string; institution: string };
  /** `fetch`-free calls through Fastify's inject, as the agency unless another key is given. */
  inject(method: string, url: string, payload?: unknown, key?: string): Promise<{ statusCode: number; json(): unknown; body: string }>;
  /**
   * Settles, as the agency, the tests' hand-computed case for `person` (a Luoyang resident adult) at
   * a contracted county hospital of grade 2 (H1 unless told), outpatient at `time` (2024-03-02 10:00
   * China time unless told), 300.00 in all, 250.00 eligible — by hand (洛医保〔2023〕63号 二(一)2):
   * the first such visit of a day bears the deductible 50.00: fund (250.00 − 50.00) × 50% = 100.00,
   * cash 200.00; a second at the same institution that day does not: 250.00 × 50% = 125.00.
   * `tag` makes the request and visit ids. Returns the entry; throws unless it is 201.
   */
  settleCase(tag: string, person: string, options?: { institution?: string; time?: string }): Promise<SettledEntry>;
  /** A new page at `path` (e.g. `/#/clerk`), 1280×800 unless told, signed in with `key` when one is given; `prepare` runs before it loads (to route its requests). */
  open(path: string, key?: string, viewport?: { width: number; height: number }, prepare?: (page: Page) => Promise<void>): Promise<Page>;
  close(): Promise<void>;
}

/** The default engine, built once per test file. */
let defaultEngine: SettlementEngine | undefined;

/** A settlement as POST /v1/settlements answers it (the parts the tests read). */
export interface SettledEntry {
  id: string;
  fundPay: number;
  criticalIllnessPay: number;
  assistancePay: number;
  accountPay: number;
  cashPay: number;
}

export interface WebAppOptions {
  /** The engine (default: the built-in policies). */
  engine?: SettlementEngine;
  /** The ledger's clock (default Date.now): a test may move it. */
  clock?: () => number;
  /** The institution key's institution (default H1). */
  institution?: string;
}

/** Builds the web app if needed, opens the store, starts the service and chromium. */
export async function startWebApp(open: () => Promise<LedgerDb>, options: WebAppOptions = {}): Promise<WebApp> {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const e = options.engine ?? (defaultEngine ??= new SettlementEngine(loadPolicies()));
  const store = await open();
  const ledger = new Ledger(store, e, options.clock ?? Date.now);
  await ledger.ready;
  const app = await buildServer({ ledger, policies: e.policies, keys: new KeyStore(store.db, 0), logger: false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const keys = {
    agency: (await createKey(store.db, 'agency')).key,
    analyst: (await createKey(store.db, 'analyst')).key,
    institution: (await createKey(store.db, 'institution', { institutionId: options.institution ?? 'H1' })).key,
  };
  const browser = await launchChromium();
  return {
    store,
    ledger,
    app,
    base,
    browser,
    keys,
    inject: (method, url, payload, key = keys.agency) =>
      app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(payload === undefined ? {} : { payload: payload as object }) }),
    async settleCase(tag, person, options = {}) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/settlements',
        headers: { authorization: `Bearer ${keys.agency}` },
        payload: {
          requestId: `req-${tag}`,
          person: { id: person, region: '410300', scheme: 'resident', category: 'adult' },
          visit: {
            id: `v-${tag}`,
            time: options.time ?? '2024-03-02T10:00:00+08:00',
            type: 'outpatient',
            institution: { id: options.institution ?? 'H1', tier: 'county', grade: 2, contracted: true },
            total: 300,
            eligible: 250,
          },
        },
      });
      if (res.statusCode !== 201) throw new Error(`settling ${tag}: ${res.statusCode} ${res.body}`);
      return res.json() as SettledEntry;
    },
    async open(path, key, viewport = { width: 1280, height: 800 }, prepare) {
      const page = await browser.newPage({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
      await prepare?.(page);
      await page.goto(`${base}${path}`);
      if (key !== undefined) {
        await page.getByTestId('sign-in').click();
        await page.getByRole('dialog').getByLabel('API 密钥').fill(key);
        await page.getByRole('button', { name: '确定' }).click();
        await page.getByTestId('sign-out').waitFor();
      }
      return page;
    },
    async close() {
      await browser.close();
      await app.close();
      await store.close();
    },
  };
}

/** Inputs and selects shown without a label a screen reader would read (their outer HTML). */
export function unlabelledInputs(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(
    "[...document.querySelectorAll('input, select, textarea')].filter((i) => i.type !== 'hidden' && i.offsetParent !== null && i.labels.length === 0 && !i.getAttribute('aria-label') && !i.getAttribute('aria-labelledby')).map((i) => i.outerHTML)",
  );
}
