/**
 * A reform draft (改革草案): hypothetical values for parameters of a pack, simulated against the
 * pack as the documents give it. A draft is never saved as policy and never loaded as one: it
 * changes a copy of the pack for one simulation, every value it puts in place marked as
 * hypothetical (假设) in its citation, so a trace or report of a settlement under it says so.
 *
 * Unlike a user's overlay (overlay.ts), which may only fill what the documents leave open, a draft
 * replaces what the documents give: that is its point. It reuses the overlay's parameter format
 * (`yibao-policy-overlay/1`, parameters by path) and its walk that puts parameters in place.
 */
import type { Param, ParamVersion, PolicyPack } from './model.js';
import { replaceParams } from './overlay.js';
import { buildParam, type ParamContext } from './param.js';
import { PolicyFileError, Problems } from './problems.js';
import type { ParamFile } from './schema.js';

/** The mark on every hypothetical value: 假设（改革草案）. */
export const HYPOTHETICAL = '假设（改革草案）';

export interface PolicyDraft {
  /** Where the draft came from: its file, or `policies[i].overrides` for an inline one. */
  source: string;
  /** Why (shown in each citation). */
  reason?: string;
  /** Parameters by path: a parameter in the policy format, or a bare value in the unit the pack uses. */
  parameters: Record<string, ParamFile | number | string | boolean>;
}

/** The citation of a hypothetical value: `假设（改革草案）: reason`. */
export function draftCitation(draft: PolicyDraft): string {
  return draft.reason ? `${HYPOTHETICAL}: ${draft.reason}` : HYPOTHETICAL;
}

/**
 * A copy of `pack` with the draft's values in place of the pack's for the dates they give (the
 * pack's whole term by default), each marked hypothetical. The pack is not changed.
 * @throws PolicyFileError naming every bad parameter (one the pack does not have, a wrong unit or value).
 */
export function applyDraft(pack: PolicyPack, draft: PolicyDraft): PolicyPack {
  const problems = new Problems();
  const params = new Map(pack.params);
  const citation = draftCitation(draft);
  const ctx: ParamContext = {
    document: HYPOTHETICAL,
    effectiveFrom: pack.effective.from,
    effectiveTo: pack.effective.to,
    supplied: 'user',
    suppliedBy: draft.source,
    problems,
    params,
  };
  const replaced = new Map<string, Param>();
  for (const [path, value] of Object.entries(draft.parameters)) {
    const existing = pack.params.get(path);
    if (!existing) {
      problems.add(path, `${pack.id} has no parameter ${path} (the paths are those \`yibao policy show ${pack.id} --json\` prints)`);
      continue;
    }
    const units = [...new Set(existing.versions.map((v) => v.unit))];
    const file: ParamFile =
      typeof value === 'object' && value !== null ? value : { value, unit: (existing.versions.at(-1) as ParamVersion).unit, source: draft.reason ?? HYPOTHETICAL };
    const next = buildParam(file, path, ctx, units);
    const marked = next.versions.map((v) => ({
      ...v,
      document: HYPOTHETICAL,
      citation,
      note: `${HYPOTHETICAL}，非现行政策${v.note ? `；${v.note}` : ''}`,
    }));
    const kept = existing.versions.filter((e) => !marked.some((v) => e.from <= (v.to ?? Infinity) && (e.to ?? Infinity) >= v.from));
    const merged: Param = { ...existing, versions: [...kept, ...marked].sort((a, b) => a.from - b.from) };
    params.set(path, merged);
    replaced.set(existing.path, merged);
  }
  if (problems.list.length > 0) throw new PolicyFileError(draft.source, problems.list);
  const next = {} as Record<string, unknown>;
  for (const [key, value] of Object.entries(pack)) {
    next[key] = key === 'params' ? params : key === 'overlays' ? [...pack.overlays, `${HYPOTHETICAL} ${draft.source}`] : replaceParams(value, replaced);
  }
  return next as unknown as PolicyPack;
}
