/**
 * A stored fee detail (费用明细) as the national interface answers it: one row of 2301's output
 * (表92 输出 result, and 2204's, which has the same table) — the detail as sent and what the
 * catalogue made of it. Amounts as yuan text with two places; 数量, 单价 and 定价上限金额 as sent or as
 * the catalogue has them; 自付比例 the catalogue's 先行自付比例.
 *
 * The catalogue (src/catalogue/types.ts) has no 基本药物, 谈判药品, 儿童用药, 目录特项, 限制使用 or 直报
 * flags: they are answered null, not guessed. An item the catalogue does not list has no 收费项目等级
 * or 医疗收费项目类别 (null) and is all 全自费; memo says why.
 */
import { formatYuan, type Fen } from '../money/money.js';

/** The stored detail's fields the answer reads (the fee_details row's columns). */
export interface StoredDetail {
  feedetl_sn: string;
  cnt: string;
  pric: string;
  sumamt_fen: Fen;
  chrgitm_lv: string | null;
  med_chrgitm_type: string | null;
  selfpay_prop: string | null;
  pric_uplmt_amt: string | null;
  fulamt_ownpay_fen: Fen;
  overlmt_fen: Fen;
  preselfpay_fen: Fen;
  inscp_scp_fen: Fen;
  memo: string;
}

/** 表92 输出 (result): one detail. */
export interface DetailResult {
  feedetl_sn: string;
  det_item_fee_sumamt: string;
  cnt: string;
  pric: string;
  pric_uplmt_amt: string | null;
  selfpay_prop: string | null;
  fulamt_ownpay_amt: string;
  overlmt_amt: string;
  preselfpay_amt: string;
  inscp_scp_amt: string;
  chrgitm_lv: string | null;
  med_chrgitm_type: string | null;
  bas_medn_flag: null;
  hi_nego_drug_flag: null;
  chld_medc_flag: null;
  list_sp_item_flag: null;
  lmt_used_flag: null;
  drt_reim_flag: null;
  memo: string;
  exp_content: null;
}

export function detailResult(d: StoredDetail): DetailResult {
  return {
    feedetl_sn: d.feedetl_sn,
    det_item_fee_sumamt: formatYuan(d.sumamt_fen),
    cnt: d.cnt,
    pric: d.pric,
    pric_uplmt_amt: d.pric_uplmt_amt,
    selfpay_prop: d.selfpay_prop,
    fulamt_ownpay_amt: formatYuan(d.fulamt_ownpay_fen),
    overlmt_amt: formatYuan(d.overlmt_fen),
    preselfpay_amt: formatYuan(d.preselfpay_fen),
    inscp_scp_amt: formatYuan(d.inscp_scp_fen),
    chrgitm_lv: d.chrgitm_lv,
    med_chrgitm_type: d.med_chrgitm_type,
    bas_medn_flag: null,
    hi_nego_drug_flag: null,
    chld_medc_flag: null,
    list_sp_item_flag: null,
    lmt_used_flag: null,
    drt_reim_flag: null,
    memo: d.memo,
    exp_content: null,
  };
}
