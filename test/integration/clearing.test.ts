/**
 * The agency's month (月度清算), hand-computed, on every store: Luoyang (洛医保〔2023〕63号) residents'
 * general outpatient pool at three institutions in two districts, one Puyang employee; a refund
 * pair within March; a reversal in April of a March settlement (the April adjustment); closing in
 * order, idempotently; the paying centre by 63号 三(二); the missing quality deposit (Puyang 第十九条).
 *
 * Hand computation (63号 二(一)2: 基层 no deductible, 60%; 县级（含一级） 50/visit, 50%; 市级及以上
 * 50/visit, 40%):
 *   #1 P1 at JX (city, grade 3) 03-04 total 200 → (200−50)×40% = 60.00 fund, 140.00 cash
 *   #2 P2 at YS (county, grade 2) 03-05 total 100 → (100−50)×50% = 25.00 fund, 75.00 cash
 *   #3 P3 at JX2 (primary) 03-06 total 80 → 80×60% = 48.00 fund, 32.00 cash
 *   #4 P1 at JX2 (primary) 03-07 total 50 → 30.00 fund; reversed 03-08 (refund pair in March)
 *   #5 P2 at YS 03-09 total 300 → (300−50)×50% = 125.00 fund; reversed 04-02 (after March closed)
 *   #6 P3 at JX 04-03 total 150 → (150−50)×40% = 40.00 fund
 * March: JX 1 settlement, 200 / 60 → payable 60; YS 2 settlements, 400 / 150 → 150;
 *        JX2 2 settlements + 1 reversal, 80 / 48 → 48. City centre 108, 偃师 centre 150.
 * April: YS 0 settlements + 1 reversal (adjustment) −300 / −125; JX 150 / 40.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { verifyClearing } from '../../src/ledger/clearing.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

const at = (iso: string) => Date.parse(iso);
const resident = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const JX = { id: 'JX', tier: 'city', grade: 3, contracted: true };
const YS = { id: 'YS', tier: 'county', grade: 2, contracted: true };
const JX2 = { id: 'JX2', tier: 'primary', grade: 0, contracted: true };

function settleReq(requestId: string, person: unknown, visitId: string, time: string, institution: unknown, total: number) {
  return parseSettleOne({ requestId, person, visit: { id: visitId, time, type: 'outpatient', institution, total } }, policies);
}

/** A ledger whose clock the test moves. */
function clocked(store: LedgerDb) {
  const clock = { now: at('2024-03-01T08:00:00+08:00') };
  const ledger = new Ledger(store, engine, () => clock.now);
  return { clock, ledger };
}

async function register(ledger: Ledger) {
  const r = ledger.clearing.registry;
  await r.setDistrict({ code: '410305', name: '涧西区', region: '410300', level: 'urban' }, agency);
  await r.setDistrict({ code: '410381', name: '偃师区', region: '410300', level: 'county' }, agency);
  await r.setCentre({ id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300', district: null }, agency);
  await r.setCentre({ id: '410381', name: '偃师区医保中心', level: 'county', region: '410300', district: '410381' }, agency);
  await r.assignInstitution({ institutionId: 'JX', district: '410305', centreId: null }, agency);
  await r.assignInstitution({ institutionId: 'JX2', district: '410305', centreId: null }, agency);
  await r.assignInstitution({ institutionId: 'YS', district: '410381', centreId: null }, agency);
  await ledger.persons.set(
    { ...resident('P1'), scheme: 'resident', category: 'adult', hardship: null, familyDoctorAt: null, employment: null, accountReformed: null, district: '410305' },
    agency,
  );
  await ledger.persons.set(
    { ...resident('P2'), scheme: 'resident', category: 'adult', hardship: null, familyDoctorAt: null, employment: null, accountReformed: null, district: '410381' },
    agency,
  );
}

async function march(ledger: Ledger, clock: { now: number }) {
  const ids: Record<string, string> = {};
  const settle = async (n: string, person: unknown, time: string, inst: unknown, total: number) => {
    clock.now = at(time) + 3_600_000;
    const r = await ledger.settle(settleReq(`r-${n}`, person, `v-${n}`, time, inst, total), agency);
    ids[n] = r.entry.id;
    return r;
  };
  await settle('1', resident('P1'), '2024-03-04T10:00:00+08:00', JX, 200);
  await settle('2', resident('P2'), '2024-03-05T10:00:00+08:00', YS, 100);
  await settle('3', resident('P3'), '2024-03-06T10:00:00+08:00', JX2, 80);
  await settle('4', resident('P1'), '2024-03-07T10:00:00+08:00', JX2, 50);
  clock.now = at('2024-03-08T10:00:00+08:00');
  ids['4r'] = (await ledger.reverse(ids['4'] as string, 'r-4r', agency)).entry.id;
  // Day-end (日结) so far: the days that have ended, 03-04 to 03-07 (four entries); not again.
  expect(await ledger.clearing.rollUp()).toEqual({ days: 4, entries: 4 });
  expect(await ledger.clearing.rollUp()).toEqual({ days: 0, entries: 0 });
  await settle('5', resident('P2'), '2024-03-09T10:00:00+08:00', YS, 300);
  return ids;
}

type Body = Record<string, unknown> & { totals: Record<string, number>; adjustments: Record<string, number>; funds: { fund_pay_type: string; amount: number }[] };

async function statement(store: LedgerDb, period: string, institution: string): Promise<{ row: Record<string, unknown>; body: Body }> {
  const row = (await store.db
    .selectFrom('clearing_statements')
    .selectAll()
    .where('period', '=', period)
    .where('institution_id', '=', institution)
    .executeTakeFirstOrThrow()) as Record<string, unknown>;
  return { row, body: JSON.parse(String(row.body)) as Body };
}

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`a hand-computed month on ${s.label}`, () => {
    it('closes March and April into statements per institution and paying centre, in order, once', async () => {
      const store = await s.open();
      try {
        const { clock, ledger } = clocked(store);
        await register(ledger);
        const ids = await march(ledger, clock);

        // March has not ended: refused, nothing written.
        await expect(ledger.clearing.close('2024-03', agency)).rejects.toMatchObject({ code: 'PERIOD_NOT_ENDED' });
        clock.now = at('2024-04-01T09:00:00+08:00');
        // April cannot close before March (and has not ended either).
        clock.now = at('2024-05-01T09:00:00+08:00');
        await expect(ledger.clearing.close('2024-04', agency)).rejects.toMatchObject({ code: 'EARLIER_PERIOD_OPEN' });
        expect(Number((await sql<{ n: string }>`select count(*) as n from clearing_statements`.execute(store.db)).rows[0]?.n)).toBe(0);
        clock.now = at('2024-04-01T09:00:00+08:00');

        const closed = await ledger.clearing.close('2024-03', agency);
        expect(closed).toMatchObject({ period: '2024-03', created: true, entries: 6, statements: 3 });
        expect(closed.summary.centres).toEqual([
          { id: '410300', name: '洛阳市医保中心', statements: 2, payable: 108 },
          { id: '410381', name: '偃师区医保中心', statements: 1, payable: 150 },
        ]);

        const jx = await statement(store, '2024-03', 'JX');
        expect(jx.row).toMatchObject({ centre_id: '410300' });
        expect([jx.row.settlements, jx.row.reversals, jx.row.medfee_sumamt, jx.row.fund_pay_sumamt, jx.row.acct_pay, jx.row.cash_payamt, jx.row.payable_fen].map(Number)).toEqual([
          1, 0, 20_000, 6_000, 0, 14_000, 6_000,
        ]);
        expect(jx.body.funds).toEqual([{ insutype: '390', clr_type: '11', fund_pay_type: '390102', fund_pay_type_name: '居民门诊统筹基金', amount: 60 }]);
        expect(jx.body.centre).toMatchObject({ basis: 'rule', citation: '洛医保〔2023〕63号 三(二)' });

        const ys = await statement(store, '2024-03', 'YS');
        expect(ys.row.centre_id).toBe('410381');
        expect([ys.row.settlements, ys.row.reversals, ys.row.medfee_sumamt, ys.row.fund_pay_sumamt, ys.row.payable_fen].map(Number)).toEqual([2, 0, 40_000, 15_000, 15_000]);

        const jx2 = await statement(store, '2024-03', 'JX2');
        expect([jx2.row.settlements, jx2.row.reversals, jx2.row.medfee_sumamt, jx2.row.fund_pay_sumamt, jx2.row.cash_payamt, jx2.row.payable_fen].map(Number)).toEqual([
          2, 1, 8_000, 4_800, 3_200, 4_800,
        ]);
        expect(jx2.body.adjustments).toMatchObject({ reversals: 0, fund_pay_sumamt: 0 });

        // What was paid per insured's district: 涧西 (P1) 60 + 30 − 30, 偃师 (P2) 150, none (P3) 48.
        const districts = await store.db.selectFrom('clearing_districts').selectAll().where('period', '=', '2024-03').orderBy('district').execute();
        expect(districts.map((d) => [d.district, d.centre_id, Number(d.entries), Number(d.fund_pay_sumamt)])).toEqual([
          ['', '410300', 1, 4_800],
          ['410305', '410300', 3, 6_000],
          ['410381', '410381', 2, 15_000],
        ]);

        // Closing again answers the first close and writes nothing.
        const audits = Number((await sql<{ n: string }>`select count(*) as n from audit_log`.execute(store.db)).rows[0]?.n);
        const again = await ledger.clearing.close('2024-03', agency);
        expect(again).toMatchObject({ period: '2024-03', created: false, entries: 6, statements: 3, closedAt: closed.closedAt });
        expect(Number((await sql<{ n: string }>`select count(*) as n from audit_log`.execute(store.db)).rows[0]?.n)).toBe(audits);

        // April: #5 reversed after March closed (the adjustment), #6 settled.
        clock.now = at('2024-04-02T10:00:00+08:00');
        await ledger.reverse(ids['5'] as string, 'r-5r', agency);
        clock.now = at('2024-04-03T11:00:00+08:00');
        await ledger.settle(settleReq('r-6', resident('P3'), 'v-6', '2024-04-03T10:00:00+08:00', JX, 150), agency);
        clock.now = at('2024-05-01T00:00:00+08:00');
        const april = await ledger.clearing.close('2024-04', agency);
        expect(april).toMatchObject({ created: true, entries: 2, statements: 2 });
        const ysApril = await statement(store, '2024-04', 'YS');
        expect([ysApril.row.settlements, ysApril.row.reversals, ysApril.row.medfee_sumamt, ysApril.row.fund_pay_sumamt, ysApril.row.payable_fen].map(Number)).toEqual([
          0, 1, -30_000, -12_500, -12_500,
        ]);
        expect(ysApril.body.adjustments).toMatchObject({ reversals: 1, medfee_sumamt: -300, fund_pay_sumamt: -125, payable: -125 });
        const jxApril = await statement(store, '2024-04', 'JX');
        expect([jxApril.row.settlements, jxApril.row.medfee_sumamt, jxApril.row.fund_pay_sumamt].map(Number)).toEqual([1, 15_000, 4_000]);
        // March's statement did not change.
        expect((await statement(store, '2024-03', 'YS')).row).toEqual(ys.row);

        // `ledger verify` recomputes the closed months: they agree; an edited statement, or an entry
        // moved into a closed month, is named.
        expect(await verifyClearing(store.db)).toEqual({ periods: 2, mismatches: [] });
        await store.db.updateTable('clearing_statements').set({ fund_pay_sumamt: 6_001 }).where('period', '=', '2024-03').where('institution_id', '=', 'JX').execute();
        await store.db
          .updateTable('settlements')
          .set({ created_at: at('2024-03-20T10:00:00+08:00') })
          .where('request_id', '=', 'r-6')
          .execute();
        expect((await verifyClearing(store.db)).mismatches).toEqual([
          'clearing day 2024-03-20: summed 0 entries at its day-end, the ledger holds 1',
          'clearing day 2024-04-03: summed 1 entries at its day-end, the ledger holds 0',
          'clearing 2024-03 statement of JX: settlements 1 ≠ 2 from the entries, medfee_sumamt 20000 ≠ 35000 from the entries, fund_pay_sumamt 6001 ≠ 10000 from the entries, cash_payamt 14000 ≠ 25000 from the entries',
          'clearing 2024-04 statement of JX: settlements 1 ≠ 0 from the entries, medfee_sumamt 15000 ≠ 0 from the entries, fund_pay_sumamt 4000 ≠ 0 from the entries, cash_payamt 11000 ≠ 0 from the entries',
        ]);
      } finally {
        await store.close();
      }
    });

    it('refuses to close a month with an institution no centre pays, naming it, and writes nothing', async () => {
      const store = await s.open();
      try {
        const { clock, ledger } = clocked(store);
        await register(ledger);
        clock.now = at('2024-03-04T11:00:00+08:00');
        await ledger.settle(settleReq('r-x', resident('P9'), 'v-x', '2024-03-04T10:00:00+08:00', { id: 'NOWHERE', tier: 'city', grade: 3, contracted: true }, 100), agency);
        clock.now = at('2024-04-01T00:00:00+08:00');
        const e = await ledger.clearing.close('2024-03', agency).catch((x: unknown) => x);
        expect(e).toMatchObject({ code: 'NO_PAYING_CENTRE' });
        expect(String((e as Error).message)).toContain('NOWHERE');
        expect(await ledger.clearing.closed('2024-03')).toBeUndefined();
      } finally {
        await store.close();
      }
    });
  });
}
