/**
 * The requests of supervision (医保基金监管: 规则、机构位置、筛查、疑点线索), as the agency, an analyst
 * or an institution sends them over HTTP (/v1/supervision) or on the command line (`yibao
 * supervise`): one set of rules for both.
 *
 *   a rule's setting       { enabled, params, severity?, reason }          PUT /rules/{id}
 *   an institution's site  { kind: medical | pharmacy, longitude, latitude } PUT /sites/{institutionId}
 *   a run                  { from, to } or { incremental: true }          POST /runs
 *   a status change        { status: open | confirmed | dismissed, reason } POST /findings/{id}/status
 *   the findings' filter   status, rule, institution, person, severity, from, to, limit, offset
 *
 * Times (a run's span, the findings' from and to) are a China day `YYYY-MM-DD` or an ISO 8601
 * instant (`2024-03-02T10:00:00+08:00`; without an offset, China time). A span is [from, to): a
 * day as `from` is its first instant (China midnight), a day as `to` is included (the span ends at
 * the next China midnight); an instant as `to` is excluded.
 */
import { z } from 'zod';
import { chinaDayStart, MS_PER_DAY, parseDate, parseInstant } from '../calendar/calendar.js';
import { readCsv } from '../export/csv.js';
import { FINDING_STATUSES, INSTITUTION_KINDS, INSTITUTION_KIND_LABELS, type FindingStatus, type InstitutionKind, SEVERITIES, type Severity } from '../monitoring/types.js';
import { formatIssues } from '../policy/schema.js';
import { id, printableText } from './id.js';
import { RequestError } from './settle-request.js';

/** The longest span a batch run covers, in days: a year (the period rules' window; the bench's year). */
export const MAX_RUN_DAYS = 366;
/** Findings a page holds by default, and at most. */
export const FINDINGS_PAGE_DEFAULT = 100;
export const FINDINGS_PAGE_MAX = 500;
/** The largest offset a findings page may start at (the book's MAX_FINDINGS_OFFSET): past it, narrow the filter. */
export const FINDINGS_OFFSET_MAX = 100_000;
/** The most findings an export file holds. */
export const FINDINGS_EXPORT_MAX = 100_000;
/** A rule's parameters: at most this many. */
export const MAX_RULE_PARAMS = 50;
/** Sites a `yibao supervise sites set` file holds at most. */
export const MAX_SITES_FILE = 100_000;

/** A rule id (rule_id, 规则ID: 字符型 50). */
export const ruleId = z
  .string({ error: 'must be a rule id' })
  .min(1, 'must not be empty')
  .max(50, 'must be at most 50 characters (rule_id)')
  .regex(/^[A-Za-z0-9._-]+$/, 'may contain letters, digits and . _ - only');

/** A reason an agency clerk gives: printable, 1 to 500 characters, not blank. */
export const reason = printableText(500).refine((v) => v.trim().length > 0, { error: 'must not be empty: say why' });

export const severityField = z.enum(SEVERITIES, { error: 'must be "1" (明确违规), "2" (高度可疑) or "3" (轻度可疑)' });
export const statusField = z.enum(FINDING_STATUSES, { error: `must be one of ${FINDING_STATUSES.join(', ')} (待核查、已确认、已排除)` });
export const kindField = z.enum(INSTITUTION_KINDS, { error: 'must be medical (定点医疗机构) or pharmacy (定点零售药店)' });

export const ruleSettingBodySchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).meta({ description: 'Whether the rule runs (it runs only once every parameter is set).' }),
  params: z
    .record(z.string().max(64, 'a parameter name is at most 64 characters'), z.unknown(), { error: 'must be an object of the rule’s parameters' })
    .refine((p) => Object.keys(p).length <= MAX_RULE_PARAMS, `must have at most ${MAX_RULE_PARAMS} parameters`)
    .meta({ description: 'The rule’s parameters, each as GET /rules lists them (none has a default: the agency sets every one).' }),
  severity: severityField.optional().meta({ description: 'sev_deg the rule’s leads carry: 1 明确违规, 2 高度可疑, 3 轻度可疑; the catalogue’s when left out.' }),
  reason: reason.meta({ description: 'Why the setting changes (kept with it, in the audit log).' }),
});
export type RuleSettingBody = z.output<typeof ruleSettingBodySchema>;

/** Degrees with at most six decimals (about 0.1 m). */
const degrees = (max: number, what: string) =>
  z
    .number({ error: `must be the ${what} in degrees (a number), or null` })
    .min(-max, `must be between -${max} and ${max}`)
    .max(max, `must be between -${max} and ${max}`)
    .refine((v) => Math.abs(Math.round(v * 1e6) - v * 1e6) < 1e-6, 'must have at most 6 decimals')
    .nullable();

export const siteBodySchema = z
  .strictObject({
    institutionId: id.optional().meta({ description: 'The path’s institution, repeated (optional).' }),
    kind: kindField.meta({ description: 'medical 定点医疗机构, pharmacy 定点零售药店' }),
    longitude: degrees(180, 'longitude').meta({ description: '经度, WGS-84 degrees, at most 6 decimals; null when not known' }),
    latitude: degrees(90, 'latitude').meta({ description: '纬度, WGS-84 degrees, at most 6 decimals; null when not known' }),
  })
  .refine((s) => (s.longitude === null) === (s.latitude === null), { error: 'longitude and latitude are given together, or both null', path: ['latitude'] });
export type SiteBody = z.output<typeof siteBodySchema>;

/** A run: { from, to } (a batch) or { incremental: true }; parseRun checks which. */
export const runBodySchema = z
  .strictObject({
    from: z.string().max(40).optional().meta({ description: 'A batch: the first China day YYYY-MM-DD (from its midnight), or an ISO 8601 instant.' }),
    to: z.string().max(40).optional().meta({ description: 'A batch: the last China day YYYY-MM-DD (included), or an ISO 8601 instant (excluded).' }),
    incremental: z.literal(true).optional().meta({ description: 'Instead of from and to: the settlements since the last run’s end, visit rules only.' }),
  })
  .meta({ description: '{ from, to } for a batch run, or { incremental: true }.' });

export const statusBodySchema = z.strictObject({
  status: statusField.meta({ description: 'open 待核查, confirmed 已确认, dismissed 已排除' }),
  reason: reason.meta({ description: 'Why (required, at most 500 characters): kept in the finding’s history and the audit log.' }),
});
export type StatusBody = z.output<typeof statusBodySchema>;

/** An instant of a span's start (`from`) or end (`to`): see the module's comment. Undefined when not a day or an instant. */
export function spanInstant(text: string, end: boolean): number | undefined {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseDate(text) : undefined;
  if (day !== undefined) return chinaDayStart(end ? day + 1 : day);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  return parseInstant(text);
}

/**
 * The span [from, to) of two times, named by `fields` in problems.
 *
 * @throws RequestError naming a time that is not one, a span that runs backwards or is empty, or
 *   one longer than `maxDays`.
 */
export function parseSpan(from: string, to: string, fields: [string, string] = ['from', 'to'], maxDays?: number): { from: number; to: number } {
  const a = spanInstant(from, false);
  const b = spanInstant(to, true);
  const problems: string[] = [];
  const what = 'must be a China day YYYY-MM-DD or an ISO 8601 instant (2024-03-02T10:00:00+08:00)';
  if (a === undefined) problems.push(`${fields[0]}: ${what}, got ${JSON.stringify(from)}`);
  if (b === undefined) problems.push(`${fields[1]}: ${what}, got ${JSON.stringify(to)}`);
  if (a !== undefined && b !== undefined) {
    if (b <= a) problems.push(`${fields[1]}: ${to} is not after ${fields[0]} ${from} (the span is [from, to); a day as to is included)`);
    else if (maxDays !== undefined && b - a > maxDays * MS_PER_DAY) problems.push(`${fields[1]}: a run covers at most ${maxDays} days (${from} … ${to}); run it a year at a time`);
  }
  if (problems.length > 0) throw new RequestError(problems);
  return { from: a as number, to: b as number };
}

/** A run's request: a batch's span, or the incremental run. @throws RequestError naming each problem. */
export function parseRun(body: unknown): { span: { from: number; to: number } } | { incremental: true } {
  const r = runBodySchema.safeParse(body ?? {});
  if (!r.success) throw new RequestError(formatIssues(r.error.issues));
  const { from, to, incremental } = r.data;
  if (incremental === true) {
    if (from !== undefined || to !== undefined) throw new RequestError(['incremental: a run is { from, to } or { incremental: true }, not both']);
    return { incremental: true };
  }
  if (from === undefined || to === undefined) {
    throw new RequestError([`${from === undefined ? 'from' : 'to'}: required: a run is { from, to } (a batch) or { incremental: true }`]);
  }
  return { span: parseSpan(from, to, ['from', 'to'], MAX_RUN_DAYS) };
}

/** A query's whole number between `min` and `max`. */
const whole = (min: number, max: number, what: string) =>
  z
    .string({ error: `must be ${what}, ${min} to ${max}` })
    .regex(/^\d{1,8}$/, `must be ${what}, ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be ${what}, ${min} to ${max}`);

const time = z.string().max(40).meta({ description: 'A China day YYYY-MM-DD or an ISO 8601 instant: from is included, a day as to is included, an instant as to excluded.' });

/** The filters of the findings and of their counts (query strings and CLI options). */
export const countsQueryFields = {
  status: statusField.optional(),
  rule: ruleId.optional(),
  institution: id.optional(),
  severity: severityField.optional(),
  from: time.optional(),
  to: time.optional(),
};

export const findingsQueryFields = {
  ...countsQueryFields,
  person: id.optional().meta({ description: 'patn_id (agency keys only).' }),
  limit: whole(1, FINDINGS_PAGE_MAX, 'a number of findings').optional(),
  offset: whole(0, FINDINGS_OFFSET_MAX, 'an offset').optional(),
};

/** A findings filter as the book takes it (src/ledger/supervision-types.ts FindingQuery, without paging). */
export interface FindingFilter {
  status?: FindingStatus;
  ruleId?: string;
  institutionId?: string;
  personId?: string;
  severity?: Severity;
  from?: number;
  to?: number;
}

/** The filter of a validated query: its times as instants. @throws RequestError for a time that is not one. */
export function findingFilter(q: { status?: FindingStatus; rule?: string; institution?: string; person?: string; severity?: Severity; from?: string; to?: string }): FindingFilter {
  const problems: string[] = [];
  const at = (text: string | undefined, field: string, end: boolean) => {
    if (text === undefined) return undefined;
    const t = spanInstant(text, end);
    if (t === undefined) problems.push(`query.${field}: must be a China day YYYY-MM-DD or an ISO 8601 instant, got ${JSON.stringify(text)}`);
    return t;
  };
  const from = at(q.from, 'from', false);
  const to = at(q.to, 'to', true);
  if (from !== undefined && to !== undefined && to <= from) problems.push(`query.to: ${q.to} is not after query.from ${q.from}`);
  if (problems.length > 0) throw new RequestError(problems);
  return {
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.rule !== undefined ? { ruleId: q.rule } : {}),
    ...(q.institution !== undefined ? { institutionId: q.institution } : {}),
    ...(q.person !== undefined ? { personId: q.person } : {}),
    ...(q.severity !== undefined ? { severity: q.severity } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  };
}

/** A site as the book takes it. */
export interface SiteInput {
  institutionId: string;
  kind: InstitutionKind;
  longitude: number | null;
  latitude: number | null;
}

/** A site's body with its path's institution. @throws RequestError naming each problem. */
export function parseSite(body: unknown, institutionId: string, prefix = ''): SiteInput {
  const r = siteBodySchema.safeParse(body ?? {});
  if (!r.success) throw new RequestError(formatIssues(r.error.issues, prefix));
  if (r.data.institutionId !== undefined && r.data.institutionId !== institutionId) {
    throw new RequestError([`${prefix ? `${prefix}.` : ''}institutionId: ${r.data.institutionId} is not the path’s ${institutionId}`]);
  }
  return { institutionId, kind: r.data.kind, longitude: r.data.longitude, latitude: r.data.latitude };
}

/** A rule setting. @throws RequestError naming each problem. */
export function parseRuleSetting(body: unknown): RuleSettingBody {
  const r = ruleSettingBodySchema.safeParse(body ?? {});
  if (!r.success) throw new RequestError(formatIssues(r.error.issues));
  return r.data;
}

/** The columns a sites CSV file has: English or Chinese headers. */
const SITE_HEADERS: Record<string, keyof SiteInput> = {
  institutionId: 'institutionId',
  institution: 'institutionId',
  定点医药机构编号: 'institutionId',
  机构编号: 'institutionId',
  kind: 'kind',
  类型: 'kind',
  机构类型: 'kind',
  longitude: 'longitude',
  经度: 'longitude',
  latitude: 'latitude',
  纬度: 'latitude',
};
const KIND_WORDS: Record<string, InstitutionKind> = Object.fromEntries([
  ...INSTITUTION_KINDS.map((k) => [k, k]),
  ...INSTITUTION_KINDS.map((k) => [INSTITUTION_KIND_LABELS[k], k]),
]) as Record<string, InstitutionKind>;

/**
 * The sites of a file (`yibao supervise sites set FILE`): a JSON array of { institutionId, kind,
 * longitude, latitude }, or a CSV (UTF-8 or GBK) with the columns institutionId (定点医药机构编号),
 * kind (类型: medical | pharmacy | 定点医疗机构 | 定点零售药店), longitude (经度), latitude (纬度); an
 * empty coordinate is null.
 *
 * @throws RequestError naming each bad row (nothing is written unless every row is valid).
 */
export function parseSitesFile(bytes: Buffer, name: string): SiteInput[] {
  const text = /^\s*\[/.test(
    bytes
      .subarray(0, 64)
      .toString('utf8')
      .replace(/^\uFEFF/, ''),
  )
    ? 'json'
    : 'csv';
  let raw: { institutionId?: unknown; [k: string]: unknown }[];
  if (text === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new RequestError([`${name}: not valid JSON (${(e as Error).message})`]);
    }
    if (!Array.isArray(value)) throw new RequestError([`${name}: must be a JSON array of sites, or a CSV file`]);
    raw = value as typeof raw;
  } else {
    const csv = readCsv(bytes, { maxBytes: 64 * 1024 * 1024 });
    const keys = csv.header.map((h) => SITE_HEADERS[h.trim()]);
    const missing = (['institutionId', 'kind', 'longitude', 'latitude'] as const).filter((k) => !keys.includes(k));
    if (missing.length > 0) throw new RequestError([`${name}: the header lacks ${missing.join(', ')} (表头须有 定点医药机构编号、类型、经度、纬度)`]);
    raw = csv.rows.map((cells) => {
      const row: Record<string, unknown> = {};
      keys.forEach((k, i) => {
        if (k === undefined) return;
        const cell = (cells[i] ?? '').trim();
        if (k === 'kind') row.kind = KIND_WORDS[cell] ?? cell;
        else if (k === 'longitude' || k === 'latitude') row[k] = cell === '' ? null : /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell;
        else row[k] = cell;
      });
      return row;
    });
  }
  if (raw.length > MAX_SITES_FILE) throw new RequestError([`${name}: at most ${MAX_SITES_FILE} sites a file (it has ${raw.length})`]);
  const problems: string[] = [];
  const sites: SiteInput[] = [];
  const seen = new Set<string>();
  raw.forEach((row, i) => {
    const where = text === 'json' ? `[${i}]` : `line ${i + 2}`;
    const inst = id.safeParse(row?.institutionId);
    if (!inst.success) {
      problems.push(...formatIssues(inst.error.issues, `${where}.institutionId`));
      return;
    }
    if (seen.has(inst.data)) problems.push(`${where}.institutionId: ${inst.data} appears twice`);
    seen.add(inst.data);
    try {
      sites.push(parseSite(row, inst.data, where));
    } catch (e) {
      if (e instanceof RequestError) problems.push(...e.problems);
      else throw e;
    }
  });
  if (problems.length > 0) throw new RequestError(problems.slice(0, 50));
  return sites;
}
