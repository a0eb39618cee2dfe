/**
 * The simulation's charts as SVG, written by hand (no charting library): grouped bar charts of the
 * fund's outlay by month, by tier and by category, and of the distribution of what people pay
 * themselves — one bar per policy in each group.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { width as textWidth } from '../policy/show.js';
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

const COLOURS = ['#3b6ea8', '#d9822b', '#4f9a5b', '#a8443b', '#7a5ea8', '#8c8c3b', '#3b9a9a', '#a83b85'];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A round step giving about five ticks up to max. */
export function tickStep(max: number): number {
  if (max <= 0) return 1;
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) as number;
  return step;
}

const tickText = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 }));

/** A grouped bar chart as an SVG document. */
export function barChartSvg(chart: BarChart): string {
  const width = 880;
  const height = 440;
  const left = 90;
  const right = 20;
  const top = 56;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(0, ...chart.series.flatMap((s) => s.values));
  const step = tickStep(max);
  const axisMax = Math.max(step, Math.ceil(max / step) * step);
  const y = (v: number) => top + plotH - (v / axisMax) * plotH;
  const groupW = plotW / Math.max(1, chart.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, chart.series.length);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<title>${escapeXml(chart.title)}</title>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`);
  for (let v = 0; v <= axisMax + step / 1e6; v += step) {
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${left}" y1="${yy}" x2="${width - right}" y2="${yy}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${tickText(v)}</text>`);
  }
  parts.push(`<text x="16" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + plotH / 2})">${escapeXml(chart.unit)}</text>`);
  chart.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + groupW * 0.1;
    chart.series.forEach((s, si) => {
      const v = s.values[gi] ?? 0;
      const yy = y(Math.max(0, v));
      const h = top + plotH - yy;
      parts.push(
        `<rect class="bar" x="${(x0 + si * barW).toFixed(1)}" y="${yy.toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[si % COLOURS.length]}"><title>${escapeXml(`${s.name} · ${g}: ${tickText(v)} ${chart.unit}`)}</title></rect>`,
      );
    });
    parts.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(g)}</text>`);
  });
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#333"/>`);
  // The legend in rows under the axis, each entry as wide as its text (CJK characters two columns).
  let lx = left;
  let ly = height - 26;
  chart.series.forEach((s, si) => {
    const w = 18 + textWidth(s.name) * 6.5 + 24;
    if (lx + w > width - right && lx > left) {
      lx = left;
      ly += 18;
    }
    parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLOURS[si % COLOURS.length]}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly}">${escapeXml(s.name)}</text>`);
    lx += w;
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Yuan amounts in 万元 (ten thousand yuan, to two places) when they are large, else in yuan. */
function scaled(values: number[][]): { unit: string; values: number[][] } {
  const max = Math.max(0, ...values.flat());
  if (max < 100_000) return { unit: '元', values };
  return { unit: '万元', values: values.map((v) => v.map((x) => Math.round(x / 100) / 100)) };
}

/** The report's charts by file name. */
export function reportCharts(r: SimulationReport): Record<string, BarChart> {
  const names = r.policies.map((p) => `${p.policy.id} (${p.policy.document}, ${p.policy.year})`);
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

/** Writes the charts into a folder (made if need be); returns the files written. */
export function writeCharts(r: SimulationReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(reportCharts(r)).map(([name, chart]) => {
    const file = join(dir, name);
    writeFileSync(file, barChartSvg(chart));
    return file;
  });
}
