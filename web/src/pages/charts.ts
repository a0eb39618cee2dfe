/**
 * ECharts as the report's charts need it (src/sim/charts.ts barChartOption: bar series, title,
 * legend, grid, axis tooltip, aria) drawn as SVG, and the line series of the budgets' execution
 * (spending to date against what is available); imported only by the chart pages (the reform
 * builder, the fund statistics, the budgets), on demand (import('./charts')), so neither the
 * initial bundle nor the other pages carry it.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, TitleComponent, LegendComponent, GridComponent, TooltipComponent, AriaComponent, SVGRenderer]);

/** Draws the option, exactly as the API gives it, into the element. */
export function drawChart(el: HTMLElement, option: Record<string, unknown>): { resize(): void; dispose(): void } {
  const chart = init(el, undefined, { renderer: 'svg' });
  chart.setOption(option);
  return chart;
}
