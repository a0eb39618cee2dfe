/**
 * Entry ids: UUID version 7 (RFC 9562), time-ordered. An entry's id is the primary key of the
 * settlements table; ids that grow with time are appended at the right edge of its index instead
 * of landing on a random page, so a commit writes a few pages instead of one per entry.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 512;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The last timestamp used and the counter within it, so that ids never go backwards: shared by
 * the threads of a process (the service and its SQLite writer thread) through a SharedArrayBuffer,
 * so that an entry made on one thread after an entry made on another sorts after it, also within
 * one millisecond. Layout: Int32 [0] a spin lock, [1] the counter; Float64 [1] the last timestamp.
 */
let clock = new SharedArrayBuffer(16);
let words = new Int32Array(clock);
let times = new Float64Array(clock);

/** The id clock of this thread, to hand to a worker thread ({@link useIdClock}). */
export function idClock(): SharedArrayBuffer {
  return clock;
}

/** Makes this thread's ids continue another thread's clock (see {@link idClock}). */
export function useIdClock(shared: SharedArrayBuffer): void {
  clock = shared;
  words = new Int32Array(clock);
  times = new Float64Array(clock);
}

/** The timestamp and counter for a new id, taken under the clock's lock. */
function tick(now: number, randomStart: number): { ms: number; counter: number } {
  while (Atomics.compareExchange(words, 0, 0, 1) !== 0);
  try {
    const lastMs = times[1] as number;
    let ms = Math.max(now, lastMs);
    let counter: number;
    if (ms === lastMs) {
      counter = (words[1] as number) + 1;
      if (counter > 0xfff) {
        ms++;
        counter = 0;
      }
    } else counter = randomStart; // a random start (8 bits) leaves room to count within the millisecond
    times[1] = ms;
    words[1] = counter;
    return { ms, counter };
  } finally {
    Atomics.store(words, 0, 0);
  }
}

/**
 * A new UUIDv7: 48 bits of Unix time in milliseconds, the version, a 12-bit counter (monotonic
 * within a millisecond across the threads sharing the clock), the variant, and 62 random bits.
 *
 * @example uuidv7(1_700_000_000_000) // '018bcfe5-6800-7xxx-…'
 */
export function uuidv7(now: number = Date.now()): string {
  if (offset + 16 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 16);
  offset += 16;
  const { ms, counter } = tick(now, b[7] as number);
  // 48-bit big-endian timestamp.
  b[0] = Math.floor(ms / 2 ** 40) & 0xff;
  b[1] = Math.floor(ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | ((counter >>> 8) & 0x0f);
  b[7] = counter & 0xff;
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  const h = (i: number) => HEX[b[i] as number] as string;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
