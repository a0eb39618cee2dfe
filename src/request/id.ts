/**
 * The one rule for every id the service and the CLI take — person, visit, institution, account,
 * settlement, member, psn_no, mdtrt_id, setl_id, fixmedins_code…, in a body, a path, a query or
 * an input file: a string of 1 to {@link ID_MAX} characters, printable (no control or format
 * characters: NUL, newline, tab, zero-width and direction marks…), not beginning or ending with a
 * space. The same on SQLite and PostgreSQL (which cannot store a NUL in text): an id that breaks
 * the rule is refused with 400 naming the field, before any store sees it.
 */
import { z } from 'zod';

/** The longest id, in characters (UTF-16 code units, as JavaScript and zod count them). */
export const ID_MAX = 128;

/**
 * Control (Cc), format (Cf), surrogate (Cs), line and paragraph separator (Zl, Zp) characters:
 * none is in an id.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Free text the ledger stores (a purpose, a label): printable, at most `max` characters. */
export const printableText = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !UNPRINTABLE.test(v), { error: 'must be printable text: no control characters (NUL, newline, tab…)' });

/** An id (see the module's comment). */
export const id = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(ID_MAX, `must be at most ${ID_MAX} characters`)
  .refine((v) => !UNPRINTABLE.test(v), { error: 'must be printable: no control characters (NUL, newline, tab…)', abort: true })
  .refine((v) => v.trim() === v, { error: 'must not begin or end with a space' });

/** Whether `v` is an id by the rule (for ids that do not come through a schema, as CLI arguments). */
export const isId = (v: unknown): v is string => id.safeParse(v).success;
