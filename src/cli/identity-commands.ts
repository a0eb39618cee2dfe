/**
 * `yibao persons identity set ID FILE | show ID`: a person's identity (人员身份信息: psn_cert_type,
 * certno, psn_name, gend?, brdy?, naty?), kept by the agency beside the registry record, as
 * PUT/GET /v1/persons/{id}/identity. A resident ID (01) is checked (src/national/certno.ts). Every
 * change and every read is in the audit log; the certificate number is masked there, in refusals
 * and in `show`'s line (`--json` prints it whole, as the API's GET).
 *
 * Exit codes: 0 done; 1 refused (no such person, a certificate another person holds); 2 invalid input.
 */
import { chinaDay } from '../calendar/calendar.js';
import { YibaoError } from '../errors.js';
import { writeAudit } from '../ledger/audit.js';
import type { LedgerDb } from '../ledger/connect.js';
import { Ledger, type Actor } from '../ledger/ledger.js';
import type { PersonIdentity } from '../ledger/national-identities.js';
import { GENDERS, maskCertno, parseIdentity, PSN_CERT_TYPES } from '../national/certno.js';
import type { SettlementEngine } from '../engine/settle.js';
import { printJson, printRefusal, readJson, UsageError, type Io } from './io.js';

const json = (i: PersonIdentity) => ({ psn_no: i.personId, psn_cert_type: i.psnCertType, certno: i.certno, psn_name: i.psnName, gend: i.gend, brdy: i.brdy, naty: i.naty });

/**
 * Runs `persons identity …` (`rest`: set ID FILE | show ID) on a store the caller opens after the
 * input is read: a bad file opens no database.
 */
export async function identityCommand(rest: string[], options: { json: boolean }, io: Io, open: () => Promise<LedgerDb>, engine: SettlementEngine, actor: Actor): Promise<number> {
  const [sub, id, file, ...more] = rest;
  const ok = (sub === 'set' && file !== undefined && more.length === 0) || (sub === 'show' && id !== undefined && file === undefined);
  if (!ok || id === undefined) throw new UsageError('persons identity needs: set ID FILE | show ID');
  if (sub === 'set' && options.json) throw new UsageError('persons identity set prints JSON already; drop --json');
  const input = sub === 'set' ? parseIdentity(await readJson(file as string, io), chinaDay(Date.now())) : undefined;
  const store = await open();
  try {
    const ledger = new Ledger(store, engine);
    if (input) {
      const { identity, created, changed } = await ledger.national.identities.set({ personId: id, ...input }, actor);
      printJson(io, { ...json(identity), created, changed });
      return 0;
    }
    const identity = await ledger.national.identities.get(id);
    await writeAudit(store.db, actor, Date.now(), 'read.identity', id, { found: identity !== undefined });
    if (!identity) throw new YibaoError('NOT_FOUND', `person ${id} has no identity on file; set it (yibao persons identity set ${id} FILE)`);
    if (options.json) printJson(io, json(identity));
    else {
      const parts = [`${PSN_CERT_TYPES[identity.psnCertType] ?? identity.psnCertType} ${maskCertno(identity.certno)}`, identity.psnName, GENDERS[identity.gend] ?? identity.gend];
      if (identity.brdy !== null) parts.push(`出生日期 ${identity.brdy}`);
      if (identity.naty !== null) parts.push(`民族 ${identity.naty}`);
      io.stdout(`${id}：${parts.join('；')}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof YibaoError) || e.code === 'INVALID_REQUEST') throw e;
    return printRefusal(io, { code: e.code, message: e.message }, `${e.code}: ${e.message}`);
  } finally {
    await store.close();
  }
}
