/**
 * High-cost patients with their critical-illness position (大病保险), on SQLite and PostgreSQL:
 * Linfen's inpatient stays of 2019 (临医保发〔2019〕15号 三(三), inpatient figures from the example
 * user file), hand-computed in fund-chain-ledger.test.ts:
 *
 *   CA (adult)  2019-03-01 stay 30,000: fund 17,400, critical illness 1,950, cash 10,650
 *               2019-05-01 stay 20,000: fund 11,400, critical illness 6,450, cash  2,150
 *               → the year: total 50,000, fund 28,800, critical illness 8,400, cash 12,800;
 *                 cap_usage critical-illness 8,400 of the 400,000 cap (三(三) 年度最高支付限额40万元),
 *                 critical-illness-self-paid 21,200.
 *   MA (低保)   2019-04-01 stay 30,000: fund 17,400, critical illness 5,928, assistance 3,970.40,
 *               cash 2,701.60; its group's cap is the general one (only 建档立卡 is uncapped).
 *
 * Year threshold 2,701.60: both listed (MA reaches it exactly), CA first (the higher burden);
 * 2,701.61: CA only.
 */
import { describe, expect, it } from 'vitest';
import { dayOf } from '../../src/calendar/calendar.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { type Actor, Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const policies = loadPolicies({ policyFiles: [`${ROOT}examples/linfen-inpatient-user-policy.yaml`, `${ROOT}test/fixtures/linfen-assistance-user.yaml`] });
const engine = new SettlementEngine(policies);
const clerk: Actor = { id: 'agency-1', role: 'agency' };
const LF3 = { id: 'LF3', tier: 'city', grade: 3, contracted: true };
const person = (id: string, hardship?: string) => ({ id, region: '141000', scheme: 'resident', category: 'adult', ...(hardship ? { hardship } : {}) });

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`high-cost patients' critical-illness position on ${s.label}`, () => {
    it('lists what each fund paid and the critical-illness cap used, by the thresholds', async () => {
      const store = await s.open();
      try {
        const clock = { now: Date.parse('2019-01-02T09:00:00+08:00') };
        const ledger = new Ledger(store, engine, () => clock.now);
        await ledger.clearing.registry.setDistrict({ code: '141002', name: '尧都区', region: '141000', level: 'urban' }, clerk);
        for (const [id, hardship] of [
          ['CA', null],
          ['MA', 'dibao'],
        ] as const) {
          await ledger.persons.set(
            { id, region: '141000', scheme: 'resident', category: 'adult', hardship, familyDoctorAt: null, employment: null, accountReformed: null, district: '141002' },
            clerk,
          );
        }
        for (const [n, who, time, total] of [
          ['1', 'CA', '2019-03-01T10:00:00+08:00', 30000],
          ['2', 'MA', '2019-04-01T10:00:00+08:00', 30000],
          ['3', 'CA', '2019-05-01T10:00:00+08:00', 20000],
        ] as const) {
          clock.now = Date.parse(time) + 3_600_000;
          const p = who === 'MA' ? person('MA', 'dibao') : person('CA');
          await ledger.settle(parseSettleOne({ requestId: `r${n}`, person: p, visit: { id: `v${n}`, time, type: 'inpatient', institution: LF3, total } }, policies), clerk);
        }
        clock.now = Date.parse('2020-01-02T09:00:00+08:00');
        const asOf = dayOf(2019, 12, 31);
        await ledger.settings.set('high-cost', { yearBurdenFen: 270_160 }, '试行', clerk);
        const { page } = await ledger.highCost.list(asOf, clerk, { limit: 10 });
        expect(page.entries.map((e) => [e.person, e.yearBurden])).toEqual([
          ['CA', 12_800_00],
          ['MA', 2_701_60],
        ]);
        const [ca, ma] = page.entries;
        expect(ca?.year).toEqual({ settlements: 2, total: 50_000_00, fund: 28_800_00, criticalIllness: 8_400_00, assistance: 0, account: 0, cash: 12_800_00 });
        expect(ca?.criticalIllness).toEqual({
          paidThisYear: 8_400_00,
          cap: { bucket: 'critical-illness', used: 8_400_00, limit: 400_000_00, remaining: 391_600_00 },
          countedSelfPaid: 21_200_00,
        });
        expect(ma).toMatchObject({ hardship: 'dibao', hardshipLabel: '低保对象', district: '141002' });
        expect(ma?.year).toMatchObject({ criticalIllness: 5_928_00, assistance: 3_970_40, cash: 2_701_60 });
        expect(ma?.criticalIllness.cap).toEqual({ bucket: 'critical-illness', used: 5_928_00, limit: 400_000_00, remaining: 394_072_00 });
        // One fen more: MA no longer reaches it.
        await ledger.settings.set('high-cost', { yearBurdenFen: 270_161 }, '试行', clerk);
        expect((await ledger.highCost.list(asOf, clerk, { limit: 10 })).page.entries.map((e) => e.person)).toEqual(['CA']);
      } finally {
        await store.close();
      }
    });
  });
}
