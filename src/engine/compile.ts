/**
 * Compiling policy into settlement tables.
 *
 * A region's history is cut into segments of constant policy (see PolicySet.timeline); for each
 * segment and each (scheme, visit type) the governing benefit is turned into flat integer tables:
 * an institution classifier indexed by tier and grade, deductibles in fen, ratios in basis points,
 * caps in fen, one table per person category. Settling a visit is then a handful of array reads
 * and integer operations: no parameter lookups, no date comparisons against policy text.
 */
import { formatDate, type DayNumber } from '../calendar/calendar.js';
import { CATEGORIES, GRADES, SCHEME_CATEGORIES, SCHEMES, TIERS, VISIT_TYPES, type Category, type Hardship } from '../domain.js';
import { versionAt, type AmountLimitBenefit, type Benefit, type MonthDayRange, type Param, type PolicyPack, type PoolingBenefit } from '../policy/model.js';
import type { PolicySet, Segment } from '../policy/registry.js';
import {
  ASSISTANCE_BASE,
  ASSISTANCE_PAID,
  CRITICAL_ILLNESS_BASE,
  CRITICAL_ILLNESS_PAID,
  WINDOW_NATURAL_DAY,
  WINDOW_NONE,
  WINDOW_PER_VISIT,
  type Cite,
  type CompiledAmountLimit,
  type CompiledBenefit,
  type CompiledClass,
  type CompiledCommon,
  type CompiledEnrollment,
  type CompiledLayer,
  type CompiledReferral,
  type CompiledSegment,
  type LayerTable,
  type PoolingTable,
} from './compiled.js';
import type { MissingParameter } from './errors.js';
import { benefitSlot, CATEGORY_INDEX, SCHEME_INDEX, VISIT_TYPE_INDEX } from './indexes.js';

/**
 * The same text as an internalized string (property keys are), so that comparing a bucket with
 * another made here is a pointer comparison in optimized code.
 */
function internalized(text: string): string {
  const key = Object.keys({ [text]: true })[0];
  return key === text ? key : text;
}

class Snapshot {
  readonly missing: MissingParameter[] = [];
  constructor(readonly day: DayNumber) {}

  cite(param: Param): Cite {
    const v = versionAt(param, this.day);
    const cite: Cite = {
      path: param.path,
      label: param.label,
      text: v?.text ?? '（未规定）',
      citation: v?.citation ?? '（无）',
      userSupplied: v?.supplied === 'user',
    };
    if (v?.quote) cite.quote = v.quote;
    if (v?.note) cite.note = v.note;
    return cite;
  }

  /** The value in force, recording it as missing when the documents do not give it. */
  value<T>(param: Param, fallback: T): T {
    const v = versionAt(param, this.day);
    if (!v || v.value === null) {
      this.missing.push({
        path: param.path,
        label: param.label,
        citation: v?.citation ?? param.versions[0]?.citation ?? '（无）',
        reason: v?.missing ?? `no value is in force on ${formatDate(this.day)}`,
      });
      return fallback;
    }
    return v.value as T;
  }
}

function compilePoolingTable(b: PoolingBenefit, category: Category, snap: Snapshot): PoolingTable {
  const override = b.categories[category];
  const classes: CompiledClass[] = b.classes.map((c) => {
    const dedParam = override?.classes[c.id]?.deductible ?? c.deductible;
    const ratioParam = override?.classes[c.id]?.ratio ?? c.ratio;
    return {
      id: c.id,
      label: c.label,
      deductible: snap.value<number>(dedParam, 0),
      deductibleCite: snap.cite(dedParam),
      ratio: snap.value<number>(ratioParam, 0),
      ratioCite: snap.cite(ratioParam),
    };
  });
  const classify = new Int8Array(TIERS.length * 4).fill(-1);
  TIERS.forEach((tier, ti) => {
    for (const grade of GRADES) {
      const idx = b.classes.findIndex((c) => c.tiers.includes(tier) || c.grades.includes(grade));
      classify[ti * 4 + grade] = idx;
    }
  });
  const capParam = override?.cap ?? b.cap;
  const table: PoolingTable = {
    classes,
    classify,
    cap: snap.value<number>(capParam, 0),
    capCite: snap.cite(capParam),
    ratioBonus: override?.ratioBonus ? snap.value<number>(override.ratioBonus, 0) : 0,
    ratioBonusCite: override?.ratioBonus ? snap.cite(override.ratioBonus) : null,
    familyDoctorBonus: b.familyDoctorBonus ? snap.value<number>(b.familyDoctorBonus, 0) : 0,
    familyDoctorBonusCite: b.familyDoctorBonus ? snap.cite(b.familyDoctorBonus) : null,
    familyDoctorTierMask: b.familyDoctorTiers.reduce((m, t) => m | (1 << TIERS.indexOf(t)), 0),
    missing: snap.missing,
  };
  return table;
}

function compileBenefit(b: Benefit, pack: PolicyPack, day: DayNumber): CompiledBenefit {
  const head = new Snapshot(day);
  const common: CompiledCommon = {
    pack,
    benefitId: b.id,
    label: b.label,
    citation: b.citation,
    contractedOnly: head.value<boolean>(b.contractedOnly, true),
    contractedCite: head.cite(b.contractedOnly),
  };
  if (b.kind === 'amount-limit') return compileAmountLimit(b, common, head);
  const tables: (PoolingTable | undefined)[] = CATEGORIES.map(() => undefined);
  let needsWindow = false;
  for (const category of SCHEME_CATEGORIES[b.scheme] ?? []) {
    const snap = new Snapshot(day);
    snap.missing.push(...head.missing);
    const table = compilePoolingTable(b, category, snap);
    if (table.classes.some((c, i) => c.deductible > 0 || table.missing.some((m) => m.path.includes(`.classes.${b.classes[i]?.id}.deductible`)))) needsWindow = true;
    tables[CATEGORY_INDEX[category] as number] = table;
  }
  let window = WINDOW_NONE;
  let windowCite: Cite | null = null;
  if (needsWindow) {
    const snap = new Snapshot(day);
    if (b.deductibleWindow) {
      const w = snap.value<string>(b.deductibleWindow, '');
      window = w === 'natural-day' ? WINDOW_NATURAL_DAY : w === 'per-visit' ? WINDOW_PER_VISIT : WINDOW_NONE;
      windowCite = snap.cite(b.deductibleWindow);
    } else {
      snap.missing.push({
        path: `benefits.${b.id}.deductibleWindow`,
        label: '起付标准计算周期',
        citation: b.citation,
        reason: 'the benefit has a deductible but the policy file does not say over what period it is borne once',
      });
    }
    for (const t of tables) if (t) t.missing.push(...snap.missing);
  }
  const notDuringStay = flagCite(b.notDuringStay, day, tables);
  const accountReformRequired = flagCite(b.accountReformRequired, day, tables);
  return { ...common, kind: 'pooling', bucket: internalized(b.capBucket), window, windowCite, tables, notDuringStay, accountReformRequired };
}

/**
 * A flag of a pooling benefit, as its citation when it is set on the day (null when absent or
 * false); a flag the documents leave open is missing in every table.
 */
function flagCite(flag: Param | undefined, day: DayNumber, tables: readonly (PoolingTable | undefined)[]): Cite | null {
  if (!flag) return null;
  const snap = new Snapshot(day);
  const cite = snap.value<boolean>(flag, false) ? snap.cite(flag) : null;
  for (const t of tables) if (t) t.missing.push(...snap.missing);
  return cite;
}

function compileAmountLimit(b: AmountLimitBenefit, common: CompiledCommon, snap: Snapshot): CompiledAmountLimit {
  return {
    ...common,
    kind: 'amount-limit',
    amount: snap.value<number>(b.amount, 0),
    amountCite: snap.cite(b.amount),
    missing: snap.missing,
  };
}

function compileEnrollment(pack: PolicyPack, day: DayNumber): CompiledEnrollment | undefined {
  const e = pack.enrollment;
  if (!e) return undefined;
  const snap = new Snapshot(day);
  return {
    pack,
    concentrated: snap.value<MonthDayRange | null>(e.concentratedPeriod, null),
    concentratedCite: snap.cite(e.concentratedPeriod),
    coverageCite: snap.cite(e.coverageAfterConcentrated),
    waitingDays: snap.value<number>(e.waitingDays, 0),
    waitingCite: snap.cite(e.waitingDays),
    exemptCategories: new Set(snap.value<Category[]>(e.waitExemptCategories, [])),
    exemptHardship: new Set(snap.value<Hardship[]>(e.waitExemptHardship, [])),
    exemptTransfer: snap.value<boolean>(e.waitExemptTransfer, false),
    exemptCite: snap.cite(e.waitExemptCategories),
    exemptHardshipCite: snap.cite(e.waitExemptHardship),
    exemptTransferCite: snap.cite(e.waitExemptTransfer),
    missing: snap.missing,
  };
}

function compileReferral(pack: PolicyPack, day: DayNumber): CompiledReferral | undefined {
  const r = pack.referral;
  if (!r) return undefined;
  const snap = new Snapshot(day);
  const excluded = r.reductionExcludedFromCriticalIllness;
  return {
    pack,
    reduction: snap.value<number>(r.unreferredRatioReduction, 0),
    reductionCite: snap.cite(r.unreferredRatioReduction),
    excludedFromCriticalIllness: excluded ? snap.value<boolean>(excluded, false) : false,
    excludedCite: excluded ? snap.cite(excluded) : null,
    missing: snap.missing,
  };
}

/** A layer's figures for one group of people, as parameters. */
interface LayerParams {
  threshold: Param;
  ratio: Param;
  cap: Param;
  /** A flag lifting the cap (取消封顶线). */
  uncapped?: Param | undefined;
}

function layerTable(snap: Snapshot, p: LayerParams): LayerTable {
  const noCap = p.uncapped ? snap.value<boolean>(p.uncapped, false) : false;
  const capParam = noCap ? (p.uncapped as Param) : p.cap;
  return {
    threshold: snap.value<number>(p.threshold, 0),
    thresholdCite: snap.cite(p.threshold),
    ratio: snap.value<number>(p.ratio, 0),
    ratioCite: snap.cite(p.ratio),
    cap: noCap ? null : snap.value<number>(capParam, 0),
    capCite: snap.cite(capParam),
    missing: snap.missing,
  };
}

/** One later layer of the fund chain, its figures compiled for the day: for everyone (general) and by group. */
function compileLayer(
  pack: PolicyPack,
  day: DayNumber,
  l: Pick<CompiledLayer, 'kind' | 'label' | 'citation' | 'scheme' | 'baseBucket' | 'paidBucket'> & {
    visitTypes: Param;
    general: LayerParams | null;
    groups: [Hardship, LayerParams][];
  },
): CompiledLayer {
  const head = new Snapshot(day);
  const visitTypes = new Set(head.value<string[]>(l.visitTypes, []));
  const groups: Partial<Record<Hardship, LayerTable>> = {};
  for (const [g, p] of l.groups) groups[g] = layerTable(new Snapshot(day), p);
  return {
    pack,
    kind: l.kind,
    label: l.label,
    citation: l.citation,
    scheme: l.scheme,
    visitTypes,
    visitTypesCite: head.cite(l.visitTypes),
    baseBucket: l.baseBucket,
    paidBucket: l.paidBucket,
    general: l.general === null ? null : layerTable(new Snapshot(day), l.general),
    groups,
    missing: head.missing,
  };
}

function compileCriticalIllness(pack: PolicyPack, day: DayNumber): CompiledLayer | undefined {
  const c = pack.criticalIllness;
  if (!c) return undefined;
  return compileLayer(pack, day, {
    kind: 'critical-illness',
    label: '大病保险',
    citation: c.citation,
    scheme: c.scheme,
    visitTypes: c.visitTypes,
    baseBucket: CRITICAL_ILLNESS_BASE,
    paidBucket: CRITICAL_ILLNESS_PAID,
    general: c,
    // A group's own threshold and ratio where it has them; the general cap unless lifted.
    groups: (Object.entries(c.groups) as [Hardship, NonNullable<(typeof c.groups)[Hardship]>][]).map(([g, o]) => [
      g,
      { threshold: o.threshold ?? c.threshold, ratio: o.ratio ?? c.ratio, cap: c.cap, uncapped: o.uncapped },
    ]),
  });
}

function compileAssistance(pack: PolicyPack, day: DayNumber): CompiledLayer | undefined {
  const m = pack.medicalAssistance;
  if (!m) return undefined;
  return compileLayer(pack, day, {
    kind: 'assistance',
    label: '医疗救助',
    citation: m.citation,
    scheme: null,
    visitTypes: m.visitTypes,
    baseBucket: ASSISTANCE_BASE,
    paidBucket: ASSISTANCE_PAID,
    // Only the groups listed are assisted.
    general: null,
    groups: Object.entries(m.groups) as [Hardship, LayerParams][],
  });
}

/** The first pack of the chain (the most local) that compiles to something. */
function firstOf<T>(chain: readonly PolicyPack[], compile: (pack: PolicyPack) => T | undefined): T | undefined {
  for (const pack of chain) {
    const found = compile(pack);
    if (found) return found;
  }
  return undefined;
}

/** Compiles one segment of a region's history. */
export function compileSegment(segment: Segment): CompiledSegment {
  const benefits: (CompiledBenefit | undefined)[] = [];
  for (const scheme of SCHEMES) {
    for (const visitType of VISIT_TYPES) {
      let found: CompiledBenefit | undefined;
      for (const pack of segment.chain) {
        const b = pack.benefits.find((x) => x.scheme === scheme && x.visitType === visitType);
        if (b) {
          found = compileBenefit(b, pack, segment.from);
          break;
        }
      }
      benefits[benefitSlot(SCHEME_INDEX[scheme] as number, VISIT_TYPE_INDEX[visitType] as number)] = found;
    }
  }
  const day = segment.from;
  return {
    from: segment.from,
    to: segment.to,
    chain: segment.chain,
    benefits,
    enrollment: firstOf(segment.chain, (p) => compileEnrollment(p, day)),
    referral: firstOf(segment.chain, (p) => compileReferral(p, day)),
    criticalIllness: firstOf(segment.chain, (p) => compileCriticalIllness(p, day)),
    assistance: firstOf(segment.chain, (p) => compileAssistance(p, day)),
  };
}

/** A region's compiled history, searched by day. */
export class CompiledRegion {
  readonly segments: CompiledSegment[];
  private last = 0;
  constructor(
    policies: PolicySet,
    readonly code: string,
  ) {
    this.segments = policies.timeline(code).map(compileSegment);
  }

  /** The segment containing a day, or undefined before the first. */
  at(day: DayNumber): CompiledSegment | undefined {
    const segs = this.segments;
    // Visits come mostly in date order: try the last hit first.
    const hint = segs[this.last];
    if (hint && hint.from <= day && (hint.to === null || day <= hint.to)) return hint;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i] as CompiledSegment;
      if (s.from <= day && (s.to === null || day <= s.to)) {
        this.last = i;
        return s;
      }
    }
    return undefined;
  }
}
