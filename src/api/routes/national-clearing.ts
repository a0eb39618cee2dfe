/**
 * The national reconciliation transactions in the platform's envelope, beside the settle ones
 * (routes/national.ts), registered under /v1/national:
 *
 *   POST /v1/national/3201  医药机构费用结算对总账 → ledger.reconciliations.totals
 *   POST /v1/national/3202  医药机构费用结算对明细账 → ledger.reconciliations.detail
 *
 * Authentication, roles and the institution rule are the settle transactions': an institution
 * key reconciles its own fixmedins_code. 3202's file comes inline (`input.file`, src/national/
 * clearing-input.ts) and its result file (表151) comes back inline as `output.file`; the run is
 * kept (GET /v1/reconciliations/{file_qury_no}).
 */
import { formatChinaTime } from '../../calendar/calendar.js';
import { daySpan } from '../../clearing/period.js';
import { formatResultFile } from '../../clearing/national-file.js';
import { resultFileRows } from '../../clearing/reconcile.js';
import { toYuanNumber } from '../../money/money.js';
import { CLEARING_INTERFACE_NAMES, detailBodySchema, detailRowsOf3202, parseNational3201, parseNational3202, totalsBodySchema } from '../../national/clearing-input.js';
import { parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { envelopeSchema } from '../responses.js';
import { RECONCILE_BODY_LIMIT } from './reconciliations.js';
import { checkInstitution, nationalEnvelope, refusalEnvelopeSchema } from '../national-envelope.js';

/** How long the result file may be fetched (文件下载截止时间): a day after the answer. */
const DOWNLOAD_WINDOW_MS = 24 * 3_600_000;

/** yyyy-MM-dd HH:mm:ss, China time. */
const nationalTime = (epochMs: number) => formatChinaTime(epochMs).slice(0, 19).replace('T', ' ');

const sums = (s: { medfee_sumamt: number; fund_pay_sumamt: number; acct_pay: number; count: number }) => ({
  medfee_sumamt: toYuanNumber(s.medfee_sumamt),
  fund_pay_sumamt: toYuanNumber(s.fund_pay_sumamt),
  acct_pay: toYuanNumber(s.acct_pay),
  count: s.count,
});

export const nationalClearingRoutes: RoutePlugin = async (scope, { ctx }) => {
  const ok = nationalEnvelope(scope, ctx);
  const book = ctx.ledger.reconciliations;

  scope.post(
    '/3201',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: `${CLEARING_INTERFACE_NAMES['3201']} (3201): the institution’s totals of a class of settlements (insutype × clr_type) over stmt_begndate..stmt_enddate against the ledger’s; output.stmtinfo { setl_optins, stmt_rslt 0 平 / 1 不平, stmt_rslt_dscr naming each differing figure }; the run is kept`,
        tags: ['national'],
        body: parsedBody(totalsBodySchema, [EXAMPLES.clearing.national3201]),
        response: { 200: envelopeSchema, '4xx': refusalEnvelopeSchema },
      },
      preHandler: async (req) => checkInstitution(req.actor, parseNational3201(req.body).fixmedins_code),
    },
    async (req, reply) => {
      const body = parseNational3201(req.body);
      const d = body.input.data;
      daySpan(d.stmt_begndate, d.stmt_enddate, ['data.stmt_begndate', 'data.stmt_enddate']);
      const r = await book.totals(
        body.fixmedins_code,
        {
          insutype: d.insutype,
          clr_type: d.clr_type,
          setl_optins: d.setl_optins,
          from: d.stmt_begndate,
          to: d.stmt_enddate,
          medfee_sumamt: d.medfee_sumamt,
          fund_pay_sumamt: d.fund_pay_sumamt,
          acct_pay: d.acct_pay,
          fixmedins_setl_cnt: d.fixmedins_setl_cnt,
          ...(d.refd_setl_flag !== undefined ? { refd_setl_flag: d.refd_setl_flag } : {}),
        },
        req.actor,
      );
      const ledger = {
        medfee_sumamt: toYuanNumber(r.ledger.medfee_sumamt),
        fund_pay_sumamt: toYuanNumber(r.ledger.fund_pay_sumamt),
        acct_pay: toYuanNumber(r.ledger.acct_pay),
        fixmedins_setl_cnt: r.ledger.fixmedins_setl_cnt,
      };
      return ok(req, reply, 200, { stmtinfo: { setl_optins: r.setl_optins, stmt_rslt: r.stmt_rslt, stmt_rslt_dscr: r.stmt_rslt_dscr } }, { reconciliation: r.id, ledger });
    },
  );

  scope.post(
    '/3202',
    {
      config: { roles: PERSONAL },
      bodyLimit: RECONCILE_BODY_LIMIT,
      schema: {
        summary: `${CLEARING_INTERFACE_NAMES['3202']} (3202): the detail file (表150) inline as input.file (in place of 9101’s upload), every row against the ledger’s entries of the span; output.fileinfo { file_qury_no (the run), filename, dld_endtime }, output.file the result file (表151: one row per setl_id, stmt_rslt 0/1 with its memo), output.stmt_rslt and summary. Bodies up to 64 MiB`,
        tags: ['national'],
        body: parsedBody(detailBodySchema, [EXAMPLES.clearing.national3202]),
        response: { 200: envelopeSchema, '4xx': refusalEnvelopeSchema },
      },
      preHandler: async (req) => checkInstitution(req.actor, parseNational3202(req.body).fixmedins_code),
    },
    async (req, reply) => {
      const body = parseNational3202(req.body);
      const d = body.input.data;
      daySpan(d.stmt_begndate, d.stmt_enddate, ['data.stmt_begndate', 'data.stmt_enddate']);
      const rows = detailRowsOf3202(body);
      const { id, result } = await book.detail(body.fixmedins_code, '3202', d.stmt_begndate, d.stmt_enddate, rows, req.actor);
      const output = {
        fileinfo: { file_qury_no: id, filename: `${id}.txt`, dld_endtime: nationalTime(Date.now() + DOWNLOAD_WINDOW_MS) },
        setl_optins: d.setl_optins,
        stmt_rslt: result.balanced ? '0' : '1',
        summary: {
          matched: result.totals.matched,
          differences: result.differences.length,
          byClass: result.totals.byClass,
          hospital: sums(result.totals.hospital),
          ledger: sums(result.totals.ledger),
        },
        file: formatResultFile(resultFileRows(result)),
      };
      return ok(req, reply, 200, output, { reconciliation: id, fileQuryNo: d.file_qury_no ?? null });
    },
  );
};
