/**
 * The agency's month page's helpers: a report downloaded with the key (fetch with the bearer header,
 * then a Blob link), times in China time, sums in integer fen, refusals as the page shows them.
 */
import { ref, shallowRef } from 'vue';
import { ApiFailure, type ApiError, lastAsked } from '../../api';
import { formatMoment } from '../../format';
import { lang } from '../../i18n';
import { c, meaningOf } from '../clearing-i18n';

export type Format = 'csv' | 'csv-gbk' | 'xlsx';
export const FORMATS: { format: Format; key: 'csv' | 'csvGbk' | 'xlsx' }[] = [
  { format: 'csv', key: 'csv' },
  { format: 'csv-gbk', key: 'csvGbk' },
  { format: 'xlsx', key: 'xlsx' },
];

/** A report downloaded with the key (api.ts). */
export { download } from '../../api';

/** A refusal as the page says it: the code's meaning, the service's message, the code. */
export interface Refusal {
  code: string;
  meaning: string;
  message: string;
  problems: string[];
}
export function refusalOf(e: unknown): Refusal {
  const error: ApiError = e instanceof ApiFailure ? e.error : { code: 'NETWORK', message: c('network') };
  return { code: error.code, meaning: meaningOf(error.code), message: error.message, problems: error.problems ?? [] };
}

/** An instant in China time with its seconds: 2024年3月4日 10:00:00 (2024-03-04 10:00:00 in English). */
export const chinaTime = (iso: string | null | undefined) => formatMoment(iso, true);

/** Yuan amounts (exact to the fen) summed in integer fen, back in yuan. */
export function sumYuan(values: number[]): number {
  return values.reduce((fen, v) => fen + Math.round(v * 100), 0) / 100;
}

/** An amount with two decimals and 元 (yuan in English). */
export { formatYuan } from '../../format';
export const unit = () => (lang.value === 'en' ? 'yuan' : '元');

/**
 * A list read a page at a time (the API's `limit` and `nextCursor`): `load()` reads the first page
 * again, `load(true)` appends the next; a refusal is kept in `failure`.
 */
export function usePaged<T>(pageOf: (cursor: string | null) => Promise<{ items: T[]; next: string | null }>) {
  const items = shallowRef<T[] | null>(null);
  const next = ref<string | null>(null);
  const loading = ref(false);
  const failure = ref<Refusal | null>(null);
  // An answer that comes after a later load was asked (another month chosen meanwhile) is dropped.
  const begin = lastAsked();
  async function load(more = false): Promise<void> {
    const current = begin();
    failure.value = null;
    loading.value = true;
    try {
      const page = await pageOf(more ? next.value : null);
      if (!current()) return;
      items.value = more ? [...(items.value ?? []), ...page.items] : page.items;
      next.value = page.next;
    } catch (e) {
      if (current()) failure.value = refusalOf(e);
    } finally {
      if (current()) loading.value = false;
    }
  }
  return { items, next, loading, failure, load };
}
