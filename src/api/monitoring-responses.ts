/**
 * The answers of budgets, warnings, monitoring settings and high-cost patients (/v1/monitoring) as
 * zod schemas: the serializer checks each answer against its schema and the OpenAPI document shows
 * them. Amounts are yuan (JSON numbers exact to the fen).
 */
import { z } from 'zod';
import { citation, yuan } from './responses.js';

export const budgetSchema = z.object({
  id: z.string().meta({ description: 'The revision’s id.' }),
  requestId: z.string(),
  area: z.string().meta({ description: 'The district code (县区).' }),
  year: z.number().int(),
  account: z.string(),
  amount: yuan,
  basis: z.looseObject({ method: z.enum(['entered', 'policy-rate']) }).meta({
    description: 'entered; or policy-rate: { parameter, rate (yuan per person per year), rateText, persons, personsSource ledger|entered, counted, rateDay, citation }.',
  }),
  note: z.string().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
});
export const budgetAnswerSchema = budgetSchema.extend({
  replayed: z.boolean().meta({ description: 'true: the request id was seen with this body; the answer is the original.' }),
  previous: budgetSchema.nullable().meta({ description: 'The budget this revision replaces (null: the first, or a replay).' }),
});
export const budgetsPageSchema = z.object({ budgets: z.array(budgetSchema), nextCursor: z.string().nullable() });

export const paymentSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  area: z.string(),
  year: z.number().int(),
  account: z.string(),
  amount: yuan,
  paidOn: z.string(),
  note: z.string().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
});
export const paymentAnswerSchema = paymentSchema.extend({ replayed: z.boolean() });
export const paymentsPageSchema = z.object({ payments: z.array(paymentSchema), nextCursor: z.string().nullable() });

export const settingSchema = z.object({ value: z.unknown(), reason: z.string().nullable(), setBy: z.string(), setAt: z.string() });

export const warningResultSchema = z.looseObject({ evaluated: z.boolean() }).meta({
  description:
    'evaluated false: { reason, missingSetting (the setting to set, or null) }; evaluated true: { fires, marginBp, available, threshold, projected, excess, excessBp, method, methodLabel, text, citations }.',
});

export const accountStatementSchema = z.looseObject({
  account: z.string(),
  kind: z.enum(['benefit', 'student-outpatient', 'family-doctor']),
  label: z.string(),
  asOf: z.string(),
  elapsed: z.number().int(),
  budget: budgetSchema.nullable(),
  carriedIn: yuan.meta({ description: 'What the students’ account carried in from the year before (结余滚存); 0 for the others.' }),
  carry: z
    .looseObject({})
    .nullable()
    .meta({ description: 'How: fromYear, previousBudget, previousCarriedIn, previousSpent, previousSurplus, previousOverspent, amount, rule, text.' }),
  available: yuan.nullable().meta({ description: 'budget + carriedIn; null without a budget.' }),
  months: z.array(z.object({ month: z.string(), spent: yuan })),
  spentToDate: yuan,
  balance: yuan.nullable(),
  overspent: yuan.nullable().meta({ description: 'Spent beyond what is available (超支), reported, not made good (超支不补).' }),
  projection: z
    .looseObject({ method: z.enum(['seasonal-share', 'linear']), methodLabel: z.string(), projected: yuan })
    .nullable()
    .meta({
      description:
        'The projection to the year’s end: method, methodLabel, text, projected, shares, fallback, backtest [{ year, method, projected, actual, errorBp }], meanAbsErrorBp.',
    }),
  warning: warningResultSchema,
  notes: z.array(z.string()),
});

const area = z.object({ code: z.string(), name: z.string(), region: z.string() });

export const areaStatementSchema = z.object({
  area,
  year: z.number().int(),
  asOf: z.string(),
  warningSetting: settingSchema.nullable(),
  accounts: z.array(accountStatementSchema),
});

export const warningsSchema = z.object({
  asOf: z.string(),
  year: z.number().int(),
  warningSetting: settingSchema.nullable(),
  missingSetting: z.string().nullable().meta({ description: 'warning when the margin is not set: then no warning is evaluated.' }),
  text: z.string(),
  citations: z.array(citation),
  firing: z.number().int().meta({ description: 'How many accounts warn.' }),
  accounts: z.array(accountStatementSchema.extend({ area, year: z.number().int() })).meta({ description: 'Every account with a budget in the year, in area order.' }),
});

export const settingAnswerSchema = z.object({
  key: z.string(),
  setting: settingSchema.nullable().meta({ description: 'The setting in force; null when the agency has not set it (no default).' }),
  history: z.array(settingSchema).meta({ description: 'Earlier versions, newest first (at most 100).' }),
  changed: z.boolean().optional().meta({ description: 'PUT only: false when the value was already in force (nothing written).' }),
});

const highCostHead = {
  asOf: z.string(),
  setting: settingSchema.nullable(),
  missingSetting: z.string().nullable().meta({ description: 'high-cost when no threshold is set: nobody is listed.' }),
  text: z.string(),
  citations: z.array(citation),
};

export const highCostSchema = z.object({
  ...highCostHead,
  patients: z.array(
    z.looseObject({
      person: z.string(),
      district: z.string().nullable(),
      hardship: z.string().nullable(),
      hardshipLabel: z.string().nullable(),
      yearBurden: yuan,
      windowBurden: yuan.nullable(),
      reasons: z.array(z.enum(['year', 'window'])),
      text: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const highCostCountsSchema = z.object({
  ...highCostHead,
  counts: z.array(z.object({ area: z.string(), hardship: z.string().nullable(), hardshipLabel: z.string(), persons: z.number().int() })),
  total: z.number().int(),
});
