/**
 * What every route plugin of the service shares: the ledger and policies, who is calling and
 * whether they may (`authorize`, run by the server's preValidation hook from a route's
 * `config.roles`), validation and serialization with zod (one schema gives validation, the
 * handler's types and the OpenAPI document), and the error shapes.
 *
 * A route module exports a plugin (`RoutePlugin`); server.ts builds the context once and
 * registers each under its prefix.
 */
import { DEFAULT_NATIONAL_OPTIONS, type NationalOptions } from '../national/options.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { jsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { YibaoError } from '../errors.js';
import type { AuditLog, AuditRow } from '../ledger/audit.js';
import type { Actor, Ledger } from '../ledger/ledger.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { id, isId } from '../request/id.js';
import { RequestError } from '../request/settle-request.js';
import type { KeyStore, Role } from '../ledger/keys.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** The error body every refusal has (the shape of src/api/status.ts). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'The stable code (src/errors.ts).' }),
      message: z.string(),
      problems: z.array(z.string()).optional(),
      missing: z
        .array(z.union([z.object({ path: z.string(), label: z.string(), citation: z.string(), reason: z.string() }), z.string()]))
        .optional()
        .meta({ description: 'For MISSING_PARAMETER: each parameter the documents do not give. For INVALID_FILE: the columns a file lacks.' }),
    }),
    requestId: z.string(),
  })
  .meta({ description: 'A refusal: `error.code` is stable; nothing was written.' });

/** `/…/:id`: the id rule of every body (src/request/id.ts). */
export const idParam = z.strictObject({ id });

/** Where a part of the request is named in a problem: a body's fields by their own names. */
const WHERE: Record<string, string> = { body: '', params: 'params', querystring: 'query', headers: 'headers' };

/**
 * Schemas of bodies that a domain parser validates in the handler (it needs the policies and
 * checks across fields): their zod schema documents the body and types it, and is not run twice.
 */
const parsedInHandler = new WeakSet<z.ZodType>();
/** The request examples of the OpenAPI document, by body schema. */
const examplesOf = new WeakMap<z.ZodType, readonly unknown[]>();

/** `schema` (its own copy) with request examples for the OpenAPI document. */
export function withExamples<T extends z.ZodType>(schema: T, examples: readonly unknown[]): T {
  const copy = schema.clone() as T;
  examplesOf.set(copy, examples);
  return copy;
}

/** `schema` as a body the handler's domain parser validates (parseSettleOne, parseOperate…), with examples. */
export function parsedBody<T extends z.ZodType>(schema: T, examples: readonly unknown[]): T {
  const copy = withExamples(schema, examples);
  parsedInHandler.add(copy);
  return copy;
}

/** Answers (200 schemas) of routes that may instead answer a file (`?format=csv|csv-gbk|xlsx`). */
const fileAnswers = new WeakSet<z.ZodType>();

/**
 * `schema` (its own copy) as the 200 answer of a route that answers a file when asked
 * (`?format=`): the OpenAPI document lists the file types beside the JSON answer, with the
 * Content-Disposition header. A file is sent as bytes and never passes the serializer.
 */
export function fileAnswer<T extends z.ZodType>(schema: T): T {
  const copy = schema.clone() as T;
  fileAnswers.add(copy);
  return copy;
}

/** What a file answer looks like in the document: bytes of each export type. */
const FILE_CONTENT = {
  'text/csv': {
    schema: { type: 'string', format: 'binary', description: 'format=csv: UTF-8 with a BOM (charset=utf-8); format=csv-gbk: GBK (charset=gbk), for Excel on Chinese Windows.' },
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary', description: 'format=xlsx: one sheet per table.' } },
};

/** The OpenAPI transform: fastify-type-provider-zod's, each body's examples, and the file answers. */
export const openApiTransform: typeof jsonSchemaTransform = (document) => {
  const out = jsonSchemaTransform(document);
  const schema = document.schema as { body?: z.ZodType; response?: Record<string, z.ZodType> } | undefined;
  const body = schema?.body;
  const examples = body ? examplesOf.get(body) : undefined;
  const described = out.schema as { body?: Record<string, unknown>; response?: Record<string, Record<string, unknown>> } | undefined;
  if (examples && described?.body) described.body = { ...described.body, examples: [...examples] };
  const ok = schema?.response?.[200];
  const json = described?.response?.[200];
  if (ok && fileAnswers.has(ok) && described?.response && json) {
    described.response[200] = {
      description: 'The JSON answer (format=json, the default), or the same as a file (format=csv, csv-gbk or xlsx) with Content-Disposition: attachment.',
      headers: {
        'content-disposition': {
          type: 'string',
          description: `A file only: attachment; filename="<ASCII name>"; filename*=UTF-8''<the Chinese name, percent-encoded> (RFC 6266, RFC 5987).`,
        },
      },
      content: { 'application/json': { schema: json }, ...FILE_CONTENT },
    };
  }
  return out;
};

/**
 * The service's validator compiler (fastify-type-provider-zod's, with the service's refusal):
 * a part that does not validate is 400 INVALID_REQUEST naming each bad field, as RequestError.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  if (parsedInHandler.has(schema)) return (data) => ({ value: data });
  const where = WHERE[httpPart ?? 'body'] ?? '';
  return (data) => {
    const r = schema.safeParse(data ?? {});
    return r.success ? { value: r.data } : { error: new RequestError(formatIssues(r.error.issues, where)) };
  };
};

/**
 * `out` (an answer as its schema gave it back) with every object's keys in the order `input` has
 * them: a schema lists the keys it checks first, and the answer keeps the order it was made in.
 * Only what the schema rebuilt is walked (what it passed through is the same value).
 */
function inInputOrder(out: unknown, input: unknown): unknown {
  if (out === input || out === null || input === null || typeof out !== 'object' || typeof input !== 'object') return out;
  if (Array.isArray(out)) return Array.isArray(input) ? out.map((v, i) => inInputOrder(v, input[i])) : out;
  const o = out as Record<string, unknown>;
  const inp = input as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const k of Object.keys(inp)) if (k in o) ordered[k] = inInputOrder(o[k], inp[k]);
  for (const k of Object.keys(o)) if (!(k in ordered)) ordered[k] = o[k];
  return ordered;
}

/**
 * The service's serializer: the answer is checked against its response schema (unknown keys of a
 * strict shape dropped, as the JSON Schema serializer did) and written with JSON.stringify, keys
 * in the order the answer has them. A string is the entry's JSON as stored and is sent as it is
 * (Fastify does not serialize a string).
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema, method, url }) => {
  return (data) => {
    const r = schema.safeEncode(data);
    if (!r.success) throw new Error(`${method} ${url}: the answer does not match its response schema: ${formatIssues(r.error.issues).join('; ')}`);
    return JSON.stringify(inInputOrder(r.data, data));
  };
};

export interface RouteContext {
  ledger: Ledger;
  policies: PolicySet;
  keys: KeyStore;
  /** The service's audit appender: refusals and reads (writes record their own rows). */
  audit: AuditLog;
  /** How the national interface is spoken: sign-in, status mode, catalogue (src/national/options.ts). */
  national: NationalOptions;
  /** The user policy files the policies were loaded with (the simulation's workers load the same). */
  policyFiles: readonly string[];
  /** Who is calling, or 401; 403 unless they have one of the roles. */
  authorize(req: FastifyRequest, ...roles: readonly Role[]): Promise<Actor>;
  /**
   * Marks the request as a read of personal data (`action` read.…, `target` the person, entry or
   * account read): it is answered only once its audit row is written.
   */
  reads(req: FastifyRequest, action: string, target: string, detail?: Record<string, unknown>): void;
}

/** Who sent a request, once authenticated (refusals of their role name them). */
const actors = new WeakMap<FastifyRequest, Actor>();
/** The reads of personal data the requests make. */
const readsOf = new WeakMap<FastifyRequest, { action: string; target: string; detail: Record<string, unknown> | undefined }>();

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The error message of a refusal's body (the service's shape, or the national envelope around it). */
function messageOf(payload: unknown): string | undefined {
  if (typeof payload !== 'string') return undefined;
  try {
    const m = (JSON.parse(payload) as { error?: { message?: unknown } }).error?.message;
    return typeof m === 'string' ? clip(m, 500) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The audit row an answer needs — a refusal (401, 403) or a read of personal data — or undefined.
 * A refusal never records what key was presented.
 */
export function auditRowOf(req: FastifyRequest, status: number, payload: unknown, now = Date.now()): AuditRow | undefined {
  const read = readsOf.get(req);
  const refused = status === 401 || status === 403;
  if (!read && !refused) return undefined;
  const actor = actors.get(req);
  const route = `${req.method} ${req.routeOptions.url ?? '?'}`;
  const detail: Record<string, unknown> = { status, requestId: req.id, route };
  if (refused) {
    Object.assign(detail, { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', path: clip(req.url.split('?')[0] ?? '', 300), message: messageOf(payload) });
    if (read) detail.wanted = read.action;
  }
  if (read?.detail) Object.assign(detail, read.detail);
  // A refusal names the record asked for: the path's id when it is one, else the route.
  const pathId = (req.params as { id?: unknown } | undefined)?.id;
  return {
    at: now,
    actor: actor?.id ?? 'anonymous',
    role: actor?.role ?? 'none',
    action: refused || !read ? 'refused' : read.action,
    target: read?.target ?? (isId(pathId) ? pathId : route),
    detail: JSON.stringify(detail),
  };
}

/** Roles that may see personal data: an institution (its own visits) and the agency. */
export const PERSONAL: Role[] = ['institution', 'agency'];

export function routeContext(
  ledger: Ledger,
  policies: PolicySet,
  keys: KeyStore,
  audit: AuditLog,
  national: NationalOptions = DEFAULT_NATIONAL_OPTIONS,
  policyFiles: readonly string[] = [],
): RouteContext {
  return {
    ledger,
    policies,
    keys,
    audit,
    national,
    policyFiles,
    reads(req, action, target, detail) {
      readsOf.set(req, { action, target, detail });
    },
    async authorize(req, ...roles) {
      const header = req.headers.authorization;
      const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : (req.headers['x-api-key'] as string | undefined);
      if (!presented) throw new YibaoError('UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key>');
      const actor = await keys.actor(presented);
      if (!actor) throw new YibaoError('UNAUTHENTICATED', 'the API key is not valid or has been revoked');
      req.log.info({ actor: actor.id, role: actor.role }, 'authenticated');
      actors.set(req, actor);
      if (!roles.includes(actor.role as Role)) {
        throw new YibaoError('FORBIDDEN', `an ${actor.role} key may not do this (allowed: ${roles.join(', ')})`);
      }
      return actor;
    },
  };
}

/**
 * Sends an entry's JSON as the ledger stored it (serialized once, when written): a string is
 * not serialized again, so it does not pass the response schema it is typed by.
 */
export function sendStored(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .type(JSON_TYPE)
    .send(body as never);
}

/** Roles that analyse (no personal data). */
export const ANALYSTS: Role[] = ['institution', 'agency', 'analyst'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: the server's preValidation hook authenticates and checks the role. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    /** Who is calling: set by the preValidation hook on every route with `config.roles`. */
    actor: Actor;
  }
}

/** The service with zod schemas. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** A resource's routes: a plugin registered with its prefix and the route context. */
export type RoutePlugin = (app: App, opts: { ctx: RouteContext }) => Promise<void>;

/** Registers a resource's routes under `prefix`. */
export async function registerRoutes(app: App, prefix: string, plugin: RoutePlugin, ctx: RouteContext): Promise<void> {
  await app.register(plugin, { prefix, ctx });
}
