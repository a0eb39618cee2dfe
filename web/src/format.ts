/** Amounts, days and moments as read in China: 1,234.50 元; 2024年3月2日; 2024年3月2日 10:00. */
import { lang } from './i18n';

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

/**
 * An instant (ISO 8601, any offset) in China time (UTC+8): 2024年3月2日 10:00 (2024-03-02 10:00 in
 * English), with the seconds when asked; '—' for none.
 */
export function formatMoment(iso: string | null | undefined, seconds = false): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms + 8 * 3600_000).toISOString();
  const [y, mo, da, clock] = [d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), d.slice(11, seconds ? 19 : 16)];
  return lang.value === 'en' ? `${y}-${mo}-${da} ${clock}` : `${y}年${Number(mo)}月${Number(da)}日 ${clock}`;
}
