/**
 * The audit log (src/ledger/audit.ts), for the agency: every write, refused attempt (401, 403)
 * and read of personal data, oldest first, a page at a time, filtered by actor, action, target
 * and time. Reading it is itself recorded (read.audit).
 */
import type { FastifyInstance } from 'fastify';
import { readAudit } from '../../ledger/audit.js';
import { auditQuerySchema } from '../../request/audit-query.js';
import { PAGE_DEFAULT, PAGE_MAX } from '../../request/page.js';
import { errorSchema, jsonSchema, parse, type RouteContext } from '../context.js';

const entryDoc = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', description: 'ISO 8601, UTC' },
    actor: { type: 'string', description: 'API key id (K-…), cli, or anonymous' },
    role: { type: 'string' },
    action: { type: 'string', description: 'settle, reverse, account-…, enrollment.record, keys.create…; read.… for a read of personal data; refused for a 401 or 403' },
    target: { type: 'string', description: 'the entry, person, account or route' },
    detail: { type: 'object', additionalProperties: true },
  },
};

export function registerAuditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const query = auditQuerySchema;
  app.get(
    '/v1/audit',
    {
      schema: {
        summary: `The audit log, oldest first, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor: the nextCursor of the previous page); filter by actor, action, target, from (inclusive) and to (exclusive), ISO 8601 dates or date-times (China time unless an offset is given) (agency)`,
        querystring: jsonSchema(query),
        response: { 200: { type: 'object', properties: { entries: { type: 'array', items: entryDoc }, nextCursor: { type: ['string', 'null'] } } }, '4xx': errorSchema },
      },
    },
    async (req) => {
      await ctx.authorize(req, 'agency');
      const f = parse(query, req.query, 'query');
      ctx.reads(req, 'read.audit', f.target ?? f.actor ?? '*', { filter: { ...f, cursor: f.cursor ? true : undefined } });
      return readAudit(ctx.ledger.store.db, { ...f, after: f.cursor });
    },
  );
}
