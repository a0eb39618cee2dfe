/**
 * The sign-in and identity books (src/ledger/national-sign-ins.ts, national-identities.ts) on every
 * store: a sign-in idempotent by msgid even when the same message races itself, sign-out by the key
 * that signed in, verify's answers; identities set, replaced, unchanged, one certificate per person
 * (also when two people race for it), each change audited with the number masked.
 */
import { describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { Actor } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { ledgerOn, STORES } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());
const k1: Actor = { id: 'K1', role: 'institution', institutionId: 'H1' };
const k2: Actor = { id: 'K2', role: 'institution', institutionId: 'H1' };
const agency: Actor = { id: 'AG', role: 'agency' };
const ident = (personId: string, certno: string) => ({ personId, psnCertType: '01', certno, psnName: '张三', gend: '2', brdy: '1949-12-31', naty: null });

for (const s of STORES) {
  describe.skipIf(s.skip)(`national session books on ${s.label}`, () => {
    const opened = ledgerOn(s, engine);

    it('signs in once per message, also when the message races itself; signs out by its key only', async () => {
      const book = opened.ledger.national.signIns;
      const req = { institutionId: 'H1', msgid: 'M1', opterNo: '0053', mac: 'mac', ip: 'ip' };
      const all = await Promise.all(Array.from({ length: 8 }, () => book.signIn(req, k1)));
      expect(new Set(all.map((a) => a.signNo)).size).toBe(1);
      expect(all.filter((a) => a.created)).toHaveLength(1);
      const rows = await opened.store.db.selectFrom('sign_ins').selectAll().where('request_id', '=', '9001:H1:M1').execute();
      expect(rows).toHaveLength(1);
      await expect(book.signIn({ ...req, ip: 'other' }, k1)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      await expect(book.signIn(req, k2)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      const signNo = all[0]?.signNo as string;
      await expect(book.signOut(signNo, 'H1', '0053', k2)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(book.signOut(signNo, 'H2', '0053', k1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await book.verify(signNo, 'H1', k1.id)).toBe('ok');
      const out = await book.signOut(signNo, 'H1', '0053', k1);
      expect(out.created).toBe(true);
      expect(await book.signOut(signNo, 'H1', '0053', k1)).toMatchObject({ created: false, signedOutAt: out.signedOutAt });
      expect(await book.verify(signNo, 'H1', k1.id)).toBe('signed-out');
      const audit = await opened.store.db.selectFrom('audit_log').select('action').where('target', '=', signNo).execute();
      expect(audit.map((a) => a.action).sort()).toEqual(['national.sign-in', 'national.sign-out']);
    });

    it('keeps one identity per person and one person per certificate, audited with the number masked', async () => {
      const book = opened.ledger.national.identities;
      await expect(book.set(ident('P1', '11010519491231002X'), agency)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      for (const id of ['P1', 'P2', 'P3'])
        await opened.ledger.persons.set(
          { id, region: '410300', scheme: 'resident', category: 'adult', hardship: null, familyDoctorAt: null, employment: null, accountReformed: null },
          agency,
        );
      expect(await book.set(ident('P1', '11010519491231002X'), agency)).toMatchObject({ created: true, changed: true });
      expect(await book.set(ident('P1', '11010519491231002X'), agency)).toMatchObject({ created: false, changed: false });
      expect(await book.set({ ...ident('P1', '11010519491231002X'), naty: '01' }, agency)).toMatchObject({ created: false, changed: true });
      expect(await book.get('P1')).toMatchObject({ naty: '01', certno: '11010519491231002X' });
      expect((await book.findByCert('01', '11010519491231002X'))?.personId).toBe('P1');
      expect(await book.findByCert('01', '440304199001010011')).toBeUndefined();
      await expect(book.set(ident('P2', '11010519491231002X'), agency)).rejects.toMatchObject({ code: 'DUPLICATE_REFERENCE' });
      // Two people racing for one certificate: one has it.
      const race = await Promise.allSettled([book.set(ident('P2', '440304199001010011'), agency), book.set(ident('P3', '440304199001010011'), agency)]);
      expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(race.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'DUPLICATE_REFERENCE' } });
      const audit = await opened.store.db.selectFrom('audit_log').select(['action', 'detail']).where('action', 'like', 'identity.%').execute();
      expect(audit.map((a) => a.action)).toEqual(['identity.set', 'identity.update', 'identity.set']);
      expect(JSON.parse(audit[1]?.detail ?? '{}')).toEqual({ changed: ['naty'], psnCertType: '01', certno: '1101**********002X' });
      for (const a of audit) expect(a.detail).not.toMatch(/11010519491231002X|440304199001010011/);
    });
  });
}
