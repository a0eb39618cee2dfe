/** 人员身份信息 (table person_identities): set by the agency, read by 1101 and setlinfo; personal data. */
import type { NationalBookDeps } from './national-deps.js';

export class IdentityBook {
  constructor(readonly deps: NationalBookDeps) {}
}
