/**
 * 9001 签到 / 9002 签退: sign_nos bound to an institution and its key (table sign_ins).
 *
 * A sign-in is idempotent by its request id `9001:INSTITUTION:MSGID`: the same message again
 * answers the same sign_no (the same msgid with another operator, MAC or IP, or from another key,
 * is IDEMPOTENCY_CONFLICT). Only the key that signed in may sign out (FORBIDDEN otherwise); another
 * institution's sign_no does not exist for an institution (NOT_FOUND). Signing out twice answers
 * the first sign-out. Every sign-in and sign-out is in the audit log, written in its transaction.
 */
import type { Selectable } from 'kysely';
import { writeAudit } from './audit.js';
import { LedgerError } from './errors.js';
import { idempotently, replayIfSeen, type Idempotency } from './idempotency.js';
import { uuidv7 } from './ids.js';
import type { NationalBookDeps } from './national-deps.js';
import type { SignInsTable } from './schema-national.js';
import type { Actor } from './types.js';

/** What a message's sign_no is: live and its sender's, or why not. */
export type SignInCheck = 'ok' | 'unknown' | 'signed-out' | 'other-institution' | 'other-key';

/** 9001 签到's input (signIn) with who signs in. */
export interface SignInRequest {
  institutionId: string;
  /** 发送方报文ID: the same message again answers the same sign_no; without one, each message signs in anew. */
  msgid?: string;
  /** 操作员编号, 签到MAC地址, 签到IP地址. */
  opterNo: string;
  mac: string;
  ip: string;
}

/** A sign-in as answered (signinoutb) and whether it was new. */
export interface SignIn {
  signNo: string;
  institutionId: string;
  keyId: string;
  opterNo: string;
  signedInAt: number;
  signedOutAt: number | null;
  created: boolean;
}

type Row = Selectable<SignInsTable>;

const signInOf = (r: Row, created: boolean): SignIn => ({
  signNo: r.sign_no,
  institutionId: r.institution_id,
  keyId: r.key_id,
  opterNo: r.opter_no,
  signedInAt: Number(r.signed_in_at),
  signedOutAt: r.signed_out_at === null ? null : Number(r.signed_out_at),
  created,
});

/** A new 签到编号: `SI` and 28 hex digits of a UUIDv7 (time-ordered; 30 characters, the field's length). */
function newSignNo(now: number): string {
  return `SI${uuidv7(now).replace(/-/g, '').slice(0, 28).toUpperCase()}`;
}

export class SignInBook {
  constructor(readonly deps: NationalBookDeps) {}

  private get db() {
    return this.deps.db;
  }

  private find(requestId: string) {
    return this.db.selectFrom('sign_ins').selectAll().where('request_id', '=', requestId).executeTakeFirst();
  }

  /** 9001 签到: a new sign_no for the institution and the key, or the one this message had. */
  async signIn(req: SignInRequest, actor: Actor): Promise<SignIn> {
    const now = this.deps.now();
    const signNo = newSignNo(now);
    const requestId = `9001:${req.institutionId}:${req.msgid ?? signNo}`;
    const replay: Idempotency<Row, SignIn> = {
      matches: (p) => p.key_id === actor.id && p.opter_no === req.opterNo && p.mac === req.mac && p.ip === req.ip,
      answer: (p) => signInOf(p, false),
      conflict: () =>
        new LedgerError(
          'IDEMPOTENCY_CONFLICT',
          `msgid: ${req.msgid ?? ''} already signed in at ${req.institutionId} with another key, operator, MAC or IP; use a new msgid for a new sign-in`,
        ),
    };
    return idempotently(
      () =>
        this.db.transaction().execute(async (trx) => {
          const seen = replayIfSeen(replay, await trx.selectFrom('sign_ins').selectAll().where('request_id', '=', requestId).executeTakeFirst());
          if (seen) return seen;
          const row: Row = {
            sign_no: signNo,
            institution_id: req.institutionId,
            key_id: actor.id,
            opter_no: req.opterNo,
            mac: req.mac,
            ip: req.ip,
            signed_in_at: now,
            signed_out_at: null,
            request_id: requestId,
          };
          await trx.insertInto('sign_ins').values(row).execute();
          await writeAudit(trx, actor, now, 'national.sign-in', signNo, {
            institution: req.institutionId,
            msgid: req.msgid ?? null,
            opterNo: req.opterNo,
            mac: req.mac,
            ip: req.ip,
          });
          return signInOf(row, true);
        }),
      () => this.find(requestId),
      replay,
    );
  }

  /**
   * 9002 签退 by the key that signed in. A sign_no already signed out answers its sign-out.
   *
   * @throws LedgerError NOT_FOUND (no such sign_no at the institution), FORBIDDEN (another key's).
   */
  async signOut(signNo: string, institutionId: string, opterNo: string, actor: Actor): Promise<SignIn> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('sign_ins').selectAll().where('sign_no', '=', signNo).executeTakeFirst();
      if (!row || row.institution_id !== institutionId) throw new LedgerError('NOT_FOUND', `data.sign_no: ${signNo} is not a sign-in (签到) of ${institutionId}`);
      if (row.key_id !== actor.id) throw new LedgerError('FORBIDDEN', `data.sign_no: ${signNo} was signed in by another key; only the key that signed in may sign out (签退)`);
      if (row.signed_out_at !== null) return signInOf(row, false);
      const now = this.deps.now();
      await trx.updateTable('sign_ins').set({ signed_out_at: now }).where('sign_no', '=', signNo).where('signed_out_at', 'is', null).execute();
      await writeAudit(trx, actor, now, 'national.sign-out', signNo, { institution: institutionId, opterNo });
      return signInOf({ ...row, signed_out_at: now }, true);
    });
  }

  /** Whether `signNo` is a live sign-in of this institution by this key (Actor.id). */
  async verify(signNo: string, institutionId: string, keyId: string): Promise<SignInCheck> {
    const row = await this.db.selectFrom('sign_ins').select(['institution_id', 'key_id', 'signed_out_at']).where('sign_no', '=', signNo).executeTakeFirst();
    if (!row) return 'unknown';
    if (row.institution_id !== institutionId) return 'other-institution';
    if (row.key_id !== keyId) return 'other-key';
    if (row.signed_out_at !== null) return 'signed-out';
    return 'ok';
  }
}
