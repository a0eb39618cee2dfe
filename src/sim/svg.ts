/**
 * The simulation's charts as SVG files (`yibao simulate --svg DIR`): the chart definitions of
 * charts.ts drawn by ECharts on the server (its server-side SVG renderer: no browser, no canvas),
 * the same options the web pages draw.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as echarts from 'echarts';
import { type BarChart, barChartOption, reportCharts } from './charts.js';
import type { SimulationReport } from './report.js';

export type { BarChart, Series } from './charts.js';

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The size of every chart, in pixels. */
const WIDTH = 880;
const HEIGHT = 440;

/** A grouped bar chart as an SVG document. */
export function barChartSvg(chart: BarChart): string {
  const c = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    c.setOption(barChartOption(chart));
    // The chart's title as the document's <title>: what a screen reader or a file browser shows.
    const svg = c.renderToSVGString();
    const open = svg.indexOf('>') + 1;
    return `${svg.slice(0, open)}\n<title>${escapeXml(chart.title)}</title>${svg.slice(open)}\n`;
  } finally {
    c.dispose();
  }
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
