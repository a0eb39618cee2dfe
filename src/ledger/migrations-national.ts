/** Migration 0011 (issue 15): the hospital day over the national interface. */
import { type Kysely, type Migration, sql } from 'kysely';
import { atomically } from './migration-step.js';

export const nationalMigration: Migration = {
  // Sign-ins, persons' identities, the visits the centre registers, their fee details and the
  // 冲正 of messages (schema-national.ts).
  async up(db: Kysely<unknown>) {
    await atomically(db, async () => {
      await db.schema
        .createTable('sign_ins')
        .addColumn('sign_no', 'text', (c) => c.primaryKey())
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('opter_no', 'text', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('signed_in_at', 'bigint', (c) => c.notNull())
        .addColumn('signed_out_at', 'bigint')
        .addColumn('request_id', 'text', (c) => c.notNull().unique())
        .execute();
      await db.schema.createIndex('sign_ins_institution').on('sign_ins').columns(['institution_id', 'signed_in_at']).execute();

      await db.schema
        .createTable('person_identities')
        .addColumn('person_id', 'text', (c) => c.primaryKey())
        .addColumn('psn_cert_type', 'text', (c) => c.notNull())
        .addColumn('certno', 'text', (c) => c.notNull())
        .addColumn('psn_name', 'text', (c) => c.notNull())
        .addColumn('gend', 'text', (c) => c.notNull())
        .addColumn('brdy', 'text')
        .addColumn('naty', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('person_identities_cert').on('person_identities').columns(['psn_cert_type', 'certno']).unique().execute();

      await db.schema
        .createTable('national_visits')
        .addColumn('mdtrt_id', 'text', (c) => c.primaryKey())
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('psn_no', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('insutype', 'text', (c) => c.notNull())
        .addColumn('med_type', 'text', (c) => c.notNull())
        .addColumn('begntime', 'bigint', (c) => c.notNull())
        .addColumn('endtime', 'bigint')
        .addColumn('ipt_otp_no', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('info', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull().unique())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('national_visits_institution').on('national_visits').columns(['institution_id', 'ipt_otp_no']).execute();
      await db.schema.createIndex('national_visits_person').on('national_visits').columns(['psn_no', 'begntime']).execute();

      await db.schema
        .createTable('fee_details')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('mdtrt_id', 'text', (c) => c.notNull())
        .addColumn('psn_no', 'text', (c) => c.notNull())
        .addColumn('feedetl_sn', 'text', (c) => c.notNull())
        .addColumn('chrg_bchno', 'text')
        .addColumn('fee_ocur_time', 'bigint', (c) => c.notNull())
        .addColumn('med_list_codg', 'text', (c) => c.notNull())
        .addColumn('medins_list_codg', 'text', (c) => c.notNull())
        .addColumn('cnt', 'text', (c) => c.notNull())
        .addColumn('pric', 'text', (c) => c.notNull())
        .addColumn('sumamt_fen', 'bigint', (c) => c.notNull())
        .addColumn('listed', 'integer', (c) => c.notNull())
        .addColumn('chrgitm_lv', 'text')
        .addColumn('med_chrgitm_type', 'text')
        .addColumn('list_type', 'text')
        .addColumn('selfpay_prop', 'text')
        .addColumn('pric_uplmt_amt', 'text')
        .addColumn('fulamt_ownpay_fen', 'bigint', (c) => c.notNull())
        .addColumn('overlmt_fen', 'bigint', (c) => c.notNull())
        .addColumn('preselfpay_fen', 'bigint', (c) => c.notNull())
        .addColumn('inscp_scp_fen', 'bigint', (c) => c.notNull())
        .addColumn('memo', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('upload_request', 'text', (c) => c.notNull())
        .addColumn('uploaded_at', 'bigint', (c) => c.notNull())
        .addColumn('cancelled_at', 'bigint')
        .addColumn('cancel_request', 'text')
        .execute();
      await db.schema.createIndex('fee_details_visit').on('fee_details').columns(['institution_id', 'mdtrt_id', 'uploaded_at']).execute();
      await db.schema.createIndex('fee_details_upload').on('fee_details').columns(['upload_request']).execute();
      // A visit's live details have distinct serial numbers (both stores take a partial index).
      await db.schema
        .createIndex('fee_details_live_sn')
        .on('fee_details')
        .columns(['institution_id', 'mdtrt_id', 'feedetl_sn'])
        .unique()
        .where(sql.ref('cancelled_at'), 'is', null)
        .execute();

      await db.schema
        .createTable('national_reversals')
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('oinfno', 'text', (c) => c.notNull())
        .addColumn('omsgid', 'text', (c) => c.notNull())
        .addColumn('psn_no', 'text', (c) => c.notNull())
        .addColumn('msgid', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('reversal_id', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('national_reversals_pk', ['institution_id', 'oinfno', 'omsgid'])
        .execute();
    });
  },
};
