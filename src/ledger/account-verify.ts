/** Checking every personal account against its entries. */
import { verifyEntries } from '../account/account.js';
import { CLOSING_KINDS, type AccountEntry, type AccountState } from '../account/types.js';
import type { Kysely } from 'kysely';
import { toYuanNumber } from '../money/money.js';
import { accountOf, entryOf } from './account-store.js';
import type { AccountEntriesTable, Database } from './schema.js';

const BATCH = 500;

export interface AccountVerifyReport {
  ok: boolean;
  checked: { accounts: number; entries: number };
  mismatches: string[];
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
      // By the holders' keys (an account is one holder's): the entries of the chunk's accounts.
      .where('holder_id', 'in', [...new Set(chunk.map((a) => a.holder_id))])
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
          mismatches.push(
            `account ${a.id}: entry ${r.id}: its columns (seq ${r.seq}, ${r.kind}, amount ${r.amount_fen}, balance after ${r.balance_after_fen}) differ from the entry as written`,
          );
      }
      const last = list[list.length - 1];
      const balance = last ? Number(last.balance_after_fen) : 0;
      if (Number(a.balance_fen) !== balance)
        mismatches.push(`account ${a.id}: the account holds a balance of ${toYuanNumber(Number(a.balance_fen))}, its entries ${toYuanNumber(balance)}`);
      if (Number(a.seq) !== list.length) mismatches.push(`account ${a.id}: the account's seq is ${a.seq}, it has ${list.length} entries`);
      const closing = list.find((r) => (CLOSING_KINDS as readonly string[]).includes(r.kind));
      if ((closing?.entry_date ?? null) !== a.closed_on) mismatches.push(`account ${a.id}: closed on ${a.closed_on ?? 'never'}, its entries say ${closing?.entry_date ?? 'open'}`);
    }
  }
  return { ok: mismatches.length === 0, checked: { accounts: accounts.length, entries }, mismatches };
}
