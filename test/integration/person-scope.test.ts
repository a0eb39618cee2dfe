/**
 * Is the ledger ready to be distributed by person (docs/scale.md)? On both stores, from the
 * migrated schema itself:
 *
 * - every table is classified: person-scoped (with the column a distributed engine would shard it
 *   by) or not; a table with a person id column that is in neither list fails, so a new table is
 *   classified before it ships;
 * - for a person-scoped table, every key a distributed engine such as Citus must check on one shard
 *   (the primary key and every unique index) carries the person id. The keys that do not yet are
 *   listed here, exactly, and in docs/scale.md ("What would change"): a new gap fails, and so does
 *   a gap closed without the list (and the document) being updated;
 * - a settle, a reversal, a settle from the personal account and a family member's payment from a
 *   holder's account (家庭共济) write rows of one person only: row triggers on every person-scoped
 *   table record whose rows each operation wrote;
 * - on PostgreSQL, they also read rows of one person only: the ledger runs as a role that is not a
 *   superuser, and a row-level security policy on every person-scoped table records each row a
 *   statement reads (its USING expression, evaluated after the statement's own person filter).
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { openLedgerDb, type LedgerDb } from '../../src/ledger/connect.js';
import { AccountLedger } from '../../src/ledger/accounts.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import type { Database } from '../../src/ledger/schema.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseOpenAccount, parseOperate } from '../../src/request/account-request.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { indexesOf } from '../support/schema.js';
import { freshPostgres, pgAvailable, STORES } from '../support/stores.js';

/** Column names that hold a person id (参保人): the registry's own id is `persons.id`. */
const PERSON_ID_COLUMNS = ['person_id', 'holder_id', 'psn_no', 'member_id'];

/**
 * The person-scoped tables: the column that says whose row it is (an account's rows: its holder's,
 * `holder_id`, since 0012), and the keys that do not carry it yet ("pk(…)", "unique(…)"), each
 * explained in docs/scale.md.
 */
const PERSON_SCOPED: Record<string, { column: string; gaps: string[] }> = {
  persons: { column: 'id', gaps: [] },
  cap_usage: { column: 'person_id', gaps: [] },
  deductible_windows: { column: 'person_id', gaps: [] },
  person_identities: { column: 'person_id', gaps: ['unique(psn_cert_type,certno)'] },
  settlements: { column: 'person_id', gaps: [] },
  settlement_layers: { column: 'person_id', gaps: [] },
  visits: { column: 'person_id', gaps: [] },
  enrollments: { column: 'person_id', gaps: [] },
  accounts: { column: 'holder_id', gaps: [] },
  account_holders: { column: 'holder_id', gaps: [] },
  account_entries: { column: 'holder_id', gaps: [] },
  national_visits: { column: 'psn_no', gaps: [] },
  fee_details: { column: 'psn_no', gaps: [] },
  national_reversals: { column: 'psn_no', gaps: [] },
};

/** Tables that are not one person's, though some name persons: why (docs/scale.md says where each would live). */
const NOT_PERSON_SCOPED: Record<string, string> = {
  findings: "supervision's output: a run reads across persons and institutions; kept with the run, not with the person",
  finding_status: 'a finding’s review history',
  supervision_runs: 'a supervision run, across persons',
  audit_log: 'who did what: one log for the agency (a settle’s audit row names the settlement)',
  institutions: 'registry of institutions: a reference table',
  institution_sites: 'registry of institutions: a reference table',
  institution_clearing: 'registry of institutions: a reference table',
  paying_centres: 'registry of paying centres: a reference table',
  districts: 'registry of districts: a reference table',
  api_keys: 'service keys: a reference table',
  sign_ins: 'an institution’s sign-in (9001)',
  clearing_days: 'day-end totals by institution, across persons',
  clearing_rolled_days: 'day-end bookkeeping',
  clearing_periods: 'closed months',
  clearing_statements: 'monthly statements by institution',
  clearing_districts: 'monthly totals by district',
  remittances: 'funds remitted to districts',
  reconciliations: 'an institution’s reconciliations',
  budgets: 'fund budgets by area',
  budget_payments: 'fund payments by area',
  monitoring_settings: 'settings',
  kysely_migration: 'migrations',
  kysely_migration_lock: 'migrations',
};

interface Key {
  primary: boolean;
  columns: string[];
}

async function schemaOf(store: LedgerDb): Promise<Map<string, { columns: string[]; keys: Key[] }>> {
  const out = new Map<string, { columns: string[]; keys: Key[] }>();
  const db = store.db as Kysely<Database>;
  const columns =
    store.dialect === 'sqlite'
      ? (
          await sql<{ table_name: string; column_name: string }>`select m.name as table_name, c.name as column_name
             from sqlite_master m join pragma_table_info(m.name) c where m.type = 'table' and m.name not like 'sqlite_%' order by m.name, c.cid`.execute(db)
        ).rows
      : (
          await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns
             where table_schema = current_schema() order by table_name, ordinal_position`.execute(db)
        ).rows;
  for (const c of columns) {
    const t = out.get(c.table_name) ?? { columns: [], keys: [] };
    t.columns.push(c.column_name);
    out.set(c.table_name, t);
  }
  for (const [table, t] of out) {
    for (const ix of await indexesOf(store, table)) if (ix.primary || ix.unique) t.keys.push({ primary: ix.primary, columns: ix.columns });
  }
  return out;
}

const describeKey = (k: Key) => `${k.primary ? 'pk' : 'unique'}(${k.columns.join(',')})`;

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };
const person = (id: string) => ({ id, region: '410900', scheme: 'employee', category: 'active' });
const visit = (id: string, useAccount = false) => ({
  id,
  time: '2023-03-01T09:00:00+08:00',
  type: 'outpatient',
  institution: { id: 'H2', tier: 'county', grade: 2, contracted: true },
  total: 230,
  eligible: 200,
  ...(useAccount ? { useAccount: true } : {}),
});
const settleReq = (requestId: string, p: unknown, v: unknown) => parseSettleOne({ requestId, person: p, visit: v }, policies);

/** Holder H's employee account, PA-H, opened with 500 yuan. */
async function openHolderAccount(accounts: AccountLedger): Promise<void> {
  const open = { id: 'PA-H', kind: 'employee-personal', holderId: 'H', region: 'puyang', openedOn: '2023-01-01', holder: { category: 'active', contributionBase: 5000 } };
  await accounts.open(parseOpenAccount(open, policies), agency);
  await accounts.operate('PA-H', parseOperate({ requestId: 'h-open', operation: { kind: 'opening-balance', date: '2023-01-01', amount: 500 } }, 'PA-H', policies), agency);
}

/** 家庭共济: H's spouse S's visit paid from H's account (濮阳细则 第七条). */
function familyPayment(accounts: AccountLedger) {
  const operation = { kind: 'family-payment', purpose: 'medical-cost', relation: 'spouse', memberId: 'S', visitId: 'VS', contracted: true, personShare: 20, date: '2023-03-02' };
  return accounts.operate('PA-H', parseOperate({ requestId: 'h-family', operation }, 'PA-H', policies), agency);
}

/** Row triggers recording whose rows every write to a person-scoped table touched, in person_writes. */
async function recordPersonWrites(store: LedgerDb): Promise<void> {
  const db = store.db;
  await sql`create table person_writes (tbl text not null, person text)`.execute(db);
  if (store.dialect === 'sqlite') {
    for (const [table, { column }] of Object.entries(PERSON_SCOPED)) {
      for (const [event, row] of [
        ['insert', 'new'],
        ['update', 'new'],
        ['delete', 'old'],
      ] as const) {
        await sql.raw(`create trigger pw_${table}_${event} after ${event} on ${table} begin insert into person_writes values ('${table}', ${row}.${column}); end`).execute(db);
      }
    }
  } else {
    await sql
      .raw(`create function person_write() returns trigger language plpgsql as $$
        declare r jsonb := to_jsonb(case when tg_op = 'DELETE' then old else new end);
        begin
          insert into person_writes values (tg_table_name, r ->> tg_argv[0]);
          return null;
        end $$`)
      .execute(db);
    for (const [table, { column }] of Object.entries(PERSON_SCOPED)) {
      await sql.raw(`create trigger pw_${table} after insert or update or delete on ${table} for each row execute function person_write('${column}')`).execute(db);
    }
  }
}

/**
 * PostgreSQL: every row of a person-scoped table a statement reads, recorded in person_reads. The
 * tables are handed to pg_database_owner (a built-in role, not a superuser: row-level security
 * binds it, forced on the owner); the ledger opened on the returned URL runs as that role.
 */
async function recordPersonReads(store: LedgerDb & { url: string }): Promise<string> {
  const db = store.db;
  const tables = (await sql<{ t: string }>`select tablename as t from pg_tables where schemaname = current_schema()`.execute(db)).rows.map((r) => r.t);
  await sql`create table person_reads (tbl text not null, person text)`.execute(db);
  await sql
    .raw(`create function person_read(tbl text, who text) returns boolean language plpgsql volatile as $$
      begin insert into person_reads values (tbl, who); return true; end $$`)
    .execute(db);
  for (const t of [...tables, 'person_reads']) await sql.raw(`alter table ${t} owner to pg_database_owner`).execute(db);
  for (const [table, { column }] of Object.entries(PERSON_SCOPED)) {
    await sql.raw(`alter table ${table} enable row level security, force row level security`).execute(db);
    await sql.raw(`create policy person_read on ${table} using (person_read('${table}', ${column})) with check (true)`).execute(db);
  }
  const url = new URL(store.url);
  url.searchParams.set('options', '-c role=pg_database_owner');
  return url.toString();
}

/** Whose rows `op` read, by person (rows of an account's tables: its holder's). */
async function readsOf(store: LedgerDb, op: () => Promise<unknown>): Promise<string[]> {
  await sql`delete from person_reads`.execute(store.db);
  await op();
  const rows = (await sql<{ person: string | null }>`select distinct person from person_reads`.execute(store.db)).rows;
  return rows.map((r) => String(r.person)).sort();
}

/** Whose rows `op` wrote, and in which tables. */
async function writesOf(store: LedgerDb, op: () => Promise<unknown>): Promise<{ persons: string[]; tables: string[] }> {
  await sql`delete from person_writes`.execute(store.db);
  await op();
  const rows = (await sql<{ tbl: string; person: string | null }>`select tbl, person from person_writes`.execute(store.db)).rows;
  return { persons: [...new Set(rows.map((r) => String(r.person)))].sort(), tables: [...new Set(rows.map((r) => r.tbl))].sort() };
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`person scope on ${s.label}`, () => {
    let store: LedgerDb;
    beforeAll(async () => {
      store = await s.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('classifies every table, and every table with a person id column', async () => {
      const schema = await schemaOf(store);
      const declared = [...Object.keys(PERSON_SCOPED), ...Object.keys(NOT_PERSON_SCOPED)].sort();
      // Every table in the schema is classified, and every classified table exists.
      expect([...schema.keys()].sort()).toEqual(declared);
      for (const [table, { columns }] of schema) {
        if (columns.some((c) => PERSON_ID_COLUMNS.includes(c))) expect({ table, classified: declared.includes(table) }).toEqual({ table, classified: true });
      }
    });

    it('puts the person id in every primary and unique key of a person-scoped table, but for the gaps listed', async () => {
      const schema = await schemaOf(store);
      const found: Record<string, string[]> = {};
      for (const [table, { column }] of Object.entries(PERSON_SCOPED)) {
        const t = schema.get(table);
        expect(t?.columns, table).toContain(column);
        found[table] = (t?.keys ?? [])
          .filter((k) => !k.columns.includes(column))
          .map(describeKey)
          .sort();
      }
      expect(found).toEqual(Object.fromEntries(Object.entries(PERSON_SCOPED).map(([t, { gaps }]) => [t, [...gaps].sort()])));
      // The tables already keyed by person.
      expect(
        Object.entries(PERSON_SCOPED)
          .filter(([, r]) => r.gaps.length === 0)
          .map(([t]) => t),
      ).toEqual([
        'persons',
        'cap_usage',
        'deductible_windows',
        'settlements',
        'settlement_layers',
        'visits',
        'enrollments',
        'accounts',
        'account_holders',
        'account_entries',
        'national_visits',
        'fee_details',
        'national_reversals',
      ]);
    });

    it("writes one person's rows per settle, reversal, account settle and family member's payment", async () => {
      await recordPersonWrites(store);
      const ledger = new Ledger(store, engine);
      await ledger.ready;
      const accounts = new AccountLedger(store, policies);

      const first = await writesOf(store, () => ledger.settle(settleReq('ps-1', person('P1'), visit('V1')), agency));
      expect(first.persons).toEqual(['P1']);
      expect(first.tables).toEqual(expect.arrayContaining(['persons', 'visits', 'settlements', 'cap_usage', 'deductible_windows']));

      const other = await writesOf(store, () => ledger.settle(settleReq('ps-2', person('P2'), visit('V2')), agency));
      expect(other.persons).toEqual(['P2']);

      const settled = await ledger.settle(settleReq('ps-3', person('P1'), visit('V3')), agency);
      const reversal = await writesOf(store, () => ledger.reverse(settled.entry.id, 'ps-3-rev', agency));
      expect(reversal.persons).toEqual(['P1']);
      expect(reversal.tables).toContain('settlements');

      // The holder's account: opened, funded, then a settle that pays from it.
      const opened = await writesOf(store, () => openHolderAccount(accounts));
      expect(opened.persons).toEqual(['H']);
      const fromAccount = await writesOf(store, () => ledger.settle(settleReq('ps-4', person('H'), visit('V4', true)), agency));
      expect(fromAccount.persons).toEqual(['H']);
      expect(fromAccount.tables).toEqual(expect.arrayContaining(['settlements', 'account_entries', 'accounts']));

      // 家庭共济: the holder's spouse's visit paid from the holder's account (濮阳细则 第七条). The
      // rows written are the holder's; the spouse is named in the entry, and nothing of theirs is written.
      const family = await writesOf(store, () => familyPayment(accounts));
      expect(family.persons).toEqual(['H']);
      const entry = await store.db.selectFrom('account_entries').select(['member_id', 'relation']).where('request_id', '=', 'h-family').executeTakeFirst();
      expect(entry).toEqual({ member_id: 'S', relation: 'spouse' });
    });
  });
}

describe.skipIf(!pgAvailable)('person scope of reads on postgres', () => {
  let admin: LedgerDb & { url: string };
  let store: LedgerDb;
  beforeAll(async () => {
    admin = await freshPostgres(4);
    store = await openLedgerDb({ target: await recordPersonReads(admin), poolSize: 4 });
  });
  afterAll(async () => {
    await store?.close();
    await admin?.close();
  });

  it("reads one person's rows per settle, retry, reversal, account settle and family member's payment", async () => {
    const ledger = new Ledger(store, engine);
    await ledger.ready;
    const accounts = new AccountLedger(store, policies);
    // The role is in force: the ledger's own connection is not a superuser.
    expect((await sql<{ u: string }>`select current_user as u`.execute(store.db)).rows[0]?.u).toBe('pg_database_owner');

    // P1 first, then P2 at the same institution on the same day (P1's windows and caps are there).
    expect(await readsOf(admin, () => ledger.settle(settleReq('pr-1', person('P1'), visit('V1')), agency))).toEqual(['P1']);
    const reads = await readsOf(admin, () => ledger.settle(settleReq('pr-2', person('P2'), visit('V2')), agency));
    expect(reads).toEqual(['P2']);
    // The policy saw the rows: P2's second settle reads its own caps and windows.
    await sql`delete from person_reads`.execute(admin.db);
    await ledger.settle(settleReq('pr-3', person('P2'), visit('V3')), agency);
    const tables = (await sql<{ tbl: string }>`select distinct tbl from person_reads`.execute(admin.db)).rows.map((r) => r.tbl);
    expect(tables).toEqual(expect.arrayContaining(['persons', 'cap_usage', 'deductible_windows']));

    // A retry reads at most the original entry, its own person's (an answer kept in memory reads
    // nothing); a reversal reads the settlement it reverses.
    let first = await ledger.settle(settleReq('pr-1', person('P1'), visit('V1')), agency);
    const retry = await readsOf(admin, async () => {
      first = await ledger.settle(settleReq('pr-1', person('P1'), visit('V1')), agency);
    });
    expect(first.created).toBe(false);
    expect(retry.filter((p) => p !== 'P1')).toEqual([]);
    expect(await readsOf(admin, () => ledger.reverse(first.entry.id, 'pr-1-rev', agency))).toEqual(['P1']);

    await openHolderAccount(accounts);
    expect(await readsOf(admin, () => ledger.settle(settleReq('pr-4', person('H'), visit('V4', true)), agency))).toEqual(['H']);
    expect(await readsOf(admin, () => familyPayment(accounts))).toEqual(['H']);
  });
});
