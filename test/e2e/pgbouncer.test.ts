/**
 * The service behind a transaction-pooling proxy (issue 17: "bound parameters that also work behind
 * a transaction-pooling proxy"): PgBouncer (Debian's, 1.18) in `pool_mode = transaction` with two
 * server connections, in front of a fresh database on the shared server; `yibao serve` with its
 * twelve client connections (the query pool and the settle pool) through it, and
 * `--pg-statements unprepared` (PgBouncer before 1.21 keeps no prepared statement from one
 * transaction to the next). Every transaction may land on either server connection:
 *
 * - settles from 16 clients at once, several for one person, a retry, a reversal and a
 *   supervision run all answer as on a direct connection, and the ledger verifies;
 * - the routine jobs' lock (serve.ts `exclusively`) holds across instances and is released: a
 *   session lock would stay on whichever server connection PgBouncer had lent.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { exclusively, ROUTINE_LOCK_KEYS, SKIPPED_ELSEWHERE } from '../../src/serve.js';
import { type Bouncer, pgbouncerAvailable, PGBOUNCER, startPgBouncer } from '../support/pgbouncer.js';
import { call, killServers, serve, type ServeProcess, yibao } from '../support/serve-process.js';
import { freshPostgres, PG_ADMIN_URL, pgAvailable } from '../support/stores.js';

const COUNTY = { id: 'LY-H1', tier: 'county', grade: 2, contracted: true };
const resident = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const dayOf = (i: number) => new Date(Date.UTC(2024, 0, 2) + i * 86_400_000).toISOString().slice(0, 10);
const SERVER_CONNECTIONS = 2;

afterAll(() => killServers());

const why = !pgAvailable ? ` — SKIPPED: PostgreSQL is not reachable at ${PG_ADMIN_URL}` : !pgbouncerAvailable ? ` — SKIPPED: ${PGBOUNCER} is missing` : '';

describe.skipIf(!pgAvailable || !pgbouncerAvailable)(`behind PgBouncer in transaction mode${why}`, () => {
  let store: (LedgerDb & { url: string }) | undefined;
  let bouncer: Bouncer | undefined;
  let server: ServeProcess | undefined;
  let key = '';

  beforeAll(async () => {
    store = await freshPostgres(2);
    bouncer = await startPgBouncer(store.url, SERVER_CONNECTIONS);
    key = (await yibao(['keys', 'create', 'agency', '--db', bouncer.url])).stdout.trim();
    server = await serve(bouncer.url, ['--pool-size', '8', '--pg-statements', 'unprepared']);
  });
  afterAll(async () => {
    await server?.stop();
    await bouncer?.stop();
    await store?.close();
  });

  it('settles, retries, reverses and runs supervision as on a direct connection', async () => {
    const base = (server as ServeProcess).base;
    await expect.poll(() => server?.log(), { timeout: 5_000 }).toMatch(/postgres: settle statements unprepared/);
    // 16 clients, 25 settles each, over 20 persons: several settles of one person in flight at once.
    // By hand (policies/luoyang-2024.yaml, resident outpatient at a county hospital, 洛医保〔2023〕63号
    // 二(一)2): a visit of 100.00 on a day of its own pays (100.00 − 50.00) × 50% = 25.00; a person's
    // 20 visits, 500.00 in all, stay under the annual cap of 280.00 only until the 12th: 11 × 25.00
    // = 275.00, the 12th 5.00, the rest 0: 280.00 a person, 5,600.00 for the 20.
    const PERSONS = 20;
    const body = (n: number) => ({
      requestId: `pb-${n}`,
      person: resident(`PB${n % PERSONS}`),
      visit: { id: `PB${n % PERSONS}-v${n}`, time: `${dayOf(Math.floor(n / PERSONS))}T09:00:00+08:00`, type: 'outpatient', institution: COUNTY, total: 100 },
    });
    const answers = await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        const mine = [];
        for (let k = 0; k < 25; k++) mine.push(await call(base, key, 'POST', '/v1/settlements', body(client * 25 + k)));
        return mine;
      }),
    ).then((a) => a.flat());
    expect(answers.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text.slice(0, 300)}`)).toEqual([]);
    const fen = answers.reduce((s, r) => s + Math.round((r.json.fundPay as number) * 100), 0);
    expect(fen).toBe(PERSONS * 28_000);
    const db = (store as LedgerDb).db;
    const sum = await db
      .selectFrom('settlements')
      .select((eb) => [eb.fn.sum<number>('fund_pay_fen').as('f'), eb.fn.countAll<number>().as('n')])
      .executeTakeFirstOrThrow();
    expect([Number(sum.f), Number(sum.n)]).toEqual([PERSONS * 28_000, 400]);

    // A retry answers the same entry; a reversal restores the person's cap.
    const first = answers[0]?.json as { id: string; fundPay: number };
    const retry = await call(base, key, 'POST', '/v1/settlements', body(0));
    expect(retry.status, retry.text).toBe(200);
    expect(retry.json.id).toBe(first.id);
    const reversal = await call(base, key, 'POST', `/v1/settlements/${first.id}/reversal`, { requestId: 'pb-0-rev' });
    expect(reversal.status, reversal.text).toBe(201);
    expect(reversal.json).toMatchObject({ kind: 'reversal', reverses: first.id, fundPay: -first.fundPay });

    const run = await call(base, key, 'POST', '/v1/supervision/runs', { incremental: true });
    expect(run.status, run.text).toBe(201);
    const runs = await db.selectFrom('supervision_runs').select(['id']).execute();
    expect(runs.map((r) => String(r.id))).toEqual([String(run.json.id)]);

    const verified = await yibao(['ledger', 'verify', '--db', (store as LedgerDb & { url: string }).url]);
    expect(verified.stdout).toMatch(/401 entries, 20 cap accumulators/);
    expect(verified.stdout).toMatch(/every accumulator, account balance and closed month agrees with the entries/);

    // The twelve client connections shared PgBouncer's two server connections.
    const admin = new pg.Client({ connectionString: (store as LedgerDb & { url: string }).url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'",
      );
      expect(rows[0]?.n).toBeLessThanOrEqual(SERVER_CONNECTIONS + 2);
    } finally {
      await admin.end();
    }
  });

  it('started with prepared statements behind it, the settle path turns to unprepared at the first lost statement, says so once, and no settle fails', async () => {
    const prepared = await serve((bouncer as Bouncer).url, ['--pool-size', '4']);
    try {
      await expect.poll(() => prepared.log(), { timeout: 5_000 }).toMatch(/postgres: settle statements prepared once per connection/);
      // 8 clients, 20 settles each, persons of their own: 160 × 25.00 (each person's first visits,
      // far below the cap; as above).
      const answers = await Promise.all(
        Array.from({ length: 8 }, async (_, client) => {
          const mine = [];
          for (let k = 0; k < 20; k++) {
            const n = client * 20 + k;
            mine.push(
              await call(prepared.base, key, 'POST', '/v1/settlements', {
                requestId: `pp-${n}`,
                person: resident(`PP${n % 40}`),
                visit: { id: `PP-v${n}`, time: `${dayOf(Math.floor(n / 40))}T09:00:00+08:00`, type: 'outpatient', institution: COUNTY, total: 100 },
              }),
            );
          }
          return mine;
        }),
      ).then((a) => a.flat());
      expect(answers.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text.slice(0, 300)}`)).toEqual([]);
      expect(answers.reduce((s, r) => s + Math.round((r.json.fundPay as number) * 100), 0)).toBe(160 * 2_500);
      expect(prepared.log().match(/settle statements now go unprepared/g) ?? []).toHaveLength(1);
    } finally {
      await prepared.stop();
    }
  });

  it("the routine jobs' lock holds and is released, whichever server connection a transaction lands on", async () => {
    const url = (bouncer as Bouncer).url;
    const one = new pg.Pool({ connectionString: url, max: 2 });
    const other = new pg.Pool({ connectionString: url, max: 2 });
    for (const p of [one, other]) p.on('error', () => undefined);
    try {
      for (let turn = 0; turn < 4; turn++) {
        // While one instance runs the day-end, the other tries: on the other server connection, or
        // on the one that served the first instance's lock, had its transaction ended.
        const ran = await exclusively(one, ROUTINE_LOCK_KEYS['day-end'], async () => {
          expect(await exclusively(other, ROUTINE_LOCK_KEYS['day-end'], async () => 'ran twice')).toBe(SKIPPED_ELSEWHERE);
          return `turn ${turn}`;
        });
        expect(ran).toBe(`turn ${turn}`);
        // Released: the other instance runs the next turn.
        expect(await exclusively(other, ROUTINE_LOCK_KEYS['day-end'], async () => 'other ran')).toBe('other ran');
      }
      const direct = new pg.Client({ connectionString: (store as LedgerDb & { url: string }).url });
      await direct.connect();
      try {
        const { rows } = await direct.query<{ n: number }>(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
        );
        expect(rows[0]?.n, 'advisory locks left behind').toBe(0);
      } finally {
        await direct.end();
      }
    } finally {
      await Promise.all([one.end(), other.end()]);
    }
  });
});
