/**
 * The contribution request (the `yibao contribution FILE` contract and POST /v1/contributions): validated
 * with zod, every bad field named, like the settle request.
 */
import { z } from 'zod';
import { COUNTY_TYPES, HARDSHIP_GROUPS } from '../domain.js';
import type { PolicySet } from '../policy/registry.js';
import { enumOf, parseWithRegion, RequestError, yearSchema } from '../request/settle-request.js';
import { computeContribution } from './contribution.js';
import { OptionRequiredError, type Contribution, type ContributionQuery } from './types.js';

export const contributionRequestSchema = z
  .strictObject({
    region: z.string({ error: 'must be an admdvs code such as 410300 or a name such as luoyang' }).min(1).max(64),
    year: yearSchema,
    countyType: enumOf(COUNTY_TYPES),
    hardship: enumOf(['none', ...HARDSHIP_GROUPS] as const).optional(),
    followsDibao: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.followsDibao !== undefined && r.hardship !== 'monitored')
      ctx.addIssue({ code: 'custom', path: ['followsDibao'], message: 'applies only to hardship monitored (可参照当地低保对象标准资助参保)' });
  });

/**
 * Validates a parsed JSON contribution request: region alias to admdvs code, `none` to no group.
 *
 * @throws RequestError naming each bad field.
 */
export function parseContributionRequest(data: unknown, policies: PolicySet): ContributionQuery {
  const { parsed: r, region, problems } = parseWithRegion(contributionRequestSchema, data, (data as { region?: unknown } | null)?.region, 'region', policies);
  if (problems.length > 0) throw new RequestError(problems);
  const query: ContributionQuery = { region: region as string, year: r.year, countyType: r.countyType };
  if (r.hardship !== undefined && r.hardship !== 'none') query.hardship = r.hardship;
  if (r.followsDibao !== undefined) query.followsDibao = r.followsDibao;
  return query;
}

/**
 * Validates and computes: what the CLI and the HTTP layer call.
 *
 * @throws RequestError for an invalid request, including a monitored person under a document that
 *   says the group *may* follow the 低保 standard when the request does not say whether it does.
 * @throws SettlementError when the documents do not give what is needed (see computeContribution).
 */
export function contributionFromRequest(data: unknown, policies: PolicySet): Contribution {
  const query = parseContributionRequest(data, policies);
  try {
    return computeContribution(policies, query);
  } catch (e) {
    if (e instanceof OptionRequiredError) throw new RequestError([`${e.option}: ${e.message}`]);
    throw e;
  }
}
