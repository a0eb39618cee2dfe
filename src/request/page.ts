/**
 * Cursor paging of long lists (a person's settlement history, an account's entries, the audit
 * log): a page of at most `limit` entries in the list's order, and `nextCursor`, an opaque string
 * naming the position after the page's last entry (null on the last page). The next page is the
 * entries after that position, by a keyset condition, not an offset: entries written meanwhile
 * never shift a page, and appear on a later page when they come after the position.
 *
 * A cursor is base64url of `[list, ...position]`: it only works for the list it came from.
 * `pageFields` validates `limit` and `cursor` as they come in a query string or on the command line.
 */
import { z } from 'zod';

/** Entries per page when the caller does not say. */
export const PAGE_DEFAULT = 100;
/** The most entries a page holds. */
export const PAGE_MAX = 500;

/** The lists with cursors, and the types of their positions. */
export interface Positions {
  /** A person's history: the entry's created_at and its id without the kind prefix (a UUIDv7). */
  history: [createdAt: number, idTail: string];
  /** An account's entries: seq. */
  account: [seq: number];
  /** The audit log: its row id. */
  audit: [id: number];
  /** Clearing statements: period and institution. */
  statements: [period: string, institution: string];
  /** The entries a statement or a reconciliation covers: created_at and entry id. */
  covered: [createdAt: number, id: string];
  /** Reconciliations: created_at and id. */
  reconciliations: [createdAt: number, id: string];
  /** Budgets: area, year, account and the revision's id. */
  budgets: [area: string, year: number, account: string, id: string];
  /** Budget-account payments: id. */
  budgetPayments: [id: string];
  /** High-cost patients: the year's burden (fen, highest first) and the person. */
  highCost: [burden: number, person: string];
}
export type List = keyof Positions;

const SHAPES: Record<List, readonly ('number' | 'string')[]> = {
  history: ['number', 'string'],
  account: ['number'],
  audit: ['number'],
  statements: ['string', 'string'],
  covered: ['number', 'string'],
  reconciliations: ['number', 'string'],
  budgets: ['string', 'number', 'string', 'string'],
  budgetPayments: ['string'],
  highCost: ['number', 'string'],
};

export interface Page<T> {
  entries: T[];
  /** The cursor of the next page; null when this one is the last. */
  nextCursor: string | null;
}

export function encodeCursor<L extends List>(list: L, position: Positions[L]): string {
  return Buffer.from(JSON.stringify([list, ...position])).toString('base64url');
}

/** The position a cursor of `list` names, or undefined when it is not one. */
export function decodeCursor<L extends List>(list: L, cursor: string): Positions[L] | undefined {
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const shape = SHAPES[list];
  if (!Array.isArray(value) || value[0] !== list || value.length !== shape.length + 1) return undefined;
  const position = value.slice(1);
  const ok = shape.every((type, i) => (type === 'number' ? Number.isSafeInteger(position[i]) : typeof position[i] === 'string' && (position[i] as string).length <= 200));
  return ok ? (position as Positions[L]) : undefined;
}

/**
 * The page of `rows` (fetched with limit + 1, to know whether more follow), with the cursor after
 * its last row.
 */
export function pageOf<R, T, L extends List>(rows: R[], limit: number, list: L, position: (row: R) => Positions[L], entry: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return { entries: kept.map(entry), nextCursor: more && last !== undefined ? encodeCursor(list, position(last)) : null };
}

/** `limit` and `cursor` of a query string (or CLI options) for `list`; the cursor comes out as its position. */
export const pageFields = <L extends List>(list: L) => ({
  limit: z
    .string({ error: `must be a number of entries, 1 to ${PAGE_MAX}` })
    .regex(/^[1-9]\d{0,3}$/, `must be a number of entries, 1 to ${PAGE_MAX}`)
    .transform(Number)
    .refine((n) => n <= PAGE_MAX, `must be at most ${PAGE_MAX}`)
    .optional(),
  cursor: z
    .string({ error: 'must be a cursor (nextCursor of the previous page)' })
    .transform((c, ctx) => {
      const position = decodeCursor(list, c);
      if (position === undefined) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor of this list: send nextCursor as the previous page gave it' });
        return z.NEVER;
      }
      return position;
    })
    .optional(),
});
