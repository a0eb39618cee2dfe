/**
 * The settlement service over HTTP (Fastify).
 *
 * Each resource's routes are a plugin (routes/*.ts) registered under its prefix; who may call a
 * route is its `config.roles`, checked by one hook here. Requests and answers are zod schemas
 * (fastify-type-provider-zod, the same schemas as the CLI): they validate, type the handlers and
 * give the OpenAPI document (/openapi.json, /docs). Every error is a YibaoError (src/errors.ts)
 * answered as JSON `{ error: { code, message, ... }, requestId }`, its status from the one table
 * in status.ts; malformed requests get a 4xx, never a 500.
 */
import { calculationRoutes } from './routes/calculations.js';
import { simulationRoutes } from './routes/simulations.js';
import { DEFAULT_NATIONAL_OPTIONS, type NationalOptions } from '../national/options.js';
import { nationalPath } from '../national/problems.js';
import { nationalInpatientRoutes } from './routes/national-inpatient.js';
import { nationalOutpatientRoutes } from './routes/national-outpatient.js';
import { nationalReversalRoutes } from './routes/national-reversal.js';
import { nationalSessionRoutes } from './routes/national-session.js';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { YibaoError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { storeUnavailable } from '../ledger/errors.js';
import { replicaState } from '../ledger/analysis.js';
import type { PolicySet } from '../policy/registry.js';
import { ID_MAX } from '../request/id.js';
import { RequestError } from '../request/settle-request.js';
import { auditRowOf, JSON_TYPE, openApiTransform, registerRoutes, routeContext, serializerCompiler, validatorCompiler } from './context.js';
import { answerOf, errorBody, INTERNAL, RETRY_AFTER_S } from './status.js';
import { registerMetrics } from './metrics.js';
import type { KeyStore } from '../ledger/keys.js';
import { accountRoutes } from './routes/accounts.js';
import { auditRoutes } from './routes/audit.js';
import { claimRoutes } from './routes/claims.js';
import { contributionRoutes } from './routes/contributions.js';
import { enrollmentRoutes } from './routes/enrollments.js';
import { budgetRoutes } from './routes/budgets.js';
import { clearingRoutes } from './routes/clearing.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { nationalClearingRoutes } from './routes/national-clearing.js';
import { nationalSupervisionRoutes } from './routes/national-supervision.js';
import { nationalRoutes } from './routes/national.js';
import { reconciliationRoutes } from './routes/reconciliations.js';
import { personIdentityRoutes } from './routes/person-identity.js';
import { personRoutes } from './routes/persons.js';
import { policyRoutes } from './routes/policies.js';
import { settlementRoutes } from './routes/settlements.js';
import { supervisionRoutes } from './routes/supervision.js';
import { whoamiRoutes } from './routes/whoami.js';
import { registerWeb } from './web.js';

export interface ServerOptions {
  ledger: Ledger;
  policies: PolicySet;
  keys: KeyStore;
  /** pino options, or false for no logging. */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  bodyLimit?: number;
  /** How long a client may take (ms); any left out is its default (DEFAULT_TIMEOUTS). */
  timeouts?: Partial<Timeouts>;
  /** How the national interface is spoken (src/national/options.ts); any left out is its default. */
  national?: Partial<NationalOptions>;
  /** The built web app's folder (default dist/web at the package root; src/api/web.ts). */
  webDir?: string;
  /**
   * The user policy files `policies` were loaded with (`--policy-file`): the simulation's worker
   * threads load the same, so POST /v1/simulations runs the policies the service settles with.
   */
  policyFiles?: readonly string[];
}

/** How long the service waits for a client (milliseconds). */
export interface Timeouts {
  /** To receive a request's headers, from the connection or the previous request: else 408, closed. */
  headersMs: number;
  /** To receive a whole request, headers and body: else 408, closed. At least headersMs. */
  requestMs: number;
  /** An idle keep-alive connection between requests: then closed. */
  keepAliveMs: number;
  /** A connection with no traffic either way, whatever it is doing: then closed. */
  idleMs: number;
}

/** `yibao serve`'s defaults (docs/service.md). */
export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, idleMs: 60_000 };

/** The largest request body, in bytes (a reconciliation's file may be larger: routes/reconciliations.ts). */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

/** A client's x-request-id is adopted only if it is at most this long, of these characters; else one is made. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request id of a request: the client's x-request-id when it is a safe one, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && CLIENT_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * A path parameter longer than this never reaches a route (the router refuses it): far above the
 * id rule's maximum, so that a long id is refused by the same zod rule as in a body, naming it.
 */
const MAX_PARAM_LENGTH = 4 * ID_MAX;

/**
 * Errors of the connection, before Fastify has a request (a client too slow with its headers or
 * body, headers too large, not HTTP): answered in the service's error shape, with a request id,
 * and the connection closed.
 */
function clientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'the request was not received in time; the connection is closed']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'the request headers are too large']
        : [400, 'BAD_REQUEST', 'the request is not valid HTTP/1.1'];
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(requestId, { code, message }));
  this.log.info({ reqId: requestId, code }, 'client error');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Keys a JSON body may not have anywhere: they could change an object's prototype. */
const FORBIDDEN_KEYS = ['__proto__', 'constructor'];

/** How JSON writes U+0000 (NUL): the only way a body's value can hold one (a raw NUL is not JSON). */
const NUL_ESCAPE = '\\u0000';

/**
 * The first place in `value` (a walk without recursion: any depth) with a forbidden key, or (with
 * `nul`) a key or a string holding U+0000; undefined when there is none.
 */
function refusedPlace(value: unknown, nul: boolean): { path: string; nul: boolean } | undefined {
  if (nul && typeof value === 'string' && value.includes('\u0000')) return { path: '(the body)', nul: true };
  const stack: [unknown, string][] = [[value, '']];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, path] = item;
    if (v === null || typeof v !== 'object') continue;
    const array = Array.isArray(v);
    for (const key of Object.keys(v)) {
      const here = array ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (!array && FORBIDDEN_KEYS.includes(key)) return { path: here, nul: false };
      const child = (v as Record<string, unknown>)[key];
      if (nul && (key.includes('\u0000') || (typeof child === 'string' && child.includes('\u0000')))) return { path: here.replaceAll('\u0000', '\\u0000'), nul: true };
      stack.push([child, here]);
    }
  }
  return undefined;
}

/**
 * A JSON body: 400 INVALID_JSON when it is not JSON, 400 FORBIDDEN_KEY naming a __proto__ or
 * constructor key, 400 INVALID_REQUEST naming a string or key that holds U+0000.
 */
function parseJsonBody(req: { url: string }, body: string, done: (err: Error | null, value?: unknown) => void): void {
  const read = readJsonBody(body, req.url.startsWith('/v1/national/'));
  if (read instanceof YibaoError) done(read);
  else done(null, read.value);
}

/**
 * A body's JSON value, or why it is refused. A national message's field is named as the national
 * problems name it (`data.psn_no`, not `input.data.psn_no`: src/national/problems.ts), in Chinese first.
 */
function readJsonBody(body: string, national: boolean): { value: unknown } | YibaoError {
  if (body.length === 0) return new YibaoError('INVALID_JSON', 'the body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    return new YibaoError('INVALID_JSON', `the body is not valid JSON: ${(e as Error).message}`);
  }
  // The walk only when the text has such a key or a NUL at all.
  const nul = body.includes(NUL_ESCAPE);
  const refused = nul || FORBIDDEN_KEYS.some((k) => body.includes(k)) ? refusedPlace(value, nul) : undefined;
  if (refused?.nul) {
    // No field takes it, and PostgreSQL cannot store it in text: refused alike on both stores.
    const why = 'must be printable: the character U+0000 (NUL) is refused in every field';
    return new RequestError([national ? `${nationalPath(refused.path)}: 不可含空字符 U+0000（${why}）` : `${refused.path}: ${why}`]);
  }
  if (refused) {
    return new YibaoError(
      'FORBIDDEN_KEY',
      `${refused.path}: the keys ${FORBIDDEN_KEYS.join(' and ')} are refused anywhere in a body (they could change objects' prototypes); remove it`,
    );
  }
  return { value };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>> {
  const { ledger, policies, keys } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const t: Timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    logger: options.logger ?? { level: 'info' },
    bodyLimit,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers['x-request-id']),
    // Slow clients: Node answers 408 (clientError) and closes; the check runs this often.
    http: { headersTimeout: t.headersMs, connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(t.headersMs, t.requestMs) / 4))) },
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionTimeout: t.idleMs,
    clientErrorHandler: clientError,
    // The router's refusals (a path parameter too long, a malformed %-escape) in the service's shape.
    frameworkErrors: (err, req, reply) => {
      const problem =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `params: a path parameter is longer than ${MAX_PARAM_LENGTH} characters (an id is at most ${ID_MAX})` : `url: ${err.message}`;
      void (reply as FastifyReply)
        .code(400)
        .header('x-request-id', req.id)
        .send(errorBody(req.id, { code: 'INVALID_REQUEST', message: `invalid request: ${problem}`, problems: [problem] }));
    },
    // Closing: answered below, in the service's shape.
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();
  // One zod schema per part: it validates (refusals in the service's shape), types the handler,
  // checks the answer and gives the OpenAPI document.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);

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
    transform: openApiTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const audit = ledger.auditLog();
  // Rows still waiting are written before the store closes.
  app.addHook('onClose', (_app, done) => void audit.drain().then(() => done()));

  // A callback hook, not an async one: no promise per response. A refusal or a read of personal
  // data is answered once its audit row is written; a read whose row cannot be written is not
  // answered with the data.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    const row = auditRowOf(req, reply.statusCode, payload);
    if (!row) return done(null, payload);
    audit.record(row).then(
      () => done(null, payload),
      (e: unknown) => {
        req.log.error({ err: e }, 'audit row not written');
        if (reply.statusCode >= 400) return done(null, payload);
        void reply.code(503).header('retry-after', String(RETRY_AFTER_S));
        done(
          null,
          JSON.stringify(errorBody(req.id, { code: 'AUDIT_UNAVAILABLE', message: 'the read could not be recorded in the audit log, so it is not answered; try again shortly' })),
        );
      },
    );
  });

  // The web app at `/` (src/api/web.ts): its files, and index.html for the app's own paths.
  const webFallback = await registerWeb(app, options.webDir);
  app.setNotFoundHandler((req, reply) => {
    if (webFallback(req, reply)) return;
    void reply.code(404).send(errorBody(req.id, { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
  });

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const send = (status: number, body: Record<string, unknown>) => reply.code(status).send(errorBody(req.id, body));
    if (err instanceof YibaoError) {
      const { status, error } = answerOf(err);
      if (status === 503) void reply.header('retry-after', String(RETRY_AFTER_S));
      if (status === 500) req.log.error({ err }, 'unhandled error');
      return send(status, error);
    }
    const fe = err as FastifyError;
    if (fe.statusCode === 413) return send(413, { code: 'BODY_TOO_LARGE', message: `request body is larger than ${req.routeOptions.bodyLimit ?? bodyLimit} bytes` });
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the body as application/json' });
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
      return send(fe.statusCode, { code: fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(fe.message) ? 'INVALID_JSON' : 'BAD_REQUEST', message: fe.message });
    }
    // The database down, restarting or unreachable: 503 with Retry-After, never a 500.
    const down = storeUnavailable(err);
    if (down) {
      req.log.warn({ err }, 'database unavailable');
      void reply.header('retry-after', String(RETRY_AFTER_S));
      return send(503, down.toJSON());
    }
    req.log.error({ err }, 'unhandled error');
    return send(500, INTERNAL);
  });

  // Closing (SIGTERM): requests still arriving are told to go elsewhere, in the service's shape.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (!closing) return done();
    void reply
      .code(503)
      .header('connection', 'close')
      .header('retry-after', String(RETRY_AFTER_S))
      .send(errorBody(req.id, { code: 'SHUTTING_DOWN', message: 'the service is shutting down; try again shortly' }));
  });

  const ctx = routeContext(ledger, policies, keys, audit, { ...DEFAULT_NATIONAL_OPTIONS, ...options.national }, options.policyFiles ?? []);
  // Who may call a route is its `config.roles`: checked once the body is read as JSON (a body
  // that is not JSON is 400 whoever sends it) and before it is validated.
  app.decorateRequest('actor', null as unknown as FastifyRequest['actor']);
  app.addHook('preValidation', async (req) => {
    const roles = req.routeOptions.config.roles;
    if (roles) req.actor = await ctx.authorize(req, ...roles);
  });

  // Every answer counted, and GET /metrics for the operator's scraper (metrics.ts).
  registerMetrics(app as unknown as FastifyInstance, ledger);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply: FastifyReply) => {
    // The read replica (yibao serve --read-db) checked beside the primary: reported, but it does
    // not make the instance unready: settlements go to the primary only.
    const replica = ledger.readReplica ? replicaState(ledger.readReplica) : undefined;
    try {
      await ledger.reachable();
      const n = ctx.national;
      return {
        status: 'ready',
        store: ledger.store.dialect,
        ...(replica ? { replica: await replica } : {}),
        policies: policies.packs.length,
        requireEnrollment: ledger.mode.requireEnrollment,
        // How the national interface is spoken (src/national/options.ts), for an HIS vendor checking its setup.
        national: {
          statusMode: n.statusMode,
          requireSignIn: n.requireSignIn,
          codes: n.codes.name,
          amounts: n.amounts,
          catalogue: n.catalogue ? { name: n.catalogue.name, sample: n.catalogue.sample, items: n.catalogue.items.size } : null,
        },
      };
    } catch (e) {
      return reply.code(503).send({ status: 'unavailable', error: (e as Error).message, ...(replica ? { replica: await replica } : {}) });
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await registerRoutes(app, '/v1', settlementRoutes, ctx);
  await registerRoutes(app, '/v1/calculations', calculationRoutes, ctx);
  await registerRoutes(app, '/v1/contributions', contributionRoutes, ctx);
  await registerRoutes(app, '/v1/simulations', simulationRoutes, ctx);
  await registerRoutes(app, '/v1/accounts', accountRoutes, ctx);
  await registerRoutes(app, '/v1', enrollmentRoutes, ctx);
  await registerRoutes(app, '/v1/national', nationalRoutes, ctx);
  await registerRoutes(app, '/v1/policies', policyRoutes, ctx);
  await registerRoutes(app, '/v1/claims', claimRoutes, ctx);
  await registerRoutes(app, '/v1/persons', personRoutes, ctx);
  await registerRoutes(app, '/v1/persons', personIdentityRoutes, ctx);
  await registerRoutes(app, '/v1/whoami', whoamiRoutes, ctx);
  await registerRoutes(app, '/v1/audit', auditRoutes, ctx);
  await registerRoutes(app, '/v1/clearing', clearingRoutes, ctx);
  await registerRoutes(app, '/v1/reconciliations', reconciliationRoutes, ctx);
  await registerRoutes(app, '/v1/national', nationalClearingRoutes, ctx);
  await registerRoutes(app, '/v1/monitoring', budgetRoutes, ctx);
  await registerRoutes(app, '/v1/monitoring', monitoringRoutes, ctx);
  await registerRoutes(app, '/v1/supervision', supervisionRoutes, ctx);
  await registerRoutes(app, '/v1/national', nationalSupervisionRoutes, ctx);
  await registerRoutes(app, '/v1/national', nationalSessionRoutes, ctx);
  await registerRoutes(app, '/v1/national', nationalOutpatientRoutes, ctx);
  await registerRoutes(app, '/v1/national', nationalInpatientRoutes, ctx);
  await registerRoutes(app, '/v1/national', nationalReversalRoutes, ctx);

  return app;
}
