/** 2601 冲正 (table national_reversals): each original message reversed once, whatever the retries. */
import type { NationalBookDeps } from './national-deps.js';

export class ReversalBook {
  constructor(readonly deps: NationalBookDeps) {}
}
