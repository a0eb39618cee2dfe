/**
 * The values of policy parameters: what each unit accepts and how it reads (yuan to fen, percent to
 * basis points, rules, lists, month-day ranges), and the Chinese labels of parameters and values.
 */
import { parseDate } from '../calendar/calendar.js';
import { HARDSHIP_GROUPS } from '../domain.js';
import { type AmountError, parseYuan, percentToBasisPoints } from '../money/money.js';
import type { MonthDayRange, ParamValue } from './model.js';
import { MONEY_UNITS, RATE_UNITS, type Unit } from './schema.js';

export const LABELS: Record<string, string> = {
  cap: '年度最高支付限额',
  deductible: '起付标准',
  ratio: '支付比例',
  ratioBonus: '支付比例提高',
  familyDoctorBonus: '家庭医生签约支付比例提高',
  deductibleWindow: '起付标准计算周期',
  contractedOnly: '仅限定点医疗机构',
  amount: '支付标准',
  concentratedPeriod: '集中缴费期',
  coverageAfterConcentrated: '集中缴费期缴费的待遇期',
  waitingDays: '待遇等待期',
  waitExemptCategories: '免等待期人群',
  waitExemptHardship: '免等待期困难群众',
  waitExemptTransfer: '转移接续免等待期',
  fundingStandard: '筹资标准',
  subsidyStandard: '人均财政补助标准',
  individual: '个人缴费标准',
  criticalIllnessFunding: '大病保险人均筹资标准',
  central: '中央财政补助',
  province: '省级财政补助',
  city: '市级财政补助',
  county: '县级财政补助',
  tekun: '特困人员资助参保',
  dibao: '低保对象资助参保',
  fanpin: '返贫致贫人口资助参保',
  monitored: '监测对象资助参保',
  jiandang: '建档立卡贫困人口资助参保',
  'rural-tekun': '农村特困人员资助参保',
  other: '其他困难群众资助参保',
  activeRate: '在职职工个人账户计入比例（本人缴费基数）',
  retiredMonthly: '退休人员个人账户月定额',
  employerRateNoAccount: '按用人单位费率缴费的在职人员不享受个人账户',
  retiredNeedsRequiredYears: '退休人员达到规定缴费年限方享受个人账户',
  allocation: '向账户分配资金',
  carryOver: '账户结余结转使用',
  visitTypes: '账户可支付的就医类型',
  visitShare: '账户可支付的费用部分',
  pharmacy: '账户可支付定点零售药店购药',
  familyMedical: '可使用账户的家庭成员',
  familyResidentContribution: '可由账户代缴居民医保个人缴费的亲属',
  ownSupplementaryContribution: '账户可缴纳本人大额医疗费用补助',
  prohibited: '账户不得支付的支出',
  transferOut: '医保关系转移时账户随之划转',
  refundIfNoTransfer: '不具备转移条件时余额一次性返还本人',
  inheritance: '参保人员死亡时结余一次性拨付合法继承人',
  notDuringStay: '住院期间不享受该待遇',
  accountReformRequired: '仅限调整个人账户结构的参保人员享受',
  threshold: '起付标准',
  uncapped: '不设年度最高支付限额',
  unreferredRatioReduction: '未经转诊备案县域外就医支付比例下浮',
  reductionExcludedFromCriticalIllness: '下浮部分不纳入大病保险',
  claimantScheme: '申领人险种',
  claimantSex: '申领人性别',
  claimantInsured: '申领人参加生育保险',
  contributionsPaid: '按时足额缴纳生育保险费',
  flexibleWorkersExcluded: '灵活就业人员不享受',
  employerInsuredYears: '所在单位参加生育保险年限',
  spouseWithoutEmployer: '配偶无工作单位',
  noResidentMaternityBenefit: '配偶未享受城乡居民医保生育待遇',
};

/** Labels of parameters whose last key means something else elsewhere (visitTypes of an account). */
export const PATH_LABELS: Record<string, string> = {
  'maternityGrant.amount': '一次性生育补助金',
  'criticalIllness.visitTypes': '计入大病保险的费用类型',
  'medicalAssistance.visitTypes': '医疗救助的费用类型',
};

/** The ways a hardship group's individual contribution is assisted, besides a fixed amount. */
const ASSISTANCE_RULES = ['full', 'may-follow-dibao'] as const;

/** Values a `rule` parameter may take, by the parameter's key. */
const RULE_VALUES: Record<string, readonly string[]> = {
  deductibleWindow: ['natural-day', 'per-visit'],
  coverageAfterConcentrated: ['next-calendar-year'],
  ...Object.fromEntries(HARDSHIP_GROUPS.map((g) => [g, ASSISTANCE_RULES])),
  visitShare: ['whole-own-share', 'in-scope-own-share'],
  claimantScheme: ['employee', 'resident'],
  claimantSex: ['male', 'female'],
};

/** Rule values no longer taken (by `key value`), with what to write instead. */
const RETIRED_RULE_VALUES = new Map<string, string>([
  [
    'deductibleWindow rolling-24h',
    'rolling-24h is no longer a window: 当日（24小时） is read as the China calendar day, 0:00 to 24:00 (write natural-day), since 24 hours from whichever visit is settled first would depend on the order visits arrive in',
  ],
]);

/** How rule values and list members read in Chinese, for `policy show` and traces. */
const VALUE_TEXT: Record<string, string> = {
  'natural-day': '同一自然日（北京时间0时至24时）内同一机构只负担一次',
  'per-visit': '每次（每次住院）各负担一次',
  'next-calendar-year': '次年1月1日至12月31日',
  full: '全额资助',
  'may-follow-dibao': '可参照当地低保对象标准资助',
  newborn: '新生儿',
  tekun: '特困人员',
  dibao: '低保对象',
  fanpin: '返贫致贫人口',
  monitored: '监测对象',
  jiandang: '建档立卡贫困人口',
  'rural-tekun': '农村特困人员',
  other: '其他困难群众',
  'whole-own-share': '个人负担的全部医疗费用（含政策范围外）',
  'in-scope-own-share': '政策范围内个人自付费用',
  spouse: '配偶',
  parent: '父母',
  child: '子女',
  household: '家庭成员',
  'public-health': '公共卫生费用',
  fitness: '体育健身',
  wellness: '养生保健消费',
  outpatient: '普通门诊',
  'two-diseases': '两病门诊用药',
  'birth-natural': '自然分娩',
  'birth-cesarean': '剖宫产',
  prenatal: '产前检查',
  inpatient: '住院',
  employee: '职工医保参保人员',
  resident: '城乡居民医保参保人员',
  male: '男',
  female: '女',
};

export function convertValue(raw: unknown, unit: Unit, key: string): { value: ParamValue; text: string } | string {
  if (MONEY_UNITS.includes(unit)) {
    if (typeof raw !== 'number' && typeof raw !== 'string') return `unit ${unit} needs an amount in yuan`;
    try {
      const fen = parseYuan(raw);
      const suffix = { yuan: '元', 'yuan-per-visit': '元/次', 'yuan-per-case': '元/例', 'yuan-per-year': '元/人/年', 'yuan-per-month': '元/月' }[unit as 'yuan'];
      return { value: fen, text: `${String(raw)} ${suffix}` };
    } catch (e) {
      return `amount ${(e as AmountError).message}`;
    }
  }
  if (RATE_UNITS.includes(unit)) {
    if (typeof raw !== 'number' || raw < 0 || raw > 100) return `unit ${unit} needs a number from 0 to 100`;
    try {
      return { value: percentToBasisPoints(raw), text: unit === 'percent' ? `${raw}%` : `${raw} 个百分点` };
    } catch (e) {
      return (e as Error).message;
    }
  }
  switch (unit) {
    case 'days':
    case 'years':
    case 'count':
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) return `unit ${unit} needs a whole number`;
      return { value: raw, text: unit === 'days' ? `${raw} 天` : unit === 'years' ? `${raw} 年` : String(raw) };
    case 'rule': {
      const allowed = RULE_VALUES[key];
      const retired = typeof raw === 'string' ? RETIRED_RULE_VALUES.get(`${key} ${raw}`) : undefined;
      if (retired !== undefined) return retired;
      if (typeof raw !== 'string' || (allowed && !allowed.includes(raw))) return `must be one of ${(allowed ?? ['a rule name']).join(', ')}`;
      return { value: raw, text: VALUE_TEXT[raw] ?? raw };
    }
    case 'flag':
      if (typeof raw !== 'boolean') return 'unit flag needs true or false';
      return { value: raw, text: raw ? '是' : '否' };
    case 'list':
      if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string')) return 'unit list needs a list of names';
      return { value: raw as string[], text: (raw as string[]).map((x) => VALUE_TEXT[x] ?? x).join('、') || '（无）' };
    case 'month-day-range': {
      const r = raw as { from?: unknown; to?: unknown } | null;
      const md = (x: unknown) => (typeof x === 'string' && /^\d{2}-\d{2}$/.test(x) ? parseDate(`2000-${x}`) : undefined);
      if (!r || typeof r !== 'object' || md(r.from) === undefined || md(r.to) === undefined) return 'unit month-day-range needs { from: MM-DD, to: MM-DD }';
      const [fm, fd] = (r.from as string).split('-').map(Number) as [number, number];
      const [tm, td] = (r.to as string).split('-').map(Number) as [number, number];
      const value: MonthDayRange = { from: { month: fm, day: fd }, to: { month: tm, day: td } };
      return { value, text: `${fm}月${fd}日至${tm}月${td}日` };
    }
    default:
      return `unknown unit ${String(unit)}`;
  }
}
