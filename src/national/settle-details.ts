/**
 * Settling from fee details (2206/2207, 2303/2304 of a visit the centre registered with live
 * details): what the message must agree with, and the person fields of setlinfo.
 */
import type { z } from 'zod';
import { formatYuan, type Fen } from '../money/money.js';
import type { DetailSums } from './detail-input.js';
import type { settleBodySchema } from './input.js';
import type { NationalContext } from './setlinfo.js';

/** A validated 2206/2207/2303/2304 message. */
export type SettleBody = z.output<ReturnType<typeof settleBodySchema>>;

/** The split of the amount outside the policy range (setlinfo's fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt). */
export type DetailSplit = NonNullable<NationalContext['split']>;

/**
 * Where the message disagrees with the visit's live details (every problem): medfee_sumamt must
 * be their 明细项目费用总额 summed; inscp_scp_amt, fulamt_ownpay_amt, overlmt_selfpay and
 * preselfpay_amt, when sent, their 符合政策范围, 全自费, 超限价 and 先行自付 summed.
 */
export function settleAgreement(d: SettleBody['input']['data'], sums: DetailSums): string[] {
  const problems: string[] = [];
  const of = `the ${sums.count} live fee detail${sums.count === 1 ? '' : 's'} of visit ${d.mdtrt_id} (2204/2301)`;
  const check = (field: string, sent: Fen | undefined, want: Fen, what: string) => {
    if (sent !== undefined && sent !== want) problems.push(`data.${field}: ${formatYuan(sent)} 与费用明细不符：${of} make ${what} ${formatYuan(want)}`);
  };
  check('medfee_sumamt', d.medfee_sumamt, sums.total, '医疗费总额 (Σ det_item_fee_sumamt)');
  check('inscp_scp_amt', d.inscp_scp_amt, sums.eligible, '符合政策范围金额 (Σ inscp_scp_amt)');
  check('fulamt_ownpay_amt', d.fulamt_ownpay_amt, sums.fullOwnPay, '全自费金额 (Σ fulamt_ownpay_amt)');
  check('overlmt_selfpay', d.overlmt_selfpay, sums.overLimit, '超限价金额 (Σ overlmt_amt)');
  check('preselfpay_amt', d.preselfpay_amt, sums.preSelfPay, '先行自付金额 (Σ preselfpay_amt)');
  return problems;
}

/** setlinfo's person from the identity the agency keeps (src/ledger/national-identities.ts PersonIdentity). */
export function personOf(i: {
  psnName: string;
  psnCertType: string;
  certno: string;
  gend: string;
  naty: string | null;
  brdy: string | null;
}): NonNullable<NationalContext['person']> {
  return { psnName: i.psnName, psnCertType: i.psnCertType, certno: i.certno, gend: i.gend, naty: i.naty, brdy: i.brdy };
}
