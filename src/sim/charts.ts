/**
 * The simulation's charts, defined once as data (no charting library here): grouped bar charts of
 * the fund's outlay by month, by tier and by category, and of the distribution of what people pay
 * themselves — one bar per policy in each group — and the ECharts option that draws each. The
 * CLI renders them to SVG on the server (svg.ts, ECharts' server-side SVG); the web analyst pages
 * draw the same options in the browser.
 */
import type { SimulationReport } from './report.js';

export interface Series {
  name: string;
  values: number[];
}

export interface BarChart {
  title: string;
  /** Label of the values' axis, e.g. 万元. */
  unit: string;
  groups: string[];
  series: Series[];
}

/** The bars' colours, one per policy. */
export const COLOURS = ['#3b6ea8', '#d9822b', '#4f9a5b', '#a8443b', '#7a5ea8', '#8c8c3b', '#3b9a9a', '#a83b85'];

/**
 * The ECharts option that draws a chart: a title, the legend, the groups on the category axis,
 * the unit on the value axis, a bar series per policy with its colour; no animation (the same
 * picture every time), aria on (screen readers get a description).
 */
export function barChartOption(chart: BarChart): Record<string, unknown> {
  return {
    animation: false,
    aria: { enabled: true },
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'sans-serif' },
    title: { text: chart.title, left: 'center', top: 8, textStyle: { fontSize: 16 } },
    legend: { bottom: 8, data: chart.series.map((s) => s.name) },
    grid: { left: 90, right: 20, top: 56, bottom: 70 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: chart.groups, axisLabel: { interval: 0, hideOverlap: true } },
    yAxis: { type: 'value', name: chart.unit, nameLocation: 'middle', nameGap: 64 },
    series: chart.series.map((s, i) => ({ name: s.name, type: 'bar', data: s.values, itemStyle: { color: COLOURS[i % COLOURS.length] } })),
  };
}

/** Yuan amounts in 万元 (ten thousand yuan, to two places) when they are large, else in yuan. */
function scaled(values: number[][]): { unit: string; values: number[][] } {
  const max = Math.max(0, ...values.flat());
  if (max < 100_000) return { unit: '元', values };
  return { unit: '万元', values: values.map((v) => v.map((x) => Math.round(x / 100) / 100)) };
}

/** The report's charts by file name. */
export function reportCharts(r: SimulationReport): Record<string, BarChart> {
  const names = r.policies.map((p) => `${p.policy.name}${p.policy.draft ? '（假设）' : ''} (${p.policy.document}, ${p.policy.year})`);
  const series = (f: (p: SimulationReport['policies'][number]) => number[]) => r.policies.map((p, i) => ({ name: names[i] as string, values: f(p) }));
  const first = r.policies[0];
  if (!first) return {};
  const bins = first.outOfPocket.histogram.map((b) => (b.above === null ? `≤${b.upTo}` : b.upTo === null ? `>${b.above}` : `${b.above}–${b.upTo}`));
  const money = (title: string, groups: string[], f: (p: SimulationReport['policies'][number]) => number[]): BarChart => {
    const { unit, values } = scaled(r.policies.map(f));
    return { title, unit, groups, series: values.map((v, i) => ({ name: names[i] as string, values: v })) };
  };
  return {
    'fund-by-month.svg': money(
      `${r.scenario}: 统筹基金支付 by month`,
      first.fund.byMonth.map((m) => m.label),
      (p) => p.fund.byMonth.map((m) => m.fund),
    ),
    'fund-by-tier.svg': money(
      `${r.scenario}: 统筹基金支付 by institution tier`,
      first.fund.byTier.map((t) => `${t.label} ${t.tier}`),
      (p) => p.fund.byTier.map((t) => t.fund),
    ),
    'fund-per-capita-by-category.svg': {
      title: `${r.scenario}: 统筹基金支付 per person by category`,
      unit: '元/人',
      groups: first.fund.byCategory.map((c) => `${c.label} ${c.category}`),
      series: series((p) => p.fund.byCategory.map((c) => c.perCapita)),
    },
    'out-of-pocket.svg': {
      title: `${r.scenario}: 个人现金支付 per person per year (yuan)`,
      unit: '% of persons',
      groups: bins,
      series: series((p) => p.outOfPocket.histogram.map((b) => b.share)),
    },
  };
}
