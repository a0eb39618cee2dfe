/**
 * The audit log's filters, as GET /v1/audit's query string and `yibao audit`'s options: actor,
 * action, target, a time range (from inclusive, to exclusive; ISO 8601 dates or date-times, China
 * time unless an offset is given) and the page (limit, cursor).
 */
import { z } from 'zod';
import { parseInstant } from '../calendar/calendar.js';
import { id } from './id.js';
import { pageFields } from './page.js';

const instant = z.string({ error: 'must be an ISO 8601 date or date-time' }).transform((v, ctx) => {
  const t = parseInstant(v);
  if (t === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 date or date-time such as 2024-03-02 or 2024-03-02T10:00:00+08:00, got ${JSON.stringify(v.slice(0, 40))}` });
    return z.NEVER;
  }
  return t;
});

export const auditQuerySchema = z
  .strictObject({
    actor: id.optional(),
    action: z
      .string({ error: 'must be an action such as settle or read.history' })
      .max(64, 'must be at most 64 characters')
      .regex(/^[A-Za-z0-9._:-]+$/, 'must be an action such as settle, reverse, read.history or refused')
      .optional(),
    target: id.optional(),
    from: instant.optional(),
    to: instant.optional(),
    ...pageFields('audit'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { path: ['to'], error: 'must be after from' });
