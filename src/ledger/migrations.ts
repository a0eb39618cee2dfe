/**
 * Versioned migrations, in code so they ship with the build. Each runs once, in order, recorded
 * by Kysely's migrator in `kysely_migration`. Written with the schema builder so the same
 * migration creates the same tables on SQLite and PostgreSQL.
 */
import { sql, SqliteAdapter, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { atomically } from './migration-step.js';
import { monitoringMigration } from './migrations-monitoring.js';
import { nationalMigration } from './migrations-national.js';
import { partialKeysMigration } from './migrations-partial-keys.js';
import { entryCompressionMigration } from './migrations-entry-compression.js';
import { personKeysMigration } from './migrations-person-keys.js';

const migrations: Record<string, Migration> = {
  '0001_ledger': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('persons')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('scheme', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('hardship', 'text')
        .addColumn('family_doctor_at', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('enrollments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('coverage_year', 'integer', (c) => c.notNull())
        .addColumn('paid_on', 'text', (c) => c.notNull())
        .addColumn('transfer', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('amount_fen', 'bigint')
        .addColumn('payer', 'text')
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('enrollments_person_year').on('enrollments').columns(['person_id', 'coverage_year']).execute();

      await db.schema
        .createTable('institutions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text')
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('grade', 'integer', (c) => c.notNull())
        .addColumn('contracted', 'integer', (c) => c.notNull())
        .addColumn('region', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('visits')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('time_ms', 'bigint', (c) => c.notNull())
        .addColumn('visit_date', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('total_fen', 'bigint', (c) => c.notNull())
        .addColumn('eligible_fen', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('settlements')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull().unique())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('reverses', 'text', (c) => c.unique().references('settlements.id'))
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('visit_id', 'text', (c) => c.notNull())
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('visit_date', 'text', (c) => c.notNull())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('benefit', 'text', (c) => c.notNull())
        .addColumn('eligibility', 'text', (c) => c.notNull())
        .addColumn('total_fen', 'bigint', (c) => c.notNull())
        .addColumn('eligible_fen', 'bigint', (c) => c.notNull())
        .addColumn('deductible_fen', 'bigint', (c) => c.notNull())
        .addColumn('fund_pay_fen', 'bigint', (c) => c.notNull())
        .addColumn('critical_illness_pay_fen', 'bigint', (c) => c.notNull())
        .addColumn('assistance_pay_fen', 'bigint', (c) => c.notNull())
        .addColumn('account_pay_fen', 'bigint', (c) => c.notNull())
        .addColumn('cash_pay_fen', 'bigint', (c) => c.notNull())
        .addColumn('cap_bucket', 'text')
        .addColumn('cap_year', 'integer')
        .addColumn('cap_before_fen', 'bigint')
        .addColumn('cap_after_fen', 'bigint')
        .addColumn('window_bucket', 'text')
        .addColumn('window_opened_at', 'bigint')
        .addColumn('window_day', 'integer')
        .addColumn('window_borne_after_fen', 'bigint')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('settlements_person').on('settlements').columns(['person_id', 'created_at']).execute();
      await db.schema.createIndex('settlements_institution').on('settlements').columns(['institution_id']).execute();
      // A visit is settled at most once, unless that settlement is reversed: enforced in the
      // transaction (the reversal is another row with the same visit id).
      await db.schema.createIndex('settlements_visit').on('settlements').columns(['visit_id']).execute();

      await db.schema
        .createTable('cap_usage')
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('used_fen', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('cap_usage_pk', ['person_id', 'year', 'bucket'])
        .execute();

      await db.schema
        .createTable('deductible_windows')
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('borne_fen', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('deductible_windows_pk', ['person_id', 'bucket', 'institution_id'])
        .execute();

      // SQLite assigns an INTEGER PRIMARY KEY from its rowid; PostgreSQL needs an identity column.
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      await db.schema
        .createTable('audit_log')
        .addColumn('id', sqlite ? 'integer' : 'bigint', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity()))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('institution_id', 'text')
        .addColumn('label', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
    },
  },
  '0002_lighter_settlement_writes': {
    // Every index on settlements is written by every settle. Nothing reads settlements by
    // institution alone (an institution's view is always of one person's entries, or of one
    // entry), so settlements_institution only cost a page per settle.
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('settlements_institution').execute();
    },
  },
  '0003_enrollment_records': {
    // Payments recorded on their own (POST /v1/persons/{id}/enrollments, yibao enrollment record):
    // the client's request id (idempotency) and the hash of what it sent, who recorded it, and the
    // person as they enrolled (the wait's exemptions are for who enrolled: 新生儿、困难群众…参保).
    // All null on the rows a settle stores with its visit. One ADD COLUMN per statement (SQLite).
    async up(db: Kysely<unknown>) {
      for (const column of ['request_id', 'request_hash', 'actor', 'region', 'scheme', 'category', 'hardship']) {
        await db.schema.alterTable('enrollments').addColumn(column, 'text').execute();
      }
      await db.schema.createIndex('enrollments_request').unique().on('enrollments').column('request_id').execute();
    },
  },
  '0004_accounts': {
    // Personal accounts (个人账户, 个人（家庭）账户): the account, its holder's details by month
    // (what the monthly credit needs), and its entries — immutable rows, never edited. The unique
    // indexes make a retry or a second run of a month harmless: one entry per (account, seq), one
    // credit per (account, month), one entry per request id. balance_fen and seq on the account
    // row are derived (the last entry's), kept for speed and locked by every write; verify
    // recomputes them from the entries.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('holder_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('members', 'text')
        .addColumn('opened_on', 'text', (c) => c.notNull())
        .addColumn('closed_on', 'text')
        .addColumn('balance_fen', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('accounts_holder').on('accounts').columns(['holder_id', 'kind']).execute();

      await db.schema
        .createTable('account_holders')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('from_month', 'text', (c) => c.notNull())
        .addColumn('category', 'text')
        .addColumn('contribution_base_fen', 'bigint')
        .addColumn('pays_at_employer_rate', 'integer')
        .addColumn('required_years_met', 'integer')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('account_holders_pk', ['account_id', 'from_month'])
        .execute();

      await db.schema
        .createTable('account_entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('entry_date', 'text', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('balance_after_fen', 'bigint', (c) => c.notNull())
        .addColumn('period', 'text')
        .addColumn('ref', 'text')
        .addColumn('settlement_id', 'text')
        .addColumn('visit_id', 'text')
        .addColumn('member_id', 'text')
        .addColumn('relation', 'text')
        .addColumn('purpose', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.unique())
        .addColumn('request_hash', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('account_entries_seq', ['account_id', 'seq'])
        .addUniqueConstraint('account_entries_period', ['account_id', 'period'])
        .execute();
      await db.schema.createIndex('account_entries_period_idx').on('account_entries').columns(['period']).execute();
    },
  },
  '0005_settlement_layers': {
    // The fund chain after the basic fund (大病保险, 医疗救助) accumulates yearly totals in cap_usage;
    // an entry that changes them records each change here, reversals the opposite.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('settlement_layers')
        .addColumn('settlement_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('change_fen', 'bigint', (c) => c.notNull())
        .addColumn('after_fen', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('settlement_layers_pk', ['settlement_id', 'bucket', 'year'])
        .execute();
      await db.schema.createIndex('settlement_layers_person').on('settlement_layers').columns(['person_id', 'year', 'bucket']).execute();
    },
  },
  '0006_deductible_windows_by_day': {
    // A deductible window is the visit's own China day (accumulators.ts DeductibleWindow), and a
    // person has one at an institution for every day a deductible was borne there: a late visit
    // finds its own day's window whatever came after it. Until now only the institution's last
    // window was kept (keyed without the day), so an earlier day's was lost when a later day's
    // opened. The table is rebuilt keyed by the day, from the entries: each window holds what its
    // entries bore (reversals negative), as verify recomputes it — the rows kept until now, and
    // the windows they had overwritten. opened_at (the visit that opened a 24-hour window) goes.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('deductible_windows_by_day')
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('borne_fen', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('deductible_windows_day_pk', ['person_id', 'bucket', 'institution_id', 'day'])
        .execute();
      await sql`insert into deductible_windows_by_day (person_id, bucket, institution_id, day, borne_fen)
                select person_id, window_bucket, institution_id, window_day, sum(deductible_fen)
                  from settlements
                 where window_bucket is not null and window_day is not null
                 group by person_id, window_bucket, institution_id, window_day
                having sum(deductible_fen) > 0`.execute(db);
      await db.schema.dropTable('deductible_windows').execute();
      await db.schema.alterTable('deductible_windows_by_day').renameTo('deductible_windows').execute();
    },
  },
  '0007_visits_by_institution': {
    // A visit's identity is its institution and its id (就诊ID is the institution's number): H2's
    // visit VA9 is not H1's VA9. The visits table is keyed so, and a settlement's visit is looked
    // up so. Rebuilt and copied (SQLite cannot change a primary key in place; one way for both).
    // The person registry gets the employee attributes that change benefits: employment
    // (用人单位职工 or 灵活就业人员) and whether the account structure was adjusted (0/1).
    async up(db: Kysely<unknown>) {
      await atomically(db, async () => {
        await db.schema
          .createTable('visits_0007')
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
          .addColumn('institution_id', 'text', (c) => c.notNull())
          .addColumn('time_ms', 'bigint', (c) => c.notNull())
          .addColumn('visit_date', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('total_fen', 'bigint', (c) => c.notNull())
          .addColumn('eligible_fen', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('visits_pk', ['institution_id', 'id'])
          .execute();
        await sql`insert into visits_0007 (id, person_id, institution_id, time_ms, visit_date, type, total_fen, eligible_fen)
                  select id, person_id, institution_id, time_ms, visit_date, type, total_fen, eligible_fen from visits`.execute(db);
        await db.schema.dropTable('visits').execute();
        await db.schema.alterTable('visits_0007').renameTo('visits').execute();
        await db.schema.dropIndex('settlements_visit').execute();
        await db.schema.createIndex('settlements_visit').on('settlements').columns(['institution_id', 'visit_id']).execute();
        // One ADD COLUMN per statement (SQLite).
        await db.schema.alterTable('persons').addColumn('employment', 'text').execute();
        await db.schema.alterTable('persons').addColumn('account_reformed', 'integer').execute();
      });
    },
  },
  '0008_audit_queries': {
    // GET /v1/audit and `yibao audit` filter by actor, target and time and page by id: who did
    // what, what was done to a record, what happened when. The refusals and personal-data reads
    // the service now records make the log much longer than the ledger's writes alone.
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor', 'id']).execute();
      await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target', 'id']).execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
    },
  },
  '0009_clearing': {
    // The agency's month (issue 13): paying centres (经办机构), districts and which centre pays each
    // institution; closed months and their immutable statements; remitted funds; reconciliations.
    // Settlements get an index on their time: a month's close reads one month, not the ledger.
    async up(db: Kysely<unknown>) {
      await atomically(db, async () => {
        await db.schema
          .createTable('paying_centres')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('level', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('district', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('districts')
          .addColumn('code', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('region', 'text', (c) => c.notNull())
          .addColumn('level', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('institution_clearing')
          .addColumn('institution_id', 'text', (c) => c.primaryKey())
          .addColumn('district', 'text', (c) => c.notNull())
          .addColumn('centre_id', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.alterTable('persons').addColumn('district', 'text').execute();
        await db.schema.createIndex('settlements_time').on('settlements').column('created_at').execute();
        // An institution's entries of a span (a reconciliation, a statement's entries): 0002 dropped
        // the institution's index when nothing read by institution; now the agency's month does.
        await db.schema.createIndex('settlements_institution_time').on('settlements').columns(['institution_id', 'created_at']).execute();
        await db.schema
          .createTable('clearing_periods')
          .addColumn('period', 'text', (c) => c.primaryKey())
          .addColumn('closed_at', 'bigint', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('entries', 'bigint', (c) => c.notNull())
          .addColumn('statements', 'integer', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('clearing_statements')
          .addColumn('period', 'text', (c) => c.notNull())
          .addColumn('institution_id', 'text', (c) => c.notNull())
          .addColumn('centre_id', 'text', (c) => c.notNull())
          .addColumn('settlements', 'bigint', (c) => c.notNull())
          .addColumn('reversals', 'bigint', (c) => c.notNull())
          .addColumn('medfee_sumamt', 'bigint', (c) => c.notNull())
          .addColumn('fund_pay_sumamt', 'bigint', (c) => c.notNull())
          .addColumn('acct_pay', 'bigint', (c) => c.notNull())
          .addColumn('cash_payamt', 'bigint', (c) => c.notNull())
          .addColumn('payable_fen', 'bigint', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('clearing_statements_pk', ['period', 'institution_id'])
          .execute();
        await db.schema.createIndex('clearing_statements_centre').on('clearing_statements').columns(['centre_id', 'period']).execute();
        await db.schema.createIndex('clearing_statements_institution').on('clearing_statements').columns(['institution_id', 'period']).execute();
        await db.schema
          .createTable('clearing_districts')
          .addColumn('period', 'text', (c) => c.notNull())
          .addColumn('district', 'text', (c) => c.notNull())
          .addColumn('centre_id', 'text', (c) => c.notNull())
          .addColumn('entries', 'bigint', (c) => c.notNull())
          .addColumn('fund_pay_sumamt', 'bigint', (c) => c.notNull())
          .addColumn('acct_pay', 'bigint', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('clearing_districts_pk', ['period', 'district', 'centre_id'])
          .execute();
        await db.schema
          .createTable('remittances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('district', 'text', (c) => c.notNull())
          .addColumn('period', 'text', (c) => c.notNull())
          .addColumn('amount_fen', 'bigint', (c) => c.notNull())
          .addColumn('remitted_on', 'text', (c) => c.notNull())
          .addColumn('note', 'text')
          .addColumn('request_hash', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('recorded_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('remittances_district').on('remittances').columns(['district', 'period']).execute();
        await db.schema
          .createTable('reconciliations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('institution_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('span_from', 'text', (c) => c.notNull())
          .addColumn('span_to', 'text', (c) => c.notNull())
          .addColumn('balanced', 'integer', (c) => c.notNull())
          .addColumn('summary', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('reconciliations_institution').on('reconciliations').columns(['institution_id', 'created_at']).execute();
        // Day-end (日结): a China day that has ended takes no more entries, so its entries are summed
        // once (clearing-days.ts); a month's close adds up its days.
        await db.schema
          .createTable('clearing_days')
          .addColumn('day', 'integer', (c) => c.notNull())
          .addColumn('institution_id', 'text', (c) => c.notNull())
          .addColumn('district', 'text', (c) => c.notNull())
          .addColumn('policy', 'text', (c) => c.notNull())
          .addColumn('benefit', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('adjustment', 'integer', (c) => c.notNull())
          .addColumn('entries', 'bigint', (c) => c.notNull())
          .addColumn('total_fen', 'bigint', (c) => c.notNull())
          .addColumn('fund_fen', 'bigint', (c) => c.notNull())
          .addColumn('critical_fen', 'bigint', (c) => c.notNull())
          .addColumn('assistance_fen', 'bigint', (c) => c.notNull())
          .addColumn('account_fen', 'bigint', (c) => c.notNull())
          .addColumn('cash_fen', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('clearing_days_pk', ['day', 'institution_id', 'district', 'policy', 'benefit', 'kind', 'adjustment'])
          .execute();
        await db.schema
          .createTable('clearing_rolled_days')
          .addColumn('day', 'integer', (c) => c.primaryKey())
          .addColumn('entries', 'bigint', (c) => c.notNull())
          .addColumn('rolled_at', 'bigint', (c) => c.notNull())
          .execute();
      });
    },
  },
  '0010_monitoring': monitoringMigration,
  '0011_national': nationalMigration,
  '0012_person_keys': personKeysMigration,
  '0013_partial_keys': partialKeysMigration,
  '0014_entry_compression': entryCompressionMigration,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
