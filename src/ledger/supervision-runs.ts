/**
 * A supervision run's findings and its record: each new lead as a finding row with its evidence,
 * and the findings, the run's row and its audit row written in one transaction (a run that fails
 * writes nothing). Runs read back as summaries.
 */
import type { Lead, MonitoringData, PeerStats } from '../monitoring/types.js';
import type { LedgerDb } from './connect.js';
import { evidenceFor, resolveRows, rowKeys } from './supervision-evidence.js';
import { findingRow, type FindingRow } from './supervision-findings.js';
import { writeRunRows } from './supervision-write.js';
import type { Loaded } from './supervision-load.js';
import type { Reader } from './supervision-reader.js';
import type { RuleInForce } from './supervision-rules.js';
import type { RunSummary } from './supervision-types.js';
import type { Actor } from './types.js';

/** The data of a run that reads nothing (no rule to run, an empty span). */
export const EMPTY: Loaded['data'] = {
  persons: { ids: [], scheme: new Uint8Array(0), category: new Uint8Array(0), hardship: new Uint8Array(0) },
  institutions: { ids: [], tier: new Uint8Array(0), grade: new Uint8Array(0), kind: new Uint8Array(0), longitudeE6: new Float64Array(0), latitudeE6: new Float64Array(0) },
  settlements: {
    length: 0,
    person: new Int32Array(0),
    institution: new Int32Array(0),
    timeMs: new Float64Array(0),
    day: new Int32Array(0),
    visitType: new Uint8Array(0),
    totalFen: new Float64Array(0),
    fundFen: new Float64Array(0),
    criticalFen: new Float64Array(0),
    assistanceFen: new Float64Array(0),
    accountFen: new Float64Array(0),
    cashFen: new Float64Array(0),
    personStart: new Int32Array(1),
  },
  enrollments: [],
};

export const keyOf = (lead: Lead) => `${lead.ruleId}|${lead.key}`;

/** Persons with at least one settlement in the data. */
export function personsSettled(data: MonitoringData): number {
  const start = data.settlements.personStart;
  let n = 0;
  for (let p = 0; p + 1 < start.length; p++) if ((start[p + 1] as number) > (start[p] as number)) n++;
  return n;
}

/** The rows of new findings, with their evidence read in the run's snapshot. */
export async function findingRows(
  now: number,
  reader: Reader,
  runId: string,
  rules: readonly RuleInForce[],
  leads: readonly Lead[],
  data: MonitoringData,
  fallbackTime: number,
  visitType: string,
): Promise<FindingRow[]> {
  if (leads.length === 0) return [];
  const settled = await resolveRows(reader, rowKeys(data, leads), visitType);
  const enrollments = new Map(data.enrollments.map((e) => [e.id, e]));
  const inForce = new Map(rules.map((r) => [r.rule.id, r]));
  return leads.map((lead) => {
    const r = inForce.get(lead.ruleId);
    const evidence = evidenceFor(lead, r?.rule, (row) => settled.get(row), enrollments);
    const times = lead.rows.map((row) => data.settlements.timeMs[row] as number);
    const paid = (lead.enrollments ?? []).map((id) => enrollments.get(id)?.paidOn).filter((d): d is string => d !== undefined);
    const happenedAt = times.length > 0 ? Math.max(...times) : paid.length > 0 ? Date.parse(`${paid.sort().at(-1)}T00:00:00+08:00`) : fallbackTime;
    return findingRow({
      key: keyOf(lead),
      ruleId: lead.ruleId,
      runId,
      personId: data.persons.ids[lead.person] as string,
      visitId: evidence.settlements[0]?.visitId || null,
      institutionId: lead.institution !== undefined ? (data.institutions.ids[lead.institution] ?? null) : null,
      amount: lead.amountFen,
      amountComputed: lead.amountComputed,
      severity: r?.view.severity ?? r?.rule.severity ?? '3',
      behaviour: r?.rule.behaviour ?? '1',
      content: lead.content,
      evidence,
      happenedAt: Number.isFinite(happenedAt) ? happenedAt : fallbackTime,
      now,
    });
  });
}

/** The findings, the run and its audit row: one transaction. */
export async function writeRun(
  store: LedgerDb,
  now: () => number,
  summary: Omit<RunSummary, 'finishedAt'>,
  rows: readonly FindingRow[],
  actor: Actor,
  peers: PeerStats,
  timings: NonNullable<RunSummary['timings']>,
  writeMs: () => number,
): Promise<{ summary: RunSummary; inserted: Set<string> }> {
  let done: RunSummary | undefined;
  const inserted = await writeRunRows(store, rows, (inserted) => {
    const byRule = structuredClone(summary.byRule);
    for (const r of rows) {
      if (!inserted.has(r.key)) continue;
      const b = (byRule[r.rule_id] ??= { leads: 0, newFindings: 0 });
      b.newFindings++;
    }
    const finishedAt = now();
    timings.writeMs = writeMs();
    done = { ...summary, finishedAt, byRule, newFindings: inserted.size, timings };
    const { id, kind, from, to, startedAt, rules, ...rest } = done;
    return {
      run: {
        id,
        kind,
        span_from: from,
        span_to: to,
        rules: JSON.stringify(rules),
        summary: JSON.stringify({ ...rest, peers }),
        actor: actor.id,
        started_at: startedAt,
        finished_at: finishedAt,
      },
      audit: {
        at: finishedAt,
        actor: actor.id,
        role: actor.role,
        action: 'supervision.run',
        target: id,
        detail: JSON.stringify({ kind, from, to, rules: rules.map((r) => r.ruleId), leads: done.leads, newFindings: done.newFindings, truncated: done.truncated ?? 0 }),
      },
    };
  });
  return { summary: done as RunSummary, inserted };
}

/** A run's row as its summary (the peer statistics it kept are not part of it). */
export function runOf(r: { id: string; kind: string; span_from: number; span_to: number; rules: string; summary: string; started_at: number; finished_at: number }): RunSummary {
  const { peers: _, ...rest } = JSON.parse(r.summary) as Omit<RunSummary, 'id' | 'kind' | 'from' | 'to' | 'rules' | 'startedAt' | 'finishedAt'> & { peers?: PeerStats };
  return {
    id: r.id,
    kind: r.kind as RunSummary['kind'],
    from: Number(r.span_from),
    to: Number(r.span_to),
    startedAt: Number(r.started_at),
    finishedAt: Number(r.finished_at),
    rules: JSON.parse(r.rules) as RunSummary['rules'],
    ...rest,
  };
}
