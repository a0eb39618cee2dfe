/**
 * The enrollment requests (the `yibao enrollment record|coverage FILE` contract and the HTTP
 * bodies): validated with zod, every bad field named, like the settle request.
 *
 *   coverage: { person: { id?, region, scheme, category, hardship? }, coverageYear, paidOn, transfer?, amount?, payer? }
 *   record:   { requestId, person: { id, region, scheme, category, hardship?, familyDoctorAt? },
 *               coverageYear, paidOn, transfer?, amount, payer }
 */
import { hash as digest } from 'node:crypto';
import { z } from 'zod';
import { formatDate, yearOf, type DayNumber } from '../calendar/calendar.js';
import { SCHEME_CATEGORIES } from '../domain.js';
import type { Person } from '../engine/types.js';
import type { Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { canonicalJson, requestIdSchema } from '../request/settle-one.js';
import { amount, dateText, enumOf, id, personSchema, readRegion, RequestError, yearSchema } from '../request/settle-request.js';
import type { CoveragePerson } from './coverage.js';
import type { Enrollment } from '../engine/types.js';

/**
 * Who paid (缴费主体). `self`: the person (个人缴费, the contribution's `payable`); `assistance`:
 * 资助参保 for a hardship group, paid by medical assistance or finance (the contribution's
 * `assistance`); `account`: a relative's personal account (个人账户 paying a family member's
 * residents' contribution, 濮阳 第七条); `employer`: the employer (单位缴费, employees); `other`.
 */
export const PAYERS = ['self', 'assistance', 'account', 'employer', 'other'] as const;
export type Payer = (typeof PAYERS)[number];

export const PAYER_LABELS: Record<Payer, string> = {
  self: '个人缴费',
  assistance: '资助参保（医疗救助、财政代缴）',
  account: '个人账户代缴（家庭成员）',
  employer: '单位缴费',
  other: '其他',
};

const transfer = z.boolean({ error: 'must be true or false (医保关系转移接续)' });

/**
 * The person without a payment: as in a settle request, minus `enrollment` and the registry's
 * employee attributes (employment, accountReformed: PUT /v1/persons/{id}).
 */
const recordPerson = personSchema.omit({ enrollment: true, employment: true, accountReformed: true });
const coveragePerson = recordPerson.extend({ id: id.optional() });

/** The same file as for recording is accepted (its requestId ignored): check, then record. */
export const coverageRequestSchema = z.strictObject({
  requestId: requestIdSchema.optional(),
  person: coveragePerson,
  coverageYear: yearSchema,
  paidOn: dateText,
  transfer: transfer.optional(),
  amount: amount.optional(),
  payer: enumOf(PAYERS).optional(),
});

export const recordRequestSchema = z.strictObject({
  requestId: requestIdSchema,
  person: recordPerson,
  coverageYear: yearSchema,
  paidOn: dateText,
  transfer: transfer.optional(),
  amount,
  payer: enumOf(PAYERS),
});

export interface CoverageRequest {
  person: CoveragePerson;
  payment: Enrollment;
}

export interface RecordRequest {
  requestId: string;
  /** The person as the settle takes them (no enrollment). */
  person: Person;
  payment: Enrollment;
  amount: Fen;
  payer: Payer;
  /** Hash of the request minus its id, normalized (amounts in fen, region code): same id, same payment. */
  hash: string;
}

interface Common {
  person: { id?: string | undefined; region: string; scheme: Person['scheme']; category: Person['category']; hardship?: Person['hardship'] | undefined };
  coverageYear: number;
  paidOn: DayNumber;
  transfer?: boolean | undefined;
}

/** Validates with `schema` and checks what zod cannot: the region, the category for the scheme, the year paid. */
function validate<S extends z.ZodType>(
  schema: S,
  data: unknown,
  policies: PolicySet,
  extra: (r: z.output<S>, problems: string[]) => void,
): { parsed: z.output<S>; region: string } {
  const parsed = schema.safeParse(data);
  const { region, problem } = readRegion((data as { person?: { region?: unknown } } | null)?.person?.region, 'person.region', policies);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    if (problem) lines.unshift(problem);
    throw new RequestError(lines);
  }
  const r = parsed.data as Common;
  const problems: string[] = [];
  if (problem) problems.push(problem);
  const allowed = SCHEME_CATEGORIES[r.person.scheme];
  if (!allowed.includes(r.person.category)) problems.push(`person.category: ${r.person.category} is not a ${r.person.scheme} category (${allowed.join(' | ')})`);
  if (yearOf(r.paidOn) > r.coverageYear) problems.push(`paidOn: paid after the coverage year ${r.coverageYear} ended`);
  extra(parsed.data, problems);
  if (problems.length > 0) throw new RequestError(problems);
  return { parsed: parsed.data, region: region as string };
}

/**
 * Validates a coverage request.
 *
 * @throws RequestError naming each bad field.
 */
export function parseCoverageRequest(data: unknown, policies: PolicySet): CoverageRequest {
  const { parsed: r, region } = validate(coverageRequestSchema, data, policies, (r, problems) => {
    if (r.amount !== undefined && r.amount <= 0) problems.push('amount: must be more than 0');
  });
  return {
    person: { id: r.person.id, region, scheme: r.person.scheme, category: r.person.category, hardship: r.person.hardship },
    payment: { paidOn: r.paidOn, coverageYear: r.coverageYear, transfer: r.transfer ?? false },
  };
}

/**
 * Validates a request to record a payment. `personId` (the path's, over HTTP) must be the body's
 * person; `today` (China day) bounds the day of payment: a payment is recorded once made.
 *
 * @throws RequestError naming each bad field.
 */
export function parseRecordRequest(data: unknown, policies: PolicySet, options: { personId?: string; today?: DayNumber } = {}): RecordRequest {
  const { parsed: r, region } = validate(recordRequestSchema, data, policies, (r, problems) => {
    if (r.amount <= 0) problems.push('amount: must be more than 0');
    if (options.personId !== undefined && r.person.id !== options.personId) problems.push(`person.id: ${r.person.id} is not the person of the path (${options.personId})`);
    if (options.today !== undefined && r.paidOn > options.today)
      problems.push(`paidOn: ${formatDate(r.paidOn)} is after today (${formatDate(options.today)}); record a payment once it is made`);
  });
  const person: Person = {
    id: r.person.id,
    region,
    scheme: r.person.scheme,
    category: r.person.category,
    hardship: r.person.hardship ?? undefined,
    familyDoctorAt: r.person.familyDoctorAt ?? undefined,
    enrollment: undefined,
  };
  const payment: Enrollment = { paidOn: r.paidOn, coverageYear: r.coverageYear, transfer: r.transfer ?? false };
  const normalized = {
    person: { ...person, enrollment: undefined },
    coverageYear: r.coverageYear,
    paidOn: formatDate(r.paidOn),
    transfer: payment.transfer,
    amountFen: r.amount,
    payer: r.payer,
  };
  return { requestId: r.requestId, person, payment, amount: r.amount, payer: r.payer, hash: digest('sha256', canonicalJson(normalized), 'hex') };
}
