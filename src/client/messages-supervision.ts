/**
 * 3101 明细审核事前分析服务 and 3102 明细审核事中分析服务 (the Hunan edition of the national interface
 * specification (V1.1.27), 【3101】【3102】): the message (表128–133 / 136–141) and the answer
 * (表134 / 135), field names as the tables write them. Types only.
 */
import type { Amount, NationalDate, NationalTime } from './messages-base.js';

/** 表131 诊断信息. */
export interface SupervisionDiagnosis {
  dise_id: string;
  /** 出入院诊断类别. */
  inout_dise_type: string;
  maindise_flag: string;
  dias_srt_no: string;
  dise_codg: string;
  dise_name: string;
  dise_date: NationalTime;
}
/** 表132 处方（医嘱）信息 (yibao judges settlements, not orders: the fields as the table lists them). */
export type SupervisionOrder = Record<string, unknown> & { rx_id: string; hilist_code: string; sumamt: Amount };
/** 表130 就诊信息. */
export interface SupervisionEncounter {
  mdtrt_id: string;
  medins_id: string;
  medins_name: string;
  medins_admdvs: string;
  medins_type: string;
  medins_lv: string;
  wardarea_codg?: string;
  wardno?: string;
  bedno?: string;
  adm_date: NationalTime;
  dscg_date: NationalTime;
  dscg_main_dise_codg: string;
  dscg_main_dise_name: string;
  fsi_diagnose_dtos: SupervisionDiagnosis[];
  dr_codg: string;
  adm_dept_codg: string;
  adm_dept_name: string;
  dscg_dept_codg: string;
  dscg_dept_name: string;
  /** 就诊类型: 1 门诊, 2 住院, 3 购药, 4 其他. */
  med_mdtrt_type: string;
  med_type: string;
  fsi_order_dtos: SupervisionOrder[];
  /** 生育状态 0–4. */
  matn_stas: string;
  medfee_sumamt: Amount;
  ownpay_amt: Amount;
  selfpay_amt: Amount;
  acct_payamt?: Amount;
  ma_amt?: Amount;
  hifp_payamt?: Amount;
  setl_totlnum: number | string;
  insutype: string;
  /** 报销标志: 1 手动报销, 2 联网报销. */
  reim_flag: string;
  out_setl_flag: string;
  fsi_operation_dtos?: Record<string, unknown>[];
  dise_no?: string;
  dise_name?: string;
  sinc_heal_lv?: string;
  his_md_cnt?: string;
}
/** 表129 参保人信息. */
export interface SupervisionPatient {
  patn_id: string;
  patn_name: string;
  gend: string;
  brdy: NationalDate;
  poolarea: string;
  /** 当前就诊ID: the encounter checked. */
  curr_mdtrt_id: string;
  fsi_encounter_dtos: SupervisionEncounter[];
}
export interface SupervisionInput {
  data: { patient_dtos: SupervisionPatient[]; rule_ids?: string[]; trig_scen?: string };
}
/** 表135 违规明细. */
export interface JudgeResultDetail {
  jrd_id: string;
  patn_id: string;
  mdtrt_id: string;
  rx_id: string | null;
  vola_item_type: string;
  vola_amt: string;
}
/** 表134 违规信息: a lead. */
export interface JudgeResult {
  jr_id: string;
  rule_id: string;
  rule_name: string;
  vola_cont: string;
  patn_id: string;
  mdtrt_id: string;
  judge_result_detail_dtos: JudgeResultDetail[];
  vola_amt: string;
  vola_amt_stas: string;
  sev_deg: string;
  vola_evid: string;
  vola_bhvr_type: string;
  task_id: string | null;
}
export interface SupervisionOutput {
  result: JudgeResult[];
}
