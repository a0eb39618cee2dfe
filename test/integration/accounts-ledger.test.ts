/**
 * Personal accounts in the ledger, on every store: opening (idempotent), crediting a month for
 * every account once, operations and refusals with their articles, idempotent retries, 32
 * concurrent payments that never drive the balance negative, verify finding a tampered row, and
 * a visit paid from the account by the settle itself. Expected figures are worked by hand
 * from Puyang 第六条–第八条, 第十四条 and Luoyang 36号 第五条, 第八条.
 */
import { statusFor } from '../../src/api/status.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { AccountLedger, AccountRefused, verifyAccounts } from '../../src/ledger/accounts.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseOpenAccount, parseOperate } from '../../src/request/account-request.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

const open = (body: Record<string, unknown>) => parseOpenAccount(body, policies);
const op = (accountId: string, requestId: string, operation: Record<string, unknown>) => parseOperate({ requestId, operation }, accountId, policies);

const TABLES = ['accounts', 'account_entries', 'account_holders', 'audit_log'] as const;
async function counts(store: LedgerDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await store.db.selectFrom(t).select(sql<string>`count(*)`.as('n')).executeTakeFirst();
    out[t] = Number(r?.n ?? 0);
  }
  return out;
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`accounts on ${s.label}`, () => {
    let store: LedgerDb;
    let accounts: AccountLedger;
    beforeAll(async () => {
      store = await s.open();
      accounts = new AccountLedger(store, policies, () => Date.parse('2023-06-01T00:00:00Z'));
    });
    afterAll(async () => {
      await store?.close();
    });

    it('opens an account once: the same request again answers it, other details are refused, a second account for the holder too', async () => {
      const body = {
        id: 'A-open',
        kind: 'employee-personal',
        holderId: 'p-open',
        region: 'puyang',
        openedOn: '2023-01-01',
        holder: { category: 'retired', requiredYearsMet: true },
      };
      const first = await accounts.open(open(body), agency);
      expect(first.created).toBe(true);
      expect(first.account).toMatchObject({
        id: 'A-open',
        region: '410900',
        balance: 0,
        openedOn: '2023-01-01',
        holder: [{ from: '2023-01', category: 'retired', requiredYearsMet: true }],
      });
      const before = await counts(store);
      const again = await accounts.open(open(body), agency);
      expect(again).toEqual({ account: first.account, created: false });
      await expect(accounts.open(open({ ...body, openedOn: '2023-02-01' }), agency)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      await expect(accounts.open(open({ ...body, id: 'A-open-2' }), agency)).rejects.toMatchObject({ code: 'ACCOUNT_EXISTS' });
      expect(await counts(store)).toEqual(before);
    });

    it('credits a month to every open account once; a second run credits nothing and says so', async () => {
      // 2023-03 in Puyang: active 2% of 4567.89 = 91.3578 → 91.36 (第六条(一)); retired 60 (第六条(二));
      // employer-rate active and a retiree short of the years: nothing (第十四条); a Luoyang family
      // account: no allocation since 2020 (36号 第五条); an account opened in April: not yet.
      await accounts.open(
        open({ id: 'C-active', kind: 'employee-personal', holderId: 'c1', region: '410900', openedOn: '2023-01-01', holder: { category: 'active', contributionBase: '4567.89' } }),
        agency,
      );
      await accounts.open(
        open({ id: 'C-retired', kind: 'employee-personal', holderId: 'c2', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: true } }),
        agency,
      );
      await accounts.open(
        open({
          id: 'C-employer',
          kind: 'employee-personal',
          holderId: 'c3',
          region: '410900',
          openedOn: '2023-01-01',
          holder: { category: 'active', contributionBase: 5000, paysAtEmployerRate: true },
        }),
        agency,
      );
      await accounts.open(
        open({ id: 'C-short', kind: 'employee-personal', holderId: 'c4', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: false } }),
        agency,
      );
      await accounts.open(open({ id: 'C-family', kind: 'resident-family', holderId: 'c5', region: 'luoyang', openedOn: '2023-01-01', members: ['c5-m'] }), agency);
      await accounts.open(
        open({ id: 'C-later', kind: 'employee-personal', holderId: 'c6', region: '410900', openedOn: '2023-04-02', holder: { category: 'retired', requiredYearsMet: true } }),
        agency,
      );

      const first = await accounts.creditMonth('2023-03', agency);
      // A-open (retired, from the first test) is credited too.
      expect(first).toMatchObject({ month: '2023-03', accounts: 7, credited: 3, creditedAmount: 211.36, alreadyCredited: 0, notCredited: 4, failed: 0 });
      const codes = Object.fromEntries(first.reasons.map((r) => [r.accounts.join(','), r.code]));
      expect(codes).toMatchObject({ 'C-employer': 'NOT_ENTITLED', 'C-short': 'NOT_ENTITLED', 'C-family': 'NOT_ENTITLED', 'C-later': 'NOT_YET_OPEN' });
      expect(first.reasons.find((r) => r.accounts.includes('C-employer'))?.source).toContain('第十四条');
      expect(first.reasons.find((r) => r.accounts.includes('C-family'))?.source).toContain('36号 第五条');
      expect(await accounts.balance('C-active')).toBe(9136);
      expect(await accounts.balance('C-retired')).toBe(6000);

      const before = await counts(store);
      const second = await accounts.creditMonth('2023-03', agency);
      expect(second).toMatchObject({ accounts: 7, credited: 0, creditedAmount: 0, alreadyCredited: 3, notCredited: 4 });
      expect(await counts(store)).toEqual(before);
      const entries = await accounts.entries('C-active');
      expect(entries.map((e) => e.entry)).toEqual([
        expect.objectContaining({
          id: 'C-active/credit/2023-03',
          kind: 'credit',
          period: '2023-03',
          amount: 9136,
          balanceAfter: 9136,
          seq: 1,
          source: expect.stringContaining('第六条(一)'),
        }),
      ]);
      expect((await verifyAccounts(store.db)).ok).toBe(true);
    });

    it('credits the holder’s details in force in the month; details cannot change from a month already credited', async () => {
      await accounts.open(
        open({ id: 'H-1', kind: 'employee-personal', holderId: 'h1', region: '410900', openedOn: '2023-01-01', holder: { category: 'active', contributionBase: 5000 } }),
        agency,
      );
      await accounts.creditMonth('2023-01', agency); // 5000 × 2% = 100
      await expect(accounts.setHolder('H-1', { from: '2023-01', category: 'active', contributionBase: 600000 }, agency)).rejects.toMatchObject({ code: 'ALREADY_CREDITED' });
      // Retires in February: 60 a month from then on.
      const set = await accounts.setHolder('H-1', { from: '2023-02', category: 'retired', requiredYearsMet: true }, agency);
      expect(set.changed).toBe(true);
      expect((await accounts.setHolder('H-1', { from: '2023-02', category: 'retired', requiredYearsMet: true }, agency)).changed).toBe(false);
      await accounts.creditMonth('2023-02', agency);
      expect((await accounts.entries('H-1')).map((e) => [e.entry.id, e.entry.amount, e.entry.balanceAfter])).toEqual([
        ['H-1/credit/2023-01', 10000, 10000],
        ['H-1/credit/2023-02', 6000, 16000],
      ]);
    });

    it('pays, refuses with the article and writes nothing on a refusal; a transfer out closes the account', async () => {
      await accounts.open(
        open({ id: 'O-1', kind: 'employee-personal', holderId: 'o1', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: true } }),
        agency,
      );
      await accounts.operate('O-1', op('O-1', 'o1-open', { kind: 'opening-balance', date: '2023-01-01', amount: 500 }), agency);
      // A child's residents' contribution 380 (第七条): 500 − 380 = 120.
      const c = await accounts.operate(
        'O-1',
        op('O-1', 'o1-c', { kind: 'family-payment', purpose: 'resident-contribution', relation: 'child', memberId: 'k1', amount: 380, coverageYear: 2024, date: '2023-10-01' }),
        agency,
      );
      expect(c.entry).toMatchObject({ amount: -38000, balanceAfter: 12000, source: expect.stringContaining('第七条') });
      const before = await counts(store);
      const refusals: [Record<string, unknown>, string, number][] = [
        [{ kind: 'other-use', purpose: 'fitness', amount: 10, date: '2023-10-02' }, 'PROHIBITED_USE', 422],
        [
          { kind: 'family-payment', purpose: 'resident-contribution', relation: 'parent', memberId: 'm1', amount: 380, coverageYear: 2024, date: '2023-10-02' },
          'INSUFFICIENT_BALANCE',
          422,
        ],
        [{ kind: 'visit-payment', visitId: 'v9', contracted: false, personShare: 20, date: '2023-10-02' }, 'NON_CONTRACTED', 422],
        [{ kind: 'refund', toRegion: 'luoyang', transferPossible: true, date: '2023-10-02' }, 'CONDITION_NOT_MET', 422],
        [
          { kind: 'family-payment', purpose: 'medical-cost', relation: 'household', memberId: 'b1', visitId: 'v8', contracted: true, personShare: 5, date: '2023-10-02' },
          'USE_NOT_ALLOWED',
          422,
        ],
      ];
      for (const [operation, code, status] of refusals) {
        const e = await accounts.operate('O-1', op('O-1', `o1-r-${code}`, operation), agency).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(AccountRefused);
        expect(e).toMatchObject({ code, source: expect.stringMatching(/濮阳/) });
        // The service's status for the refusal (the one code-to-status table).
        expect(statusFor((e as AccountRefused).code)).toBe(status);
      }
      expect(await counts(store)).toEqual(before);
      expect(await accounts.balance('O-1')).toBe(12000);
      // Transfer to Luoyang: the whole 120 moves, the account closes (第八条).
      const t = await accounts.operate('O-1', op('O-1', 'o1-t', { kind: 'transfer-out', toRegion: 'luoyang', date: '2023-11-01' }), agency);
      expect(t.entry).toMatchObject({ kind: 'transfer-out', amount: -12000, balanceAfter: 0, toRegion: '410300' });
      expect((await accounts.view('O-1')).closedOn).toBe('2023-11-01');
      await expect(
        accounts.operate('O-1', op('O-1', 'o1-after', { kind: 'visit-payment', visitId: 'v1', contracted: true, personShare: 1, date: '2023-11-02' }), agency),
      ).rejects.toMatchObject({
        code: 'ACCOUNT_CLOSED',
      });
      expect(statusFor('ACCOUNT_CLOSED')).toBe(409);
      // Closed accounts are not credited.
      const report = await accounts.creditMonth('2023-12', agency);
      expect(report.closed).toBeGreaterThanOrEqual(1);
      expect((await accounts.entries('O-1')).length).toBe(3);
    });

    it('answers a retry with the original entry; the same request id with another body is refused', async () => {
      await accounts.open(
        open({ id: 'R-1', kind: 'employee-personal', holderId: 'r1', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: true } }),
        agency,
      );
      await accounts.operate('R-1', op('R-1', 'r1-open', { kind: 'opening-balance', date: '2023-01-01', amount: 100 }), agency);
      const body = { kind: 'visit-payment', visitId: 'v1', contracted: true, personShare: '12.34', date: '2023-02-01' };
      const first = await accounts.operate('R-1', op('R-1', 'r1-pay', body), agency);
      expect(first.created).toBe(true);
      const before = await counts(store);
      const retry = await accounts.operate('R-1', op('R-1', 'r1-pay', body), agency);
      expect(retry.created).toBe(false);
      expect(retry.entry).toEqual(first.entry);
      await expect(accounts.operate('R-1', op('R-1', 'r1-pay', { ...body, personShare: 13 }), agency)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      await expect(accounts.operate('R-1', op('R-1', 'r1-pay-2', { ...body, ref: 'r1-pay' }), agency)).rejects.toMatchObject({ code: 'DUPLICATE_REFERENCE' });
      expect(statusFor('DUPLICATE_REFERENCE')).toBe(409);
      await expect(accounts.operate('nope', op('nope', 'r1-x', body), agency)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await counts(store)).toEqual(before);
      expect(await accounts.balance('R-1')).toBe(10000 - 1234);

      // A request id is the holder's: another holder's account takes the same id as another request.
      await accounts.open(
        open({ id: 'R-2', kind: 'employee-personal', holderId: 'r2', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: true } }),
        agency,
      );
      const anothers = await accounts.operate('R-2', op('R-2', 'r1-open', { kind: 'opening-balance', date: '2023-01-01', amount: 50 }), agency);
      expect(anothers.created).toBe(true);
      expect(await accounts.balance('R-2')).toBe(5000);
      // One account id is one account, whoever holds it: a second holder's open of R-1 is refused,
      // and of two opens of one new id for two holders at once, one opens it (the id's lock).
      const holder = { category: 'retired', requiredYearsMet: true };
      await expect(accounts.open(open({ id: 'R-1', kind: 'employee-personal', holderId: 'r3', region: '410900', openedOn: '2023-01-01', holder }), agency)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_CONFLICT',
      });
      const raced = await Promise.allSettled(
        ['r4', 'r5', 'r6', 'r7', 'r8', 'r9'].map((holderId) =>
          accounts.open(open({ id: 'R-new', kind: 'employee-personal', holderId, region: '410900', openedOn: '2023-01-01', holder }), agency),
        ),
      );
      expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await store.db.selectFrom('accounts').select('holder_id').where('id', '=', 'R-new').execute()).toHaveLength(1);
    });

    it.skipIf(s.name !== 'postgres')("opens a new id only under the id's lock: another holder's account made meanwhile is found, not doubled", async () => {
      // Accounts are keyed by (holder_id, id): nothing in the keys stops two holders' rows with one
      // id. The open takes the id's advisory lock (account-store.ts lockAccountId) before it looks:
      // held here from another connection, the open waits; the account another holder got meanwhile
      // is committed with the lock's release, and the open finds it (IDEMPOTENCY_CONFLICT), where
      // without the lock it would have looked at once, found nothing and opened a second R-held.
      const pool = store.pool as import('pg').Pool;
      const other = await pool.connect();
      try {
        await other.query('begin');
        await other.query("select pg_advisory_xact_lock(hashtextextended('R-held', 2))");
        let settled = false;
        const opening = accounts
          .open(
            open({
              id: 'R-held',
              kind: 'employee-personal',
              holderId: 'held-1',
              region: '410900',
              openedOn: '2023-01-01',
              holder: { category: 'retired', requiredYearsMet: true },
            }),
            agency,
          )
          .finally(() => (settled = true));
        opening.catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
        expect(settled, 'the open waits for the id').toBe(false);
        await other.query(
          `insert into accounts (id, kind, holder_id, region, members, opened_on, closed_on, balance_fen, seq, request_hash, created_at, updated_at)
           values ('R-held', 'employee-personal', 'held-2', '410900', null, '2023-01-01', null, 0, 0, 'another', 0, 0)`,
        );
        await other.query('commit');
        await expect(opening).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
        expect(await store.db.selectFrom('accounts').select('holder_id').where('id', '=', 'R-held').execute()).toEqual([{ holder_id: 'held-2' }]);
      } finally {
        await other.query('rollback').catch(() => undefined);
        other.release();
      }
    });

    it('never drives the balance negative under 32 concurrent payments to one account', async () => {
      // Balance 100.00; 32 visits of 7.00 each ask for 224.00: 14 are paid whole (98.00), one pays the
      // last 2.00 and leaves 5.00 in cash, the other 17 are refused (balance 0).
      await accounts.open(
        open({ id: 'X-1', kind: 'employee-personal', holderId: 'x1', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: true } }),
        agency,
      );
      await accounts.operate('X-1', op('X-1', 'x1-open', { kind: 'opening-balance', date: '2023-01-01', amount: 100 }), agency);
      const results = await Promise.allSettled(
        Array.from({ length: 32 }, (_, i) =>
          accounts.operate('X-1', op('X-1', `x1-pay-${i}`, { kind: 'visit-payment', visitId: `xv${i}`, contracted: true, personShare: 7, date: '2023-02-01' }), agency),
        ),
      );
      const paid = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ entry: { amount: number; balanceAfter: number } }>).value.entry);
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
      expect(refused.every((e) => e instanceof AccountRefused && e.code === 'INSUFFICIENT_BALANCE')).toBe(true);
      expect(paid).toHaveLength(15);
      expect(paid.reduce((sum, e) => sum - e.amount, 0)).toBe(10000);
      expect(paid.every((e) => e.balanceAfter >= 0)).toBe(true);
      expect(await accounts.balance('X-1')).toBe(0);
      const entries = await accounts.entries('X-1');
      expect(entries.map((e) => e.entry.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect((await verifyAccounts(store.db)).ok).toBe(true);
    });

    it('pays a visit from the account in the settle’s own transaction (the settlement path)', async () => {
      const ledger = new Ledger(store, engine);
      await ledger.ready;
      await accounts.open(
        open({ id: 'S-1', kind: 'employee-personal', holderId: 's1', region: '410900', openedOn: '2023-01-01', holder: { category: 'active', contributionBase: 5000 } }),
        agency,
      );
      await accounts.operate('S-1', op('S-1', 's1-open', { kind: 'opening-balance', date: '2023-01-01', amount: 50 }), agency);
      const person = { id: 's1', region: '410900', scheme: 'employee', category: 'active' };
      // The grade-2 Puyang visit: total 230, eligible 200 → fund (200 − 30) × 60% = 102, share 128
      // (第七条: the whole share the person bears, out-of-scope included); balance 50 → pays 50, 78 in cash.
      const visit = (id: string, time: string) => ({
        id,
        time,
        type: 'outpatient',
        institution: { id: 'H2', tier: 'county', grade: 2, contracted: true },
        total: 230,
        eligible: 200,
        useAccount: true,
      });
      const settle = (requestId: string, v: unknown) => ledger.settle(parseSettleOne({ requestId, person, visit: v }, policies), agency);
      const pay = await settle('settle-9', visit('sv1', '2023-03-01T10:00:00+08:00'));
      expect(pay.entry).toMatchObject({ fundPay: 102, accountPay: 50, cashPay: 78, account: { id: 'S-1', paid: 50, balanceBefore: 50, balanceAfter: 0 } });
      const paid = (await accounts.entries('S-1')).at(-1)?.entry;
      expect(paid).toMatchObject({ kind: 'visit-payment', amount: -5000, settlementId: pay.entry.id, visitId: 'sv1', balanceAfter: 0 });
      // A retry answers the original settlement; the account is not paid twice.
      const again = await settle('settle-9', visit('sv1', '2023-03-01T10:00:00+08:00'));
      expect(again).toMatchObject({ created: false, entry: pay.entry });
      expect((await accounts.entries('S-1')).at(-1)?.entry).toEqual(paid);
      // Balance 0: the account pays nothing, says why, and writes nothing; cash pays the share.
      const empty = await settle('settle-10', visit('sv2', '2023-03-03T10:00:00+08:00'));
      expect(empty.entry).toMatchObject({ accountPay: 0, account: { paid: 0, balanceAfter: 0, refused: 'INSUFFICIENT_BALANCE' } });
      expect((empty.entry.cashPay as number) + (empty.entry.fundPay as number)).toBe(230);
      expect((await accounts.entries('S-1')).at(-1)?.entry).toEqual(paid);
      expect(await accounts.balance('S-1')).toBe(0);
    });

    it('verify finds a tampered entry and a balance that disagrees with the entries', async () => {
      expect((await verifyAccounts(store.db)).ok).toBe(true);
      await store.db.updateTable('account_entries').set({ amount_fen: 9137 }).where('id', '=', 'C-active/credit/2023-03').execute();
      const report = await verifyAccounts(store.db);
      expect(report.ok).toBe(false);
      expect(report.mismatches.join('\n')).toContain('C-active/credit/2023-03');
      await store.db.updateTable('account_entries').set({ amount_fen: 9136 }).where('id', '=', 'C-active/credit/2023-03').execute();
      const held = await accounts.balance('C-retired');
      await store.db.updateTable('accounts').set({ balance_fen: 1 }).where('id', '=', 'C-retired').execute();
      expect((await verifyAccounts(store.db)).mismatches.join('\n')).toContain('account C-retired: the account holds a balance of 0.01');
      await store.db.updateTable('accounts').set({ balance_fen: held }).where('id', '=', 'C-retired').execute();
      // A balance driven negative by hand: the chain and the sign are both reported.
      await store.db.updateTable('account_entries').set({ balance_after_fen: -1 }).where('id', '=', 'C-retired/credit/2023-03').execute();
      const neg = await verifyAccounts(store.db);
      expect(neg.mismatches.join('\n')).toMatch(/C-retired\/credit\/2023-03: balanceAfter -1/);
      await store.db.updateTable('account_entries').set({ balance_after_fen: 6000 }).where('id', '=', 'C-retired/credit/2023-03').execute();
      expect((await verifyAccounts(store.db)).ok).toBe(true);
    });
  });
}
