/**
 * The split of what lies outside the policy range (全自费 fulamt_ownpay_amt, 超限价 overlmt_selfpay,
 * 先行自付 preselfpay_amt) for a settlement settled from its visit's fee details (2204/2301), or for
 * the reversal of one: the details live when the settlement was made, negated for the reversal, so
 * that a reversal's setlinfo (2208, 2305, 5203 of a refund) is its settlement's exact negation.
 * Undefined when the settlement was not made from details (the whole outside amount is then
 * fulamt_ownpay_amt, as for any settle).
 */
import type { Entry } from '../../ledger/types.js';
import type { Actor } from '../../ledger/types.js';
import { detailSums } from '../../national/detail-input.js';
import type { DetailSplit } from '../../national/settle-details.js';
import { figuresOfEntry } from '../../national/setlinfo.js';
import type { RouteContext } from '../context.js';

export async function detailSplitOf(ctx: RouteContext, entry: Entry, institutionId: string, visitId: string, actor: Actor): Promise<DetailSplit | undefined> {
  const reversal = entry.kind === 'reversal' && typeof entry.reverses === 'string';
  const settlement = reversal ? await ctx.ledger.entry(entry.reverses as string, actor) : entry;
  const rows = await ctx.ledger.national.feeDetails.liveAt(institutionId, visitId, Date.parse(String(settlement.createdAt)));
  if (rows.length === 0) return undefined;
  const sums = detailSums(rows);
  // The details make the settlement's total only when it was settled from them.
  if (sums.total !== figuresOfEntry(settlement).total) return undefined;
  const sign = reversal ? -1 : 1;
  const fen = (v: number) => (v === 0 ? 0 : sign * v);
  return { fullOwnPay: fen(sums.fullOwnPay), overLimit: fen(sums.overLimit), preSelfPay: fen(sums.preSelfPay) };
}
