/** Refusals of the ledger: each maps to a 4xx with a stable code. */
import { YibaoError } from '../errors.js';

export type LedgerErrorCode =
  | 'IDEMPOTENCY_CONFLICT'
  | 'VISIT_ALREADY_SETTLED'
  | 'NOT_FOUND'
  | 'ALREADY_REVERSED'
  /** The national message was reversed by a 2601 冲正 (before it arrived, or while it was settled): refused. */
  | 'REVERSED_BY_2601'
  | 'NOT_REVERSIBLE'
  | 'INSTITUTION_MISMATCH'
  /** The settle's person disagrees with the person registry (registry.ts): the fields are named. */
  | 'PERSON_MISMATCH'
  /** The ledger requires registered persons (requireEnrollment) and the person is not in the registry. */
  | 'PERSON_NOT_REGISTERED'
  /** The ledger requires enrollment and has no payment the agency recorded for the visit's year. */
  | 'NOT_ENROLLED'
  /** The ledger requires enrollment: payments come from its records, not from the request. */
  | 'ENROLLMENT_NOT_ACCEPTED'
  | 'FORBIDDEN'
  /** A visit asked the personal account to pay, and the person has no open account of the kind. */
  | 'ACCOUNT_NOT_AVAILABLE'
  /** Accounts: the holder already has an open account of the kind. */
  | 'ACCOUNT_EXISTS'
  /** Accounts: the month is already credited (the holder's details cannot change from it). */
  | 'ALREADY_CREDITED'
  /** Accounts: closed by a transfer out, refund or inheritance. */
  | 'ACCOUNT_CLOSED'
  /** A visit dated after now (beyond the clock tolerance): not settled, it would use up a year's caps before its time. */
  | 'VISIT_IN_FUTURE'
  /** Too many settles are waiting for the writer: refused at once (503, Retry-After), nothing written. */
  | 'OVERLOADED'
  /** Clearing: the month has not ended (China time); it cannot be closed yet. */
  | 'PERIOD_NOT_ENDED'
  /** Clearing: an earlier month is still open; months close in order. */
  | 'EARLIER_PERIOD_OPEN'
  /** Clearing: an institution with entries in the month has no paying centre on file. */
  | 'NO_PAYING_CENTRE'
  /** Clearing: a registration contradicts the policy's rule for who pays (洛医保〔2023〕63号 三(二)). */
  | 'PAYING_CENTRE_RULE'
  /** A value names a record that does not exist (a district, a centre). */
  | 'INVALID_REQUEST'
  /** National: the visit (就诊ID) was cancelled (2202 门诊挂号撤销, 2404 入院撤销); nothing more may be done on it. */
  | 'VISIT_CANCELLED'
  | 'DETAILS_CHANGED'
  /** National: a fee detail's serial number (feedetl_sn) is live already on the visit (2204/2301). */
  | 'DUPLICATE_REFERENCE';

/** A refused ledger operation (maps to a 4xx). Nothing was written. */
export class LedgerError extends YibaoError<LedgerErrorCode> {
  constructor(code: LedgerErrorCode, message: string) {
    super(code, message);
    this.name = 'LedgerError';
  }
}

/**
 * The database cannot be reached (PostgreSQL down, restarting, refusing connections, or the
 * connection lost mid-request): 503 with Retry-After. Whether a write whose connection was lost
 * was committed is not known; its request id, sent again, settles it once (or answers the entry
 * it made).
 */
export class StoreUnavailableError extends YibaoError<'STORE_UNAVAILABLE'> {
  /** `what`: which database (the ledger's, or the read replica of `yibao serve --read-db`). */
  constructor(
    readonly reason: string,
    what = 'the database',
  ) {
    super('STORE_UNAVAILABLE', `${what} cannot be reached (${reason}); try again shortly with the same request id`);
    this.name = 'StoreUnavailableError';
  }
}

/** Node's codes of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** pg's messages (no code) of a connection lost, closed, or not made in time. */
const LOST_CONNECTION =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Connection ended|Query read timeout)/;

/**
 * `e` as STORE_UNAVAILABLE when it says the database could not be reached: a network error, pg's
 * lost or timed-out connection, or PostgreSQL's SQLSTATE class 08 (connection exception), 57P01–
 * 57P03 (shutting down, crashed, starting up) or 53300 (too many connections); SQLite's BUSY or
 * LOCKED (past the busy timeout) or FULL (the disk); else undefined.
 * Looks through `cause` and an AggregateError's errors (a host with several addresses).
 */
export function storeUnavailable(e: unknown, depth = 0): StoreUnavailableError | undefined {
  if (depth > 4 || typeof e !== 'object' || e === null) return undefined;
  const err = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : '';
  if (NETWORK_CODES.has(code)) return new StoreUnavailableError(code);
  if (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return new StoreUnavailableError(`SQLSTATE ${code}`);
  if (code === '' && LOST_CONNECTION.test(message)) return new StoreUnavailableError(message);
  // SQLite: the write lock held by another process past the busy timeout (a long command), or the disk full.
  if (/^SQLITE_(BUSY|LOCKED|FULL)(_[A-Z]+)?$/.test(code)) return new StoreUnavailableError(code);
  if (Array.isArray(err.errors)) for (const x of err.errors) if (storeUnavailable(x, depth + 1)) return storeUnavailable(x, depth + 1);
  return storeUnavailable(err.cause, depth + 1);
}
