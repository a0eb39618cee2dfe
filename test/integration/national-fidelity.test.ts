/**
 * Fidelity to the platform on every store: statusMode 'platform' (every national answer HTTP 200, a
 * refusal infcode -1) against 'http' (the service's status kept); err_msg in Chinese listing every
 * problem of a bad message; requireSignIn (a live sign_no on every message but 9001, refusals
 * naming sign_no and audited). The sign-in book is stubbed here: its own tests are the session's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadCodeEdition } from '../../src/national/code-editions.js';
import type { SignInCheck } from '../../src/ledger/national-sign-ins.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { textInOutput } from '../../src/national/numbers.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());
type Json = any;

const message = (more: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
  msgid: `H1F${Math.random().toString(36).slice(2, 12)}`,
  insuplc_admdvs: '410300',
  fixmedins_code: 'H1',
  inf_time: '2024-03-02 10:00:00',
  input: { data: { psn_no: 'F-1', med_type: '11', medfee_sumamt: '300.00', mdtrt_id: 'F-1-v1', insutype: '390', inscp_scp_amt: '250.00', fulamt_ownpay_amt: '50.00', ...data } },
  yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true } },
  ...more,
});

for (const s of STORES) {
  describe.skipIf(s.skip)(`national fidelity on ${s.label}`, () => {
    const services: TestService[] = [];
    const start = async (
      national: Parameters<typeof startService>[2] extends infer O ? (O extends { server?: infer S } ? (S extends { national?: infer N } ? N : never) : never) : never,
    ) => {
      const svc = await startService(s.open, engine, { server: { national } });
      services.push(svc);
      return svc;
    };
    const post = async (svc: TestService, infno: string, body: unknown, key = svc.h1.key) => {
      const res = await svc.app.inject({
        method: 'POST',
        url: `/v1/national/${infno}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: res.json() as Json };
    };
    let http: TestService;
    let platform: TestService;
    beforeAll(async () => {
      http = await start({ statusMode: 'http' });
      platform = await start({ statusMode: 'platform' });
    });
    afterAll(async () => {
      for (const svc of services) await svc.close();
    });

    it('answers amounts, ratios and counts as JSON numbers with their decimals (300.00, 0.5000); text on request, the same digits', async () => {
      const text = await start({ amounts: 'text' });
      const raw = async (svc: TestService, msgid: string) =>
        (
          await svc.app.inject({
            method: 'POST',
            url: '/v1/national/2206',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${svc.h1.key}` },
            payload: JSON.stringify(message({ msgid })),
          })
        ).body;
      const asNumbers = await raw(http, 'H1N1');
      const asText = await raw(text, 'H1N2');
      // The wire: the platform's numbers, digits as yibao made them from fen.
      expect(asNumbers).toContain('"medfee_sumamt":300.00,');
      expect(asNumbers).toContain('"inscp_scp_amt":250.00,');
      expect(asNumbers).toContain('"pool_prop_selfpay":0.5000,');
      expect(asNumbers).toContain('"fund_payamt":100.00,');
      expect(asNumbers).not.toMatch(/"(medfee_sumamt|hifp_pay|psn_cash_pay|fund_payamt)":"/);
      expect(asText).toContain('"medfee_sumamt":"300.00",');
      expect(asText).toContain('"pool_prop_selfpay":"0.5000",');
      // Nothing else differs but the request's own ids and times.
      const same = (body: string) => JSON.parse(textInOutput(body).replace(/"(inf_refmsgid|refmsg_time|respond_time|medins_setl_id|setl_time)":"[^"]*"/g, '"$1":""'));
      expect(same(asNumbers)).toEqual(same(asText));
      // A number parses as the same amount (exact for any amount of fen below 2^53 / 100).
      expect(JSON.parse(asNumbers).output.setlinfo.hifp_pay).toBe(100);
    });

    it("err_msg lists every problem of a bad message in Chinese, with the national paths; 'http' keeps the status", async () => {
      const bad = message({}, { medfee_sumamt: 'abc', insutype: 390, mdtrt_id: undefined });
      const r = await post(http, '2206', bad);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ infcode: -1, output: null, error: { code: 'INVALID_REQUEST' } });
      expect(r.body.error.problems).toHaveLength(3);
      expect(r.body.err_msg).toMatch(/^报文校验失败：data\.medfee_sumamt：.+；data\.mdtrt_id：缺少必填字段.+；data\.insutype：无效输入：期望 string，实际接收 数字/);
      // The /v1 API keeps its own (English) messages.
      const v1 = await http.app.inject({
        method: 'POST',
        url: '/v1/pre-settlements',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${http.agency.key}` },
        payload: '{}',
      });
      expect(JSON.stringify(v1.json())).not.toMatch(/[\u4e00-\u9fff]/);
    });

    it("'platform' answers every national message HTTP 200, a refusal infcode -1 with its code; successes as before", async () => {
      const refused = await post(platform, '2206', message({}, { medfee_sumamt: 'abc' }));
      expect(refused.status).toBe(200);
      expect(refused.body).toMatchObject({ infcode: -1, output: null, error: { code: 'INVALID_REQUEST' } });
      expect(refused.body.err_msg).toMatch(/^报文校验失败：data\.medfee_sumamt：/);
      const forbidden = await post(platform, '2206', message({ fixmedins_code: 'H2' }));
      expect([forbidden.status, forbidden.body.infcode, forbidden.body.error.code]).toEqual([200, -1, 'FORBIDDEN']);
      expect(forbidden.body.err_msg).toMatch(/^无权操作：fixmedins_code：/);
      // The refusal is audited as the 403 it is.
      const rows = await platform.store.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'refused').execute();
      expect(rows.some((r) => JSON.parse(r.detail).status === 403)).toBe(true);
      const ok = await post(platform, '2206', message());
      expect([ok.status, ok.body.infcode, ok.body.err_msg]).toEqual([200, 0, null]);
      // No key: 200 too, 未认证; the /v1 API keeps its 401.
      const anonymous = await platform.app.inject({
        method: 'POST',
        url: '/v1/national/2206',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(message()),
      });
      expect([anonymous.statusCode, anonymous.json().infcode, anonymous.json().err_msg]).toEqual([200, -1, expect.stringMatching(/^未认证：/)]);
      const v1 = await platform.app.inject({ method: 'POST', url: '/v1/pre-settlements', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(v1.statusCode).toBe(401);
      const settled = await post(platform, '2207', message());
      expect([settled.status, settled.body.infcode]).toEqual([201, 0]);
    });

    it('requireSignIn: a message without a live sign_no of its institution and key is refused naming sign_no, and audited', async () => {
      const svc = await start({ requireSignIn: true });
      const calls: [string, string, string][] = [];
      const answers: Record<string, SignInCheck> = { S1: 'ok', S2: 'signed-out', S3: 'other-key' };
      svc.ledger.national.signIns.verify = async (signNo, institutionId, keyId) => {
        calls.push([signNo, institutionId, keyId]);
        return answers[signNo] ?? 'unknown';
      };
      const none = await post(svc, '2206', message());
      expect([none.status, none.body.error.code]).toEqual([403, 'NOT_SIGNED_IN']);
      expect(none.body.err_msg).toMatch(/^未签到：sign_no：缺少签到编号/);
      const out = await post(svc, '2206', message({ sign_no: 'S2' }));
      expect([out.status, out.body.err_msg]).toEqual([403, expect.stringMatching(/^未签到：sign_no：该签到已签退（9002）/)]);
      const other = await post(svc, '2206', message({ sign_no: 'S3' }));
      expect(other.body.err_msg).toMatch(/sign_no：签到编号不是本密钥签到所得/);
      const unknown = await post(svc, '2206', message({ sign_no: 'S9' }));
      expect(unknown.body.err_msg).toMatch(/sign_no：签到编号不存在/);
      const ok = await post(svc, '2206', message({ sign_no: 'S1' }));
      expect([ok.status, ok.body.infcode]).toEqual([200, 0]);
      expect(calls).toContainEqual(['S1', 'H1', svc.h1.id]);
      const refusals = await svc.store.db.selectFrom('audit_log').select(['detail']).where('action', '=', 'refused').execute();
      expect(refusals.filter((r) => String(JSON.parse(r.detail).message).startsWith('sign_no:')).length).toBe(4);
      // Without requireSignIn no sign_no is needed (the other services above).
    });

    it('requireSignIn with the real sign-in book: 9001 needs no sign_no, its sign_no opens the other messages, 9002 closes them', async () => {
      const svc = await start({ requireSignIn: true });
      const signIn = await post(svc, '9001', {
        infno: '9001',
        msgid: 'H1F-si-1',
        fixmedins_code: 'H1',
        input: { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } },
      });
      expect([signIn.status, signIn.body.infcode], JSON.stringify(signIn.body)).toEqual([201, 0]);
      const signNo = signIn.body.output.signinoutb.sign_no as string;
      const ok = await post(svc, '2206', message({ sign_no: signNo }));
      expect([ok.status, ok.body.infcode]).toEqual([200, 0]);
      // Another key of the agency may not use H1's sign_no.
      const theirs = await post(svc, '2206', message({ sign_no: signNo }), svc.agency.key);
      expect([theirs.status, theirs.body.error.code]).toEqual([403, 'NOT_SIGNED_IN']);
      const out = await post(svc, '9002', { infno: '9002', msgid: 'H1F-so-1', fixmedins_code: 'H1', sign_no: signNo, input: { signOut: { sign_no: signNo, opter_no: '0053' } } });
      expect([out.status, out.body.infcode], JSON.stringify(out.body)).toEqual([200, 0]);
      const after = await post(svc, '2206', message({ sign_no: signNo }));
      expect([after.status, after.body.err_msg]).toEqual([403, expect.stringMatching(/^未签到：sign_no：该签到已签退/)]);
    });

    it('the Hunan V1.1.27 code edition: 2107 生育剖宫产(居民) and 2101 普通住院 read, 2107 answered, 21 refused; the national edition the reverse', async () => {
      const svc = await start({ codes: loadCodeEdition('hunan-v1.1.27') });
      const stay = (medType: string | undefined, visitType?: string) =>
        message(
          {
            infno: '2303',
            yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true }, ...(visitType ? { visit: { type: visitType } } : {}) },
          },
          { med_type: medType, medfee_sumamt: '5000.00', inscp_scp_amt: '4500.00', fulamt_ownpay_amt: '500.00' },
        );
      const birth = await post(svc, '2303', stay('2107'));
      expect([birth.status, birth.body.output?.setlinfo.med_type, birth.body.output?.setldetail[0].fund_pay_type], JSON.stringify(birth.body)).toEqual([200, '2107', '390100']);
      expect(birth.body.output.setldetail[0].fund_pay_type_name).toBe('城乡居民基本医疗保险基金');
      // No med_type on a 2303: the edition's inpatient 2101 (Luoyang's documents settle no resident's ordinary stay).
      const implied = await post(svc, '2303', stay(undefined));
      expect([implied.status, implied.body.error?.code, implied.body.error?.message]).toEqual([422, 'NO_BENEFIT_RULE', expect.stringContaining('resident inpatient')]);
      const national = await post(svc, '2303', stay('21'));
      expect([national.status, national.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(national.body.err_msg).toMatch(/^报文校验失败：data\.med_type：unknown med_type "21" is not settled by yibao; it settles 11 普通门诊/);
      const there = await post(http, '2303', stay('52', 'birth-cesarean'));
      expect([there.status, there.body.output?.setlinfo.med_type]).toEqual([200, '52']);
      const notThere = await post(http, '2303', stay('2107'));
      expect([notThere.status, notThere.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    });
  });
}
