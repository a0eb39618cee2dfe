/**
 * The hospital day over the national interface (issue 15): the books behind the national
 * transactions beyond settlement. Each book is its own file; this composes them as `ledger.national`.
 *
 *   signIns      9001 签到 / 9002 签退 (national-sign-ins.ts)
 *   identities   人员身份信息, for 1101 and setlinfo's person fields (national-identities.ts)
 *   visits       2201/2202/2203 outpatient and 2401–2405 inpatient visits (national-visits.ts)
 *   feeDetails   2204/2205 and 2301/2302 fee details, priced by the catalogue (national-fee-details.ts)
 *   reversals    2601 冲正 (national-reversals.ts)
 */
import { FeeDetailBook } from './national-fee-details.js';
import { IdentityBook } from './national-identities.js';
import { ReversalBook } from './national-reversals.js';
import { SignInBook } from './national-sign-ins.js';
import { VisitBook } from './national-visits.js';
import type { NationalBookDeps } from './national-deps.js';

export type { NationalBookDeps };

export class NationalBook {
  readonly signIns: SignInBook;
  readonly identities: IdentityBook;
  readonly visits: VisitBook;
  readonly feeDetails: FeeDetailBook;
  readonly reversals: ReversalBook;

  constructor(deps: NationalBookDeps) {
    this.signIns = new SignInBook(deps);
    this.identities = new IdentityBook(deps);
    this.visits = new VisitBook(deps);
    this.feeDetails = new FeeDetailBook(deps);
    this.reversals = new ReversalBook(deps, this.visits);
  }
}
