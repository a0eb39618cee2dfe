/**
 * A person registry record (参保人员信息), as the agency sets it: PUT /v1/persons/{id} and
 * `yibao persons set FILE`. The attributes that change benefits, with the settle request's names
 * and checks:
 *
 *   { id, region, scheme, category, hardship?, familyDoctorAt?, employment?, accountReformed?, district? }
 *
 * The record replaces the one held: an attribute left out is none (null). Over HTTP the id is the
 * path's (the body may repeat it).
 */
import { z } from 'zod';
import type { Category, Employment, Hardship, Scheme } from '../domain.js';
import type { Person } from '../engine/types.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { id, personProblems, personSchema, readRegion, RequestError } from './settle-request.js';

export const personRecordSchema = personSchema.omit({ enrollment: true }).extend({
  id: id.optional(),
  /** The county or district (县区) the person is insured in, a registered district's code (the month's clearing by district, 洛医保〔2023〕63号 三(三)). */
  district: z
    .string()
    .regex(/^[0-9A-Za-z]{1,12}$/, { error: 'must be a district code (letters and digits, at most 12)' })
    .optional(),
});

/** A person as the registry holds them (src/ledger/registry.ts): absent attributes null, the region an admdvs code. */
export interface PersonRecord {
  id: string;
  region: string;
  scheme: Scheme;
  category: Category;
  hardship: Hardship | null;
  familyDoctorAt: string | null;
  employment: Employment | null;
  accountReformed: boolean | null;
  /** The county or district code (县区), when the agency recorded it; a settle's person has none. */
  district?: string | null;
}

/**
 * Validates a record. `personId` (the path's, over HTTP) is the person, and the body's id, when
 * given, must be it; without it the body must give the id.
 *
 * @throws RequestError naming each bad field.
 */
export function parsePersonRecord(data: unknown, policies: PolicySet, options: { personId?: string } = {}): PersonRecord {
  const parsed = personRecordSchema.safeParse(data);
  const { region, problem } = readRegion((data as { region?: unknown } | null)?.region, 'region', policies);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    if (problem) lines.unshift(problem);
    throw new RequestError(lines);
  }
  const r = parsed.data;
  const problems: string[] = problem ? [problem] : [];
  problems.push(...personProblems(r).map((l) => l.replace(/^person\./, '')));
  const personId = options.personId ?? r.id;
  if (personId === undefined) problems.push('id: required: the person id');
  else if (r.id !== undefined && r.id !== personId) problems.push(`id: ${r.id} is not the person of the path (${personId})`);
  if (problems.length > 0) throw new RequestError(problems);
  return { ...recordOfPerson({ ...r, id: personId as string, region: region as string }), district: r.district ?? null };
}

/** A person's record: what a settle's person registers when the registry has none, or a validated record. */
export function recordOfPerson(p: Omit<Person, 'enrollment'>): PersonRecord {
  return {
    id: p.id,
    region: p.region,
    scheme: p.scheme,
    category: p.category,
    hardship: p.hardship ?? null,
    familyDoctorAt: p.familyDoctorAt ?? null,
    employment: p.employment ?? null,
    accountReformed: p.accountReformed ?? null,
  };
}
