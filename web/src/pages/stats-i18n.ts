/** The fund statistics' words (基金统计), Chinese first, English beside; kept with the page. */
import { lang } from '../i18n';

const zh = {
  intro: '按政策文件和月份汇总的统筹基金支出（已扣除冲销），不含任何个人信息。数据来自 GET /v1/stats/fund。',
  year: '年度',
  show: '查询',
  totals: '合计',
  settlements: '结算笔数',
  total: '医疗费总额',
  fund: '统筹基金支出',
  cash: '个人现金支付',
  byPolicy: '按政策文件',
  policy: '政策文件',
  month: '月份',
  byMonth: '按月份与政策文件',
  chartTitle: '{year}年统筹基金支出（按月、按政策文件）',
  chartAxis: '统筹基金支出（元）',
  empty: '该年度没有结算记录',
  loading: '正在读取…',
  failed: '无法读取统计',
  badYear: '年度须为四位数字，如 2024',
  chartLoading: '正在加载图表…',
  chartFailed: '图表无法加载',
  network: '无法连接服务，请稍后重试',
};

const english: typeof zh = {
  intro: "The fund's outlay by policy document and month (net of reversals); no personal data. From GET /v1/stats/fund.",
  year: 'Year',
  show: 'Show',
  totals: 'Totals',
  settlements: 'Settlements',
  total: 'Medical costs',
  fund: 'Fund outlay',
  cash: 'Paid in cash',
  byPolicy: 'By policy document',
  policy: 'Policy',
  month: 'Month',
  byMonth: 'By month and policy',
  chartTitle: "The fund's outlay in {year}, by month and policy",
  chartAxis: 'Fund outlay (yuan)',
  empty: 'No settlement in that year',
  loading: 'Loading…',
  failed: 'Cannot read the statistics',
  badYear: 'The year must be four digits, e.g. 2024',
  chartLoading: 'Loading the chart…',
  chartFailed: 'The chart cannot be loaded',
  network: 'Cannot reach the service; try again later',
};

export type SKey = keyof typeof zh;

/** A word of the page in the current language, with {name} filled from vars. */
export function s(key: SKey, vars: Record<string, string | number> = {}): string {
  const text: string = lang.value === 'en' ? english[key] : zh[key];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}
