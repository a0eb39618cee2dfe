/**
 * What the benches share to read their options and print their figures.
 */

/** The value after a flag: the next argument, or a whole number within bounds. */
export interface OptionValue {
  next(): string;
  int(lo: number, hi: number): number;
}

/** Calls `on` with each flag and a reader of the values after it (which it consumes). */
export function eachOption(argv: readonly string[], on: (flag: string, value: OptionValue) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (lo: number, hi: number): number => {
      const v = next();
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < lo || n > hi) throw new Error(`${a}: a whole number from ${lo} to ${hi}, not ${v}`);
      return n;
    };
    on(a, { next, int });
  }
}

/** `--store`'s value. */
export function storeOption(s: string): 'both' | 'sqlite' | 'postgres' {
  if (s !== 'both' && s !== 'sqlite' && s !== 'postgres') throw new Error(`--store: both, sqlite or postgres, not ${s}`);
  return s;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const secs = (ms: number, digits = 1) => `${fmt(ms / 1000, digits)} s`;
export const gb = (bytes: number) => (bytes >= 1 << 30 ? `${fmt(bytes / 2 ** 30, 2)} GB` : `${fmt(bytes / 2 ** 20, 0)} MB`);
/** The process's peak resident memory so far, every thread included. */
export const peakRss = () => `${fmt(process.resourceUsage().maxRSS / 1024, 0)} MB`;
/** A store's name as the first column of a line. */
export const label = (s: string) => s.padEnd(9);
