/**
 * The agency's monitoring settings (监测设置): budget warning margins, high-cost thresholds,
 * supervision rules' parameters. Nothing here has a default: a setting exists only when the
 * agency has set it. Each change is a new row (the newest of a key is in force) and an audit row,
 * written together; setting the value already in force writes nothing.
 */
import type { Kysely, Transaction } from 'kysely';
import { writeAudit } from './audit.js';
import { uuidv7 } from './ids.js';
import type { Database } from './schema.js';
import type { Actor } from './types.js';

type Db = Kysely<Database> | Transaction<Database>;

/** At most this many versions of a key a history returns. */
export const MAX_SETTING_HISTORY = 1000;

/** A setting as it stands: its value, who set it, when and why. */
export interface Setting<T = unknown> {
  key: string;
  value: T;
  reason: string | null;
  actor: string;
  /** Epoch ms. */
  at: number;
}

const settingOf = <T>(r: { key: string; value: string; reason: string | null; actor: string; at: number }): Setting<T> => ({
  key: r.key,
  value: JSON.parse(r.value) as T,
  reason: r.reason,
  actor: r.actor,
  at: Number(r.at),
});

/** A stable JSON text (keys sorted), so an unchanged value is recognised whatever its key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

export class MonitoringSettings {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {}

  /** The setting in force, or undefined when the agency has not set it. */
  async get<T>(key: string, db: Db = this.db): Promise<Setting<T> | undefined> {
    const r = await db.selectFrom('monitoring_settings').select(['key', 'value', 'reason', 'actor', 'at']).where('key', '=', key).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r ? settingOf<T>(r) : undefined;
  }

  /** Every version of a key, newest first. */
  async history<T>(key: string, limit = MAX_SETTING_HISTORY): Promise<Setting<T>[]> {
    const rows = await this.db
      .selectFrom('monitoring_settings')
      .select(['key', 'value', 'reason', 'actor', 'at'])
      .where('key', '=', key)
      .orderBy('id', 'desc')
      .limit(Math.min(limit, MAX_SETTING_HISTORY))
      .execute();
    return rows.map((r) => settingOf<T>(r));
  }

  /**
   * Sets a key (the caller has validated the value). Returns whether anything changed: the value
   * in force again writes nothing. The new row and its audit row are one transaction.
   */
  async set(key: string, value: unknown, reason: string | null, actor: Actor): Promise<{ changed: boolean; setting: Setting }> {
    return this.db.transaction().execute(async (tx) => {
      const before = await this.get(key, tx);
      const text = canonicalJson(value);
      if (before && canonicalJson(before.value) === text) return { changed: false, setting: before };
      const at = this.now();
      await tx
        .insertInto('monitoring_settings')
        .values({ id: uuidv7(at), key, value: text, reason, actor: actor.id, at })
        .execute();
      await writeAudit(tx, actor, at, 'monitoring.settings.set', key, { before: before?.value ?? null, after: value, reason });
      return { changed: true, setting: { key, value: JSON.parse(text), reason, actor: actor.id, at } };
    });
  }
}
