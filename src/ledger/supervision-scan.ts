/**
 * Running supervision rules over loaded columns (监管筛查): each rule in force judges the data; its
 * leads, its peer statistics (a batch keeps them for later checks) and what it could not judge.
 * And how far back a visit rule must look from a new settlement so that an incremental run or a
 * check gives it the rows a batch would have.
 */
import { CHINA_OFFSET_MS, chinaDay, MS_PER_DAY, yearOf, yearStart } from '../calendar/calendar.js';
import { KIND_UNKNOWN, type Lead, type MonitoringData, type PeerStats, type RunContext } from '../monitoring/types.js';
import type { RuleInForce } from './supervision-rules.js';

/** The start (epoch ms) of a China day. */
export const dayStartMs = (day: number) => day * MS_PER_DAY - CHINA_OFFSET_MS;

/** The start of the China calendar year an instant falls in. */
export const yearStartMs = (ms: number) => dayStartMs(yearStart(yearOf(chinaDay(ms))));

const positive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * Where a visit rule's look-back from `fromMs` starts: the rows before the new ones that it needs
 * to judge them as a batch would. The same China day for visits split within a day (SPLIT-DAY);
 * the set number of minutes for the card used far apart (CARD-DISTANCE); the set window, else the
 * calendar year, for account cash-out (ACCT-CASHOUT); the calendar year for any other rule (more
 * rows than a rule needs never change its judgement of the new ones).
 */
export function lookbackStart(ruleId: string, params: unknown, fromMs: number): number {
  const p = (params ?? {}) as Record<string, unknown>;
  switch (ruleId) {
    case 'SPLIT-DAY':
      return dayStartMs(chinaDay(fromMs));
    case 'CARD-DISTANCE': {
      const minutes = positive(p.withinMinutes);
      if (minutes !== undefined) return fromMs - minutes * 60_000;
      break;
    }
    case 'ACCT-CASHOUT': {
      const days = positive(p.windowDays);
      if (days !== undefined) return dayStartMs(chinaDay(fromMs) - Math.ceil(days));
      break;
    }
  }
  return yearStartMs(fromMs);
}

/**
 * What a rule could not judge in the data, in words (Chinese, then English): visits at
 * institutions with no location for the card-distance rule, visits at institutions of unknown kind
 * for the cash-out rule. Empty when it judged everything.
 */
export function unjudgedBy(ruleId: string, data: MonitoringData): string | undefined {
  const { settlements: s, institutions: inst } = data;
  let n = 0;
  if (ruleId === 'CARD-DISTANCE') {
    for (let i = 0; i < s.length; i++) if (Number.isNaN(inst.longitudeE6[s.institution[i] as number] as number)) n++;
    return n > 0 ? `${n} 次结算的机构没有登记位置 (${n} settlements at institutions with no location on file)` : undefined;
  }
  if (ruleId === 'ACCT-CASHOUT') {
    for (let i = 0; i < s.length; i++) if (inst.kind[s.institution[i] as number] === KIND_UNKNOWN) n++;
    return n > 0 ? `${n} 次结算的机构没有登记类型 (${n} settlements at institutions whose kind is not on file)` : undefined;
  }
  return undefined;
}

/** What the rules found. */
export interface Scan {
  leads: Lead[];
  byRule: Record<string, { leads: number; newFindings: number }>;
  peers: PeerStats;
  unjudged: Record<string, string>;
}

/**
 * Runs each rule over the data. With `ctx.newFromMs`, only leads that rest on at least one new row
 * (timeMs ≥ newFromMs) are kept, whatever the rule returns. `peers`: whether to keep the rules'
 * peer statistics (a batch).
 */
export function scan(rules: readonly RuleInForce[], data: MonitoringData, ctx: RunContext, peers: boolean): Scan {
  const out: Scan = { leads: [], byRule: {}, peers: {}, unjudged: {} };
  const time = data.settlements.timeMs;
  const newFrom = ctx.newFromMs;
  for (const r of rules) {
    let leads = r.rule.evaluate(data, r.params, ctx);
    if (newFrom !== undefined) leads = leads.filter((l) => l.rows.length === 0 || l.rows.some((row) => (time[row] as number) >= newFrom));
    for (const l of leads) out.leads.push(l);
    out.byRule[r.rule.id] = { leads: leads.length, newFindings: 0 };
    if (peers && r.rule.peerStats) out.peers[r.rule.id] = r.rule.peerStats(data, r.params, ctx);
    const u = unjudgedBy(r.rule.id, data);
    if (u) out.unjudged[r.rule.id] = u;
  }
  return out;
}
