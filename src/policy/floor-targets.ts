/**
 * The `compares:` key of a provincial floor (省级底线标准): which parameter of a city's policy the
 * floor bounds. Checked when a floors file is loaded, so that a floor naming something no city
 * file can have is rejected then, not discovered by `yibao policy check`. See
 * docs/policy-format.md, "Provincial floors".
 */
import { HARDSHIP_GROUPS } from '../domain.js';
import type { Param } from './model.js';
import { floorTarget, formatIssues, MONEY_UNITS, type FloorTarget, type FloorTargetParameter, type Unit } from './schema.js';

/** The units a city writes each benefit parameter in (as the loader requires them). */
export const TARGET_UNITS: Record<FloorTargetParameter, readonly Unit[]> = {
  ratio: ['percent'],
  deductible: MONEY_UNITS,
  deductibleWindow: ['rule'],
  cap: MONEY_UNITS,
  amount: MONEY_UNITS,
};

/** Benefit parameters that belong to an institution class (and so are selected by tier). */
export const CLASS_PARAMETERS: readonly FloorTargetParameter[] = ['ratio', 'deductible'];

/** Parameters every city file puts at the same path, with the units they may be written in. */
export const FIXED_PATHS: Readonly<Record<string, readonly Unit[]>> = {
  'contributions.fundingStandard': ['yuan-per-year'],
  'contributions.subsidyStandard': ['yuan-per-year'],
  'contributions.individual': ['yuan-per-year'],
  'contributions.criticalIllnessFunding': ['yuan-per-year'],
  ...Object.fromEntries(HARDSHIP_GROUPS.map((g) => [`contributions.assistance.${g}`, ['rule', 'yuan-per-year']])),
  'enrollment.concentratedPeriod': ['month-day-range'],
  'enrollment.coverageAfterConcentrated': ['rule'],
  'enrollment.waitingDays': ['days'],
  'enrollment.waitExemptCategories': ['list'],
  'enrollment.waitExemptHardship': ['list'],
  'enrollment.waitExemptTransfer': ['flag'],
};

const ORDERED_UNITS: readonly Unit[] = [...MONEY_UNITS, 'percent', 'percentage-points', 'days', 'count'];

/**
 * A floor's target as written, checked: the target, or what is wrong with it given the floor's
 * own unit and bound (each line `compares.<field>: problem`).
 */
export function readFloorTarget(raw: unknown, unit: Unit, bound: string | undefined): { target: FloorTarget } | { problems: string[] } {
  const parsed = floorTarget.safeParse(raw);
  if (!parsed.success) return { problems: formatIssues(parsed.error.issues, 'compares') };
  const problems = floorTargetProblems(parsed.data, unit, bound);
  return problems.length > 0 ? { problems } : { target: parsed.data };
}

/** What is wrong with a well-formed target; empty when it names something a city file can have. */
function floorTargetProblems(t: FloorTarget, unit: Unit, bound: string | undefined): string[] {
  const out: string[] = [];
  const benefit = t.scheme !== undefined || t.visitType !== undefined || t.parameter !== undefined || t.tiers !== undefined;
  const kinds = [benefit, t.path !== undefined, t.none !== undefined].filter(Boolean).length;
  if (kinds !== 1) {
    return ['compares: name exactly one of a benefit parameter (scheme, visitType, parameter[, tiers]), a path, or none (why no city parameter corresponds)'];
  }
  if (t.none !== undefined) return out;
  if (benefit) {
    for (const key of ['scheme', 'visitType', 'parameter'] as const) if (t[key] === undefined) out.push(`compares.${key}: is required for a benefit parameter`);
    if (t.parameter !== undefined) {
      if (t.tiers !== undefined && !CLASS_PARAMETERS.includes(t.parameter))
        out.push(`compares.tiers: ${t.parameter} is not a parameter of an institution class (tiers go with ${CLASS_PARAMETERS.join(' or ')})`);
      if (!TARGET_UNITS[t.parameter].includes(unit))
        out.push(`compares.parameter: a city's ${t.parameter} is written in ${TARGET_UNITS[t.parameter].join(' or ')}, and this floor is in ${unit}`);
    }
  } else {
    const units = FIXED_PATHS[t.path as string];
    if (!units)
      out.push(
        `compares.path: ${t.path} is not a parameter every city file has at a fixed path (${Object.keys(FIXED_PATHS).join(', ')}); name a benefit parameter with scheme, visitType and parameter`,
      );
    else if (!units.includes(unit)) out.push(`compares.path: ${t.path} is written in ${units.join(' or ')}, and this floor is in ${unit}`);
  }
  if (bound === undefined) out.push('bound: a floor compared with a city value needs bound: at-least | about | exactly');
  else if (bound === 'at-least' && !ORDERED_UNITS.includes(unit)) out.push(`bound: at-least needs a number, and ${unit} is not one`);
  return out;
}

/**
 * The file-level rules: only a floors file (`role: floors`) says what its floors bound, and there
 * every parameter of its `floors` group must (a target, or `none` with the reason). Parameters
 * with a problem `reported` already are passed over.
 */
export function floorsFileProblems(role: 'rules' | 'floors', params: ReadonlyMap<string, Param>, reported: (path: string) => boolean): [string, string][] {
  const out: [string, string][] = [];
  for (const p of params.values()) {
    if (reported(p.path)) continue; // e.g. a compares key that did not pass readFloorTarget
    const isFloor = p.path.startsWith('parameters.floors.');
    for (const v of p.versions) {
      if (role !== 'floors' && v.compares) out.push([p.path, "compares: only a province's floors file (role: floors) says which city parameter a floor bounds"]);
      if (role === 'floors' && isFloor && !v.compares)
        out.push([p.path, 'compares: a floor must name the city parameter it bounds (scheme, visitType, parameter[, tiers] or path), or say why none corresponds (none: ...)']);
    }
  }
  return out;
}
