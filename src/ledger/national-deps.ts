/** What each national book (national.ts) is built from. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface NationalBookDeps {
  db: Kysely<Database>;
  postgres: boolean;
  now: () => number;
}
