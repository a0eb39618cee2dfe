/**
 * Between institutions, through the service on every store: a visit id is its institution's (H2's
 * VA9 is not H1's VA9, for /v1/settlements and the national mdtrt_id alike); a refusal names only
 * the caller's own entries, never another institution's ids, amounts or persons; and no
 * institution changes the shared person record another's settles rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createKey, type CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { verifyLedger } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { startService, type TestService } from '../support/service.js';
import { STORES, tableCounts } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());

const H1 = { id: 'H1', tier: 'county', grade: 2, contracted: true };
const H2 = { id: 'H2', tier: 'county', grade: 2, contracted: true };
const resident = (id: string, more: Record<string, unknown> = {}) => ({ id, region: '410300', scheme: 'resident', category: 'adult', ...more });
const visit = (id: string, institution: object, time = '2024-03-02T10:00:00+08:00', more: Record<string, unknown> = {}) => ({
  id,
  time,
  type: 'outpatient',
  institution,
  total: 200,
  eligible: 180,
  ...more,
});

type Json = any;

let seq = 0;
const msgid = (inst: string) => `${inst}2024030210${String(++seq).padStart(8, '0')}`;

for (const s of STORES) {
  describe.skipIf(s.skip)(`between institutions on ${s.label}`, () => {
    let service: TestService;
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let h1: CreatedKey;
    let h2: CreatedKey;

    async function call(method: 'GET' | 'POST' | 'PUT', url: string, key: string, body?: unknown): Promise<{ status: number; body: Json; text: string }> {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: res.statusCode, body: res.json() as Json, text: res.body };
    }
    const settle = (key: string, requestId: string, person: object, v: object) => call('POST', '/v1/settlements', key, { requestId, person, visit: v });

    /** A refusal with the code whose words (message, problems, err_msg) name none of `secrets` (another institution's ids, persons, groups). */
    function refused(r: { status: number; body: Json; text: string }, status: number, code: string, secrets: readonly string[]) {
      expect(r.status, r.text).toBe(status);
      expect(r.body.error.code).toBe(code);
      const words = JSON.stringify([r.body.error.message, r.body.error.problems ?? null, r.body.err_msg ?? null]);
      for (const secret of secrets) expect(words, `the refusal names ${secret}`).not.toContain(secret);
    }

    beforeAll(async () => {
      service = await startService(s.open, engine);
      ({ store, app, agency, h1 } = service);
      h2 = await createKey(store.db, 'institution', { institutionId: 'H2' });
    });
    afterAll(async () => {
      await service?.close();
    });

    it("a visit id is its institution's: H2's VA9 does not block H1's, and each 409 names only the caller's own settlement", async () => {
      // H2 settles its visit VA9 first; then H1 its own VA9, for the same person.
      const at2 = await settle(h2.key, 'b-h2-1', resident('B-P1'), visit('VA9', H2));
      expect(at2.status, at2.text).toBe(201);
      const at1 = await settle(h1.key, 'b-h1-1', resident('B-P1'), visit('VA9', H1, '2024-03-03T10:00:00+08:00'));
      expect(at1.status, at1.text).toBe(201);
      // (180 − 50) × 50% = 65 at each: 洛医保〔2023〕63号 二(一)2, the deductible once per day per institution.
      expect(at1.body).toMatchObject({ institution: 'H1', visitId: 'VA9', fundPay: 65 });
      expect(at2.body).toMatchObject({ institution: 'H2', visitId: 'VA9', fundPay: 65 });
      const ids = { h1: at1.body.id as string, h2: at2.body.id as string };
      const visits = await store.db.selectFrom('visits').select(['institution_id']).where('id', '=', 'VA9').orderBy('institution_id').execute();
      expect(visits.map((v) => v.institution_id)).toEqual(['H1', 'H2']);

      // Each institution's second try at its VA9 is refused naming its own settlement only.
      const before = await tableCounts(store);
      const again1 = await settle(h1.key, 'b-h1-2', resident('B-P1'), visit('VA9', H1, '2024-03-03T10:00:00+08:00'));
      refused(again1, 409, 'VISIT_ALREADY_SETTLED', [ids.h2]);
      expect(again1.body.error.message).toContain(ids.h1);
      const again2 = await settle(h2.key, 'b-h2-2', resident('B-P1'), visit('VA9', H2));
      refused(again2, 409, 'VISIT_ALREADY_SETTLED', [ids.h1]);
      expect(again2.body.error.message).toContain(ids.h2);
      expect(await tableCounts(store)).toEqual(before);

      // The agency's history tells the two VA9s apart; each institution sees its own.
      const all = await call('GET', '/v1/persons/B-P1/settlements', agency.key);
      expect(all.body.entries.map((e: Json) => [e.institution, e.visitId, e.id])).toEqual([
        ['H2', 'VA9', ids.h2],
        ['H1', 'VA9', ids.h1],
      ]);
      expect((await call('GET', '/v1/persons/B-P1/settlements', h1.key)).body.entries.map((e: Json) => e.id)).toEqual([ids.h1]);
      expect((await call('GET', '/v1/persons/B-P1/settlements', h2.key)).body.entries.map((e: Json) => e.id)).toEqual([ids.h2]);

      // H1 reverses its VA9 and settles it again; H2's stays settled.
      const rev = await call('POST', `/v1/settlements/${ids.h1}/reversal`, h1.key, { requestId: 'b-h1-rev' });
      expect(rev.status, rev.text).toBe(201);
      expect(rev.body).toMatchObject({ institution: 'H1', visitId: 'VA9', reverses: ids.h1 });
      const resettled = await settle(h1.key, 'b-h1-3', resident('B-P1'), visit('VA9', H1, '2024-03-03T10:00:00+08:00'));
      expect(resettled.status, resettled.text).toBe(201);
      refused(await settle(h2.key, 'b-h2-3', resident('B-P1'), visit('VA9', H2)), 409, 'VISIT_ALREADY_SETTLED', [ids.h1, resettled.body.id]);
      expect((await verifyLedger(store.db)).ok).toBe(true);
    });

    it("the national mdtrt_id is the institution's too: 2207 at H2 on H1's mdtrt_id settles, and each reversal finds its own visit", async () => {
      const message = (inst: string, infno: string, data: Record<string, unknown>, yibao: Record<string, unknown> = {}) => ({
        msgid: msgid(inst),
        insuplc_admdvs: '410300',
        fixmedins_code: inst,
        inf_time: '2024-03-02 10:00:00',
        input: {
          data: { psn_no: 'B-N1', med_type: '11', medfee_sumamt: '300.00', mdtrt_id: 'N-VA9', insutype: '390', fulamt_ownpay_amt: '50.00', inscp_scp_amt: '250.00', ...data },
        },
        yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true }, ...yibao },
        infno,
      });
      const out = await call('POST', '/v1/national/2207', h1.key, message('H1', '2207', {}));
      expect(out.status, out.text).toBe(201);
      // H2's N-VA9 is a caesarean birth (52, 2304), the same mdtrt_id as H1's outpatient visit.
      const birth = await call(
        'POST',
        '/v1/national/2304',
        h2.key,
        message('H2', '2304', { med_type: '52', medfee_sumamt: '5000.00', fulamt_ownpay_amt: '500.00', inscp_scp_amt: '4500.00' }, { visit: { type: 'birth-cesarean' } }),
      );
      expect(birth.status, birth.text).toBe(201);
      const ids = { h1: out.body.output.setlinfo.setl_id as string, h2: birth.body.output.setlinfo.setl_id as string };

      // A second 2207 at H1 on N-VA9: refused naming H1's settlement, not H2's.
      const again = await call('POST', '/v1/national/2207', h1.key, message('H1', '2207', {}));
      refused(again, 409, 'VISIT_ALREADY_SETTLED', [ids.h2]);
      expect(again.body.err_msg).toMatch(/^就诊已结算：data\.mdtrt_id：visit N-VA9 at H1 is already settled as /);

      // Each reversal reads its own visit's type: 2305 for H2's stay, 2208 for H1's outpatient visit.
      const reverse = (inst: string, infno: string, setlId: string, key: string) =>
        call('POST', `/v1/national/${infno}`, key, { msgid: msgid(inst), fixmedins_code: inst, input: { data: { setl_id: setlId, mdtrt_id: 'N-VA9', psn_no: 'B-N1' } } });
      const r2 = await reverse('H2', '2305', ids.h2, h2.key);
      expect(r2.status, r2.text).toBe(201);
      const r1 = await reverse('H1', '2208', ids.h1, h1.key);
      expect(r1.status, r1.text).toBe(201);

      // Another institution's setl_id does not exist for H2, and the refusal says nothing of it.
      const other = await settle(h1.key, 'b-n-h1', resident('B-N2'), visit('N-VB1', H1));
      expect(other.status).toBe(201);
      const notFound = await reverse('H2', '2208', other.body.id, h2.key);
      refused(notFound, 404, 'NOT_FOUND', ['B-N2', 'N-VB1']);
      expect(notFound.body.error.message).toBe(`data.setl_id: settlement ${other.body.id} does not exist`);
    });

    it("refusals name nothing of another institution's: entries, reversals, history, persons", async () => {
      const mine = await settle(h1.key, 'b-l-h1', resident('B-L1', { hardship: 'dibao' }), visit('B-L1-v1', H1));
      expect(mine.status, mine.text).toBe(201);
      const secrets = [mine.body.id as string, 'B-L1-v1', 'b-l-h1', 'dibao'];
      for (const r of [
        await call('GET', `/v1/settlements/${mine.body.id}`, h2.key),
        await call('POST', `/v1/settlements/${mine.body.id}/reversal`, h2.key, { requestId: 'b-l-h2-rev' }),
      ]) {
        refused(r, 404, 'NOT_FOUND', secrets.slice(1));
        expect(r.body.error.message).toBe(`settlement ${mine.body.id} does not exist`);
      }
      expect((await call('GET', '/v1/persons/B-L1/settlements', h2.key)).body.entries).toEqual([]);
      // The registry holds dibao; H2 says tekun: refused, naming the field and not the registry's value.
      const before = await tableCounts(store);
      const claim = await settle(h2.key, 'b-l-h2', resident('B-L1', { hardship: 'tekun' }), visit('B-L1-v2', H2));
      refused(claim, 409, 'PERSON_MISMATCH', secrets);
      expect(claim.body.error.message).toMatch(/^person\.hardship: tekun is not what the person registry holds/);
      expect(await tableCounts(store)).toEqual(before);
      // Nor are the registry's records an institution's to read.
      refused(await call('GET', '/v1/persons/B-L1', h2.key), 403, 'FORBIDDEN', secrets);
      refused(await call('GET', '/v1/persons', h2.key), 403, 'FORBIDDEN', secrets);
    });

    it('an institution cannot change the person record others settle with: a disagreeing settle is refused, names each field and writes nothing', async () => {
      // H1's settle registers B-X1 (no hardship group).
      expect((await settle(h1.key, 'b-x-h1-1', resident('B-X1'), visit('B-X1-v1', H1))).status).toBe(201);
      const before = await tableCounts(store);
      // H2 says 特困人员, then also another category: refused, both named, nothing written.
      const hardship = await settle(h2.key, 'b-x-h2-1', resident('B-X1', { hardship: 'tekun' }), visit('B-X1-v2', H2));
      refused(hardship, 409, 'PERSON_MISMATCH', []);
      const both = await settle(h2.key, 'b-x-h2-2', resident('B-X1', { category: 'student', hardship: 'tekun' }), visit('B-X1-v2', H2));
      refused(both, 409, 'PERSON_MISMATCH', []);
      expect(both.body.error.message).toMatch(/^person\.category: student is not what the person registry holds; person\.hardship: tekun is not/);
      expect(await tableCounts(store)).toEqual(before);
      expect((await call('GET', '/v1/persons/B-X1', agency.key)).body).toMatchObject({ id: 'B-X1', category: 'adult', hardship: null });

      // H1's next visit, a payment of the extended period within its 30-day wait (洛医保〔2023〕63号
      // 六(三)): not exempt, as B-X1 is in no hardship group — the fund pays nothing.
      const waiting = await settle(
        h1.key,
        'b-x-h1-2',
        resident('B-X1', { enrollment: { paidOn: '2024-03-01', coverageYear: 2024 } }),
        visit('B-X1-v3', H1, '2024-03-10T10:00:00+08:00'),
      );
      expect(waiting.status, waiting.text).toBe(201);
      expect(waiting.body).toMatchObject({ eligibility: 'waiting-period', fundPay: 0, cashPay: 200 });
      // A national message without the yibao block takes the person from the registry: no group either.
      const national = await call('POST', '/v1/national/2206', h2.key, {
        insuplc_admdvs: '410300',
        fixmedins_code: 'H2',
        inf_time: '2024-03-12 10:00:00',
        input: { data: { psn_no: 'B-X1', med_type: '11', medfee_sumamt: '200.00', mdtrt_id: 'B-X1-v4', insutype: '390', inscp_scp_amt: '180.00', fulamt_ownpay_amt: '20.00' } },
        yibao: { institution: { tier: 'county', grade: 2, contracted: true } },
      });
      expect(national.status, national.text).toBe(200);
      // A yibao.person block disagreeing with the registry is named in national fields.
      const disagrees = await call('POST', '/v1/national/2207', h2.key, {
        msgid: msgid('H2'),
        insuplc_admdvs: '410300',
        fixmedins_code: 'H2',
        inf_time: '2024-03-12 10:00:00',
        input: { data: { psn_no: 'B-X1', med_type: '11', medfee_sumamt: '200.00', mdtrt_id: 'B-X1-v4', insutype: '390', inscp_scp_amt: '180.00', fulamt_ownpay_amt: '20.00' } },
        yibao: { person: { category: 'adult', hardship: 'dibao' }, institution: { tier: 'county', grade: 2, contracted: true } },
      });
      refused(disagrees, 409, 'PERSON_MISMATCH', []);
      expect(disagrees.body.err_msg).toMatch(/^人员信息不一致：yibao\.person\.hardship：dibao is not what the person registry holds/);
    });
  });
}
