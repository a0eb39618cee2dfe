/**
 * A service running the Hunan edition of the code tables (the Hunan edition of the national
 * interface specification (V1.1.27), §6; `yibao serve --codes hunan-v1.1.27`) over a whole hospital
 * day, on SQLite and PostgreSQL: every transaction reads and writes the edition's codes.
 *
 * Outpatient (Luoyang 2024 resident adult P1, county hospital grade 2, as national-outpatient.test.ts):
 *   A1 甲类 2 × 15.00 = 30.00, B1 乙类 先行自付 10% 1 × 80.00 = 80.00 (先行自付 8.00, 符合 72.00):
 *   medfee_sumamt 110.00, 符合政策范围 102.00; fund (102.00 − 50.00) × 50% = 26.00 (fund_pay_type
 *   390100 城乡居民基本医疗保险基金); psn_part_amt 110.00 − 26.00 = 84.00.
 * Inpatient (Linfen 2019 resident adult L1 with the example overlay examples/linfen-inpatient-user-policy.yaml,
 *   made-up figures: grade 2 deductible 600.00 a stay, 75%): A1 甲类 40 × 15.00 = 600.00 and B1 乙类
 *   5 × 80.00 = 400.00 (先行自付 40.00, 符合 360.00): medfee_sumamt 1000.00, 符合 960.00; fund
 *   (960.00 − 600.00) × 75% = 270.00 (390100); the critical-illness layer is not reached.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import type { Catalogue, CatalogueItem } from '../../src/catalogue/types.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, type CreatedKey, KeyStore } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadCodeEdition } from '../../src/national/code-editions.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';
import { nationalJson } from '../support/national.js';

const policies = loadPolicies({ policyFiles: ['examples/linfen-inpatient-user-policy.yaml'] });
const engine = new SettlementEngine(policies);
const hunan = loadCodeEdition('hunan-v1.1.27');
type Json = any;

const item = (code: string, o: Partial<CatalogueItem>): CatalogueItem => ({
  code,
  name: `测试项目${code}`,
  listType: '101',
  chargeType: '09',
  itemClass: '01',
  validFrom: '2019-01-01',
  source: '测试目录',
  ...o,
});
const catalogue: Catalogue = {
  name: '测试目录',
  sample: false,
  items: new Map([
    ['A1', [item('A1', {})]],
    ['B1', [item('B1', { itemClass: '02', selfPayRatio: '0.1000' })]],
  ]),
};
const COUNTY = { tier: 'county', grade: 2, contracted: true };
const CERTNO = '11010519491231002X';

let seq = 0;
const msgid = () => `HN-${String(++seq).padStart(6, '0')}`;
const envelope = (infno: string, more: Record<string, unknown> = {}) => ({ infno, msgid: msgid(), fixmedins_code: 'H1', inf_time: '2024-03-02 10:00:00', ...more });

const register = (psn: string, ipt: string) => ({
  ...envelope('2201'),
  input: {
    data: {
      psn_no: psn,
      insutype: '390',
      begntime: '2024-03-02 09:00:00',
      mdtrt_cert_type: '02',
      mdtrt_cert_no: CERTNO,
      psn_cert_type: '01',
      certno: CERTNO,
      psn_type: '15',
      psn_name: '张三',
      ipt_otp_no: ipt,
      dept_code: 'NK',
      dept_name: '内科',
      caty: 'A03',
    },
  },
});
const visitInfo = (psn: string, mdtrt: string, medType: string) => ({
  ...envelope('2203'),
  input: {
    mdtrtinfo: { mdtrt_id: mdtrt, psn_no: psn, med_type: medType, begntime: '2024-03-02 09:00:00', dise_codg: 'I10.x00', dise_name: '高血压' },
    diseinfo: [],
  },
});
const outDetail = (psn: string, mdtrt: string, sn: string, code: string, cnt: string, pric: string, amount: string) => ({
  feedetl_sn: sn,
  mdtrt_id: mdtrt,
  psn_no: psn,
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
});
const outSettle = (psn: string, mdtrt: string, medType: string, sum: string) => ({
  ...envelope('2207'),
  input: { data: { psn_no: psn, mdtrt_cert_type: '02', med_type: medType, medfee_sumamt: sum, mdtrt_id: mdtrt, insutype: '390', acct_used_flag: '0' } },
  yibao: { institution: COUNTY },
});

const diagnosis = (psn: string, more: Record<string, unknown> = {}) => ({
  psn_no: psn,
  diag_type: '1',
  maindiag_flag: '1',
  diag_srt_no: 1,
  diag_code: 'J18.900',
  diag_name: '肺炎',
  diag_dept: '呼吸内科',
  dise_dor_no: 'D001',
  dise_dor_name: '李医生',
  diag_time: '2024-03-01 09:00:00',
  ...more,
});
const admission = (psn: string, medType: string) => ({
  ...envelope('2401', { insuplc_admdvs: '141000' }),
  input: {
    mdtrtinfo: {
      psn_no: psn,
      insutype: '390',
      begntime: '2024-03-01 09:00:00',
      mdtrt_cert_type: '02',
      mdtrt_cert_no: CERTNO,
      cert_type: '01',
      certno: CERTNO,
      med_type: medType,
      ipt_no: `ZY-${psn}-${seq}`,
      atddr_no: 'D001',
      chfpdr_name: '李医生',
      adm_diag_dscr: '发热咳嗽',
      adm_dept_codg: 'A03',
      adm_dept_name: '呼吸内科',
      adm_bed: '12',
      dscg_maindiag_code: 'J18.900',
      dscg_maindiag_name: '肺炎',
      insuplc_admdvs: '141000',
      mdtrtarea_admvs: '141000',
    },
    diseinfo: [diagnosis(psn)],
  },
});
const stayDetail = (psn: string, mdtrt: string, sn: string, code: string, cnt: string, pric: string, sum: string) => ({
  feedetl_sn: sn,
  mdtrt_id: mdtrt,
  psn_no: psn,
  med_type: '2101',
  fee_ocur_time: '2024-03-02 10:00:00',
  med_list_codg: code,
  medins_list_codg: `H-${code}`,
  det_item_fee_sumamt: sum,
  cnt,
  pric,
  bilg_dept_codg: 'A03',
  bilg_dept_name: '呼吸内科',
  bilg_dr_codg: 'D001',
  bilg_dr_name: '李医生',
});
const discharge = (psn: string, mdtrt: string) => ({
  ...envelope('2402', { insuplc_admdvs: '141000' }),
  input: {
    dscginfo: { mdtrt_id: mdtrt, psn_no: psn, insutype: '390', endtime: '2024-03-04 09:00:00', dscg_dept_codg: 'A03', dscg_dept_name: '呼吸内科', dscg_way: '1' },
    diseinfo: [diagnosis(psn, { mdtrt_id: mdtrt, diag_time: '2024-03-04 08:00:00' })],
  },
});

for (const s of STORES) {
  describe.skipIf(s.skip)(`a service on the Hunan V1.1.27 code edition on ${s.label}`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let h1: CreatedKey;

    async function call(method: 'POST' | 'PUT', url: string, body: unknown, key: string) {
      const res = await app.inject({ method, url, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, payload: JSON.stringify(body) });
      return { status: res.statusCode, body: nationalJson(res.body) as Json };
    }
    const post = (infno: string, body: unknown) => call('POST', `/v1/national/${infno}`, body, h1.key);
    const counts = () => rowCounts(store, ['national_visits', 'fee_details', 'settlements', 'audit_log']);

    async function outpatientVisit(psn: string, ipt: string): Promise<string> {
      const r = await post('2201', register(psn, ipt));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.output.data.mdtrt_id as string;
    }

    beforeAll(async () => {
      store = await s.open();
      const ledger = new Ledger(store, engine, Date.now);
      await ledger.ready;
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false, national: { catalogue, codes: hunan } });
      await app.ready();
      agency = await createKey(store.db, 'agency');
      h1 = await createKey(store.db, 'institution', { institutionId: 'H1' });
      for (const [id, region] of [
        ['P1', '410300'],
        ['P2', '410300'],
        ['L1', '141000'],
      ] as const) {
        const put = await call('PUT', `/v1/persons/${id}`, { region, scheme: 'resident', category: 'adult' }, agency.key);
        expect(put.status, JSON.stringify(put.body)).toBe(201);
      }
      const pay = {
        requestId: 'P1-2024',
        person: { id: 'P1', region: '410300', scheme: 'resident', category: 'adult' },
        coverageYear: 2024,
        paidOn: '2023-12-20',
        amount: 380,
        payer: 'self',
      };
      expect((await call('POST', '/v1/persons/P1/enrollments', pay, agency.key)).status).toBe(201);
      expect((await call('PUT', '/v1/persons/P1/identity', { psn_cert_type: '01', certno: CERTNO, psn_name: '张三' }, agency.key)).status).toBe(201);
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it("1101's insuinfo and 2001's trtinfo are the edition's: psn_type 15 居民（成年）, 2101 and 9901 read, 21 refused naming data.med_type", async () => {
      const info = await post('1101', { ...envelope('1101'), input: { data: { mdtrt_cert_type: '02', mdtrt_cert_no: CERTNO, psn_cert_type: '01', certno: '', psn_name: '' } } });
      expect(info.status, JSON.stringify(info.body)).toBe(200);
      // The national edition has no residents' psn_type (null); Hunan's adult is 15 居民（成年）.
      expect(info.body.output.insuinfo[0]).toMatchObject({ insutype: '390', psn_type: '15', psn_insu_stas: '1' });
      const check = (medType: string) =>
        post('2001', {
          ...envelope('2001'),
          input: { data: { psn_no: 'P1', insutype: '390', fixmedins_code: 'H1', med_type: medType, begntime: '2024-03-02 09:00:00' } },
          yibao: { institution: COUNTY },
        });
      const ok = await check('11');
      expect([ok.status, ok.body.output?.trtinfo[0].fund_pay_type, ok.body.output?.trtinfo[0].trt_enjymnt_flag], JSON.stringify(ok.body)).toEqual([200, '390100', '1']);
      // 9901 门诊两病 is read as two-diseases: the engine asks for what Luoyang's documents leave to the user.
      const two = await check('9901');
      expect([two.status, two.body.error?.code]).toEqual([422, 'MISSING_PARAMETER']);
      expect(two.body.error.message).toContain('resident-two-diseases');
      // 2101 普通住院 is read as inpatient.
      const stay = await check('2101');
      expect([stay.status, stay.body.output?.trtinfo[0].trt_enjymnt_flag, stay.body.yibao?.eligibility]).toEqual([200, '0', 'no-policy']);
      expect(stay.body.output.trtinfo[0].trt_chk_rslt).toContain('resident inpatient (住院)');
      // 21 is the national table's 普通住院; the Hunan edition has 2101 instead.
      const national = await check('21');
      expect([national.status, national.body.error?.code]).toEqual([400, 'INVALID_CODE']);
      expect(national.body.error.message).toMatch(/^data\.med_type: unknown med_type "21" is not settled by yibao; it settles .*2101 普通住院.*9901 门诊两病/);
    });

    it('2201 → 2203 (11) → 2204 → 2207 settles with the edition fund_pay_type; 2203 to 9901 门诊两病 reads two-diseases; 2203 to 2101 or 12 refused', async () => {
      const mdtrt = await outpatientVisit('P1', 'MZ-1');
      expect((await post('2203', visitInfo('P1', mdtrt, '11'))).status).toBe(200);
      const details = [outDetail('P1', mdtrt, '1', 'A1', '2', '15.00', '30.00'), outDetail('P1', mdtrt, '2', 'B1', '1', '80.00', '80.00')];
      const up = await post('2204', { ...envelope('2204'), input: { feedetail: details } });
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      const settled = await post('2207', outSettle('P1', mdtrt, '11', '110.00'));
      expect(settled.status, JSON.stringify(settled.body)).toBe(201);
      expect(settled.body.output.setlinfo).toMatchObject({
        med_type: '11',
        insutype: '390',
        psn_type: '15',
        medfee_sumamt: '110.00',
        inscp_scp_amt: '102.00',
        fund_pay_sumamt: '26.00',
        psn_part_amt: '84.00',
      });
      expect(settled.body.output.setldetail).toEqual([expect.objectContaining({ fund_pay_type: '390100', fund_pay_type_name: '城乡居民基本医疗保险基金', fund_payamt: '26.00' })]);
      // 5203 answers the settlement in the edition's codes too.
      const setlId = settled.body.output.setlinfo.setl_id as string;
      const q = await post('5203', { ...envelope('5203'), input: { data: { setl_id: setlId, mdtrt_id: mdtrt, psn_no: 'P1' } } });
      expect(q.status, JSON.stringify(q.body)).toBe(200);
      expect([q.body.output.setlinfo.psn_type, q.body.output.setldetail[0].fund_pay_type_name]).toEqual(['15', '城乡居民基本医疗保险基金']);

      // 9901 门诊两病: the Hunan edition's two-diseases; Luoyang's documents leave its ratio to the user.
      const two = await outpatientVisit('P1', 'MZ-2');
      const info = await post('2203', visitInfo('P1', two, '9901'));
      expect(info.status, JSON.stringify(info.body)).toBe(200);
      expect((await post('2204', { ...envelope('2204'), input: { feedetail: [outDetail('P1', two, '1', 'A1', '2', '15.00', '30.00')] } })).status).toBe(201);
      const twoSettle = await post('2207', outSettle('P1', two, '9901', '30.00'));
      expect([twoSettle.status, twoSettle.body.error?.code], JSON.stringify(twoSettle.body)).toEqual([422, 'MISSING_PARAMETER']);
      expect(twoSettle.body.error.message).toContain('resident-two-diseases');

      // An inpatient med_type of the edition, and one only the national table has: refused, nothing written.
      const before = await counts();
      const stay = await post('2203', visitInfo('P1', two, '2101'));
      expect([stay.status, stay.body.error?.problems]).toEqual([400, [expect.stringMatching(/^mdtrtinfo\.med_type: 2101 普通住院 is an inpatient 医疗类别/)]]);
      const nat = await post('2203', visitInfo('P1', two, '12'));
      expect([nat.status, nat.body.error?.problems]).toEqual([400, [expect.stringMatching(/^mdtrtinfo\.med_type: unknown 医疗类别 "12" in hunan-v1\.1\.27/)]]);
      expect(await counts()).toEqual(before);
    });

    it('2401 with 2101 普通住院, 2301, 2402, 2304 settles the stay as inpatient; 2401 with 21 is refused naming mdtrtinfo.med_type', async () => {
      const before = await counts();
      const national = await post('2401', admission('L1', '21'));
      expect([national.status, national.body.error?.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(national.body.error.problems).toEqual([
        expect.stringMatching(/^mdtrtinfo\.med_type: "21" is not an inpatient 医疗类别 \(med_type\) of hunan-v1\.1\.27: one of 2101 普通住院, /),
      ]);
      expect(await counts()).toEqual(before);

      const adm = await post('2401', admission('L1', '2101'));
      expect(adm.status, JSON.stringify(adm.body)).toBe(201);
      const mdtrt = adm.body.output.result.mdtrt_id as string;
      const up = await post('2301', {
        ...envelope('2301', { insuplc_admdvs: '141000' }),
        input: { feedetail: [stayDetail('L1', mdtrt, '1', 'A1', '40', '15.00', '600.00'), stayDetail('L1', mdtrt, '2', 'B1', '5', '80.00', '400.00')] },
      });
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      expect((await post('2402', discharge('L1', mdtrt))).status).toBe(200);
      const settle = await post('2304', {
        msgid: msgid(),
        insuplc_admdvs: '141000',
        fixmedins_code: 'H1',
        inf_time: '2024-03-04 10:00:00',
        input: { data: { psn_no: 'L1', mdtrt_id: mdtrt, insutype: '390', medfee_sumamt: '1000.00' } },
        yibao: { institution: COUNTY },
      });
      expect(settle.status, JSON.stringify(settle.body)).toBe(201);
      expect(settle.body.output.setlinfo).toMatchObject({ med_type: '2101', psn_type: '15', medfee_sumamt: '1000.00', inscp_scp_amt: '960.00', fund_pay_sumamt: '270.00' });
      expect(settle.body.output.setldetail).toEqual([expect.objectContaining({ fund_pay_type: '390100', fund_payamt: '270.00' })]);
      const row = await store.db.selectFrom('visits').select(['type']).where('institution_id', '=', 'H1').where('id', '=', mdtrt).executeTakeFirstOrThrow();
      expect(row.type).toBe('inpatient');
    });
  });
}
