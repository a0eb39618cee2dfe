/**
 * The settlement service over HTTP (Fastify).
 *
 * Request bodies are validated with the same zod schemas as the CLI (one schema language); the
 * OpenAPI document is generated from them. Every error is JSON `{ error: { code, message, ... } }`
 * with a stable code; malformed requests get a 4xx, never a 500.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'kysely';
import { z } from 'zod';
import { SettlementError } from '../engine/errors.js';
import { Ledger, LedgerError, type Actor } from '../ledger/ledger.js';
import type { PolicySet } from '../policy/registry.js';
import { parseSettleOne, preSettleSchema, requestIdSchema, settleOneSchema } from '../request/settle-one.js';
import { RequestError } from '../request/settle-request.js';
import { formatIssues } from '../policy/schema.js';
import { KeyStore, type Role } from './keys.js';

export interface ServerOptions {
  ledger: Ledger;
  policies: PolicySet;
  keys: KeyStore;
  /** pino options, or false for no logging. */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  bodyLimit?: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';

const LEDGER_STATUS: Record<string, number> = {
  IDEMPOTENCY_CONFLICT: 409,
  VISIT_ALREADY_SETTLED: 409,
  ALREADY_REVERSED: 409,
  NOT_REVERSIBLE: 409,
  INSTITUTION_MISMATCH: 409,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

const jsonSchema = (schema: z.ZodType) => {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
};

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        problems: { type: 'array', items: { type: 'string' } },
        missing: {
          type: 'array',
          description: 'For MISSING_PARAMETER: each parameter the documents do not give.',
          items: {
            type: 'object',
            properties: { path: { type: 'string' }, label: { type: 'string' }, citation: { type: 'string' }, reason: { type: 'string' } },
          },
        },
      },
      required: ['code', 'message'],
    },
    requestId: { type: 'string' },
  },
};

const entryDoc = { type: 'object', additionalProperties: true, description: 'A ledger entry: the settlement (amounts in yuan) with its trace, or a reversal.' };

const yearQuery = z.strictObject({
  year: z
    .string()
    .regex(/^\d{4}$/, 'must be a year such as 2024')
    .optional(),
});
const idParam = z.strictObject({ id: z.string().min(1).max(128) });
const reverseBody = z.strictObject({ requestId: requestIdSchema });

function parse<T extends z.ZodType>(schema: T, data: unknown, where: string): z.output<T> {
  const r = schema.safeParse(data ?? {});
  if (!r.success) throw new RequestError(formatIssues(r.error.issues, where));
  return r.data;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { ledger, policies, keys } = options;
  const app = Fastify({
    logger: options.logger ?? { level: 'info' },
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { strict: false } },
  });
  // zod validates every body; the JSON schemas on the routes are for the OpenAPI document only.
  app.setValidatorCompiler(() => () => true);
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'yibao settlement service',
        version: '1',
        description:
          'Pre-settle, settle and reverse visits against the policy documents in force, with idempotent request ids, and query accumulators and history. Amounts in yuan. Authenticate with `Authorization: Bearer <key>`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // A callback hook, not an async one: no promise per response.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` }, requestId: req.id });
  });

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const send = (status: number, body: Record<string, unknown>) => reply.code(status).send({ error: body, requestId: req.id });
    if (err instanceof RequestError) return send(400, { code: 'INVALID_REQUEST', message: `invalid request: ${err.problems.join('; ')}`, problems: err.problems });
    if (err instanceof HttpError) return send(err.status, { code: err.code, message: err.message, ...(err.problems ? { problems: err.problems } : {}) });
    if (err instanceof SettlementError) return send(422, err.toJSON() as unknown as Record<string, unknown>);
    if (err instanceof LedgerError) return send(LEDGER_STATUS[err.code] ?? 400, { code: err.code, message: err.message });
    const fe = err as FastifyError;
    if (fe.statusCode === 413) return send(413, { code: 'BODY_TOO_LARGE', message: `request body is larger than ${options.bodyLimit ?? 256 * 1024} bytes` });
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the body as application/json' });
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
      return send(fe.statusCode, { code: fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(fe.message) ? 'INVALID_JSON' : 'BAD_REQUEST', message: fe.message });
    }
    req.log.error({ err }, 'unhandled error');
    return send(500, { code: 'INTERNAL', message: 'internal error; the request id identifies it in the service log' });
  });

  /** Who is calling, or 401. */
  async function authenticate(req: FastifyRequest): Promise<Actor> {
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : (req.headers['x-api-key'] as string | undefined);
    if (!presented) throw new HttpError(401, 'UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key>');
    const actor = await keys.actor(presented);
    if (!actor) throw new HttpError(401, 'UNAUTHENTICATED', 'the API key is not valid or has been revoked');
    req.log.info({ actor: actor.id, role: actor.role }, 'authenticated');
    return actor;
  }

  function allow(actor: Actor, ...roles: Role[]): void {
    if (!roles.includes(actor.role as Role)) {
      throw new HttpError(403, 'FORBIDDEN', `a ${actor.role} key may not do this (allowed: ${roles.join(', ')})`);
    }
  }

  const personal = ['institution', 'agency'] as Role[];

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply: FastifyReply) => {
    try {
      await sql`select 1`.execute(ledger.store.db);
      return { status: 'ready', store: ledger.store.dialect, policies: policies.packs.length };
    } catch (e) {
      return reply.code(503).send({ status: 'unavailable', error: (e as Error).message });
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.post(
    '/v1/pre-settlements',
    {
      schema: {
        summary: 'Pre-settle a visit (预结算, like 2206): the settlement that would result now; writes nothing',
        body: jsonSchema(preSettleSchema),
        response: { 200: entryDoc, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await authenticate(req);
      allow(actor, ...personal);
      const one = parseSettleOne(req.body, policies, { requestIdRequired: false });
      return ledger.preSettle(one, actor);
    },
  );

  app.post(
    '/v1/settlements',
    {
      schema: {
        summary: 'Settle a visit (结算, like 2207): commit it with its accumulator changes. Idempotent by requestId.',
        body: jsonSchema(settleOneSchema),
        response: { 200: entryDoc, 201: entryDoc, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const actor = await authenticate(req);
      allow(actor, ...personal);
      const one = parseSettleOne(req.body, policies);
      const { body, created } = await ledger.settle(one, actor);
      // The entry's JSON as stored: serialized once.
      return reply.code(created ? 201 : 200).type(JSON_TYPE).send(body);
    },
  );

  app.post(
    '/v1/settlements/:id/reversal',
    {
      schema: {
        summary: 'Reverse a settlement (冲正, like 2208): a new entry restoring the accumulators. Idempotent by requestId.',
        params: jsonSchema(idParam),
        body: jsonSchema(reverseBody),
        response: { 200: entryDoc, 201: entryDoc, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const actor = await authenticate(req);
      allow(actor, ...personal);
      const { id } = parse(idParam, req.params, 'params');
      const { requestId } = parse(reverseBody, req.body, '');
      const { body, created } = await ledger.reverse(id, requestId, actor);
      return reply.code(created ? 201 : 200).type(JSON_TYPE).send(body);
    },
  );

  app.get(
    '/v1/settlements/:id',
    { schema: { summary: 'One ledger entry with its trace', params: jsonSchema(idParam), response: { 200: entryDoc, '4xx': errorSchema } } },
    async (req) => {
      const actor = await authenticate(req);
      allow(actor, ...personal);
      const { id } = parse(idParam, req.params, 'params');
      return ledger.entry(id, actor);
    },
  );

  app.get(
    '/v1/persons/:id/settlements',
    {
      schema: {
        summary: "A person's settlement history (institutions see their own visits only)",
        params: jsonSchema(idParam),
        querystring: jsonSchema(yearQuery),
        response: { 200: { type: 'object', properties: { person: { type: 'string' }, entries: { type: 'array', items: entryDoc } } }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await authenticate(req);
      allow(actor, ...personal);
      const { id } = parse(idParam, req.params, 'params');
      const { year } = parse(yearQuery, req.query, 'query');
      return { person: id, entries: await ledger.history(id, actor, year ? { year: Number(year) } : {}) };
    },
  );

  app.get(
    '/v1/persons/:id/accumulators',
    {
      schema: {
        summary: "A person's accumulators for a year: used and remaining per cap, open deductible windows (agency only)",
        params: jsonSchema(idParam),
        querystring: jsonSchema(yearQuery),
        response: { 200: { type: 'object', additionalProperties: true }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await authenticate(req);
      allow(actor, 'agency');
      const { id } = parse(idParam, req.params, 'params');
      const { year } = parse(yearQuery, req.query, 'query');
      return ledger.accumulators(id, year ? Number(year) : new Date(Date.now() + 8 * 3_600_000).getUTCFullYear());
    },
  );

  app.get(
    '/v1/stats/fund',
    {
      schema: {
        summary: 'Fund outlay aggregates by policy and month (no personal data; analysts and the agency)',
        querystring: jsonSchema(yearQuery),
        response: { 200: { type: 'object', additionalProperties: true }, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = await authenticate(req);
      allow(actor, 'analyst', 'agency');
      const { year } = parse(yearQuery, req.query, 'query');
      return ledger.fundStats(year ? Number(year) : undefined);
    },
  );

  return app;
}
