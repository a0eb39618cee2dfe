/**
 * How a ledger entry's money is cleared: its insurance type (险种 insutype), its clearing type
 * (清算类别 clr_type), and its payment split by fund (基金支付类型 fund_pay_type), with the codes
 * of the Hunan edition of the national interface specification (V1.1.27), §6 code tables: 6.23
 * 清算类别(clr_type) and 6.47 基金支付类型(fund_pay_type).
 *
 * An entry says which benefit paid it (`resident-outpatient`, `employee-prenatal`…); the benefit's
 * scheme is its first word and its visit type the rest (the policy files' benefit ids). The
 * general outpatient pool (普通门诊统筹) pays from the outpatient pool fund (居民/职工门诊统筹基金
 * 390102/310102); every other benefit from the basic insurance fund (390100/310100). Reading: the
 * documents fund 两病 drugs, maternity and inpatient care from the pooled fund, and only the general
 * outpatient pool is a fund of its own (洛医保〔2022〕36号 第三条 预算, 濮阳市职工医保门诊共济保障机制实施细则（试行） 第十九条).
 */
import type { Scheme, VisitType } from '../domain.js';
import type { Fen } from '../money/money.js';

/** A code with its Chinese name. */
export interface Coded {
  code: string;
  name: string;
}

/** The funds a statement breaks a payment down by (the issue's five, and the residents' family account). */
export const CLEARING_FUNDS = ['pooled', 'outpatient-pool', 'critical-illness', 'assistance', 'account'] as const;
export type ClearingFund = (typeof CLEARING_FUNDS)[number];

/** 基金支付类型 codes the statements use (Hunan V1.1.27 §6.47). */
export const FUND_PAY_TYPE_NAMES: Readonly<Record<string, string>> = {
  '310100': '城镇职工基本医疗保险统筹基金',
  '310102': '职工门诊统筹基金',
  '310200': '城镇职工基本医疗保险个人账户基金',
  '330100': '大额医疗费用补助基金',
  '390100': '城乡居民基本医疗保险基金',
  '390102': '居民门诊统筹基金',
  '390200': '城乡居民大病医疗保险基金',
  '390500': '居民家庭账户金',
  '610100': '医疗救助基金',
};

const FUND_CODE: Record<ClearingFund, Record<Scheme, string>> = {
  pooled: { employee: '310100', resident: '390100' },
  'outpatient-pool': { employee: '310102', resident: '390102' },
  // Employees' layer above the pooled fund's cap as 大额医疗费用补助: the reading of src/national/codes.ts.
  'critical-illness': { employee: '330100', resident: '390200' },
  assistance: { employee: '610100', resident: '610100' },
  account: { employee: '310200', resident: '390500' },
};

/** The fund_pay_type of a fund for a scheme. */
export function fundPayType(fund: ClearingFund, scheme: Scheme): Coded {
  const code = FUND_CODE[fund][scheme];
  return { code, name: FUND_PAY_TYPE_NAMES[code] as string };
}

/** 险种类型 (insutype) of the two basic insurances. */
export const INSUTYPE: Readonly<Record<Scheme, Coded>> = {
  employee: { code: '310', name: '职工基本医疗保险' },
  resident: { code: '390', name: '城乡居民基本医疗保险' },
};

/**
 * 清算类别 (clr_type) of a visit type (Hunan V1.1.27 §6.23): 11 门诊, 15 两病门诊, 53 生育门诊, 21 住院.
 * Births as 21 住院 is a reading: the national baseline has no maternity-inpatient clearing type
 * (99940 生育住院 is a provincial extension).
 */
const CLR_TYPE: Record<VisitType, Coded> = {
  outpatient: { code: '11', name: '门诊' },
  'two-diseases': { code: '15', name: '两病门诊' },
  prenatal: { code: '53', name: '生育门诊' },
  inpatient: { code: '21', name: '住院' },
  'birth-natural': { code: '21', name: '住院' },
  'birth-cesarean': { code: '21', name: '住院' },
};

export const CLR_TYPES: readonly Coded[] = [...new Map(Object.values(CLR_TYPE).map((c) => [c.code, c])).values()];

/** A benefit id's scheme and visit type, or undefined when it is not `<scheme>-<visit type>`. */
export function benefitParts(benefit: string): { scheme: Scheme; type: VisitType } | undefined {
  const dash = benefit.indexOf('-');
  const scheme = benefit.slice(0, dash);
  const type = benefit.slice(dash + 1);
  if (dash < 0 || (scheme !== 'resident' && scheme !== 'employee') || !(type in CLR_TYPE)) return undefined;
  return { scheme, type: type as VisitType };
}

/** What a benefit's entries are cleared as. */
export interface ClearingClass {
  scheme: Scheme;
  insutype: Coded;
  clrType: Coded;
  /** The fund the entry's fund_pay_fen (the pooled layer) is paid from. */
  pooledFund: 'pooled' | 'outpatient-pool';
}

/** The clearing class of a benefit id, or undefined for one that is not `<scheme>-<visit type>`. */
export function clearingClass(benefit: string): ClearingClass | undefined {
  const parts = benefitParts(benefit);
  if (!parts) return undefined;
  return {
    scheme: parts.scheme,
    insutype: INSUTYPE[parts.scheme],
    clrType: CLR_TYPE[parts.type],
    pooledFund: parts.type === 'outpatient' ? 'outpatient-pool' : 'pooled',
  };
}

/** An entry's amounts (fen; a reversal's are negative), as the ledger keeps them. */
export interface EntryAmounts {
  total: Fen;
  fund: Fen;
  criticalIllness: Fen;
  assistance: Fen;
  account: Fen;
  cash: Fen;
}

/** The payment by fund of an entry of a clearing class: zero funds left out. */
export function fundsOf(c: ClearingClass, a: EntryAmounts): { fund: ClearingFund; fundPayType: Coded; amount: Fen }[] {
  const out: { fund: ClearingFund; fundPayType: Coded; amount: Fen }[] = [];
  const add = (fund: ClearingFund, amount: Fen) => {
    if (amount !== 0) out.push({ fund, fundPayType: fundPayType(fund, c.scheme), amount });
  };
  add(c.pooledFund, a.fund);
  add('critical-illness', a.criticalIllness);
  add('assistance', a.assistance);
  add('account', a.account);
  return out;
}

/**
 * The national totals of an entry: medfee_sumamt (医疗费总额), fund_pay_sumamt (基金支付总额: every
 * fund but the personal account, which the specification counts in the person's part), acct_pay,
 * and cash (现金支付).
 */
export function nationalTotals(a: EntryAmounts): { medfee_sumamt: Fen; fund_pay_sumamt: Fen; acct_pay: Fen; cash_payamt: Fen } {
  return { medfee_sumamt: a.total, fund_pay_sumamt: a.fund + a.criticalIllness + a.assistance, acct_pay: a.account, cash_payamt: a.cash };
}
