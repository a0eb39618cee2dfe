/**
 * The hospital's session and the person over the national interface (9001 签到, 9002 签退, 1101
 * 人员信息获取, 2001 人员待遇享受检查, 5206 人员累计信息查询) and the agency's identity route
 * (PUT/GET /v1/persons/:id/identity), on every store, through app.inject.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, KeyStore, type CreatedKey } from '../../src/ledger/keys.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';
import { nationalJson } from '../support/national.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

/** GB 11643's own example: 1×7+1×9+0×10+1×5+0×8+5×4+1×2+9×1+4×6+9×3+1×7+2×9+3×10+1×5+0×8+0×4+2×2 = 167, 167 mod 11 = 2 → X. */
const CERTNO = '11010519491231002X';
const MASKED = '1101**********002X';
const COUNTY = { tier: 'county', grade: 2, contracted: true };

let seq = 0;
const msgid = () => `H1SESSION${String(++seq).padStart(8, '0')}`;

type Json = any;

for (const s of STORES) {
  describe.skipIf(s.skip)(`national session and person on ${s.label}`, () => {
    let service: TestService;
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let h1: CreatedKey;
    let h1b: CreatedKey;
    let analyst: CreatedKey;
    /** A second server on the same store whose log is kept, to show the certificate number never reaches it. */
    let logged: FastifyInstance;
    const log: string[] = [];

    async function call(a: FastifyInstance, method: 'POST' | 'PUT' | 'GET', url: string, body: unknown, key: string | undefined) {
      const res = await a.inject({
        method,
        url,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      return { status: res.statusCode, body: nationalJson(res.body) as Json };
    }
    const post = (infno: string, body: unknown, key: string = h1.key) => call(app, 'POST', `/v1/national/${infno}`, body, key);
    const msg = (infno: string, input: unknown, more: Record<string, unknown> = {}) => ({
      infno,
      msgid: msgid(),
      fixmedins_code: 'H1',
      inf_time: '2024-03-02 10:00:00',
      input,
      ...more,
    });

    beforeAll(async () => {
      service = await startService(s.open, engine);
      ({ store, app, agency, analyst, h1 } = service);
      h1b = await createKey(store.db, 'institution', { institutionId: 'H1' });
      const stream = new Writable({
        write(chunk, _enc, done) {
          log.push(String(chunk));
          done();
        },
      });
      logged = await buildServer({ ledger: service.ledger, policies, keys: new KeyStore(store.db, 0), logger: { level: 'trace', stream } });
      await logged.ready();
      // R1: a Luoyang resident adult, 低保, paid in the concentrated period for 2024.
      expect((await call(app, 'PUT', '/v1/persons/R1', { region: '410300', scheme: 'resident', category: 'adult', hardship: 'dibao' }, agency.key)).status).toBe(201);
      const pay = {
        requestId: 'R1-2024',
        person: { id: 'R1', region: '410300', scheme: 'resident', category: 'adult', hardship: 'dibao' },
        coverageYear: 2024,
        paidOn: '2023-12-20',
        amount: 380,
        payer: 'self',
      };
      expect((await call(app, 'POST', '/v1/persons/R1/enrollments', pay, agency.key)).status).toBe(201);
      // R2: registered, nothing paid.
      expect((await call(app, 'PUT', '/v1/persons/R2', { region: '410300', scheme: 'resident', category: 'adult' }, agency.key)).status).toBe(201);
    });
    afterAll(async () => {
      await logged?.close();
      await service?.close();
    });

    it('keeps an identity: a resident ID checked, sex and birth date read from it, the certificate number masked in the audit log and in the service log', async () => {
      const before = await rowCounts(store, ['person_identities', 'audit_log']);
      const bad = await call(logged, 'PUT', '/v1/persons/R1/identity', { psn_cert_type: '01', certno: '110105194912310021', psn_name: '张三' }, agency.key);
      expect(bad.status).toBe(400);
      expect(bad.body.error.problems).toEqual(['certno: 1101**********0021: the check digit (GB 11643, ISO 7064 MOD 11-2) does not match: the number is mistyped']);
      const mismatch = await call(
        logged,
        'PUT',
        '/v1/persons/R1/identity',
        { psn_cert_type: '01', certno: CERTNO, psn_name: '张三', gend: '1', brdy: '1950-01-01', extra: 1 },
        agency.key,
      );
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.error.problems).toEqual([expect.stringMatching(/^\(top level\): |^extra: /)]);
      const mismatch2 = await call(logged, 'PUT', '/v1/persons/R1/identity', { psn_cert_type: '01', certno: CERTNO, psn_name: '张三', gend: '1', brdy: '1950-01-01' }, agency.key);
      expect(mismatch2.body.error.problems).toEqual([
        "gend: 1 男 is not the sex the resident ID gives (2 女); leave gend out to take the ID's",
        "brdy: 1950-01-01 is not the birth date the resident ID gives; leave brdy out to take the ID's",
      ]);
      expect(await rowCounts(store, ['person_identities', 'audit_log'])).toEqual(before);

      const put = await call(logged, 'PUT', '/v1/persons/R1/identity', { psn_cert_type: '01', certno: CERTNO, psn_name: '张三', naty: '01' }, agency.key);
      expect(put.status).toBe(201);
      expect(put.body).toEqual({ psn_no: 'R1', psn_cert_type: '01', certno: CERTNO, psn_name: '张三', gend: '2', brdy: '1949-12-31', naty: '01', changed: true });
      const again = await call(logged, 'PUT', '/v1/persons/R1/identity', { psn_cert_type: '01', certno: CERTNO, psn_name: '张三', naty: '01' }, agency.key);
      expect(again.status).toBe(200);
      expect(again.body.changed).toBe(false);
      const got = await call(logged, 'GET', '/v1/persons/R1/identity', undefined, agency.key);
      expect(got.body).toMatchObject({ psn_no: 'R1', certno: CERTNO });
      // Another person may not hold the same certificate; an unregistered person has no identity.
      const dup = await call(logged, 'PUT', '/v1/persons/R2/identity', { psn_cert_type: '01', certno: CERTNO, psn_name: '李四' }, agency.key);
      expect(dup.status).toBe(409);
      expect(dup.body.error).toMatchObject({ code: 'DUPLICATE_REFERENCE' });
      expect(dup.body.error.message).toContain(MASKED);
      expect((await call(logged, 'PUT', '/v1/persons/NOPE/identity', { psn_cert_type: '01', certno: CERTNO, psn_name: '张三' }, agency.key)).status).toBe(404);
      // Agency only.
      expect((await call(logged, 'GET', '/v1/persons/R1/identity', undefined, h1.key)).status).toBe(403);
      expect((await call(logged, 'PUT', '/v1/persons/R1/identity', { psn_cert_type: '01', certno: CERTNO, psn_name: '张三' }, analyst.key)).status).toBe(403);

      const audit = await store.db.selectFrom('audit_log').selectAll().where('target', '=', 'R1').execute();
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['identity.set', 'read.identity']));
      expect(JSON.parse(audit.find((a) => a.action === 'identity.set')?.detail ?? '{}')).toEqual({
        changed: ['psnCertType', 'certno', 'psnName', 'gend', 'brdy', 'naty'],
        psnCertType: '01',
        certno: MASKED,
      });
      const all = await store.db.selectFrom('audit_log').select(['detail', 'target']).execute();
      for (const a of all) expect(`${a.target} ${a.detail}`).not.toContain(CERTNO);
      expect(log.length).toBeGreaterThan(0);
      expect(log.join('\n')).not.toContain(CERTNO);
      expect(log.join('\n')).not.toContain('110105194912310021');
    });

    it('9001 signs in idempotently by msgid; 9002 signs out by the same key only', async () => {
      const body = msg('9001', { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } });
      const first = await post('9001', body);
      expect(first.status).toBe(201);
      const { sign_no, sign_time } = first.body.output.signinoutb;
      expect(sign_no).toMatch(/^SI[0-9A-F]{28}$/);
      expect(sign_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const again = await post('9001', body);
      expect(again.status).toBe(200);
      expect(again.body.output.signinoutb).toEqual(first.body.output.signinoutb);
      expect((await post('9001', { ...body, input: { signIn: { opter_no: '0054', mac: 'x', ip: 'y' } } })).body.error.code).toBe('IDEMPOTENCY_CONFLICT');
      expect(await service.ledger.national.signIns.verify(sign_no, 'H1', h1.id)).toBe('ok');
      expect(await service.ledger.national.signIns.verify(sign_no, 'H1', h1b.id)).toBe('other-key');
      expect(await service.ledger.national.signIns.verify(sign_no, 'H2', h1.id)).toBe('other-institution');
      expect(await service.ledger.national.signIns.verify('SI-NONE', 'H1', h1.id)).toBe('unknown');

      // Bad fields, each named; another institution's code; an analyst.
      const bad = await post('9001', msg('9001', { signIn: { opter_no: '', ip: 'x'.repeat(21), port: 1 } }));
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ infcode: -1, error: { code: 'INVALID_REQUEST' } });
      expect(bad.body.error.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^signIn\.opter_no: /),
          expect.stringMatching(/^signIn\.mac: /),
          expect.stringMatching(/^signIn\.ip: /),
          expect.stringMatching(/^signIn(\.port)?: /),
        ]),
      );
      expect((await post('9001', { ...msg('9001', body.input), fixmedins_code: 'H2' })).status).toBe(403);
      expect((await post('9001', msg('9001', body.input), analyst.key)).status).toBe(403);

      const out = msg('9002', { signOut: { sign_no, opter_no: '0053' } });
      const other = await post('9002', out, h1b.key);
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('FORBIDDEN');
      const signedOut = await post('9002', out);
      expect(signedOut.status).toBe(200);
      expect(signedOut.body.output.signoutoutb.sign_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect((await post('9002', out)).body.output).toEqual(signedOut.body.output);
      expect(await service.ledger.national.signIns.verify(sign_no, 'H1', h1.id)).toBe('signed-out');
      expect((await post('9002', msg('9002', { signOut: { sign_no: 'SI-NONE', opter_no: '0053' } }))).status).toBe(404);
      const rows = await store.db.selectFrom('audit_log').select('action').where('target', '=', sign_no).execute();
      expect(rows.map((r) => r.action).sort()).toEqual(['national.sign-in', 'national.sign-out']);
    });

    it('1101 answers the person by resident ID: registry, identity, payments and account, audited', async () => {
      const body = msg('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: CERTNO, card_sn: 'NULL', begntime: '', psn_cert_type: '01', certno: '', psn_name: '' } });
      const r = await post('1101', body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.output).toEqual({
        // Born 1949-12-31: on 2024-03-02 (inf_time) 74 full years.
        baseinfo: { psn_no: 'R1', psn_cert_type: '01', certno: CERTNO, psn_name: '张三', gend: '2', naty: '01', brdy: '1949-12-31', age: '74', exp_content: null },
        insuinfo: [
          {
            balc: '0.00',
            insutype: '390',
            psn_type: null,
            psn_insu_stas: '1',
            psn_insu_date: '2023-12-20',
            paus_insu_date: null,
            cvlserv_flag: '0',
            insuplc_admdvs: '410300',
            emp_name: null,
          },
        ],
        idetinfo: [{ psn_idet_type: '2303', psn_type_lv: null, memo: '低保对象（yibao hardship dibao）', begntime: '2024-01-01 00:00:00', endtime: null }],
      });
      // By certno with the name; the year asked about with begntime (2025: nothing paid).
      const by = await post(
        '1101',
        msg('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: 'token', begntime: '2025-01-05 08:00:00', psn_cert_type: '01', certno: CERTNO, psn_name: '张三' } }),
      );
      expect(by.body.output.insuinfo[0].psn_insu_stas).toBe('0');
      expect(by.body.output.baseinfo.age).toBe('75');
      // A wrong name, an unknown number: 404 with the number masked; 01 without certno or psn_no: 400.
      const wrong = await post('1101', msg('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: CERTNO, psn_cert_type: '01', certno: '', psn_name: '李四' } }));
      expect(wrong.status).toBe(404);
      const token = await post('1101', msg('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: 'ecard-token', psn_cert_type: '01', certno: '', psn_name: '' } }));
      expect(token.status).toBe(400);
      expect(token.body.error.problems[0]).toMatch(/^data\.mdtrt_cert_type: 01 医保电子凭证不能在本服务读取/);
      const viaExt = await post(
        '1101',
        msg('1101', { data: { mdtrt_cert_type: '03', mdtrt_cert_no: 'card', psn_cert_type: '01', certno: '', psn_name: '' } }, { yibao: { psn_no: 'R1' } }),
      );
      expect(viaExt.body.output.baseinfo.psn_no).toBe('R1');
      expect((await post('1101', body, analyst.key)).status).toBe(403);
      expect((await post('1101', { ...body, fixmedins_code: 'H2' })).status).toBe(403);
      const reads = await store.db.selectFrom('audit_log').selectAll().where('action', '=', 'read.national-1101').execute();
      expect(reads.length).toBeGreaterThanOrEqual(4);
      for (const a of reads) expect(a.detail).not.toContain(CERTNO);
      expect(reads.some((a) => a.target === 'R1' && a.detail.includes(MASKED))).toBe(true);
    });

    it('1101 gives the open personal account balance (an employee with an opening balance)', async () => {
      expect((await call(app, 'PUT', '/v1/persons/E1', { region: '410900', scheme: 'employee', category: 'retired' }, agency.key)).status).toBe(201);
      expect((await call(app, 'PUT', '/v1/persons/E1/identity', { psn_cert_type: '99', certno: 'X-0001', psn_name: '王五', gend: '1' }, agency.key)).status).toBe(201);
      const open = { id: 'A-E1', kind: 'employee-personal', holderId: 'E1', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: true } };
      expect((await call(app, 'POST', '/v1/accounts', open, agency.key)).status).toBe(201);
      const op = { requestId: 'A-E1-open', operation: { kind: 'opening-balance', amount: '123.45', date: '2023-01-02' } };
      expect((await call(app, 'POST', '/v1/accounts/A-E1/operations', op, agency.key)).status).toBe(201);
      const r = await post('1101', msg('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: 't', psn_cert_type: '99', certno: 'X-0001', psn_name: '王五' } }));
      expect(r.body.output.insuinfo[0]).toMatchObject({ balc: '123.45', insutype: '310', psn_type: '12', psn_insu_stas: '0', psn_insu_date: null, insuplc_admdvs: '410900' });
      expect(r.body.output.baseinfo).toMatchObject({ brdy: null, age: null, gend: '1' });
      expect(r.body.output.idetinfo).toEqual([]);
    });

    it('2001 asks the engine: covered, not registered, not enrolled, not contracted; the reason in Chinese with the article', async () => {
      const check = (psn: string, more: Record<string, unknown> = {}, yibao: unknown = { institution: COUNTY }) =>
        post('2001', msg('2001', { data: { psn_no: psn, insutype: '390', fixmedins_code: 'H1', med_type: '11', begntime: '2024-03-02 09:00:00', ...more } }, { yibao }));
      const ok = await check('R1');
      expect(ok.status).toBe(200);
      expect(ok.body.output.trtinfo).toEqual([
        { psn_no: 'R1', trt_chk_type: '01', fund_pay_type: '390100', trt_enjymnt_flag: '1', begndate: '2024-03-02', enddate: null, trt_chk_rslt: null, exp_content: null },
      ]);
      expect(ok.body.yibao.eligibility).toBe('covered');
      const none = await check('NOBODY');
      expect(none.body.output.trtinfo[0]).toMatchObject({ trt_enjymnt_flag: '0', trt_chk_rslt: expect.stringContaining('不在参保人员信息') });
      const unpaid = await check('R2');
      expect(unpaid.body.output.trtinfo[0]).toMatchObject({ trt_enjymnt_flag: '0', trt_chk_rslt: expect.stringContaining('未查到2024年度参保缴费记录') });
      const other = await check('R1', { insutype: '310' });
      expect(other.body.output.trtinfo[0]).toMatchObject({ trt_enjymnt_flag: '0', fund_pay_type: '310100', trt_chk_rslt: expect.stringContaining('未参加310') });
      // R3 paid 2024-02-20 in the extension period: waiting 2024-02-21 to 2024-03-21 (30 days, 洛阳 2024 六(三)), benefits from 03-22.
      expect((await call(app, 'PUT', '/v1/persons/R3', { region: '410300', scheme: 'resident', category: 'adult' }, agency.key)).status).toBe(201);
      const pay = {
        requestId: 'R3-2024',
        person: { id: 'R3', region: '410300', scheme: 'resident', category: 'adult' },
        coverageYear: 2024,
        paidOn: '2024-02-20',
        amount: 380,
        payer: 'self',
      };
      expect((await call(app, 'POST', '/v1/persons/R3/enrollments', pay, agency.key)).status).toBe(201);
      const waiting = await check('R3');
      expect(waiting.body.output.trtinfo[0]).toMatchObject({
        trt_enjymnt_flag: '0',
        trt_chk_rslt: expect.stringMatching(/待遇等待期30天.*2024-03-22起享受待遇.*（.*六\(三\).*）$/),
      });
      expect(waiting.body.yibao.eligibility).toBe('waiting-period');
      expect((await check('R3', { begntime: '2024-03-22 08:00:00' })).body.output.trtinfo[0].trt_enjymnt_flag).toBe('1');
      const nc = await check('R1', {}, { institution: { ...COUNTY, contracted: false } });
      expect(nc.body.output.trtinfo[0]).toMatchObject({ trt_enjymnt_flag: '0', trt_chk_rslt: expect.stringMatching(/^H1不是定点医疗机构，基金不予支付。（.+）$/) });
      // Fields named; analysts and other institutions refused; nothing written.
      const before = await rowCounts(store, ['settlements', 'visits', 'cap_usage']);
      const bad = await post('2001', msg('2001', { data: { psn_no: 'R1', insutype: '390', med_type: '11', begntime: '2024-03-02' } }));
      expect(bad.status).toBe(400);
      expect(bad.body.error.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^data\.fixmedins_code: /), expect.stringMatching(/^data\.begntime: /)]));
      expect((await check('R1', { med_type: '77' })).body.error.code).toBe('INVALID_CODE');
      expect((await check('R1', { fixmedins_code: 'H2' })).status).toBe(403);
      expect(
        (await post('2001', msg('2001', { data: { psn_no: 'R1', insutype: '390', fixmedins_code: 'H1', med_type: '11', begntime: '2024-03-02 09:00:00' } }), analyst.key)).status,
      ).toBe(403);
      expect(await rowCounts(store, ['settlements', 'visits', 'cap_usage'])).toEqual(before);
      expect((await store.db.selectFrom('audit_log').select('id').where('action', '=', 'read.national-2001').where('target', '=', 'R1').execute()).length).toBeGreaterThan(0);
    });

    it("5206 gives the year's cap and deductible accumulators after a settlement", async () => {
      // C1 (not in the registry until the 2207 registers them): 300.00, 250.00 eligible at a county grade-2 hospital →
      // deductible 50.00, pooled fund 100.00 (national-api.test.ts's hand check of the same message).
      const settle = {
        msgid: msgid(),
        insuplc_admdvs: '410300',
        fixmedins_code: 'H1',
        inf_time: '2024-03-02 10:00:00',
        input: {
          data: {
            psn_no: 'C1',
            mdtrt_cert_type: '02',
            med_type: '11',
            medfee_sumamt: '300.00',
            mdtrt_id: 'C1-v1',
            insutype: '390',
            fulamt_ownpay_amt: '50.00',
            inscp_scp_amt: '250.00',
          },
        },
        yibao: { person: { category: 'adult' }, institution: COUNTY },
      };
      const settled = await post('2207', settle);
      expect(settled.status).toBe(201);
      expect(settled.body.output.setlinfo).toMatchObject({ act_pay_dedc: '50.00', hifp_pay: '100.00' });
      const r = await post('5206', msg('5206', { data: { psn_no: 'C1', cum_ym: '202403' } }));
      expect(r.status).toBe(200);
      const rows = r.body.output.cuminfo as Json[];
      expect(rows).toContainEqual({ insutype: '390', year: '2024', cum_ym: '202403', cum_type_code: 'ded:outpatient', cum: '50.00' });
      expect(rows.filter((x) => !String(x.cum_type_code).startsWith('ded:')).some((x) => x.cum === '100.00')).toBe(true);
      // Another month: the caps as they stand, no deductible rows.
      const feb = await post('5206', msg('5206', { data: { psn_no: 'C1', cum_ym: '202402' } }));
      expect((feb.body.output.cuminfo as Json[]).filter((x) => String(x.cum_type_code).startsWith('ded:'))).toEqual([]);
      expect((await post('5206', msg('5206', { data: { psn_no: 'C1', cum_ym: '2024-03' } }))).body.error.problems).toEqual(['data.cum_ym: must be a month yyyyMM']);
      expect((await post('5206', msg('5206', { data: { psn_no: 'NOBODY' } }))).status).toBe(404);
      expect((await post('5206', msg('5206', { data: { psn_no: 'C1' } }), analyst.key)).status).toBe(403);
      const reads = await store.db.selectFrom('audit_log').select('id').where('action', '=', 'read.national-5206').where('target', '=', 'C1').execute();
      expect(reads.length).toBeGreaterThanOrEqual(2);
    });
  });
}
