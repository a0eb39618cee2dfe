/**
 * The fund chain past the basic fund in the ledger, on every store: critical-illness insurance
 * (临医保发〔2019〕15号 三(三)) and medical assistance keep yearly totals that continue from stay to
 * stay, a reversal gives them back, `verify` recomputes them, and concurrent stays never pay more
 * than the critical-illness cap. Linfen's inpatient figures come from the example user file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const policies = loadPolicies({ policyFiles: [`${ROOT}examples/linfen-inpatient-user-policy.yaml`, `${ROOT}test/fixtures/linfen-assistance-user.yaml`] });
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };
const grade3 = { id: 'LF3', tier: 'city', grade: 3, contracted: true };
const person = (id: string, hardship?: string) => ({ id, region: '141000', scheme: 'resident', category: 'adult', ...(hardship ? { hardship } : {}) });
const stay = (id: string, time: string, total: number) => ({ id, time, type: 'inpatient', institution: grade3, total });
const req = (requestId: string, p: unknown, visit: unknown) => parseSettleOne({ requestId, person: p, visit }, policies);

for (const s of STORES) {
  describe.skipIf(s.skip)(`fund chain in the ledger on ${s.label}`, () => {
    let store: LedgerDb;
    let ledger: Ledger;
    beforeAll(async () => {
      store = await s.open();
      ledger = new Ledger(store, engine);
    });
    afterAll(async () => {
      await store?.close();
    });

    async function used(personId: string, bucket: string): Promise<number | undefined> {
      const row = await store.db
        .selectFrom('cap_usage')
        .select('used_fen')
        .where('person_id', '=', personId)
        .where('year', '=', 2019)
        .where('bucket', '=', bucket)
        .executeTakeFirst();
      return row === undefined ? undefined : Number(row.used_fen);
    }

    it('continues the critical-illness year across stays, and a reversal gives it back', async () => {
      // s1: (30000 − 1000) × 60% = 17400; self-paid 12600; (12600 − 10000) × 75% = 1950.
      const a = await ledger.settle(req('ci-a1', person('CA'), stay('CA-1', '2019-03-01T10:00:00+08:00', 30000)), agency);
      expect(a.entry).toMatchObject({ fundPay: 17400, criticalIllnessPay: 1950, cashPay: 10650 });
      // s2: 19000 × 60% = 11400; self-paid 8600, all above the threshold: 6450.
      const b = await ledger.settle(req('ci-a2', person('CA'), stay('CA-2', '2019-05-01T10:00:00+08:00', 20000)), agency);
      expect(b.entry).toMatchObject({ fundPay: 11400, criticalIllnessPay: 6450, cashPay: 2150 });
      expect(await used('CA', 'critical-illness-self-paid')).toBe(2_120_000);
      expect(await used('CA', 'critical-illness')).toBe(840_000);
      expect((await ledger.verify()).ok).toBe(true);
      // The person's view shows the critical-illness cap (三(三) 40万) beside the basic fund's.
      const view = await ledger.accumulators('CA', 2019);
      expect(view.caps).toEqual(
        expect.arrayContaining([
          { bucket: 'critical-illness', year: 2019, used: 8400, limit: 400000, remaining: 391600 },
          { bucket: 'inpatient', year: 2019, used: 28800, limit: 150000, remaining: 121200 },
        ]),
      );
      const r = await ledger.reverse((b.entry as { id: string }).id, 'ci-a2-rev', agency);
      expect(r.entry).toMatchObject({ kind: 'reversal', criticalIllnessPay: -6450 });
      expect(await used('CA', 'critical-illness-self-paid')).toBe(1_260_000);
      expect(await used('CA', 'critical-illness')).toBe(195_000);
      expect((await ledger.verify()).ok).toBe(true);
      // Settled again under a new visit id, the stay pays what it paid the first time.
      const again = await ledger.settle(req('ci-a3', person('CA'), stay('CA-3', '2019-05-01T10:00:00+08:00', 20000)), agency);
      expect(again.entry).toMatchObject({ criticalIllnessPay: 6450 });
    });

    it('pays medical assistance after critical illness and keeps its year too', async () => {
      const a = await ledger.settle(req('ma-1', person('MA', 'dibao'), stay('MA-1', '2019-04-01T10:00:00+08:00', 30000)), agency);
      expect(a.entry).toMatchObject({ fundPay: 17400, criticalIllnessPay: 5928, assistancePay: 3970.4, cashPay: 2701.6 });
      expect(await used('MA', 'assistance')).toBe(397_040);
      expect(await used('MA', 'assistance-self-paid')).toBe(667_200);
      expect((await ledger.verify()).ok).toBe(true);
    });

    it("stays of several persons sent together (one batch on PostgreSQL) keep each person's yearly totals", async () => {
      // Eight persons, half of them on dibao, each a stay of 30000 and then one of 20000, each wave
      // sent at once: on PostgreSQL a wave goes as few batches (one read, one write each), and
      // every cap and later layer's total is a row of one upsert. Figures as the cases above.
      const ids = Array.from({ length: 8 }, (_, i) => `BA${i}`);
      const hardship = (i: number) => (i % 2 === 1 ? 'dibao' : undefined);
      const first = await Promise.all(ids.map((id, i) => ledger.settle(req(`ba-${id}-1`, person(id, hardship(i)), stay(`${id}-1`, '2019-04-01T10:00:00+08:00', 30000)), agency)));
      for (const [i, r] of first.entries()) {
        expect(r.entry).toMatchObject(
          hardship(i) ? { fundPay: 17400, criticalIllnessPay: 5928, assistancePay: 3970.4, cashPay: 2701.6 } : { fundPay: 17400, criticalIllnessPay: 1950, cashPay: 10650 },
        );
      }
      const second = await Promise.all(ids.map((id, i) => ledger.settle(req(`ba-${id}-2`, person(id, hardship(i)), stay(`${id}-2`, '2019-05-01T10:00:00+08:00', 20000)), agency)));
      expect(second.every((r) => r.created)).toBe(true);
      for (const [i, id] of ids.entries()) {
        expect(await used(id, 'inpatient')).toBe(1_740_000 + 1_140_000);
        if (!hardship(i)) {
          expect(second[i]?.entry).toMatchObject({ fundPay: 11400, criticalIllnessPay: 6450, cashPay: 2150 });
          expect(await used(id, 'critical-illness-self-paid')).toBe(2_120_000);
          expect(await used(id, 'critical-illness')).toBe(840_000);
        } else {
          expect(await used(id, 'assistance')).toBeGreaterThan(397_040);
        }
      }
      const layers = await store.db.selectFrom('settlement_layers').select(sql<string>`count(*)`.as('n')).where('person_id', 'in', ids).executeTakeFirstOrThrow();
      // Critical illness (its self-paid base and its pay) on each stay, assistance (its base and its pay) too on dibao's.
      expect(Number(layers.n)).toBe(2 * (4 * 2 + 4 * 4));
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('verify finds a critical-illness total that disagrees with the entries', async () => {
      await ledger.settle(req('ci-v1', person('CV'), stay('CV-1', '2019-03-01T10:00:00+08:00', 30000)), agency);
      await sql`update cap_usage set used_fen = used_fen + 1 where person_id = 'CV' and bucket = 'critical-illness'`.execute(store.db);
      const report = await ledger.verify();
      expect(report.ok).toBe(false);
      expect(report.mismatches.join('\n')).toContain('CV 2019 critical-illness');
      await sql`update cap_usage set used_fen = used_fen - 1 where person_id = 'CV' and bucket = 'critical-illness'`.execute(store.db);
    });

    it('never pays more than the critical-illness cap under concurrent stays', async () => {
      // Each stay: eligible 1000000 → basic (1000000 − 1000) × 60% = 599400, cut to the 150000 basic cap
      // on the first; the critical-illness cap of 400000 is reached after one or two stays.
      const settles = Array.from({ length: 12 }, (_, i) =>
        ledger.settle(req(`ci-c${i}`, person('CC'), stay(`CC-${i}`, `2019-07-${String(i + 1).padStart(2, '0')}T10:00:00+08:00`, 1_000_000)), agency).then(
          (r) => r.entry as unknown as { criticalIllnessPay: number; fundPay: number },
          () => undefined,
        ),
      );
      const entries = (await Promise.all(settles)).filter((e) => e !== undefined);
      expect(entries.length).toBe(12);
      const ci = entries.reduce((sum, e) => sum + Math.round(e.criticalIllnessPay * 100), 0);
      const fund = entries.reduce((sum, e) => sum + Math.round(e.fundPay * 100), 0);
      expect(ci).toBe(40_000_000);
      expect(fund).toBe(15_000_000);
      expect(await used('CC', 'critical-illness')).toBe(40_000_000);
      expect((await ledger.verify()).ok).toBe(true);
    });
  });
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`fund chain over HTTP on ${s.label}`, () => {
    let service: TestService;
    let store: LedgerDb;
    beforeAll(async () => {
      service = await startService(() => s.open(), engine);
      store = service.store;
    });
    afterAll(async () => {
      await service?.close();
    });
    const post = (url: string, body: unknown) =>
      service.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${service.agency.key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

    it('pre-settles and settles a stay with critical illness, each layer on its own', async () => {
      const body = { requestId: 'h-1', person: person('HP', 'jiandang'), visit: { ...stay('HP-1', '2019-03-10T10:00:00+08:00', 30000), admittedAt: '2019-03-01T09:00:00+08:00' } };
      const pre = await post('/v1/pre-settlements', body);
      expect(pre.statusCode, pre.body).toBe(200);
      // (30000 − 1000) × 60% = 17400; self-paid 12600; 建档立卡: (12600 − 5000) × 80% = 6080.
      expect(pre.json()).toMatchObject({ fundPay: 17400, criticalIllnessPay: 6080, assistancePay: 0, cashPay: 6520 });
      const settled = await post('/v1/settlements', body);
      expect(settled.statusCode, settled.body).toBe(201);
      expect(settled.json()).toMatchObject({ fundPay: 17400, criticalIllnessPay: 6080, cashPay: 6520 });
      const steps = (settled.json().trace as { step: string }[]).map((t) => t.step);
      expect(steps.indexOf('critical-illness')).toBeGreaterThan(steps.indexOf('cap'));
    });

    it('refuses an admission time on an outpatient visit, naming the field, writing nothing', async () => {
      const before = await store.db.selectFrom('settlements').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
      const res = await post('/v1/settlements', {
        requestId: 'h-bad',
        person: person('HB'),
        visit: { ...stay('HB-1', '2019-03-10T10:00:00+08:00', 100), type: 'outpatient', admittedAt: '2019-03-01T09:00:00+08:00' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('admittedAt');
      const after = await store.db.selectFrom('settlements').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
      expect(Number(after?.n)).toBe(Number(before?.n));
    });
  });
}
