/**
 * Residents' contributions (城乡居民医保筹资): the funding standard of a region, year, county type
 * and hardship group, broken down — the same computation as `yibao contribution`. No personal
 * data: every role may ask.
 */
import type { FastifyInstance } from 'fastify';
import { contributionJson } from '../../contribution/json.js';
import { contributionFromRequest, contributionRequestSchema } from '../../contribution/request.js';
import { errorSchema, jsonSchema, type RouteContext } from '../context.js';

export function registerContributionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    '/v1/contributions',
    {
      schema: {
        summary:
          "A residents' contribution (筹资): individual contribution, fiscal subsidy by level, assistance, what the person pays, with the trace; a figure the documents do not give for the year is null and listed in `missing` (MISSING_PARAMETER per figure)",
        body: jsonSchema(contributionRequestSchema),
        response: { 200: { type: 'object', additionalProperties: true }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, 'institution', 'agency', 'analyst');
      return contributionJson(contributionFromRequest(req.body, ctx.policies));
    },
  );
}
