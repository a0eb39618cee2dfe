/**
 * Residents' contributions (城乡居民医保筹资): the funding standard of a region, year, county type
 * and hardship group, broken down — the same computation as `yibao contribution`. No personal
 * data: every role may ask. Registered under /v1/contributions.
 */
import { contributionJson } from '../../contribution/json.js';
import { contributionFromRequest, contributionRequestSchema } from '../../contribution/request.js';
import { ANALYSTS, errorSchema, parsedBody, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { contributionSchema } from '../responses.js';

export const contributionRoutes: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '',
    {
      config: { roles: ANALYSTS },
      schema: {
        summary:
          "A residents' contribution (筹资): individual contribution, fiscal subsidy by level, assistance, what the person pays, with the trace; a figure the documents do not give for the year is null and listed in `missing` (MISSING_PARAMETER per figure)",
        body: parsedBody(contributionRequestSchema, [EXAMPLES.contribution]),
        response: { 200: contributionSchema, '4xx': errorSchema },
      },
    },
    async (req) => contributionJson(contributionFromRequest(req.body, ctx.policies)),
  );
};
