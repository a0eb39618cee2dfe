/**
 * Enrollment (参保缴费): record a payment (agency), a person's payments with the coverage each buys
 * (agency), and the coverage a payment would buy, recording nothing (agency and institutions) —
 * the same reading as the settlement's eligibility step (src/enrollment). Registered under /v1.
 */
import { chinaDay } from '../../calendar/calendar.js';
import { coverageJson, deriveCoverage } from '../../enrollment/coverage.js';
import { coverageRequestSchema, parseCoverageRequest, parseRecordRequest, recordRequestSchema } from '../../enrollment/request.js';
import { errorSchema, idParam, parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { coverageSchema, enrollmentSchema, enrollmentsSchema } from '../responses.js';

export const enrollmentRoutes: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/persons/:id/enrollments',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: 'Record a payment (参保缴费) for a coverage year: immutable, idempotent by requestId; returns it with the coverage it buys (agency only)',
        params: idParam,
        body: parsedBody(recordRequestSchema, [EXAMPLES.enrollment]),
        response: { 200: enrollmentSchema, 201: enrollmentSchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const record = parseRecordRequest(req.body, ctx.policies, { personId: req.params.id, today: chinaDay(Date.now()) });
      const { record: stored, created } = await ctx.ledger.enrollments.record(record, req.actor);
      return reply.code(created ? 201 : 200).send(stored);
    },
  );

  app.get(
    '/persons/:id/enrollments',
    {
      config: { roles: ['agency'] },
      schema: {
        summary: "A person's payments by coverage year, each with the coverage it buys (agency only)",
        params: idParam,
        response: { 200: enrollmentsSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      ctx.reads(req, 'read.enrollments', req.params.id);
      return ctx.ledger.enrollments.history(req.params.id);
    },
  );

  app.post(
    '/enrollments/coverage',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: 'The coverage a payment would buy (待遇享受期, waiting period or exemption), with articles; records nothing',
        body: parsedBody(coverageRequestSchema, [EXAMPLES.coverage]),
        response: { 200: coverageSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const { person, payment } = parseCoverageRequest(req.body, ctx.policies);
      return coverageJson(deriveCoverage(ctx.ledger.engine, person, payment));
    },
  );
};
