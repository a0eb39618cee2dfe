/**
 * Which year each policy of a simulation settles.
 *
 * The engine settles a visit under the policy in force in the person's region on the visit's day;
 * the simulation does not change that. A policy is chosen by pack id and applied by settling the
 * same visits — the same day of the year and time of day — in a year that pack governs: the
 * scenario's year when the pack is in force all that year and governs its visits, otherwise the
 * nearest year for which it does (luoyang-2022 governs 2022 and 2023, so a 2024 population is
 * settled under it as 2023), or the year the scenario names for it. Before anything is settled
 * every segment of that year is checked: each kind of visit the population makes must be governed
 * by the chosen pack (or by none, and then counted as unsettled), never by another.
 */
import { yearStart } from '../calendar/calendar.js';
import { SCHEMES, VISIT_TYPES, type Scheme, type VisitType } from '../domain.js';
import { benefitSlot, schemeIndex, visitTypeIndex } from '../engine/indexes.js';
import type { SettlementEngine } from '../engine/settle.js';
import type { PolicyPack } from '../policy/model.js';
import { ScenarioError, type PolicyChoice } from './scenario.js';
import { dayStarts } from './population.js';
import type { PolicyYear } from './kernel.js';

export interface ChosenPolicy extends PolicyYear {
  /** The pack settled under (a draft's copy, for a reform). */
  pack: PolicyPack;
  /** The engine this policy settles with (its own for a draft). */
  engine: SettlementEngine;
  /** The name the scenario gives it. */
  name?: string;
  /** The draft's reason and source, for a reform. */
  draft?: { source: string; reason?: string; parameters: string[] };
  /** Years the visits were moved by (0: settled in their own year). */
  shift: number;
}

/** The kinds of visit a population makes: scheme and visit type. */
export interface VisitKinds {
  schemes: readonly Scheme[];
  visitTypes: readonly VisitType[];
}

const coversYear = (pack: PolicyPack, year: number) => pack.effective.from <= yearStart(year) && (pack.effective.to === null || pack.effective.to >= yearStart(year + 1) - 1);

/** Why the pack cannot settle the year's visits, or null when it can. */
function governs(engine: SettlementEngine, pack: PolicyPack, year: number, kinds: VisitKinds): string | null {
  if (!coversYear(pack, year)) return `${pack.id} is not in force all of ${year}`;
  let settlesAny = false;
  for (let day = yearStart(year); day < yearStart(year + 1); ) {
    const segment = engine.segmentAt(pack.region.code, day);
    if (!segment) return `no policy is in force in ${pack.region.code} on day ${day}`;
    for (const scheme of kinds.schemes) {
      for (const type of kinds.visitTypes) {
        const benefit = segment.benefits[benefitSlot(schemeIndex(scheme), visitTypeIndex(type))];
        if (benefit === undefined) continue;
        if (benefit.pack.id !== pack.id) {
          return `in ${year} ${pack.region.name}'s ${scheme} ${type} visits are governed by ${benefit.pack.id} (${benefit.pack.document.number}), not ${pack.id}`;
        }
        settlesAny = true;
      }
    }
    day = segment.to === null ? yearStart(year + 1) : segment.to + 1;
  }
  return settlesAny ? null : `${pack.id} settles none of the population's visits (${kinds.schemes.join('/')} ${kinds.visitTypes.join('/')})`;
}

/**
 * The year each chosen pack settles, with its region and days.
 * @throws ScenarioError naming the policy when its pack is unknown or governs no usable year.
 */
export function choosePolicyYears(
  engines: SettlementEngine | readonly SettlementEngine[],
  choices: readonly PolicyChoice[],
  visitsYear: number,
  kinds: VisitKinds,
): ChosenPolicy[] {
  const problems: string[] = [];
  const chosen: ChosenPolicy[] = [];
  choices.forEach((choice, i) => {
    const where = `policies[${i}]`;
    const engine = (Array.isArray(engines) ? engines[i] : engines) as SettlementEngine;
    const pack = engine.policies.packs.find((p) => p.id === choice.pack);
    if (!pack) {
      problems.push(`${where}: unknown policy pack ${JSON.stringify(choice.pack)}; known: ${engine.policies.packs.map((p) => p.id).join(', ')}`);
      return;
    }
    let year: number | undefined;
    if (choice.year !== undefined) {
      const why = governs(engine, pack, choice.year, kinds);
      if (why !== null) problems.push(`${where}.year: ${why}`);
      else year = choice.year;
    } else {
      for (let d = 0; d <= 50 && year === undefined; d++) {
        for (const y of d === 0 ? [visitsYear] : [visitsYear - d, visitsYear + d]) {
          if (year === undefined && governs(engine, pack, y, kinds) === null) year = y;
        }
      }
      if (year === undefined)
        problems.push(
          `${where}: ${governs(engine, pack, visitsYear, kinds) ?? ''}; and ${pack.id} governs no whole year within 50 years of ${visitsYear} (name one: { pack: ${pack.id}, year: YYYY })`,
        );
    }
    if (year === undefined) return;
    const c: ChosenPolicy = { pack, engine, packId: pack.id, region: pack.region.code, year, dayStarts: dayStarts(year), shift: year - visitsYear };
    if (choice.name !== undefined) c.name = choice.name;
    if (choice.draft !== undefined)
      c.draft = { source: choice.draft.source, parameters: Object.keys(choice.draft.parameters), ...(choice.draft.reason ? { reason: choice.draft.reason } : {}) };
    chosen.push(c);
  });
  if (problems.length > 0) throw new ScenarioError(problems);
  return chosen;
}

/** Every scheme and visit type (for checking claims, whose kinds are known only once read). */
export const ALL_KINDS: VisitKinds = { schemes: SCHEMES, visitTypes: VISIT_TYPES };
