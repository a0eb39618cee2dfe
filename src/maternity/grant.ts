/**
 * The one-time maternity grant (一次性生育补助金): a claim by an insured employee whose spouse gave
 * birth, decided against each condition of the article in force on the day of the birth
 * (洛医保〔2023〕63号 四(三)2, with 四(一) and 四(二)).
 *
 * Pure: the claim carries the facts the agency has verified (who the claimant is, his employer's
 * maternity insurance, his spouse's employment and benefits, the birth); the policy gives the
 * amount and the conditions, each a cited parameter (`maternityGrant` in the policy file). Every
 * condition is checked and reported, met or not, with its article and the document's words; the
 * grant is paid when all are met. No I/O, no clock.
 */
import { formatDate, yearsLater, type DayNumber } from '../calendar/calendar.js';
import { EMPLOYMENT_LABELS, type Employment, type Scheme } from '../domain.js';
import { versionAt } from '../policy/model.js';
import { SettlementError, type MissingParameter } from '../engine/errors.js';
import type { TraceStep } from '../engine/types.js';
import { formatYuan, toYuanNumber, type Fen } from '../money/money.js';
import type { MaternityGrantRules, Param, ParamVersion, PolicyPack } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';

/** The claimant's sex, as the agency has it on record. */
export const SEXES = ['male', 'female'] as const;
export type Sex = (typeof SEXES)[number];

/** A claim for the grant: the facts the agency verifies. */
export interface MaternityGrantClaim {
  claimant: {
    id: string;
    /** admdvs code of the region where he is insured. */
    region: string;
    scheme: Scheme;
    sex: Sex;
    /** Employees: employee of an employer (用人单位在职职工) or flexible worker (灵活就业人员). */
    employment?: Employment;
    /** Insured for maternity at the birth (参加生育保险). */
    maternityInsured: boolean;
    /** He and his employer paid the maternity contributions on time and in full (按时足额缴纳生育保险费). */
    contributionsPaid: boolean;
  };
  /** His employer (所在单位), when he has one: the first day of its maternity insurance, continuous to the birth. */
  employer?: { maternityInsuredSince: DayNumber };
  spouse: {
    /** The spouse has an employer (有工作单位) at the birth. */
    hasEmployer: boolean;
    /** The spouse has had the residents' maternity benefit (城乡居民医保生育待遇) for this birth. */
    residentMaternityBenefit: boolean;
  };
  /** The day the spouse gave birth (生育). */
  birthDate: DayNumber;
}

/** The stable names of the conditions, in the order they are checked. */
export const GRANT_CONDITIONS = [
  'employee',
  'male',
  'not-flexible',
  'maternity-insured',
  'contributions-paid',
  'employer-insured',
  'spouse-without-employer',
  'no-resident-maternity-benefit',
] as const;
export type GrantConditionName = (typeof GRANT_CONDITIONS)[number];

/** One condition of the article, checked against the claim. */
export interface GrantCondition {
  condition: GrantConditionName;
  /** Chinese, e.g. 配偶无工作单位. */
  label: string;
  met: boolean;
  /** `document article` (marked when a user file supplied it). */
  source: string;
  /** The document's words. */
  quote?: string;
  /** What was found, for the clerk (Chinese). */
  text: string;
}

export interface MaternityGrantDecision {
  claimant: string;
  region: string;
  regionName: string;
  policy: string;
  policyId: string;
  birthDate: DayNumber;
  granted: boolean;
  /** What the fund pays: the amount when granted, else 0. */
  amount: Fen;
  /** The grant's amount under the policy, whether granted or not. */
  standard: Fen;
  /** Every condition the policy sets, met or not. */
  conditions: GrantCondition[];
  /** The conditions not met: each a reason for refusing, with its article. */
  refusals: GrantCondition[];
  trace: TraceStep[];
}

const LABELS: Record<GrantConditionName, string> = {
  employee: '申领人为职工医保参保人员',
  male: '申领人为男职工',
  'not-flexible': '申领人不是以职工身份参保的灵活就业人员',
  'maternity-insured': '申领人参加生育保险',
  'contributions-paid': '按时足额缴纳生育保险费',
  'employer-insured': '所在单位参加生育保险满规定年限',
  'spouse-without-employer': '配偶无工作单位',
  'no-resident-maternity-benefit': '配偶未享受城乡居民医保生育待遇',
};

const SCHEME_TEXT: Record<Scheme, string> = { employee: '职工医保参保人员', resident: '城乡居民医保参保人员' };
const SEX_TEXT: Record<Sex, string> = { male: '男', female: '女' };

/** The version of a parameter on the day of the birth. */
function on(param: Param | undefined, day: DayNumber): ParamVersion | undefined {
  return param ? versionAt(param, day) : undefined;
}

function citationOf(v: ParamVersion): string {
  return v.supplied === 'user' ? `${v.citation}（用户提供）` : v.citation;
}

/**
 * The pack in force in the claimant's region on the day of the birth that gives the grant (the
 * most local first).
 *
 * @throws SettlementError NO_POLICY_IN_FORCE, or NO_BENEFIT_RULE when the policies in force give no grant.
 */
function governingPack(policies: PolicySet, region: string, day: DayNumber): PolicyPack & { maternityGrant: MaternityGrantRules } {
  const chain = policies.chain(region, day);
  if (chain.length === 0) throw new SettlementError('NO_POLICY_IN_FORCE', `birth on ${formatDate(day)}: ${policies.describeInForce(region, day)}`);
  const found = chain.find((p): p is PolicyPack & { maternityGrant: MaternityGrantRules } => p.maternityGrant !== undefined);
  if (found) return found;
  const elsewhere = policies
    .lineage(region)
    .flatMap((code) => policies.packs.filter((p) => p.region.code === code && p.maternityGrant).map((p) => `${p.document.number} from ${formatDate(p.effective.from)}`));
  throw new SettlementError(
    'NO_BENEFIT_RULE',
    `birth on ${formatDate(day)}: no policy in force gives a one-time maternity grant (一次性生育补助金); ${policies.describeInForce(region, day)}` +
      (elsewhere.length > 0 ? `; the grant is given by ${elsewhere.join(', ')}` : ''),
  );
}

/**
 * Decides a claim.
 *
 * @throws SettlementError NO_POLICY_IN_FORCE or NO_BENEFIT_RULE (no policy gives the grant on the
 *   day of the birth), MISSING_PARAMETER (the policy names a figure it does not give).
 */
export function decideMaternityGrant(policies: PolicySet, claim: MaternityGrantClaim): MaternityGrantDecision {
  const day = claim.birthDate;
  const c = claim.claimant;
  const pack = governingPack(policies, c.region, day);
  const rules = pack.maternityGrant;
  const doc = pack.document.number;

  // Every parameter the decision reads must have a value for the day.
  const missing: MissingParameter[] = [];
  const read = (param: Param | undefined): ParamVersion | undefined => {
    const v = on(param, day);
    if (param && (!v || v.value === null)) {
      missing.push({
        path: param.path,
        label: param.label,
        citation: v?.citation ?? param.versions[0]?.citation ?? '（无）',
        reason: v?.missing ?? `no value on ${formatDate(day)}`,
      });
      return undefined;
    }
    return v;
  };
  const amountV = read(rules.amount);
  const versions = {
    claimantScheme: read(rules.claimantScheme),
    claimantSex: read(rules.claimantSex),
    flexibleWorkersExcluded: read(rules.flexibleWorkersExcluded),
    claimantInsured: read(rules.claimantInsured),
    contributionsPaid: read(rules.contributionsPaid),
    employerInsuredYears: read(rules.employerInsuredYears),
    spouseWithoutEmployer: read(rules.spouseWithoutEmployer),
    noResidentMaternityBenefit: read(rules.noResidentMaternityBenefit),
  };
  if (missing.length > 0) {
    const list = missing.map((m) => `${m.path} (${m.label}; ${m.citation}: ${m.reason})`).join('; ');
    throw new SettlementError(
      'MISSING_PARAMETER',
      `cannot decide a ${rules.label} claim under ${doc}: missing parameter${missing.length > 1 ? 's' : ''} ${list}. Supply ${missing.length > 1 ? 'them' : 'it'} in a user policy file (--policy-file).`,
      missing,
    );
  }
  const standard = (amountV as ParamVersion).value as Fen;

  const conditions: GrantCondition[] = [];
  const check = (condition: GrantConditionName, v: ParamVersion | undefined, met: boolean, text: string) => {
    if (!v) return;
    const out: GrantCondition = { condition, label: LABELS[condition], met, source: citationOf(v), text };
    if (v.quote) out.quote = v.quote;
    conditions.push(out);
  };
  /** A flag condition: checked only where the document sets it. */
  const flag = (v: ParamVersion | undefined) => (v?.value === true ? v : undefined);

  const scheme = versions.claimantScheme;
  check(
    'employee',
    scheme,
    c.scheme === scheme?.value,
    `申领人为${SCHEME_TEXT[c.scheme]}${c.scheme === scheme?.value ? '' : `，不是${SCHEME_TEXT[scheme?.value as Scheme] ?? String(scheme?.value)}`}。`,
  );
  const sex = versions.claimantSex;
  check(
    'male',
    sex,
    c.sex === sex?.value,
    `申领人性别为${SEX_TEXT[c.sex]}${c.sex === sex?.value ? '' : `，本待遇由${SEX_TEXT[sex?.value as Sex] ?? String(sex?.value)}职工申领（女职工本人生育享受生育医疗等待遇）`}。`,
  );
  const flexible = c.employment === 'flexible';
  check(
    'not-flexible',
    flag(versions.flexibleWorkersExcluded),
    !flexible,
    flexible
      ? `申领人为${EMPLOYMENT_LABELS.flexible}，个人不缴纳生育保险费，不享受一次性生育补助金。`
      : `申领人为${c.employment ? EMPLOYMENT_LABELS[c.employment] : SCHEME_TEXT[c.scheme]}，不是以职工身份参保的灵活就业人员。`,
  );
  check('maternity-insured', flag(versions.claimantInsured), c.maternityInsured, c.maternityInsured ? '生育时申领人参加生育保险。' : '生育时申领人未参加生育保险。');
  check(
    'contributions-paid',
    flag(versions.contributionsPaid),
    c.contributionsPaid,
    c.contributionsPaid ? '用人单位及申领人按时足额缴纳生育保险费。' : '用人单位及申领人未按时足额缴纳生育保险费。',
  );
  const years = versions.employerInsuredYears;
  if (years) {
    const n = years.value as number;
    const since = claim.employer?.maternityInsuredSince;
    // Insured from D: the period runs D+1 … the same date n years on (民法典 第二百零一条、第二百零二条); complete the day after.
    const completeFrom = since === undefined ? undefined : yearsLater(since, n) + 1;
    const met = completeFrom !== undefined && day >= completeFrom;
    check(
      'employer-insured',
      years,
      met,
      since === undefined || completeFrom === undefined
        ? `申领人无所在单位（用人单位），不符合所在单位参加生育保险满${n}年的条件。`
        : `所在单位自${formatDate(since)}参加生育保险，${formatDate(completeFrom)}起满${n}年；配偶于${formatDate(day)}生育，${met ? '已满' : '未满'}${n}年。`,
    );
  }
  const s = claim.spouse;
  check('spouse-without-employer', flag(versions.spouseWithoutEmployer), !s.hasEmployer, s.hasEmployer ? '配偶有工作单位。' : '配偶无工作单位。');
  check(
    'no-resident-maternity-benefit',
    flag(versions.noResidentMaternityBenefit),
    !s.residentMaternityBenefit,
    s.residentMaternityBenefit ? '配偶本次生育已享受城乡居民医保生育待遇，职工基本医疗保险基金不再支付一次性生育补助金。' : '配偶本次生育未享受城乡居民医保生育待遇。',
  );

  const refusals = conditions.filter((x) => !x.met);
  const granted = refusals.length === 0;
  const amount = granted ? standard : 0;
  const regionName = policies.region(c.region)?.name ?? c.region;
  const trace: TraceStep[] = [
    {
      step: 'policy',
      source: rules.citation,
      policy: doc,
      birthDate: formatDate(day),
      text: `配偶于${formatDate(day)}生育，申领人在${regionName}参保，适用${doc}：${rules.label}，定额${formatYuan(standard)}元。`,
    },
    ...conditions.map(
      (x): TraceStep => ({ step: 'condition', source: x.source, condition: x.condition, met: x.met, text: `${x.met ? '符合' : '不符合'}（${x.label}）：${x.text}` }),
    ),
    {
      step: 'result',
      source: citationOf(amountV as ParamVersion),
      granted,
      amount: toYuanNumber(amount),
      text: granted
        ? `各项条件均符合，支付${rules.label}${formatYuan(amount)}元。`
        : `不予支付${rules.label}，不符合：${refusals.map((x) => `${x.label}（${x.source}）`).join('；')}。`,
    },
  ];
  return { claimant: c.id, region: c.region, regionName, policy: doc, policyId: pack.id, birthDate: day, granted, amount, standard, conditions, refusals, trace };
}

/** A decision as JSON, amounts in yuan. */
export function maternityGrantJson(d: MaternityGrantDecision, options: { trace?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    claim: 'maternity-grant',
    claimant: d.claimant,
    region: d.region,
    regionName: d.regionName,
    policy: d.policy,
    policyId: d.policyId,
    birthDate: formatDate(d.birthDate),
    granted: d.granted,
    amount: toYuanNumber(d.amount),
    standard: toYuanNumber(d.standard),
    conditions: d.conditions,
    refusals: d.refusals,
  };
  if (options.trace !== false) out.trace = d.trace;
  return out;
}
