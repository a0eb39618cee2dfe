/**
 * err_msg (错误信息) of a national refusal, in Chinese: the code's title and every problem. One table
 * for the service's envelope (src/api/national-envelope.ts) and `yibao settle --format national`.
 */

/**
 * 错误标题: each stable code (src/errors.ts) as the platform's err_msg begins, in Chinese. A code
 * not listed is 交易失败.
 */
export const ERROR_TITLES: Readonly<Record<string, string>> = {
  INVALID_REQUEST: '报文校验失败',
  INVALID_JSON: '报文不是有效的JSON',
  FORBIDDEN_KEY: '报文含禁止的键',
  INVALID_CODE: '代码值无效',
  INVALID_AMOUNT: '金额无效',
  BODY_TOO_LARGE: '报文过大',
  UNSUPPORTED_MEDIA_TYPE: '报文类型不支持',
  UNAUTHENTICATED: '未认证',
  FORBIDDEN: '无权操作',
  NOT_SIGNED_IN: '未签到',
  NOT_FOUND: '未找到',
  IDEMPOTENCY_CONFLICT: '报文ID重复',
  VISIT_ALREADY_SETTLED: '就诊已结算',
  ALREADY_REVERSED: '已撤销',
  NOT_REVERSIBLE: '不可撤销',
  REVERSED_BY_2601: '原交易已冲正',
  INSTITUTION_MISMATCH: '机构信息不一致',
  PERSON_MISMATCH: '人员信息不一致',
  PERSON_NOT_REGISTERED: '人员未登记',
  NOT_ENROLLED: '未参保缴费',
  ENROLLMENT_NOT_ACCEPTED: '参保信息不予采用',
  ACCOUNT_NOT_AVAILABLE: '个人账户不可用',
  VISIT_IN_FUTURE: '就诊时间晚于当前时间',
  NO_POLICY_IN_FORCE: '无有效政策',
  NO_BENEFIT_RULE: '无待遇规则',
  MISSING_PARAMETER: '政策参数缺失',
  INCONSISTENT_POLICY: '政策不一致',
  OVERLOADED: '系统繁忙',
  SHUTTING_DOWN: '系统停止服务中',
  AUDIT_UNAVAILABLE: '审计日志不可用',
  REQUEST_TIMEOUT: '请求超时',
  INTERNAL: '系统内部错误',
};

/**
 * err_msg: the code's Chinese title, then every problem (`path：message`, joined by `；`), e.g.
 * `报文校验失败：data.medfee_sumamt：…；data.insutype：…`; a refusal without problems, its message.
 */
export function errMsgOf(error: { code?: string; message?: string; problems?: readonly string[] }): string {
  const title = ERROR_TITLES[error.code ?? ''] ?? '交易失败';
  const parts = error.problems && error.problems.length > 0 ? error.problems : [(error.message ?? '').replace(/^invalid request: /, '')];
  const text = parts.map((p) => p.replace(/^([^\s:：]+): /, '$1：')).join('；');
  return text === '' ? title : `${title}：${text}`;
}
