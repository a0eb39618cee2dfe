/**
 * The national interface's record types (issue 15), generated once from the field tables of the
 * Hunan edition of the national interface specification (V1.1.27) and kept by hand since: each
 * field as the table names it, its Chinese name in the comment. An output field the table marks
 * required is a key (its value may be null where yibao has no such figure); the others are
 * optional. Inputs: required fields are required.
 */
import type { Amount, ExpContent, NationalDate, NationalTime } from './messages-base.js';

/** 结算信息 (setlinfo) of 2206/2207/2208, 2303/2304/2305 (【2207】 表86; 2304 adds nothing the type lacks). */
export interface SetlInfo {
  /** 就诊ID */ mdtrt_id: string | null;
  /** 结算ID */ setl_id: string | null;
  /** 人员编号 */ psn_no: string | null;
  /** 人员姓名 */ psn_name: string | null;
  /** 人员证件类型 */ psn_cert_type: string | null;
  /** 证件号码 */ certno: string | null;
  /** 性别 */ gend?: string | null;
  /** 民族 */ naty?: string | null;
  /** 出生日期 */ brdy?: NationalDate | null;
  /** 年龄 */ age?: Amount | null;
  /** 险种类型 */ insutype?: string | null;
  /** 人员类别 */ psn_type: string | null;
  /** 公务员标志 */ cvlserv_flag: string | null;
  /** 结算时间 */ setl_time: NationalTime | null;
  /** 就诊凭证类型 */ mdtrt_cert_type?: string | null;
  /** 医疗类别 */ med_type: string | null;
  /** 医疗费总额 */ medfee_sumamt: Amount | null;
  /** 全自费金额 */ fulamt_ownpay_amt: Amount | null;
  /** 超限价自费费用 */ overlmt_selfpay: Amount | null;
  /** 先行自付金额 */ preselfpay_amt: Amount | null;
  /** 符合政策范围金额 */ inscp_scp_amt: Amount | null;
  /** 实际支付起付线 */ act_pay_dedc?: Amount | null;
  /** 基本医疗保险统筹基金支出 */ hifp_pay: Amount | null;
  /** 基本医疗保险统筹基金支付比例 */ pool_prop_selfpay: Amount | null;
  /** 公务员医疗补助资金支出 */ cvlserv_pay: Amount | null;
  /** 企业补充医疗保险基金支出 */ hifes_pay: Amount | null;
  /** 居民大病保险资金支出 */ hifmi_pay: Amount | null;
  /** 职工大额医疗费用补助基金支出 */ hifob_pay: Amount | null;
  /** 医疗救助基金支出 */ maf_pay: Amount | null;
  /** 其他支出 */ oth_pay: Amount | null;
  /** 基金支付总额 */ fund_pay_sumamt: Amount | null;
  /** 个人负担总金额 */ psn_part_amt: Amount | null;
  /** 个人账户支出 */ acct_pay: Amount | null;
  /** 个人现金支出 */ psn_cash_pay: Amount | null;
  /** 医院负担金额 */ hosp_part_amt: Amount | null;
  /** 余额 */ balc: Amount | null;
  /** 个人账户共济支付金额 */ acct_mulaid_pay: Amount | null;
  /** 医药机构结算ID */ medins_setl_id: string | null;
  /** 清算经办机构 */ clr_optins?: string | null;
  /** 清算方式 */ clr_way?: string | null;
  /** 清算类别 */ clr_type: string | null;
  /** 伤残人员医疗保障基金支出 */ hifdm_pay: Amount | null;
  /** 字段扩展 */ exp_content?: ExpContent | null;
}

/** 结算基金分项信息 (setldetail). */
export interface SetlDetail {
  /** 基金支付类型 */ fund_pay_type: string | null;
  /** 符合政策范围金额 */ inscp_scp_amt: Amount | null;
  /** 本次可支付限额金额 */ crt_payb_lmt_amt: Amount | null;
  /** 基金支付金额 */ fund_payamt: Amount | null;
  /** 基金支付类型名称 */ fund_pay_type_name?: string | null;
  /** 结算过程信息 */ setl_proc_info?: string | null;
}

/** 门诊费用明细 (2204 feedetail, 表79). */
export interface OutpatientFeeDetail {
  /** 费用明细流水号 */ feedetl_sn: Amount;
  /** 就诊ID */ mdtrt_id: string;
  /** 人员编号 */ psn_no: string;
  /** 收费批次号 */ chrg_bchno: string;
  /** 病种编码 */ dise_codg?: string;
  /** 处方号 */ rxno?: string;
  /** 外购处方标志 */ rx_circ_flag: string;
  /** 费用发生时间 */ fee_ocur_time: NationalTime;
  /** 医疗目录编码 */ med_list_codg: string;
  /** 医药机构目录编码 */ medins_list_codg: string;
  /** 明细项目费用总额 */ det_item_fee_sumamt: Amount;
  /** 数量 */ cnt: Amount;
  /** 单价 */ pric: Amount;
  /** 单次剂量描述 */ sin_dos_dscr?: string;
  /** 使用频次描述 */ used_frqu_dscr?: string;
  /** 周期天数 */ prd_days?: Amount;
  /** 用药途径描述 */ medc_way_dscr?: string;
  /** 开单科室编码 */ bilg_dept_codg: string;
  /** 开单科室名称 */ bilg_dept_name: string;
  /** 开单医生编码 */ bilg_dr_codg: string;
  /** 开单医师姓名 */ bilg_dr_name: string;
  /** 受单科室编码 */ acord_dept_codg?: string;
  /** 受单科室名称 */ acord_dept_name?: string;
  /** 受单医生编码 */ orders_dr_code?: string;
  /** 受单医生姓名 */ orders_dr_name?: string;
  /** 医院审批标志 */ hosp_appr_flag: string;
  /** 中药使用方式 */ tcmdrug_used_way?: string;
  /** 外检标志 */ etip_flag?: string;
  /** 外检医院编码 */ etip_hosp_code?: string;
  /** 出院带药标志 */ dscg_tkdrug_flag?: string;
  /** 生育费用标志 */ matn_fee_flag?: string;
  /** 备注 */ memo?: string;
  /** 组套编码 */ comb_no?: string;
  /** 字段扩展 */ exp_content?: ExpContent;
}

/** 费用明细上传结果 (2204/2301 result, 表80/92). */
export interface FeeDetailResult {
  /** 费用明细流水号 */ feedetl_sn: string | null;
  /** 明细项目费用总额 */ det_item_fee_sumamt: Amount | null;
  /** 数量 */ cnt: Amount | null;
  /** 单价 */ pric: Amount | null;
  /** 定价上限金额 */ pric_uplmt_amt: Amount | null;
  /** 自付比例 */ selfpay_prop?: Amount | null;
  /** 全自费金额 */ fulamt_ownpay_amt?: Amount | null;
  /** 超限价金额 */ overlmt_amt?: Amount | null;
  /** 先行自付金额 */ preselfpay_amt?: Amount | null;
  /** 符合政策范围金额 */ inscp_scp_amt?: Amount | null;
  /** 收费项目等级 */ chrgitm_lv: string | null;
  /** 医疗收费项目类别 */ med_chrgitm_type: string | null;
  /** 基本药物标志 */ bas_medn_flag?: string | null;
  /** 医保谈判药品标志 */ hi_nego_drug_flag?: string | null;
  /** 儿童用药标志 */ chld_medc_flag?: string | null;
  /** 目录特项标志 */ list_sp_item_flag?: string | null;
  /** 限制使用标志 */ lmt_used_flag: string | null;
  /** 直报标志 */ drt_reim_flag?: string | null;
  /** 备注 */ memo?: string | null;
  /** 字段扩展 */ exp_content?: ExpContent | null;
}

/** 住院费用明细 (2301 feedetail, 表91). */
export interface StayFeeDetail {
  /** 费用明细流水号 */ feedetl_sn: Amount;
  /** 原费用流水号 */ init_feedetl_sn?: string;
  /** 就诊ID */ mdtrt_id: string;
  /** 医嘱号 */ drord_no?: string;
  /** 人员编号 */ psn_no: string;
  /** 医疗类别 */ med_type: string;
  /** 费用发生时间 */ fee_ocur_time: NationalTime;
  /** 医疗目录编码 */ med_list_codg: string;
  /** 医药机构目录编码 */ medins_list_codg: string;
  /** 明细项目费用总额 */ det_item_fee_sumamt: Amount;
  /** 数量 */ cnt: Amount;
  /** 单价 */ pric: Amount;
  /** 开单科室编码 */ bilg_dept_codg: string;
  /** 开单科室名称 */ bilg_dept_name: string;
  /** 开单医生编码 */ bilg_dr_codg: string;
  /** 开单医师姓名 */ bilg_dr_name: string;
  /** 受单科室编码 */ acord_dept_codg?: string;
  /** 受单科室名称 */ acord_dept_name?: string;
  /** 受单医生编码 */ orders_dr_code?: string;
  /** 受单医生姓名 */ orders_dr_name?: string;
  /** 医院审批标志 */ hosp_appr_flag?: string;
  /** 中药使用方式 */ tcmdrug_used_way?: string;
  /** 外检标志 */ etip_flag?: string;
  /** 外检医院编码 */ etip_hosp_code?: string;
  /** 出院带药标志 */ dscg_tkdrug_flag?: string;
  /** 生育费用标志 */ matn_fee_flag?: string;
  /** 备注 */ memo?: string;
  /** 组套编号 */ comb_no?: string;
  /** 字段扩展 */ exp_content?: ExpContent;
}

/** 结算信息 (5203 setlinfo, 表269). */
export interface SettlementRecord {
  /** 结算ID */ setl_id: string | null;
  /** 就诊ID */ mdtrt_id: string | null;
  /** 人员编号 */ psn_no: string | null;
  /** 人员姓名 */ psn_name: string | null;
  /** 人员证件类型 */ psn_cert_type: string | null;
  /** 证件号码 */ certno: string | null;
  /** 性别 */ gend: string | null;
  /** 民族 */ naty?: string | null;
  /** 出生日期 */ brdy?: NationalDate | null;
  /** 年龄 */ age?: Amount | null;
  /** 险种类型 */ insutype: string | null;
  /** 人员类别 */ psn_type: string | null;
  /** 公务员标志 */ cvlserv_flag: string | null;
  /** 灵活就业标志 */ flxempe_flag?: string | null;
  /** 新生儿标志 */ nwb_flag?: string | null;
  /** 参保机构医保区划 */ insu_optins?: string | null;
  /** 单位名称 */ emp_name?: string | null;
  /** 支付地点类别 */ pay_loc: string | null;
  /** 定点医药机构编号 */ fixmedins_code: string | null;
  /** 定点医药机构名称 */ fixmedins_name: string | null;
  /** 医院等级 */ hosp_lv?: string | null;
  /** 定点归属机构 */ fixmedins_poolarea?: string | null;
  /** 限价医院等级 */ lmtpric_hosp_lv?: string | null;
  /** 起付线医院等级 */ dedc_hosp_lv?: string | null;
  /** 开始日期 */ begndate: NationalDate | null;
  /** 结束日期 */ enddate: NationalDate | null;
  /** 结算时间 */ setl_time: NationalTime | null;
  /** 就诊凭证类型 */ mdtrt_cert_type?: string | null;
  /** 医疗类别 */ med_type: string | null;
  /** 清算类别 */ clr_type: string | null;
  /** 清算方式 */ clr_way?: string | null;
  /** 清算经办机构 */ clr_optins?: string | null;
  /** 医疗费总额 */ medfee_sumamt: Amount | null;
  /** 全自费金额 */ fulamt_ownpay_amt: Amount | null;
  /** 超限价自费费用 */ overlmt_selfpay: Amount | null;
  /** 先行自付金额 */ preselfpay_amt: Amount | null;
  /** 符合政策范围金额 */ inscp_scp_amt: Amount | null;
  /** 实际支付起付线 */ act_pay_dedc: Amount | null;
  /** 基本医疗保险统筹基金支出 */ hifp_pay: Amount | null;
  /** 基本医疗保险统筹基金支付比例 */ pool_prop_selfpay: Amount | null;
  /** 公务员医疗补助资金支出 */ cvlserv_pay: Amount | null;
  /** 企业补充医疗保险基金支出 */ hifes_pay: Amount | null;
  /** 居民大病保险资金支出 */ hifmi_pay: Amount | null;
  /** 职工大额医疗费用补助基金支出 */ hifob_pay: Amount | null;
  /** 医疗救助基金支出 */ maf_pay: Amount | null;
  /** 其他支出 */ oth_pay: Amount | null;
  /** 基金支付总额 */ fund_pay_sumamt: Amount | null;
  /** 个人支付金额 */ psn_pay: Amount | null;
  /** 个人账户支出 */ acct_pay: Amount | null;
  /** 现金支付金额 */ cash_payamt: Amount | null;
  /** 余额 */ balc: Amount | null;
  /** 个人账户共济支付金额 */ acct_mulaid_pay: Amount | null;
  /** 医药机构结算ID */ medins_setl_id: string | null;
  /** 退费结算标志 */ refd_setl_flag: string | null;
  /** 年度 */ year: string | null;
  /** 病种编码 */ dise_codg?: string | null;
  /** 病种名称 */ dise_name?: string | null;
  /** 发票号 */ invono?: string | null;
  /** 经办人ID */ opter_id?: string | null;
  /** 经办人姓名 */ opter_name?: string | null;
  /** 经办时间 */ opt_time?: NationalTime | null;
  /** 优抚对象基金支出 */ pref_fund_pay?: Amount | null;
}

/** 费用明细 (5204, 表272). */
export interface FeeDetailRecord {
  /** 就诊ID */ mdtrt_id: string | null;
  /** 结算ID */ setl_id: string | null;
  /** 费用明细流水号 */ feedetl_sn: string | null;
  /** 处方/医嘱号 */ rx_drord_no?: string | null;
  /** 医疗类别 */ med_type: string | null;
  /** 费用发生时间 */ fee_ocur_time: NationalTime | null;
  /** 数量 */ cnt: Amount | null;
  /** 单价 */ pric: Amount | null;
  /** 单次剂量描述 */ sin_dos_dscr?: string | null;
  /** 使用频次描述 */ used_frqu_dscr?: string | null;
  /** 周期天数 */ prd_days?: Amount | null;
  /** 用药途径描述 */ medc_way_dscr?: string | null;
  /** 明细项目费用总额 */ det_item_fee_sumamt: Amount | null;
  /** 定价上限金额 */ pric_uplmt_amt: Amount | null;
  /** 自付比例 */ selfpay_prop?: Amount | null;
  /** 全自费金额 */ fulamt_ownpay_amt?: Amount | null;
  /** 超限价金额 */ overlmt_amt?: Amount | null;
  /** 先行自付金额 */ preselfpay_amt?: Amount | null;
  /** 符合政策范围金额 */ inscp_scp_amt?: Amount | null;
  /** 收费项目等级 */ chrgitm_lv: string | null;
  /** 医保目录编码 */ hilist_code: string | null;
  /** 医保目录名称 */ hilist_name: string | null;
  /** 目录类别 */ list_type: string | null;
  /** 医疗目录编码 */ med_list_codg: string | null;
  /** 医药机构目录编码 */ medins_list_codg: string | null;
  /** 医药机构目录名称 */ medins_list_name: string | null;
  /** 医疗收费项目类别 */ med_chrgitm_type: string | null;
  /** 商品名 */ prodname?: string | null;
  /** 规格 */ spec?: string | null;
  /** 剂型名称 */ dosform_name: string | null;
  /** 开单科室编码 */ bilg_dept_codg?: string | null;
  /** 开单科室名称 */ bilg_dept_name?: string | null;
  /** 开单医生编码 */ bilg_dr_codg?: string | null;
  /** 开单医师姓名 */ bilg_dr_name?: string | null;
  /** 受单科室编码 */ acord_dept_codg?: string | null;
  /** 受单科室名称 */ acord_dept_name?: string | null;
  /** 受单医生编码 */ orders_dr_code?: string | null;
  /** 受单医生姓名 */ orders_dr_name?: string | null;
  /** 限制使用标志 */ lmt_used_flag?: string | null;
  /** 医院制剂标志 */ hosp_prep_flag?: string | null;
  /** 医院审批标志 */ hosp_appr_flag?: string | null;
  /** 中药使用方式 */ tcmdrug_used_way?: string | null;
  /** 生产地类别 */ prodplac_type?: string | null;
  /** 基本药物标志 */ bas_medn_flag?: string | null;
  /** 医保谈判药品标志 */ hi_nego_drug_flag?: string | null;
  /** 儿童用药标志 */ chld_medc_flag?: string | null;
  /** 外检标志 */ etip_flag?: string | null;
  /** 外检医院编码 */ etip_hosp_code?: string | null;
  /** 出院带药标志 */ dscg_tkdrug_flag?: string | null;
  /** 目录特项标志 */ list_sp_item_flag?: string | null;
  /** 生育费用标志 */ matn_fee_flag?: string | null;
  /** 直报标志 */ drt_reim_flag?: string | null;
  /** 备注 */ memo?: string | null;
  /** 经办人ID */ opter_id?: string | null;
  /** 经办人姓名 */ opter_name?: string | null;
  /** 经办时间 */ opt_time?: NationalTime | null;
}

/** 累计信息 (5206 cuminfo, 表276). */
export interface CumulativeRecord {
  /** 险种类型 */ insutype: string | null;
  /** 年度 */ year: string | null;
  /** 累计年月 */ cum_ym: string | null;
  /** 累计类别代码 */ cum_type_code: string | null;
  /** 累计值 */ cum: Amount | null;
}
