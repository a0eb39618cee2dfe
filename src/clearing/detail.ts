/**
 * A settlement as a reconciliation (对账) lists it: the national detail shape of 3202's file
 * (医药机构费用结算对明细账, Hunan V1.1.27 表150: setl_id, mdtrt_id, psn_no, medfee_sumamt,
 * fund_pay_sumamt, acct_pay, refd_setl_flag), amounts in fen. A refund (退费) is two rows: the
 * forward settlement (refd_setl_flag 0) and its reversal (refd_setl_flag 1, its own setl_id, the
 * amounts negative).
 */
import type { Fen } from '../money/money.js';

/** 退费结算标志: 0 否 (a settlement), 1 是 (a refund, the reverse row). */
export type RefundFlag = '0' | '1';

export interface DetailRow {
  /** 结算ID: the ledger entry id. */
  setl_id: string;
  /** 就诊ID: the visit id. */
  mdtrt_id: string;
  /** 人员编号: the person id. */
  psn_no: string;
  /** 医疗费总额. */
  medfee_sumamt: Fen;
  /** 基金支付总额 (all funds but the personal account). */
  fund_pay_sumamt: Fen;
  /** 个人账户支出. */
  acct_pay: Fen;
  refd_setl_flag: RefundFlag;
}

/** A ledger entry in the detail shape, with what a reconciliation needs besides. */
export interface LedgerDetailRow extends DetailRow {
  /** For a reverse row, the setl_id of the settlement it reverses; null for a settlement. */
  reverses: string | null;
  /** The settlement time (结算时间), epoch ms. */
  settledAt: number;
  /** 现金支付金额. */
  cash_payamt: Fen;
}
