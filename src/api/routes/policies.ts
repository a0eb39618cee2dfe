/**
 * Policy analyses over HTTP, as `yibao policy check` and `yibao policy diff` (src/analysis/): a
 * city's policies against its province's floors on a date, and what changed between two policy
 * packs. No personal data: every role may ask. Packs are named by id only (no files).
 *
 * A check that finds a breach still answers 200 (`breach: true`): the analysis succeeded. No floors
 * document or no city document in force on the date is 422 NO_POLICY_IN_FORCE. Registered under
 * /v1/policies.
 */
import { z } from 'zod';
import { checkAgainstFloors } from '../../analysis/check.js';
import { diffPacks } from '../../analysis/diff.js';
import { readCity, readDay, readPack, readProvince } from '../../analysis/refs.js';
import { chinaDay } from '../../calendar/calendar.js';
import { ISO_DATE_TEXT } from '../../policy/schema.js';
import { ID_MAX } from '../../request/id.js';
import { ANALYSTS, errorSchema, type RoutePlugin } from '../context.js';
import { policyCheckSchema, policyDiffSchema } from '../responses.js';

/** `?city=luoyang&against=henan&date=2024-06-01`. */
export const checkQuery = z.strictObject({
  city: z.string({ error: 'is required: the city (admdvs code or name, or a policy pack id)' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
  against: z.string({ error: 'is required: the province (admdvs code or name)' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
  date: z.string().regex(ISO_DATE_TEXT, 'must be a date YYYY-MM-DD').optional(),
});

/** `?a=luoyang-2022&b=luoyang-2024`. */
export const diffQuery = z.strictObject({
  a: z.string({ error: 'is required: a policy pack id' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
  b: z.string({ error: 'is required: a policy pack id' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
});

export const policyRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/check',
    {
      config: { roles: ANALYSTS },
      schema: {
        summary: "A city's policies against its province's floors (省级底线标准) on a date (default today), each line with both values, both citations and a verdict",
        querystring: checkQuery,
        response: { 200: policyCheckSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const q = req.query;
      const day = readDay(q.date, 'query.date', chinaDay(Date.now()));
      const city = readCity(q.city, 'query.city', ctx.policies, day, { files: false });
      return checkAgainstFloors(ctx.policies, city, readProvince(q.against, 'query.against', city, ctx.policies), day);
    },
  );

  app.get(
    '/diff',
    {
      config: { roles: ANALYSTS },
      schema: {
        summary: 'Parameters added, removed and changed from policy pack a to policy pack b, with both citations and dates',
        querystring: diffQuery,
        response: { 200: policyDiffSchema, '4xx': errorSchema },
      },
    },
    async (req) => diffPacks(readPack(req.query.a, 'query.a', ctx.policies, { files: false }), readPack(req.query.b, 'query.b', ctx.policies, { files: false })),
  );
};
