/** Refusals of the ledger: each maps to a 4xx with a stable code. */

export type LedgerErrorCode =
  | 'IDEMPOTENCY_CONFLICT'
  | 'VISIT_ALREADY_SETTLED'
  | 'NOT_FOUND'
  | 'ALREADY_REVERSED'
  | 'NOT_REVERSIBLE'
  | 'INSTITUTION_MISMATCH'
  | 'FORBIDDEN'
  | 'ACCOUNT_NOT_AVAILABLE';

/** A refused ledger operation (maps to a 4xx). Nothing was written. */
export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}
