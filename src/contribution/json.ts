/** A residents' contribution breakdown as JSON (the service's and the CLI's answer). */
import type { Fen } from '../money/money.js';
import type { Contribution } from './types.js';

const y = (fen: Fen) => fen / 100;

/** A contribution as JSON, amounts in yuan (as `yibao settle` prints them). */
export function contributionJson(c: Contribution, options: { trace?: boolean } = {}): Record<string, unknown> {
  const n = (fen: Fen | null) => (fen === null ? null : y(fen));
  const subsidy: Record<string, number | null> = {
    total: n(c.subsidy.total),
    central: n(c.subsidy.central),
    province: n(c.subsidy.province),
    city: n(c.subsidy.city),
    county: n(c.subsidy.county),
  };
  if (c.subsidy.local !== undefined) subsidy.local = n(c.subsidy.local);
  const out: Record<string, unknown> = {
    region: c.region,
    regionName: c.regionName,
    year: c.year,
    countyType: c.countyType,
    hardship: c.hardship,
    policy: c.policy,
    policyId: c.policyId,
    total: n(c.total),
    individual: n(c.individual),
    subsidy,
    assistance: n(c.assistance),
    payable: n(c.payable),
  };
  if (c.criticalIllnessFunding !== undefined) out.criticalIllnessFunding = n(c.criticalIllnessFunding);
  out.bounds = c.bounds;
  out.missing = c.missing;
  if (options.trace !== false) out.trace = c.trace;
  return out;
}
