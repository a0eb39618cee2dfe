/**
 * The agency's budget requests (预算管理), as HTTP bodies and CLI options give them:
 *
 *   budget          { id, area, year, account, amount | fromPolicy, note? }   POST /v1/monitoring/budgets
 *   budget payment  { id, area, account, amount, paidOn, note? }             POST /v1/monitoring/budget-payments
 *   a setting       { value, reason }                                          PUT /v1/monitoring/settings/{warning|high-cost}
 *
 * `id` is the client's request id: the same id and body again is a replay; with another body,
 * refused (IDEMPOTENCY_CONFLICT). `area` is a registered district code (县区); `account` a benefit
 * id of the area's policies, `student-outpatient` (大学生门诊统筹) or `family-doctor` (家庭医生签约服务费).
 * Amounts are yuan (at most two places). `fromPolicy` asks the ledger to compute the standard
 * budget: persons (counted in the ledger, or given) × the policy's rate.
 */
import { z } from 'zod';
import { parseDate, yearOf } from '../calendar/calendar.js';
import type { Fen } from '../money/money.js';
import { formatIssues } from '../policy/schema.js';
import { clearingCode } from './clearing-request.js';
import { id, printableText } from './id.js';
import { amount, RequestError } from './settle-request.js';

/** Years a budget may be kept for. */
export const FIRST_BUDGET_YEAR = 2000;
export const LAST_BUDGET_YEAR = 2099;
/** The most persons a standard budget may count (a city's insured). */
export const MAX_PERSONS = 100_000_000;

export const budgetYear = z
  .number({ error: `must be a year ${FIRST_BUDGET_YEAR} to ${LAST_BUDGET_YEAR}` })
  .int(`must be a year ${FIRST_BUDGET_YEAR} to ${LAST_BUDGET_YEAR}`)
  .min(FIRST_BUDGET_YEAR, `must be a year ${FIRST_BUDGET_YEAR} to ${LAST_BUDGET_YEAR}`)
  .max(LAST_BUDGET_YEAR, `must be a year ${FIRST_BUDGET_YEAR} to ${LAST_BUDGET_YEAR}`);

/** A year as a path or query string gives it. */
export const yearText = z
  .string({ error: 'must be a year YYYY' })
  .regex(/^\d{4}$/, 'must be a year YYYY')
  .transform(Number)
  .pipe(budgetYear);

export const accountName = z
  .string({ error: 'must be an account: a benefit id, student-outpatient or family-doctor' })
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be an account: a benefit id, student-outpatient or family-doctor')
  .meta({
    description: 'A benefit id of the area’s policies (its pooled fund, e.g. resident-outpatient), student-outpatient (大学生门诊统筹) or family-doctor (家庭医生签约服务费).',
  });

const yuan = z.union([z.number(), z.string()]).meta({ description: 'yuan, a number or a decimal string, at most two places' });
const note = printableText(500).optional();

export const budgetBodySchema = z.strictObject({
  id: id.meta({ description: 'The client’s request id: the same id and body again is a replay (200); with another body, 409 IDEMPOTENCY_CONFLICT.' }),
  area: clearingCode.meta({ description: 'The pooling area: a registered district code (县区).' }),
  year: budgetYear,
  account: accountName,
  amount: yuan.optional().meta({ description: 'The budget in yuan. Give it, or fromPolicy.' }),
  fromPolicy: z
    .union([z.literal(true), z.strictObject({ persons: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_PERSONS).optional() })], {
      error: 'must be true or { persons }',
    })
    .optional()
    .meta({
      description:
        'Compute the standard budget (separate accounts only): persons × the policy’s rate per person per year (洛医保〔2022〕36号 第三条: 大学生 70 元, 家庭医生签约服务费 22 元, as the policy files give them). true: persons counted in the ledger; { persons }: the number the agency gives.',
    }),
  note,
});

/** A budget request, amounts in fen. */
export interface BudgetRequest {
  id: string;
  area: string;
  year: number;
  account: string;
  /** Entered; null when fromPolicy. */
  amount: Fen | null;
  /** The standard budget asked for; persons null: counted in the ledger. */
  fromPolicy: { persons: number | null } | null;
  note: string | null;
}

/** A budget from POST /v1/monitoring/budgets. @throws RequestError naming each bad field. */
export function parseBudget(body: unknown): BudgetRequest {
  const parsed = budgetBodySchema.safeParse(body ?? {});
  if (!parsed.success) throw new RequestError(formatIssues(parsed.error.issues));
  const b = parsed.data;
  const problems: string[] = [];
  if ((b.amount === undefined) === (b.fromPolicy === undefined)) problems.push('amount: give the amount, or fromPolicy (not both)');
  const fen = b.amount === undefined ? undefined : amount.safeParse(b.amount);
  if (fen && !fen.success) problems.push(...formatIssues(fen.error.issues, 'amount'));
  if (problems.length > 0) throw new RequestError(problems);
  return {
    id: b.id,
    area: b.area,
    year: b.year,
    account: b.account,
    amount: fen?.success ? fen.data : null,
    fromPolicy: b.fromPolicy === undefined ? null : { persons: b.fromPolicy === true ? null : (b.fromPolicy.persons ?? null) },
    note: b.note ?? null,
  };
}

export const paymentBodySchema = z.strictObject({
  id: id.meta({ description: 'The client’s request id: the same id and body again is a replay (200); with another body, 409.' }),
  area: clearingCode.meta({ description: 'The pooling area: a registered district code (县区).' }),
  account: accountName.meta({ description: 'A separate account whose spending is paid, not settled: family-doctor (家庭医生签约服务费, 分账管理).' }),
  amount: yuan.meta({ description: 'yuan, more than 0, at most two places.' }),
  paidOn: z.string({ error: 'must be a date YYYY-MM-DD' }).meta({ description: 'YYYY-MM-DD: the payment is charged to this year’s budget.' }),
  note,
});

/** A budget-account payment, amount in fen. */
export interface PaymentRequest {
  id: string;
  area: string;
  account: string;
  amount: Fen;
  /** YYYY-MM-DD. */
  paidOn: string;
  /** The year of paidOn: the budget it is charged to. */
  year: number;
  note: string | null;
}

/** A payment from POST /v1/monitoring/budget-payments. @throws RequestError naming each bad field. */
export function parsePayment(body: unknown): PaymentRequest {
  const parsed = paymentBodySchema.safeParse(body ?? {});
  if (!parsed.success) throw new RequestError(formatIssues(parsed.error.issues));
  const p = parsed.data;
  const problems: string[] = [];
  const fen = amount.safeParse(p.amount);
  if (!fen.success) problems.push(...formatIssues(fen.error.issues, 'amount'));
  else if (fen.data === 0) problems.push('amount: must be more than 0');
  const day = parseDate(p.paidOn);
  if (day === undefined) problems.push(`paidOn: must be a real date YYYY-MM-DD, got ${JSON.stringify(p.paidOn)}`);
  else if (yearOf(day) < FIRST_BUDGET_YEAR || yearOf(day) > LAST_BUDGET_YEAR) problems.push(`paidOn: must be in ${FIRST_BUDGET_YEAR} to ${LAST_BUDGET_YEAR}`);
  if (problems.length > 0 || !fen.success || day === undefined) throw new RequestError(problems);
  return { id: p.id, area: p.area, account: p.account, amount: fen.data, paidOn: p.paidOn, year: yearOf(day), note: p.note ?? null };
}

/** A setting's change: its value (checked by the key's own schema) and why. */
export const settingBodySchema = <T extends z.ZodType>(value: T) =>
  z.strictObject({
    value,
    reason: printableText(500).min(1, 'must say why the setting changes').meta({ description: 'Why (kept in the setting’s history and the audit log).' }),
  });

/** `?asOf=` and `--as-of`: the report day, YYYY-MM-DD. @throws RequestError when it is not a date. */
export function reportDay(text: string, field = 'asOf'): number {
  const d = parseDate(text);
  if (d === undefined) throw new RequestError([`${field}: must be a real date YYYY-MM-DD, got ${JSON.stringify(text)}`]);
  return d;
}
