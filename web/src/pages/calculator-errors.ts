/**
 * The service's refusal of a calculation (INVALID_REQUEST: `problems`, each "path: message") read
 * onto the form: each problem under its field, in Chinese; problems of no field stay listed.
 */
import type { ApiError } from '../api';

export type Field = 'region' | 'scheme' | 'category' | 'hardship' | 'tier' | 'grade' | 'contracted' | 'type' | 'date' | 'total' | 'eligible';

const PATHS: [RegExp, Field][] = [
  [/^person\.region/, 'region'],
  [/^person\.scheme/, 'scheme'],
  [/^person\.category/, 'category'],
  [/^person\.hardship/, 'hardship'],
  [/^visit\.institution\.tier/, 'tier'],
  [/^visit\.institution\.grade/, 'grade'],
  [/^visit\.institution\.contracted/, 'contracted'],
  [/^visit\.type/, 'type'],
  [/^visit\.time/, 'date'],
  [/^visit\.total/, 'total'],
  [/^visit\.eligible/, 'eligible'],
];

const NAMES: Record<Field, string> = {
  region: '参保地',
  scheme: '险种',
  category: '人员类别',
  hardship: '困难群众类别',
  tier: '医疗机构级别',
  grade: '医院等级',
  contracted: '定点医疗机构',
  type: '就诊类型',
  date: '就诊日期',
  total: '医疗费总额',
  eligible: '政策范围内金额',
};

/** The service's messages in Chinese; anything else is shown as the service gave it. */
const MESSAGES: [RegExp, string][] = [
  [/got ""$/, '必须填写'],
  [/ISO 8601 date-time/i, '须为有效的日期'],
  [/must be an amount in yuan with at most two decimal places/i, '须为以元为单位、最多两位小数的金额（如 300.00）'],
  [/must not exceed total/i, '不得超过医疗费总额'],
  [/must not be negative|must be (at least|>=) 0|non-?negative/i, '不得为负数'],
  [/required|expected .*received undefined/i, '必须填写'],
  [/unknown region|no policy|not (a )?known region/i, '没有该地区的政策文件'],
  [/invalid option|expected one of/i, '不是可选的值'],
  [/date|time/i, '须为有效的日期'],
];

function chinese(field: Field, message: string): string {
  const hit = MESSAGES.find(([re]) => re.test(message));
  return `${NAMES[field]}：${hit ? hit[1] : message}`;
}

export function fieldErrors(error: ApiError): { byField: Partial<Record<Field, string>>; rest: string[] } {
  const byField: Partial<Record<Field, string>> = {};
  const rest: string[] = [];
  for (const p of error.problems ?? []) {
    const [path = '', ...more] = p.split(': ');
    const field = PATHS.find(([re]) => re.test(path))?.[1];
    if (field && !byField[field]) byField[field] = chinese(field, more.join(': '));
    else if (!field) rest.push(p);
  }
  return { byField, rest };
}

/** What a refusal of no field means, in Chinese (the service's own message is shown beneath it). */
const CODES: Record<string, string> = {
  NO_POLICY_IN_FORCE: '所选参保地在就诊日期没有生效的政策文件，请更换日期或参保地',
  NO_BENEFIT_RULE: '政策文件未规定该类就诊的待遇',
  MISSING_PARAMETER: '政策文件缺少计算所需的参数',
  NON_CONTRACTED: '非定点医疗机构的费用不予支付',
  VISIT_IN_FUTURE: '就诊日期不能晚于今天',
  CONDITION_NOT_MET: '不符合享受该待遇的条件',
  OVERLOADED: '服务繁忙，请稍后重试',
  NETWORK: '无法连接服务，请稍后重试',
};

/** The refusal's meaning in Chinese, or undefined when only the service's message says it. */
export function chineseOf(code: string): string | undefined {
  return CODES[code];
}
