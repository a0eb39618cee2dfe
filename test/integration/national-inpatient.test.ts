/**
 * The inpatient stay over the national interface (POST /v1/national/2401–2405, 2301, 2302) on
 * SQLite and PostgreSQL, through app.inject: admit, upload fee details priced by a small catalogue
 * built here (every part hand-computed), discharge, settle (2304) and reverse (2305), undo the
 * discharge and discharge again; replays by msgid and their conflicts; refusals listing every
 * problem with nothing written; an institution key at its own institution only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import type { Catalogue, CatalogueItem } from '../../src/catalogue/types.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, KeyStore, type CreatedKey } from '../../src/ledger/keys.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';
import { nationalJson } from '../support/national.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

const item = (code: string, more: Partial<CatalogueItem>): CatalogueItem => ({
  code,
  name: `项目${code}`,
  listType: '201',
  chargeType: '01',
  itemClass: '01',
  validFrom: '2024-01-01',
  source: '测试目录',
  ...more,
});
/** The test's catalogue: 甲类 A, 乙类 B (10% 先行自付, 限价 10 元), 丙类 C, 乙类 D (15%). */
const catalogue: Catalogue = {
  name: '测试目录',
  sample: false,
  items: new Map([
    ['A', [item('A', {})]],
    ['B', [item('B', { itemClass: '02', selfPayRatio: '0.1000', priceLimit: '10', listType: '101', chargeType: '09' })]],
    ['C', [item('C', { itemClass: '03', chargeType: '14' })]],
    ['D', [item('D', { itemClass: '02', selfPayRatio: '0.1500', listType: '101', chargeType: '09' })]],
  ]),
};

const TABLES = ['national_visits', 'fee_details', 'settlements', 'audit_log'] as const;

let seq = 0;
const msgid = () => `H1-IN-${String(++seq).padStart(6, '0')}`;
const env = (infno: string) => ({ infno, msgid: msgid(), insuplc_admdvs: '410300', mdtrtarea_admvs: '410300', fixmedins_code: 'H1', inf_time: '2024-03-05 10:00:00' });

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

const admission = (psn: string, more: Record<string, unknown> = {}) => ({
  ...env('2401'),
  input: {
    mdtrtinfo: {
      psn_no: psn,
      insutype: '390',
      begntime: '2024-03-01 09:00:00',
      mdtrt_cert_type: '02',
      mdtrt_cert_no: '410302199001011235',
      cert_type: '01',
      certno: '410302199001011235',
      med_type: '2101',
      ipt_no: `ZY-${psn}`,
      atddr_no: 'D001',
      chfpdr_name: '李医生',
      adm_diag_dscr: '发热咳嗽',
      adm_dept_codg: 'A03',
      adm_dept_name: '呼吸内科',
      adm_bed: '12',
      dscg_maindiag_code: 'J18.900',
      dscg_maindiag_name: '肺炎',
      insuplc_admdvs: '410300',
      mdtrtarea_admvs: '410300',
      ...more,
    },
    diseinfo: [diagnosis(psn)],
  },
});

const discharge = (psn: string, mdtrt: string, endtime = '2024-03-04 09:00:00') => ({
  ...env('2402'),
  input: {
    dscginfo: { mdtrt_id: mdtrt, psn_no: psn, insutype: '390', endtime, dscg_dept_codg: 'A03', dscg_dept_name: '呼吸内科', dscg_way: '1' },
    diseinfo: [diagnosis(psn, { mdtrt_id: mdtrt, diag_time: '2024-03-04 08:00:00' })],
  },
});

const detailRow = (psn: string, mdtrt: string, sn: string, code: string, cnt: string, pric: string, sum: string, more: Record<string, unknown> = {}) => ({
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
  ...more,
});

const stayRef = (infno: string, psn: string, mdtrt: string) => ({ ...env(infno), input: { data: { mdtrt_id: mdtrt, psn_no: psn } } });

type Json = any;

for (const s of STORES) {
  describe.skipIf(s.skip)(`the inpatient stay over the national interface on ${s.label}`, () => {
    let store: LedgerDb;
    let app: FastifyInstance;
    let agency: CreatedKey;
    let h1: CreatedKey;
    let h2: CreatedKey;

    async function post(infno: string, body: unknown, key: string = h1.key) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/national/${infno}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: nationalJson(res.body) as Json };
    }
    const counts = () => rowCounts(store, TABLES);

    async function person(id: string) {
      const res = await app.inject({
        method: 'PUT',
        url: `/v1/persons/${id}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agency.key}` },
        payload: JSON.stringify({ region: '410300', scheme: 'resident', category: 'adult' }),
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
    }

    async function admit(psn: string): Promise<string> {
      await person(psn);
      const r = await post('2401', admission(psn));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.output.result.mdtrt_id as string;
    }

    beforeAll(async () => {
      store = await s.open();
      const ledger = new Ledger(store, engine, Date.now);
      await ledger.ready;
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false, national: { catalogue } });
      await app.ready();
      agency = await createKey(store.db, 'agency');
      h1 = await createKey(store.db, 'institution', { institutionId: 'H1' });
      h2 = await createKey(store.db, 'institution', { institutionId: 'H2' });
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('admits, prices the details item by item, discharges, settles, reverses, undoes the discharge and discharges again', async () => {
      await person('IN-1');
      // A 生育住院 (52) stay: the documents settle a resident's caesarean birth in 洛阳 (2024).
      const adm = admission('IN-1', { med_type: '52' });
      const first = await post('2401', adm);
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(first.body).toMatchObject({ infcode: 0, err_msg: null, yibao: { requestId: `2401:H1:${adm.msgid}`, replayed: false } });
      const mdtrt = first.body.output.result.mdtrt_id as string;
      expect(first.body.output.result).toEqual({ mdtrt_id: mdtrt, psn_no: 'IN-1', ipt_otp_no: 'ZY-IN-1' });
      // The same message again: the same stay; another body under its msgid: refused.
      const again = await post('2401', adm);
      expect(again.status).toBe(200);
      expect(again.body.output.result.mdtrt_id).toBe(mdtrt);
      expect(again.body.yibao.replayed).toBe(true);
      const other = await post('2401', { ...adm, input: { ...adm.input, mdtrtinfo: { ...adm.input.mdtrtinfo, adm_bed: '13' } } });
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('IDEMPOTENCY_CONFLICT');

      // Six details, by hand:
      //   1 A 甲类 2 × 30 = 60.00: all 符合政策范围 60.00
      //   2 B 乙类 3 × 12 = 36.00, 限价 10: 超限价 (12 − 10) × 3 = 6.00; 先行自付 (36 − 6) × 0.1 = 3.00; 符合 27.00
      //   3 C 丙类 5 × 1.5 = 7.50: 全自费 7.50
      //   4 Z not in the catalogue 1 × 20 = 20.00: 全自费 20.00
      //   5 A with 医院审批标志 2 (审批不通过) 1 × 30 = 30.00: 全自费 30.00
      //   6 D 乙类 3 × 0.335 = 1.005 → 1.01; 先行自付 1.01 × 0.15 = 0.1515 → 0.15; 符合 0.86
      const up = {
        ...env('2301'),
        input: {
          feedetail: [
            detailRow('IN-1', mdtrt, '1', 'A', '2', '30', '60.00'),
            detailRow('IN-1', mdtrt, '2', 'B', '3', '12', '36.00'),
            detailRow('IN-1', mdtrt, '3', 'C', '5', '1.5', '7.50'),
            detailRow('IN-1', mdtrt, '4', 'Z', '1', '20', '20.00'),
            detailRow('IN-1', mdtrt, '5', 'A', '1', '30', '30.00', { hosp_appr_flag: '2' }),
            detailRow('IN-1', mdtrt, '6', 'D', '3', '0.335', '1.01'),
          ],
        },
      };
      const uploaded = await post('2301', up);
      expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
      const result = uploaded.body.output.result as Json[];
      const parts = result.map((r) => [r.feedetl_sn, r.det_item_fee_sumamt, r.fulamt_ownpay_amt, r.overlmt_amt, r.preselfpay_amt, r.inscp_scp_amt]);
      expect(parts).toEqual([
        ['1', '60.00', '0.00', '0.00', '0.00', '60.00'],
        ['2', '36.00', '0.00', '6.00', '3.00', '27.00'],
        ['3', '7.50', '7.50', '0.00', '0.00', '0.00'],
        ['4', '20.00', '20.00', '0.00', '0.00', '0.00'],
        ['5', '30.00', '30.00', '0.00', '0.00', '0.00'],
        ['6', '1.01', '0.00', '0.00', '0.15', '0.86'],
      ]);
      expect(result[1]).toMatchObject({ cnt: '3', pric: '12', pric_uplmt_amt: '10', selfpay_prop: '0.1000', chrgitm_lv: '02', med_chrgitm_type: '09', lmt_used_flag: null });
      expect(result[3]).toMatchObject({ chrgitm_lv: null, med_chrgitm_type: null });
      expect(result[3].memo).toContain('目录外');
      const replay = await post('2301', up);
      expect(replay.status).toBe(200);
      expect(replay.body.output).toEqual(uploaded.body.output);
      expect(replay.body.yibao.replayed).toBe(true);
      // A serial number already live, in a new message: refused.
      const dup = await post('2301', { ...env('2301'), input: { feedetail: [detailRow('IN-1', mdtrt, '1', 'A', '1', '30', '30.00')] } });
      expect(dup.status).toBe(409);
      expect(dup.body.error.code).toBe('DUPLICATE_REFERENCE');

      // Cancel detail 5 and upload it again as 7 at a lower count.
      const cancel5 = { ...env('2302'), input: { data: [{ feedetl_sn: '5', mdtrt_id: mdtrt, psn_no: 'IN-1' }] } };
      expect((await post('2302', cancel5)).body.yibao).toMatchObject({ replayed: false, cancelled: ['5'] });
      // Its retry: answered as it was; a new message for the cancelled detail: refused.
      expect((await post('2302', cancel5)).body.yibao).toMatchObject({ replayed: true, cancelled: ['5'] });
      const gone5 = await post('2302', { ...cancel5, msgid: msgid() });
      expect(gone5.status).toBe(404);
      expect(gone5.body.error.message).toMatch(/^data\[0\]\.feedetl_sn: 费用明细 5 不存在或已撤销/);
      const seven = await post('2301', { ...env('2301'), input: { feedetail: [detailRow('IN-1', mdtrt, '7', 'A', '0.5', '30', '15.00')] } });
      expect(seven.status, JSON.stringify(seven.body)).toBe(201);
      expect(seven.body.output.result[0]).toMatchObject({ inscp_scp_amt: '15.00' });

      // Discharge before admission: refused; then discharged.
      const early = await post('2402', discharge('IN-1', mdtrt, '2024-02-28 09:00:00'));
      expect(early.status).toBe(400);
      expect(early.body.error.problems).toEqual([expect.stringMatching(/^dscginfo\.endtime: 2024-02-28 09:00:00 早于入院时间 2024-03-01 09:00:00/)]);
      const dis = discharge('IN-1', mdtrt);
      const done = await post('2402', dis);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({ infcode: 0, output: null, yibao: { mdtrtId: mdtrt, endtime: '2024-03-04 09:00:00' } });
      expect((await post('2402', dis)).status).toBe(200);
      // A second discharge at another time: refused until 2405.
      const twice = await post('2402', discharge('IN-1', mdtrt, '2024-03-04 10:00:00'));
      expect(twice.status).toBe(400);
      expect(twice.body.error.problems[0]).toMatch(/^dscginfo\.endtime: 已于 2024-03-04 09:00:00 出院/);

      // Settle the stay from its live details (the 2304 of national.ts): 60 + 36 + 7.50 + 20 + 1.01 + 15
      // = 139.51, of which 全自费 7.50 + 20 = 27.50, 超限价 6.00, 先行自付 3.00 + 0.15 = 3.15, and
      // 符合政策范围 60 + 27 + 0.86 + 15 = 102.86. A medfee_sumamt other than theirs is refused.
      const settleMsg = (sum: string) => ({
        msgid: msgid(),
        insuplc_admdvs: '410300',
        fixmedins_code: 'H1',
        inf_time: '2024-03-04 10:00:00',
        input: { data: { psn_no: 'IN-1', mdtrt_id: mdtrt, insutype: '390', med_type: '52', medfee_sumamt: sum } },
        yibao: { institution: { tier: 'county', grade: 2, contracted: true }, visit: { type: 'birth-cesarean' } },
      });
      const off = await post('2304', settleMsg('140.00'));
      expect(off.status).toBe(400);
      expect(off.body.error.problems).toEqual([expect.stringMatching(/^data\.medfee_sumamt: 140\.00 与费用明细不符.* 139\.51$/)]);
      const settle = await post('2304', settleMsg('139.51'));
      expect(settle.status, JSON.stringify(settle.body)).toBe(201);
      expect(settle.body.output.setlinfo).toMatchObject({
        mdtrt_id: mdtrt,
        medfee_sumamt: '139.51',
        fulamt_ownpay_amt: '27.50',
        overlmt_selfpay: '6.00',
        preselfpay_amt: '3.15',
        inscp_scp_amt: '102.86',
      });
      expect(settle.body.yibao.feeDetails).toBe(6);
      const setlId = settle.body.output.setlinfo.setl_id as string;
      // Settled: no undoing the discharge, no details, no cancel.
      const blocked = await post('2405', stayRef('2405', 'IN-1', mdtrt));
      expect(blocked.status).toBe(409);
      expect(blocked.body.error.code).toBe('VISIT_ALREADY_SETTLED');
      expect((await post('2301', { ...env('2301'), input: { feedetail: [detailRow('IN-1', mdtrt, '8', 'A', '1', '30', '30.00')] } })).body.error.code).toBe(
        'VISIT_ALREADY_SETTLED',
      );
      expect((await post('2302', { ...env('2302'), input: { data: [{ feedetl_sn: '0000', mdtrt_id: mdtrt, psn_no: 'IN-1' }] } })).body.error.code).toBe('VISIT_ALREADY_SETTLED');

      const reversed = await post('2305', { msgid: msgid(), fixmedins_code: 'H1', input: { data: { setl_id: setlId, mdtrt_id: mdtrt, psn_no: 'IN-1' } } });
      expect(reversed.status, JSON.stringify(reversed.body)).toBe(201);
      const undo = stayRef('2405', 'IN-1', mdtrt);
      const undone = await post('2405', undo);
      expect(undone.status, JSON.stringify(undone.body)).toBe(200);
      expect(undone.body.yibao).toMatchObject({ mdtrtId: mdtrt, endtime: null });
      // The same 2405 again: answered, though the stay is no longer discharged; a new one: refused.
      expect((await post('2405', undo)).status).toBe(200);
      const notOut = await post('2405', stayRef('2405', 'IN-1', mdtrt));
      expect(notOut.status).toBe(409);
      expect(notOut.body.error.message).toMatch(/未出院/);
      const again2 = await post('2402', discharge('IN-1', mdtrt, '2024-03-04 11:00:00'));
      expect(again2.status, JSON.stringify(again2.body)).toBe(200);
      expect(again2.body.yibao.endtime).toBe('2024-03-04 11:00:00');
    });

    it('2403 changes med_type and diagnoses by 诊断排序号; refuses what the visit book cannot change', async () => {
      const mdtrt = await admit('IN-3');
      const adminfo = {
        mdtrt_id: mdtrt,
        psn_no: 'IN-3',
        begntime: '2024-03-01 09:00:00',
        mdtrt_cert_type: '02',
        med_type: '22',
        ipt_otp_no: 'ZY-IN-3',
        atddr_no: 'D001',
        chfpdr_name: '李医生',
        adm_diag_dscr: '外伤',
        adm_dept_codg: 'A05',
        adm_dept_name: '骨科',
        adm_bed: '3',
        dscg_maindiag_code: 'S72.000',
        dscg_maindiag_name: '股骨颈骨折',
      };
      const change = {
        ...env('2403'),
        input: { adminfo, diseinfo: [diagnosis('IN-3', { mdtrt_id: mdtrt, maindiag_flag: '0', diag_srt_no: 2, diag_code: 'I10.x00', diag_name: '高血压' })] },
      };
      const r = await post('2403', change);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.yibao).toMatchObject({ mdtrtId: mdtrt, medType: '22' });
      const row = await store.db.selectFrom('national_visits').selectAll().where('mdtrt_id', '=', mdtrt).executeTakeFirstOrThrow();
      expect(row.med_type).toBe('22');
      expect(JSON.parse(row.info).amend.diseinfo.map((d: Json) => d.diag_code)).toEqual(['J18.900', 'I10.x00']);

      const before = await counts();
      const bad = await post('2403', { ...env('2403'), input: { adminfo: { ...adminfo, begntime: '2024-03-01 08:00:00', ipt_otp_no: 'ZY-X', endtime: '2024-03-03 08:00:00' } } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.problems).toEqual([
        expect.stringMatching(/^adminfo\.begntime: /),
        expect.stringMatching(/^adminfo\.ipt_otp_no: /),
        expect.stringMatching(/^adminfo\.endtime: 尚未出院/),
      ]);
      expect(await counts()).toEqual(before);
    });

    it('2404 cancels a stay once its details are cancelled; 2302 "0000" cancels them all', async () => {
      const mdtrt = await admit('IN-4');
      const up = await post('2301', {
        ...env('2301'),
        input: { feedetail: [detailRow('IN-4', mdtrt, '1', 'A', '1', '30', '30.00'), detailRow('IN-4', mdtrt, '2', 'C', '1', '5', '5.00')] },
      });
      expect(up.status).toBe(201);
      const cancel = stayRef('2404', 'IN-4', mdtrt);
      const refused = await post('2404', cancel);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'NOT_REVERSIBLE' });
      expect(refused.body.error.message).toMatch(/2 条未撤销的费用明细/);
      // Several serial numbers, one unknown: nothing cancelled.
      const some = await post('2302', { ...env('2302'), input: { data: ['1', '9'].map((sn) => ({ feedetl_sn: sn, mdtrt_id: mdtrt, psn_no: 'IN-4' })) } });
      expect(some.status).toBe(404);
      expect(some.body.error.message).toMatch(/^data\[1\]\.feedetl_sn: /);
      const all = { ...env('2302'), input: { data: [{ feedetl_sn: '0000', mdtrt_id: mdtrt, psn_no: 'IN-4' }] } };
      const gone = await post('2302', all);
      expect(gone.status, JSON.stringify(gone.body)).toBe(200);
      expect(gone.body.yibao.cancelled).toEqual(['1', '2']);
      expect((await post('2302', all)).body.yibao).toMatchObject({ replayed: true, cancelled: ['1', '2'] });
      const ok = await post('2404', cancel);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.yibao.status).toBe('cancelled');
      expect((await post('2404', cancel)).status).toBe(200);
      const late = await post('2402', discharge('IN-4', mdtrt));
      expect(late.body.error.code).toBe('VISIT_CANCELLED');
    });

    it('refuses a bad message listing every problem by its national field, writing nothing', async () => {
      await person('IN-5');
      const before = await counts();
      const bad = admission('IN-5', { med_type: '11', begntime: '2024-02-30 09:00:00', atddr_no: undefined, extra: 1 });
      const { msgid: _drop, ...noMsgid } = bad;
      const r = await post('2401', { ...noMsgid, input: { ...bad.input, diseinfo: [diagnosis('IN-6', { diag_type: '7' })] } });
      expect(r.status).toBe(400);
      expect(r.body.infcode).toBe(-1);
      const problems = r.body.error.problems as string[];
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^mdtrtinfo\.med_type: "11" 普通门诊 is not an inpatient/),
          expect.stringMatching(/^mdtrtinfo\.begntime: /),
          expect.stringMatching(/^mdtrtinfo\.atddr_no: /),
          expect.stringMatching(/^mdtrtinfo: .*extra/),
          expect.stringMatching(/^diseinfo\[0\]\.diag_type: /),
        ]),
      );
      // Cross-field problems come once the fields are valid: all of them.
      const cross = await post('2401', { ...admission('IN-5'), msgid: undefined, input: { ...admission('IN-5').input, diseinfo: [diagnosis('IN-6'), diagnosis('IN-5')] } });
      expect(cross.body.error.problems).toEqual([
        expect.stringMatching(/^msgid: required/),
        expect.stringMatching(/^diseinfo\[0\]\.psn_no: IN-6/),
        expect.stringMatching(/^diseinfo\[1\]\.diag_srt_no: /),
        expect.stringMatching(/^diseinfo\[1\]\.maindiag_flag: /),
      ]);
      // An unknown person.
      const unknown = await post('2401', admission('IN-NOBODY'));
      expect(unknown.status).toBe(422);
      expect(unknown.body.error.code).toBe('PERSON_NOT_REGISTERED');
      expect(unknown.body.err_msg).toMatch(/^人员未登记：mdtrtinfo\.psn_no：人员 IN-NOBODY 不在账本中/);
      expect(unknown.body.error.message).toMatch(/mdtrtinfo\.psn_no: 人员 IN-NOBODY 不在账本中/);
      // Details: a wrong amount and a repeated serial number, each named.
      const mdtrt = await admit('IN-7');
      const afterAdmit = await counts();
      const d = await post('2301', {
        ...env('2301'),
        input: {
          feedetail: [
            detailRow('IN-7', mdtrt, '1', 'A', '2', '30', '59.00'),
            detailRow('IN-7', mdtrt, '1', 'A', '1', '30', '30.00'),
            detailRow('IN-8', mdtrt, '2', 'A', '1', '30', '30.00'),
          ],
        },
      });
      expect(d.status).toBe(400);
      expect(d.body.error.problems).toEqual([expect.stringMatching(/^feedetail\[2\]\.psn_no: /), expect.stringMatching(/^feedetail\[1\]\.feedetl_sn: 1 is row 0's too/)]);
      const amount = await post('2301', { ...env('2301'), input: { feedetail: [detailRow('IN-7', mdtrt, '1', 'A', '2', '30', '59.00')] } });
      expect(amount.body.error.problems).toEqual([expect.stringMatching(/^feedetail\[0\]\.det_item_fee_sumamt: 明细项目费用总额 59\.00 元/)]);
      expect((await post('2301', { ...env('2301'), input: { feedetail: [] } })).body.error.problems).toEqual(['feedetail: must have at least one row']);
      expect(await counts()).toEqual({ ...afterAdmit });
      expect(before.national_visits).toBe(afterAdmit.national_visits - 1);
    });

    it('takes 1000 details in one 2301 (above the default body limit) and refuses 1001', async () => {
      const mdtrt = await admit('IN-12');
      const rows = (n: number) => Array.from({ length: n }, (_, i) => detailRow('IN-12', mdtrt, String(i + 1), 'A', '1', '0.01', '0.01'));
      const many = { ...env('2301'), input: { feedetail: rows(1001) } };
      expect(JSON.stringify(many).length).toBeGreaterThan(256 * 1024);
      const refused = await post('2301', many);
      expect(refused.status).toBe(400);
      expect(refused.body.error.problems).toEqual(['feedetail: must have at most 1000 rows']);
      const ok = await post('2301', { ...env('2301'), input: { feedetail: rows(1000) } });
      expect(ok.status, JSON.stringify(ok.body).slice(0, 300)).toBe(201);
      expect(ok.body.output.result).toHaveLength(1000);
      expect(ok.body.output.result.every((r: Json) => r.inscp_scp_amt === '0.01')).toBe(true);
    });

    it('concurrent retries of a 2401 and of a 2301 make one stay and one upload', async () => {
      await person('IN-11');
      const adm = admission('IN-11');
      const answers = await Promise.all(Array.from({ length: 5 }, () => post('2401', adm)));
      expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body.error))).toEqual([200, 200, 200, 200, 201]);
      const ids = new Set(answers.map((a) => a.body.output.result.mdtrt_id));
      expect(ids.size).toBe(1);
      const mdtrt = [...ids][0] as string;
      const up = { ...env('2301'), input: { feedetail: [detailRow('IN-11', mdtrt, '1', 'A', '1', '30', '30.00')] } };
      const uploads = await Promise.all(Array.from({ length: 5 }, () => post('2301', up)));
      expect(uploads.map((u) => u.status).sort(), JSON.stringify(uploads.map((u) => u.body.error))).toEqual([200, 200, 200, 200, 201]);
      const rows = await store.db.selectFrom('fee_details').select('id').where('mdtrt_id', '=', mdtrt).execute();
      expect(rows).toHaveLength(1);
    });

    it('a 2404 racing a 2301 on the same stay: either the stay is cancelled with no live details, or the details stand on an open stay', async () => {
      for (let round = 0; round < 6; round++) {
        const psn = `IN-R${round}`;
        const mdtrt = await admit(psn);
        const up = { ...env('2301'), input: { feedetail: [detailRow(psn, mdtrt, '1', 'A', '1', '30', '30.00')] } };
        const [a, b] = await Promise.all(
          round % 2 === 0 ? [post('2301', up), post('2404', stayRef('2404', psn, mdtrt))] : [post('2404', stayRef('2404', psn, mdtrt)), post('2301', up)],
        );
        const visit = await store.db.selectFrom('national_visits').select('status').where('mdtrt_id', '=', mdtrt).executeTakeFirstOrThrow();
        const live = await store.db.selectFrom('fee_details').select('id').where('mdtrt_id', '=', mdtrt).where('cancelled_at', 'is', null).execute();
        // Exactly one of the two won, and the state is the winner's.
        expect(
          [a.status, b.status].filter((x) => x < 300),
          JSON.stringify([a.body.error, b.body.error]),
        ).toHaveLength(1);
        if (visit.status === 'cancelled') expect(live).toHaveLength(0);
        else expect(live).toHaveLength(1);
      }
    });

    it('an institution key acts at its own institution only, and on its own stays', async () => {
      const mdtrt = await admit('IN-9');
      const elsewhere = await post('2401', { ...admission('IN-9'), fixmedins_code: 'H2' }, h1.key);
      expect(elsewhere.status).toBe(403);
      const notMine = await post('2402', { ...discharge('IN-9', mdtrt), fixmedins_code: 'H2' }, h2.key);
      expect(notMine.status).toBe(404);
      expect(notMine.body.error.message).toMatch(/^dscginfo\.mdtrt_id: 就诊ID/);
      const wrongPerson = await post('2405', stayRef('2405', 'IN-10', mdtrt));
      expect(wrongPerson.status).toBe(400);
      expect(wrongPerson.body.error.problems).toEqual([expect.stringMatching(/^data\.psn_no: /)]);
    });
  });
}
