/**
 * Personal accounts in the ledger (个人账户, Puyang 第六条–第八条, 第十四条; 个人（家庭）账户, Luoyang
 * 36号 第八条): the pure model of src/account decides, this module stores — one query path over
 * Kysely for SQLite and PostgreSQL.
 *
 * Every write is one transaction that first locks the account's row (`select … for update` on
 * PostgreSQL; on SQLite every transaction begins IMMEDIATE, holding the one write lock), then
 * reads the account and its entries, asks the model, and inserts the entry it returns with the
 * account row's derived balance and seq. So operations on one account are serialized, and no two
 * can spend the same balance: the balance never goes negative. Entries are never edited. The
 * unique indexes make a retry or a second run harmless: (account_id, seq), (account_id, period)
 * for credits, (request_id). Every write is in `audit_log`; a refusal writes nothing.
 *
 * For the settlement path: {@link payVisitFromAccount} does the same inside a transaction the
 * caller already holds (see its doc).
 */
import { YibaoError } from '../errors.js';
import { PAGE_DEFAULT, pageOf, type Positions } from '../request/page.js';
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import { creditEntry, monthlyCredit, verifyEntries } from '../account/account.js';
import { authorize } from '../account/account.js';
import {
  AccountError,
  CLOSING_KINDS,
  type Account,
  type AccountEntry,
  type AccountState,
  type Holder,
  type Operation,
  type Refusal,
  type RefusalCode,
} from '../account/types.js';
import { chinaDay, formatDate } from '../calendar/calendar.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { accountEntryJson, type HolderTerms, type OpenAccount, type OperateRequest } from '../request/account-request.js';
import { canonicalJson } from '../request/settle-one.js';
import { hash as digest } from 'node:crypto';
import type { LedgerDb } from './connect.js';
import { LedgerError } from './errors.js';
import type { Actor } from './ledger.js';
import type { AccountEntriesTable, AccountHoldersTable, AccountsTable, Database } from './schema.js';
import { isUniqueViolation } from './settle-path.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * An operation the rules refuse (a refusal of the model, with its article). Nothing was written.
 * The service answers 409 for ACCOUNT_CLOSED and DUPLICATE_REFERENCE, 422 for the rest (src/api/status.ts).
 */
export class AccountRefused extends YibaoError<RefusalCode> {
  readonly reason: string;
  readonly source: string;
  constructor(readonly refusal: Refusal) {
    super(refusal.code, `${refusal.code}: ${refusal.reason}${refusal.source ? `（${refusal.source}）` : ''}`, { reason: refusal.reason, source: refusal.source, trace: refusal.trace });
    this.name = 'AccountRefused';
    this.reason = refusal.reason;
    this.source = refusal.source;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.reason, reason: this.reason, source: this.source, trace: this.refusal.trace };
  }
}

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

export interface OpenResult {
  account: AccountView;
  created: boolean;
}

export interface AccountView {
  id: string;
  kind: string;
  holderId: string;
  region: string;
  members: string[];
  openedOn: string;
  closedOn: string | null;
  /** Yuan. */
  balance: number;
  /** The holder's details by month (what the monthly credit uses), oldest first; amounts in yuan. */
  holder: Record<string, unknown>[];
}

export interface CreditMonthReport {
  month: string;
  /** Open accounts considered. */
  accounts: number;
  credited: number;
  /** Yuan, all credits of this run. */
  creditedAmount: number;
  alreadyCredited: number;
  /** Not credited by the rules (第十四条, no allocation…) or not open yet in the month. */
  notCredited: number;
  /** Could not be credited: the holder's details are missing, no policy in force, a missing parameter. */
  failed: number;
  /** Closed accounts (not considered). */
  closed: number;
  /** Why accounts were not credited, grouped: code, reason, source, how many, the first few ids. */
  reasons: { code: string; reason: string; source: string; count: number; accounts: string[] }[];
}

export interface AccountVerifyReport {
  ok: boolean;
  checked: { accounts: number; entries: number };
  mismatches: string[];
}

const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

/** The account row, locked for the rest of the transaction (PostgreSQL: FOR UPDATE; SQLite: the write lock is held). */
export async function lockAccount(trx: Transaction<Database>, accountId: string): Promise<AccountsTable> {
  const q = trx.selectFrom('accounts').selectAll().where('id', '=', accountId);
  const row = await (isPostgres(trx) ? q.forUpdate() : q).executeTakeFirst();
  if (!row) throw new LedgerError('NOT_FOUND', `account ${accountId} does not exist`);
  return row;
}

function accountOf(row: AccountsTable): Account {
  return { id: row.id, kind: row.kind as Account['kind'], holderId: row.holder_id, region: row.region, ...(row.members ? { members: JSON.parse(row.members) as string[] } : {}) };
}

/** An entry from its row: the model's entry as stored, with the row's columns as the truth for seq and amounts. */
function entryOf(row: Pick<AccountEntriesTable, 'body' | 'id' | 'seq' | 'amount_fen' | 'balance_after_fen' | 'account_id'>): AccountEntry {
  const e = JSON.parse(row.body) as AccountEntry;
  return { ...e, id: row.id, accountId: row.account_id, seq: Number(row.seq), amount: Number(row.amount_fen), balanceAfter: Number(row.balance_after_fen) };
}

export async function loadState(db: Db, row: AccountsTable): Promise<AccountState> {
  const rows = await db.selectFrom('account_entries').select(['body', 'id', 'seq', 'amount_fen', 'balance_after_fen', 'account_id']).where('account_id', '=', row.id).orderBy('seq').execute();
  return { account: accountOf(row), entries: rows.map(entryOf) };
}

async function audit(db: Db, actor: Actor, action: string, target: string, detail: unknown, at: number): Promise<void> {
  await db.insertInto('audit_log').values({ at, actor: actor.id, role: actor.role, action, target, detail: JSON.stringify(detail) }).execute();
}

/** Inserts an entry the model made and moves the account row's derived balance and seq. */
export async function insertEntry(db: Db, entry: AccountEntry, meta: { requestId: string | null; requestHash: string | null; actor: Actor; now: number }): Promise<void> {
  const e = entry as AccountEntry & Partial<Record<'period' | 'ref' | 'settlementId' | 'visitId' | 'memberId' | 'relation' | 'purpose', string>>;
  await db
    .insertInto('account_entries')
    .values({
      id: e.id,
      account_id: e.accountId,
      seq: e.seq,
      kind: e.kind,
      entry_date: e.date,
      amount_fen: e.amount,
      balance_after_fen: e.balanceAfter,
      period: e.kind === 'credit' ? e.period ?? null : null,
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
  await audit(db, meta.actor, `account-${entry.kind}`, entry.id, { account: entry.accountId, seq: entry.seq, amountFen: entry.amount, balanceAfterFen: entry.balanceAfter, requestId: meta.requestId }, meta.now);
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
  const prior = await trx.selectFrom('account_entries').selectAll().where('request_id', '=', req.requestId).executeTakeFirst();
  if (prior) {
    if (prior.request_hash !== req.hash || prior.account_id !== accountId)
      throw new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${req.requestId} was already used for a different request`);
    return { ok: true, created: false, entry: entryOf(prior), requestId: prior.request_id, actor: prior.actor, createdAt: Number(prior.created_at) };
  }
  const state = await loadState(trx, row);
  const answer = authorize(req.operation, state, policies);
  if (!answer.ok) return { ok: false, refusal: answer };
  await insertEntry(trx, answer.entry, { requestId: req.requestId, requestHash: req.hash, actor, now });
  return { ok: true, created: true, entry: answer.entry, requestId: req.requestId, actor: actor.id, createdAt: now };
}

/** What the account pays of a visit's share, and what is left to the person in cash (fen). */
export interface VisitAccountPayment {
  /** Fen the account paid (0 when refused). */
  accountPay: Fen;
  /** Fen left to the person: personShare − accountPay. */
  cashPay: Fen;
  /** The entry written (or the original one, for a retry), or null when refused. */
  entry: AccountEntry | null;
  /** Why the account paid nothing (zero balance, non-contracted, not a use it may pay…). */
  refusal: Refusal | null;
}

/**
 * Pays the holder's share of a visit from the account, inside the caller's transaction — for
 * the settlement path, which settles the visit and, in the same transaction, lets the account pay
 * what the settlement left to the person:
 *
 * ```ts
 * await db.transaction().execute(async (trx) => {
 *   // … settle the visit: fund, critical illness, assistance; personShare = total − those …
 *   const pay = await payVisitFromAccount(trx, policies, {
 *     accountId: 'PA1', requestId: `${settleRequestId}:account`, settlementId, visitId, date: '2023-03-01',
 *     contracted: true, personShare: 12800, outOfScope: 3000, actor, now,
 *   });
 *   // settlement.accountPay = pay.accountPay; settlement.cashPay = pay.cashPay
 * });
 * ```
 *
 * Locks the account row (serializing with every other write to the account), reads its entries
 * and appends a `visit-payment` entry (`ACCOUNT/visit-payment/REQUEST_ID`). A refusal (balance 0,
 * non-contracted institution, a visit type the account may not pay) writes nothing and pays 0:
 * the whole share stays cash. Idempotent by `requestId` like every operation. Amounts in fen.
 *
 * @throws LedgerError NOT_FOUND (no such account), IDEMPOTENCY_CONFLICT; AccountError as {@link authorize}.
 *   On PostgreSQL a unique violation (the same request id raced in another transaction) aborts
 *   the caller's transaction: retry it, and the retry finds the original entry.
 */
export async function payVisitFromAccount(
  trx: Transaction<Database>,
  policies: PolicySet,
  args: {
    accountId: string;
    requestId: string;
    visitId: string;
    settlementId?: string;
    date: string;
    contracted: boolean;
    personShare: Fen;
    outOfScope?: Fen;
    visitType?: Extract<Operation, { kind: 'visit-payment' }>['visitType'];
    place?: 'institution' | 'pharmacy';
    actor: Actor;
    now: number;
  },
): Promise<VisitAccountPayment> {
  const { accountId, requestId, actor, now, ...rest } = args;
  const operation = { kind: 'visit-payment', ref: requestId, ...rest } as Operation;
  const hash = digest('sha256', canonicalJson({ accountId, operation }), 'hex');
  const out = await applyAccountOperation(trx, policies, accountId, { requestId, operation, hash }, actor, now);
  if (!out.ok) return { accountPay: 0, cashPay: args.personShare, entry: null, refusal: out.refusal };
  const pay = -out.entry.amount;
  return { accountPay: pay, cashPay: args.personShare - pay, entry: out.entry, refusal: null };
}

function nextMonthStart(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

function holderView(h: AccountHoldersTable): Record<string, unknown> {
  return {
    from: h.from_month,
    ...(h.category !== null ? { category: h.category } : {}),
    ...(h.contribution_base_fen !== null ? { contributionBase: toYuanNumber(Number(h.contribution_base_fen)) } : {}),
    ...(h.pays_at_employer_rate !== null ? { paysAtEmployerRate: Boolean(Number(h.pays_at_employer_rate)) } : {}),
    ...(h.required_years_met !== null ? { requiredYearsMet: Boolean(Number(h.required_years_met)) } : {}),
  };
}

function holderRow(accountId: string, from: string, t: HolderTerms, actor: Actor, now: number): AccountHoldersTable {
  return {
    account_id: accountId,
    from_month: from,
    category: t.category,
    contribution_base_fen: t.contributionBase ?? null,
    pays_at_employer_rate: t.paysAtEmployerRate === undefined ? null : Number(t.paysAtEmployerRate),
    required_years_met: t.requiredYearsMet === undefined ? null : Number(t.requiredYearsMet),
    actor: actor.id,
    recorded_at: now,
  };
}

const BATCH = 500;

/** Personal accounts stored in the ledger. */
export class AccountLedger {
  constructor(
    readonly store: LedgerDb,
    readonly policies: PolicySet,
    private readonly now: () => number = Date.now,
  ) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  /**
   * Opens an account with its holder's details (from the month it opens, or `holder.from`).
   * Idempotent: the same id with the same details answers the account as it is (created false);
   * with other details IDEMPOTENCY_CONFLICT. A second open account of the same kind for the
   * same holder is refused (ACCOUNT_EXISTS).
   */
  async open(req: OpenAccount, actor: Actor): Promise<OpenResult> {
    const now = this.now();
    const openedOn = req.openedOn ?? formatDate(chinaDay(now));
    try {
      return await this.db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('accounts').select(['request_hash']).where('id', '=', req.id).executeTakeFirst();
        if (existing) {
          if (existing.request_hash !== req.hash) throw new LedgerError('IDEMPOTENCY_CONFLICT', `id: account ${req.id} exists with other details`);
          return { account: await this.view(req.id, trx), created: false };
        }
        const other = await trx
          .selectFrom('accounts')
          .select('id')
          .where('holder_id', '=', req.holderId)
          .where('kind', '=', req.kind)
          .where('closed_on', 'is', null)
          .executeTakeFirst();
        if (other) throw new LedgerError('ACCOUNT_EXISTS', `holderId: ${req.holderId} already has an open ${req.kind} account, ${other.id}`);
        await trx
          .insertInto('accounts')
          .values({
            id: req.id,
            kind: req.kind,
            holder_id: req.holderId,
            region: req.region,
            members: req.members.length > 0 ? JSON.stringify(req.members) : null,
            opened_on: openedOn,
            closed_on: null,
            balance_fen: 0,
            seq: 0,
            request_hash: req.hash,
            created_at: now,
            updated_at: now,
          })
          .execute();
        if (req.holder) await trx.insertInto('account_holders').values(holderRow(req.id, req.holder.from ?? openedOn.slice(0, 7), req.holder, actor, now)).execute();
        await audit(trx, actor, 'account-open', req.id, { kind: req.kind, holderId: req.holderId, region: req.region, openedOn }, now);
        return { account: await this.view(req.id, trx), created: true };
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // The same id opened at the same moment by another request.
      const again = await this.db.selectFrom('accounts').select('request_hash').where('id', '=', req.id).executeTakeFirst();
      if (again?.request_hash === req.hash) return { account: await this.view(req.id), created: false };
      throw new LedgerError('IDEMPOTENCY_CONFLICT', `id: account ${req.id} exists with other details`);
    }
  }

  /**
   * The holder's details from a month on (a new contribution base, retirement…). Months already
   * credited from `from` on keep their credits (entries are never edited): such a change is
   * refused (ALREADY_CREDITED) — give a later month.
   */
  async setHolder(accountId: string, terms: HolderTerms & { from: string }, actor: Actor): Promise<{ account: AccountView; changed: boolean }> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      const row = await lockAccount(trx, accountId);
      if (row.closed_on !== null) throw new LedgerError('ACCOUNT_CLOSED', `account ${accountId} was closed on ${row.closed_on}`);
      const next = holderRow(accountId, terms.from, terms, actor, now);
      const same = await trx.selectFrom('account_holders').selectAll().where('account_id', '=', accountId).where('from_month', '=', terms.from).executeTakeFirst();
      const key = (h: AccountHoldersTable) => JSON.stringify(holderView(h));
      if (same && key(same) === key(next)) return { account: await this.view(accountId, trx), changed: false };
      const credited = await trx
        .selectFrom('account_entries')
        .select('period')
        .where('account_id', '=', accountId)
        .where('period', '>=', terms.from)
        .orderBy('period')
        .executeTakeFirst();
      if (credited)
        throw new LedgerError('ALREADY_CREDITED', `from: ${credited.period} is already credited with the details before; give the holder's new details from a later month`);
      await trx.deleteFrom('account_holders').where('account_id', '=', accountId).where('from_month', '=', terms.from).execute();
      await trx.insertInto('account_holders').values(next).execute();
      await audit(trx, actor, 'account-holder', accountId, holderView(next), now);
      return { account: await this.view(accountId, trx), changed: true };
    });
  }

  /**
   * Credits `month` to every open account, in transactions of up to 500 accounts (rows locked).
   * Once: an account that has the month's credit is counted as already credited, and the unique
   * index (account_id, period) stops a second credit whatever happens. The rules are the model's
   * ({@link monthlyCredit}); the holder's details are those in force in the month.
   *
   * @throws AccountError INVALID_INPUT for a malformed month.
   */
  async creditMonth(month: string, actor: Actor): Promise<CreditMonthReport> {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new AccountError('INVALID_INPUT', `month must be YYYY-MM, got ${JSON.stringify(month)}`);
    const end = nextMonthStart(month);
    const report: CreditMonthReport = { month, accounts: 0, credited: 0, creditedAmount: 0, alreadyCredited: 0, notCredited: 0, failed: 0, closed: 0, reasons: [] };
    const reasons = new Map<string, CreditMonthReport['reasons'][number]>();
    const because = (accountId: string, code: string, reason: string, source: string) => {
      const k = `${code}\u0000${reason}\u0000${source}`;
      const r = reasons.get(k) ?? { code, reason, source, count: 0, accounts: [] };
      r.count++;
      if (r.accounts.length < 10) r.accounts.push(accountId);
      reasons.set(k, r);
    };
    let creditedFen = 0;
    let after = '';
    for (;;) {
      const ids = (await this.db.selectFrom('accounts').select('id').where('closed_on', 'is', null).where('id', '>', after).orderBy('id').limit(BATCH).execute()).map((r) => r.id);
      if (ids.length === 0) break;
      after = ids[ids.length - 1] as string;
      const now = this.now();
      await this.db.transaction().execute(async (trx) => {
        const q = trx.selectFrom('accounts').selectAll().where('id', 'in', ids).where('closed_on', 'is', null).orderBy('id');
        const rows = await (isPostgres(trx) ? q.forUpdate() : q).execute();
        const credited = new Set((await trx.selectFrom('account_entries').select('account_id').where('period', '=', month).where('account_id', 'in', ids).execute()).map((r) => r.account_id));
        const terms = new Map<string, AccountHoldersTable>();
        for (const h of await trx.selectFrom('account_holders').selectAll().where('account_id', 'in', ids).where('from_month', '<=', month).orderBy('account_id').orderBy('from_month').execute())
          terms.set(h.account_id, h); // the last one from before the month wins
        for (const row of rows) {
          report.accounts++;
          if (credited.has(row.id)) {
            report.alreadyCredited++;
            continue;
          }
          if (row.opened_on >= end) {
            report.notCredited++;
            because(row.id, 'NOT_YET_OPEN', `账户于${row.opened_on}开立，${month}不计入。`, '');
            continue;
          }
          const t = terms.get(row.id);
          if (!t && row.kind === 'employee-personal') {
            report.failed++;
            because(row.id, 'NO_HOLDER_DETAILS', `no holder details (category, contribution base) in force in ${month}: set them with accounts holder`, '');
            continue;
          }
          const holder = {
            id: row.holder_id,
            region: row.region,
            category: t?.category as Holder['category'],
            ...(t?.contribution_base_fen != null ? { contributionBase: Number(t.contribution_base_fen) } : {}),
            ...(t?.pays_at_employer_rate != null ? { paysAtEmployerRate: Boolean(Number(t.pays_at_employer_rate)) } : {}),
            ...(t?.required_years_met != null ? { requiredYearsMet: Boolean(Number(t.required_years_met)) } : {}),
          } as Holder;
          try {
            const credit = monthlyCredit(holder, month, this.policies, row.kind as Account['kind']);
            if (!credit.entitled || credit.amount === 0) {
              report.notCredited++;
              because(row.id, credit.entitled ? 'NOTHING_TO_CREDIT' : 'NOT_ENTITLED', credit.text, credit.source);
              continue;
            }
            const entry = creditEntry(row.id, { seq: Number(row.seq) + 1, balanceBefore: Number(row.balance_fen) }, credit);
            await insertEntry(trx, entry, { requestId: null, requestHash: null, actor, now });
            report.credited++;
            creditedFen += entry.amount;
          } catch (e) {
            if (!(e instanceof AccountError)) throw e;
            report.failed++;
            because(row.id, e.code, e.message, e.missing[0]?.citation ?? '');
          }
        }
      });
    }
    const closed = await this.db.selectFrom('accounts').select(sql<string>`count(*)`.as('n')).where('closed_on', 'is not', null).executeTakeFirst();
    report.closed = Number(closed?.n ?? 0);
    report.creditedAmount = toYuanNumber(creditedFen);
    report.reasons = [...reasons.values()].sort((a, b) => b.count - a.count);
    return report;
  }

  /**
   * An operation on an account (a payment, a transfer, a refund…), decided by the model and
   * stored. Idempotent by request id: the same id and body answer the original entry (created
   * false); the same id with another body is IDEMPOTENCY_CONFLICT.
   *
   * @throws AccountRefused the rules refuse it (with the reason and the article; nothing written);
   *   LedgerError NOT_FOUND, IDEMPOTENCY_CONFLICT; AccountError for input the model rejects.
   */
  async operate(accountId: string, req: OperateRequest, actor: Actor): Promise<OperationResult> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const out = await applyAccountOperation(trx, this.policies, accountId, req, actor, this.now());
        if (!out.ok) throw new AccountRefused(out.refusal);
        const { ok: _ok, ...result } = out;
        return result;
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // The same request id committed by a concurrent request (on another account, or the same
      // entry id under another request id).
      const prior = await this.db.selectFrom('account_entries').selectAll().where('request_id', '=', req.requestId).executeTakeFirst();
      if (prior && prior.request_hash === req.hash && prior.account_id === accountId)
        return { created: false, entry: entryOf(prior), requestId: prior.request_id, actor: prior.actor, createdAt: Number(prior.created_at) };
      if (prior) throw new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${req.requestId} was already used for a different request`);
      throw e;
    }
  }

  /** The account: its details, balance and holder's details by month. */
  async view(accountId: string, db: Db = this.db): Promise<AccountView> {
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new LedgerError('NOT_FOUND', `account ${accountId} does not exist`);
    const holders = await db.selectFrom('account_holders').selectAll().where('account_id', '=', accountId).orderBy('from_month').execute();
    return {
      id: row.id,
      kind: row.kind,
      holderId: row.holder_id,
      region: row.region,
      members: row.members ? (JSON.parse(row.members) as string[]) : [],
      openedOn: row.opened_on,
      closedOn: row.closed_on,
      balance: toYuanNumber(Number(row.balance_fen)),
      holder: holders.map(holderView),
    };
  }

  /** The balance in fen: the last entry's balance after (0 with none). */
  async balance(accountId: string): Promise<Fen> {
    const row = await this.db.selectFrom('accounts').select('balance_fen').where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new LedgerError('NOT_FOUND', `account ${accountId} does not exist`);
    return Number(row.balance_fen);
  }

  /** The entries in ledger order (after seq `after`, at most `limit`), with who wrote them. */
  async entries(accountId: string, options: { after?: Positions['account'] | undefined; limit?: number } = {}): Promise<StoredEntry[]> {
    const exists = await this.db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
    if (!exists) throw new LedgerError('NOT_FOUND', `account ${accountId} does not exist`);
    let q = this.db.selectFrom('account_entries').selectAll().where('account_id', '=', accountId);
    if (options.after) q = q.where('seq', '>', options.after[0]);
    q = q.orderBy('seq');
    const rows = await (options.limit !== undefined ? q.limit(options.limit) : q).execute();
    return rows.map((r) => ({ entry: entryOf(r), requestId: r.request_id, actor: r.actor, createdAt: Number(r.created_at) }));
  }

  /**
   * The account and a page of its entries (request/page.ts: `limit`, default PAGE_DEFAULT, after
   * the cursor's seq) as the CLI and the API print them (yuan), with `nextCursor`.
   */
  async show(accountId: string, options: { after?: Positions['account'] | undefined; limit?: number | undefined } = {}): Promise<Record<string, unknown>> {
    const account = await this.view(accountId);
    const limit = options.limit ?? PAGE_DEFAULT;
    const page = pageOf(await this.entries(accountId, { after: options.after, limit: limit + 1 }), limit, 'account', (e) => [e.entry.seq], (e) => storedEntryJson(e));
    return { ...account, ...page };
  }

  /** See {@link verifyAccounts}. */
  verify(): Promise<AccountVerifyReport> {
    return verifyAccounts(this.db);
  }
}

/** A stored entry as JSON: amounts in yuan, with its request id, writer and time. */
export function storedEntryJson(e: StoredEntry, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return accountEntryJson(e.entry, { requestId: e.requestId, actor: e.actor, createdAt: new Date(e.createdAt).toISOString(), ...extra });
}

/**
 * Checks every account against its entries: seq 1, 2, 3…; each balance_after the running sum of
 * the amounts, never negative; one credit a month; nothing after a closing entry (the model's
 * {@link verifyEntries}); each row's columns as its stored entry says; and the account row's
 * balance, seq and closing day as the entries say.
 */
export async function verifyAccounts(db: Kysely<Database>): Promise<AccountVerifyReport> {
  const mismatches: string[] = [];
  const accounts = await db.selectFrom('accounts').selectAll().orderBy('id').execute();
  let entries = 0;
  for (let i = 0; i < accounts.length; i += BATCH) {
    const chunk = accounts.slice(i, i + BATCH);
    const rows = await db
      .selectFrom('account_entries')
      .selectAll()
      .where(
        'account_id',
        'in',
        chunk.map((a) => a.id),
      )
      .orderBy('account_id')
      .orderBy('seq')
      .execute();
    entries += rows.length;
    const byAccount = new Map<string, AccountEntriesTable[]>();
    for (const r of rows) byAccount.set(r.account_id, [...(byAccount.get(r.account_id) ?? []), r]);
    for (const a of chunk) {
      const list = byAccount.get(a.id) ?? [];
      const state: AccountState = { account: accountOf(a), entries: list.map(entryOf) };
      for (const p of verifyEntries(state)) mismatches.push(`account ${a.id}: ${p}`);
      for (const r of list) {
        const body = JSON.parse(r.body) as AccountEntry;
        if (body.amount !== Number(r.amount_fen) || body.balanceAfter !== Number(r.balance_after_fen) || body.seq !== Number(r.seq) || body.kind !== r.kind || body.id !== r.id)
          mismatches.push(`account ${a.id}: entry ${r.id}: its columns (seq ${r.seq}, ${r.kind}, amount ${r.amount_fen}, balance after ${r.balance_after_fen}) differ from the entry as written`);
      }
      const last = list[list.length - 1];
      const balance = last ? Number(last.balance_after_fen) : 0;
      if (Number(a.balance_fen) !== balance) mismatches.push(`account ${a.id}: the account holds a balance of ${toYuanNumber(Number(a.balance_fen))}, its entries ${toYuanNumber(balance)}`);
      if (Number(a.seq) !== list.length) mismatches.push(`account ${a.id}: the account's seq is ${a.seq}, it has ${list.length} entries`);
      const closing = list.find((r) => (CLOSING_KINDS as readonly string[]).includes(r.kind));
      if ((closing?.entry_date ?? null) !== a.closed_on) mismatches.push(`account ${a.id}: closed on ${a.closed_on ?? 'never'}, its entries say ${closing?.entry_date ?? 'open'}`);
    }
  }
  return { ok: mismatches.length === 0, checked: { accounts: accounts.length, entries }, mismatches };
}
