/**
 * Personal accounts (个人账户, Puyang 第六条–第八条, 第十四条; 个人（家庭）账户, Luoyang 36号 第八条): open
 * an account, set its holder's details from a month on, credit a month for every account, operate
 * on an account, and read it. The agency does all of it; an institution may only post a
 * visit-payment for a visit at its own institution.
 *
 * A refusal of the rules answers 422 (409 for a closed account or a reference used before) with
 * `{ error: { code, message, reason, source, trace } }`; nothing is written.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AccountError } from '../../account/types.js';
import { AccountLedger, AccountRefused, storedEntryJson } from '../../ledger/accounts.js';
import { LedgerError } from '../../ledger/errors.js';
import type { Actor } from '../../ledger/ledger.js';
import { RequestError } from '../../request/settle-request.js';
import {
  creditMonthSchema,
  holderSchema,
  openAccountSchema,
  operateSchema,
  parseHolder,
  parseOpenAccount,
  parseOperate,
} from '../../request/account-request.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import { YibaoError } from '../../errors.js';
import { errorSchema, idParam, jsonSchema, parse, type RouteContext } from '../context.js';

const doc = { type: 'object', additionalProperties: true };
/** The error body, with a refusal's reason, article and trace. */
const refusalSchema = {
  ...errorSchema,
  properties: {
    ...errorSchema.properties,
    error: {
      ...errorSchema.properties.error,
      properties: {
        ...errorSchema.properties.error.properties,
        reason: { type: 'string', description: 'A refusal: why, in the words of the rules (Chinese).' },
        source: { type: 'string', description: 'A refusal: the article that decides.' },
        trace: { type: 'array', items: { type: 'object', additionalProperties: true } },
      },
    },
  },
};
/** `?limit=100&cursor=…`. */
const pageQuery = z.strictObject(pageFields('account'));
export function registerAccountRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const accounts = new AccountLedger(ctx.ledger.store, ctx.policies);
  const agency = (req: FastifyRequest): Promise<Actor> => ctx.authorize(req, 'agency');

  app.post(
    '/v1/accounts',
    {
      schema: {
        summary: 'Open a personal account (个人账户) or a family account, with the holder’s details for the monthly credit. Idempotent by account id (agency).',
        body: jsonSchema(openAccountSchema),
        response: { 200: doc, 201: doc, '4xx': refusalSchema },
      },
    },
    async (req, reply) => {
      const actor = await agency(req);
      const open = parseOpenAccount(req.body, ctx.policies);
      const r = await accounts.open(open, actor);
      return reply.code(r.created ? 201 : 200).send(r.account);
    },
  );

  app.post(
    '/v1/accounts/credit-month',
    {
      schema: {
        summary: 'Credit a month to every open account (按月计入, Puyang 第六条), once: a second run credits nothing more (agency)',
        body: jsonSchema(creditMonthSchema),
        response: { 200: doc, '4xx': refusalSchema },
      },
    },
    async (req, reply) => {
      const actor = await agency(req);
      const { month } = parse(creditMonthSchema, req.body, '');
      return accounts.creditMonth(month, actor);
    },
  );

  app.post(
    '/v1/accounts/:id/holder',
    {
      schema: {
        summary: "The holder's details (category, contribution base…) from a month on (agency)",
        params: jsonSchema(idParam),
        body: jsonSchema(holderSchema),
        response: { 200: doc, '4xx': refusalSchema },
      },
    },
    async (req, reply) => {
      const actor = await agency(req);
      const { id } = parse(idParam, req.params, 'params');
      const terms = parseHolder(req.body);
      const r = await accounts.setHolder(id, terms, actor);
      return { ...r.account, changed: r.changed };
    },
  );

  app.post(
    '/v1/accounts/:id/operations',
    {
      schema: {
        summary:
          'An operation on an account: a visit payment, a family member’s costs or residents’ contribution, the holder’s supplementary contribution, transfer out, refund, inheritance… Refused with the reason and the article when the documents do not allow it. Idempotent by requestId (agency; an institution: visit payments at its own institution only).',
        params: jsonSchema(idParam),
        body: jsonSchema(operateSchema),
        response: { 200: doc, 201: doc, '4xx': refusalSchema },
      },
    },
    async (req, reply) => {
      const actor = await ctx.authorize(req, 'agency', 'institution');
      const { id } = parse(idParam, req.params, 'params');
      const op = parseOperate(req.body, id, ctx.policies);
      if (actor.role === 'institution') {
        const o = op.operation;
        if (o.kind !== 'visit-payment' || (o.place ?? 'institution') !== 'institution')
          throw new YibaoError('FORBIDDEN', `operation.kind: an institution key may post only a visit-payment at its institution, not ${o.kind === 'visit-payment' ? 'a pharmacy purchase' : o.kind}`);
        if (!o.settlementId) throw new YibaoError('FORBIDDEN', 'operation.settlementId: an institution key pays a visit of a settlement at its own institution: name the settlement');
        // The settlement must be one at this institution, of this visit, of the account's holder.
        const s = await ctx.ledger.store.db
          .selectFrom('settlements')
          .select(['kind', 'person_id', 'visit_id', 'institution_id'])
          .where('id', '=', o.settlementId)
          .executeTakeFirst();
        if (!s || s.institution_id !== actor.institutionId || s.kind !== 'settlement')
          throw new YibaoError('FORBIDDEN', `operation.settlementId: ${o.settlementId} is not a settlement at ${actor.institutionId}`);
        if (s.visit_id !== o.visitId) throw new YibaoError('FORBIDDEN', `operation.visitId: settlement ${o.settlementId} is not of visit ${o.visitId}`);
        const holder = await ctx.ledger.store.db.selectFrom('accounts').select('holder_id').where('id', '=', id).executeTakeFirst();
        if (!holder || holder.holder_id !== s.person_id)
          throw new YibaoError('FORBIDDEN', `operation.settlementId: settlement ${o.settlementId} is not of the holder of account ${id}`);
      }
      const r = await accounts.operate(id, op, actor);
      return reply.code(r.created ? 201 : 200).send(storedEntryJson(r, { replayed: !r.created }));
    },
  );

  app.get(
    '/v1/accounts/:id',
    {
      schema: {
        summary: `An account: balance, holder’s details and its entries in order, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor: the nextCursor of the previous page) (agency)`,
        params: jsonSchema(idParam),
        querystring: jsonSchema(pageQuery),
        response: { 200: doc, '4xx': refusalSchema },
      },
    },
    async (req, reply) => {
      await agency(req);
      const { id } = parse(idParam, req.params, 'params');
      const { limit, cursor } = parse(pageQuery, req.query, 'query');
      ctx.reads(req, 'read.account', id, cursor ? { cursor: true } : undefined);
      return accounts.show(id, { limit, after: cursor });
    },
  );
}
