/**
 * The inpatient messages (issue 15): 2401 入院办理, 2402 出院办理, 2403 住院信息变更, 2404 入院撤销,
 * 2405 出院撤销, 2301 / 2302 住院费用明细上传 / 撤销, 2303 / 2304 住院预结算 / 结算, field names as the
 * Hunan edition of the national interface specification (V1.1.27) writes them.
 */
import type { Amount, ExpContent, NationalDate, NationalTime, SettleCommon } from './messages-base.js';
import type { StayFeeDetail } from './messages-records.js';

// ---- 2401–2405 入院, 出院, 变更, 入院撤销, 出院撤销 --------------------------------------------

/** 入院/出院诊断信息. */
export interface StayDiagnosis {
  mdtrt_id?: string;
  psn_no: string;
  diag_type: string;
  maindiag_flag: string;
  diag_srt_no: number | string;
  diag_code: string;
  diag_name: string;
  adm_cond?: string;
  diag_dept: string;
  dise_dor_no: string;
  dise_dor_name: string;
  diag_time: NationalTime;
}
interface BirthFields {
  dise_codg?: string;
  dise_name?: string;
  oprn_oprt_code?: string;
  oprn_oprt_name?: string;
  fpsc_no?: string;
  matn_type?: string;
  birctrl_type?: string;
  latechb_flag?: string;
  geso_val?: number;
  fetts?: number;
  fetus_cnt?: number;
  pret_flag?: string;
  birctrl_matn_date?: NationalDate;
}
export interface AdmitInput {
  mdtrtinfo: BirthFields & {
    psn_no: string;
    insutype: string;
    coner_name?: string;
    tel?: string;
    begntime: NationalTime;
    mdtrt_cert_type: string;
    mdtrt_cert_no?: string;
    card_sn?: string;
    cert_type: string;
    certno: string;
    med_type: string;
    /** 住院号. */
    ipt_no: string;
    medrcdno?: string;
    atddr_no: string;
    chfpdr_name: string;
    adm_diag_dscr: string;
    adm_dept_codg: string;
    adm_dept_name: string;
    adm_bed: string;
    dscg_maindiag_code: string;
    dscg_maindiag_name: string;
    main_cond_dscr?: string;
    dise_type_code?: string;
    exp_content?: ExpContent;
    insuplc_admdvs: string;
    mdtrtarea_admvs: string;
  };
  diseinfo: StayDiagnosis[];
}
export interface AdmitOutput {
  result: { mdtrt_id: string; exp_content?: ExpContent | null };
}
export interface DischargeInput {
  dscginfo: BirthFields & {
    mdtrt_id: string;
    psn_no: string;
    insutype: string;
    endtime: NationalTime;
    cop_flag?: string;
    dscg_dept_codg: string;
    dscg_dept_name: string;
    dscg_bed?: string;
    /** 离院方式. */
    dscg_way: string;
    die_date?: NationalDate;
    exp_content?: ExpContent;
  };
  diseinfo: StayDiagnosis[];
}
export interface AmendStayInput {
  adminfo: BirthFields & {
    mdtrt_id: string;
    psn_no: string;
    coner_name?: string;
    tel?: string;
    begntime: NationalTime;
    endtime?: NationalTime;
    mdtrt_cert_type: string;
    med_type: string;
    ipt_otp_no: string;
    medrcdno?: string;
    atddr_no: string;
    chfpdr_name: string;
    adm_diag_dscr: string;
    adm_dept_codg: string;
    adm_dept_name: string;
    adm_bed: string;
    dscg_maindiag_code: string;
    dscg_maindiag_name: string;
    main_cond_dscr?: string;
    dise_type_code?: string;
    exp_content?: ExpContent;
    ttp_pay_prop?: Amount;
  };
  diseinfo: StayDiagnosis[];
}
/** 2404 入院撤销, 2405 出院撤销. */
export interface StayRefInput {
  data: { mdtrt_id: string; psn_no: string; exp_content?: ExpContent };
}

// ---- 2301 / 2302 住院费用明细, 2303 / 2304 住院预结算 / 结算 -----------------------------------

export interface StayFeeUploadInput {
  feedetail: StayFeeDetail[];
}
export interface CancelStayFeesInput {
  /** 表93, one row per detail (1–1000); a single row with feedetl_sn "0000": every detail. */
  data: { feedetl_sn: string; mdtrt_id: string; psn_no: string; exp_content?: ExpContent }[];
}
export interface StaySettleInput {
  data: Omit<SettleCommon, 'med_type' | 'chrg_bchno' | 'pub_hosp_rfom_flag'> & {
    med_type?: string;
    psn_type?: string;
    psn_name?: string;
    invono?: string;
    /** 中途结算标志 (yibao refuses "1"). */
    mid_setl_flag: string;
    fulamt_ownpay_amt?: Amount;
    overlmt_selfpay?: Amount;
    preselfpay_amt?: Amount;
    inscp_scp_amt?: Amount;
    dscgTime?: NationalDate;
    insuplc_admdvs: string;
    mdtrtarea_admvs: string;
  };
}
