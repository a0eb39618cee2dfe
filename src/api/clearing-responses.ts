/**
 * The answers of the agency's month (月度清算) and of reconciliations (对账) as zod schemas: the
 * serializer checks each answer against its schema and the OpenAPI document shows them. Amounts
 * are yuan (JSON numbers exact to the fen).
 */
import { z } from 'zod';
import { yuan } from './responses.js';

const count = z.number().int();

export const centreSchema = z.object({
  id: z.string(),
  name: z.string(),
  level: z.enum(['city', 'county']).meta({ description: 'city 市医保中心, county 县区医保中心' }),
  region: z.string(),
  district: z.string().nullable().meta({ description: 'A county centre’s district; null for the city centre.' }),
});
export const centreAnswerSchema = centreSchema.extend({ changed: z.boolean().meta({ description: 'Whether anything was written (false: the record was already so).' }) });
export const centresSchema = z.object({ centres: z.array(centreSchema) });

export const districtSchema = z.object({
  code: z.string(),
  name: z.string(),
  region: z.string(),
  level: z.enum(['county', 'urban']).meta({ description: 'county 县（含按县管理的区）, urban 城市区' }),
});
export const districtAnswerSchema = districtSchema.extend({ changed: z.boolean() });
export const districtsSchema = z.object({ districts: z.array(districtSchema) });

/** Who pays an institution and why. */
export const payingCentreSchema = z
  .object({
    centre: centreSchema,
    basis: z.enum(['rule', 'registered']).meta({ description: 'rule: the policy’s rule names it (with its citation); registered: the agency named it and no rule applies.' }),
    citation: z.string().nullable(),
    text: z.string(),
  })
  .meta({ description: 'The paying centre (支付经办机构) and its basis.' });

export const institutionClearingSchema = z.object({
  id: z.string().meta({ description: 'The institution.' }),
  district: z.string(),
  centre: z.string().nullable().meta({ description: 'The centre the agency named, or null (the rule names it).' }),
  payingCentre: payingCentreSchema.nullable().meta({ description: 'Who pays it now; null when none can be named (see problem): its month cannot be closed.' }),
  problem: z.string().nullable().meta({ description: 'Why no centre pays it (Chinese), or null.' }),
});
export const institutionAnswerSchema = institutionClearingSchema.extend({ changed: z.boolean() });
export const institutionsSchema = z.object({ institutions: z.array(institutionClearingSchema) });

export const closeSchema = z.object({
  period: z.string(),
  created: z.boolean().meta({ description: 'false: the month was already closed; the answer is the first close’s.' }),
  closedAt: z.string(),
  closedBy: z.string(),
  entries: count,
  statements: count,
  summary: z
    .looseObject({})
    .meta({ description: 'period, span { from, to }, entries, statements, centres [{ id, name, statements, payable }], missing (parameters a deposit needs).' }),
});
export const periodsSchema = z.object({
  periods: z.array(closeSchema).meta({ description: 'The closed months, newest first.' }),
  firstOpen: z.string().nullable().meta({ description: 'The month to close next (null: no entries yet).' }),
});

export const statementRowSchema = z.object({
  period: z.string(),
  institution: z.string(),
  centre: z.string(),
  settlements: count,
  reversals: count,
  medfee_sumamt: yuan,
  fund_pay_sumamt: yuan,
  acct_pay: yuan,
  cash_payamt: yuan,
  payable: yuan.meta({ description: 'What the centre pays the institution: fund_pay_sumamt + acct_pay.' }),
});
export const statementsPageSchema = z.object({ statements: z.array(statementRowSchema), nextCursor: z.string().nullable() });

export const statementSchema = z.looseObject({ period: z.string(), institution: z.string(), figures: statementRowSchema }).meta({
  description:
    'A statement (清算单) whole: centre { id, name, level, basis, citation, text }, settlements, reversals, totals, classes (险种 × 清算类别), funds (基金支付类型), adjustments (以前月份退费调整), deposits, payableAfterDeposits, missing, text, closedAt, figures.',
});

export const coveredSchema = z.object({
  period: z.string(),
  institution: z.string(),
  entries: z.array(
    z.object({
      setl_id: z.string(),
      kind: z.string(),
      reverses: z.string().nullable(),
      mdtrt_id: z.string(),
      psn_no: z.string(),
      benefit: z.string(),
      setl_time: z.string(),
      medfee_sumamt: yuan,
      fund_pay_sumamt: yuan,
      acct_pay: yuan,
      cash_payamt: yuan,
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const centreStatementsSchema = z.object({
  period: z.string(),
  centres: z.array(z.looseObject({ centre: z.string(), name: z.string().nullable(), institutions: count, fund_pay_sumamt: yuan, acct_pay: yuan, payable: yuan, text: z.string() })),
});

export const districtClearingSchema = z.object({
  period: z.string(),
  districts: z.array(
    z.looseObject({
      district: z.string().meta({ description: 'The district code; empty for insured with none on file (未登记县区).' }),
      name: z.string(),
      remitted: yuan,
      paidByCity: yuan,
      balance: yuan.meta({ description: 'remitted − paidByCity: a surplus, or a shortfall when negative.' }),
      text: z.string(),
    }),
  ),
});

export const remittanceSchema = z.object({
  id: z.string(),
  district: z.string(),
  period: z.string(),
  amount: yuan,
  remittedOn: z.string(),
  note: z.string().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
  replayed: z.boolean(),
});

/** A difference of a detail reconciliation, amounts in yuan. */
export const differenceSchema = z.object({
  setl_id: z.string(),
  mdtrt_id: z.string(),
  psn_no: z.string(),
  refd_setl_flag: z.enum(['0', '1']),
  class: z.string().meta({ description: 'missing-in-ledger, missing-in-hospital, refund-incomplete, amount-differs, field-differs, duplicated' }),
  fields: z.array(z.string()),
  hospital: z.object({ medfee_sumamt: yuan, fund_pay_sumamt: yuan, acct_pay: yuan }).nullable(),
  ledger: z.object({ medfee_sumamt: yuan, fund_pay_sumamt: yuan, acct_pay: yuan }).nullable(),
  memo: z.string(),
});

const runFields = {
  id: z.string(),
  institution: z.string(),
  kind: z.enum(['3201', '3202', 'file']),
  from: z.string(),
  to: z.string(),
  balanced: z.boolean(),
  stmt_rslt: z.enum(['0', '1']).meta({ description: '对账结果: 0 平 (balanced), 1 不平.' }),
  summary: z
    .looseObject({})
    .meta({ description: 'balanced, matched, byClass, hospital and ledger sums { medfee_sumamt, fund_pay_sumamt, acct_pay, count }, differences (how many).' }),
  createdAt: z.string(),
  createdBy: z.string(),
};

export const reconciliationSummarySchema = z.object(runFields);
export const reconciliationsPageSchema = z.object({ reconciliations: z.array(reconciliationSummarySchema), nextCursor: z.string().nullable() });
export const reconciliationSchema = z.object({
  ...runFields,
  differences: z.array(differenceSchema),
  differencesShown: count.meta({
    description: 'How many differences this answer lists (a new run lists the first 1000; GET lists `limit`, default and at most 10000, from `offset`).',
  }),
  differencesOffset: count.meta({ description: 'How many differences come before the first listed.' }),
  differencesTotal: count,
});
