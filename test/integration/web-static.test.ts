/**
 * The web app at `/` (src/api/web.ts): its built files with their cache headers, index.html for the
 * app's own paths, the API's paths untouched, and a page saying how to build it when dist/web is missing.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { freshSqlite } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());
const INDEX = '<!doctype html><html lang="zh-CN"><head><title>医保结算</title></head><body><div id="app"></div></body></html>';

async function serve(webDir: string): Promise<{ app: FastifyInstance; store: LedgerDb }> {
  const store = await freshSqlite();
  const ledger = new Ledger(store, engine, Date.now);
  await ledger.ready;
  const app = await buildServer({ ledger, policies: engine.policies, keys: new KeyStore(store.db, 0), logger: false, webDir });
  await app.ready();
  return { app, store };
}

describe('the web app served at /', () => {
  let app: FastifyInstance;
  let store: LedgerDb;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1);');
    ({ app, store } = await serve(dir));
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers index.html at / without caching, and a hashed asset cached for a year', async () => {
    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toBe(INDEX);
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers index.html at / with its query (the shareable link); the app routes by the hash, so other paths are 404s', async () => {
    const r = await app.inject({ method: 'GET', url: '/?region=410300&total=300' });
    expect([r.statusCode, r.body, r.headers['cache-control']]).toEqual([200, INDEX, 'no-cache']);
    for (const url of ['/calculator', '/clerk/persons/p1', '/nope']) {
      const other = await app.inject({ method: 'GET', url });
      expect(other.statusCode, url).toBe(404);
      expect(other.json().error.code, url).toBe('NOT_FOUND');
    }
  });

  it("leaves the API's paths and missing files alone: their 404 in the service's shape", async () => {
    for (const url of ['/v1/nothing-here', '/v1', '/docs/nothing', '/assets/missing-123.js', '/favicon.ico']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code, url).toBe('NOT_FOUND');
    }
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).json().openapi).toMatch(/^3\./);
    expect((await app.inject({ method: 'GET', url: '/v1/calculations/options' })).statusCode).toBe(200);
    // A POST to an unknown path is not the app's either.
    expect((await app.inject({ method: 'POST', url: '/calculator', payload: {} })).statusCode).toBe(404);
  });
});

describe('the web app not built', () => {
  it('answers / with a page saying to run npm run build:web, in Chinese and English, never a 500', async () => {
    const { app, store } = await serve(join(tmpdir(), 'yibao-web-missing-dir'));
    try {
      for (const url of ['/', '/?region=410300']) {
        const r = await app.inject({ method: 'GET', url });
        expect(r.statusCode, url).toBe(200);
        expect(r.headers['content-type']).toMatch(/text\/html/);
        expect(r.body).toContain('npm run build:web');
        expect(r.body).toContain('网页端尚未构建');
        expect(r.body).toContain('not built');
      }
      expect((await app.inject({ method: 'GET', url: '/v1/nothing' })).json().error.code).toBe('NOT_FOUND');
    } finally {
      await app.close();
      await store.close();
    }
  });
});
