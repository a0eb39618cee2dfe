/**
 * Pre-settle (预结算, 2206) is the settle's own read and decision with the write left out, on
 * every store and path: it is refused exactly as the settle would be (a visit already settled, an
 * institution the registry holds otherwise), and it quotes the amounts the settle then gives.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { LedgerDb } from '../../src/ledger/connect.js';
import type { Actor } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { ledgerOn, STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

const person = (id: string) => ({ id, region: '410900', scheme: 'employee', category: 'active' });
const H3 = { id: 'PS-H3', tier: 'city', grade: 3, contracted: true };
const visit = (id: string, time: string, total: number, institution: object = H3) => ({ id, time, type: 'outpatient', institution, total });
const settleReq = (requestId: string, p: unknown, v: unknown) => parseSettleOne({ requestId, person: p, visit: v }, policies);
const preReq = (p: unknown, v: unknown, requestId?: string) => parseSettleOne({ ...(requestId ? { requestId } : {}), person: p, visit: v }, policies, { requestIdRequired: false });

/** What a refusal is: its class, code and message. */
async function refusal(p: Promise<unknown>): Promise<{ name: string; code: unknown; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return { name: err.name, code: err.code, message: err.message };
  }
  throw new Error('expected a refusal');
}

/** An entry's settlement, without what only a committed entry has. */
function quoted(entry: Record<string, unknown>): Record<string, unknown> {
  const { id, kind, requestId, createdAt, preSettlement, ...rest } = entry;
  void [id, kind, requestId, createdAt, preSettlement];
  return rest;
}

async function count(store: LedgerDb): Promise<number[]> {
  const n = async (t: 'settlements' | 'visits' | 'institutions' | 'deductible_windows' | 'cap_usage' | 'audit_log' | 'persons') =>
    Number((await store.db.selectFrom(t).select(sql<string>`count(*)`.as('n')).executeTakeFirst())?.n ?? 0);
  return Promise.all((['settlements', 'visits', 'institutions', 'deductible_windows', 'cap_usage', 'audit_log', 'persons'] as const).map(n));
}

// Each store with its own path, and through Kysely alone (a store without the driver handles).
const PATHS = STORES.flatMap((s) => [{ ...s, kysely: false }, ...(s.label.includes('writer') ? [] : [{ ...s, label: `${s.label} through Kysely`, kysely: true }])]);

for (const s of PATHS) {
  describe.skipIf(s.skip)(`pre-settle on ${s.label}`, () => {
    const on = ledgerOn(s, engine, { kysely: s.kysely });

    it('quotes what the settle then gives, and writes nothing', async () => {
      // Visits in and out of time order, at two institutions: windows, caps, a late visit.
      const visits = [
        visit('q-v1', '2023-05-02T10:00:00+08:00', 250),
        visit('q-v2', '2023-05-03T09:00:00+08:00', 80),
        visit('q-v3', '2023-05-02T16:00:00+08:00', 120),
        visit('q-v4', '2023-05-02T17:00:00+08:00', 90, { id: 'PS-H2', tier: 'county', grade: 2, contracted: true }),
      ];
      for (const [i, v] of visits.entries()) {
        const before = await count(on.store);
        const pre = await on.ledger.preSettle(preReq(person('q-1'), v, `q-${i}`), agency);
        expect(await count(on.store)).toEqual(before);
        expect(pre.preSettlement).toBe(true);
        const settled = await on.ledger.settle(settleReq(`q-${i}`, person('q-1'), v), agency);
        expect(settled.created).toBe(true);
        expect(quoted(pre)).toEqual(quoted(settled.entry));
      }
    });

    it('refuses a visit already settled, as the settle does', async () => {
      await on.ledger.settle(settleReq('dup-1', person('q-2'), visit('dup-v1', '2023-06-01T10:00:00+08:00', 200)), agency);
      const settle = await refusal(on.ledger.settle(settleReq('dup-2', person('q-2'), visit('dup-v1', '2023-06-01T10:00:00+08:00', 200)), agency));
      expect(settle.code).toBe('VISIT_ALREADY_SETTLED');
      // With no request id, with a new one, and with the settle's own: refused all the same (a
      // pre-settle replays nothing).
      for (const requestId of [undefined, 'dup-3', 'dup-1']) {
        expect(await refusal(on.ledger.preSettle(preReq(person('q-2'), visit('dup-v1', '2023-06-01T10:00:00+08:00', 200), requestId), agency))).toEqual(settle);
      }
    });

    it('refuses an institution the registry holds otherwise, as the settle does', async () => {
      await on.ledger.settle(settleReq('mis-1', person('q-3'), visit('mis-v1', '2023-07-01T10:00:00+08:00', 200)), agency);
      const other = { ...H3, tier: 'county', grade: 2 };
      const settle = await refusal(on.ledger.settle(settleReq('mis-2', person('q-3'), visit('mis-v2', '2023-07-02T10:00:00+08:00', 200, other)), agency));
      expect(settle.code).toBe('INSTITUTION_MISMATCH');
      expect(await refusal(on.ledger.preSettle(preReq(person('q-3'), visit('mis-v2', '2023-07-02T10:00:00+08:00', 200, other)), agency))).toEqual(settle);
    });
  });
}
