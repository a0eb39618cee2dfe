/**
 * Claims the agency decides from facts it has verified: the one-time maternity grant (一次性生育补助金,
 * 洛医保〔2023〕63号 四(三)2) — the same decision as `yibao claim maternity-grant`, every condition
 * with its article. Records nothing. Agency only: the claim is about a person and his spouse.
 */
import type { FastifyInstance } from 'fastify';
import { maternityGrantJson } from '../../maternity/grant.js';
import { maternityGrantFromRequest, maternityGrantRequestSchema } from '../../maternity/request.js';
import { errorSchema, jsonSchema, type RouteContext } from '../context.js';

const decisionDoc = {
  type: 'object',
  additionalProperties: true,
  description:
    'The decision: granted, amount (yuan; 0 when refused), standard, conditions (each with condition, label, met, source, quote, text), refusals (the conditions not met), trace.',
};

export function registerClaimRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    '/v1/claims/maternity-grant',
    {
      schema: {
        summary: 'Decide a one-time maternity grant claim (一次性生育补助金) against every condition of the article in force on the day of the birth; records nothing (agency only)',
        body: jsonSchema(maternityGrantRequestSchema),
        response: { 200: decisionDoc, '4xx': errorSchema },
      },
    },
    async (req) => {
      await ctx.authorize(req, 'agency');
      return maternityGrantJson(maternityGrantFromRequest(req.body, ctx.policies));
    },
  );
}
