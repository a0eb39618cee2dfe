/**
 * The service's settle request: one visit of one person, with a client-supplied request id that
 * makes the call idempotent. Person and visit have exactly the shape of `yibao settle FILE`.
 */
import { hash as digest } from 'node:crypto';
import { z } from 'zod';
import type { Person, Visit } from '../engine/types.js';
import type { PolicySet } from '../policy/registry.js';
import { ID_MAX } from './id.js';
import { personSchema, validateSettle, visitSchema } from './settle-request.js';

export const requestIdSchema = z
  .string({ error: 'must be a string: a client-chosen id that makes retries safe' })
  .min(1, 'must not be empty')
  .max(ID_MAX, `must be at most ${ID_MAX} characters`)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only');

export const settleOneSchema = z.strictObject({
  requestId: requestIdSchema,
  person: personSchema,
  visit: visitSchema,
});

export const preSettleSchema = z.strictObject({
  requestId: requestIdSchema.optional(),
  person: personSchema,
  visit: visitSchema,
});

export interface SettleOne {
  requestId: string;
  person: Person;
  visit: Visit;
  /** Hash of the request as sent, minus the request id: the same id must come with the same body. */
  hash: string;
}

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Validates a settle (or pre-settle) body.
 *
 * @throws RequestError naming each bad field.
 */
export function parseSettleOne(data: unknown, policies: PolicySet, options: { requestIdRequired?: boolean } = {}): SettleOne {
  const schema = options.requestIdRequired === false ? preSettleSchema : settleOneSchema;
  // One pass of zod over the body: the visit is the one visit of a settle request.
  const { request, parsed } = validateSettle(schema, data, policies, (r) => ({ person: r.person, visits: [r.visit] }), 'visit');
  const body = data as { person: unknown; visit: unknown };
  // (The one-shot hash: a fifth of createHash's cost on a body this small.)
  const hash = digest('sha256', canonicalJson({ person: body.person, visit: body.visit }), 'hex');
  return { requestId: parsed.requestId ?? '', person: request.person, visit: request.visits[0] as Visit, hash };
}
