/**
 * What the policy files say about budgets (预算管理), read through the policy registry with their
 * citations — never a figure written here:
 *
 * - 洛医保〔2022〕36号 第三条: 家庭医生签约服务费22元/人，实行分账管理 (`parameters.budget.familyDoctorServiceFee`);
 *   大学生门诊统筹按照每年70元/人的标准进行预算管理 (`studentOutpatientBudget`); 大学生门诊统筹资金采取总额预算、
 *   超支不补、结余滚存的办法进行管理 (`studentOutpatientBudgetMethod`).
 * - The accounts a budget may be kept for: each benefit of the region's policies (its pooled fund,
 *   统筹基金), and the two separate accounts, 大学生门诊统筹 and 家庭医生签约服务费.
 */
import { formatDate, yearStart, type DayNumber } from '../calendar/calendar.js';
import { YibaoError } from '../errors.js';
import { formatYuan, type Fen } from '../money/money.js';
import { versionAt, type ParamVersion } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';
import type { Citation } from './types.js';

/** 大学生门诊统筹: spending is the pooled fund paid on students' outpatient settlements. */
export const STUDENT_ACCOUNT = 'student-outpatient';
/** 家庭医生签约服务费 (分账管理): spending is what the agency records as paid (budget_payments). */
export const FAMILY_DOCTOR_ACCOUNT = 'family-doctor';
export const SEPARATE_ACCOUNTS = [STUDENT_ACCOUNT, FAMILY_DOCTOR_ACCOUNT] as const;
export type SeparateAccount = (typeof SEPARATE_ACCOUNTS)[number];
export const SEPARATE_ACCOUNT_LABELS: Record<SeparateAccount, string> = {
  'student-outpatient': '大学生门诊统筹',
  'family-doctor': '家庭医生签约服务费（分账管理）',
};

/** What an account is: a benefit's pooled fund, or one of the separate accounts. */
export type AccountKind = 'benefit' | SeparateAccount;

/** The value of `studentOutpatientBudgetMethod` that means 总额预算、超支不补、结余滚存. */
export const SURPLUS_CARRIED = 'total-budget-no-top-up-surplus-carried';

/** 洛医保〔2022〕36号 第三条 on how outpatient budgets are set (for answers that refuse to invent one). */
export const BUDGETING_CITATION: Citation = {
  document: '洛医保〔2022〕36号',
  article: '第三条',
  quote: '各级医保中心结合辖区参保人数、既往门诊就诊人次、门诊费用、家庭医生签约服务费支付额度等指标科学确定门诊统筹预算额度。',
};

/** A parameter version's citation. */
export const citationOfVersion = (v: ParamVersion): Citation => ({ document: v.document, article: v.article, quote: v.quote ?? '' });

/** The version of `parameters.budget.<key>` in force in a region on a day (most specific pack first), with a value. */
export function budgetParam(policies: PolicySet, region: string, day: DayNumber, key: string): ParamVersion | undefined {
  for (const pack of policies.chain(region, day)) {
    const param = pack.groups.budget?.[key];
    const v = param ? versionAt(param, day) : undefined;
    if (v && v.value !== null) return v;
  }
  return undefined;
}

/** Every benefit of the region's policies (any year), id → label, in id order. */
export function benefitAccounts(policies: PolicySet, region: string): Map<string, string> {
  const lineage = policies.lineage(region);
  const out = new Map<string, string>();
  for (const pack of policies.packs) {
    if (!lineage.includes(pack.region.code)) continue;
    for (const b of pack.benefits) if (!out.has(b.id)) out.set(b.id, b.label);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The benefits whose pooled fund a student's settlement charges to the students' account: the
 * residents' ordinary outpatient pooling (门诊统筹: scheme resident, visit type outpatient).
 */
export function studentBenefits(policies: PolicySet, region: string): Set<string> {
  const lineage = policies.lineage(region);
  const out = new Set<string>();
  for (const pack of policies.packs) {
    if (!lineage.includes(pack.region.code)) continue;
    for (const b of pack.benefits) if (b.scheme === 'resident' && b.visitType === 'outpatient') out.add(b.id);
  }
  return out;
}

/**
 * The account a settlement's pooled fund is charged to: a student's outpatient pooling to the
 * students' account (36号 第三条 budgets it apart), everything else to its benefit.
 */
export function accountOf(benefit: string, student: boolean, studentBenefitIds: ReadonlySet<string>): string {
  return student && studentBenefitIds.has(benefit) ? STUDENT_ACCOUNT : benefit;
}

/** The kind and label of an account in a region, or undefined when it is none of its accounts. */
export function accountSpec(policies: PolicySet, region: string, account: string): { account: string; kind: AccountKind; label: string } | undefined {
  if ((SEPARATE_ACCOUNTS as readonly string[]).includes(account)) {
    return { account, kind: account as SeparateAccount, label: SEPARATE_ACCOUNT_LABELS[account as SeparateAccount] };
  }
  const label = benefitAccounts(policies, region).get(account);
  return label === undefined ? undefined : { account, kind: 'benefit', label: `${label}（统筹基金）` };
}

/** How a budget amount was set. */
export type BudgetBasis =
  | { method: 'entered' }
  | {
      method: 'policy-rate';
      /** The parameter's path, e.g. parameters.budget.studentOutpatientBudget. */
      parameter: string;
      /** Fen per person per year. */
      rate: Fen;
      rateText: string;
      persons: number;
      /** `ledger`: counted in the ledger (see `counted`); `entered`: the agency gave the number. */
      personsSource: 'ledger' | 'entered';
      /** What was counted (Chinese). */
      counted: string;
      /** The day the rate was read (1 January of the budget year). */
      rateDay: string;
      citation: Citation & { citation: string };
    };

/** The parameter and the persons each separate account's standard budget counts. */
const STANDARD: Record<SeparateAccount, { key: string; label: string; persons: string }> = {
  'student-outpatient': { key: 'studentOutpatientBudget', label: '大学生门诊统筹预算标准', persons: '参保大学生人数' },
  'family-doctor': { key: 'familyDoctorServiceFee', label: '家庭医生签约服务费', persons: '家庭医生签约人数' },
};

/** What the ledger counts for a separate account's standard budget (docs/monitoring.md). */
export const PERSONS_COUNTED: Record<SeparateAccount, string> = {
  'student-outpatient': '人员登记中该县区、类别为大学生（student）且有该年度缴费记录的人数',
  'family-doctor': '人员登记中该县区、登记了家庭医生签约机构且有该年度缴费记录的人数（登记只记现在的签约机构，不记签约日期）',
};

/**
 * The policy's rate per person per year of a separate account's standard budget, in force on
 * 1 January of the year.
 *
 * @throws YibaoError INVALID_REQUEST for a benefit account (36号 第三条 leaves its amount to the
 *   centre: enter it); MISSING_PARAMETER when no policy in force gives the rate, naming it.
 */
export function standardRate(
  policies: PolicySet,
  region: string,
  year: number,
  account: string,
): { version: ParamVersion & { value: number }; path: string; account: SeparateAccount } {
  if (!(SEPARATE_ACCOUNTS as readonly string[]).includes(account)) {
    throw new YibaoError(
      'INVALID_REQUEST',
      `fromPolicy: the documents set no per-person standard for account ${account}: ${BUDGETING_CITATION.document} ${BUDGETING_CITATION.article} leaves the outpatient pooling budget to each centre (科学确定门诊统筹预算额度); enter the amount`,
    );
  }
  const std = STANDARD[account as SeparateAccount];
  const day = yearStart(year);
  const path = `parameters.budget.${std.key}`;
  const v = budgetParam(policies, region, day, std.key);
  if (!v || typeof v.value !== 'number') {
    const reason = `${policies.describeInForce(region, day)}; none gives ${path}`;
    throw new YibaoError(
      'MISSING_PARAMETER',
      `fromPolicy: no policy in force in ${region} on ${formatDate(day)} gives ${std.label} (${path}); enter the amount, or supply the rate in a user policy file`,
      {
        missing: [{ path, label: std.label, citation: '（无）', reason }],
      },
    );
  }
  return { version: v as ParamVersion & { value: number }, path, account: account as SeparateAccount };
}

/**
 * The standard budget of a separate account: persons × the policy's rate per person per year
 * ({@link standardRate}), with its citation.
 */
export function standardBudget(
  policies: PolicySet,
  region: string,
  year: number,
  account: string,
  persons: number,
  personsSource: 'ledger' | 'entered',
): { amount: Fen; basis: BudgetBasis } {
  const { version: v, path, account: separate } = standardRate(policies, region, year, account);
  const rate = v.value;
  const amount = persons * rate;
  if (!Number.isSafeInteger(amount)) throw new YibaoError('INVALID_REQUEST', `persons: ${persons} × ${formatYuan(rate)} yuan is beyond the amounts the ledger holds`);
  return {
    amount,
    basis: {
      method: 'policy-rate',
      parameter: path,
      rate,
      rateText: v.text,
      persons,
      personsSource,
      counted: personsSource === 'ledger' ? PERSONS_COUNTED[separate] : `${STANDARD[separate].persons}（经办机构录入）`,
      rateDay: formatDate(yearStart(year)),
      citation: { ...citationOfVersion(v), citation: v.citation },
    },
  };
}

/**
 * The rule that the students' surplus rolls into the next year (结余滚存) and overspending is not
 * topped up (超支不补), as in force on the last day of `year`; undefined when no policy gives it.
 */
export function surplusRule(policies: PolicySet, region: string, year: number): Citation | undefined {
  const v = budgetParam(policies, region, yearStart(year + 1) - 1, 'studentOutpatientBudgetMethod');
  return v && v.value === SURPLUS_CARRIED ? citationOfVersion(v) : undefined;
}
