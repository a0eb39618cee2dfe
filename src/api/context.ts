/**
 * What every route module of the service shares: the ledger and policies, who is calling and
 * whether they may (`authorize`), body and parameter validation with zod (one
 * schema language; its JSON Schema goes to the OpenAPI document), and the error shapes.
 *
 * A route module exports `register…Routes(app, ctx)`; server.ts builds the context once and
 * registers each module.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { YibaoError } from '../errors.js';
import type { AuditLog, AuditRow } from '../ledger/audit.js';
import type { Actor, Ledger } from '../ledger/ledger.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { id, isId } from '../request/id.js';
import { RequestError } from '../request/settle-request.js';
import type { KeyStore, Role } from './keys.js';

export const JSON_TYPE = 'application/json; charset=utf-8';


/** A zod schema as JSON Schema, for the OpenAPI document (zod does the validating). */
export const jsonSchema = (schema: z.ZodType) => {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
};

/** The error body every 4xx has. */
export const errorSchema = {
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

/** `?year=2024`. */
export const yearQuery = z.strictObject({
  year: z
    .string()
    .regex(/^\d{4}$/, 'must be a year such as 2024')
    .optional(),
});

/** `/…/:id`: the id rule of every body (src/request/id.ts). */
export const idParam = z.strictObject({ id });

/**
 * Validates `data` (a body, params or query) with `schema`.
 *
 * @throws RequestError (400 INVALID_REQUEST) naming each bad field, prefixed with `where`.
 */
export function parse<T extends z.ZodType>(schema: T, data: unknown, where: string): z.output<T> {
  const r = schema.safeParse(data ?? {});
  if (!r.success) throw new RequestError(formatIssues(r.error.issues, where));
  return r.data;
}

export interface RouteContext {
  ledger: Ledger;
  policies: PolicySet;
  keys: KeyStore;
  /** The service's audit appender: refusals and reads (writes record their own rows). */
  audit: AuditLog;
  /** Who is calling, or 401; 403 unless they have one of the roles. */
  authorize(req: FastifyRequest, ...roles: Role[]): Promise<Actor>;
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

export function routeContext(ledger: Ledger, policies: PolicySet, keys: KeyStore, audit: AuditLog): RouteContext {
  return {
    ledger,
    policies,
    keys,
    audit,
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
        throw new YibaoError('FORBIDDEN', `a ${actor.role} key may not do this (allowed: ${roles.join(', ')})`);
      }
      return actor;
    },
  };
}

/** A route module. */
export type RegisterRoutes = (app: FastifyInstance, ctx: RouteContext) => void;
