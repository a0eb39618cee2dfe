/**
 * Loading policy files: YAML text → schema check → meaning check → {@link PolicyPack}.
 *
 * A file that is malformed, uncited, or inconsistent is rejected whole with a
 * {@link PolicyFileError} whose lines each name the file, the parameter and the problem.
 */
import { YibaoError } from '../errors.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { formatDate, parseDate, type DayNumber } from '../calendar/calendar.js';
import { GRADES, TIERS, CATEGORIES, COUNTY_TYPE_LABELS, COUNTY_TYPES, HARDSHIP_GROUPS, VISIT_TYPES, type Category, type Hardship } from '../domain.js';
import { AmountError, parseYuan, percentToBasisPoints } from '../money/money.js';
import {
  type Benefit,
  type CategoryOverride,
  type ContributionRules,
  type SubsidyLevels,
  type InstitutionClass,
  type MonthDayRange,
  type Param,
  type ParamValue,
  type ParamVersion,
  type PolicyPack,
  type Supplier,
  type AccountRules,
  type CriticalIllnessRules,
  type MaternityGrantRules,
  type MedicalAssistanceRules,
  type ReferralRules,
} from './model.js';
import {
  ACCOUNT_PARAMS,
  formatIssues,
  MONEY_UNITS,
  overlayFile,
  policyFile,
  RATE_UNITS,
  type AccountParamKey,
  type AccountRulesFile,
  type BenefitFile,
  type ContributionRulesFile,
  type CriticalIllnessRulesFile,
  type MaternityGrantRulesFile,
  type MedicalAssistanceRulesFile,
  type ReferralRulesFile,
  type ParamFile,
  type ParamVersionFile,
  type PolicyFile,
  type Unit,
} from './schema.js';
import { floorsFileProblems, readFloorTarget } from './floor-targets.js';

/** A policy file that cannot be used, with every problem found. */
export class PolicyFileError extends YibaoError<'POLICY_FILE'> {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super('POLICY_FILE', `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`, { file, problems });
    this.name = 'PolicyFileError';
  }
}

/**
 * The folder of built-in policy packs shipped with yibao: `policies/` at the package root, found
 * by walking up from this module (which runs from src/ under the tests and from dist/src/ built).
 */
export const BUILTIN_POLICY_DIR = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'policies'))) return join(dir, 'policies');
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the policies/ folder of the yibao package');
    dir = up;
  }
})();

const LABELS: Record<string, string> = {
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
const PATH_LABELS: Record<string, string> = {
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

function parseYaml(file: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyFileError(
      file,
      doc.errors.map((e) => `YAML ${e.linePos?.[0] ? `line ${e.linePos[0].line}` : ''}: ${e.message.split('\n')[0]}`),
    );
  }
  return doc.toJS();
}

/** Collects problems while building; throws them all at the end. */
class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
}

function convertValue(raw: unknown, unit: Unit, key: string): { value: ParamValue; text: string } | string {
  if (MONEY_UNITS.includes(unit)) {
    if (typeof raw !== 'number' && typeof raw !== 'string') return `unit ${unit} needs an amount in yuan`;
    try {
      const fen = parseYuan(raw);
      const suffix = { yuan: '元', 'yuan-per-visit': '元/次', 'yuan-per-case': '元/例', 'yuan-per-year': '元/人/年', 'yuan-per-month': '元/月' }[
        unit as 'yuan'
      ];
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
      if (typeof raw !== 'string' || (allowed && !allowed.includes(raw)))
        return `must be one of ${(allowed ?? ['a rule name']).join(', ')}`;
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
      if (!r || typeof r !== 'object' || md(r.from) === undefined || md(r.to) === undefined)
        return 'unit month-day-range needs { from: MM-DD, to: MM-DD }';
      const [fm, fd] = (r.from as string).split('-').map(Number) as [number, number];
      const [tm, td] = (r.to as string).split('-').map(Number) as [number, number];
      const value: MonthDayRange = { from: { month: fm, day: fd }, to: { month: tm, day: td } };
      return { value, text: `${fm}月${fd}日至${tm}月${td}日` };
    }
    default:
      return `unknown unit ${String(unit)}`;
  }
}

interface ParamContext {
  document: string;
  effectiveFrom: DayNumber;
  effectiveTo: DayNumber | null;
  supplied: Supplier;
  suppliedBy?: string;
  problems: Problems;
  params: Map<string, Param>;
}

function buildParam(file: ParamFile, path: string, ctx: ParamContext, expected?: readonly Unit[]): Param {
  const key = path.split('.').at(-1) ?? path;
  const versions: ParamVersion[] = [];
  const list: ParamVersionFile[] = Array.isArray(file) ? file : [file];
  list.forEach((v, i) => {
    const where = list.length > 1 ? `${path}[${i}]` : path;
    if (expected && !expected.includes(v.unit)) {
      ctx.problems.add(where, `unit must be ${expected.join(' or ')}, not ${v.unit}`);
      return;
    }
    let value: ParamValue | null = null;
    let text = '（文件未规定）';
    if (v.value === null || v.value === undefined) {
      if (!v.missing) {
        ctx.problems.add(where, 'has no value: give one, or say why the document does not with `missing:`');
        return;
      }
    } else {
      if (v.missing) ctx.problems.add(where, 'has both a value and `missing:`');
      const converted = convertValue(v.value, v.unit, key);
      if (typeof converted === 'string') {
        ctx.problems.add(where, converted);
        return;
      }
      value = converted.value;
      text = converted.text;
    }
    const from = v.from ? parseDate(v.from) : ctx.effectiveFrom;
    const to = v.to ? parseDate(v.to) : v.to === null ? null : ctx.effectiveTo;
    if (from === undefined || to === undefined) {
      ctx.problems.add(where, 'from/to is not a real date');
      return;
    }
    if (to !== null && to < from) ctx.problems.add(where, `to ${formatDate(to)} is before from ${formatDate(from)}`);
    if (from < ctx.effectiveFrom) ctx.problems.add(where, `from ${formatDate(from)} is before the document takes effect`);
    const document = v.document ?? ctx.document;
    const version: ParamVersion = {
      value,
      unit: v.unit,
      text,
      document,
      article: v.source,
      citation: `${document} ${v.source}`,
      from,
      to,
      supplied: ctx.supplied,
    };
    if (v.quote !== undefined) version.quote = v.quote;
    if (v.note !== undefined) version.note = v.note;
    if (v.missing !== undefined) version.missing = v.missing;
    if (v.bound !== undefined) version.bound = v.bound;
    if (v.compares !== undefined) {
      const read = readFloorTarget(v.compares, v.unit, v.bound);
      if ('target' in read) version.compares = read.target;
      else for (const problem of read.problems) ctx.problems.add(where, problem);
    }
    if (ctx.suppliedBy !== undefined) version.suppliedBy = ctx.suppliedBy;
    versions.push(version);
  });
  versions.sort((a, b) => a.from - b.from);
  for (let i = 1; i < versions.length; i++) {
    const prev = versions[i - 1] as ParamVersion;
    const cur = versions[i] as ParamVersion;
    if (prev.to === null || prev.to >= cur.from)
      ctx.problems.add(path, `dated versions overlap (one from ${formatDate(cur.from)} while another is still in force)`);
  }
  const param: Param = { path, label: PATH_LABELS[path] ?? LABELS[key] ?? key, versions };
  ctx.params.set(path, param);
  return param;
}

function buildBenefit(b: BenefitFile, index: number, ctx: ParamContext): Benefit {
  const base = `benefits.${b.id}`;
  const common = {
    id: b.id,
    label: b.label,
    visitType: b.visitType,
    scheme: b.scheme,
    citation: sectionCitation(ctx, b.source),
    contractedOnly: buildParam(b.contractedOnly, `${base}.contractedOnly`, ctx, ['flag']),
  };
  if (b.kind === 'amount-limit') {
    return { ...common, kind: 'amount-limit', amount: buildParam(b.amount, `${base}.amount`, ctx, MONEY_UNITS) };
  }
  const classIds = new Set<string>();
  const classes: InstitutionClass[] = b.classes.map((c) => {
    if (classIds.has(c.id)) ctx.problems.add(`${base}.classes.${c.id}`, 'class id is used twice');
    classIds.add(c.id);
    return {
      id: c.id,
      label: c.label,
      tiers: c.match.tiers ?? [],
      grades: c.match.grades ?? [],
      deductible: buildParam(c.deductible, `${base}.classes.${c.id}.deductible`, ctx, MONEY_UNITS),
      ratio: buildParam(c.ratio, `${base}.classes.${c.id}.ratio`, ctx, ['percent']),
    };
  });
  for (const tier of TIERS) {
    for (const grade of GRADES) {
      if (!classes.some((c) => c.tiers.includes(tier) || c.grades.includes(grade)))
        ctx.problems.add(`${base}.classes`, `no class matches a ${tier} institution of grade ${grade}`);
    }
  }
  const categories: Partial<Record<Category, CategoryOverride>> = {};
  for (const [cat, o] of Object.entries(b.categories ?? {}) as [Category, NonNullable<BenefitFile & { kind: 'pooling' }>['categories'] extends infer R ? R extends Record<string, infer V> ? V : never : never][]) {
    if (!o) continue;
    const p = `${base}.categories.${cat}`;
    const override: CategoryOverride = { classes: {} };
    if (o.cap) override.cap = buildParam(o.cap, `${p}.cap`, ctx, MONEY_UNITS);
    if (o.ratioBonus) override.ratioBonus = buildParam(o.ratioBonus, `${p}.ratioBonus`, ctx, ['percentage-points']);
    for (const [classId, co] of Object.entries(o.classes ?? {})) {
      if (!classIds.has(classId)) ctx.problems.add(`${p}.classes.${classId}`, `there is no class ${classId} in ${base}.classes`);
      const entry: { deductible?: Param; ratio?: Param } = {};
      if (co.deductible) entry.deductible = buildParam(co.deductible, `${p}.classes.${classId}.deductible`, ctx, MONEY_UNITS);
      if (co.ratio) entry.ratio = buildParam(co.ratio, `${p}.classes.${classId}.ratio`, ctx, ['percent']);
      override.classes[classId] = entry;
    }
    categories[cat] = override;
  }
  void index;
  const benefit: Benefit = {
    ...common,
    kind: 'pooling',
    capBucket: b.capBucket,
    classes,
    cap: buildParam(b.cap, `${base}.cap`, ctx, MONEY_UNITS),
    familyDoctorTiers: b.familyDoctorTiers ?? [],
    categories,
  };
  if (b.deductibleWindow) benefit.deductibleWindow = buildParam(b.deductibleWindow, `${base}.deductibleWindow`, ctx, ['rule']);
  if (b.familyDoctorBonus && !b.familyDoctorTiers)
    ctx.problems.add(`${base}.familyDoctorTiers`, 'name the tiers of signed institutions at which familyDoctorBonus applies');
  if (b.familyDoctorBonus)
    benefit.familyDoctorBonus = buildParam(b.familyDoctorBonus, `${base}.familyDoctorBonus`, ctx, ['percentage-points']);
  if (b.notDuringStay) benefit.notDuringStay = buildParam(b.notDuringStay, `${base}.notDuringStay`, ctx, ['flag']);
  if (b.accountReformRequired) benefit.accountReformRequired = buildParam(b.accountReformRequired, `${base}.accountReformRequired`, ctx, ['flag']);
  return benefit;
}

/** The citation of a benefit or section: its document and article, marked when a user supplied it. */
function sectionCitation(ctx: ParamContext, source: string): string {
  return ctx.supplied === 'user' ? `${ctx.document} ${source}（用户提供）` : `${ctx.document} ${source}`;
}

/** Checks that every version of a list parameter names only visit types. */
function checkVisitTypes(param: Param, ctx: ParamContext): void {
  for (const v of param.versions)
    for (const t of (v.value as string[] | null) ?? [])
      if (!(VISIT_TYPES as readonly string[]).includes(t)) ctx.problems.add(param.path, `${t} is not a visit type (${VISIT_TYPES.join(', ')})`);
}

/** 大病保险. */
function buildCriticalIllness(c: CriticalIllnessRulesFile, ctx: ParamContext): CriticalIllnessRules {
  const base = 'criticalIllness';
  const visitTypes = buildParam(c.visitTypes, `${base}.visitTypes`, ctx, ['list']);
  checkVisitTypes(visitTypes, ctx);
  const groups: CriticalIllnessRules['groups'] = {};
  for (const [g, rules] of Object.entries(c.groups ?? {}) as [Hardship, NonNullable<CriticalIllnessRulesFile['groups']>[Hardship]][]) {
    if (!rules) continue;
    const p = `${base}.groups.${g}`;
    groups[g] = {
      ...(rules.threshold ? { threshold: buildParam(rules.threshold, `${p}.threshold`, ctx, MONEY_UNITS) } : {}),
      ...(rules.ratio ? { ratio: buildParam(rules.ratio, `${p}.ratio`, ctx, ['percent']) } : {}),
      ...(rules.uncapped ? { uncapped: buildParam(rules.uncapped, `${p}.uncapped`, ctx, ['flag']) } : {}),
    };
  }
  return {
    citation: sectionCitation(ctx, c.source),
    scheme: c.scheme,
    visitTypes,
    threshold: buildParam(c.threshold, `${base}.threshold`, ctx, MONEY_UNITS),
    ratio: buildParam(c.ratio, `${base}.ratio`, ctx, ['percent']),
    cap: buildParam(c.cap, `${base}.cap`, ctx, MONEY_UNITS),
    groups,
  };
}

/** 转诊. */
function buildReferral(r: ReferralRulesFile, ctx: ParamContext): ReferralRules {
  const rules: ReferralRules = {
    citation: sectionCitation(ctx, r.source),
    unreferredRatioReduction: buildParam(r.unreferredRatioReduction, 'referral.unreferredRatioReduction', ctx, ['percentage-points']),
  };
  if (r.reductionExcludedFromCriticalIllness)
    rules.reductionExcludedFromCriticalIllness = buildParam(r.reductionExcludedFromCriticalIllness, 'referral.reductionExcludedFromCriticalIllness', ctx, ['flag']);
  return rules;
}

/** 医疗救助. */
function buildMedicalAssistance(m: MedicalAssistanceRulesFile, ctx: ParamContext): MedicalAssistanceRules {
  const base = 'medicalAssistance';
  const visitTypes = buildParam(m.visitTypes, `${base}.visitTypes`, ctx, ['list']);
  checkVisitTypes(visitTypes, ctx);
  const groups: MedicalAssistanceRules['groups'] = {};
  for (const [g, rules] of Object.entries(m.groups) as [Hardship, NonNullable<MedicalAssistanceRulesFile['groups'][Hardship]>][]) {
    if (!rules) continue;
    const p = `${base}.groups.${g}`;
    groups[g] = {
      threshold: buildParam(rules.threshold, `${p}.threshold`, ctx, MONEY_UNITS),
      ratio: buildParam(rules.ratio, `${p}.ratio`, ctx, ['percent']),
      cap: buildParam(rules.cap, `${p}.cap`, ctx, MONEY_UNITS),
    };
  }
  return { citation: sectionCitation(ctx, m.source), visitTypes, groups };
}

/** The units each condition of the maternity grant is written in. */
const MATERNITY_GRANT_UNITS = {
  claimantScheme: ['rule'],
  claimantSex: ['rule'],
  claimantInsured: ['flag'],
  contributionsPaid: ['flag'],
  flexibleWorkersExcluded: ['flag'],
  employerInsuredYears: ['years'],
  spouseWithoutEmployer: ['flag'],
  noResidentMaternityBenefit: ['flag'],
} as const satisfies Record<Exclude<keyof MaternityGrantRules, 'citation' | 'label' | 'amount'>, readonly Unit[]>;

/** 一次性生育补助金. */
function buildMaternityGrant(g: MaternityGrantRulesFile, ctx: ParamContext): MaternityGrantRules {
  const rules: MaternityGrantRules = {
    citation: sectionCitation(ctx, g.source),
    label: g.label,
    amount: buildParam(g.amount, 'maternityGrant.amount', ctx, MONEY_UNITS),
  };
  for (const [key, units] of Object.entries(MATERNITY_GRANT_UNITS) as [keyof typeof MATERNITY_GRANT_UNITS, readonly Unit[]][]) {
    const file = g[key];
    if (file) rules[key] = buildParam(file, `maternityGrant.${key}`, ctx, units);
  }
  return rules;
}

/** The sections of the fund chain past the basic fund, built from a policy or user file. */
function buildChainSections(
  f: { criticalIllness?: CriticalIllnessRulesFile | undefined; referral?: ReferralRulesFile | undefined; medicalAssistance?: MedicalAssistanceRulesFile | undefined },
  ctx: ParamContext,
): Pick<PolicyPack, 'criticalIllness' | 'referral' | 'medicalAssistance'> {
  return {
    ...(f.criticalIllness ? { criticalIllness: buildCriticalIllness(f.criticalIllness, ctx) } : {}),
    ...(f.referral ? { referral: buildReferral(f.referral, ctx) } : {}),
    ...(f.medicalAssistance ? { medicalAssistance: buildMedicalAssistance(f.medicalAssistance, ctx) } : {}),
  };
}

/** A second benefit for the same scheme and visit type is a problem. */
function checkOneBenefitPerVisitType(benefits: readonly Benefit[], problems: Problems, where: (b: Benefit) => string): void {
  const seen = new Set<string>();
  for (const b of benefits) {
    const key = `${b.scheme}/${b.visitType}`;
    if (seen.has(key)) problems.add(where(b), `a second benefit for ${b.scheme} ${b.visitType} visits`);
    seen.add(key);
  }
}

/**
 * The residents' contributions section. Every version covers whole funding years (1 January to
 * 31 December, or open), so that a funding year reads one version of each parameter.
 */
function buildContributions(c: ContributionRulesFile, ctx: ParamContext): ContributionRules {
  const built: Param[] = [];
  const param = (file: ParamFile, path: string, units: readonly Unit[], label?: string): Param => {
    const p = buildParam(file, `contributions.${path}`, ctx, units);
    if (label) p.label = label;
    built.push(p);
    return p;
  };
  const yearly = ['yuan-per-year'] as const;
  const rules: ContributionRules = {
    citation: sectionCitation(ctx, c.source),
    subsidyStandard: param(c.subsidyStandard, 'subsidyStandard', yearly),
    individual: param(c.individual, 'individual', yearly),
    assistance: {},
  };
  if (c.fundingStandard) rules.fundingStandard = param(c.fundingStandard, 'fundingStandard', yearly);
  if (c.criticalIllnessFunding) rules.criticalIllnessFunding = param(c.criticalIllnessFunding, 'criticalIllnessFunding', yearly);
  if (c.subsidyShares) {
    const shares = {} as NonNullable<ContributionRules['subsidyShares']>;
    for (const type of COUNTY_TYPES) {
      const f = c.subsidyShares[type];
      const level = (key: 'central' | 'province' | 'city' | 'county') => {
        const file = f[key];
        return file && param(file, `subsidyShares.${type}.${key}`, ['yuan-per-year', 'percent'], `${COUNTY_TYPE_LABELS[type]}${LABELS[key]}`);
      };
      const levels: SubsidyLevels = { central: level('central') as Param };
      for (const key of ['province', 'city', 'county'] as const) {
        const p = level(key);
        if (p) levels[key] = p;
      }
      shares[type] = levels;
    }
    rules.subsidyShares = shares;
  }
  for (const group of HARDSHIP_GROUPS) {
    const file = c.assistance?.[group];
    if (file) rules.assistance[group] = param(file, `assistance.${group}`, ['rule', 'yuan-per-year']);
  }
  for (const p of built) {
    for (const v of p.versions) {
      const to = v.to === null ? null : formatDate(v.to);
      if (!formatDate(v.from).endsWith('-01-01') || (to !== null && !to.endsWith('-12-31')))
        ctx.problems.add(p.path, `contributions are set by funding year: from must be 1 January and to 31 December (or open), got ${formatDate(v.from)} – ${to ?? ''}`);
    }
  }
  return rules;
}

function buildAccount(a: AccountRulesFile, ctx: ParamContext): AccountRules {
  const base = `accounts.${a.kind}`;
  const params: AccountRules['params'] = {};
  const groups: Record<string, Record<string, unknown> | undefined> = { credit: a.credit, uses: a.uses, closing: a.closing };
  const entries: [string, unknown][] = Object.entries(groups).flatMap(([g, v]) => Object.entries(v ?? {}).map(([k, p]) => [`${g}.${k}`, p] as [string, unknown]));
  if (a.carryOver) entries.push(['carryOver', a.carryOver]);
  for (const [key, file] of entries) {
    if (file === undefined) continue;
    const spec: { units: readonly Unit[]; members?: readonly string[] } = ACCOUNT_PARAMS[key as AccountParamKey];
    const param = buildParam(file as ParamFile, `${base}.${key}`, ctx, spec.units);
    for (const v of param.versions)
      for (const m of spec.members && Array.isArray(v.value) ? (v.value as string[]) : [])
        if (!spec.members?.includes(m)) ctx.problems.add(param.path, `${m} is not one of ${spec.members?.join(', ')}`);
    params[key as AccountParamKey] = param;
  }
  return { kind: a.kind, label: a.label, scheme: a.scheme, citation: sectionCitation(ctx, a.source), params };
}

/** Builds a pack from the parsed contents of a policy file. */
export function buildPack(file: string, data: unknown): PolicyPack {
  const parsed = policyFile.safeParse(data);
  if (!parsed.success) throw new PolicyFileError(file, formatIssues(parsed.error.issues));
  const f: PolicyFile = parsed.data;
  const problems = new Problems();
  const from = parseDate(f.effective.from);
  const to = f.effective.to === null ? null : parseDate(f.effective.to);
  if (from === undefined) throw new PolicyFileError(file, [`effective.from: ${f.effective.from} is not a real date`]);
  if (to === undefined) throw new PolicyFileError(file, [`effective.to: ${f.effective.to} is not a real date`]);
  const params = new Map<string, Param>();
  const ctx: ParamContext = {
    document: f.document.number,
    effectiveFrom: from,
    effectiveTo: to,
    supplied: 'document',
    problems,
    params,
  };
  const benefitIds = new Set<string>();
  const benefits = f.benefits.map((b, i) => {
    if (benefitIds.has(b.id)) problems.add(`benefits.${b.id}`, 'benefit id is used twice');
    benefitIds.add(b.id);
    return buildBenefit(b, i, ctx);
  });
  checkOneBenefitPerVisitType(benefits, problems, (b) => `benefits.${b.id}`);
  const accountKinds = new Set<string>();
  const accounts = f.accounts.map((a) => {
    if (accountKinds.has(a.kind)) problems.add(`accounts.${a.kind}`, 'a second set of rules for this account kind');
    accountKinds.add(a.kind);
    return buildAccount(a, ctx);
  });
  let enrollment: PolicyPack['enrollment'];
  if (f.enrollment) {
    const e = f.enrollment;
    enrollment = {
      concentratedPeriod: buildParam(e.concentratedPeriod, 'enrollment.concentratedPeriod', ctx, ['month-day-range']),
      coverageAfterConcentrated: buildParam(e.coverageAfterConcentrated, 'enrollment.coverageAfterConcentrated', ctx, ['rule']),
      waitingDays: buildParam(e.waitingDays, 'enrollment.waitingDays', ctx, ['days']),
      waitExemptCategories: buildParam(e.waitExemptCategories, 'enrollment.waitExemptCategories', ctx, ['list']),
      waitExemptHardship: buildParam(e.waitExemptHardship, 'enrollment.waitExemptHardship', ctx, ['list']),
      waitExemptTransfer: buildParam(e.waitExemptTransfer, 'enrollment.waitExemptTransfer', ctx, ['flag']),
    };
    for (const v of enrollment.waitExemptCategories.versions)
      for (const c of (v.value as string[] | null) ?? [])
        if (!(CATEGORIES as readonly string[]).includes(c))
          problems.add('enrollment.waitExemptCategories', `${c} is not a category (${CATEGORIES.join(', ')})`);
    for (const v of enrollment.waitExemptHardship.versions)
      for (const c of (v.value as string[] | null) ?? [])
        if (!(HARDSHIP_GROUPS as readonly string[]).includes(c))
          problems.add('enrollment.waitExemptHardship', `${c} is not a hardship group (${HARDSHIP_GROUPS.join(', ')})`);
  }
  const contributions = f.contributions ? buildContributions(f.contributions, ctx) : undefined;
  const chain = buildChainSections(f, ctx);
  const maternityGrant = f.maternityGrant ? buildMaternityGrant(f.maternityGrant, ctx) : undefined;
  const groups: PolicyPack['groups'] = {};
  for (const [group, entries] of Object.entries(f.parameters)) {
    groups[group] = {};
    for (const [name, p] of Object.entries(entries)) {
      (groups[group] as Record<string, Param>)[name] = buildParam(p, `parameters.${group}.${name}`, ctx);
    }
  }
  const reported = (path: string) => problems.list.some((line) => line.startsWith(`${path}:`) || line.startsWith(`${path}[`));
  for (const [path, problem] of floorsFileProblems(f.role, params, reported)) problems.add(path, problem);
  if (problems.list.length > 0) throw new PolicyFileError(file, problems.list);
  const pack: PolicyPack = {
    id: f.id,
    file,
    document: f.document,
    region: { code: f.region.code, name: f.region.name, aliases: f.region.aliases },
    role: f.role,
    schemes: f.schemes,
    effective: { from, to, citation: `${f.document.number} ${f.effective.source}` },
    benefits,
    accounts,
    ...chain,
    groups,
    params,
    overlays: [],
  };
  if (f.region.parent) pack.region.parent = f.region.parent;
  if (f.effective.quote) pack.effective.quote = f.effective.quote;
  if (f.effective.note) pack.effective.note = f.effective.note;
  if (enrollment) pack.enrollment = enrollment;
  if (contributions) pack.contributions = contributions;
  if (maternityGrant) pack.maternityGrant = maternityGrant;
  return pack;
}

/** Loads one policy file from disk. */
export function loadPolicyFile(path: string): PolicyPack {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PolicyFileError(path, [`cannot be read: ${(e as Error).message}`]);
  }
  return buildPack(path, parseYaml(path, text));
}

/** Loads every `*.yaml` policy file in a folder (the built-in packs by default). */
export function loadPolicyDir(dir: string = BUILTIN_POLICY_DIR): PolicyPack[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  const packs = files.map((f) => loadPolicyFile(join(dir, f)));
  const ids = new Set<string>();
  for (const p of packs) {
    if (ids.has(p.id)) throw new PolicyFileError(p.file, [`id: ${p.id} is used by another policy file`]);
    ids.add(p.id);
  }
  return packs;
}

/**
 * Layers a user's policy file over the packs: each parameter it names replaces the pack's versions
 * for the dates it gives, marked as user-supplied. Returns new packs; the input is not changed.
 * Naming a parameter the pack does not have is an error; overriding a value the document gives is
 * reported as a conflict (and refused), so a user file can only fill what the documents leave open.
 */
export function applyOverlay(packs: PolicyPack[], path: string, data?: unknown): PolicyPack[] {
  let raw = data;
  if (raw === undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new PolicyFileError(path, [`cannot be read: ${(e as Error).message}`]);
    }
    raw = parseYaml(path, text);
  }
  const parsed = overlayFile.safeParse(raw);
  if (!parsed.success) throw new PolicyFileError(path, formatIssues(parsed.error.issues));
  const o = parsed.data;
  const target = packs.find((p) => p.id === o.extends);
  if (!target) throw new PolicyFileError(path, [`extends: there is no policy pack ${o.extends} (known: ${packs.map((p) => p.id).join(', ')})`]);
  const problems = new Problems();
  const params = new Map(target.params);
  const ctx: ParamContext = {
    document: path,
    effectiveFrom: target.effective.from,
    effectiveTo: target.effective.to,
    supplied: 'user',
    suppliedBy: path,
    problems,
    params,
  };
  const replaced = new Map<Param, Param>();
  for (const [p, value] of Object.entries(o.parameters)) {
    const existing = target.params.get(p);
    if (!existing) {
      problems.add(`parameters.${p}`, `${target.id} has no parameter ${p}`);
      continue;
    }
    const unitsOf = new Set(existing.versions.map((v) => v.unit));
    const next = buildParam(value, p, ctx, [...unitsOf]);
    for (const v of next.versions) {
      const clash = existing.versions.find(
        (e) => e.value !== null && e.from <= (v.to ?? Infinity) && (e.to ?? Infinity) >= v.from,
      );
      if (clash)
        problems.add(`parameters.${p}`, `conflicts with ${clash.citation}, which gives ${clash.text}; a user file may only fill parameters the documents leave open`);
    }
    // Keep the document's versions (including the missing ones, for the record) where the user gives none.
    const kept = existing.versions.filter(
      (e) => !next.versions.some((v) => e.from <= (v.to ?? Infinity) && (e.to ?? Infinity) >= v.from),
    );
    const merged: Param = { ...existing, versions: [...kept, ...next.versions].sort((a, b) => a.from - b.from) };
    params.set(p, merged);
    replaced.set(existing, merged);
  }
  // Whole benefits and sections the pack does not have, every value marked as the user's.
  const added = o.benefits.map((b, i) => {
    if (target.benefits.some((x) => x.id === b.id)) problems.add(`benefits.${b.id}`, `${target.id} already has a benefit ${b.id}`);
    return buildBenefit(b, i, ctx);
  });
  checkOneBenefitPerVisitType([...target.benefits, ...added], problems, (b) => `benefits.${b.id}`);
  for (const section of ['criticalIllness', 'referral', 'medicalAssistance'] as const) {
    if (o[section] && target[section]) problems.add(section, `${target.id} already has ${section} rules (${target[section]?.citation}); a user file may only add what the documents leave out`);
  }
  const sections = buildChainSections(o, ctx);
  if (problems.list.length > 0) throw new PolicyFileError(path, problems.list);
  const swap = <T extends Param | undefined>(p: T): T => (p && replaced.has(p) ? (replaced.get(p) as T) : p);
  const swapObject = <T extends object>(obj: T): T => {
    const out = { ...obj } as Record<string, unknown>;
    for (const [k, v] of Object.entries(out)) {
      if (v && typeof v === 'object' && 'versions' in v) out[k] = swap(v as Param);
    }
    return out as T;
  };
  const benefits = target.benefits.map((b) => {
    const nb = swapObject(b);
    if (nb.kind === 'pooling') {
      nb.classes = nb.classes.map((c) => swapObject(c));
      const cats: typeof nb.categories = {};
      for (const [k, v] of Object.entries(nb.categories)) {
        const classes: CategoryOverride['classes'] = {};
        for (const [ci, cv] of Object.entries(v.classes)) classes[ci] = swapObject(cv);
        cats[k as Category] = { ...swapObject(v), classes };
      }
      nb.categories = cats;
    }
    return nb;
  });
  const groups: PolicyPack['groups'] = {};
  for (const [g, entries] of Object.entries(target.groups)) groups[g] = swapObject(entries);
  const accounts = target.accounts.map((a) => ({ ...a, params: swapObject(a.params) }));
  const swapGroups = <G extends object>(groups: Partial<Record<Hardship, G>>) =>
    Object.fromEntries(Object.entries(groups).map(([g, rules]) => [g, swapObject(rules as G)])) as Partial<Record<Hardship, G>>;
  const chain: Pick<PolicyPack, 'criticalIllness' | 'referral' | 'medicalAssistance'> = {};
  const ci = target.criticalIllness ?? sections.criticalIllness;
  if (ci) chain.criticalIllness = { ...swapObject(ci), groups: swapGroups(ci.groups) };
  const referral = target.referral ?? sections.referral;
  if (referral) chain.referral = swapObject(referral);
  const assistance = target.medicalAssistance ?? sections.medicalAssistance;
  if (assistance) chain.medicalAssistance = { ...swapObject(assistance), groups: swapGroups(assistance.groups) };
  const next: PolicyPack = {
    ...target,
    benefits: [...benefits, ...added],
    accounts,
    ...chain,
    groups,
    params,
    overlays: [...target.overlays, path],
  };
  if (target.enrollment) next.enrollment = swapObject(target.enrollment);
  if (target.maternityGrant) next.maternityGrant = swapObject(target.maternityGrant);
  if (target.contributions) {
    const c = target.contributions;
    const shares = c.subsidyShares && { western: swapObject(c.subsidyShares.western), ordinary: swapObject(c.subsidyShares.ordinary) };
    next.contributions = { ...swapObject(c), assistance: swapObject(c.assistance), ...(shares ? { subsidyShares: shares } : {}) };
  }
  return packs.map((p) => (p === target ? next : p));
}
