/**
 * The national interface's envelope (公共输入参数, 公共输出参数) and the scalar types of its fields,
 * as the Hunan edition of the national interface specification (V1.1.27) writes them (issue 15).
 */

/** 数值型: yuan with at most two decimals (16,2), or a ratio (5,4), as text or a number. */
export type Amount = string | number;
/** 日期时间型 yyyy-MM-dd HH:mm:ss (China time). */
export type NationalTime = string;
/** 日期型 yyyy-MM-dd. */
export type NationalDate = string;
/** 字段扩展 (exp_content): accepted, not read. */
export type ExpContent = string | Record<string, unknown>;

/** yibao's documented extension block (docs/national.md, "The extension block"). */
export interface YibaoExtension {
  requestId?: string;
  person?: Record<string, unknown>;
  institution?: { tier?: string; grade?: number; contracted?: boolean };
  visit?: Record<string, unknown>;
}

/** 公共输入参数: the envelope every message carries. */
export interface RequestEnvelope<I> {
  /** 交易编号. */
  infno: string;
  /** 发送方报文ID: 定点医药机构编号(12) + 时间(14) + 顺序号(4). */
  msgid: string;
  /** 就医地医保区划. */
  mdtrtarea_admvs?: string;
  /** 参保地医保区划. */
  insuplc_admdvs?: string;
  /** 接收方系统代码. */
  recer_sys_code?: string;
  /** 设备编号, 设备安全信息, 数字证书, 签名类型, 接口版本号. */
  dev_no?: string;
  dev_safe_info?: string;
  cainfo?: string;
  signtype?: string;
  infver?: string;
  /** 经办人类别 (1 经办人, 2 自助终端, 3 移动终端), 经办人, 经办人姓名. */
  opter_type?: string;
  opter?: string;
  opter_name?: string;
  /** 交易时间 yyyy-MM-dd HH:mm:ss. */
  inf_time: NationalTime;
  /** 定点医药机构编号, 定点医药机构名称. */
  fixmedins_code: string;
  fixmedins_name?: string;
  /** 交易签到流水号 (9001 签到's sign_no). */
  sign_no?: string;
  /** 交易输入. */
  input: I;
  yibao?: YibaoExtension;
}

/** yibao's refusal detail beside err_msg: the stable code and every problem. */
export interface RefusalDetail {
  code: string;
  message: string;
  problems?: string[];
  [k: string]: unknown;
}

/** 公共输出参数: the envelope of every answer. */
export interface ResponseEnvelope<O> {
  /** 交易状态码: 0 成功, -1 失败. */
  infcode: number;
  /** 接收方报文ID, 接收报文时间, 响应报文时间 (yyyyMMddHHmmssSSS). */
  inf_refmsgid: string;
  refmsg_time: string;
  respond_time: string;
  /** 错误信息 (null on success). */
  err_msg: string | null;
  /** 交易输出 (null on a refusal). */
  output: O | null;
  warn_msg?: string | null;
  cainfo?: string | null;
  signtype?: string | null;
  /** yibao: the refusal's code and problems. */
  error?: RefusalDetail;
  requestId?: string;
  /** yibao: ids of what was written (entryId, reverses, replayed…). */
  yibao?: Record<string, unknown>;
}

/** The fields 2206/2207 and 2303/2304 share (表82/85/94/97). */
export interface SettleCommon {
  psn_no: string;
  mdtrt_cert_type: string;
  mdtrt_cert_no: string;
  card_sn?: string;
  psn_cert_type?: string;
  certno?: string;
  med_type: string;
  medfee_sumamt: Amount;
  /** 个人结算方式. */
  psn_setlway: string;
  mdtrt_id: string;
  chrg_bchno?: string;
  acct_used_flag: string;
  insutype: string;
  exp_content?: ExpContent;
  pub_hosp_rfom_flag?: string;
}
