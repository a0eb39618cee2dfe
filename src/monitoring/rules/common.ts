/**
 * What the supervision rules share: the run's span over a person's time-ordered rows (binary
 * search, no scan), the fund a settlement drew, the incremental filter, and the words of their
 * texts. Nothing here allocates per row.
 */
import { chinaDay, formatChinaTime, formatDate } from '../../calendar/calendar.js';
import { VISIT_TYPE_LABELS, VISIT_TYPES } from '../../domain.js';
import type { Lead, RunContext, SettlementColumns } from '../types.js';

/** The first index in [lo, hi) whose time is >= t (hi when none): rows of a person are time-ordered. */
export function firstAtOrAfter(timeMs: Float64Array, lo: number, hi: number, t: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (timeMs[m]! < t) a = m + 1;
    else b = m;
  }
  return a;
}

/**
 * The fund a settlement drew (基金支付): the pooled fund (统筹基金), critical-illness insurance (大病保险)
 * and medical assistance (医疗救助); the personal account and cash are the person's.
 */
export function fundOf(s: SettlementColumns, row: number): number {
  return s.fundFen[row]! + s.criticalFen[row]! + s.assistanceFen[row]!;
}

/** Whether a lead resting on these rows is reported (RunContext.newFromMs): some row is new. */
export function anyNew(s: SettlementColumns, rows: readonly number[], ctx: RunContext): boolean {
  const from = ctx.newFromMs;
  if (from === undefined) return true;
  for (const r of rows) if (s.timeMs[r]! >= from) return true;
  return false;
}

/** Whether one row is new (RunContext.newFromMs), for what a rule could not judge. */
export function isNew(s: SettlementColumns, row: number, ctx: RunContext): boolean {
  return ctx.newFromMs === undefined || s.timeMs[row]! >= ctx.newFromMs;
}

/** The longest run of one person's rows: the size of per-person scratch arrays. */
export function maxPersonRows(s: SettlementColumns): number {
  let max = 0;
  const start = s.personStart;
  for (let p = 0; p + 1 < start.length; p++) {
    const k = start[p + 1]! - start[p]!;
    if (k > max) max = k;
  }
  return max;
}

/** The visit type's name (VISIT_TYPES) for keys and figures. */
export function visitTypeName(index: number): string {
  return VISIT_TYPES[index] ?? String(index);
}

/** The visit type's Chinese label for texts. */
export function visitTypeLabel(index: number): string {
  const t = VISIT_TYPES[index];
  return t === undefined ? `就诊类型${index}` : VISIT_TYPE_LABELS[t];
}

/** A China time as a clerk reads it: 2024-03-05 10:20:00. */
export function chinaTimeText(ms: number): string {
  return formatChinaTime(ms).slice(0, 19).replace('T', ' ');
}

/** The run's span as China days: 2024-01-01至2024-12-31 (the last day is the one before toMs). */
export function spanText(ctx: RunContext): string {
  return `${formatDate(chinaDay(ctx.fromMs))}至${formatDate(chinaDay(ctx.toMs - 1))}`;
}

/** A ratio in basis points as a multiple: 30000 → 3, 25000 → 2.5. */
export function multipleText(bp: number): string {
  return String(bp / 10_000);
}

/** Adds a lead when it rests on a new row (or always, outside incremental runs). */
export function pushIfNew(out: Lead[], s: SettlementColumns, lead: Lead, ctx: RunContext): void {
  if (anyNew(s, lead.rows, ctx)) out.push(lead);
}

/** The schemes' names in texts (城乡居民医保, 职工医保), by index into SCHEMES. */
export const SCHEME_TEXT: readonly string[] = ['城乡居民医保', '职工医保'];
