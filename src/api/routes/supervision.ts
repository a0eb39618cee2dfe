/**
 * Supervision (医保基金监管, 智能监管) over HTTP, registered under /v1/supervision:
 *
 *   rules (监管规则)          GET /rules (agency, analyst); PUT /rules/{id} (agency): enabled,
 *                             params (none has a default), severity, reason
 *   sites (机构位置)          GET /sites (agency, analyst); PUT /sites/{institutionId} (agency)
 *   runs (筛查)               POST /runs (agency): a batch over [from, to), or incremental;
 *                             GET /runs, GET /runs/{id} (agency, analyst)
 *   findings (疑点线索)       GET /findings (agency: all; an institution: its own only, forced
 *                             from its key; analysts refused: they read /findings/counts),
 *                             GET /findings/{id} and /history (agency; an institution its own,
 *                             else 404), POST /findings/{id}/status (agency, with a reason)
 *   counts (统计)             GET /findings/counts (agency, analyst): no person ids anywhere
 *
 * Findings are personal data (patn_id, the visits): each read is audited (`read.findings`,
 * `read.finding`). Lists are paged (limit ≤ 500, offset) and answer JSON, or a file with
 * `?format=csv|csv-gbk|xlsx` (Chinese headers, src/monitoring/supervision-tables.ts). Times in
 * filters and runs: a China day YYYY-MM-DD or an ISO 8601 instant (src/request/supervision-request.ts).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { YibaoError } from '../../errors.js';
import type { Actor } from '../../ledger/ledger.js';
import type { Role } from '../../ledger/keys.js';
import type { Finding, FindingQuery } from '../../ledger/supervision-types.js';
import { countsTable, findingsTable, historyTable, rulesTable, runsTable, sitesTable } from '../../monitoring/supervision-tables.js';
import { id } from '../../request/id.js';
import { RequestError } from '../../request/settle-request.js';
import {
  countsQueryFields,
  FINDINGS_EXPORT_MAX,
  FINDINGS_PAGE_DEFAULT,
  FINDINGS_PAGE_MAX,
  findingFilter,
  findingsQueryFields,
  type FindingFilter,
  parseRun,
  parseSite,
  ruleId,
  ruleSettingBodySchema,
  runBodySchema,
  siteBodySchema,
  statusBodySchema,
} from '../../request/supervision-request.js';
import { errorSchema, fileAnswer, parsedBody, PERSONAL, type RouteContext, type RoutePlugin, withExamples } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { formatField, sendTables, wantsFile } from '../files.js';
import {
  countsJson,
  countsSchema,
  findingJson,
  findingSchema,
  findingsSchema,
  historyJson,
  historySchema,
  ruleJson,
  ruleSchema,
  rulesSchema,
  runJson,
  runSchema,
  runsSchema,
  siteJson,
  siteSchema,
  sitesSchema,
} from '../supervision-responses.js';

const AGENCY: Role[] = ['agency'];
/** Rules, sites, runs and counts: no personal data. */
const READERS: Role[] = ['agency', 'analyst'];

/** `limit` and `offset` of the lists other than findings. */
const paging = { limit: findingsQueryFields.limit, offset: findingsQueryFields.offset };

/** The findings an institution key may see: its own institution's, forced from the key. */
function scopeOf(actor: Actor, filter: FindingFilter): FindingFilter {
  if (actor.role !== 'institution') return filter;
  const own = actor.institutionId ?? '';
  if (filter.personId !== undefined)
    throw new YibaoError('FORBIDDEN', 'query.person: filtering by person is for agency keys; an institution key lists its own institution’s findings');
  if (filter.institutionId !== undefined && filter.institutionId !== own) {
    throw new YibaoError('FORBIDDEN', `query.institution: an institution key for ${own} sees only its own findings, not ${filter.institutionId}`);
  }
  return { ...filter, institutionId: own };
}

/** A finding the caller may see, or 404 (another institution's is not said to exist). */
async function visibleFinding(ctx: RouteContext, actor: Actor, findingId: string): Promise<Finding> {
  const f = await ctx.ledger.supervision.finding(findingId);
  if (!f || (actor.role === 'institution' && f.institutionId !== actor.institutionId)) throw new YibaoError('NOT_FOUND', `finding ${findingId} does not exist (疑点线索不存在)`);
  return f;
}

/** What a read names in the audit log: the person asked for, else the institution, else every finding. */
const readTarget = (f: FindingFilter) => f.personId ?? f.institutionId ?? '*';

export const supervisionRoutes: RoutePlugin = async (app, { ctx }) => {
  const book = ctx.ledger.supervision;
  // The lists of runs and findings and the counts: on the read replica when there is one (src/ledger/analysis.ts).
  const reads = ctx.ledger.analysis.supervision;

  // ---- rules --------------------------------------------------------------------------------

  app.get(
    '/rules',
    {
      config: { roles: READERS },
      schema: {
        summary: '监管规则 The supervision rules: what each looks for, its articles, parameters (none has a default), severity, and the settings in force (agency, analyst)',
        querystring: z.strictObject({ format: formatField }),
        response: { 200: fileAnswer(rulesSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const rules = await book.rules();
      if (wantsFile(req.query.format)) return sendTables(reply, [rulesTable(rules)], req.query.format, { ascii: 'supervision-rules', chinese: '监管规则' });
      return { rules: rules.map(ruleJson) };
    },
  );

  app.put(
    '/rules/:id',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          '设置监管规则 Set a rule: enabled, its parameters (every one, checked against the rule: 400 naming each bad one), severity, and the reason; versioned and audited; an unknown rule is 404 (agency)',
        params: z.strictObject({ id: ruleId }),
        body: withExamples(ruleSettingBodySchema, [EXAMPLES.supervision.rule]),
        response: { 200: ruleSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const b = req.body;
      const r = await book.setRule(
        req.params.id,
        { enabled: b.enabled, params: b.params, ...(b.severity !== undefined ? { severity: b.severity } : {}), reason: b.reason },
        req.actor,
      );
      return ruleJson(r);
    },
  );

  // ---- sites --------------------------------------------------------------------------------

  app.get(
    '/sites',
    {
      config: { roles: READERS },
      schema: {
        summary: `定点医药机构位置 Institutions' kinds and locations, a page at a time (limit, default ${FINDINGS_PAGE_DEFAULT}, at most ${FINDINGS_PAGE_MAX}; offset) (agency, analyst)`,
        querystring: z.strictObject({ ...paging, format: formatField }),
        response: { 200: fileAnswer(sitesSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const limit = req.query.limit ?? FINDINGS_PAGE_DEFAULT;
      const offset = req.query.offset ?? 0;
      const page = await book.sites(limit, offset);
      if (wantsFile(req.query.format)) return sendTables(reply, [sitesTable(page.items)], req.query.format, { ascii: 'supervision-sites', chinese: '定点医药机构位置' });
      return { sites: page.items.map(siteJson), total: page.total, limit, offset };
    },
  );

  app.put(
    '/sites/:institutionId',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          '登记机构位置 Record an institution’s kind (定点医疗机构 or 定点零售药店) and location (WGS-84 degrees, at most 6 decimals; null when not known); unchanged writes nothing; audited (agency)',
        params: z.strictObject({ institutionId: id }),
        body: parsedBody(siteBodySchema, [EXAMPLES.supervision.site]),
        response: { 200: siteSchema, '4xx': errorSchema },
      },
    },
    async (req) => siteJson(await book.setSite(parseSite(req.body, req.params.institutionId), req.actor)),
  );

  // ---- runs ---------------------------------------------------------------------------------

  app.post(
    '/runs',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          '筛查 Run the rules: a batch over settlement times [from, to) (a China day YYYY-MM-DD from its midnight, a day as `to` included; or ISO 8601 instants; at most 366 days), or { incremental: true }, the settlements since the last run (visit rules only). Leads found again are the same findings; audited (agency)',
        body: parsedBody(runBodySchema, [EXAMPLES.supervision.run]),
        response: { 201: runSchema, '4xx': errorSchema },
      },
    },
    async (req: FastifyRequest, reply) => {
      const r = parseRun(req.body);
      const run = 'span' in r ? await book.run(r.span, req.actor) : await book.runIncremental(req.actor);
      return reply.code(201).send(runJson(run));
    },
  );

  app.get(
    '/runs',
    {
      config: { roles: READERS },
      schema: {
        summary: `筛查批次 The runs, newest first, a page at a time (limit, default ${FINDINGS_PAGE_DEFAULT}, at most ${FINDINGS_PAGE_MAX}; offset) (agency, analyst)`,
        querystring: z.strictObject({ ...paging, format: formatField }),
        response: { 200: fileAnswer(runsSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const limit = req.query.limit ?? FINDINGS_PAGE_DEFAULT;
      const offset = req.query.offset ?? 0;
      const page = await reads.runs(limit, offset);
      if (wantsFile(req.query.format)) return sendTables(reply, [runsTable(page.items)], req.query.format, { ascii: 'supervision-runs', chinese: '筛查批次' });
      return { runs: page.items.map(runJson), total: page.total, limit, offset };
    },
  );

  app.get(
    '/runs/:id',
    {
      config: { roles: READERS },
      schema: {
        summary: '筛查批次 One run: its span, the rules run and not run (and why), counts by rule (agency, analyst)',
        params: z.strictObject({ id }),
        response: { 200: runSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const run = await book.getRun(req.params.id);
      if (!run) throw new YibaoError('NOT_FOUND', `run ${req.params.id} does not exist (筛查批次不存在)`);
      return runJson(run);
    },
  );

  // ---- findings -----------------------------------------------------------------------------

  app.get(
    '/findings',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: `疑点线索 Findings, newest first, a page at a time (limit, default ${FINDINGS_PAGE_DEFAULT}, at most ${FINDINGS_PAGE_MAX}; offset), filtered by status, rule, institution, person (agency keys), severity, from, to (when it happened). A file with ?format=csv|csv-gbk|xlsx holds every finding the filter selects (at most ${FINDINGS_EXPORT_MAX}). Personal data: the read is audited (agency; an institution: its own institution’s only; analysts use /findings/counts)`,
        querystring: z.strictObject({ ...findingsQueryFields, format: formatField }),
        response: { 200: fileAnswer(findingsSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const filter = scopeOf(req.actor, findingFilter(q));
      if (wantsFile(q.format)) {
        if (q.limit !== undefined || q.offset !== undefined) throw new RequestError(['query.limit: a file holds every finding the filter selects; leave out limit and offset']);
        const all = await allFindings(ctx, filter);
        ctx.reads(req, 'read.findings', readTarget(filter), { filter: q, returned: all.length, format: q.format });
        const what = [filter.institutionId, q.rule, q.status].filter((x) => x !== undefined).join('-');
        return sendTables(reply, [findingsTable(all)], q.format, { ascii: `findings${what ? `-${what}` : ''}`, chinese: `疑点线索${what ? `-${what}` : ''}` });
      }
      const limit = q.limit ?? FINDINGS_PAGE_DEFAULT;
      const offset = q.offset ?? 0;
      const page = await reads.findings({ ...filter, limit, offset });
      ctx.reads(req, 'read.findings', readTarget(filter), { filter: q, returned: page.items.length });
      return { findings: page.items.map(findingJson), total: page.total, limit, offset };
    },
  );

  app.get(
    '/findings/counts',
    {
      config: { roles: READERS },
      schema: {
        summary:
          '疑点线索统计 Findings counted by rule, status, severity and institution, with the sum of vola_amt; no personal data (no person ids anywhere); filters status, rule, institution, severity, from, to; a file with ?format= (agency, analyst)',
        querystring: z.strictObject({ ...countsQueryFields, format: formatField }),
        response: { 200: fileAnswer(countsSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const { format, ...q } = req.query;
      const counts = await reads.counts(findingFilter(q));
      if (wantsFile(format)) return sendTables(reply, [countsTable(counts)], format, { ascii: 'findings-counts', chinese: '疑点线索统计' });
      return countsJson(counts);
    },
  );

  app.get(
    '/findings/:id',
    {
      config: { roles: PERSONAL },
      schema: {
        summary:
          '疑点线索 One finding with its evidence: the settlements it rests on and the figures that triggered it. Personal data, audited (agency; an institution: its own, else 404)',
        params: z.strictObject({ id }),
        response: { 200: findingSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const f = await visibleFinding(ctx, req.actor, req.params.id);
      ctx.reads(req, 'read.finding', f.id, { person: f.personId });
      return findingJson(f);
    },
  );

  app.get(
    '/findings/:id/history',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: '状态变更记录 A finding’s status changes, oldest first: who, when, why (agency; an institution: its own, else 404)',
        params: z.strictObject({ id }),
        querystring: z.strictObject({ format: formatField }),
        response: { 200: fileAnswer(historySchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const f = await visibleFinding(ctx, req.actor, req.params.id);
      const history = await book.statusHistory(f.id);
      ctx.reads(req, 'read.finding', f.id, { history: true });
      if (wantsFile(req.query.format))
        return sendTables(reply, [historyTable(history)], req.query.format, { ascii: `finding-${f.id}-history`, chinese: `疑点线索-${f.id}-状态变更` });
      return historyJson(f.id, history);
    },
  );

  app.post(
    '/findings/:id/status',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          '核查结论 Set a finding’s status (open 待核查, confirmed 已确认, dismissed 已排除) with a reason (required, at most 500 characters); kept in its history and audited (agency staff only)',
        params: z.strictObject({ id }),
        body: withExamples(statusBodySchema, [EXAMPLES.supervision.status]),
        response: { 200: findingSchema, '4xx': errorSchema },
      },
    },
    async (req) => findingJson(await ctx.ledger.supervision.setStatus(req.params.id, req.body, req.actor)),
  );
};

/** Every finding of a filter, a page at a time, for a file; more than {@link FINDINGS_EXPORT_MAX} is refused. */
async function allFindings(ctx: RouteContext, filter: FindingFilter): Promise<Finding[]> {
  const book = ctx.ledger.analysis.supervision;
  const out: Finding[] = [];
  for (let offset = 0; ; offset += FINDINGS_PAGE_MAX) {
    const q: FindingQuery = { ...filter, limit: FINDINGS_PAGE_MAX, offset };
    const page = await book.findings(q);
    if (page.total > FINDINGS_EXPORT_MAX) {
      throw new RequestError([`query: ${page.total} findings match; a file holds at most ${FINDINGS_EXPORT_MAX}: narrow it with from, to, rule, institution or status`]);
    }
    out.push(...page.items);
    if (page.items.length < FINDINGS_PAGE_MAX || out.length >= page.total) return out;
  }
}
