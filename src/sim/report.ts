/**
 * The simulation's report, from the merged totals: for each policy the fund's outlay (total, per
 * capita, by tier, month, category and benefit), the share of people reaching each cap, what
 * people pay themselves (percentiles and a histogram), the outlay against the residents' funding
 * (contributions × population, where the documents give them) and the student outpatient budget;
 * then each further policy against the first.
 *
 * Amounts in yuan (exact: every figure is integer fen before it is printed); shares in percent to
 * two places, rounded half away from zero from the exact counts.
 */
import { yearStart } from '../calendar/calendar.js';
import { computeContribution } from '../contribution/contribution.js';
import { OptionRequiredError } from '../contribution/types.js';
import { schemeOf, CATEGORIES, CATEGORY_LABELS, HARDSHIP_GROUPS, HARDSHIP_LABELS, TIERS, TIER_LABELS, type Category, type Hardship } from '../domain.js';
import { versionAt } from '../policy/model.js';
import { SettlementError } from '../engine/errors.js';
import { divRoundHalfAway, toYuanNumber, type Fen } from '../money/money.js';
import type { Param } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';
import { ELIGIBILITIES } from '../engine/types.js';
import { AMOUNT, AMOUNT_NAMES, type ComparisonTotals, type PolicyTotals } from './aggregate.js';
import { HYPOTHETICAL } from '../policy/draft.js';
import { impactSummary } from './impacts.js';
import type { ChosenPolicy } from './policy-year.js';
import type { SimulationRun } from './simulate.js';

const yuan = toYuanNumber;
/** n / d as a percentage with two decimals (0 when d is 0). */
export function percentOf(n: number, d: number): number {
  return d === 0 ? 0 : divRoundHalfAway(n * 10_000, d) / 100;
}
/** Fen per person, rounded half away from zero to the fen. */
const perCapita = (fen: Fen, persons: number) => (persons === 0 ? 0 : yuan(divRoundHalfAway(fen, persons)));

const PERCENTILES = [10, 25, 50, 75, 90, 95, 99] as const;
const MONTHS = ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'];

/** The nearest-rank percentile p (in percent) of sorted values. */
export function percentileOf(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export interface HistogramBin {
  /** Exclusive lower bound in yuan (null for the first bin, which is exactly the lower edge or less), inclusive upper (null: no bound). */
  above: number | null;
  upTo: number | null;
  persons: number;
  share: number;
}

/** Persons by what they paid: ≤ edges[0], (edges[i−1], edges[i]], > last edge. */
export function histogramOf(sorted: Float64Array, edges: readonly Fen[]): HistogramBin[] {
  const bins: HistogramBin[] = [];
  let from = 0;
  for (let i = 0; i <= edges.length; i++) {
    const upTo = edges[i];
    let to = from;
    if (upTo === undefined) to = sorted.length;
    else while (to < sorted.length && (sorted[to] as number) <= upTo) to++;
    const lower = i === 0 ? null : yuan(edges[i - 1] as Fen);
    bins.push({ above: lower, upTo: upTo === undefined ? null : yuan(upTo), persons: to - from, share: percentOf(to - from, sorted.length) });
    from = to;
  }
  return bins;
}

interface Cited {
  value: number;
  citation: string;
  quote?: string;
  note?: string;
}

function cited(param: Param, day: number): Cited | undefined {
  const v = versionAt(param, day);
  if (!v || typeof v.value !== 'number') return undefined;
  const c: Cited = { value: yuan(v.value), citation: v.citation };
  if (v.quote) c.quote = v.quote;
  if (v.note) c.note = v.note;
  return c;
}

/** The rule for the budget's balance the documents give: 总额预算、超支不补、结余滚存. */
const NO_TOP_UP_SURPLUS_CARRIED = 'total-budget-no-top-up-surplus-carried';

/**
 * The student outpatient budget (大学生门诊统筹预算) of the packs in force in the year: per
 * student × students, plus what was carried in, against the fund's outpatient payments for
 * students; the balance is read by the documents' rule for it (overspend not topped up, surplus
 * carried), when they give one.
 */
function studentBudget(policies: PolicySet, chosen: ChosenPolicy, t: PolicyTotals, students: number, carriedIn: Fen) {
  const day = yearStart(chosen.year);
  for (const pack of [chosen.pack, ...policies.chain(chosen.region, day).filter((p) => p !== chosen.pack)]) {
    const param = pack.groups.budget?.studentOutpatientBudget;
    const perStudent = param ? versionAt(param, day) : undefined;
    if (!param || !perStudent || typeof perStudent.value !== 'number') continue;
    const methodParam = pack.groups.budget?.studentOutpatientBudgetMethod;
    const method = methodParam ? versionAt(methodParam, day) : undefined;
    const rule = method?.value === NO_TOP_UP_SURPLUS_CARRIED ? method : undefined;
    const budget = perStudent.value * students;
    const spent = t.studentOutpatientFund;
    const balance = budget + carriedIn - spent;
    const outcome = rule === undefined ? ('no-rule-given' as const) : balance >= 0 ? ('surplus-carried' as const) : ('overspent-not-topped-up' as const);
    return {
      available: true as const,
      perStudent: cited(param, day) as Cited,
      policy: pack.id,
      students,
      budget: yuan(budget),
      carriedIn: yuan(carriedIn),
      spent: yuan(spent),
      spentPerStudent: perCapita(spent, students),
      balance: yuan(balance),
      outcome,
      text:
        outcome === 'no-rule-given'
          ? `${balance >= 0 ? '结余' : '超支'}${yuan(Math.abs(balance))}元；文件未规定结余与超支的处理`
          : outcome === 'surplus-carried'
            ? `结余${yuan(balance)}元滚存下年（结余滚存）`
            : `超支${yuan(-balance)}元，不予追加（超支不补）`,
      rule: rule ? { citation: rule.citation, quote: rule.quote ?? '' } : null,
    };
  }
  return { available: false as const, reason: `no policy in force in ${chosen.region} in ${chosen.year} gives a student outpatient budget (大学生门诊统筹预算)` };
}

/** Residents' funding for the year: the contribution per person by hardship group × persons. */
function income(run: SimulationRun, chosen: ChosenPolicy, fund: Fen) {
  const t = run.totals;
  const residents = CATEGORIES.reduce((n, c, i) => n + (schemeOf(c) === 'employee' ? 0 : (t.categoryPersons[i] as number)), 0);
  const employees = t.persons - residents;
  const notes: string[] = [];
  if (employees > 0) notes.push(`${employees} employees (职工) are not counted: the documents do not give employees' contributions`);
  notes.push('the funding pays for more than outpatient pooling (inpatient, critical illness…); only outpatient pooling is simulated');
  if (residents === 0) return { available: false as const, reason: 'the population has no residents (居民)', notes };
  let total = 0;
  let individual = 0;
  let subsidy = 0;
  let assistance = 0;
  let policy = '';
  let floor = false;
  try {
    for (let slot = 0; slot < t.hardshipPersons.length; slot++) {
      const persons = t.hardshipPersons[slot] as number;
      if (persons === 0) continue;
      const hardship: Hardship | undefined = slot === 0 ? undefined : HARDSHIP_GROUPS[slot - 1];
      // Hardship persons are residents; "none" counts residents only.
      const n = slot === 0 ? persons - employees : persons;
      if (n === 0) continue;
      const c = computeContribution(chosen.engine.policies, {
        region: chosen.region,
        year: chosen.year,
        countyType: run.scenario.contributions.countyType,
        ...(hardship ? { hardship } : {}),
        ...(run.scenario.contributions.monitoredFollowsDibao !== undefined ? { followsDibao: run.scenario.contributions.monitoredFollowsDibao } : {}),
      });
      // A figure the documents do not give for the year: no income can be added up.
      const open = c.missing.find((m) => ['total', 'individual', 'subsidy.total', 'assistance'].includes(m.figure));
      if (open !== undefined || c.total === null || c.individual === null || c.subsidy.total === null || c.assistance === null) {
        return { available: false as const, reason: open ? `${open.code}: ${open.message}` : 'MISSING_PARAMETER', notes };
      }
      policy = c.policy;
      floor ||= c.bounds.total === 'at-least';
      total += c.total * n;
      individual += c.individual * n;
      subsidy += c.subsidy.total * n;
      assistance += c.assistance * n;
    }
  } catch (e) {
    if (e instanceof SettlementError || e instanceof OptionRequiredError) {
      return {
        available: false as const,
        reason: e instanceof SettlementError ? `${e.code}: ${e.message}` : `${e.message} (scenario: contributions.monitoredFollowsDibao)`,
        notes,
      };
    }
    throw e;
  }
  if (floor) notes.push('the funding standard is a floor (不低于): actual income may be higher');
  return {
    available: true as const,
    policy,
    year: chosen.year,
    residents,
    total: yuan(total),
    perResident: perCapita(total, residents),
    individual: yuan(individual),
    subsidy: yuan(subsidy),
    assistance: yuan(assistance),
    outpatientOutlay: yuan(fund),
    outlayShare: percentOf(fund, total),
    notes,
  };
}

/** A draft's values as the report shows them, each marked hypothetical. */
function draftReport(chosen: ChosenPolicy) {
  if (!chosen.draft) return null;
  return {
    hypothetical: true as const,
    mark: HYPOTHETICAL,
    reason: chosen.draft.reason ?? null,
    source: chosen.draft.source,
    parameters: chosen.draft.parameters.map((path) => {
      const param = chosen.pack.params.get(path);
      const versions = (param?.versions ?? []).filter((v) => v.document === HYPOTHETICAL);
      return { path, label: param?.label ?? path, text: versions.map((v) => v.text).join('；'), citation: versions[0]?.citation ?? HYPOTHETICAL };
    }),
  };
}

function policyReport(run: SimulationRun, chosen: ChosenPolicy, t: PolicyTotals) {
  const persons = run.totals.persons;
  const a = t.amounts;
  const fund = a[AMOUNT.fund] as number;
  const sorted = Float64Array.from(t.cash).sort();
  const students = run.totals.categoryPersons[CATEGORIES.indexOf('student')] as number;
  const categoryPersons = run.totals.categoryPersons;
  return {
    policy: {
      id: chosen.packId,
      /** The scenario's name for it, or its pack id. */
      name: chosen.name ?? chosen.packId,
      /** A reform: hypothetical values (假设（改革草案）), never policy; null for the documents' pack. */
      draft: draftReport(chosen),
      document: chosen.pack.document.number,
      title: chosen.pack.document.title,
      region: chosen.region,
      regionName: chosen.pack.region.name,
      year: chosen.year,
      shift: chosen.shift,
    },
    visits: {
      settled: t.visits,
      byEligibility: Object.fromEntries(ELIGIBILITIES.map((e, i) => [e, t.byEligibility[i] as number])),
      unsettled: t.errors
        .map((e) => ({ code: e.code, visits: e.visits, total: yuan(e.total), example: e.example }))
        .sort((x, y) => y.visits - x.visits || x.code.localeCompare(y.code)),
    },
    amounts: Object.fromEntries(AMOUNT_NAMES.map((n, i) => [n, yuan(a[i] as number)])) as Record<(typeof AMOUNT_NAMES)[number], number>,
    fund: {
      total: yuan(fund),
      perCapita: perCapita(fund, persons),
      shareOfTotal: percentOf(fund, a[AMOUNT.total] as number),
      byTier: TIERS.map((tier, i) => ({
        tier,
        label: TIER_LABELS[tier],
        visits: t.tierVisits[i] as number,
        total: yuan(t.tierTotal[i] as number),
        fund: yuan(t.tierFund[i] as number),
        share: percentOf(t.tierFund[i] as number, fund),
      })),
      byMonth: MONTHS.map((label, i) => ({ month: i + 1, label, visits: t.monthVisits[i] as number, fund: yuan(t.monthFund[i] as number) })),
      byCategory: CATEGORIES.map((category, i) => ({
        category,
        label: CATEGORY_LABELS[category],
        persons: categoryPersons[i] as number,
        visits: t.categoryVisits[i] as number,
        fund: yuan(t.categoryFund[i] as number),
        perCapita: perCapita(t.categoryFund[i] as number, categoryPersons[i] as number),
        cash: yuan(t.categoryCash[i] as number),
      })).filter((c) => c.persons > 0),
      byBenefit: [...t.benefits]
        .sort((x, y) => y.fund - x.fund || x.id.localeCompare(y.id))
        .map((b) => ({ benefit: b.id, label: b.label, policy: b.policy, visits: b.visits, fund: yuan(b.fund), share: percentOf(b.fund, fund) })),
    },
    caps: [...t.caps]
      .sort((x, y) => x.bucket.localeCompare(y.bucket) || x.limit - y.limit)
      .map((c) => {
        const users = c.persons.reduce((s, n) => s + n, 0);
        const reached = c.reached.reduce((s, n) => s + n, 0);
        const inCategories = CATEGORIES.reduce((s, _, i) => s + ((c.persons[i] ?? 0) > 0 ? (categoryPersons[i] as number) : 0), 0);
        return {
          bucket: c.bucket,
          limit: yuan(c.limit),
          categories: CATEGORIES.filter((_, i) => (c.persons[i] ?? 0) > 0),
          persons: inCategories,
          users,
          reached,
          shareOfPersons: percentOf(reached, inCategories),
          shareOfUsers: percentOf(reached, users),
        };
      }),
    outOfPocket: {
      note: 'what each person paid themselves over the year (个人现金支付: outside the policy range, deductible, their share and above the cap), settled visits only',
      persons,
      zero: sorted.findIndex((v) => v > 0) < 0 ? sorted.length : sorted.findIndex((v) => v > 0),
      mean: perCapita(a[AMOUNT.cash] as number, persons),
      percentiles: Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, yuan(percentileOf(sorted, p))])),
      max: yuan(sorted.length > 0 ? (sorted[sorted.length - 1] as number) : 0),
      histogram: histogramOf(sorted, run.scenario.histogram),
    },
    income: income(run, chosen, fund),
    studentBudget: studentBudget(chosen.engine.policies, chosen, t, students, run.scenario.studentBudgetCarriedIn),
  };
}

export type PolicyReport = ReturnType<typeof policyReport>;

/** A policy in a comparison's title: its name when the scenario gives one, marked when hypothetical, its document and year. */
const policyLabel = (p: PolicyReport) =>
  `${p.policy.name !== p.policy.id ? `${p.policy.name} ` : ''}${p.policy.draft ? `[${HYPOTHETICAL}] ` : ''}${p.policy.document} (${p.policy.year})`;

function betterWorse(counts: Float64Array, slot: number) {
  const better = counts[slot * 3] as number;
  const worse = counts[slot * 3 + 1] as number;
  const same = counts[slot * 3 + 2] as number;
  const n = better + worse + same;
  return { persons: n, better, worse, same, betterShare: percentOf(better, n), worseShare: percentOf(worse, n) };
}

function comparisonReport(run: SimulationRun, base: PolicyReport, other: PolicyReport, bt: PolicyTotals, ot: PolicyTotals, c: ComparisonTotals) {
  const change = (x: number, y: number) => ({ base: yuan(x), other: yuan(y), change: yuan(y - x), changeShare: percentOf(y - x, x) });
  const overall = { better: 0, worse: 0, same: 0 };
  for (let i = 0; i < CATEGORIES.length; i++) {
    overall.better += c.byCategory[i * 3] as number;
    overall.worse += c.byCategory[i * 3 + 1] as number;
    overall.same += c.byCategory[i * 3 + 2] as number;
  }
  const persons = run.totals.persons;
  return {
    base: base.policy.id,
    other: other.policy.id,
    baseName: base.policy.name,
    otherName: other.policy.name,
    title: `${policyLabel(other)} against ${policyLabel(base)}`,
    fund: change(bt.amounts[AMOUNT.fund] as number, ot.amounts[AMOUNT.fund] as number),
    fundPerCapita: {
      base: base.fund.perCapita,
      other: other.fund.perCapita,
      change: yuan(divRoundHalfAway((ot.amounts[AMOUNT.fund] as number) - (bt.amounts[AMOUNT.fund] as number), Math.max(1, persons))),
    },
    cash: change(bt.amounts[AMOUNT.cash] as number, ot.amounts[AMOUNT.cash] as number),
    byTier: TIERS.map((tier, i) => ({ tier, label: TIER_LABELS[tier], ...change(bt.tierFund[i] as number, ot.tierFund[i] as number) })),
    byCategory: CATEGORIES.map((category, i) => ({
      category,
      label: CATEGORY_LABELS[category],
      fund: change(bt.categoryFund[i] as number, ot.categoryFund[i] as number),
      ...betterWorse(c.byCategory, i),
    })).filter((x) => x.persons > 0),
    byHardship: [null, ...HARDSHIP_GROUPS]
      .map((h, slot) => ({ hardship: h, label: h === null ? '非困难群众' : HARDSHIP_LABELS[h], ...betterWorse(c.byHardship, slot) }))
      .filter((x) => x.persons > 0),
    persons: { ...overall, betterShare: percentOf(overall.better, persons), worseShare: percentOf(overall.worse, persons) },
    /** What people pay less in total where they pay less, and more where they pay more. */
    gain: yuan(c.gain),
    loss: yuan(c.loss),
  };
}

/** The whole report, as JSON-ready data. */
export function buildReport(run: SimulationRun) {
  const t = run.totals;
  const policies = run.policies.map((p, i) => policyReport(run, p, t.policies[i] as PolicyTotals));
  const base = policies[0] as PolicyReport;
  return {
    scenario: run.scenario.name,
    source: run.claimsFile ? { kind: 'claims' as const, file: run.claimsFile } : { kind: 'synthetic' as const, seed: run.scenario.seed },
    visitsYear: run.visitsYear,
    population: {
      persons: t.persons,
      visits: t.visits,
      visitsPerPerson: t.persons === 0 ? 0 : divRoundHalfAway(t.visits * 100, t.persons) / 100,
      byCategory: Object.fromEntries(CATEGORIES.map((c, i) => [c, t.categoryPersons[i] as number]).filter(([, n]) => (n as number) > 0)) as Partial<Record<Category, number>>,
      byHardship: Object.fromEntries(HARDSHIP_GROUPS.map((h, i) => [h, t.hardshipPersons[i + 1] as number]).filter(([, n]) => (n as number) > 0)) as Partial<
        Record<Hardship, number>
      >,
      familyDoctor: t.familyDoctor,
    },
    assumptions: [
      'every person is enrolled for the whole year (no waiting period); enrollment is not simulated',
      'each policy settles the same visits on the same day of the year and time of day, in the year it governs (policy.year; policy.shift years from the visits’ own year); 29 February is settled on 28 February in a common year',
    ],
    policies,
    comparisons: policies.slice(1).map((other, i) => ({
      ...comparisonReport(run, base, other, t.policies[0] as PolicyTotals, t.policies[i + 1] as PolicyTotals, t.comparisons[i] as ComparisonTotals),
      /** Per-person impacts, bounded: counts and the largest changes each way (the full list: --impacts FILE.csv). */
      impacts: impactSummary(run, i + 1),
    })),
  };
}

export type SimulationReport = ReturnType<typeof buildReport>;
