/** 人员身份信息 (table person_identities): set by the agency, read by 1101 and setlinfo; personal data. */
import type { NationalBookDeps } from './national-deps.js';

/** A person's identity (身份信息), as the national messages name it. */
export interface PersonIdentity {
  personId: string;
  /** 人员证件类型. */
  psnCertType: string;
  /** 证件号码: never logged. */
  certno: string;
  psnName: string;
  /** 性别 (0, 1, 2, 9). */
  gend: string;
  /** 出生日期 yyyy-MM-dd, else null. */
  brdy: string | null;
  /** 民族, else null. */
  naty: string | null;
}

export class IdentityBook {
  constructor(readonly deps: NationalBookDeps) {}

  /** The person's identity, when the agency has set one. Not audited here: the caller audits the read. */
  async get(_personId: string): Promise<PersonIdentity | undefined> {
    return undefined;
  }
}
