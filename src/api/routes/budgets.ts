/**
 * Budgets and warnings (预算与预警) over HTTP, registered under /v1/monitoring:
 *
 *   POST /budgets                      record a budget (a new revision), idempotent by id (agency)
 *   GET  /budgets                      budgets in force, or every revision (agency, analyst)
 *   GET  /budgets/{area}/{year}        an area's statement: each account's budget, carry, months,
 *                                      balance, overspending, projection and warning (agency, analyst)
 *   POST /budget-payments              a payment out of a separate account (agency)
 *   GET  /budget-payments              payments recorded (agency, analyst)
 *   GET  /warnings                     the year's warnings as at a day (agency, analyst)
 *
 * These are aggregates: no person is named. Lists answer JSON, or a file with
 * `?format=csv|csv-gbk|xlsx` (src/api/files.ts). 洛医保〔2023〕63号 三(一), 洛医保〔2022〕36号 第三条.
 */
import { z } from 'zod';
import { yearOf } from '../../calendar/calendar.js';
import { areaStatementJson, budgetJson, paymentJson, warningsJson } from '../../monitoring/json.js';
import { budgetsTable, monthsTable, paymentsTable, statementTable } from '../../monitoring/tables.js';
import type { Role } from '../../ledger/keys.js';
import { accountName, budgetBodySchema, parseBudget, parsePayment, paymentBodySchema, reportDay, yearText } from '../../request/budget-request.js';
import { clearingCode } from '../../request/clearing-request.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import { RequestError } from '../../request/settle-request.js';
import { areaStatementSchema, budgetAnswerSchema, budgetsPageSchema, paymentAnswerSchema, paymentsPageSchema, warningsSchema } from '../monitoring-responses.js';
import { errorSchema, fileAnswer, parsedBody, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { formatField, sendTables, wantsFile } from '../files.js';

/** Aggregates: the agency and analysts. */
const READERS: Role[] = ['agency', 'analyst'];
const AGENCY: Role[] = ['agency'];

/** The most rows a file of budgets or payments holds. */
export const MAX_EXPORT_ROWS = 100_000;

const asOfField = z.string().optional().meta({ description: 'The report day, YYYY-MM-DD: the last day counted. Default: yesterday (China time), within the year.' });
const boolText = z.enum(['true', 'false'], { error: 'must be true or false' }).optional();

/** The report day of a query, checked against the year when one is given; not after today. */
function asOfOf(text: string | undefined, fallback: number, today: number, year?: number): number {
  if (text === undefined) return fallback;
  const d = reportDay(text);
  if (year !== undefined && yearOf(d) !== year) throw new RequestError([`asOf: ${text} is not in ${year}`]);
  if (d > today) throw new RequestError([`asOf: ${text} is after today; the report day is a day that has begun`]);
  return d;
}

export const budgetRoutes: RoutePlugin = async (app, { ctx }) => {
  const book = ctx.ledger.budgets;
  const today = () => book.defaultAsOf() + 1;

  app.post(
    '/budgets',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          '录入预算 Record a budget for an area (县区), year and account — entered, or the standard budget from the policy’s rate (fromPolicy: persons × 70 元 大学生 / 22 元 家庭医生, 洛医保〔2022〕36号 第三条). A revision is a new row; 201 recorded, 200 replay, 409 the id with another body (agency)',
        body: parsedBody(budgetBodySchema, [EXAMPLES.monitoring.budget, EXAMPLES.monitoring.budgetFromPolicy]),
        response: { 200: budgetAnswerSchema, 201: budgetAnswerSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const r = await book.setBudget(parseBudget(req.body), req.actor);
      return reply.code(r.created ? 201 : 200).send({ ...budgetJson(r.budget), replayed: !r.created, previous: r.previous ? budgetJson(r.previous) : null });
    },
  );

  app.get(
    '/budgets',
    {
      config: { roles: READERS },
      schema: {
        summary: `预算列表 Budgets in force (or with history=true every revision) in area, year and account order, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor); a file with ?format= holds every one the filter selects (at most ${MAX_EXPORT_ROWS}) (agency, analyst)`,
        querystring: z.strictObject({
          area: clearingCode.optional(),
          year: yearText.optional(),
          account: accountName.optional(),
          history: boolText,
          ...pageFields('budgets'),
          format: formatField,
        }),
        response: { 200: fileAnswer(budgetsPageSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const filter = {
        ...(q.area !== undefined ? { area: q.area } : {}),
        ...(q.year !== undefined ? { year: q.year } : {}),
        ...(q.account !== undefined ? { account: q.account } : {}),
        history: q.history === 'true',
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      };
      if (wantsFile(q.format)) {
        const page = await book.list({ ...filter, limit: MAX_EXPORT_ROWS });
        const what = [q.area, q.year].filter((x) => x !== undefined).join('-');
        return sendTables(reply, [budgetsTable(page.entries)], q.format, { ascii: `budgets${what ? `-${what}` : ''}`, chinese: `预算${what ? `-${what}` : ''}` });
      }
      const page = await book.list({ ...filter, limit: q.limit ?? PAGE_DEFAULT });
      return { budgets: page.entries.map(budgetJson), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/budgets/:area/:year',
    {
      config: { roles: READERS },
      schema: {
        summary:
          '预算执行 An area’s budget statement for a year as at a day: each account’s budget, carried in (students: 结余滚存), spending by month, balance, overspending (超支, not made good), the projection to the year’s end with its method and backtest, and the warning (洛医保〔2023〕63号 三(一)). 404 for an unregistered area. A file with ?format=xlsx (two sheets) or csv|csv-gbk (?table=accounts|months) (agency, analyst)',
        params: z.strictObject({ area: clearingCode, year: yearText }),
        querystring: z.strictObject({ asOf: asOfField, format: formatField, table: z.enum(['accounts', 'months'], { error: 'must be accounts or months' }).optional() }),
        response: { 200: fileAnswer(areaStatementSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const { area, year } = req.params;
      const asOf = asOfOf(req.query.asOf, book.defaultAsOf(year), today(), year);
      const s = await book.statement(area, year, asOf);
      const format = req.query.format;
      if (wantsFile(format)) {
        const tables = [statementTable(s.accounts), monthsTable(s.accounts)];
        const chosen = format === 'xlsx' && req.query.table === undefined ? tables : [tables[req.query.table === 'months' ? 1 : 0] as (typeof tables)[number]];
        return sendTables(reply, chosen, format, { ascii: `budget-${area}-${year}`, chinese: `预算执行-${s.area.name}-${year}` });
      }
      return areaStatementJson(s) as z.input<typeof areaStatementSchema>;
    },
  );

  app.post(
    '/budget-payments',
    {
      config: { roles: AGENCY },
      schema: {
        summary:
          '预算账户支出 Record a payment out of a separate account (family-doctor: 家庭医生签约服务费, 分账管理), charged to its year’s budget; 201 recorded, 200 replay, 409 the id with another body (agency)',
        body: parsedBody(paymentBodySchema, [EXAMPLES.monitoring.payment]),
        response: { 200: paymentAnswerSchema, 201: paymentAnswerSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const r = await book.recordPayment(parsePayment(req.body), req.actor);
      return reply.code(r.created ? 201 : 200).send({ ...paymentJson(r.payment), replayed: !r.created });
    },
  );

  app.get(
    '/budget-payments',
    {
      config: { roles: READERS },
      schema: {
        summary: `预算账户支出列表 Payments out of separate accounts in the order recorded, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor); a file with ?format= (agency, analyst)`,
        querystring: z.strictObject({
          area: clearingCode.optional(),
          year: yearText.optional(),
          account: accountName.optional(),
          ...pageFields('budgetPayments'),
          format: formatField,
        }),
        response: { 200: fileAnswer(paymentsPageSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const filter = {
        ...(q.area !== undefined ? { area: q.area } : {}),
        ...(q.year !== undefined ? { year: q.year } : {}),
        ...(q.account !== undefined ? { account: q.account } : {}),
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      };
      if (wantsFile(q.format)) {
        const page = await book.payments({ ...filter, limit: MAX_EXPORT_ROWS });
        return sendTables(reply, [paymentsTable(page.entries)], q.format, { ascii: 'budget-payments', chinese: '预算账户支出' });
      }
      const page = await book.payments({ ...filter, limit: q.limit ?? PAGE_DEFAULT });
      return { payments: page.entries.map(paymentJson), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/warnings',
    {
      config: { roles: READERS },
      schema: {
        summary:
          '预警分析 The warnings of the report day’s year (洛医保〔2023〕63号 三(一)): every account with a budget, its projection (method named, backtest shown) against budget + carried in, and whether it exceeds them by more than the agency’s margin (setting warning; without it nothing is evaluated and the answer names the setting). ?area= for one area; a file with ?format= (agency, analyst)',
        querystring: z.strictObject({ asOf: asOfField, area: clearingCode.optional(), format: formatField }),
        response: { 200: fileAnswer(warningsSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const asOf = asOfOf(req.query.asOf, book.defaultAsOf(), today());
      const [areas, setting] = await Promise.all([book.statementsOfYear(asOf, req.query.area), book.warningSetting()]);
      if (wantsFile(req.query.format)) {
        const accounts = areas.flatMap((a) => a.accounts.filter((s) => s.budget !== null));
        return sendTables(reply, [statementTable(accounts, '预警分析')], req.query.format, { ascii: `warnings-${yearOf(asOf)}`, chinese: `预警分析-${yearOf(asOf)}` });
      }
      return warningsJson(asOf, setting, areas) as z.input<typeof warningsSchema>;
    },
  );
};
