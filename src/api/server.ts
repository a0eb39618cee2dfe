/**
 * The settlement service over HTTP (Fastify).
 *
 * Request bodies are validated with the same zod schemas as the CLI (one schema language); the
 * OpenAPI document is generated from them. Every error is JSON `{ error: { code, message, ... } }`
 * with a stable code; malformed requests get a 4xx, never a 500.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'kysely';
import { SettlementError } from '../engine/errors.js';
import { Ledger, LedgerError } from '../ledger/ledger.js';
import type { PolicySet } from '../policy/registry.js';
import { RequestError } from '../request/settle-request.js';
import { HttpError, routeContext } from './context.js';
import { KeyStore } from './keys.js';
import { registerAccountRoutes } from './routes/accounts.js';
import { registerClaimRoutes } from './routes/claims.js';
import { registerContributionRoutes } from './routes/contributions.js';
import { registerEnrollmentRoutes } from './routes/enrollments.js';
import { registerNationalRoutes } from './routes/national.js';
import { registerPersonRoutes } from './routes/persons.js';
import { registerPolicyRoutes } from './routes/policies.js';
import { registerSettlementRoutes } from './routes/settlements.js';

export interface ServerOptions {
  ledger: Ledger;
  policies: PolicySet;
  keys: KeyStore;
  /** pino options, or false for no logging. */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  bodyLimit?: number;
}

const LEDGER_STATUS: Record<string, number> = {
  IDEMPOTENCY_CONFLICT: 409,
  VISIT_ALREADY_SETTLED: 409,
  ALREADY_REVERSED: 409,
  NOT_REVERSIBLE: 409,
  INSTITUTION_MISMATCH: 409,
  PERSON_MISMATCH: 409,
  PERSON_NOT_REGISTERED: 422,
  NOT_ENROLLED: 422,
  ENROLLMENT_NOT_ACCEPTED: 422,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  ACCOUNT_NOT_AVAILABLE: 422,
};

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

  const ctx = routeContext(ledger, policies, keys);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply: FastifyReply) => {
    try {
      await sql`select 1`.execute(ledger.store.db);
      return { status: 'ready', store: ledger.store.dialect, policies: policies.packs.length, requireEnrollment: ledger.mode.requireEnrollment };
    } catch (e) {
      return reply.code(503).send({ status: 'unavailable', error: (e as Error).message });
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerSettlementRoutes(app, ctx);
  registerContributionRoutes(app, ctx);
  registerAccountRoutes(app, ctx);
  registerEnrollmentRoutes(app, ctx);
  registerNationalRoutes(app, ctx);
  registerPolicyRoutes(app, ctx);
  registerClaimRoutes(app, ctx);
  registerPersonRoutes(app, ctx);

  return app;
}
