/**
 * The agency's monitoring settings and high-cost patients (高额费用负担患者预警) over HTTP, under
 * /v1/monitoring:
 *
 *   GET|PUT /settings/warning      the budget warning's margin { marginBp } (agency)
 *   GET|PUT /settings/high-cost    the thresholds { yearBurdenFen?, window?: { days, burdenFen } } (agency)
 *   GET /high-cost                 the persons listed, what they and each fund paid, their hardship
 *                                  group and critical-illness position: personal data, the agency
 *                                  only, each read audited (read.high-cost)
 *   GET /high-cost/counts          how many, by district and hardship group (agency, analyst)
 *
 * A setting has no default: until the agency sets it, warnings are not evaluated and nobody is
 * listed, and the answers name the setting. A change needs a reason and is audited
 * (monitoring.settings.set); the value already in force writes nothing.
 * 豫医保办〔2023〕71号 六, 洛医保〔2023〕63号 三(一)、七(三).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HIGH_COST_SETTING, highCostSettingSchema } from '../../monitoring/high-cost.js';
import { highCostCountsJson, highCostHead, patientJson, settingJson } from '../../monitoring/json.js';
import { highCostCountsTable, highCostTable } from '../../monitoring/tables.js';
import { WARNING_SETTING, warningSettingSchema } from '../../monitoring/warning.js';
import type { Role } from '../../ledger/keys.js';
import { reportDay, settingBodySchema } from '../../request/budget-request.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import { RequestError } from '../../request/settle-request.js';
import { highCostCountsSchema, highCostSchema, settingAnswerSchema } from '../monitoring-responses.js';
import { errorSchema, fileAnswer, withExamples, type RouteContext, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { formatField, sendTables, wantsFile } from '../files.js';

const AGENCY: Role[] = ['agency'];
const READERS: Role[] = ['agency', 'analyst'];

/** The most persons a file of high-cost patients lists. */
export const MAX_HIGH_COST_EXPORT = 10_000;
/** Earlier versions a setting's answer shows. */
const HISTORY_SHOWN = 100;

const asOfQuery = z.string().optional().meta({ description: 'The report day, YYYY-MM-DD (default yesterday, China time): the year and the window end on it.' });

/** The report day of a query: a date, not after today. */
function asOfOf(ctx: RouteContext, text: string | undefined): number {
  const fallback = ctx.ledger.budgets.defaultAsOf();
  if (text === undefined) return fallback;
  const d = reportDay(text);
  if (d > fallback + 1) throw new RequestError([`asOf: ${text} is after today`]);
  return d;
}

/** A setting's answer: in force (or null) and its earlier versions. */
async function settingAnswer(ctx: RouteContext, key: string, changed?: boolean) {
  const [now, history] = await Promise.all([ctx.ledger.settings.get(key), ctx.ledger.settings.history(key, HISTORY_SHOWN + 1)]);
  return {
    key,
    setting: settingJson(now ?? null),
    history: history.slice(1).map((h) => settingJson(h) as NonNullable<ReturnType<typeof settingJson>>),
    ...(changed === undefined ? {} : { changed }),
  };
}

export const monitoringRoutes: RoutePlugin = async (app, { ctx }) => {
  const settings: { key: string; schema: z.ZodType; example: unknown; what: string }[] = [
    {
      key: WARNING_SETTING,
      schema: warningSettingSchema,
      example: EXAMPLES.monitoring.warning,
      what: '预警幅度 the budget warning’s margin { marginBp } (basis points of budget + carried in)',
    },
    {
      key: HIGH_COST_SETTING,
      schema: highCostSettingSchema,
      example: EXAMPLES.monitoring.highCost,
      what: '高额费用负担标准 the high-cost thresholds { yearBurdenFen?, window?: { days, burdenFen } } (personal burden = cash + personal account, fen)',
    },
  ];
  for (const s of settings) {
    app.get(
      `/settings/${s.key}`,
      {
        config: { roles: AGENCY },
        schema: { summary: `${s.what}: in force (null when not set: no default) and its earlier versions (agency)`, response: { 200: settingAnswerSchema, '4xx': errorSchema } },
      },
      async () => settingAnswer(ctx, s.key),
    );
    app.put(
      `/settings/${s.key}`,
      {
        config: { roles: AGENCY },
        schema: {
          summary: `Set ${s.what}, with the reason; audited; the value already in force writes nothing (changed: false) (agency)`,
          body: withExamples(settingBodySchema(s.schema), [s.example]),
          response: { 200: settingAnswerSchema, '4xx': errorSchema },
        },
      },
      async (req: FastifyRequest) => {
        const body = req.body as { value: unknown; reason: string };
        const r = await ctx.ledger.settings.set(s.key, body.value, body.reason, req.actor);
        return settingAnswer(ctx, s.key, r.changed);
      },
    );
  }

  app.get(
    '/high-cost',
    {
      config: { roles: AGENCY },
      schema: {
        summary: `高额费用负担患者 The persons whose personal burden (cash + personal account) in the year, or in the window ending on the report day, reaches the agency’s thresholds (setting high-cost; none set: nobody listed, the setting named), highest first, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor): what they paid, what each fund paid, their hardship group, their critical-illness position (豫医保办〔2023〕71号 六, 洛医保〔2023〕63号 七(三)). Personal data: the read is audited (read.high-cost). A file with ?format= lists at most ${MAX_HIGH_COST_EXPORT} (agency only)`,
        querystring: z.strictObject({ asOf: asOfQuery, ...pageFields('highCost'), format: formatField }),
        response: { 200: fileAnswer(highCostSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const asOf = asOfOf(ctx, q.asOf);
      const file = wantsFile(q.format);
      const { setting, page } = await ctx.ledger.highCost.list(asOf, req.actor, {
        limit: file ? MAX_HIGH_COST_EXPORT : (q.limit ?? PAGE_DEFAULT),
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      });
      if (wantsFile(q.format)) {
        const head = highCostHead(asOf, setting);
        return sendTables(reply, [highCostTable(page.entries)], q.format, { ascii: `high-cost-${head.asOf}`, chinese: `高额费用负担患者-${head.asOf}` });
      }
      return { ...highCostHead(asOf, setting), patients: page.entries.map(patientJson), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/high-cost/counts',
    {
      config: { roles: READERS },
      schema: {
        summary:
          '高额费用负担患者人数 How many persons the thresholds list, by district (县区) and hardship group (困难类别): no personal data; without thresholds none, the setting named. A file with ?format= (agency, analyst)',
        querystring: z.strictObject({ asOf: asOfQuery, format: formatField }),
        response: { 200: fileAnswer(highCostCountsSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const asOf = asOfOf(ctx, req.query.asOf);
      const { setting, counts } = await ctx.ledger.highCost.counts(asOf);
      const body = highCostCountsJson(asOf, setting, counts);
      if (wantsFile(req.query.format)) {
        return sendTables(reply, [highCostCountsTable(counts)], req.query.format, { ascii: `high-cost-counts-${body.asOf}`, chinese: `高额费用负担患者人数-${body.asOf}` });
      }
      return body;
    },
  );
};
