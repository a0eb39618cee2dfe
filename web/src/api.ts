/**
 * The one way the app reaches data: the service's API (/v1) on the same origin. The API key, once
 * signed in, is kept in sessionStorage (gone when the browser session ends) and sent as a bearer token.
 */
import { ref } from 'vue';

const KEY = 'yibao.apiKey';

export const apiKey = ref<string | null>(sessionStorage.getItem(KEY));

export function signIn(key: string): void {
  sessionStorage.setItem(KEY, key);
  whoamiLoading.value = true;
  apiKey.value = key;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  apiKey.value = null;
  whoami.value = null;
}

/** Who the signed-in key is (GET /v1/whoami): its role decides the pages shown; null while unknown. */
export interface Whoami {
  id: string;
  role: string;
  institution: string | null;
}
export const whoami = ref<Whoami | null>(null);
/** True while the service is being asked who the key is (from the start when a key is kept). */
export const whoamiLoading = ref(apiKey.value !== null);

/** Asks the service who the key is (after sign-in and at load); a refused key has no role (it is kept: 退出登录 forgets it). */
export async function loadWhoami(): Promise<void> {
  if (!apiKey.value) {
    whoami.value = null;
    whoamiLoading.value = false;
    return;
  }
  whoamiLoading.value = true;
  try {
    whoami.value = await api<Whoami>('whoami');
  } catch {
    whoami.value = null;
  } finally {
    whoamiLoading.value = false;
  }
}

/** The service's refusal: its stable code, message and every problem. */
export interface ApiError {
  code: string;
  message: string;
  problems?: string[];
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message);
  }
}

/** The API's base: `v1/` beside index.html (the app may be served under a prefix). */
const BASE = new URL('v1/', document.baseURI.replace(/#.*$/, '').replace(/[^/]*$/, ''));

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (apiKey.value) headers.authorization = `Bearer ${apiKey.value}`;
  const res = await fetch(new URL(path.replace(/^\//, ''), BASE), { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const json = (await res.json().catch(() => null)) as ({ error?: ApiError } & T) | null;
  if (!res.ok) throw new ApiFailure(res.status, json?.error ?? { code: `HTTP_${res.status}`, message: res.statusText });
  return json as T;
}

/** The file name a Content-Disposition gives (its UTF-8 `filename*`, the Chinese one, first), else `fallback`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      // a malformed name: the ASCII one below
    }
  }
  return /filename="([^"]+)"/i.exec(disposition ?? '')?.[1] ?? fallback;
}

/**
 * Downloads a file the API answers (`path` under /v1 with its `?format=`) with the signed-in key:
 * fetched with the bearer header (a plain link could not carry it), then saved through a link to
 * a Blob URL. Returns the file's name (the service's, else `fallback`).
 *
 * @throws ApiFailure the service's refusal (its code and message).
 */
export async function download(path: string, fallback: string): Promise<string> {
  const headers: Record<string, string> = {};
  if (apiKey.value) headers.authorization = `Bearer ${apiKey.value}`;
  const res = await fetch(new URL(path.replace(/^\//, ''), BASE), { headers });
  if (!res.ok) {
    const json = (await res.json().catch(() => null)) as { error?: ApiError } | null;
    throw new ApiFailure(res.status, json?.error ?? { code: `HTTP_${res.status}`, message: res.statusText });
  }
  const name = fileNameOf(res.headers.get('content-disposition'), fallback);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  // The link stays a while: removed at once, the browser may lose the file's name.
  setTimeout(() => {
    a.remove();
    URL.revokeObjectURL(url);
  }, 60_000);
  return name;
}

/**
 * The loads of one thing on a page (a list as filtered, a year's figures) in the order they are
 * asked: `begin()` marks a new load and returns a check, true while no later load has begun. An
 * answer that comes after a later question is dropped, so what a page shows is always the answer
 * to the last question asked, whatever order the answers arrive in.
 */
export function lastAsked(): () => () => boolean {
  let asked = 0;
  return () => {
    const mine = ++asked;
    return () => mine === asked;
  };
}
