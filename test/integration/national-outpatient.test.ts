/**
 * The outpatient day over the national interface on SQLite and PostgreSQL: 2201 门诊挂号, 2203
 * 就诊信息, 2204 费用明细 priced by a small catalogue built here, 2206/2207 settled from the
 * details, 5203/5204, 2205 and 2202 refused while settled, 2208, then allowed.
 *
 * By hand (Luoyang 2024 resident adult, county hospital H1 grade 2, outpatient: the pooled fund
 * pays 50% above a deductible of 50.00 a day at one institution). The test catalogue:
 *   A1 甲类                         2 × 15.00  =  30.00 → 符合政策范围 30.00
 *   B1 乙类, 先行自付比例 0.1000    1 × 80.00  =  80.00 → 先行自付 8.00, 符合 72.00
 *   C1 甲类, 限价 40.00             2 × 50.00  = 100.00 → 超限价 (50 − 40) × 2 = 20.00, 符合 80.00
 *   X9 not listed                   1 × 45.50  =  45.50 → 全自费 45.50
 * medfee_sumamt 255.50 = 符合 182.00 + 全自费 45.50 + 超限价 20.00 + 先行自付 8.00.
 * fund: (182.00 − 50.00) × 50% = 66.00; psn_part_amt = 255.50 − 66.00 = 189.50 (cash).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import type { Catalogue, CatalogueItem } from '../../src/catalogue/types.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, type CreatedKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';
import { nationalJson } from '../support/national.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
type Json = any;

const item = (code: string, o: Partial<CatalogueItem>): CatalogueItem => ({
  code,
  name: `测试项目${code}`,
  listType: '101',
  chargeType: '09',
  itemClass: '01',
  validFrom: '2024-01-01',
  source: '测试目录',
  ...o,
});
const catalogue: Catalogue = {
  name: '测试目录',
  sample: false,
  items: new Map([
    ['A1', [item('A1', {})]],
    ['B1', [item('B1', { itemClass: '02', selfPayRatio: '0.1000' })]],
    ['C1', [item('C1', { listType: '201', chargeType: '05', priceLimit: '40.00' })]],
  ]),
};

const TABLES = ['national_visits', 'fee_details', 'settlements', 'audit_log'] as const;
const COUNTY = { tier: 'county', grade: 2, contracted: true };

const envelope = (infno: string, msgid: string, fixmedins = 'H1') => ({ infno, msgid, fixmedins_code: fixmedins, inf_time: '2024-03-02 10:00:00' });
const register = (msgid: string, psn = 'P1', more: Record<string, unknown> = {}) => ({
  ...envelope('2201', msgid),
  input: {
    data: {
      psn_no: psn,
      insutype: '390',
      begntime: '2024-03-02 09:00:00',
      mdtrt_cert_type: '02',
      mdtrt_cert_no: '410302198001010019',
      psn_cert_type: '01',
      certno: '410302198001010019',
      psn_type: '15',
      psn_name: '张三',
      ipt_otp_no: 'MZ001',
      dept_code: 'NK',
      dept_name: '内科',
      caty: 'A03',
      ...more,
    },
  },
});
const detail = (sn: string, mdtrt: string, code: string, cnt: string, pric: string, amount: string, more: Record<string, unknown> = {}) => ({
  feedetl_sn: sn,
  mdtrt_id: mdtrt,
  psn_no: 'P1',
  chrg_bchno: 'B1',
  rx_circ_flag: '0',
  fee_ocur_time: '2024-03-02 09:20:00',
  med_list_codg: code,
  medins_list_codg: `H-${code}`,
  det_item_fee_sumamt: amount,
  cnt,
  pric,
  bilg_dept_codg: 'NK',
  bilg_dept_name: '内科',
  bilg_dr_codg: 'D1',
  bilg_dr_name: '李医生',
  hosp_appr_flag: '1',
  ...more,
});
const dayDetails = (m: string) => [
  detail('1', m, 'A1', '2', '15.00', '30.00'),
  detail('2', m, 'B1', '1', '80.00', '80.00'),
  detail('3', m, 'C1', '2', '50.00', '100.00'),
  detail('4', m, 'X9', '1', '45.50', '45.50'),
];
const settleMsg = (infno: '2206' | '2207', msgid: string, mdtrt: string, data: Record<string, unknown> = {}) => ({
  ...envelope(infno, msgid),
  input: { data: { psn_no: 'P1', mdtrt_cert_type: '02', med_type: '11', medfee_sumamt: '255.50', mdtrt_id: mdtrt, insutype: '390', acct_used_flag: '0', ...data } },
  yibao: { institution: COUNTY },
});

for (const s of STORES) {
  describe.skipIf(s.skip)(`the outpatient day over the national interface on ${s.label}`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let h1: CreatedKey;
    let h2: CreatedKey;
    let mdtrt = '';
    let setlId = '';
    const counts = () => rowCounts(store, TABLES);

    async function post(infno: string, body: unknown, key: string = h1.key) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/national/${infno}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: nationalJson(res.body) as Json };
    }

    beforeAll(async () => {
      store = await s.open();
      const ledger = new Ledger(store, engine);
      await ledger.ready;
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false, national: { catalogue } });
      await app.ready();
      [agency, h1, h2] = [
        await createKey(store.db, 'agency'),
        await createKey(store.db, 'institution', { institutionId: 'H1' }),
        await createKey(store.db, 'institution', { institutionId: 'H2' }),
      ];
      const put = await app.inject({
        method: 'PUT',
        url: '/v1/persons/P1',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agency.key}` },
        payload: JSON.stringify({ region: '410300', scheme: 'resident', category: 'adult' }),
      });
      expect(put.statusCode, put.body).toBe(201);
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('2201 registers the visit once per msgid; another body under it is refused; an unknown person is refused', async () => {
      const r = await post('2201', register('R-1'));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ infcode: 0, output: { data: { psn_no: 'P1', ipt_otp_no: 'MZ001' } }, yibao: { replayed: false } });
      mdtrt = r.body.output.data.mdtrt_id;
      expect(mdtrt.length).toBeLessThanOrEqual(30);
      const again = await post('2201', register('R-1'));
      expect([again.status, again.body.output.data.mdtrt_id, again.body.yibao.replayed]).toEqual([200, mdtrt, true]);
      const other = await post('2201', register('R-1', 'P1', { ipt_otp_no: 'MZ002' }));
      expect([other.status, other.body.infcode, other.body.error.code]).toEqual([409, -1, 'IDEMPOTENCY_CONFLICT']);
      const unknown = await post('2201', register('R-2', 'NOBODY'));
      expect([unknown.status, unknown.body.error.code]).toEqual([422, 'PERSON_NOT_REGISTERED']);
      expect(unknown.body.err_msg).toMatch(/人员 NOBODY 不在医保登记中/);
      const h2For1 = await post('2201', register('R-3'), h2.key);
      expect([h2For1.status, h2For1.body.error.code]).toEqual([403, 'FORBIDDEN']);
      // The certificate numbers are not kept.
      const row = await store.db.selectFrom('national_visits').select('info').where('mdtrt_id', '=', mdtrt).executeTakeFirstOrThrow();
      expect(row.info).not.toMatch(/410302198001010019/);
    });

    it('2201 refuses a resident ID whose check digit is wrong, in certno and in mdtrt_cert_no, never repeating the number', async () => {
      const before = await counts();
      const r = await post('2201', register('R-BADID', 'P1', { certno: '410302198001010011', mdtrt_cert_no: '410302198001010012' }));
      expect(r.status).toBe(400);
      expect(r.body.error.problems).toEqual([
        expect.stringMatching(/^data\.certno: 居民身份证号码有误.*check digit/),
        expect.stringMatching(/^data\.mdtrt_cert_no: 居民身份证号码有误.*check digit/),
      ]);
      expect(r.body.err_msg).toMatch(/^报文校验失败：data\.certno：居民身份证号码有误/);
      expect(JSON.stringify(r.body)).not.toMatch(/41030219800101001[12]/);
      expect(await counts()).toEqual(before);
    });

    it('2203 sets med_type and the diagnoses; an inpatient med_type is refused', async () => {
      const info = (msgid: string, medType: string) => ({
        ...envelope('2203', msgid),
        input: {
          mdtrtinfo: { mdtrt_id: mdtrt, psn_no: 'P1', med_type: medType, begntime: '2024-03-02 09:00:00', dise_codg: 'J06.900', dise_name: '急性上呼吸道感染' },
          diseinfo: [
            {
              diag_type: '1',
              diag_srt_no: 1,
              diag_code: 'J06.900',
              diag_name: '急性上呼吸道感染',
              diag_dept: '内科',
              dise_dor_no: 'D1',
              dise_dor_name: '李医生',
              diag_time: '2024-03-02 09:10:00',
              vali_flag: '1',
            },
          ],
        },
      });
      const r = await post('2203', info('I-1', '11'));
      expect([r.status, r.body.infcode, r.body.output, r.body.yibao.medType]).toEqual([200, 0, null, '11']);
      const before = await counts();
      const again = await post('2203', info('I-1', '11'));
      expect([again.status, again.body.yibao.medType]).toEqual([200, '11']);
      expect(await counts()).toEqual(before);
      const bad = await post('2203', info('I-2', '21'));
      expect([bad.status, bad.body.error.problems]).toEqual([400, [expect.stringMatching(/^mdtrtinfo\.med_type: 21 普通住院 is an inpatient/)]]);
    });

    it('2204 refuses a bad upload listing every problem and writing nothing', async () => {
      const before = await counts();
      const details = dayDetails(mdtrt);
      details[0] = { ...details[0], det_item_fee_sumamt: '30.01' } as (typeof details)[0];
      details[3] = { ...details[3], feedetl_sn: '2' } as (typeof details)[3];
      const r = await post('2204', { ...envelope('2204', 'D-bad'), input: { feedetail: details } });
      expect(r.status).toBe(400);
      expect(r.body.error.problems).toEqual([
        expect.stringMatching(/^feedetail\[0\]\.det_item_fee_sumamt: 明细项目费用总额 30\.01 元与 数量 2 × 单价 15(\.00)? 元/),
        expect.stringMatching(/^feedetail\[3\]\.feedetl_sn: 2 is also feedetail\[1\]'s/),
      ]);
      const shape = await post('2204', { ...envelope('2204', 'D-bad2'), input: { feedetail: [{ ...dayDetails(mdtrt)[0], hosp_appr_flag: '7', cnt: 'two' }] } });
      expect(shape.status).toBe(400);
      expect(shape.body.error.problems).toHaveLength(2);
      expect(await counts()).toEqual(before);
    });

    it('2204 prices each detail by the catalogue (表80), once per msgid', async () => {
      const msg = { ...envelope('2204', 'D-1'), input: { feedetail: dayDetails(mdtrt) } };
      const r = await post('2204', msg);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const rows = r.body.output.result.map((x: Json) => [
        x.feedetl_sn,
        x.det_item_fee_sumamt,
        x.fulamt_ownpay_amt,
        x.overlmt_amt,
        x.preselfpay_amt,
        x.inscp_scp_amt,
        x.chrgitm_lv,
      ]);
      expect(rows).toEqual([
        ['1', '30.00', '0.00', '0.00', '0.00', '30.00', '01'],
        ['2', '80.00', '0.00', '0.00', '8.00', '72.00', '02'],
        ['3', '100.00', '0.00', '20.00', '0.00', '80.00', '01'],
        ['4', '45.50', '45.50', '0.00', '0.00', '0.00', null],
      ]);
      expect(r.body.output.result[1]).toMatchObject({ selfpay_prop: '0.1000', cnt: '1', pric: '80.00', med_chrgitm_type: '09' });
      expect(r.body.output.result[2]).toMatchObject({ pric_uplmt_amt: '40.00', med_chrgitm_type: '05' });
      expect(r.body.output.result[3].memo).toMatch(/目录外项目（编码X9）/);
      const again = await post('2204', msg);
      expect([again.status, again.body.yibao.replayed, again.body.output.result]).toEqual([200, true, r.body.output.result]);
      const conflict = await post('2204', { ...msg, input: { feedetail: [dayDetails(mdtrt)[0]] } });
      expect([conflict.status, conflict.body.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
      const live = await post('2204', { ...envelope('2204', 'D-2'), input: { feedetail: [dayDetails(mdtrt)[0]] } });
      expect([live.status, live.body.error.code]).toEqual([409, 'DUPLICATE_REFERENCE']);
      const other = await post('2204', { ...envelope('2204', 'D-3', 'H2'), input: { feedetail: dayDetails(mdtrt) } }, h2.key);
      expect([other.status, other.body.error.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('2206 pre-settles from the details; a medfee_sumamt or split that disagrees is refused naming both', async () => {
      const r = await post('2206', settleMsg('2206', 'S-pre', mdtrt));
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.output.setlinfo).toMatchObject({
        medfee_sumamt: '255.50',
        fulamt_ownpay_amt: '45.50',
        overlmt_selfpay: '20.00',
        preselfpay_amt: '8.00',
        inscp_scp_amt: '182.00',
        act_pay_dedc: '50.00',
        hifp_pay: '66.00',
        fund_pay_sumamt: '66.00',
        psn_part_amt: '189.50',
        psn_cash_pay: '189.50',
        psn_name: null,
        certno: null,
        age: null,
      });
      expect(r.body.yibao.feeDetails).toBe(4);
      const bad = await post('2206', settleMsg('2206', 'S-pre2', mdtrt, { medfee_sumamt: '255.00', inscp_scp_amt: '180.00', overlmt_selfpay: '20.00', med_type: '14' }));
      expect(bad.status).toBe(400);
      expect(bad.body.error.problems).toEqual([
        expect.stringMatching(/^data\.med_type: 14 与就诊信息不符：.* 医疗类别 11 \(2201\/2203\)$/),
        expect.stringMatching(/^data\.medfee_sumamt: 255\.00 与费用明细不符：the 4 live fee details .* 255\.50$/),
        expect.stringMatching(/^data\.inscp_scp_amt: 180\.00 .* 182\.00$/),
      ]);
    });

    it('2207 settles from the details, once per msgid, with the identity the agency keeps; then details and the visit cannot be cancelled', async () => {
      const identity = await app.inject({
        method: 'PUT',
        url: '/v1/persons/P1/identity',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agency.key}` },
        payload: JSON.stringify({ psn_cert_type: '01', certno: '11010519491231002X', psn_name: '张三', naty: '01' }),
      });
      expect(identity.statusCode, identity.body).toBe(201);
      const r = await post('2207', settleMsg('2207', 'S-1', mdtrt));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      // 年龄: whole years from 1949-12-31 to the settlement's China day.
      const [y, m, d] = r.body.output.setlinfo.setl_time.slice(0, 10).split('-').map(Number);
      const age = y - 1949 - (m * 100 + d < 1231 ? 1 : 0);
      expect(r.body.output.setlinfo).toMatchObject({
        psn_name: '张三',
        psn_cert_type: '01',
        certno: '11010519491231002X',
        gend: '2',
        naty: '01',
        brdy: '1949-12-31',
        age: `${age}.0`,
      });
      const read = await store.db.selectFrom('audit_log').select(['target']).where('action', '=', 'read.national-2207-identity').execute();
      expect(read).toEqual([{ target: 'P1' }]);
      expect(r.body.output.setlinfo).toMatchObject({
        mdtrt_id: mdtrt,
        inscp_scp_amt: '182.00',
        fulamt_ownpay_amt: '45.50',
        overlmt_selfpay: '20.00',
        preselfpay_amt: '8.00',
        hifp_pay: '66.00',
        psn_cash_pay: '189.50',
      });
      setlId = r.body.output.setlinfo.setl_id;
      const again = await post('2207', settleMsg('2207', 'S-1', mdtrt));
      expect([again.status, again.body.output.setlinfo.setl_id]).toEqual([200, setlId]);
      const before = await counts();
      const cancel = await post('2205', { ...envelope('2205', 'C-1'), input: { data: { mdtrt_id: mdtrt, chrg_bchno: '0000', psn_no: 'P1' } } });
      expect([cancel.status, cancel.body.error.code]).toEqual([409, 'VISIT_ALREADY_SETTLED']);
      const more = await post('2204', { ...envelope('2204', 'D-4'), input: { feedetail: [detail('5', mdtrt, 'A1', '1', '1.00', '1.00')] } });
      expect([more.status, more.body.error.code]).toEqual([409, 'VISIT_ALREADY_SETTLED']);
      const unregister = await post('2202', { ...envelope('2202', 'U-1'), input: { data: { psn_no: 'P1', mdtrt_id: mdtrt, ipt_otp_no: 'MZ001' } } });
      expect([unregister.status, unregister.body.error.code]).toEqual([409, 'VISIT_ALREADY_SETTLED']);
      expect(await counts()).toEqual(before);
    });

    it('5203 and 5204 answer the settlement and its details, audited; another institution sees nothing', async () => {
      const q = (infno: string, fixmedins = 'H1') => ({ ...envelope(infno, `Q-${infno}`, fixmedins), input: { data: { psn_no: 'P1', setl_id: setlId, mdtrt_id: mdtrt } } });
      const info = await post('5203', q('5203'));
      expect(info.status, JSON.stringify(info.body)).toBe(200);
      expect(info.body.output.setlinfo).toMatchObject({
        setl_id: setlId,
        mdtrt_id: mdtrt,
        psn_no: 'P1',
        psn_name: '张三',
        certno: '11010519491231002X',
        brdy: '1949-12-31',
        fixmedins_code: 'H1',
        begndate: '2024-03-02',
        med_type: '11',
        medfee_sumamt: '255.50',
        fulamt_ownpay_amt: '45.50',
        overlmt_selfpay: '20.00',
        preselfpay_amt: '8.00',
        inscp_scp_amt: '182.00',
        hifp_pay: '66.00',
        fund_pay_sumamt: '66.00',
        psn_pay: '189.50',
        cash_payamt: '189.50',
        medins_setl_id: 'S-1',
        refd_setl_flag: '0',
        dise_codg: 'J06.900',
        mdtrt_cert_type: '02',
      });
      expect(info.body.output.setldetail).toEqual([expect.objectContaining({ fund_pay_type: '390100', fund_payamt: '66.00' })]);
      const rows = await post('5204', q('5204'));
      expect(rows.status).toBe(200);
      expect(rows.body.output.map((x: Json) => [x.setl_id, x.feedetl_sn, x.det_item_fee_sumamt, x.inscp_scp_amt, x.med_list_codg, x.hosp_appr_flag])).toEqual([
        [setlId, '1', '30.00', '30.00', 'A1', '1'],
        [setlId, '2', '80.00', '72.00', 'B1', '1'],
        [setlId, '3', '100.00', '80.00', 'C1', '1'],
        [setlId, '4', '45.50', '0.00', 'X9', '1'],
      ]);
      expect(rows.body.output.map((x: Json) => [x.hilist_code, x.hilist_name])).toEqual([
        ['A1', '测试项目A1'],
        ['B1', '测试项目B1'],
        ['C1', '测试项目C1'],
        [null, null],
      ]);
      const reads = await store.db.selectFrom('audit_log').select('action').where('action', 'in', ['read.national-5203', 'read.national-5204']).execute();
      expect(reads.map((r) => r.action).sort()).toEqual(['read.national-5203', 'read.national-5204']);
      const other = await post('5203', q('5203', 'H2'), h2.key);
      expect([other.status, other.body.error.code]).toEqual([404, 'NOT_FOUND']);
      const wrong = await post('5204', { ...q('5204'), input: { data: { psn_no: 'P2', setl_id: setlId, mdtrt_id: 'M-x' } } });
      expect([wrong.status, wrong.body.error.problems.length]).toEqual([400, 2]);
    });

    it('after 2208 the details and the visit may be cancelled, once per msgid; the settlement keeps its details', async () => {
      const rev = await post('2208', { ...envelope('2208', 'V-1'), input: { data: { setl_id: setlId, mdtrt_id: mdtrt, psn_no: 'P1' } } });
      expect(rev.status, JSON.stringify(rev.body)).toBe(201);
      const cancelOne = await post('2205', { ...envelope('2205', 'C-2'), input: { data: { mdtrt_id: mdtrt, chrg_bchno: 'B9', psn_no: 'P1' } } });
      expect([cancelOne.status, cancelOne.body.error.code]).toEqual([404, 'NOT_FOUND']);
      const msg = { ...envelope('2205', 'C-3'), input: { data: { mdtrt_id: mdtrt, chrg_bchno: '0000', psn_no: 'P1' } } };
      const cancel = await post('2205', msg);
      expect([cancel.status, cancel.body.output, cancel.body.yibao.cancelled]).toEqual([200, null, ['1', '2', '3', '4']]);
      const again = await post('2205', msg);
      expect([again.status, again.body.yibao.replayed, again.body.yibao.cancelled]).toEqual([200, true, ['1', '2', '3', '4']]);
      // The settlement's details are those live when it was made.
      const rows = await post('5204', { ...envelope('5204', 'Q-2'), input: { data: { psn_no: 'P1', setl_id: setlId, mdtrt_id: mdtrt } } });
      expect(rows.body.output).toHaveLength(4);
      const unregister = await post('2202', { ...envelope('2202', 'U-2'), input: { data: { psn_no: 'P1', mdtrt_id: mdtrt, ipt_otp_no: 'MZ001' } } });
      expect([unregister.status, unregister.body.yibao.status, unregister.body.yibao.replayed]).toEqual([200, 'cancelled', false]);
      const before = await counts();
      const unregisterAgain = await post('2202', { ...envelope('2202', 'U-2'), input: { data: { psn_no: 'P1', mdtrt_id: mdtrt, ipt_otp_no: 'MZ001' } } });
      expect([unregisterAgain.status, unregisterAgain.body.yibao.replayed]).toEqual([200, true]);
      expect(await counts()).toEqual(before);
      const late = await post('2204', { ...envelope('2204', 'D-5'), input: { feedetail: [detail('6', mdtrt, 'A1', '1', '1.00', '1.00')] } });
      expect([late.status, late.body.error.code]).toEqual([409, 'VISIT_CANCELLED']);
      const audit = await store.db.selectFrom('audit_log').select('action').where('target', '=', mdtrt).execute();
      expect(audit.map((a) => a.action).sort()).toEqual([
        'national.fee-details.cancel',
        'national.fee-details.upload',
        'national.visit.cancel',
        'national.visit.register',
        'national.visit.visit-info',
      ]);
    });

    it('a detail that committed while a 2207 settled: the settlement is reversed and refused (DETAILS_CHANGED), on the retry too', async () => {
      const reg = await post('2201', register('R-DC'));
      expect(reg.status, JSON.stringify(reg.body)).toBe(201);
      const m = reg.body.output.data.mdtrt_id as string;
      const up = await post('2204', { ...envelope('2204', 'D-DC'), input: { feedetail: dayDetails(m) } });
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      const first = await post('2207', settleMsg('2207', 'S-DC', m));
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      const id = first.body.output.setlinfo.setl_id as string;
      // The race, replayed: a row whose upload committed after the settle read the details but
      // stamped before the settle's time (FeeDetailBook.liveAt counts it for the settlement), and
      // cancelled since (so the retry's own read of the live details agrees with the message).
      const { created_at } = await store.db.selectFrom('settlements').select('created_at').where('id', '=', id).executeTakeFirstOrThrow();
      const settledAt = Number(created_at);
      const [row] = await store.db.selectFrom('fee_details').selectAll().where('mdtrt_id', '=', m).where('feedetl_sn', '=', '1').execute();
      await store.db
        .insertInto('fee_details')
        .values({
          ...row!,
          id: 'DC-ROW',
          feedetl_sn: '99',
          upload_request: '2204:H1:D-DC-LATE',
          uploaded_at: settledAt - 1,
          cancelled_at: settledAt + 1,
          cancel_request: '2205:H1:C-DC-LATE',
        })
        .execute();
      await new Promise((r) => setTimeout(r, 5));
      for (const attempt of [1, 2]) {
        const again = await post('2207', settleMsg('2207', 'S-DC', m));
        expect([again.status, again.body.error?.code], `attempt ${attempt}: ${JSON.stringify(again.body.error)}`).toEqual([409, 'DETAILS_CHANGED']);
        expect(again.body.error.message).toContain(id);
      }
      const reversals = await store.db.selectFrom('settlements').select(['id', 'request_id']).where('reverses', '=', id).execute();
      expect(reversals.map((r) => r.request_id)).toEqual([`nat-details-${id}`]);
    });
  });
}
