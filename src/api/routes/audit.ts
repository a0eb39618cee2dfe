/**
 * The audit log (src/ledger/audit.ts), for the agency: every write, refused attempt (401, 403)
 * and read of personal data, oldest first, a page at a time, filtered by actor, action, target
 * and time. Reading it is itself recorded (read.audit). Registered under /v1/audit.
 */
import { auditQuerySchema } from '../../request/audit-query.js';
import { PAGE_DEFAULT, PAGE_MAX } from '../../request/page.js';
import { errorSchema, type RoutePlugin } from '../context.js';
import { auditPageSchema } from '../responses.js';

export const auditRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: `The audit log, oldest first, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor: the nextCursor of the previous page); filter by actor, action, target, from (inclusive) and to (exclusive), ISO 8601 dates or date-times (China time unless an offset is given) (agency)`,
        querystring: auditQuerySchema,
        response: { 200: auditPageSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const f = req.query;
      ctx.reads(req, 'read.audit', f.target ?? f.actor ?? '*', { filter: { ...f, cursor: f.cursor ? true : undefined } });
      return ctx.ledger.readAudit({ ...f, after: f.cursor });
    },
  );
};
