/**
 * Visits the centre registers (table national_visits): 2201 门诊挂号, 2202 门诊挂号撤销, 2203 门诊就诊信息上传
 * and 2401–2405 (入院办理, 出院办理, 就诊信息变更, 入院撤销, 出院撤销).
 *
 * The 就诊ID (mdtrt_id) is the centre's: `M` and the 128 bits of a UUIDv7 in base 36 (26 characters,
 * within the spec's 30; time-ordered). A registration is idempotent by its request id
 * `INFNO:INSTITUTION:MSGID` (the same message again answers the same visit; another body under it is
 * IDEMPOTENCY_CONFLICT). A change is applied once per request id (kept in the visit's info under
 * `requests`). Every write is audited in its own transaction.
 */
import type { Selectable, Transaction } from 'kysely';
import { writeAudit } from './audit.js';
import { LedgerError } from './errors.js';
import { idempotently, type Idempotency } from './idempotency.js';
import { uuidv7 } from './ids.js';
import type { NationalBookDeps } from './national-deps.js';
import type { Database } from './schema.js';
import type { NationalVisitsTable } from './schema-national.js';
import type { Actor } from './types.js';

export type NationalVisitRow = Selectable<NationalVisitsTable>;

/** A visit to register (2201 门诊挂号 / 2401 入院办理). */
export interface VisitRegistration {
  /** `INFNO:INSTITUTION:MSGID`: the same message again answers the same visit; another body with it is refused. */
  requestId: string;
  requestHash: string;
  institutionId: string;
  psnNo: string;
  kind: 'outpatient' | 'inpatient';
  insutype: string;
  medType: string;
  begntime: number;
  iptOtpNo: string;
  /** The registration's fields as sent (JSON-able). */
  info: Record<string, unknown>;
}

/** A change to a visit (2203 就诊信息, 2402 出院, 2403 变更, 2405 出院撤销). */
export interface VisitChange {
  requestId: string;
  institutionId: string;
  mdtrtId: string;
  psnNo: string;
  /** What the change is, for the audit row: 'visit-info', 'discharge', 'amend', 'undo-discharge'. */
  action: string;
  medType?: string;
  /** Set the discharge time (2402), or null to undo it (2405); absent = unchanged. */
  endtime?: number | null;
  /** Merged into info under this key (e.g. 'visit', 'discharge', 'amend'). */
  infoKey: string;
  infoValue: Record<string, unknown>;
}

/** A new 就诊ID: `M` + a UUIDv7's 128 bits in base 36, 25 digits (time-ordered, 26 characters). */
export function newMdtrtId(now: number): string {
  return `M${BigInt(`0x${uuidv7(now).replace(/-/g, '')}`)
    .toString(36)
    .padStart(25, '0')}`;
}

/** The live (not reversed) settlement of a visit at an institution, if any. */
export async function liveSettlementOf(db: Transaction<Database> | NationalBookDeps['db'], institutionId: string, mdtrtId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('settlements as s')
    .select('s.id')
    .where('s.visit_id', '=', mdtrtId)
    .where('s.institution_id', '=', institutionId)
    .where('s.kind', '=', 'settlement')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('settlements as r').select('r.id').whereRef('r.person_id', '=', 's.person_id').whereRef('r.reverses', '=', 's.id'))),
    )
    .executeTakeFirst();
  return row?.id;
}

/** The visit's info, parsed. */
export function infoOf(v: NationalVisitRow): Record<string, unknown> {
  return JSON.parse(v.info) as Record<string, unknown>;
}

/** The request ids of the changes applied to a visit (info.requests). */
function requestsOf(info: Record<string, unknown>): string[] {
  return Array.isArray(info.requests) ? (info.requests as string[]) : [];
}

/**
 * The visit for a change: this institution's (else NOT_FOUND, as another institution's entry),
 * this person's (else PERSON_MISMATCH), not cancelled (else VISIT_CANCELLED).
 */
export async function openVisit(db: Transaction<Database>, institutionId: string, mdtrtId: string, psnNo: string, lock: boolean): Promise<NationalVisitRow> {
  // On PostgreSQL the row is locked for the transaction: an upload and a cancellation of the same
  // visit (2301 and 2404, 2204 and 2202) take turns, so neither decides on what the other changes.
  const v = await db
    .selectFrom('national_visits')
    .selectAll()
    .where('mdtrt_id', '=', mdtrtId)
    .where('institution_id', '=', institutionId)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!v) throw new LedgerError('NOT_FOUND', `data.mdtrt_id: 就诊ID ${mdtrtId} 不存在（visit ${mdtrtId} is not registered at ${institutionId}）`);
  if (v.psn_no !== psnNo)
    throw new LedgerError('PERSON_MISMATCH', `data.psn_no: 就诊ID ${mdtrtId} 属于人员 ${v.psn_no}，不是 ${psnNo}（the visit is of person ${v.psn_no}, not ${psnNo}）`);
  if (v.status !== 'open') throw new LedgerError('VISIT_CANCELLED', `data.mdtrt_id: 就诊ID ${mdtrtId} 已撤销（visit ${mdtrtId} was cancelled）`);
  return v;
}

export class VisitBook {
  constructor(readonly deps: NationalBookDeps) {}

  /** Registers a visit: a new mdtrt_id (created) or, for the same request again, the same visit. */
  async register(v: VisitRegistration, actor: Actor): Promise<{ visit: NationalVisitRow; created: boolean }> {
    const db = this.deps.db;
    // A request id is the person's (docs/service.md).
    const find = (q: Transaction<Database> | NationalBookDeps['db']) =>
      q.selectFrom('national_visits').selectAll().where('psn_no', '=', v.psnNo).where('request_id', '=', v.requestId).executeTakeFirst();
    const spec: Idempotency<NationalVisitRow, { visit: NationalVisitRow; created: boolean }> = {
      matches: (prior) => prior.request_hash === v.requestHash && prior.institution_id === v.institutionId,
      answer: (prior) => ({ visit: prior, created: false }),
      conflict: () => new LedgerError('IDEMPOTENCY_CONFLICT', `msgid: 报文ID已用于另一请求（request ${v.requestId} was already used for a different message; use a new msgid）`),
    };
    return idempotently(
      () =>
        db.transaction().execute(async (trx) => {
          const prior = await find(trx);
          if (prior) {
            if (!spec.matches(prior)) throw spec.conflict(prior);
            return spec.answer(prior);
          }
          const now = this.deps.now();
          const row: NationalVisitRow = {
            mdtrt_id: newMdtrtId(now),
            institution_id: v.institutionId,
            psn_no: v.psnNo,
            kind: v.kind,
            insutype: v.insutype,
            med_type: v.medType,
            begntime: v.begntime,
            endtime: null,
            ipt_otp_no: v.iptOtpNo,
            status: 'open',
            info: JSON.stringify({ registration: v.info }),
            request_id: v.requestId,
            request_hash: v.requestHash,
            actor: actor.id,
            created_at: now,
            updated_at: now,
          };
          await trx.insertInto('national_visits').values(row).execute();
          await writeAudit(trx, actor, now, `national.visit.register`, row.mdtrt_id, {
            kind: v.kind,
            institution: v.institutionId,
            person: v.psnNo,
            medType: v.medType,
            iptOtpNo: v.iptOtpNo,
            requestId: v.requestId,
          });
          return { visit: row, created: true };
        }),
      () => find(db),
      spec,
    );
  }

  /** The visit, when it is this institution's; else undefined. */
  async get(institutionId: string, mdtrtId: string): Promise<NationalVisitRow | undefined> {
    return this.deps.db.selectFrom('national_visits').selectAll().where('mdtrt_id', '=', mdtrtId).where('institution_id', '=', institutionId).executeTakeFirst();
  }

  /**
   * Changes an open visit of this institution and person. Refused when it is cancelled
   * (VISIT_CANCELLED) or has a live settlement (VISIT_ALREADY_SETTLED: reverse it first). A request
   * id already applied answers the visit as it stands, writing nothing.
   */
  async change(c: VisitChange, actor: Actor): Promise<NationalVisitRow> {
    return this.deps.db.transaction().execute(async (trx) => {
      const v = await trx.selectFrom('national_visits').selectAll().where('mdtrt_id', '=', c.mdtrtId).where('institution_id', '=', c.institutionId).executeTakeFirst();
      if (v && requestsOf(infoOf(v)).includes(c.requestId)) return v;
      const open = await openVisit(trx, c.institutionId, c.mdtrtId, c.psnNo, this.deps.postgres);
      const settled = await liveSettlementOf(trx, c.institutionId, c.mdtrtId);
      if (settled)
        throw new LedgerError(
          'VISIT_ALREADY_SETTLED',
          `data.mdtrt_id: 就诊ID ${c.mdtrtId} 已结算（${settled}），请先撤销结算（visit ${c.mdtrtId} is settled as ${settled}; reverse it first）`,
        );
      const now = this.deps.now();
      const info = infoOf(open);
      const next: Record<string, unknown> = { ...info, [c.infoKey]: c.infoValue, requests: [...requestsOf(info), c.requestId] };
      const changed: NationalVisitRow = {
        ...open,
        ...(c.medType !== undefined ? { med_type: c.medType } : {}),
        ...(c.endtime !== undefined ? { endtime: c.endtime } : {}),
        info: JSON.stringify(next),
        updated_at: now,
      };
      await trx
        .updateTable('national_visits')
        .set({ med_type: changed.med_type, endtime: changed.endtime, info: changed.info, updated_at: now })
        .where('mdtrt_id', '=', c.mdtrtId)
        .execute();
      await writeAudit(trx, actor, now, `national.visit.${c.action}`, c.mdtrtId, {
        institution: c.institutionId,
        person: c.psnNo,
        requestId: c.requestId,
        ...(c.medType !== undefined ? { medType: c.medType } : {}),
        ...(c.endtime !== undefined ? { endtime: c.endtime } : {}),
      });
      return changed;
    });
  }

  /**
   * Cancels an open visit (2202, 2404, a 2601 of 2401): refused when it has a live settlement
   * (VISIT_ALREADY_SETTLED). Idempotent: a cancelled visit is answered as it is, nothing written.
   */
  async cancel(c: { requestId: string; institutionId: string; mdtrtId: string; psnNo: string; reason: string; onlyIfEmpty?: boolean }, actor: Actor): Promise<NationalVisitRow> {
    return this.deps.db.transaction().execute(async (trx) => {
      const v = await trx.selectFrom('national_visits').selectAll().where('mdtrt_id', '=', c.mdtrtId).where('institution_id', '=', c.institutionId).executeTakeFirst();
      if (v && v.psn_no === c.psnNo && v.status === 'cancelled') return v;
      const open = await openVisit(trx, c.institutionId, c.mdtrtId, c.psnNo, this.deps.postgres);
      const settled = await liveSettlementOf(trx, c.institutionId, c.mdtrtId);
      if (settled)
        throw new LedgerError(
          'VISIT_ALREADY_SETTLED',
          `data.mdtrt_id: 就诊ID ${c.mdtrtId} 已结算（${settled}），请先撤销结算（visit ${c.mdtrtId} is settled as ${settled}; reverse it first）`,
        );
      if (c.onlyIfEmpty) {
        // 2404: a stay is cancelled only when it is not discharged and has no live details, decided
        // in the transaction that cancels it (a 2301 racing it waits for the lock above).
        const problems: string[] = [];
        if (open.endtime !== null) problems.push('data.mdtrt_id: 已出院（the stay is discharged: undo the discharge with 2405 first）');
        const live = await trx
          .selectFrom('fee_details')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('institution_id', '=', c.institutionId)
          .where('mdtrt_id', '=', c.mdtrtId)
          .where('cancelled_at', 'is', null)
          .executeTakeFirstOrThrow();
        if (Number(live.n) > 0)
          problems.push(`data.mdtrt_id: 有 ${Number(live.n)} 条未撤销的费用明细（the stay has live fee details: cancel them with 2302, feedetl_sn "0000", first）`);
        if (problems.length > 0) throw new LedgerError('NOT_REVERSIBLE', problems.join('; '));
      }
      const now = this.deps.now();
      const info = infoOf(open);
      const next = { ...info, cancel: { requestId: c.requestId, reason: c.reason, at: now }, requests: [...requestsOf(info), c.requestId] };
      const cancelled: NationalVisitRow = { ...open, status: 'cancelled', info: JSON.stringify(next), updated_at: now };
      await trx.updateTable('national_visits').set({ status: 'cancelled', info: cancelled.info, updated_at: now }).where('mdtrt_id', '=', c.mdtrtId).execute();
      await writeAudit(trx, actor, now, 'national.visit.cancel', c.mdtrtId, { institution: c.institutionId, person: c.psnNo, requestId: c.requestId, reason: c.reason });
      return cancelled;
    });
  }
}
