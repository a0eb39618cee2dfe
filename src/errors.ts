/**
 * The one error model of yibao: every answer that is not a result — bad input, a refusal of the
 * documents or of the ledger, a broken invariant — is a {@link YibaoError} with a stable `code`
 * (the contract: clients and scripts match on it), a message an agency clerk can act on, and
 * `details` (the fields its JSON body carries besides code and message).
 *
 * This module is the lowest layer: it imports nothing. The classes of each area (SettlementError,
 * LedgerError, RequestError…) are thin subclasses that keep call sites readable; the service maps
 * a code to its HTTP status in one table (src/api/status.ts) and the command line to its exit
 * code with {@link exitCodeFor}.
 */

/**
 * Every stable code, by what it means for the caller. A subclass may narrow its own codes; the
 * tables below key on these.
 */
export const ERROR_CODES = {
  /** The input is not valid (a field, a file, a command line): fix it and try again. */
  invalid: [
    'INVALID_REQUEST',
    'INVALID_INPUT',
    'INVALID_JSON',
    'FORBIDDEN_KEY',
    'BAD_REQUEST',
    'INVALID_AMOUNT',
    'INVALID_CODE',
    'INVALID_IDENTITY',
    'INVALID_SCENARIO',
    'OPTION_REQUIRED',
    'USAGE',
    'POLICY_FILE',
    'INVALID_PERIOD',
    'INVALID_FILE',
    'INVALID_CATALOGUE',
    // The transport's, before a route has the request (src/api/server.ts).
    'REQUEST_TIMEOUT',
    'BODY_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'HEADERS_TOO_LARGE',
  ],
  /** Who is calling, or whether they may. */
  access: ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_SIGNED_IN'],
  /** The documents do not give the answer (422). */
  policy: [
    'NO_POLICY_IN_FORCE',
    'NO_BENEFIT_RULE',
    'MISSING_PARAMETER',
    'ENROLLMENT_INVALID',
    'NO_CONTRIBUTION_STANDARD',
    'NO_ASSISTANCE_RULE',
    'INCONSISTENT_POLICY',
    'NO_ACCOUNT_RULES',
  ],
  /** The state of the ledger refuses the operation; nothing was written. */
  refused: [
    'IDEMPOTENCY_CONFLICT',
    'VISIT_ALREADY_SETTLED',
    'NOT_FOUND',
    'ALREADY_REVERSED',
    'REVERSED_BY_2601',
    'NOT_REVERSIBLE',
    'INSTITUTION_MISMATCH',
    'PERSON_MISMATCH',
    'PERSON_NOT_REGISTERED',
    'NOT_ENROLLED',
    'ENROLLMENT_NOT_ACCEPTED',
    'ACCOUNT_NOT_AVAILABLE',
    'ACCOUNT_EXISTS',
    'ALREADY_CREDITED',
    'ACCOUNT_CLOSED',
    'VISIT_IN_FUTURE',
    'DUPLICATE_REFERENCE',
    'PROHIBITED_USE',
    'USE_NOT_ALLOWED',
    'NON_CONTRACTED',
    'INSUFFICIENT_BALANCE',
    'NOTHING_TO_PAY',
    'CONDITION_NOT_MET',
    'PERIOD_NOT_ENDED',
    'EARLIER_PERIOD_OPEN',
    'NO_PAYING_CENTRE',
    'PAYING_CENTRE_RULE',
    'VISIT_CANCELLED',
    'DETAILS_CHANGED',
  ],
  /** Try again shortly. */
  unavailable: ['OVERLOADED', 'AUDIT_UNAVAILABLE', 'SHUTTING_DOWN', 'SIMULATION_TIMEOUT', 'STORE_UNAVAILABLE'],
  /** A bug or a broken store: the request id identifies it in the log. */
  internal: ['INTERNAL', 'INTERNAL_INVARIANT'],
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES][number];

/** A yibao error: a stable code, a message, and the fields its JSON carries besides them. */
export class YibaoError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'YibaoError';
  }

  /** The error as the service's body has it: `{ code, message, ...details }`. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** The kind of a code: which list of {@link ERROR_CODES} it is on (an unknown code is internal). */
export function kindOf(code: string): keyof typeof ERROR_CODES {
  for (const [kind, codes] of Object.entries(ERROR_CODES)) {
    if ((codes as readonly string[]).includes(code)) return kind as keyof typeof ERROR_CODES;
  }
  return 'internal';
}

/** The command line's exit codes. */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

/**
 * The exit code of a command that ended with an error of `code`: 2 for input that is not valid
 * (a field, a file, the command line), 1 for everything else (a refusal, the documents not giving
 * the answer, an internal error).
 */
export function exitCodeFor(code: string): 0 | 1 | 2 {
  return kindOf(code) === 'invalid' ? EXIT.invalid : EXIT.failed;
}
