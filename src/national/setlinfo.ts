/**
 * A settlement in the national platform's output shape: `setlinfo` (结算信息) and `setldetail`
 * (结算基金分项信息), as 2206/2207 and 2303/2304 return them (and 2208/2305 for a reversal).
 *
 * Amounts are yuan text with two decimals, made from integer fen by {@link formatYuan}: never a
 * float of money. Every output satisfies, in fen:
 *
 *   fund_pay_sumamt + psn_part_amt = medfee_sumamt
 *   acct_pay + psn_cash_pay = psn_part_amt
 *   fund_pay_sumamt = Σ fund_payamt of the setldetail rows that count toward the fund (all but
 *   310200, the employees' personal account, which is part of psn_part_amt)
 *
 * and {@link nationalSettlement} refuses to return one that does not.
 */
import { YibaoError } from '../errors.js';
import { formatChinaTime } from '../calendar/calendar.js';
import type { Category, Scheme, VisitType } from '../domain.js';
import type { Settlement } from '../engine/types.js';
import { formatPercent, formatYuan, parseYuan, type BasisPoints, type Fen } from '../money/money.js';
import { NATIONAL_CODES, type CodeEdition } from './code-editions.js';
import { countsTowardFund, fundPayTypeOf, insutypeOf, medTypeOf, psnTypeOf, type FundLayer } from './codes.js';

/**
 * What a settlement says in fen: the part of {@link Settlement} the national shape reads (the
 * fund chain's layers, outOfScope 政策范围外, the deductible borne, the pooled fund's ratio or
 * null), with what the pooled fund could still pay under its cap before this visit (本次可支付限额)
 * and the personal account's balance after it (余额), each null when unknown.
 */
export type Figures = Pick<
  Settlement,
  'total' | 'eligible' | 'outOfScope' | 'deductible' | 'fundPay' | 'criticalIllnessPay' | 'assistancePay' | 'accountPay' | 'cashPay' | 'ratio'
> & { capRemaining: Fen | null; balanceAfter: Fen | null };

/** Who and what the settlement is of. */
export interface NationalContext {
  /** 结算ID: the ledger entry id; null for a pre-settlement, which has none. */
  setlId: string | null;
  /** 就诊ID: the visit id. */
  mdtrtId: string;
  /** 人员编号: the person id. */
  psnNo: string;
  scheme: Scheme;
  category: Category;
  visitType: VisitType;
  /** 结算时间, epoch milliseconds. */
  setlTime: number;
  /** psn_type as the caller knows it (from the platform's 1101), echoed; else the mapped one. */
  psnType?: string;
  /** med_type as the caller sent it, echoed; else the visit type's. */
  medType?: string;
  /** 医药机构结算ID: the sender's message id (msgid), when there is one. */
  medinsSetlId?: string;
  /** The edition of the code tables answered in (code-editions.ts); default national. */
  codes?: CodeEdition;
  /**
   * The split of the amount outside the policy range, from the visit's fee details (2204/2301):
   * 全自费, 超限价, 先行自付; they must make total − eligible. Absent: all of it is 全自费.
   */
  split?: { fullOwnPay: Fen; overLimit: Fen; preSelfPay: Fen };
  /** The person's identity (人员身份信息), when the agency keeps one: setlinfo's person fields; else they are null. */
  person?: { psnName: string; psnCertType: string; certno: string; gend: string; naty: string | null; brdy: string | null };
}

/** 结算信息. Amounts yuan text, two decimals. */
export interface SetlInfo {
  setl_id: string | null;
  mdtrt_id: string;
  psn_no: string;
  /** 人员姓名, 人员证件类型, 证件号码, 性别, 民族, 出生日期: the identity the agency keeps, else null. */
  psn_name: string | null;
  psn_cert_type: string | null;
  certno: string | null;
  gend: string | null;
  naty: string | null;
  brdy: string | null;
  /** 年龄 (4,1): whole years completed on the settlement's China day, written with one decimal ("45.0"); null without brdy. */
  age: string | null;
  insutype: string;
  psn_type: string | null;
  med_type: string;
  setl_time: string;
  medfee_sumamt: string;
  fulamt_ownpay_amt: string;
  overlmt_selfpay: string;
  preselfpay_amt: string;
  inscp_scp_amt: string;
  act_pay_dedc: string;
  hifp_pay: string;
  /** 基本医疗保险统筹基金支付比例, a fraction with four decimals ("0.5000"); null when none applied. */
  pool_prop_selfpay: string | null;
  cvlserv_pay: string;
  hifes_pay: string;
  hifmi_pay: string;
  hifob_pay: string;
  maf_pay: string;
  oth_pay: string;
  fund_pay_sumamt: string;
  psn_part_amt: string;
  acct_pay: string;
  psn_cash_pay: string;
  hosp_part_amt: string;
  balc: string | null;
  acct_mulaid_pay: string;
  medins_setl_id: string | null;
}

/** 结算基金分项信息: one fund's payment. */
export interface SetlDetail {
  fund_pay_type: string;
  fund_pay_type_name: string;
  inscp_scp_amt: string;
  crt_payb_lmt_amt: string | null;
  fund_payamt: string;
  setl_proc_info: string;
}

export interface NationalSettlement {
  setlinfo: SetlInfo;
  setldetail: SetlDetail[];
}

/** The output broke one of the identities: a bug, never bad input. */
/** The settlement's figures break the national identity (a bug, not bad input): INTERNAL_INVARIANT. */
export class NationalIdentityError extends YibaoError<'INTERNAL_INVARIANT'> {
  constructor(message: string) {
    super('INTERNAL_INVARIANT', message);
    this.name = 'NationalIdentityError';
  }
}

/** The {@link Figures} of an engine settlement (the CLI's, and tests'). */
export function figuresOf(s: Pick<Settlement, keyof Omit<Figures, 'capRemaining' | 'balanceAfter'> | 'cap' | 'account'>): Figures {
  return {
    total: s.total,
    eligible: s.eligible,
    outOfScope: s.outOfScope,
    deductible: s.deductible,
    fundPay: s.fundPay,
    criticalIllnessPay: s.criticalIllnessPay,
    assistancePay: s.assistancePay,
    accountPay: s.accountPay,
    cashPay: s.cashPay,
    ratio: s.ratio,
    capRemaining: s.cap ? Math.max(0, s.cap.limit - s.cap.usedBefore) : null,
    balanceAfter: s.account ? s.account.balanceAfter : null,
  };
}

/** Yuan as the ledger's JSON has it (a number printing as its decimal, perhaps negative) to fen, exactly. */
export function fenOfYuan(value: unknown, field: string): Fen {
  if (typeof value !== 'number') throw new TypeError(`${field}: expected an amount in yuan, got ${JSON.stringify(value)}`);
  return value < 0 ? -parseYuan(-value) : parseYuan(value);
}

const fenOrNull = (value: unknown, field: string): Fen | null => (value === null || value === undefined ? null : fenOfYuan(value, field));

/**
 * The {@link Figures} of a ledger entry as the service returns it (a settlement, a pre-settlement
 * or a reversal; amounts yuan numbers, exact to the fen).
 */
export function figuresOfEntry(entry: Record<string, unknown>): Figures {
  const f = (k: string) => fenOfYuan(entry[k], k);
  const total = f('total');
  const eligible = f('eligible');
  const cap = entry.cap as { limit?: unknown; usedBefore?: unknown } | null | undefined;
  const account = entry.account as { balanceAfter?: unknown } | null | undefined;
  const restored = (entry.restored as { account?: { balanceAfter?: unknown } | null } | undefined)?.account;
  return {
    total,
    eligible,
    // A reversal entry has no outOfScope of its own: the same difference.
    outOfScope: entry.outOfScope === undefined ? total - eligible : f('outOfScope'),
    deductible: f('deductible'),
    fundPay: f('fundPay'),
    criticalIllnessPay: f('criticalIllnessPay'),
    assistancePay: f('assistancePay'),
    accountPay: f('accountPay'),
    cashPay: f('cashPay'),
    // The entry's ratio is a percentage with at most two decimals: to basis points by text, exactly.
    ratio: typeof entry.ratio === 'number' ? percentToBp(entry.ratio) : null,
    capRemaining: cap ? Math.max(0, fenOfYuan(cap.limit, 'cap.limit') - fenOfYuan(cap.usedBefore, 'cap.usedBefore')) : null,
    balanceAfter: fenOrNull(account?.balanceAfter ?? restored?.balanceAfter, 'account.balanceAfter'),
  };
}

/** A percentage with at most two decimals (the entry's `ratio`) as basis points, read as text. */
function percentToBp(percent: number): BasisPoints {
  return fenOfYuan(percent, 'ratio');
}

/** Basis points as the specification's 5,4 fraction: 5000 → "0.5000". */
export function ratioText(ratio: BasisPoints): string {
  const whole = Math.trunc(ratio / 10_000);
  const rest = Math.abs(ratio % 10_000);
  return `${ratio < 0 && whole === 0 ? '-' : ''}${whole}.${String(rest).padStart(4, '0')}`;
}

/** 结算时间 as the specification writes it: yyyy-MM-dd HH:mm:ss, China time. */
export function nationalTime(epochMs: number): string {
  return formatChinaTime(epochMs).slice(0, 19).replace('T', ' ');
}

const yuan = formatYuan;

/**
 * 年龄 at an instant: the whole years completed from 出生日期 to the instant's China day (a birthday
 * of 29 February is reached on 1 March in a common year), with one decimal as the type 4,1 has it.
 */
export function ageText(brdy: string, atMs: number): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(brdy);
  if (!m) return null;
  const [y, mo, d] = nationalTime(atMs).slice(0, 10).split('-').map(Number) as [number, number, number];
  const by = Number(m[1]);
  const bmd = Number(m[2]) * 100 + Number(m[3]);
  const years = y - by - (mo * 100 + d < bmd ? 1 : 0);
  return years < 0 ? null : `${years}.0`;
}

/**
 * The national setlinfo and setldetail of a settlement's figures.
 *
 * Mapping decisions (docs/national.md):
 * - fulamt_ownpay_amt (全自费金额) is the whole amount outside the policy range, and 超限价
 *   (overlmt_selfpay) and 先行自付 (preselfpay_amt) are 0, unless the context carries the split of
 *   the visit's fee details (`split`: they must add up to it).
 * - The person fields (psn_name … age) are the identity's (`person`), else null.
 * - hifmi_pay (居民大病保险) carries a resident's critical-illness layer, hifob_pay (职工大额医疗费用补助)
 *   an employee's; cvlserv_pay, hifes_pay, oth_pay, hosp_part_amt and acct_mulaid_pay are 0: yibao
 *   has no such layers.
 * - setldetail lists the pooled fund's row always, and the critical-illness, assistance and
 *   (employees') personal-account rows when they paid something.
 *
 * @throws NationalIdentityError if an identity fails (the settlement broke its own invariant).
 */
export function nationalSettlement(f: Figures, c: NationalContext): NationalSettlement {
  const fundSum = f.fundPay + f.criticalIllnessPay + f.assistancePay;
  const personPart = f.accountPay + f.cashPay;
  const codes = c.codes ?? NATIONAL_CODES;
  const insutype = insutypeOf(c.scheme, codes);
  const setlinfo: SetlInfo = {
    setl_id: c.setlId,
    mdtrt_id: c.mdtrtId,
    psn_no: c.psnNo,
    psn_name: c.person?.psnName ?? null,
    psn_cert_type: c.person?.psnCertType ?? null,
    certno: c.person?.certno ?? null,
    gend: c.person?.gend ?? null,
    naty: c.person?.naty ?? null,
    brdy: c.person?.brdy ?? null,
    age: c.person?.brdy ? ageText(c.person.brdy, c.setlTime) : null,
    insutype: insutype.code,
    psn_type: c.psnType ?? psnTypeOf(c.category, codes)?.code ?? null,
    med_type: c.medType ?? medTypeOf(c.visitType, codes).code,
    setl_time: nationalTime(c.setlTime),
    medfee_sumamt: yuan(f.total),
    fulamt_ownpay_amt: yuan(c.split ? c.split.fullOwnPay : f.outOfScope),
    overlmt_selfpay: yuan(c.split ? c.split.overLimit : 0),
    preselfpay_amt: yuan(c.split ? c.split.preSelfPay : 0),
    inscp_scp_amt: yuan(f.eligible),
    act_pay_dedc: yuan(f.deductible),
    hifp_pay: yuan(f.fundPay),
    pool_prop_selfpay: f.ratio === null ? null : ratioText(f.ratio),
    cvlserv_pay: yuan(0),
    hifes_pay: yuan(0),
    hifmi_pay: yuan(c.scheme === 'resident' ? f.criticalIllnessPay : 0),
    hifob_pay: yuan(c.scheme === 'employee' ? f.criticalIllnessPay : 0),
    maf_pay: yuan(f.assistancePay),
    oth_pay: yuan(0),
    fund_pay_sumamt: yuan(fundSum),
    psn_part_amt: yuan(personPart),
    acct_pay: yuan(f.accountPay),
    psn_cash_pay: yuan(f.cashPay),
    hosp_part_amt: yuan(0),
    balc: f.balanceAfter === null ? null : yuan(f.balanceAfter),
    acct_mulaid_pay: yuan(0),
    medins_setl_id: c.medinsSetlId ?? null,
  };
  const rows: { layer: FundLayer; amount: Fen; always?: boolean; info: string }[] = [
    {
      layer: 'pooled',
      amount: f.fundPay,
      always: true,
      info: `符合政策范围${yuan(f.eligible)}元，起付线${yuan(f.deductible)}元，${f.ratio === null ? '未按比例支付' : `支付比例${formatPercent(f.ratio)}`}，统筹基金支付${yuan(f.fundPay)}元`,
    },
    { layer: 'critical-illness', amount: f.criticalIllnessPay, info: `${c.scheme === 'resident' ? '大病保险' : '大额医疗费用补助'}支付${yuan(f.criticalIllnessPay)}元` },
    { layer: 'assistance', amount: f.assistancePay, info: `医疗救助支付${yuan(f.assistancePay)}元` },
    { layer: 'account', amount: f.accountPay, info: `个人账户支付${yuan(f.accountPay)}元（计入个人负担，不计入基金支付总额）` },
  ];
  const setldetail: SetlDetail[] = [];
  let rowsToFund = 0;
  for (const r of rows) {
    if (r.amount === 0 && !r.always) continue;
    const type = fundPayTypeOf(r.layer, c.scheme, codes);
    // A resident's family account has no fund_pay_type: it stays in acct_pay only.
    if (!type) continue;
    if (countsTowardFund(type.code, codes)) rowsToFund += r.amount;
    setldetail.push({
      fund_pay_type: type.code,
      fund_pay_type_name: type.name,
      inscp_scp_amt: yuan(f.eligible),
      crt_payb_lmt_amt: r.layer === 'pooled' && f.capRemaining !== null ? yuan(f.capRemaining) : null,
      fund_payamt: yuan(r.amount),
      setl_proc_info: r.info,
    });
  }
  // The identities, in fen (acct_pay + psn_cash_pay = psn_part_amt holds by construction).
  if (c.split && c.split.fullOwnPay + c.split.overLimit + c.split.preSelfPay !== f.outOfScope) {
    throw new NationalIdentityError(
      `fulamt_ownpay_amt ${yuan(c.split.fullOwnPay)} + overlmt_selfpay ${yuan(c.split.overLimit)} + preselfpay_amt ${yuan(c.split.preSelfPay)} ≠ medfee_sumamt − inscp_scp_amt ${yuan(f.outOfScope)}`,
    );
  }
  if (fundSum + personPart !== f.total) {
    throw new NationalIdentityError(`fund_pay_sumamt ${yuan(fundSum)} + psn_part_amt ${yuan(personPart)} ≠ medfee_sumamt ${yuan(f.total)}`);
  }
  if (rowsToFund !== fundSum) throw new NationalIdentityError(`setldetail fund rows ${yuan(rowsToFund)} ≠ fund_pay_sumamt ${yuan(fundSum)}`);
  return { setlinfo, setldetail };
}
