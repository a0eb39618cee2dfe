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
import { NATIONAL_CODES, readMedType, readMedTypes, readPsnType, type CodeEdition } from './code-editions.js';

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

/** 险种类型 (insutype) of the default edition (codes/national.json). */
export const INSUTYPES = table(NATIONAL_CODES.insutype.codes);

/** 医疗类别 (med_type) of the default edition. */
export const MED_TYPES = table(NATIONAL_CODES.med_type.codes);

/**
 * 人员类别 (psn_type) of the default edition: only the two codes whose meaning could be read. The
 * specification's own table was not found; a public deductible table keyed by psn_type gives
 * employees' outpatient deductible as 1000 for psn_type 11 (with 1101–1103 under it) and 300 for 12
 * (1201, 1202), which is in-service versus retired. Those two are used here by that reading;
 * residents' psn_type codes were not found and are left unmapped. (The Hunan edition has its table.)
 */
export const PSN_TYPES = table(NATIONAL_CODES.psn_type.codes);

/** 基金支付类型 (fund_pay_type) of the default edition. */
export const FUND_PAY_TYPES = table(NATIONAL_CODES.fund_pay_type.codes);

/** An edition's table as codes. */
const tableOf = (codes: Record<string, string>) => table(codes);

/** The name of a code in a table, or undefined. */
export function nameOf(codes: readonly NationalCode[], code: string): string | undefined {
  return codes.find((c) => c.code === code)?.name;
}

const codeName = (codes: readonly NationalCode[], code: string): NationalCode => ({ code, name: nameOf(codes, code) as string });

/** `a, b and c`. */
const listed = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] as string}`);

// ---- insutype ↔ scheme ----------------------------------------------------------------------

/** The project's schemes are the two basic insurances (基本医疗保险) by name (the edition's insutype.scheme). */
export function insutypeOf(scheme: Scheme, e: CodeEdition = NATIONAL_CODES): NationalCode {
  return codeName(tableOf(e.insutype.codes), e.insutype.scheme[scheme]);
}

/** @throws NationalCodeError for an insutype that is not one of the two basic insurances. */
export function schemeOf(insutype: string, field = 'data.insutype', e: CodeEdition = NATIONAL_CODES): Scheme {
  const map = e.insutype.scheme;
  const scheme = (Object.keys(map) as Scheme[]).find((s) => map[s] === insutype);
  if (scheme) return scheme;
  const codes = tableOf(e.insutype.codes);
  const name = nameOf(codes, insutype);
  const settled = listed([map.employee, map.resident].map((c) => `${c} ${nameOf(codes, c) as string}`));
  throw new NationalCodeError(
    field,
    name ? `${insutype} ${name} is not settled by yibao; it settles ${settled}` : `unknown insutype ${JSON.stringify(insutype)}; yibao settles ${settled}`,
  );
}

// ---- psn_type ↔ category --------------------------------------------------------------------

/** The psn_type of a category, or null where the edition has none (the default: residents). */
export function psnTypeOf(category: Category, e: CodeEdition = NATIONAL_CODES): NationalCode | null {
  const code = e.psn_type.category[category];
  return code ? codeName(tableOf(e.psn_type.codes), code) : null;
}

/**
 * The category a psn_type stands for (the edition's psn_type.read; the default: 11 and 11xx
 * in-service, 12 and 12xx retired, the reading on {@link PSN_TYPES}).
 *
 * @throws NationalCodeError for any other psn_type.
 */
export function categoryOf(psnType: string, field = 'data.psn_type', e: CodeEdition = NATIONAL_CODES): Category {
  const category = readPsnType(e, psnType);
  if (category) return category;
  const codes = tableOf(e.psn_type.codes);
  const mapped = listed(Object.values(e.psn_type.category).map((c) => `${c} ${nameOf(codes, c as string) as string}`));
  throw new NationalCodeError(field, `psn_type ${JSON.stringify(psnType)} has no yibao category (only ${mapped} are mapped); give the category in yibao.person.category`);
}

// ---- med_type ↔ visit type ------------------------------------------------------------------

/**
 * The med_type of each visit type (the edition's med_type.visitType). The default: outpatient 11,
 * inpatient 21, prenatal checks 51 and births 52 are the codes' own names. 两病 (hypertension and
 * diabetes outpatient drugs) as 14 门诊慢特病 is a reading: 两病 drugs are an outpatient benefit for
 * named chronic diseases; provinces that give them a code of their own (Hunan: 9901 门诊两病) have
 * an edition saying so.
 */
export function medTypeOf(type: VisitType, e: CodeEdition = NATIONAL_CODES): NationalCode {
  return codeName(tableOf(e.med_type.codes), e.med_type.visitType[type]);
}

/** The visit types a med_type may stand for (52 生育住院 is natural birth or caesarean). */
export function visitTypesOf(medType: string, e: CodeEdition = NATIONAL_CODES): VisitType[] {
  return readMedType(e, medType);
}

/**
 * The visit type of a med_type; `chosen` (the extension's yibao.visit.type) picks among several
 * and must agree with the med_type.
 *
 * @throws NationalCodeError for a med_type yibao does not settle, or a choice that does not fit.
 */
export function visitTypeOf(medType: string, chosen: VisitType | undefined, field = 'data.med_type', e: CodeEdition = NATIONAL_CODES): VisitType {
  const types = visitTypesOf(medType, e);
  const codes = tableOf(e.med_type.codes);
  const name = nameOf(codes, medType);
  if (types.length === 0) {
    const known = readMedTypes(e)
      .map((c) => `${c} ${nameOf(codes, c) as string}`)
      .join(', ');
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
 * The fund_pay_type of a layer for a scheme (the edition's fund_pay_type.layer), or null where none
 * was found. The default: a resident's personal (family) account has none (310200 is the
 * employees' account fund); employees' critical-illness layer as 330100 大额医疗费用补助基金 is a
 * reading: it is the employees' counterpart of residents' 大病保险 above the pooled fund's cap.
 */
export function fundPayTypeOf(layer: FundLayer, scheme: Scheme, e: CodeEdition = NATIONAL_CODES): NationalCode | null {
  const c = e.fund_pay_type.layer[layer][scheme];
  return c === null ? null : codeName(tableOf(e.fund_pay_type.codes), c);
}

/**
 * Whether a fund_pay_type's amount is part of fund_pay_sumamt (基金支付总额). The personal account
 * is not: the specification puts acct_pay (个人账户支出) in psn_part_amt (个人负担总金额), with
 * medfee_sumamt = fund_pay_sumamt + psn_part_amt.
 */
export function countsTowardFund(fundPayType: string, e: CodeEdition = NATIONAL_CODES): boolean {
  return !e.fund_pay_type.notInFundSum.includes(fundPayType);
}
