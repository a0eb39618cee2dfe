/**
 * 2601 冲正 (table national_reversals): each original message reversed once, whatever the retries.
 *
 * A 2601 names its original by (institution, oinfno 原交易编号, omsgid 原发送方报文ID). The first
 * 2601 inserts the row (its primary key is exactly that triple, so every retry, with any msgid,
 * finds the same row); then the original is looked for:
 *
 *   2207 / 2304  the settlement whose request id is `nat-INFNO-MSGID` at the institution: reversed
 *                by the ledger's reverse with the request id `nat-2601-INFNO-MSGID`, derived from
 *                the original, so every retry and the late settle make the same single reversal
 *   2401         the admission registered by that message: cancelled (ledger.national.visits)
 *
 * When the original has not arrived the row stands as a tombstone: the original arriving later is
 * refused (REVERSED_BY_2601), and one being settled while the 2601 came is reversed and refused.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { writeAudit } from './audit.js';
import { LedgerError } from './errors.js';
import type { NationalBookDeps } from './national-deps.js';
import type { VisitBook } from './national-visits.js';
import { reversalOf, reverseSettlement } from './reverse.js';
import type { Database } from './schema.js';
import type { Actor } from './types.js';

/** 可被冲正的交易 (the Hunan edition of the national interface specification (V1.1.27), 【2601】重点说明 1) that yibao keeps. */
export const REVERSIBLE_ORIGINALS = ['2207', '2304', '2401'] as const;
export type ReversibleOriginal = (typeof REVERSIBLE_ORIGINALS)[number];

/** A 2601 冲正 message, validated. */
export interface ReversalRequest {
  institutionId: string;
  psnNo: string;
  oinfno: string;
  omsgid: string;
  /** The 2601's own msgid (发送方报文ID). */
  msgid: string;
}

/** What a 2601 did (the same for every retry once the original is reversed). */
export type ReversalOutcome =
  | { kind: 'settlement-reversed'; oinfno: string; omsgid: string; setlId: string; reversalId: string; firstMsgid: string; created: boolean }
  | { kind: 'admission-cancelled'; oinfno: string; omsgid: string; mdtrtId: string; firstMsgid: string; created: boolean }
  | { kind: 'registered-before-original'; oinfno: string; omsgid: string; firstMsgid: string; created: boolean };

type Db = Kysely<Database> | Transaction<Database>;

/** A settle's request id (src/national/input.ts: `nat-INFNO-MSGID`, at most 128 characters). */
const settleRequestId = (oinfno: string, omsgid: string) => `nat-${oinfno}-${omsgid}`.slice(0, 128);
/** The one reversal's request id, derived from the original: every path makes the same reversal. */
export const reversalRequestId = (oinfno: string, omsgid: string) => `nat-2601-${oinfno}-${omsgid}`.slice(0, 128);
/** A visit's registration request id (national_visits.request_id: `INFNO:INSTITUTION:MSGID`). */
const visitRequestId = (institutionId: string, oinfno: string, omsgid: string) => `${oinfno}:${institutionId}:${omsgid}`.slice(0, 200);

export class ReversalBook {
  constructor(
    readonly deps: NationalBookDeps,
    private readonly visits?: VisitBook,
  ) {}

  /**
   * Before an original (2207, 2304, 2401) is acted on: refuses it (LedgerError) when a 2601 has
   * already reversed its (institution, infno, msgid).
   */
  async refuseIfReversed(institutionId: string, oinfno: string, omsgid: string): Promise<void> {
    const row = await this.row(this.deps.db, institutionId, oinfno, omsgid);
    if (row) throw refused(oinfno, omsgid, row.msgid, row.reversal_id);
  }

  /**
   * After a settlement (2207, 2304) committed: when a 2601 for its message arrived meanwhile, the
   * settlement is reversed (once: the same reversal the 2601 makes) and the original refused.
   */
  async afterSettle(institutionId: string, oinfno: string, omsgid: string, settlementId: string, actor: Actor): Promise<void> {
    const row = await this.row(this.deps.db, institutionId, oinfno, omsgid);
    if (!row) return;
    const reversalId = await this.reverseOnce(institutionId, oinfno, omsgid, settlementId, actor);
    throw refused(oinfno, omsgid, row.msgid, reversalId);
  }

  /**
   * After an admission (2401) committed: when a 2601 for its message arrived meanwhile, the stay is
   * cancelled (once: the same cancellation the 2601 makes) and the admission refused.
   */
  async afterAdmit(institutionId: string, omsgid: string, mdtrtId: string, psnNo: string, actor: Actor): Promise<void> {
    const row = await this.row(this.deps.db, institutionId, '2401', omsgid);
    if (!row) return;
    if (!this.visits) throw new Error('ReversalBook: no visit book to cancel an admission with');
    await this.visits.cancel({ requestId: reversalRequestId('2401', omsgid), institutionId, mdtrtId, psnNo, reason: `2601 冲正 ${row.msgid}` }, actor);
    throw refused('2401', omsgid, row.msgid, null);
  }

  /**
   * A 2601 冲正: registers the reversal of the original (once), and reverses the original when it
   * has arrived. Refused (nothing written) for an original yibao cannot reverse, or another person's.
   */
  async reverse(r: ReversalRequest, actor: Actor): Promise<ReversalOutcome> {
    if (!(REVERSIBLE_ORIGINALS as readonly string[]).includes(r.oinfno)) {
      throw new LedgerError(
        'INVALID_REQUEST',
        `data.oinfno: ${r.oinfno} 不可冲正：yibao 可冲正的原交易为 2207 门诊结算、2304 住院结算、2401 入院办理（2102 药店结算不由 yibao 办理）`,
      );
    }
    const db = this.deps.db;
    // The original, if it has arrived: its person must be the message's.
    await this.checkPerson(r, await this.original(db, r.institutionId, r.oinfno, r.omsgid, r.psnNo));
    const now = this.deps.now();
    const created = await db.transaction().execute(async (trx) => {
      // The message's lock (PostgreSQL; SQLite holds the one write lock): keyed by person, the
      // table would take a second person's 冲正 of one message; the first one's is found here.
      if (this.deps.postgres) await sql`select pg_advisory_xact_lock(hashtextextended(${`${r.institutionId}\u001f${r.oinfno}\u001f${r.omsgid}`}, 3))`.execute(trx);
      const first = await this.row(trx, r.institutionId, r.oinfno, r.omsgid);
      if (first && first.psn_no !== r.psnNo) throw mismatch(r, first);
      const inserted = await trx
        .insertInto('national_reversals')
        .values({
          institution_id: r.institutionId,
          oinfno: r.oinfno,
          omsgid: r.omsgid,
          psn_no: r.psnNo,
          msgid: r.msgid,
          target: null,
          reversal_id: null,
          actor: actor.id,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['psn_no', 'institution_id', 'oinfno', 'omsgid']).doNothing())
        .executeTakeFirst();
      const made = Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
      if (made) await writeAudit(trx, actor, now, 'national.2601', `${r.institutionId}/${r.oinfno}/${r.omsgid}`, { psnNo: r.psnNo, msgid: r.msgid });
      return made;
    });
    const row = await this.row(db, r.institutionId, r.oinfno, r.omsgid);
    if (!row) throw new Error(`national_reversals: the row of ${r.institutionId}/${r.oinfno}/${r.omsgid} vanished`);
    if (row.psn_no !== r.psnNo) throw mismatch(r, row);
    const base = { oinfno: r.oinfno, omsgid: r.omsgid, firstMsgid: row.msgid, created };
    // The original again: it may have arrived while the row was being written.
    const original = await this.original(db, r.institutionId, r.oinfno, r.omsgid, r.psnNo);
    if (!original) return { kind: 'registered-before-original', ...base };
    await this.checkPerson(r, original);
    if (r.oinfno === '2401') {
      if (!this.visits) throw new Error('ReversalBook: no visit book to cancel an admission with');
      await this.visits.cancel(
        { requestId: reversalRequestId(r.oinfno, r.omsgid), institutionId: r.institutionId, mdtrtId: original.id, psnNo: r.psnNo, reason: `2601 冲正 ${row.msgid}` },
        actor,
      );
      await db
        .updateTable('national_reversals')
        .set({ target: original.id })
        .where((eb) => eb.and({ institution_id: r.institutionId, oinfno: r.oinfno, omsgid: r.omsgid }))
        .execute();
      return { kind: 'admission-cancelled', mdtrtId: original.id, ...base };
    }
    const reversalId = await this.reverseOnce(r.institutionId, r.oinfno, r.omsgid, original.id, actor);
    return { kind: 'settlement-reversed', setlId: original.id, reversalId, ...base };
  }

  /** The 冲正 of an original, if a 2601 asked for it. */
  async get(institutionId: string, oinfno: string, omsgid: string) {
    return this.row(this.deps.db, institutionId, oinfno, omsgid);
  }

  private row(db: Db, institutionId: string, oinfno: string, omsgid: string) {
    return db
      .selectFrom('national_reversals')
      .selectAll()
      .where((eb) => eb.and({ institution_id: institutionId, oinfno, omsgid }))
      .executeTakeFirst();
  }

  /**
   * The original message's settlement (2207/2304) or admission (2401) at the institution, if it has
   * arrived: the message's person's (the settlement's request id is the person's), else another
   * person's, which the caller refuses. Only that second look, made when the person has no such
   * original (a 2601 before its original, or naming another person), reads beyond the person: by
   * the institution's entries (docs/scale.md).
   */
  private async original(db: Db, institutionId: string, oinfno: string, omsgid: string, psnNo: string): Promise<{ id: string; person: string } | undefined> {
    if (oinfno === '2401') {
      const admission = (person?: string) =>
        db
          .selectFrom('national_visits')
          .select(['mdtrt_id', 'psn_no'])
          .where((eb) => eb.and({ ...(person === undefined ? {} : { psn_no: person }), institution_id: institutionId, request_id: visitRequestId(institutionId, oinfno, omsgid) }))
          .executeTakeFirst();
      const v = (await admission(psnNo)) ?? (await admission());
      return v ? { id: v.mdtrt_id, person: v.psn_no } : undefined;
    }
    const settlement = (person?: string) =>
      db
        .selectFrom('settlements')
        .select(['id', 'person_id'])
        .where((eb) =>
          eb.and({ ...(person === undefined ? {} : { person_id: person }), institution_id: institutionId, request_id: settleRequestId(oinfno, omsgid), kind: 'settlement' }),
        )
        .executeTakeFirst();
    const s = (await settlement(psnNo)) ?? (await settlement());
    return s ? { id: s.id, person: s.person_id } : undefined;
  }

  private async checkPerson(r: ReversalRequest, original: { id: string; person: string } | undefined): Promise<void> {
    if (original && original.person !== r.psnNo) {
      throw new LedgerError('PERSON_MISMATCH', `data.psn_no: 原交易 ${r.oinfno} ${r.omsgid}（${original.id}）是人员 ${original.person} 的，不是 ${r.psnNo}`);
    }
  }

  /**
   * Reverses the settlement with the request id derived from the original: the first call makes
   * the reversal, every other (a retry, the late settle, a race) replays it. A settlement a 2208 /
   * 2305 reversed before is left as it is: its reversal is recorded. Returns the reversal's id.
   */
  private async reverseOnce(institutionId: string, oinfno: string, omsgid: string, settlementId: string, actor: Actor): Promise<string> {
    let reversalId: string;
    try {
      const { entry } = await reverseSettlement(this.deps.db, this.deps.postgres, this.deps.now, settlementId, reversalRequestId(oinfno, omsgid), actor);
      reversalId = entry.id;
    } catch (e) {
      if (!(e instanceof LedgerError) || e.code !== 'ALREADY_REVERSED') throw e;
      const by = await reversalOf(this.deps.db, settlementId);
      if (!by) throw e;
      reversalId = by.id;
    }
    await this.deps.db
      .updateTable('national_reversals')
      .set({ target: settlementId, reversal_id: reversalId })
      .where((eb) => eb.and({ institution_id: institutionId, oinfno, omsgid }))
      .execute();
    return reversalId;
  }
}

/** The refusal of a 2601 whose original's 冲正 is another person's. */
function mismatch(r: ReversalRequest, row: { psn_no: string; msgid: string }): LedgerError {
  return new LedgerError('PERSON_MISMATCH', `data.psn_no: 原交易 ${r.oinfno} ${r.omsgid} 的冲正（${row.msgid}）是人员 ${row.psn_no} 的，不是 ${r.psnNo}`);
}

/** The refusal of an original a 2601 reversed. */
function refused(oinfno: string, omsgid: string, by: string, reversalId: string | null): LedgerError {
  return new LedgerError('REVERSED_BY_2601', `msgid: 原交易 ${oinfno} ${omsgid} 已被 2601 冲正（报文 ${by}）${reversalId ? `，结算已由 ${reversalId} 撤销` : '，不再办理'}`);
}
