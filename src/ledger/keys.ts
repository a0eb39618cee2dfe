/**
 * API keys and roles.
 *
 * - institution: settle, pre-settle, reverse and read only visits at its own institution id;
 * - agency: everything;
 * - analyst: aggregates only, no personal data.
 *
 * A key is shown once when created; only its SHA-256 hash is stored. Lookups are cached for a few
 * seconds so that a busy service does not read the key table on every request; a revoked key
 * stops working within that time.
 */
import { hash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Actor } from './ledger.js';
import type { Database } from './schema.js';

export const ROLES = ['institution', 'agency', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export const hashKey = (key: string) => hash('sha256', key, 'hex');

export interface CreatedKey {
  id: string;
  key: string;
  role: Role;
  institutionId: string | null;
}

export async function createKey(db: Kysely<Database>, role: Role, options: { institutionId?: string; label?: string; actor?: string; now?: number } = {}): Promise<CreatedKey> {
  if (role === 'institution' && !options.institutionId) throw new Error('an institution key needs --institution ID');
  if (role !== 'institution' && options.institutionId) throw new Error(`an ${role} key is not tied to an institution; drop --institution`);
  const key = `yb_${randomBytes(24).toString('base64url')}`;
  const id = `K-${randomUUID()}`;
  const now = options.now ?? Date.now();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_keys')
      .values({ id, key_hash: hashKey(key), role, institution_id: options.institutionId ?? null, label: options.label ?? null, created_at: now, revoked_at: null })
      .execute();
    await trx
      .insertInto('audit_log')
      .values({
        at: now,
        actor: options.actor ?? 'cli',
        role: 'system',
        action: 'keys.create',
        target: id,
        detail: JSON.stringify({ role, institutionId: options.institutionId ?? null, label: options.label ?? null }),
      })
      .execute();
  });
  return { id, key, role, institutionId: options.institutionId ?? null };
}

export async function revokeKey(db: Kysely<Database>, id: string, now = Date.now()): Promise<boolean> {
  const r = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) {
    await db.insertInto('audit_log').values({ at: now, actor: 'cli', role: 'system', action: 'keys.revoke', target: id, detail: '{}' }).execute();
    return true;
  }
  return false;
}

/** A key as `yibao keys list` shows it: never the key, nor its hash. */
export interface KeyInfo {
  id: string;
  role: string;
  institutionId: string | null;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** Every key, oldest first, revoked ones too. */
export async function listKeys(db: Kysely<Database>): Promise<KeyInfo[]> {
  const rows = await db.selectFrom('api_keys').select(['id', 'role', 'institution_id', 'label', 'created_at', 'revoked_at']).orderBy('created_at').orderBy('id').execute();
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return rows.map((r) => ({ id: r.id, role: r.role, institutionId: r.institution_id, label: r.label, createdAt: iso(r.created_at) as string, revokedAt: iso(r.revoked_at) }));
}

/** Resolves presented keys to actors, with a short cache. */
export class KeyStore {
  private readonly cache = new Map<string, { actor: Actor | null; until: number }>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async actor(presented: string): Promise<Actor | null> {
    const h = hashKey(presented);
    const hit = this.cache.get(h);
    const now = this.now();
    if (hit && hit.until > now) return hit.actor;
    const row = await this.db.selectFrom('api_keys').select(['id', 'role', 'institution_id', 'revoked_at']).where('key_hash', '=', h).executeTakeFirst();
    let actor: Actor | null = null;
    if (row && row.revoked_at === null) {
      actor = { id: row.id, role: row.role as Role };
      if (row.institution_id) actor.institutionId = row.institution_id;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(h, { actor, until: now + this.ttlMs });
    return actor;
  }
}
