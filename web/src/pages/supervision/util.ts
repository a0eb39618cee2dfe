/**
 * What the supervision page's parts share: the API's answers as types (src/api/supervision-responses.ts
 * as the service answers them), China time, the words of codes, and a file download with the key.
 */
import { ApiFailure, type ApiError } from '../../api';
import { formatMoment, formatYuan } from '../../format';
import { s, type SvKey } from '../supervision-i18n';

export type Status = 'open' | 'confirmed' | 'dismissed';
export const STATUSES: Status[] = ['open', 'confirmed', 'dismissed'];
export type Severity = '1' | '2' | '3';

export interface Citation {
  document: string;
  article: string;
  quote: string;
}

export interface Rule {
  id: string;
  name: string;
  description: string;
  sources: Citation[];
  behaviour: '1' | '2';
  concerns: 'visit' | 'item';
  reach: 'visit' | 'period';
  parameters: { name: string; label: string; unit: string }[];
  severity: Severity;
  enabled: boolean;
  params: Record<string, unknown> | null;
  missing: string[];
  setBy: string | null;
  setAt: string | null;
  reason: string | null;
}

export interface Run {
  id: string;
  kind: 'batch' | 'incremental' | 'in-process';
  from: string;
  to: string;
  startedAt: string;
  finishedAt: string;
  rules: { ruleId: string; severity: Severity; params: Record<string, unknown> }[];
  notRun: { ruleId: string; reason: string }[];
  settlements: number;
  persons: number;
  leads: number;
  newFindings: number;
  byRule: Record<string, { leads: number; newFindings: number }>;
  unjudged: Record<string, string>;
  truncated?: number;
}

export interface EvidenceSettlement {
  id: string;
  visitId: string;
  institutionId: string;
  time: string;
  visitType: string;
  total: number;
  fund: number;
  critical: number;
  assistance: number;
  account: number;
  cash: number;
  amount?: number;
}

export interface Finding {
  id: string;
  ruleId: string;
  ruleName: string;
  runId: string;
  personId: string;
  visitId: string | null;
  institutionId: string | null;
  amount: number;
  amountComputed: boolean;
  severity: Severity;
  behaviour: '1' | '2';
  content: string;
  evidence: { settlements: EvidenceSettlement[]; figures: Record<string, unknown>; sources: Citation[] };
  happenedAt: string;
  status: Status;
  statusAt: string;
  createdAt: string;
}

export interface HistoryEntry {
  status: Status;
  reason: string;
  actor: string;
  at: string;
}

export interface CountRow {
  ruleId: string;
  ruleName: string;
  status: Status;
  severity: Severity;
  institutionId: string | null;
  count: number;
  amount: number;
}
export interface Counts {
  counts: CountRow[];
  total: { count: number; amount: number };
}

/** The filters the findings (and their counts) are asked with. */
export interface Filter {
  status: string;
  rule: string;
  institution: string;
  from: string;
  to: string;
}

/** A filter as a query string (empty fields left out). */
export function query(f: Partial<Filter>, extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v !== undefined && String(v).trim() !== '') q.set(k, String(v).trim());
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** An instant in China time: 2024年3月2日 10:00 (2024-03-02 10:00 in English), with the seconds when asked. */
export const chinaTime = (iso: string | null | undefined, seconds = false) => formatMoment(iso, seconds);

/** The word of a code the API answers (a status, a severity…), or the code itself when the page has none. */
export function word(prefix: string, code: string | null | undefined): string {
  if (code === null || code === undefined) return '—';
  const key = `${prefix}_${code}`.replace(/-/g, '_') as SvKey;
  const text = s(key);
  return text === key ? code : text;
}

/** A refusal in Chinese: the code's meaning, the service's message; the code is shown beside. */
export function failureOf(e: unknown): ApiError {
  if (e instanceof ApiFailure) return e.error;
  return { code: 'NETWORK', message: s('network') };
}

/** The meaning of a refusal's code in the page's language (the service's message stays beneath). */
export function codeMeaning(code: string): string {
  return word('code', code) === code ? s('code_other') : word('code', code);
}

/** A file the API answers, downloaded with the key (api.ts). */
export { download } from '../../api';

/** An amount in yuan with two decimals and no unit (the column names 元): 1,234.50. */
export function plainYuan(v: number | null | undefined): string {
  return formatYuan(v, '').trim();
}
