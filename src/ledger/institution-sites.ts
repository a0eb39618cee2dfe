/**
 * Where institutions are and what kind they are (定点医疗机构 or 定点零售药店), as the agency records
 * them for supervision: the card-distance rule needs the place, the cash-out rule the kind.
 * Coordinates (WGS-84) are kept as integer microdegrees (degrees × 1,000,000), parsed from their
 * decimal text so that 112.454321 is 112454321 exactly, never a float's neighbour. Every change is
 * audited in its own transaction; an unchanged site writes nothing.
 */
import type { Kysely } from 'kysely';
import { INSTITUTION_KINDS, type InstitutionKind } from '../monitoring/types.js';
import { writeAudit } from './audit.js';
import { LedgerError } from './errors.js';
import type { Database } from './schema.js';
import type { Site } from './supervision-types.js';
import type { Actor } from './types.js';

/** At most this many sites a page returns. */
export const MAX_SITES_PAGE = 1000;
/** The longest institution id a site takes (the national fixmedins_code is 12 characters). */
const MAX_INSTITUTION_ID = 64;

const DECIMAL = /^([+-]?)(\d{1,3})(?:\.(\d+))?$/;

/**
 * Degrees as integer microdegrees, exactly: the decimal text of `value` (a number's shortest
 * round-trip text, or the text given) with at most 6 decimals, within ±`limit` degrees.
 *
 * @example microdegrees(112.454321, 'longitude', 180) // 112454321
 * @throws LedgerError INVALID_REQUEST naming the field.
 */
export function microdegrees(value: unknown, field: string, limit: number): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new LedgerError('INVALID_REQUEST', `${field}: ${value} is not a number of degrees`);
    text = String(value);
  } else if (typeof value === 'string') text = value.trim();
  else throw new LedgerError('INVALID_REQUEST', `${field}: degrees as a number (up to 6 decimals) or null, not ${JSON.stringify(value)}`);
  const m = DECIMAL.exec(text);
  if (!m) throw new LedgerError('INVALID_REQUEST', `${field}: ${JSON.stringify(text)} is not degrees with at most 6 decimals (经纬度最多6位小数)`);
  const [, sign, whole, frac = ''] = m as unknown as [string, string, string, string | undefined];
  if (frac.length > 6) throw new LedgerError('INVALID_REQUEST', `${field}: ${text} has ${frac.length} decimals; at most 6 (经纬度最多6位小数)`);
  const e6 = Number(whole) * 1_000_000 + Number(frac.padEnd(6, '0'));
  if (e6 > limit * 1_000_000) throw new LedgerError('INVALID_REQUEST', `${field}: ${text} is outside −${limit}..${limit} degrees`);
  return sign === '-' && e6 !== 0 ? -e6 : e6;
}

/** Microdegrees as degrees: the nearest number, whose text is the decimal stored. */
export const degreesOf = (e6: number | null): number | null => (e6 === null ? null : Number(e6) / 1_000_000);

interface SiteRow {
  institution_id: string;
  kind: string;
  longitude_e6: number | null;
  latitude_e6: number | null;
}

const siteOf = (r: SiteRow): Site => ({
  institutionId: r.institution_id,
  kind: r.kind as InstitutionKind,
  longitude: degreesOf(r.longitude_e6 === null ? null : Number(r.longitude_e6)),
  latitude: degreesOf(r.latitude_e6 === null ? null : Number(r.latitude_e6)),
});

/** A site checked: the row to store, or INVALID_REQUEST naming each problem. */
export function siteRow(site: Site): SiteRow {
  const problems: string[] = [];
  const id = site?.institutionId;
  if (typeof id !== 'string' || id.trim() === '' || id.length > MAX_INSTITUTION_ID) problems.push(`institutionId: an institution id of 1 to ${MAX_INSTITUTION_ID} characters`);
  if (!INSTITUTION_KINDS.includes(site?.kind)) problems.push(`kind: one of ${INSTITUTION_KINDS.join(', ')} (定点医疗机构, 定点零售药店), not ${JSON.stringify(site?.kind)}`);
  const coordinate = (value: unknown, field: string, limit: number): number | null => {
    if (value === null || value === undefined) return null;
    try {
      return microdegrees(value, field, limit);
    } catch (e) {
      problems.push((e as Error).message);
      return null;
    }
  };
  const longitude_e6 = coordinate(site?.longitude, 'longitude', 180);
  const latitude_e6 = coordinate(site?.latitude, 'latitude', 90);
  if ((site?.longitude === null || site?.longitude === undefined) !== (site?.latitude === null || site?.latitude === undefined)) {
    problems.push('longitude, latitude: both or neither (经度和纬度同时填写或同时不填)');
  }
  if (problems.length > 0) throw new LedgerError('INVALID_REQUEST', problems.join('; '));
  return { institution_id: id, kind: site.kind, longitude_e6, latitude_e6 };
}

/** The institution sites (机构位置和类型). */
export class InstitutionSites {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {}

  /** A page of sites by institution id, and how many there are. */
  async list(limit: number, offset: number): Promise<{ items: Site[]; total: number }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SITES_PAGE) throw new LedgerError('INVALID_REQUEST', `limit: 1 to ${MAX_SITES_PAGE}`);
    if (!Number.isInteger(offset) || offset < 0) throw new LedgerError('INVALID_REQUEST', 'offset: 0 or more');
    const rows = await this.db
      .selectFrom('institution_sites')
      .select(['institution_id', 'kind', 'longitude_e6', 'latitude_e6'])
      .orderBy('institution_id')
      .limit(limit)
      .offset(offset)
      .execute();
    const total = await this.db
      .selectFrom('institution_sites')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    return { items: rows.map(siteOf), total: Number(total.n) };
  }

  async get(institutionId: string): Promise<Site | undefined> {
    const r = await this.db
      .selectFrom('institution_sites')
      .select(['institution_id', 'kind', 'longitude_e6', 'latitude_e6'])
      .where('institution_id', '=', institutionId)
      .executeTakeFirst();
    return r && siteOf(r);
  }

  /** Records a site (audited); the site already on file writes nothing. */
  async set(site: Site, actor: Actor): Promise<{ site: Site; changed: boolean }> {
    const row = siteRow(site);
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('institution_sites')
        .select(['institution_id', 'kind', 'longitude_e6', 'latitude_e6'])
        .where('institution_id', '=', row.institution_id)
        .executeTakeFirst();
      const same =
        before &&
        before.kind === row.kind &&
        (before.longitude_e6 === null ? null : Number(before.longitude_e6)) === row.longitude_e6 &&
        (before.latitude_e6 === null ? null : Number(before.latitude_e6)) === row.latitude_e6;
      if (same) return { site: siteOf(row), changed: false };
      const at = this.now();
      const values = { ...row, actor: actor.id, updated_at: at };
      if (before) await trx.updateTable('institution_sites').set(values).where('institution_id', '=', row.institution_id).execute();
      else await trx.insertInto('institution_sites').values(values).execute();
      await writeAudit(trx, actor, at, 'supervision.site.set', row.institution_id, { before: before ? siteOf(before) : null, after: siteOf(row) });
      return { site: siteOf(row), changed: true };
    });
  }
}
