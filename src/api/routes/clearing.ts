/**
 * The agency's month (月度清算) over HTTP, registered under /v1/clearing:
 *
 *   the registry (清算登记)   centres, districts, institutions: the agency writes, the agency and
 *                             analysts read (no personal data)
 *   the close (月结)          POST /periods/{period}/close (agency), the closed months
 *   statements (清算单)       a month's, one whole, and the entries one covers (personal data:
 *                             the agency and the institution itself; the read is audited)
 *   centres and districts     what each paying centre owes (中心清算汇总) and 三(三) 定期清算
 *   remittances (上解资金)    recorded by the agency, idempotent by id
 *
 * Lists and views answer JSON, or a file with `?format=csv|csv-gbk|xlsx` (src/api/files.ts).
 * A period is `YYYY-MM` (400 INVALID_PERIOD otherwise).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { YibaoError } from '../../errors.js';
import { parsePeriod, type Period } from '../../clearing/period.js';
import { centresTable, districtsTable, statementsTable, statementTables } from '../../clearing/tables.js';
import type { Role } from '../../ledger/keys.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import {
  centreBodySchema,
  clearingCode,
  districtBodySchema,
  institutionBodySchema,
  parseCentre,
  parseDistrict,
  parseInstitutionClearing,
  parseRemittance,
  remittanceBodySchema,
} from '../../request/clearing-request.js';
import { id } from '../../request/id.js';
import {
  centreAnswerSchema,
  centresSchema,
  centreStatementsSchema,
  closeSchema,
  coveredSchema,
  districtAnswerSchema,
  districtClearingSchema,
  districtsSchema,
  institutionAnswerSchema,
  institutionsSchema,
  periodsSchema,
  remittanceSchema,
  statementSchema,
  statementsPageSchema,
} from '../clearing-responses.js';
import { ANALYSTS, errorSchema, fileAnswer, parsedBody, PERSONAL, type RouteContext, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { formatField, sendTables, wantsFile } from '../files.js';

/** The registry and the month's views: the agency and analysts (aggregates, no personal data). */
const READERS: Role[] = ['agency', 'analyst'];
const AGENCY: Role[] = ['agency'];

/** The most statements a file holds (a city's month has a few thousand institutions). */
export const MAX_EXPORT_ROWS = 100_000;

const periodParam = z.strictObject({ period: z.string().meta({ description: 'A month, YYYY-MM.' }) });
const statementParams = z.strictObject({ period: z.string().meta({ description: 'A month, YYYY-MM.' }), institution: id });
const formatQuery = z.strictObject({ format: formatField });

/** A path's or query's period, checked: 400 INVALID_PERIOD naming the field. */
function period(text: string, field = 'period'): Period {
  parsePeriod(text, field);
  return text;
}

/** An institution's paying centre as the registry resolves it now, or the problem. */
async function resolved(ctx: RouteContext, institution: string) {
  const r = (await ctx.ledger.clearing.registry.resolveAll()).get(institution);
  if (!r) return { payingCentre: null, problem: `机构 ${institution} 未登记所在县区` };
  return 'problem' in r ? { payingCentre: null, problem: r.problem } : { payingCentre: r, problem: null };
}

export const clearingRoutes: RoutePlugin = async (app, { ctx }) => {
  const book = ctx.ledger.clearing;
  const registry = book.registry;
  // The statement list and the month's views: on the read replica when there is one (src/ledger/analysis.ts).
  const reads = ctx.ledger.analysis.clearing;

  // ---- the registry -------------------------------------------------------------------------

  app.get(
    '/centres',
    { config: { roles: READERS }, schema: { summary: 'The paying centres (医保中心) in id order (agency, analyst)', response: { 200: centresSchema, '4xx': errorSchema } } },
    async () => ({ centres: await registry.centres() }),
  );

  app.put(
    '/centres/:id',
    {
      config: { roles: AGENCY },
      schema: {
        summary: 'Register or change a paying centre (医保中心): the city centre or a county centre (naming its district); 201 created, 200 changed or unchanged (agency)',
        params: z.strictObject({ id: clearingCode }),
        body: parsedBody(centreBodySchema, [EXAMPLES.clearing.centre]),
        response: { 200: centreAnswerSchema, 201: centreAnswerSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const r = await registry.setCentre(parseCentre(req.body, req.params.id, ctx.policies), req.actor);
      return reply.code(r.created ? 201 : 200).send({ ...r.centre, changed: r.changed });
    },
  );

  app.get(
    '/districts',
    {
      config: { roles: READERS },
      schema: { summary: 'The counties and districts (县区) in code order (agency, analyst)', response: { 200: districtsSchema, '4xx': errorSchema } },
    },
    async () => ({ districts: await registry.districts() }),
  );

  app.put(
    '/districts/:code',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          'Register or change a county or district (县区); a district the policy pays as a county (偃师区、孟津区) cannot be urban (422 PAYING_CENTRE_RULE); 201 created, 200 changed or unchanged (agency)',
        params: z.strictObject({ code: clearingCode }),
        body: parsedBody(districtBodySchema, [EXAMPLES.clearing.district]),
        response: { 200: districtAnswerSchema, 201: districtAnswerSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const r = await registry.setDistrict(parseDistrict(req.body, req.params.code, ctx.policies), req.actor);
      return reply.code(r.created ? 201 : 200).send({ ...r.district, changed: r.changed });
    },
  );

  app.get(
    '/institutions',
    {
      config: { roles: READERS },
      schema: {
        summary: 'Each registered institution’s district and paying centre, with the basis (rule and citation) or the problem (agency, analyst)',
        response: { 200: institutionsSchema, '4xx': errorSchema },
      },
    },
    async () => {
      const [list, all] = await Promise.all([registry.institutions(), registry.resolveAll()]);
      return {
        institutions: list.map((i) => {
          const r = all.get(i.institutionId);
          const problem = !r ? null : 'problem' in r ? r.problem : null;
          return { id: i.institutionId, district: i.district, centre: i.centreId, payingCentre: r && !('problem' in r) ? r : null, problem };
        }),
      };
    },
  );

  app.put(
    '/institutions/:id',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          'Record an institution’s district and, where no rule names it, its paying centre; a centre contradicting the rule is 422 PAYING_CENTRE_RULE citing it. The answer names who pays it and why, or the problem (agency)',
        params: z.strictObject({ id }),
        body: parsedBody(institutionBodySchema, [EXAMPLES.clearing.institution]),
        response: { 200: institutionAnswerSchema, 201: institutionAnswerSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const r = await registry.assignInstitution(parseInstitutionClearing(req.body, req.params.id), req.actor);
      const now = await resolved(ctx, req.params.id);
      return reply
        .code(r.created ? 201 : 200)
        .send({ id: r.institution.institutionId, district: r.institution.district, centre: r.institution.centreId, ...now, changed: r.changed });
    },
  );

  // ---- closing a month ----------------------------------------------------------------------

  app.post(
    '/periods/:period/close',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          'Close a month (月结) into statements per institution and paying centre: once it has ended (422 PERIOD_NOT_ENDED), in order (422 EARLIER_PERIOD_OPEN), every institution with a paying centre (422 NO_PAYING_CENTRE naming them). 201 the first close, 200 a replay answering it. No body (agency)',
        params: periodParam,
        response: { 200: closeSchema, 201: closeSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const r = await book.close(period(req.params.period), req.actor);
      return reply.code(r.created ? 201 : 200).send(r);
    },
  );

  app.get(
    '/periods',
    {
      config: { roles: READERS },
      schema: { summary: 'The closed months, newest first, and the month to close next (agency, analyst)', response: { 200: periodsSchema, '4xx': errorSchema } },
    },
    async () => {
      const [periods, firstOpen] = await Promise.all([book.periods(), book.firstOpen()]);
      return { periods, firstOpen };
    },
  );

  app.get(
    '/periods/:period',
    {
      config: { roles: READERS },
      schema: { summary: 'A closed month’s close (404 when it is not closed) (agency, analyst)', params: periodParam, response: { 200: closeSchema, '4xx': errorSchema } },
    },
    async (req) => {
      const p = period(req.params.period);
      const r = await book.closed(p);
      if (!r) throw new YibaoError('NOT_FOUND', `${p} is not closed (POST /v1/clearing/periods/${p}/close)`);
      return r;
    },
  );

  app.get(
    '/periods/:period/centres',
    {
      config: { roles: READERS },
      schema: {
        summary: 'What each paying centre owes its institutions for a closed month (中心清算汇总); a file with ?format=csv|csv-gbk|xlsx (agency, analyst)',
        params: periodParam,
        querystring: formatQuery,
        response: { 200: fileAnswer(centreStatementsSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const p = period(req.params.period);
      const centres = await reads.centreStatements(p);
      if (wantsFile(req.query.format)) return sendTables(reply, [centresTable(centres)], req.query.format, { ascii: `centres-${p}`, chinese: `经办机构汇总-${p}` });
      return { period: p, centres };
    },
  );

  app.get(
    '/periods/:period/districts',
    {
      config: { roles: READERS },
      schema: {
        summary:
          'Per district, the funds it remitted against what the city centre paid for its insured, and the balance (洛医保〔2023〕63号 三(三)); a file with ?format= (agency, analyst)',
        params: periodParam,
        querystring: formatQuery,
        response: { 200: fileAnswer(districtClearingSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const p = period(req.params.period);
      const districts = await reads.districtClearing(p);
      if (wantsFile(req.query.format)) return sendTables(reply, [districtsTable(districts)], req.query.format, { ascii: `districts-${p}`, chinese: `上解资金清算-${p}` });
      return { period: p, districts };
    },
  );

  // ---- statements ---------------------------------------------------------------------------

  app.get(
    '/statements',
    {
      config: { roles: ANALYSTS },
      schema: {
        summary: `Statements (清算单), newest month first, then by institution, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor); filter by period, institution, centre. A file with ?format=csv|csv-gbk|xlsx holds every statement the filter selects (at most ${MAX_EXPORT_ROWS}) (agency, analyst; an institution: its own)`,
        querystring: z.strictObject({
          period: z.string().optional(),
          institution: id.optional(),
          centre: clearingCode.optional(),
          ...pageFields('statements'),
          format: formatField,
        }),
        response: { 200: fileAnswer(statementsPageSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const filter = {
        ...(q.period !== undefined ? { period: period(q.period) } : {}),
        ...(q.institution !== undefined ? { institution: q.institution } : {}),
        ...(q.centre !== undefined ? { centre: q.centre } : {}),
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      };
      if (wantsFile(q.format)) {
        const page = await reads.statements(req.actor, { ...filter, limit: MAX_EXPORT_ROWS });
        const what = [q.period, q.institution, q.centre].filter((x) => x !== undefined).join('-');
        return sendTables(reply, [statementsTable(page.entries)], q.format, { ascii: `statements${what ? `-${what}` : ''}`, chinese: `清算单${what ? `-${what}` : ''}` });
      }
      const page = await reads.statements(req.actor, { ...filter, limit: q.limit ?? PAGE_DEFAULT });
      return { statements: page.entries, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/statements/:period/:institution',
    {
      config: { roles: ANALYSTS },
      schema: {
        summary:
          'One statement whole: classes (险种 × 清算类别), funds (基金支付类型), adjustments, deposits, the centre and its basis. A file with ?format=xlsx (both tables) or csv|csv-gbk (one: ?table=classes, the default, or funds) (agency, analyst; an institution: its own, else 404)',
        params: statementParams,
        querystring: z.strictObject({ format: formatField, table: z.enum(['classes', 'funds'], { error: 'must be classes or funds' }).optional() }),
        response: { 200: fileAnswer(statementSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const p = period(req.params.period);
      const s = await book.statement(req.actor, p, req.params.institution);
      const format = req.query.format;
      if (wantsFile(format)) {
        const [classes, funds] = statementTables(s);
        const tables = format === 'xlsx' ? statementTables(s) : [req.query.table === 'funds' ? funds : classes].filter((t) => t !== undefined);
        return sendTables(reply, tables, format, { ascii: `statement-${p}-${req.params.institution}`, chinese: `清算单-${p}-${req.params.institution}` });
      }
      return s as z.input<typeof statementSchema>;
    },
  );

  app.get(
    '/statements/:period/:institution/entries',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: `The entries a statement covers, in time order, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor): personal data, the read is audited (agency; an institution: its own; not analysts)`,
        params: statementParams,
        querystring: z.strictObject(pageFields('covered')),
        response: { 200: coveredSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const p = period(req.params.period);
      const { institution } = req.params;
      // The statement first: an open month, or an institution without one, has no entries to show.
      await book.statement(req.actor, p, institution);
      const page = await book.covered(req.actor, p, institution, req.query.limit ?? PAGE_DEFAULT, req.query.cursor);
      return { period: p, institution, entries: page.entries, nextCursor: page.nextCursor };
    },
  );

  // ---- remittances --------------------------------------------------------------------------

  app.post(
    '/remittances',
    {
      config: { roles: AGENCY },
      schema: {
        summary: 'Record funds a district remitted to the city (上解资金) for a month; idempotent by id (201 recorded, 200 replay, 409 the id with other details) (agency)',
        body: parsedBody(remittanceBodySchema, [EXAMPLES.clearing.remittance]),
        response: { 200: remittanceSchema, 201: remittanceSchema, '4xx': errorSchema },
      },
    },
    async (req: FastifyRequest, reply) => {
      const r = await registry.recordRemittance(parseRemittance(req.body), req.actor);
      return reply.code(r.created ? 201 : 200).send({ ...(r.remittance as z.input<typeof remittanceSchema>), replayed: !r.created });
    },
  );
};
