/**
 * Bulk loading the ledger's tables for bench/clearing: the rows of bench/month, straight into the
 * migrated tables. SQLite through better-sqlite3 prepared statements in large transactions;
 * PostgreSQL through COPY … FROM STDIN (text format), spoken with pg's own protocol messages (no
 * pg-copy-streams), one chunk on the wire while the next is made.
 *
 * The settle path writes entries in time order, so a ledger's settlements table is in time order
 * on disk and its ids (UUIDv7) grow. bench/month makes a person's month at once, so entries come
 * in person order; they are put in time order through files, one per China day ({@link DayFiles}),
 * and loaded day after day, each day's entries sorted by time. The other tables go in as they come.
 *
 * Each table's columns are the ones the table has and its rows carry (a column added by a later
 * migration, such as persons.district, is filled only where it exists).
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { TABLES, type Batch, type Row } from './month.js';

export type Table = (typeof TABLES)[number];
export type Columns = Record<Table, Set<string>>;

export interface Sink {
  /** The rows of every table but settlements. */
  write(b: Batch): void | Promise<void>;
  /** Settlements, as lines of COPY text in the columns of {@link entryColumns}, in time order. */
  entries(lines: readonly string[]): void | Promise<void>;
  /** Everything written and committed. */
  finish(): Promise<void>;
  /** Rows written, by table. */
  readonly rows: Record<Table, number>;
}

const zero = (): Record<Table, number> => Object.fromEntries(TABLES.map((t) => [t, 0])) as Record<Table, number>;

/** The columns of each of the loaded tables, as the database has them. */
export function sqliteColumns(db: BetterSqlite3.Database): Columns {
  const out = {} as Columns;
  for (const t of TABLES) out[t] = new Set((db.pragma(`table_info(${t})`) as { name: string }[]).map((c) => c.name));
  return out;
}

export async function postgresColumns(client: pg.Client): Promise<Columns> {
  const out = {} as Columns;
  for (const t of TABLES) {
    const r = await client.query<{ column_name: string }>('select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1', [t]);
    out[t] = new Set(r.rows.map((c) => c.column_name));
  }
  return out;
}

/** The columns a table's rows fill: the row's keys the table has. */
export function columnsOf(table: Table, row: Row, have: Columns): string[] {
  const cols = Object.keys(row).filter((k) => have[table].has(k));
  if (cols.length === 0) throw new Error(`bench: no column of ${table} in its rows`);
  return cols;
}

const HOUR_MS = 3_600_000;

/** A value in COPY's text format. */
function copyText(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** A row as a line of COPY text in these columns. */
export function copyLine(r: Row, cols: readonly string[], scratch: string[]): string {
  for (let i = 0; i < cols.length; i++) scratch[i] = copyText(r[cols[i] as string]);
  // One flat string a line (join makes it at once; += would build a rope of every value).
  scratch.length = cols.length;
  return `${scratch.join('\t')}\n`;
}

/** A line of COPY text back into values: \N as null, the rest as text (SQLite's INTEGER columns take integer text as integers). */
function parseLine(line: string): (string | null)[] {
  const out: (string | null)[] = line.split('\t');
  for (let i = 0; i < out.length; i++) {
    const v = out[i] as string;
    if (v === '\\N') out[i] = null;
    else if (v.includes('\\')) out[i] = v.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  }
  return out;
}

/**
 * Entries put in time order through files: one per hour, appended to as entries come (in person
 * order), then read back an hour at a time, each hour's lines sorted by the entry's id — a UUIDv7
 * after `S-` or `R-`, whose first 12 hex digits are its time in milliseconds.
 */
export class HourFiles {
  private readonly pending = new Map<number, string[]>();
  private pendingChars = 0;
  private readonly scratch: string[] = [];
  count = 0;
  constructor(
    private readonly dir: string,
    readonly columns: readonly string[],
    private readonly flushChars = 16 << 20,
  ) {
    mkdirSync(dir, { recursive: true });
    if (columns[0] !== 'id' || !columns.includes('created_at')) throw new Error('bench: entries are ordered by id, their first column');
  }

  add(rows: readonly Row[]): void {
    for (const r of rows) {
      const hour = Math.floor((r.created_at as number) / HOUR_MS);
      let lines = this.pending.get(hour);
      if (!lines) this.pending.set(hour, (lines = []));
      const line = copyLine(r, this.columns, this.scratch);
      lines.push(line);
      this.pendingChars += line.length;
      this.count++;
    }
    if (this.pendingChars >= this.flushChars) this.flush();
  }

  flush(): void {
    for (const [hour, lines] of this.pending) appendFileSync(join(this.dir, `${hour}.copy`), lines.join(''));
    this.pending.clear();
    this.pendingChars = 0;
  }

  /** Each hour's entries in time order; each file removed once read. */
  *hours(): Generator<string[]> {
    this.flush();
    const hours = readdirSync(this.dir)
      .filter((f) => f.endsWith('.copy'))
      .map((f) => Number(f.slice(0, -5)))
      .sort((a, b) => a - b);
    for (const hour of hours) {
      const path = join(this.dir, `${hour}.copy`);
      const text = readFileSync(path, 'utf8');
      rmSync(path);
      const lines = text.split('\n');
      lines.pop();
      // 'S-018e127f-a8e9-7…': the time is characters 2–14 (the hyphen at 10 sorts the same in every id).
      const keyed = lines.map((line) => ({ key: line.slice(2, 15), line }));
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield keyed.map((k) => `${k.line}\n`);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * SQLite: one prepared INSERT per table, run for every row, committed every `commitEvery` rows.
 * The caller sets the load's pragmas (synchronous, cache) and puts them back.
 */
export class SqliteSink implements Sink {
  readonly rows = zero();
  private readonly statements = new Map<Table, BetterSqlite3.Statement>();
  private entryStatement: BetterSqlite3.Statement | undefined;
  private uncommitted = 0;
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly have: Columns,
    private readonly entryColumns: readonly string[],
    private readonly commitEvery = 500_000,
  ) {}

  write(b: Batch): void {
    this.begin();
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
      this.done(t, rows.length);
    }
  }

  entries(lines: readonly string[]): void {
    this.begin();
    this.entryStatement ??= this.db.prepare(`insert into settlements (${this.entryColumns.join(', ')}) values (${this.entryColumns.map(() => '?').join(', ')})`);
    const st = this.entryStatement;
    for (const line of lines) st.run(parseLine(line.slice(0, -1)));
    this.done('settlements', lines.length);
  }

  private begin(): void {
    if (!this.db.inTransaction) this.db.exec('begin');
  }

  private done(t: Table, n: number): void {
    this.rows[t] += n;
    this.uncommitted += n;
    if (this.uncommitted >= this.commitEvery) {
      this.db.exec('commit');
      this.uncommitted = 0;
    }
  }

  async finish(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('commit');
  }
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
  handleCommandComplete(): void {}
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
  private readonly scratch: string[] = [];
  constructor(
    private readonly client: pg.Client,
    private readonly have: Columns,
    entryColumns: readonly string[],
    private readonly flushChars = 16 << 20,
  ) {
    this.columns.set('settlements', [...entryColumns]);
  }

  async write(b: Batch): Promise<void> {
    for (const t of TABLES) {
      const rows = b[t];
      if (rows.length === 0) continue;
      let cols = this.columns.get(t);
      if (!cols) {
        cols = columnsOf(t, rows[0] as Row, this.have);
        this.columns.set(t, cols);
      }
      const out = this.out(t);
      for (const r of rows) {
        const line = copyLine(r, cols, this.scratch);
        out.push(line);
        this.chars += line.length;
      }
      this.rows[t] += rows.length;
    }
    if (this.chars >= this.flushChars) await this.flush();
  }

  async entries(lines: readonly string[]): Promise<void> {
    const out = this.out('settlements');
    for (const line of lines) {
      out.push(line);
      this.chars += line.length;
    }
    this.rows.settlements += lines.length;
    if (this.chars >= this.flushChars) await this.flush();
  }

  private out(t: Table): string[] {
    let out = this.lines.get(t);
    if (!out) this.lines.set(t, (out = []));
    return out;
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

/**
 * SQLite: the loaded tables' own indexes (not those of their keys and unique columns) dropped for
 * the load and made again after it, as they were (sqlite_master's CREATE INDEX text). Returns what
 * makes them again.
 */
export function deferSqliteIndexes(db: BetterSqlite3.Database): () => void {
  const tables = TABLES.map((t) => `'${t}'`).join(', ');
  const indexes = db.prepare(`select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${tables})`).all() as { name: string; sql: string }[];
  for (const i of indexes) db.exec(`drop index ${i.name}`);
  return () => {
    for (const i of indexes) db.exec(i.sql);
  };
}

/**
 * PostgreSQL, as pg_restore loads: the loaded tables' foreign keys, unique constraints and other
 * indexes (not their primary keys) dropped for the load, then made again as they were
 * (pg_indexes' CREATE INDEX, pg_get_constraintdef) — the indexes, the unique constraints, then the
 * foreign keys, each checked against every row. Returns what makes them again.
 */
export async function deferPostgresIndexes(client: pg.Client): Promise<() => Promise<void>> {
  const tables = [...TABLES];
  const constraints = (
    await client.query<{ tbl: string; name: string; def: string; type: string }>(
      `select r.relname as tbl, c.conname as name, pg_get_constraintdef(c.oid) as def, c.contype as type
         from pg_constraint c join pg_class r on r.oid = c.conrelid join pg_namespace n on n.oid = r.relnamespace
        where n.nspname = current_schema() and r.relname = any($1) and c.contype in ('u', 'f')`,
      [tables],
    )
  ).rows;
  const indexes = (
    await client.query<{ name: string; def: string }>(
      `select indexname as name, indexdef as def from pg_indexes
        where schemaname = current_schema() and tablename = any($1) and indexname not in (select conname from pg_constraint)`,
      [tables],
    )
  ).rows;
  const foreign = constraints.filter((c) => c.type === 'f');
  const unique = constraints.filter((c) => c.type === 'u');
  for (const c of [...foreign, ...unique]) await client.query(`alter table ${c.tbl} drop constraint ${c.name}`);
  for (const i of indexes) await client.query(`drop index ${i.name}`);
  return async () => {
    for (const i of indexes) await client.query(i.def);
    for (const c of [...unique, ...foreign]) await client.query(`alter table ${c.tbl} add constraint ${c.name} ${c.def}`);
  };
}
