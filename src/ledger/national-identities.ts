/**
 * 人员身份信息 (table person_identities): set by the agency, read by 1101 and setlinfo; personal data.
 *
 * The person must be in the person registry (NOT_FOUND otherwise); a certificate (psn_cert_type,
 * certno) belongs to one person (DUPLICATE_REFERENCE when another holds it). Each change is in the
 * audit log, written in its transaction, with the certificate number masked and never the name;
 * an unchanged identity writes nothing.
 */
import type { Selectable } from 'kysely';
import { writeAudit } from './audit.js';
import { YibaoError } from '../errors.js';
import { LedgerError } from './errors.js';
import { isUniqueViolation } from './idempotency.js';
import type { NationalBookDeps } from './national-deps.js';
import type { PersonIdentitiesTable } from './schema-national.js';
import type { Actor } from './types.js';

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

/** A certificate number shown in the audit log and in refusals: first and last four characters. */
function masked(certno: string): string {
  return certno.length <= 8 ? '*'.repeat(certno.length) : `${certno.slice(0, 4)}${'*'.repeat(certno.length - 8)}${certno.slice(-4)}`;
}

const identityOf = (r: Selectable<PersonIdentitiesTable>): PersonIdentity => ({
  personId: r.person_id,
  psnCertType: r.psn_cert_type,
  certno: r.certno,
  psnName: r.psn_name,
  gend: r.gend,
  brdy: r.brdy ?? null,
  naty: r.naty ?? null,
});

const FIELDS = ['psnCertType', 'certno', 'psnName', 'gend', 'brdy', 'naty'] as const;

export class IdentityBook {
  constructor(readonly deps: NationalBookDeps) {}

  private get db() {
    return this.deps.db;
  }

  /**
   * Sets (creates or replaces) a person's identity. The audit row names the fields changed, the
   * certificate type and the masked number.
   *
   * @throws LedgerError NOT_FOUND (not in the registry), DUPLICATE_REFERENCE (another person holds the certificate).
   */
  async set(identity: PersonIdentity, actor: Actor): Promise<{ identity: PersonIdentity; created: boolean; changed: boolean }> {
    const duplicate = () =>
      new YibaoError(
        'DUPLICATE_REFERENCE',
        `certno: ${identity.psnCertType} ${masked(identity.certno)} is the certificate of another person in the registry; a certificate belongs to one person`,
      );
    try {
      return await this.db.transaction().execute(async (trx) => {
        const person = await trx.selectFrom('persons').select('id').where('id', '=', identity.personId).executeTakeFirst();
        if (!person)
          throw new LedgerError('NOT_FOUND', `person ${identity.personId} is not in the person registry; the agency registers them first (PUT /v1/persons/${identity.personId})`);
        const holder = await trx
          .selectFrom('person_identities')
          .select('person_id')
          .where('psn_cert_type', '=', identity.psnCertType)
          .where('certno', '=', identity.certno)
          .executeTakeFirst();
        if (holder && holder.person_id !== identity.personId) throw duplicate();
        const row = await trx.selectFrom('person_identities').selectAll().where('person_id', '=', identity.personId).executeTakeFirst();
        const before = row ? identityOf(row) : undefined;
        const changed = FIELDS.filter((k) => before?.[k] !== identity[k]);
        if (before && changed.length === 0) return { identity: before, created: false, changed: false };
        const now = this.deps.now();
        const next = {
          psn_cert_type: identity.psnCertType,
          certno: identity.certno,
          psn_name: identity.psnName,
          gend: identity.gend,
          brdy: identity.brdy,
          naty: identity.naty,
          actor: actor.id,
          updated_at: now,
        };
        if (before) await trx.updateTable('person_identities').set(next).where('person_id', '=', identity.personId).execute();
        else
          await trx
            .insertInto('person_identities')
            .values({ person_id: identity.personId, ...next })
            .execute();
        await writeAudit(trx, actor, now, before ? 'identity.update' : 'identity.set', identity.personId, {
          changed,
          psnCertType: identity.psnCertType,
          certno: masked(identity.certno),
        });
        return { identity: { ...identity }, created: !before, changed: true };
      });
    } catch (e) {
      // Two people given one certificate at once: the unique index decides.
      if (isUniqueViolation(e)) throw duplicate();
      throw e;
    }
  }

  /** The person's identity, when the agency has set one. Not audited here: the caller audits the read. */
  async get(personId: string): Promise<PersonIdentity | undefined> {
    const row = await this.db.selectFrom('person_identities').selectAll().where('person_id', '=', personId).executeTakeFirst();
    return row ? identityOf(row) : undefined;
  }

  /** The identity holding a certificate (1101 finds the person by it). Not audited here. */
  async findByCert(psnCertType: string, certno: string): Promise<PersonIdentity | undefined> {
    const row = await this.db.selectFrom('person_identities').selectAll().where('psn_cert_type', '=', psnCertType).where('certno', '=', certno).executeTakeFirst();
    return row ? identityOf(row) : undefined;
  }
}
