/**
 * Migration 0007 on a ledger that has rows, on SQLite and PostgreSQL: visits keyed by
 * (institution_id, id) with every row carried over, the settlement lookup's index on both ids, and
 * the persons' new employee attributes empty (not known) on the rows that were there. After it, a
 * visit id another institution already used settles, and the same institution's is still refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { migrateToLatest, type LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import type { Database } from '../../src/ledger/schema.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { freshPostgres, freshSqlite, pgAvailable } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

/** A store with the schema before 0007 (up to 0005: 0006 is another change, and independent). */
async function storeBefore0007(kind: 'sqlite' | 'postgres'): Promise<LedgerDb> {
  const upTo = '0005_settlement_layers';
  return kind === 'sqlite' ? await freshSqlite({ upTo }) : await freshPostgres(4, upTo);
}

/** Rows as the ledger before 0007 wrote them: one settled visit and its person. */
async function seed(db: Kysely<Database>): Promise<void> {
  await sql`insert into persons (id, region, scheme, category, hardship, family_doctor_at, updated_at)
            values ('M-P1', '410300', 'resident', 'adult', 'dibao', 'H1', 1)`.execute(db);
  await sql`insert into visits (id, person_id, institution_id, time_ms, visit_date, type, total_fen, eligible_fen)
            values ('M-V1', 'M-P1', 'H1', ${Date.parse('2024-03-02T10:00:00+08:00')}, '2024-03-02', 'outpatient', 20000, 18000)`.execute(db);
}

const req = (requestId: string, institution: string) =>
  parseSettleOne(
    {
      requestId,
      person: { id: 'M-P1', region: '410300', scheme: 'resident', category: 'adult' },
      visit: {
        id: 'M-V1',
        time: '2024-03-02T10:00:00+08:00',
        type: 'outpatient',
        institution: { id: institution, tier: 'county', grade: 2, contracted: true },
        total: 200,
        eligible: 180,
      },
    },
    policies,
  );

for (const kind of ['sqlite', 'postgres'] as const) {
  describe.skipIf(kind === 'postgres' && !pgAvailable)(`migration 0007 on ${kind}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    it('keys visits by institution and id, carrying every row over, and gives persons the employee attributes', async () => {
      const store = await storeBefore0007(kind);
      cleanup.push(() => store.close());
      await seed(store.db);
      expect(await migrateToLatest(store.db)).toContain('0007_visits_by_institution');

      expect(await store.db.selectFrom('visits').selectAll().execute()).toEqual([
        {
          id: 'M-V1',
          person_id: 'M-P1',
          institution_id: 'H1',
          time_ms: Date.parse('2024-03-02T10:00:00+08:00'),
          visit_date: '2024-03-02',
          type: 'outpatient',
          total_fen: 20000,
          eligible_fen: 18000,
        },
      ]);
      expect(await store.db.selectFrom('persons').selectAll().execute()).toEqual([
        {
          id: 'M-P1',
          region: '410300',
          scheme: 'resident',
          category: 'adult',
          hardship: 'dibao',
          family_doctor_at: 'H1',
          employment: null,
          account_reformed: null,
          district: null,
          updated_at: 1,
        },
      ]);
      // The settlement's visit is looked up by both ids.
      const index =
        kind === 'sqlite'
          ? await sql<{ def: string }>`select sql as def from sqlite_master where name = 'settlements_visit'`.execute(store.db)
          : await sql<{ def: string }>`select indexdef as def from pg_indexes where indexname = 'settlements_visit'`.execute(store.db);
      expect(index.rows[0]?.def).toMatch(/\(\s*"?institution_id"?\s*,\s*"?visit_id"?\s*\)/);
      // The same visit id at another institution is another visit; at H1 it is the same one.
      await sql`insert into visits (id, person_id, institution_id, time_ms, visit_date, type, total_fen, eligible_fen)
                values ('M-V1', 'M-P1', 'H2', 0, '2024-03-02', 'outpatient', 1, 1)`.execute(store.db);
      await expect(
        sql`insert into visits (id, person_id, institution_id, time_ms, visit_date, type, total_fen, eligible_fen)
            values ('M-V1', 'M-P1', 'H1', 0, '2024-03-02', 'outpatient', 1, 1)`.execute(store.db),
      ).rejects.toThrow(/unique|duplicate key/i);
      await sql`delete from visits where institution_id = 'H2'`.execute(store.db);

      // Settled through the ledger: H1's M-V1, then H2's, each once.
      const ledger = new Ledger(store, engine);
      expect((await ledger.settle(req('m-1', 'H1'), agency)).created).toBe(true);
      expect((await ledger.settle(req('m-2', 'H2'), agency)).created).toBe(true);
      await expect(ledger.settle(req('m-3', 'H2'), agency)).rejects.toMatchObject({ code: 'VISIT_ALREADY_SETTLED' });
      expect(Number((await sql<{ n: string }>`select count(*) as n from visits where id = 'M-V1'`.execute(store.db)).rows[0]?.n)).toBe(2);
    });
  });
}
