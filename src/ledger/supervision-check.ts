/**
 * Checking visits not yet settled (3101, 事前) or being settled (3102, 事中): each person's history
 * over the look-back window the rules need (index settlements_person, a handful of rows), the
 * candidate visits appended after it, and the visit rules run with the candidates as the only new
 * rows, so that only leads involving a candidate come back. A few prepared statements a person, no
 * scan of anything: what a pre-settle can afford.
 */
import { VISIT_TYPES } from '../domain.js';
import { ColumnsBuilder } from '../monitoring/columns.js';
import type { MonitoringData, PeerStats } from '../monitoring/types.js';
import { LedgerError } from './errors.js';
import { evidenceColumns, evidenceOf, rowAmount } from './supervision-evidence.js';
import { idList, idParam, InstitutionTable, institutionSelect, LIVE, PersonTable, visitTypeIndex } from './supervision-load.js';
import type { Reader, Row } from './supervision-reader.js';
import type { RuleInForce } from './supervision-rules.js';
import { lookbackStart, scan, visitContext } from './supervision-scan.js';
import type { CheckLead, CheckVisit, EvidenceSettlement } from './supervision-types.js';

/** At most this many visits one check takes. */
export const MAX_CHECK_VISITS = 100;

/**
 * A person (scheme, category, hardship: the last three columns) with their live settlements in
 * [from, to) and those settlements' institutions (tier, grade, kind, site): no row when the person
 * is not on file, one row with no settlement when they have none in the window. One statement.
 */
const historyText = (visitType: string) => `select ${evidenceColumns(visitType)}, i.tier, i.grade, st.kind, st.longitude_e6, st.latitude_e6, p.scheme, p.category, p.hardship
  from persons p left join settlements s on s.person_id = p.id and s.created_at >= ? and s.created_at < ? and ${LIVE}
  left join institutions i on i.id = s.institution_id left join institution_sites st on st.institution_id = s.institution_id
  where p.id = ? order by s.created_at, s.id`;
let history: { visitType: string; text: string } | undefined;
/** The text made once: a prepared statement is found by it at every check. */
const historySelect = (visitType: string) => {
  if (history?.visitType !== visitType) history = { visitType, text: historyText(visitType) };
  return history.text;
};

const fen = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The visits checked: INVALID_REQUEST naming each bad field. */
export function checkVisits(visits: readonly CheckVisit[]): void {
  if (!Array.isArray(visits) || visits.length === 0 || visits.length > MAX_CHECK_VISITS) throw new LedgerError('INVALID_REQUEST', `visits: 1 to ${MAX_CHECK_VISITS} visits`);
  const problems: string[] = [];
  visits.forEach((v, i) => {
    for (const k of ['personId', 'institutionId', 'visitId'] as const) if (typeof v?.[k] !== 'string' || v[k].trim() === '') problems.push(`visits[${i}].${k}: required`);
    if (!Number.isSafeInteger(v?.timeMs) || v.timeMs < 0) problems.push(`visits[${i}].timeMs: epoch milliseconds`);
    if (!(VISIT_TYPES as readonly string[]).includes(v?.visitType)) problems.push(`visits[${i}].visitType: one of ${VISIT_TYPES.join(', ')}`);
    for (const k of ['total', 'fund', 'account', 'cash'] as const) if (!fen(v?.[k])) problems.push(`visits[${i}].${k}: whole fen, 0 or more`);
  });
  if (problems.length > 0) throw new LedgerError('INVALID_REQUEST', problems.join('; '));
}

/** What a check found for one person's visits. */
interface PersonCheck {
  leads: CheckLead[];
  /** The lead's key, by lead (for 3102's findings). */
  keys: string[];
  /** The latest settlement time each lead rests on. */
  happened: number[];
  rows: number;
}

/**
 * Checks one person's candidate visits (all the same person) against their history, with the
 * rules given (visit rules in force, with the peer statistics of the last batch where they need them).
 */
export async function checkPerson(
  reader: Reader & { allNow?: (t: string, p: readonly unknown[]) => Row[] },
  rules: readonly RuleInForce[],
  visits: readonly CheckVisit[],
  peers: PeerStats | undefined,
  visitType: string,
): Promise<PersonCheck> {
  const read = (t: string, p: readonly unknown[]) => (reader.allNow ? reader.allNow(t, p) : reader.all(t, p));
  const personId = (visits[0] as CheckVisit).personId;
  const candidates = [...visits].sort((a, b) => a.timeMs - b.timeMs);
  const first = (candidates[0] as CheckVisit).timeMs;
  const last = (candidates[candidates.length - 1] as CheckVisit).timeMs;
  const lookFrom = Math.min(...rules.map((r) => lookbackStart(r.rule, r.params, first)));
  const persons = new PersonTable();
  const rows = await read(historySelect(visitType), [lookFrom, first, personId]);
  const p = rows[0];
  persons.add(personId, p?.[17], p?.[18], p?.[19]);
  const history = rows.filter((r) => r[0] !== null);
  const institutions = new InstitutionTable();
  for (const h of history) institutions.addRow([h[2], h[12], h[13], h[14], h[15], h[16]]);
  const unknown = [...new Set(candidates.map((c) => c.institutionId))].filter((id) => !institutions.index.has(id));
  if (unknown.length > 0) for (const r of await read(institutionSelect(idList(reader)), [idParam(reader, unknown)])) institutions.addRow(r);
  // Rows pushed in time order stay in that order (the builder's sort is stable): row i is history[i], then the candidates.
  const builder = new ColumnsBuilder(1, history.length + candidates.length);
  for (const h of history) {
    builder.push({
      person: 0,
      institution: institutions.ordinal(String(h[2])),
      timeMs: Number(h[3]),
      visitType: typeof h[4] === 'number' ? h[4] : visitTypeIndex(h[4]),
      totalFen: Number(h[5]),
      fundFen: Number(h[6]),
      criticalFen: Number(h[7]),
      assistanceFen: Number(h[8]),
      accountFen: Number(h[9]),
      cashFen: Number(h[10]),
    });
  }
  for (const c of candidates) {
    builder.push({
      person: 0,
      institution: institutions.ordinal(c.institutionId),
      timeMs: c.timeMs,
      visitType: visitTypeIndex(c.visitType),
      totalFen: c.total,
      fundFen: c.fund,
      criticalFen: 0,
      assistanceFen: 0,
      accountFen: c.account,
      cashFen: c.cash,
    });
  }
  const data: MonitoringData = { persons: persons.columns(), institutions: institutions.columns(), settlements: builder.finish(), enrollments: [] };
  const found = scan(rules, data, (r) => visitContext(r, first, last + 1, peers), false);
  const h = history.length;
  const settlementOf = (row: number): EvidenceSettlement => {
    if (row < h) {
      const { personId: _, ...e } = evidenceOf(history[row] as Row);
      return e;
    }
    const c = candidates[row - h] as CheckVisit;
    return {
      id: '',
      visitId: c.visitId,
      institutionId: c.institutionId,
      time: c.timeMs,
      visitType: c.visitType,
      total: c.total,
      fund: c.fund,
      critical: 0,
      assistance: 0,
      account: c.account,
      cash: c.cash,
    };
  };
  const out: PersonCheck = { leads: [], keys: [], happened: [], rows: h };
  for (const lead of found.leads) {
    const candidateRow = lead.rows.find((r) => r >= h);
    if (candidateRow === undefined) continue;
    const rule = rules.find((r) => r.rule.id === lead.ruleId);
    out.leads.push({
      ruleId: lead.ruleId,
      ruleName: rule?.rule.name ?? lead.ruleId,
      personId,
      visitId: (candidates[candidateRow - h] as CheckVisit).visitId,
      institutionId: lead.institution !== undefined ? (data.institutions.ids[lead.institution] ?? null) : null,
      amount: lead.amountFen,
      amountComputed: lead.amountComputed,
      severity: rule?.view.severity ?? '3',
      behaviour: rule?.rule.behaviour ?? '1',
      content: lead.content,
      evidence: { settlements: lead.rows.map((row, i) => ({ ...settlementOf(row), amount: rowAmount(lead, i) })), figures: lead.figures, sources: rule?.rule.sources ?? [] },
    });
    out.keys.push(`${lead.ruleId}|${lead.key}`);
    out.happened.push(Math.max(...lead.rows.map((r) => data.settlements.timeMs[r] as number)));
  }
  return out;
}
