/**
 * Running supervision rules over loaded columns (监管筛查): each rule in force judges the data; its
 * leads, its peer statistics (a batch keeps them for later checks) and what it could not judge
 * (the rule's own account).
 * And how far back a visit rule must look from a new settlement so that an incremental run or a
 * check gives it the rows a batch would have.
 */
import { chinaDay, chinaDayStart, yearOf, yearStart } from '../calendar/calendar.js';
import type { Lead, MonitoringData, PeerStats, RunContext } from '../monitoring/types.js';
import type { RuleInForce } from './supervision-rules.js';

/** The start of the China calendar year an instant falls in. */
export const yearStartMs = (ms: number) => chinaDayStart(yearStart(yearOf(chinaDay(ms))));

/**
 * Where a visit rule's look-back from `fromMs` starts: the rows before the new ones that it needs
 * to judge them as a batch would — the rule's own (`lookbackFrom`), else the calendar year.
 */
export function lookbackStart(rule: RuleInForce['rule'], params: unknown, fromMs: number): number {
  return rule.lookbackFrom ? rule.lookbackFrom(params, fromMs) : yearStartMs(fromMs);
}

/** What the rules found. */
export interface Scan {
  leads: Lead[];
  byRule: Record<string, { leads: number; newFindings: number }>;
  peers: PeerStats;
  unjudged: Record<string, string>;
}

/**
 * Runs each rule over the data, each with its context (`ctxOf`: a batch gives every rule the span;
 * an incremental run and a check give each its own look-back). With `newFromMs`, only leads that
 * rest on at least one new row (timeMs ≥ newFromMs) are kept, whatever the rule returns. `peers`:
 * whether to keep the rules' peer statistics (a batch).
 */
export function scan(rules: readonly RuleInForce[], data: MonitoringData, ctxOf: (r: RuleInForce) => RunContext, peers: boolean): Scan {
  const out: Scan = { leads: [], byRule: {}, peers: {}, unjudged: {} };
  const time = data.settlements.timeMs;
  for (const r of rules) {
    const ctx = ctxOf(r);
    const newFrom = ctx.newFromMs;
    let leads = r.rule.evaluate(data, r.params, ctx);
    if (newFrom !== undefined) leads = leads.filter((l) => l.rows.length === 0 || l.rows.some((row) => (time[row] as number) >= newFrom));
    for (const l of leads) out.leads.push(l);
    out.byRule[r.rule.id] = { leads: leads.length, newFindings: 0 };
    if (peers && r.rule.peerStats) out.peers[r.rule.id] = r.rule.peerStats(data, r.params, ctx);
    const u = data.settlements.length > 0 ? r.rule.unjudged?.(data, r.params, ctx) : undefined;
    if (u) out.unjudged[r.rule.id] = u;
  }
  return out;
}

/**
 * The context of a visit rule in an incremental run or a check: the rows from its look-back start,
 * those from `newFromMs` new.
 */
export function visitContext(r: RuleInForce, newFromMs: number, toMs: number, peers: PeerStats | undefined): RunContext {
  return { fromMs: Math.min(newFromMs, lookbackStart(r.rule, r.params, newFromMs)), toMs, newFromMs, ...(peers ? { peers } : {}) };
}
