/**
 * What 1101 人员信息获取 reads of a person beyond the registry and the payments: the balance of
 * their open personal account (个人账户, or residents' 个人（家庭）账户). No audit here: the route
 * audits the read of personal data.
 */
import type { Kysely } from 'kysely';
import type { Fen } from '../money/money.js';
import type { Database } from './schema.js';

/** The balance in fen of the person's open account of `kind`, or null when they have none. */
export async function openAccountBalance(db: Kysely<Database>, personId: string, kind: string): Promise<Fen | null> {
  const row = await db.selectFrom('accounts').select('balance_fen').where('holder_id', '=', personId).where('kind', '=', kind).where('closed_on', 'is', null).executeTakeFirst();
  return row ? Number(row.balance_fen) : null;
}
