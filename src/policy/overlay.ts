/**
 * A user's policy file layered over a pack (the overlay): each parameter it names replaces the
 * pack's versions for the dates it gives, marked as user-supplied; benefits and fund-chain sections
 * the pack lacks may be added whole.
 *
 * The replaced parameters are put in place by one walk over the pack's structure, keyed by the
 * parameter's path: wherever a parameter of that path appears (a benefit, a class, a category, a
 * group, an account, a section yet to be written), the merged one takes its place. Nothing here
 * names the sections, so a new section needs nothing here.
 */
import type { Param, PolicyPack } from './model.js';
import { readYamlFile } from './load.js';
import { buildParam, type ParamContext } from './param.js';
import { PolicyFileError, Problems } from './problems.js';
import { formatIssues, overlayFile } from './schema.js';
import { buildBenefit, buildChainSections, checkOneBenefitPerVisitType } from './sections.js';

/** A parameter of the model: the only objects with a path and dated versions. */
function isParam(v: object): v is Param {
  return 'versions' in v && 'path' in v && Array.isArray((v as Param).versions);
}

/**
 * A copy of a pack's structure with every parameter named in `replaced` (by path) swapped for its
 * replacement. Plain objects and arrays are copied; parameters not replaced, and anything else
 * (the parameters Map, values), are kept as they are. The input is not changed.
 */
export function replaceParams<T>(value: T, replaced: ReadonlyMap<string, Param>): T {
  if (Array.isArray(value)) return value.map((v) => replaceParams(v, replaced)) as T;
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  if (isParam(value)) return (replaced.get(value.path) ?? value) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = replaceParams(v, replaced);
  return out as T;
}

/**
 * Layers a user's policy file over the packs: each parameter it names replaces the pack's versions
 * for the dates it gives, marked as user-supplied. Returns new packs; the input is not changed.
 * Naming a parameter the pack does not have is an error; overriding a value the document gives is
 * reported as a conflict (and refused), so a user file can only fill what the documents leave open.
 */
export function applyOverlay(packs: PolicyPack[], path: string, data?: unknown): PolicyPack[] {
  const raw = data === undefined ? readYamlFile(path) : data;
  const parsed = overlayFile.safeParse(raw);
  if (!parsed.success) throw new PolicyFileError(path, formatIssues(parsed.error.issues));
  const o = parsed.data;
  const target = packs.find((p) => p.id === o.extends);
  if (!target) throw new PolicyFileError(path, [`extends: there is no policy pack ${o.extends} (known: ${packs.map((p) => p.id).join(', ')})`]);
  const problems = new Problems();
  const params = new Map(target.params);
  const ctx: ParamContext = {
    document: path,
    effectiveFrom: target.effective.from,
    effectiveTo: target.effective.to,
    supplied: 'user',
    suppliedBy: path,
    problems,
    params,
  };
  const replaced = new Map<string, Param>();
  for (const [p, value] of Object.entries(o.parameters)) {
    const existing = target.params.get(p);
    if (!existing) {
      problems.add(`parameters.${p}`, `${target.id} has no parameter ${p}`);
      continue;
    }
    const unitsOf = new Set(existing.versions.map((v) => v.unit));
    const next = buildParam(value, p, ctx, [...unitsOf]);
    for (const v of next.versions) {
      const clash = existing.versions.find((e) => e.value !== null && e.from <= (v.to ?? Infinity) && (e.to ?? Infinity) >= v.from);
      if (clash) problems.add(`parameters.${p}`, `conflicts with ${clash.citation}, which gives ${clash.text}; a user file may only fill parameters the documents leave open`);
    }
    // Keep the document's versions (including the missing ones, for the record) where the user gives none.
    const kept = existing.versions.filter((e) => !next.versions.some((v) => e.from <= (v.to ?? Infinity) && (e.to ?? Infinity) >= v.from));
    const merged: Param = { ...existing, versions: [...kept, ...next.versions].sort((a, b) => a.from - b.from) };
    params.set(p, merged);
    replaced.set(existing.path, merged);
  }
  // Whole benefits and sections the pack does not have, every value marked as the user's.
  const added = o.benefits.map((b, i) => {
    if (target.benefits.some((x) => x.id === b.id)) problems.add(`benefits.${b.id}`, `${target.id} already has a benefit ${b.id}`);
    return buildBenefit(b, i, ctx);
  });
  checkOneBenefitPerVisitType([...target.benefits, ...added], problems, (b) => `benefits.${b.id}`);
  for (const section of ['criticalIllness', 'referral', 'medicalAssistance'] as const) {
    if (o[section] && target[section])
      problems.add(section, `${target.id} already has ${section} rules (${target[section]?.citation}); a user file may only add what the documents leave out`);
  }
  const sections = buildChainSections(o, ctx);
  if (problems.list.length > 0) throw new PolicyFileError(path, problems.list);
  // The pack's own keys in their order, then the sections the user added (the checks above
  // leave only those the pack lacks).
  const next = {} as Record<string, unknown>;
  for (const [key, value] of Object.entries({ ...target, ...sections })) {
    next[key] = key === 'params' ? params : key === 'overlays' ? [...target.overlays, path] : replaceParams(value, replaced);
  }
  (next as unknown as PolicyPack).benefits.push(...added);
  return packs.map((p) => (p === target ? (next as unknown as PolicyPack) : p));
}
