/**
 * Writing a run: its new findings (a key on file is skipped: ON CONFLICT DO NOTHING), then its own
 * row and its audit row, in ONE transaction. A run may write 100,000 findings, so each store is
 * written its fast way: SQLite through the driver's handle, one prepared insert a finding (holding
 * Kysely's connection, as the settle path does); PostgreSQL through a pool client, PG_CHUNK
 * findings a statement as arrays (unnest); any other store through Kysely, KYSELY_CHUNK a statement.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Insertable } from 'kysely';
import type { LedgerDb } from './connect.js';
import type { AuditLogTable, FindingsTable, SupervisionRunsTable } from './schema.js';
import { insertFindings, type FindingRow } from './supervision-findings.js';

/** Findings a PostgreSQL statement inserts. */
const PG_CHUNK = 2_000;

const COLUMNS = [
  'id',
  'key',
  'rule_id',
  'run_id',
  'person_id',
  'visit_id',
  'institution_id',
  'amount_fen',
  'sev_deg',
  'bhvr_type',
  'content',
  'evidence',
  'happened_at',
  'status',
  'status_at',
  'created_at',
] as const satisfies readonly (keyof FindingsTable)[];
const BIGINT = new Set<string>(['amount_fen', 'happened_at', 'status_at', 'created_at']);

/** The run's own rows, made once its findings are in (the summary counts them). */
export interface RunRows {
  run: SupervisionRunsTable;
  audit: Omit<AuditLogTable, 'id'>;
}

const RUN_COLUMNS = ['id', 'kind', 'span_from', 'span_to', 'rules', 'summary', 'actor', 'started_at', 'finished_at'] as const;
const AUDIT_COLUMNS = ['at', 'actor', 'role', 'action', 'target', 'detail'] as const;
const insertSql = (table: string, cols: readonly string[], mark: (i: number) => string) =>
  `insert into ${table} (${cols.join(', ')}) values (${cols.map((_, i) => mark(i)).join(', ')})`;

/** SQLite's `BEGIN IMMEDIATE` without blocking the event loop while another connection writes: tried again for the busy timeout. */
async function beginImmediate(sqlite: BetterSqlite3.Database): Promise<void> {
  const timeout = Number(sqlite.pragma('busy_timeout', { simple: true }));
  const started = Date.now();
  for (let delay = 1; ; delay = Math.min(delay * 2, 16)) {
    sqlite.pragma('busy_timeout = 0');
    try {
      sqlite.prepare('begin immediate').run();
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() - started >= timeout) throw e;
    } finally {
      sqlite.pragma(`busy_timeout = ${timeout}`);
    }
    await new Promise<void>((r) => setTimeout(r, delay));
  }
}

/** Writes the findings, then the run's rows (`then`, told which keys were new), in one transaction; returns the keys inserted. */
export async function writeRunRows(store: LedgerDb, findings: readonly FindingRow[], then: (inserted: Set<string>) => RunRows): Promise<Set<string>> {
  const inserted = new Set<string>();
  const sqlite = store.dialect === 'sqlite' ? store.sqlite : undefined;
  if (sqlite) {
    await store.db.connection().execute(async () => {
      await beginImmediate(sqlite);
      try {
        const insert = sqlite.prepare(`${insertSql('findings', COLUMNS, () => '?')} on conflict (key) do nothing`);
        for (const f of findings) if (insert.run(...COLUMNS.map((c) => f[c] ?? null)).changes === 1) inserted.add(f.key);
        const { run, audit } = then(inserted);
        sqlite.prepare(insertSql('supervision_runs', RUN_COLUMNS, () => '?')).run(...RUN_COLUMNS.map((c) => run[c]));
        sqlite.prepare(insertSql('audit_log', AUDIT_COLUMNS, () => '?')).run(...AUDIT_COLUMNS.map((c) => audit[c]));
        sqlite.prepare('commit').run();
      } catch (e) {
        if (sqlite.inTransaction) sqlite.prepare('rollback').run();
        throw e;
      }
    });
    return inserted;
  }
  if (store.pool) {
    const client = await store.pool.connect();
    try {
      await client.query('begin');
      const unnest = COLUMNS.map((c, i) => `$${i + 1}::${BIGINT.has(c) ? 'bigint' : 'text'}[]`).join(', ');
      const text = `insert into findings (${COLUMNS.join(', ')}) select * from unnest(${unnest}) on conflict (key) do nothing returning key`;
      for (let i = 0; i < findings.length; i += PG_CHUNK) {
        const chunk = findings.slice(i, i + PG_CHUNK);
        const got = await client.query<{ key: string }>(
          text,
          COLUMNS.map((c) => chunk.map((f) => f[c] ?? null)),
        );
        for (const r of got.rows) inserted.add(r.key);
      }
      const { run, audit } = then(inserted);
      await client.query(
        insertSql('supervision_runs', RUN_COLUMNS, (i) => `$${i + 1}`),
        RUN_COLUMNS.map((c) => run[c]),
      );
      await client.query(
        insertSql('audit_log', AUDIT_COLUMNS, (i) => `$${i + 1}`),
        AUDIT_COLUMNS.map((c) => audit[c]),
      );
      await client.query('commit');
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
    return inserted;
  }
  await store.db.transaction().execute(async (trx) => {
    for (const k of await insertFindings(trx, findings)) inserted.add(k);
    const { run, audit } = then(inserted);
    await trx
      .insertInto('supervision_runs')
      .values(run as Insertable<SupervisionRunsTable>)
      .execute();
    await trx.insertInto('audit_log').values(audit).execute();
  });
  return inserted;
}
