/**
 * The answers of supervision (/v1/supervision) as zod schemas, and the book's records
 * (src/ledger/supervision-types.ts) as the service answers them (the views of
 * src/monitoring/supervision-tables.ts): amounts in yuan (JSON numbers exact to the fen), times as
 * ISO 8601 in China time (+08:00).
 */
import { z } from 'zod';
import { citation, yuan } from './responses.js';
import type { Finding, FindingCount, FindingStatusChange, RuleView, RunSummary, Site } from '../ledger/supervision-types.js';
import { countsView, findingView, historyView, ruleView, runView } from '../monitoring/supervision-tables.js';
import { BEHAVIOUR_TYPES, FINDING_STATUSES, INSTITUTION_KINDS, SEVERITIES } from '../monitoring/types.js';

const count = z.number().int();
const time = z.string().meta({ description: 'ISO 8601, China time (+08:00)' });
const severity = z.enum(SEVERITIES).meta({ description: 'sev_deg: 1 明确违规, 2 高度可疑, 3 轻度可疑' });
const status = z.enum(FINDING_STATUSES).meta({ description: 'open 待核查, confirmed 已确认, dismissed 已排除' });

export const ruleSchema = z.object({
  id: z.string().meta({ description: 'rule_id' }),
  name: z.string().meta({ description: 'rule_name' }),
  description: z.string(),
  sources: z.array(citation),
  behaviour: z.enum(BEHAVIOUR_TYPES).meta({ description: 'vola_bhvr_type: 1 就诊类, 2 项目类' }),
  concerns: z.enum(['visit', 'item']),
  reach: z.enum(['visit', 'period']).meta({ description: 'visit: judged per visit (3101, 3102, incremental runs); period: batch runs only' }),
  parameters: z.array(z.object({ name: z.string(), label: z.string(), unit: z.string() })),
  severity,
  enabled: z.boolean(),
  params: z.record(z.string(), z.unknown()).nullable().meta({ description: 'The parameters in force; null: the agency has set none (the rule does not run).' }),
  missing: z.array(z.string()).meta({ description: 'Parameters still to be set: the rule does not run until this is empty.' }),
  setBy: z.string().nullable(),
  setAt: time.nullable(),
  reason: z.string().nullable(),
});
export const rulesSchema = z.object({ rules: z.array(ruleSchema) });

export const siteSchema = z.object({
  institutionId: z.string(),
  kind: z.enum(INSTITUTION_KINDS).meta({ description: 'medical 定点医疗机构, pharmacy 定点零售药店' }),
  longitude: z.number().nullable(),
  latitude: z.number().nullable(),
});
export const sitesSchema = z.object({ sites: z.array(siteSchema), total: count, limit: count, offset: count });

export const runSchema = z.object({
  id: z.string(),
  kind: z.enum(['batch', 'incremental', 'in-process']),
  from: time.meta({ description: 'Settlement times covered: from (included)…' }),
  to: time.meta({ description: '…to (excluded).' }),
  startedAt: time,
  finishedAt: time,
  rules: z.array(z.object({ ruleId: z.string(), severity, params: z.record(z.string(), z.unknown()) })).meta({ description: 'The rules run, with the settings they ran with.' }),
  notRun: z
    .array(z.object({ ruleId: z.string(), reason: z.string() }))
    .meta({ description: 'Rules not run and why (parameters missing, disabled, a period rule in an incremental run).' }),
  settlements: count,
  persons: count,
  leads: count,
  newFindings: count,
  byRule: z.record(z.string(), z.object({ leads: count, newFindings: count })),
  unjudged: z.record(z.string(), z.string()).meta({ description: 'What a rule could not judge, by rule.' }),
  truncated: count.optional().meta({ description: 'New leads beyond the most a run writes, not written (narrow the span); absent when none.' }),
  timings: z.object({ loadMs: z.number(), evaluateMs: z.number(), resolveMs: z.number(), writeMs: z.number() }).optional().meta({ description: 'Where the run’s time went, ms.' }),
});
export const runsSchema = z.object({ runs: z.array(runSchema), total: count, limit: count, offset: count });

const evidenceSchema = z.looseObject({
  settlements: z.array(
    z.object({
      id: z.string(),
      visitId: z.string(),
      institutionId: z.string(),
      time,
      visitType: z.string(),
      total: yuan,
      fund: yuan,
      critical: yuan,
      assistance: yuan,
      account: yuan,
      cash: yuan,
      amount: yuan.optional().meta({ description: 'This settlement’s part of vola_amt (表135).' }),
    }),
  ),
  figures: z.record(z.string(), z.unknown()).meta({ description: 'The figures that triggered it and the thresholds in force (numbers in fen where money).' }),
  sources: z.array(citation),
});

export const findingSchema = z.object({
  id: z.string().meta({ description: 'jr_id' }),
  ruleId: z.string(),
  ruleName: z.string(),
  runId: z.string(),
  personId: z.string().meta({ description: 'patn_id' }),
  visitId: z.string().nullable().meta({ description: 'mdtrt_id' }),
  institutionId: z.string().nullable(),
  amount: yuan.meta({ description: 'vola_amt' }),
  amountComputed: z.boolean().meta({ description: 'vola_amt_stas: true 1 正常, false 0 异常 (not computed)' }),
  severity,
  behaviour: z.enum(BEHAVIOUR_TYPES),
  content: z.string().meta({ description: 'vola_cont (Chinese)' }),
  evidence: evidenceSchema,
  happenedAt: time,
  status,
  statusAt: time,
  createdAt: time,
});
export const findingsSchema = z.object({ findings: z.array(findingSchema), total: count, limit: count, offset: count });

export const historySchema = z.object({
  id: z.string(),
  history: z.array(z.object({ status, reason: z.string(), actor: z.string(), at: time })).meta({ description: 'Every status change, oldest first.' }),
});

export const countsSchema = z.object({
  counts: z.array(
    z.object({
      ruleId: z.string(),
      ruleName: z.string(),
      status,
      severity,
      institutionId: z.string().nullable(),
      count,
      amount: yuan.meta({ description: 'The sum of vola_amt' }),
    }),
  ),
  total: z.object({ count, amount: yuan }),
});

export const ruleJson = (r: RuleView): z.input<typeof ruleSchema> => ruleView(r);
export const siteJson = (s: Site): z.input<typeof siteSchema> => ({ institutionId: s.institutionId, kind: s.kind, longitude: s.longitude, latitude: s.latitude });
export const runJson = (r: RunSummary): z.input<typeof runSchema> => runView(r);
export const findingJson = (f: Finding): z.input<typeof findingSchema> => findingView(f);
export const historyJson = (id: string, h: FindingStatusChange[]): z.input<typeof historySchema> => historyView(id, h);
export const countsJson = (counts: FindingCount[]): z.input<typeof countsSchema> => countsView(counts);
