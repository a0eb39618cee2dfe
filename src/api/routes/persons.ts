/**
 * The person registry (参保人员信息): the attributes that change a person's benefits, kept by the
 * agency (src/ledger/registry.ts). Set a record (create or replace), show one, list them: agency
 * only, every change and every read audited. A settle is checked against the record and never
 * changes it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_PERSONS_PAGE } from '../../ledger/registry.js';
import { parsePersonRecord, personRecordSchema } from '../../request/person-request.js';
import { id } from '../../request/settle-request.js';
import { errorSchema, idParam, jsonSchema, parse, type RouteContext } from '../context.js';

const personDoc = {
  type: 'object',
  additionalProperties: true,
  description: 'A registry record: id, region, scheme, category, hardship, familyDoctorAt, employment, accountReformed (null: none or not known), updatedAt.',
};

/** `?after=ID&limit=N`: the page after a person id, at most MAX_PERSONS_PAGE. */
const pageQuery = z.strictObject({
  after: id.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `must be a number from 1 to ${MAX_PERSONS_PAGE}`)
    .refine((v) => Number(v) >= 1 && Number(v) <= MAX_PERSONS_PAGE, `must be a number from 1 to ${MAX_PERSONS_PAGE}`)
    .optional(),
});

export function registerPersonRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.put(
    '/v1/persons/:id',
    {
      schema: {
        summary: "Set a person's registry record (create or replace): the attributes that change benefits; settles are checked against it (agency only)",
        params: jsonSchema(idParam),
        body: jsonSchema(personRecordSchema),
        response: { 200: personDoc, 201: personDoc, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const actor = await ctx.authorize(req, 'agency');
      const { id: personId } = parse(idParam, req.params, 'params');
      const record = parsePersonRecord(req.body, ctx.policies, { personId });
      const { person, created, changed } = await ctx.ledger.persons.set(record, actor);
      return reply.code(created ? 201 : 200).send({ ...person, changed });
    },
  );

  app.get(
    '/v1/persons/:id',
    { schema: { summary: "A person's registry record (agency only; the read is audited)", params: jsonSchema(idParam), response: { 200: personDoc, '4xx': errorSchema } } },
    async (req) => {
      const actor = await ctx.authorize(req, 'agency');
      const { id: personId } = parse(idParam, req.params, 'params');
      return ctx.ledger.persons.show(personId, actor);
    },
  );

  app.get(
    '/v1/persons',
    {
      schema: {
        summary: `The person registry in id order, a page at a time (after, limit ≤ ${MAX_PERSONS_PAGE}, default 100); next is the after of the next page (agency only; audited)`,
        querystring: jsonSchema(pageQuery),
        response: { 200: { type: 'object', properties: { persons: { type: 'array', items: personDoc }, next: { type: ['string', 'null'] } } }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, 'agency');
      const { after, limit } = parse(pageQuery, req.query, 'query');
      return ctx.ledger.persons.list(actor, { ...(after !== undefined ? { after } : {}), limit: limit === undefined ? 100 : Number(limit) });
    },
  );
}
