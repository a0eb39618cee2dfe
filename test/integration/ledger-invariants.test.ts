/**
 * The ledger's own invariants, on every store:
 *
 *   - retries of one reversal (one request id, all at once) all get the original reversal, one row
 *     written; reversals of one settlement under different ids race and exactly one wins;
 *   - a unique violation is known by the driver's error code, never by its message;
 *   - the money identity (invariants.ts) holds before anything is written — a settle or reversal
 *     that would break it throws an internal error and writes nothing — and `yibao ledger verify`
 *     checks it on every stored settlement and reversal, naming an entry that breaks it.
 */
import { sql } from 'kysely';
import { runCli } from '../support/cli.js';
import { describe, expect, it } from 'vitest';
import { openLedgerDb, type LedgerDb } from '../../src/ledger/connect.js';
import { moneyProblems } from '../../src/ledger/invariants.js';
import { Ledger, verifyLedger, type Actor, type SettleResult } from '../../src/ledger/ledger.js';
import { isUniqueViolation } from '../../src/ledger/idempotency.js';
import type { Accumulators } from '../../src/engine/accumulators.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { Person, Settlement, SettleOptions, Visit } from '../../src/engine/types.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { ledgerOn, STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

const person = (id: string) => ({ id, region: '410900', scheme: 'employee', category: 'active' });
const visit = (id: string, time: string, total: number) => ({ id, time, type: 'outpatient', institution: { id: 'IV-H3', tier: 'city', grade: 3, contracted: true }, total });
const req = (requestId: string, p: unknown, v: unknown) => parseSettleOne({ requestId, person: p, visit: v }, policies);

/** An engine with a bug: for a visit whose id starts with `broken`, the fund pays a fen the parts do not account for. */
class BrokenEngine extends SettlementEngine {
  override settle(p: Person, v: Visit, acc: Accumulators, options?: SettleOptions): Settlement {
    const s = super.settle(p, v, acc, options);
    return v.id.startsWith('broken') ? { ...s, fundPay: s.fundPay + 1 } : s;
  }
}

function yibao(args: string[]) {
  return runCli(args);
}

async function rows(store: LedgerDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['settlements', 'visits', 'cap_usage', 'deductible_windows', 'audit_log', 'settlement_layers'] as const) {
    out[t] = Number((await store.db.selectFrom(t).select(sql<string>`count(*)`.as('n')).executeTakeFirst())?.n ?? 0);
  }
  return out;
}

describe('the money identity', () => {
  const good = { total: 25_000, eligible: 20_000, deductible: 5_000, fundPay: 7_500, criticalIllnessPay: 0, assistancePay: 0, accountPay: 2_000, cashPay: 15_500 };
  it('holds for a settlement that adds up', async () => {
    expect(moneyProblems(good, [{ bucket: 'outpatient', before: 0, after: 7_500 }])).toEqual([]);
  });
  it('names each part that breaks it', async () => {
    expect(moneyProblems({ ...good, cashPay: 15_501 })).toEqual([
      'its parts do not add up to its total (fundPay + criticalIllnessPay + assistancePay + accountPay + cashPay = 25001 fen, total 25000 fen)',
    ]);
    expect(moneyProblems({ ...good, fundPay: -1, cashPay: 23_001 })).toEqual(['fundPay is -1 fen, not a non-negative whole number of fen']);
    expect(moneyProblems({ ...good, eligible: 25_001 })).toEqual(['eligible 25001 fen is more than the total 25000 fen']);
    expect(moneyProblems({ ...good, deductible: 20_001 })).toEqual(['deductible 20001 fen is more than the eligible 20000 fen']);
    expect(moneyProblems({ ...good, deductible: -5 })).toEqual(['deductible is -5 fen, not a non-negative whole number of fen']);
    expect(moneyProblems(good, [{ bucket: 'outpatient', before: 100, after: 99 }])).toEqual(['cap outpatient goes down, from 100 fen to 99 fen']);
  });
});

for (const s of STORES) {
  describe.skipIf(s.skip)(`ledger invariants on ${s.label}`, () => {
    const on = ledgerOn(s, engine);

    it('32 retries of one reversal at once all get the original reversal, one row written', async () => {
      const settled = await on.ledger.settle(req('rr-1', person('rr'), visit('rr-v1', '2023-04-01T10:00:00+08:00', 250)), agency);
      const results = await Promise.allSettled(Array.from({ length: 32 }, () => on.ledger.reverse(settled.entry.id, 'rr-1-reverse', agency)));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code ?? String(r.reason)] : []));
      expect(refused).toEqual([]);
      const answers = results.map((r) => (r as PromiseFulfilledResult<SettleResult>).value);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(answers.filter((a) => a.created)).toHaveLength(1);
      const written = await on.store.db.selectFrom('settlements').select('id').where('reverses', '=', settled.entry.id).execute();
      expect(written.map((w) => w.id)).toEqual([answers[0]?.entry.id]);
      expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true });
    });

    it('32 reversals of one settlement under different ids at once: exactly one wins, the rest ALREADY_REVERSED', async () => {
      const settled = await on.ledger.settle(req('rr-2', person('rr'), visit('rr-v2', '2023-04-02T10:00:00+08:00', 250)), agency);
      const results = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => on.ledger.reverse(settled.entry.id, `rr-2-reverse-${i}`, agency)));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won).toHaveLength(1);
      expect(won[0]?.created).toBe(true);
      expect(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : []))).toEqual(Array(31).fill('ALREADY_REVERSED'));
      expect(await on.store.db.selectFrom('settlements').select('id').where('reverses', '=', settled.entry.id).execute()).toHaveLength(1);
      expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true });
    });

    it('knows a unique violation by its code, not by its message', async () => {
      const key = (id: string, hash: string) =>
        on.store.db.insertInto('api_keys').values({ id, key_hash: hash, role: 'agency', institution_id: null, label: null, created_at: 0, revoked_at: null }).execute();
      await key('uv-1', 'uv-hash-1');
      const caught = (p: Promise<unknown>) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        );
      // The primary key (SQLite: SQLITE_CONSTRAINT_PRIMARYKEY) and a unique index (SQLITE_CONSTRAINT_UNIQUE); PostgreSQL 23505.
      expect(isUniqueViolation(await caught(key('uv-1', 'uv-hash-2')))).toBe(true);
      expect(isUniqueViolation(await caught(key('uv-2', 'uv-hash-1')))).toBe(true);
      // Another constraint is not one (NOT NULL).
      const notNull = await caught(
        on.store.db
          .insertInto('api_keys')
          .values({ id: 'uv-3', key_hash: null as unknown as string, role: 'agency', institution_id: null, label: null, created_at: 0, revoked_at: null })
          .execute(),
      );
      expect(notNull).toBeInstanceOf(Error);
      expect(isUniqueViolation(notNull)).toBe(false);
      // Nor is an error whose message only reads like one.
      expect(isUniqueViolation(new Error('duplicate key value violates unique constraint "settlements_request_id_key"'))).toBe(false);
      expect(isUniqueViolation(new Error('UNIQUE constraint failed: settlements.request_id'))).toBe(false);
      expect(isUniqueViolation(undefined)).toBe(false);
    });

    // The writer thread builds its own engine from the policy packs: the broken engine cannot be put in it.
    it.skipIf(s.label.includes('writer'))('a settlement that breaks the money identity throws an internal error and writes nothing', async () => {
      // PostgreSQL: a pool of its own (the settle path prepares its statements on each connection once).
      const own = s.name === 'postgres' ? await openLedgerDb({ target: (on.store as LedgerDb & { url: string }).url, poolSize: 4 }) : on.store;
      for (const viaKysely of [false, true]) {
        const broken = new Ledger(viaKysely ? { ...own, sqlite: undefined, pool: undefined } : own, new BrokenEngine(policies));
        const before = await rows(on.store);
        const at = viaKysely ? 'k' : 'd';
        // Settled together (one SQLite batch, one PostgreSQL batch where it can): the good one commits, the broken one writes nothing.
        const [ok, bad] = await Promise.allSettled([
          broken.settle(req(`mi-good-${at}`, person(`mi-${at}`), visit(`good-${at}`, '2023-04-03T10:00:00+08:00', 250)), agency),
          broken.settle(req(`mi-bad-${at}`, person(`mi2-${at}`), visit(`broken-${at}`, '2023-04-03T11:00:00+08:00', 250)), agency),
        ]);
        expect(ok.status).toBe('fulfilled');
        expect(bad).toMatchObject({ status: 'rejected', reason: { name: 'InvariantError', code: 'INTERNAL_INVARIANT' } });
        expect(String((bad as PromiseRejectedResult).reason.message)).toContain(
          `visit broken-${at}: the money identity does not hold, nothing was written: its parts do not add up to its total`,
        );
        const after = await rows(on.store);
        // The good settle's rows (settlement, visit, cap, window, audit), nothing of the broken one.
        const more = (t: string) => ({ [t]: (before[t] ?? 0) + 1 });
        expect(after).toEqual({ ...before, ...more('settlements'), ...more('visits'), ...more('cap_usage'), ...more('deductible_windows'), ...more('audit_log') });
        expect(await on.store.db.selectFrom('persons').select('id').where('id', '=', `mi2-${at}`).execute()).toEqual([]);
        // A pre-settle of it is refused the same way.
        await expect(
          broken.preSettle(
            parseSettleOne({ person: person(`mi2-${at}`), visit: visit(`broken-${at}`, '2023-04-03T11:00:00+08:00', 250) }, policies, { requestIdRequired: false }),
            agency,
          ),
        ).rejects.toMatchObject({ code: 'INTERNAL_INVARIANT' });
      }
      if (own !== on.store) await own.close();
      expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true });
    });

    it('a reversal of an entry that breaks the identity throws an internal error and writes nothing', async () => {
      const settled = await on.ledger.settle(req('mr-1', person('mr'), visit('mr-v1', '2023-04-04T10:00:00+08:00', 250)), agency);
      await on.store.db.updateTable('settlements').set({ cash_pay_fen: sql`cash_pay_fen + 1` }).where('id', '=', settled.entry.id).execute();
      const before = await rows(on.store);
      await expect(on.ledger.reverse(settled.entry.id, 'mr-1-reverse', agency)).rejects.toMatchObject({ name: 'InvariantError', code: 'INTERNAL_INVARIANT' });
      expect(await rows(on.store)).toEqual(before);
      await on.store.db.updateTable('settlements').set({ cash_pay_fen: sql`cash_pay_fen - 1` }).where('id', '=', settled.entry.id).execute();
      expect(await verifyLedger(on.store.db)).toMatchObject({ ok: true });
    });

    it('`yibao ledger verify` checks the identity on every settlement and reversal, and names the entry that breaks it', async () => {
      const db = (on.store as LedgerDb & { path?: string; url?: string }).path ?? (on.store as LedgerDb & { url?: string }).url;
      const settled = await on.ledger.settle(req('mv-1', person('mv'), visit('mv-v1', '2023-04-05T10:00:00+08:00', 250)), agency);
      const reversed = await on.ledger.reverse(settled.entry.id, 'mv-1-reverse', agency);
      expect((await yibao(['ledger', 'verify', '--db', db as string])).code).toBe(0);
      const tamper = async (id: string, set: Record<string, unknown>, expected: string) => {
        const saved = await on.store.db.selectFrom('settlements').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        await on.store.db.updateTable('settlements').set(set).where('id', '=', id).execute();
        const out = await yibao(['ledger', 'verify', '--db', db as string]);
        expect(out.code, out.stdout + out.stderr).toBe(1);
        expect(out.stdout).toContain(`MISMATCH entry ${id}`);
        expect(out.stdout).toContain(expected);
        await on.store.db.updateTable('settlements').set(saved).where('id', '=', id).execute();
      };
      // A fen the parts do not account for.
      await tamper(settled.entry.id, { cash_pay_fen: sql`cash_pay_fen + 1` }, 'its parts do not add up to its total');
      // Eligible more than the total, and the fund's payment negative (the parts still add up).
      await tamper(settled.entry.id, { eligible_fen: sql`total_fen + 1` }, 'is more than the total');
      await tamper(settled.entry.id, { fund_pay_fen: -1, cash_pay_fen: sql`cash_pay_fen + fund_pay_fen + 1` }, 'fundPay is -1 fen');
      // A cap that went down.
      await tamper(settled.entry.id, { cap_after_fen: sql`cap_before_fen - 1` }, 'cap outpatient goes down');
      // A reversal, read with its amounts negated: a deductible more than the eligible amount.
      await tamper(reversed.entry.id, { deductible_fen: sql`eligible_fen - 1` }, `entry ${reversed.entry.id} (a reversal, its amounts negated): deductible`);
      expect((await yibao(['ledger', 'verify', '--db', db as string])).code).toBe(0);
    });
  });
}
