/**
 * Deductible windows in the ledger, on every store: the deductible is borne once per person,
 * institution and window — the visit's China calendar day — whatever order the visits arrive in.
 *
 *   - a late visit (补录) finds its own day's window, not the institution's latest one;
 *   - a reversal gives back what the settlement bore to its own window;
 *   - verify recomputes every window from the entries;
 *   - migration 0006 rebuilds the windows keyed by day from the entries of a ledger kept before;
 *   - property: a person's visits at several institutions over a few days, settled in random
 *     orders one by one and all at once, leave verify clean and in each window the deductible
 *     min(standard, what the window's visits had eligible) — the standards from the document.
 */
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dayOf, formatDate } from '../../src/calendar/calendar.js';
import { migrateToLatest, type LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, verifyLedger, type Actor } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { freshPostgres, freshSqlite, ledgerOn, pgAvailable, STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

/** 洛医保〔2023〕63号 二(一)2: 县级 起付标准 50, 50%; 一天（自然日）内在同一…机构多次就诊的负担一次起付标准. */
const luoyangResident = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const COUNTY = { id: 'HC', tier: 'county', grade: 2, contracted: true };

/**
 * 濮阳 第十二条(一): 一级及以下 不设起付标准; 二级 每次 30 元; 三级 每次 50 元 (in fen). 第十二条(四):
 * 当日（24小时）内…只计算一次起付标准, read as the calendar day.
 */
const PUYANG_INSTITUTIONS = [
  { institution: { id: 'P1', tier: 'county', grade: 1, contracted: true }, standard: 0 },
  { institution: { id: 'P2', tier: 'county', grade: 2, contracted: true }, standard: 3000 },
  { institution: { id: 'P3', tier: 'city', grade: 3, contracted: true }, standard: 5000 },
] as const;
const puyangEmployee = (id: string) => ({ id, region: '410900', scheme: 'employee', category: 'active' });

const yuan = (fen: number) => (fen / 100).toFixed(2);
const outpatient = (id: string, time: string, total: number | string, institution: object, eligible?: number | string) => ({
  id,
  time,
  type: 'outpatient',
  institution,
  total,
  ...(eligible !== undefined ? { eligible } : {}),
});
const req = (requestId: string, person: unknown, visit: unknown) => parseSettleOne({ requestId, person, visit }, policies);

/** The deductible each of a person's entries bore, summed by institution and visit day (reversals negative). */
async function borneByWindow(store: LedgerDb, personId: string): Promise<Map<string, number>> {
  const rows = await store.db
    .selectFrom('settlements')
    .select(['institution_id', 'visit_date', sql<string>`sum(deductible_fen)`.as('borne')])
    .where('person_id', '=', personId)
    .groupBy(['institution_id', 'visit_date'])
    .execute();
  return new Map(rows.filter((r) => Number(r.borne) !== 0).map((r) => [`${r.institution_id} ${r.visit_date}`, Number(r.borne)]));
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`deductible windows on ${s.label}`, () => {
    const on = ledgerOn(s, engine);

    it("a late visit finds its own day's window: the deductible once per day, whatever the order", async () => {
      const person = luoyangResident('late-1');
      // 03-04 10:00: (100 − 50) × 50% = 25. 03-05 10:00: the next day, again 50: 25.
      const a = await on.ledger.settle(req('late-a', person, outpatient('late-a', '2024-03-04T10:00:00+08:00', 100, COUNTY)), agency);
      const b = await on.ledger.settle(req('late-b', person, outpatient('late-b', '2024-03-05T10:00:00+08:00', 100, COUNTY)), agency);
      expect(a.entry).toMatchObject({ deductible: 50, fundPay: 25 });
      expect(b.entry).toMatchObject({ deductible: 50, fundPay: 25 });
      // 03-04 15:00, settled after 03-05: 03-04's 50 is borne already: 100 × 50% = 50.
      const c = await on.ledger.settle(req('late-c', person, outpatient('late-c', '2024-03-04T15:00:00+08:00', 100, COUNTY)), agency);
      expect(c.entry).toMatchObject({ deductible: 0, fundPay: 50, cashPay: 50 });
      const step = (c.entry.trace as { step: string; text: string; window?: string }[]).find((t) => t.step === 'deductible');
      expect(step).toMatchObject({ window: '2024-03-04', text: expect.stringContaining('2024-03-04当日（北京时间0时至24时）内已在HC负担50.00元，本次负担0.00元') });
      expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true, mismatches: [] });
      const view = await on.ledger.accumulators('late-1', 2024);
      expect(view.deductibleWindows).toEqual([
        { bucket: 'outpatient', institution: 'HC', day: '2024-03-05', borne: 50 },
        { bucket: 'outpatient', institution: 'HC', day: '2024-03-04', borne: 50 },
      ]);
    });

    it('a reversal gives back what the settlement bore to its own window; verify recomputes each window', async () => {
      const person = luoyangResident('rev-1');
      const a = await on.ledger.settle(req('rev-a', person, outpatient('rev-a', '2024-04-01T09:00:00+08:00', 30, COUNTY)), agency);
      const b = await on.ledger.settle(req('rev-b', person, outpatient('rev-b', '2024-04-02T09:00:00+08:00', 100, COUNTY)), agency);
      const c = await on.ledger.settle(req('rev-c', person, outpatient('rev-c', '2024-04-01T18:00:00+08:00', 100, COUNTY)), agency);
      // 04-01: a bore 30 (all it had), c the remaining 20; 04-02: b bore 50.
      expect([a.entry.deductible, b.entry.deductible, c.entry.deductible]).toEqual([30, 50, 20]);
      // Reversing a (04-01), after the later day's b: the 04-01 window gives back a's 30, leaving c's 20.
      const r = await on.ledger.reverse(a.entry.id, 'rev-a-r', agency);
      expect(r.entry).toMatchObject({ deductible: -30, restored: { deductibleWindow: { bucket: 'outpatient', institution: 'HC', borneAfter: 20 } } });
      expect((await on.ledger.accumulators('rev-1', 2024)).deductibleWindows).toEqual([
        { bucket: 'outpatient', institution: 'HC', day: '2024-04-02', borne: 50 },
        { bucket: 'outpatient', institution: 'HC', day: '2024-04-01', borne: 20 },
      ]);
      // Another 04-01 visit bears the 30 left.
      const d = await on.ledger.settle(req('rev-d', person, outpatient('rev-d', '2024-04-01T20:00:00+08:00', 100, COUNTY)), agency);
      expect(d.entry).toMatchObject({ deductible: 30 });
      // Reversing b empties 04-02's window: the row goes.
      await on.ledger.reverse(b.entry.id, 'rev-b-r', agency);
      expect((await on.ledger.accumulators('rev-1', 2024)).deductibleWindows).toEqual([{ bucket: 'outpatient', institution: 'HC', day: '2024-04-01', borne: 50 }]);
      expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true, mismatches: [] });

      // A window the entries bore in, gone from the accumulators; and one holding the wrong amount.
      await on.store.db.deleteFrom('deductible_windows').where('person_id', '=', 'rev-1').execute();
      await on.store.db
        .insertInto('deductible_windows')
        .values({ person_id: 'rev-1', bucket: 'outpatient', institution_id: 'HC', day: dayOf(2024, 4, 2), borne_fen: 700 })
        .execute();
      const report = await verifyLedger(on.store.db);
      expect(report.ok).toBe(false);
      expect(report.mismatches).toEqual(
        expect.arrayContaining([
          'deductible window rev-1 outpatient HC 2024-04-01: the entries bore 50, the accumulator holds no window',
          'deductible window rev-1 outpatient HC 2024-04-02: the entries bore 0, the accumulator holds 7',
        ]),
      );
      await on.store.db.deleteFrom('deductible_windows').where('person_id', '=', 'rev-1').execute();
      await on.store.db
        .insertInto('deductible_windows')
        .values({ person_id: 'rev-1', bucket: 'outpatient', institution_id: 'HC', day: dayOf(2024, 4, 1), borne_fen: 5000 })
        .execute();
      expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true });
    });

    it("property: visits settled in any order, one by one or all at once, bear each window's deductible once", async () => {
      const visitArb = fc.record({
        at: fc.integer({ min: 0, max: PUYANG_INSTITUTIONS.length - 1 }),
        day: fc.integer({ min: 0, max: 2 }),
        // The first and last second of the day, or any second.
        second: fc.oneof(fc.constantFrom(0, 86_399), fc.integer({ min: 0, max: 86_399 })),
        eligible: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8_000 })),
        outOfScope: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 })),
      });
      const scenarioArb = fc.array(visitArb, { minLength: 1, maxLength: 10 }).chain((visits) => {
        const order = fc.shuffledSubarray([...visits.keys()], { minLength: visits.length, maxLength: visits.length });
        return fc.record({ visits: fc.constant(visits), sequential: order, concurrent: order });
      });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(scenarioArb, async ({ visits, sequential, concurrent }) => {
          run++;
          // What the document asks, per window (institution, day): min(standard, Σ eligible).
          const expected = new Map<string, number>();
          const eligibleIn = new Map<string, number>();
          const requests = (personId: string) =>
            visits.map((v, i) => {
              const { institution } = PUYANG_INSTITUTIONS[v.at] as (typeof PUYANG_INSTITUTIONS)[number];
              const time = Date.parse('2023-03-04T00:00:00+08:00') + v.day * 86_400_000 + v.second * 1000;
              const iso = new Date(time + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
              return req(`${personId}-${i}`, puyangEmployee(personId), outpatient(`${personId}-v${i}`, iso, yuan(v.eligible + v.outOfScope), institution, yuan(v.eligible)));
            });
          for (const v of visits) {
            const { institution, standard } = PUYANG_INSTITUTIONS[v.at] as (typeof PUYANG_INSTITUTIONS)[number];
            const key = `${institution.id} ${formatDate(dayOf(2023, 3, 4 + v.day))}`;
            eligibleIn.set(key, (eligibleIn.get(key) ?? 0) + v.eligible);
            const borne = Math.min(standard, eligibleIn.get(key) as number);
            if (borne > 0) expected.set(key, borne);
          }
          const one = `seq-${run}`;
          const reqs1 = requests(one);
          for (const i of sequential) await on.ledger.settle(reqs1[i] as ReturnType<typeof req>, agency);
          const all = `con-${run}`;
          const reqs2 = requests(all);
          await Promise.all(concurrent.map((i) => on.ledger.settle(reqs2[i] as ReturnType<typeof req>, agency)));
          expect(await borneByWindow(on.store, one)).toEqual(expected);
          expect(await borneByWindow(on.store, all)).toEqual(expected);
          expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true, mismatches: [] });
        }),
        { numRuns: 15 },
      );
    });
  });
}

/**
 * A ledger kept before 0006: one window per (person, bucket, institution), the last opened
 * (24 hours from the visit that opened it); earlier windows overwritten, a reversed one deleted.
 */
async function oldLedger(store: LedgerDb): Promise<void> {
  // The tables as they were: written without the current schema's types.
  const db = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  await db.insertInto('persons').values({ id: 'old-1', region: '410900', scheme: 'employee', category: 'active', hardship: null, family_doctor_at: null, updated_at: 0 }).execute();
  const day = (d: number) => dayOf(2023, 3, d);
  const at = (d: number, h: number) => Date.parse(`2023-03-0${d}T${String(h).padStart(2, '0')}:00:00+08:00`);
  // [id, kind, reverses, visit day, hour, deductible, window day, window opened at]
  const rows: [string, string, string | null, number, number, number, number, number][] = [
    ['S-1', 'settlement', null, 4, 10, 3000, day(4), at(4, 10)],
    // 03-05 09:00 joined the window 03-04 10:00 opened (within 24 hours): bore nothing.
    ['S-2', 'settlement', null, 5, 9, 0, day(4), at(4, 10)],
    ['S-3', 'settlement', null, 5, 11, 3000, day(5), at(5, 11)],
    ['S-4', 'settlement', null, 6, 12, 3000, day(6), at(6, 12)],
    ['R-4', 'reversal', 'S-4', 6, 12, -3000, day(6), at(6, 12)],
  ];
  for (const [id, kind, reverses, d, h, deductible, windowDay, openedAt] of rows) {
    const sign = kind === 'reversal' ? -1 : 1;
    await db
      .insertInto('settlements')
      .values({
        id,
        request_id: `req-${id}`,
        request_hash: 'h',
        kind,
        reverses,
        person_id: 'old-1',
        visit_id: `old-v${id.slice(2)}`,
        institution_id: 'P2',
        visit_date: formatDate(day(d)),
        year: 2023,
        policy: 'p',
        benefit: 'employee-outpatient',
        eligibility: 'covered',
        total_fen: sign * 10_000,
        eligible_fen: sign * 10_000,
        deductible_fen: deductible,
        fund_pay_fen: sign * 10_000 - deductible - sign * 4_000,
        critical_illness_pay_fen: 0,
        assistance_pay_fen: 0,
        account_pay_fen: 0,
        cash_pay_fen: sign * 4_000 + deductible,
        cap_bucket: null,
        cap_year: null,
        cap_before_fen: null,
        cap_after_fen: null,
        window_bucket: 'outpatient',
        window_opened_at: openedAt,
        window_day: windowDay,
        window_borne_after_fen: null,
        body: '{}',
        actor: 'a',
        created_at: at(d, h),
      })
      .execute();
  }
  // The window S-3 opened was the last one kept, and S-4's reversal emptied its own (deleted);
  // S-1's window had been overwritten by S-3's.
  await db
    .insertInto('deductible_windows')
    .values({ person_id: 'old-1', bucket: 'outpatient', institution_id: 'P2', opened_at: at(5, 11), day: day(5), borne_fen: 3000 })
    .execute();
}

const MIGRATION_STORES = [
  { label: 'sqlite', open: () => freshSqlite({ upTo: '0005_settlement_layers' }), skip: false },
  { label: 'postgres', open: () => freshPostgres(4, '0005_settlement_layers'), skip: !pgAvailable },
];

for (const s of MIGRATION_STORES) {
  describe.skipIf(s.skip)(`migration 0006 on ${s.label}`, () => {
    it('keys the windows by day, rebuilt from the entries: the kept row and the overwritten ones', async () => {
      const store = await s.open();
      try {
        await oldLedger(store);
        expect(await migrateToLatest(store.db)).toContain('0006_deductible_windows_by_day');
        const rows = await store.db.selectFrom('deductible_windows').selectAll().orderBy('day').execute();
        expect(rows.map((r) => ({ ...r, day: formatDate(Number(r.day)), borne_fen: Number(r.borne_fen) }))).toEqual([
          // S-1 and S-2 (which joined S-1's window across midnight) in the window of 03-04.
          { person_id: 'old-1', bucket: 'outpatient', institution_id: 'P2', day: '2023-03-04', borne_fen: 3000 },
          { person_id: 'old-1', bucket: 'outpatient', institution_id: 'P2', day: '2023-03-05', borne_fen: 3000 },
        ]);
        expect(await verifyLedger(store.db)).toMatchObject({ ok: true, mismatches: [] });
        // The key holds one row per day: a second row for 03-04 is refused.
        await expect(
          store.db
            .insertInto('deductible_windows')
            .values({ person_id: 'old-1', bucket: 'outpatient', institution_id: 'P2', day: dayOf(2023, 3, 4), borne_fen: 1 })
            .execute(),
        ).rejects.toThrow();
        // The ledger settles on from it: a late 03-05 visit finds 03-05's window borne.
        const ledger = new Ledger(store, engine);
        const late = await ledger.settle(
          req('old-late', puyangEmployee('old-1'), outpatient('old-late', '2023-03-05T20:00:00+08:00', 100, PUYANG_INSTITUTIONS[1].institution)),
          agency,
        );
        expect(late.entry).toMatchObject({ deductible: 0, fundPay: 60 });
        expect(await verifyLedger(store.db)).toMatchObject({ ok: true });
      } finally {
        await store.close();
      }
    });
  });
}
