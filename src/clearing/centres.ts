/**
 * Who pays an institution (支付经办机构): the registry the agency keeps — paying centres (医保中心:
 * the city centre 市医保中心 and the county centres 县区医保中心), the counties and districts (县区),
 * and each institution's district — and the policy's rule for it.
 *
 * 洛医保〔2023〕63号 三(二) 分级支付: 各县（含偃师区、孟津区）医保中心负责支付同级定点医疗机构门诊统筹
 * 和个人（家庭）账户结算费用。市医保中心负责支付城市区各级定点医疗机构门诊统筹和个人（家庭）账户结算费用.
 * Where a pack in force gives that rule (`parameters.clearing.payingCentre`), an institution in a
 * county (and in the districts the rule counts as counties, `countyLevelDistricts`) is paid by its
 * county's centre and one in a city district by the city centre; the agency may name the centre,
 * and a name that contradicts the rule is refused. Where no pack gives a rule, the agency names it.
 */
import { dayOf } from '../calendar/calendar.js';
import type { PolicySet } from '../policy/registry.js';
import { versionAt, type ParamVersion } from '../policy/model.js';

/** A paying centre's level: the city centre or a county (or county-level district) centre. */
export const CENTRE_LEVELS = ['city', 'county'] as const;
export type CentreLevel = (typeof CENTRE_LEVELS)[number];
export const CENTRE_LEVEL_LABELS: Record<CentreLevel, string> = { city: '市医保中心', county: '县区医保中心' };

/** A district's level: a county (县, and districts counted as counties) or a city district (城市区). */
export const DISTRICT_LEVELS = ['county', 'urban'] as const;
export type DistrictLevel = (typeof DISTRICT_LEVELS)[number];
export const DISTRICT_LEVEL_LABELS: Record<DistrictLevel, string> = { county: '县（含按县管理的区）', urban: '城市区' };

export interface Centre {
  id: string;
  name: string;
  level: CentreLevel;
  region: string;
  /** A county centre's district; null for the city centre. */
  district: string | null;
}

export interface District {
  code: string;
  name: string;
  region: string;
  level: DistrictLevel;
}

/** An institution's clearing registration: its district, and the centre the agency named (or null). */
export interface InstitutionClearing {
  institutionId: string;
  district: string;
  centreId: string | null;
}

/** The policy's rule for who pays, as a pack in force gives it. */
export interface PayingCentreRule {
  policy: string;
  citation: string;
  quote: string;
  /** Districts counted as counties (含偃师区、孟津区). */
  countyLevelDistricts: readonly string[];
}

/** Why a centre pays an institution: the rule's citation, or the agency's registration. */
export interface CentreBasis {
  centre: Centre;
  /** `rule`: the policy's rule gave it; `registered`: the agency named it and no rule applies. */
  basis: 'rule' | 'registered';
  citation: string | null;
  text: string;
}

/** The paying-centre rule in force in a region on a day (most specific pack first), or undefined. */
export function payingCentreRule(policies: PolicySet, region: string, day = dayOf(2024, 1, 1)): PayingCentreRule | undefined {
  for (const pack of policies.chain(region, day)) {
    const rule = pack.groups.clearing?.payingCentre;
    const version = rule ? versionAt(rule, day) : undefined;
    if (version?.value !== 'same-level') continue;
    const counties = pack.groups.clearing?.countyLevelDistricts;
    const list = counties ? versionAt(counties, day) : undefined;
    return {
      policy: pack.id,
      citation: version.citation,
      quote: version.quote ?? '',
      countyLevelDistricts: Array.isArray(list?.value) ? (list.value as readonly string[]) : [],
    };
  }
  return undefined;
}

/**
 * A district's registration checked against the rule: a district the rule counts as a county
 * (偃师区、孟津区) cannot be registered as a city district. Returns the problem, or undefined.
 */
export function districtProblem(d: District, rule: PayingCentreRule | undefined): string | undefined {
  if (rule && d.level === 'urban' && rule.countyLevelDistricts.includes(d.name)) {
    return `level: ${d.name} is paid as a county (${rule.citation}: 各县（含${rule.countyLevelDistricts.join('、')}）), not as a city district; register it with level county`;
  }
  return undefined;
}

/** The centre the rule names for an institution in a district, or the reason there is none. */
function byRule(district: District, centres: readonly Centre[], rule: PayingCentreRule): Centre | string {
  if (district.level === 'county') {
    const own = centres.find((c) => c.level === 'county' && c.district === district.code);
    return own ?? `${district.name}（${district.code}）的县区医保中心未登记（${rule.citation}：县级定点医疗机构由本县区医保中心支付）`;
  }
  const city = centres.find((c) => c.level === 'city' && c.region === district.region);
  return city ?? `${district.region} 的市医保中心未登记（${rule.citation}：城市区定点医疗机构由市医保中心支付）`;
}

/**
 * The centre that pays an institution, and why.
 *
 * @returns the centre and its basis, or a problem (Chinese, for the clerk) when none can be named
 *   or the agency's choice contradicts the rule.
 */
export function payingCentre(
  reg: InstitutionClearing,
  districts: ReadonlyMap<string, District>,
  centres: readonly Centre[],
  ruleOf: (region: string) => PayingCentreRule | undefined,
): CentreBasis | { problem: string; rule: boolean } {
  const district = districts.get(reg.district);
  if (!district) return { problem: `机构 ${reg.institutionId} 所在县区 ${reg.district} 未登记`, rule: false };
  const rule = ruleOf(district.region);
  const named = reg.centreId === null ? undefined : centres.find((c) => c.id === reg.centreId);
  if (reg.centreId !== null && !named) return { problem: `机构 ${reg.institutionId} 登记的支付经办机构 ${reg.centreId} 不存在`, rule: false };
  if (rule) {
    const due = byRule(district, centres, rule);
    if (typeof due === 'string') return { problem: `机构 ${reg.institutionId}：${due}`, rule: true };
    if (named && named.id !== due.id) {
      return {
        problem: `机构 ${reg.institutionId} 在${district.name}（${DISTRICT_LEVEL_LABELS[district.level]}），按${rule.citation}应由${due.name}（${due.id}）支付，不能登记为${named.name}（${named.id}）`,
        rule: true,
      };
    }
    return {
      centre: due,
      basis: 'rule',
      citation: rule.citation,
      text: `${district.name}为${DISTRICT_LEVEL_LABELS[district.level]}，按${rule.citation}由${due.name}支付`,
    };
  }
  if (!named) return { problem: `机构 ${reg.institutionId} 未登记支付经办机构，且${district.name}所在统筹区的政策文件未规定分级支付`, rule: false };
  return { centre: named, basis: 'registered', citation: null, text: `由经办机构登记为${named.name}支付` };
}

/** A parameter version's citation as statements carry it. */
export function citationOf(v: ParamVersion): { document: string; article: string; citation: string; quote: string | null } {
  return { document: v.document, article: v.article, citation: v.citation, quote: v.quote ?? null };
}
