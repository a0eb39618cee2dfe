/**
 * The clearing registry the agency keeps (清算登记): paying centres (医保中心), counties and
 * districts (县区), each institution's district and paying centre, and the funds districts remit
 * to the city (上解资金). Every change is audited in the same transaction; an unchanged record
 * writes nothing. The rule for who pays is the policy's (src/clearing/centres.ts).
 */
import { onceMore } from './idempotency.js';
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { payingCentre, districtProblem, payingCentreRule, type Centre, type CentreBasis, type District, type InstitutionClearing } from '../clearing/centres.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import { chinaDay } from '../calendar/calendar.js';
import type { PolicySet } from '../policy/registry.js';
import { writeAudit } from './audit.js';
import { LedgerError } from './errors.js';
import type { Database } from './schema.js';
import type { Actor } from './types.js';

type Db = Kysely<Database> | Transaction<Database>;

/** At most this many rows a registry list returns (the registry is small: centres, districts, institutions). */
export const MAX_REGISTRY_ROWS = 10_000;

/** A remittance (上解资金) as the agency records it. */
export interface Remittance {
  /** The client's id: recording the same id again is a replay; with other details, a conflict. */
  id: string;
  district: string;
  period: string;
  amount: Fen;
  /** YYYY-MM-DD. */
  remittedOn: string;
  note: string | null;
}

const centreOf = (r: { id: string; name: string; level: string; region: string; district: string | null }): Centre => ({
  id: r.id,
  name: r.name,
  level: r.level as Centre['level'],
  region: r.region,
  district: r.district,
});
const districtOf = (r: { code: string; name: string; region: string; level: string }): District => ({
  code: r.code,
  name: r.name,
  region: r.region,
  level: r.level as District['level'],
});

/** The fields that changed between two records (all of `next` when there was none). */
function changes<T extends object>(before: T | undefined, next: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) {
    const was = before ? (before as Record<string, unknown>)[k] : undefined;
    if (!before) out[k] = v;
    else if (was !== v) out[k] = [was, v];
  }
  return out;
}

export class ClearingRegistry {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly policies: PolicySet,
    private readonly now: () => number,
  ) {}

  /** The rule for who pays in force in a region today (China day). */
  ruleOf = (region: string) => payingCentreRule(this.policies, region, chinaDay(this.now()));

  async centres(db: Db = this.db): Promise<Centre[]> {
    const rows = await db.selectFrom('paying_centres').select(['id', 'name', 'level', 'region', 'district']).orderBy('id').limit(MAX_REGISTRY_ROWS).execute();
    return rows.map(centreOf);
  }

  async districts(db: Db = this.db): Promise<District[]> {
    const rows = await db.selectFrom('districts').select(['code', 'name', 'region', 'level']).orderBy('code').limit(MAX_REGISTRY_ROWS).execute();
    return rows.map(districtOf);
  }

  async institutions(db: Db = this.db): Promise<InstitutionClearing[]> {
    const rows = await db.selectFrom('institution_clearing').select(['institution_id', 'district', 'centre_id']).orderBy('institution_id').limit(MAX_REGISTRY_ROWS).execute();
    return rows.map((r) => ({ institutionId: r.institution_id, district: r.district, centreId: r.centre_id }));
  }

  /** Creates or replaces a paying centre. */
  async setCentre(c: Centre, actor: Actor): Promise<{ centre: Centre; created: boolean; changed: boolean }> {
    return onceMore(() =>
      this.db.transaction().execute(async (trx) => {
        if (!this.policies.region(c.region))
          throw new LedgerError(
            'INVALID_REQUEST',
            `region: ${c.region} is not a region of the policies (${this.policies
              .allRegions()
              .map((r) => r.code)
              .join(', ')})`,
          );
        if (c.level === 'county' && !c.district) throw new LedgerError('INVALID_REQUEST', 'district: a county centre (县区医保中心) names the district it serves');
        if (c.level === 'city' && c.district)
          throw new LedgerError('INVALID_REQUEST', 'district: the city centre (市医保中心) serves the city districts, not one district; leave district out');
        if (c.district) {
          const d = await trx.selectFrom('districts').select(['region']).where('code', '=', c.district).executeTakeFirst();
          if (!d) throw new LedgerError('INVALID_REQUEST', `district: ${c.district} is not a registered district; register it first (PUT /v1/clearing/districts/${c.district})`);
          if (d.region !== c.region) throw new LedgerError('INVALID_REQUEST', `district: ${c.district} is in region ${d.region}, not ${c.region}`);
        }
        const others = await trx
          .selectFrom('paying_centres')
          .select(['id'])
          .where('id', '!=', c.id)
          .where('region', '=', c.region)
          .where('level', '=', c.level)
          .where('district', c.district === null ? 'is' : '=', c.district)
          .execute();
        if (others.length > 0) {
          const what = c.level === 'city' ? `region ${c.region} already has its city centre` : `district ${c.district} already has its centre`;
          throw new LedgerError('INVALID_REQUEST', `${what}: ${others.map((o) => o.id).join(', ')}`);
        }
        const row = await trx.selectFrom('paying_centres').select(['id', 'name', 'level', 'region', 'district']).where('id', '=', c.id).executeTakeFirst();
        const before = row ? centreOf(row) : undefined;
        const diff = changes(before, c);
        if (before && Object.keys(diff).length === 0) return { centre: before, created: false, changed: false };
        const now = this.now();
        const values = { id: c.id, name: c.name, level: c.level, region: c.region, district: c.district, actor: actor.id, updated_at: now };
        if (before) await trx.updateTable('paying_centres').set(values).where('id', '=', c.id).execute();
        else await trx.insertInto('paying_centres').values(values).execute();
        await writeAudit(trx, actor, now, before ? 'clearing.centre.update' : 'clearing.centre.register', c.id, diff);
        return { centre: c, created: !before, changed: true };
      }),
    );
  }

  /** Creates or replaces a county or district; a district the rule counts as a county cannot be a city district. */
  async setDistrict(d: District, actor: Actor): Promise<{ district: District; created: boolean; changed: boolean }> {
    if (!this.policies.region(d.region)) throw new LedgerError('INVALID_REQUEST', `region: ${d.region} is not a region of the policies`);
    const problem = districtProblem(d, this.ruleOf(d.region));
    if (problem) throw new LedgerError('PAYING_CENTRE_RULE', problem);
    return onceMore(() =>
      this.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('districts').select(['code', 'name', 'region', 'level']).where('code', '=', d.code).executeTakeFirst();
        const before = row ? districtOf(row) : undefined;
        const diff = changes(before, d);
        if (before && Object.keys(diff).length === 0) return { district: before, created: false, changed: false };
        const now = this.now();
        const values = { code: d.code, name: d.name, region: d.region, level: d.level, actor: actor.id, updated_at: now };
        if (before) await trx.updateTable('districts').set(values).where('code', '=', d.code).execute();
        else await trx.insertInto('districts').values(values).execute();
        await writeAudit(trx, actor, now, before ? 'clearing.district.update' : 'clearing.district.register', d.code, diff);
        return { district: d, created: !before, changed: true };
      }),
    );
  }

  /**
   * Records an institution's district and, optionally, its paying centre. Refused when the
   * district or centre is not registered, or the centre contradicts the policy's rule
   * (PAYING_CENTRE_RULE, citing it); where the rule names the centre it may be left out.
   */
  async assignInstitution(reg: InstitutionClearing, actor: Actor): Promise<{ institution: InstitutionClearing; centre: CentreBasis | null; created: boolean; changed: boolean }> {
    return onceMore(() =>
      this.db.transaction().execute(async (trx) => {
        const [centres, districts] = await Promise.all([this.centres(trx), this.districts(trx)]);
        const resolved = payingCentre(reg, new Map(districts.map((d) => [d.code, d])), centres, this.ruleOf);
        if ('problem' in resolved) {
          // A registration the rule cannot pay is refused only when the rule itself is contradicted or
          // the district is unknown; a missing centre is recorded and reported at the close.
          if (resolved.rule && reg.centreId !== null) throw new LedgerError('PAYING_CENTRE_RULE', resolved.problem);
          if (!districts.some((d) => d.code === reg.district) || (reg.centreId !== null && !centres.some((c) => c.id === reg.centreId))) {
            throw new LedgerError('INVALID_REQUEST', resolved.problem);
          }
        }
        const row = await trx
          .selectFrom('institution_clearing')
          .select(['institution_id', 'district', 'centre_id'])
          .where('institution_id', '=', reg.institutionId)
          .executeTakeFirst();
        const before = row ? { institutionId: row.institution_id, district: row.district, centreId: row.centre_id } : undefined;
        const diff = changes(before, reg);
        const centre = 'problem' in resolved ? null : resolved;
        if (before && Object.keys(diff).length === 0) return { institution: before, centre, created: false, changed: false };
        const now = this.now();
        const values = { institution_id: reg.institutionId, district: reg.district, centre_id: reg.centreId, actor: actor.id, updated_at: now };
        if (before) await trx.updateTable('institution_clearing').set(values).where('institution_id', '=', reg.institutionId).execute();
        else await trx.insertInto('institution_clearing').values(values).execute();
        await writeAudit(trx, actor, now, before ? 'clearing.institution.update' : 'clearing.institution.register', reg.institutionId, diff);
        return { institution: reg, centre, created: !before, changed: true };
      }),
    );
  }

  /** The paying centre of each registered institution (or the problem), as the registry holds them now. */
  async resolveAll(db: Db = this.db): Promise<Map<string, CentreBasis | { problem: string; rule: boolean }>> {
    const [centres, districts, institutions] = await Promise.all([this.centres(db), this.districts(db), this.institutions(db)]);
    const byCode = new Map(districts.map((d) => [d.code, d]));
    return new Map(institutions.map((i) => [i.institutionId, payingCentre(i, byCode, centres, this.ruleOf)]));
  }

  /** Records remitted funds (上解资金) once per client id. */
  async recordRemittance(r: Remittance, actor: Actor): Promise<{ remittance: Record<string, unknown>; created: boolean }> {
    const hash = createHash('sha256')
      .update(JSON.stringify([r.district, r.period, r.amount, r.remittedOn, r.note]))
      .digest('hex');
    return this.db.transaction().execute(async (trx) => {
      const prior = await trx.selectFrom('remittances').selectAll().where('id', '=', r.id).executeTakeFirst();
      if (prior) {
        if (prior.request_hash !== hash) throw new LedgerError('IDEMPOTENCY_CONFLICT', `remittance ${r.id} was recorded with other details; use a new id`);
        return { remittance: remittanceJson(prior), created: false };
      }
      const d = await trx.selectFrom('districts').select(['code']).where('code', '=', r.district).executeTakeFirst();
      if (!d) throw new LedgerError('INVALID_REQUEST', `district: ${r.district} is not a registered district`);
      const now = this.now();
      const row = {
        id: r.id,
        district: r.district,
        period: r.period,
        amount_fen: r.amount,
        remitted_on: r.remittedOn,
        note: r.note,
        request_hash: hash,
        actor: actor.id,
        recorded_at: now,
      };
      await trx.insertInto('remittances').values(row).execute();
      await writeAudit(trx, actor, now, 'clearing.remittance', r.id, { district: r.district, period: r.period, amount: toYuanNumber(r.amount) });
      return { remittance: remittanceJson(row), created: true };
    });
  }

  /** Remittances of a period (all districts), in district and id order. */
  async remittances(period: string, db: Db = this.db): Promise<{ id: string; district: string; amount: Fen; remittedOn: string; note: string | null }[]> {
    const rows = await db.selectFrom('remittances').selectAll().where('period', '=', period).orderBy('district').orderBy('id').limit(MAX_REGISTRY_ROWS).execute();
    return rows.map((r) => ({ id: r.id, district: r.district, amount: Number(r.amount_fen), remittedOn: r.remitted_on, note: r.note }));
  }
}

function remittanceJson(r: {
  id: string;
  district: string;
  period: string;
  amount_fen: number | string;
  remitted_on: string;
  note: string | null;
  actor: string;
  recorded_at: number | string;
}) {
  return {
    id: r.id,
    district: r.district,
    period: r.period,
    amount: toYuanNumber(Number(r.amount_fen)),
    remittedOn: r.remitted_on,
    note: r.note,
    recordedBy: r.actor,
    recordedAt: new Date(Number(r.recorded_at)).toISOString(),
  };
}
