/**
 * Settlements: pre-settle, settle and reverse (the national platform's 2206 / 2207 / 2208), one
 * entry, a person's history and accumulators, and the fund's aggregates.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { chinaDay, yearOf } from '../../calendar/calendar.js';
import { z } from 'zod';
import { parseSettleOne, preSettleSchema, requestIdSchema, settleOneSchema } from '../../request/settle-one.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import { errorSchema, idParam, JSON_TYPE, jsonSchema, parse, PERSONAL, yearQuery, type RouteContext } from '../context.js';

const entryDoc = { type: 'object', additionalProperties: true, description: 'A ledger entry: the settlement (amounts in yuan) with its trace, or a reversal.' };
const reverseBody = z.strictObject({ requestId: requestIdSchema });
/** `?year=2024&limit=100&cursor=…`. */
const historyQuery = yearQuery.extend(pageFields('history'));

export function registerSettlementRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    '/v1/pre-settlements',
    {
      schema: {
        summary: 'Pre-settle a visit (预结算, like 2206): the settlement that would result now; writes nothing',
        body: jsonSchema(preSettleSchema),
        response: { 200: entryDoc, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, ...PERSONAL);
      const one = parseSettleOne(req.body, ctx.policies, { requestIdRequired: false });
      // A pre-settlement shows the person's accumulators as they stand: a read of personal data.
      ctx.reads(req, 'read.pre-settle', one.person.id, { visitId: one.visit.id });
      return ctx.ledger.preSettle(one, actor);
    },
  );

  app.post(
    '/v1/settlements',
    {
      schema: {
        summary: 'Settle a visit (结算, like 2207): commit it with its accumulator changes. Idempotent by requestId.',
        body: jsonSchema(settleOneSchema),
        response: { 200: entryDoc, 201: entryDoc, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const actor = await ctx.authorize(req, ...PERSONAL);
      const one = parseSettleOne(req.body, ctx.policies);
      const { body, created } = await ctx.ledger.settle(one, actor);
      // The entry's JSON as stored: serialized once.
      return reply.code(created ? 201 : 200).type(JSON_TYPE).send(body);
    },
  );

  app.post(
    '/v1/settlements/:id/reversal',
    {
      schema: {
        summary: 'Reverse a settlement (冲正, like 2208): a new entry restoring the accumulators. Idempotent by requestId.',
        params: jsonSchema(idParam),
        body: jsonSchema(reverseBody),
        response: { 200: entryDoc, 201: entryDoc, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const actor = await ctx.authorize(req, ...PERSONAL);
      const { id } = parse(idParam, req.params, 'params');
      const { requestId } = parse(reverseBody, req.body, '');
      const { body, created } = await ctx.ledger.reverse(id, requestId, actor);
      return reply.code(created ? 201 : 200).type(JSON_TYPE).send(body);
    },
  );

  app.get(
    '/v1/settlements/:id',
    { schema: { summary: 'One ledger entry with its trace', params: jsonSchema(idParam), response: { 200: entryDoc, '4xx': errorSchema } } },
    async (req) => {
      const actor = await ctx.authorize(req, ...PERSONAL);
      const { id } = parse(idParam, req.params, 'params');
      ctx.reads(req, 'read.settlement', id);
      return ctx.ledger.entry(id, actor);
    },
  );

  app.get(
    '/v1/persons/:id/settlements',
    {
      schema: {
        summary: `A person's settlement history, oldest first, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor: the nextCursor of the previous page). Institutions see their own visits only.`,
        params: jsonSchema(idParam),
        querystring: jsonSchema(historyQuery),
        response: {
          200: { type: 'object', properties: { person: { type: 'string' }, entries: { type: 'array', items: entryDoc }, nextCursor: { type: ['string', 'null'] } } },
          '4xx': errorSchema,
        },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, ...PERSONAL);
      const { id } = parse(idParam, req.params, 'params');
      const { year, limit, cursor } = parse(historyQuery, req.query, 'query');
      ctx.reads(req, 'read.history', id, { ...(year ? { year: Number(year) } : {}), ...(cursor ? { cursor: true } : {}) });
      const page = await ctx.ledger.historyPage(id, actor, { ...(year ? { year: Number(year) } : {}), limit, after: cursor });
      return { person: id, ...page };
    },
  );

  app.get(
    '/v1/persons/:id/accumulators',
    {
      schema: {
        summary: "A person's accumulators for a year: used and remaining per cap, open deductible windows (agency only)",
        params: jsonSchema(idParam),
        querystring: jsonSchema(yearQuery),
        response: { 200: { type: 'object', additionalProperties: true }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, 'agency');
      const { id } = parse(idParam, req.params, 'params');
      const { year } = parse(yearQuery, req.query, 'query');
      ctx.reads(req, 'read.accumulators', id);
      return ctx.ledger.accumulators(id, year ? Number(year) : yearOf(chinaDay(Date.now())));
    },
  );

  app.get(
    '/v1/stats/fund',
    {
      schema: {
        summary: 'Fund outlay aggregates by policy and month (no personal data; analysts and the agency)',
        querystring: jsonSchema(yearQuery),
        response: { 200: { type: 'object', additionalProperties: true }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, 'analyst', 'agency');
      const { year } = parse(yearQuery, req.query, 'query');
      return ctx.ledger.fundStats(year ? Number(year) : undefined);
    },
  );
}
