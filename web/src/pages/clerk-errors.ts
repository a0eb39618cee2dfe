/**
 * The service's refusals on the clerk console (经办台), in Chinese: a problem on a field of the
 * visit form is shown under that field (the calculator's fields, and 就诊编号, 医疗机构编号,
 * 人员编号); a refusal of no field is said with its code's meaning.
 */
import type { ApiError } from '../api';
import { chineseOf as calculatorChinese, fieldErrors as calculatorFieldErrors, type Field as CalculatorField } from './calculator-errors';

export type Field = CalculatorField | 'visitId' | 'institutionId' | 'personId';

const EXTRA: [RegExp, Field, string][] = [
  [/^visit\.id\b/, 'visitId', '就诊编号'],
  [/^visit\.institution\.id\b/, 'institutionId', '医疗机构编号'],
  [/^person\.id\b/, 'personId', '人员编号'],
];

export function fieldErrors(error: ApiError): { byField: Partial<Record<Field, string>>; rest: string[] } {
  const byField: Partial<Record<Field, string>> = {};
  const others: string[] = [];
  for (const p of error.problems ?? []) {
    const hit = EXTRA.find(([re]) => re.test(p));
    if (hit) {
      const message = p.split(': ').slice(1).join(': ');
      byField[hit[1]] ??= `${hit[2]}：${/required|undefined|got ""|too_small|at least 1/i.test(message) ? '必须填写' : message}`;
    } else others.push(p);
  }
  const calc = calculatorFieldErrors({ ...error, problems: others });
  return { byField: { ...calc.byField, ...byField }, rest: calc.rest };
}

/** What a refusal of no field means on the console, in Chinese (the service's message is shown beneath). */
const CODES: Record<string, string> = {
  UNAUTHENTICATED: '请先登录（API 密钥无效或已撤销）',
  FORBIDDEN: '当前密钥的角色无权进行此操作',
  NOT_FOUND: '未找到该记录',
  PERSON_MISMATCH: '就诊信息中的参保人信息与登记信息不一致',
  VISIT_ALREADY_SETTLED: '该次就诊已结算',
  INSTITUTION_MISMATCH: '医疗机构与密钥所属机构不一致',
  ALREADY_REVERSED: '该笔结算已冲销',
  NOT_REVERSIBLE: '冲销记录不能再冲销',
  IDEMPOTENCY_CONFLICT: '该请求编号已用于其他内容，请重新提交',
  INVALID_REQUEST: '请求内容有误',
};

export function chineseOf(code: string): string | undefined {
  return CODES[code] ?? calculatorChinese(code);
}
