/**
 * Migration 0012 (the person id in every person-scoped key) on a ledger that has rows, on SQLite
 * and PostgreSQL: every rebuilt table keeps every row (counted, and compared row by row), the keys
 * and indexes are the same on both stores, SQLite's foreign keys still hold and are enforced again,
 * and the ledger settles, replays and reverses on the migrated store.
 */
import { sql, type Kysely } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { migrateToLatest, type LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { indexesOf } from '../support/schema.js';
import { freshPostgres, freshSqlite, pgAvailable } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };

// Rows of the schema before and after the migration: neither is the Database type of today.
type AnyDb = Kysely<any>;

/** The tables 0012 rebuilds, each with the columns that order its rows. */
const REBUILT: Record<string, string[]> = {
  settlements: ['id'],
  visits: ['institution_id', 'id'],
  settlement_layers: ['settlement_id', 'bucket', 'year'],
  enrollments: ['id'],
  accounts: ['id'],
  account_holders: ['account_id', 'from_month'],
  account_entries: ['id'],
  national_visits: ['mdtrt_id'],
  fee_details: ['id'],
  national_reversals: ['institution_id', 'oinfno', 'omsgid'],
};

/** Columns 0012 adds, left out when rows are compared (and checked on their own). */
const ADDED: Record<string, string[]> = { account_holders: ['holder_id'], account_entries: ['holder_id'] };

const settlement = (id: string, person: string, requestId: string, kind: string, reverses: string | null, visit: string, sign = 1) => ({
  id,
  request_id: requestId,
  request_hash: `h-${requestId}`,
  kind,
  reverses,
  person_id: person,
  visit_id: visit,
  institution_id: 'H1',
  visit_date: '2024-03-02',
  year: 2024,
  policy: 'luoyang-2024',
  benefit: 'outpatient',
  eligibility: 'eligible',
  total_fen: sign * 20000,
  eligible_fen: sign * 18000,
  deductible_fen: 0,
  fund_pay_fen: sign * 9000,
  critical_illness_pay_fen: 0,
  assistance_pay_fen: 0,
  account_pay_fen: 0,
  cash_pay_fen: sign * 11000,
  cap_bucket: 'outpatient',
  cap_year: 2024,
  cap_before_fen: kind === 'settlement' ? 0 : null,
  cap_after_fen: kind === 'settlement' ? 9000 : 0,
  window_bucket: null,
  window_opened_at: null,
  window_day: null,
  window_borne_after_fen: null,
  body: JSON.stringify({ id }),
  actor: 'agency-1',
  created_at: 1_709_000_000_000 + (sign > 0 ? 0 : 1000),
});

/** Rows as the ledger before 0012 wrote them, in every table it rebuilds. */
async function seed(db: AnyDb): Promise<void> {
  for (const id of ['M-P1', 'M-P2']) {
    await db.insertInto('persons').values({ id, region: '410300', scheme: 'resident', category: 'adult', updated_at: 1 }).execute();
  }
  await db
    .insertInto('visits')
    .values(
      ['M-P1', 'M-P2'].map((p, i) => ({
        id: `M-V${i + 1}`,
        person_id: p,
        institution_id: 'H1',
        time_ms: 1,
        visit_date: '2024-03-02',
        type: 'outpatient',
        total_fen: 20000,
        eligible_fen: 18000,
      })),
    )
    .execute();
  await db
    .insertInto('settlements')
    .values([
      settlement('S-1', 'M-P1', 'm-1', 'settlement', null, 'M-V1'),
      settlement('R-1', 'M-P1', 'm-1-rev', 'reversal', 'S-1', 'M-V1', -1),
      settlement('S-2', 'M-P2', 'm-2', 'settlement', null, 'M-V2'),
    ])
    .execute();
  await db
    .insertInto('settlement_layers')
    .values([
      { settlement_id: 'S-1', person_id: 'M-P1', year: 2024, bucket: 'critical', change_fen: 100, after_fen: 100 },
      { settlement_id: 'R-1', person_id: 'M-P1', year: 2024, bucket: 'critical', change_fen: -100, after_fen: 0 },
    ])
    .execute();
  const payment = { coverage_year: 2024, paid_on: '2023-12-01', recorded_at: 1 };
  await db
    .insertInto('enrollments')
    .values([
      { id: 'M-P1:2024:2023-12-01', person_id: 'M-P1', ...payment, transfer: 0 },
      {
        id: 'E-1',
        person_id: 'M-P2',
        ...payment,
        transfer: 1,
        amount_fen: 38000,
        payer: 'self',
        request_id: 'pay-1',
        request_hash: 'h',
        actor: 'a',
        region: '410300',
        scheme: 'resident',
        category: 'adult',
      },
    ])
    .execute();
  // Two holders' accounts, with holder details by month and entries (a credit, an operation).
  for (const [holder, account] of [
    ['M-P1', 'PA-1'],
    ['M-P2', 'PA-2'],
  ] as const) {
    await db
      .insertInto('accounts')
      .values({
        id: account,
        kind: 'employee-personal',
        holder_id: holder,
        region: 'puyang',
        opened_on: '2024-01-01',
        balance_fen: 300,
        seq: 2,
        request_hash: 'h',
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    await db
      .insertInto('account_holders')
      .values(['2024-01', '2024-02'].map((from_month) => ({ account_id: account, from_month, category: 'active', contribution_base_fen: 500000, actor: 'a', recorded_at: 1 })))
      .execute();
    const entry = { account_id: account, entry_date: '2024-01-31', source: 's', text: 't', body: '{}', actor: 'a', created_at: 1 };
    await db
      .insertInto('account_entries')
      .values([
        { ...entry, id: `${account}/credit/2024-01`, seq: 1, kind: 'credit', amount_fen: 200, balance_after_fen: 200, period: '2024-01', request_id: null, request_hash: null },
        {
          ...entry,
          id: `${account}/opening-balance/x`,
          seq: 2,
          kind: 'opening-balance',
          amount_fen: 100,
          balance_after_fen: 300,
          period: null,
          request_id: `op-${account}`,
          request_hash: 'h',
        },
      ])
      .execute();
  }
  // The national interface's visits, their fee details (one cancelled, one live of the same serial
  // number) and a 冲正.
  const nv = {
    institution_id: 'H1',
    kind: 'outpatient',
    insutype: '390',
    med_type: '11',
    begntime: 1,
    ipt_otp_no: 'n',
    status: 'open',
    info: '{}',
    request_hash: 'h',
    actor: 'a',
    created_at: 1,
    updated_at: 1,
  };
  await db
    .insertInto('national_visits')
    .values([
      { ...nv, mdtrt_id: 'MD-1', psn_no: 'M-P1', endtime: null, request_id: '2201:H1:1' },
      { ...nv, mdtrt_id: 'MD-2', psn_no: 'M-P2', endtime: 2, request_id: '2201:H1:2' },
    ])
    .execute();
  await db
    .insertInto('fee_details')
    .values([
      { ...fee, ...amounts, id: 'F-1', upload_request: 'u1', cancelled_at: 2, cancel_request: 'c1' },
      { ...fee, ...amounts, id: 'F-2', upload_request: 'u2', cancelled_at: null, cancel_request: null },
    ])
    .execute();
  await db
    .insertInto('national_reversals')
    .values({ institution_id: 'H1', oinfno: '2207', omsgid: 'm1', psn_no: 'M-P1', msgid: 'r1', target: 'S-1', reversal_id: 'R-1', actor: 'a', created_at: 1 })
    .execute();
}

/** A fee detail of MD-1 (serial number 1), as 0011 stored it. */
const fee = { institution_id: 'H1', mdtrt_id: 'MD-1', psn_no: 'M-P1', feedetl_sn: '1', fee_ocur_time: 1, med_list_codg: 'x', medins_list_codg: 'y', cnt: '1', pric: '1' };
const amounts = { sumamt_fen: 100, listed: 1, fulamt_ownpay_fen: 0, overlmt_fen: 0, preselfpay_fen: 0, inscp_scp_fen: 100, memo: '', body: '{}', uploaded_at: 1 };

async function rowsOf(db: AnyDb, table: string): Promise<Record<string, unknown>[]> {
  let q = db.selectFrom(table).selectAll();
  for (const c of REBUILT[table] ?? []) q = q.orderBy(c);
  const rows = (await q.execute()) as Record<string, unknown>[];
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !(ADDED[table] ?? []).includes(k))));
}

/** Every index of the rebuilt tables: `table pk(columns)`, `table name unique(columns)`, `table name(columns)`. */
async function indexesOfRebuilt(store: LedgerDb): Promise<string[]> {
  const out: string[] = [];
  for (const table of Object.keys(REBUILT)) {
    for (const ix of await indexesOf(store, table))
      out.push(`${table} ${ix.primary ? 'pk' : `${ix.name}${ix.unique ? ' unique' : ''}${ix.partial ? ' partial' : ''}`}(${ix.columns})`);
  }
  return out.sort();
}

const VISIT = { time: '2024-03-02T10:00:00+08:00', type: 'outpatient', institution: { id: 'H1', tier: 'county', grade: 2, contracted: true }, total: 200, eligible: 180 };
const req = (requestId: string, person: string, visit: string) =>
  parseSettleOne({ requestId, person: { id: person, region: '410300', scheme: 'resident', category: 'adult' }, visit: { ...VISIT, id: visit } }, policies);

for (const kind of ['sqlite', 'postgres'] as const) {
  describe.skipIf(kind === 'postgres' && !pgAvailable)(`migration 0012 on ${kind}`, () => {
    it('keeps every row of every rebuilt table, with the person in every key, and the ledger works on it', async () => {
      const upTo = '0011_national';
      const store = kind === 'sqlite' ? await freshSqlite({ upTo }) : await freshPostgres(4, upTo);
      onTestFinished(() => store.close());
      const db = store.db as AnyDb;
      await seed(db);
      const before: Record<string, Record<string, unknown>[]> = {};
      for (const t of Object.keys(REBUILT)) before[t] = await rowsOf(db, t);

      expect(await migrateToLatest(store.db)).toEqual(['0012_person_keys', '0013_partial_keys', '0014_entry_compression']);

      for (const t of Object.keys(REBUILT)) {
        const after = await rowsOf(db, t);
        expect(after.length, t).toBe(before[t]?.length);
        expect(after, t).toEqual(before[t]);
      }
      // The holder id of an account's rows is its account's holder's.
      for (const t of ['account_holders', 'account_entries']) {
        const rows = await db.selectFrom(t).select(['holder_id', 'account_id']).execute();
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) expect(r.holder_id, t).toBe(r.account_id === 'PA-1' ? 'M-P1' : 'M-P2');
      }
      expect(await indexesOfRebuilt(store)).toEqual(
        [
          'settlement_layers settlement_layers_person(person_id,year,bucket)',
          'settlement_layers pk(person_id,settlement_id,bucket,year)',
          'settlements settlements_id(id)',
          'settlements settlements_institution_time(institution_id,created_at)',
          'settlements settlements_person(person_id,created_at)',
          'settlements pk(person_id,id)',
          'settlements settlements_request unique(person_id,request_id)',
          'settlements settlements_reverses unique partial(person_id,reverses)',
          'settlements settlements_time(created_at)',
          'settlements settlements_visit(institution_id,visit_id)',
          'visits pk(person_id,institution_id,id)',
          'enrollments pk(person_id,id)',
          'enrollments enrollments_request unique partial(person_id,request_id)',
          'enrollments enrollments_person_year(person_id,coverage_year)',
          'accounts pk(holder_id,id)',
          'accounts accounts_id(id)',
          'accounts accounts_holder(holder_id,kind)',
          'account_holders pk(holder_id,account_id,from_month)',
          'account_entries pk(holder_id,id)',
          'account_entries account_entries_seq unique(holder_id,account_id,seq)',
          'account_entries account_entries_period unique(holder_id,account_id,period)',
          'account_entries account_entries_request unique(holder_id,request_id)',
          'account_entries account_entries_period_idx(period)',
          'national_visits pk(psn_no,mdtrt_id)',
          'national_visits national_visits_request unique(psn_no,request_id)',
          'national_visits national_visits_mdtrt(mdtrt_id)',
          'national_visits national_visits_institution(institution_id,ipt_otp_no)',
          'national_visits national_visits_person(psn_no,begntime)',
          'fee_details pk(psn_no,id)',
          'fee_details fee_details_visit(institution_id,mdtrt_id,uploaded_at)',
          'fee_details fee_details_upload(upload_request)',
          'fee_details fee_details_live_sn unique partial(psn_no,institution_id,mdtrt_id,feedetl_sn)',
          'national_reversals pk(psn_no,institution_id,oinfno,omsgid)',
          'national_reversals national_reversals_message(institution_id,oinfno,omsgid)',
        ].sort(),
      );
      if (store.dialect === 'sqlite') {
        expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows[0]?.foreign_keys).toBe(1);
        expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([]);
        const fks = (await sql<{ table: string; from: string; to: string }>`select "table", "from", "to" from pragma_foreign_key_list('settlements')`.execute(db)).rows;
        expect(fks).toEqual(
          expect.arrayContaining([
            { table: 'settlements', from: 'person_id', to: 'person_id' },
            { table: 'settlements', from: 'reverses', to: 'id' },
          ]),
        );
      }
      // A reversal must be its own person's: another person's settlement id is refused by the key.
      await expect(
        db
          .insertInto('settlements')
          .values(settlement('R-x', 'M-P2', 'm-x', 'reversal', 'S-1', 'M-V2', -1))
          .execute(),
      ).rejects.toThrow(/foreign key/i);
      // 0013: the key of reversals holds reversals only, and still refuses a second reversal of
      // one settlement; settlements that reverse nothing (null) were never in conflict.
      await expect(
        db
          .insertInto('settlements')
          .values(settlement('R-y', 'M-P1', 'm-y', 'reversal', 'S-1', 'M-V1', -1))
          .execute(),
      ).rejects.toThrow(/unique|duplicate key/i);

      // The ledger on the migrated store: a settle, its retry, the request id reused by another
      // person (another request), and a reversal.
      const ledger = new Ledger(store, engine);
      await ledger.ready;
      const first = await ledger.settle(req('n-1', 'M-P1', 'M-V3'), agency);
      expect(first.created).toBe(true);
      expect((await ledger.settle(req('n-1', 'M-P1', 'M-V3'), agency)).entry.id).toBe(first.entry.id);
      await expect(ledger.settle(req('m-1', 'M-P1', 'M-V3'), agency)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      expect((await ledger.settle(req('n-1', 'M-P3', 'M-V4'), agency)).created).toBe(true);
      expect((await ledger.reverse(first.entry.id, 'n-1-rev', agency)).created).toBe(true);
      await expect(ledger.reverse('S-2', 'm-2-rev', agency)).resolves.toMatchObject({ created: true });
      await expect(ledger.reverse('S-1', 'm-1-rev-again', agency)).rejects.toMatchObject({ code: 'ALREADY_REVERSED' });
      if (store.dialect === 'postgres') {
        // 0014: an entry stored from now on is compressed with lz4 (this server has it), and reads
        // back as written; the entries stored before keep theirs.
        const column = await sql<{ c: string }>`select attcompression as c from pg_attribute where attrelid = 'settlements'::regclass and attname = 'body'`.execute(db);
        expect(column.rows[0]?.c).toBe('l');
        const stored = (await sql<{ m: string | null; body: string }>`select pg_column_compression(body) as m, body from settlements where id = ${first.entry.id}`.execute(db))
          .rows[0];
        expect(stored?.m).toBe('lz4');
        expect(stored?.body).toBe(first.body);
      }
      // Still one live fee detail per serial number (the partial index, made again).
      await expect(
        db
          .insertInto('fee_details')
          .values({ ...fee, ...amounts, id: 'F-3', upload_request: 'u3' })
          .execute(),
      ).rejects.toThrow(/unique|duplicate key/i);
      // An account's rows must be its holder's: an entry naming another holder is refused by the key.
      const stray = { id: 'x', holder_id: 'M-P2', account_id: 'PA-1', seq: 9, kind: 'credit', entry_date: '2024-01-31', amount_fen: 1, balance_after_fen: 1 };
      await expect(
        db
          .insertInto('account_entries')
          .values({ ...stray, source: 's', text: 't', body: '{}', actor: 'a', created_at: 1 })
          .execute(),
      ).rejects.toThrow(/foreign key/i);
      if (store.dialect === 'sqlite') {
        const fks = (await sql<{ table: string; from: string; to: string }>`select "table", "from", "to" from pragma_foreign_key_list('account_entries')`.execute(db)).rows;
        expect(fks).toEqual([
          { table: 'accounts', from: 'holder_id', to: 'holder_id' },
          { table: 'accounts', from: 'account_id', to: 'id' },
        ]);
      }
    });
  });
}
