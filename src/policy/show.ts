/**
 * The parameters in force for a region on a date, for people: `yibao policy show`.
 */
import { formatDate, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS, VISIT_TYPE_LABELS, type Category } from '../domain.js';
import { versionAt } from '../engine/compile.js';
import type { Param, ParamVersion, PolicyPack } from './model.js';
import type { PolicySet } from './registry.js';

export interface ShownParam {
  path: string;
  label: string;
  value: string;
  source: string;
  from: string;
  to: string | null;
  supplied: 'document' | 'user';
  missing?: string;
  quote?: string;
  note?: string;
  bound?: string;
}

export interface ShownPack {
  id: string;
  document: string;
  title: string;
  region: string;
  role: string;
  effective: { from: string; to: string | null; source: string };
  overlays: string[];
  params: ShownParam[];
}

function shown(p: Param, v: ParamVersion): ShownParam {
  const out: ShownParam = {
    path: p.path,
    label: p.label,
    value: v.text,
    source: v.citation,
    from: formatDate(v.from),
    to: v.to === null ? null : formatDate(v.to),
    supplied: v.supplied,
  };
  if (v.missing) out.missing = v.missing;
  if (v.quote) out.quote = v.quote;
  if (v.note) out.note = v.note;
  if (v.bound) out.bound = v.bound;
  return out;
}

/** Every parameter of a pack in force on a day (all versions when no day is given). */
export function packParams(pack: PolicyPack, day?: DayNumber): ShownParam[] {
  const out: ShownParam[] = [];
  for (const p of pack.params.values()) {
    if (day === undefined) for (const v of p.versions) out.push(shown(p, v));
    else {
      const v = versionAt(p, day);
      if (v) out.push(shown(p, v));
    }
  }
  return out;
}

export function showPack(pack: PolicyPack, day?: DayNumber): ShownPack {
  return {
    id: pack.id,
    document: pack.document.number,
    title: pack.document.title,
    region: `${pack.region.code} ${pack.region.name}`,
    role: pack.role,
    effective: {
      from: formatDate(pack.effective.from),
      to: pack.effective.to === null ? null : formatDate(pack.effective.to),
      source: pack.effective.citation,
    },
    overlays: pack.overlays,
    params: packParams(pack, day),
  };
}

const BOUND: Record<string, string> = { 'at-least': '不低于', about: '左右', exactly: '' };

function groupTitle(pack: PolicyPack, path: string): string {
  const [head, id, ...rest] = path.split('.');
  if (head === 'benefits') {
    const b = pack.benefits.find((x) => x.id === id);
    if (!b) return path;
    const cat = rest[0] === 'categories' ? `（${CATEGORY_LABELS[rest[1] as Category] ?? rest[1]}）` : '';
    return `${b.label}${cat} · ${VISIT_TYPE_LABELS[b.visitType]}`;
  }
  if (head === 'enrollment') return '参保缴费与待遇享受期';
  if (head === 'parameters') return `其他参数 · ${id}`;
  return head ?? path;
}

function paramName(path: string, label: string): string {
  const parts = path.split('.');
  const ci = parts.indexOf('classes');
  return ci >= 0 && parts[ci + 1] ? `${parts[ci + 1]} ${label}` : label;
}

/** A terminal rendering of what is in force. */
export function renderShow(policies: PolicySet, code: string, day: DayNumber): string {
  const region = policies.region(code);
  const chain = policies.chain(code, day);
  const lines: string[] = [];
  lines.push(`${region?.name ?? code} (${code}) · ${formatDate(day)}`);
  if (chain.length === 0) {
    lines.push('', `No policy is in force on this date.`);
    const all = policies.packs.filter((p) => policies.lineage(code).includes(p.region.code));
    if (all.length > 0) {
      lines.push('Policies for this region:');
      for (const p of all)
        lines.push(`  ${p.document.number}  ${formatDate(p.effective.from)} – ${p.effective.to === null ? '' : formatDate(p.effective.to)}`);
    }
    return lines.join('\n') + '\n';
  }
  for (const pack of chain) {
    lines.push('');
    lines.push(`■ ${pack.document.number}  ${pack.document.title}`);
    lines.push(
      `  ${pack.region.name} · ${pack.role === 'floors' ? '省级文件（底线标准；参保缴费规定适用于全省）' : '本地文件'} · 施行 ${formatDate(pack.effective.from)} 至 ${pack.effective.to === null ? '今' : formatDate(pack.effective.to)}（${pack.effective.citation}）`,
    );
    if (pack.overlays.length > 0) lines.push(`  用户提供的参数文件：${pack.overlays.join(', ')}`);
    let group = '';
    for (const p of packParams(pack, day)) {
      const g = groupTitle(pack, p.path);
      if (g !== group) {
        lines.push(`  ${g}`);
        group = g;
      }
      const bound = p.bound ? BOUND[p.bound] ?? '' : '';
      const value = p.missing ? `（文件未规定：${p.missing}）` : `${bound === '不低于' ? bound : ''}${p.value}${bound === '左右' ? bound : ''}`;
      const dates = `${p.from} – ${p.to ?? ''}`;
      const who = p.supplied === 'user' ? ' [用户提供]' : '';
      lines.push(`    ${paramName(p.path, p.label).padEnd(18)} ${value}${who}`);
      lines.push(`      ${p.source} · ${dates} · ${p.path}`);
    }
  }
  return lines.join('\n') + '\n';
}
