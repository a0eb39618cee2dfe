/**
 * Why a visit could not be settled, or a contribution not computed. These are answers, not
 * crashes: each carries a stable code and a message an agency clerk can act on.
 */
import { YibaoError } from '../errors.js';

export type SettlementErrorCode =
  /** No policy document is in force in the region on the visit's date. */
  | 'NO_POLICY_IN_FORCE'
  /** Policies are in force, but none of them settles this scheme and visit type. */
  | 'NO_BENEFIT_RULE'
  /** The rule needs a parameter the documents do not give; a user policy file must supply it. */
  | 'MISSING_PARAMETER'
  /** The person's enrollment cannot be read against the payment periods. */
  | 'ENROLLMENT_INVALID'
  /** No document gives the region's residents' contribution standard for the funding year. */
  | 'NO_CONTRIBUTION_STANDARD'
  /** The governing document says nothing of assistance (资助参保) for the person's hardship group. */
  | 'NO_ASSISTANCE_RULE'
  /** The policy's figures contradict each other (e.g. levels that do not add up to the subsidy). */
  | 'INCONSISTENT_POLICY';

export interface MissingParameter {
  /** Path in the policy pack, e.g. benefits.resident-two-diseases.classes.any.ratio. */
  path: string;
  /** Chinese label, e.g. 支付比例. */
  label: string;
  /** Where the document defers or is silent. */
  citation: string;
  reason: string;
}

export class SettlementError extends YibaoError<SettlementErrorCode> {
  constructor(
    code: SettlementErrorCode,
    message: string,
    readonly missing: readonly MissingParameter[] = [],
  ) {
    super(code, message, missing.length > 0 ? { missing } : {});
    this.name = 'SettlementError';
  }

  override toJSON(): { code: SettlementErrorCode; message: string; missing?: readonly MissingParameter[] } {
    return this.missing.length > 0 ? { code: this.code, message: this.message, missing: this.missing } : { code: this.code, message: this.message };
  }
}

/** The message of a MISSING_PARAMETER: what cannot be done, under which document, for want of what. */
export function missingMessage(what: string, policy: string, missing: readonly MissingParameter[]): string {
  const list = missing.map((m) => `${m.path} (${m.label}; ${m.citation}: ${m.reason})`).join('; ');
  return `cannot settle ${what} under ${policy}: missing parameter${missing.length > 1 ? 's' : ''} ${list}. Supply ${missing.length > 1 ? 'them' : 'it'} in a user policy file (--policy-file).`;
}
