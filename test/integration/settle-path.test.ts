/**
 * The settle hot path (src/ledger/settle-path.ts) on both stores: settles batched into one SQLite
 * transaction stay independent; values that need quoting reach PostgreSQL intact through the
 * statements it runs with literals; a NUL character takes the bound-parameter path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, LedgerError, type Actor } from '../../src/ledger/ledger.js';
import { bound } from '../../src/ledger/postgres-path.js';
import { batchLocksBag, CLEARING_LOCK_KEY, SettleStatements } from '../../src/ledger/statements.js';
import type { SettleResult } from '../../src/ledger/types.js';
import { SettlementError } from '../../src/engine/errors.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { requestProblems } from '../support/problems.js';
import { freshPostgres, freshSqlite, pgAvailable, STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

const person = (id: string) => ({ id, region: '410900', scheme: 'employee', category: 'active' });
const visit = (id: string, time: string, total: number, institution = 'H1') => ({
  id,
  time,
  type: 'outpatient',
  institution: { id: institution, tier: 'city', grade: 3, contracted: true },
  total,
});
const req = (requestId: string, p: unknown, v: unknown) => parseSettleOne({ requestId, person: p, visit: v }, policies);

async function count(store: LedgerDb, table: 'settlements' | 'audit_log' | 'visits' | 'cap_usage'): Promise<number> {
  const r = await store.db.selectFrom(table).select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

// Each store with its own path, and through Kysely alone (a store without the driver handles).
const PATHS = STORES.flatMap((s) => [{ ...s, kysely: false }, ...(s.label.includes('writer') ? [] : [{ ...s, label: `${s.label} through Kysely`, kysely: true }])]);

for (const s of PATHS) {
  describe.skipIf(s.skip)(`settle path on ${s.label}`, () => {
    let store: LedgerDb;
    let ledger: Ledger;
    beforeAll(async () => {
      store = await s.open();
      ledger = new Ledger(s.kysely ? { ...store, sqlite: undefined, pool: undefined } : store, engine);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('stores each entry as it was answered, byte for byte, when many are written at once', async () => {
      // Twelve persons at once: on PostgreSQL one or a few batches, whose entries' texts travel
      // apart from the rows and are matched to them by order (statements.ts batchWriteBag).
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => ledger.settle(req(`t-${i}`, person(`TXT${i}`), visit(`TXT${i}-v1`, '2023-03-01T09:00:00+08:00', 100 + 37 * i)), agency)),
      );
      for (const a of answers) {
        const row = await store.db.selectFrom('settlements').select(['body', 'person_id', 'total_fen']).where('id', '=', a.entry.id).executeTakeFirstOrThrow();
        expect(row.body).toBe(a.body);
        // The text is the row's own: its visit and amount are the row's.
        expect(JSON.parse(row.body)).toMatchObject({ visitId: `${row.person_id}-v1`, total: Number(row.total_fen) / 100 });
      }
      expect(new Set(answers.map((a) => JSON.parse(a.body).total)).size).toBe(12);
    });

    it('keeps ids that need quoting intact', async () => {
      const ids = ["O'Brien", 'back\\slash', "both\\'quote", '$1; select 1', '患者-甲'];
      for (const [i, id] of ids.entries()) {
        const r = await ledger.settle(req(`q-${i}`, person(id), visit(`${id}-v`, '2023-03-01T09:00:00+08:00', 250, `${id}-H`)), agency);
        expect(r.created).toBe(true);
        expect(r.entry).toMatchObject({ visitId: `${id}-v`, fundPay: 100 });
        expect(JSON.parse(r.body)).toEqual(r.entry);
        const again = await ledger.settle(req(`q-${i}`, person(id), visit(`${id}-v`, '2023-03-01T09:00:00+08:00', 250, `${id}-H`)), agency);
        expect(again).toMatchObject({ created: false, body: r.body });
        expect(await ledger.history(id, agency)).toEqual([r.entry]);
        expect((await ledger.accumulators(id, 2023)).caps[0]).toMatchObject({ used: 100 });
      }
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('one request id raced for several persons: a request of each person, each settled once', async () => {
      // Request ids are unique per person (docs/service.md): the same id for another person is another request.
      const before = await count(store, 'settlements');
      const send = () =>
        Promise.allSettled(Array.from({ length: 8 }, (_, i) => ledger.settle(req('race-1', person(`RACE${i}`), visit(`RACE${i}-v1`, '2023-03-01T09:00:00+08:00', 250)), agency)));
      const results = await send();
      expect(results.map((r) => r.status)).toEqual(Array(8).fill('fulfilled'));
      const value = (r: PromiseSettledResult<SettleResult>) => (r as PromiseFulfilledResult<SettleResult>).value;
      expect(new Set(results.map((r) => value(r).entry.id)).size).toBe(8);
      expect(await count(store, 'settlements')).toBe(before + 8);
      // Each person's retry is answered with that person's entry, nothing written.
      const again = await send();
      expect(again.map(value)).toEqual(
        Array.from({ length: 8 }, (_, i) => expect.objectContaining({ created: false, entry: expect.objectContaining({ visitId: `RACE${i}-v1` }) })),
      );
      expect(await count(store, 'settlements')).toBe(before + 8);
    });

    it('one request id raced by one person with different bodies: one entry, the others refused', async () => {
      const before = await count(store, 'settlements');
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => ledger.settle(req('race-2', person('RACE-ONE'), visit(`RACE-ONE-v${i}`, '2023-03-01T09:00:00+08:00', 250)), agency)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x) => x.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      expect(await count(store, 'settlements')).toBe(before + 1);
    });

    it('a retry writes nothing, not even the person', async () => {
      const first = await ledger.settle(req('rw-1', person('RW'), visit('RW-v1', '2023-03-01T09:00:00+08:00', 250)), agency);
      const row = () => store.db.selectFrom('persons').selectAll().where('id', '=', 'RW').executeTakeFirstOrThrow();
      const before = await row();
      const audits = await count(store, 'audit_log');
      await new Promise((r) => setTimeout(r, 5));
      const again = await ledger.settle(req('rw-1', person('RW'), visit('RW-v1', '2023-03-01T09:00:00+08:00', 250)), agency);
      expect(again).toEqual({ ...first, created: false });
      expect(await row()).toEqual(before);
      expect(await count(store, 'audit_log')).toBe(audits);
    });

    it('an id with a NUL character never reaches the store: refused by the id rule, the same on every store', async () => {
      const before = await count(store, 'settlements');
      expect(requestProblems(() => req('nul-1', person('nul\u0000person'), visit('nul-v1', '2023-03-01T09:00:00+08:00', 100)))).toEqual([
        'person.id: must be printable: no control characters (NUL, newline, tab…)',
      ]);
      // Were it to come some other way, the statements still go with bound parameters, which
      // PostgreSQL refuses and SQLite stores: the id rule is what keeps the stores alike.
      expect(await count(store, 'settlements')).toBe(before);
    });

    it('settles sent together stay independent: refusals leave nothing, retries see the entry', async () => {
      const settlements = await count(store, 'settlements');
      const audits = await count(store, 'audit_log');
      const twoDiseases = { ...visit('G-v2', '2024-03-01T09:00:00+08:00', 100), type: 'two-diseases' };
      // On SQLite these form one batch, in this order; on PostgreSQL the ones that others depend on
      // go first.
      const first = ledger.settle(req('g-1', person('G'), visit('G-v1', '2023-05-01T09:00:00+08:00', 250)), agency);
      const register = ledger.settle(req('g-4', person('G3'), visit('G3-v1', '2023-05-01T09:00:00+08:00', 100, 'G-H')), agency);
      if (s.name === 'postgres') await Promise.all([first, register]);
      const results = await Promise.allSettled([
        first,
        // The same visit under another request id: refused, whichever comes second.
        ledger.settle(req('g-2', person('G'), visit('G-v1', '2023-05-01T09:00:00+08:00', 250)), agency),
        // The documents cannot settle it.
        ledger.settle(req('g-3', { id: 'G2', region: '410300', scheme: 'resident', category: 'adult' }, twoDiseases), agency),
        // A retry of the first, in the same batch.
        ledger.settle(req('g-1', person('G'), visit('G-v1', '2023-05-01T09:00:00+08:00', 250)), agency),
        // Same id, another body.
        ledger.settle(req('g-1', person('G'), visit('G-v1', '2023-05-01T09:00:00+08:00', 251)), agency),
        // An institution registered differently.
        register,
        ledger.settle(
          req('g-5', person('G4'), { ...visit('G4-v1', '2023-05-01T09:00:00+08:00', 100), institution: { id: 'G-H', tier: 'primary', grade: 1, contracted: true } }),
          agency,
        ),
        ledger.settle(req('g-6', person('G5'), visit('G5-v1', '2023-05-01T10:00:00+08:00', 300)), agency),
      ]);
      const [created, second, engineRefusal, retry, conflict, registered, mismatch, other] = results;
      expect(created).toMatchObject({ status: 'fulfilled', value: { created: true } });
      expect(second).toMatchObject({ status: 'rejected', reason: { code: 'VISIT_ALREADY_SETTLED' } });
      expect(engineRefusal.status).toBe('rejected');
      expect((engineRefusal as PromiseRejectedResult).reason).toBeInstanceOf(SettlementError);
      expect(retry).toMatchObject({ status: 'fulfilled', value: { created: false } });
      expect((retry as PromiseFulfilledResult<{ body: string }>).value.body).toBe((created as PromiseFulfilledResult<{ body: string }>).value.body);
      expect(conflict).toMatchObject({ status: 'rejected', reason: { code: 'IDEMPOTENCY_CONFLICT' } });
      expect((conflict as PromiseRejectedResult).reason).toBeInstanceOf(LedgerError);
      expect(registered).toMatchObject({ status: 'fulfilled', value: { created: true } });
      expect(mismatch).toMatchObject({ status: 'rejected', reason: { code: 'INSTITUTION_MISMATCH' } });
      expect(other).toMatchObject({ status: 'fulfilled', value: { created: true } });
      // Three settlements, three audit entries: nothing of the refused ones.
      expect(await count(store, 'settlements')).toBe(settlements + 3);
      expect(await count(store, 'audit_log')).toBe(audits + 3);
      expect(await ledger.history('G2', agency)).toEqual([]);
      expect(await ledger.history('G4', agency)).toEqual([]);
      expect((await ledger.verify()).ok).toBe(true);
    });
  });
}

describe('settle path on sqlite, with another writer on the file', () => {
  it('waits for the write lock without blocking the event loop', async () => {
    const store = await freshSqlite();
    const other = new BetterSqlite3(store.path, { timeout: 10_000 });
    try {
      const ledger = new Ledger(store, engine);
      other.exec('begin immediate');
      let settled = false;
      const p = ledger.settle(req('w-1', person('W'), visit('W-v1', '2023-03-01T09:00:00+08:00', 250)), agency).then((r) => {
        settled = true;
        return r;
      });
      // The event loop runs on while the other connection holds the lock.
      const ticks = await new Promise<number>((resolve) => {
        let n = 0;
        const t = setInterval(() => {
          if (++n === 20) {
            clearInterval(t);
            resolve(n);
          }
        }, 5);
      });
      expect(ticks).toBe(20);
      expect(settled).toBe(false);
      other.exec('commit');
      expect((await p).created).toBe(true);
      expect((await ledger.verify()).ok).toBe(true);
    } finally {
      other.close();
      await store.close();
    }
  });
});

for (const writerThread of [false, true]) {
  describe(`a write that fails in a SQLite batch${writerThread ? ' (writer thread)' : ''}`, () => {
    it('fails that settle alone: the others of the batch commit, nothing of it is written', async () => {
      const store = await freshSqlite({ writerThread });
      try {
        // A write the read cannot foresee: this visit's row is refused by the database itself.
        await sql`create trigger refuse_visit before insert on visits when new.id = 'B-v2'
                  begin select raise(abort, 'refused by a trigger'); end`.execute(store.db);
        const ledger = new Ledger(store, engine);
        await ledger.ready;
        const results = await Promise.allSettled(
          ['B-v1', 'B-v2', 'B-v3'].map((v, i) => ledger.settle(req(`b-${i}`, person(`B${i}`), visit(v, '2023-03-01T09:00:00+08:00', 250)), agency)),
        );
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/refused by a trigger/);
        expect(await count(store, 'settlements')).toBe(2);
        expect(await count(store, 'audit_log')).toBe(2);
        expect(await count(store, 'visits')).toBe(2);
        expect(await count(store, 'cap_usage')).toBe(2);
        expect(await store.db.selectFrom('persons').select('id').where('id', '=', 'B1').executeTakeFirst()).toBeUndefined();
        expect((await ledger.verify()).ok).toBe(true);
      } finally {
        await store.close();
      }
    });
  });
}

describe.skipIf(!pgAvailable)('PostgreSQL batches', () => {
  it('a write that fails in a batch fails that settle alone; a new institution registered twice in a batch is checked against the first', async () => {
    const store = await freshPostgres();
    try {
      await sql
        .raw(
          `create function refuse_visit() returns trigger language plpgsql as $$ begin raise exception 'refused by a trigger'; end $$;
           create trigger refuse_visit before insert on visits for each row when (new.id = 'PB-v10') execute function refuse_visit();`,
        )
        .execute(store.db);
      const ledger = new Ledger(store, engine);
      // Sent together: the first goes alone; the rest queue behind it and go in one batch, with
      // the failing visit (the 11th) and both registrations of PB-NEW.
      const jobs = Array.from({ length: 24 }, (_, i) => ledger.settle(req(`pb-${i}`, person(`PB${i}`), visit(`PB-v${i}`, '2023-03-01T09:00:00+08:00', 250)), agency));
      const twice = [
        ledger.settle(req('pb-i1', person('PBI1'), visit('PBI1-v', '2023-03-01T09:00:00+08:00', 100, 'PB-NEW')), agency),
        ledger.settle(
          req('pb-i2', person('PBI2'), { ...visit('PBI2-v', '2023-03-01T09:00:00+08:00', 100), institution: { id: 'PB-NEW', tier: 'primary', grade: 1, contracted: true } }),
          agency,
        ),
      ];
      const results = await Promise.allSettled([...jobs, ...twice]);
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
      expect(failed.sort((a, b) => a - b)).toEqual([10, 25]);
      expect((results[10] as PromiseRejectedResult).reason.message).toMatch(/refused by a trigger/);
      expect((results[25] as PromiseRejectedResult).reason).toMatchObject({ code: 'INSTITUTION_MISMATCH' });
      expect(await count(store, 'settlements')).toBe(24);
      expect(await count(store, 'audit_log')).toBe(24);
      expect(await store.db.selectFrom('persons').select('id').where('id', 'in', ['PB10', 'PBI2']).execute()).toEqual([]);
      expect((await ledger.verify()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("takes the visit's, the person's and the clearing's locks under the keys every other path uses", async () => {
    const store = await freshPostgres();
    const other = new pg.Client({ connectionString: store.url });
    await other.connect();
    try {
      const ledger = new Ledger(store, engine);
      const settledWhile = async (hold: string, body: Parameters<typeof req>) => {
        await other.query('begin');
        await other.query(hold);
        let done = false;
        const p = ledger.settle(req(...body), agency).finally(() => (done = true));
        await new Promise((r) => setTimeout(r, 300));
        const waited = !done;
        await other.query('commit');
        expect((await p).created).toBe(true);
        return waited;
      };
      // The visit's key (statements.ts visitLock: institution id, chr(31), visit id; space 1).
      expect(
        await settledWhile(`select pg_advisory_xact_lock(hashtextextended('H1' || chr(31) || 'BL-v1', 1))`, [
          'bl-1',
          person('BL1'),
          visit('BL-v1', '2023-03-01T09:00:00+08:00', 250),
        ]),
      ).toBe(true);
      // The person's (personLock: space 0).
      expect(await settledWhile(`select pg_advisory_xact_lock(hashtextextended('BL2', 0))`, ['bl-2', person('BL2'), visit('BL-v2', '2023-03-01T09:00:00+08:00', 250)])).toBe(true);
      // The clearing lock held exclusively, as a month's close: every settle waits (it takes it shared).
      expect(await settledWhile(`select pg_advisory_xact_lock(${CLEARING_LOCK_KEY})`, ['bl-3', person('BL3'), visit('BL-v3', '2023-03-01T09:00:00+08:00', 250)])).toBe(true);
      // Another visit's and another person's keys hold nothing back.
      expect(
        await settledWhile(`select pg_advisory_xact_lock(hashtextextended('H1' || chr(31) || 'BL-v9', 1)), pg_advisory_xact_lock(hashtextextended('BL9', 0))`, [
          'bl-4',
          person('BL4'),
          visit('BL-v4', '2023-03-01T09:00:00+08:00', 250),
        ]),
      ).toBe(false);
    } finally {
      await other.query('rollback').catch(() => undefined);
      await other.end();
      await store.close();
    }
  });

  it("takes a batch's locks in one statement, in order: the clearing lock, each person's, then each visit's", async () => {
    const store = await freshPostgres();
    const holder = new pg.Client({ connectionString: store.url });
    const batch = new pg.Client({ connectionString: store.url });
    await holder.connect();
    await batch.connect();
    try {
      const st = new SettleStatements(store.db);
      // Another transaction holds LB's lock: the batch's statement takes the clearing lock and
      // LA's, then waits at LB's, before any visit's.
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtextextended('LB', 0))`);
      await batch.query('begin');
      const { rows: pid } = await batch.query('select pg_backend_pid() as pid');
      const reqs = [req('lo-2', person('LB'), visit('LO-v2', '2023-03-01T09:00:00+08:00', 250)), req('lo-1', person('LA'), visit('LO-v1', '2023-03-01T09:00:00+08:00', 250))];
      const locking = batch.query(bound(st.batchLocks, batchLocksBag(reqs)));
      await new Promise((r) => setTimeout(r, 300));
      const held = async () => {
        const { rows } = await store.pool!.query(
          `select case when ((l.classid::bigint << 32) | l.objid::bigint) = ${CLEARING_LOCK_KEY} then 'clearing'
                       when ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('LA', 0) then 'LA'
                       when ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('LB', 0) then 'LB'
                       else 'visit' end as lock, l.mode, l.granted
             from pg_locks l where l.locktype = 'advisory' and l.pid = $1 order by 1`,
          [pid[0].pid],
        );
        return rows;
      };
      expect(await held()).toEqual([
        { lock: 'LA', mode: 'ExclusiveLock', granted: true },
        { lock: 'LB', mode: 'ExclusiveLock', granted: false },
        { lock: 'clearing', mode: 'ShareLock', granted: true },
      ]);
      await holder.query('commit');
      expect((await locking).rows).toEqual([{ locks: '5' }]);
      expect((await held()).map((r) => [r.lock, r.granted])).toEqual([
        ['LA', true],
        ['LB', true],
        ['clearing', true],
        ['visit', true],
        ['visit', true],
      ]);
      await batch.query('commit');
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await batch.query('rollback').catch(() => undefined);
      await holder.end();
      await batch.end();
      await store.close();
    }
  });

  it('settles do not wait behind a batch that waits for a person lock held elsewhere', async () => {
    const store = await freshPostgres();
    const other = new pg.Client({ connectionString: store.url });
    await other.connect();
    try {
      const ledger = new Ledger(store, engine);
      // Another instance holds the locks of PL0 and PLX (the key the settle path takes for a
      // person): the two batches that start at once (FREE_BATCHES) both wait.
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(hashtextextended('PL0', 0)), pg_advisory_xact_lock(hashtextextended('PLX', 0))`);
      const blocked = ledger.settle(req('pl-0', person('PL0'), visit('PL-v0', '2023-03-01T09:00:00+08:00', 250)), agency);
      await new Promise((r) => setTimeout(r, 10));
      const blocked2 = ledger.settle(req('pl-x', person('PLX'), visit('PL-vx', '2023-03-01T09:00:00+08:00', 250)), agency);
      let blockedDone = false;
      void Promise.all([blocked, blocked2]).finally(() => (blockedDone = true));
      await new Promise((r) => setTimeout(r, 50));
      // A few settles of other persons (fewer than a full batch) go on a third connection once
      // the blocked batches are PARALLEL_AFTER_MS old: they commit while PL0's and PLX's wait.
      const others = Array.from({ length: 5 }, (_, i) => ledger.settle(req(`pl-${i + 1}`, person(`PL${i + 1}`), visit(`PL-v${i + 1}`, '2023-03-01T09:00:00+08:00', 250)), agency));
      const settled = await Promise.race([Promise.all(others), new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 10_000))]);
      expect(settled).not.toBe('stalled');
      expect(blockedDone).toBe(false);
      expect(await count(store, 'settlements')).toBe(5);
      await other.query('commit');
      expect((await blocked).created).toBe(true);
      expect((await blocked2).created).toBe(true);
      expect(await count(store, 'settlements')).toBe(7);
      expect((await ledger.verify()).ok).toBe(true);
    } finally {
      await other.query('rollback').catch(() => undefined);
      await other.end();
      await store.close();
    }
  });
});
