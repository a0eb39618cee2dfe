/**
 * The parameters in force for a region on a date, for people: `yibao policy show`.
 */
import { formatDate, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS, HARDSHIP_LABELS, VISIT_TYPE_LABELS, type Category, type Hardship } from '../domain.js';
import { versionAt } from './model.js';
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

export const BOUND: Record<string, string> = { 'at-least': '不低于', about: '左右', exactly: '' };

export function groupTitle(pack: PolicyPack, path: string): string {
  const [head, id, ...rest] = path.split('.');
  if (head === 'benefits') {
    const b = pack.benefits.find((x) => x.id === id);
    if (!b) return path;
    const cat = rest[0] === 'categories' ? `（${CATEGORY_LABELS[rest[1] as Category] ?? rest[1]}）` : '';
    return `${b.label}${cat} · ${VISIT_TYPE_LABELS[b.visitType]}`;
  }
  if (head === 'enrollment') return '参保缴费与待遇享受期';
  if (head === 'contributions') return '居民医保筹资与资助参保（按筹资年度）';
  if (head === 'accounts') return pack.accounts.find((a) => a.kind === id)?.label ?? path;
  if (head === 'parameters') return GROUP_LABELS[id ?? ''] ?? `其他参数 · ${id}`;
  if (head === 'criticalIllness') return id === 'groups' && rest[0] ? `大病保险 · ${HARDSHIP_LABELS[rest[0] as Hardship] ?? rest[0]}` : '大病保险';
  if (head === 'referral') return '转诊';
  if (head === 'maternityGrant') return pack.maternityGrant?.label ?? '一次性生育补助金';
  if (head === 'medicalAssistance') return id === 'groups' && rest[0] ? `医疗救助 · ${HARDSHIP_LABELS[rest[0] as Hardship] ?? rest[0]}` : '医疗救助';
  return head ?? path;
}

const GROUP_LABELS: Record<string, string> = {
  budget: '预算管理',
  clearing: '清算（经办机构与定点医药机构）',
  floors: '省级底线标准（供核对各市政策，不用于结算）',
};

const NAME_LABELS: Record<string, string> = {
  westernPolicy: '比照西部开发政策县',
  counties: '比照西部开发政策县数量',
  familyDoctorServiceFee: '家庭医生签约服务费',
  studentOutpatientBudget: '大学生门诊统筹预算',
  payingCentre: '分级支付（支付经办机构）',
  countyLevelDistricts: '按县管理的区',
  districtClearing: '上解资金定期清算',
  settlementCycle: '与定点医药机构结算周期',
  qualityDeposit: '质量保证金预留比例',
  outpatientPrimaryDeductible: '门诊统筹基层起付标准',
  outpatientDeductible: '门诊统筹县级及以上起付标准',
  outpatientDeductibleWindow: '门诊统筹起付标准计算周期',
  outpatientRatioCity: '门诊统筹市级及以上支付比例',
  outpatientRatioCounty: '门诊统筹县级支付比例',
  outpatientRatioPrimary: '门诊统筹基层支付比例',
  inpatientFundShare: '住院政策范围内基金支付比例',
  birthNatural: '居民生育医疗费（自然分娩）',
  birthCesarean: '居民生育医疗费（剖宫产）',
  unreferredRatioReduction: '未经转诊县域外就医报销比例下浮',
  threshold: '起付线',
  ratio: '支付比例',
  cap: '年度最高支付限额',
};

export function paramName(pack: PolicyPack, path: string, label: string): string {
  const parts = path.split('.');
  if (parts[0] === 'parameters') return NAME_LABELS[parts[2] ?? ''] ?? label;
  const ci = parts.indexOf('classes');
  if (ci < 0 || !parts[ci + 1]) return label;
  const benefit = pack.benefits.find((b) => b.id === parts[1]);
  const cls = benefit?.kind === 'pooling' ? benefit.classes.find((c) => c.id === parts[ci + 1]) : undefined;
  return `${cls?.label ?? parts[ci + 1]} ${label}`;
}

/** Columns a string takes in a terminal: CJK characters take two. */
export function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

export const pad = (s: string, w: number) => s + ' '.repeat(Math.max(1, w - width(s)));

/** Benefit-level parameters before per-category ones, benefits in file order. */
function displayOrder(pack: PolicyPack, params: ShownParam[]): ShownParam[] {
  const rank = (p: ShownParam) => {
    const parts = p.path.split('.');
    const head = ['enrollment', 'contributions', 'benefits', 'accounts', 'parameters'].indexOf(parts[0] ?? '');
    const benefit = parts[0] === 'benefits' ? pack.benefits.findIndex((b) => b.id === parts[1]) : 0;
    const category = parts.includes('categories') ? 1 : 0;
    return [head, benefit, category];
  };
  return params
    .map((p, i) => ({ p, i, r: rank(p) }))
    .sort((a, b) => a.r[0]! - b.r[0]! || a.r[1]! - b.r[1]! || a.r[2]! - b.r[2]! || a.i - b.i)
    .map((x) => x.p);
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
      for (const p of all) lines.push(`  ${p.document.number}  ${formatDate(p.effective.from)} – ${p.effective.to === null ? '' : formatDate(p.effective.to)}`);
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
    for (const p of displayOrder(pack, packParams(pack, day))) {
      const g = groupTitle(pack, p.path);
      if (g !== group) {
        lines.push(`  ${g}`);
        group = g;
      }
      const bound = p.bound ? (BOUND[p.bound] ?? '') : '';
      const value = p.missing ? `（文件未规定：${p.missing}）` : `${bound === '不低于' ? bound : ''}${p.value}${bound === '左右' ? bound : ''}`;
      const dates = `${p.from} – ${p.to ?? ''}`;
      const who = p.supplied === 'user' ? ' [用户提供]' : '';
      lines.push(`    ${pad(paramName(pack, p.path, p.label), 34)}${value}${who}`);
      lines.push(`      ${p.source} · ${dates} · ${p.path}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** A parameter the documents (and the user's files, if any) still leave open, for `yibao policy missing`. */
export interface MissingEntry {
  pack: string;
  document: string;
  path: string;
  label: string;
  citation: string;
  reason: string;
  from: string;
  to: string | null;
}

/**
 * Every version of every parameter still without a value (`value: null` with `missing:`) after
 * the user's files were layered over the packs: what a settlement that needs it will refuse with
 * MISSING_PARAMETER until a user policy file supplies it.
 */
export function missingParameters(packs: readonly PolicyPack[]): MissingEntry[] {
  const out: MissingEntry[] = [];
  for (const pack of packs) {
    for (const param of pack.params.values()) {
      for (const v of param.versions) {
        if (v.value !== null) continue;
        out.push({
          pack: pack.id,
          document: pack.document.number,
          path: param.path,
          label: param.label,
          citation: v.citation,
          reason: v.missing ?? '',
          from: formatDate(v.from),
          to: v.to === null ? null : formatDate(v.to),
        });
      }
    }
  }
  return out;
}

/** A policy pack as `yibao policy list` and `GET /v1/policies` list it. */
export interface PackRow {
  id: string;
  document: string;
  title: string;
  region: string;
  regionName: string;
  aliases: readonly string[];
  schemes: readonly string[];
  role: string;
  from: string;
  to: string | null;
  benefits: string[];
  parameters: number;
}

/** Every pack, in the registry's order. */
export function packRows(packs: readonly PolicyPack[]): PackRow[] {
  return packs.map((p) => ({
    id: p.id,
    document: p.document.number,
    title: p.document.title,
    region: p.region.code,
    regionName: p.region.name,
    aliases: p.region.aliases,
    schemes: p.schemes,
    role: p.role,
    from: formatDate(p.effective.from),
    to: p.effective.to === null ? null : formatDate(p.effective.to),
    benefits: p.benefits.map((b) => `${b.scheme}/${b.visitType}`),
    parameters: p.params.size,
  }));
}
