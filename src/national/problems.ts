/**
 * Problems of a national message in Chinese (报文校验): each zod issue rendered by zod's zh-CN
 * locale, per parse (the /v1 API keeps its English messages), with the national field path
 * (`data.medfee_sumamt`, not `input.data.medfee_sumamt`). A schema's own message, where it says
 * more than zod's, follows in brackets: `data.psn_no: 无效字符串…（must be printable …）`.
 */
import { z } from 'zod';

const zh = z.locales.zhCN().localeError;
const en = z.locales.en().localeError;

const render = (map: z.core.$ZodErrorMap, issue: z.core.$ZodIssue): string | undefined => {
  const m = map(issue as unknown as z.core.$ZodRawIssue);
  return typeof m === 'string' ? m : m?.message;
};

/** The message of one issue: Chinese first, the schema's own words after when they are its own. */
export function chineseMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'custom') return issue.message;
  if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) {
    return `缺少必填字段，期望 ${issue.expected}${issue.message === render(en, issue) ? '' : `（${issue.message}）`}`;
  }
  // A pattern's own words say more than the pattern (正则表达式) zh-CN would quote.
  if (issue.code === 'invalid_format' && issue.message !== render(en, issue)) return `格式不符（${issue.message}）`;
  const chinese = render(zh, issue);
  if (chinese === undefined) return issue.message;
  return issue.message === render(en, issue) ? chinese : `${chinese}（${issue.message}）`;
}

/** A field's path as the national problems name it: the national node (`data.psn_no`) for `input.data.psn_no`. */
export const nationalPath = (path: string): string => path.replace(/^input\.(?=\w)/, '');

/** `path: message` lines, the national node (`data`, `signIn` …) for `input.data`, `input.signIn`. */
export function nationalProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = nationalPath(
      issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, ''),
    );
    return `${path || '(报文)'}: ${chineseMessage(issue)}`;
  });
}

/** Parses a national message with Chinese problems; `reportInput` lets zh-CN name what was received. */
export function safeParseNational<S extends z.ZodType>(schema: S, body: unknown): { ok: true; data: z.output<S> } | { ok: false; problems: string[] } {
  const r = schema.safeParse(body, { reportInput: true });
  return r.success ? { ok: true, data: r.data } : { ok: false, problems: nationalProblems(r.error.issues) };
}
