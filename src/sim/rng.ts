/**
 * The simulation's random numbers: one small stream per person, seeded from (scenario seed,
 * person index), so that a person's draws do not depend on which thread makes them or on what
 * was drawn for anyone else. 32-bit integer arithmetic only (splitmix32 to seed, mulberry32 to
 * draw): the same numbers on every machine.
 */

/** splitmix32's finaliser: a well-mixed 32-bit value of a 32-bit input. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** 2^32, the number of values {@link PersonRng.u32} draws from. */
export const U32 = 4_294_967_296;

/** A person's stream (mulberry32), reset for each person. */
export class PersonRng {
  private s = 0;

  /** Starts the stream of person `index` under `seed`. */
  reset(seed: number, index: number): void {
    // The index is split in two 32-bit halves, so that populations past 2^32 persons still differ.
    const hi = Math.floor(index / U32);
    this.s = mix32(mix32(seed ^ 0x5bd1e995) ^ mix32(index >>> 0) ^ Math.imul(hi, 0x27d4eb2f));
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform integer in [0, n), n at most 2^21 (exact: the product stays below 2^53). */
  below(n: number): number {
    return Math.floor((this.u32() * n) / U32);
  }
}

/**
 * Thresholds on a u32 draw for picking among shares: `pick(table, u)` is the first i with
 * u < table[i]. Shares are integers (basis points, weights); the thresholds are exact integers.
 */
export function thresholds(shares: readonly number[]): Float64Array {
  const total = shares.reduce((a, b) => a + b, 0);
  const out = new Float64Array(shares.length);
  let cum = 0;
  shares.forEach((s, i) => {
    cum += s;
    out[i] = total === 0 ? 0 : Math.floor((cum * U32) / total);
  });
  if (total > 0) out[shares.length - 1] = U32;
  return out;
}

/** Thresholds whose shares are out of `whole` (basis points of 10,000): draws past them pick -1. */
export function partialThresholds(shares: readonly number[], whole: number): Float64Array {
  const out = new Float64Array(shares.length);
  let cum = 0;
  shares.forEach((s, i) => {
    cum += s;
    out[i] = Math.floor((cum * U32) / whole);
  });
  return out;
}

/** The index a u32 draw picks, or -1 past the last threshold. */
export function pick(table: Float64Array, u: number): number {
  for (let i = 0; i < table.length; i++) if (u < (table[i] as number)) return i;
  return -1;
}

/**
 * Thresholds for a Poisson count by inversion: the count is the first k with u < table[k]
 * (the table runs far enough into the tail that the last entry is 2^32).
 */
export function poissonTable(mean: number): Float64Array {
  if (mean <= 0) return Float64Array.of(U32);
  const out: number[] = [];
  // Terms in log space, so that large means do not underflow exp(-mean).
  let logTerm = -mean;
  let cum = 0;
  const limit = Math.ceil(mean + 12 * Math.sqrt(mean) + 30);
  for (let k = 0; k <= limit; k++) {
    if (k > 0) logTerm += Math.log(mean / k);
    cum += Math.exp(logTerm);
    out.push(Math.min(U32, Math.floor(cum * U32)));
  }
  out[out.length - 1] = U32;
  return Float64Array.from(out);
}
