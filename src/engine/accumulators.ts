/**
 * Annual state carried between a person's visits (累计): what the fund has paid against each cap
 * bucket in each year, and the deductible windows still open at each institution.
 *
 * The engine never changes state: it reads an {@link Accumulators} and returns
 * {@link AccumulatorChanges}; the caller applies them (in memory here, in a ledger transaction
 * elsewhere).
 */
import type { DayNumber } from '../calendar/calendar.js';
import type { Fen } from '../money/money.js';

/**
 * The deductible borne once per period at one institution (一天内在同一定点医疗机构多次就诊负担一次起付标准).
 */
export interface DeductibleWindow {
  /** Instant (epoch ms) of the visit that opened the window. */
  openedAt: number;
  /** China natural day of that visit. */
  day: DayNumber;
  /** Deductible borne so far in the window. */
  borne: Fen;
}

export interface Accumulators {
  /** Fund paid so far against a cap bucket in a year. */
  capUsed(bucket: string, year: number): Fen;
  /** The last deductible window opened at an institution for a bucket. */
  deductibleWindow(bucket: string, institutionId: string): DeductibleWindow | undefined;
}

export interface CapChange {
  bucket: string;
  year: number;
  before: Fen;
  after: Fen;
}

export interface WindowChange {
  bucket: string;
  institutionId: string;
  window: DeductibleWindow;
}

/** What a settlement changes. Empty when the fund paid nothing and no deductible was borne. */
export interface AccumulatorChanges {
  cap: CapChange | null;
  deductibleWindow: WindowChange | null;
}

/** Accumulators held in memory: for the CLI, tests, simulation and benchmarks. */
export class MemoryAccumulators implements Accumulators {
  private readonly caps = new Map<string, Map<number, Fen>>();
  private readonly windows = new Map<string, Map<string, DeductibleWindow>>();

  capUsed(bucket: string, year: number): Fen {
    return this.caps.get(bucket)?.get(year) ?? 0;
  }

  deductibleWindow(bucket: string, institutionId: string): DeductibleWindow | undefined {
    return this.windows.get(bucket)?.get(institutionId);
  }

  apply(changes: AccumulatorChanges): void {
    const cap = changes.cap;
    if (cap) {
      let byYear = this.caps.get(cap.bucket);
      if (!byYear) this.caps.set(cap.bucket, (byYear = new Map()));
      const current = byYear.get(cap.year) ?? 0;
      if (current !== cap.before) {
        throw new Error(`cap ${cap.bucket} ${cap.year}: changes computed from ${cap.before} fen but ${current} fen is recorded`);
      }
      byYear.set(cap.year, cap.after);
    }
    const w = changes.deductibleWindow;
    if (w) {
      let byInstitution = this.windows.get(w.bucket);
      if (!byInstitution) this.windows.set(w.bucket, (byInstitution = new Map()));
      byInstitution.set(w.institutionId, w.window);
    }
  }

  /** Every cap bucket and year with what the fund has paid against it. */
  capEntries(): { bucket: string; year: number; used: Fen }[] {
    const out: { bucket: string; year: number; used: Fen }[] = [];
    for (const [bucket, byYear] of this.caps) for (const [year, used] of byYear) out.push({ bucket, year, used });
    return out.sort((a, b) => a.year - b.year || a.bucket.localeCompare(b.bucket));
  }
}
