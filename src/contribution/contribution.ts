/**
 * Residents' contributions (城乡居民医保筹资): for a region, a funding year, a county type and a
 * hardship group, the per-person funding standard broken down into the individual contribution,
 * the fiscal subsidy by level, the assistance (资助参保) and what the person pays.
 *
 * Pure: reads the policies and the query, returns the breakdown with its explanation. No I/O, no
 * clock. Every figure comes from the `contributions` section of the governing policy file; the only
 * arithmetic is sums, differences and, where a document gives a level's share as a percentage,
 * that share of the subsidy (rounded half away from zero to the fen, as a payment).
 *
 * A figure the governing document does not give for the year (a standard it gives for another
 * year, a group's assistance it leaves to another text) is `null` and listed in `missing` with the
 * parameters it needs — MISSING_PARAMETER per figure — while the figures it does give are given:
 * 临医保发〔2019〕15号 sets 2019's subsidy and 2020's individual contribution, and each year's request
 * gets the one and is told the other is missing. Only a year for which the document gives neither
 * standard fails as a whole.
 *
 * The governing document is the region's own: a province's standard is a floor for its cities
 * (豫医保办〔2023〕71号 一 "不低于"), and a city's document may set the same figures for another
 * funding year (洛医保〔2023〕63号 一 makes them Luoyang's 2024年度), so a city is never given its
 * province's figures.
 */
import { yearOf, yearStart, type DayNumber } from '../calendar/calendar.js';
import { COUNTY_TYPE_LABELS, HARDSHIP_LABELS, type Hardship } from '../domain.js';
import { versionAt } from '../policy/model.js';
import { SettlementError, type MissingParameter } from '../engine/errors.js';
import type { TraceStep } from '../engine/types.js';
import { applyRate, formatYuan, type Fen } from '../money/money.js';
import type { ContributionRules, Param, ParamVersion, PolicyPack } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';
import { OptionRequiredError, type Bound, type Contribution, type ContributionQuery, type MissingFigure, type SubsidyBreakdown } from './types.js';

/** The Chinese names of the figures, for messages. */
const FIGURE_LABELS: Record<string, string> = {
  individual: '个人缴费标准',
  'subsidy.total': '人均财政补助标准',
  total: '筹资标准',
  assistance: '资助参保金额',
  payable: '个人应缴金额',
  criticalIllnessFunding: '大病保险人均筹资标准',
};

/** A parameter's version for the funding year (versions cover whole years; see the loader). */
interface Read {
  param: Param;
  version: ParamVersion | undefined;
}

const yuan = (fen: Fen) => `${formatYuan(fen)}元`;
const y = (fen: Fen) => fen / 100;
const BOUND_TEXT: Record<string, string> = { 'at-least': '不低于', about: '约', exactly: '' };

/** A document's sentence without its closing full stop, to be set inside another. */
const sentence = (text: string) => text.replace(/[。.]\s*$/, '');

function source(v: ParamVersion | undefined): string {
  if (!v) return '（无）';
  return v.supplied === 'user' ? `${v.citation}（用户提供）` : v.citation;
}

/** `不低于640.00元`: the value as the document bounds it. */
function boundedYuan(v: ParamVersion, fen: Fen): string {
  return `${BOUND_TEXT[v.bound ?? 'exactly'] ?? ''}${yuan(fen)}`;
}

/** The years a pack's contribution standards speak for, as text (`2019–2020`, `2024 起`). */
function yearsText(rules: ContributionRules): string {
  const years = new Set<string>();
  for (const p of [rules.subsidyStandard, rules.individual])
    for (const v of p.versions) years.add(v.to === null ? `${yearOf(v.from)}起` : yearOf(v.from) === yearOf(v.to) ? `${yearOf(v.from)}` : `${yearOf(v.from)}–${yearOf(v.to)}`);
  return [...years].sort().join('、');
}

function speaksFor(rules: ContributionRules, day: DayNumber): boolean {
  return versionAt(rules.subsidyStandard, day) !== undefined || versionAt(rules.individual, day) !== undefined;
}

/** The region's own pack that sets its contributions for the year (the newest, if several do). */
function governingPack(policies: PolicySet, q: ContributionQuery, day: DayNumber): PolicyPack & { contributions: ContributionRules } {
  const own = policies.packs
    .filter((p): p is PolicyPack & { contributions: ContributionRules } => p.region.code === q.region && p.contributions !== undefined)
    .sort((a, b) => b.effective.from - a.effective.from);
  const found = own.find((p) => speaksFor(p.contributions, day));
  if (found) return found;
  const region = policies.region(q.region);
  const known = policies
    .lineage(q.region)
    .flatMap((code) =>
      policies.packs
        .filter((p) => p.region.code === code && p.contributions)
        .map((p) => `${p.document.number}（${p.region.name} ${p.region.code}）${yearsText(p.contributions as ContributionRules)}年度`),
    );
  throw new SettlementError(
    'NO_CONTRIBUTION_STANDARD',
    `no document gives the residents' contribution standard of ${region?.name ?? q.region} (${q.region}) for funding year ${q.year}` +
      (known.length > 0 ? `; the documents give: ${known.join('; ')}` : '') +
      ". A region's standard is taken only from its own documents: a province's figures are floors for its cities.",
  );
}

function missingOf(r: Read, year: number): MissingParameter {
  const v = r.version;
  return {
    path: r.param.path,
    label: r.param.label,
    citation: v?.citation ?? r.param.versions[0]?.citation ?? '（无）',
    reason: v?.missing ?? `no value for funding year ${year}`,
  };
}

function failMissing(pack: PolicyPack, what: string, missing: MissingParameter[]): never {
  const list = missing.map((m) => `${m.path} (${m.label}; ${m.citation}: ${m.reason})`).join('; ');
  throw new SettlementError(
    'MISSING_PARAMETER',
    `cannot compute ${what} under ${pack.document.number}: missing parameter${missing.length > 1 ? 's' : ''} ${list}. Supply ${missing.length > 1 ? 'them' : 'it'} in a user policy file (--policy-file).`,
    missing,
  );
}

/** A figure marked missing, for want of the parameters listed. */
function missingFigure(pack: PolicyPack, year: number, figure: string, missing: MissingParameter[]): MissingFigure {
  const list = missing.map((m) => `${m.path} (${m.label}; ${m.citation}: ${m.reason})`).join('; ');
  return {
    figure,
    code: 'MISSING_PARAMETER',
    message: `${FIGURE_LABELS[figure] ?? figure} (${figure}) for funding year ${year} is not given by ${pack.document.number}: missing parameter${missing.length > 1 ? 's' : ''} ${list}. Supply ${missing.length > 1 ? 'them' : 'it'} in a user policy file (--policy-file).`,
    missing,
  };
}

/** A level of the subsidy: an amount, or a percentage of the subsidy (rounded to the fen). */
function levelAmount(v: ParamVersion, subsidy: Fen): Fen {
  return v.unit === 'percent' ? applyRate(subsidy, v.value as number) : (v.value as Fen);
}

function levelText(v: ParamVersion, subsidy: Fen, amount: Fen): string {
  return v.unit === 'percent' ? `人均财政补助标准${yuan(subsidy)} × ${v.text} = ${yuan(amount)}` : yuan(amount);
}

/**
 * Computes the breakdown.
 *
 * @throws SettlementError NO_CONTRIBUTION_STANDARD (no document of the region gives the year),
 *   MISSING_PARAMETER (the document refers to a figure it does not give), NO_ASSISTANCE_RULE (the
 *   document says nothing of the person's hardship group), INCONSISTENT_POLICY.
 * @throws OptionRequiredError when the group's rule is "may follow the 低保 standard" and the query
 *   does not say whether the locality does.
 */
export function computeContribution(policies: PolicySet, q: ContributionQuery): Contribution {
  const day = yearStart(q.year);
  const pack = governingPack(policies, q, day);
  const rules = pack.contributions;
  const read = (param: Param): Read => ({ param, version: versionAt(param, day) });
  const known = (r: Read): r is Read & { version: ParamVersion & { value: number } } => r.version !== undefined && r.version.value !== null;
  const trace: TraceStep[] = [];
  const bounds: Record<string, Bound> = {};
  const region = policies.region(q.region);
  const regionName = region?.name ?? q.region;
  const doc = pack.document.number;

  trace.push({
    step: 'policy',
    source: rules.citation,
    policy: doc,
    region: q.region,
    year: q.year,
    countyType: q.countyType,
    text: `${regionName}${q.year}年度城乡居民医保筹资（${COUNTY_TYPE_LABELS[q.countyType]}），适用${doc}。`,
  });

  // The standards: subsidy + individual = funding. What the document does not give for the year is
  // a missing figure; a year it gives neither for cannot be computed at all.
  const subsidyRead = read(rules.subsidyStandard);
  const individualRead = read(rules.individual);
  if (!known(subsidyRead) && !known(individualRead)) {
    failMissing(
      pack,
      `the ${q.year} contribution of ${regionName} (${q.region})`,
      [subsidyRead, individualRead].map((r) => missingOf(r, q.year)),
    );
  }
  const missing: MissingFigure[] = [];
  const subsidyMissing = known(subsidyRead) ? [] : [missingOf(subsidyRead, q.year)];
  const individualMissing = known(individualRead) ? [] : [missingOf(individualRead, q.year)];
  if (subsidyMissing.length > 0) missing.push(missingFigure(pack, q.year, 'subsidy.total', subsidyMissing));
  if (individualMissing.length > 0) missing.push(missingFigure(pack, q.year, 'individual', individualMissing));
  const sv = subsidyRead.version;
  const iv = individualRead.version;
  const subsidy = known(subsidyRead) ? subsidyRead.version.value : null;
  const individual = known(individualRead) ? individualRead.version.value : null;
  const total = subsidy !== null && individual !== null ? subsidy + individual : null;
  if (total === null) missing.push(missingFigure(pack, q.year, 'total', [...subsidyMissing, ...individualMissing]));
  if (subsidy !== null && sv?.bound === 'at-least') bounds['subsidy.total'] = 'at-least';
  if (total !== null && (sv?.bound === 'at-least' || iv?.bound === 'at-least')) bounds.total = 'at-least';
  const fundingRead = rules.fundingStandard ? read(rules.fundingStandard) : undefined;
  const fv = fundingRead && known(fundingRead) ? fundingRead.version : undefined;
  if (fv && total !== null && fv.value !== total) {
    throw new SettlementError(
      'INCONSISTENT_POLICY',
      `${doc}: the funding standard ${formatYuan(fv.value as Fen)} (${fv.citation}) is not the subsidy ${formatYuan(subsidy as Fen)} plus the individual contribution ${formatYuan(individual as Fen)}`,
    );
  }
  const part = (label: string, v: ParamVersion | undefined, fen: Fen | null) =>
    fen !== null && v ? `${label}${boundedYuan(v, fen)}` : `${label}：${doc}未规定${q.year}年度的标准${v?.missing ? `（${sentence(v.missing)}）` : ''}`;
  trace.push({
    step: 'standard',
    source: [...new Set([fv && total !== null && source(fv), sv && source(sv), iv && source(iv)].filter((s): s is string => !!s))].join('；'),
    total: total === null ? null : y(total),
    subsidy: subsidy === null ? null : y(subsidy),
    individual: individual === null ? null : y(individual),
    text:
      total !== null
        ? `${fv ? `筹资标准${boundedYuan(fv, total)}/人` : `筹资${yuan(total)}/人`} = ${part('人均财政补助标准', sv, subsidy)} + ${part('个人缴费标准', iv, individual)}。`
        : `${part('人均财政补助标准', sv, subsidy)}；${part('个人缴费标准', iv, individual)}；筹资标准无法合计。`,
  });

  const breakdown: SubsidyBreakdown =
    subsidy === null ? { total: null, central: null, province: null, city: null, county: null } : splitSubsidy(rules, q, subsidy, read, trace, bounds, doc);
  const { assistance, fixedFloor, full, missing: assistanceMissing } = assist(rules, q, individual, read, trace, doc);
  if (assistance === null) missing.push(missingFigure(pack, q.year, 'assistance', assistanceMissing));
  // Under full assistance the person pays nothing, whatever the standard.
  const payable = full ? 0 : individual !== null && assistance !== null ? individual - assistance : null;
  if (payable === null) missing.push(missingFigure(pack, q.year, 'payable', [...individualMissing, ...assistanceMissing]));
  if (fixedFloor) {
    bounds.assistance = 'at-least';
    if (payable !== null) bounds.payable = 'at-most';
  }

  const result: Contribution = {
    region: q.region,
    regionName,
    year: q.year,
    countyType: q.countyType,
    hardship: q.hardship ?? null,
    policy: doc,
    policyId: pack.id,
    total,
    individual,
    subsidy: breakdown,
    assistance,
    payable,
    bounds,
    missing,
    trace,
  };

  const ci = rules.criticalIllnessFunding ? read(rules.criticalIllnessFunding) : undefined;
  if (ci && known(ci)) {
    result.criticalIllnessFunding = ci.version.value;
    if (ci.version.bound === 'at-least') bounds.criticalIllnessFunding = 'at-least';
    trace.push({
      step: 'critical-illness',
      source: source(ci.version),
      criticalIllnessFunding: y(ci.version.value),
      text: `大病保险人均筹资标准${boundedYuan(ci.version, ci.version.value)}，从上述筹资中安排，不另加。`,
    });
  } else if (ci?.version) {
    // Named for the year, not given.
    result.criticalIllnessFunding = null;
    missing.push(missingFigure(pack, q.year, 'criticalIllnessFunding', [missingOf(ci, q.year)]));
  }

  const shown = (fen: Fen | null) => (fen === null ? '（文件未规定）' : yuan(fen));
  trace.push({
    step: 'result',
    total: total === null ? null : y(total),
    individual: individual === null ? null : y(individual),
    assistance: assistance === null ? null : y(assistance),
    payable: payable === null ? null : y(payable),
    text:
      `个人缴费标准${shown(individual)}，资助参保${fixedFloor && assistance !== null ? '不低于' : ''}${shown(assistance)}，个人应缴${fixedFloor && payable !== null ? '不高于' : ''}${shown(payable)}。` +
      (missing.length > 0 ? `未规定的：${missing.map((m) => FIGURE_LABELS[m.figure] ?? m.figure).join('、')}（需由用户政策文件提供）。` : ''),
  });
  return result;
}

/** The subsidy by level for the county type, as far as the document splits it. */
function splitSubsidy(
  rules: ContributionRules,
  q: ContributionQuery,
  subsidy: Fen,
  read: (p: Param) => Read,
  trace: TraceStep[],
  bounds: Record<string, Bound>,
  doc: string,
): SubsidyBreakdown {
  const unsplit: SubsidyBreakdown = { total: subsidy, central: null, province: null, city: null, county: null };
  const levels = rules.subsidyShares?.[q.countyType];
  const central = levels ? read(levels.central) : undefined;
  if (!central?.version || central.version.value === null) {
    trace.push({
      step: 'subsidy',
      source: central?.version ? source(central.version) : rules.citation,
      subsidy: y(subsidy),
      text: `${doc}未规定${q.year}年度${COUNTY_TYPE_LABELS[q.countyType]}各级财政补助的分担${central?.version?.missing ? `（${sentence(central.version.missing)}）` : ''}；人均财政补助${yuan(subsidy)}不拆分。`,
    });
    return unsplit;
  }
  const cv = central.version;
  const centralFen = levelAmount(cv, subsidy);
  const percentOfFloor = cv.unit === 'percent' && bounds['subsidy.total'] === 'at-least';
  if (percentOfFloor) bounds['subsidy.central'] = 'at-least';
  if (centralFen > subsidy) {
    throw new SettlementError('INCONSISTENT_POLICY', `${doc}: the central subsidy ${formatYuan(centralFen)} (${cv.citation}) exceeds the subsidy ${formatYuan(subsidy)}`);
  }
  trace.push({
    step: 'subsidy-central',
    source: source(cv),
    central: y(centralFen),
    text: `中央财政补助（${COUNTY_TYPE_LABELS[q.countyType]}）：${levelText(cv, subsidy, centralFen)}。`,
  });
  const rest = (['province', 'city', 'county'] as const).map((key) => ({ key, r: levels?.[key] ? read(levels[key] as Param) : undefined }));
  if (rest.every(({ r }) => r?.version !== undefined && r.version.value !== null)) {
    const amounts = rest.map(({ key, r }) => ({ key, v: r?.version as ParamVersion, fen: levelAmount(r?.version as ParamVersion, subsidy) }));
    const sum = centralFen + amounts.reduce((s, a) => s + a.fen, 0);
    if (sum !== subsidy) {
      throw new SettlementError('INCONSISTENT_POLICY', `${doc}: the ${q.countyType} county levels add up to ${formatYuan(sum)}, not the subsidy ${formatYuan(subsidy)}`);
    }
    const names = { province: '省级', city: '市级', county: '县级' } as const;
    trace.push({
      step: 'subsidy-levels',
      source: [...new Set(amounts.map((a) => source(a.v)))].join('；'),
      ...Object.fromEntries(amounts.map((a) => [a.key, y(a.fen)])),
      text: `${amounts.map((a) => `${names[a.key]}财政补助${levelText(a.v, subsidy, a.fen)}`).join('，')}；中央、省、市、县合计${yuan(sum)}。`,
    });
    const by = Object.fromEntries(amounts.map((a) => [a.key, a.fen])) as Record<'province' | 'city' | 'county', Fen>;
    return { total: subsidy, central: centralFen, province: by.province, city: by.city, county: by.county };
  }
  const local = subsidy - centralFen;
  if (percentOfFloor) bounds['subsidy.local'] = 'at-least';
  const open = rest.find(({ r }) => r?.version?.missing)?.r?.version;
  trace.push({
    step: 'subsidy-local',
    source: open ? source(open) : rules.citation,
    local: y(local),
    text: `地方财政补助：${yuan(subsidy)} − ${yuan(centralFen)} = ${yuan(local)}，由省、市、县分担；${open?.missing ? sentence(open.missing) : '文件未规定分担办法，不拆分'}。`,
  });
  return { ...unsplit, central: centralFen, local };
}

/**
 * The assistance for the person's hardship group; `fixedFloor` when it is a floor (不低于). Null
 * with `missing` when it cannot be known: the group's rule is missing, or it is the whole (or a
 * fixed amount up to the) individual contribution, which is missing.
 */
function assist(
  rules: ContributionRules,
  q: ContributionQuery,
  individual: Fen | null,
  read: (p: Param) => Read,
  trace: TraceStep[],
  doc: string,
): { assistance: Fen | null; fixedFloor: boolean; full: boolean; missing: MissingParameter[] } {
  const individualMissing = (): MissingParameter[] => (individual === null ? [missingOf(read(rules.individual), q.year)] : []);
  if (q.hardship === undefined) {
    trace.push({ step: 'assistance', assistance: 0, text: '不属于困难群众，无资助参保。' });
    return { assistance: 0, fixedFloor: false, full: false, missing: [] };
  }
  const groupRule = (group: Hardship): Read | MissingParameter => {
    const param = rules.assistance[group];
    const r = param ? read(param) : undefined;
    if (!param || !r?.version) {
      const named = Object.keys(rules.assistance)
        .map((g) => HARDSHIP_LABELS[g as Hardship])
        .join('、');
      throw new SettlementError(
        'NO_ASSISTANCE_RULE',
        `${doc} gives no assistance (资助参保) for ${HARDSHIP_LABELS[group]} (${group}) in funding year ${q.year}${named ? `; it names: ${named}` : ''}`,
      );
    }
    return r.version.value === null ? missingOf(r, q.year) : r;
  };
  /** The group's rule is missing: the assistance is a missing figure. */
  const open = (m: MissingParameter, group: Hardship) => {
    trace.push({ step: 'assistance', source: m.citation, assistance: null, text: `${HARDSHIP_LABELS[group]}：${doc}未规定资助参保标准（${sentence(m.reason)}）。` });
    return { assistance: null, fixedFloor: false, full: false, missing: [m] };
  };
  let group: Hardship = q.hardship;
  let found = groupRule(group);
  if (!('param' in found)) return open(found, group);
  let r: Read = found;
  const label = HARDSHIP_LABELS[q.hardship];
  if (r.version?.value === 'may-follow-dibao') {
    const v = r.version;
    if (q.followsDibao === undefined) {
      throw new OptionRequiredError(
        'followsDibao',
        `required for hardship ${q.hardship} under ${doc}: ${label}${v.text} (${v.citation}, may follow the 低保 standard); say whether the locality does, true or false`,
      );
    }
    trace.push({
      step: 'assistance-option',
      source: source(v),
      followsDibao: q.followsDibao,
      text: `${label}：${v.text}（${v.citation}）；按请求，当地${q.followsDibao ? '参照' : '不参照'}低保对象标准。`,
    });
    if (!q.followsDibao) {
      trace.push({ step: 'assistance', assistance: 0, text: `${label}不予资助参保，资助0.00元。` });
      return { assistance: 0, fixedFloor: false, full: false, missing: [] };
    }
    group = 'dibao';
    found = groupRule(group);
    if (!('param' in found)) return open(found, group);
    r = found;
  }
  const v = r.version as ParamVersion;
  if (v.value === 'full') {
    trace.push({
      step: 'assistance',
      source: source(v),
      assistance: individual === null ? null : y(individual),
      text: `${HARDSHIP_LABELS[group]}：全额资助参保，资助${individual === null ? '个人缴费标准全额（本年度个人缴费标准文件未规定），个人应缴0.00元' : `${yuan(individual)}（个人缴费标准全额）`}。`,
    });
    return { assistance: individual, fixedFloor: false, full: true, missing: individualMissing() };
  }
  if (v.value === 'may-follow-dibao') throw new SettlementError('INCONSISTENT_POLICY', `${doc}: the 低保 standard itself refers to the 低保 standard (${v.citation})`);
  const amount = individual === null ? null : Math.min(v.value as Fen, individual);
  trace.push({
    step: 'assistance',
    source: source(v),
    standard: y(v.value as Fen),
    assistance: amount === null ? null : y(amount),
    text: `${HARDSHIP_LABELS[group]}：定额资助，标准${v.bound === 'at-least' ? '原则上' : ''}${boundedYuan(v, v.value as Fen)}/人/年，${amount === null ? '以个人缴费标准为限，本年度个人缴费标准文件未规定' : `资助${yuan(amount)}${individual !== null && (v.value as Fen) > individual ? '（以个人缴费标准为限）' : ''}`}${v.bound === 'at-least' ? '；各地可高于此标准' : ''}。`,
  });
  return { assistance: amount, fixedFloor: v.bound === 'at-least', full: false, missing: individualMissing() };
}
