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
import type { Actor, Ledger } from '../ledger/ledger.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { id } from '../request/id.js';
import { RequestError } from '../request/settle-request.js';
import type { KeyStore, Role } from './keys.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** A refusal with its HTTP status and stable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

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
  /** Who is calling, or 401; 403 unless they have one of the roles. */
  authorize(req: FastifyRequest, ...roles: Role[]): Promise<Actor>;
}

/** Roles that may see personal data: an institution (its own visits) and the agency. */
export const PERSONAL: Role[] = ['institution', 'agency'];

export function routeContext(ledger: Ledger, policies: PolicySet, keys: KeyStore): RouteContext {
  return {
    ledger,
    policies,
    keys,
    async authorize(req, ...roles) {
      const header = req.headers.authorization;
      const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : (req.headers['x-api-key'] as string | undefined);
      if (!presented) throw new HttpError(401, 'UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key>');
      const actor = await keys.actor(presented);
      if (!actor) throw new HttpError(401, 'UNAUTHENTICATED', 'the API key is not valid or has been revoked');
      req.log.info({ actor: actor.id, role: actor.role }, 'authenticated');
      if (!roles.includes(actor.role as Role)) {
        throw new HttpError(403, 'FORBIDDEN', `a ${actor.role} key may not do this (allowed: ${roles.join(', ')})`);
      }
      return actor;
    },
  };
}

/** A route module. */
export type RegisterRoutes = (app: FastifyInstance, ctx: RouteContext) => void;
