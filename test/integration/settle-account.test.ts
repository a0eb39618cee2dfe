/**
 * Settles whose visit asks the personal account to pay (Puyang 第七条), on every store: the account
 * pays the person's share up to its balance in the settle's own transaction; a reversal gives it
 * back as a new entry; refusals and missing accounts write nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { AccountLedger, verifyAccounts } from '../../src/ledger/accounts.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseOpenAccount, parseOperate } from '../../src/request/account-request.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

const person = (id: string) => ({ id, region: '410900', scheme: 'employee', category: 'active' });
/** The grade-2 visit of the Puyang cases: total 230, eligible 200 → fund (200 − 30) × 60% = 102, share 128. */
const visit = (id: string, time: string, extra: Record<string, unknown> = {}) => ({
  id,
  time,
  type: 'outpatient',
  institution: { id: 'H2', tier: 'county', grade: 2, contracted: true },
  total: 230,
  eligible: 200,
  useAccount: true,
  ...extra,
});
const req = (requestId: string, p: unknown, v: unknown) => parseSettleOne({ requestId, person: p, visit: v }, policies);

async function count(store: LedgerDb, table: 'settlements' | 'account_entries' | 'audit_log'): Promise<number> {
  const r = await store.db.selectFrom(table).select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`settling from the personal account on ${s.label}`, () => {
    let store: LedgerDb;
    let ledger: Ledger;
    let accounts: AccountLedger;
    beforeAll(async () => {
      store = await s.open();
      ledger = new Ledger(store, engine);
      await ledger.ready;
      accounts = new AccountLedger(store, policies);
      await accounts.open(
        parseOpenAccount(
          { id: 'PA-e1', kind: 'employee-personal', holderId: 'e1', region: 'puyang', openedOn: '2023-01-01', holder: { category: 'active', contributionBase: 5000 } },
          policies,
        ),
        agency,
      );
      await accounts.operate('PA-e1', parseOperate({ requestId: 'e1-open', operation: { kind: 'opening-balance', date: '2023-01-01', amount: 150 } }, 'PA-e1', policies), agency);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('pays the share from the account up to its balance, then cash; a reversal gives it back', async () => {
      // Pre-settle shows what the account would pay and writes nothing.
      const pre = await ledger.preSettle(
        parseSettleOne({ person: person('e1'), visit: visit('e1-v1', '2023-03-01T10:00:00+08:00') }, policies, { requestIdRequired: false }),
        agency,
      );
      expect(pre).toMatchObject({ accountPay: 128, cashPay: 0, account: { paid: 128, balanceBefore: 150, balanceAfter: 22 } });
      expect(await accounts.balance('PA-e1')).toBe(15000);
      // 150 − 128 = 22 left.
      const first = await ledger.settle(req('sa-1', person('e1'), visit('e1-v1', '2023-03-01T10:00:00+08:00')), agency);
      expect(first.entry).toMatchObject({ fundPay: 102, accountPay: 128, cashPay: 0, account: { id: 'PA-e1', paid: 128, balanceBefore: 150, balanceAfter: 22 } });
      expect(JSON.stringify(first.entry.trace)).toContain('第七条');
      expect(await accounts.balance('PA-e1')).toBe(2200);
      // 48 h later, total 100: fund (100 − 30) × 60% = 42, share 58 > 22 → account 22, cash 36.
      const second = await ledger.settle(req('sa-2', person('e1'), visit('e1-v2', '2023-03-03T10:00:00+08:00', { total: 100, eligible: 100 })), agency);
      expect(second.entry).toMatchObject({ fundPay: 42, accountPay: 22, cashPay: 36, account: { paid: 22, balanceAfter: 0 } });
      // A retry is the original entry; the account is not paid twice.
      const entries = await count(store, 'account_entries');
      expect((await ledger.settle(req('sa-2', person('e1'), visit('e1-v2', '2023-03-03T10:00:00+08:00', { total: 100, eligible: 100 })), agency)).created).toBe(false);
      expect(await count(store, 'account_entries')).toBe(entries);
      // Balance 0: the account pays nothing, and says why; cash pays the share.
      const third = await ledger.settle(req('sa-3', person('e1'), visit('e1-v3', '2023-03-06T10:00:00+08:00', { total: 100, eligible: 100 })), agency);
      expect(third.entry).toMatchObject({ accountPay: 0, cashPay: 58, account: { paid: 0, balanceAfter: 0, refused: 'INSUFFICIENT_BALANCE' } });
      expect(await count(store, 'account_entries')).toBe(entries);
      // Reversing the first settlement gives its 128 back to the account, as a new entry.
      const rev = await ledger.reverse(first.entry.id, 'sa-1-rev', agency);
      expect(rev.entry).toMatchObject({ accountPay: -128, restored: { account: { id: 'PA-e1', returned: 128, balanceAfter: 128 } } });
      expect(await accounts.balance('PA-e1')).toBe(12800);
      expect(await count(store, 'account_entries')).toBe(entries + 1);
      expect((await ledger.verify()).ok).toBe(true);
      expect((await verifyAccounts(store.db)).ok).toBe(true);
    });

    it('a person without an account: ACCOUNT_NOT_AVAILABLE, nothing written', async () => {
      const before = [await count(store, 'settlements'), await count(store, 'audit_log')];
      await expect(ledger.settle(req('sa-none', person('nobody'), visit('nobody-v1', '2023-03-01T10:00:00+08:00')), agency)).rejects.toMatchObject({
        code: 'ACCOUNT_NOT_AVAILABLE',
      });
      expect([await count(store, 'settlements'), await count(store, 'audit_log')]).toEqual(before);
    });

    it('16 concurrent settles from one account never take it below zero', async () => {
      await accounts.open(
        parseOpenAccount(
          { id: 'PA-c', kind: 'employee-personal', holderId: 'ec', region: 'puyang', openedOn: '2023-01-01', holder: { category: 'active', contributionBase: 5000 } },
          policies,
        ),
        agency,
      );
      await accounts.operate('PA-c', parseOperate({ requestId: 'ec-open', operation: { kind: 'opening-balance', date: '2023-01-01', amount: 300 } }, 'PA-c', policies), agency);
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => ledger.settle(req(`sc-${i}`, person('ec'), visit(`ec-v${i}`, `2023-04-${String(i + 1).padStart(2, '0')}T10:00:00+08:00`)), agency)),
      );
      const paid = results.reduce((n, r) => n + Math.round((r.entry.accountPay as number) * 100), 0);
      expect(paid).toBe(30000);
      expect(await accounts.balance('PA-c')).toBe(0);
      expect((await verifyAccounts(store.db)).ok).toBe(true);
      expect((await ledger.verify()).ok).toBe(true);
    });
  });
}
