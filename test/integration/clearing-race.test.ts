/**
 * No entry joins a month while it is being closed, or after: settles run while the month ends
 * and the close starts (the ledger's clock crosses midnight of the 1st during the run). Whatever
 * the interleaving, the closed month's statements cover exactly the entries stamped in it
 * (PostgreSQL: the clearing advisory lock every settling transaction holds shared; SQLite: the
 * write lock).
 */
import { describe, expect, it } from 'vitest';
import { periodBounds } from '../../src/clearing/period.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

// The writer thread stamps entries with the real clock (not the test's): the same path as plain SQLite otherwise.
for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`closing while settling on ${s.label}`, () => {
    it('covers exactly the entries stamped in the month', async () => {
      const store = await s.open();
      try {
        const { end } = periodBounds('2024-03');
        // The ledger's clock: the real clock moved so that March ends 250 ms after the settles start.
        let offset = 0;
        const ledger = new Ledger(store, engine, () => Date.now() + offset);
        await ledger.ready;
        const r = ledger.clearing.registry;
        await r.setDistrict({ code: '410305', name: '涧西区', region: '410300', level: 'urban' }, agency);
        await r.setCentre({ id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300', district: null }, agency);
        await r.assignInstitution({ institutionId: 'A', district: '410305', centreId: null }, agency);
        const settles: Promise<unknown>[] = [];
        offset = end - 250 - Date.now();
        const started = Date.now();
        let closed: Promise<unknown> | undefined;
        for (let i = 0; Date.now() - started < 600; i++) {
          const visit = { id: `v${i}`, time: '2024-03-31T10:00:00+08:00', type: 'outpatient', institution: { id: 'A', tier: 'primary', grade: 0, contracted: true }, total: 10 };
          settles.push(
            ledger.settle(parseSettleOne({ requestId: `r${i}`, person: { id: `P${i % 50}`, region: '410300', scheme: 'resident', category: 'adult' }, visit }, policies), agency),
          );
          if (!closed && Date.now() + offset >= end + 20) closed = ledger.clearing.close('2024-03', agency);
          await new Promise((ok) => setTimeout(ok, 2));
        }
        await Promise.allSettled(settles);
        const result = (await closed) as { entries: number };
        const stamped = await store.db
          .selectFrom('settlements')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('created_at', '<', end)
          .executeTakeFirstOrThrow();
        const after = await store.db
          .selectFrom('settlements')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('created_at', '>=', end)
          .executeTakeFirstOrThrow();
        expect(Number(stamped.n)).toBeGreaterThan(0);
        expect(Number(after.n)).toBeGreaterThan(0);
        expect(result.entries).toBe(Number(stamped.n));
      } finally {
        await store.close();
      }
    }, 30_000);
  });
}

describe.skipIf(!STORES.some((x) => x.name === 'postgres' && !x.skip))('the clearing lock on postgres', () => {
  const pgStore = STORES.find((x) => x.name === 'postgres') as (typeof STORES)[number];
  const pending = async (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => false), new Promise((ok) => setTimeout(() => ok(true), ms))]);

  it('a close waits for a settle in flight, and a settle waits for a close', async () => {
    const store = await pgStore.open();
    const client = await (store.pool as import('pg').Pool).connect();
    try {
      const clock = { now: Date.parse('2024-04-02T10:00:00+08:00') };
      const ledger = new Ledger(store, engine, () => clock.now);
      const r = ledger.clearing.registry;
      await r.setDistrict({ code: '410305', name: '涧西区', region: '410300', level: 'urban' }, agency);
      await r.setCentre({ id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300', district: null }, agency);
      await r.assignInstitution({ institutionId: 'A', district: '410305', centreId: null }, agency);
      const { CLEARING_LOCK_KEY } = await import('../../src/ledger/statements.js');
      // A transaction holding the lock shared, as a settle does: the close waits for it.
      await client.query(`begin; select pg_advisory_xact_lock_shared(${CLEARING_LOCK_KEY})`);
      const close = ledger.clearing.close('2024-03', agency);
      expect(await pending(close, 300)).toBe(true);
      await client.query('commit');
      await close;
      // A transaction holding it exclusively, as a close does: a settle waits for it.
      await client.query(`begin; select pg_advisory_xact_lock(${CLEARING_LOCK_KEY})`);
      const visit = { id: 'v1', time: '2024-04-02T09:00:00+08:00', type: 'outpatient', institution: { id: 'A', tier: 'primary', grade: 0, contracted: true }, total: 10 };
      const settle = ledger.settle(parseSettleOne({ requestId: 'r1', person: { id: 'P1', region: '410300', scheme: 'resident', category: 'adult' }, visit }, policies), agency);
      expect(await pending(settle, 300)).toBe(true);
      await client.query('commit');
      await settle;
    } finally {
      client.release();
      await store.close();
    }
  }, 30_000);
});

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`registering the same district, centre and institution at once on ${s.label}`, () => {
    it('every PUT succeeds (one creates, the others find it), one register row each', async () => {
      const store = await s.open();
      try {
        const ledger = new Ledger(store, engine);
        await ledger.ready;
        const r = ledger.clearing.registry;
        const six = <T>(f: () => Promise<T>) => Promise.allSettled(Array.from({ length: 6 }, f));
        for (const outcomes of [
          await six(() => r.setDistrict({ code: '410305', name: '涧西区', region: '410300', level: 'urban' }, agency)),
          await six(() => r.setCentre({ id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300', district: null }, agency)),
          await six(() => r.assignInstitution({ institutionId: 'A', district: '410305', centreId: null }, agency)),
        ]) {
          expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
          expect(outcomes.filter((o) => o.status === 'fulfilled' && (o.value as { created: boolean }).created)).toHaveLength(1);
        }
        const rows = await store.db.selectFrom('audit_log').select('action').where('action', 'like', 'clearing.%.register').execute();
        expect(rows.map((x) => x.action).sort()).toEqual(['clearing.centre.register', 'clearing.district.register', 'clearing.institution.register']);
      } finally {
        await store.close();
      }
    });
  });
}
