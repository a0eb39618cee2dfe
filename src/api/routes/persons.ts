/**
 * The person registry (参保人员信息): the attributes that change a person's benefits, kept by the
 * agency (src/ledger/registry.ts). Set a record (create or replace), show one, list them: agency
 * only, every change and every read audited. A settle is checked against the record and never
 * changes it. Registered under /v1/persons.
 */
import { z } from 'zod';
import { MAX_PERSONS_PAGE } from '../../ledger/registry.js';
import { parsePersonRecord, personRecordSchema } from '../../request/person-request.js';
import { id } from '../../request/settle-request.js';
import { errorSchema, idParam, parsedBody, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { personSchema, personsPageSchema } from '../responses.js';

/** `?after=ID&limit=N`: the page after a person id, at most MAX_PERSONS_PAGE. */
const pageQuery = z.strictObject({
  after: id.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `must be a number from 1 to ${MAX_PERSONS_PAGE}`)
    .refine((v) => Number(v) >= 1 && Number(v) <= MAX_PERSONS_PAGE, `must be a number from 1 to ${MAX_PERSONS_PAGE}`)
    .optional(),
});

export const personRoutes: RoutePlugin = async (app, { ctx }) => {
  app.put(
    '/:id',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: "Set a person's registry record (create or replace): the attributes that change benefits; settles are checked against it (agency only)",
        params: idParam,
        body: parsedBody(personRecordSchema, [EXAMPLES.person]),
        response: { 200: personSchema, 201: personSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const record = parsePersonRecord(req.body, ctx.policies, { personId: req.params.id });
      const { person, created, changed } = await ctx.ledger.persons.set(record, req.actor);
      return reply.code(created ? 201 : 200).send({ ...person, changed });
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: ['agency'] },
      schema: { summary: "A person's registry record (agency only; the read is audited)", params: idParam, response: { 200: personSchema, '4xx': errorSchema } },
    },
    async (req) => ctx.ledger.persons.show(req.params.id, req.actor),
  );

  app.get(
    '',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: `The person registry in id order, a page at a time (after, limit ≤ ${MAX_PERSONS_PAGE}, default 100); next is the after of the next page (agency only; audited)`,
        querystring: pageQuery,
        response: { 200: personsPageSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const { after, limit } = req.query;
      return ctx.ledger.persons.list(req.actor, { ...(after !== undefined ? { after } : {}), limit: limit === undefined ? 100 : Number(limit) });
    },
  );
};
