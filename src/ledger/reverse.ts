/**
 * Reversing a settlement (冲正): a new entry with the amounts negated, the accumulators restored,
 * and what the personal account paid given back to it. An entry is never edited, and a settlement
 * is reversed at most once.
 */
import type { Kysely, Transaction } from 'kysely';
import { insertEntry, lockAccount } from './account-store.js';
import type { AccountEntry } from '../account/types.js';
import { chinaDay, formatDate } from '../calendar/calendar.js';
import { formatYuan, toYuanNumber, type Fen } from '../money/money.js';
import { LedgerError } from './errors.js';
import { replayAfterRace, replayIfSeen, type Idempotency } from './idempotency.js';
import { uuidv7 } from './ids.js';
import { assertMoneyIdentity } from './invariants.js';
import type { Database, SettlementsTable } from './schema.js';
import { personLock } from './statements.js';
import type { Actor, Entry, SettleResult } from './types.js';
import { storedAmounts } from './verify.js';

type Db = Kysely<Database> | Transaction<Database>;

async function audit(db: Db, actor: Actor, action: string, target: string, detail: unknown, at: number): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ at, actor: actor.id, role: actor.role, action, target, detail: JSON.stringify(detail) })
    .execute();
}

/**
 * Reverses a settlement: a new entry with the amounts negated, and the accumulators restored
 * (the cap by what the settlement paid; the settlement's deductible window — its visit's day at
 * its institution — by what it bore). Refused for a reversal, or a settlement reversed before.
 * Idempotent by request id: a retry gets the original reversal, also when it waited for the
 * person's lock while the first of its kind committed.
 * PostgreSQL (`postgres`) takes the person's advisory lock, as a settle does.
 */
export async function reverseSettlement(
  db: Kysely<Database>,
  postgres: boolean,
  clock: () => number,
  settlementId: string,
  requestId: string,
  actor: Actor,
): Promise<SettleResult> {
  const hash = `reverse:${settlementId}`;
  const spec: Idempotency<{ body: string; request_hash: string | null }, SettleResult> = {
    matches: (prior) => prior.request_hash === hash,
    answer: (prior) => ({ entry: JSON.parse(prior.body) as Entry, created: false, body: prior.body }),
    conflict: () => new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${requestId} was already used for a different request`),
  };
  // A request id is its person's: the person whose settlement is reversed (known once it is read).
  let personId: string | undefined;
  const find = async (q: Db) =>
    personId === undefined
      ? undefined
      : q.selectFrom('settlements').select(['body', 'request_hash']).where('person_id', '=', personId).where('request_id', '=', requestId).executeTakeFirst();
  try {
    return await db.transaction().execute(async (trx) => {
      // Who may see the settlement is checked first, also for a retry: request ids are chosen by
      // clients and may be guessed.
      const original = await trx.selectFrom('settlements').selectAll().where('id', '=', settlementId).executeTakeFirst();
      if (!original) throw new LedgerError('NOT_FOUND', `settlement ${settlementId} does not exist`);
      if (actor.role === 'institution' && actor.institutionId !== original.institution_id) {
        throw new LedgerError('NOT_FOUND', `settlement ${settlementId} does not exist`);
      }
      personId = original.person_id;
      const retry = async () => replayIfSeen(spec, await find(trx));
      const before = await retry();
      if (before) return before;
      if (original.kind !== 'settlement') throw new LedgerError('NOT_REVERSIBLE', `${settlementId} is a reversal; a reversal cannot be reversed`);
      // Lock the person, as settle does (SQLite: the transaction already holds the one write lock).
      if (postgres) {
        await personLock(original.person_id).execute(trx);
        // A retry that waited for the lock while the first of its request id committed: the
        // original answer, not ALREADY_REVERSED (each statement reads what was committed before it).
        const after = await retry();
        if (after) return after;
      }
      const already = await reversalOf(trx, settlementId);
      if (already) throw new LedgerError('ALREADY_REVERSED', `settlement ${settlementId} was already reversed by ${already.id}`);
      // The reversal holds the settlement's money identity, negated: checked before anything is written.
      assertMoneyIdentity(`reversal of ${settlementId}`, storedAmounts(original));
      const now = clock();
      const id = `R-${uuidv7(now)}`;
      const n = (v: number | null) => (v === null ? null : -Number(v));
      const fund = Number(original.fund_pay_fen);
      const deductible = Number(original.deductible_fen);
      let capAfter: number | null = null;
      if (original.cap_bucket !== null && original.cap_year !== null && fund !== 0) {
        capAfter = await takeFromCap(trx, original.person_id, Number(original.cap_year), original.cap_bucket, fund);
      }
      let windowAfter: number | null = null;
      if (original.window_bucket !== null && original.window_day !== null && deductible !== 0) {
        // The settlement's own window (its visit's day at its institution) gives back what it bore.
        const window = { person_id: original.person_id, bucket: original.window_bucket, institution_id: original.institution_id, day: Number(original.window_day) };
        const current = await trx
          .selectFrom('deductible_windows')
          .select('borne_fen')
          .where((eb) => eb.and(window))
          .executeTakeFirst();
        if (!current) throw new Error(`settlement ${settlementId} bore ${deductible} fen in a deductible window the ledger does not hold`);
        windowAfter = Number(current.borne_fen) - deductible;
        if (windowAfter > 0)
          await trx
            .updateTable('deductible_windows')
            .set({ borne_fen: windowAfter })
            .where((eb) => eb.and(window))
            .execute();
        else
          await trx
            .deleteFrom('deductible_windows')
            .where((eb) => eb.and(window))
            .execute();
      }
      // The later layers of the fund chain (大病保险, 医疗救助): each yearly total back by what the entry added.
      const layerRows = await trx.selectFrom('settlement_layers').selectAll().where('person_id', '=', original.person_id).where('settlement_id', '=', settlementId).execute();
      const layersRestored: { settlement_id: string; person_id: string; year: number; bucket: string; change_fen: number; after_fen: number }[] = [];
      for (const l of layerRows) {
        const after = await takeFromCap(trx, original.person_id, Number(l.year), l.bucket, Number(l.change_fen));
        layersRestored.push({ settlement_id: id, person_id: original.person_id, year: Number(l.year), bucket: l.bucket, change_fen: -Number(l.change_fen), after_fen: after });
      }
      const accountRestored = await restoreAccount(trx, original, id, actor, now);
      const y = (v: number | null) => (v === null ? null : toYuanNumber(-Number(v)));
      const entry: Entry = {
        id,
        kind: 'reversal',
        requestId,
        reverses: settlementId,
        createdAt: new Date(now).toISOString(),
        institution: original.institution_id,
        visitId: original.visit_id,
        person: original.person_id,
        policy: original.policy,
        total: y(original.total_fen),
        eligible: y(original.eligible_fen),
        deductible: y(original.deductible_fen),
        fundPay: y(original.fund_pay_fen),
        criticalIllnessPay: y(original.critical_illness_pay_fen),
        assistancePay: y(original.assistance_pay_fen),
        accountPay: y(original.account_pay_fen),
        cashPay: y(original.cash_pay_fen),
        restored: {
          cap: capAfter === null ? null : { bucket: original.cap_bucket, year: original.cap_year, usedAfter: toYuanNumber(capAfter) },
          deductibleWindow:
            windowAfter === null ? null : { bucket: original.window_bucket, institution: original.institution_id, borneAfter: toYuanNumber(Math.max(0, windowAfter)) },
          account: accountRestored,
          ...(layersRestored.length > 0 ? { layers: layersRestored.map((l) => ({ bucket: l.bucket, year: l.year, usedAfter: toYuanNumber(l.after_fen) })) } : {}),
        },
      };
      const body = JSON.stringify(entry);
      await trx
        .insertInto('settlements')
        .values({
          ...original,
          id,
          request_id: requestId,
          request_hash: hash,
          kind: 'reversal',
          reverses: settlementId,
          total_fen: -Number(original.total_fen),
          eligible_fen: -Number(original.eligible_fen),
          deductible_fen: -deductible,
          fund_pay_fen: -fund,
          critical_illness_pay_fen: -Number(original.critical_illness_pay_fen),
          assistance_pay_fen: -Number(original.assistance_pay_fen),
          account_pay_fen: -Number(original.account_pay_fen),
          cash_pay_fen: -Number(original.cash_pay_fen),
          cap_before_fen: n(null),
          cap_after_fen: capAfter,
          window_borne_after_fen: windowAfter,
          body,
          actor: actor.id,
          created_at: now,
        })
        .execute();
      if (layersRestored.length > 0) await trx.insertInto('settlement_layers').values(layersRestored).execute();
      await audit(trx, actor, 'reverse', id, { reverses: settlementId, requestId }, now);
      return { entry, created: true, body };
    });
  } catch (e) {
    // The same request id committed meanwhile; or the settlement reversed meanwhile under another.
    return replayAfterRace(e, () => find(db), spec, {
      otherwise: async () => {
        const again = await reversalOf(db, settlementId);
        if (again) throw new LedgerError('ALREADY_REVERSED', `settlement ${settlementId} was already reversed by ${again.id}`);
      },
    });
  }
}

/** The id of the entry that reversed a settlement, if any (by the settlement's person and id: the unique key). */
export async function reversalOf(db: Db, settlementId: string): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('settlements as r')
    .select('r.id')
    .where((eb) => eb('r.person_id', '=', eb.selectFrom('settlements as o').select('o.person_id').where('o.id', '=', settlementId)))
    .where('r.reverses', '=', settlementId)
    .executeTakeFirst();
}

/**
 * A reversed settlement the personal account paid into: what the account paid goes back to it,
 * as a new entry (冲正), never an edit. Null when the account paid nothing.
 */
async function restoreAccount(trx: Transaction<Database>, original: SettlementsTable, reversalId: string, actor: Actor, now: number) {
  const paid = Number(original.account_pay_fen);
  if (paid === 0) return null;
  const payment = await trx
    .selectFrom('account_entries')
    .select(['account_id', 'id'])
    // The person's own account paid (a settle pays from its person's account): the holder's entries.
    .where('holder_id', '=', original.person_id)
    .where('settlement_id', '=', original.id)
    .where('kind', '=', 'visit-payment')
    .executeTakeFirst();
  if (!payment) throw new Error(`settlement ${original.id}: the account paid ${paid} fen but no account entry records it`);
  const row = await lockAccount(trx, payment.account_id);
  const before = Number(row.balance_fen);
  const entry: AccountEntry = {
    kind: 'visit-payment-reversal',
    id: `${row.id}/visit-payment-reversal/${original.id}`,
    accountId: row.id,
    seq: Number(row.seq) + 1,
    date: formatDate(chinaDay(now)),
    amount: paid,
    balanceAfter: before + paid,
    ref: reversalId,
    visitId: original.visit_id,
    settlementId: original.id,
    reversalId,
    source: `冲正 ${reversalId}`,
    text: `结算${original.id}冲正，个人账户支付的${formatYuan(paid)}元退回账户（余额${formatYuan(before)}元，退回后${formatYuan(before + paid)}元）。`,
  };
  await insertEntry(trx, entry, { requestId: null, requestHash: null, actor, now });
  return { id: row.id, returned: toYuanNumber(paid), balanceAfter: toYuanNumber(before + paid) };
}

/**

/** Takes an amount off a person's yearly total for a bucket (a reversal); returns the new total. */
async function takeFromCap(trx: Transaction<Database>, personId: string, year: number, bucket: string, amount: Fen): Promise<Fen> {
  const row = await trx.selectFrom('cap_usage').select('used_fen').where('person_id', '=', personId).where('year', '=', year).where('bucket', '=', bucket).executeTakeFirst();
  const after = Number(row?.used_fen ?? 0) - amount;
  await trx.updateTable('cap_usage').set({ used_fen: after }).where('person_id', '=', personId).where('year', '=', year).where('bucket', '=', bucket).execute();
  return after;
}
