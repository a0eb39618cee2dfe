/**
 * What the tabs of 预算与预警 share: the answers' shapes (as src/api/monitoring-responses.ts gives
 * them), the districts, times in China, request ids, and the checks the API makes on a budget or a
 * payment, made again before sending (src/request/budget-request.ts): the same rules, said in Chinese
 * under the field. The API checks everything anyway.
 */
import { ref } from 'vue';
import { api, ApiFailure, type ApiError } from '../../api';
import { formatMoment, formatYuan } from '../../format';
import { lang } from '../../i18n';
import { b } from '../budgets-i18n';

export interface Citation {
  document: string;
  article: string;
  quote: string;
}
export interface Setting<T = unknown> {
  value: T;
  reason: string | null;
  setBy: string;
  setAt: string;
}
export interface Budget {
  id: string;
  requestId: string;
  area: string;
  year: number;
  account: string;
  amount: number;
  basis: { method: 'entered' | 'policy-rate'; rateText?: string; persons?: number; rate?: number; citation?: { citation?: string } };
  note: string | null;
  recordedBy: string;
  recordedAt: string;
  /** POST only: the request id was seen with this body (the answer is the original). */
  replayed?: boolean;
}
export interface Payment {
  id: string;
  area: string;
  year: number;
  account: string;
  amount: number;
  paidOn: string;
  note: string | null;
  recordedBy: string;
  recordedAt: string;
  replayed?: boolean;
}
export interface Warning {
  evaluated: boolean;
  reason?: string;
  missingSetting?: string | null;
  fires?: boolean;
  marginBp?: number;
  available?: number;
  threshold?: number;
  projected?: number;
  excess?: number;
  excessBp?: number | null;
  methodLabel?: string;
  text?: string;
  citations?: Citation[];
}
export interface AccountStatement {
  account: string;
  kind: string;
  label: string;
  asOf: string;
  budget: Budget | null;
  carriedIn: number;
  carry: { text?: string } | null;
  available: number | null;
  months: { month: string; spent: number }[];
  spentToDate: number;
  balance: number | null;
  overspent: number | null;
  projection: { method: string; methodLabel: string; projected: number; text?: string } | null;
  warning: Warning;
  notes: string[];
}
export interface Area {
  code: string;
  name: string;
  region: string;
}
export interface AreaStatement {
  area: Area;
  year: number;
  asOf: string;
  warningSetting: Setting<{ marginBp: number }> | null;
  accounts: AccountStatement[];
}

/** The registered districts (县区): GET /v1/clearing/districts, read once. */
export const districts = ref<(Area & { level: string })[]>([]);
let districtsRead: Promise<void> | null = null;
export function loadDistricts(): Promise<void> {
  districtsRead ??= api<{ districts: (Area & { level: string })[] }>('clearing/districts')
    .then((r) => {
      districts.value = r.districts;
    })
    .catch(() => {
      districtsRead = null;
    });
  return districtsRead;
}
export const districtName = (code: string | null | undefined): string => {
  if (!code) return '—';
  const d = districts.value.find((x) => x.code === code);
  return d ? `${d.name}（${code}）` : code;
};

/** A moment as read in China (format.ts formatMoment): 2024年4月1日 09:00（北京时间）. */
export const formatTime = (iso: string | null | undefined): string => (iso ? `${formatMoment(iso)}${lang.value === 'en' ? ' (China time)' : '（北京时间）'}` : '—');

/** A request id for one attempt (web- and 24 hex digits). */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `web-${Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** An amount in yuan with two decimals and 元 (yuan in English). */
export const yuan = (v: number | null | undefined): string => formatYuan(v, lang.value === 'en' ? 'yuan' : '元');

/** A filter's query string: its values that are not empty, trimmed. */
export function queryOf(values: Record<string, string | null | undefined>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v?.trim()) q.set(k, v.trim());
  return q;
}

/** A filter's field checked before asking (an empty one is not sent): the refusal to show, or null. */
export function filterProblem(text: string, check: (t: string) => string | null, label: string): ApiError | null {
  const problem = text.trim() ? check(text) : null;
  return problem ? { code: 'INVALID_REQUEST', message: `${label}：${problem}` } : null;
}

/** Basis points as a percentage: 1000 → 10.00%. */
export const percentOfBp = (bp: number | null | undefined): string => (bp === null || bp === undefined ? '—' : `${(bp / 100).toFixed(2)}%`);

/** Yuan (the API's number, exact to the fen) as fen. */
export const fenOf = (yuan: number): number => Math.round(yuan * 100);

/** spent ÷ available as a percentage with two decimals, computed in fen (none without a budget, or of nothing). */
export function executionPercent(spent: number, available: number | null): string {
  if (available === null || available <= 0) return '—';
  const bp = Math.round((fenOf(spent) * 10_000) / fenOf(available));
  return percentOfBp(bp);
}

// The API's own checks (src/request/budget-request.ts, clearing-request.ts, id.ts, money.ts).
const DECIMAL_YUAN = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/;
const MAX_AMOUNT_FEN = 100_000_000 * 100;
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
export const FIRST_BUDGET_YEAR = 2000;
export const LAST_BUDGET_YEAR = 2099;

/** An amount in yuan as the API reads it, or the problem (in the page's words). */
export function checkYuan(text: string, positive = false): { fen: number } | { problem: string } {
  const t = text.trim();
  if (t === '') return { problem: b('required') };
  if (t.startsWith('-')) return { problem: b('negative') };
  const m = DECIMAL_YUAN.exec(t);
  if (!m || (m[1] ?? '').length > 10) return { problem: b('badAmount') };
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (fen > MAX_AMOUNT_FEN) return { problem: b('tooMuch') };
  if (positive && fen === 0) return { problem: b('notPositive') };
  return { fen };
}
export const checkYear = (text: string): string | null => {
  const t = text.trim();
  if (!/^\d{4}$/.test(t) || Number(t) < FIRST_BUDGET_YEAR || Number(t) > LAST_BUDGET_YEAR) return b('badYear');
  return null;
};
export const checkArea = (code: string): string | null => (code === '' ? b('chooseArea') : /^[0-9A-Za-z]{6,12}$/.test(code) ? null : b('badArea'));
export const checkAccount = (name: string): string | null => (name.trim() === '' ? b('required') : /^[a-z0-9][a-z0-9-]{0,63}$/.test(name.trim()) ? null : b('badAccount'));
export const checkNote = (note: string): string | null => (note.length > 500 ? b('noteTooLong') : UNPRINTABLE.test(note) ? b('notePrintable') : null);
export function checkDay(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return b('badDay');
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return b('badDay');
  return null;
}

/** The service's refusals of a budget or a payment said in the page's words; others as it says them. */
function inWords(message: string): string {
  const account = /is not an account of (.+?) \((\w+)\): one of (.+)$/.exec(message);
  if (account) return b('notAnAccount', { area: account[1] ?? '', accounts: account[3] ?? '' });
  if (/is not a registered district/.test(message)) return b('notADistrict');
  if (/give the amount, or fromPolicy/.test(message)) return b('amountOrPolicy');
  if (/counts no persons/.test(message)) return b('noPersons');
  if (/payments are recorded for family-doctor/.test(message)) return b('familyDoctorOnly');
  if (/must be a year/.test(message)) return b('badYear');
  if (/decimal places|amount in yuan/.test(message)) return b('badAmount');
  return `${b('refusedField')}${message}`;
}

/** The field a problem of the service names (`amount: …` → amount), for the form's own fields. */
export function problemsByField<F extends string>(error: ApiError, fields: readonly F[]): { byField: Partial<Record<F, string>>; rest: string[] } {
  const byField: Partial<Record<F, string>> = {};
  const rest: string[] = [];
  const messages = [...(error.problems ?? [])];
  if (messages.length === 0) messages.push(error.message);
  for (const p of messages) {
    const field = fields.find((f) => p.startsWith(`${f}:`) || p.startsWith(`${f}.`));
    if (field) byField[field] ??= inWords(p.slice(p.indexOf(':') + 1).trim());
    else rest.push(p);
  }
  return { byField, rest };
}

/** What a refusal's code means, in Chinese (the service's message and code are shown beneath). */
export function codeMeaning(code: string): string {
  const known: Record<string, string> = {
    INVALID_REQUEST: b('codeInvalid'),
    FORBIDDEN: b('codeForbidden'),
    UNAUTHENTICATED: b('codeUnauthenticated'),
    NOT_FOUND: b('codeNotFound'),
    IDEMPOTENCY_CONFLICT: b('codeConflict'),
    MISSING_PARAMETER: b('codeMissing'),
    NETWORK: b('network'),
  };
  return known[code] ?? b('codeOther');
}

/** A call's refusal as the page shows it. */
export const failureOf = (e: unknown): ApiError => (e instanceof ApiFailure ? e.error : { code: 'NETWORK', message: b('network') });
