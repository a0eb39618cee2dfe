/**
 * Annual state carried between a person's visits (累计): what the fund has paid against each cap
 * bucket in each year, and the deductible borne in each window at each institution.
 *
 * The engine never changes state: it reads an {@link Accumulators} and returns
 * {@link AccumulatorChanges}; the caller applies them (in memory here, in a ledger transaction
 * elsewhere).
 *
 * Which deductible window a visit falls in depends on the visit alone (its China day), so the
 * deductible borne in a window does not depend on the order its visits are settled in. The annual
 * caps are first come, first served: a cap is spent in the order visits are settled, so when a cap
 * binds, which visit the fund pays less for depends on that order (the documents set a yearly limit,
 * not an order among a year's visits).
 */
import type { DayNumber } from '../calendar/calendar.js';
import type { Fen } from '../money/money.js';

/**
 * The deductible borne once per window at one institution (起付标准计算周期: 一天内在同一定点医疗机构多次就诊负担一次起付标准).
 *
 * The window is a fixed partition of time: the China calendar day, 0:00 to 24:00 (同一自然日;
 * Puyang's 当日（24小时） read the same way). A window opened by whichever visit arrived first (24
 * hours from it) would make the deductible depend on the order visits are settled in: a late
 * visit would find a later window and bear the deductible again.
 */
export interface DeductibleWindow {
  /** The window: the China natural day of its visits. */
  day: DayNumber;
  /** Deductible borne so far in the window. */
  borne: Fen;
}

export interface Accumulators {
  /** Fund paid so far against a cap bucket in a year. */
  capUsed(bucket: string, year: number): Fen;
  /**
   * The deductible window for a bucket at an institution on a day (the visit's own China day);
   * undefined when nothing has been borne in it.
   */
  deductibleWindow(bucket: string, institutionId: string, day: DayNumber): DeductibleWindow | undefined;
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
  /** The later layers of the fund chain (大病保险, 医疗救助): their yearly totals, when they changed. */
  layers?: CapChange[];
}

// Map-key equality (SameValueZero), as the maps these lists stand in for use. One function per
// kind of key, so that each comparison stays specialised to strings or to numbers.

/** Buckets and institution ids. */
function sameId(a: string, b: string): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Years and days. */
function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Past this many slots a list is indexed by a map. */
const LIST_LIMIT = 8;

/** What the fund has paid against one cap bucket in one year. */
class CapSlot {
  /** -0 read as 0, as a map key is. */
  readonly year: number;
  /** The next slot made. */
  next: CapSlot | null = null;
  constructor(
    readonly bucket: string,
    year: number,
    public used: Fen,
  ) {
    this.year = year === 0 ? 0 : year;
  }
}

/**
 * The deductible windows for one bucket at one institution: one for each day a deductible was
 * borne there. The latest day's is kept apart: visits mostly come in time order, and find it there.
 */
class WindowSlot {
  /** The slot made before this one (any institution). */
  next: WindowSlot | null;
  /** Another bucket's slot at the same institution, once the slots are indexed. */
  sameInstitution: WindowSlot | null = null;
  /** The earlier days' windows, by day, the earliest first; null while there are none. */
  earlier: DeductibleWindow[] | null = null;
  constructor(
    readonly institutionId: string,
    readonly bucket: string,
    /** The latest day's window. */
    public window: DeductibleWindow,
    next: WindowSlot | null,
  ) {
    this.next = next;
  }

  /** The window of a day, if there is one. */
  on(day: DayNumber): DeductibleWindow | undefined {
    const latest = this.window;
    if (sameNumber(latest.day, day)) return latest;
    const earlier = this.earlier;
    if (earlier === null || !(day < latest.day)) return undefined;
    const at = dayAt(earlier, day);
    return at >= 0 ? earlier[at] : undefined;
  }

  /** Puts a window in: in place of the same day's, or in day order. */
  put(window: DeductibleWindow): void {
    const latest = this.window;
    const day = window.day;
    if (sameNumber(latest.day, day)) {
      this.window = window;
    } else if (!(day < latest.day)) {
      (this.earlier ??= []).push(latest);
      this.window = window;
    } else {
      const earlier = (this.earlier ??= []);
      const at = dayAt(earlier, day);
      if (at >= 0) earlier[at] = window;
      else earlier.splice(-1 - at, 0, window);
    }
  }
}

/**
 * Where a day's window is among windows in day order (the earliest first): its index or, when there
 * is none, -1 - the index it goes in at. Searched from the latest.
 */
function dayAt(windows: readonly DeductibleWindow[], day: DayNumber): number {
  let i = windows.length - 1;
  for (; i >= 0; i--) {
    const d = (windows[i] as DeductibleWindow).day;
    if (sameNumber(d, day)) return i;
    if (d < day) break;
  }
  return -2 - i;
}

/**
 * Accumulators held in memory: for the CLI, tests, simulation and benchmarks.
 *
 * A person has a cap slot for a bucket and a year, and a window slot for a bucket at an
 * institution (holding its windows by day): a handful. They are kept in short lists (a map indexes
 * them once there are many), and the slot found last is checked first, since settling reads a
 * slot and the changes then written go to the same one.
 */
export class MemoryAccumulators implements Accumulators {
  /** Cap slots in the order they were made. */
  private capFirst: CapSlot | null = null;
  private capLast: CapSlot | null = null;
  private capCount = 0;
  /** Buckets in the order changes to them were first applied. */
  private capBuckets: string[] | null = null;
  private capIndex: Map<string, Map<number, CapSlot>> | null = null;
  private lastCap: CapSlot | null = null;
  /** Window slots, the newest first. */
  private windowList: WindowSlot | null = null;
  private windowCount = 0;
  private windowIndex: Map<string, WindowSlot> | null = null;
  private lastWindow: WindowSlot | null = null;
  /** The window slot last looked for and not found: the change that opens it usually follows. */
  private missedBucket: string | null = null;
  private missedInstitution: string | null = null;

  capUsed(bucket: string, year: number): Fen {
    const last = this.lastCap;
    const slot = last !== null && last.year === year && last.bucket === bucket ? last : this.findCap(bucket, year);
    return slot === null ? 0 : (slot.used ?? 0);
  }

  deductibleWindow(bucket: string, institutionId: string, day: DayNumber): DeductibleWindow | undefined {
    const last = this.lastWindow;
    const slot = last !== null && last.institutionId === institutionId && last.bucket === bucket ? last : this.findWindow(bucket, institutionId);
    if (slot !== null) return slot.on(day);
    this.missedBucket = bucket;
    this.missedInstitution = institutionId;
    return undefined;
  }

  apply(changes: AccumulatorChanges): void {
    const cap = changes.cap;
    if (cap) {
      const last = this.lastCap;
      if (last !== null && last.year === cap.year && last.bucket === cap.bucket) {
        const current = last.used ?? 0;
        if (current !== cap.before) this.capMismatch(cap, current);
        last.used = cap.after;
      } else {
        this.applyCap(cap);
      }
    }
    const layers = changes.layers;
    if (layers !== undefined) for (const l of layers) this.applyCap(l);
    const w = changes.deductibleWindow;
    if (w) {
      const last = this.lastWindow;
      if (last !== null && last.institutionId === w.institutionId && last.bucket === w.bucket) last.put(w.window);
      else this.applyWindow(w);
    }
  }

  /** Every cap bucket and year with what the fund has paid against it. */
  capEntries(): { bucket: string; year: number; used: Fen }[] {
    const out: { bucket: string; year: number; used: Fen }[] = [];
    for (const bucket of this.capBuckets ?? []) {
      for (let s = this.capFirst; s !== null; s = s.next) if (sameId(s.bucket, bucket)) out.push({ bucket: s.bucket, year: s.year, used: s.used });
    }
    return out.sort((a, b) => a.year - b.year || a.bucket.localeCompare(b.bucket));
  }

  private capMismatch(cap: CapChange, current: Fen): never {
    throw new Error(`cap ${cap.bucket} ${cap.year}: changes computed from ${cap.before} fen but ${current} fen is recorded`);
  }

  private applyCap(cap: CapChange): void {
    const bucket = cap.bucket;
    const year = cap.year;
    let slot = this.findCap(bucket, year);
    if (slot === null) {
      const buckets = (this.capBuckets ??= []);
      if (!buckets.some((b) => sameId(b, bucket))) buckets.push(bucket);
    }
    const current = slot === null ? 0 : (slot.used ?? 0);
    if (current !== cap.before) this.capMismatch(cap, current);
    if (slot !== null) {
      slot.used = cap.after;
      return;
    }
    slot = new CapSlot(bucket, year, cap.after);
    if (this.capLast === null) this.capFirst = slot;
    else this.capLast.next = slot;
    this.capLast = slot;
    this.capCount++;
    if (this.capIndex !== null) this.indexCap(slot);
    else if (this.capCount > LIST_LIMIT) {
      this.capIndex = new Map();
      for (let s = this.capFirst; s !== null; s = s.next) this.indexCap(s);
    }
    this.lastCap = slot;
  }

  private applyWindow(w: WindowChange): void {
    const missed = w.institutionId === this.missedInstitution && w.bucket === this.missedBucket;
    this.missedBucket = null;
    this.missedInstitution = null;
    const slot = missed ? null : this.findWindow(w.bucket, w.institutionId);
    if (slot !== null) {
      slot.put(w.window);
      return;
    }
    const made = new WindowSlot(w.institutionId, w.bucket, w.window, this.windowList);
    this.windowList = made;
    this.windowCount++;
    if (this.windowIndex !== null) this.indexWindow(made);
    else if (this.windowCount > LIST_LIMIT) {
      this.windowIndex = new Map();
      for (let s: WindowSlot | null = made; s !== null; s = s.next) this.indexWindow(s);
    }
    this.lastWindow = made;
  }

  /** The slot for a bucket and year, made the last one found; null when there is none. */
  private findCap(bucket: string, year: number): CapSlot | null {
    let slot: CapSlot | null;
    if (this.capIndex === null) {
      for (slot = this.capFirst; slot !== null; slot = slot.next) if (sameNumber(slot.year, year) && sameId(slot.bucket, bucket)) break;
    } else {
      slot = this.capIndex.get(bucket)?.get(year) ?? null;
    }
    if (slot !== null) this.lastCap = slot;
    return slot;
  }

  private indexCap(slot: CapSlot): void {
    const index = this.capIndex as Map<string, Map<number, CapSlot>>;
    let byYear = index.get(slot.bucket);
    if (!byYear) index.set(slot.bucket, (byYear = new Map()));
    byYear.set(slot.year, slot);
  }

  /** The slot for a bucket at an institution, made the last one found; null when there is none. */
  private findWindow(bucket: string, institutionId: string): WindowSlot | null {
    let slot: WindowSlot | null;
    if (this.windowIndex === null) {
      for (slot = this.windowList; slot !== null; slot = slot.next) if (sameId(slot.institutionId, institutionId) && sameId(slot.bucket, bucket)) break;
    } else {
      for (slot = this.windowIndex.get(institutionId) ?? null; slot !== null; slot = slot.sameInstitution) if (sameId(slot.bucket, bucket)) break;
    }
    if (slot !== null) this.lastWindow = slot;
    return slot;
  }

  private indexWindow(slot: WindowSlot): void {
    const index = this.windowIndex as Map<string, WindowSlot>;
    slot.sameInstitution = index.get(slot.institutionId) ?? null;
    index.set(slot.institutionId, slot);
  }
}
