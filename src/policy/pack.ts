/**
 * A policy file's parsed contents → schema check → meaning check → {@link PolicyPack}. A file that
 * is malformed, uncited or inconsistent is rejected whole ({@link PolicyFileError}).
 */
import { parseDate } from '../calendar/calendar.js';
import { CATEGORIES, HARDSHIP_GROUPS } from '../domain.js';
import { floorsFileProblems } from './floor-targets.js';
import type { Param, PolicyPack } from './model.js';
import { buildParam, type ParamContext } from './param.js';
import { PolicyFileError, Problems } from './problems.js';
import { formatIssues, policyFile, type PolicyFile } from './schema.js';
import { buildAccount, buildBenefit, buildChainSections, buildContributions, buildMaternityGrant, checkOneBenefitPerVisitType } from './sections.js';

/** Builds a pack from the parsed contents of a policy file. */
export function buildPack(file: string, data: unknown): PolicyPack {
  const parsed = policyFile.safeParse(data);
  if (!parsed.success) throw new PolicyFileError(file, formatIssues(parsed.error.issues));
  const f: PolicyFile = parsed.data;
  const problems = new Problems();
  const from = parseDate(f.effective.from);
  const to = f.effective.to === null ? null : parseDate(f.effective.to);
  if (from === undefined) throw new PolicyFileError(file, [`effective.from: ${f.effective.from} is not a real date`]);
  if (to === undefined) throw new PolicyFileError(file, [`effective.to: ${f.effective.to} is not a real date`]);
  const params = new Map<string, Param>();
  const ctx: ParamContext = {
    document: f.document.number,
    effectiveFrom: from,
    effectiveTo: to,
    supplied: 'document',
    problems,
    params,
  };
  const benefitIds = new Set<string>();
  const benefits = f.benefits.map((b, i) => {
    if (benefitIds.has(b.id)) problems.add(`benefits.${b.id}`, 'benefit id is used twice');
    benefitIds.add(b.id);
    return buildBenefit(b, i, ctx);
  });
  checkOneBenefitPerVisitType(benefits, problems, (b) => `benefits.${b.id}`);
  const accountKinds = new Set<string>();
  const accounts = f.accounts.map((a) => {
    if (accountKinds.has(a.kind)) problems.add(`accounts.${a.kind}`, 'a second set of rules for this account kind');
    accountKinds.add(a.kind);
    return buildAccount(a, ctx);
  });
  let enrollment: PolicyPack['enrollment'];
  if (f.enrollment) {
    const e = f.enrollment;
    enrollment = {
      concentratedPeriod: buildParam(e.concentratedPeriod, 'enrollment.concentratedPeriod', ctx, ['month-day-range']),
      coverageAfterConcentrated: buildParam(e.coverageAfterConcentrated, 'enrollment.coverageAfterConcentrated', ctx, ['rule']),
      waitingDays: buildParam(e.waitingDays, 'enrollment.waitingDays', ctx, ['days']),
      waitExemptCategories: buildParam(e.waitExemptCategories, 'enrollment.waitExemptCategories', ctx, ['list']),
      waitExemptHardship: buildParam(e.waitExemptHardship, 'enrollment.waitExemptHardship', ctx, ['list']),
      waitExemptTransfer: buildParam(e.waitExemptTransfer, 'enrollment.waitExemptTransfer', ctx, ['flag']),
    };
    for (const v of enrollment.waitExemptCategories.versions)
      for (const c of (v.value as string[] | null) ?? [])
        if (!(CATEGORIES as readonly string[]).includes(c)) problems.add('enrollment.waitExemptCategories', `${c} is not a category (${CATEGORIES.join(', ')})`);
    for (const v of enrollment.waitExemptHardship.versions)
      for (const c of (v.value as string[] | null) ?? [])
        if (!(HARDSHIP_GROUPS as readonly string[]).includes(c)) problems.add('enrollment.waitExemptHardship', `${c} is not a hardship group (${HARDSHIP_GROUPS.join(', ')})`);
  }
  const contributions = f.contributions ? buildContributions(f.contributions, ctx) : undefined;
  const chain = buildChainSections(f, ctx);
  const maternityGrant = f.maternityGrant ? buildMaternityGrant(f.maternityGrant, ctx) : undefined;
  const groups: PolicyPack['groups'] = {};
  for (const [group, entries] of Object.entries(f.parameters)) {
    groups[group] = {};
    for (const [name, p] of Object.entries(entries)) {
      (groups[group] as Record<string, Param>)[name] = buildParam(p, `parameters.${group}.${name}`, ctx);
    }
  }
  const reported = (path: string) => problems.list.some((line) => line.startsWith(`${path}:`) || line.startsWith(`${path}[`));
  for (const [path, problem] of floorsFileProblems(f.role, params, reported)) problems.add(path, problem);
  if (problems.list.length > 0) throw new PolicyFileError(file, problems.list);
  const pack: PolicyPack = {
    id: f.id,
    file,
    document: f.document,
    region: { code: f.region.code, name: f.region.name, aliases: f.region.aliases },
    role: f.role,
    schemes: f.schemes,
    effective: { from, to, citation: `${f.document.number} ${f.effective.source}` },
    benefits,
    accounts,
    ...chain,
    groups,
    params,
    overlays: [],
  };
  if (f.region.parent) pack.region.parent = f.region.parent;
  if (f.effective.quote) pack.effective.quote = f.effective.quote;
  if (f.effective.note) pack.effective.note = f.effective.note;
  if (enrollment) pack.enrollment = enrollment;
  if (contributions) pack.contributions = contributions;
  if (maternityGrant) pack.maternityGrant = maternityGrant;
  return pack;
}
