/**
 * Bulk loading the ledger's tables for bench/clearing: the rows of bench/month, straight into the
 * migrated tables. SQLite through better-sqlite3 prepared statements in large transactions;
 * PostgreSQL through COPY … FROM STDIN (text format), spoken with pg's own protocol messages (no
 * pg-copy-streams), one COPY per table per chunk, one chunk on the wire while the next is made.
 *
 * Each table's columns are the ones the table has and its rows carry (a column added by a later
 * migration, such as persons.district, is filled only where it exists).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { TABLES, type Batch, type Row } from './month.js';

type Table = (typeof TABLES)[number];

export interface Sink {
  write(b: Batch): void | Promise<void>;
  /** Everything written and committed. */
  finish(): Promise<void>;
  /** Rows written, by table. */
  readonly rows: Record<Table, number>;
}

const zero = (): Record<Table, number> => Object.fromEntries(TABLES.map((t) => [t, 0])) as Record<Table, number>;

/** The columns of each of the loaded tables, as the database has them. */
export async function sqliteColumns(db: BetterSqlite3.Database): Promise<Record<Table, Set<string>>> {
  const out = {} as Record<Table, Set<string>>;
  for (const t of TABLES) out[t] = new Set((db.pragma(`table_info(${t})`) as { name: string }[]).map((c) => c.name));
  return out;
}

export async function postgresColumns(client: pg.Client): Promise<Record<Table, Set<string>>> {
  const out = {} as Record<Table, Set<string>>;
  for (const t of TABLES) {
    const r = await client.query<{ column_name: string }>('select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1', [t]);
    out[t] = new Set(r.rows.map((c) => c.column_name));
  }
  return out;
}

/** The columns a table's rows fill: the row's keys the table has. */
function columnsOf(table: Table, row: Row, have: Record<Table, Set<string>>): string[] {
  const cols = Object.keys(row).filter((k) => have[table].has(k));
  if (cols.length === 0) throw new Error(`bench: no column of ${table} in its rows`);
  return cols;
}

/**
 * SQLite: one prepared INSERT per table, run for every row, committed every `commitEvery` rows.
 * The caller sets the load's pragmas (synchronous, cache) and puts them back.
 */
export class SqliteSink implements Sink {
  readonly rows = zero();
  private readonly statements = new Map<Table, BetterSqlite3.Statement>();
  private uncommitted = 0;
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly have: Record<Table, Set<string>>,
    private readonly commitEvery = 500_000,
  ) {}

  write(b: Batch): void {
    if (!this.db.inTransaction) this.db.exec('begin');
    for (const t of TABLES) {
      const rows = b[t];
      if (rows.length === 0) continue;
      let st = this.statements.get(t);
      if (!st) {
        const cols = columnsOf(t, rows[0] as Row, this.have);
        st = this.db.prepare(`insert into ${t} (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`);
        this.statements.set(t, st);
      }
      for (const r of rows) st.run(r);
      this.rows[t] += rows.length;
      this.uncommitted += rows.length;
    }
    if (this.uncommitted >= this.commitEvery) {
      this.db.exec('commit');
      this.uncommitted = 0;
    }
  }

  async finish(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('commit');
  }
}

/** A value in COPY's text format. */
function copyText(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** pg's connection, as far as COPY FROM STDIN needs it (lib/connection.js). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * One COPY … FROM STDIN as a pg Submittable: the query, then the data in chunks when the server
 * asks for it (CopyInResponse), then CopyDone. Settles when the server is ready again.
 */
class CopyIn {
  private error: Error | undefined;
  rowCount = 0;
  constructor(
    private readonly text: string,
    private readonly data: Buffer,
    private readonly done: (e: Error | undefined) => void,
  ) {}
  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    const CHUNK = 1 << 20;
    for (let at = 0; at < this.data.length; at += CHUNK) connection.sendCopyFromChunk(this.data.subarray(at, at + CHUNK));
    connection.endCopyFrom();
  }
  handleCommandComplete(msg: { text?: string }): void {
    this.rowCount = Number(/\d+$/.exec(msg.text ?? '')?.[0] ?? 0);
  }
  handleError(e: Error): void {
    this.error = e;
  }
  handleReadyForQuery(): void {
    this.done(this.error);
  }
}

/** Runs one COPY of `data` (lines in COPY's text format) into `table`. */
export function copyInto(client: pg.Client, table: string, columns: readonly string[], data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const q = new CopyIn(`copy ${table} (${columns.join(', ')}) from stdin`, Buffer.from(data), (e) => (e ? reject(e) : resolve()));
    client.query(q as unknown as pg.QueryConfig);
  });
}

/**
 * PostgreSQL: rows turned into COPY text as they come, and sent — every table, in the order of
 * TABLES, so a row's references are in before it — once about `flushChars` characters are
 * waiting. One chunk is on the wire while the next is made.
 */
export class PostgresCopySink implements Sink {
  readonly rows = zero();
  private readonly columns = new Map<Table, string[]>();
  private lines = new Map<Table, string[]>();
  private chars = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private failed: unknown;
  constructor(
    private readonly client: pg.Client,
    private readonly have: Record<Table, Set<string>>,
    private readonly flushChars = 16 << 20,
  ) {}

  async write(b: Batch): Promise<void> {
    if (this.failed) throw this.failed;
    for (const t of TABLES) {
      const rows = b[t];
      if (rows.length === 0) continue;
      let cols = this.columns.get(t);
      if (!cols) {
        cols = columnsOf(t, rows[0] as Row, this.have);
        this.columns.set(t, cols);
      }
      let out = this.lines.get(t);
      if (!out) this.lines.set(t, (out = []));
      for (const r of rows) {
        let line = copyText(r[cols[0] as string]);
        for (let i = 1; i < cols.length; i++) line += `\t${copyText(r[cols[i] as string])}`;
        line += '\n';
        out.push(line);
        this.chars += line.length;
      }
      this.rows[t] += rows.length;
    }
    if (this.chars >= this.flushChars) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.lines;
    this.lines = new Map();
    this.chars = 0;
    await this.inFlight;
    if (this.failed) throw this.failed;
    this.inFlight = (async () => {
      for (const t of TABLES) {
        const lines = chunk.get(t);
        if (lines && lines.length > 0) await copyInto(this.client, t, this.columns.get(t) as string[], lines.join(''));
      }
    })().catch((e: unknown) => {
      this.failed = e;
    });
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.inFlight;
    if (this.failed) throw this.failed;
  }
}
