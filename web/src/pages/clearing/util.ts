/**
 * The agency's month page's helpers: a report downloaded with the key (fetch with the bearer header,
 * then a Blob link), times in China time, sums in integer fen, refusals as the page shows them.
 */
import { ref, shallowRef } from 'vue';
import { ApiFailure, type ApiError, apiKey } from '../../api';
import { lang } from '../../i18n';
import { c, meaningOf } from '../clearing-i18n';

export type Format = 'csv' | 'csv-gbk' | 'xlsx';
export const FORMATS: { format: Format; key: 'csv' | 'csvGbk' | 'xlsx' }[] = [
  { format: 'csv', key: 'csv' },
  { format: 'csv-gbk', key: 'csvGbk' },
  { format: 'xlsx', key: 'xlsx' },
];

/** The API's base: `v1/` beside index.html, as api.ts finds it. */
const base = () => new URL('v1/', document.baseURI.replace(/#.*$/, '').replace(/[^/]*$/, ''));

/** The file's name from Content-Disposition: the Chinese one (filename*=UTF-8''…) first. */
export function fileName(disposition: string | null, fallback: string): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      /* the ASCII name below */
    }
  }
  return /filename="([^"]+)"/i.exec(disposition ?? '')?.[1] ?? fallback;
}

/**
 * Downloads `path` (under /v1, with its ?format=) with the signed-in key: fetch with the bearer
 * header, then a link to a Blob URL clicked and released.
 *
 * @throws ApiFailure the service's refusal (its code and message).
 */
export async function download(path: string, fallback: string): Promise<void> {
  const headers: Record<string, string> = {};
  if (apiKey.value) headers.authorization = `Bearer ${apiKey.value}`;
  const res = await fetch(new URL(path.replace(/^\//, ''), base()), { headers });
  if (!res.ok) {
    const json = (await res.json().catch(() => null)) as { error?: ApiError } | null;
    throw new ApiFailure(res.status, json?.error ?? { code: `HTTP_${res.status}`, message: res.statusText });
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName(res.headers.get('content-disposition'), fallback);
  document.body.append(a);
  a.click();
  // Removed (and the URL released) later: Chromium reads the link's name after the click returns.
  setTimeout(() => {
    a.remove();
    URL.revokeObjectURL(url);
  }, 10_000);
}

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

/** An ISO 8601 instant in China time: 2024年3月4日 10:00:00 (2024-03-04 10:00:00 in English). */
export function chinaTime(iso: string | null | undefined): string {
  const ms = Date.parse(iso ?? '');
  if (Number.isNaN(ms)) return iso ?? '';
  const d = new Date(ms + 8 * 3600_000).toISOString();
  const [y, mo, da, hms] = [d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), d.slice(11, 19)];
  return lang.value === 'en' ? `${y}-${mo}-${da} ${hms}` : `${y}年${Number(mo)}月${Number(da)}日 ${hms}`;
}

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
  async function load(more = false): Promise<void> {
    failure.value = null;
    loading.value = true;
    try {
      const page = await pageOf(more ? next.value : null);
      items.value = more ? [...(items.value ?? []), ...page.items] : page.items;
      next.value = page.next;
    } catch (e) {
      failure.value = refusalOf(e);
    } finally {
      loading.value = false;
    }
  }
  return { items, next, loading, failure, load };
}
