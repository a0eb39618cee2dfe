/**
 * What the ledger knows of a national message's psn_no, fixmedins_code and setl_id: the persons
 * and institutions the service registered when it settled their earlier visits (src/ledger/), in
 * place of the platform's registries. Reads only.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../ledger/schema.js';
import type { Registered } from './input.js';

/** The ledger's person and institution records, where it has them. */
export async function lookupRegistered(db: Kysely<Database>, personId: string, institutionId: string): Promise<Registered> {
  const [person, institution] = await Promise.all([
    db.selectFrom('persons').select(['region', 'scheme', 'category', 'hardship', 'family_doctor_at']).where('id', '=', personId).executeTakeFirst(),
    db.selectFrom('institutions').select(['tier', 'grade', 'contracted']).where('id', '=', institutionId).executeTakeFirst(),
  ]);
  return {
    ...(person
      ? { person: { region: person.region, scheme: person.scheme, category: person.category, hardship: person.hardship, familyDoctorAt: person.family_doctor_at } }
      : {}),
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
    .innerJoin('visits as v', 'v.id', 's.visit_id')
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
