/**
 * The audit log (audit_log): who did what to which record, when.
 *
 * Every write records its row in its own transaction (settle, reverse, account operations,
 * payments, keys). The service also records, through {@link AuditLog}, each refused attempt (401,
 * 403) and each read of personal data (a history, an entry, accumulators, an account, payments, a
 * pre-settlement, the audit log itself); such a request is answered only once its row is written.
 * Rows of requests answered together are written in one statement.
 *
 * No row holds a secret: not a presented API key, nor a key's hash, nor a certificate number
 * (mdtrt_cert_no).
 *
 * `readAudit` pages the log (GET /v1/audit, `yibao audit`), oldest first, by row id.
 */
import type { Kysely, Transaction } from 'kysely';
import { pageOf, PAGE_DEFAULT, type Page, type Positions } from '../request/page.js';
import { LedgerError } from './errors.js';
import type { Actor } from './types.js';
import type { AuditLogTable, Database } from './schema.js';

/**
 * Writes one audit row on `db` (the caller's transaction, so that the row and the write it records
 * commit together): the actor and their role, the action, the record, the detail as JSON.
 */
export async function writeAudit(db: Kysely<Database> | Transaction<Database>, actor: Actor, at: number, action: string, target: string, detail: unknown): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ at, actor: actor.id, role: actor.role, action, target, detail: JSON.stringify(detail) })
    .execute();
}

/** A row to write (its id is the store's). */
export type AuditRow = Omit<AuditLogTable, 'id'>;

/** Rows waiting to be written at most; one more is refused OVERLOADED (and its request answered 503). */
const MAX_WAITING = 4096;
/** Rows per INSERT (7 parameters each: far below either store's limit). */
const CHUNK = 500;

interface Waiting {
  row: AuditRow;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** The service's appender: rows recorded in one turn of the event loop are written in one statement. */
export class AuditLog {
  private waiting: Waiting[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /** Resolves once the row is written; rejects when it could not be. */
  record(row: AuditRow): Promise<void> {
    if (this.waiting.length >= MAX_WAITING) {
      return Promise.reject(new LedgerError('OVERLOADED', `the audit log is busy: ${this.waiting.length} rows are waiting to be written; try again shortly`));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      this.running ??= new Promise<void>((r) => setImmediate(r)).then(() => this.writeAll());
    });
  }

  /** Resolves when every row recorded so far is written (or has failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, CHUNK);
        try {
          await this.db
            .insertInto('audit_log')
            .values(batch.map((w) => w.row))
            .execute();
          for (const w of batch) w.resolve();
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}

/** A row as GET /v1/audit and `yibao audit` show it. */
export interface AuditEntry {
  id: number;
  /** ISO 8601 (UTC). */
  at: string;
  actor: string;
  role: string;
  action: string;
  target: string;
  detail: unknown;
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  /** From this instant (epoch ms), inclusive. */
  from?: number | undefined;
  /** Before this instant (epoch ms), exclusive. */
  to?: number | undefined;
  after?: Positions['audit'] | undefined;
  limit?: number | undefined;
}

/** A page of the audit log, oldest first, with the rows that match every filter given. */
export async function readAudit(db: Kysely<Database>, f: AuditFilter): Promise<Page<AuditEntry>> {
  const limit = f.limit ?? PAGE_DEFAULT;
  let q = db.selectFrom('audit_log').selectAll();
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.target !== undefined) q = q.where('target', '=', f.target);
  if (f.from !== undefined) q = q.where('at', '>=', f.from);
  if (f.to !== undefined) q = q.where('at', '<', f.to);
  if (f.after) q = q.where('id', '>', f.after[0]);
  const rows = await q
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return pageOf(
    rows,
    limit,
    'audit',
    (r) => [Number(r.id)],
    (r) => ({ id: Number(r.id), at: new Date(Number(r.at)).toISOString(), actor: r.actor, role: r.role, action: r.action, target: r.target, detail: parseDetail(r.detail) }),
  );
}

function parseDetail(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
