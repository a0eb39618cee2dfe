/**
 * The national medical insurance information platform's code tables (《医疗保障信息平台 定点医药机构
 * 接口规范》, its 字典表), as far as yibao uses them, and the mapping between them and the project's
 * own words (scheme, category, visit type, fund layer).
 *
 * Sources: the codes and names below were read from public integrations of the specification
 * (hospital systems' models of 2206/2207/2303/2304 and their dictionary tables; see docs/national.md, "National
 * interface format"). Where the project maps one of its own words to a code by a reading rather than
 * by the specification's text, the entry says so. A code that could not be found is not invented:
 * the word is left unmapped and {@link NationalCodeError} refuses it, naming the field.
 */
import { YibaoError } from '../errors.js';
import type { Category, Scheme, VisitType } from '../domain.js';

/** A code with its Chinese name (代码, 名称). */
export interface NationalCode {
  code: string;
  name: string;
}

/** A code, or the word it stands for, that has no counterpart on the other side. */
export class NationalCodeError extends YibaoError<'INVALID_CODE'> {
  constructor(
    /** The field the code or word came from, e.g. `data.med_type`. */
    readonly field: string,
    message: string,
  ) {
    super('INVALID_CODE', `${field}: ${message}`, { field });
    this.name = 'NationalCodeError';
  }
}

const table = (entries: Record<string, string>): readonly NationalCode[] => Object.entries(entries).map(([code, name]) => ({ code, name }));

/** 险种类型 (insutype). */
export const INSUTYPES = table({
  '310': '职工基本医疗保险',
  '320': '公务员医疗补助',
  '330': '大额医疗费用补助',
  '340': '离休人员医疗保障',
  '390': '城乡居民基本医疗保险',
  '392': '城乡居民大病医疗保险',
  '510': '生育保险',
});

/** 医疗类别 (med_type). */
export const MED_TYPES = table({
  '11': '普通门诊',
  '12': '门诊挂号',
  '13': '急诊',
  '14': '门诊慢特病',
  '21': '普通住院',
  '22': '外伤住院',
  '23': '转外诊治住院',
  '24': '急诊转住院',
  '41': '定点药店购药',
  '51': '生育门诊',
  '52': '生育住院',
  '53': '计划生育手术费',
  '91': '其他门诊',
  '92': '其他住院',
  '93': '其他购药',
  '99': '地方扩展医疗类别',
});

/**
 * 人员类别 (psn_type): only the two codes whose meaning could be read. The specification's own
 * table was not found; a public deductible table keyed by psn_type gives employees' outpatient
 * deductible as 1000 for psn_type 11 (with 1101–1103 under it) and 300 for 12 (1201, 1202), which is
 * in-service versus retired. Those two are used here by that reading; residents' psn_type codes
 * were not found and are left unmapped.
 */
export const PSN_TYPES = table({
  '11': '在职',
  '12': '退休',
});

/** 基金支付类型 (fund_pay_type). */
export const FUND_PAY_TYPES = table({
  '310100': '职工基本医疗保险统筹基金',
  '310200': '职工基本医疗保险个人账户基金',
  '320100': '公务员医疗补助基金',
  '330100': '大额医疗费用补助基金',
  '340100': '离休人员医疗保障基金',
  '390100': '城乡居民基本医疗保险基金',
  '390200': '城乡居民大病医疗保险基金',
  '510100': '生育基金',
  '610100': '医疗救助基金',
});

/** The name of a code in a table, or undefined. */
export function nameOf(codes: readonly NationalCode[], code: string): string | undefined {
  return codes.find((c) => c.code === code)?.name;
}

const codeName = (codes: readonly NationalCode[], code: string): NationalCode => ({ code, name: nameOf(codes, code) as string });

// ---- insutype ↔ scheme ----------------------------------------------------------------------

/** The project's schemes are the two basic insurances (基本医疗保险) by name. */
const SCHEME_INSUTYPE: Record<Scheme, string> = { employee: '310', resident: '390' };

export function insutypeOf(scheme: Scheme): NationalCode {
  return codeName(INSUTYPES, SCHEME_INSUTYPE[scheme]);
}

/** @throws NationalCodeError for an insutype that is not one of the two basic insurances. */
export function schemeOf(insutype: string, field = 'data.insutype'): Scheme {
  const scheme = (Object.keys(SCHEME_INSUTYPE) as Scheme[]).find((s) => SCHEME_INSUTYPE[s] === insutype);
  if (scheme) return scheme;
  const name = nameOf(INSUTYPES, insutype);
  throw new NationalCodeError(
    field,
    name
      ? `${insutype} ${name} is not settled by yibao; it settles 310 职工基本医疗保险 and 390 城乡居民基本医疗保险`
      : `unknown insutype ${JSON.stringify(insutype)}; yibao settles 310 职工基本医疗保险 and 390 城乡居民基本医疗保险`,
  );
}

// ---- psn_type ↔ category --------------------------------------------------------------------

/** Employees' categories by the reading documented on {@link PSN_TYPES}; residents' are unmapped. */
const CATEGORY_PSN_TYPE: Partial<Record<Category, string>> = { active: '11', retired: '12' };

/** The psn_type of a category, or null where no code could be found (residents). */
export function psnTypeOf(category: Category): NationalCode | null {
  const code = CATEGORY_PSN_TYPE[category];
  return code ? codeName(PSN_TYPES, code) : null;
}

/**
 * The category a psn_type stands for: 11 and 11xx in-service, 12 and 12xx retired (the reading
 * on {@link PSN_TYPES}).
 *
 * @throws NationalCodeError for any other psn_type.
 */
export function categoryOf(psnType: string, field = 'data.psn_type'): Category {
  if (/^11(\d{2})?$/.test(psnType)) return 'active';
  if (/^12(\d{2})?$/.test(psnType)) return 'retired';
  throw new NationalCodeError(field, `psn_type ${JSON.stringify(psnType)} has no yibao category (only 11 在职 and 12 退休 are mapped); give the category in yibao.person.category`);
}

// ---- med_type ↔ visit type ------------------------------------------------------------------

/**
 * The med_type of each visit type. outpatient 11, inpatient 21, prenatal checks 51 and births 52
 * are the codes' own names. 两病 (hypertension and diabetes outpatient drugs) as 14 门诊慢特病 is a
 * reading: 两病 drugs are an outpatient benefit for named chronic diseases; provinces that give them
 * a code of their own use 99 地方扩展医疗类别 or a local sub-code instead.
 */
const VISIT_MED_TYPE: Record<VisitType, string> = {
  outpatient: '11',
  'two-diseases': '14',
  'birth-natural': '52',
  'birth-cesarean': '52',
  prenatal: '51',
  inpatient: '21',
};

export function medTypeOf(type: VisitType): NationalCode {
  return codeName(MED_TYPES, VISIT_MED_TYPE[type]);
}

/** The visit types a med_type may stand for (52 生育住院 is natural birth or caesarean). */
export function visitTypesOf(medType: string): VisitType[] {
  return (Object.keys(VISIT_MED_TYPE) as VisitType[]).filter((t) => VISIT_MED_TYPE[t] === medType);
}

/**
 * The visit type of a med_type; `chosen` (the extension's yibao.visit.type) picks among several
 * and must agree with the med_type.
 *
 * @throws NationalCodeError for a med_type yibao does not settle, or a choice that does not fit.
 */
export function visitTypeOf(medType: string, chosen: VisitType | undefined, field = 'data.med_type'): VisitType {
  const types = visitTypesOf(medType);
  const name = nameOf(MED_TYPES, medType);
  if (types.length === 0) {
    const known = [...new Set(Object.values(VISIT_MED_TYPE))].map((c) => `${c} ${nameOf(MED_TYPES, c) as string}`).join(', ');
    throw new NationalCodeError(field, `${name ? `${medType} ${name}` : `unknown med_type ${JSON.stringify(medType)}`} is not settled by yibao; it settles ${known}`);
  }
  if (chosen !== undefined) {
    if (!types.includes(chosen)) throw new NationalCodeError('yibao.visit.type', `${chosen} is not a ${medType} ${name as string} visit (${types.join(' | ')})`);
    return chosen;
  }
  if (types.length > 1) throw new NationalCodeError('yibao.visit.type', `required for med_type ${medType} ${name as string}: one of ${types.join(' | ')}`);
  return types[0] as VisitType;
}

// ---- fund layers ↔ fund_pay_type ------------------------------------------------------------

/** The layers of the fund chain that setldetail lists. */
export type FundLayer = 'pooled' | 'critical-illness' | 'assistance' | 'account';

/**
 * The fund_pay_type of a layer for a scheme, or null where none was found (a resident's
 * personal (family) account: 310200 is the employees' account fund). Employees' critical-illness
 * layer as 330100 大额医疗费用补助基金 is a reading: it is the employees' counterpart of residents'
 * 大病保险 above the pooled fund's cap.
 */
export function fundPayTypeOf(layer: FundLayer, scheme: Scheme): NationalCode | null {
  const code: Record<FundLayer, Record<Scheme, string | null>> = {
    pooled: { employee: '310100', resident: '390100' },
    'critical-illness': { employee: '330100', resident: '390200' },
    assistance: { employee: '610100', resident: '610100' },
    account: { employee: '310200', resident: null },
  };
  const c = code[layer][scheme];
  return c === null ? null : codeName(FUND_PAY_TYPES, c);
}

/**
 * Whether a fund_pay_type's amount is part of fund_pay_sumamt (基金支付总额). The personal account
 * is not: the specification puts acct_pay (个人账户支出) in psn_part_amt (个人负担总金额), with
 * medfee_sumamt = fund_pay_sumamt + psn_part_amt.
 */
export function countsTowardFund(fundPayType: string): boolean {
  return fundPayType !== '310200';
}
