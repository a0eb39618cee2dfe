/**
 * The one table from a stable error code (src/errors.ts) to the service's HTTP status, and the
 * body of an error. Every refusal the service makes goes through {@link statusFor}; the national
 * envelope (routes/national.ts) wraps the same body and keeps the status.
 */
import { kindOf, type YibaoError } from '../errors.js';

/** Codes whose status is not the one of their kind. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IDEMPOTENCY_CONFLICT: 409,
  VISIT_ALREADY_SETTLED: 409,
  VISIT_CANCELLED: 409,
  DETAILS_CHANGED: 409,
  ALREADY_REVERSED: 409,
  REVERSED_BY_2601: 409,
  NOT_REVERSIBLE: 409,
  INSTITUTION_MISMATCH: 409,
  PERSON_MISMATCH: 409,
  ACCOUNT_EXISTS: 409,
  ALREADY_CREDITED: 409,
  ACCOUNT_CLOSED: 409,
  DUPLICATE_REFERENCE: 409,
  REQUEST_TIMEOUT: 408,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
};

/** The status of each kind of code (src/errors.ts ERROR_CODES). */
const STATUS_OF_KIND = { invalid: 400, access: 403, policy: 422, refused: 422, unavailable: 503, internal: 500 } as const;

/** The HTTP status of an error code. */
export function statusFor(code: string): number {
  return STATUS_OF_CODE[code] ?? STATUS_OF_KIND[kindOf(code)];
}

/** Seconds a client is asked to wait before trying again after a 503. */
export const RETRY_AFTER_S = 1;

/** The service's error body. */
export const errorBody = (requestId: string, error: Record<string, unknown>) => ({ error, requestId });

/** A YibaoError as the service answers it: status and `error` (an internal one says nothing of itself). */
export function answerOf(err: YibaoError): { status: number; error: Record<string, unknown> } {
  // An account's input errors are the service's invalid requests.
  if (err.code === 'INVALID_INPUT') return { status: 400, error: { code: 'INVALID_REQUEST', message: `invalid request: ${err.message}`, problems: [err.message] } };
  const status = statusFor(err.code);
  if (status === 500) return { status, error: INTERNAL };
  return { status, error: err.toJSON() };
}

export const INTERNAL = { code: 'INTERNAL', message: 'internal error; the request id identifies it in the service log' };
