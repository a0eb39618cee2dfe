/** Fee details (table fee_details): 2204/2205, 2301/2302, priced by the catalogue. */
import type { NationalBookDeps } from './national-deps.js';

export class FeeDetailBook {
  constructor(readonly deps: NationalBookDeps) {}
}
