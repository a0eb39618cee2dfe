/**
 * Bad national messages get an answer in the service's shape, never a 500: every recorded message
 * of the hospital day (test/fixtures/national/), mutated at random — a field removed, of another
 * type, too long, negative, null, an unknown key, a nested node replaced — is answered with
 * infcode 0 or a refusal with a stable code, and a refusal writes nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../src/catalogue/load.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'test/fixtures/national');
const engine = new SettlementEngine(loadPolicies());
const catalogue = parseCatalogue(readFileSync(join(ROOT, 'catalogues/sample.json'), 'utf8'), 'catalogues/sample.json');
const TABLES = ['settlements', 'national_visits', 'fee_details', 'national_reversals', 'sign_ins', 'person_identities', 'reconciliations', 'findings'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const messages = readdirSync(DIR)
  .filter((f) => /^\d+-\d{4}\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { infno: string; request: Json });

/** Every path to a value in a message. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => paths(x, [...at, i]))];
  if (v !== null && typeof v === 'object') return [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, k]))];
  return [at];
}

const BAD: Json[] = [null, -1, 1e308, '', 'x'.repeat(5000), '-0.001', true, [], {}, { a: 1 }, '2024-13-45 25:61:61', '１２３'];

/** The message with one value replaced (or removed, or a key added beside it). */
function mutate(message: Json, path: (string | number)[], how: number, bad: Json): Json {
  const copy = JSON.parse(JSON.stringify(message)) as Json;
  if (path.length === 0) return bad;
  let parent = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (how === 0 && !Array.isArray(parent)) delete parent[last];
  else if (how === 1 && !Array.isArray(parent)) parent[`${String(last)}_unknown`] = bad;
  else parent[last] = bad;
  return copy;
}

const sqlite = STORES.find((s) => s.label === 'sqlite');

describe.skipIf(!sqlite || sqlite.skip)('bad national messages (fixtures mutated at random)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService((sqlite as NonNullable<typeof sqlite>).open, engine, { server: { national: { catalogue } } });
  });
  afterAll(async () => svc?.close());

  it('are answered in the envelope with a stable code, never a 500, and a refusal writes nothing', async () => {
    expect(messages.length).toBeGreaterThanOrEqual(30);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...messages), fc.nat(), fc.integer({ min: 0, max: 2 }), fc.constantFrom(...BAD), async (m, pick, how, bad) => {
        const all = paths(m.request);
        const path = all[pick % all.length] as (string | number)[];
        const body = mutate(m.request, path, how, bad);
        const before = await rowCounts(svc.store, TABLES);
        const res = await svc.app.inject({
          method: 'POST',
          url: `/v1/national/${m.infno}`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${svc.agency.key}` },
          payload: JSON.stringify(body),
        });
        expect(res.statusCode, `${m.infno} ${JSON.stringify(path)} ← ${JSON.stringify(bad)?.slice(0, 40)}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
        const answer = res.json() as { infcode?: number; error?: { code?: string }; err_msg?: string };
        expect([0, -1]).toContain(answer.infcode);
        if (answer.infcode === -1) {
          expect(answer.error?.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
          expect(answer.err_msg).toMatch(/[\u4e00-\u9fff]/);
          expect(await rowCounts(svc.store, TABLES)).toEqual(before);
        }
      }),
      { numRuns: 400 },
    );
  }, 120_000);
});
