/**
 * What a simulation adds up, in integer fen and counts: per policy, the amounts by tier, month,
 * category, benefit and cap; per person, what they paid themselves (for the percentiles); and,
 * between the first policy and each other, who is better or worse off.
 *
 * Every figure is a sum, so a part of the population can be added up anywhere and the parts
 * merged in any order with the same result; the per-person amounts are kept by person index.
 * Plain data (typed arrays, arrays, numbers): it crosses between threads as it is.
 */
import { CATEGORIES, HARDSHIP_GROUPS, TIERS } from '../domain.js';
import { ELIGIBILITIES } from '../engine/types.js';

/** Index in {@link PolicyTotals.amounts}. */
export const AMOUNT = { total: 0, eligible: 1, outOfScope: 2, deductible: 3, fund: 4, cash: 5, criticalIllness: 6, assistance: 7 } as const;
/** fund: 统筹基金支付; criticalIllness: 大病保险支付; assistance: 医疗救助支付; cash: 个人现金支付. */
export const AMOUNT_NAMES = ['total', 'eligible', 'outOfScope', 'deductible', 'fund', 'cash', 'criticalIllness', 'assistance'] as const;
/** Hardship index + 1: 0 is "none". */
export const HARDSHIP_SLOTS = HARDSHIP_GROUPS.length + 1;

export interface BenefitTotals {
  id: string;
  label: string;
  policy: string;
  visits: number;
  fund: number;
}

/** Persons whose visits were settled against one annual cap (bucket and limit), and how many reached it. */
export interface CapTotals {
  bucket: string;
  limit: number;
  /** By category index. */
  persons: number[];
  reached: number[];
}

export interface ErrorTotals {
  code: string;
  visits: number;
  total: number;
  example: string;
}

export interface PolicyTotals {
  /** By AMOUNT. */
  amounts: Float64Array;
  visits: number;
  byEligibility: Float64Array;
  /** By tier index: visits, total and fund. */
  tierVisits: Float64Array;
  tierTotal: Float64Array;
  tierFund: Float64Array;
  monthVisits: Float64Array;
  monthFund: Float64Array;
  /** By category index. */
  categoryVisits: Float64Array;
  categoryFund: Float64Array;
  categoryCash: Float64Array;
  /** Outpatient (普通门诊) fund payments for students (大学生), against the student budget. */
  studentOutpatientFund: number;
  benefits: BenefitTotals[];
  caps: CapTotals[];
  errors: ErrorTotals[];
  /** What each person paid themselves (cash) over the year, by person index from `first`. */
  cash: Float64Array;
  /** What the fund (统筹基金) paid for each person over the year, by person index from `first`. */
  personFund: Float64Array;
}

/** The second policy against the first: persons better off (pay less), worse off, the same. */
export interface ComparisonTotals {
  /** By category index × 3 (better, worse, same). */
  byCategory: Float64Array;
  /** By hardship slot (0 none) × 3. */
  byHardship: Float64Array;
  /** Sum of what people pay less where they pay less (fen), and more where more. */
  gain: number;
  loss: number;
}

export interface Totals {
  /** The first person index these totals cover, and how many. */
  first: number;
  persons: number;
  visits: number;
  categoryPersons: Float64Array;
  hardshipPersons: Float64Array;
  familyDoctor: number;
  /** Each person's visits, category index and hardship slot (0 none), by person index from `first`. */
  personVisits: Uint32Array;
  personCategory: Uint8Array;
  personHardship: Uint8Array;
  policies: PolicyTotals[];
  /** For policies[1…] against policies[0]. */
  comparisons: ComparisonTotals[];
}

export function emptyPolicyTotals(persons: number): PolicyTotals {
  return {
    amounts: new Float64Array(AMOUNT_NAMES.length),
    visits: 0,
    byEligibility: new Float64Array(ELIGIBILITIES.length),
    tierVisits: new Float64Array(TIERS.length),
    tierTotal: new Float64Array(TIERS.length),
    tierFund: new Float64Array(TIERS.length),
    monthVisits: new Float64Array(12),
    monthFund: new Float64Array(12),
    categoryVisits: new Float64Array(CATEGORIES.length),
    categoryFund: new Float64Array(CATEGORIES.length),
    categoryCash: new Float64Array(CATEGORIES.length),
    studentOutpatientFund: 0,
    benefits: [],
    caps: [],
    errors: [],
    cash: new Float64Array(persons),
    personFund: new Float64Array(persons),
  };
}

export function emptyTotals(first: number, persons: number, policies: number): Totals {
  return {
    first,
    persons,
    visits: 0,
    categoryPersons: new Float64Array(CATEGORIES.length),
    hardshipPersons: new Float64Array(HARDSHIP_SLOTS),
    familyDoctor: 0,
    personVisits: new Uint32Array(persons),
    personCategory: new Uint8Array(persons),
    personHardship: new Uint8Array(persons),
    policies: Array.from({ length: policies }, () => emptyPolicyTotals(persons)),
    comparisons: Array.from({ length: Math.max(0, policies - 1) }, () => ({
      byCategory: new Float64Array(CATEGORIES.length * 3),
      byHardship: new Float64Array(HARDSHIP_SLOTS * 3),
      gain: 0,
      loss: 0,
    })),
  };
}

/** The buffers of a part's per-person vectors (moved between threads rather than copied). */
export function personBuffers(t: Totals): ArrayBuffer[] {
  return [t.personVisits, t.personCategory, t.personHardship, ...t.policies.flatMap((p) => [p.cash, p.personFund])].map((a) => a.buffer as ArrayBuffer);
}

/** a[i] += v. */
export function add(a: Float64Array, i: number, v: number): void {
  a[i] = (a[i] as number) + v;
}

function addInto(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length; i++) add(into, i, from[i] as number);
}

/** Adds list entries with the same key, keeping the first seen's other fields. */
function mergeBy<T>(into: T[], from: readonly T[], same: (a: T, b: T) => boolean, add: (a: T, b: T) => void, copy: (b: T) => T): void {
  for (const b of from) {
    const a = into.find((x) => same(x, b));
    if (a) add(a, b);
    else into.push(copy(b));
  }
}

/**
 * Adds `part` into `whole`. The cash amounts go to their persons' places (`whole` covers every
 * person from its `first`); everything else is summed.
 */
export function mergeTotals(whole: Totals, part: Totals): void {
  whole.visits += part.visits;
  addInto(whole.categoryPersons, part.categoryPersons);
  addInto(whole.hardshipPersons, part.hardshipPersons);
  whole.familyDoctor += part.familyDoctor;
  const at = part.first - whole.first;
  whole.personVisits.set(part.personVisits, at);
  whole.personCategory.set(part.personCategory, at);
  whole.personHardship.set(part.personHardship, at);
  part.policies.forEach((p, i) => {
    const w = whole.policies[i] as PolicyTotals;
    for (const key of ['amounts', 'byEligibility', 'tierVisits', 'tierTotal', 'tierFund', 'monthVisits', 'monthFund', 'categoryVisits', 'categoryFund', 'categoryCash'] as const) {
      addInto(w[key], p[key]);
    }
    w.visits += p.visits;
    w.studentOutpatientFund += p.studentOutpatientFund;
    w.cash.set(p.cash, at);
    w.personFund.set(p.personFund, at);
    mergeBy(
      w.benefits,
      p.benefits,
      (a, b) => a.id === b.id && a.policy === b.policy,
      (a, b) => ((a.visits += b.visits), (a.fund += b.fund)),
      (b) => ({ ...b }),
    );
    mergeBy(
      w.caps,
      p.caps,
      (a, b) => a.bucket === b.bucket && a.limit === b.limit,
      (a, b) => b.persons.forEach((n, c) => ((a.persons[c] = (a.persons[c] ?? 0) + n), (a.reached[c] = (a.reached[c] ?? 0) + (b.reached[c] ?? 0)))),
      (b) => ({ ...b, persons: [...b.persons], reached: [...b.reached] }),
    );
    // The example kept is the one from the lowest person index, whatever the order of merging.
    mergeBy(
      w.errors,
      p.errors,
      (a, b) => a.code === b.code,
      (a, b) => ((a.visits += b.visits), (a.total += b.total)),
      (b) => ({ ...b }),
    );
  });
  part.comparisons.forEach((c, i) => {
    const w = whole.comparisons[i] as ComparisonTotals;
    addInto(w.byCategory, c.byCategory);
    addInto(w.byHardship, c.byHardship);
    w.gain += c.gain;
    w.loss += c.loss;
  });
}
