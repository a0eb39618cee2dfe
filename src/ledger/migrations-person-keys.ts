/**
 * Migration 0012 (issue 17): the person id in every person-scoped table's primary key and unique
 * keys (docs/scale.md, "Is the schema ready?"), so that a ledger distributed by person checks each
 * key on one person's shard.
 *
 * SQLite cannot change a primary key in place, so each table is rebuilt and copied, on both stores
 * alike (as 0007 did for visits): every new table is created beside the old one under a temporary
 * name and filled from it, then the old ones are dropped (children first), the new ones renamed,
 * and every index made again. A foreign key that names a rebuilt table names its new key (SQLite
 * refuses a foreign key to columns that are not a key: "foreign key mismatch"). The new primary
 * keys are named `<table>_person_pk` (PostgreSQL names a key's index like a table: the old key's
 * name is still taken while the old table is there). There are no triggers or views to make again.
 *
 * A lookup by an id alone (a settlement by id, an account by id) is served by a secondary index on
 * the id, not unique: a distributed engine checks a unique key on one shard only, and the ids are
 * unique by construction (ids.ts: time, a counter and 62 random bits; an account's id is checked
 * under a lock when it is opened).
 */
import { type Kysely, type Migration, SqliteAdapter, sql } from 'kysely';
import { atomically } from './migration-step.js';

/** A table's columns, `name type` with `!` for not null and `=0` for a default of 0, comma-separated. */
type Columns = string;

interface Index {
  columns: string[];
  unique?: boolean;
  /** A partial index: of the rows where this column is null. */
  whereNull?: string;
  /** Why it is there: the query it serves. */
  serves: string;
}

interface Rebuilt {
  table: string;
  columns: Columns;
  pk: string[];
  /** Foreign keys: columns → table(columns), the table possibly one rebuilt here. */
  references?: { name: string; columns: string[]; table: string; to: string[] }[];
  /** What fills a column the old table does not have (an SQL expression over the old row, `o`). */
  filled?: Record<string, string>;
  indexes: Record<string, Index>;
}

const SETTLEMENTS: Rebuilt = {
  table: 'settlements',
  columns: `id text!, request_id text!, request_hash text!, kind text!, reverses text, person_id text!, visit_id text!, institution_id text!,
    visit_date text!, year integer!, policy text!, benefit text!, eligibility text!, total_fen bigint!, eligible_fen bigint!, deductible_fen bigint!,
    fund_pay_fen bigint!, critical_illness_pay_fen bigint!, assistance_pay_fen bigint!, account_pay_fen bigint!, cash_pay_fen bigint!,
    cap_bucket text, cap_year integer, cap_before_fen bigint, cap_after_fen bigint, window_bucket text, window_opened_at bigint, window_day integer,
    window_borne_after_fen bigint, body text!, actor text!, created_at bigint!`,
  pk: ['person_id', 'id'],
  references: [
    { name: 'settlements_person_fk', columns: ['person_id'], table: 'persons', to: ['id'] },
    // A reversal is the same person's entry as the settlement it reverses.
    { name: 'settlements_reverses_fk', columns: ['person_id', 'reverses'], table: 'settlements', to: ['person_id', 'id'] },
  ],
  indexes: {
    settlements_request: {
      columns: ['person_id', 'request_id'],
      unique: true,
      serves: "idempotency: a retry's original entry, the person's request id (statements.ts read, replay)",
    },
    settlements_reverses: { columns: ['person_id', 'reverses'], unique: true, serves: 'a settlement is reversed at most once; whether it was (the live settlement of a visit)' },
    settlements_id: { columns: ['id'], serves: 'an entry by its id alone: GET /v1/settlements/{id}, a reversal naming the settlement (reverse.ts)' },
    settlements_person: { columns: ['person_id', 'created_at'], serves: "a person's entries in time order" },
    settlements_visit: { columns: ['institution_id', 'visit_id'], serves: "the visit's live settlement, whoever settled it (statements.ts read: a visit is settled once)" },
    settlements_time: { columns: ['created_at'], serves: "a month's or a day's entries (clearing)" },
    settlements_institution_time: { columns: ['institution_id', 'created_at'], serves: "an institution's entries of a span (reconciliations, statements)" },
  },
};

const VISITS: Rebuilt = {
  table: 'visits',
  columns: 'id text!, person_id text!, institution_id text!, time_ms bigint!, visit_date text!, type text!, total_fen bigint!, eligible_fen bigint!',
  pk: ['person_id', 'institution_id', 'id'],
  references: [{ name: 'visits_person_fk', columns: ['person_id'], table: 'persons', to: ['id'] }],
  // None: a visit is read with its settlement's person (supervision-visit-types.ts); that a visit
  // is settled once is kept by the settlements' index on (institution_id, visit_id).
  indexes: {},
};

const SETTLEMENT_LAYERS: Rebuilt = {
  table: 'settlement_layers',
  columns: 'settlement_id text!, person_id text!, year integer!, bucket text!, change_fen bigint!, after_fen bigint!',
  pk: ['person_id', 'settlement_id', 'bucket', 'year'],
  indexes: {
    settlement_layers_person: { columns: ['person_id', 'year', 'bucket'], serves: "verify: a person's yearly totals from the entries" },
  },
};

const ENROLLMENTS: Rebuilt = {
  table: 'enrollments',
  columns: `id text!, person_id text!, coverage_year integer!, paid_on text!, transfer integer!=0, amount_fen bigint, payer text, recorded_at bigint!,
    request_id text, request_hash text, actor text, region text, scheme text, category text, hardship text`,
  pk: ['person_id', 'id'],
  references: [{ name: 'enrollments_person_fk', columns: ['person_id'], table: 'persons', to: ['id'] }],
  indexes: {
    enrollments_request: { columns: ['person_id', 'request_id'], unique: true, serves: "idempotency of a recorded payment: the person's request id (enrollments.ts record)" },
    enrollments_person_year: { columns: ['person_id', 'coverage_year'], serves: "the settle's read: the person's payments for the visit's year (statements.ts read)" },
  },
};

const ACCOUNTS: Rebuilt = {
  table: 'accounts',
  columns: `id text!, kind text!, holder_id text!, region text!, members text, opened_on text!, closed_on text, balance_fen bigint!, seq integer!,
    request_hash text!, created_at bigint!, updated_at bigint!`,
  pk: ['holder_id', 'id'],
  indexes: {
    accounts_id: { columns: ['id'], serves: 'an account by its id alone: every operation on it, GET /v1/accounts/{id}, an open (one id, checked under its lock)' },
    accounts_holder: { columns: ['holder_id', 'kind'], serves: "the person's open account of a kind (a settle with useAccount; ACCOUNT_EXISTS)" },
  },
};

/** The holder of the account a row of account_holders or account_entries belongs to, when copied. */
const HOLDER = { holder_id: '(select a.holder_id from accounts a where a.id = o.account_id)' };
const OF_ACCOUNT = (name: string) => ({ name, columns: ['holder_id', 'account_id'], table: 'accounts', to: ['holder_id', 'id'] });

const ACCOUNT_HOLDERS: Rebuilt = {
  table: 'account_holders',
  columns: `holder_id text!, account_id text!, from_month text!, category text, contribution_base_fen bigint, pays_at_employer_rate integer,
    required_years_met integer, actor text!, recorded_at bigint!`,
  pk: ['holder_id', 'account_id', 'from_month'],
  references: [OF_ACCOUNT('account_holders_account_fk')],
  filled: HOLDER,
  indexes: {},
};

const ACCOUNT_ENTRIES: Rebuilt = {
  table: 'account_entries',
  columns: `id text!, holder_id text!, account_id text!, seq integer!, kind text!, entry_date text!, amount_fen bigint!, balance_after_fen bigint!,
    period text, ref text, settlement_id text, visit_id text, member_id text, relation text, purpose text, source text!, text text!, body text!,
    request_id text, request_hash text, actor text!, created_at bigint!`,
  pk: ['holder_id', 'id'],
  references: [OF_ACCOUNT('account_entries_account_fk')],
  filled: HOLDER,
  indexes: {
    account_entries_seq: { columns: ['holder_id', 'account_id', 'seq'], unique: true, serves: "one entry per seq; an account's entries in order (loadState)" },
    account_entries_period: { columns: ['holder_id', 'account_id', 'period'], unique: true, serves: 'one credit per month (a second run of a month is harmless)' },
    account_entries_request: { columns: ['holder_id', 'request_id'], unique: true, serves: "idempotency of an operation: the holder's request id (findOperation)" },
    account_entries_period_idx: { columns: ['period'], serves: "a month's credits across accounts (the monthly credit run)" },
  },
};

const NATIONAL_VISITS: Rebuilt = {
  table: 'national_visits',
  columns: `mdtrt_id text!, institution_id text!, psn_no text!, kind text!, insutype text!, med_type text!, begntime bigint!, endtime bigint,
    ipt_otp_no text!, status text!, info text!, request_id text!, request_hash text!, actor text!, created_at bigint!, updated_at bigint!`,
  pk: ['psn_no', 'mdtrt_id'],
  indexes: {
    national_visits_request: {
      columns: ['psn_no', 'request_id'],
      unique: true,
      serves: "idempotency of a registration (2201, 2401): the person's request id (national-visits.ts register)",
    },
    national_visits_mdtrt: { columns: ['mdtrt_id'], serves: 'a visit by its 就诊ID alone, then checked to be the message’s person’s (every 2202–2207, 2301–2305, 2402–2405)' },
    national_visits_institution: { columns: ['institution_id', 'ipt_otp_no'], serves: "an institution's visit by its own number" },
    national_visits_person: { columns: ['psn_no', 'begntime'], serves: "a person's visits in time order" },
  },
};

const FEE_DETAILS: Rebuilt = {
  table: 'fee_details',
  columns: `id text!, institution_id text!, mdtrt_id text!, psn_no text!, feedetl_sn text!, chrg_bchno text, fee_ocur_time bigint!, med_list_codg text!,
    medins_list_codg text!, cnt text!, pric text!, sumamt_fen bigint!, listed integer!, chrgitm_lv text, med_chrgitm_type text, list_type text,
    selfpay_prop text, pric_uplmt_amt text, fulamt_ownpay_fen bigint!, overlmt_fen bigint!, preselfpay_fen bigint!, inscp_scp_fen bigint!, memo text!,
    body text!, upload_request text!, uploaded_at bigint!, cancelled_at bigint, cancel_request text`,
  pk: ['psn_no', 'id'],
  indexes: {
    fee_details_visit: { columns: ['institution_id', 'mdtrt_id', 'uploaded_at'], serves: "a visit's details (a settle's, a cancel's, 5205)" },
    fee_details_upload: { columns: ['upload_request'], serves: 'idempotency of an upload (2204, 2301): the rows of its request' },
    // A visit's live details have distinct serial numbers (both stores take a partial index).
    fee_details_live_sn: { columns: ['psn_no', 'institution_id', 'mdtrt_id', 'feedetl_sn'], unique: true, whereNull: 'cancelled_at', serves: 'one live detail per serial number' },
  },
};

const NATIONAL_REVERSALS: Rebuilt = {
  table: 'national_reversals',
  columns: 'institution_id text!, oinfno text!, omsgid text!, psn_no text!, msgid text!, target text, reversal_id text, actor text!, created_at bigint!',
  pk: ['psn_no', 'institution_id', 'oinfno', 'omsgid'],
  indexes: {
    national_reversals_message: {
      columns: ['institution_id', 'oinfno', 'omsgid'],
      serves: "a message's 冲正 whoever's: an original refused once reversed (2207, 2304, 2401), a 2601 naming another person refused",
    },
  },
};

/** Parents before children: the order of creating; dropping is the reverse. */
const REBUILT: readonly Rebuilt[] = [
  SETTLEMENTS,
  VISITS,
  SETTLEMENT_LAYERS,
  ENROLLMENTS,
  ACCOUNTS,
  ACCOUNT_HOLDERS,
  ACCOUNT_ENTRIES,
  NATIONAL_VISITS,
  FEE_DETAILS,
  NATIONAL_REVERSALS,
];

const NEW = (table: string) => `${table}_0012`;

function parseColumns(columns: Columns): { name: string; type: 'text' | 'integer' | 'bigint'; notNull: boolean; zero: boolean }[] {
  return columns
    .split(',')
    .map((c) => c.trim())
    .map((c) => {
      const [name, spec = ''] = c.split(/\s+/) as [string, string?];
      return { name, type: spec.replace(/[!=0]/g, '') as 'text' | 'integer' | 'bigint', notNull: spec.includes('!'), zero: spec.includes('=0') };
    });
}

async function create(db: Kysely<unknown>, t: Rebuilt, rebuilt: ReadonlySet<string>): Promise<void> {
  let b = db.schema.createTable(NEW(t.table));
  for (const c of parseColumns(t.columns)) {
    b = b.addColumn(c.name, c.type, (col) => {
      const d = c.notNull ? col.notNull() : col;
      return c.zero ? d.defaultTo(0) : d;
    });
  }
  b = b.addPrimaryKeyConstraint(`${t.table}_person_pk`, t.pk as never);
  for (const r of t.references ?? []) {
    b = b.addForeignKeyConstraint(r.name, r.columns as never, rebuilt.has(r.table) ? NEW(r.table) : r.table, r.to);
  }
  await b.execute();
  const names = parseColumns(t.columns).map((c) => c.name);
  const list = sql.join(names.map((n) => sql.ref(n)));
  const values = sql.join(names.map((n) => (t.filled?.[n] ? sql.raw(t.filled[n]) : sql.ref(`o.${n}`))));
  await sql`insert into ${sql.table(NEW(t.table))} (${list}) select ${values} from ${sql.table(t.table)} o`.execute(db);
}

export const personKeysMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    // SQLite: foreign keys off while tables are dropped and renamed (SQLite's own procedure for
    // changing a table), checked before the step is kept. Kysely runs SQLite's migrations outside
    // a transaction, where the pragma takes effect.
    const enforced = sqlite && Number((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows[0]?.foreign_keys) === 1;
    if (enforced) await sql`pragma foreign_keys = off`.execute(db);
    try {
      await atomically(db, async () => {
        const names = new Set(REBUILT.map((t) => t.table));
        for (const t of REBUILT) await create(db, t, names);
        for (const t of [...REBUILT].reverse()) await db.schema.dropTable(t.table).execute();
        for (const t of REBUILT) await db.schema.alterTable(NEW(t.table)).renameTo(t.table).execute();
        for (const t of REBUILT) {
          for (const [name, ix] of Object.entries(t.indexes)) {
            const b = db.schema.createIndex(name).on(t.table).columns(ix.columns);
            const partial = ix.whereNull ? b.where(sql.ref(ix.whereNull), 'is', null) : b;
            await (ix.unique ? partial.unique() : partial).execute();
          }
        }
        if (sqlite) {
          const broken = (await sql<{ table: string }>`pragma foreign_key_check`.execute(db)).rows;
          if (broken.length > 0) throw new Error(`0012: foreign keys broken after the rebuild: ${JSON.stringify(broken.slice(0, 5))}`);
        }
      });
    } finally {
      if (enforced) await sql`pragma foreign_keys = on`.execute(db);
    }
  },
};
