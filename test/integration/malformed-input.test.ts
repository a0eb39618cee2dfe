/**
 * Every route of the OpenAPI document, sent what it does not expect: each path parameter and query
 * parameter replaced by odd values (empty, too long, control characters, broken percent-encoding,
 * dots and slashes, numbers too large), each field of the route's own request example replaced by a
 * value of the wrong kind or removed, and bodies that are not JSON, are too deep, or carry prototype
 * keys; with each role's key. Whatever arrives:
 *
 * - the answer is never a 5xx: a 4xx in the service's envelope (`error.code`, one of the stable codes
 *   of src/errors.ts, and a message), or on the national routes the national envelope with a
 *   non-zero `infcode` and an `err_msg`; or a 2xx, when the change still makes a valid request;
 * - a refusal writes nothing: every table but the audit log (which records the refusal) keeps its
 *   row count.
 *
 * On SQLite and on PostgreSQL. The ledger first takes the settlement example, so that reads and
 * reversals find something behind the odd values.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { ERROR_CODES } from '../../src/errors.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

type Json = any;

const CODES = new Set<string>(Object.values(ERROR_CODES).flat());

/** Path parameters as a client could send them (already percent-encoded where they need it). */
const ODD_IDS = ['x', 'a'.repeat(400), '%00', '%E0%A4%A', '..%2F..%2Fetc', '-1', '9'.repeat(40), '%E4%B8%AD%E6%96%87', '%20x', 'null', '2024-13', '%0A'];
/** Query values (percent-encoded when sent). */
const ODD_VALUES = ['', 'abc', '-1', '1e309', '9'.repeat(40), '2024-02-30', '2024-13', '\u0000', '1.5', 'a'.repeat(400)];
/** A field's value replaced: what a careless or hostile client sends. */
const ODD_FIELDS: unknown[] = [null, 'x', -1, 1.5, 1e308, [], {}, 'a'.repeat(5000), '2024-02-30', '\u0000'];
/** At most this many fields of an example are made wrong (the first, depth first). */
const MAX_PLACES = 40;
/** Bodies that are not what any route takes. */
const DEEP = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
const ODD_BODIES = ['{', DEEP, '"s"', '', 'null', '[]', '"s"', '1', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\uFEFF{}'];

/** Each place in a JSON value: the keys from its root. */
function placesIn(value: Json, at: string[] = [], out: string[][] = []): string[][] {
  if (value === null || typeof value !== 'object' || at.length > 6) return out;
  for (const k of Object.keys(value)) {
    out.push([...at, k]);
    placesIn(value[k], [...at, k], out);
  }
  return out;
}

/** `value` with the place `at` set to `to`, or removed when `to` is the REMOVE marker. */
const REMOVE = Symbol('remove');
function withPlace(value: Json, at: string[], to: unknown): Json {
  const copy = structuredClone(value);
  let parent = copy;
  for (const k of at.slice(0, -1)) parent = parent[k];
  const last = at[at.length - 1] as string;
  if (to === REMOVE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = to;
  return copy;
}

for (const s of STORES.filter((x) => x.label !== 'sqlite (writer thread)')) {
  describe.skipIf(s.skip)(`malformed input on every route (${s.label})`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    let keys: { role: string; key: string }[];
    let operations: { method: string; path: string; op: Json }[];
    let tables: string[];

    beforeAll(async () => {
      store = await s.open();
      app = await buildServer({ ledger: new Ledger(store, engine), policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      keys = [
        { role: 'agency', key: (await createKey(store.db, 'agency')).key },
        { role: 'institution', key: (await createKey(store.db, 'institution', { institutionId: 'LY-H1' })).key },
        { role: 'analyst', key: (await createKey(store.db, 'analyst')).key },
      ];
      const doc = (await app.inject({ url: '/openapi.json' })).json();
      operations = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ method, path, op })),
      );
      tables = await tableNames(store);
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('is refused in the envelope with a stable code, never a 5xx, and a refusal writes nothing', { timeout: 600_000 }, async () => {
      const agency = keys[0]?.key as string;
      const exampleOf = (op: Json): Json => {
        const body = op.requestBody?.content?.['application/json'];
        if (!body) return undefined;
        return body.examples ? (Object.values(body.examples)[0] as Json).value : (body.example ?? body.schema.examples?.[0]);
      };
      // Something to find: the settlement example, settled.
      const settle = operations.find((o) => o.method === 'post' && o.path === '/v1/settlements');
      const settled = await app.inject({
        method: 'POST',
        url: '/v1/settlements',
        headers: { authorization: `Bearer ${agency}`, 'content-type': 'application/json' },
        payload: JSON.stringify(exampleOf(settle?.op)),
      });
      expect(settled.statusCode, settled.body).toBe(201);
      const entryId = settled.json().id as string;

      let counts = await countRows(store, tables);
      const problems: string[] = [];
      let sent = 0;
      let refused = 0;
      const send = async (method: string, url: string, key: string, payload?: string, type = 'application/json') => {
        sent++;
        const res = await app.inject({
          method: method.toUpperCase() as 'POST',
          url,
          headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': type }) },
          ...(payload === undefined ? {} : { payload }),
        });
        const where = `${method.toUpperCase()} ${url.slice(0, 120)} ${payload === undefined ? '' : payload.slice(0, 160)}`;
        let body: Json;
        try {
          body = JSON.parse(res.body);
        } catch {
          problems.push(`${where}: ${res.statusCode}, not JSON: ${res.body.slice(0, 200)}`);
          return;
        }
        if (res.statusCode >= 500) problems.push(`${where}: ${res.statusCode} ${res.body.slice(0, 300)}`);
        const national = body && typeof body === 'object' && 'infcode' in body;
        const isRefusal = national ? Number(body.infcode) !== 0 : res.statusCode >= 400;
        if (!isRefusal) {
          if (method !== 'get') counts = await countRows(store, tables);
          return;
        }
        refused++;
        if (national) {
          if (typeof body.err_msg !== 'string' || body.err_msg.length === 0) problems.push(`${where}: national refusal without err_msg: ${res.body.slice(0, 200)}`);
        } else if (!CODES.has(body?.error?.code) || typeof body?.error?.message !== 'string' || body.error.message.length === 0) {
          problems.push(`${where}: ${res.statusCode} not in the envelope with a stable code: ${res.body.slice(0, 200)}`);
        }
        if (method !== 'get') {
          const after = await countRows(store, tables);
          const changed = tables.filter((t) => after[t] !== counts[t]);
          if (changed.length > 0) problems.push(`${where}: refused (${res.statusCode}) but wrote ${changed.join(', ')}`);
          counts = after;
        }
      };

      for (const { method, path, op } of operations) {
        const params: Json[] = op.parameters ?? [];
        const inPath = params.filter((p) => p.in === 'path').map((p) => p.name as string);
        const inQuery = params.filter((p) => p.in === 'query').map((p) => p.name as string);
        const example = exampleOf(op);
        const payload = method === 'get' ? undefined : JSON.stringify(example ?? {});
        // Path parameters filled with the settled entry's id (a real one where an id is wanted) or a month.
        const fill = (value: (name: string) => string) => inPath.reduce((p, name) => p.replace(`{${name}}`, value(name)), path);
        const plain = fill((name) => (name === 'period' ? '2024-03' : name === 'year' ? '2024' : entryId));
        // Every odd value with the agency's key; a few with the others (most of theirs stop at the role check).
        for (const [i, { key }] of keys.entries()) {
          const few = <T>(all: readonly T[]) => (i === 0 ? all : all.slice(0, 3));
          for (const odd of inPath.length > 0 ? few(ODD_IDS) : []) {
            const url = fill(() => odd);
            await send(method, url, key, payload);
          }
          for (const q of inQuery) for (const v of few(ODD_VALUES)) await send(method, `${plain}?${q}=${encodeURIComponent(v)}`, key, payload);
          if (inQuery.length > 0) await send(method, `${plain}?${inQuery[0]}=1&${inQuery[0]}=2`, key, payload);
          if (method !== 'get') for (const raw of few(ODD_BODIES)) await send(method, plain, key, raw);
        }
        if (method === 'get') continue;
        await send(method, plain, agency, payload, 'text/plain');
        if (example === undefined) continue;
        // Each field of the example, wrong: with the key of who sends it (a hospital on the national routes).
        const sender = (path.startsWith('/v1/national/') ? keys[1] : keys[0])?.key as string;
        for (const at of placesIn(example).slice(0, MAX_PLACES)) {
          for (const to of [...ODD_FIELDS, REMOVE]) await send(method, plain, sender, JSON.stringify(withPlace(example, at, to)));
        }
      }
      expect(problems.slice(0, 20), `${problems.length} problems in ${sent} requests`).toEqual([]);
      // The odd values reached the routes: most were refused.
      expect(refused).toBeGreaterThan(sent / 2);
    });
  });
}

/** Every table of the ledger but the audit log (a refusal is audited) and the keys (their last use). */
async function tableNames(store: LedgerDb): Promise<string[]> {
  const rows =
    store.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(store.db)).rows
      : (await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() and tablename not like 'kysely_%'`.execute(store.db)).rows;
  return rows.map((r) => r.name).filter((t) => t !== 'audit_log' && t !== 'api_keys');
}

/** Row counts of those tables, in one query. */
async function countRows(store: LedgerDb, tables: readonly string[]): Promise<Record<string, number>> {
  const select = sql.join(tables.map((t) => sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`));
  const row = (await sql<Record<string, string | number>>`select ${select}`.execute(store.db)).rows[0] ?? {};
  return Object.fromEntries(tables.map((t) => [t, Number(row[t])]));
}
