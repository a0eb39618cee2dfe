/**
 * Examples of the inpatient stay's messages (2401–2405, 2301, 2302) for the OpenAPI document:
 * person P-0002 (a resident, 390) admitted to H1. The stay's 就诊ID is the centre's (2401 answers
 * it); the others carry a placeholder one, replaced when they are tried.
 */
import type { StayInterface } from './stay-input.js';

/** The placeholder 就诊ID of the examples after 2401. */
export const EXAMPLE_MDTRT_ID = 'M-EXAMPLE-STAY';

const envelope = (infno: StayInterface) => ({
  infno,
  msgid: `H1202403021000${infno}01`,
  insuplc_admdvs: '410300',
  mdtrtarea_admvs: '410300',
  fixmedins_code: 'H1',
  inf_time: '2024-03-02 10:00:00',
});

const diagnosis = {
  psn_no: 'P-0002',
  diag_type: '1',
  maindiag_flag: '1',
  diag_srt_no: 1,
  diag_code: 'J18.900',
  diag_name: '肺炎',
  diag_dept: '呼吸内科',
  dise_dor_no: 'D001',
  dise_dor_name: '李医生',
  diag_time: '2024-03-01 09:00:00',
};

const stay = { mdtrt_id: EXAMPLE_MDTRT_ID, psn_no: 'P-0002' };

export const STAY_EXAMPLES: Record<StayInterface, Record<string, unknown>> = {
  '2401': {
    ...envelope('2401'),
    input: {
      mdtrtinfo: {
        psn_no: 'P-0002',
        insutype: '390',
        begntime: '2024-03-01 09:00:00',
        mdtrt_cert_type: '02',
        cert_type: '01',
        certno: '410302199001011235',
        med_type: '2101',
        ipt_no: 'ZY2024030001',
        atddr_no: 'D001',
        chfpdr_name: '李医生',
        adm_diag_dscr: '发热咳嗽三天',
        adm_dept_codg: 'A03',
        adm_dept_name: '呼吸内科',
        adm_bed: '12',
        dscg_maindiag_code: 'J18.900',
        dscg_maindiag_name: '肺炎',
        insuplc_admdvs: '410300',
        mdtrtarea_admvs: '410300',
      },
      diseinfo: [diagnosis],
    },
  },
  '2402': {
    ...envelope('2402'),
    input: {
      dscginfo: { ...stay, insutype: '390', endtime: '2024-03-02 09:00:00', dscg_dept_codg: 'A03', dscg_dept_name: '呼吸内科', dscg_way: '1' },
      diseinfo: [{ ...diagnosis, ...stay, diag_time: '2024-03-02 08:00:00' }],
    },
  },
  '2403': {
    ...envelope('2403'),
    input: {
      adminfo: {
        ...stay,
        begntime: '2024-03-01 09:00:00',
        mdtrt_cert_type: '02',
        med_type: '2101',
        ipt_otp_no: 'ZY2024030001',
        atddr_no: 'D001',
        chfpdr_name: '李医生',
        adm_diag_dscr: '发热咳嗽三天',
        adm_dept_codg: 'A03',
        adm_dept_name: '呼吸内科',
        adm_bed: '14',
        dscg_maindiag_code: 'J18.900',
        dscg_maindiag_name: '肺炎',
      },
      diseinfo: [{ ...diagnosis, ...stay, maindiag_flag: '0', diag_srt_no: 2, diag_code: 'I10.x00', diag_name: '高血压' }],
    },
  },
  '2404': { ...envelope('2404'), input: { data: stay } },
  '2405': { ...envelope('2405'), input: { data: stay } },
  '2301': {
    ...envelope('2301'),
    input: {
      feedetail: [
        {
          feedetl_sn: '1',
          ...stay,
          med_type: '2101',
          fee_ocur_time: '2024-03-01 10:00:00',
          med_list_codg: '001102000010000-110200001',
          medins_list_codg: 'CW001',
          det_item_fee_sumamt: '60.00',
          cnt: '2',
          pric: '30',
          bilg_dept_codg: 'A03',
          bilg_dept_name: '呼吸内科',
          bilg_dr_codg: 'D001',
          bilg_dr_name: '李医生',
          hosp_appr_flag: '1',
        },
      ],
    },
  },
  '2302': { ...envelope('2302'), input: { data: [{ feedetl_sn: '0000', ...stay }] } },
};
