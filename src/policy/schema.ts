/**
 * The policy file format (`format: yibao-policy/1`), as a zod schema.
 *
 * One file per document. Every number is a *parameter*: a value with its unit, its source (the
 * article of the document, e.g. `二(一)2` or `第十二条(一)`), ideally the quoted original
 * sentence, and its effective dates (which default to the document's). A parameter whose value
 * changes over time is a list of dated versions. A parameter the document names but does not give
 * is written with `value: null` and `missing:` saying why; settling anything that needs it fails
 * with that name until a user policy file supplies it.
 *
 * See docs/policy-format.md for the whole format with examples.
 */
import { z } from 'zod';
import { CATEGORIES, GRADES, HARDSHIP_GROUPS, SCHEMES, TIERS, VISIT_TYPES } from '../domain.js';

export const ISO_DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;
const isoDate = z.string().regex(ISO_DATE_TEXT, 'must be a date YYYY-MM-DD');

/**
 * Units, and what a value in that unit looks like. Money is written in yuan as in the documents;
 * the loader turns it into integer fen, and percentages into basis points.
 */
export const UNITS = {
  yuan: 'an amount in yuan (元)',
  'yuan-per-visit': 'an amount in yuan per visit (元/次)',
  'yuan-per-case': 'an amount in yuan per case (元/例)',
  'yuan-per-year': 'an amount in yuan per person per year (元/人/年)',
  'yuan-per-month': 'an amount in yuan per month (元/月)',
  percent: 'a percentage 0–100 (%)',
  'percentage-points': 'percentage points (个百分点)',
  days: 'a whole number of days (天)',
  years: 'a whole number of years (年)',
  count: 'a whole number',
  rule: 'the name of a rule',
  'month-day-range': 'a yearly period { from: MM-DD, to: MM-DD }',
  flag: 'true or false',
  list: 'a list of names',
} as const;
export type Unit = keyof typeof UNITS;
export const MONEY_UNITS: readonly Unit[] = ['yuan', 'yuan-per-visit', 'yuan-per-case', 'yuan-per-year', 'yuan-per-month'];
export const RATE_UNITS: readonly Unit[] = ['percent', 'percentage-points'];

const unitNames = Object.keys(UNITS) as [Unit, ...Unit[]];

/**
 * What a provincial floor bounds in a city's policy (`compares:`, only in a `role: floors` file;
 * checked by `yibao policy check`). Class ids are each city's own naming, so a class parameter is
 * named by institution tier: the city's classes that institutions of those tiers are settled in.
 * Exactly one of: a benefit parameter (`scheme`, `visitType`, `parameter`, and `tiers` for a
 * class parameter), a `path` every city file puts in the same place (contributions.*,
 * enrollment.*), or `none` saying why no city parameter corresponds (e.g. an outcome of the fund).
 */
export const FLOOR_TARGET_PARAMETERS = ['ratio', 'deductible', 'deductibleWindow', 'cap', 'amount'] as const;
export type FloorTargetParameter = (typeof FLOOR_TARGET_PARAMETERS)[number];
export const floorTarget = z.strictObject({
  scheme: z.enum(SCHEMES).optional(),
  visitType: z.enum(VISIT_TYPES).optional(),
  parameter: z.enum(FLOOR_TARGET_PARAMETERS).optional(),
  tiers: z.array(z.enum(TIERS)).min(1).optional(),
  path: z.string().min(1).optional(),
  none: z.string().min(1).optional(),
  /** The project's reading of the comparison, printed with it. */
  note: z.string().optional(),
});
export type FloorTarget = z.infer<typeof floorTarget>;

const paramVersion = z.strictObject({
  value: z.unknown(),
  unit: z.enum(unitNames, { error: `must be one of ${unitNames.join(', ')}` }),
  source: z.string({ error: 'is required: the article or section of the document' }).min(1, 'must name the article or section'),
  quote: z.string().min(1).optional(),
  document: z.string().min(1).optional(),
  note: z.string().optional(),
  from: isoDate.optional(),
  to: isoDate.nullable().optional(),
  missing: z.string().min(1).optional(),
  bound: z.enum(['at-least', 'about', 'exactly']).optional(),
  /** Checked with {@link floorTarget} by the loader, so that its problems name their field (a union hides them). */
  compares: z.record(z.string(), z.unknown(), { error: 'must be a mapping (see floor targets in docs/policy-format.md)' }).optional(),
});
export type ParamVersionFile = z.infer<typeof paramVersion>;

/** A parameter: one version, or a list of dated versions. */
export const paramFile = z.union([paramVersion, z.array(paramVersion).min(1)], {
  error: 'must be a parameter { value, unit, source, ... } or a list of dated versions',
});
export type ParamFile = z.infer<typeof paramFile>;

const institutionClass = z.strictObject({
  id: z.string().min(1),
  label: z.string().min(1),
  match: z
    .strictObject({
      tiers: z.array(z.enum(TIERS)).optional(),
      grades: z.array(z.union(GRADES.map((g) => z.literal(g)) as [z.ZodLiteral<0>, z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>])).optional(),
    })
    .refine((m) => (m.tiers?.length ?? 0) + (m.grades?.length ?? 0) > 0, 'must name at least one tier or grade'),
  deductible: paramFile,
  ratio: paramFile,
});

const categoryOverride = z.strictObject({
  cap: paramFile.optional(),
  ratioBonus: paramFile.optional(),
  classes: z.record(z.string(), z.strictObject({ deductible: paramFile.optional(), ratio: paramFile.optional() })).optional(),
});

const benefitBase = {
  id: z.string().regex(/^[a-z0-9-]+$/, 'must be lower-case letters, digits and dashes'),
  label: z.string().min(1),
  visitType: z.enum(VISIT_TYPES),
  scheme: z.enum(SCHEMES),
  source: z.string().min(1),
  contractedOnly: paramFile,
};

/** Pooled benefit: deductible, ratio and annual cap by institution class (门诊统筹 and the like). */
const poolingBenefit = z.strictObject({
  ...benefitBase,
  kind: z.literal('pooling'),
  capBucket: z.string().regex(/^[a-z0-9-]+$/),
  /** Needed only when some class has a deductible: natural-day (the China calendar day) or per-visit. */
  deductibleWindow: paramFile.optional(),
  classes: z.array(institutionClass).min(1),
  cap: paramFile,
  familyDoctorBonus: paramFile.optional(),
  /** Tiers of the signed institution at which the family-doctor bonus applies (e.g. 基层 only). */
  familyDoctorTiers: z.array(z.enum(TIERS)).min(1).optional(),
  categories: z.partialRecord(z.enum(CATEGORIES), categoryOverride).optional(),
  /** Not paid while the person is in hospital (flag; 住院期间不享受门诊统筹待遇). */
  notDuringStay: paramFile.optional(),
  /**
   * Paid only to those whose personal-account structure was adjusted (flag; 通过调整个人账户结构增加统筹
   * 基金收入的参保人员享受): a person with `accountReformed: false` gets nothing from it.
   */
  accountReformRequired: paramFile.optional(),
});

/** A fixed or limited amount per case (限额 / 定额): the fund pays the eligible cost up to it. */
const amountLimitBenefit = z.strictObject({
  ...benefitBase,
  kind: z.literal('amount-limit'),
  amount: paramFile,
});

export const benefitFile = z.discriminatedUnion('kind', [poolingBenefit, amountLimitBenefit]);
export type BenefitFile = z.infer<typeof benefitFile>;
export type PoolingBenefitFile = z.infer<typeof poolingBenefit>;

const enrollmentRules = z.strictObject({
  concentratedPeriod: paramFile,
  coverageAfterConcentrated: paramFile,
  waitingDays: paramFile,
  waitExemptCategories: paramFile,
  waitExemptHardship: paramFile,
  waitExemptTransfer: paramFile,
});

/**
 * How the per-person fiscal subsidy is shared between levels of government, for one county type.
 * Each level is an amount (yuan-per-year) or a share of the subsidy (percent). A level the
 * document leaves to another text is `value: null` with `missing:`; the part not split is then
 * reported as local (地方) and unsplit.
 */
const subsidyLevels = z.strictObject({
  central: paramFile,
  province: paramFile.optional(),
  city: paramFile.optional(),
  county: paramFile.optional(),
});

/**
 * Residents' contributions (城乡居民医保筹资) by funding year: every version covers whole calendar
 * years (from 1 January, to 31 December or open), the funding year(s) it governs.
 */
const contributionRules = z.strictObject({
  /** Article the section as a whole comes from. */
  source: z.string().min(1),
  /** 筹资标准 per person, where the document states it (checked: subsidy + individual). */
  fundingStandard: paramFile.optional(),
  /** 人均财政补助标准. */
  subsidyStandard: paramFile,
  /** 个人缴费标准. */
  individual: paramFile,
  /** 各级财政补助: 享受西部大开发政策的县 (western) and the others (ordinary). */
  subsidyShares: z.strictObject({ western: subsidyLevels, ordinary: subsidyLevels }).optional(),
  /** 资助参保 by hardship group: `full` (全额资助), an amount (定额资助), or `may-follow-dibao` (可参照低保对象标准). */
  assistance: z.partialRecord(z.enum(HARDSHIP_GROUPS), paramFile).optional(),
  /** 大病保险人均筹资, reported with the breakdown (part of the funding, not added to it). */
  criticalIllnessFunding: paramFile.optional(),
});
export type ContributionRulesFile = z.infer<typeof contributionRules>;

/**
 * 大病保险 (critical-illness insurance): the year's accumulated in-catalogue cost the person paid
 * themselves for the listed visit types, above a threshold, paid at a ratio up to an annual cap;
 * hardship groups may have their own threshold and ratio, or no cap.
 */
const criticalIllnessRules = z.strictObject({
  source: z.string().min(1),
  scheme: z.enum(SCHEMES),
  /** Visit types whose in-catalogue self-paid cost counts (list), e.g. [inpatient] for 住院费用. */
  visitTypes: paramFile,
  threshold: paramFile,
  ratio: paramFile,
  cap: paramFile,
  groups: z.partialRecord(z.enum(HARDSHIP_GROUPS), z.strictObject({ threshold: paramFile.optional(), ratio: paramFile.optional(), uncapped: paramFile.optional() })).optional(),
});
export type CriticalIllnessRulesFile = z.infer<typeof criticalIllnessRules>;

/** 转诊: treatment outside the county without referral and filing lowers the ratio. */
const referralRules = z.strictObject({
  source: z.string().min(1),
  /** Percentage points off the treating hospital's ratio (下浮). */
  unreferredRatioReduction: paramFile,
  /** The lowered part does not count toward critical-illness insurance (flag). */
  reductionExcludedFromCriticalIllness: paramFile.optional(),
});
export type ReferralRulesFile = z.infer<typeof referralRules>;

/**
 * 医疗救助 (medical assistance), by hardship group: what the person still pays of the in-catalogue
 * cost after the basic fund and critical-illness insurance, above a yearly threshold, at a ratio,
 * up to a yearly cap.
 */
const medicalAssistanceRules = z.strictObject({
  source: z.string().min(1),
  /** Visit types it pays for (list). */
  visitTypes: paramFile,
  groups: z.partialRecord(z.enum(HARDSHIP_GROUPS), z.strictObject({ threshold: paramFile, ratio: paramFile, cap: paramFile })),
});
export type MedicalAssistanceRulesFile = z.infer<typeof medicalAssistanceRules>;

/**
 * 一次性生育补助金 (one-time maternity grant), claimed by an employee whose spouse gave birth: the
 * amount and each condition of the article, a cited parameter each (a flag set to false, or a
 * condition left out, is not checked). See src/maternity/ and docs/policy-format.md.
 */
const maternityGrantRules = z.strictObject({
  /** Article the grant as a whole comes from. */
  source: z.string().min(1),
  label: z.string().min(1),
  /** The fixed amount per birth (定额), yuan-per-case. */
  amount: paramFile,
  /** The claimant's scheme (rule: employee, 职工). */
  claimantScheme: paramFile.optional(),
  /** The claimant's sex (rule: male, 男职工). */
  claimantSex: paramFile.optional(),
  /** The claimant is insured for maternity (flag, 参加生育保险). */
  claimantInsured: paramFile.optional(),
  /** Employer and employee paid the maternity contributions on time and in full (flag, 按时足额缴纳生育保险费). */
  contributionsPaid: paramFile.optional(),
  /** Flexible workers insured as employees do not get it (flag, 灵活就业人员…不享受一次性生育补助金). */
  flexibleWorkersExcluded: paramFile.optional(),
  /** Whole years the claimant's employer has been insured for maternity at the birth (years, 所在单位参加生育保险满1年). */
  employerInsuredYears: paramFile.optional(),
  /** The spouse has no employer (flag, 配偶（无工作单位）). */
  spouseWithoutEmployer: paramFile.optional(),
  /** The spouse took no residents' maternity benefit for the birth (flag, 未享受城乡居民基本医疗保险生育待遇). */
  noResidentMaternityBenefit: paramFile.optional(),
});
export type MaternityGrantRulesFile = z.infer<typeof maternityGrantRules>;

/** The kinds of medical-insurance account yibao models (see src/account/). */
export const ACCOUNT_KINDS = ['employee-personal', 'resident-family'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * The rules of a medical-insurance account (个人账户 / 个人（家庭）账户), each a cited parameter.
 * Every key is optional: an operation whose rule the document does not state is refused, naming
 * the account's article; a rule written with `value: null` and `missing:` makes the operation fail
 * with MISSING_PARAMETER. See docs/policy-format.md.
 */
const accountRules = z.strictObject({
  kind: z.enum(ACCOUNT_KINDS),
  label: z.string().min(1),
  scheme: z.enum(SCHEMES),
  source: z.string().min(1),
  credit: z
    .strictObject({
      /** Active employees: percent of their own contribution base, credited monthly. */
      activeRate: paramFile.optional(),
      /** Retirees: a fixed amount per month. */
      retiredMonthly: paramFile.optional(),
      /** Active insured paying at the employer rate get no account (flag). */
      employerRateNoAccount: paramFile.optional(),
      /** Retirees get the account only with the required contribution years (flag). */
      retiredNeedsRequiredYears: paramFile.optional(),
      /** Whether money is still allocated to the account at all (flag; false = no new credits). */
      allocation: paramFile.optional(),
    })
    .optional(),
  /** Balances carry over from year to year (flag). */
  carryOver: paramFile.optional(),
  uses: z
    .strictObject({
      /** Visit types whose costs the account may pay (list). */
      visitTypes: paramFile.optional(),
      /** Which part of a visit's cost: whole-own-share | in-scope-own-share (rule). */
      visitShare: paramFile.optional(),
      /** Only at contracted (定点) institutions and pharmacies (flag). */
      contractedOnly: paramFile.optional(),
      /** Purchases at contracted retail pharmacies (flag). */
      pharmacy: paramFile.optional(),
      /** Who besides the holder may use it for medical costs: spouse, parent, child, household (list). */
      familyMedical: paramFile.optional(),
      /** Relatives whose residents' contributions it may pay: spouse, parent, child (list). */
      familyResidentContribution: paramFile.optional(),
      /** The holder's own supplementary (大额医疗费用补助) contribution (flag). */
      ownSupplementaryContribution: paramFile.optional(),
      /** Uses it must never pay: public-health, fitness, wellness... (list). */
      prohibited: paramFile.optional(),
    })
    .optional(),
  closing: z
    .strictObject({
      /** The balance moves with the insurance relationship to another pooling region (flag). */
      transferOut: paramFile.optional(),
      /** One-time refund to the holder when the relationship moves and cannot be transferred (flag). */
      refundIfNoTransfer: paramFile.optional(),
      /** On death the balance is paid once to the lawful heirs (flag). */
      inheritance: paramFile.optional(),
    })
    .optional(),
});
export type AccountRulesFile = z.infer<typeof accountRules>;

/** Relatives an account may serve (第七条: 配偶、父母、子女), and a family account's household. */
export const ACCOUNT_RELATIONS = ['spouse', 'parent', 'child', 'household'] as const;
export type AccountRelation = (typeof ACCOUNT_RELATIONS)[number];

/** Each account rule (as `group.name`), the units it may be written in, and the names a list may hold. */
export const ACCOUNT_PARAMS = {
  'credit.activeRate': { units: ['percent'] },
  'credit.retiredMonthly': { units: ['yuan-per-month'] },
  'credit.employerRateNoAccount': { units: ['flag'] },
  'credit.retiredNeedsRequiredYears': { units: ['flag'] },
  'credit.allocation': { units: ['flag'] },
  carryOver: { units: ['flag'] },
  'uses.visitTypes': { units: ['list'], members: VISIT_TYPES },
  'uses.visitShare': { units: ['rule'] },
  'uses.contractedOnly': { units: ['flag'] },
  'uses.pharmacy': { units: ['flag'] },
  'uses.familyMedical': { units: ['list'], members: ACCOUNT_RELATIONS },
  'uses.familyResidentContribution': { units: ['list'], members: ACCOUNT_RELATIONS },
  'uses.ownSupplementaryContribution': { units: ['flag'] },
  'uses.prohibited': { units: ['list'] },
  'closing.transferOut': { units: ['flag'] },
  'closing.refundIfNoTransfer': { units: ['flag'] },
  'closing.inheritance': { units: ['flag'] },
} as const satisfies Record<string, { units: readonly Unit[]; members?: readonly string[] }>;
export type AccountParamKey = keyof typeof ACCOUNT_PARAMS;

/** Named parameters not (yet) executed by the engine, grouped: floors, referral, critical illness, ... */
const parameterGroups = z.record(z.string().regex(/^[a-zA-Z0-9-]+$/), z.record(z.string().regex(/^[a-zA-Z0-9-]+$/), paramFile));

export const policyFile = z.strictObject({
  format: z.literal('yibao-policy/1', { error: 'must be yibao-policy/1' }),
  id: z.string().regex(/^[a-z0-9-]+$/, 'must be lower-case letters, digits and dashes'),
  document: z.strictObject({
    number: z.string().min(1),
    title: z.string().min(1),
    issuer: z.string().min(1),
    seed: z.string().optional(),
    note: z.string().optional(),
  }),
  region: z.strictObject({
    code: z.string().regex(/^\d{6}$/, 'must be a six-digit admdvs code'),
    name: z.string().min(1),
    aliases: z.array(z.string().min(1)).default([]),
    parent: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
  }),
  role: z.enum(['rules', 'floors']).default('rules'),
  schemes: z.array(z.enum(SCHEMES)).min(1),
  effective: z.strictObject({
    from: isoDate,
    to: isoDate.nullable().default(null),
    source: z.string().min(1),
    quote: z.string().optional(),
    note: z.string().optional(),
  }),
  enrollment: enrollmentRules.optional(),
  contributions: contributionRules.optional(),
  benefits: z.array(benefitFile).default([]),
  accounts: z.array(accountRules).default([]),
  criticalIllness: criticalIllnessRules.optional(),
  referral: referralRules.optional(),
  medicalAssistance: medicalAssistanceRules.optional(),
  maternityGrant: maternityGrantRules.optional(),
  parameters: parameterGroups.default({}),
});
export type PolicyFile = z.infer<typeof policyFile>;

/** A user's policy file: values for parameters of a built-in pack, addressed by path. */
export const overlayFile = z.strictObject({
  format: z.literal('yibao-policy-overlay/1', { error: 'must be yibao-policy-overlay/1' }),
  extends: z.string().min(1),
  note: z.string().optional(),
  /** Values for parameters the pack leaves open (value: null), by path. */
  parameters: z.record(z.string().min(1), paramFile).default({}),
  /** Benefits the pack does not have (none for the same scheme and visit type). */
  benefits: z.array(benefitFile).default([]),
  /** Sections the pack does not have. */
  criticalIllness: criticalIllnessRules.optional(),
  referral: referralRules.optional(),
  medicalAssistance: medicalAssistanceRules.optional(),
});
export type OverlayFile = z.infer<typeof overlayFile>;

export const HARDSHIP_NAMES = HARDSHIP_GROUPS;

/** Formats zod issues as `path: message` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const where = `${prefix}${path}`.replace(/^\./, '') || '(top level)';
    return `${where}: ${issue.message}`;
  });
}
