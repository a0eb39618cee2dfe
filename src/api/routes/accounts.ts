/**
 * Personal accounts (个人账户, Puyang 第六条–第八条, 第十四条; 个人（家庭）账户, Luoyang 36号 第八条): open
 * an account, set its holder's details from a month on, credit a month for every account, operate
 * on an account, and read it. The agency does all of it; an institution may only post a
 * visit-payment for a visit at its own institution.
 *
 * A refusal of the rules answers 422 (409 for a closed account or a reference used before) with
 * `{ error: { code, message, reason, source, trace } }`; nothing is written. Registered under
 * /v1/accounts.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { YibaoError } from '../../errors.js';
import { storedEntryJson } from '../../ledger/accounts.js';
import { AccountLedger } from '../../ledger/accounts.js';
import { creditMonthSchema, holderSchema, openAccountSchema, operateSchema, parseHolder, parseOpenAccount, parseOperate } from '../../request/account-request.js';
import { PAGE_DEFAULT, PAGE_MAX, pageFields } from '../../request/page.js';
import { errorSchema, idParam, parsedBody, withExamples, type RouteContext, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { accountEntrySchema, accountPageSchema, accountSchema, creditMonthSchema as creditedSchema } from '../responses.js';

/** The error body, with a refusal's reason, article and trace. */
const refusalSchema = errorSchema.extend({
  error: errorSchema.shape.error.extend({
    reason: z.string().optional().meta({ description: 'A refusal: why, in the words of the rules (Chinese).' }),
    source: z.string().optional().meta({ description: 'A refusal: the article that decides.' }),
    trace: z.array(z.looseObject({})).optional(),
  }),
});
/** `?limit=100&cursor=…`. */
const pageQuery = z.strictObject(pageFields('account'));

/**
 * An institution key posts only a visit-payment at its institution, for a settlement there of
 * that visit, of the account's holder (a preHandler: the body is the parsed operation).
 */
async function institutionMayPay(ctx: RouteContext, req: FastifyRequest): Promise<void> {
  if (req.actor.role !== 'institution') return;
  const { id } = req.params as { id: string };
  const o = parseOperate(req.body, id, ctx.policies).operation;
  if (o.kind !== 'visit-payment' || (o.place ?? 'institution') !== 'institution')
    throw new YibaoError(
      'FORBIDDEN',
      `operation.kind: an institution key may post only a visit-payment at its institution, not ${o.kind === 'visit-payment' ? 'a pharmacy purchase' : o.kind}`,
    );
  if (!o.settlementId) throw new YibaoError('FORBIDDEN', 'operation.settlementId: an institution key pays a visit of a settlement at its own institution: name the settlement');
  // The settlement must be one at this institution, of this visit, of the account's holder.
  const [s, holderId] = await Promise.all([ctx.ledger.settlementParties(o.settlementId), ctx.ledger.accountOwner(id)]);
  if (!s || s.institutionId !== req.actor.institutionId || s.kind !== 'settlement')
    throw new YibaoError('FORBIDDEN', `operation.settlementId: ${o.settlementId} is not a settlement at ${req.actor.institutionId}`);
  if (s.visitId !== o.visitId) throw new YibaoError('FORBIDDEN', `operation.visitId: settlement ${o.settlementId} is not of visit ${o.visitId}`);
  if (!holderId || holderId !== s.personId) throw new YibaoError('FORBIDDEN', `operation.settlementId: settlement ${o.settlementId} is not of the holder of account ${id}`);
}

export const accountRoutes: RoutePlugin = async (app, { ctx }) => {
  const accounts = new AccountLedger(ctx.ledger.store, ctx.policies);

  app.post(
    '',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: 'Open a personal account (个人账户) or a family account, with the holder’s details for the monthly credit. Idempotent by account id (agency).',
        body: parsedBody(openAccountSchema, [EXAMPLES.openAccount]),
        response: { 200: accountSchema, 201: accountSchema, '4xx': refusalSchema },
      },
    },
    async (req, reply) => {
      const r = await accounts.open(parseOpenAccount(req.body, ctx.policies), req.actor);
      return reply.code(r.created ? 201 : 200).send(r.account);
    },
  );

  app.post(
    '/credit-month',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: 'Credit a month to every open account (按月计入, Puyang 第六条), once: a second run credits nothing more (agency)',
        body: withExamples(creditMonthSchema, [EXAMPLES.creditMonth]),
        response: { 200: creditedSchema, '4xx': refusalSchema },
      },
    },
    async (req) => accounts.creditMonth(req.body.month, req.actor),
  );

  app.post(
    '/:id/holder',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: "The holder's details (category, contribution base…) from a month on (agency)",
        params: idParam,
        body: parsedBody(holderSchema, [EXAMPLES.holder]),
        response: { 200: accountSchema, '4xx': refusalSchema },
      },
    },
    async (req) => {
      const r = await accounts.setHolder(req.params.id, parseHolder(req.body), req.actor);
      return { ...r.account, changed: r.changed };
    },
  );

  app.post(
    '/:id/operations',
    {
      config: { roles: ['agency', 'institution'] },
      schema: {
        summary:
          'An operation on an account: a visit payment, a family member’s costs or residents’ contribution, the holder’s supplementary contribution, transfer out, refund, inheritance… Refused with the reason and the article when the documents do not allow it. Idempotent by requestId (agency; an institution: visit payments at its own institution only).',
        params: idParam,
        body: parsedBody(operateSchema, [EXAMPLES.operation]),
        response: { 200: accountEntrySchema, 201: accountEntrySchema, '4xx': refusalSchema },
      },
      preHandler: async (req) => institutionMayPay(ctx, req),
    },
    async (req, reply) => {
      const r = await accounts.operate(req.params.id, parseOperate(req.body, req.params.id, ctx.policies), req.actor);
      return reply.code(r.created ? 201 : 200).send(storedEntryJson(r, { replayed: !r.created }));
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: `An account: balance, holder’s details and its entries in order, a page at a time (limit, default ${PAGE_DEFAULT}, at most ${PAGE_MAX}; cursor: the nextCursor of the previous page) (agency)`,
        params: idParam,
        querystring: pageQuery,
        response: { 200: accountPageSchema, '4xx': refusalSchema },
      },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      ctx.reads(req, 'read.account', req.params.id, cursor ? { cursor: true } : undefined);
      return accounts.show(req.params.id, { limit, after: cursor }) as Promise<z.input<typeof accountPageSchema>>;
    },
  );
};
