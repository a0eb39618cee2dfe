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
import { CATEGORIES, GRADES, SCHEMES, TIERS, VISIT_TYPES, type Category, type Hardship } from '../domain.js';
import type { Fen, BasisPoints } from '../money/money.js';
import { versionAt, type AmountLimitBenefit, type Benefit, type MonthDayRange, type Param, type PolicyPack, type PoolingBenefit } from '../policy/model.js';
import type { PolicySet, Segment } from '../policy/registry.js';
import type { MissingParameter } from './errors.js';

export const TIER_INDEX: Record<string, number> = Object.fromEntries(TIERS.map((t, i) => [t, i]));
export const CATEGORY_INDEX: Record<string, number> = Object.fromEntries(CATEGORIES.map((c, i) => [c, i]));
export const SCHEME_INDEX: Record<string, number> = Object.fromEntries(SCHEMES.map((s, i) => [s, i]));
export const VISIT_TYPE_INDEX: Record<string, number> = Object.fromEntries(VISIT_TYPES.map((v, i) => [v, i]));
export const benefitSlot = (scheme: number, visitType: number) => scheme * VISIT_TYPES.length + visitType;

// The same indexes as the tables above, for the settlement's hot path: a switch over the words
// of the domain instead of a keyed property lookup; a word added to the domain and not yet here
// is found in the table. -1 for anything else.

/** The index a table gives a word, or -1 (not for Object.prototype's names). */
function indexIn(table: Record<string, number>, word: string): number {
  const i = Object.hasOwn(table, word) ? table[word] : undefined;
  return typeof i === 'number' ? i : -1;
}

/** Index in TIERS, or -1. */
export function tierIndex(tier: string): number {
  switch (tier) {
    case 'primary': return 0;
    case 'county': return 1;
    case 'city': return 2;
    case 'province': return 3;
    default: return indexIn(TIER_INDEX, tier);
  }
}

/** Index in CATEGORIES, or -1. */
export function categoryIndex(category: string): number {
  switch (category) {
    case 'adult': return 0;
    case 'child': return 1;
    case 'student': return 2;
    case 'newborn': return 3;
    case 'active': return 4;
    case 'retired': return 5;
    default: return indexIn(CATEGORY_INDEX, category);
  }
}

/** Index in SCHEMES, or -1. */
export function schemeIndex(scheme: string): number {
  switch (scheme) {
    case 'resident': return 0;
    case 'employee': return 1;
    default: return indexIn(SCHEME_INDEX, scheme);
  }
}

/** Index in VISIT_TYPES, or -1. */
export function visitTypeIndex(visitType: string): number {
  switch (visitType) {
    case 'outpatient': return 0;
    case 'two-diseases': return 1;
    case 'birth-natural': return 2;
    case 'birth-cesarean': return 3;
    case 'prenatal': return 4;
    case 'inpatient': return 5;
    default: return indexIn(VISIT_TYPE_INDEX, visitType);
  }
}

for (const [words, index] of [
  [TIERS, tierIndex],
  [CATEGORIES, categoryIndex],
  [SCHEMES, schemeIndex],
  [VISIT_TYPES, visitTypeIndex],
] as const) {
  words.forEach((w, i) => {
    if (index(w) !== i) throw new Error(`engine index tables disagree with the domain at ${w}`);
  });
}

/** A value used in a settlement, with where it came from, for the trace. */
export interface Cite {
  path: string;
  label: string;
  text: string;
  citation: string;
  quote?: string;
  note?: string;
  /** Supplied by a user's policy file rather than the document. */
  userSupplied: boolean;
}

export interface CompiledClass {
  id: string;
  label: string;
  deductible: Fen;
  deductibleCite: Cite;
  ratio: BasisPoints;
  ratioCite: Cite;
}

/** The pooling rule for one person category. */
export interface PoolingTable {
  classes: CompiledClass[];
  /** Class index by `tier * 4 + grade`. */
  classify: Int8Array;
  cap: Fen;
  capCite: Cite;
  ratioBonus: BasisPoints;
  ratioBonusCite: Cite | null;
  familyDoctorBonus: BasisPoints;
  familyDoctorBonusCite: Cite | null;
  /** Bit per tier index: where the family-doctor bonus may apply. */
  familyDoctorTierMask: number;
  /** Non-empty: this table cannot settle until these are supplied. */
  missing: MissingParameter[];
}

export const WINDOW_NONE = 0;
/**
 * The China calendar day, 0:00 to 24:00 (同一自然日; Puyang's 当日（24小时） is read the same way:
 * a window of 24 hours from whichever visit was settled first would depend on the order of
 * settling, see accumulators.ts DeductibleWindow).
 */
export const WINDOW_NATURAL_DAY = 1;
/** Every visit (every stay) bears its own deductible: nothing carried between visits. */
export const WINDOW_PER_VISIT = 3;

interface CompiledCommon {
  pack: PolicyPack;
  benefitId: string;
  label: string;
  citation: string;
  contractedOnly: boolean;
  contractedCite: Cite;
}

export interface CompiledPooling extends CompiledCommon {
  kind: 'pooling';
  bucket: string;
  window: number;
  windowCite: Cite | null;
  /** By category index; undefined where the category does not belong to the benefit's scheme. */
  tables: (PoolingTable | undefined)[];
  /** 住院期间不享受: the benefit pays nothing for a visit made while the person is in hospital. */
  notDuringStay: Cite | null;
  /** Only for those whose personal-account structure was adjusted (调整个人账户结构): where it says so. */
  accountReformRequired: Cite | null;
}

export interface CompiledAmountLimit extends CompiledCommon {
  kind: 'amount-limit';
  amount: Fen;
  amountCite: Cite;
  missing: MissingParameter[];
}

export type CompiledBenefit = CompiledPooling | CompiledAmountLimit;

export interface CompiledEnrollment {
  pack: PolicyPack;
  concentrated: MonthDayRange | null;
  concentratedCite: Cite;
  coverageCite: Cite;
  waitingDays: number;
  waitingCite: Cite;
  exemptCategories: ReadonlySet<Category>;
  exemptHardship: ReadonlySet<Hardship>;
  exemptTransfer: boolean;
  /** Where the categories (新生儿), the hardship groups (困难群众) and transfers are exempted. */
  exemptCite: Cite;
  exemptHardshipCite: Cite;
  exemptTransferCite: Cite;
  missing: MissingParameter[];
}

/** 转诊: the ratio lowered for treatment outside the county without referral. */
export interface CompiledReferral {
  pack: PolicyPack;
  reduction: BasisPoints;
  reductionCite: Cite;
  /** The lowered part is left out of the critical-illness self-paid total. */
  excludedFromCriticalIllness: boolean;
  excludedCite: Cite | null;
  missing: MissingParameter[];
}

/** A yearly layer of the fund chain for one group of people: threshold, ratio and cap (null: none). */
export interface LayerTable {
  threshold: Fen;
  thresholdCite: Cite;
  ratio: BasisPoints;
  ratioCite: Cite;
  cap: Fen | null;
  capCite: Cite;
  missing: MissingParameter[];
}

/**
 * A layer of the fund chain after the basic fund (大病保险, 医疗救助): what the person paid of the
 * in-catalogue cost of the listed visit types, summed over the year, above the threshold, at the
 * ratio, to the cap.
 */
export interface CompiledLayer {
  pack: PolicyPack;
  kind: 'critical-illness' | 'assistance';
  label: string;
  citation: string;
  /** The scheme it covers, or null for both. */
  scheme: string | null;
  visitTypes: ReadonlySet<string>;
  visitTypesCite: Cite;
  /** Accumulator buckets: the year's counted self-paid cost, and what the layer paid. */
  baseBucket: string;
  paidBucket: string;
  /** For people in no listed hardship group; null when the layer is for the groups only. */
  general: LayerTable | null;
  groups: Partial<Record<Hardship, LayerTable>>;
  missing: MissingParameter[];
}

export interface CompiledSegment {
  from: DayNumber;
  to: DayNumber | null;
  chain: PolicyPack[];
  /** By benefitSlot(scheme, visitType). */
  benefits: (CompiledBenefit | undefined)[];
  enrollment: CompiledEnrollment | undefined;
  referral: CompiledReferral | undefined;
  criticalIllness: CompiledLayer | undefined;
  assistance: CompiledLayer | undefined;
}

/** Accumulator buckets of the fund chain's later layers. */
export const CRITICAL_ILLNESS_BASE = 'critical-illness-self-paid';
export const CRITICAL_ILLNESS_PAID = 'critical-illness';
export const ASSISTANCE_BASE = 'assistance-self-paid';
export const ASSISTANCE_PAID = 'assistance';

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
        citation: v?.citation ?? (param.versions[0]?.citation ?? '（无）'),
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

const SCHEME_CATEGORIES: Record<string, readonly Category[]> = {
  resident: ['adult', 'child', 'student', 'newborn'],
  employee: ['active', 'retired'],
};

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
    if (table.classes.some((c, i) => c.deductible > 0 || table.missing.some((m) => m.path.includes(`.classes.${b.classes[i]?.id}.deductible`))))
      needsWindow = true;
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
  constructor(policies: PolicySet, readonly code: string) {
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
