/**
 * The sections of a policy file built into the pack's model: benefits, the fund chain past the basic
 * fund (大病保险, 转诊, 医疗救助), the maternity grant, the residents' contributions, accounts.
 */
import { formatDate } from '../calendar/calendar.js';
import { COUNTY_TYPE_LABELS, COUNTY_TYPES, GRADES, HARDSHIP_GROUPS, TIERS, VISIT_TYPES, type Category, type Hardship } from '../domain.js';
import type {
  AccountRules,
  Benefit,
  CategoryOverride,
  ContributionRules,
  CriticalIllnessRules,
  InstitutionClass,
  MaternityGrantRules,
  MedicalAssistanceRules,
  Param,
  PolicyPack,
  ReferralRules,
  SubsidyLevels,
} from './model.js';
import { buildParam, sectionCitation, type ParamContext } from './param.js';
import type { Problems } from './problems.js';
import {
  ACCOUNT_PARAMS,
  MONEY_UNITS,
  type AccountParamKey,
  type AccountRulesFile,
  type BenefitFile,
  type ContributionRulesFile,
  type CriticalIllnessRulesFile,
  type MaternityGrantRulesFile,
  type MedicalAssistanceRulesFile,
  type ParamFile,
  type ReferralRulesFile,
  type Unit,
} from './schema.js';
import { LABELS } from './values.js';

export function buildBenefit(b: BenefitFile, index: number, ctx: ParamContext): Benefit {
  const base = `benefits.${b.id}`;
  const common = {
    id: b.id,
    label: b.label,
    visitType: b.visitType,
    scheme: b.scheme,
    citation: sectionCitation(ctx, b.source),
    contractedOnly: buildParam(b.contractedOnly, `${base}.contractedOnly`, ctx, ['flag']),
  };
  if (b.kind === 'amount-limit') {
    return { ...common, kind: 'amount-limit', amount: buildParam(b.amount, `${base}.amount`, ctx, MONEY_UNITS) };
  }
  const classIds = new Set<string>();
  const classes: InstitutionClass[] = b.classes.map((c) => {
    if (classIds.has(c.id)) ctx.problems.add(`${base}.classes.${c.id}`, 'class id is used twice');
    classIds.add(c.id);
    return {
      id: c.id,
      label: c.label,
      tiers: c.match.tiers ?? [],
      grades: c.match.grades ?? [],
      deductible: buildParam(c.deductible, `${base}.classes.${c.id}.deductible`, ctx, MONEY_UNITS),
      ratio: buildParam(c.ratio, `${base}.classes.${c.id}.ratio`, ctx, ['percent']),
    };
  });
  for (const tier of TIERS) {
    for (const grade of GRADES) {
      if (!classes.some((c) => c.tiers.includes(tier) || c.grades.includes(grade))) ctx.problems.add(`${base}.classes`, `no class matches a ${tier} institution of grade ${grade}`);
    }
  }
  const categories: Partial<Record<Category, CategoryOverride>> = {};
  for (const [cat, o] of Object.entries(b.categories ?? {}) as [
    Category,
    NonNullable<BenefitFile & { kind: 'pooling' }>['categories'] extends infer R ? (R extends Record<string, infer V> ? V : never) : never,
  ][]) {
    if (!o) continue;
    const p = `${base}.categories.${cat}`;
    const override: CategoryOverride = { classes: {} };
    if (o.cap) override.cap = buildParam(o.cap, `${p}.cap`, ctx, MONEY_UNITS);
    if (o.ratioBonus) override.ratioBonus = buildParam(o.ratioBonus, `${p}.ratioBonus`, ctx, ['percentage-points']);
    for (const [classId, co] of Object.entries(o.classes ?? {})) {
      if (!classIds.has(classId)) ctx.problems.add(`${p}.classes.${classId}`, `there is no class ${classId} in ${base}.classes`);
      const entry: { deductible?: Param; ratio?: Param } = {};
      if (co.deductible) entry.deductible = buildParam(co.deductible, `${p}.classes.${classId}.deductible`, ctx, MONEY_UNITS);
      if (co.ratio) entry.ratio = buildParam(co.ratio, `${p}.classes.${classId}.ratio`, ctx, ['percent']);
      override.classes[classId] = entry;
    }
    categories[cat] = override;
  }
  void index;
  const benefit: Benefit = {
    ...common,
    kind: 'pooling',
    capBucket: b.capBucket,
    classes,
    cap: buildParam(b.cap, `${base}.cap`, ctx, MONEY_UNITS),
    familyDoctorTiers: b.familyDoctorTiers ?? [],
    categories,
  };
  if (b.deductibleWindow) benefit.deductibleWindow = buildParam(b.deductibleWindow, `${base}.deductibleWindow`, ctx, ['rule']);
  if (b.familyDoctorBonus && !b.familyDoctorTiers) ctx.problems.add(`${base}.familyDoctorTiers`, 'name the tiers of signed institutions at which familyDoctorBonus applies');
  if (b.familyDoctorBonus) benefit.familyDoctorBonus = buildParam(b.familyDoctorBonus, `${base}.familyDoctorBonus`, ctx, ['percentage-points']);
  if (b.notDuringStay) benefit.notDuringStay = buildParam(b.notDuringStay, `${base}.notDuringStay`, ctx, ['flag']);
  if (b.accountReformRequired) benefit.accountReformRequired = buildParam(b.accountReformRequired, `${base}.accountReformRequired`, ctx, ['flag']);
  return benefit;
}

/** Checks that every version of a list parameter names only visit types. */
function checkVisitTypes(param: Param, ctx: ParamContext): void {
  for (const v of param.versions)
    for (const t of (v.value as string[] | null) ?? [])
      if (!(VISIT_TYPES as readonly string[]).includes(t)) ctx.problems.add(param.path, `${t} is not a visit type (${VISIT_TYPES.join(', ')})`);
}

/** 大病保险. */
function buildCriticalIllness(c: CriticalIllnessRulesFile, ctx: ParamContext): CriticalIllnessRules {
  const base = 'criticalIllness';
  const visitTypes = buildParam(c.visitTypes, `${base}.visitTypes`, ctx, ['list']);
  checkVisitTypes(visitTypes, ctx);
  const groups: CriticalIllnessRules['groups'] = {};
  for (const [g, rules] of Object.entries(c.groups ?? {}) as [Hardship, NonNullable<CriticalIllnessRulesFile['groups']>[Hardship]][]) {
    if (!rules) continue;
    const p = `${base}.groups.${g}`;
    groups[g] = {
      ...(rules.threshold ? { threshold: buildParam(rules.threshold, `${p}.threshold`, ctx, MONEY_UNITS) } : {}),
      ...(rules.ratio ? { ratio: buildParam(rules.ratio, `${p}.ratio`, ctx, ['percent']) } : {}),
      ...(rules.uncapped ? { uncapped: buildParam(rules.uncapped, `${p}.uncapped`, ctx, ['flag']) } : {}),
    };
  }
  return {
    citation: sectionCitation(ctx, c.source),
    scheme: c.scheme,
    visitTypes,
    threshold: buildParam(c.threshold, `${base}.threshold`, ctx, MONEY_UNITS),
    ratio: buildParam(c.ratio, `${base}.ratio`, ctx, ['percent']),
    cap: buildParam(c.cap, `${base}.cap`, ctx, MONEY_UNITS),
    groups,
  };
}

/** 转诊. */
function buildReferral(r: ReferralRulesFile, ctx: ParamContext): ReferralRules {
  const rules: ReferralRules = {
    citation: sectionCitation(ctx, r.source),
    unreferredRatioReduction: buildParam(r.unreferredRatioReduction, 'referral.unreferredRatioReduction', ctx, ['percentage-points']),
  };
  if (r.reductionExcludedFromCriticalIllness)
    rules.reductionExcludedFromCriticalIllness = buildParam(r.reductionExcludedFromCriticalIllness, 'referral.reductionExcludedFromCriticalIllness', ctx, ['flag']);
  return rules;
}

/** 医疗救助. */
function buildMedicalAssistance(m: MedicalAssistanceRulesFile, ctx: ParamContext): MedicalAssistanceRules {
  const base = 'medicalAssistance';
  const visitTypes = buildParam(m.visitTypes, `${base}.visitTypes`, ctx, ['list']);
  checkVisitTypes(visitTypes, ctx);
  const groups: MedicalAssistanceRules['groups'] = {};
  for (const [g, rules] of Object.entries(m.groups) as [Hardship, NonNullable<MedicalAssistanceRulesFile['groups'][Hardship]>][]) {
    if (!rules) continue;
    const p = `${base}.groups.${g}`;
    groups[g] = {
      threshold: buildParam(rules.threshold, `${p}.threshold`, ctx, MONEY_UNITS),
      ratio: buildParam(rules.ratio, `${p}.ratio`, ctx, ['percent']),
      cap: buildParam(rules.cap, `${p}.cap`, ctx, MONEY_UNITS),
    };
  }
  return { citation: sectionCitation(ctx, m.source), visitTypes, groups };
}

/** The units each condition of the maternity grant is written in. */
const MATERNITY_GRANT_UNITS = {
  claimantScheme: ['rule'],
  claimantSex: ['rule'],
  claimantInsured: ['flag'],
  contributionsPaid: ['flag'],
  flexibleWorkersExcluded: ['flag'],
  employerInsuredYears: ['years'],
  spouseWithoutEmployer: ['flag'],
  noResidentMaternityBenefit: ['flag'],
} as const satisfies Record<Exclude<keyof MaternityGrantRules, 'citation' | 'label' | 'amount'>, readonly Unit[]>;

/** 一次性生育补助金. */
export function buildMaternityGrant(g: MaternityGrantRulesFile, ctx: ParamContext): MaternityGrantRules {
  const rules: MaternityGrantRules = {
    citation: sectionCitation(ctx, g.source),
    label: g.label,
    amount: buildParam(g.amount, 'maternityGrant.amount', ctx, MONEY_UNITS),
  };
  for (const [key, units] of Object.entries(MATERNITY_GRANT_UNITS) as [keyof typeof MATERNITY_GRANT_UNITS, readonly Unit[]][]) {
    const file = g[key];
    if (file) rules[key] = buildParam(file, `maternityGrant.${key}`, ctx, units);
  }
  return rules;
}

/** The sections of the fund chain past the basic fund, built from a policy or user file. */
export function buildChainSections(
  f: { criticalIllness?: CriticalIllnessRulesFile | undefined; referral?: ReferralRulesFile | undefined; medicalAssistance?: MedicalAssistanceRulesFile | undefined },
  ctx: ParamContext,
): Pick<PolicyPack, 'criticalIllness' | 'referral' | 'medicalAssistance'> {
  return {
    ...(f.criticalIllness ? { criticalIllness: buildCriticalIllness(f.criticalIllness, ctx) } : {}),
    ...(f.referral ? { referral: buildReferral(f.referral, ctx) } : {}),
    ...(f.medicalAssistance ? { medicalAssistance: buildMedicalAssistance(f.medicalAssistance, ctx) } : {}),
  };
}

/** A second benefit for the same scheme and visit type is a problem. */
export function checkOneBenefitPerVisitType(benefits: readonly Benefit[], problems: Problems, where: (b: Benefit) => string): void {
  const seen = new Set<string>();
  for (const b of benefits) {
    const key = `${b.scheme}/${b.visitType}`;
    if (seen.has(key)) problems.add(where(b), `a second benefit for ${b.scheme} ${b.visitType} visits`);
    seen.add(key);
  }
}

/**
 * The residents' contributions section. Every version covers whole funding years (1 January to
 * 31 December, or open), so that a funding year reads one version of each parameter.
 */
export function buildContributions(c: ContributionRulesFile, ctx: ParamContext): ContributionRules {
  const built: Param[] = [];
  const param = (file: ParamFile, path: string, units: readonly Unit[], label?: string): Param => {
    const p = buildParam(file, `contributions.${path}`, ctx, units);
    if (label) p.label = label;
    built.push(p);
    return p;
  };
  const yearly = ['yuan-per-year'] as const;
  const rules: ContributionRules = {
    citation: sectionCitation(ctx, c.source),
    subsidyStandard: param(c.subsidyStandard, 'subsidyStandard', yearly),
    individual: param(c.individual, 'individual', yearly),
    assistance: {},
  };
  if (c.fundingStandard) rules.fundingStandard = param(c.fundingStandard, 'fundingStandard', yearly);
  if (c.criticalIllnessFunding) rules.criticalIllnessFunding = param(c.criticalIllnessFunding, 'criticalIllnessFunding', yearly);
  if (c.subsidyShares) {
    const shares = {} as NonNullable<ContributionRules['subsidyShares']>;
    for (const type of COUNTY_TYPES) {
      const f = c.subsidyShares[type];
      const level = (key: 'central' | 'province' | 'city' | 'county') => {
        const file = f[key];
        return file && param(file, `subsidyShares.${type}.${key}`, ['yuan-per-year', 'percent'], `${COUNTY_TYPE_LABELS[type]}${LABELS[key]}`);
      };
      const levels: SubsidyLevels = { central: level('central') as Param };
      for (const key of ['province', 'city', 'county'] as const) {
        const p = level(key);
        if (p) levels[key] = p;
      }
      shares[type] = levels;
    }
    rules.subsidyShares = shares;
  }
  for (const group of HARDSHIP_GROUPS) {
    const file = c.assistance?.[group];
    if (file) rules.assistance[group] = param(file, `assistance.${group}`, ['rule', 'yuan-per-year']);
  }
  for (const p of built) {
    for (const v of p.versions) {
      const to = v.to === null ? null : formatDate(v.to);
      if (!formatDate(v.from).endsWith('-01-01') || (to !== null && !to.endsWith('-12-31')))
        ctx.problems.add(p.path, `contributions are set by funding year: from must be 1 January and to 31 December (or open), got ${formatDate(v.from)} – ${to ?? ''}`);
    }
  }
  return rules;
}

export function buildAccount(a: AccountRulesFile, ctx: ParamContext): AccountRules {
  const base = `accounts.${a.kind}`;
  const params: AccountRules['params'] = {};
  const groups: Record<string, Record<string, unknown> | undefined> = { credit: a.credit, uses: a.uses, closing: a.closing };
  const entries: [string, unknown][] = Object.entries(groups).flatMap(([g, v]) => Object.entries(v ?? {}).map(([k, p]) => [`${g}.${k}`, p] as [string, unknown]));
  if (a.carryOver) entries.push(['carryOver', a.carryOver]);
  for (const [key, file] of entries) {
    if (file === undefined) continue;
    const spec: { units: readonly Unit[]; members?: readonly string[] } = ACCOUNT_PARAMS[key as AccountParamKey];
    const param = buildParam(file as ParamFile, `${base}.${key}`, ctx, spec.units);
    for (const v of param.versions)
      for (const m of spec.members && Array.isArray(v.value) ? (v.value as string[]) : [])
        if (!spec.members?.includes(m)) ctx.problems.add(param.path, `${m} is not one of ${spec.members?.join(', ')}`);
    params[key as AccountParamKey] = param;
  }
  return { kind: a.kind, label: a.label, scheme: a.scheme, citation: sectionCitation(ctx, a.source), params };
}
