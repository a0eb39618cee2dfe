/**
 * The API keys' table: a key is stored only as its SHA-256 hash, with its role and institution;
 * creating and revoking one is in the audit log. The service's roles and its key cache are the
 * API's (src/api/keys.ts); the rows are the ledger's.
 */
import type { Kysely } from 'kysely';
import type { ApiKeysTable, Database } from './schema.js';

/** A key's row as listed: never the key, nor its hash. */
export type KeyRow = Pick<ApiKeysTable, 'id' | 'role' | 'institution_id' | 'label' | 'created_at' | 'revoked_at'>;

/** Stores a new key's hash and records its creation, in one transaction. */
export async function insertKey(
  db: Kysely<Database>,
  row: Pick<ApiKeysTable, 'id' | 'key_hash' | 'role' | 'institution_id' | 'label' | 'created_at'>,
  actor: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_keys')
      .values({ ...row, revoked_at: null })
      .execute();
    await trx
      .insertInto('audit_log')
      .values({
        at: row.created_at,
        actor,
        role: 'system',
        action: 'keys.create',
        target: row.id,
        detail: JSON.stringify({ role: row.role, institutionId: row.institution_id, label: row.label }),
      })
      .execute();
  });
}

/** Revokes a key not revoked yet, recording it; false when there is no such key, or it was revoked before. */
export async function revokeKeyRow(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const r = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) {
    await db.insertInto('audit_log').values({ at: now, actor: 'cli', role: 'system', action: 'keys.revoke', target: id, detail: '{}' }).execute();
    return true;
  }
  return false;
}

/** Every key, oldest first, revoked ones too. */
export function keyRows(db: Kysely<Database>): Promise<KeyRow[]> {
  return db.selectFrom('api_keys').select(['id', 'role', 'institution_id', 'label', 'created_at', 'revoked_at']).orderBy('created_at').orderBy('id').execute();
}

/** The key with this hash, if any. */
export function keyByHash(db: Kysely<Database>, keyHash: string): Promise<Pick<ApiKeysTable, 'id' | 'role' | 'institution_id' | 'revoked_at'> | undefined> {
  return db.selectFrom('api_keys').select(['id', 'role', 'institution_id', 'revoked_at']).where('key_hash', '=', keyHash).executeTakeFirst();
}
