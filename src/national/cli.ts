/**
 * `yibao settle FILE --format national`: each visit's outcome in the national envelope, a settled
 * visit as `{ infcode: 0, output: { setlinfo, setldetail } }`, a visit the documents cannot settle
 * as `{ infcode: -1, mdtrt_id, err_msg }`.
 *
 * Without a ledger a settlement has no id (setl_id null) and its setl_time is the visit's time;
 * with `--db`, the ledger entry's id and creation time. Its codes are the edition's (`--codes`; default national).
 */
import type { SettleRequest } from '../request/settle-request.js';
import { isFailure, type VisitOutcome } from '../request/settle-person.js';
import { NATIONAL_CODES, type CodeEdition } from './code-editions.js';
import { errMsgOf } from './err-msg.js';
import { figuresOf, figuresOfEntry, nationalSettlement } from './setlinfo.js';

export type NationalOutcome = { infcode: 0; output: ReturnType<typeof nationalSettlement> } | { infcode: -1; mdtrt_id: string; err_msg: string };

function contextOf(request: SettleRequest, index: number) {
  const visit = request.visits[index];
  if (!visit) throw new Error(`no visit ${index} in the request`);
  return { mdtrtId: visit.id, psnNo: request.person.id, scheme: request.person.scheme, category: request.person.category, visitType: visit.type, time: visit.time };
}

/** The engine's outcomes (settled without a ledger), in request order. */
export function nationalOutcomes(request: SettleRequest, outcomes: readonly VisitOutcome[], codes: CodeEdition = NATIONAL_CODES): NationalOutcome[] {
  return outcomes.map((o, i) => {
    if (isFailure(o)) return { infcode: -1, mdtrt_id: o.visitId, err_msg: errMsgOf(o.error) };
    const c = contextOf(request, i);
    return { infcode: 0, output: nationalSettlement(figuresOf(o), { ...c, setlId: null, setlTime: c.time, codes }) };
  });
}

/** The ledger's outcomes (`--db`): entries, or `{ visitId, error: { code, message } }`, in request order. */
export function nationalLedgerOutcomes(request: SettleRequest, outcomes: readonly Record<string, unknown>[], codes: CodeEdition = NATIONAL_CODES): NationalOutcome[] {
  return outcomes.map((o, i) => {
    const c = contextOf(request, i);
    const error = o.error as { code: string; message: string } | undefined;
    if (error) return { infcode: -1, mdtrt_id: c.mdtrtId, err_msg: errMsgOf(error) };
    const setlTime = typeof o.createdAt === 'string' ? Date.parse(o.createdAt) : c.time;
    return { infcode: 0, output: nationalSettlement(figuresOfEntry(o), { ...c, setlId: typeof o.id === 'string' ? o.id : null, setlTime, codes }) };
  });
}
