/**
 * Idempotent replay, one mechanism for every write a client names by a request id (settle,
 * reverse, payments, accounts): a request seen before with the same body gets the original
 * answer and writes nothing; with another body it is refused (IDEMPOTENCY_CONFLICT, each caller's
 * own message). Each write checks inside its transaction ({@link replayed}); two requests with one
 * id that race past that check meet at the unique index, and the loser is answered as a retry
 * ({@link replayAfterRace}).
 */
import type { LedgerError } from './errors.js';

/** How a write answers a request id it holds already: `prior` is what it stored for it. */
export interface Idempotency<P, T> {
  /** Whether the stored request is this one (same body, same target). */
  matches(prior: P): boolean;
  /** The original answer, for a retry. */
  answer(prior: P): T;
  /** The refusal of another request under the same id. */
  conflict(prior: P | undefined): LedgerError;
}

/** The original answer when `prior` is this request; throws the conflict when it is another. */
export function replayed<P, T>(spec: Idempotency<P, T>, prior: P): T {
  if (!spec.matches(prior)) throw spec.conflict(prior);
  return spec.answer(prior);
}

/** {@link replayed} for a lookup that may find nothing: undefined then (a new request). */
export function replayIfSeen<P, T>(spec: Idempotency<P, T>, prior: P | undefined): T | undefined {
  return prior === undefined ? undefined : replayed(spec, prior);
}

/**
 * A unique (or primary key) violation, by the driver's error code: SQLSTATE 23505 on PostgreSQL,
 * SQLITE_CONSTRAINT_UNIQUE or SQLITE_CONSTRAINT_PRIMARYKEY from better-sqlite3 (also as the SQLite
 * writer thread passes it on). Never by the message's text, which the server's language and
 * version may change, and which a value in the message could contain.
 */
export function isUniqueViolation(e: unknown): boolean {
  const code = e !== null && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * After a write failed with `e`: when it is a unique violation and the request id was committed
 * meanwhile by another call, the original answer (or the conflict); else `e` again.
 *
 * - `otherwise`: runs when no matching request is found, before the conflict or `e` is thrown
 *   (a check of its own that may throw a more telling refusal);
 * - `absentIsConflict`: with nothing found, the conflict rather than `e`.
 */
export async function replayAfterRace<P, T>(
  e: unknown,
  find: () => Promise<P | undefined>,
  spec: Idempotency<P, T | PromiseLike<T>>,
  options: { otherwise?: () => Promise<void>; absentIsConflict?: boolean } = {},
): Promise<T> {
  if (!isUniqueViolation(e)) throw e;
  const prior = await find();
  if (prior !== undefined && spec.matches(prior)) return spec.answer(prior);
  await options.otherwise?.();
  if (prior !== undefined || options.absentIsConflict) throw spec.conflict(prior);
  throw e;
}

/** Runs a write; a race lost at the unique index is answered by {@link replayAfterRace}. */
export async function idempotently<P, T>(
  write: () => Promise<T>,
  find: () => Promise<P | undefined>,
  spec: Idempotency<P, T | PromiseLike<T>>,
  options?: { otherwise?: () => Promise<void>; absentIsConflict?: boolean },
): Promise<T> {
  try {
    return await write();
  } catch (e) {
    return replayAfterRace(e, find, spec, options);
  }
}

/**
 * Runs a create-or-replace once more when it lost a race to create the same row (a unique
 * violation: two PUTs of one new district at once on PostgreSQL): the second run finds the row and
 * replaces it, or finds it unchanged.
 */
export async function onceMore<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    return write();
  }
}
