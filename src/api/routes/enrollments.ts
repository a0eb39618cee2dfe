/**
 * Enrollment (参保缴费): record a payment (agency), a person's payments with the coverage each buys
 * (agency), and the coverage a payment would buy, recording nothing (agency and institutions) —
 * the same reading as the settlement's eligibility step (src/enrollment).
 */
import type { FastifyInstance } from 'fastify';
import { chinaDay } from '../../calendar/calendar.js';
import { coverageJson, deriveCoverage } from '../../enrollment/coverage.js';
import { coverageRequestSchema, parseCoverageRequest, parseRecordRequest, recordRequestSchema } from '../../enrollment/request.js';
import { errorSchema, idParam, jsonSchema, parse, PERSONAL, type RouteContext } from '../context.js';

const coverageDoc = {
  type: 'object',
  additionalProperties: true,
  description:
    'The coverage a payment buys: period (concentrated | extended), concentratedPeriod, coverage (待遇享受期 from/to), waitingPeriod, exemption, benefitsFrom, each with its source, and the trace.',
};
const recordDoc = {
  type: 'object',
  additionalProperties: true,
  description: 'A recorded payment (amount in yuan) with `coverage`, the coverage it buys (or `error` when the documents cannot read it); in a history, `governing` marks the payment a settle uses for its year.',
};

export function registerEnrollmentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    '/v1/persons/:id/enrollments',
    {
      schema: {
        summary: 'Record a payment (参保缴费) for a coverage year: immutable, idempotent by requestId; returns it with the coverage it buys (agency only)',
        params: jsonSchema(idParam),
        body: jsonSchema(recordRequestSchema),
        response: { 200: recordDoc, 201: recordDoc, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const actor = await ctx.authorize(req, 'agency');
      const { id } = parse(idParam, req.params, 'params');
      const record = parseRecordRequest(req.body, ctx.policies, { personId: id, today: chinaDay(Date.now()) });
      const { record: stored, created } = await ctx.ledger.enrollments.record(record, actor);
      return reply.code(created ? 201 : 200).send(stored);
    },
  );

  app.get(
    '/v1/persons/:id/enrollments',
    {
      schema: {
        summary: "A person's payments by coverage year, each with the coverage it buys (agency only)",
        params: jsonSchema(idParam),
        response: { 200: { type: 'object', properties: { person: { type: 'string' }, enrollments: { type: 'array', items: recordDoc } } }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, 'agency');
      const { id } = parse(idParam, req.params, 'params');
      ctx.reads(req, 'read.enrollments', id);
      return ctx.ledger.enrollments.history(id);
    },
  );

  app.post(
    '/v1/enrollments/coverage',
    {
      schema: {
        summary: 'The coverage a payment would buy (待遇享受期, waiting period or exemption), with articles; records nothing',
        body: jsonSchema(coverageRequestSchema),
        response: { 200: coverageDoc, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await ctx.authorize(req, ...PERSONAL);
      const { person, payment } = parseCoverageRequest(req.body, ctx.policies);
      return coverageJson(deriveCoverage(ctx.ledger.engine, person, payment));
    },
  );
}
