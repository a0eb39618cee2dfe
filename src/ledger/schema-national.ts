/**
 * The tables of the hospital day over the national interface (issue 15, migration 0011): sign-ins
 * (签到), the persons' identities (身份信息, personal data), the visits the centre registers (门诊挂号,
 * 入院办理: the centre's 就诊ID), the fee details uploaded for them (费用明细), and the 冲正 (2601) of
 * a message, kept so that a retry, or the original arriving late, changes nothing.
 */

/** A sign-in (9001 签到): a sign_no bound to the institution and the key that signed in. */
export interface SignInsTable {
  /** 签到编号: the centre's id, handed back by 9001. */
  sign_no: string;
  institution_id: string;
  /** The API key (Actor.id) that signed in: only it may use the sign_no. */
  key_id: string;
  /** 操作员编号, 签到MAC地址, 签到IP地址 as sent. */
  opter_no: string;
  mac: string;
  ip: string;
  signed_in_at: number;
  /** 9002 签退: when, else null (still signed in). */
  signed_out_at: number | null;
  /** `9001:INSTITUTION:MSGID`: the same message again answers the same sign_no (unique). */
  request_id: string;
}

/**
 * A person's identity (人员身份信息: 证件类型, 证件号码, 姓名, 性别, 出生日期, 民族), kept by the agency
 * beside the registry record. Personal data: every read is audited, the certificate number is never
 * logged. (psn_cert_type, certno) is unique: 1101 finds the person by it.
 */
export interface PersonIdentitiesTable {
  person_id: string;
  /** 人员证件类型 (01 居民身份证…). */
  psn_cert_type: string;
  /** 证件号码: a resident ID (01) is checked (GB 11643 check digit) before it is stored. */
  certno: string;
  psn_name: string;
  /** 性别 (0 未知, 1 男, 2 女, 9 未说明性别). */
  gend: string;
  /** 出生日期 yyyy-MM-dd, else null. */
  brdy: string | null;
  /** 民族 (naty), else null. */
  naty: string | null;
  actor: string;
  updated_at: number;
}

/**
 * A visit the centre registered (2201 门诊挂号, 2401 入院办理): its 就诊ID (mdtrt_id) is the
 * centre's. The row is the visit as it stands (2203 就诊信息, 2402 出院, 2403 变更, 2405 出院撤销 change
 * it; 2202 / 2404 cancel it); every change is audited.
 */
export interface NationalVisitsTable {
  /** 就诊ID, made by the centre. */
  mdtrt_id: string;
  institution_id: string;
  psn_no: string;
  /** 'outpatient' (2201) or 'inpatient' (2401). */
  kind: string;
  insutype: string;
  med_type: string;
  /** 开始时间 (挂号 or 入院), epoch ms. */
  begntime: number;
  /** 结束时间 (出院), epoch ms; null while in hospital or for an outpatient visit. */
  endtime: number | null;
  /** 住院/门诊号: the hospital's own number. */
  ipt_otp_no: string;
  /** 'open', 'cancelled' (2202/2404/2601). */
  status: string;
  /** The visit's information as sent (registration, 2203 visit info, admission, discharge: diagnoses…), JSON. */
  info: string;
  /** `INFNO:INSTITUTION:MSGID` of the message that registered it (unique): a retry answers the same mdtrt_id. */
  request_id: string;
  request_hash: string;
  actor: string;
  created_at: number;
  updated_at: number;
}

/**
 * One fee detail (费用明细, 2204 / 2301) with what the catalogue made of it, exact to the fen. Kept
 * as uploaded; 2205 / 2302 mark it cancelled (cancelled_at), never delete it, so a settlement's
 * details are those uploaded before it and not cancelled before it.
 */
export interface FeeDetailsTable {
  id: string;
  institution_id: string;
  mdtrt_id: string;
  psn_no: string;
  /** 费用明细流水号: unique among a visit's details that are not cancelled. */
  feedetl_sn: string;
  chrg_bchno: string | null;
  /** 费用发生时间, epoch ms. */
  fee_ocur_time: number;
  /** 医疗目录编码 (the catalogue's code) and 医药机构目录编码 (the hospital's). */
  med_list_codg: string;
  medins_list_codg: string;
  /** 数量 and 单价 as sent (decimal text). */
  cnt: string;
  pric: string;
  /** 明细项目费用总额. */
  sumamt_fen: number;
  /** 1 when the item was found in the catalogue in force at fee_ocur_time. */
  listed: number;
  /** 收费项目等级 (01 甲类, 02 乙类, 03 丙类), 医疗收费项目类别, 目录类别: the catalogue's; null when not listed. */
  chrgitm_lv: string | null;
  med_chrgitm_type: string | null;
  list_type: string | null;
  /** 自付比例 (decimal text, e.g. 0.1000) and 定价上限金额 (decimal text): the catalogue's; null when it has none. */
  selfpay_prop: string | null;
  pric_uplmt_amt: string | null;
  /** 全自费金额, 超限价金额, 先行自付金额, 符合政策范围金额: they add up to sumamt_fen. */
  fulamt_ownpay_fen: number;
  overlmt_fen: number;
  preselfpay_fen: number;
  inscp_scp_fen: number;
  /** Why, in Chinese (the reading and the catalogue entry). */
  memo: string;
  /** The detail as sent (JSON): 5204 answers it back. */
  body: string;
  /** `INFNO:INSTITUTION:MSGID` of the upload. */
  upload_request: string;
  uploaded_at: number;
  cancelled_at: number | null;
  cancel_request: string | null;
}

/**
 * A 冲正 (2601): the original message (oinfno, omsgid) at an institution is reversed, once. Kept
 * whether or not the original had arrived: an original arriving after its 冲正 is refused.
 */
export interface NationalReversalsTable {
  institution_id: string;
  /** 原交易编号 (2207, 2304, 2401). */
  oinfno: string;
  /** 原发送方报文ID. */
  omsgid: string;
  psn_no: string;
  /** The msgid of the first 2601 that asked. */
  msgid: string;
  /** What it reversed: the settlement's id (2207/2304) or the mdtrt_id (2401); null when the original had not arrived. */
  target: string | null;
  /** The reversal entry (R-…) for a settlement; else null. */
  reversal_id: string | null;
  actor: string;
  created_at: number;
}
