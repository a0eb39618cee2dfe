/**
 * How the supervision book reads many rows fast, as arrays, on each store (the settle path's
 * statements are not involved):
 *
 * - SQLite: a connection of its own to the ledger file, read-only, so that a run's minute of
 *   reading never holds the connection Kysely (and the settle path on the CLI) uses; prepared
 *   statements in raw mode, iterated, yielding to the event loop every READ_SLICE rows. A run's
 *   reader reads in one transaction: one snapshot (WAL readers never block the writer).
 * - PostgreSQL: a client of the pool; a run's reads in one REPEATABLE READ READ ONLY transaction
 *   (one snapshot), each large read through a server-side cursor fetched PG_PAGE rows at a time, so
 *   that no more than a page of rows is ever held as objects.
 * - Any other store (Kysely alone, or SQLite in memory): Kysely, every row at once.
 *
 * SQL is written once with `?` placeholders; PostgreSQL's `$n` are put in by `pgText`.
 */
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';
import type { DialectName, LedgerDb } from './connect.js';
import type { Database } from './schema.js';

/** Rows read on SQLite between two yields to the event loop. */
const READ_SLICE = 50_000;
/** Rows a PostgreSQL cursor fetch returns at most. */
export const PG_PAGE = 50_000;

export type Row = unknown[];

export interface Reader {
  readonly dialect: DialectName;
  /** The SQLite file a run's reader reads (other connections may open it too); none elsewhere. */
  readonly file?: string;
  /** Calls `onRow` with each row as an array of its columns; resolves with how many there were. */
  each(text: string, params: readonly unknown[], onRow: (r: Row) => void): Promise<number>;
  /** Every row as an array (for small reads). */
  all(text: string, params: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1`, `$2`… (no `?` may appear in the SQL otherwise). */
export function pgText(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** A prepared statement's name on PostgreSQL: from its text, so the same text is the same statement. */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `yibao_sv_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    if (statementNames.size < 1000) statementNames.set(sql, name);
  }
  return name;
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

class SqliteReader implements Reader {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly conn: BetterSqlite3.Database,
    private readonly owned: boolean,
    readonly file?: string,
  ) {}

  private stmt(text: string): BetterSqlite3.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.conn.prepare(text).raw(true);
      this.statements.set(text, s);
    }
    return s;
  }

  async each(text: string, params: readonly unknown[], onRow: (r: Row) => void): Promise<number> {
    let n = 0;
    for (const r of this.stmt(text).iterate(...params) as IterableIterator<Row>) {
      onRow(r);
      if (++n % READ_SLICE === 0) await nextTurn();
    }
    return n;
  }

  /** Synchronous: a check's small reads, with no turn of the event loop between them. */
  allNow(text: string, params: readonly unknown[]): Row[] {
    return this.stmt(text).all(...params) as Row[];
  }

  async all(text: string, params: readonly unknown[]): Promise<Row[]> {
    return this.allNow(text, params);
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    if (this.conn.inTransaction) this.conn.prepare('rollback').run();
    this.conn.close();
  }
}

class PostgresReader implements Reader {
  readonly dialect = 'postgres' as const;
  private cursors = 0;

  constructor(
    private readonly client: pg.PoolClient | pg.Pool,
    private readonly release?: () => void,
  ) {}

  async each(text: string, params: readonly unknown[], onRow: (r: Row) => void): Promise<number> {
    const name = `supervision_c${++this.cursors}`;
    await this.client.query({ text: `declare ${name} no scroll cursor for ${pgText(text)}`, values: params as unknown[] });
    let n = 0;
    for (;;) {
      const page = await this.client.query<Row>({ text: `fetch ${PG_PAGE} from ${name}`, rowMode: 'array' });
      for (const r of page.rows) onRow(r);
      n += page.rows.length;
      if (page.rows.length < PG_PAGE) break;
    }
    await this.client.query(`close ${name}`);
    return n;
  }

  async all(text: string, params: readonly unknown[]): Promise<Row[]> {
    // Named: each connection parses and plans a statement once (a check's history read costs more to
    // plan than to run).
    const sql = pgText(text);
    return (await this.client.query<Row>({ name: statementName(sql), text: sql, values: params as unknown[], rowMode: 'array' })).rows;
  }

  async close(): Promise<void> {
    if (!this.release) return;
    try {
      await this.client.query('commit');
    } finally {
      this.release();
    }
  }
}

class KyselyReader implements Reader {
  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: DialectName,
  ) {}

  async all(text: string, params: readonly unknown[]): Promise<Row[]> {
    const q = CompiledQuery.raw(this.dialect === 'postgres' ? pgText(text) : text, params as unknown[]);
    const r = await this.db.executeQuery<Record<string, unknown>>(q);
    return r.rows.map((o) => Object.values(o));
  }

  async each(text: string, params: readonly unknown[], onRow: (r: Row) => void): Promise<number> {
    const rows = await this.all(text, params);
    for (const r of rows) onRow(r);
    return rows.length;
  }

  async close(): Promise<void> {}
}

const onDiskSqlite = (store: LedgerDb) => store.dialect === 'sqlite' && store.sqlite !== undefined && store.location !== ':memory:' && !store.location.startsWith('file::memory:');

function openSqliteReadOnly(store: LedgerDb): BetterSqlite3.Database {
  const conn = new BetterSqlite3(store.location, { readonly: true, fileMustExist: true, timeout: 10_000 });
  // Room for the indexes a run walks; the file's pages come from the OS cache beyond it.
  conn.pragma('cache_size = -65536');
  return conn;
}

/**
 * A reader for a run: its reads are one snapshot. Close it when done (it ends the transaction and
 * gives back the connection).
 */
export async function openRunReader(store: LedgerDb): Promise<Reader> {
  if (onDiskSqlite(store)) {
    const conn = openSqliteReadOnly(store);
    conn.prepare('begin').run();
    return new SqliteReader(conn, true, store.location);
  }
  if (store.pool) {
    const client = await store.pool.connect();
    try {
      await client.query('begin isolation level repeatable read read only');
      // A run reads most of what it asks for: plan the cursors for all their rows, not the first.
      await client.query('set local cursor_tuple_fraction = 1');
      // Compiling a run's large queries (JIT) costs more than it saves: a second and more on each.
      await client.query('set local jit = off');
    } catch (e) {
      client.release();
      throw e;
    }
    return new PostgresReader(client, () => client.release());
  }
  return new KyselyReader(store.db, store.dialect);
}

/**
 * The reader checks use (3101, 3102): kept open, no transaction (each read sees what is
 * committed). On SQLite its reads are synchronous (`allNow`).
 */
export function openCheckReader(store: LedgerDb): Reader & { allNow?: (text: string, params: readonly unknown[]) => Row[] } {
  if (onDiskSqlite(store)) {
    const conn = openSqliteReadOnly(store);
    const reader = new SqliteReader(conn, true);
    store.onClose?.(() => reader.close());
    return reader;
  }
  if (store.pool) return new PostgresReader(store.pool);
  return new KyselyReader(store.db, store.dialect);
}
