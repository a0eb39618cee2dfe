/**
 * `yibao policy check CITY --against PROVINCE`: every provincial floor (省级底线标准) in force on a
 * date against the city's value in force on that date, each with both citations and a verdict.
 *
 * Which city parameter a floor bounds is data: the floor's `compares:` key in the province's file
 * (src/policy/floor-targets.ts). A class parameter (支付比例, 起付标准) is found through the
 * institution tiers the floor names: every class of the city's benefit that an institution of
 * those tiers (at any grade) is settled in, as the engine classifies it — first match wins — and
 * each person category that overrides it (e.g. 大学生).
 *
 * Verdicts, by the floor's bound:
 * - `at-least` (不低于): the city's value ≥ the floor → meets, else breach.
 * - `exactly` (the province states the value itself): equal → meets, else breach.
 * - `about` (左右): equal → meets; different → differs, a warning that the city departs from the
 *   province's reference value, not a breach (the documents give no tolerance; none is invented).
 * - not-comparable, with why: the city's documents do not cover it, the city leaves the value
 *   open, the units differ, or no city parameter corresponds.
 */
import { formatDate, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS, GRADES, TIER_LABELS, TIERS, VISIT_TYPE_LABELS, type Category, type Grade, type Tier } from '../domain.js';
import { versionAt } from '../policy/model.js';
import { SettlementError } from '../engine/errors.js';
import type { Benefit, InstitutionClass, Param, ParamVersion, PolicyPack } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';
import type { FloorTarget } from '../policy/schema.js';
import { pad, paramName } from '../policy/show.js';
import { boundedText, GRADE_TEXT, periodText, regionText, type CityPolicies } from './refs.js';

export type Verdict = 'meets' | 'breach' | 'differs' | 'not-comparable';

export const VERDICT_LABELS: Record<Verdict, string> = {
  meets: '符合',
  breach: '低于底线',
  differs: '与省参考值不同',
  'not-comparable': '无法比较',
};

/** One side of a comparison: a parameter version with its citation. */
export interface ComparedValue {
  pack: string;
  path: string;
  label: string;
  /** As the document bounds it, with its unit: `不低于60%`, `50 元/次`. */
  value: string;
  citation: string;
  from: string;
  to: string | null;
  quote?: string;
  supplied?: 'document' | 'user';
}

export interface CityValue extends ComparedValue {
  /** For a class parameter: the class, and the institutions (tier and grades) settled in it. */
  class?: { id: string; label: string; institutions: string };
  /** For a person category's override (e.g. student 大学生). */
  category?: { id: Category; label: string };
}

export interface CheckLine {
  floor: ComparedValue & { bound: string; note?: string };
  city: CityValue | null;
  verdict: Verdict;
  why: string;
}

export interface CheckReport {
  date: string;
  city: { code: string; name: string };
  province: { code: string; name: string };
  floorDocuments: { id: string; document: string; from: string; to: string | null }[];
  cityDocuments: { id: string; document: string; from: string; to: string | null }[];
  lines: CheckLine[];
  /** Floors of the documents in force whose own dates leave out the day (e.g. 71号's 2023 funding standard). */
  notInForce: { path: string; label: string; value: string; citation: string; from: string; to: string | null }[];
  summary: Record<Verdict, number>;
  /** True when any line is a breach (the command exits 1). */
  breach: boolean;
}

const docOf = (p: PolicyPack) => ({ id: p.id, document: p.document.number, from: formatDate(p.effective.from), to: p.effective.to === null ? null : formatDate(p.effective.to) });

function compared(pack: PolicyPack, param: Param, v: ParamVersion): ComparedValue {
  const out: ComparedValue = {
    pack: pack.id,
    path: param.path,
    label: paramName(pack, param.path, param.label),
    value: boundedText(v),
    citation: v.citation,
    from: formatDate(v.from),
    to: v.to === null ? null : formatDate(v.to),
    supplied: v.supplied,
  };
  if (v.quote) out.quote = v.quote;
  return out;
}

/** The verdict of a city version against a floor version. */
function judge(floor: ParamVersion, city: ParamVersion | undefined, day: DayNumber): { verdict: Verdict; why: string } {
  if (!city) return { verdict: 'not-comparable', why: `市级文件的该参数在 ${formatDate(day)} 没有有效的版本` };
  if (city.value === null) return { verdict: 'not-comparable', why: `市级文件未规定该值：${city.missing ?? ''}` };
  if (city.unit !== floor.unit) return { verdict: 'not-comparable', why: `单位不同：省级 ${floor.unit}，市级 ${city.unit}` };
  const same = JSON.stringify(city.value) === JSON.stringify(floor.value);
  switch (floor.bound) {
    case 'at-least':
      return (city.value as number) >= (floor.value as number)
        ? { verdict: 'meets', why: `${city.text} 不低于 ${floor.text}` }
        : { verdict: 'breach', why: `${city.text} 低于省级底线 ${floor.text}` };
    case 'about':
      return same
        ? { verdict: 'meets', why: `${city.text} 等于省级参考值 ${floor.text}（“左右”）` }
        : { verdict: 'differs', why: `${city.text} 与省级参考值 ${floor.text}（“左右”）不同：提示，不作违规判定` };
    default:
      return same ? { verdict: 'meets', why: `${city.text} 与省级规定一致` } : { verdict: 'breach', why: `${city.text} 与省级规定的 ${floor.text} 不一致` };
  }
}

/** `县级`, `市级（一级）`: the institutions of the given tiers that a class receives. */
function institutionsText(reached: [Tier, Grade][]): string {
  return TIERS.flatMap((t) => {
    const grades = reached.filter(([rt]) => rt === t).map(([, g]) => g);
    if (grades.length === 0) return [];
    return [grades.length === GRADES.length ? TIER_LABELS[t] : `${TIER_LABELS[t]}（${grades.map((g) => GRADE_TEXT[g]).join('、')}）`];
  }).join('、');
}

/** The first class an institution of this tier and grade matches, as the engine classifies. */
export function classFor(classes: readonly InstitutionClass[], tier: Tier, grade: Grade): InstitutionClass | undefined {
  return classes.find((c) => c.tiers.includes(tier) || c.grades.includes(grade));
}

/** The city's classes reached by institutions of the tiers, in class order, with who reaches them. */
export function classesForTiers(classes: readonly InstitutionClass[], tiers: readonly Tier[]): { cls: InstitutionClass; reached: [Tier, Grade][] }[] {
  const out = new Map<InstitutionClass, [Tier, Grade][]>();
  for (const tier of tiers)
    for (const grade of GRADES) {
      const c = classFor(classes, tier, grade);
      if (c) out.set(c, [...(out.get(c) ?? []), [tier, grade]]);
    }
  return classes.filter((c) => out.has(c)).map((cls) => ({ cls, reached: out.get(cls) ?? [] }));
}

/** A city parameter a floor bounds, with the class and category it belongs to (if any). */
interface Target {
  param: Param;
  detail: Pick<CityValue, 'class' | 'category'>;
}

const SCHEME_TEXT: Record<string, string> = { resident: '居民医保', employee: '职工医保' };
const categoryOf = (cat: string) => ({ id: cat as Category, label: CATEGORY_LABELS[cat as Category] });

/** The city parameters a benefit target names, or why there are none. */
function benefitTargets(b: Benefit, t: FloorTarget): Target[] | string {
  const what = VISIT_TYPE_LABELS[b.visitType];
  if (t.parameter === 'amount') {
    if (b.kind === 'amount-limit') return [{ param: b.amount, detail: {} }];
    return `市级文件对${what}按比例支付（${b.label}），不是定额或限额，无法与金额比较`;
  }
  if (b.kind !== 'pooling') return `市级文件对${what}按定额或限额支付（${b.label}），没有该参数`;
  if (t.parameter === 'deductibleWindow') {
    return b.deductibleWindow ? [{ param: b.deductibleWindow, detail: {} }] : `市级文件的${b.label}未规定起付标准计算周期`;
  }
  if (t.parameter === 'cap') {
    const out: Target[] = [{ param: b.cap, detail: {} }];
    for (const [cat, o] of Object.entries(b.categories)) if (o.cap) out.push({ param: o.cap, detail: { category: categoryOf(cat) } });
    return out;
  }
  const key = t.parameter as 'ratio' | 'deductible';
  return classesForTiers(b.classes, t.tiers ?? TIERS).flatMap(({ cls, reached }) => {
    const klass = { id: cls.id, label: cls.label, institutions: institutionsText(reached) };
    const out: Target[] = [{ param: cls[key], detail: { class: klass } }];
    for (const [cat, o] of Object.entries(b.categories)) {
      const p = o.classes[cls.id]?.[key];
      if (p) out.push({ param: p, detail: { class: klass, category: categoryOf(cat) } });
    }
    return out;
  });
}

/** The city's parameters a floor bounds (with the pack they come from), or why there are none. */
function cityTargets(t: FloorTarget, city: CityPolicies): (Target & { pack: PolicyPack })[] | string {
  const docs = city.packs.map((p) => p.document.number).join('、');
  if (t.none !== undefined) return t.none;
  if (t.path !== undefined) {
    const pack = city.packs.find((p) => p.params.has(t.path as string));
    return pack ? [{ pack, param: pack.params.get(t.path) as Param, detail: {} }] : `市级文件（${docs}）未规定 ${t.path}`;
  }
  const pack = city.packs.find((p) => p.benefits.some((b) => b.scheme === t.scheme && b.visitType === t.visitType));
  if (!pack) return `市级文件（${docs}）没有${SCHEME_TEXT[t.scheme as string]}${VISIT_TYPE_LABELS[t.visitType as keyof typeof VISIT_TYPE_LABELS]}待遇`;
  const found = benefitTargets(pack.benefits.find((b) => b.scheme === t.scheme && b.visitType === t.visitType) as Benefit, t);
  return typeof found === 'string' ? found : found.map((f) => ({ pack, ...f }));
}

/**
 * Checks the city's policies in force on `day` against every floor of the province's floors
 * documents in force on that day.
 *
 * @throws SettlementError NO_POLICY_IN_FORCE when no floors document of the province, or no
 * document of the city, is in force on the day.
 */
export function checkAgainstFloors(policies: PolicySet, city: CityPolicies, province: { code: string; name: string }, day: DayNumber): CheckReport {
  const floorPacks = policies.chain(province.code, day).filter((p) => p.region.code === province.code && p.role === 'floors');
  if (floorPacks.length === 0) {
    const all = policies.packs.filter((p) => p.region.code === province.code && p.role === 'floors');
    throw new SettlementError(
      'NO_POLICY_IN_FORCE',
      `no floors document of ${regionText(province.name, province.code)} is in force on ${formatDate(day)} (${all.map((p) => `${p.document.number} ${periodText(p.effective.from, p.effective.to)}`).join('; ')})`,
    );
  }
  if (city.packs.length === 0) {
    const named = city.pack ? `${city.pack.document.number} (${periodText(city.pack.effective.from, city.pack.effective.to)}) is not` : 'no document of the city is';
    throw new SettlementError('NO_POLICY_IN_FORCE', `${named} in force in ${regionText(city.name, city.code)} on ${formatDate(day)}`);
  }
  const lines: CheckLine[] = [];
  const notInForce: CheckReport['notInForce'] = [];
  for (const fp of floorPacks) {
    // The floors group first (the province's standards for benefits), then bounded figures elsewhere.
    const params = [...fp.params.values()].sort((a, b) => Number(!a.path.startsWith('parameters.floors.')) - Number(!b.path.startsWith('parameters.floors.')));
    for (const param of params) {
      const fv = versionAt(param, day);
      if (!fv) {
        for (const v of param.versions.filter((x) => x.compares || x.bound)) notInForce.push({ ...compared(fp, param, v), value: boundedText(v) });
        continue;
      }
      if (!fv.compares && !fv.bound) continue;
      const floor: CheckLine['floor'] = { ...compared(fp, param, fv), bound: fv.bound ?? 'exactly' };
      if (fv.compares?.note) floor.note = fv.compares.note;
      if (!fv.compares) {
        lines.push({ floor, city: null, verdict: 'not-comparable', why: '省级文件未写明该标准对应市级文件的哪个参数（compares）' });
        continue;
      }
      const targets = cityTargets(fv.compares, city);
      if (typeof targets === 'string') {
        lines.push({ floor, city: null, verdict: 'not-comparable', why: targets });
        continue;
      }
      for (const { pack, param: cp, detail } of targets) {
        const cv = versionAt(cp, day);
        const side: CityValue = cv
          ? { ...compared(pack, cp, cv), ...detail }
          : { pack: pack.id, path: cp.path, label: paramName(pack, cp.path, cp.label), value: '（无有效版本）', citation: '', from: '', to: null, ...detail };
        lines.push({ floor, city: side, ...judge(fv, cv, day) });
      }
    }
  }
  const summary: Record<Verdict, number> = { meets: 0, breach: 0, differs: 0, 'not-comparable': 0 };
  for (const l of lines) summary[l.verdict]++;
  return {
    date: formatDate(day),
    city: { code: city.code, name: city.name },
    province,
    floorDocuments: floorPacks.map(docOf),
    cityDocuments: city.packs.map(docOf),
    lines,
    notInForce: notInForce.map(({ path, label, value, citation, from, to }) => ({ path, label, value, citation, from, to })),
    summary,
    breach: summary.breach > 0,
  };
}

/** The report as a terminal table: a floor, the city's value, the verdict, both citations. */
export function renderCheck(r: CheckReport): string {
  const out: string[] = [];
  out.push(`${regionText(r.city.name, r.city.code)} 对照 ${regionText(r.province.name, r.province.code)} 底线标准 · ${r.date}`);
  for (const d of r.floorDocuments) out.push(`  省级文件 ${d.document}（${d.from} 至 ${d.to ?? '今'}）`);
  for (const d of r.cityDocuments) out.push(`  市级文件 ${d.document}（${d.from} 至 ${d.to ?? '今'}）`);
  out.push('');
  out.push(`  ${pad('结论', 16)}${pad('项目', 46)}${pad('省级标准', 18)}市级值`);
  for (const l of r.lines) {
    const who = [l.city?.category?.label, l.city?.class ? `${l.city.class.label}（${l.city.class.institutions}）` : undefined].filter(Boolean).join(' · ');
    out.push(`  ${pad(`[${VERDICT_LABELS[l.verdict]}]`, 16)}${pad(l.floor.label, 46)}${pad(l.floor.value, 18)}${l.city ? l.city.value : '—'}`);
    out.push(`      省 ${l.floor.citation} · ${l.floor.path}`);
    if (l.city) out.push(`      市 ${l.city.citation} · ${l.city.path}${who ? ` · ${who}` : ''}${l.city.supplied === 'user' ? ' [用户提供]' : ''}`);
    out.push(`      ${l.why}`);
    if (l.floor.note && l.city) out.push(`      说明：${l.floor.note}`);
  }
  if (r.notInForce.length > 0) {
    out.push('', `  省级文件中不在 ${r.date} 有效的底线（未核对）：`);
    for (const n of r.notInForce) out.push(`    ${pad(n.label, 30)}${pad(n.value, 22)}${n.citation} · ${n.from} 至 ${n.to ?? '今'}`);
  }
  const s = r.summary;
  out.push('');
  out.push(`合计 ${r.lines.length} 项：符合 ${s.meets} · 低于底线 ${s.breach} · 与省参考值不同 ${s.differs} · 无法比较 ${s['not-comparable']}`);
  out.push(r.breach ? '结果：有低于省级底线的项目（exit 1）' : '结果：没有低于省级底线的项目');
  return out.join('\n') + '\n';
}
