/**
 * The account requests of the CLI and the service (`yibao accounts …`, `/v1/accounts…`): open an
 * account, set its holder's details from a month on, credit a month, operate on an account.
 * Validated with zod, every bad field named; amounts in yuan (a number or a decimal string, at
 * most two places), converted to fen for the account model. The answers are JSON with amounts
 * in yuan again ({@link accountEntryJson}).
 */
import { hash as digest } from 'node:crypto';
import { z } from 'zod';
import type { AccountEntry, Operation } from '../account/types.js';
import { parseDate } from '../calendar/calendar.js';
import { EMPLOYEE_CATEGORIES, VISIT_TYPES, type EmployeeCategory } from '../domain.js';
import { toYuanNumber } from '../money/money.js';
import { ACCOUNT_KINDS, ACCOUNT_RELATIONS } from '../policy/schema.js';
import type { PolicySet } from '../policy/registry.js';
import { canonicalJson, requestIdSchema } from './settle-one.js';
import { printableText } from './id.js';
import { amount, enumOf, id, readRegion, RequestError, yearSchema } from './settle-request.js';
import { formatIssues } from '../policy/schema.js';

/** `YYYY-MM-DD`, a real date, kept as text. */
const day = z
  .string({ error: 'must be a date YYYY-MM-DD' })
  .refine((v) => parseDate(v) !== undefined, { error: (i) => `must be a real date YYYY-MM-DD, got ${JSON.stringify(i.input)}` });

/** `YYYY-MM`. */
export const monthSchema = z.string({ error: 'must be a month YYYY-MM' }).regex(/^(19[9]\d|2[01]\d\d)-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM such as 2023-01');

const region = z.string({ error: 'must be an admdvs code such as 410900 or a name such as puyang' }).min(1).max(64);
const bool = z.boolean({ error: 'must be true or false' });

/** The holder's details the month's credit needs, from a month on. */
export const holderSchema = z.strictObject({
  /** From this month on (default: the month the account opens). */
  from: monthSchema.optional(),
  category: enumOf(EMPLOYEE_CATEGORIES),
  /** Active: the monthly own contribution base (本人参保缴费基数), yuan. */
  contributionBase: amount.optional(),
  paysAtEmployerRate: bool.optional(),
  requiredYearsMet: bool.optional(),
});

export const openAccountSchema = z.strictObject({
  id,
  kind: enumOf(ACCOUNT_KINDS),
  holderId: id,
  region,
  /** The day the account opens (default today, China time). */
  openedOn: day.optional(),
  /** Family accounts: the household members registered on it. */
  members: z.array(id).max(50, 'must list at most 50 members').optional(),
  holder: holderSchema.optional(),
});

const common = { ref: id.optional(), date: day };
const costShare = {
  visitId: id,
  settlementId: id.optional(),
  place: enumOf(['institution', 'pharmacy'] as const).optional(),
  visitType: enumOf(VISIT_TYPES).optional(),
  contracted: bool,
  personShare: amount,
  outOfScope: amount.optional(),
};
const relation = enumOf(ACCOUNT_RELATIONS);

export const operationSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('visit-payment'), ...common, ...costShare }),
    z.discriminatedUnion(
      'purpose',
      [
        z.strictObject({ kind: z.literal('family-payment'), purpose: z.literal('medical-cost'), relation, memberId: id, ...common, ...costShare }),
        z.strictObject({ kind: z.literal('family-payment'), purpose: z.literal('resident-contribution'), relation, memberId: id, amount, coverageYear: yearSchema, ...common }),
      ],
      { error: (i) => (i.code === 'invalid_union' ? 'must be medical-cost | resident-contribution for a family-payment' : undefined) },
    ),
    z.strictObject({ kind: z.literal('contribution-payment'), purpose: z.literal('supplementary-contribution'), amount, coverageYear: yearSchema, ...common }),
    z.strictObject({ kind: z.literal('transfer-out'), toRegion: region, ...common }),
    z.strictObject({ kind: z.literal('refund'), toRegion: region, transferPossible: bool, ...common }),
    z.strictObject({ kind: z.literal('inheritance'), deathDate: day, heirs: z.array(id).min(1, 'must name at least one lawful heir').max(50), ...common }),
    z.strictObject({ kind: z.literal('opening-balance'), amount, ...common }),
    z.strictObject({ kind: z.literal('transfer-in'), amount, fromRegion: region, ...common }),
    z.strictObject({ kind: z.literal('other-use'), purpose: printableText(64).min(1, 'must not be empty'), amount, ...common }),
  ],
  {
    error: (i) =>
      i.code === 'invalid_union'
        ? 'must be an operation: kind visit-payment | family-payment (purpose medical-cost | resident-contribution) | contribution-payment | transfer-out | refund | inheritance | opening-balance | transfer-in | other-use'
        : undefined,
  },
);

export const operateSchema = z.strictObject({ requestId: requestIdSchema, operation: operationSchema });
/** The CLI's `yibao accounts operate FILE`: the account named in the file. */
export const operateFileSchema = z.strictObject({ requestId: requestIdSchema, accountId: id, operation: operationSchema });
export const creditMonthSchema = z.strictObject({ month: monthSchema });

export interface HolderTerms {
  from?: string;
  category: EmployeeCategory;
  contributionBase?: number;
  paysAtEmployerRate?: boolean;
  requiredYearsMet?: boolean;
}

export interface OpenAccount {
  id: string;
  kind: (typeof ACCOUNT_KINDS)[number];
  holderId: string;
  /** admdvs code. */
  region: string;
  openedOn?: string;
  members: string[];
  holder?: HolderTerms;
  /** Hash of the request: the same id opened again must bring the same details. */
  hash: string;
}

export interface OperateRequest {
  requestId: string;
  operation: Operation;
  /** Hash of the account and the operation as sent: a retry must send the same. */
  hash: string;
}

function parseWith<T extends z.ZodType>(schema: T, data: unknown, where = ''): z.output<T> {
  const r = schema.safeParse(data);
  if (!r.success) throw new RequestError(formatIssues(r.error.issues, where));
  return r.data;
}

function regionCode(raw: unknown, field: string, policies: PolicySet): string {
  const { region: code, problem } = readRegion(raw, field, policies);
  if (problem) throw new RequestError([problem]);
  return code as string;
}

/** Validates an account opening. @throws RequestError naming each bad field. */
export function parseOpenAccount(data: unknown, policies: PolicySet): OpenAccount {
  const p = parseWith(openAccountSchema, data);
  const problems: string[] = [];
  const { region: code, problem } = readRegion(p.region, 'region', policies);
  if (problem) problems.push(problem);
  if (p.kind === 'employee-personal' && p.members && p.members.length > 0) problems.push('members: only a resident-family account has registered members');
  if (p.kind === 'employee-personal' && !p.holder)
    problems.push("holder: an employee's personal account needs the holder's details (category, contributionBase…) for the monthly credit");
  if (p.holder?.category === 'active' && p.holder.contributionBase === undefined)
    problems.push('holder.contributionBase: an active employee needs the monthly contribution base (yuan)');
  if (p.members?.includes(p.holderId)) problems.push('members: the holder is not listed as a member');
  if (new Set(p.members ?? []).size !== (p.members ?? []).length) problems.push('members: a member is listed twice');
  if (problems.length > 0) throw new RequestError(problems);
  return {
    id: p.id,
    kind: p.kind,
    holderId: p.holderId,
    region: code as string,
    ...(p.openedOn !== undefined ? { openedOn: p.openedOn } : {}),
    members: p.members ?? [],
    ...(p.holder ? { holder: stripUndefined(p.holder) as HolderTerms } : {}),
    hash: digest('sha256', canonicalJson({ ...(data as object), region: code }), 'hex'),
  };
}

/** Validates the holder's details from a month on. @throws RequestError. */
export function parseHolder(data: unknown): HolderTerms & { from: string } {
  const p = parseWith(holderSchema.required({ from: true }), data);
  if (p.category === 'active' && p.contributionBase === undefined) throw new RequestError(['contributionBase: an active employee needs the monthly contribution base (yuan)']);
  return stripUndefined(p) as HolderTerms & { from: string };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Validates an operation request `{ requestId, operation }` for an account; `ref` defaults to the
 * request id. Regions are read as codes.
 *
 * @throws RequestError naming each bad field.
 */
export function parseOperate(data: unknown, accountId: string, policies: PolicySet): OperateRequest {
  const p = parseWith(operateSchema, data);
  return operateRequest(p.requestId, p.operation, accountId, policies);
}

/** The CLI's `{ requestId, accountId, operation }`. @throws RequestError. */
export function parseOperateFile(data: unknown, policies: PolicySet): OperateRequest & { accountId: string } {
  const p = parseWith(operateFileSchema, data);
  return { ...operateRequest(p.requestId, p.operation, p.accountId, policies), accountId: p.accountId };
}

function operateRequest(requestId: string, raw: z.output<typeof operationSchema>, accountId: string, policies: PolicySet): OperateRequest {
  const op: Record<string, unknown> = { ...stripUndefined(raw), ref: raw.ref ?? requestId };
  if ('toRegion' in raw) op.toRegion = regionCode(raw.toRegion, 'operation.toRegion', policies);
  if ('fromRegion' in raw) op.fromRegion = regionCode(raw.fromRegion, 'operation.fromRegion', policies);
  if ('outOfScope' in raw && raw.outOfScope !== undefined && raw.outOfScope > raw.personShare) throw new RequestError(['operation.outOfScope: must not exceed personShare']);
  if (raw.kind === 'inheritance' && raw.deathDate > raw.date) throw new RequestError(['operation.deathDate: must not be after operation.date']);
  return { requestId, operation: op as unknown as Operation, hash: digest('sha256', canonicalJson({ accountId, operation: op }), 'hex') };
}

const FEN_FIELDS = ['amount', 'balanceAfter', 'personShare', 'cashPay', 'contributionBase'] as const;

/** An entry as the CLI and the API print it: the model's entry with amounts in yuan. */
export function accountEntryJson(entry: AccountEntry, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry };
  for (const k of FEN_FIELDS) if (typeof out[k] === 'number') out[k] = toYuanNumber(out[k] as number);
  return { ...out, ...extra };
}
