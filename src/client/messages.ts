/**
 * The national interface's messages as TypeScript types (issue 15): the envelope (公共输入参数,
 * 公共输出参数) and, per transaction, its input node and output nodes, field names exactly as the
 * Hunan edition of the national interface specification (V1.1.27) writes them (【9001】…【5206】,
 * 【3101】【3102】, 【3201】【3202】). Settlement and query records are in messages-records.ts.
 *
 * Types only: nothing here runs. Amounts (数值型 16,2) are `Amount`: yuan with two decimals, as a
 * number or as decimal text (yibao answers text by default); never a float computed by the client.
 */
import type { CumulativeRecord, FeeDetailRecord, FeeDetailResult, OutpatientFeeDetail, SetlDetail, SetlInfo, SettlementRecord } from './messages-records.js';
import type { Amount, ExpContent, NationalDate, NationalTime, SettleCommon } from './messages-base.js';
import type { AdmitInput, AdmitOutput, AmendStayInput, CancelStayFeesInput, DischargeInput, StayFeeUploadInput, StayRefInput, StaySettleInput } from './messages-inpatient.js';
import type { SupervisionInput, SupervisionOutput } from './messages-supervision.js';

export type * from './messages-base.js';
export type * from './messages-inpatient.js';
export type * from './messages-supervision.js';
export type * from './messages-records.js';

// ---- 9001 签到, 9002 签退 ----------------------------------------------------------------------

export interface SignInInput {
  signIn: { opter_no: string; mac: string; ip: string };
}
export interface SignInOutput {
  signinoutb: { sign_time: NationalTime; sign_no: string };
}
export interface SignOutInput {
  signOut: { sign_no: string; opter_no: string };
}
/** The table's node label reads 'sign_time'; the answer's node is `signoutoutb` (a reading). */
export interface SignOutOutput {
  signoutoutb: { sign_time: NationalTime };
}

// ---- 1101 人员信息获取, 2001 人员待遇享受检查 --------------------------------------------------

export interface PersonInfoInput {
  data: {
    /** 就诊凭证类型 (01 电子凭证, 02 居民身份证, 03 社会保障卡). */
    mdtrt_cert_type: string;
    mdtrt_cert_no: string;
    card_sn?: string;
    begntime?: NationalTime;
    psn_cert_type: string;
    certno: string;
    psn_name: string;
  };
}
export interface PersonInfoOutput {
  baseinfo: {
    psn_no: string;
    psn_cert_type: string;
    certno: string;
    psn_name: string;
    gend: string;
    naty?: string | null;
    brdy?: NationalDate | null;
    age: Amount;
    exp_content?: ExpContent | null;
  };
  insuinfo: Array<{
    balc: Amount;
    insutype: string;
    psn_type: string;
    psn_insu_stas?: string | null;
    psn_insu_date?: NationalDate | null;
    paus_insu_date?: NationalDate | null;
    cvlserv_flag: string;
    insuplc_admdvs: string;
    emp_name?: string | null;
  }>;
  idetinfo: Array<{ psn_idet_type: string; psn_type_lv?: string | null; memo?: string | null; begntime: NationalTime; endtime?: NationalTime | null }>;
}

export interface EligibilityInput {
  data: {
    psn_no: string;
    insutype: string;
    fixmedins_code: string;
    med_type: string;
    begntime: NationalTime;
    endtime?: NationalTime;
    dise_codg?: string;
    dise_name?: string;
    oprn_oprt_code?: string;
    oprn_oprt_name?: string;
    matn_type?: string;
    birctrl_type?: string;
    exp_content?: ExpContent;
  };
}
export interface EligibilityOutput {
  trtinfo: Array<{
    psn_no: string;
    /** 待遇检查类型. */
    trt_chk_type: string;
    fund_pay_type: string;
    /** 基金款项待遇享受标志: 1 享受, 0 不享受. */
    trt_enjymnt_flag: string;
    begndate: NationalDate;
    enddate?: NationalDate | null;
    /** 待遇检查结果: why benefits are refused. */
    trt_chk_rslt?: string | null;
    exp_content?: ExpContent | null;
  }>;
}

// ---- 2201–2205 门诊挂号, 撤销, 就诊信息, 费用明细, 明细撤销 -----------------------------------

export interface RegisterInput {
  data: {
    psn_no: string;
    insutype: string;
    begntime: NationalTime;
    mdtrt_cert_type: string;
    mdtrt_cert_no: string;
    card_sn?: string;
    psn_cert_type: string;
    certno: string;
    psn_type: string;
    psn_name: string;
    /** 住院/门诊号: the hospital's own number. */
    ipt_otp_no: string;
    atddr_no?: string;
    dr_name?: string;
    dept_code: string;
    dept_name: string;
    /** 科别. */
    caty: string;
    exp_content?: ExpContent;
  };
}
export interface RegisterOutput {
  data: { mdtrt_id: string; psn_no: string; ipt_otp_no: string; exp_content?: ExpContent | null };
}
export interface CancelRegistrationInput {
  data: { psn_no: string; mdtrt_id: string; ipt_otp_no: string; exp_content?: ExpContent };
}

/** 诊断信息 of 2203. */
export interface OutpatientDiagnosis {
  diag_type: string;
  diag_srt_no: number | string;
  diag_code: string;
  diag_name: string;
  diag_dept: string;
  dise_dor_no: string;
  dise_dor_name: string;
  diag_time: NationalTime;
  vali_flag: string;
}
export interface VisitInfoInput {
  mdtrtinfo: {
    mdtrt_id: string;
    psn_no: string;
    med_type: string;
    begntime: NationalTime;
    main_cond_dscr?: string;
    dise_type_code?: string;
    dise_codg: string;
    dise_name: string;
    birctrl_type?: string;
    birctrl_matn_date?: NationalDate;
    exp_content?: ExpContent;
  };
  diseinfo: OutpatientDiagnosis[];
}
export interface FeeUploadInput {
  feedetail: OutpatientFeeDetail[];
}
export interface FeeUploadOutput {
  result: FeeDetailResult[];
}
export interface CancelFeesInput {
  /** chrg_bchno "0000": every detail not yet settled. */
  data: { mdtrt_id: string; chrg_bchno: string; psn_no: string; exp_content?: ExpContent };
}

// ---- 2206 / 2207 门诊预结算 / 结算, 2208 门诊结算撤销 ------------------------------------------

export interface PreSettleInput {
  data: SettleCommon & { psn_type?: string; psn_name?: string; fulamt_ownpay_amt?: Amount; overlmt_selfpay?: Amount; preselfpay_amt?: Amount; inscp_scp_amt?: Amount };
}
export interface SettleInput {
  data: SettleCommon & { invono?: string; fulamt_ownpay_amt?: Amount; overlmt_selfpay?: Amount; preselfpay_amt?: Amount; inscp_scp_amt?: Amount };
}
export interface SettlementOutput {
  setlinfo: SetlInfo;
  setldetail: SetlDetail[];
}
/** 2208 门诊结算撤销, 2305 住院结算撤销. */
export interface ReverseInput {
  data: { setl_id: string; mdtrt_id: string; psn_no: string; exp_content?: ExpContent };
}

// ---- 2601 冲正, 5203 / 5204 / 5206 查询 ---------------------------------------------------------

export interface CorrectInput {
  /** 原发送方报文ID, 原交易编号 (2207 or 2304). */
  data: { psn_no: string; omsgid: string; oinfno: string };
}
/** The specification lists no output for 2601: output is null (yibao says what was done in its `yibao` block). */
export type CorrectOutput = null;
export interface SettlementQueryInput {
  data: { psn_no: string; setl_id: string; mdtrt_id: string };
}
export interface SettlementInfoOutput {
  setlinfo: SettlementRecord;
  setldetail: SetlDetail[];
}
/** 5204: many rows (交易输出为多行数据) and no node named: the output is the list itself. */
export type FeeDetailsOutput = FeeDetailRecord[];
export interface CumulativeInput {
  /** 累计年月 yyyyMM. */
  data: { psn_no: string; cum_ym?: string };
}
export interface CumulativeOutput {
  cuminfo: CumulativeRecord[];
}

// ---- 3201 / 3202 对账 ----------------------------------------------------------------------

export interface ReconcileTotalsInput {
  data: {
    insutype: string;
    clr_type: string;
    setl_optins: string;
    stmt_begndate: NationalDate;
    stmt_enddate: NationalDate;
    medfee_sumamt: Amount;
    fund_pay_sumamt: Amount;
    acct_pay: Amount;
    fixmedins_setl_cnt: number | string;
    refd_setl_flag?: string;
    fixmedins_refd_setl_flag: string;
  };
}
export interface ReconcileTotalsOutput {
  /** stmt_rslt 0 平, 1 不平. */
  stmtinfo: { setl_optins: string; stmt_rslt: string; stmt_rslt_dscr: string };
}
export interface ReconcileDetailsInput {
  data: {
    setl_optins: string;
    file_qury_no?: string;
    stmt_begndate: NationalDate;
    stmt_enddate: NationalDate;
    medfee_sumamt: Amount;
    fund_pay_sumamt: Amount;
    cash_payamt: Amount;
    fixmedins_setl_cnt: number | string;
    clr_type: string;
    refd_setl_flag?: string;
    fixmedins_refd_setl_flag: string;
  };
  /** yibao: the detail file inline (the platform uploads it by 9101). */
  file: string;
}
export interface ReconcileDetailsOutput {
  fileinfo: { file_qury_no: string; filename: string; dld_endtime: NationalTime };
  setl_optins: string;
  stmt_rslt: string;
  summary: Record<string, unknown>;
  file: string;
}

/** Every transaction the client speaks: its input and output. */
export interface Messages {
  '9001': { input: SignInInput; output: SignInOutput };
  '9002': { input: SignOutInput; output: SignOutOutput };
  '1101': { input: PersonInfoInput; output: PersonInfoOutput };
  '2001': { input: EligibilityInput; output: EligibilityOutput };
  '2201': { input: RegisterInput; output: RegisterOutput };
  '2202': { input: CancelRegistrationInput; output: null };
  '2203': { input: VisitInfoInput; output: null };
  '2204': { input: FeeUploadInput; output: FeeUploadOutput };
  '2205': { input: CancelFeesInput; output: null };
  '2206': { input: PreSettleInput; output: SettlementOutput };
  '2207': { input: SettleInput; output: SettlementOutput };
  '2208': { input: ReverseInput; output: SettlementOutput };
  '2301': { input: StayFeeUploadInput; output: FeeUploadOutput };
  '2302': { input: CancelStayFeesInput; output: null };
  '2303': { input: StaySettleInput; output: SettlementOutput };
  '2304': { input: StaySettleInput; output: SettlementOutput };
  '2305': { input: ReverseInput; output: SettlementOutput };
  '2401': { input: AdmitInput; output: AdmitOutput };
  '2402': { input: DischargeInput; output: null };
  '2403': { input: AmendStayInput; output: null };
  '2404': { input: StayRefInput; output: null };
  '2405': { input: StayRefInput; output: null };
  '2601': { input: CorrectInput; output: CorrectOutput };
  '5203': { input: SettlementQueryInput; output: SettlementInfoOutput };
  '5204': { input: SettlementQueryInput; output: FeeDetailsOutput };
  '5206': { input: CumulativeInput; output: CumulativeOutput };
  '3101': { input: SupervisionInput; output: SupervisionOutput };
  '3102': { input: SupervisionInput; output: SupervisionOutput };
  '3201': { input: ReconcileTotalsInput; output: ReconcileTotalsOutput };
  '3202': { input: ReconcileDetailsInput; output: ReconcileDetailsOutput };
}
export type Infno = keyof Messages;

/** 交易名称, per transaction. */
export const TRANSACTION_NAMES: Readonly<Record<Infno, string>> = {
  '9001': '签到',
  '9002': '签退',
  '1101': '人员信息获取',
  '2001': '人员待遇享受检查',
  '2201': '门诊挂号',
  '2202': '门诊挂号撤销',
  '2203': '门诊就诊信息上传',
  '2204': '门诊费用明细信息上传',
  '2205': '门诊费用明细信息撤销',
  '2206': '门诊预结算',
  '2207': '门诊结算',
  '2208': '门诊结算撤销',
  '2301': '住院费用明细上传',
  '2302': '住院费用明细撤销',
  '2303': '住院预结算',
  '2304': '住院结算',
  '2305': '住院结算撤销',
  '2401': '入院办理',
  '2402': '出院办理',
  '2403': '住院信息变更',
  '2404': '入院撤销',
  '2405': '出院撤销',
  '2601': '冲正交易',
  '5203': '结算信息查询',
  '5204': '费用明细查询',
  '5206': '人员累计信息查询',
  '3101': '明细审核事前分析服务',
  '3102': '明细审核事中分析服务',
  '3201': '医药机构费用结算对总账',
  '3202': '医药机构费用结算对明细账',
};
