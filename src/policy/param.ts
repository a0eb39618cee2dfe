/**
 * One parameter of a policy file built: its dated versions checked (units, dates, no overlap) and
 * converted, each with its citation, recorded in the pack's parameters by path.
 */
import { formatDate, parseDate, type DayNumber } from '../calendar/calendar.js';
import type { Param, ParamValue, ParamVersion, Supplier } from './model.js';
import { readFloorTarget } from './floor-targets.js';
import type { Problems } from './problems.js';
import type { ParamFile, ParamVersionFile, Unit } from './schema.js';
import { convertValue, LABELS, PATH_LABELS } from './values.js';

export interface ParamContext {
  document: string;
  effectiveFrom: DayNumber;
  effectiveTo: DayNumber | null;
  supplied: Supplier;
  suppliedBy?: string;
  problems: Problems;
  params: Map<string, Param>;
}

export function buildParam(file: ParamFile, path: string, ctx: ParamContext, expected?: readonly Unit[]): Param {
  const key = path.split('.').at(-1) ?? path;
  const versions: ParamVersion[] = [];
  const list: ParamVersionFile[] = Array.isArray(file) ? file : [file];
  list.forEach((v, i) => {
    const where = list.length > 1 ? `${path}[${i}]` : path;
    if (expected && !expected.includes(v.unit)) {
      ctx.problems.add(where, `unit must be ${expected.join(' or ')}, not ${v.unit}`);
      return;
    }
    let value: ParamValue | null = null;
    let text = '（文件未规定）';
    if (v.value === null || v.value === undefined) {
      if (!v.missing) {
        ctx.problems.add(where, 'has no value: give one, or say why the document does not with `missing:`');
        return;
      }
    } else {
      if (v.missing) ctx.problems.add(where, 'has both a value and `missing:`');
      const converted = convertValue(v.value, v.unit, key);
      if (typeof converted === 'string') {
        ctx.problems.add(where, converted);
        return;
      }
      value = converted.value;
      text = converted.text;
    }
    const from = v.from ? parseDate(v.from) : ctx.effectiveFrom;
    const to = v.to ? parseDate(v.to) : v.to === null ? null : ctx.effectiveTo;
    if (from === undefined || to === undefined) {
      ctx.problems.add(where, 'from/to is not a real date');
      return;
    }
    if (to !== null && to < from) ctx.problems.add(where, `to ${formatDate(to)} is before from ${formatDate(from)}`);
    if (from < ctx.effectiveFrom) ctx.problems.add(where, `from ${formatDate(from)} is before the document takes effect`);
    const document = v.document ?? ctx.document;
    const version: ParamVersion = {
      value,
      unit: v.unit,
      text,
      document,
      article: v.source,
      citation: `${document} ${v.source}`,
      from,
      to,
      supplied: ctx.supplied,
    };
    if (v.quote !== undefined) version.quote = v.quote;
    if (v.note !== undefined) version.note = v.note;
    if (v.missing !== undefined) version.missing = v.missing;
    if (v.bound !== undefined) version.bound = v.bound;
    if (v.compares !== undefined) {
      const read = readFloorTarget(v.compares, v.unit, v.bound);
      if ('target' in read) version.compares = read.target;
      else for (const problem of read.problems) ctx.problems.add(where, problem);
    }
    if (ctx.suppliedBy !== undefined) version.suppliedBy = ctx.suppliedBy;
    versions.push(version);
  });
  versions.sort((a, b) => a.from - b.from);
  for (let i = 1; i < versions.length; i++) {
    const prev = versions[i - 1] as ParamVersion;
    const cur = versions[i] as ParamVersion;
    if (prev.to === null || prev.to >= cur.from) ctx.problems.add(path, `dated versions overlap (one from ${formatDate(cur.from)} while another is still in force)`);
  }
  const param: Param = { path, label: PATH_LABELS[path] ?? LABELS[key] ?? key, versions };
  ctx.params.set(path, param);
  return param;
}

/** The citation of a benefit or section: its document and article, marked when a user supplied it. */
export function sectionCitation(ctx: ParamContext, source: string): string {
  return ctx.supplied === 'user' ? `${ctx.document} ${source}（用户提供）` : `${ctx.document} ${source}`;
}
