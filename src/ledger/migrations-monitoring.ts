/** Migration 0010 (issue 14): watching the fund. */
import type { Kysely, Migration } from 'kysely';
import { atomically } from './migration-step.js';

export const monitoringMigration: Migration = {
  // Watching the fund (issue 14): the agency's settings (thresholds, margins, rule parameters:
  // versioned, never defaulted), budgets and budget-account payments, where institutions are and
  // what kind they are, supervision runs and their findings (leads) with every status change.
  async up(db: Kysely<unknown>) {
    await atomically(db, async () => {
      await db.schema
        .createTable('monitoring_settings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitoring_settings_key').on('monitoring_settings').columns(['key', 'id']).execute();
      await db.schema
        .createTable('budgets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('area', 'text', (c) => c.notNull())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('basis', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('request_id', 'text', (c) => c.notNull().unique())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('budgets_area_year').on('budgets').columns(['area', 'year', 'account', 'recorded_at']).execute();
      await db.schema
        .createTable('budget_payments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('area', 'text', (c) => c.notNull())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('paid_on', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('request_id', 'text', (c) => c.notNull().unique())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('budget_payments_area_year').on('budget_payments').columns(['area', 'year', 'account']).execute();
      await db.schema
        .createTable('institution_sites')
        .addColumn('institution_id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('longitude_e6', 'bigint')
        .addColumn('latitude_e6', 'bigint')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('supervision_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('span_from', 'bigint', (c) => c.notNull())
        .addColumn('span_to', 'bigint', (c) => c.notNull())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('supervision_runs_kind').on('supervision_runs').columns(['kind', 'span_to']).execute();
      await db.schema
        .createTable('findings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('visit_id', 'text')
        .addColumn('institution_id', 'text')
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('sev_deg', 'text', (c) => c.notNull())
        .addColumn('bhvr_type', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('happened_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('findings_status').on('findings').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('findings_institution').on('findings').columns(['institution_id', 'created_at']).execute();
      await db.schema.createIndex('findings_rule').on('findings').columns(['rule_id', 'created_at']).execute();
      await db.schema.createIndex('findings_person').on('findings').columns(['person_id', 'created_at']).execute();
      await db.schema
        .createTable('finding_status')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('finding_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('finding_status_finding').on('finding_status').columns(['finding_id', 'at']).execute();
    });
  },
};
