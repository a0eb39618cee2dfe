/**
 * Claims the agency decides from facts it has verified: the one-time maternity grant (一次性生育补助金,
 * 洛医保〔2023〕63号 四(三)2) — the same decision as `yibao claim maternity-grant`, every condition
 * with its article. Records nothing. Agency only: the claim is about a person and his spouse.
 * Registered under /v1/claims.
 */
import { maternityGrantJson } from '../../maternity/grant.js';
import { maternityGrantFromRequest, maternityGrantRequestSchema } from '../../maternity/request.js';
import { errorSchema, parsedBody, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { grantDecisionSchema } from '../responses.js';

export const claimRoutes: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/maternity-grant',
    {
      config: { roles: ['agency'] },
      schema: {
        summary:
          'Decide a one-time maternity grant claim (一次性生育补助金) against every condition of the article in force on the day of the birth; records nothing (agency only)',
        body: parsedBody(maternityGrantRequestSchema, [EXAMPLES.maternityGrant]),
        response: { 200: grantDecisionSchema, '4xx': errorSchema },
      },
    },
    async (req) => maternityGrantJson(maternityGrantFromRequest(req.body, ctx.policies)),
  );
};
