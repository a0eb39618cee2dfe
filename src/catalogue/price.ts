/**
 * A fee detail's parts (全自费, 超限价, 先行自付, 符合政策范围) from the catalogue, item by item,
 * exact to the fen; the four parts always add up to the detail's amount (明细项目费用总额).
 *
 * - Not in the catalogue in force on the detail's day, or 医院审批标志 2 (审批不通过; the Hunan
 *   edition of the national interface specification (V1.1.27), 【2204】 重点说明 3), or 丙类:
 *   all of it is 全自费.
 * - 限价 (定价上限): a price above the limit makes 超限价 = (单价 − 限价) × 数量, rounded half away
 *   from zero to the fen, never more than the amount.
 * - 甲类: 符合政策范围 = 总额 − 超限价.
 * - 乙类: 先行自付 = (总额 − 超限价) × 先行自付比例, rounded half away from zero; 符合政策范围 =
 *   总额 − 超限价 − 先行自付. The limit comes before the ratio.
 *
 * A refund line (退费, a negative 数量 and amount) is the mirror image: each part has the amount's
 * sign and the same magnitude as for the positive line.
 */
import { formatYuan, type Fen } from '../money/money.js';
import { COUNT, decimalProblem, DecimalError, fenNumber, fenOfProduct, plainDecimal, PRICE, RATIO, roundHalfAway, scaled, scaledText, type Scaled } from './decimal.js';
import { itemOn, ITEM_CLASSES } from './load.js';
import type { Catalogue, CatalogueItem, DetailInput, PricedDetail } from './types.js';

const yuan = (fen: bigint): string => formatYuan(fenNumber(fen));
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** An item as a memo names it: 名称（编码X）. */
const named = (item: CatalogueItem): string => `${item.name}（编码${item.code}）`;

/**
 * What the catalogue makes of one detail on its day. No catalogue, or an item it does not list in
 * force that day: all self-paid (全自费), and the memo says so. `hospitalSelfPay` (医院审批标志 2):
 * all self-paid.
 *
 * @throws DecimalError (INVALID_REQUEST) when 数量 or 单价 is not a decimal of its size, or the
 *   amount is not a whole number of fen.
 */
export function priceDetail(catalogue: Catalogue | undefined, d: DetailInput, options: { hospitalSelfPay?: boolean } = {}): PricedDetail {
  const count = scaled(d.count, COUNT, 'cnt');
  const price = scaled(d.price, PRICE, 'pric');
  if (!Number.isSafeInteger(d.amount)) throw new DecimalError([`det_item_fee_sumamt: 须为整数分 / must be a whole number of fen: ${d.amount}`]);
  const amount = BigInt(d.amount);
  const sample = catalogue?.sample ? '（样例目录，非真实目录）' : '';
  const ownPay = (memo: string, item?: CatalogueItem): PricedDetail => ({
    listed: item !== undefined,
    ...(item ? { item } : {}),
    fullOwnPay: d.amount,
    overLimit: 0,
    preSelfPay: 0,
    eligible: 0,
    memo: `${memo}，全自费 ${yuan(amount)} 元${sample}`,
  });

  if (catalogue === undefined) return ownPay(`未配置医保目录，按目录外项目（编码${d.code}）处理`);
  const item = itemOn(catalogue, d.code, d.day);
  if (item === undefined) {
    const versions = catalogue.items.get(d.code);
    return ownPay(versions ? `编码${d.code}（${versions[0]?.name}）${d.day} 不在目录有效期内，按目录外项目处理` : `目录外项目（编码${d.code}）`);
  }
  const klass = ITEM_CLASSES[item.itemClass];
  if (options.hospitalSelfPay) return ownPay(`${named(item)}医院审批标志为 2（审批不通过），按自费处理`, item);
  if (item.itemClass === '03') return ownPay(`${named(item)}为${klass}项目`, item);

  // Magnitudes first; the amount's sign is given back at the end (a refund mirrors its charge).
  const total = abs(amount);
  const sign = amount < 0n ? -1n : 1n;
  const lines = [`${named(item)}为${klass}项目，明细总额 ${yuan(amount)} 元`];

  let overLimit = 0n;
  if (item.priceLimit !== undefined) {
    const limit = scaled(item.priceLimit, PRICE, 'priceLimit');
    if (price.value > limit.value) {
      const exact = fenOfProduct({ value: price.value - limit.value, places: PRICE.places }, { value: abs(count.value), places: COUNT.places });
      overLimit = exact < total ? exact : total;
      lines.push(
        `单价 ${plainDecimal(d.price)} 元超过限价 ${plainDecimal(item.priceLimit)} 元，超限价 (${plainDecimal(d.price)} − ${plainDecimal(item.priceLimit)}) × ${plainDecimal(scaledText(absScaled(count)))} = ${yuan(overLimit)} 元${exact > total ? '（以明细总额为限）' : ''}`,
      );
    }
  }

  let preSelfPay = 0n;
  if (item.itemClass === '02') {
    const ratio = scaled(item.selfPayRatio as string, RATIO, 'selfPayRatio');
    preSelfPay = roundHalfAway((total - overLimit) * ratio.value, 10n ** BigInt(RATIO.places));
    lines.push(`先行自付 (${yuan(total)} − ${yuan(overLimit)}) × ${plainDecimal(item.selfPayRatio as string)} = ${yuan(preSelfPay)} 元`);
  }
  const eligible = total - overLimit - preSelfPay;
  lines.push(`符合政策范围 ${yuan(sign * eligible)} 元${sample}`);
  return {
    listed: true,
    item,
    fullOwnPay: 0,
    overLimit: fenNumber(sign * overLimit),
    preSelfPay: fenNumber(sign * preSelfPay),
    eligible: fenNumber(sign * eligible),
    memo: lines.join('；'),
  };
}

const absScaled = (s: Scaled): Scaled => ({ value: abs(s.value), places: s.places });

/**
 * Why `amount` is not count × price rounded half away from zero to the fen (in Chinese), or null
 * when it is. A 数量 or 单价 that is not a decimal of its size is a problem too.
 *
 * @example detailAmountProblem('3', '0.335', 101) // null (3 × 0.335 = 1.005 → 1.01)
 * @example detailAmountProblem('3', '0.335', 100) // '明细项目费用总额 1.00 元与 数量 3 × 单价 0.335 元 = 1.005 元（四舍五入到分为 1.01 元）不符'
 */
export function detailAmountProblem(count: string, price: string, amount: number): string | null {
  const countProblem = decimalProblem(count, COUNT);
  if (countProblem !== null) return `数量 cnt: ${countProblem}`;
  const priceProblem = decimalProblem(price, PRICE);
  if (priceProblem !== null) return `单价 pric: ${priceProblem}`;
  if (!Number.isSafeInteger(amount)) return `明细项目费用总额须为整数分 / must be a whole number of fen: ${amount}`;
  const c = scaled(count, COUNT);
  const p = scaled(price, PRICE);
  const expected = fenOfProduct(c, p);
  if (expected === BigInt(amount)) return null;
  const product = plainDecimal(scaledText({ value: c.value * p.value, places: COUNT.places + PRICE.places }));
  return `明细项目费用总额 ${formatYuan(amount)} 元与 数量 ${plainDecimal(count)} × 单价 ${plainDecimal(price)} 元 = ${product} 元（四舍五入到分为 ${fenText(expected)} 元）不符`;
}

/** Fen of any size as yuan text (a product may be beyond a safe number). */
function fenText(fen: bigint): string {
  return scaledText({ value: fen, places: 2 });
}

/** The four parts of a priced detail, in the order the spec's 2204 output lists them. */
export const partsOf = (p: PricedDetail): [Fen, Fen, Fen, Fen] => [p.fullOwnPay, p.overLimit, p.preSelfPay, p.eligible];
