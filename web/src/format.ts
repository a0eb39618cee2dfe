/** Amounts and dates as read in China: 1,234.50 元; 2024年3月2日. */

const yuanFormat = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: true });

/** An amount in yuan (the API's number, exact to the fen) with two decimals and 元. */
export function formatYuan(value: number | string | null | undefined, unit = '元'): string {
  if (value === null || value === undefined || value === '') return '—';
  return `${yuanFormat.format(Number(value))} ${unit}`;
}

/** A day (YYYY-MM-DD, China's calendar) as 2024年3月2日. */
export function formatDay(day: string | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day ?? '');
  if (!m) return day ?? '';
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
}

/** Today in China (UTC+8), YYYY-MM-DD. */
export function todayInChina(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}
