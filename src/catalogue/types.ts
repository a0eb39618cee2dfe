/**
 * The catalogue (三个目录: 药品, 医疗服务项目, 医用耗材): what each item is, dated like a policy. A
 * fee detail's parts — 全自费, 超限价, 先行自付, 符合政策范围 — are computed from it item by item,
 * exact to the fen (price.ts). yibao ships only a sample catalogue, labelled as one; the real
 * catalogue is the user's file.
 */
import type { Fen } from '../money/money.js';

/** 收费项目等级: 01 甲类, 02 乙类, 03 丙类. */
export type ItemClass = '01' | '02' | '03';

/** One item of the catalogue (医保目录), in force from `validFrom` to `validTo` (both included). */
export interface CatalogueItem {
  /** 医疗目录编码 (医保目录编码). */
  code: string;
  name: string;
  /** 目录类别 (list_type: 101 西药中成药, 102 中药饮片, 201 医疗服务项目, 301 医用耗材 …). */
  listType: string;
  /** 医疗收费项目类别 (med_chrgitm_type: 01 床位费 … 14 其他费). */
  chargeType: string;
  /** 收费项目等级. */
  itemClass: ItemClass;
  /**
   * 先行自付比例 of a 乙类 item, as an exact decimal text with at most 4 places ("0.1000"); absent
   * for 甲类 and 丙类. Never defaulted: a 乙类 item without one is refused when the file is loaded.
   */
  selfPayRatio?: string;
  /** 限价 (最高支付标准) per unit, decimal yuan text with at most 6 places; absent when none. */
  priceLimit?: string;
  /** yyyy-MM-dd, both included; validTo absent = open-ended. */
  validFrom: string;
  validTo?: string;
  /** Where the figures come from: the document and its article, or "样例" for the sample. */
  source: string;
}

/** A loaded catalogue: its items by code, each code's versions in date order. */
export interface Catalogue {
  /** Its name, and whether it is the shipped sample (answers then say 样例目录). */
  name: string;
  sample: boolean;
  /** The items, by code, versions sorted by validFrom, not overlapping. */
  items: ReadonlyMap<string, readonly CatalogueItem[]>;
}

/** A fee detail as the hospital sent it (2204 / 2301 feedetail), the part the arithmetic reads. */
export interface DetailInput {
  /** 医疗目录编码. */
  code: string;
  /** 数量, exact decimal text (up to 4 places; may be negative for a 退费 line). */
  count: string;
  /** 单价, exact decimal yuan text (up to 6 places). */
  price: string;
  /** 明细项目费用总额 in fen, as sent; must be count × price rounded half away from zero to the fen. */
  amount: Fen;
  /** 费用发生时间: the catalogue in force on this China day (yyyy-MM-dd). */
  day: string;
}

/** What the catalogue makes of one detail: the four parts add up to the amount. */
export interface PricedDetail {
  listed: boolean;
  item?: CatalogueItem;
  /** 全自费金额: not listed, or 丙类. */
  fullOwnPay: Fen;
  /** 超限价金额: (price − limit) × count, rounded half away from zero, when the price exceeds the limit. */
  overLimit: Fen;
  /** 先行自付金额: 乙类, (amount − overLimit) × selfPayRatio rounded half away from zero. */
  preSelfPay: Fen;
  /** 符合政策范围金额: the rest. */
  eligible: Fen;
  /** Why, in Chinese, with the item and the figures (for memo and the trace). */
  memo: string;
}
