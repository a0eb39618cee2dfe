/** 9001 签到 / 9002 签退: sign_nos bound to an institution and its key (table sign_ins). */
import type { NationalBookDeps } from './national-deps.js';

export class SignInBook {
  constructor(readonly deps: NationalBookDeps) {}
}
