/** Visits the centre registers (table national_visits): 2201/2202/2203 and 2401–2405. */
import type { NationalBookDeps } from './national-deps.js';

export class VisitBook {
  constructor(readonly deps: NationalBookDeps) {}
}
