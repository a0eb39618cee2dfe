/**
 * Building the columns supervision rules read (监管数据列): rows arrive in any order, in chunks;
 * `finish` groups them by person with a counting sort (stable) and orders each person's rows by
 * time. Memory is the typed arrays only: about 75 bytes a settlement.
 */
import { chinaDay } from '../calendar/calendar.js';
import type { SettlementColumns } from './types.js';

/** One settlement as the builder takes it. */
export interface SettlementRow {
  person: number;
  institution: number;
  timeMs: number;
  visitType: number;
  totalFen: number;
  fundFen: number;
  criticalFen: number;
  assistanceFen: number;
  accountFen: number;
  cashFen: number;
}

const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number): T => {
  const next = new (a.constructor as { new (n: number): T })(size);
  next.set(a);
  return next;
};

/** Appends settlements, then groups them by person (`finish`). */
export class ColumnsBuilder {
  private n = 0;
  private cap: number;
  private person: Int32Array;
  private institution: Int32Array;
  private timeMs: Float64Array;
  private visitType: Uint8Array;
  private amounts: Float64Array[];

  constructor(
    private readonly personCount: number,
    capacityHint = 1024,
  ) {
    this.cap = Math.max(16, capacityHint);
    this.person = new Int32Array(this.cap);
    this.institution = new Int32Array(this.cap);
    this.timeMs = new Float64Array(this.cap);
    this.visitType = new Uint8Array(this.cap);
    this.amounts = Array.from({ length: 6 }, () => new Float64Array(this.cap));
  }

  get length(): number {
    return this.n;
  }

  private ensure(): void {
    if (this.n < this.cap) return;
    this.cap *= 2;
    this.person = grow(this.person, this.cap);
    this.institution = grow(this.institution, this.cap);
    this.timeMs = grow(this.timeMs, this.cap);
    this.visitType = grow(this.visitType, this.cap);
    this.amounts = this.amounts.map((a) => grow(a, this.cap));
  }

  push(r: SettlementRow): void {
    if (!(r.person >= 0 && r.person < this.personCount)) throw new RangeError(`person ordinal ${r.person} outside 0..${this.personCount - 1}`);
    this.ensure();
    const i = this.n++;
    this.person[i] = r.person;
    this.institution[i] = r.institution;
    this.timeMs[i] = r.timeMs;
    this.visitType[i] = r.visitType;
    const [t, f, c, a, ac, ca] = this.amounts as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    t[i] = r.totalFen;
    f[i] = r.fundFen;
    c[i] = r.criticalFen;
    a[i] = r.assistanceFen;
    ac[i] = r.accountFen;
    ca[i] = r.cashFen;
  }

  /** The rows grouped by person, each person's by time (ties keep arrival order). */
  finish(): SettlementColumns {
    return group(this.personCount, this.n, this.person, this.timeMs, {
      institution: () => this.institution,
      visitType: () => this.visitType,
      amount: (k) => this.amounts[k] as Float64Array,
    });
  }

  /**
   * The rows as pushed, not grouped: a part for `fromParts` (a worker thread's share, its buffers
   * transferred). Arrays well past their rows are cut to them: the receiver holds every part at once.
   */
  part(): SettlementPart {
    const n = this.n;
    const cut = this.cap > n + (n >> 2) + 1024;
    const trimmed = <T extends Float64Array | Int32Array | Uint8Array>(a: T): T => (cut ? (a.slice(0, n) as T) : a);
    return {
      length: n,
      person: trimmed(this.person),
      institution: trimmed(this.institution),
      timeMs: trimmed(this.timeMs),
      visitType: trimmed(this.visitType),
      amounts: this.amounts.map(trimmed),
    };
  }

  /**
   * The rows of several parts grouped as `finish` does: the parts' rows in the order given, each
   * part's first `length` rows (its arrays may be longer). Parts read from consecutive time ranges,
   * given in time order, keep each person's rows in time order. Each part's arrays are let go once
   * copied, a column at a time, so that the parts and the columns made are not both whole at once.
   */
  static fromParts(personCount: number, parts: SettlementPart[]): SettlementColumns {
    let n = 0;
    for (const p of parts) {
      for (let i = 0; i < p.length; i++) {
        const o = p.person[i] as number;
        if (!(o >= 0 && o < personCount)) throw new RangeError(`person ordinal ${o} outside 0..${personCount - 1}`);
      }
      n += p.length;
    }
    const concat = <T extends Float64Array | Int32Array | Uint8Array>(out: T, pick: (p: SettlementPart) => T): T => {
      let at = 0;
      for (const p of parts) {
        out.set(pick(p).subarray(0, p.length), at);
        at += p.length;
      }
      return out;
    };
    const release = (drop: (p: SettlementPart) => void) => {
      for (const p of parts) drop(p);
    };
    const empty = new Float64Array(0);
    const person = concat(new Int32Array(n), (p) => p.person);
    const timeMs = concat(new Float64Array(n), (p) => p.timeMs);
    release((p) => {
      p.person = new Int32Array(0);
      p.timeMs = empty;
    });
    return group(personCount, n, person, timeMs, {
      institution: () => {
        const a = concat(new Int32Array(n), (p) => p.institution);
        release((p) => {
          p.institution = new Int32Array(0);
        });
        return a;
      },
      visitType: () => {
        const a = concat(new Uint8Array(n), (p) => p.visitType);
        release((p) => {
          p.visitType = new Uint8Array(0);
        });
        return a;
      },
      amount: (k) => {
        const a = concat(new Float64Array(n), (p) => p.amounts[k] as Float64Array);
        release((p) => {
          p.amounts[k] = empty;
        });
        return a;
      },
    });
  }
}

/**
 * Settlements read apart (a worker thread's share of a span), as the builder keeps them: `amounts`
 * are total, fund, critical illness, assistance, account and cash, in that order.
 */
export interface SettlementPart {
  length: number;
  person: Int32Array;
  institution: Int32Array;
  timeMs: Float64Array;
  visitType: Uint8Array;
  amounts: Float64Array[];
}

/** The source columns beyond person and time, asked for one at a time (and let go after). */
interface Sources {
  institution: () => Int32Array;
  visitType: () => Uint8Array;
  amount: (k: number) => Float64Array;
}

/** Groups `n` rows by person (counting sort, stable), each person's by time. */
function group(personCount: number, n: number, person: Int32Array, timeMs: Float64Array, sources: Sources): SettlementColumns {
  const start = new Int32Array(personCount + 1);
  for (let i = 0; i < n; i++) {
    const k = (person[i] as number) + 1;
    start[k] = (start[k] as number) + 1;
  }
  for (let p = 0; p < personCount; p++) start[p + 1] = (start[p + 1] as number) + (start[p] as number);
  const next = start.slice(0, personCount);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = person[i] as number;
    order[next[p] as number] = i;
    next[p] = (next[p] as number) + 1;
  }
  // Within a person, by time: rows mostly arrive in time order, so an insertion sort is near linear.
  for (let p = 0; p < personCount; p++) {
    const lo = start[p] as number;
    const hi = start[p + 1] as number;
    for (let i = lo + 1; i < hi; i++) {
      const v = order[i] as number;
      const t = timeMs[v] as number;
      let j = i - 1;
      while (j >= lo && (timeMs[order[j] as number] as number) > t) {
        order[j + 1] = order[j] as number;
        j--;
      }
      order[j + 1] = v;
    }
  }
  // One copy loop a type, so each stays monomorphic (a generic one is several times slower).
  const pickF = (src: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = src[order[i] as number] as number;
    return out;
  };
  const pickI = (src: Int32Array): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[order[i] as number] as number;
    return out;
  };
  const pickU = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = src[order[i] as number] as number;
    return out;
  };
  const sortedTime = pickF(timeMs);
  const day = new Int32Array(n);
  for (let i = 0; i < n; i++) day[i] = chinaDay(sortedTime[i] as number);
  const sortedPerson = pickI(person);
  const institution = pickI(sources.institution());
  const visitType = pickU(sources.visitType());
  const [totalFen, fundFen, criticalFen, assistanceFen, accountFen, cashFen] = [0, 1, 2, 3, 4, 5].map((k) => pickF(sources.amount(k))) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  return {
    length: n,
    person: sortedPerson,
    institution,
    timeMs: sortedTime,
    day,
    visitType,
    totalFen,
    fundFen,
    criticalFen,
    assistanceFen,
    accountFen,
    cashFen,
    personStart: start,
  };
}
