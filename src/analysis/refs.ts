/**
 * What the policy analyses are asked about: policy packs named by id or by file, a city and its
 * province, and a date. Each reader throws a {@link RequestError} naming the field it read, so the
 * command line and the service report bad input the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { formatDate, parseDate, type DayNumber } from '../calendar/calendar.js';
import { loadPolicyFile } from '../policy/load.js';
import { applyOverlay } from '../policy/overlay.js';
import type { ParamVersion, PolicyPack } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';
import { readRegion, RequestError } from '../request/settle-request.js';

/** Where a pack may come from: built-in ids only (the service), or files on disk too (the CLI). */
export interface RefOptions {
  files: boolean;
}

const inForce = (pack: PolicyPack, day: DayNumber) => pack.effective.from <= day && (pack.effective.to === null || day <= pack.effective.to);

/** Hospital grades as the documents write them: 未定级, 一级, 二级, 三级. */
export const GRADE_TEXT: readonly string[] = ['未定级', '一级', '二级', '三级'];

/** `A (410300)`. */
export const regionText = (name: string | undefined, code: string) => `${name ?? code} (${code})`;

/** A version's value as the document bounds it: `不低于60%`, `50 元/次左右`, or why it is missing. */
export function boundedText(v: ParamVersion): string {
  if (v.value === null) return `（文件未规定：${v.missing ?? ''}）`;
  return `${v.bound === 'at-least' ? '不低于' : ''}${v.text}${v.bound === 'about' ? '左右' : ''}`;
}

/** `--date`: a real date, or today (China time) when absent. */
export function readDay(raw: string | undefined, field: string, today: DayNumber): DayNumber {
  if (raw === undefined) return today;
  const day = parseDate(raw);
  if (day === undefined) throw new RequestError([`${field}: must be a real date YYYY-MM-DD, got ${JSON.stringify(raw)}`]);
  return day;
}

/**
 * A policy pack: a built-in pack id (`luoyang-2024`), or, with `files`, a policy file
 * (`yibao-policy/1`, loaded on its own) or a user policy file (`yibao-policy-overlay/1`, the pack
 * it extends with its values). Undefined when `ref` is none of these.
 *
 * @throws PolicyFileError when the file is not a valid policy file.
 */
export function findPack(ref: string, policies: PolicySet, options: RefOptions): PolicyPack | undefined {
  const builtin = policies.packs.find((p) => p.id === ref);
  if (builtin) return builtin;
  if (!options.files || !existsSync(ref)) return undefined;
  let format: unknown;
  try {
    format = (parse(readFileSync(ref, 'utf8')) as { format?: unknown } | null)?.format;
  } catch {
    format = undefined; // the loader reports what is wrong with it
  }
  if (format === 'yibao-policy-overlay/1') {
    const before = new Set(policies.packs);
    return applyOverlay([...policies.packs], ref).find((p) => !before.has(p));
  }
  return loadPolicyFile(ref);
}

/** {@link findPack}, or a RequestError naming the field and what it may be. */
export function readPack(ref: string, field: string, policies: PolicySet, options: RefOptions): PolicyPack {
  const pack = findPack(ref, policies, options);
  if (pack) return pack;
  const ids = policies.packs.map((p) => p.id).join(', ');
  throw new RequestError([`${field}: ${JSON.stringify(ref)} is not a policy pack id (known: ${ids})${options.files ? ' nor a policy file' : ''}`]);
}

/** The city side of a check: the packs of the city's own region in force, newest first. */
export interface CityPolicies {
  code: string;
  name: string;
  /** The region and its ancestors, most specific first. */
  lineage: string[];
  /** The city's own packs in force on the day, newest first (a named pack: just that one). */
  packs: PolicyPack[];
  /** Set when the city was named by a pack or a file rather than by region. */
  pack?: PolicyPack;
}

/**
 * The city of `policy check`: a region (code or alias: its own documents in force), or a pack id
 * or policy file (that document alone, e.g. a draft).
 */
export function readCity(ref: string, field: string, policies: PolicySet, day: DayNumber, options: RefOptions): CityPolicies {
  const code = policies.regionCode(ref);
  if (code) {
    const packs = policies.chain(code, day).filter((p) => p.region.code === code);
    return { code, name: policies.region(code)?.name ?? code, lineage: policies.lineage(code), packs };
  }
  const pack = findPack(ref, policies, options);
  if (!pack) {
    const { problem } = readRegion(ref, field, policies);
    throw new RequestError([
      `${problem ?? `${field}: unknown region ${JSON.stringify(ref)}`}; or a policy pack id (${policies.packs.map((p) => p.id).join(', ')})${options.files ? ' or a policy file' : ''}`,
    ]);
  }
  const lineage = [pack.region.code, ...(pack.region.parent ? policies.lineage(pack.region.parent) : [])];
  return { code: pack.region.code, name: pack.region.name, lineage, packs: inForce(pack, day) ? [pack] : [], pack };
}

/** The province of `policy check`: an ancestor of the city with a floors document (role: floors). */
export function readProvince(ref: string, field: string, city: CityPolicies, policies: PolicySet): { code: string; name: string } {
  const { region: code, problem } = readRegion(ref, field, policies);
  if (!code) throw new RequestError([problem as string]);
  const name = policies.region(code)?.name ?? code;
  if (code === city.code || !city.lineage.includes(code)) {
    throw new RequestError([`${field}: ${regionText(city.name, city.code)} is not a city of ${regionText(name, code)}`]);
  }
  if (!policies.packs.some((p) => p.region.code === code && p.role === 'floors')) {
    throw new RequestError([`${field}: ${regionText(name, code)} has no floors document (a policy file with role: floors)`]);
  }
  return { code, name };
}

/** `2024-01-01 至 今`. */
export const periodText = (from: DayNumber, to: DayNumber | null) => `${formatDate(from)} 至 ${to === null ? '今' : formatDate(to)}`;
