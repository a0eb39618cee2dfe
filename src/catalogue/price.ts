/** A fee detail's parts (全自费, 超限价, 先行自付, 符合政策范围) from the catalogue, exact to the fen. */
import type { Catalogue, DetailInput, PricedDetail } from './types.js';

/**
 * What the catalogue makes of one detail on its day. No catalogue, or an item it does not list in
 * force that day: all self-paid (全自费), and the memo says so. `hospitalSelfPay` (医院审批标志 2):
 * all self-paid.
 */
export function priceDetail(_catalogue: Catalogue | undefined, _d: DetailInput, _options: { hospitalSelfPay?: boolean } = {}): PricedDetail {
  throw new Error('priceDetail: not built yet');
}

/** Why `amount` is not count × price rounded half away from zero to the fen (in Chinese), or null when it is. */
export function detailAmountProblem(_count: string, _price: string, _amount: number): string | null {
  throw new Error('detailAmountProblem: not built yet');
}
