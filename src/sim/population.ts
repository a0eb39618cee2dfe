/**
 * Whose visits are settled: a person at a time, written into a reusable {@link PersonDraft}, from
 * a synthetic population (drawn from the person's own random stream) or from claims read from a
 * CSV file (src/sim/claims.ts). Both give visits as a day of the year and a time of day, so that
 * the same visits can be settled in whichever year a policy governs.
 */
import { CHINA_OFFSET_MS, dayOf, MS_PER_DAY } from '../calendar/calendar.js';
import { schemeOf, CATEGORIES, HARDSHIP_GROUPS, TIERS, type Grade, type Tier } from '../domain.js';
import type { Institution } from '../engine/types.js';
import { mix32, partialThresholds, PersonRng, pick, poissonTable, thresholds, U32 } from './rng.js';
import { PPM, type CostKnot, type SyntheticSpec } from './scenario.js';

const MINUTE_MS = 60_000;

/** First day of each month in a leap year's calendar (a visit's day of the year indexes it). */
export const MONTH_START = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335] as const;
const MONTH_LENGTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
/** Days in the leap-year calendar of {@link MONTH_START}. */
export const CALENDAR_DAYS = 366;

/** Month (0–11) of each day of the calendar. */
export const MONTH_OF_DAY: Uint8Array = (() => {
  const out = new Uint8Array(CALENDAR_DAYS);
  MONTH_START.forEach((start, m) => out.fill(m, start, start + (MONTH_LENGTH[m] as number)));
  return out;
})();

/**
 * The instant (epoch ms) 00:00 China time of each calendar day in a year. 29 February in a year
 * that has none is settled on 28 February (documented in docs/simulate.md).
 */
export function dayStarts(year: number): Float64Array {
  const out = new Float64Array(CALENDAR_DAYS);
  for (let m = 0; m < 12; m++) {
    for (let d = 1; d <= (MONTH_LENGTH[m] as number); d++) {
      let day = dayOf(year, m + 1, d);
      if (m === 1 && d === 29 && dayOf(year, 3, 1) - dayOf(year, 2, 28) === 1) day = dayOf(year, 2, 28);
      out[(MONTH_START[m] as number) + d - 1] = day * MS_PER_DAY - CHINA_OFFSET_MS;
    }
  }
  return out;
}

/** The calendar day (index into {@link dayStarts}) and the time of day of an instant, China time. */
export function calendarDayOf(epochMs: number, yearStartDay: number, leap: boolean): { day: number; msOfDay: number } {
  const local = epochMs + CHINA_OFFSET_MS;
  const dayNumber = Math.floor(local / MS_PER_DAY);
  let day = dayNumber - yearStartDay;
  // Past 28 February in a common year: one calendar day on, over the 29th it lacks.
  if (!leap && day >= 59) day += 1;
  return { day, msOfDay: local - dayNumber * MS_PER_DAY };
}

/** One person and their year of visits, in time order. Arrays grow as needed and are reused. */
export class PersonDraft {
  index = 0;
  id = '';
  /** Index in CATEGORIES. */
  category = 0;
  /** Index in HARDSHIP_GROUPS, or -1. */
  hardship = -1;
  /** Institution id where the person signed with a family doctor (家庭医生签约). */
  familyDoctorAt: string | undefined = undefined;
  count = 0;
  day = new Int16Array(64);
  msOfDay = new Int32Array(64);
  /** Index in VISIT_TYPES. */
  type = new Uint8Array(64);
  institution = new Int32Array(64);
  total = new Float64Array(64);
  eligible = new Float64Array(64);
  /** Claims only: the visit ids. */
  visitIds: string[] | null = null;
  /** Claims only: their stays and flags (ClaimsData.stay, .flags), this person's from `extrasFrom`. */
  extras: { stay: Float64Array; flags: Uint8Array } | null = null;
  extrasFrom = 0;

  /** Room for n visits (contents kept). */
  reserve(n: number): void {
    if (n <= this.day.length) return;
    let size = this.day.length;
    while (size < n) size *= 2;
    const grow = <T extends Int16Array | Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.day = grow(this.day, (k) => new Int16Array(k));
    this.msOfDay = grow(this.msOfDay, (k) => new Int32Array(k));
    this.type = grow(this.type, (k) => new Uint8Array(k));
    this.institution = grow(this.institution, (k) => new Int32Array(k));
    this.total = grow(this.total, (k) => new Float64Array(k));
    this.eligible = grow(this.eligible, (k) => new Float64Array(k));
  }
}

/** A source of persons: the kernel asks for person i, i from 0 to `size` − 1. */
export interface PersonSource {
  readonly size: number;
  readonly institutions: readonly Institution[];
  /** Writes person `index` into the draft. */
  fill(index: number, draft: PersonDraft): void;
}

const TIER_ID_PREFIX: Record<Tier, string> = { primary: 'P', county: 'C', city: 'S', province: 'V' };

/**
 * Which of a list of shares each of 65,536 slots belongs to (the top 16 bits of a draw index it):
 * slot s goes to the first share whose cumulative end, scaled to 65,536, lies above s.
 */
export function slots(shares: readonly number[]): Uint8Array {
  const table = thresholds(shares);
  const out = new Uint8Array(65_536);
  for (let s = 0; s < out.length; s++) out[s] = Math.max(0, pick(table, s * 65_536));
  return out;
}

/**
 * The calendar day of each of 65,536 slots: months by their weights, the days of a month evenly
 * (29 February never: a synthetic year is a common one, settled in any year).
 */
export function daySlots(monthWeights: readonly number[]): Uint16Array {
  const month = slots(monthWeights);
  const out = new Uint16Array(65_536);
  let s = 0;
  while (s < out.length) {
    const m = month[s] as number;
    let end = s;
    while (end < out.length && month[end] === m) end++;
    const length = m === 1 ? 28 : (MONTH_LENGTH[m] as number);
    for (let i = s; i < end; i++) out[i] = (MONTH_START[m] as number) + Math.floor(((i - s) * length) / (end - s));
    s = end;
  }
  return out;
}

/** The amount at quantile `q` (ppm) of a cost distribution, in fen, exact (piecewise linear, rounded half up). */
export function costAt(knots: readonly CostKnot[], q: number): number {
  for (let i = 1; i < knots.length; i++) {
    const b = knots[i] as CostKnot;
    if (q <= b.at) {
      const a = knots[i - 1] as CostKnot;
      const span = b.at - a.at;
      if (span === 0) return b.fen;
      const num = (b.fen - a.fen) * (q - a.at) * 2 + span;
      return a.fen + Math.floor(num / (2 * span));
    }
  }
  return (knots[knots.length - 1] as CostKnot).fen;
}

/**
 * The synthetic population of a scenario. Person i's draws come from its own stream seeded with
 * (seed, i), in a fixed order: category, hardship group, the institution used at each tier,
 * family doctor, the number of visits, their times, then each visit's tier, cost and eligible
 * share. Institutions are the scenario's, their grade and contract fixed by the seed.
 */
export class SyntheticPopulation implements PersonSource {
  readonly size: number;
  readonly institutions: Institution[] = [];
  private readonly rng = new PersonRng();
  private readonly category: Float64Array;
  private readonly hardship: Float64Array;
  private readonly familyDoctor: number;
  private readonly poisson: Float64Array[];
  /** Day of the calendar, and tier index, by the top 16 bits of a draw (shares to 1/65,536). */
  private readonly daySlots: Uint16Array;
  private readonly tierSlots: Uint8Array;
  private readonly tierFirst: number[] = [];
  private readonly tierCount: number[];
  private readonly residents: boolean[];
  private readonly home = new Int32Array(TIERS.length);
  private keys = new Float64Array(64);

  constructor(
    readonly spec: SyntheticSpec,
    readonly seed: number,
  ) {
    this.size = spec.size;
    this.category = thresholds(spec.categoryShares);
    this.hardship = partialThresholds(spec.hardshipShares, 10_000);
    this.familyDoctor = Math.floor((spec.familyDoctor * U32) / 10_000);
    this.poisson = spec.visitsPerPerson.map(poissonTable);
    this.daySlots = daySlots(spec.monthWeights);
    this.tierSlots = slots(spec.tiers.map((t) => t.share));
    this.tierCount = spec.tiers.map((t) => t.institutions);
    this.residents = CATEGORIES.map((c) => schemeOf(c) === 'resident');
    TIERS.forEach((tier, t) => {
      const ts = spec.tiers[t] as SyntheticSpec['tiers'][number];
      this.tierFirst.push(this.institutions.length);
      const grades = thresholds(ts.grades);
      const contracted = Math.floor((ts.contracted * U32) / 10_000);
      for (let i = 0; i < ts.institutions; i++) {
        // Grades in blocks by share (the first institutions the first grade with a share), contract by the seed.
        const grade = pick(grades, Math.floor((i * U32) / ts.institutions)) as Grade;
        const id = `${TIER_ID_PREFIX[tier]}${String(i).padStart(4, '0')}`;
        this.institutions.push({ id, tier, grade, contracted: mix32(mix32(seed ^ (t * 0x1000193)) ^ i) < contracted });
      }
    });
  }

  fill(index: number, d: PersonDraft): void {
    const rng = this.rng;
    const spec = this.spec;
    rng.reset(this.seed, index);
    d.index = index;
    d.id = `p${index}`;
    const category = pick(this.category, rng.u32());
    d.category = category;
    const hardshipDraw = rng.u32();
    d.hardship = this.residents[category] ? pick(this.hardship, hardshipDraw) : -1;
    const home = this.home;
    for (let t = 0; t < home.length; t++) home[t] = (this.tierFirst[t] as number) + rng.below(this.tierCount[t] as number);
    d.familyDoctorAt = rng.u32() < this.familyDoctor ? (this.institutions[home[0] as number] as Institution).id : undefined;
    const n = pick(this.poisson[category] as Float64Array, rng.u32());
    const count = n < 0 ? (this.poisson[category] as Float64Array).length : n;
    d.count = count;
    d.reserve(count);
    if (this.keys.length < count) this.keys = new Float64Array(d.day.length);
    const keys = this.keys;
    const daySlot = this.daySlots;
    for (let k = 0; k < count; k++) {
      // One draw: the day from its top 16 bits, the minute (08:00 to 17:59) from the rest.
      const u = rng.u32();
      const minute = 480 + (((u & 0xffff) * 600) >>> 16);
      keys[k] = (daySlot[u >>> 16] as number) * 1440 + minute;
    }
    // In time order (insertion sort: a person has a handful of visits).
    for (let k = 1; k < count; k++) {
      const v = keys[k] as number;
      let j = k - 1;
      while (j >= 0 && (keys[j] as number) > v) {
        keys[j + 1] = keys[j] as number;
        j--;
      }
      keys[j + 1] = v;
    }
    for (let k = 0; k < count; k++) {
      const key = keys[k] as number;
      const minute = key % 1440;
      d.day[k] = (key - minute) / 1440;
      d.msOfDay[k] = minute * MINUTE_MS;
      d.type[k] = 0; // outpatient
      // One draw: the tier from its top 16 bits, the eligible share from the rest.
      const u = rng.u32();
      const t = this.tierSlots[u >>> 16] as number;
      const ts = spec.tiers[t] as SyntheticSpec['tiers'][number];
      d.institution[k] = home[t] as number;
      const spread = ts.eligibleMax - ts.eligibleMin;
      const share = spread === 0 ? ts.eligibleMin : ts.eligibleMin + (((u & 0xffff) * (spread + 1)) >>> 16);
      const total = costAt(ts.cost, Math.floor((rng.u32() * PPM) / U32));
      d.total[k] = total;
      // The share of the total, rounded half up to the fen (applyRate, for amounts ≥ 0).
      const n = total * share;
      const q = Math.floor(n / 10_000);
      d.eligible[k] = n - q * 10_000 >= 5_000 ? q + 1 : q;
    }
  }
}

/** The hardship group's name, or undefined for index -1. */
export const hardshipAt = (i: number) => (i < 0 ? undefined : HARDSHIP_GROUPS[i]);
