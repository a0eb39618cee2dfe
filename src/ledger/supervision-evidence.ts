/**
 * From a lead's rows to its evidence (证据): the settlements it rests on, by id. Columns hold no
 * ids (10,000,000 of them would not fit the run's memory), so a row is found again by its person
 * and time (index settlements_person), its institution, visit type and amounts; of settlements
 * alike in all of these (settled in the same millisecond), the row's rank among its likes picks
 * one in id order — they are the same to every rule.
 */
import { VISIT_TYPES } from '../domain.js';
import type { EnrollmentRow, Lead, MonitoringData, RuleDefinition } from '../monitoring/types.js';
import { LIVE, visitTypeIndex } from './supervision-load.js';
import type { Reader } from './supervision-reader.js';
import type { EvidenceSettlement, FindingEvidence } from './supervision-types.js';

/** A row of the columns as the database knows it. */
export interface RowKey {
  person: string;
  institution: string;
  timeMs: number;
  visitType: number;
  total: number;
  fund: number;
  /** How many rows before it, of the same person, are alike (same time, institution, type and amounts). */
  rank: number;
}

/** The keys of the rows the leads rest on. */
export function rowKeys(data: MonitoringData, leads: readonly Lead[]): Map<number, RowKey> {
  const s = data.settlements;
  const keys = new Map<number, RowKey>();
  for (const lead of leads) {
    for (const r of lead.rows) {
      if (keys.has(r)) continue;
      const p = s.person[r] as number;
      const lo = s.personStart[p] as number;
      const alike = (a: number) =>
        s.timeMs[a] === s.timeMs[r] &&
        s.institution[a] === s.institution[r] &&
        s.visitType[a] === s.visitType[r] &&
        s.totalFen[a] === s.totalFen[r] &&
        s.fundFen[a] === s.fundFen[r];
      let rank = 0;
      for (let a = r - 1; a >= lo && s.timeMs[a] === s.timeMs[r]; a--) if (alike(a)) rank++;
      keys.set(r, {
        person: data.persons.ids[p] as string,
        institution: data.institutions.ids[s.institution[r] as number] as string,
        timeMs: s.timeMs[r] as number,
        visitType: s.visitType[r] as number,
        total: s.totalFen[r] as number,
        fund: s.fundFen[r] as number,
        rank,
      });
    }
  }
  return keys;
}

/** A settlement's columns as `evidenceOf` reads them; `visitType`: the SQL of its visit type's index (supervision-visit-types.ts). */
export const evidenceColumns = (visitType: string) => `s.id, s.visit_id, s.institution_id, s.created_at, ${visitType}, s.total_fen, s.fund_pay_fen,
  s.critical_illness_pay_fen, s.assistance_pay_fen, s.account_pay_fen, s.cash_pay_fen, s.person_id`;

/** A settlement row of `evidenceColumns` as evidence. */
export function evidenceOf(r: unknown[]): EvidenceSettlement & { personId: string } {
  return {
    id: String(r[0]),
    visitId: String(r[1]),
    institutionId: String(r[2]),
    time: Number(r[3]),
    visitType: typeof r[4] === 'number' ? (VISIT_TYPES[r[4]] ?? '') : r[4] === null ? '' : String(r[4]),
    total: Number(r[5]),
    fund: Number(r[6]),
    critical: Number(r[7]),
    assistance: Number(r[8]),
    account: Number(r[9]),
    cash: Number(r[10]),
    personId: String(r[11]),
  };
}

/** Groups of (person, time) a PostgreSQL query looks up at once. */
const PG_GROUPS = 2_000;

/**
 * The settlements the rows are, by row. A row whose settlement is no longer found (reversed since
 * it was read) has the id '' and the figures the columns held.
 */
export async function resolveRows(reader: Reader, keys: Map<number, RowKey>, visitType: string): Promise<Map<number, EvidenceSettlement>> {
  const columns = evidenceColumns(visitType);
  const groups = new Map<string, { person: string; timeMs: number; rows: number[] }>();
  for (const [row, k] of keys) {
    const g = `${k.person}\u0000${k.timeMs}`;
    let group = groups.get(g);
    if (!group) groups.set(g, (group = { person: k.person, timeMs: k.timeMs, rows: [] }));
    group.rows.push(row);
  }
  const found = new Map<string, (EvidenceSettlement & { personId: string })[]>();
  const all = [...groups.values()];
  if (reader.dialect === 'postgres') {
    for (let i = 0; i < all.length; i += PG_GROUPS) {
      const chunk = all.slice(i, i + PG_GROUPS);
      const rows = await reader.all(
        `select ${columns} from unnest(?::text[], ?::bigint[]) as k(p, t) join settlements s on s.person_id = k.p and s.created_at = k.t where ${LIVE} order by s.id`,
        [chunk.map((g) => g.person), chunk.map((g) => g.timeMs)],
      );
      for (const r of rows) {
        const e = evidenceOf(r);
        const g = `${e.personId}\u0000${e.time}`;
        const list = found.get(g);
        if (list) list.push(e);
        else found.set(g, [e]);
      }
    }
  } else {
    const text = `select ${columns} from settlements s where s.person_id = ? and s.created_at = ? and ${LIVE} order by s.id`;
    for (const [g, group] of groups) found.set(g, (await reader.all(text, [group.person, group.timeMs])).map(evidenceOf));
  }
  const out = new Map<number, EvidenceSettlement>();
  for (const [g, group] of groups) {
    const candidates = found.get(g) ?? [];
    for (const row of group.rows) {
      const k = keys.get(row) as RowKey;
      const alike = candidates.filter((c) => c.institutionId === k.institution && visitTypeIndex(c.visitType) === k.visitType && c.total === k.total && c.fund === k.fund);
      const hit = alike[k.rank] ?? alike[0];
      if (hit) {
        const { personId: _, ...e } = hit;
        out.set(row, e);
      } else out.set(row, unresolved(k));
    }
  }
  return out;
}

function unresolved(k: RowKey): EvidenceSettlement {
  return {
    id: '',
    visitId: '',
    institutionId: k.institution,
    time: k.timeMs,
    visitType: VISIT_TYPES[k.visitType] ?? '',
    total: k.total,
    fund: k.fund,
    critical: 0,
    assistance: 0,
    account: 0,
    cash: 0,
  };
}

/** A lead's row's part of its amount (Lead.rowAmountsFen; without them, the whole amount is on the first row). */
export const rowAmount = (lead: Lead, i: number): number => lead.rowAmountsFen?.[i] ?? (i === 0 ? lead.amountFen : 0);

/** A lead's evidence: its settlements in the lead's order, its figures, the rule's articles, its enrollments. */
export function evidenceFor(
  lead: Lead,
  // biome-ignore lint/suspicious/noExplicitAny: any rule.
  rule: RuleDefinition<any> | undefined,
  settlements: (row: number) => EvidenceSettlement | undefined,
  enrollments: Map<string, EnrollmentRow> | undefined,
): FindingEvidence {
  const evidence: FindingEvidence = {
    settlements: lead.rows.flatMap((r, i) => {
      const e = settlements(r);
      return e ? [{ ...e, amount: rowAmount(lead, i) }] : [];
    }),
    figures: lead.figures,
    sources: rule?.sources ?? [],
  };
  if (lead.enrollments && lead.enrollments.length > 0) {
    evidence.enrollments = lead.enrollments.map((id) => {
      const e = enrollments?.get(id);
      return { id, coverageYear: e?.coverageYear ?? 0, region: e?.region ?? '', scheme: e?.scheme ?? '', paidOn: e?.paidOn ?? '', amount: e?.amountFen ?? null };
    });
  }
  return evidence;
}
