/**
 * A visit is settled once it has happened. One dated after now (a typo's 2099, next year) would be
 * settled into the ledger and use up that year's caps before the year began; the ledger refuses
 * it, on every surface that settles or pre-settles through it (POST /v1/settlements and
 * /v1/pre-settlements, national 2206/2207/2303/2304, `yibao settle FILE --db`). `yibao settle
 * FILE` without a ledger still computes what a future visit would get.
 *
 * Clocks disagree a little (the HIS's and the service's): a visit up to the tolerance after now is
 * accepted. Default 5 minutes; `yibao serve --clock-tolerance MS` or YIBAO_CLOCK_TOLERANCE_MS.
 */
import type { SettleOne } from '../request/settle-one.js';
import { LedgerError } from './errors.js';

export const DEFAULT_CLOCK_TOLERANCE_MS = 5 * 60_000;

let toleranceMs = DEFAULT_CLOCK_TOLERANCE_MS;

/** Sets the tolerance for this thread (the service sets it for its writer thread too). */
export function setClockTolerance(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`the clock tolerance must be a whole number of milliseconds, at least 0, not ${ms}`);
  toleranceMs = ms;
}

export const clockTolerance = (): number => toleranceMs;

/** @throws LedgerError VISIT_IN_FUTURE when the visit (its discharge, for a stay) is after now plus the tolerance. */
export function refuseVisitInFuture(req: SettleOne, now: number): void {
  const time = req.visit.time;
  if (time <= now + toleranceMs) return;
  throw new LedgerError(
    'VISIT_IN_FUTURE',
    `visit.time: ${new Date(time).toISOString()} is after now (${new Date(now).toISOString()}); a visit is settled once it has happened (clock tolerance ${toleranceMs / 1000} s)`,
  );
}
