/**
 * The personal accounts' rows: locking an account, reading its entries, appending the entry the
 * model (src/account) decided with the account row's derived balance and seq, and one operation
 * under a request id. Used by the account ledger (accounts.ts), the settle of a visit the account
 * pays (ledger.ts), and a reversal that gives it back (reverse.ts).
 */
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import { authorize } from '../account/authorize.js';
import { CLOSING_KINDS, type Account, type AccountEntry, type AccountState, type Refusal } from '../account/types.js';
import type { PolicySet } from '../policy/registry.js';
import type { OperateRequest } from '../request/account-request.js';
import { LedgerError } from './errors.js';
import { replayIfSeen, type Idempotency } from './idempotency.js';
import type { AccountEntriesTable, AccountsTable, Database } from './schema.js';
import type { Actor } from './types.js';

export type Db = Kysely<Database> | Transaction<Database>;

/** An entry as stored, with who wrote it. */
export interface StoredEntry {
  entry: AccountEntry;
  requestId: string | null;
  actor: string;
  createdAt: number;
}

export interface OperationResult extends StoredEntry {
  /** False when the request id was seen before and the original entry is returned. */
  created: boolean;
}

export const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

/** The account row, locked for the rest of the transaction (PostgreSQL: FOR UPDATE; SQLite: the write lock is held). */
export async function lockAccount(trx: Transaction<Database>, accountId: string): Promise<AccountsTable> {
  const q = trx.selectFrom('accounts').selectAll().where('id', '=', accountId);
  const row = await (isPostgres(trx) ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw new LedgerError('NOT_FOUND', `account ${accountId} does not exist`);
  return row;
}

export function accountOf(row: AccountsTable): Account {
  return { id: row.id, kind: row.kind as Account['kind'], holderId: row.holder_id, region: row.region, ...(row.members ? { members: JSON.parse(row.members) as string[] } : {}) };
}

/** An entry from its row: the model's entry as stored, with the row's columns as the truth for seq and amounts. */
export function entryOf(row: Pick<AccountEntriesTable, 'body' | 'id' | 'seq' | 'amount_fen' | 'balance_after_fen' | 'account_id'>): AccountEntry {
  const e = JSON.parse(row.body) as AccountEntry;
  return { ...e, id: row.id, accountId: row.account_id, seq: Number(row.seq), amount: Number(row.amount_fen), balanceAfter: Number(row.balance_after_fen) };
}

export async function loadState(db: Db, row: AccountsTable): Promise<AccountState> {
  const rows = await db
    .selectFrom('account_entries')
    .select(['body', 'id', 'seq', 'amount_fen', 'balance_after_fen', 'account_id'])
    .where('holder_id', '=', row.holder_id)
    .where('account_id', '=', row.id)
    .orderBy('seq')
    .execute();
  return { account: accountOf(row), entries: rows.map(entryOf) };
}

export async function audit(db: Db, actor: Actor, action: string, target: string, detail: unknown, at: number): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ at, actor: actor.id, role: actor.role, action, target, detail: JSON.stringify(detail) })
    .execute();
}

/** Inserts an entry the model made and moves the account row's derived balance and seq. */
export async function insertEntry(db: Db, entry: AccountEntry, meta: { requestId: string | null; requestHash: string | null; actor: Actor; now: number }): Promise<void> {
  const e = entry as AccountEntry & Partial<Record<'period' | 'ref' | 'settlementId' | 'visitId' | 'memberId' | 'relation' | 'purpose', string>>;
  await db
    .insertInto('account_entries')
    .values({
      id: e.id,
      // The account's holder, from the account row (locked by the caller).
      holder_id: (eb) => eb.selectFrom('accounts').select('holder_id').where('id', '=', e.accountId),
      account_id: e.accountId,
      seq: e.seq,
      kind: e.kind,
      entry_date: e.date,
      amount_fen: e.amount,
      balance_after_fen: e.balanceAfter,
      period: e.kind === 'credit' ? (e.period ?? null) : null,
      ref: e.ref ?? null,
      settlement_id: e.settlementId ?? null,
      visit_id: e.visitId ?? null,
      member_id: e.memberId ?? null,
      relation: e.relation ?? null,
      purpose: e.purpose ?? null,
      source: e.source,
      text: e.text,
      body: JSON.stringify(entry),
      request_id: meta.requestId,
      request_hash: meta.requestHash,
      actor: meta.actor.id,
      created_at: meta.now,
    })
    .execute();
  const closing = CLOSING_KINDS.includes(entry.kind);
  const updated = await db
    .updateTable('accounts')
    .set({ balance_fen: entry.balanceAfter, seq: entry.seq, updated_at: meta.now, ...(closing ? { closed_on: entry.date } : {}) })
    .where('id', '=', entry.accountId)
    .where('seq', '=', entry.seq - 1)
    .executeTakeFirst();
  // The row is locked and its seq read in this transaction; anything else is a bug, not a race.
  if (Number(updated.numUpdatedRows) !== 1) throw new Error(`account ${entry.accountId}: the row's seq is not ${entry.seq - 1}`);
  await audit(
    db,
    meta.actor,
    `account-${entry.kind}`,
    entry.id,
    { account: entry.accountId, seq: entry.seq, amountFen: entry.amount, balanceAfterFen: entry.balanceAfter, requestId: meta.requestId },
    meta.now,
  );
}

/** An account operation's request id seen before: the same request (and account) gets its entry, another is refused. */
export function operationReplay(accountId: string, req: OperateRequest): Idempotency<AccountEntriesTable, OperationResult> {
  return {
    matches: (prior) => prior.request_hash === req.hash && prior.account_id === accountId,
    answer: (prior) => ({ created: false, entry: entryOf(prior), requestId: prior.request_id, actor: prior.actor, createdAt: Number(prior.created_at) }),
    conflict: () => new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${req.requestId} was already used for a different request`),
  };
}

/** The entry stored under a request id by the account's holder (a request id is the holder's), if any. */
export const findOperation = (db: Db, accountId: string, requestId: string) =>
  db
    .selectFrom('account_entries')
    .selectAll()
    .where((eb) => eb('holder_id', '=', eb.selectFrom('accounts').select('holder_id').where('id', '=', accountId)))
    .where('request_id', '=', requestId)
    .executeTakeFirst();

/**
 * PostgreSQL: the transaction-scoped advisory lock of an account id (in a hash space of its own):
 * accounts are keyed by (holder_id, id), so two opens of one new id for different holders are
 * serialized here and the second finds the first (SQLite: the one write lock does it).
 */
export async function lockAccountId(trx: Transaction<Database>, accountId: string): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtextextended(${accountId}, 2))`.execute(trx);
}

/** What {@link applyAccountOperation} answers: the entry, or the refusal (nothing written). */
export type ApplyOutcome = ({ ok: true } & OperationResult) | { ok: false; refusal: Refusal };

/**
 * One operation on one account inside a transaction the caller holds: locks the account row,
 * answers a retry of the request id with the original entry (the same id with another hash is
 * IDEMPOTENCY_CONFLICT), asks the model ({@link authorize}) and inserts the approved entry.
 * A refusal writes nothing and is returned, not thrown.
 *
 * @throws LedgerError NOT_FOUND, IDEMPOTENCY_CONFLICT; AccountError (INVALID_INPUT, NO_POLICY_IN_FORCE,
 *   NO_ACCOUNT_RULES, MISSING_PARAMETER).
 */
export async function applyAccountOperation(
  trx: Transaction<Database>,
  policies: PolicySet,
  accountId: string,
  req: OperateRequest,
  actor: Actor,
  now: number,
): Promise<ApplyOutcome> {
  const row = await lockAccount(trx, accountId);
  const prior = replayIfSeen(operationReplay(accountId, req), await findOperation(trx, accountId, req.requestId));
  if (prior) return { ok: true, ...prior };
  const state = await loadState(trx, row);
  const answer = authorize(req.operation, state, policies);
  if (!answer.ok) return { ok: false, refusal: answer };
  await insertEntry(trx, answer.entry, { requestId: req.requestId, requestHash: req.hash, actor, now });
  return { ok: true, created: true, entry: answer.entry, requestId: req.requestId, actor: actor.id, createdAt: now };
}
