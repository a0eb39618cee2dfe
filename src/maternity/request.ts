/**
 * The maternity-grant claim request (`yibao claim maternity-grant FILE` and POST
 * /v1/claims/maternity-grant): the facts the agency has verified, validated with zod, every bad
 * field named, like the settle request.
 */
import { z } from 'zod';
import { EMPLOYMENTS, SCHEMES } from '../domain.js';
import type { PolicySet } from '../policy/registry.js';
import { dateText, enumOf, id, parseWithRegion, RequestError } from '../request/settle-request.js';
import { decideMaternityGrant, SEXES, type MaternityGrantClaim, type MaternityGrantDecision } from './grant.js';

const fact = z.boolean({ error: 'must be true or false (as the agency has verified it)' });

export const maternityGrantRequestSchema = z.strictObject({
  /** The insured person who claims: the husband. */
  claimant: z.strictObject({
    id,
    region: z.string({ error: 'must be an admdvs code such as 410300 or a name such as luoyang' }).min(1),
    scheme: enumOf(SCHEMES),
    sex: enumOf(SEXES),
    /** Employees: 用人单位在职职工 (employer) or 以在职职工身份参保的灵活就业人员 (flexible). */
    employment: enumOf(EMPLOYMENTS).optional(),
    /** 参加生育保险, at the birth. */
    maternityInsured: fact,
    /** 用人单位及其职工按时足额缴纳生育保险费. */
    contributionsPaid: fact,
  }),
  /** 所在单位: when the claimant has an employer. */
  employer: z.strictObject({ maternityInsuredSince: dateText }).optional(),
  spouse: z.strictObject({
    /** 有工作单位, at the birth. */
    hasEmployer: fact,
    /** 已享受城乡居民医保生育待遇 for this birth. */
    residentMaternityBenefit: fact,
  }),
  /** 配偶生育的日期. */
  birthDate: dateText,
});

/**
 * Validates a parsed JSON claim: region alias to admdvs code, dates to day numbers. An employee
 * must say how he is insured (employment); an employer's employee names his employer's maternity
 * insurance, a flexible worker has no employer to name.
 *
 * @throws RequestError naming each bad field.
 */
export function parseMaternityGrantRequest(data: unknown, policies: PolicySet): MaternityGrantClaim {
  const regionRaw = (data as { claimant?: { region?: unknown } } | null)?.claimant?.region;
  const { parsed: r, region, problems } = parseWithRegion(maternityGrantRequestSchema, data, regionRaw, 'claimant.region', policies);
  const c = r.claimant;
  if (c.scheme === 'employee' && c.employment === undefined) problems.push('claimant.employment: required for an employee: employer (用人单位在职职工) or flexible (灵活就业人员)');
  if (c.scheme !== 'employee' && c.employment !== undefined) problems.push("claimant.employment: applies to the employees' scheme (职工医保) only");
  if (c.employment === 'employer' && r.employer === undefined)
    problems.push("employer: required for an employer's employee: { maternityInsuredSince } (所在单位参加生育保险的起始日期)");
  if (c.employment === 'flexible' && r.employer !== undefined) problems.push('employer: a flexible worker (灵活就业人员) has no employer (所在单位) to name');
  if (problems.length > 0) throw new RequestError(problems);
  const claim: MaternityGrantClaim = {
    claimant: {
      id: c.id,
      region: region as string,
      scheme: c.scheme,
      sex: c.sex,
      maternityInsured: c.maternityInsured,
      contributionsPaid: c.contributionsPaid,
      ...(c.employment !== undefined ? { employment: c.employment } : {}),
    },
    spouse: { hasEmployer: r.spouse.hasEmployer, residentMaternityBenefit: r.spouse.residentMaternityBenefit },
    birthDate: r.birthDate,
  };
  if (r.employer) claim.employer = { maternityInsuredSince: r.employer.maternityInsuredSince };
  return claim;
}

/**
 * Validates and decides: what the CLI and the HTTP layer call.
 *
 * @throws RequestError for an invalid request.
 * @throws SettlementError when no policy gives the grant on the day of the birth (see decideMaternityGrant).
 */
export function maternityGrantFromRequest(data: unknown, policies: PolicySet): MaternityGrantDecision {
  return decideMaternityGrant(policies, parseMaternityGrantRequest(data, policies));
}
