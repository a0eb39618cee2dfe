/**
 * Reconciliations (对账) over HTTP, registered under /v1/reconciliations: an institution sends its
 * detail of a span of settlement days — 3202's TXT (表150) or its own CSV export (UTF-8 or GBK,
 * base64 so that the bytes survive JSON) — and gets the classified differences against the ledger
 * (src/clearing/reconcile.ts); every run is kept and can be read back, its differences as a file.
 *
 * Differences name persons (psn_no): an institution reads its own runs, the agency any; analysts
 * none. Bodies may be up to {@link RECONCILE_BODY_LIMIT} bytes (a month's file).
 */
import { z } from 'zod';
import type { DetailRow } from '../../clearing/detail.js';
import { readHospitalFile } from '../../clearing/hospital-file.js';
import { DetailFileError, parseDetailFile } from '../../clearing/national-file.js';
import { daySpan } from '../../clearing/period.js';
import type { DetailDifference } from '../../clearing/reconcile.js';
import { differencesTable } from '../../clearing/tables.js';
import { YibaoError } from '../../errors.js';
import { readCsv } from '../../export/csv.js';
import type { Actor } from '../../ledger/ledger.js';
import type { ReconciliationRecord } from '../../ledger/reconciliations.js';
import { toYuanNumber } from '../../money/money.js';
import { id } from '../../request/id.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import { RequestError } from '../../request/settle-request.js';
import { reconciliationSchema, reconciliationsPageSchema } from '../clearing-responses.js';
import { errorSchema, fileAnswer, PERSONAL, type RoutePlugin, withExamples } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { formatField, sendTables, wantsFile } from '../files.js';

/** The largest body a reconciliation (or 3202) takes: a month's detail of a large hospital. */
export const RECONCILE_BODY_LIMIT = 64 * 1024 * 1024;

/** How many differences a new run's answer lists (GET lists every one kept). */
export const DIFFERENCES_SHOWN = 1000;

export const reconcileBodySchema = z.strictObject({
  institution: id.optional().meta({ description: 'The institution reconciled: an institution key’s own (may be left out); the agency names it.' }),
  from: z.string({ error: 'must be a date YYYY-MM-DD' }).meta({ description: 'The first settlement day (结算时间, China time), YYYY-MM-DD.' }),
  to: z.string({ error: 'must be a date YYYY-MM-DD' }).meta({ description: 'The last settlement day, included; at most 366 days after from.' }),
  format: z.enum(['3202', 'csv'], { error: 'must be 3202 (the TXT of 表150) or csv (the hospital’s export, base64)' }),
  file: z.string({ error: 'must be the file: its text (3202) or base64 of its bytes (csv)' }).meta({
    description:
      '3202: the text of the detail file (表150: setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag, tab-separated, one row a line). csv: base64 of the CSV file’s bytes, UTF-8 or GBK, with a header naming the columns (national names or Chinese: 结算ID, 就诊ID, 人员编号, 医疗费总额, 基金支付总额, 个人账户支出, 退费结算标志).',
  }),
});

/** A difference with its amounts as yuan numbers. */
export function differenceJson(d: DetailDifference) {
  const yuan = (a: DetailDifference['hospital']) =>
    a === null ? null : { medfee_sumamt: toYuanNumber(a.medfee_sumamt), fund_pay_sumamt: toYuanNumber(a.fund_pay_sumamt), acct_pay: toYuanNumber(a.acct_pay) };
  return { ...d, hospital: yuan(d.hospital), ledger: yuan(d.ledger) };
}

/** A run as the service answers it: stmt_rslt beside balanced, and `shown` of its differences from `offset`. */
export function runJson(r: ReconciliationRecord & { differences: unknown[] }, shown = Number.POSITIVE_INFINITY, offset = 0) {
  const all = r.differences as DetailDifference[];
  const total = typeof r.summary.differences === 'number' ? r.summary.differences : all.length;
  const listed = all.slice(offset, offset + shown);
  return {
    ...summaryJson(r),
    differences: listed.map(differenceJson),
    differencesShown: listed.length,
    differencesOffset: offset,
    differencesTotal: total,
  };
}

/** The most differences one answer lists (GET /v1/reconciliations/{id}?limit&offset; a file lists all). */
export const DIFFERENCES_PAGE_MAX = 10_000;

function summaryJson(r: ReconciliationRecord) {
  return { ...r, stmt_rslt: r.balanced ? ('0' as const) : ('1' as const) };
}

/** The detail rows of a file as the body gives it. @throws DetailFileError / ExportError (INVALID_FILE) naming the line. */
export function detailRowsOf(format: '3202' | 'csv', file: string): DetailRow[] {
  if (format === '3202') return parseDetailFile(file);
  const b64 = file.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) throw new DetailFileError('file: is not base64 (a csv file is sent as base64 of its bytes)');
  const csv = readCsv(Buffer.from(b64, 'base64'));
  return readHospitalFile(csv);
}

/** The institution a run is for: an institution key's own; the agency names it. */
export function institutionFor(actor: Actor, named: string | undefined, field = 'institution'): string {
  if (actor.role === 'institution') {
    if (named !== undefined && named !== actor.institutionId) {
      throw new YibaoError('FORBIDDEN', `${field}: an institution key for ${actor.institutionId ?? '?'} reconciles only ${actor.institutionId ?? '?'}, not ${named}`);
    }
    return actor.institutionId as string;
  }
  if (named === undefined) throw new RequestError([`${field}: required: the institution reconciled (an agency key names it)`]);
  return named;
}

export const reconciliationRoutes: RoutePlugin = async (app, { ctx }) => {
  const book = ctx.ledger.reconciliations;

  app.post(
    '',
    {
      config: { roles: PERSONAL },
      bodyLimit: RECONCILE_BODY_LIMIT,
      schema: {
        summary: `Reconcile an institution’s detail (3202’s TXT or its own CSV export) with the ledger’s entries of a span of settlement days: every difference classified (missing-in-ledger, missing-in-hospital, refund-incomplete, amount-differs, field-differs, duplicated), stmt_rslt 0 平 / 1 不平; the run is kept, the answer lists the first ${DIFFERENCES_SHOWN} differences. Bodies up to 64 MiB (institution: its own; agency: any, naming it)`,
        body: withExamples(reconcileBodySchema, [EXAMPLES.clearing.reconciliation]),
        response: { 201: reconciliationSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const institution = institutionFor(req.actor, b.institution);
      daySpan(b.from, b.to, ['from', 'to']);
      const rows = detailRowsOf(b.format, b.file);
      const { id: runId } = await book.detail(institution, b.format === '3202' ? '3202' : 'file', b.from, b.to, rows, req.actor);
      return reply.code(201).send(runJson(await book.get(runId, req.actor), DIFFERENCES_SHOWN));
    },
  );

  app.get(
    '',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: `Reconciliation runs, newest first, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor), without their differences (institution: its own; agency: any, or ?institution=)`,
        querystring: z.strictObject({ institution: id.optional(), ...pageFields('reconciliations') }),
        response: { 200: reconciliationsPageSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await book.list(req.actor, {
        ...(q.institution !== undefined ? { institution: q.institution } : {}),
        limit: q.limit ?? PAGE_DEFAULT,
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      });
      return { reconciliations: page.entries.map(summaryJson), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: PERSONAL },
      schema: {
        summary:
          'A run with its differences, `limit` (default and at most 10000) from `offset` (personal data: the read is audited); ?format=csv|csv-gbk|xlsx gives every difference kept as a file (对账差异) (institution: its own, else 404; agency: any)',
        params: z.strictObject({ id }),
        querystring: z.strictObject({
          format: formatField,
          limit: z
            .string()
            .regex(/^[1-9]\d{0,4}$/, `must be a number of differences, 1 to ${DIFFERENCES_PAGE_MAX}`)
            .transform(Number)
            .refine((n) => n <= DIFFERENCES_PAGE_MAX, `must be at most ${DIFFERENCES_PAGE_MAX}`)
            .optional(),
          offset: z
            .string()
            .regex(/^(0|[1-9]\d{0,5})$/, 'must be a whole number of differences to skip')
            .transform(Number)
            .optional(),
        }),
        response: { 200: fileAnswer(reconciliationSchema), '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const run = await book.get(req.params.id, req.actor);
      ctx.reads(req, 'read.reconciliation', run.id, { institution: run.institution });
      if (wantsFile(req.query.format)) {
        return sendTables(reply, [differencesTable(run.differences as DetailDifference[])], req.query.format, { ascii: `reconciliation-${run.id}`, chinese: `对账差异-${run.id}` });
      }
      return runJson(run, req.query.limit ?? DIFFERENCES_PAGE_MAX, req.query.offset ?? 0);
    },
  );
};
