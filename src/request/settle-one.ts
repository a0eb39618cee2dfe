/**
 * The service's settle request: one visit of one person, with a client-supplied request id that
 * makes the call idempotent. Person and visit have exactly the shape of `yibao settle FILE`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Person, Visit } from '../engine/settle.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { parseSettleRequest, personSchema, RequestError, visitSchema } from './settle-request.js';

export const requestIdSchema = z
  .string({ error: 'must be a string: a client-chosen id that makes retries safe' })
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
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
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new RequestError(formatIssues(parsed.error.issues));
  const body = data as { requestId?: string; person: unknown; visit: unknown };
  const { person, visits } = parseSettleRequest({ person: body.person, visits: [body.visit] }, policies, 'visit');
  const hash = createHash('sha256')
    .update(canonicalJson({ person: body.person, visit: body.visit }))
    .digest('hex');
  return { requestId: parsed.data.requestId ?? '', person, visit: visits[0] as Visit, hash };
}
