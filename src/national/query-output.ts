/**
 * The queries of a settlement (the Hunan edition of the national interface specification
 * (V1.1.27), 【5203】结算信息查询 表268–270 and 【5204】费用明细查询 表271–272): the input, and the
 * answers in the spec's field order. yibao fills what it keeps and writes null for the rest
 * (docs/national.md names each).
 */
import { z } from 'zod';
import { formatYuan } from '../money/money.js';
import { id } from '../request/settle-request.js';
import type { StoredDetail } from './detail-input.js';
import { nationalTime, type SetlInfo } from './setlinfo.js';
import { type Envelope, expContent, messageSchema, parseMessage } from './visit-input.js';

/** 表268 / 表271 输入（节点标识：data）: the settlement, its visit and person (all three, as the spec requires; setl_id is the ledger's entry id, 36 characters, beyond the spec's 30). */
export const querySchema = messageSchema({ data: z.strictObject({ psn_no: id, setl_id: id, mdtrt_id: id, exp_content: expContent }) });

export function parseQuery(infno: '5203' | '5204', body: unknown): { envelope: Envelope; psnNo: string; setlId: string; mdtrtId: string } {
  const { body: b, envelope } = parseMessage(infno, querySchema, body, { write: false });
  const d = b.input.data;
  return { envelope, psnNo: d.psn_no, setlId: d.setl_id, mdtrtId: d.mdtrt_id };
}

/** What 5203 knows beyond the settlement's setlinfo (2207's). */
export interface SettlementFacts {
  fixmedinsCode: string;
  /** 开始日期 / 结束日期 yyyy-MM-dd: the visit's (挂号/入院, 出院), else the settlement's day. */
  begndate: string;
  enddate: string;
  /** The entry is a reversal (退费结算标志 1). */
  refund: boolean;
  mdtrtCertType: string | null;
  diseCodg: string | null;
  diseName: string | null;
  /** 经办人: the key that settled. */
  opterId: string | null;
  optTime: number;
}

/** 表269 输出（节点标识：setlinfo）, from the settlement's setlinfo and the facts. */
export function querySetlinfo(s: SetlInfo, f: SettlementFacts): Record<string, string | null> {
  return {
    setl_id: s.setl_id,
    mdtrt_id: s.mdtrt_id,
    psn_no: s.psn_no,
    psn_name: s.psn_name,
    psn_cert_type: s.psn_cert_type,
    certno: s.certno,
    gend: s.gend,
    naty: s.naty,
    brdy: s.brdy,
    age: s.age,
    insutype: s.insutype,
    psn_type: s.psn_type,
    cvlserv_flag: '0',
    flxempe_flag: null,
    nwb_flag: null,
    insu_optins: null,
    emp_name: null,
    pay_loc: null,
    fixmedins_code: f.fixmedinsCode,
    fixmedins_name: null,
    hosp_lv: null,
    fixmedins_poolarea: null,
    lmtpric_hosp_lv: null,
    dedc_hosp_lv: null,
    begndate: f.begndate,
    enddate: f.enddate,
    setl_time: s.setl_time,
    mdtrt_cert_type: f.mdtrtCertType,
    med_type: s.med_type,
    clr_type: null,
    clr_way: null,
    clr_optins: null,
    medfee_sumamt: s.medfee_sumamt,
    fulamt_ownpay_amt: s.fulamt_ownpay_amt,
    overlmt_selfpay: s.overlmt_selfpay,
    preselfpay_amt: s.preselfpay_amt,
    inscp_scp_amt: s.inscp_scp_amt,
    act_pay_dedc: s.act_pay_dedc,
    hifp_pay: s.hifp_pay,
    pool_prop_selfpay: s.pool_prop_selfpay,
    cvlserv_pay: s.cvlserv_pay,
    hifes_pay: s.hifes_pay,
    hifmi_pay: s.hifmi_pay,
    hifob_pay: s.hifob_pay,
    maf_pay: s.maf_pay,
    oth_pay: s.oth_pay,
    fund_pay_sumamt: s.fund_pay_sumamt,
    psn_pay: s.psn_part_amt,
    acct_pay: s.acct_pay,
    cash_payamt: s.psn_cash_pay,
    balc: s.balc,
    acct_mulaid_pay: s.acct_mulaid_pay,
    medins_setl_id: s.medins_setl_id,
    refd_setl_flag: f.refund ? '1' : '0',
    year: s.setl_time.slice(0, 4),
    dise_codg: f.diseCodg,
    dise_name: f.diseName,
    invono: null,
    opter_id: f.opterId,
    opter_name: null,
    opt_time: nationalTime(f.optTime),
    pref_fund_pay: null,
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** 表272: one stored detail of the settlement, with what the catalogue made of it and the detail as sent. */
export function queryDetailRow(
  r: StoredDetail,
  c: { setlId: string | null; medType: string; opterId: string | null; optTime: number; hilistName: string | null },
): Record<string, string | null> {
  const sent = JSON.parse(r.body) as Record<string, unknown>;
  return {
    mdtrt_id: r.mdtrt_id,
    setl_id: c.setlId,
    feedetl_sn: r.feedetl_sn,
    rx_drord_no: str(sent.rxno),
    med_type: c.medType,
    fee_ocur_time: nationalTime(Number(r.fee_ocur_time)),
    cnt: r.cnt,
    pric: r.pric,
    sin_dos_dscr: str(sent.sin_dos_dscr),
    used_frqu_dscr: str(sent.used_frqu_dscr),
    prd_days: str(sent.prd_days),
    medc_way_dscr: str(sent.medc_way_dscr),
    det_item_fee_sumamt: formatYuan(Number(r.sumamt_fen)),
    pric_uplmt_amt: r.pric_uplmt_amt,
    selfpay_prop: r.selfpay_prop,
    fulamt_ownpay_amt: formatYuan(Number(r.fulamt_ownpay_fen)),
    overlmt_amt: formatYuan(Number(r.overlmt_fen)),
    preselfpay_amt: formatYuan(Number(r.preselfpay_fen)),
    inscp_scp_amt: formatYuan(Number(r.inscp_scp_fen)),
    chrgitm_lv: r.chrgitm_lv,
    hilist_code: r.listed === 1 ? r.med_list_codg : null,
    hilist_name: c.hilistName,
    list_type: r.list_type,
    med_list_codg: r.med_list_codg,
    medins_list_codg: r.medins_list_codg,
    medins_list_name: null,
    med_chrgitm_type: r.med_chrgitm_type,
    prodname: null,
    spec: null,
    dosform_name: null,
    bilg_dept_codg: str(sent.bilg_dept_codg),
    bilg_dept_name: str(sent.bilg_dept_name),
    bilg_dr_codg: str(sent.bilg_dr_codg),
    bilg_dr_name: str(sent.bilg_dr_name),
    acord_dept_codg: str(sent.acord_dept_codg),
    acord_dept_name: str(sent.acord_dept_name),
    orders_dr_code: str(sent.orders_dr_code),
    orders_dr_name: str(sent.orders_dr_name),
    lmt_used_flag: null,
    hosp_prep_flag: null,
    hosp_appr_flag: str(sent.hosp_appr_flag),
    tcmdrug_used_way: str(sent.tcmdrug_used_way),
    prodplac_type: null,
    bas_medn_flag: null,
    hi_nego_drug_flag: null,
    chld_medc_flag: null,
    etip_flag: str(sent.etip_flag),
    etip_hosp_code: str(sent.etip_hosp_code),
    dscg_tkdrug_flag: str(sent.dscg_tkdrug_flag),
    list_sp_item_flag: null,
    matn_fee_flag: str(sent.matn_fee_flag),
    drt_reim_flag: null,
    memo: r.memo,
    opter_id: c.opterId,
    opter_name: null,
    opt_time: nationalTime(c.optTime),
  };
}
