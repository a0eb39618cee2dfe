/**
 * Properties of the month's close, on random months (fast-check), on SQLite and PostgreSQL:
 *   - the statements add up, fund by fund (fund_pay_type), to the entries of the month net of
 *     reversals, and their counts to the entries;
 *   - every entry of the month is covered once: Σ settlements + reversals of the statements is the
 *     number of entries stamped in the month;
 *   - a reversal of an entry of a closed month is next month's adjustment, and the closed month's
 *     statements do not change;
 *   - closing twice changes nothing.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { fundsOf, clearingClass } from '../../src/clearing/funds.js';
import { periodBounds } from '../../src/clearing/period.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };
const INSTITUTIONS = [
  { id: 'A', tier: 'city', grade: 3, contracted: true, district: '410305' },
  { id: 'B', tier: 'primary', grade: 0, contracted: true, district: '410305' },
  { id: 'C', tier: 'county', grade: 2, contracted: true, district: '410381' },
];

const visitArb = fc.record({
  person: fc.integer({ min: 1, max: 6 }),
  institution: fc.integer({ min: 0, max: 2 }),
  day: fc.integer({ min: 1, max: 28 }),
  month: fc.constantFrom(3, 4),
  total: fc.integer({ min: 1, max: 60_000 }),
  /** 0: not reversed; 1: reversed the same day; 2: reversed in the next month. */
  reversal: fc.constantFrom(0, 0, 0, 1, 2),
});

async function registry(ledger: Ledger) {
  const r = ledger.clearing.registry;
  await r.setDistrict({ code: '410305', name: '涧西区', region: '410300', level: 'urban' }, agency);
  await r.setDistrict({ code: '410381', name: '偃师区', region: '410300', level: 'county' }, agency);
  await r.setCentre({ id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300', district: null }, agency);
  await r.setCentre({ id: '410381', name: '偃师区医保中心', level: 'county', region: '410300', district: '410381' }, agency);
  for (const i of INSTITUTIONS) await r.assignInstitution({ institutionId: i.id, district: i.district, centreId: null }, agency);
}

/** The sums of the entries stamped in a month, by fund_pay_type, straight from the table. */
async function entrySums(store: LedgerDb, period: string): Promise<{ byFund: Map<string, number>; count: number }> {
  const { start, end } = periodBounds(period);
  const rows = await store.db.selectFrom('settlements').selectAll().where('created_at', '>=', start).where('created_at', '<', end).execute();
  const byFund = new Map<string, number>();
  for (const r of rows) {
    const c = clearingClass(r.benefit);
    if (!c) throw new Error(r.benefit);
    const a = {
      total: Number(r.total_fen),
      fund: Number(r.fund_pay_fen),
      criticalIllness: Number(r.critical_illness_pay_fen),
      assistance: Number(r.assistance_pay_fen),
      account: Number(r.account_pay_fen),
      cash: Number(r.cash_pay_fen),
    };
    for (const f of fundsOf(c, a)) byFund.set(f.fundPayType.code, (byFund.get(f.fundPayType.code) ?? 0) + f.amount);
  }
  return { byFund, count: rows.length };
}

async function statementSums(store: LedgerDb, period: string): Promise<{ byFund: Map<string, number>; count: number; rows: string[] }> {
  const rows = await store.db.selectFrom('clearing_statements').selectAll().where('period', '=', period).orderBy('institution_id').execute();
  const byFund = new Map<string, number>();
  let count = 0;
  for (const r of rows) {
    count += Number(r.settlements) + Number(r.reversals);
    for (const f of (JSON.parse(r.body) as { funds: { fund_pay_type: string; amount: number }[] }).funds) {
      byFund.set(f.fund_pay_type, (byFund.get(f.fund_pay_type) ?? 0) + Math.round(f.amount * 100));
    }
  }
  return { byFund, count, rows: rows.map((r) => JSON.stringify(r)) };
}

const nonZero = (m: Map<string, number>) => [...m.entries()].filter(([, v]) => v !== 0).sort(([a], [b]) => a.localeCompare(b));

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`closing random months on ${s.label}`, () => {
    it('statements add up to the entries net of reversals, fund by fund; a second close changes nothing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(visitArb, { minLength: 1, maxLength: 25 }), async (visits) => {
          const store = await s.open();
          try {
            const clock = { now: 0 };
            const ledger = new Ledger(store, engine, () => clock.now);
            clock.now = Date.parse('2024-03-01T00:00:00+08:00');
            await registry(ledger);
            // Settle in time order; reversals after their settlement, on their day.
            const events = visits.flatMap((v, i) => {
              const time = Date.parse(`2024-0${v.month}-${String(v.day).padStart(2, '0')}T10:00:00+08:00`) + i * 1000;
              const out: { at: number; kind: 'settle' | 'reverse'; i: number; v: typeof v }[] = [{ at: time, kind: 'settle', i, v }];
              if (v.reversal === 1) out.push({ at: time + 3_600_000, kind: 'reverse', i, v });
              if (v.reversal === 2) out.push({ at: Date.parse(`2024-0${v.month + 1}-02T10:00:00+08:00`) + i * 1000, kind: 'reverse', i, v });
              return out;
            });
            events.sort((a, b) => a.at - b.at);
            const ids = new Map<number, string>();
            let closedMarch: string[] | undefined;
            for (const e of events) {
              if (!closedMarch && e.at >= Date.parse('2024-04-01T00:00:00+08:00')) {
                clock.now = Date.parse('2024-04-01T00:00:00+08:00');
                await ledger.clearing.close('2024-03', agency);
                closedMarch = (await statementSums(store, '2024-03')).rows;
              }
              clock.now = e.at + 60_000;
              const inst = INSTITUTIONS[e.v.institution] as (typeof INSTITUTIONS)[number];
              if (e.kind === 'settle') {
                const visit = {
                  id: `v${e.i}`,
                  time: new Date(e.at).toISOString(),
                  type: 'outpatient',
                  institution: { id: inst.id, tier: inst.tier, grade: inst.grade, contracted: true },
                  total: e.v.total / 100,
                };
                const r = await ledger.settle(
                  parseSettleOne({ requestId: `r${e.i}`, person: { id: `P${e.v.person}`, region: '410300', scheme: 'resident', category: 'adult' }, visit }, policies),
                  agency,
                );
                ids.set(e.i, r.entry.id);
              } else {
                await ledger.reverse(ids.get(e.i) as string, `rr${e.i}`, agency);
              }
            }
            clock.now = Date.parse('2024-06-01T00:00:00+08:00');
            for (const period of ['2024-03', '2024-04', '2024-05']) {
              const first = await ledger.clearing.close(period, agency);
              const before = await statementSums(store, period);
              const entries = await entrySums(store, period);
              expect(nonZero(before.byFund)).toEqual(nonZero(entries.byFund));
              expect(before.count).toBe(entries.count);
              expect(first.entries).toBe(entries.count);
              const again = await ledger.clearing.close(period, agency);
              expect(again.created).toBe(false);
              expect((await statementSums(store, period)).rows).toEqual(before.rows);
            }
            if (closedMarch) expect((await statementSums(store, '2024-03')).rows).toEqual(closedMarch);
            const n = Number((await sql<{ n: string }>`select count(*) as n from clearing_periods`.execute(store.db)).rows[0]?.n);
            expect(n).toBe(3);
          } finally {
            await store.close();
          }
        }),
        { numRuns: s.name === 'postgres' ? 8 : 20 },
      );
    }, 120_000);
  });
}
