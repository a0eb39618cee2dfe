/**
 * Settlements: pre-settle, settle and reverse (the national platform's 2206 / 2207 / 2208), one
 * entry, a person's history and accumulators, and the fund's aggregates. Registered under /v1.
 */
import { z } from 'zod';
import { chinaDay, yearOf } from '../../calendar/calendar.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import { parseSettleOne, preSettleSchema, requestIdSchema, settleOneSchema } from '../../request/settle-one.js';
import { yearQuery } from '../../request/year-query.js';
import { errorSchema, idParam, parsedBody, PERSONAL, sendStored, withExamples, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { accumulatorsSchema, entrySchema, fundStatsSchema } from '../responses.js';

const reverseBody = withExamples(z.strictObject({ requestId: requestIdSchema }), [EXAMPLES.reversal]);
/** `?year=2024&limit=100&cursor=…`. */
const historyQuery = yearQuery.extend(pageFields('history'));

export const settlementRoutes: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/pre-settlements',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: 'Pre-settle a visit (预结算, like 2206): the settlement that would result now; writes nothing',
        body: parsedBody(preSettleSchema, [EXAMPLES.preSettle]),
        response: { 200: entrySchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const one = parseSettleOne(req.body, ctx.policies, { requestIdRequired: false });
      // A pre-settlement shows the person's accumulators as they stand: a read of personal data.
      ctx.reads(req, 'read.pre-settle', one.person.id, { visitId: one.visit.id });
      return ctx.ledger.preSettle(one, req.actor);
    },
  );

  app.post(
    '/settlements',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: 'Settle a visit (结算, like 2207): commit it with its accumulator changes. Idempotent by requestId.',
        body: parsedBody(settleOneSchema, [EXAMPLES.settle]),
        response: { 200: entrySchema, 201: entrySchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const { body, created } = await ctx.ledger.settle(parseSettleOne(req.body, ctx.policies), req.actor);
      // The entry's JSON as stored: serialized once.
      return sendStored(reply, created ? 201 : 200, body);
    },
  );

  app.post(
    '/settlements/:id/reversal',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: 'Reverse a settlement (冲正, like 2208): a new entry restoring the accumulators. Idempotent by requestId.',
        params: idParam,
        body: reverseBody,
        response: { 200: entrySchema, 201: entrySchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const { body, created } = await ctx.ledger.reverse(req.params.id, req.body.requestId, req.actor);
      return sendStored(reply, created ? 201 : 200, body);
    },
  );

  app.get(
    '/settlements/:id',
    { config: { roles: PERSONAL }, schema: { summary: 'One ledger entry with its trace', params: idParam, response: { 200: entrySchema, '4xx': errorSchema } } },
    async (req) => {
      ctx.reads(req, 'read.settlement', req.params.id);
      return ctx.ledger.entry(req.params.id, req.actor);
    },
  );

  app.get(
    '/persons/:id/settlements',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: `A person's settlement history, oldest first, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor: the nextCursor of the previous page). Institutions see their own visits only.`,
        params: idParam,
        querystring: historyQuery,
        response: { 200: z.object({ person: z.string(), entries: z.array(entrySchema), nextCursor: z.string().nullable() }), '4xx': errorSchema },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { year, limit, cursor } = req.query;
      ctx.reads(req, 'read.history', id, { ...(year ? { year: Number(year) } : {}), ...(cursor ? { cursor: true } : {}) });
      const page = await ctx.ledger.historyPage(id, req.actor, { ...(year ? { year: Number(year) } : {}), limit, after: cursor });
      return { person: id, ...page };
    },
  );

  app.get(
    '/persons/:id/accumulators',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: "A person's accumulators for a year: used and remaining per cap, open deductible windows (agency only)",
        params: idParam,
        querystring: yearQuery,
        response: { 200: accumulatorsSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      ctx.reads(req, 'read.accumulators', req.params.id);
      return ctx.ledger.accumulators(req.params.id, req.query.year ? Number(req.query.year) : yearOf(chinaDay(Date.now())));
    },
  );

  app.get(
    '/stats/fund',
    {
      config: { roles: ['analyst', 'agency'] },
      schema: {
        summary: 'Fund outlay aggregates by policy and month (no personal data; analysts and the agency)',
        querystring: yearQuery,
        response: { 200: fundStatsSchema, '4xx': errorSchema },
      },
    },
    // On the read replica when there is one (src/ledger/analysis.ts).
    async (req) => ctx.ledger.analysis.fundStats(req.query.year ? Number(req.query.year) : undefined),
  );
};
