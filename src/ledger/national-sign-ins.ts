/** 9001 签到 / 9002 签退: sign_nos bound to an institution and its key (table sign_ins). */
import type { NationalBookDeps } from './national-deps.js';

/** What a message's sign_no is: live and its sender's, or why not. */
export type SignInCheck = 'ok' | 'unknown' | 'signed-out' | 'other-institution' | 'other-key';

export class SignInBook {
  constructor(readonly deps: NationalBookDeps) {}

  /** Whether `signNo` is a live sign-in of this institution by this key (Actor.id). */
  async verify(_signNo: string, _institutionId: string, _keyId: string): Promise<SignInCheck> {
    throw new Error('SignInBook.verify: not built yet');
  }
}
