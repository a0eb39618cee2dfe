/**
 * Fee details (table fee_details): 2204 门诊费用明细信息上传 / 2205 门诊费用明细信息撤销 and 2301/2302
 * (住院), priced by the catalogue. An upload is all or nothing (one transaction) and idempotent by
 * its request id `INFNO:INSTITUTION:MSGID`; a cancel marks rows (cancelled_at), never deletes them,
 * so that a settlement's details are those live at its instant ({@link FeeDetailBook.liveAt}).
 * Every write is audited in its own transaction.
 */
import type { Selectable, Transaction } from 'kysely';
import type { PricedDetail } from '../catalogue/types.js';
import type { Fen } from '../money/money.js';
import { writeAudit } from './audit.js';
import { LedgerError } from './errors.js';
import { isUniqueViolation } from './idempotency.js';
import { uuidv7 } from './ids.js';
import type { NationalBookDeps } from './national-deps.js';
import { liveSettlementOf, openVisit } from './national-visits.js';
import type { Database } from './schema.js';
import type { FeeDetailsTable } from './schema-national.js';
import type { Actor } from './types.js';

export type FeeDetailRow = Selectable<FeeDetailsTable>;

/** One detail to store: as sent, and what the catalogue made of it. */
export interface DetailToStore {
  feedetlSn: string;
  chrgBchno: string | null;
  feeOcurTime: number;
  medListCodg: string;
  medinsListCodg: string;
  cnt: string;
  pric: string;
  amount: Fen;
  priced: PricedDetail;
  /** The detail as sent (JSON-able). */
  body: Record<string, unknown>;
}

/** An upload (2204 / 2301): all its details or none. */
export interface FeeUpload {
  /** `INFNO:INSTITUTION:MSGID`: the same upload again answers the rows it stored. */
  requestId: string;
  institutionId: string;
  mdtrtId: string;
  psnNo: string;
  details: DetailToStore[];
}

/** Rows per INSERT (29 parameters each: far below either store's limit). */
const CHUNK = 200;

/** What identifies an upload's content, to tell a retry from another message under the same id. */
const signature = (rows: { sn: string; code: string; cnt: string; pric: string; fen: number }[]): string =>
  JSON.stringify(rows.map((r) => [r.sn, r.code, r.cnt, r.pric, r.fen]).sort());

type Db = Transaction<Database> | NationalBookDeps['db'];

export class FeeDetailBook {
  constructor(readonly deps: NationalBookDeps) {}

  /** The rows an upload's request id stored for the person (a request id is its person's, docs/service.md). */
  private uploaded(db: Db, u: FeeUpload): Promise<FeeDetailRow[]> {
    return db.selectFrom('fee_details').selectAll().where('psn_no', '=', u.psnNo).where('upload_request', '=', u.requestId).orderBy('feedetl_sn').orderBy('id').execute();
  }

  /** The stored rows of the same upload (replayed), else IDEMPOTENCY_CONFLICT; undefined when the id is new. */
  private replayOf(prior: FeeDetailRow[], u: FeeUpload): FeeDetailRow[] | undefined {
    if (prior.length === 0) return undefined;
    const same =
      prior.every((r) => r.institution_id === u.institutionId && r.mdtrt_id === u.mdtrtId && r.psn_no === u.psnNo) &&
      signature(prior.map((r) => ({ sn: r.feedetl_sn, code: r.med_list_codg, cnt: r.cnt, pric: r.pric, fen: Number(r.sumamt_fen) }))) ===
        signature(u.details.map((d) => ({ sn: d.feedetlSn, code: d.medListCodg, cnt: d.cnt, pric: d.pric, fen: d.amount as number })));
    if (!same) throw new LedgerError('IDEMPOTENCY_CONFLICT', `msgid: 报文ID已用于另一批明细（request ${u.requestId} was already used for other details; use a new msgid）`);
    return prior;
  }

  /**
   * Stores an upload in one transaction: refused (nothing written) when the visit is not this
   * institution's and person's open visit, has a live settlement, or a serial number is live already.
   */
  async upload(u: FeeUpload, actor: Actor): Promise<{ rows: FeeDetailRow[]; replayed: boolean }> {
    const db = this.deps.db;
    try {
      return await db.transaction().execute(async (trx) => {
        const again = this.replayOf(await this.uploaded(trx, u), u);
        if (again) return { rows: again, replayed: true };
        await openVisit(trx, u.institutionId, u.mdtrtId, u.psnNo, this.deps.postgres);
        const settled = await liveSettlementOf(trx, u.institutionId, u.mdtrtId);
        if (settled)
          throw new LedgerError(
            'VISIT_ALREADY_SETTLED',
            `data.mdtrt_id: 就诊ID ${u.mdtrtId} 已结算（${settled}），请先撤销结算再上传明细（visit ${u.mdtrtId} is settled as ${settled}; reverse it first）`,
          );
        try {
          await this.refuseLiveSns(trx, u);
        } catch (e) {
          // PostgreSQL (read committed): the same upload may have committed between the replay
          // read above and this one; its serial numbers are then live, and its rows are the answer.
          const committed = e instanceof LedgerError && e.code === 'DUPLICATE_REFERENCE' ? this.replayOf(await this.uploaded(trx, u), u) : undefined;
          if (committed) return { rows: committed, replayed: true };
          throw e;
        }
        const now = this.deps.now();
        const rows: FeeDetailRow[] = u.details.map((d) => ({
          id: uuidv7(now),
          institution_id: u.institutionId,
          mdtrt_id: u.mdtrtId,
          psn_no: u.psnNo,
          feedetl_sn: d.feedetlSn,
          chrg_bchno: d.chrgBchno,
          fee_ocur_time: d.feeOcurTime,
          med_list_codg: d.medListCodg,
          medins_list_codg: d.medinsListCodg,
          cnt: d.cnt,
          pric: d.pric,
          sumamt_fen: d.amount,
          listed: d.priced.listed ? 1 : 0,
          chrgitm_lv: d.priced.item?.itemClass ?? null,
          med_chrgitm_type: d.priced.item?.chargeType ?? null,
          list_type: d.priced.item?.listType ?? null,
          selfpay_prop: d.priced.item?.selfPayRatio ?? null,
          pric_uplmt_amt: d.priced.item?.priceLimit ?? null,
          fulamt_ownpay_fen: d.priced.fullOwnPay,
          overlmt_fen: d.priced.overLimit,
          preselfpay_fen: d.priced.preSelfPay,
          inscp_scp_fen: d.priced.eligible,
          memo: d.priced.memo,
          body: JSON.stringify(d.body),
          upload_request: u.requestId,
          uploaded_at: now,
          cancelled_at: null,
          cancel_request: null,
        }));
        for (let i = 0; i < rows.length; i += CHUNK)
          await trx
            .insertInto('fee_details')
            .values(rows.slice(i, i + CHUNK))
            .execute();
        const total = rows.reduce((s, r) => s + Number(r.sumamt_fen), 0);
        await writeAudit(trx, actor, now, 'national.fee-details.upload', u.mdtrtId, {
          institution: u.institutionId,
          person: u.psnNo,
          requestId: u.requestId,
          details: rows.length,
          sumamtFen: total,
        });
        rows.sort((a, b) => (a.feedetl_sn < b.feedetl_sn ? -1 : a.feedetl_sn > b.feedetl_sn ? 1 : 0));
        return { rows, replayed: false };
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // A race: the same upload committed meanwhile (its answer), or another took a serial number.
      const again = this.replayOf(await this.uploaded(db, u), u);
      if (again) return { rows: again, replayed: true };
      await this.refuseLiveSns(db, u);
      throw e;
    }
  }

  /** DUPLICATE_REFERENCE naming every serial number of the upload that is live already (or repeated in it). */
  private async refuseLiveSns(db: Db, u: FeeUpload): Promise<void> {
    const sns = u.details.map((d) => d.feedetlSn);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const sn of sns) {
      if (seen.has(sn)) problems.push(`feedetl_sn ${sn}: 本次上传中重复（repeated in this upload）`);
      seen.add(sn);
    }
    const live: { feedetl_sn: string }[] = [];
    const unique = [...seen];
    for (let i = 0; i < unique.length; i += 500) {
      live.push(
        ...(await db
          .selectFrom('fee_details')
          .select('feedetl_sn')
          .where('institution_id', '=', u.institutionId)
          .where('mdtrt_id', '=', u.mdtrtId)
          .where('cancelled_at', 'is', null)
          .where('feedetl_sn', 'in', unique.slice(i, i + 500))
          .execute()),
      );
    }
    for (const r of live.map((x) => x.feedetl_sn).sort()) problems.push(`feedetl_sn ${r}: 已上传且未撤销（already uploaded and not cancelled; cancel it with 2205 first）`);
    if (problems.length > 0) throw new LedgerError('DUPLICATE_REFERENCE', `input.feedetail: ${problems.join('; ')}`);
  }

  /**
   * Cancels one live detail, or all of the visit's (feedetlSn null), or, with `chrgBchno` (2205
   * 收费批次号), the live details of one charge batch; refused when the visit has a live settlement
   * (VISIT_ALREADY_SETTLED), or the serial number or batch named has no live detail (NOT_FOUND).
   * The same request again answers the rows it cancelled.
   */
  async cancel(
    c: { requestId: string; institutionId: string; mdtrtId: string; psnNo: string; feedetlSn: string | null; chrgBchno?: string },
    actor: Actor,
  ): Promise<{ cancelled: FeeDetailRow[]; replayed: boolean }> {
    return this.deps.db.transaction().execute(async (trx) => {
      // The person's rows of the request (a request id is its person's): by the key's psn_no.
      const prior = await trx.selectFrom('fee_details').selectAll().where('psn_no', '=', c.psnNo).where('cancel_request', '=', c.requestId).orderBy('feedetl_sn').execute();
      if (prior.length > 0) {
        const same = prior.every(
          (r) =>
            r.institution_id === c.institutionId &&
            r.mdtrt_id === c.mdtrtId &&
            r.psn_no === c.psnNo &&
            (c.feedetlSn === null || r.feedetl_sn === c.feedetlSn) &&
            (c.chrgBchno === undefined || r.chrg_bchno === c.chrgBchno),
        );
        if (!same) throw new LedgerError('IDEMPOTENCY_CONFLICT', `msgid: 报文ID已用于另一撤销（request ${c.requestId} was already used for another cancel; use a new msgid）`);
        return { cancelled: prior, replayed: true };
      }
      const v = await trx.selectFrom('national_visits').selectAll().where('mdtrt_id', '=', c.mdtrtId).where('institution_id', '=', c.institutionId).executeTakeFirst();
      if (!v) throw new LedgerError('NOT_FOUND', `data.mdtrt_id: 就诊ID ${c.mdtrtId} 不存在（visit ${c.mdtrtId} is not registered at ${c.institutionId}）`);
      if (v.psn_no !== c.psnNo)
        throw new LedgerError('PERSON_MISMATCH', `data.psn_no: 就诊ID ${c.mdtrtId} 属于人员 ${v.psn_no}，不是 ${c.psnNo}（the visit is of person ${v.psn_no}, not ${c.psnNo}）`);
      const settled = await liveSettlementOf(trx, c.institutionId, c.mdtrtId);
      if (settled)
        throw new LedgerError(
          'VISIT_ALREADY_SETTLED',
          `data.mdtrt_id: 就诊ID ${c.mdtrtId} 已结算（${settled}），请先撤销结算再撤销明细（visit ${c.mdtrtId} is settled as ${settled}; reverse it first）`,
        );
      let q = trx.selectFrom('fee_details').selectAll().where('institution_id', '=', c.institutionId).where('mdtrt_id', '=', c.mdtrtId).where('cancelled_at', 'is', null);
      if (c.feedetlSn !== null) q = q.where('feedetl_sn', '=', c.feedetlSn);
      if (c.chrgBchno !== undefined) q = q.where('chrg_bchno', '=', c.chrgBchno);
      const live = await q.orderBy('feedetl_sn').execute();
      if (c.feedetlSn !== null && live.length === 0) {
        throw new LedgerError('NOT_FOUND', `data.feedetl_sn: 费用明细 ${c.feedetlSn} 不存在或已撤销（detail ${c.feedetlSn} of visit ${c.mdtrtId} is not live）`);
      }
      if (c.chrgBchno !== undefined && live.length === 0) {
        throw new LedgerError('NOT_FOUND', `data.chrg_bchno: 收费批次 ${c.chrgBchno} 无未撤销的明细（batch ${c.chrgBchno} of visit ${c.mdtrtId} has no live detail）`);
      }
      if (live.length === 0) return { cancelled: [], replayed: false };
      const now = this.deps.now();
      let u = trx
        .updateTable('fee_details')
        .set({ cancelled_at: now, cancel_request: c.requestId })
        .where('institution_id', '=', c.institutionId)
        .where('mdtrt_id', '=', c.mdtrtId)
        .where('cancelled_at', 'is', null);
      if (c.feedetlSn !== null) u = u.where('feedetl_sn', '=', c.feedetlSn);
      if (c.chrgBchno !== undefined) u = u.where('chrg_bchno', '=', c.chrgBchno);
      await u.execute();
      await writeAudit(trx, actor, now, 'national.fee-details.cancel', c.mdtrtId, {
        institution: c.institutionId,
        person: c.psnNo,
        requestId: c.requestId,
        feedetlSn: c.feedetlSn ?? 'all',
        ...(c.chrgBchno !== undefined ? { chrgBchno: c.chrgBchno } : {}),
        details: live.length,
      });
      return { cancelled: live.map((r) => ({ ...r, cancelled_at: now, cancel_request: c.requestId })), replayed: false };
    });
  }

  /** The visit's details live at an instant: uploaded at or before it and not cancelled by then (in feedetl_sn order). */
  async liveAt(institutionId: string, mdtrtId: string, atMs: number): Promise<FeeDetailRow[]> {
    return this.deps.db
      .selectFrom('fee_details')
      .selectAll()
      .where('institution_id', '=', institutionId)
      .where('mdtrt_id', '=', mdtrtId)
      .where('uploaded_at', '<=', atMs)
      .where((eb) => eb.or([eb('cancelled_at', 'is', null), eb('cancelled_at', '>', atMs)]))
      .orderBy('feedetl_sn')
      .orderBy('id')
      .execute();
  }
}
