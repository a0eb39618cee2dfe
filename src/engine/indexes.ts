/**
 * The words of the domain as table indexes, for the compiled tables (compile.ts) and the
 * settlement's hot path (settle.ts): a switch over the words instead of a keyed property lookup.
 */
import { CATEGORIES, SCHEMES, TIERS, VISIT_TYPES } from '../domain.js';

export const TIER_INDEX: Record<string, number> = Object.fromEntries(TIERS.map((t, i) => [t, i]));
export const CATEGORY_INDEX: Record<string, number> = Object.fromEntries(CATEGORIES.map((c, i) => [c, i]));
export const SCHEME_INDEX: Record<string, number> = Object.fromEntries(SCHEMES.map((s, i) => [s, i]));
export const VISIT_TYPE_INDEX: Record<string, number> = Object.fromEntries(VISIT_TYPES.map((v, i) => [v, i]));
export const benefitSlot = (scheme: number, visitType: number) => scheme * VISIT_TYPES.length + visitType;

// The same indexes as the tables above, for the settlement's hot path: a switch over the words
// of the domain instead of a keyed property lookup; a word added to the domain and not yet here
// is found in the table. -1 for anything else.

/** The index a table gives a word, or -1 (not for Object.prototype's names). */
function indexIn(table: Record<string, number>, word: string): number {
  const i = Object.hasOwn(table, word) ? table[word] : undefined;
  return typeof i === 'number' ? i : -1;
}

/** Index in TIERS, or -1. */
export function tierIndex(tier: string): number {
  switch (tier) {
    case 'primary':
      return 0;
    case 'county':
      return 1;
    case 'city':
      return 2;
    case 'province':
      return 3;
    default:
      return indexIn(TIER_INDEX, tier);
  }
}

/** Index in CATEGORIES, or -1. */
export function categoryIndex(category: string): number {
  switch (category) {
    case 'adult':
      return 0;
    case 'child':
      return 1;
    case 'student':
      return 2;
    case 'newborn':
      return 3;
    case 'active':
      return 4;
    case 'retired':
      return 5;
    default:
      return indexIn(CATEGORY_INDEX, category);
  }
}

/** Index in SCHEMES, or -1. */
export function schemeIndex(scheme: string): number {
  switch (scheme) {
    case 'resident':
      return 0;
    case 'employee':
      return 1;
    default:
      return indexIn(SCHEME_INDEX, scheme);
  }
}

/** Index in VISIT_TYPES, or -1. */
export function visitTypeIndex(visitType: string): number {
  switch (visitType) {
    case 'outpatient':
      return 0;
    case 'two-diseases':
      return 1;
    case 'birth-natural':
      return 2;
    case 'birth-cesarean':
      return 3;
    case 'prenatal':
      return 4;
    case 'inpatient':
      return 5;
    default:
      return indexIn(VISIT_TYPE_INDEX, visitType);
  }
}

for (const [words, index] of [
  [TIERS, tierIndex],
  [CATEGORIES, categoryIndex],
  [SCHEMES, schemeIndex],
  [VISIT_TYPES, visitTypeIndex],
] as const) {
  words.forEach((w, i) => {
    if (index(w) !== i) throw new Error(`engine index tables disagree with the domain at ${w}`);
  });
}
