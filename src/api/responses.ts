/**
 * The answers of the service as zod schemas: the serializer checks each answer against its
 * schema, the handlers are typed by them, and the OpenAPI document shows them. Amounts are yuan
 * (JSON numbers exact to the fen). Rich documents (a settlement's trace, a policy analysis) keep
 * every key they have (`looseObject`); the fields named here are checked.
 */
import { z } from 'zod';

/** An amount in the answers: yuan, exact to the fen. */
export const yuan = z.number().meta({ description: 'yuan, exact to the fen' });
/** A citation in the answers: the document, the article, its words. */
export const citation = z.object({ document: z.string(), article: z.string(), quote: z.string() });

/** A ledger entry: a settlement (amounts in yuan) with its trace, a reversal, or a pre-settlement. */
export const entrySchema = z
  .looseObject({
    id: z.string().optional().meta({ description: 'The entry id (none for a pre-settlement).' }),
    kind: z.enum(['settlement', 'reversal']).optional(),
    requestId: z.string().nullable().optional(),
    preSettlement: z.literal(true).optional(),
    visitId: z.string().optional(),
    policy: z.string().optional(),
    total: yuan.optional(),
    fundPay: yuan.optional(),
    cashPay: yuan.optional(),
  })
  .meta({ description: 'A ledger entry: the settlement (amounts in yuan) with its trace, or a reversal; a pre-settlement has preSettlement: true and no id.' });

export const accumulatorsSchema = z.object({
  person: z.string(),
  year: z.number().int(),
  caps: z.array(z.object({ bucket: z.string(), year: z.number().int(), used: yuan, limit: yuan.nullable(), remaining: yuan.nullable() })),
  deductibleWindows: z.array(z.object({ bucket: z.string(), institution: z.string(), day: z.string(), borne: yuan })),
});

export const fundStatsSchema = z.object({
  year: z.number().int().nullable(),
  rows: z
    .array(z.record(z.string(), z.unknown()))
    .meta({ description: 'By policy and month: policy, month (YYYY-MM), settlements (net of reversals), total, fundPay, cashPay (yuan).' }),
  totals: z.record(z.string(), z.number()),
});

/** A registry record. */
export const personSchema = z.looseObject({}).meta({
  description:
    'A registry record: id, region, scheme, category, hardship, familyDoctorAt, employment, accountReformed, district (the 县区 code; null: none or not known), updatedAt.',
});

export const personsPageSchema = z.object({ persons: z.array(personSchema), next: z.string().nullable() });

/** A recorded payment with the coverage it buys. */
export const enrollmentSchema = z.looseObject({}).meta({
  description:
    'A recorded payment (amount in yuan) with `coverage`, the coverage it buys (or `error` when the documents cannot read it); in a history, `governing` marks the payment a settle uses for its year.',
});

export const enrollmentsSchema = z.object({ person: z.string(), enrollments: z.array(enrollmentSchema) });

export const coverageSchema = z.looseObject({}).meta({
  description:
    'The coverage a payment buys: period (concentrated | extended), concentratedPeriod, coverage (待遇享受期 from/to), waitingPeriod, exemption, benefitsFrom, each with its source, and the trace.',
});

export const contributionSchema = z.looseObject({}).meta({
  description:
    "A residents' contribution: individual contribution, fiscal subsidy by level, assistance, what the person pays (yuan), the trace; a figure the documents do not give is null and listed in `missing`.",
});

export const grantDecisionSchema = z.looseObject({}).meta({
  description:
    'The decision: granted, amount (yuan; 0 when refused), standard, conditions (each with condition, label, met, source, quote, text), refusals (the conditions not met), trace.',
});

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string().meta({ description: 'ISO 8601, UTC' }),
  actor: z.string().meta({ description: 'API key id (K-…), cli, or anonymous' }),
  role: z.string(),
  action: z.string().meta({ description: 'settle, reverse, account-…, enrollment.record, keys.create…; read.… for a read of personal data; refused for a 401 or 403' }),
  target: z.string().meta({ description: 'the entry, person, account or route' }),
  detail: z.unknown(),
});

export const auditPageSchema = z.object({ entries: z.array(auditEntrySchema), nextCursor: z.string().nullable() });

const doc = z.looseObject({ id: z.string(), document: z.string(), from: z.string(), to: z.string().nullable() });
const region = z.looseObject({ code: z.string(), name: z.string() });
const described = (description: string) => z.array(z.unknown()).meta({ description });

export const policyCheckSchema = z.object({
  date: z.string(),
  city: region,
  province: region,
  floorDocuments: z.array(doc),
  cityDocuments: z.array(doc),
  lines: described(
    'Each { floor: { path, label, value, bound, citation, note? }, city: { path, label, value, citation, class?, category? } | null, verdict: meets | breach | differs | not-comparable, why }.',
  ),
  notInForce: z.array(z.looseObject({ path: z.string(), label: z.string(), value: z.string(), citation: z.string(), from: z.string(), to: z.string().nullable() })),
  summary: z.record(z.enum(['meets', 'breach', 'differs', 'not-comparable']), z.number().int()),
  breach: z.boolean(),
});

const side = z.unknown().meta({ description: 'A policy pack: id, document, region, effective.' });
export const policyDiffSchema = z.object({
  a: side,
  b: side,
  added: described('{ path, group, label, versions }'),
  removed: described('{ path, group, label, versions }'),
  changed: described('{ path, group, label, a, b } (each version: value with unit, source, from, to)'),
  unchanged: described('{ path, group, label, a, b }'),
  byTier: described('Benefits whose institution classes differ, compared tier by tier.'),
  summary: z.object({ added: z.number().int(), removed: z.number().int(), changed: z.number().int(), unchanged: z.number().int() }),
  identical: z.boolean(),
});

/** An account with its holder's details. */
const accountFields = {
  id: z.string(),
  kind: z.string(),
  holderId: z.string(),
  region: z.string(),
  members: z.array(z.string()),
  openedOn: z.string(),
  closedOn: z.string().nullable(),
  balance: yuan,
  holder: z.array(z.record(z.string(), z.unknown())).meta({ description: 'The holder’s details by month (what the monthly credit uses), oldest first; amounts in yuan.' }),
};
export const accountSchema = z.object({ ...accountFields, changed: z.boolean().optional().meta({ description: 'Setting the holder: whether anything changed.' }) });

/** An account entry as stored, with replayed: true when the requestId was seen before. */
export const accountEntrySchema = z.looseObject({}).meta({ description: 'An account entry as stored (amounts in yuan), with replayed: true when the requestId was seen before.' });

/** An account with a page of its entries. */
export const accountPageSchema = z.object({ ...accountFields, entries: z.array(accountEntrySchema), nextCursor: z.string().nullable() });

export const creditMonthSchema = z.object({
  month: z.string(),
  accounts: z.number().int(),
  credited: z.number().int(),
  creditedAmount: yuan,
  alreadyCredited: z.number().int(),
  notCredited: z.number().int(),
  failed: z.number().int(),
  closed: z.number().int(),
  reasons: z.array(z.object({ code: z.string(), reason: z.string(), source: z.string(), count: z.number().int(), accounts: z.array(z.string()) })),
});

/** The national envelope, a success or a refusal. */
export const envelopeSchema = z
  .looseObject({
    infcode: z.union([z.literal(0), z.literal(-1)]),
    inf_refmsgid: z.string(),
    refmsg_time: z.string(),
    respond_time: z.string(),
    err_msg: z.string().nullable(),
    output: z.unknown(),
  })
  .meta({
    description:
      'The national envelope: infcode (0 success, -1 failure), inf_refmsgid, refmsg_time, respond_time, err_msg, output { setlinfo, setldetail }; yibao { entryId, requestId, replayed }. A refusal also has error { code, message, problems } and requestId.',
  });
