/** Fee details (table fee_details): 2204/2205, 2301/2302, priced by the catalogue. */
import type { Selectable } from 'kysely';
import type { PricedDetail } from '../catalogue/types.js';
import type { Fen } from '../money/money.js';
import type { NationalBookDeps } from './national-deps.js';
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

export class FeeDetailBook {
  constructor(readonly deps: NationalBookDeps) {}

  /**
   * Stores an upload in one transaction: refused (nothing written) when the visit is not this
   * institution's and person's open visit, has a live settlement, or a serial number is live already.
   */
  async upload(_u: FeeUpload, _actor: Actor): Promise<{ rows: FeeDetailRow[]; replayed: boolean }> {
    throw new Error('FeeDetailBook.upload: not built yet');
  }

  /** Cancels one live detail, or all of the visit's (feedetlSn null); refused when the visit has a live settlement. */
  async cancel(
    _c: { requestId: string; institutionId: string; mdtrtId: string; psnNo: string; feedetlSn: string | null },
    _actor: Actor,
  ): Promise<{ cancelled: FeeDetailRow[]; replayed: boolean }> {
    throw new Error('FeeDetailBook.cancel: not built yet');
  }

  /** The visit's details live at an instant: uploaded at or before it and not cancelled by then (in feedetl_sn order). */
  async liveAt(_institutionId: string, _mdtrtId: string, _atMs: number): Promise<FeeDetailRow[]> {
    throw new Error('FeeDetailBook.liveAt: not built yet');
  }
}
