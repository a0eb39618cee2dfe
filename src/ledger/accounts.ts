/**
 * Personal accounts in the ledger (个人账户, Puyang 第六条–第八条, 第十四条; 个人（家庭）账户, Luoyang
 * 36号 第八条): the pure model of src/account decides, this module stores — one query path over
 * Kysely for SQLite and PostgreSQL.
 *
 * Every write is one transaction that first locks the account's row (`select … for update` on
 * PostgreSQL; on SQLite every transaction begins IMMEDIATE, holding the one write lock), then
 * reads the account and its entries, asks the model, and inserts the entry it returns with the
 * account row's derived balance and seq (account-store.ts). So operations on one account are
 * serialized, and no two can spend the same balance: the balance never goes negative. Entries are
 * never edited. The unique indexes make a retry or a second run harmless: (account_id, seq),
 * (account_id, period) for credits, (request_id). Every write is in `audit_log`; a refusal writes
 * nothing.
 *
 * A settle whose visit asks the account to pay pays through the settle itself (decide.ts, with
 * src/account/settle.ts payFromAccount), in the settle's transaction.
 */
import { YibaoError } from '../errors.js';
import { PAGE_DEFAULT, pageOf, type Positions } from '../request/page.js';
import { sql, type Kysely } from 'kysely';
import { creditEntry, monthlyCredit } from '../account/credit.js';
import { AccountError, type Account, type Holder, type Refusal, type RefusalCode } from '../account/types.js';
import { chinaDay, formatDate } from '../calendar/calendar.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { accountEntryJson, type HolderTerms, type OpenAccount, type OperateRequest } from '../request/account-request.js';
import {
  applyAccountOperation,
  audit,
  entryOf,
  findOperation,
  insertEntry,
  isPostgres,
  lockAccount,
  lockAccountId,
  operationReplay,
  type Db,
  type OperationResult,
  type StoredEntry,
} from './account-store.js';
import { verifyAccounts, type AccountVerifyReport } from './account-verify.js';
import type { LedgerDb } from './connect.js';
import { LedgerError } from './errors.js';
import { idempotently, replayIfSeen, type Idempotency } from './idempotency.js';
import type { AccountHoldersTable, Database } from './schema.js';
import type { Actor } from './types.js';

export { applyAccountOperation, insertEntry, loadState, lockAccount, type ApplyOutcome, type OperationResult, type StoredEntry } from './account-store.js';
export { verifyAccounts, type AccountVerifyReport } from './account-verify.js';

/**
 * An operation the rules refuse (a refusal of the model, with its article). Nothing was written.
 * The service answers 409 for ACCOUNT_CLOSED and DUPLICATE_REFERENCE, 422 for the rest (src/api/status.ts).
 */
export class AccountRefused extends YibaoError<RefusalCode> {
  readonly reason: string;
  readonly source: string;
  constructor(readonly refusal: Refusal) {
    super(refusal.code, `${refusal.code}: ${refusal.reason}${refusal.source ? `（${refusal.source}）` : ''}`, {
      reason: refusal.reason,
      source: refusal.source,
      trace: refusal.trace,
    });
    this.name = 'AccountRefused';
    this.reason = refusal.reason;
    this.source = refusal.source;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.reason, reason: this.reason, source: this.source, trace: this.refusal.trace };
  }
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

function holderRow(account: { id: string; holderId: string }, from: string, t: HolderTerms, actor: Actor, now: number): AccountHoldersTable {
  return {
    holder_id: account.holderId,
    account_id: account.id,
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
    // The account's id is the request's: the same id with the same details answers the account as it is.
    const find = (db: Db) => db.selectFrom('accounts').select(['request_hash']).where('id', '=', req.id).executeTakeFirst();
    const replay = (db: Db): Idempotency<{ request_hash: string | null }, Promise<OpenResult>> => ({
      matches: (prior) => prior.request_hash === req.hash,
      answer: async () => ({ account: await this.view(req.id, db), created: false }),
      conflict: () => new LedgerError('IDEMPOTENCY_CONFLICT', `id: account ${req.id} exists with other details`),
    });
    return idempotently(
      () =>
        this.db.transaction().execute(async (trx) => {
          await lockAccountId(trx, req.id);
          const existing = replayIfSeen(replay(trx), await find(trx));
          if (existing) return existing;
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
          if (req.holder)
            await trx
              .insertInto('account_holders')
              .values(holderRow({ id: req.id, holderId: req.holderId }, req.holder.from ?? openedOn.slice(0, 7), req.holder, actor, now))
              .execute();
          await audit(trx, actor, 'account-open', req.id, { kind: req.kind, holderId: req.holderId, region: req.region, openedOn }, now);
          return { account: await this.view(req.id, trx), created: true };
        }),
      // The same id opened at the same moment by another request.
      () => find(this.db),
      replay(this.db),
      { absentIsConflict: true },
    );
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
      const next = holderRow({ id: accountId, holderId: row.holder_id }, terms.from, terms, actor, now);
      const mine = { holder_id: row.holder_id, account_id: accountId, from_month: terms.from };
      const same = await trx
        .selectFrom('account_holders')
        .selectAll()
        .where((eb) => eb.and(mine))
        .executeTakeFirst();
      const key = (h: AccountHoldersTable) => JSON.stringify(holderView(h));
      if (same && key(same) === key(next)) return { account: await this.view(accountId, trx), changed: false };
      const credited = await trx
        .selectFrom('account_entries')
        .select('period')
        .where('holder_id', '=', row.holder_id)
        .where('account_id', '=', accountId)
        .where('period', '>=', terms.from)
        .orderBy('period')
        .executeTakeFirst();
      if (credited)
        throw new LedgerError('ALREADY_CREDITED', `from: ${credited.period} is already credited with the details before; give the holder's new details from a later month`);
      await trx
        .deleteFrom('account_holders')
        .where((eb) => eb.and(mine))
        .execute();
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
        const credited = new Set(
          (await trx.selectFrom('account_entries').select('account_id').where('period', '=', month).where('account_id', 'in', ids).execute()).map((r) => r.account_id),
        );
        const terms = new Map<string, AccountHoldersTable>();
        // By the holders' keys: an account is one holder's, so these are the rows of the accounts in ids.
        const holders = [...new Set(rows.map((r) => r.holder_id))];
        for (const h of await trx
          .selectFrom('account_holders')
          .selectAll()
          .where('holder_id', 'in', holders.length > 0 ? holders : [''])
          .where('account_id', 'in', ids)
          .where('from_month', '<=', month)
          .orderBy('account_id')
          .orderBy('from_month')
          .execute())
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
    return idempotently(
      () =>
        this.db.transaction().execute(async (trx) => {
          const out = await applyAccountOperation(trx, this.policies, accountId, req, actor, this.now());
          if (!out.ok) throw new AccountRefused(out.refusal);
          const { ok: _ok, ...result } = out;
          return result;
        }),
      // The same request id committed by a concurrent request (on another of the holder's accounts,
      // or the same entry id under another request id).
      () => findOperation(this.db, accountId, req.requestId),
      operationReplay(accountId, req),
    );
  }

  /** The account: its details, balance and holder's details by month. */
  async view(accountId: string, db: Db = this.db): Promise<AccountView> {
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new LedgerError('NOT_FOUND', `account ${accountId} does not exist`);
    const holders = await db.selectFrom('account_holders').selectAll().where('holder_id', '=', row.holder_id).where('account_id', '=', accountId).orderBy('from_month').execute();
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
    const exists = await this.db.selectFrom('accounts').select('holder_id').where('id', '=', accountId).executeTakeFirst();
    if (!exists) throw new LedgerError('NOT_FOUND', `account ${accountId} does not exist`);
    let q = this.db.selectFrom('account_entries').selectAll().where('holder_id', '=', exists.holder_id).where('account_id', '=', accountId);
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
    const page = pageOf(
      await this.entries(accountId, { after: options.after, limit: limit + 1 }),
      limit,
      'account',
      (e) => [e.entry.seq],
      (e) => storedEntryJson(e),
    );
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
