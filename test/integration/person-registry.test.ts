/**
 * The person registry and the two ways the ledger runs, through the service on every store.
 *
 * The registry (PUT/GET /v1/persons/{id}, GET /v1/persons): kept by the agency only, every change
 * and read audited, bad input refused naming the field with nothing written; settles take what it
 * holds and never change it, nor does recording a payment.
 *
 * The ways: by default a person's first settle registers them and a person with no payment on
 * file is taken as covered; with requireEnrollment (`yibao serve --require-enrollment`) only
 * registered persons with a payment the agency recorded for the visit's year are settled
 * (PERSON_NOT_REGISTERED, NOT_ENROLLED; a request's own payment: ENROLLMENT_NOT_ACCEPTED), and
 * nothing is written for a refusal.
 *
 * Figures: a Luoyang resident's outpatient visit of 200 yuan, 180 eligible, at a county grade-2
 * hospital: (180 − 50) × 50% = 65 (洛医保〔2023〕63号 二(一)2). A payment of the extended period
 * (2024-03-01) waits 30 days, except for hardship groups (六(三)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { CreatedKey } from '../../src/ledger/keys.js';
import { openLedgerDb, type LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, LedgerError, type Actor } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { startService, type TestService } from '../support/service.js';
import { STORES, tableCounts } from '../support/stores.js';

/**
 * The ledger's rows without the audit log: refusals and reads of personal data are audited on
 * purpose, so "nothing written" means nothing else was.
 */
async function ledgerCounts(store: Parameters<typeof tableCounts>[0]): Promise<Record<string, number>> {
  const { audit_log: _audited, ...rest } = await tableCounts(store);
  return rest;
}

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

const H1 = { id: 'H1', tier: 'county', grade: 2, contracted: true };
const resident = (id: string, more: Record<string, unknown> = {}) => ({ id, region: '410300', scheme: 'resident', category: 'adult', ...more });
const visit = (id: string, time = '2024-03-10T10:00:00+08:00') => ({ id, time, type: 'outpatient', institution: H1, total: 200, eligible: 180 });
const extendedPayment = { paidOn: '2024-03-01', coverageYear: 2024 };

async function audits(store: LedgerDb, action: string, target: string): Promise<Record<string, unknown>[]> {
  const rows = await store.db.selectFrom('audit_log').select(['actor', 'role', 'detail']).where('action', '=', action).where('target', '=', target).orderBy('id').execute();
  return rows.map((r) => ({ actor: r.actor, role: r.role, detail: JSON.parse(r.detail) as unknown }));
}

type Json = any;
type Res = { status: number; body: Json; text: string };

function client(app: () => FastifyInstance) {
  return async (method: 'GET' | 'POST' | 'PUT', url: string, key: string | undefined, body?: unknown): Promise<Res> => {
    const res = await app().inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: res.statusCode, body: res.json() as Json, text: res.body };
  };
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`person registry, default way, on ${s.label}`, () => {
    let service: TestService;
    let store: LedgerDb;
    let agency: CreatedKey;
    let h1: CreatedKey;
    let analyst: CreatedKey;
    const call = client(() => service.app);
    const settle = (requestId: string, person: object, v: object, key = h1.key) => call('POST', '/v1/settlements', key, { requestId, person, visit: v });

    beforeAll(async () => {
      service = await startService(s.open, engine);
      ({ store, agency, h1, analyst } = service);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('the agency sets, replaces and reads a record; every change and read is audited, an unchanged one writes nothing', async () => {
      const put = await call('PUT', '/v1/persons/R-A1', agency.key, { region: 'luoyang', scheme: 'resident', category: 'adult', hardship: 'dibao' });
      expect(put.status, put.text).toBe(201);
      expect(put.body).toMatchObject({
        id: 'R-A1',
        region: '410300',
        scheme: 'resident',
        category: 'adult',
        hardship: 'dibao',
        familyDoctorAt: null,
        employment: null,
        accountReformed: null,
        changed: true,
      });
      expect(await audits(store, 'person.register', 'R-A1')).toEqual([
        {
          actor: agency.id,
          role: 'agency',
          detail: { region: '410300', scheme: 'resident', category: 'adult', hardship: 'dibao', familyDoctorAt: null, employment: null, accountReformed: null },
        },
      ]);
      // The same record again: 200, unchanged, nothing written.
      const before = await tableCounts(store);
      const same = await call('PUT', '/v1/persons/R-A1', agency.key, { id: 'R-A1', region: '410300', scheme: 'resident', category: 'adult', hardship: 'dibao' });
      expect(same.status).toBe(200);
      expect(same.body.changed).toBe(false);
      expect(await tableCounts(store)).toEqual(before);
      // A replacement: what it leaves out is none.
      const replaced = await call('PUT', '/v1/persons/R-A1', agency.key, { region: '410300', scheme: 'resident', category: 'adult', familyDoctorAt: 'H1' });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ hardship: null, familyDoctorAt: 'H1', changed: true });
      expect((await audits(store, 'person.update', 'R-A1')).map((a) => a.detail)).toEqual([{ hardship: ['dibao', null], familyDoctorAt: [null, 'H1'] }]);
      // Read, audited as a read of personal data.
      const got = await call('GET', '/v1/persons/R-A1', agency.key);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ id: 'R-A1', hardship: null, familyDoctorAt: 'H1' });
      expect(got.body.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(await audits(store, 'person.read', 'R-A1')).toEqual([{ actor: agency.id, role: 'agency', detail: { found: true } }]);
      const none = await call('GET', '/v1/persons/R-nobody', agency.key);
      expect(none.status).toBe(404);
      expect(none.body.error.code).toBe('NOT_FOUND');
      expect(await audits(store, 'person.read', 'R-nobody')).toHaveLength(1);
    });

    it('only the agency keeps or reads the registry; bad input is refused naming each field, nothing written', async () => {
      const record = { region: '410300', scheme: 'resident', category: 'adult' };
      const before = await ledgerCounts(store);
      for (const [key, status] of [
        [h1.key, 403],
        [analyst.key, 403],
        [undefined, 401],
      ] as const) {
        expect((await call('PUT', '/v1/persons/R-B1', key, record)).status).toBe(status);
        expect((await call('GET', '/v1/persons/R-A1', key)).status).toBe(status);
        expect((await call('GET', '/v1/persons', key)).status).toBe(status);
      }
      const bad: [unknown, RegExp][] = [
        [{ ...record, category: 'retired' }, /^category: retired is not a resident category/],
        [{ ...record, employment: 'flexible' }, /^employment: applies to the employees' scheme \(职工医保\) only/],
        [{ ...record, region: 'atlantis' }, /^region: unknown region "atlantis"/],
        [{ ...record, id: 'R-B2' }, /^id: R-B2 is not the person of the path \(R-B1\)/],
        [{ ...record, hardship: 'rich' }, /^hardship: must be one of/],
        [{ ...record, enrollment: extendedPayment }, /unrecognized key|enrollment/i],
        [{ scheme: 'employee', category: 'active', region: '410900', accountReformed: 'yes' }, /^accountReformed: must be true or false/],
      ];
      for (const [body, problem] of bad) {
        const r = await call('PUT', '/v1/persons/R-B1', agency.key, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.code).toBe('INVALID_REQUEST');
        expect(r.body.error.problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
      }
      for (const q of ['limit=0', 'limit=501', 'limit=ten', 'colour=red']) expect((await call('GET', `/v1/persons?${q}`, agency.key)).status, q).toBe(400);
      expect(await ledgerCounts(store)).toEqual(before);
    });

    it('lists the registry a page at a time, in id order', async () => {
      for (const id of ['R-L1', 'R-L2', 'R-L3'])
        expect((await call('PUT', `/v1/persons/${id}`, agency.key, { region: '410300', scheme: 'resident', category: 'child' })).status).toBe(201);
      const first = await call('GET', '/v1/persons?after=R-K&limit=2', agency.key);
      expect(first.body.persons.map((p: Json) => p.id)).toEqual(['R-L1', 'R-L2']);
      expect(first.body.next).toBe('R-L2');
      const second = await call('GET', `/v1/persons?after=${first.body.next}&limit=2`, agency.key);
      expect(second.body.persons.map((p: Json) => p.id)).toEqual(['R-L3']);
      expect(second.body.next).toBeNull();
      expect(await audits(store, 'person.list', 'persons')).toEqual(
        expect.arrayContaining([{ actor: agency.id, role: 'agency', detail: { after: 'R-K', count: 2, last: 'R-L2' } }]),
      );
    });

    it('a settle takes what the registry holds for what it leaves out, is refused where it disagrees, and never changes it', async () => {
      expect((await call('PUT', '/v1/persons/R-S1', agency.key, { region: '410300', scheme: 'resident', category: 'adult', hardship: 'dibao' })).status).toBe(201);
      // No group in the request: the registry's 低保对象 applies, exempt from the wait (六(三)).
      const exempt = await settle('r-s1-1', resident('R-S1', { enrollment: extendedPayment }), visit('R-S1-v1'));
      expect(exempt.status, exempt.text).toBe(201);
      expect(exempt.body).toMatchObject({ eligibility: 'covered', fundPay: 65, cashPay: 135 });
      // Another group: refused, nothing written.
      const before = await tableCounts(store);
      const other = await settle('r-s1-2', resident('R-S1', { hardship: 'tekun' }), visit('R-S1-v2'));
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('PERSON_MISMATCH');
      expect(await tableCounts(store)).toEqual(before);
      // The agency takes the group off: the next visit within the wait is not covered.
      expect((await call('PUT', '/v1/persons/R-S1', agency.key, { region: '410300', scheme: 'resident', category: 'adult' })).status).toBe(200);
      const waiting = await settle('r-s1-3', resident('R-S1', { enrollment: extendedPayment }), visit('R-S1-v3', '2024-03-11T10:00:00+08:00'));
      expect(waiting.body).toMatchObject({ eligibility: 'waiting-period', fundPay: 0, cashPay: 200 });
      // Recording a payment as 特困人员 is the payment's (enrolledAs); the registry stays as it is.
      const recorded = await call('POST', '/v1/persons/R-S1/enrollments', agency.key, {
        requestId: 'r-s1-pay',
        person: resident('R-S1', { hardship: 'tekun' }),
        coverageYear: 2024,
        paidOn: '2024-03-01',
        amount: 380,
        payer: 'self',
      });
      expect(recorded.status, recorded.text).toBe(201);
      expect((await call('GET', '/v1/persons/R-S1', agency.key)).body).toMatchObject({ hardship: null });
    });

    it("carries an employee's employment and account reform, and a settle must agree with them", async () => {
      const employee = { region: '410900', scheme: 'employee', category: 'active' };
      const put = await call('PUT', '/v1/persons/R-E1', agency.key, { ...employee, employment: 'flexible', accountReformed: true });
      expect(put.body).toMatchObject({ employment: 'flexible', accountReformed: true });
      const v = { id: 'R-E1-v1', time: '2023-03-01T09:00:00+08:00', type: 'outpatient', institution: { id: 'H1', tier: 'county', grade: 2, contracted: true }, total: 150 };
      const mismatch = await settle('r-e1-1', { id: 'R-E1', ...employee, employment: 'employer', accountReformed: false }, v);
      expect(mismatch.status).toBe(409);
      expect(mismatch.body.error.message).toMatch(/^person\.employment: employer is not what the person registry holds; person\.accountReformed: false is not what/);
      const agrees = await settle('r-e1-2', { id: 'R-E1', ...employee, employment: 'flexible' }, v);
      expect(agrees.status, agrees.text).toBe(201);
      // A resident has neither.
      const resident = await settle('r-e1-3', { id: 'R-E2', region: '410300', scheme: 'resident', category: 'adult', employment: 'flexible' }, visit('R-E2-v1'));
      expect(resident.status).toBe(400);
      expect(resident.body.error.problems).toEqual(["person.employment: applies to the employees' scheme (职工医保) only"]);
    });

    it('by default a first settle registers the person, and a person with no payment on file is taken as covered', async () => {
      const first = await settle('r-d1-1', resident('R-D1', { familyDoctorAt: 'H1' }), visit('R-D1-v1', '2024-05-10T10:00:00+08:00'));
      expect(first.status, first.text).toBe(201);
      expect(first.body).toMatchObject({ eligibility: 'covered' });
      expect(first.body.trace).toContainEqual(expect.objectContaining({ step: 'eligibility', text: '未提供参保缴费信息，按已参保处理。' }));
      expect((await call('GET', '/v1/persons/R-D1', agency.key)).body).toMatchObject({ region: '410300', category: 'adult', hardship: null, familyDoctorAt: 'H1' });
      expect((await call('GET', '/readyz', undefined)).body).toMatchObject({ requireEnrollment: false });
    });
  });

  describe.skipIf(s.skip)(`person registry, enrollment required, on ${s.label}`, () => {
    let service: TestService;
    let store: LedgerDb;
    let agency: CreatedKey;
    let h1: CreatedKey;
    const call = client(() => service.app);
    const settle = (requestId: string, person: object, v: object) => call('POST', '/v1/settlements', h1.key, { requestId, person, visit: v });
    const pay = (person: string, requestId: string, coverageYear: number, paidOn: string) =>
      call('POST', `/v1/persons/${person}/enrollments`, agency.key, { requestId, person: resident(person), coverageYear, paidOn, amount: 380, payer: 'self' });

    beforeAll(async () => {
      service = await startService(s.open, engine, { ledger: { requireEnrollment: true } });
      ({ store, agency, h1 } = service);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('refuses a person not in the registry, then one with no payment for the year, writing nothing', async () => {
      const before = await ledgerCounts(store);
      const unregistered = await settle('q-n1-1', resident('Q-N1'), visit('Q-N1-v1'));
      expect(unregistered.status).toBe(422);
      expect(unregistered.body.error).toMatchObject({ code: 'PERSON_NOT_REGISTERED' });
      expect(unregistered.body.error.message).toMatch(/^person\.id: person Q-N1 is not in the person registry/);
      const pre = await call('POST', '/v1/pre-settlements', h1.key, { person: resident('Q-N1'), visit: visit('Q-N1-v1') });
      expect(pre.body.error?.code).toBe('PERSON_NOT_REGISTERED');
      expect(await ledgerCounts(store)).toEqual(before);

      expect((await call('PUT', '/v1/persons/Q-N1', agency.key, { region: '410300', scheme: 'resident', category: 'adult' })).status).toBe(201);
      const registered = await ledgerCounts(store);
      const notEnrolled = await settle('q-n1-2', resident('Q-N1'), visit('Q-N1-v1'));
      expect(notEnrolled.status).toBe(422);
      expect(notEnrolled.body.error.code).toBe('NOT_ENROLLED');
      expect(notEnrolled.body.error.message).toMatch(/^person\.id: person Q-N1 has no payment \(参保缴费\) on file for 2024/);
      expect((await call('POST', '/v1/pre-settlements', h1.key, { person: resident('Q-N1'), visit: visit('Q-N1-v1') })).body.error?.code).toBe('NOT_ENROLLED');
      // Nor does the request's own word on a payment count.
      const brought = await settle('q-n1-3', resident('Q-N1', { enrollment: extendedPayment }), visit('Q-N1-v1'));
      expect(brought.status).toBe(422);
      expect(brought.body.error.code).toBe('ENROLLMENT_NOT_ACCEPTED');
      expect(await ledgerCounts(store)).toEqual(registered);
      // A payment for another year does not cover 2024.
      expect((await pay('Q-N1', 'q-n1-pay-2023', 2023, '2022-12-01')).status).toBe(201);
      expect((await settle('q-n1-4', resident('Q-N1'), visit('Q-N1-v1'))).body.error?.code).toBe('NOT_ENROLLED');
    });

    it('settles with the payment the agency recorded: its waiting period, then covered', async () => {
      expect((await call('PUT', '/v1/persons/Q-P1', agency.key, { region: '410300', scheme: 'resident', category: 'adult' })).status).toBe(201);
      expect((await pay('Q-P1', 'q-p1-pay', 2024, '2024-03-01')).status).toBe(201);
      // 2024-03-10 is within the 30 days after 2024-03-01 (六(三)): settled, the fund pays nothing.
      const waiting = await settle('q-p1-1', resident('Q-P1'), visit('Q-P1-v1'));
      expect(waiting.status, waiting.text).toBe(201);
      expect(waiting.body).toMatchObject({ eligibility: 'waiting-period', fundPay: 0 });
      // From 2024-04-01 covered: 65.
      const covered = await settle('q-p1-2', resident('Q-P1'), visit('Q-P1-v2', '2024-04-10T10:00:00+08:00'));
      expect(covered.body).toMatchObject({ eligibility: 'covered', fundPay: 65, cashPay: 135 });
      expect((await call('GET', '/readyz', undefined)).body).toMatchObject({ requireEnrollment: true });
    });

    it('the national interface is held to the same: 2207 of an unregistered person is refused naming data.psn_no', async () => {
      const before = await tableCounts(store);
      const r = await call('POST', '/v1/national/2207', h1.key, {
        msgid: 'H1202404100000000001',
        insuplc_admdvs: '410300',
        fixmedins_code: 'H1',
        inf_time: '2024-04-10 10:00:00',
        input: { data: { psn_no: 'Q-X1', med_type: '11', medfee_sumamt: '200.00', mdtrt_id: 'Q-X1-v1', insutype: '390', inscp_scp_amt: '180.00', fulamt_ownpay_amt: '20.00' } },
        yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true } },
      });
      expect(r.status).toBe(422);
      expect(r.body.err_msg).toMatch(/^人员未登记：data\.psn_no：person Q-X1 is not in the person registry/);
      expect(await tableCounts(store)).toEqual(before);
    });
  });

  describe.skipIf(s.skip)(`the ways on one ledger, on ${s.label}`, () => {
    let store: LedgerDb;
    const agency: Actor = { id: 'agency-1', role: 'agency' };
    beforeAll(async () => {
      store = await s.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it("a payment a settle brought is not the agency's record: the required way does not count it", async () => {
      const open = new Ledger(store, engine);
      await open.ready;
      const req = (requestId: string, person: object, v: object) => parseSettleOne({ requestId, person, visit: v }, policies);
      const first = await open.settle(req('w-1', resident('W-1', { enrollment: { paidOn: '2024-01-05', coverageYear: 2024 } }), visit('W-1-v1')), agency);
      expect(first.entry).toMatchObject({ eligibility: 'covered', fundPay: 65 });
      // The other way on another connection to the same ledger (a second service, say).
      const second = await openLedgerDb({ target: store.location });
      try {
        const strict = new Ledger(second, engine, Date.now, { requireEnrollment: true });
        const refused = strict.settle(req('w-2', resident('W-1'), visit('W-1-v2', '2024-03-11T10:00:00+08:00')), agency);
        await expect(refused).rejects.toBeInstanceOf(LedgerError);
        await expect(refused).rejects.toMatchObject({ code: 'NOT_ENROLLED' });
      } finally {
        await second.close();
      }
      // The open way takes it as the payment on file (concentrated period: covered all year).
      const again = await open.settle(req('w-3', resident('W-1'), visit('W-1-v3', '2024-03-11T10:00:00+08:00')), agency);
      expect(again.entry).toMatchObject({ eligibility: 'covered' });
    });
  });
}
