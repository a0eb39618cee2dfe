/**
 * Fee details (费用明细) over the national interface: the Hunan edition of the national interface
 * specification (V1.1.27), 【2204】门诊费用明细信息上传 (表79 in, 表80 out) and 【2205】门诊费用明细信息撤销
 * (表81), and the rows 【5204】费用明细查询 answers (表272).
 *
 * Each detail is checked (明细项目费用总额 = 数量 × 单价, rounded half away from zero to the fen) and
 * priced by the catalogue in force on its day (src/catalogue/price.ts): 全自费, 超限价, 先行自付 and
 * 符合政策范围 add up to its amount. 医院审批标志 "2" makes it all self-paid (the spec's rule b.ii);
 * yibao's catalogue has no 限制使用标志, so "0" and "1" leave it as the catalogue prices it.
 */
import { z } from 'zod';
import { detailAmountProblem, priceDetail } from '../catalogue/price.js';
import type { Catalogue, PricedDetail } from '../catalogue/types.js';
import { formatYuan, parseYuan, type Fen } from '../money/money.js';
import { id, RequestError } from '../request/settle-request.js';
import { text } from './input.js';
import { type Envelope, expContent, instantOf, messageSchema, nationalDateTime, parseMessage } from './visit-input.js';

/** Details in one 2204 message at most. */
export const MAX_DETAILS = 1000;

/** An exact decimal, as text or a JSON number, with at most `places` decimals (negative when `signed`). */
const decimal = (places: number, signed: boolean) => {
  const re = new RegExp(`^${signed ? '-?' : ''}\\d{1,12}(\\.\\d{1,${places}})?$`);
  return z
    .union([z.number(), z.string()], { error: `must be a decimal number with at most ${places} decimal places` })
    .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
    .refine((v) => re.test(v), { message: `must be a decimal number with at most 12 digits before the point and ${places} after${signed ? '' : ', not negative'}` });
};

/** 明细项目费用总额: yuan, two decimals, negative for a 退费 line; in fen. */
const signedAmount = z.union([z.number(), z.string()], { error: 'must be an amount in yuan (a number or a decimal string)' }).transform((v, ctx) => {
  const t = typeof v === 'number' ? String(v) : v.trim();
  const negative = t.startsWith('-');
  try {
    const fen = parseYuan(negative ? t.slice(1) : t);
    return (negative ? -fen : fen) as Fen;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/** 表79 输入-费用明细列表（节点标识：feedetail）. */
const feedetail = z.strictObject({
  feedetl_sn: z
    .string({ error: 'must be a string of digits' })
    .regex(/^[0-9]{1,30}$/, 'must be 1 to 30 digits (数字型)')
    .refine((v) => v !== '0000', { message: '"0000" is reserved: it means all details in a cancel' }),
  mdtrt_id: id.pipe(text(30)),
  psn_no: id,
  chrg_bchno: id.pipe(text(30)),
  dise_codg: text(30).optional(),
  rxno: text(30).optional(),
  rx_circ_flag: text(3),
  fee_ocur_time: nationalDateTime,
  med_list_codg: id.pipe(text(50)),
  medins_list_codg: id.pipe(text(150)),
  det_item_fee_sumamt: signedAmount,
  cnt: decimal(4, true),
  pric: decimal(6, false),
  sin_dos_dscr: text(200).optional(),
  used_frqu_dscr: text(200).optional(),
  prd_days: decimal(2, false).optional(),
  medc_way_dscr: text(200).optional(),
  bilg_dept_codg: text(30),
  bilg_dept_name: text(100),
  bilg_dr_codg: text(30),
  bilg_dr_name: text(50),
  acord_dept_codg: text(30).optional(),
  acord_dept_name: text(100).optional(),
  orders_dr_code: text(30).optional(),
  orders_dr_name: text(50).optional(),
  hosp_appr_flag: z.enum(['0', '1', '2'], { error: 'must be "0", "1" or "2" (医院审批标志)' }),
  tcmdrug_used_way: text(6).optional(),
  etip_flag: text(3).optional(),
  etip_hosp_code: text(30).optional(),
  dscg_tkdrug_flag: text(3).optional(),
  matn_fee_flag: text(6).optional(),
  memo: text(1000).optional(),
  comb_no: text(3).optional(),
  exp_content: expContent,
});

export const uploadSchema = messageSchema({
  feedetail: z.array(feedetail, { error: 'must be a list of fee details' }).min(1, 'must have at least one detail').max(MAX_DETAILS, `must have at most ${MAX_DETAILS} details`),
});

/** One detail read and priced: what the book stores (src/ledger/national-fee-details.ts DetailToStore). */
export interface PricedUploadDetail {
  feedetlSn: string;
  chrgBchno: string | null;
  feeOcurTime: number;
  medListCodg: string;
  medinsListCodg: string;
  cnt: string;
  pric: string;
  amount: Fen;
  priced: PricedDetail;
  body: Record<string, unknown>;
}

/**
 * A 2204 message, read and priced. Problems (all listed): the shape, a detail of another visit or
 * person than the first's, a serial number twice, an amount that is not count × price.
 *
 * @throws RequestError listing every problem.
 */
export function parseUpload(body: unknown, catalogue: Catalogue | undefined): { envelope: Envelope; mdtrtId: string; psnNo: string; details: PricedUploadDetail[] } {
  const { body: b, envelope } = parseMessage('2204', uploadSchema, body, { write: true });
  const rows = b.input.feedetail;
  const first = rows[0] as (typeof rows)[number];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  rows.forEach((r, i) => {
    const at = `feedetail[${i}]`;
    if (r.mdtrt_id !== first.mdtrt_id) problems.push(`${at}.mdtrt_id: ${r.mdtrt_id} is not the visit of feedetail[0] (${first.mdtrt_id}); one upload is of one visit`);
    if (r.psn_no !== first.psn_no) problems.push(`${at}.psn_no: ${r.psn_no} is not the person of feedetail[0] (${first.psn_no})`);
    const before = seen.get(r.feedetl_sn);
    if (before !== undefined) problems.push(`${at}.feedetl_sn: ${r.feedetl_sn} is also feedetail[${before}]'s; 单次就诊内唯一`);
    else seen.set(r.feedetl_sn, i);
    const wrong = detailAmountProblem(r.cnt, r.pric, r.det_item_fee_sumamt);
    if (wrong !== null) problems.push(`${at}.det_item_fee_sumamt: ${wrong}`);
  });
  if (problems.length > 0) throw new RequestError(problems);
  const details = rows.map((r) => ({
    feedetlSn: r.feedetl_sn,
    chrgBchno: r.chrg_bchno,
    feeOcurTime: instantOf(r.fee_ocur_time),
    medListCodg: r.med_list_codg,
    medinsListCodg: r.medins_list_codg,
    cnt: r.cnt,
    pric: r.pric,
    amount: r.det_item_fee_sumamt,
    priced: priceDetail(
      catalogue,
      { code: r.med_list_codg, count: r.cnt, price: r.pric, amount: r.det_item_fee_sumamt, day: r.fee_ocur_time.slice(0, 10) },
      { hospitalSelfPay: r.hosp_appr_flag === '2' },
    ),
    body: { ...r, det_item_fee_sumamt: formatYuan(r.det_item_fee_sumamt) },
  }));
  return { envelope, mdtrtId: first.mdtrt_id, psnNo: first.psn_no, details };
}

/** 表81 输入（节点标识：data）: 收费批次号 "0000" cancels every live detail of the visit. */
export const cancelDetailsSchema = messageSchema({
  data: z.strictObject({ mdtrt_id: id.pipe(text(30)), chrg_bchno: id.pipe(text(30)), psn_no: id, exp_content: expContent }),
});

export function parseCancelDetails(body: unknown): { envelope: Envelope; mdtrtId: string; psnNo: string; chrgBchno: string | null } {
  const { body: b, envelope } = parseMessage('2205', cancelDetailsSchema, body, { write: true });
  const d = b.input.data;
  return { envelope, mdtrtId: d.mdtrt_id, psnNo: d.psn_no, chrgBchno: d.chrg_bchno === '0000' ? null : d.chrg_bchno };
}

/** A stored detail, as the book keeps it (the columns of fee_details the answers read). */
export interface StoredDetail {
  feedetl_sn: string;
  mdtrt_id: string;
  fee_ocur_time: number;
  med_list_codg: string;
  medins_list_codg: string;
  cnt: string;
  pric: string;
  sumamt_fen: number;
  listed: number;
  chrgitm_lv: string | null;
  med_chrgitm_type: string | null;
  list_type: string | null;
  selfpay_prop: string | null;
  pric_uplmt_amt: string | null;
  fulamt_ownpay_fen: number;
  overlmt_fen: number;
  preselfpay_fen: number;
  inscp_scp_fen: number;
  memo: string;
  body: string;
}

/** 表80 输出（节点标识：result）: one detail as 2204 answers it. Amounts yuan text, two decimals. */
export function uploadResultRow(r: StoredDetail): Record<string, string | null> {
  return {
    feedetl_sn: r.feedetl_sn,
    det_item_fee_sumamt: formatYuan(r.sumamt_fen),
    cnt: r.cnt,
    pric: r.pric,
    pric_uplmt_amt: r.pric_uplmt_amt,
    selfpay_prop: r.selfpay_prop,
    fulamt_ownpay_amt: formatYuan(r.fulamt_ownpay_fen),
    overlmt_amt: formatYuan(r.overlmt_fen),
    preselfpay_amt: formatYuan(r.preselfpay_fen),
    inscp_scp_amt: formatYuan(r.inscp_scp_fen),
    chrgitm_lv: r.chrgitm_lv,
    med_chrgitm_type: r.med_chrgitm_type,
    // The catalogue has none of these flags: null (docs/national.md).
    bas_medn_flag: null,
    hi_nego_drug_flag: null,
    chld_medc_flag: null,
    list_sp_item_flag: null,
    lmt_used_flag: null,
    drt_reim_flag: null,
    memo: r.memo,
    exp_content: null,
  };
}

/** Sums of a visit's details in fen: what a settlement from them must agree with. */
export interface DetailSums {
  count: number;
  total: Fen;
  fullOwnPay: Fen;
  overLimit: Fen;
  preSelfPay: Fen;
  eligible: Fen;
}

export function detailSums(rows: readonly StoredDetail[]): DetailSums {
  const sum = (k: keyof StoredDetail) => rows.reduce((s, r) => s + Number(r[k]), 0) as Fen;
  return {
    count: rows.length,
    total: sum('sumamt_fen'),
    fullOwnPay: sum('fulamt_ownpay_fen'),
    overLimit: sum('overlmt_fen'),
    preSelfPay: sum('preselfpay_fen'),
    eligible: sum('inscp_scp_fen'),
  };
}
