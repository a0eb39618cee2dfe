/**
 * ECharts as the report's charts need it (src/sim/charts.ts barChartOption: bar series, title,
 * legend, grid, axis tooltip, aria) drawn as SVG; imported only by the reform builder and the fund statistics, on demand
 * (import('./charts')), so neither the initial bundle nor the other pages carry it.
 */
import { BarChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, TitleComponent, LegendComponent, GridComponent, TooltipComponent, AriaComponent, SVGRenderer]);

/** Draws the option, exactly as the API gives it, into the element. */
export function drawChart(el: HTMLElement, option: Record<string, unknown>): { resize(): void; dispose(): void } {
  const chart = init(el, undefined, { renderer: 'svg' });
  chart.setOption(option);
  return chart;
}
