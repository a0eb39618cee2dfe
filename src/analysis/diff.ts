/**
 * `yibao policy diff A B`: what changed between two policy versions (two documents of a city, a
 * pack and a user's policy file over it, or two policy files).
 *
 * Parameters are compared by path, as `yibao policy show --json` prints them: added (only in B),
 * removed (only in A), changed (another value, unit or bound: old → new with both citations and
 * dates) and unchanged (the same value, each side's citation: a figure B restates). Values are
 * compared as loaded (fen, basis points), not as written.
 *
 * A benefit whose institution classes differ between A and B (Luoyang 36号's one class for every
 * institution, 63号's three by tier) cannot be read path by path, so it is also compared by
 * institution tier: for each tier (and grade, where the classes split a tier), the class A settles
 * such an institution in and the class B does, with the ratio and deductible of each, for every
 * person category whose figures differ from the base (e.g. 大学生).
 */
import { formatDate } from '../calendar/calendar.js';
import { CATEGORY_LABELS, GRADES, TIER_LABELS, TIERS, type Category, type Grade, type Tier } from '../domain.js';
import type { Benefit, InstitutionClass, Param, ParamVersion, PolicyPack } from '../policy/model.js';
import { groupTitle, pad, paramName } from '../policy/show.js';
import { classFor } from './check.js';
import { boundedText, GRADE_TEXT, periodText } from './refs.js';

export interface DiffVersion {
  value: string;
  unit: string;
  source: string;
  from: string;
  to: string | null;
  supplied: 'document' | 'user';
  missing?: string;
}

export interface DiffParam {
  path: string;
  /** The benefit or section it belongs to, as \`policy show\` heads it. */
  group: string;
  label: string;
  versions: DiffVersion[];
}

export interface DiffPair {
  path: string;
  group: string;
  label: string;
  a: DiffVersion[];
  b: DiffVersion[];
}

export interface DiffSide {
  id: string;
  document: string;
  region: string;
  /** User policy files layered over the pack. */
  overlays: string[];
  effective: { from: string; to: string | null; source: string };
}

/** One tier (or tier and grades) of a benefit compared across two class structures. */
export interface TierRow {
  institutions: string;
  tier: Tier;
  grades: Grade[];
  a: { class: string; value: string; source: string } | null;
  b: { class: string; value: string; source: string } | null;
  changed: boolean;
}

export interface ByTier {
  benefit: { label: string; scheme: string; visitType: string; a: string; b: string };
  classes: { a: { id: string; label: string }[]; b: { id: string; label: string }[] };
  tables: { parameter: 'ratio' | 'deductible'; category: { id: Category; label: string } | null; rows: TierRow[] }[];
}

export interface DiffReport {
  a: DiffSide;
  b: DiffSide;
  added: DiffParam[];
  removed: DiffParam[];
  changed: DiffPair[];
  unchanged: DiffPair[];
  byTier: ByTier[];
  summary: { added: number; removed: number; changed: number; unchanged: number };
  /** No parameter added, removed or changed. */
  identical: boolean;
}

const dated = (d: number | null) => (d === null ? null : formatDate(d));

function diffVersion(v: ParamVersion): DiffVersion {
  const out: DiffVersion = { value: boundedText(v), unit: v.unit, source: v.citation, from: formatDate(v.from), to: dated(v.to), supplied: v.supplied };
  if (v.missing) out.missing = v.missing;
  return out;
}

/** What makes two versions the same figure: the loaded value, its unit and bound. */
const figure = (p: Param) => JSON.stringify(p.versions.map((v) => [v.value, v.unit, v.bound ?? null]));

/** A version list in one line: `50%`, or `750 元/人/年（2022-07-01 至 2022-12-31）；1500 元/人/年（2023-01-01 至 今）`. */
function versionsText(p: Param): string {
  if (p.versions.length === 1) return boundedText(p.versions[0] as ParamVersion);
  return p.versions.map((v) => `${boundedText(v)}（${periodText(v.from, v.to)}）`).join('；');
}

function side(p: PolicyPack): DiffSide {
  return {
    id: p.id,
    document: p.document.number,
    region: `${p.region.code} ${p.region.name}`,
    overlays: p.overlays,
    effective: { from: formatDate(p.effective.from), to: dated(p.effective.to), source: p.effective.citation },
  };
}

const classShape = (b: Benefit) => (b.kind === 'pooling' ? JSON.stringify(b.classes.map((c) => [c.id, c.tiers, c.grades])) : '');

/** A benefit compared tier by tier, when A and B cut institutions into different classes. */
function compareByTier(a: Benefit & { kind: 'pooling' }, b: Benefit & { kind: 'pooling' }): ByTier {
  const categories = [...new Set([...Object.keys(a.categories), ...Object.keys(b.categories)])] as Category[];
  const tables: ByTier['tables'] = [];
  for (const parameter of ['ratio', 'deductible'] as const) {
    for (const category of [null, ...categories]) {
      const cell = (benefit: typeof a, c: InstitutionClass | undefined) => {
        if (!c) return null;
        const p = (category && benefit.categories[category]?.classes[c.id]?.[parameter]) || c[parameter];
        return { class: c.label, value: versionsText(p), source: p.versions.map((v) => v.citation).join('；') };
      };
      // A category's table only where it has figures of its own on either side.
      if (category && ![a, b].some((x) => Object.values(x.categories[category]?.classes ?? {}).some((o) => o[parameter]))) continue;
      const rows: TierRow[] = [];
      for (const tier of TIERS) {
        const cells = GRADES.map((g) => ({ g, a: cell(a, classFor(a.classes, tier, g)), b: cell(b, classFor(b.classes, tier, g)) }));
        const groups = new Map<string, typeof cells>();
        for (const c of cells) {
          const key = JSON.stringify([c.a, c.b]);
          groups.set(key, [...(groups.get(key) ?? []), c]);
        }
        for (const group of groups.values()) {
          const first = group[0] as (typeof cells)[number];
          const grades = group.map((c) => c.g);
          rows.push({
            institutions: groups.size === 1 ? TIER_LABELS[tier] : `${TIER_LABELS[tier]}（${grades.map((g) => GRADE_TEXT[g]).join('、')}）`,
            tier,
            grades,
            a: first.a,
            b: first.b,
            changed: first.a?.value !== first.b?.value,
          });
        }
      }
      tables.push({ parameter, category: category ? { id: category, label: CATEGORY_LABELS[category] } : null, rows });
    }
  }
  return {
    benefit: { label: b.label, scheme: b.scheme, visitType: b.visitType, a: `benefits.${a.id}`, b: `benefits.${b.id}` },
    classes: { a: a.classes.map((c) => ({ id: c.id, label: c.label })), b: b.classes.map((c) => ({ id: c.id, label: c.label })) },
    tables,
  };
}

/** Compares two policy packs parameter by parameter (and restructured benefits tier by tier). */
export function diffPacks(a: PolicyPack, b: PolicyPack): DiffReport {
  const added: DiffParam[] = [];
  const removed: DiffParam[] = [];
  const changed: DiffPair[] = [];
  const unchanged: DiffPair[] = [];
  const named = (pack: PolicyPack, p: Param) => ({ path: p.path, group: groupTitle(pack, p.path), label: paramName(pack, p.path, p.label) });
  for (const pa of a.params.values()) {
    const pb = b.params.get(pa.path);
    if (!pb) removed.push({ ...named(a, pa), versions: pa.versions.map(diffVersion) });
    else (figure(pa) === figure(pb) ? unchanged : changed).push({ ...named(b, pb), a: pa.versions.map(diffVersion), b: pb.versions.map(diffVersion) });
  }
  for (const pb of b.params.values()) if (!a.params.has(pb.path)) added.push({ ...named(b, pb), versions: pb.versions.map(diffVersion) });
  const byTier: ByTier[] = [];
  for (const ba of a.benefits) {
    const bb = b.benefits.find((x) => x.scheme === ba.scheme && x.visitType === ba.visitType);
    if (ba.kind === 'pooling' && bb?.kind === 'pooling' && classShape(ba) !== classShape(bb)) byTier.push(compareByTier(ba, bb));
  }
  return {
    a: side(a),
    b: side(b),
    added,
    removed,
    changed,
    unchanged,
    byTier,
    summary: { added: added.length, removed: removed.length, changed: changed.length, unchanged: unchanged.length },
    identical: added.length + removed.length + changed.length === 0,
  };
}

const oneLine = (vs: DiffVersion[]) => vs.map((v) => (vs.length > 1 ? `${v.value}（${v.from} 至 ${v.to ?? '今'}）` : v.value)).join('；');
/** The citations, a user's file marked as such (its document name may already say so). */
const cites = (vs: DiffVersion[]) => [...new Set(vs.map((v) => (v.supplied === 'user' && !v.source.includes('用户提供') ? `${v.source}（用户提供）` : v.source)))].join('；');
const span = (vs: DiffVersion[]) => `${vs[0]?.from ?? ''} 至 ${vs.at(-1)?.to ?? '今'}`;

/** Paths of class figures of benefits shown by tier (listed by path only in --json). */
function inByTier(r: DiffReport, path: string): boolean {
  return r.byTier.some((t) =>
    [t.benefit.a, t.benefit.b].some((base) => path.startsWith(`${base}.classes.`) || (path.startsWith(`${base}.categories.`) && path.includes('.classes.'))),
  );
}

/** Entries with the same heading together, in the order the headings first appear. */
function byGroup<T extends { group: string }>(list: T[]): T[] {
  const first = new Map<string, number>();
  list.forEach((x, i) => first.has(x.group) || first.set(x.group, i));
  return list
    .map((x, i) => ({ x, i }))
    .sort((p, q) => (first.get(p.x.group) as number) - (first.get(q.x.group) as number) || p.i - q.i)
    .map((e) => e.x);
}

/** The report for a terminal. */
export function renderDiff(r: DiffReport): string {
  const out: string[] = [];
  const head = (tag: string, s: DiffSide) =>
    `  ${tag} ${s.id} · ${s.document} · ${s.region} · 施行 ${s.effective.from} 至 ${s.effective.to ?? '今'}（${s.effective.source}）${s.overlays.length ? ` · 用户文件 ${s.overlays.join(', ')}` : ''}`;
  out.push(`政策对比 ${r.a.id} → ${r.b.id}`);
  out.push(head('A', r.a), head('B', r.b), '');
  if (r.identical) {
    out.push(`没有差别：${r.summary.unchanged} 个参数，取值全部相同。`);
    return out.join('\n') + '\n';
  }
  /** A group's heading, printed when the group changes. */
  let group = '';
  const heading = (g: string) => {
    if (g !== group) out.push(`  ${g}`);
    group = g;
  };
  if (r.changed.length > 0) {
    out.push(`■ 改变 changed (${r.changed.length})`);
    for (const c of byGroup(r.changed)) {
      heading(c.group);
      out.push(`    ${pad(c.label, 38)}${oneLine(c.a)} → ${oneLine(c.b)}`);
      out.push(`      ${c.path}`);
      out.push(`      A ${cites(c.a)} · ${span(c.a)}`);
      out.push(`      B ${cites(c.b)} · ${span(c.b)}`);
    }
    out.push('');
  }
  for (const t of r.byTier) {
    out.push(`■ 按机构层级对比 ${t.benefit.label}（机构分类不同，逐层比较）`);
    out.push(`  A ${t.benefit.a}: ${t.classes.a.map((c) => `${c.id} ${c.label}`).join('；')}`);
    out.push(`  B ${t.benefit.b}: ${t.classes.b.map((c) => `${c.id} ${c.label}`).join('；')}`);
    for (const table of t.tables) {
      out.push(`  ${table.parameter === 'ratio' ? '支付比例' : '起付标准'}${table.category ? `（${table.category.label}）` : ''}`);
      for (const row of table.rows) {
        const mark = row.changed ? '*' : ' ';
        out.push(`   ${mark} ${pad(row.institutions, 28)}${pad(row.a?.value ?? '—', 14)}→ ${pad(row.b?.value ?? '—', 14)}A ${row.a?.source ?? '—'} · B ${row.b?.source ?? '—'}`);
      }
    }
    out.push('  （* 有变化；各类别参数的逐项路径见 --json 的 added / removed）', '');
  }
  for (const [title, list] of [
    ['新增 added：只在 B 中', r.added],
    ['删除 removed：只在 A 中（B 的文件没有这些参数，不一定是废止）', r.removed],
  ] as const) {
    const shown = list.filter((p) => !inByTier(r, p.path));
    if (list.length === 0) continue;
    out.push(`■ ${title} (${list.length})`);
    group = '';
    for (const p of byGroup(shown)) {
      heading(p.group);
      out.push(`    ${pad(p.label, 38)}${oneLine(p.versions)}`, `      ${p.path} · ${cites(p.versions)} · ${span(p.versions)}`);
    }
    if (shown.length < list.length) out.push(`  另 ${list.length - shown.length} 个机构类别参数见上文按机构层级对比`);
    out.push('');
  }
  if (r.unchanged.length > 0) {
    // Only the figures B restates under its own articles; the rest cite the same text on both sides.
    const restated = r.unchanged.filter((u) => cites(u.a) !== cites(u.b));
    out.push(`■ 未变 unchanged：取值相同 (${r.unchanged.length})${restated.length > 0 ? '，以下为 B 以新条款重述的' : ''}`);
    group = '';
    for (const u of byGroup(restated)) {
      heading(u.group);
      out.push(`    ${pad(u.label, 38)}${oneLine(u.b)}`, `      ${u.path} · A ${cites(u.a)} · B ${cites(u.b)}`);
    }
    if (restated.length < r.unchanged.length) out.push(`  另 ${r.unchanged.length - restated.length} 个参数取值与出处都相同（--json 列出全部）`);
    out.push('');
  }
  out.push(`合计：新增 ${r.summary.added} · 删除 ${r.summary.removed} · 改变 ${r.summary.changed} · 未变 ${r.summary.unchanged}`);
  return out.join('\n') + '\n';
}
