/**
 * The national interface endpoints (POST /v1/national/2206 … 2305) on every store, through
 * app.inject: pre-settle, settle, retry by msgid, reverse, the ledger standing in for the
 * platform's registries, the national envelope on success and on refusal (HTTP status and stable
 * code kept), and bad national input answered 4xx naming the field with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { verifyLedger } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { startService, type TestService } from '../support/service.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';
import { nationalJson } from '../support/national.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

const COUNTY = { tier: 'county', grade: 2, contracted: true };
const TABLES = ['settlements', 'visits', 'persons', 'audit_log', 'cap_usage', 'deductible_windows', 'enrollments', 'institutions'] as const;

const counts = (store: LedgerDb): Promise<Record<string, number>> => rowCounts(store, TABLES);

let seq = 0;
/** A message id as the platform builds them: institution code, time, sequence. */
const msgid = () => `H1202403021000${String(++seq).padStart(6, '0')}`;

/** A 2206/2207 message: a Luoyang 2024 resident at a county grade-2 hospital, 300 yuan of which 250 eligible. */
function outpatient(person: string, visit: string, more: { data?: Record<string, unknown>; yibao?: Record<string, unknown> | null; [k: string]: unknown } = {}) {
  const { data, yibao, ...envelope } = more;
  return {
    msgid: msgid(),
    insuplc_admdvs: '410300',
    fixmedins_code: 'H1',
    inf_time: '2024-03-02 10:00:00',
    input: {
      data: {
        psn_no: person,
        mdtrt_cert_type: '02',
        med_type: '11',
        medfee_sumamt: '300.00',
        psn_setlway: '01',
        mdtrt_id: visit,
        insutype: '390',
        acct_used_flag: '0',
        fulamt_ownpay_amt: '50.00',
        inscp_scp_amt: '250.00',
        ...data,
      },
    },
    ...(yibao === null ? {} : { yibao: yibao ?? { person: { category: 'adult' }, institution: COUNTY } }),
    ...envelope,
  };
}

type Json = any;

for (const s of STORES) {
  describe.skipIf(s.skip)(`national interface on ${s.label}`, () => {
    let service: TestService;
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let h1: CreatedKey;
    let analyst: CreatedKey;

    async function post(infno: string, body: unknown, key: string | undefined = agency.key) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/national/${infno}`,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: nationalJson(res.body) as Json };
    }

    beforeAll(async () => {
      service = await startService(s.open, engine);
      ({ store, app, agency, analyst, h1 } = service);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('2206 pre-settles in the national shape and writes nothing', async () => {
      const before = await counts(store);
      const r = await post('2206', outpatient('N-pre', 'N-pre-v1'));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ infcode: 0, err_msg: null, yibao: { preSettlement: true } });
      expect(r.body.refmsg_time).toMatch(/^\d{17}$/);
      expect(r.body.output.setlinfo).toMatchObject({
        setl_id: null,
        mdtrt_id: 'N-pre-v1',
        psn_no: 'N-pre',
        insutype: '390',
        med_type: '11',
        medfee_sumamt: '300.00',
        fulamt_ownpay_amt: '50.00',
        inscp_scp_amt: '250.00',
        act_pay_dedc: '50.00',
        hifp_pay: '100.00',
        pool_prop_selfpay: '0.5000',
        fund_pay_sumamt: '100.00',
        psn_part_amt: '200.00',
        acct_pay: '0.00',
        psn_cash_pay: '200.00',
      });
      expect(r.body.output.setldetail).toEqual([expect.objectContaining({ fund_pay_type: '390100', fund_pay_type_name: '城乡居民基本医疗保险基金', fund_payamt: '100.00' })]);
      expect(await counts(store)).toEqual(before);
    });

    it('2207 settles, a retry of the message returns the same settlement, another body under its msgid is refused; 2208 reverses', async () => {
      const before = await counts(store);
      const body = outpatient('N-1', 'N-1-v1');
      const first = await post('2207', body, h1.key);
      expect(first.status).toBe(201);
      const info = first.body.output.setlinfo;
      expect(info.setl_id).toMatch(/^S-/);
      expect(info).toMatchObject({ medfee_sumamt: '300.00', hifp_pay: '100.00', psn_cash_pay: '200.00', medins_setl_id: body.msgid });
      expect(first.body.yibao).toMatchObject({ entryId: info.setl_id, requestId: `nat-2207-${body.msgid}`, replayed: false });
      // The same entry is there for the project's own API.
      const entry = await app.inject({ method: 'GET', url: `/v1/settlements/${info.setl_id}`, headers: { authorization: `Bearer ${agency.key}` } });
      expect(entry.json()).toMatchObject({ visitId: 'N-1-v1', fundPay: 100, cashPay: 200 });

      const retry = await post('2207', body, h1.key);
      expect(retry.status).toBe(200);
      expect(retry.body.output).toEqual(first.body.output);
      expect(retry.body.yibao.replayed).toBe(true);

      const other = await post('2207', { ...body, input: { data: { ...body.input.data, medfee_sumamt: '301.00', inscp_scp_amt: '251.00' } } }, h1.key);
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({ infcode: -1, output: null, error: { code: 'IDEMPOTENCY_CONFLICT' } });
      expect(other.body.err_msg).toMatch(/^报文ID重复：msgid：nat-2207-/);

      const settled = await counts(store);
      expect(settled.settlements).toBe((before.settlements ?? 0) + 1);

      const rev = { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: info.setl_id, mdtrt_id: 'N-1-v1', psn_no: 'N-1' } } };
      const reversed = await post('2208', rev, h1.key);
      expect(reversed.status).toBe(201);
      expect(reversed.body.output.setlinfo).toMatchObject({
        medfee_sumamt: '-300.00',
        hifp_pay: '-100.00',
        fund_pay_sumamt: '-100.00',
        psn_part_amt: '-200.00',
        psn_cash_pay: '-200.00',
        mdtrt_id: 'N-1-v1',
        psn_no: 'N-1',
      });
      expect(reversed.body.output.setlinfo.setl_id).toMatch(/^R-/);
      expect(reversed.body.yibao).toMatchObject({ reverses: info.setl_id, replayed: false });
      const again = await post('2208', rev, h1.key);
      expect(again.status).toBe(200);
      expect(again.body.output).toEqual(reversed.body.output);
      const twice = await post('2208', { ...rev, msgid: msgid() }, h1.key);
      expect(twice.status).toBe(409);
      expect(twice.body).toMatchObject({ infcode: -1, error: { code: 'ALREADY_REVERSED' } });

      // Reversed, the visit settles again (a new message).
      const resettled = await post('2207', outpatient('N-1', 'N-1-v1'), h1.key);
      expect(resettled.status).toBe(201);
      expect((await verifyLedger(store.db)).ok).toBe(true);
    });

    it('takes a known person and institution from the ledger when the message has no extension', async () => {
      expect((await post('2207', outpatient('N-2', 'N-2-v1'))).status).toBe(201);
      const bare = outpatient('N-2', 'N-2-v2', { yibao: null, inf_time: '2024-03-05 09:00:00' });
      const r = await post('2207', bare);
      expect(r.status).toBe(201);
      expect(r.body.output.setlinfo).toMatchObject({ psn_no: 'N-2', hifp_pay: '100.00', setl_time: expect.any(String) });
      // Unknown to the ledger and no extension: refused naming what to give.
      const before = await counts(store);
      const unknown = await post('2207', outpatient('N-unknown', 'N-unknown-v1', { yibao: null }));
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ infcode: -1, error: { code: 'INVALID_REQUEST' } });
      expect(unknown.body.error.problems).toEqual([expect.stringMatching(/^yibao\.person\.category: required/)]);
      expect(await counts(store)).toEqual(before);
    });

    it('bad national input gets 4xx naming the national field, and writes nothing', async () => {
      const before = await counts(store);
      const cases: [string, unknown, number, RegExp][] = [
        ['2207', outpatient('N-bad', 'N-bad-v1', { data: { medfee_sumamt: '300.001' } }), 400, /^data\.medfee_sumamt: /],
        ['2207', outpatient('N-bad', 'N-bad-v1', { data: { inscp_scp_amt: '260.00' } }), 400, /^data\.inscp_scp_amt: 260\.00 with/],
        ['2207', outpatient('N-bad', 'N-bad-v1', { data: { med_type: '13' } }), 400, /^data\.med_type: 13 急诊/],
        ['2207', outpatient('N-bad', 'N-bad-v1', { data: { insutype: '510' } }), 400, /^data\.insutype: 510 生育保险/],
        ['2207', outpatient('N-bad', 'N-bad-v1', { msgid: undefined }), 400, /^msgid: required/],
        ['2207', outpatient('N-bad', 'N-bad-v1', { fixmedins_code: undefined }), 400, /^fixmedins_code: /],
        ['2207', outpatient('N-bad', 'N-bad-v1', { yibao: { person: { category: 'adult' }, institution: { ...COUNTY, grade: 7 } } }), 400, /^yibao\.institution\.grade: /],
        ['2207', outpatient('N-bad', 'N-bad-v1', { infno: '2304' }), 400, /^infno: /],
        ['2304', outpatient('N-bad', 'N-bad-v1', { infno: '2304' }), 400, /^data\.med_type: 11 普通门诊 is an outpatient med_type/],
        [
          '2208',
          { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: 'S-nope', mdtrt_id: 'x', psn_no: 'y' } } },
          404,
          /^未找到：data\.setl_id：settlement S-nope does not exist/,
        ],
        ['2207', outpatient('N-bad', 'N-bad-v1', { fixmedins_code: 'H2' }), 403, /^无权操作：fixmedins_code：an institution key for H1 may settle only at H1, not H2/],
        // One id rule (src/request/id.ts): a NUL or another control character in any id is 400
        // naming it, on PostgreSQL as on SQLite, on every interface.
        ...(['2206', '2207', '2303', '2304'] as const).flatMap((infno): [string, unknown, number, RegExp][] => {
          const m = (more: Parameters<typeof outpatient>[2]) => ({ ...outpatient('N-bad', 'N-bad-v1', more), infno });
          return [
            // A NUL anywhere in a body: refused before the message is read (src/api/server.ts), in Chinese first.
            [infno, m({ data: { psn_no: 'N\u0000bad' } }), 400, /^data\.psn_no: 不可含空字符 U\+0000（must be printable/],
            [infno, m({ data: { mdtrt_id: 'v\n1' } }), 400, /^data\.mdtrt_id: .*must be printable/],
            [infno, m({ fixmedins_code: 'H\u00001' }), 400, /^fixmedins_code: 不可含空字符 U\+0000（must be printable/],
            [infno, m({ data: { psn_no: 'n'.repeat(129) } }), 400, /^data\.psn_no: 数值过大.*must be at most 128/],
          ];
        }),
        ...(['2208', '2305'] as const).flatMap((infno): [string, unknown, number, RegExp][] =>
          (['setl_id', 'mdtrt_id', 'psn_no'] as const).map((field) => [
            infno,
            { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: 'S-x', mdtrt_id: 'x', psn_no: 'y', [field]: 'a\u0000b' } } },
            400,
            new RegExp(`^data\\.${field}: .*must be printable`),
          ]),
        ),
        // A visit after now: settled once it has happened (the time comes from inf_time).
        ['2206', outpatient('N-bad', 'N-bad-v1', { inf_time: '2099-03-02 10:00:00' }), 422, /^就诊时间晚于当前时间：inf_time：2099-03-02T02:00:00\.000Z is after now/],
        ['2207', outpatient('N-bad', 'N-bad-v1', { inf_time: '2099-03-02 10:00:00' }), 422, /^就诊时间晚于当前时间：inf_time：/],
        [
          '2207',
          outpatient('N-bad', 'N-bad-v1', { yibao: { person: { category: 'adult' }, institution: COUNTY, visit: { time: '2099-03-02T10:00:00+08:00' } } }),
          422,
          /^就诊时间晚于当前时间：yibao\.visit\.time：/,
        ],
        ...(['2303', '2304'] as const).map((infno): [string, unknown, number, RegExp] => [
          infno,
          outpatient('N-bad', 'N-bad-v1', { infno, inf_time: '2099-03-02 10:00:00', data: { med_type: undefined } }),
          422,
          /^就诊时间晚于当前时间：inf_time：/,
        ]),
      ];
      for (const [infno, body, status, pattern] of cases) {
        const key = status === 403 ? h1.key : agency.key;
        const r = await post(infno, body, key);
        expect(r.status, JSON.stringify(r.body)).toBe(status);
        expect(r.body.infcode).toBe(-1);
        expect(r.body.output).toBeNull();
        const named = r.body.error.problems?.[0] ?? r.body.err_msg;
        expect(named, JSON.stringify(r.body)).toMatch(pattern);
        expect(r.body.requestId).toEqual(expect.any(String));
      }
      // Not JSON: the service's own refusal, in the envelope.
      const raw = await app.inject({
        method: 'POST',
        url: '/v1/national/2207',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agency.key}` },
        payload: '{"msgid":',
      });
      expect(raw.statusCode).toBe(400);
      expect(raw.json()).toMatchObject({ infcode: -1, error: { code: 'INVALID_JSON' } });
      expect(await counts(store)).toEqual(before);
    });

    it("names the national field in the ledger's refusals too", async () => {
      expect((await post('2207', outpatient('N-6', 'N-6-v1'))).status).toBe(201);
      const before = await counts(store);
      const again = await post('2207', outpatient('N-6', 'N-6-v1'));
      expect(again.status).toBe(409);
      expect(again.body.err_msg).toMatch(/^就诊已结算：data\.mdtrt_id：visit N-6-v1 at H1 is already settled/);
      const noAccount = await post('2207', outpatient('N-6', 'N-6-v2', { data: { acct_used_flag: '1' } }));
      expect(noAccount.status).toBe(422);
      expect(noAccount.body.err_msg).toMatch(/^个人账户不可用：data\.acct_used_flag：person N-6 has no open/);
      const otherGrade = await post('2207', outpatient('N-6', 'N-6-v3', { yibao: { person: { category: 'adult' }, institution: { ...COUNTY, grade: 3 } } }));
      expect(otherGrade.status).toBe(409);
      expect(otherGrade.body.err_msg).toMatch(/^机构信息不一致：yibao\.institution：H1 is registered as county, grade 2/);
      expect(await counts(store)).toEqual(before);
    });

    it('keeps the roles: no key 401, an analyst 403', async () => {
      const none = await post('2206', outpatient('N-x', 'N-x-v1'), '');
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ infcode: -1, error: { code: 'UNAUTHENTICATED' } });
      expect((await post('2206', outpatient('N-x', 'N-x-v1'), analyst.key)).status).toBe(403);
    });

    it('2208 checks the message against the settlement, and reverses an outpatient settlement only', async () => {
      const settled = await post('2207', outpatient('N-3', 'N-3-v1'));
      const setlId = settled.body.output.setlinfo.setl_id as string;
      const before = await counts(store);
      const wrong = await post('2208', { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: setlId, mdtrt_id: 'N-3-other', psn_no: 'N-9' } } });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.problems).toEqual([
        `data.mdtrt_id: settlement ${setlId} is of visit N-3-v1, not N-3-other`,
        `data.psn_no: settlement ${setlId} is of person N-3, not N-9`,
      ]);
      const stay = await post('2305', { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: setlId, mdtrt_id: 'N-3-v1', psn_no: 'N-3' } } });
      expect(stay.status).toBe(400);
      expect(stay.body.error.problems).toEqual([expect.stringMatching(/^data\.setl_id: .* is an outpatient settlement; reverse it with 2208, not 2305/)]);
      expect(await counts(store)).toEqual(before);
    });

    it('2303/2304/2305: a caesarean birth (52) pre-settled, settled and reversed; a stay yibao cannot settle yet is refused with its code', async () => {
      const birth = (visit: string) =>
        outpatient('N-4', visit, {
          infno: undefined,
          data: { med_type: '52', medfee_sumamt: '5000.00', fulamt_ownpay_amt: '500.00', inscp_scp_amt: '4500.00' },
          yibao: { person: { category: 'adult' }, institution: COUNTY, visit: { type: 'birth-cesarean' } },
        });
      const pre = await post('2303', birth('N-4-v1'));
      expect(pre.status).toBe(200);
      const settled = await post('2304', birth('N-4-v1'));
      expect(settled.status).toBe(201);
      expect(settled.body.output.setlinfo).toMatchObject({ med_type: '52', medfee_sumamt: '5000.00', pool_prop_selfpay: null });
      expect(settled.body.output.setlinfo).toMatchObject({ hifp_pay: pre.body.output.setlinfo.hifp_pay, fund_pay_sumamt: pre.body.output.setlinfo.fund_pay_sumamt });
      const info = settled.body.output.setlinfo;
      const rev = await post('2305', { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: info.setl_id, mdtrt_id: 'N-4-v1', psn_no: 'N-4' } } });
      expect(rev.status).toBe(201);
      expect(rev.body.output.setlinfo.fund_pay_sumamt).toBe(`-${info.fund_pay_sumamt}`);
      const wrongInterface = await post('2208', { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: info.setl_id, mdtrt_id: 'N-4-v1', psn_no: 'N-4' } } });
      expect(wrongInterface.status).toBe(400);

      const before = await counts(store);
      const stay = outpatient('N-5', 'N-5-v1', {
        data: { med_type: undefined },
        yibao: { person: { category: 'adult' }, institution: COUNTY, visit: { admittedAt: '2024-02-27T09:00:00+08:00' } },
      });
      const r = await post('2304', stay);
      // Luoyang's documents give no residents' inpatient rule: refused, named, nothing written.
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ infcode: -1, output: null, error: { code: 'NO_BENEFIT_RULE' } });
      expect(await counts(store)).toEqual(before);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await app.inject({ url: '/openapi.json' })).json() as Json;
      for (const infno of ['2206', '2207', '2208', '2303', '2304', '2305']) expect(doc.paths[`/v1/national/${infno}`]?.post, infno).toBeDefined();
    });
  });
}
