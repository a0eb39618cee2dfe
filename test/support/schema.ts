/**
 * A table's keys and indexes as the store holds them, the same shape on both stores: SQLite from
 * `pragma_table_info` (the primary key: a rowid alias has no index of its own) and
 * `pragma_index_list`; PostgreSQL from `pg_index`.
 */
import { sql } from 'kysely';
import type { LedgerDb } from '../../src/ledger/connect.js';

export interface IndexInfo {
  /** The index's name (SQLite's primary key: ''). */
  name: string;
  primary: boolean;
  unique: boolean;
  /** Of some rows only (a WHERE clause). */
  partial: boolean;
  columns: string[];
}

export async function indexesOf(store: LedgerDb, table: string): Promise<IndexInfo[]> {
  const db = store.db;
  if (store.dialect === 'sqlite') {
    const out: IndexInfo[] = [];
    const info = (await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${table})`.execute(db)).rows;
    const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    if (pk.length > 0) out.push({ name: '', primary: true, unique: true, partial: false, columns: pk.map((c) => c.name) });
    const list = (await sql<{ name: string; unique: number; origin: string; partial: number }>`select name, "unique", origin, partial from pragma_index_list(${table})`.execute(db))
      .rows;
    for (const ix of list) {
      if (ix.origin === 'pk') continue;
      const cols = (await sql<{ name: string; seqno: number }>`select name, seqno from pragma_index_info(${ix.name})`.execute(db)).rows;
      out.push({ name: ix.name, primary: false, unique: ix.unique === 1, partial: ix.partial === 1, columns: cols.sort((a, b) => a.seqno - b.seqno).map((c) => c.name) });
    }
    return out;
  }
  return (
    await sql<IndexInfo>`
      select c.relname as name, i.indisprimary as primary, i.indisunique as unique, i.indpred is not null as partial,
             array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
                     join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n) as columns
        from pg_index i join pg_class t on t.oid = i.indrelid join pg_class c on c.oid = i.indexrelid
       where t.relname = ${table} and t.relnamespace = to_regnamespace(current_schema())`.execute(db)
  ).rows;
}
