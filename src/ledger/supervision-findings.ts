/**
 * Findings (疑点线索) as the ledger keeps them: written by runs (a lead found again is the finding
 * already on file: its key is unique, inserts do nothing on a key present), read a page at a time,
 * counted without personal data, and their status changed only by agency staff with a reason —
 * the change, its history row and its audit row in one transaction.
 */
import type { Insertable, Kysely, SelectQueryBuilder, Transaction } from 'kysely';
import { BEHAVIOUR_TYPES, FINDING_STATUSES, SEVERITIES, type BehaviourType, type FindingStatus, type Severity } from '../monitoring/types.js';
import { writeAudit } from './audit.js';
import { LedgerError } from './errors.js';
import { uuidv7 } from './ids.js';
import type { Database, FindingsTable } from './schema.js';
import type { AnyRule } from './supervision-rules.js';
import { requireReason } from './supervision-rules.js';
import type { Finding, FindingCount, FindingEvidence, FindingQuery, FindingStatusChange } from './supervision-types.js';
import type { Actor } from './types.js';

type Db = Kysely<Database> | Transaction<Database>;

/** At most this many findings a page returns. */
export const MAX_FINDINGS_PAGE = 1000;
/** The farthest a page may start (deeper: narrow the query). */
export const MAX_FINDINGS_OFFSET = 100_000;
/** At most this many groups `counts` returns. */
export const MAX_COUNT_GROUPS = 10_000;
/** At most this many status changes a finding's history returns. */
export const MAX_STATUS_HISTORY = 1000;
/** Findings a statement inserts (17 columns each: far below either store's limit on parameters). */
const INSERT_CHUNK = 500;
/** Keys a statement looks up. */
const KEY_CHUNK = 500;

/** The evidence as stored: the contract's, and whether the amount was computed (vola_amt_stas). */
type StoredEvidence = FindingEvidence & { amountComputed: boolean };

export type FindingRow = Insertable<FindingsTable>;

/** A finding's row, before its run is written. */
export function findingRow(f: {
  key: string;
  ruleId: string;
  runId: string;
  personId: string;
  visitId: string | null;
  institutionId: string | null;
  amount: number;
  amountComputed: boolean;
  severity: Severity;
  behaviour: BehaviourType;
  content: string;
  evidence: FindingEvidence;
  happenedAt: number;
  now: number;
}): FindingRow {
  const evidence: StoredEvidence = { ...f.evidence, amountComputed: f.amountComputed };
  return {
    id: `F-${uuidv7(f.now)}`,
    key: f.key,
    rule_id: f.ruleId,
    run_id: f.runId,
    person_id: f.personId,
    visit_id: f.visitId,
    institution_id: f.institutionId,
    amount_fen: f.amount,
    sev_deg: f.severity,
    bhvr_type: f.behaviour,
    content: f.content,
    evidence: JSON.stringify(evidence),
    happened_at: f.happenedAt,
    status: 'open',
    status_at: f.now,
    created_at: f.now,
  };
}

/** Inserts findings whose key is not on file; returns the keys inserted. In the caller's transaction. */
export async function insertFindings(trx: Db, rows: readonly FindingRow[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const got = await trx
      .insertInto('findings')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .execute();
    for (const r of got) inserted.add(r.key);
  }
  return inserted;
}

/** The ids of the findings with these keys. */
export async function idsOfKeys(db: Db, keys: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < keys.length; i += KEY_CHUNK) {
    const rows = await db
      .selectFrom('findings')
      .select(['key', 'id'])
      .where('key', 'in', keys.slice(i, i + KEY_CHUNK))
      .execute();
    for (const r of rows) out.set(r.key, r.id);
  }
  return out;
}

function checkQuery(q: Partial<FindingQuery>): void {
  const problems: string[] = [];
  if (q.status !== undefined && !FINDING_STATUSES.includes(q.status)) problems.push(`status: one of ${FINDING_STATUSES.join(', ')}`);
  if (q.severity !== undefined && !SEVERITIES.includes(q.severity)) problems.push(`severity: one of ${SEVERITIES.join(', ')}`);
  for (const k of ['from', 'to'] as const) if (q[k] !== undefined && !Number.isSafeInteger(q[k])) problems.push(`${k}: epoch milliseconds`);
  if (problems.length > 0) throw new LedgerError('INVALID_REQUEST', problems.join('; '));
}

/** The query's filters on a select from findings. */
function filtered<O>(s: SelectQueryBuilder<Database, 'findings', O>, q: Omit<Partial<FindingQuery>, 'limit' | 'offset'>): SelectQueryBuilder<Database, 'findings', O> {
  if (q.status !== undefined) s = s.where('status', '=', q.status);
  if (q.ruleId !== undefined) s = s.where('rule_id', '=', q.ruleId);
  if (q.institutionId !== undefined) s = s.where('institution_id', '=', q.institutionId);
  if (q.personId !== undefined) s = s.where('person_id', '=', q.personId);
  if (q.severity !== undefined) s = s.where('sev_deg', '=', q.severity);
  if (q.from !== undefined) s = s.where('happened_at', '>=', q.from);
  if (q.to !== undefined) s = s.where('happened_at', '<', q.to);
  return s;
}

export class FindingBook {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly ruleOf: (id: string) => AnyRule | undefined,
    private readonly now: () => number,
  ) {}

  private findingOf = (r: FindingsTable): Finding => {
    const { amountComputed, ...evidence } = JSON.parse(r.evidence) as StoredEvidence;
    return {
      id: r.id,
      ruleId: r.rule_id,
      ruleName: this.ruleOf(r.rule_id)?.name ?? r.rule_id,
      runId: r.run_id,
      personId: r.person_id,
      visitId: r.visit_id,
      institutionId: r.institution_id,
      amount: Number(r.amount_fen),
      amountComputed: amountComputed !== false,
      severity: r.sev_deg as Severity,
      behaviour: (BEHAVIOUR_TYPES as readonly string[]).includes(r.bhvr_type) ? (r.bhvr_type as BehaviourType) : '1',
      content: r.content,
      evidence,
      happenedAt: Number(r.happened_at),
      status: r.status as FindingStatus,
      statusAt: Number(r.status_at),
      createdAt: Number(r.created_at),
    };
  };

  /** A page of findings, newest first (created_at desc, then id), and how many match. */
  async list(q: FindingQuery): Promise<{ items: Finding[]; total: number }> {
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_FINDINGS_PAGE) throw new LedgerError('INVALID_REQUEST', `limit: 1 to ${MAX_FINDINGS_PAGE}`);
    if (!Number.isInteger(q.offset) || q.offset < 0 || q.offset > MAX_FINDINGS_OFFSET) throw new LedgerError('INVALID_REQUEST', `offset: 0 to ${MAX_FINDINGS_OFFSET}`);
    checkQuery(q);
    const rows = await filtered(this.db.selectFrom('findings').selectAll(), q).orderBy('created_at', 'desc').orderBy('id').limit(q.limit).offset(q.offset).execute();
    const total = await filtered(
      this.db.selectFrom('findings').select((eb) => eb.fn.countAll<string | number>().as('n')),
      q,
    ).executeTakeFirstOrThrow();
    return { items: rows.map(this.findingOf), total: Number(total.n) };
  }

  async get(id: string, db: Db = this.db): Promise<Finding | undefined> {
    const r = await db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirst();
    return r && this.findingOf(r as FindingsTable);
  }

  /** Every status change of a finding, oldest first. Unknown id: NOT_FOUND. */
  async history(id: string): Promise<FindingStatusChange[]> {
    if (!(await this.db.selectFrom('findings').select('id').where('id', '=', id).executeTakeFirst())) throw new LedgerError('NOT_FOUND', `finding ${id} does not exist`);
    const rows = await this.db
      .selectFrom('finding_status')
      .select(['status', 'reason', 'actor', 'at'])
      .where('finding_id', '=', id)
      .orderBy('at')
      .orderBy('id')
      .limit(MAX_STATUS_HISTORY)
      .execute();
    return rows.map((r) => ({ status: r.status as FindingStatus, reason: r.reason, actor: r.actor, at: Number(r.at) }));
  }

  /**
   * Changes a finding's status (核查结论), with a reason: the status row, the finding and the audit
   * row in one transaction. The status it already has writes nothing and answers the finding as it is.
   *
   * @throws LedgerError NOT_FOUND for an unknown finding; INVALID_REQUEST for a status not known or a reason missing.
   */
  async setStatus(id: string, change: { status: FindingStatus; reason: string }, actor: Actor): Promise<Finding> {
    const problems: string[] = [];
    if (!FINDING_STATUSES.includes(change?.status)) problems.push(`status: one of ${FINDING_STATUSES.join(', ')} (待核查, 已确认, 已排除)`);
    try {
      requireReason(change?.reason);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (problems.length > 0) throw new LedgerError('INVALID_REQUEST', problems.join('; '));
    return this.db.transaction().execute(async (trx) => {
      const before = await this.get(id, trx);
      if (!before) throw new LedgerError('NOT_FOUND', `finding ${id} does not exist`);
      if (before.status === change.status) return before;
      const at = this.now();
      await trx
        .insertInto('finding_status')
        .values({ id: uuidv7(at), finding_id: id, status: change.status, reason: change.reason, actor: actor.id, at })
        .execute();
      await trx.updateTable('findings').set({ status: change.status, status_at: at }).where('id', '=', id).execute();
      await writeAudit(trx, actor, at, 'supervision.finding.status', id, { before: before.status, after: change.status, reason: change.reason, ruleId: before.ruleId });
      return { ...before, status: change.status, statusAt: at };
    });
  }

  /** Findings counted and their amounts summed by rule, status, severity and institution: no person in it. */
  async counts(q: Omit<FindingQuery, 'limit' | 'offset' | 'personId'>): Promise<FindingCount[]> {
    checkQuery(q);
    const rows = await filtered(
      this.db
        .selectFrom('findings')
        .select((eb) => [
          'rule_id',
          'status',
          'sev_deg',
          'institution_id',
          eb.fn.countAll<string | number>().as('n'),
          eb.fn.sum<string | number | null>('amount_fen').as('amount'),
        ]),
      { ...q, personId: undefined },
    )
      .groupBy(['rule_id', 'status', 'sev_deg', 'institution_id'])
      .orderBy('rule_id')
      .orderBy('status')
      .orderBy('sev_deg')
      .orderBy('institution_id')
      .limit(MAX_COUNT_GROUPS)
      .execute();
    return rows.map((r) => ({
      ruleId: r.rule_id,
      ruleName: this.ruleOf(r.rule_id)?.name ?? r.rule_id,
      status: r.status as FindingStatus,
      severity: r.sev_deg as Severity,
      institutionId: r.institution_id,
      count: Number(r.n),
      amount: Number(r.amount ?? 0),
    }));
  }
}
