/** Visits the centre registers (table national_visits): 2201/2202/2203 and 2401–2405. */
import type { Selectable } from 'kysely';
import type { NationalBookDeps } from './national-deps.js';
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

export class VisitBook {
  constructor(readonly deps: NationalBookDeps) {}

  /** Registers a visit: a new mdtrt_id (created) or, for the same request again, the same visit. */
  async register(_v: VisitRegistration, _actor: Actor): Promise<{ visit: NationalVisitRow; created: boolean }> {
    throw new Error('VisitBook.register: not built yet');
  }

  /** The visit, when it is this institution's; else undefined. */
  async get(_institutionId: string, _mdtrtId: string): Promise<NationalVisitRow | undefined> {
    throw new Error('VisitBook.get: not built yet');
  }

  /** Changes an open visit of this institution and person (refused when cancelled, or settled and the change needs it not to be). */
  async change(_c: VisitChange, _actor: Actor): Promise<NationalVisitRow> {
    throw new Error('VisitBook.change: not built yet');
  }

  /** Cancels an open visit (2202, 2404, a 2601 of 2401): refused when it has a live settlement. Idempotent. */
  async cancel(_c: { requestId: string; institutionId: string; mdtrtId: string; psnNo: string; reason: string }, _actor: Actor): Promise<NationalVisitRow> {
    throw new Error('VisitBook.cancel: not built yet');
  }
}
