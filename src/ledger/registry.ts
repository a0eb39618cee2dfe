/**
 * The registries the ledger keeps, in place of the platform's: the person registry (参保人员信息)
 * and the institutions (定点医药机构).
 *
 * The person registry holds the attributes that change a person's benefits: region (参保地),
 * scheme, category, hardship group (困难群众类别), family doctor (家庭医生签约), and for employees
 * the employment kind (用人单位职工 / 灵活就业人员, 洛医保〔2023〕63号 四（一）) and whether the
 * personal account's structure was adjusted (濮阳 第十四条). The agency keeps it (PUT
 * /v1/persons/{id}, `yibao persons set`); every change and every read is in the audit log.
 *
 * A settle never changes it. A settle's person, checked against it (`personForSettle`):
 * - registered: what the request gives must be what the registry holds (else PERSON_MISMATCH,
 *   naming the fields, nothing written); what it leaves out (hardship, familyDoctorAt,
 *   employment, accountReformed) is the registry's;
 * - not registered: the first settle registers them as the request says (as institutions are
 *   registered), unless the ledger requires registered persons (`requireEnrollment`): then
 *   PERSON_NOT_REGISTERED.
 */
import { onceMore } from './idempotency.js';
import { PostgresAdapter, type Kysely, type Selectable } from 'kysely';
import type { Category, Employment, Hardship, Scheme } from '../domain.js';
import type { Person } from '../engine/types.js';
import { recordOfPerson, type PersonRecord } from '../request/person-request.js';
import { LedgerError } from './errors.js';
import type { Actor } from './types.js';
import type { Database, PersonsTable } from './schema.js';
import { personLock } from './statements.js';

/** What the ledger requires on file before it settles a visit. */
export interface RegistryMode {
  /**
   * The agency's way (`yibao serve --require-enrollment`, YIBAO_REQUIRE_ENROLLMENT=1): the person
   * must be in the registry (PERSON_NOT_REGISTERED) and have a payment the agency recorded for the
   * visit's year (NOT_ENROLLED); a request's own `person.enrollment` is not taken
   * (ENROLLMENT_NOT_ACCEPTED). Off (the default): a first settle registers the person, and a
   * person with no payment on file is taken as covered.
   */
  requireEnrollment: boolean;
}

export const OPEN_MODE: RegistryMode = Object.freeze({ requireEnrollment: false });

export { recordOfPerson, type PersonRecord };

/** The attributes a settle request may state, checked against the registry, in the order reported. */
const ATTRIBUTES = ['region', 'scheme', 'category', 'hardship', 'familyDoctorAt', 'employment', 'accountReformed'] as const;
/** Those a request may leave out (the registry's apply). */
const OPTIONAL = ['hardship', 'familyDoctorAt', 'employment', 'accountReformed'] as const;

export function personRecordOf(
  row: Pick<Selectable<PersonsTable>, 'id' | 'region' | 'scheme' | 'category' | 'hardship' | 'family_doctor_at' | 'employment' | 'account_reformed'> & { district?: string | null },
): PersonRecord {
  return {
    id: row.id,
    region: row.region,
    scheme: row.scheme as Scheme,
    category: row.category as Category,
    hardship: (row.hardship ?? null) as Hardship | null,
    familyDoctorAt: row.family_doctor_at ?? null,
    employment: (row.employment ?? null) as Employment | null,
    accountReformed: row.account_reformed === null || row.account_reformed === undefined ? null : Number(row.account_reformed) === 1,
    district: row.district ?? null,
  };
}

/** A record as the persons table holds it. */
export function personRowOf(r: PersonRecord, now: number): Selectable<PersonsTable> {
  return {
    id: r.id,
    region: r.region,
    scheme: r.scheme,
    category: r.category,
    hardship: r.hardship,
    family_doctor_at: r.familyDoctorAt,
    employment: r.employment,
    account_reformed: r.accountReformed === null ? null : r.accountReformed ? 1 : 0,
    district: r.district ?? null,
    updated_at: now,
  };
}

/**
 * The person a visit is settled as: the request's, checked against the registry's record.
 *
 * @throws LedgerError PERSON_MISMATCH (the request disagrees with the registry, naming each field),
 *   PERSON_NOT_REGISTERED (no record, and the mode requires one).
 */
export function personForSettle(requested: Person, record: PersonRecord | undefined, mode: RegistryMode): Person {
  if (!record) {
    if (mode.requireEnrollment) {
      throw new LedgerError(
        'PERSON_NOT_REGISTERED',
        `person.id: person ${requested.id} is not in the person registry; this service settles registered persons only (--require-enrollment): the agency registers them (PUT /v1/persons/${requested.id}, yibao persons set)`,
      );
    }
    return requested;
  }
  const problems: string[] = [];
  for (const k of ATTRIBUTES) {
    const given = requested[k];
    if (given === undefined) continue;
    if (given !== (record[k] ?? undefined)) problems.push(`person.${k}: ${String(given)} is not what the person registry holds`);
  }
  if (problems.length > 0) {
    // The registry's values are not told: the caller may be an institution, and a record is
    // personal data the agency reads (audited) through GET /v1/persons/{id}.
    throw new LedgerError(
      'PERSON_MISMATCH',
      `${problems.join('; ')}; nothing was settled. The agency keeps the registry (PUT /v1/persons/${record.id}, yibao persons set): send what it holds, or leave ${OPTIONAL.join(', ')} out to settle with the registry's`,
    );
  }
  // Every person has the same keys in the same order (the engine's property reads stay fast).
  return {
    id: requested.id,
    region: record.region,
    scheme: record.scheme,
    category: record.category,
    hardship: record.hardship ?? undefined,
    familyDoctorAt: record.familyDoctorAt ?? undefined,
    employment: record.employment ?? undefined,
    accountReformed: record.accountReformed ?? undefined,
    enrollment: requested.enrollment,
  };
}

const PERSON_COLUMNS = ['id', 'region', 'scheme', 'category', 'hardship', 'family_doctor_at', 'employment', 'account_reformed', 'district'] as const;

/** The registry's record of a person, if any (no audit: for the ledger's own use). */
export async function findPerson(db: Pick<Kysely<Database>, 'selectFrom'>, personId: string): Promise<PersonRecord | undefined> {
  const row = await db.selectFrom('persons').select(PERSON_COLUMNS).where('id', '=', personId).executeTakeFirst();
  return row ? personRecordOf(row) : undefined;
}

/** An institution as the ledger holds it. */
export interface InstitutionRecord {
  tier: string;
  grade: number;
  contracted: boolean;
}

/** The ledger's person and institution records, where it has them (the national messages' psn_no and fixmedins_code). */
export async function lookupRegistered(db: Kysely<Database>, personId: string, institutionId: string): Promise<{ person?: PersonRecord; institution?: InstitutionRecord }> {
  const [person, institution] = await Promise.all([
    findPerson(db, personId),
    db.selectFrom('institutions').select(['tier', 'grade', 'contracted']).where('id', '=', institutionId).executeTakeFirst(),
  ]);
  return {
    ...(person ? { person } : {}),
    ...(institution ? { institution: { tier: institution.tier, grade: Number(institution.grade), contracted: Number(institution.contracted) === 1 } } : {}),
  };
}

/** Whose a ledger entry is: person, visit (with its type), institution, and the person's scheme and category now. */
export interface EntryParties {
  kind: string;
  personId: string;
  visitId: string;
  visitType: string;
  institutionId: string;
  scheme: string;
  category: string;
}

export async function entryParties(db: Kysely<Database>, entryId: string): Promise<EntryParties | undefined> {
  const row = await db
    .selectFrom('settlements as s')
    // A visit is its institution's: (institution_id, id).
    .innerJoin('visits as v', (j) => j.onRef('v.institution_id', '=', 's.institution_id').onRef('v.id', '=', 's.visit_id'))
    .innerJoin('persons as p', 'p.id', 's.person_id')
    .select(['s.kind', 's.person_id', 's.visit_id', 'v.type', 's.institution_id', 'p.scheme', 'p.category'])
    .where('s.id', '=', entryId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    kind: row.kind,
    personId: row.person_id,
    visitId: row.visit_id,
    visitType: row.type,
    institutionId: row.institution_id,
    scheme: row.scheme,
    category: row.category,
  };
}

/** A record as the API and the CLI show it. */
export function personJson(r: PersonRecord, updatedAt?: number): Record<string, unknown> {
  return {
    id: r.id,
    region: r.region,
    scheme: r.scheme,
    category: r.category,
    hardship: r.hardship,
    familyDoctorAt: r.familyDoctorAt,
    employment: r.employment,
    accountReformed: r.accountReformed,
    district: r.district ?? null,
    ...(updatedAt !== undefined ? { updatedAt: new Date(updatedAt).toISOString() } : {}),
  };
}

/** At most this many persons a page. */
export const MAX_PERSONS_PAGE = 500;

/**
 * The person registry as the agency keeps it: set a record (create or replace), show one, list
 * them. Every change and every read is in the audit log; a change takes the person's lock (as
 * settles do), so a settle decides against the record before or after it, never half of it.
 */
export class PersonRegistry {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {}

  /**
   * Creates or replaces a person's record (absent optional attributes: none). An unchanged record
   * writes nothing.
   */
  async set(record: PersonRecord, actor: Actor): Promise<{ person: Record<string, unknown>; created: boolean; changed: boolean }> {
    return onceMore(() =>
      this.db.transaction().execute(async (trx) => {
        if (trx.getExecutor().adapter instanceof PostgresAdapter) await personLock(record.id).execute(trx);
        const row = await trx.selectFrom('persons').selectAll().where('id', '=', record.id).executeTakeFirst();
        const before = row ? personRecordOf(row) : undefined;
        if (record.district) {
          const district = await trx.selectFrom('districts').select(['region']).where('code', '=', record.district).executeTakeFirst();
          if (!district)
            throw new LedgerError(
              'INVALID_REQUEST',
              `district: ${record.district} is not a registered district (县区); the agency registers it first (PUT /v1/clearing/districts/${record.district}, yibao clearing districts set)`,
            );
        }
        const fields = [...ATTRIBUTES, 'district'] as const;
        const changes = before
          ? Object.fromEntries(fields.filter((k) => (before[k] ?? null) !== (record[k] ?? null)).map((k) => [k, [before[k] ?? null, record[k] ?? null]]))
          : Object.fromEntries([...ATTRIBUTES.map((k) => [k, record[k]]), ...(record.district ? [['district', record.district]] : [])]);
        if (before && Object.keys(changes).length === 0) return { person: personJson(before, Number(row?.updated_at)), created: false, changed: false };
        const now = this.now();
        const next = personRowOf(record, now);
        if (before) await trx.updateTable('persons').set(next).where('id', '=', record.id).execute();
        else await trx.insertInto('persons').values(next).execute();
        await trx
          .insertInto('audit_log')
          .values({ at: now, actor: actor.id, role: actor.role, action: before ? 'person.update' : 'person.register', target: record.id, detail: JSON.stringify(changes) })
          .execute();
        return { person: personJson(record, now), created: !before, changed: true };
      }),
    );
  }

  /** One person's record; the read is audited. @throws LedgerError NOT_FOUND. */
  async show(personId: string, actor: Actor): Promise<Record<string, unknown>> {
    const row = await this.db.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirst();
    await this.auditRead(actor, 'person.read', personId, { found: row !== undefined });
    if (!row) throw new LedgerError('NOT_FOUND', `person ${personId} is not in the person registry`);
    return personJson(personRecordOf(row), Number(row.updated_at));
  }

  /** Records in id order, after `after`, at most `limit`; the read is audited. */
  async list(actor: Actor, options: { after?: string; limit: number }): Promise<{ persons: Record<string, unknown>[]; next: string | null }> {
    const limit = Math.min(Math.max(1, options.limit), MAX_PERSONS_PAGE);
    let q = this.db
      .selectFrom('persons')
      .selectAll()
      .orderBy('id')
      .limit(limit + 1);
    if (options.after !== undefined) q = q.where('id', '>', options.after);
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? (page[page.length - 1]?.id ?? null) : null;
    await this.auditRead(actor, 'person.list', 'persons', { after: options.after ?? null, count: page.length, last: page[page.length - 1]?.id ?? null });
    return { persons: page.map((r) => personJson(personRecordOf(r), Number(r.updated_at))), next };
  }

  private async auditRead(actor: Actor, action: string, target: string, detail: unknown): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({ at: this.now(), actor: actor.id, role: actor.role, action, target, detail: JSON.stringify(detail) })
      .execute();
  }
}
