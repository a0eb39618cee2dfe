/**
 * The bounded service, on every store: slow clients are closed (raw sockets dribbling bytes, with
 * short limits) and answered in the service's error shape; the settle queues are bounded (503
 * OVERLOADED with Retry-After, nothing written); a person's history and an account's entries
 * come a page at a time, stable across inserts; the audit log is read back through GET /v1/audit;
 * SQLite's synchronous mode is the one asked for on every connection.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { CreatedKey } from '../../src/ledger/keys.js';
import { pgStatementsFrom, SYNCHRONOUS, sqliteSyncFrom, type LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, LedgerError, verifyLedger, type Actor } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { encodeCursor } from '../../src/request/page.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { rowCounts } from '../support/counts.js';
import { startService, withJson, type TestService } from '../support/service.js';
import { freshSqlite, STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

/** Response bodies are read loosely; the assertions are the schema. */
type Json = any;

const TABLES = ['settlements', 'visits', 'persons', 'audit_log', 'cap_usage', 'deductible_windows', 'enrollments', 'institutions'] as const;

/** A Puyang employee's outpatient visit in 2022, `hour` hours after 1 August, at a primary grade-1 clinic. */
const puyang = (personId: string, visitId: string, hour: number, institution = 'PY-1') => ({
  person: { id: personId, region: '410900', scheme: 'employee', category: 'active' },
  visit: {
    id: visitId,
    time: new Date(Date.UTC(2022, 7, 1, 0) + hour * 3_600_000).toISOString(),
    type: 'outpatient',
    institution: { id: institution, tier: 'primary', grade: 1, contracted: true },
    total: 10,
  },
});

function inject(app: FastifyInstance, method: 'GET' | 'POST', url: string, key?: string, body?: unknown): Promise<LightMyRequestResponse & { body_: Json }> {
  return app
    .inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    })
    .then(withJson);
}

// ---------------------------------------------------------------------------------------------
// Raw sockets.

interface Exchange {
  /** From connecting until the server closed the connection. */
  ms: number;
  received: string;
}

/**
 * Connects and writes `chunks`, one every `everyMs` (no more once the server closed), and resolves
 * when the server closes the connection; fails if it has not after `giveUpMs`.
 */
function dribble(port: number, chunks: string[], everyMs: number, giveUpMs = 10_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++] as string);
    }, everyMs);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${giveUpMs} ms; it sent: ${received.slice(0, 300)}`));
    }, giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ ms: Date.now() - started, received });
    });
  });
}

/** The status, headers and JSON body of a raw HTTP/1.1 response. */
function response(raw: string): { status: number; headers: Record<string, string>; body: Json } {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(rest.join('\r\n\r\n')) };
}

/** Each character of `text` as a chunk of its own. */
const bytes = (text: string) => [...text];

// Short limits, so that a test waits for them: headers within 600 ms, a whole request within
// 2500 ms, an idle keep-alive connection 100 ms (Node closes it a second later: its grace for
// clients' own keep-alive timers), any silent connection 4000 ms.
const TIMEOUTS = { headersMs: 600, requestMs: 2500, keepAliveMs: 100, idleMs: 4000 };
/** How late a close may come: Node checks the connections every 150 ms here; the machine is shared. */
const SLACK_MS = 900;

for (const s of STORES) {
  describe.skipIf(s.skip)(`bounded service on ${s.label}`, () => {
    let service: TestService;
    let app: FastifyInstance;
    let store: LedgerDb;
    let agency: CreatedKey;
    let analyst: CreatedKey;
    let h1: CreatedKey;
    let port: number;

    beforeAll(async () => {
      service = await startService(s.open, engine, { server: { timeouts: TIMEOUTS } });
      ({ app, store, agency, analyst, h1 } = service);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      port = address.port;
    });
    afterAll(async () => {
      await service?.close();
    });

    describe('slow clients', () => {
      it('headers at a byte every 50 ms: 408 in the service shape once the headers timeout passes, and closed', async () => {
        const r = await dribble(port, bytes(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}`), 50);
        expect(r.ms).toBeGreaterThanOrEqual(TIMEOUTS.headersMs - 50);
        expect(r.ms).toBeLessThan(TIMEOUTS.headersMs + SLACK_MS);
        const res = response(r.received);
        expect(res.status).toBe(408);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body.error.code).toBe('REQUEST_TIMEOUT');
        expect(res.body.requestId).toBe(res.headers['x-request-id']);
      });

      it('a body at a byte every 50 ms: 408 once the request timeout passes, and closed', async () => {
        const head = 'POST /v1/contributions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n';
        const r = await dribble(port, [head, ...bytes(`{"region":"${'x'.repeat(400)}`)], 50);
        expect(r.ms).toBeGreaterThanOrEqual(TIMEOUTS.requestMs - 100);
        expect(r.ms).toBeLessThan(TIMEOUTS.requestMs + SLACK_MS);
        const res = response(r.received);
        expect(res.status).toBe(408);
        expect(res.body.error.code).toBe('REQUEST_TIMEOUT');
        expect(res.body.requestId).toBe(res.headers['x-request-id']);
      });

      it('a connection that sends nothing is closed', async () => {
        const r = await dribble(port, [], 1_000);
        expect(r.ms).toBeLessThan(Math.max(TIMEOUTS.headersMs, TIMEOUTS.idleMs) + SLACK_MS);
      });

      it('an idle keep-alive connection is closed after the keep-alive timeout, before any other limit', async () => {
        const r = await dribble(port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'], 10);
        expect(r.received).toMatch(/^HTTP\/1\.1 200/);
        expect(r.ms).toBeGreaterThanOrEqual(TIMEOUTS.keepAliveMs);
        expect(r.ms).toBeLessThan(TIMEOUTS.requestMs);
      });

      it('a client slow but within the limits is served', async () => {
        const r = await dribble(port, ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', 'Connection: close\r\n\r\n'], 100);
        expect(r.received).toMatch(/^HTTP\/1\.1 200/);
      });

      it('headers too large and what is not HTTP are answered in the service shape too', async () => {
        const big = await dribble(port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`], 10);
        const res = response(big.received);
        expect(res.status).toBe(431);
        expect(res.body.error.code).toBe('HEADERS_TOO_LARGE');
        expect(res.body.requestId).toBe(res.headers['x-request-id']);
        const junk = await dribble(port, ['HELLO THERE\r\n\r\n'], 10);
        const bad = response(junk.received);
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('BAD_REQUEST');
        // And the service still serves.
        expect((await inject(app, 'GET', '/healthz')).statusCode).toBe(200);
      });
    });

    describe('paging', () => {
      const agencyActor: Actor = { id: 'test', role: 'agency' };
      const settle = (personId: string, n: number, hour: number, institution = 'PY-1') =>
        service.ledger.settle(parseSettleOne({ requestId: `${personId}-${n}`, ...puyang(personId, `${personId}-v${n}`, hour, institution) }, policies), agencyActor);

      /** Every page of `url` (limit `limit`), following nextCursor; the entries' ids page by page. */
      async function pages(url: string, key: string, limit: number): Promise<string[][]> {
        const out: string[][] = [];
        let cursor: string | null = null;
        do {
          const sep = url.includes('?') ? '&' : '?';
          const res = await inject(app, 'GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, key);
          expect(res.statusCode, res.body).toBe(200);
          out.push(res.body_.entries.map((e: Json) => String(e.id ?? e.seq)));
          cursor = res.body_.nextCursor;
          expect(out.length).toBeLessThan(100);
        } while (cursor);
        return out;
      }

      it('a history of 105 entries: 100 by default, then the rest; nextCursor null on the last page', async () => {
        const ledger = service.ledger;
        for (let i = 0; i < 105; i += 15) {
          await Promise.all(
            Array.from({ length: 15 }, (_, k) =>
              ledger.settle(parseSettleOne({ requestId: `many-${i + k}`, ...puyang('pg-many', `pg-many-v${i + k}`, i + k) }, policies), agencyActor),
            ),
          );
        }
        const first = await inject(app, 'GET', '/v1/persons/pg-many/settlements', agency.key);
        expect(first.body_.entries).toHaveLength(100);
        expect(typeof first.body_.nextCursor).toBe('string');
        const rest = await inject(app, 'GET', `/v1/persons/pg-many/settlements?cursor=${first.body_.nextCursor}`, agency.key);
        expect(rest.body_.entries).toHaveLength(5);
        expect(rest.body_.nextCursor).toBeNull();
        const all = (await ledger.history('pg-many', agencyActor)).map((e) => e.id);
        expect([...first.body_.entries, ...rest.body_.entries].map((e: Json) => e.id)).toEqual(all);
        expect((await inject(app, 'GET', '/v1/persons/pg-many/settlements?limit=500', agency.key)).body_.entries).toHaveLength(105);
      });

      it('pages are stable across inserts: entries written meanwhile come on later pages, none twice, none lost', async () => {
        for (let i = 1; i <= 7; i++) await settle('pg-st', i, i);
        const p1 = await inject(app, 'GET', '/v1/persons/pg-st/settlements?limit=3', agency.key);
        expect(p1.body_.entries).toHaveLength(3);
        // Written after the first page was read: a settlement and a reversal of an entry of that page.
        await settle('pg-st', 8, 8);
        const reversed = await inject(app, 'POST', `/v1/settlements/${p1.body_.entries[1].id}/reversal`, agency.key, { requestId: 'pg-st-rev' });
        expect(reversed.statusCode).toBe(201);
        const p2 = await inject(app, 'GET', `/v1/persons/pg-st/settlements?limit=3&cursor=${p1.body_.nextCursor}`, agency.key);
        const p3 = await inject(app, 'GET', `/v1/persons/pg-st/settlements?limit=3&cursor=${p2.body_.nextCursor}`, agency.key);
        expect(p3.body_.nextCursor).toBeNull();
        const paged = [p1, p2, p3].flatMap((p) => p.body_.entries.map((e: Json) => e.id));
        const now = (await inject(app, 'GET', '/v1/persons/pg-st/settlements?limit=500', agency.key)).body_.entries.map((e: Json) => e.id);
        expect(paged).toEqual(now);
        expect(paged).toHaveLength(9);
        expect(paged.at(-1)).toBe(reversed.body_.id);
      });

      it('an institution pages through its own entries only; the year filter holds across pages', async () => {
        for (let i = 1; i <= 4; i++) await settle('pg-inst', i, i, i % 2 === 0 ? 'H1' : 'PY-2');
        const mine = (await pages('/v1/persons/pg-inst/settlements', h1.key, 1)).flat();
        expect(mine).toHaveLength(2);
        for (const id of mine) expect((await inject(app, 'GET', `/v1/settlements/${id}`, agency.key)).body_.visitId).toMatch(/pg-inst-v[24]$/);
        expect((await pages('/v1/persons/pg-inst/settlements?year=2022', agency.key, 3)).flat()).toHaveLength(4);
        expect((await pages('/v1/persons/pg-inst/settlements?year=2023', agency.key, 3)).flat()).toHaveLength(0);
      });

      it("an account's entries page by seq, stable across a month credited meanwhile", async () => {
        const opened = await inject(app, 'POST', '/v1/accounts', agency.key, {
          id: 'PG-ACC',
          kind: 'employee-personal',
          holderId: 'pg-acc-p',
          region: '410900',
          openedOn: '2023-01-01',
          holder: { category: 'retired', requiredYearsMet: true },
        });
        expect(opened.statusCode, opened.body).toBe(201);
        for (const m of ['01', '02', '03', '04', '05']) expect((await inject(app, 'POST', '/v1/accounts/credit-month', agency.key, { month: `2023-${m}` })).statusCode).toBe(200);
        const p1 = await inject(app, 'GET', '/v1/accounts/PG-ACC?limit=2', agency.key);
        expect(p1.body_).toMatchObject({ id: 'PG-ACC', balance: 300 });
        expect(p1.body_.entries.map((e: Json) => e.seq)).toEqual([1, 2]);
        await inject(app, 'POST', '/v1/accounts/credit-month', agency.key, { month: '2023-06' });
        const p2 = await inject(app, 'GET', `/v1/accounts/PG-ACC?limit=2&cursor=${p1.body_.nextCursor}`, agency.key);
        expect(p2.body_.entries.map((e: Json) => e.seq)).toEqual([3, 4]);
        const p3 = await inject(app, 'GET', `/v1/accounts/PG-ACC?limit=2&cursor=${p2.body_.nextCursor}`, agency.key);
        expect(p3.body_.entries.map((e: Json) => e.seq)).toEqual([5, 6]);
        expect(p3.body_.nextCursor).toBeNull();
      });

      it('a bad limit or cursor is 400 naming it', async () => {
        const before = await rowCounts(store, TABLES);
        const cases: [string, string][] = [
          ['/v1/persons/pg-st/settlements?limit=0', 'query.limit'],
          ['/v1/persons/pg-st/settlements?limit=501', 'query.limit'],
          ['/v1/persons/pg-st/settlements?limit=1.5', 'query.limit'],
          ['/v1/persons/pg-st/settlements?limit=abc', 'query.limit'],
          ['/v1/persons/pg-st/settlements?cursor=not-a-cursor', 'query.cursor'],
          [`/v1/persons/pg-st/settlements?cursor=${encodeCursor('account', [1])}`, 'query.cursor'],
          [`/v1/persons/pg-st/settlements?cursor=${Buffer.from('["history","x","y"]').toString('base64url')}`, 'query.cursor'],
          [`/v1/accounts/PG-ACC?cursor=${encodeCursor('history', [1, 'x'])}`, 'query.cursor'],
          ['/v1/accounts/PG-ACC?limit=-1', 'query.limit'],
          ['/v1/accounts/PG-ACC?offset=3', 'query'],
        ];
        for (const [url, field] of cases) {
          const res = await inject(app, 'GET', url, agency.key);
          expect(res.statusCode, url).toBe(400);
          expect(res.body_.error.code).toBe('INVALID_REQUEST');
          expect(res.body_.error.problems[0], url).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
        }
        expect(await rowCounts(store, TABLES)).toEqual(before);
      });
    });

    describe('bounded queues', () => {
      it('settles beyond the queue bound are refused OVERLOADED at once, nothing written; the others settle', async () => {
        // A bound of 1 on this store's path, and through Kysely alone.
        for (const kysely of s.label.includes('writer') ? [false] : [false, true]) {
          // A store of its own: a second ledger's statements on the service's pool would collide.
          const store = await s.open();
          const ledger = new Ledger(kysely ? { ...store, sqlite: undefined, pool: undefined } : store, engine, Date.now, { maxQueue: 1 });
          await ledger.ready;
          const before = await rowCounts(store, TABLES);
          const requests = Array.from({ length: 12 }, (_, i) =>
            parseSettleOne({ requestId: `q-${kysely}-${i}`, ...puyang(`q-${kysely}-${i}`, `q-${kysely}-v${i}`, 10) }, policies),
          );
          const results = await Promise.allSettled(requests.map((r) => ledger.settle(r, { id: 'test', role: 'agency' })));
          const refused = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
          expect(refused.length, `${s.label}${kysely ? ' through Kysely' : ''}`).toBeGreaterThan(0);
          for (const i of refused) {
            const e = (results[i] as PromiseRejectedResult).reason;
            expect(e).toBeInstanceOf(LedgerError);
            expect((e as LedgerError).code).toBe('OVERLOADED');
          }
          for (const r of results) if (r.status === 'fulfilled') expect(r.value.created).toBe(true);
          const after = await rowCounts(store, TABLES);
          expect(after.settlements).toBe(before.settlements + 12 - refused.length);
          // Nothing of a refused one was written: sent again, one at a time, each is new.
          for (const i of refused) expect((await ledger.settle(requests[i]!, { id: 'test', role: 'agency' })).created).toBe(true);
          expect((await verifyLedger(store.db)).ok).toBe(true);
          await store.close();
        }
      });

      it('over HTTP: 503 OVERLOADED with Retry-After in the service shape (and the national envelope), nothing written', async () => {
        const full = await startService(s.open, engine, { ledger: { maxQueue: 0 } });
        try {
          const before = await rowCounts(full.store, TABLES);
          const res = await inject(full.app, 'POST', '/v1/settlements', full.agency.key, { requestId: 'over-1', ...puyang('over-p', 'over-v1', 1) });
          expect(res.statusCode).toBe(503);
          expect(res.headers['retry-after']).toBe('1');
          expect(res.body_.error.code).toBe('OVERLOADED');
          expect(res.body_.requestId).toBe(res.headers['x-request-id']);
          const nat = await inject(full.app, 'POST', '/v1/national/2207', full.agency.key, {
            msgid: 'PY20220101000001',
            insuplc_admdvs: '410900',
            fixmedins_code: 'PY-1',
            inf_time: '2022-08-01 10:00:00',
            input: { data: { psn_no: 'over-n', med_type: '11', medfee_sumamt: '10.00', mdtrt_id: 'over-nv', insutype: '310', psn_type: '11' } },
            yibao: { institution: { tier: 'primary', grade: 1, contracted: true } },
          });
          expect(nat.statusCode, nat.body).toBe(503);
          expect(nat.headers['retry-after']).toBe('1');
          expect(nat.body_).toMatchObject({ infcode: -1, error: { code: 'OVERLOADED' } });
          expect(await rowCounts(full.store, TABLES)).toEqual(before);
        } finally {
          await full.close();
        }
      });
    });

    describe('the audit log over HTTP', () => {
      it('GET /v1/audit: the agency pages it, filtered by actor, action, target and time; others are refused, and that is recorded', async () => {
        // Some activity: a settle, a read, a refused read.
        const settled = await inject(app, 'POST', '/v1/settlements', h1.key, { requestId: 'au-1', ...puyang('au-p', 'au-v1', 3, 'H1') });
        expect(settled.statusCode, settled.body).toBe(201);
        expect((await inject(app, 'GET', '/v1/persons/au-p/settlements', agency.key)).statusCode).toBe(200);
        expect((await inject(app, 'GET', '/v1/persons/au-p/accumulators?year=2022', h1.key)).statusCode).toBe(403);

        for (const [key, status] of [
          [h1.key, 403],
          [analyst.key, 403],
          [undefined, 401],
        ] as const) {
          const res = await inject(app, 'GET', '/v1/audit', key);
          expect(res.statusCode).toBe(status);
          expect(JSON.stringify(res.body_)).not.toContain('au-p');
        }
        const refusals = await inject(app, 'GET', `/v1/audit?actor=${analyst.id}&action=refused`, agency.key);
        expect(refusals.body_.entries.map((e: Json) => [e.actor, e.action, e.target])).toContainEqual([analyst.id, 'refused', 'GET /v1/audit']);

        // Everything about the person, oldest first: the settle's row is by its entry id; the reads are by person.
        const about = await inject(app, 'GET', '/v1/audit?target=au-p', agency.key);
        expect(about.body_.entries.map((e: Json) => [e.actor, e.action])).toEqual([
          [agency.id, 'read.history'],
          [h1.id, 'refused'],
        ]);
        expect(about.body_.entries[1].detail).toMatchObject({ status: 403, code: 'FORBIDDEN', route: 'GET /v1/persons/:id/accumulators' });
        const write = await inject(app, 'GET', `/v1/audit?target=${settled.body_.id}&action=settle`, agency.key);
        expect(write.body_.entries).toEqual([
          expect.objectContaining({ actor: h1.id, role: 'institution', action: 'settle', detail: expect.objectContaining({ requestId: 'au-1' }) }),
        ]);

        // The other reads of personal data: an account, a person's payments, a national pre-settlement.
        expect((await inject(app, 'GET', '/v1/persons/au-p/enrollments', agency.key)).statusCode).toBe(200);
        const pre = await inject(app, 'POST', '/v1/national/2206', agency.key, {
          msgid: 'PY20220801000009',
          insuplc_admdvs: '410900',
          fixmedins_code: 'PY-1',
          inf_time: '2022-08-02 10:00:00',
          input: { data: { psn_no: 'au-p', med_type: '11', medfee_sumamt: '10.00', mdtrt_id: 'au-nv', insutype: '310', psn_type: '11', mdtrt_cert_no: '410900199001011235' } },
          yibao: { institution: { tier: 'primary', grade: 1, contracted: true } },
        });
        expect(pre.statusCode, pre.body).toBe(200);
        const others = await inject(app, 'GET', '/v1/audit?target=au-p&from=2020-01-01', agency.key);
        expect(others.body_.entries.map((e: Json) => e.action).slice(-2)).toEqual(['read.enrollments', 'read.national-2206']);
        expect(JSON.stringify(others.body_)).not.toContain('410900199001011235');
        expect((await inject(app, 'GET', '/v1/accounts/AU-NONE', agency.key)).statusCode).toBe(404);
        const account = await inject(app, 'GET', '/v1/audit?target=AU-NONE', agency.key);
        expect(account.body_.entries).toEqual([expect.objectContaining({ actor: agency.id, action: 'read.account', detail: expect.objectContaining({ status: 404 }) })]);

        // Paged by id: every row once, in order, as the table holds them.
        const ids: number[] = [];
        let cursor: string | null = null;
        do {
          const page: Json = await inject(app, 'GET', `/v1/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`, agency.key);
          expect(page.statusCode).toBe(200);
          ids.push(...page.body_.entries.map((e: Json) => e.id));
          cursor = page.body_.nextCursor;
        } while (cursor);
        const table = (await store.db.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) => Number(r.id)).filter((id) => id <= (ids.at(-1) as number));
        expect(ids).toEqual(table);
        // Reading the log is itself recorded.
        const last = await store.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
        expect(last).toMatchObject({ actor: agency.id, action: 'read.audit' });

        // Time: nothing from tomorrow on, nothing before 2020; everything since an hour ago.
        const day = (ms: number) => new Date(Date.now() + ms).toISOString();
        expect((await inject(app, 'GET', `/v1/audit?from=${encodeURIComponent(day(86_400_000))}`, agency.key)).body_.entries).toEqual([]);
        expect((await inject(app, 'GET', '/v1/audit?to=2020-01-01', agency.key)).body_.entries).toEqual([]);
        expect((await inject(app, 'GET', `/v1/audit?target=au-p&from=${encodeURIComponent(day(-3_600_000))}`, agency.key)).body_.entries.length).toBeGreaterThanOrEqual(2);

        for (const [url, field] of [
          ['/v1/audit?from=yesterday', 'query.from'],
          ['/v1/audit?from=2024-01-02&to=2024-01-01', 'query.to'],
          ['/v1/audit?actor=K%00x', 'query.actor'],
          ['/v1/audit?action=read%20history', 'query.action'],
          ['/v1/audit?limit=1000', 'query.limit'],
          ['/v1/audit?who=me', 'query'],
        ] as const) {
          const res = await inject(app, 'GET', url, agency.key);
          expect(res.statusCode, url).toBe(400);
          expect(res.body_.error.problems[0], url).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
        }
      });
    });
  });
}

describe('shutting down', () => {
  it('a request that arrives while the service closes is told to come back, in the service shape', async () => {
    const service = await startService(() => freshSqlite(), engine);
    try {
      await service.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = service.app.server.address() as { port: number };
      // The request's headers begin before the close, and end after it has begun.
      const exchange = new Promise<Exchange>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (received += d));
        socket.on('close', () => resolve({ ms: 0, received }));
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
        // The close begins once the service holds the connection (not merely the kernel's
        // backlog, which a close under load would reset before the request could begin).
        service.app.server.once('connection', () =>
          setTimeout(() => {
            void service.app.close();
            setTimeout(() => socket.write('\r\n'), 50);
          }, 50),
        );
      });
      const res = response((await exchange).received);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.error.code).toBe('SHUTTING_DOWN');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    } finally {
      await service.close();
    }
  });
});

describe("SQLite's synchronous mode, on every connection", () => {
  it('FULL by default on the service connection, the writer thread and the checkpointer; NORMAL only when asked', async () => {
    for (const mode of [undefined, 'NORMAL'] as const) {
      const store = await freshSqlite({ writerThread: true, ...(mode ? { sqliteSync: mode } : {}) });
      try {
        const want = SYNCHRONOUS[mode ?? 'FULL'];
        expect(store.sqliteSync).toBe(mode ?? 'FULL');
        expect(store.sqlite?.pragma('synchronous', { simple: true })).toBe(want);
        const ledger = new Ledger(store, engine);
        await ledger.ready;
        expect(await ledger.writerSynchronous).toBe(want);
      } finally {
        await store.close();
      }
      const checkpointed = await freshSqlite({ backgroundCheckpoints: true, ...(mode ? { sqliteSync: mode } : {}) });
      try {
        expect(await checkpointed.checkpointerSynchronous).toBe(SYNCHRONOUS[mode ?? 'FULL']);
      } finally {
        await checkpointed.close();
      }
    }
  });

  it('YIBAO_SQLITE_SYNC and --sqlite-sync choose it; anything but full or normal is refused', () => {
    expect(sqliteSyncFrom(undefined, {})).toBe('FULL');
    expect(sqliteSyncFrom(undefined, { YIBAO_SQLITE_SYNC: 'normal' })).toBe('NORMAL');
    expect(sqliteSyncFrom('full', { YIBAO_SQLITE_SYNC: 'NORMAL' })).toBe('FULL');
    expect(() => sqliteSyncFrom('off', {})).toThrow(/--sqlite-sync must be full or normal/);
    expect(() => sqliteSyncFrom(undefined, { YIBAO_SQLITE_SYNC: 'OFF' })).toThrow(/YIBAO_SQLITE_SYNC/);
  });

  it('YIBAO_PG_STATEMENTS and --pg-statements choose how the settle statements go; anything but prepared or unprepared is refused', () => {
    expect(pgStatementsFrom(undefined, {})).toBe('prepared');
    expect(pgStatementsFrom(undefined, { YIBAO_PG_STATEMENTS: 'Unprepared' })).toBe('unprepared');
    expect(pgStatementsFrom('prepared', { YIBAO_PG_STATEMENTS: 'unprepared' })).toBe('prepared');
    expect(() => pgStatementsFrom('named', {})).toThrow(/--pg-statements must be prepared or unprepared/);
    expect(() => pgStatementsFrom(undefined, { YIBAO_PG_STATEMENTS: 'off' })).toThrow(/YIBAO_PG_STATEMENTS/);
  });
});
