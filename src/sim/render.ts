/**
 * The simulation report as a terminal table: one column per policy, a row per figure, then each
 * comparison. Amounts in yuan with thousands separators; CJK text measured at two columns.
 */
import { CATEGORY_LABELS, type Category } from '../domain.js';
import { ELIGIBILITIES } from '../engine/types.js';
import { width } from '../policy/show.js';
import type { PolicyReport, SimulationReport } from './report.js';

/** Yuan with thousands separators and two decimals. */
export function money(yuan: number): string {
  const negative = yuan < 0;
  const [whole, cents = '00'] = Math.abs(yuan).toFixed(2).split('.');
  return `${negative ? '−' : ''}${(whole as string).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

const count = (n: number) => n.toLocaleString('en-US');
const pct = (p: number) => `${p < 0 ? '−' : ''}${Math.abs(p).toFixed(2)}%`;
const signed = (yuan: number) => (yuan > 0 ? `+${money(yuan)}` : money(yuan));
const signedPct = (p: number) => (p > 0 ? `+${pct(p)}` : pct(p));

type Row = string[] | null;

/** Rows of cells as aligned text; the first column left-aligned, the others right; null is a blank line. */
function table(rows: Row[]): string {
  const widths: number[] = [];
  for (const r of rows) r?.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows
    .map((r) =>
      r === null
        ? ''
        : r
            .map((cell, i) => {
              const gap = ' '.repeat(Math.max(0, (widths[i] as number) - width(cell)));
              return i === 0 ? cell + gap : gap + cell;
            })
            .join('  ')
            .trimEnd(),
    )
    .join('\n');
}

function capRows(policies: PolicyReport[]): Row[] {
  const keys = new Map<string, string>();
  for (const p of policies)
    for (const c of p.caps) keys.set(`${c.bucket}|${c.categories.join(',')}`, `  ${c.bucket} cap: ${c.categories.map((x) => CATEGORY_LABELS[x as Category]).join('、')}`);
  return [...keys].map(([key, label]) => [
    label,
    ...policies.map((p) => {
      const c = p.caps.find((x) => `${x.bucket}|${x.categories.join(',')}` === key);
      return c ? `${money(c.limit)}: ${pct(c.shareOfPersons)} (${count(c.reached)})` : '—';
    }),
  ]);
}

/** The fund's outlay by benefit, a row per benefit id (the policies' labels may differ). */
function benefitRows(policies: PolicyReport[]): Row[] {
  const ids = [...new Set(policies.flatMap((p) => p.fund.byBenefit.map((b) => b.benefit)))];
  return ids.map((id) => [
    `  benefit ${id}`,
    ...policies.map((p) => {
      const b = p.fund.byBenefit.find((x) => x.benefit === id);
      return b ? `${money(b.fund)} (${pct(b.share)})` : '—';
    }),
  ]);
}

/** The report as text for a terminal. */
export function renderReport(r: SimulationReport): string {
  const out: string[] = [];
  const ps = r.policies;
  const pop = r.population;
  out.push(`${r.scenario} — ${r.source.kind === 'synthetic' ? `synthetic population, seed ${r.source.seed}` : `claims from ${r.source.file}`}, visits of ${r.visitsYear}`);
  out.push(
    `${count(pop.persons)} persons (${Object.entries(pop.byCategory)
      .map(([c, n]) => `${CATEGORY_LABELS[c as Category]} ${count(n)}`)
      .join(' · ')}), ${count(pop.visits)} visits (${pop.visitsPerPerson.toFixed(2)} per person)`,
  );
  out.push('');
  const col = (f: (p: PolicyReport) => string): string[] => ps.map(f);
  const rows: Row[] = [
    ['', ...col((p) => (p.policy.draft ? `${p.policy.name}（假设）` : p.policy.name))],
    ...(ps.some((p) => p.policy.name !== p.policy.id) ? [['  pack', ...col((p) => p.policy.id)] as Row] : []),
    ['', ...col((p) => p.policy.document)],
    ['settled as year', ...col((p) => `${p.policy.year}${p.policy.shift === 0 ? '' : ` (visits moved ${p.policy.shift > 0 ? '+' : '−'}${Math.abs(p.policy.shift)} y)`}`)],
    ['visits settled', ...col((p) => count(p.visits.settled))],
    ['  at non-contracted institutions', ...col((p) => count(p.visits.byEligibility['non-contracted'] ?? 0))],
    // The other words the fund paid nothing for, where some visit has them.
    ...ELIGIBILITIES.filter((e) => e !== 'covered' && e !== 'non-contracted' && ps.some((p) => (p.visits.byEligibility[e] ?? 0) > 0)).map(
      (e): Row => [`  not paid: ${e}`, ...col((p) => count(p.visits.byEligibility[e] ?? 0))],
    ),
    ['  unsettled (see JSON)', ...col((p) => count(p.visits.unsettled.reduce((s, e) => s + e.visits, 0)))],
    null,
    ['Costs (yuan)', ...col(() => '')],
    ['  total 医疗费总额', ...col((p) => money(p.amounts.total))],
    ['  outside policy range 政策范围外', ...col((p) => money(p.amounts.outOfScope))],
    ['  deductibles borne 起付标准', ...col((p) => money(p.amounts.deductible))],
    ['  paid by persons 个人现金支付', ...col((p) => money(p.amounts.cash))],
    ...(ps.some((p) => p.amounts.criticalIllness !== 0 || p.amounts.assistance !== 0)
      ? [
          ['  critical illness 大病保险支付', ...col((p) => money(p.amounts.criticalIllness))],
          ['  medical assistance 医疗救助支付', ...col((p) => money(p.amounts.assistance))],
        ]
      : []),
    null,
    ['Fund outlay 统筹基金支付 (yuan)', ...col((p) => money(p.fund.total))],
    ['  per capita', ...col((p) => money(p.fund.perCapita))],
    ['  share of total costs', ...col((p) => pct(p.fund.shareOfTotal))],
    ...(ps[0]?.fund.byTier ?? []).map((t, i): Row => [`  ${t.label} ${t.tier}`, ...col((p) => `${money(p.fund.byTier[i]?.fund ?? 0)} (${pct(p.fund.byTier[i]?.share ?? 0)})`)]),
    ...(ps[0]?.fund.byCategory ?? []).map((c, i): Row => [`  ${c.label} ${c.category} per capita`, ...col((p) => money(p.fund.byCategory[i]?.perCapita ?? 0))]),
    ...(ps[0]?.fund.byMonth ?? []).map((m, i): Row => [`  month ${m.month}`, ...col((p) => money(p.fund.byMonth[i]?.fund ?? 0))]),
    ...benefitRows(ps),
    null,
    ['Reaching the annual cap (share of persons)', ...col(() => '')],
    ...capRows(ps),
    null,
    ['Out of pocket per person per year (yuan)', ...col(() => '')],
    ['  mean', ...col((p) => money(p.outOfPocket.mean))],
    ...Object.keys(ps[0]?.outOfPocket.percentiles ?? {}).map((k): Row => [`  ${k}`, ...col((p) => money(p.outOfPocket.percentiles[k] ?? 0))]),
    ['  max', ...col((p) => money(p.outOfPocket.max))],
    null,
    ['Outlay against income (residents)', ...col(() => '')],
    ['  funding 筹资 (contributions × persons)', ...col((p) => (p.income.available ? money(p.income.total) : 'not given'))],
    ['  of which individual / subsidy', ...col((p) => (p.income.available ? `${money(p.income.individual)} / ${money(p.income.subsidy)}` : '—'))],
    ['  outpatient outlay / funding', ...col((p) => (p.income.available ? pct(p.income.outlayShare) : '—'))],
    null,
    ['Student outpatient budget 大学生门诊统筹', ...col(() => '')],
    ['  budget per student', ...col((p) => (p.studentBudget.available ? `${money(p.studentBudget.perStudent.value)} (${p.studentBudget.perStudent.citation})` : 'not given'))],
    ['  budget + carried in', ...col((p) => (p.studentBudget.available ? money(p.studentBudget.budget + p.studentBudget.carriedIn) : '—'))],
    ["  spent (fund, students' outpatient)", ...col((p) => (p.studentBudget.available ? money(p.studentBudget.spent) : '—'))],
    [
      '  balance',
      ...col((p) =>
        p.studentBudget.available
          ? `${money(p.studentBudget.balance)} ${{ 'surplus-carried': '结余滚存', 'overspent-not-topped-up': '超支不补', 'no-rule-given': '' }[p.studentBudget.outcome]}`
          : '—',
      ),
    ],
  ];
  out.push(table(rows));
  const notes = new Set<string>();
  for (const p of ps) {
    if (!p.income.available) notes.add(`${p.policy.id}: income not computed: ${p.income.reason}`);
    if (!p.studentBudget.available) notes.add(`${p.policy.id}: ${p.studentBudget.reason}`);
    else {
      if (p.studentBudget.rule) notes.add(`${p.policy.id}: student budget: ${p.studentBudget.text} — ${p.studentBudget.rule.citation}: ${p.studentBudget.rule.quote}`);
      if (p.studentBudget.perStudent.note) notes.add(`${p.policy.id}: student budget: ${p.studentBudget.perStudent.note}`);
    }
    for (const e of p.visits.unsettled) notes.add(`${p.policy.id}: ${count(e.visits)} visits unsettled, ${e.code}: ${e.example}`);
    if (p.income.available) for (const n of p.income.notes) notes.add(`${p.policy.id}: income: ${n}`);
  }
  for (const p of ps) {
    for (const d of p.policy.draft?.parameters ?? []) notes.add(`${p.policy.name}: ${d.label} ${d.path} = ${d.text} — ${d.citation}; hypothetical, not policy`);
  }
  for (const a of r.assumptions) notes.add(`assumed: ${a}`);
  out.push('');
  for (const n of notes) out.push(`· ${n}`);

  for (const c of r.comparisons) {
    out.push('');
    out.push(`Comparison: ${c.title}`);
    const crow: Row[] = [
      ['', c.baseName, c.otherName, 'change', ''],
      ['fund outlay', money(c.fund.base), money(c.fund.other), signed(c.fund.change), signedPct(c.fund.changeShare)],
      ['  per capita', money(c.fundPerCapita.base), money(c.fundPerCapita.other), signed(c.fundPerCapita.change), ''],
      ...c.byTier.map((t): Row => [`  ${t.label} ${t.tier}`, money(t.base), money(t.other), signed(t.change), signedPct(t.changeShare)]),
      ...c.byCategory.map((x): Row => [`  ${x.label} ${x.category}`, money(x.fund.base), money(x.fund.other), signed(x.fund.change), signedPct(x.fund.changeShare)]),
      ['paid by persons', money(c.cash.base), money(c.cash.other), signed(c.cash.change), signedPct(c.cash.changeShare)],
    ];
    out.push(table(crow));
    out.push('');
    const who: Row[] = [
      ['who gains (pays less out of pocket)', 'persons', 'better off', 'worse off', 'same'],
      [
        'everyone',
        count(c.persons.better + c.persons.worse + c.persons.same),
        `${count(c.persons.better)} (${pct(c.persons.betterShare)})`,
        `${count(c.persons.worse)} (${pct(c.persons.worseShare)})`,
        count(c.persons.same),
      ],
      ...c.byCategory.map(
        (x): Row => [`  ${x.label} ${x.category}`, count(x.persons), `${count(x.better)} (${pct(x.betterShare)})`, `${count(x.worse)} (${pct(x.worseShare)})`, count(x.same)],
      ),
      ...c.byHardship.map((x): Row => [`  ${x.label}`, count(x.persons), `${count(x.better)} (${pct(x.betterShare)})`, `${count(x.worse)} (${pct(x.worseShare)})`, count(x.same)]),
    ];
    out.push(table(who));
    out.push(`people paying less save ${money(c.gain)} yuan in all; people paying more pay ${money(c.loss)} yuan more`);
    const big = (x: { id: string; cashChange: number } | undefined) => (x ? `${x.id} ${signed(x.cashChange)}` : '—');
    out.push(`largest changes per person: pays less ${big(c.impacts.largestGains[0])}; pays more ${big(c.impacts.largestLosses[0])} (every person: --impacts FILE.csv)`);
  }
  return out.join('\n') + '\n';
}
