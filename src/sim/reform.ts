/**
 * Reforms (改革测算) in a scenario: a policy entry that is a draft of hypothetical values over a
 * pack — `{ pack, draft: FILE }` or `{ pack, overrides: { path: value }, reason }` — simulated
 * beside the pack as the documents give it, on the same persons and visits. The draft changes
 * that entry only; each entry settles with its own engine (the documents' packs, the drafted one
 * in place of its pack), on the main thread and in every worker alike.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { SettlementEngine } from '../engine/settle.js';
import { applyDraft, type PolicyDraft } from '../policy/draft.js';
import type { PolicyPack } from '../policy/model.js';
import { PolicyFileError } from '../policy/problems.js';
import { PolicySet } from '../policy/registry.js';
import { formatIssues, paramFile } from '../policy/schema.js';
import { yearSchema } from '../request/settle-request.js';

/** A policy of a scenario: a pack, the year to settle under it, and perhaps a draft over it. */
export interface PolicyChoice {
  pack: string;
  /** The year to settle under it; absent: the scenario's year if the pack governs it, else the nearest year it governs whole. */
  year?: number;
  /** What the report calls it (a reform's name, e.g. 调高起付线（假设）). */
  name?: string;
  /** Hypothetical values over the pack, for this entry only. */
  draft?: PolicyDraft;
}

/** A policy entry as written: validated, its draft file not yet read. */
export interface PolicyEntry {
  pack: string;
  year?: number;
  name?: string;
  draftFile?: string;
  overrides?: Record<string, unknown>;
  reason?: string;
}

const entrySchema = z
  .strictObject({
    pack: z.string({ error: 'must be a policy pack id such as luoyang-2024' }).min(1, 'must be a policy pack id such as luoyang-2024'),
    year: yearSchema.optional(),
    name: z.string({ error: 'must be a name' }).min(1, 'must not be empty').max(100, 'at most 100 characters').optional(),
    draft: z.string({ error: 'must be the path of a draft file (yibao-policy-overlay/1)' }).min(1, 'must be the path of a draft file').optional(),
    overrides: z
      .record(z.string().min(1, 'a parameter path must not be empty'), z.unknown(), { error: 'must be a map of parameter path → value' })
      .refine((o) => Object.keys(o).length > 0, 'must name at least one parameter')
      .optional(),
    reason: z.string({ error: 'must be a sentence' }).min(1, 'must not be empty').max(500, 'at most 500 characters').optional(),
  })
  .superRefine((e, ctx) => {
    if (e.draft !== undefined && e.overrides !== undefined) ctx.addIssue({ code: 'custom', path: ['overrides'], message: 'give either draft (a file) or overrides, not both' });
    if (e.reason !== undefined && e.draft === undefined && e.overrides === undefined)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is the reason of a draft: give draft or overrides with it' });
  });

/** A value of an inline override: a bare value in the unit the pack uses, or a parameter in the policy format. */
const overrideValue = z.union([z.number(), z.string(), z.boolean(), paramFile], {
  error: 'must be a value (a number, text or true/false) or a parameter { value, unit, source }',
});

/** A draft file: the overlay format, parameters only. */
const draftFile = z.strictObject({
  format: z.literal('yibao-policy-overlay/1', { error: 'must be yibao-policy-overlay/1' }),
  extends: z.string({ error: 'must be the pack the draft changes' }).min(1),
  note: z.string().optional(),
  reason: z.string().min(1).optional(),
  parameters: z.record(z.string().min(1), paramFile).refine((o) => Object.keys(o).length > 0, 'must name at least one parameter'),
});

/** A policy entry: a pack id, or `{ pack, year, name, draft | overrides, reason }`; every problem kept with its path. */
export const policyEntry = z.unknown().transform((v, ctx): PolicyEntry => {
  if (typeof v === 'string' && v.length > 0) return { pack: v };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'must be a policy pack id (e.g. luoyang-2024) or { pack, year, name, draft | overrides, reason }' });
    return z.NEVER;
  }
  const r = entrySchema.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: issue.path as PropertyKey[], message: issue.message });
    return z.NEVER;
  }
  const e = r.data;
  if (e.overrides) {
    for (const [path, value] of Object.entries(e.overrides)) {
      const o = overrideValue.safeParse(value);
      if (!o.success) for (const line of formatIssues(o.error.issues)) ctx.addIssue({ code: 'custom', path: ['overrides', path], message: line.replace(/^\(top level\): /, '') });
    }
  }
  const entry: PolicyEntry = { pack: e.pack };
  if (e.year !== undefined) entry.year = e.year;
  if (e.name !== undefined) entry.name = e.name;
  if (e.draft !== undefined) entry.draftFile = e.draft;
  if (e.overrides !== undefined) entry.overrides = e.overrides;
  if (e.reason !== undefined) entry.reason = e.reason;
  return entry;
});

/**
 * The entries' drafts read: a draft file resolved against `baseDir` (refused when `files` is
 * false, as over HTTP). Every problem, each naming its entry, goes into `problems`.
 */
export function resolveDrafts(entries: readonly PolicyEntry[], baseDir: string, files: boolean, problems: string[]): PolicyChoice[] {
  return entries.map((e, i) => {
    const where = `policies[${i}]`;
    const choice: PolicyChoice = { pack: e.pack };
    if (e.year !== undefined) choice.year = e.year;
    if (e.name !== undefined) choice.name = e.name;
    if (e.overrides !== undefined) {
      choice.draft = { source: `${where}.overrides`, parameters: e.overrides as PolicyDraft['parameters'], ...(e.reason ? { reason: e.reason } : {}) };
    } else if (e.draftFile !== undefined) {
      if (!files) {
        problems.push(`${where}.draft: draft files are not read here; give the values inline as overrides: { path: value }`);
        return choice;
      }
      const file = resolve(baseDir, e.draftFile);
      let data: unknown;
      try {
        const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true });
        if (doc.errors.length > 0) {
          problems.push(...doc.errors.map((x) => `${where}.draft: ${file}: ${x.message.split('\n')[0]}`));
          return choice;
        }
        data = doc.toJS();
      } catch (x) {
        problems.push(`${where}.draft: ${file}: cannot be read (${(x as NodeJS.ErrnoException).code ?? (x as Error).message})`);
        return choice;
      }
      const r = draftFile.safeParse(data);
      if (!r.success) {
        problems.push(...formatIssues(r.error.issues, `${where}.draft(${file})`));
        return choice;
      }
      if (r.data.extends !== e.pack) problems.push(`${where}.draft: ${file}: extends ${r.data.extends}, but the entry's pack is ${e.pack}`);
      const reason = e.reason ?? r.data.reason ?? r.data.note;
      choice.draft = { source: file, parameters: r.data.parameters, ...(reason ? { reason } : {}) };
    }
    return choice;
  });
}

/**
 * The engine each policy settles with: one over the documents' packs for the entries without a
 * draft, and for each draft one with its pack replaced by the drafted copy.
 * @throws PolicyFileError-free: problems (an unknown parameter path, a bad value) go into `problems`.
 */
export function enginesFor(packs: readonly PolicyPack[], drafts: readonly (PolicyDraft | undefined)[], packIds: readonly string[], problems: string[]): SettlementEngine[] {
  let plain: SettlementEngine | undefined;
  return drafts.map((draft, i) => {
    const pack = packs.find((p) => p.id === packIds[i]);
    if (draft === undefined || pack === undefined) {
      plain ??= new SettlementEngine(new PolicySet(packs));
      return plain;
    }
    try {
      const drafted = applyDraft(pack, draft);
      return new SettlementEngine(new PolicySet(packs.map((p) => (p === pack ? drafted : p))));
    } catch (e) {
      if (!(e instanceof PolicyFileError)) throw e;
      const where = draft.source.startsWith('policies[') ? draft.source : `policies[${i}].draft`;
      problems.push(...e.problems.map((p) => `${where}.${p}`));
      plain ??= new SettlementEngine(new PolicySet(packs));
      return plain;
    }
  });
}
