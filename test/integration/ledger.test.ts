/**
 * The ledger on both stores: idempotent settle, reversal by new entries, accumulators continued
 * across visits, verify, and concurrent settles that must never exceed a cap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, LedgerError, type Actor } from '../../src/ledger/ledger.js';
import { SettlementError } from '../../src/engine/errors.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };
const hospital: Actor = { id: 'key-h1', role: 'institution', institutionId: 'H1' };

const puyangPerson = (id: string) => ({ id, region: '410900', scheme: 'employee', category: 'active' });
const visitAt = (id: string, time: string, total: number | string, institution = { id: 'H1', tier: 'city', grade: 3, contracted: true }) => ({
  id,
  time,
  type: 'outpatient',
  institution,
  total,
});
const req = (requestId: string, person: unknown, visit: unknown) => parseSettleOne({ requestId, person, visit }, policies);

async function count(store: LedgerDb, table: 'settlements' | 'cap_usage' | 'audit_log' | 'visits'): Promise<number> {
  const r = await store.db.selectFrom(table).select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`ledger on ${s.label}`, () => {
    let store: LedgerDb;
    let ledger: Ledger;
    beforeAll(async () => {
      store = await s.open();
      ledger = new Ledger(store, engine);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('settles, continues the year from what it holds, and shows used and remaining', async () => {
      // Puyang active employee, grade 3: deductible 50, 50%, cap 1500 in 2023.
      const a = await ledger.settle(req('r-a1', puyangPerson('A'), visitAt('A-v1', '2023-03-01T09:00:00+08:00', 250)), agency);
      expect(a.created).toBe(true);
      expect(a.entry).toMatchObject({ kind: 'settlement', deductible: 50, fundPay: 100, cashPay: 150 });
      // Same institution within 24 hours: no second deductible.
      const b = await ledger.settle(req('r-a2', puyangPerson('A'), visitAt('A-v2', '2023-03-01T15:00:00+08:00', 100)), agency);
      expect(b.entry).toMatchObject({ deductible: 0, fundPay: 50 });
      const view = await ledger.accumulators('A', 2023);
      expect(view.caps).toEqual([{ bucket: 'outpatient', year: 2023, used: 150, limit: 1500, remaining: 1350 }]);
      expect(view.deductibleWindows).toHaveLength(1);
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('answers a retry with the original entry and refuses the id with another body', async () => {
      const body = req('r-b1', puyangPerson('B'), visitAt('B-v1', '2023-04-01T09:00:00+08:00', 150));
      const first = await ledger.settle(body, agency);
      const before = await count(store, 'settlements');
      const retry = await ledger.settle(req('r-b1', puyangPerson('B'), visitAt('B-v1', '2023-04-01T09:00:00+08:00', 150)), agency);
      expect(retry.created).toBe(false);
      expect(retry.entry).toEqual(first.entry);
      await expect(ledger.settle(req('r-b1', puyangPerson('B'), visitAt('B-v1', '2023-04-01T09:00:00+08:00', 151)), agency)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_CONFLICT',
      });
      expect(await count(store, 'settlements')).toBe(before);
    });

    it('settles one visit once when several persons race for it: one live settlement, the rest refused', async () => {
      // Different persons take different person locks: only the visit's own serialization keeps a
      // second live settlement of one visit out (a typo'd psn_no sent twice by a hospital).
      const racers = Array.from({ length: 12 }, (_, i) => `race-${i}`);
      const results = await Promise.allSettled(racers.map((p) => ledger.settle(req(`r-${p}`, puyangPerson(p), visitAt('RACE-v1', '2023-05-01T09:00:00+08:00', 150)), agency)));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const l of lost) expect(l.reason).toMatchObject({ code: 'VISIT_ALREADY_SETTLED' });
      const rows = await store.db.selectFrom('settlements').select('id').where('visit_id', '=', 'RACE-v1').where('institution_id', '=', 'H1').execute();
      expect(rows).toHaveLength(1);
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('refuses to settle a visit twice under another request id', async () => {
      await ledger.settle(req('r-c1', puyangPerson('C'), visitAt('C-v1', '2023-04-01T09:00:00+08:00', 150)), agency);
      await expect(ledger.settle(req('r-c2', puyangPerson('C'), visitAt('C-v1', '2023-04-01T09:00:00+08:00', 150)), agency)).rejects.toMatchObject({
        code: 'VISIT_ALREADY_SETTLED',
      });
    });

    it('reverses by a new entry that restores the accumulators; never twice; never a reversal', async () => {
      const s1 = await ledger.settle(req('r-d1', puyangPerson('D'), visitAt('D-v1', '2023-05-01T09:00:00+08:00', 250)), agency);
      const s2 = await ledger.settle(req('r-d2', puyangPerson('D'), visitAt('D-v2', '2023-05-02T09:00:00+08:00', 250)), agency);
      expect((await ledger.accumulators('D', 2023)).caps[0]?.used).toBe(200);
      const r = await ledger.reverse(s1.entry.id, 'r-d1-rev', agency);
      expect(r.entry).toMatchObject({ kind: 'reversal', reverses: s1.entry.id, fundPay: -100, cashPay: -150, total: -250 });
      expect((await ledger.accumulators('D', 2023)).caps[0]?.used).toBe(100);
      // The original entry is unchanged.
      expect(await ledger.entry(s1.entry.id, agency)).toEqual(s1.entry);
      // A retry of the reversal returns it; a second reversal is refused; a reversal cannot be reversed.
      expect((await ledger.reverse(s1.entry.id, 'r-d1-rev', agency)).created).toBe(false);
      await expect(ledger.reverse(s1.entry.id, 'r-d1-rev2', agency)).rejects.toMatchObject({ code: 'ALREADY_REVERSED' });
      await expect(ledger.reverse(r.entry.id, 'r-d1-rev3', agency)).rejects.toMatchObject({ code: 'NOT_REVERSIBLE' });
      await expect(ledger.reverse('S-nope', 'r-d1-rev4', agency)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // The reversed visit may be settled again, and bears the deductible again (its window was restored).
      const again = await ledger.settle(req('r-d1-again', puyangPerson('D'), visitAt('D-v1', '2023-05-01T09:00:00+08:00', 250)), agency);
      expect(again.entry).toMatchObject({ deductible: 50, fundPay: 100 });
      const history = await ledger.history('D', agency);
      expect(history.map((e) => e.kind)).toEqual(['settlement', 'settlement', 'reversal', 'settlement']);
      expect(s2.entry.id).toBe(history[1]?.id);
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('writes nothing when the documents cannot settle the visit', async () => {
      const before = await count(store, 'settlements');
      const audit = await count(store, 'audit_log');
      const twoDiseases = { ...visitAt('E-v1', '2024-03-01T09:00:00+08:00', 100), type: 'two-diseases' };
      await expect(ledger.settle(req('r-e1', { id: 'E', region: '410300', scheme: 'resident', category: 'adult' }, twoDiseases), agency)).rejects.toBeInstanceOf(SettlementError);
      expect(await count(store, 'settlements')).toBe(before);
      expect(await count(store, 'audit_log')).toBe(audit);
    });

    it('keeps institutions to their own visits', async () => {
      const other = visitAt('F-v1', '2023-06-01T09:00:00+08:00', 100, { id: 'H2', tier: 'city', grade: 3, contracted: true });
      await expect(ledger.settle(req('r-f1', puyangPerson('F'), other), hospital)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const mine = await ledger.settle(req('r-f2', puyangPerson('F'), visitAt('F-v2', '2023-06-01T09:00:00+08:00', 100)), hospital);
      const theirs = await ledger.settle(
        req('r-f3', puyangPerson('F'), visitAt('F-v3', '2023-06-01T10:00:00+08:00', 100, { id: 'H2', tier: 'city', grade: 3, contracted: true })),
        agency,
      );
      expect((await ledger.history('F', hospital)).map((e) => e.id)).toEqual([mine.entry.id]);
      await expect(ledger.entry(theirs.entry.id, hospital)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ledger.reverse(theirs.entry.id, 'r-f3-rev', hospital)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('refuses an institution whose tier or grade disagrees with the registry', async () => {
      await expect(
        ledger.settle(req('r-g1', puyangPerson('G'), visitAt('G-v1', '2023-06-01T09:00:00+08:00', 100, { id: 'H1', tier: 'primary', grade: 1, contracted: true })), agency),
      ).rejects.toMatchObject({ code: 'INSTITUTION_MISMATCH' });
    });

    it('never exceeds a cap under 64 concurrent settles for one person', async () => {
      // Puyang 2022 active cap 750. 64 grade-1 visits of 100 yuan at 60% = 60 each → 3840 asked.
      const results = await Promise.allSettled(
        Array.from({ length: 64 }, (_, i) =>
          ledger.settle(
            req(
              `r-h${i}`,
              puyangPerson('H'),
              visitAt(`H-v${i}`, `2022-08-01T${String(8 + (i % 12)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00+08:00`, 100, {
                id: `P${i}`,
                tier: 'primary',
                grade: 1,
                contracted: true,
              }),
            ),
            agency,
          ),
        ),
      );
      const ok = results
        .filter((r) => r.status === 'fulfilled')
        .map((r) => (r as PromiseFulfilledResult<{ entry: Record<string, unknown> }>).value.entry as unknown as { fundPay: number });
      expect(ok).toHaveLength(64);
      const paid = ok.reduce((sum, e) => sum + Math.round(e.fundPay * 100), 0);
      expect(paid).toBe(75_000);
      expect((await ledger.accumulators('H', 2022)).caps[0]).toMatchObject({ used: 750, limit: 750, remaining: 0 });
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('verify finds an accumulator that disagrees with the entries', async () => {
      await store.db.updateTable('cap_usage').set({ used_fen: 1 }).where('person_id', '=', 'A').execute();
      const report = await ledger.verify();
      expect(report.ok).toBe(false);
      expect(report.mismatches.join('\n')).toContain('cap used A 2023 outpatient');
      await store.db.updateTable('cap_usage').set({ used_fen: 15_000 }).where('person_id', '=', 'A').execute();
      expect((await ledger.verify()).ok).toBe(true);
    });
  });
}

it('LedgerError carries a stable code', () => {
  expect(new LedgerError('NOT_FOUND', 'x').code).toBe('NOT_FOUND');
});
