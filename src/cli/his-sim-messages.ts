/**
 * The messages a simulated hospital sends (issue 15, `yibao his-sim`): what a hospital system
 * (HIS) fills in for a registration, the fee details of a visit or a stay, the settle messages,
 * the admission and the discharge. Field names as the Hunan edition of the national interface
 * specification (V1.1.27). The fee details are made from a seed: the same seed, the same day.
 *
 * Items: two of the sample catalogue (`catalogues/sample.json`, SAMPLE-D001 甲类, SAMPLE-D002 乙类
 * with a made-up 10% 先行自付) and one the catalogue does not list (HIS-SELF-01, so self-paid). A
 * service without a catalogue prices every item self-paid; the sums balance either way.
 */
import type {
  AdmitInput,
  AmendStayInput,
  DischargeInput,
  OutpatientFeeDetail,
  PreSettleInput,
  RegisterInput,
  SettleInput,
  StayFeeDetail,
  StaySettleInput,
  SupervisionInput,
  VisitInfoInput,
} from '../client/messages.js';
import type { Fen } from '../money/money.js';
import type { SimPerson } from './his-sim-setup.js';

/** A small deterministic generator (mulberry32): the same seed, the same day. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An item a visit is charged for: code, unit price in fen, count. */
export interface Item {
  code: string;
  name: string;
  priceFen: Fen;
  count: number;
}

const ITEMS = [
  { code: 'SAMPLE-D001', name: '样例甲类西药' },
  { code: 'SAMPLE-D002', name: '样例乙类中成药' },
  { code: 'HIS-SELF-01', name: '院内自费项目（目录外）' },
];

/** 2–3 items, each 5.00–80.00 yuan a unit, 1–4 units. */
export function itemsOf(next: () => number): Item[] {
  const n = 2 + Math.floor(next() * 2);
  return ITEMS.slice(0, n).map((it) => ({ ...it, priceFen: 500 + Math.floor(next() * 75) * 100, count: 1 + Math.floor(next() * 4) }));
}

export const totalOf = (items: Item[]): Fen => items.reduce((n, i) => n + i.priceFen * i.count, 0);

const yuanText = (f: Fen) => (f / 100).toFixed(2);

/** 门诊挂号 (2201) of a person at `time`. */
export function registration(p: SimPerson, time: string, iptOtpNo: string): RegisterInput {
  return {
    data: {
      psn_no: p.psnNo,
      insutype: '390',
      begntime: time,
      mdtrt_cert_type: '02',
      mdtrt_cert_no: p.certno,
      psn_cert_type: '01',
      certno: p.certno,
      psn_type: '1',
      psn_name: p.name,
      ipt_otp_no: iptOtpNo,
      atddr_no: 'D001',
      dr_name: '模拟医生',
      dept_code: 'A03',
      dept_name: '内科',
      caty: 'A03',
    },
  };
}

/** 门诊就诊信息 (2203): the visit's diagnosis (高血压, an ordinary outpatient visit). */
export function visitInfo(psnNo: string, mdtrtId: string, time: string): VisitInfoInput {
  return {
    mdtrtinfo: { mdtrt_id: mdtrtId, psn_no: psnNo, med_type: '11', begntime: time, dise_codg: 'I10.x00', dise_name: '原发性高血压' },
    diseinfo: [
      {
        diag_type: '1',
        diag_srt_no: 1,
        diag_code: 'I10.x00',
        diag_name: '原发性高血压',
        diag_dept: '内科',
        dise_dor_no: 'D001',
        dise_dor_name: '模拟医生',
        diag_time: time,
        vali_flag: '1',
      },
    ],
  };
}

const dept = { bilg_dept_codg: 'A03', bilg_dept_name: '内科', bilg_dr_codg: 'D001', bilg_dr_name: '模拟医生' };

/** 门诊费用明细 (2204 feedetail). */
export function outpatientFees(psnNo: string, mdtrtId: string, batch: string, time: string, items: Item[]): OutpatientFeeDetail[] {
  return items.map((it, i) => ({
    feedetl_sn: String(i + 1),
    mdtrt_id: mdtrtId,
    psn_no: psnNo,
    chrg_bchno: batch,
    rx_circ_flag: '0',
    fee_ocur_time: time,
    med_list_codg: it.code,
    medins_list_codg: `HIS-${it.code}`,
    det_item_fee_sumamt: yuanText(it.priceFen * it.count),
    cnt: String(it.count),
    pric: yuanText(it.priceFen),
    ...dept,
    hosp_appr_flag: '0',
  }));
}

/** 住院费用明细 (2301 feedetail). */
export function stayFees(psnNo: string, mdtrtId: string, time: string, items: Item[]): StayFeeDetail[] {
  return items.map((it, i) => ({
    feedetl_sn: String(i + 1),
    mdtrt_id: mdtrtId,
    psn_no: psnNo,
    med_type: '52',
    fee_ocur_time: time,
    med_list_codg: it.code,
    medins_list_codg: `HIS-${it.code}`,
    det_item_fee_sumamt: yuanText(it.priceFen * it.count),
    cnt: String(it.count),
    pric: yuanText(it.priceFen),
    ...dept,
  }));
}

/**
 * The outpatient settle message (2206 / 2207). With details uploaded (2204) the centre computes
 * the parts from them: the message carries the total only. Without (a service that has no 2204),
 * the hospital states the self-paid part itself: the items the catalogue does not list.
 */
export function outpatientSettle(p: SimPerson, mdtrtId: string, batch: string, items: Item[], detailsUploaded: boolean): PreSettleInput & SettleInput {
  const selfPaid = items.filter((i) => i.code.startsWith('HIS-')).reduce((n, i) => n + i.priceFen * i.count, 0);
  return {
    data: {
      psn_no: p.psnNo,
      mdtrt_cert_type: '02',
      mdtrt_cert_no: p.certno,
      psn_cert_type: '01',
      certno: p.certno,
      med_type: '11',
      medfee_sumamt: yuanText(totalOf(items)),
      psn_setlway: '01',
      mdtrt_id: mdtrtId,
      chrg_bchno: batch,
      acct_used_flag: '0',
      insutype: '390',
      ...(detailsUploaded ? {} : { fulamt_ownpay_amt: yuanText(selfPaid) }),
    },
  };
}

/**
 * 入院办理 (2401): a birth (生育住院 52, 正常产): the stay Luoyang's documents settle for residents
 * (洛医保〔2023〕63号 四(四)); they give no general resident inpatient rule, so the sim invents none.
 */
export function admission(p: SimPerson, time: string, iptNo: string): AdmitInput {
  return {
    mdtrtinfo: {
      psn_no: p.psnNo,
      insutype: '390',
      begntime: time,
      mdtrt_cert_type: '02',
      mdtrt_cert_no: p.certno,
      cert_type: '01',
      certno: p.certno,
      med_type: '52',
      ipt_no: iptNo,
      atddr_no: 'D001',
      chfpdr_name: '模拟医生',
      adm_diag_dscr: '孕39周，待产',
      adm_dept_codg: 'A05',
      adm_dept_name: '妇产科',
      adm_bed: '12',
      dscg_maindiag_code: 'O80.000',
      dscg_maindiag_name: '单胎顺产',
      matn_type: '1',
      fetts: 1,
      fetus_cnt: 1,
      insuplc_admdvs: '410300',
      mdtrtarea_admvs: '410300',
    },
    diseinfo: [diagnosis(p.psnNo, time)],
  };
}

const diagnosis = (psnNo: string, time: string, mdtrtId?: string) => ({
  ...(mdtrtId ? { mdtrt_id: mdtrtId } : {}),
  psn_no: psnNo,
  diag_type: '1',
  maindiag_flag: '1',
  diag_srt_no: 1,
  diag_code: 'O80.000',
  diag_name: '单胎顺产',
  diag_dept: '妇产科',
  dise_dor_no: 'D001',
  dise_dor_name: '模拟医生',
  diag_time: time,
});

/** 出院办理 (2402). */
export function discharge(p: SimPerson, mdtrtId: string, time: string): DischargeInput {
  return {
    dscginfo: {
      mdtrt_id: mdtrtId,
      psn_no: p.psnNo,
      insutype: '390',
      endtime: time,
      matn_type: '1',
      fetts: 1,
      fetus_cnt: 1,
      dscg_dept_codg: 'A05',
      dscg_dept_name: '妇产科',
      dscg_way: '1',
    },
    diseinfo: [diagnosis(p.psnNo, time, mdtrtId)],
  };
}

/** The inpatient settle message (2303 / 2304). */
export function staySettle(p: SimPerson, mdtrtId: string, items: Item[], detailsUploaded: boolean): StaySettleInput {
  const selfPaid = items.filter((i) => i.code.startsWith('HIS-')).reduce((n, i) => n + i.priceFen * i.count, 0);
  return {
    data: {
      psn_no: p.psnNo,
      mdtrt_cert_type: '02',
      mdtrt_cert_no: p.certno,
      psn_cert_type: '01',
      certno: p.certno,
      med_type: '52',
      medfee_sumamt: yuanText(totalOf(items)),
      psn_setlway: '01',
      mdtrt_id: mdtrtId,
      acct_used_flag: '0',
      insutype: '390',
      mid_setl_flag: '0',
      insuplc_admdvs: '410300',
      mdtrtarea_admvs: '410300',
      ...(detailsUploaded ? {} : { fulamt_ownpay_amt: yuanText(selfPaid) }),
    },
  };
}

/**
 * 3101 / 3102's message (表128–131): the person and the visit checked (its only encounter), the
 * figures known so far — before a settlement (3101) the total and the items the catalogue does not
 * list; while settling (3102) the pre-settlement's 全自费, 先行自付 and 统筹基金支出. No orders: yibao
 * judges settlements, not prescriptions.
 */
export function supervision(
  p: SimPerson,
  institution: string,
  mdtrtId: string,
  time: string,
  f: { medfee: Fen; ownpay: Fen; selfpay: Fen; hifp?: Fen; acct?: Fen },
): SupervisionInput {
  return {
    data: {
      patient_dtos: [
        {
          patn_id: p.psnNo,
          patn_name: p.name,
          gend: p.gend,
          brdy: p.brdy,
          poolarea: '410300',
          curr_mdtrt_id: mdtrtId,
          fsi_encounter_dtos: [
            {
              mdtrt_id: mdtrtId,
              medins_id: institution,
              medins_name: '模拟医院',
              medins_admdvs: '410300',
              medins_type: '1',
              medins_lv: '2',
              adm_date: time,
              dscg_date: time,
              dscg_main_dise_codg: 'I10.x00',
              dscg_main_dise_name: '原发性高血压',
              fsi_diagnose_dtos: [
                { dise_id: `${mdtrtId}-1`, inout_dise_type: '1', maindise_flag: '1', dias_srt_no: '1', dise_codg: 'I10.x00', dise_name: '原发性高血压', dise_date: time },
              ],
              dr_codg: 'D001',
              adm_dept_codg: 'A03',
              adm_dept_name: '内科',
              dscg_dept_codg: 'A03',
              dscg_dept_name: '内科',
              med_mdtrt_type: '1',
              med_type: '11',
              fsi_order_dtos: [],
              matn_stas: '0',
              medfee_sumamt: yuanText(f.medfee),
              ownpay_amt: yuanText(f.ownpay),
              selfpay_amt: yuanText(f.selfpay),
              ...(f.hifp !== undefined ? { hifp_payamt: yuanText(f.hifp) } : {}),
              ...(f.acct !== undefined ? { acct_payamt: yuanText(f.acct) } : {}),
              setl_totlnum: 0,
              insutype: '390',
              reim_flag: '2',
              out_setl_flag: '0',
            },
          ],
        },
      ],
    },
  };
}

/** 住院信息变更 (2403) of the stay admitted at `time`: the diagnoses completed (单胎活产 added as the second 西医 diagnosis). */
export function amendment(p: SimPerson, mdtrtId: string, time: string, iptNo: string): AmendStayInput {
  return {
    adminfo: {
      mdtrt_id: mdtrtId,
      psn_no: p.psnNo,
      begntime: time,
      mdtrt_cert_type: '02',
      med_type: '52',
      ipt_otp_no: iptNo,
      atddr_no: 'D001',
      chfpdr_name: '模拟医生',
      adm_diag_dscr: '孕39周，待产',
      adm_dept_codg: 'A05',
      adm_dept_name: '妇产科',
      adm_bed: '12',
      dscg_maindiag_code: 'O80.000',
      dscg_maindiag_name: '单胎顺产',
      matn_type: '1',
      fetts: 1,
      fetus_cnt: 1,
    },
    diseinfo: [diagnosis(p.psnNo, time, mdtrtId), { ...diagnosis(p.psnNo, time, mdtrtId), maindiag_flag: '0', diag_srt_no: 2, diag_code: 'Z37.000', diag_name: '单胎活产' }],
  };
}
