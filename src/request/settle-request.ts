/**
 * The settle request: one person and their visits in time order (the `yibao settle FILE`
 * contract, shared later by HTTP). Validated with zod; every problem is reported with the path of
 * the bad field, and nothing is settled unless the whole request is valid.
 */
import { YibaoError } from '../errors.js';
import { z } from 'zod';
import { parseDate, parseInstant, yearOf } from '../calendar/calendar.js';
import { CATEGORIES, EMPLOYMENTS, HARDSHIP_GROUPS, SCHEME_CATEGORIES, SCHEMES, TIERS, VISIT_TYPES, type Grade } from '../domain.js';
import type { Person, Visit } from '../engine/types.js';
import { type AmountError, parseYuan, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { id, printableText } from './id.js';

/** Amount in yuan: a JSON number or a decimal string, at most two places. */
export const amount = z.union([z.number(), z.string()], { error: 'must be an amount in yuan (a number or a decimal string)' }).transform((v, ctx) => {
  try {
    return parseYuan(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as AmountError).message });
    return z.NEVER;
  }
});

/** Every id: src/request/id.ts. */
export { id };

export const dateText = z.string({ error: 'must be a date YYYY-MM-DD' }).transform((v, ctx) => {
  const d = parseDate(v);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be a real date YYYY-MM-DD, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return d;
});

const instant = z.string({ error: 'must be an ISO 8601 date-time' }).transform((v, ctx) => {
  const t = parseInstant(v);
  if (t === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 date-time such as 2024-03-02T10:00:00+08:00, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return t;
});

export const enumOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => `must be one of ${values.join(' | ')}${issue.input === undefined ? '' : `, got ${JSON.stringify(issue.input)}`}` });

const institutionSchema = z.strictObject({
  id,
  name: printableText(200).optional(),
  tier: enumOf(TIERS),
  grade: z
    .number({ error: 'must be 0, 1, 2 or 3 (0 = ungraded)' })
    .int('must be 0, 1, 2 or 3 (0 = ungraded)')
    .min(0, 'must be 0, 1, 2 or 3 (0 = ungraded)')
    .max(3, 'must be 0, 1, 2 or 3 (0 = ungraded)'),
  contracted: z.boolean({ error: 'must be true or false' }),
});

export const visitSchema = z.strictObject({
  id,
  time: instant,
  type: enumOf(VISIT_TYPES),
  institution: institutionSchema,
  total: amount,
  eligible: amount.optional(),
  /** 使用个人账户: the account pays what it may of the person's share before cash. */
  useAccount: z.boolean({ error: 'must be true or false' }).optional(),
  /** Inpatient stays only: 入院时间 (`time` is the discharge, 出院结算). */
  admittedAt: instant.optional(),
  /** 县域外就医: the institution is outside the person's county. */
  outOfCounty: z.boolean({ error: 'must be true or false' }).optional(),
  /** 转诊备案: the transfer out of the county was referred and filed. */
  referred: z.boolean({ error: 'must be true or false' }).optional(),
  /** 住院期间: an outpatient visit while the person is in hospital. */
  inHospital: z.boolean({ error: 'must be true or false' }).optional(),
});

/** A calendar year (coverage year, funding year). */
export const yearSchema = z.number({ error: 'must be a year' }).int('must be a whole year').min(1990, 'must be a year from 1990').max(2200, 'must be a year before 2200');

const enrollmentSchema = z.strictObject({
  paidOn: dateText,
  coverageYear: yearSchema,
  transfer: z.boolean({ error: 'must be true or false' }).optional(),
});

export const personSchema = z.strictObject({
  id,
  region: z.string({ error: 'must be an admdvs code such as 410300 or a name such as luoyang' }).min(1).max(64),
  scheme: enumOf(SCHEMES),
  category: enumOf(CATEGORIES),
  hardship: enumOf(HARDSHIP_GROUPS).optional(),
  familyDoctorAt: id.optional(),
  /** Employees: 用人单位职工 (employer) or 灵活就业人员 (flexible). */
  employment: enumOf(EMPLOYMENTS).optional(),
  /** Employees: the personal account's structure was adjusted (调整个人账户结构). */
  accountReformed: z.boolean({ error: 'must be true or false' }).optional(),
  enrollment: enrollmentSchema.optional(),
});

/**
 * `yibao settle FILE` only: the person's personal account as it stands before the first visit
 * (the service uses the account on file instead).
 */
const accountSchema = z.strictObject({
  id,
  balance: amount,
  /** Family accounts: the household members registered on it. */
  members: z.array(id).max(50).optional(),
});

export const settleRequestSchema = z.strictObject({
  person: personSchema,
  account: accountSchema.optional(),
  visits: z.array(visitSchema, { error: 'must be a list of visits' }).min(1, 'must list at least one visit').max(100_000, 'must list at most 100000 visits'),
});

/** A request that failed validation; `problems` are `path: message` lines. */
export class RequestError extends YibaoError<'INVALID_REQUEST'> {
  constructor(readonly problems: string[]) {
    super('INVALID_REQUEST', `invalid request:\n  ${problems.join('\n  ')}`, { problems });
    this.name = 'RequestError';
  }

  /** One line: `invalid request: a; b`, with each problem. */
  override toJSON(): Record<string, unknown> {
    return { code: this.code, message: `invalid request: ${this.problems.join('; ')}`, problems: this.problems };
  }
}

/**
 * A request's region (admdvs code or alias) as a code, or the problem line naming the field and
 * the known regions. A region that is not a string is left to the schema to report.
 */
export function readRegion(raw: unknown, field: string, policies: PolicySet): { region: string | undefined; problem: string | undefined } {
  const region = typeof raw === 'string' ? policies.regionCode(raw) : undefined;
  const problem =
    typeof raw === 'string' && !region
      ? `${field}: unknown region ${JSON.stringify(raw)}; known: ${policies
          .allRegions()
          .map((x) => `${x.code} (${[x.name, ...x.aliases.filter((a) => /^[a-z]/.test(a))].join(', ')})`)
          .join('; ')}`
      : undefined;
  return { region, problem };
}

/**
 * Validates `data` with `schema` and reads the region at `field` (a code or an alias) the same
 * pass: zod's problems, the region's first, or the parsed request with the region's code and the
 * region's problem (if any) to report with the checks that follow.
 *
 * @throws RequestError with every problem zod found.
 */
export function parseWithRegion<S extends z.ZodType>(
  schema: S,
  data: unknown,
  regionRaw: unknown,
  field: string,
  policies: PolicySet,
): { parsed: z.output<S>; region: string | undefined; problems: string[] } {
  const parsed = schema.safeParse(data);
  const { region, problem } = readRegion(regionRaw, field, policies);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    if (problem) lines.unshift(problem);
    throw new RequestError(lines);
  }
  return { parsed: parsed.data, region, problems: problem ? [problem] : [] };
}

/** What zod cannot check of a person: the category for the scheme, the employee attributes for employees only. */
export function personProblems(p: Pick<z.output<typeof personSchema>, 'scheme' | 'category' | 'employment' | 'accountReformed'>): string[] {
  const problems: string[] = [];
  const allowed = SCHEME_CATEGORIES[p.scheme];
  if (!allowed.includes(p.category)) problems.push(`person.category: ${p.category} is not a ${p.scheme} category (${allowed.join(' | ')})`);
  if (p.scheme !== 'employee') {
    for (const k of ['employment', 'accountReformed'] as const) {
      if (p[k] !== undefined) problems.push(`person.${k}: applies to the employees' scheme (职工医保) only`);
    }
  }
  return problems;
}

export interface SettleRequest {
  person: Person;
  visits: Visit[];
  /** The personal account before the first visit (file requests only). */
  account?: { id: string; balance: Fen; members?: string[] };
}

type Parsed = z.output<typeof settleRequestSchema>;

/**
 * Validates `data` with `schema` (whose output has the settle request's person and visits, `pick`
 * takes them out) and converts it: amounts to fen, times to instants, region aliases to admdvs
 * codes. The checks zod cannot express (category for the scheme, visits in order...) come after.
 * `single` names the one visit of a one-visit request (the service's) in the problems.
 *
 * @throws RequestError naming each bad field.
 */
export function validateSettle<S extends z.ZodType>(
  schema: S,
  data: unknown,
  policies: PolicySet,
  pick: (parsed: z.output<S>) => Pick<Parsed, 'person' | 'visits'>,
  single?: 'visit',
): { request: SettleRequest; parsed: z.output<S> } {
  const rename = (lines: string[]) => (single ? lines.map((l) => l.replace(/^visits\[0\]/, single)) : lines);
  const parsed = schema.safeParse(data);
  const { region, problem: regionProblem } = readRegion((data as { person?: { region?: unknown } } | null)?.person?.region, 'person.region', policies);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    if (regionProblem) lines.unshift(regionProblem);
    throw new RequestError(lines);
  }
  const r = pick(parsed.data);
  const problems: string[] = [];
  if (regionProblem) problems.push(regionProblem);
  problems.push(...personProblems(r.person));
  const e = r.person.enrollment;
  if (e && yearOf(e.paidOn) > e.coverageYear) {
    problems.push(`person.enrollment.paidOn: paid after the coverage year ${e.coverageYear} ended`);
  }
  const ids = new Set<string>();
  let lastTime = -Infinity;
  r.visits.forEach((v, i) => {
    if (ids.has(v.id)) problems.push(`visits[${i}].id: ${v.id} is used by an earlier visit`);
    ids.add(v.id);
    if (v.eligible !== undefined && v.eligible > v.total) problems.push(`visits[${i}].eligible: must not exceed total`);
    if (v.admittedAt !== undefined && v.type !== 'inpatient') problems.push(`visits[${i}].admittedAt: only an inpatient stay has an admission time`);
    if (v.admittedAt !== undefined && v.admittedAt > v.time) problems.push(`visits[${i}].admittedAt: must not be after the discharge (time)`);
    if (v.inHospital === true && v.type === 'inpatient') problems.push(`visits[${i}].inHospital: is for outpatient visits made during a stay; an inpatient stay is type inpatient`);
    if (v.time < lastTime) problems.push(`visits[${i}].time: visits must be in time order; this one is earlier than visits[${i - 1}]`);
    lastTime = Math.max(lastTime, v.time);
  });
  if (problems.length > 0) throw new RequestError(rename(problems));
  // Every person has the same keys (absent ones undefined): one object shape keeps the engine's
  // property reads fast.
  const person: Person = {
    id: r.person.id,
    region: region as string,
    scheme: r.person.scheme,
    category: r.person.category,
    hardship: r.person.hardship ?? undefined,
    familyDoctorAt: r.person.familyDoctorAt ?? undefined,
    employment: r.person.employment ?? undefined,
    accountReformed: r.person.accountReformed ?? undefined,
    enrollment: e ? { paidOn: e.paidOn, coverageYear: e.coverageYear, transfer: e.transfer ?? false } : undefined,
  };
  const visits: Visit[] = r.visits.map((v) => ({
    id: v.id,
    time: v.time,
    type: v.type,
    institution: { id: v.institution.id, tier: v.institution.tier, grade: v.institution.grade as Grade, contracted: v.institution.contracted },
    total: v.total,
    eligible: v.eligible ?? v.total,
    useAccount: v.useAccount ?? false,
    ...(v.admittedAt !== undefined ? { admittedAt: v.admittedAt } : {}),
    ...(v.outOfCounty !== undefined ? { outOfCounty: v.outOfCounty } : {}),
    ...(v.referred !== undefined ? { referred: v.referred } : {}),
    ...(v.inHospital !== undefined ? { inHospital: v.inHospital } : {}),
  }));
  return { request: { person, visits }, parsed: parsed.data };
}

/**
 * Validates a parsed JSON settle request and converts it: amounts to fen, times to instants,
 * region aliases to admdvs codes.
 *
 * @throws RequestError naming each bad field.
 */
export function parseSettleRequest(data: unknown, policies: PolicySet): SettleRequest {
  const { request, parsed } = validateSettle(settleRequestSchema, data, policies, (r) => r);
  const a = parsed.account;
  if (a) request.account = { id: a.id, balance: a.balance, ...(a.members ? { members: a.members } : {}) };
  else {
    const asking = request.visits.flatMap((v, i) => (v.useAccount ? [`visits[${i}].useAccount: the request names no account to pay from; add account: { id, balance }`] : []));
    if (asking.length > 0) throw new RequestError(asking);
  }
  return request;
}
