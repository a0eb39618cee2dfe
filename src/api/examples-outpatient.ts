/**
 * The OpenAPI examples of the outpatient day (2201–2205, 5203, 5204): P-0002 (settled by the 2207
 * example before them) at H1 on 2024-03-02. A message after 2201 names the visit 2201 answered
 * (M-0001 stands for it) and 5203/5204 the settlement (S-0001); test/openapi.test.ts puts the real ids in.
 */
const envelope = (infno: string) => ({ infno, msgid: `H1202403021000${infno}01`, fixmedins_code: 'H1', inf_time: '2024-03-02 10:00:00' });

export const OUTPATIENT_EXAMPLES = {
  '2201': {
    ...envelope('2201'),
    input: {
      data: {
        psn_no: 'P-0002',
        insutype: '390',
        begntime: '2024-03-02 09:00:00',
        mdtrt_cert_type: '02',
        mdtrt_cert_no: '410302198001010019',
        psn_cert_type: '01',
        certno: '410302198001010019',
        psn_type: '15',
        psn_name: '张三',
        ipt_otp_no: 'MZ20240302001',
        dept_code: 'NK',
        dept_name: '内科',
        caty: 'A03',
      },
    },
  },
  '2202': { ...envelope('2202'), input: { data: { psn_no: 'P-0002', mdtrt_id: 'M-0001', ipt_otp_no: 'MZ20240302001' } } },
  '2203': {
    ...envelope('2203'),
    input: {
      mdtrtinfo: { mdtrt_id: 'M-0001', psn_no: 'P-0002', med_type: '11', begntime: '2024-03-02 09:00:00', dise_codg: 'J06.900', dise_name: '急性上呼吸道感染' },
      diseinfo: [
        {
          diag_type: '1',
          diag_srt_no: 1,
          diag_code: 'J06.900',
          diag_name: '急性上呼吸道感染',
          diag_dept: '内科',
          dise_dor_no: 'D001',
          dise_dor_name: '李医生',
          diag_time: '2024-03-02 09:10:00',
          vali_flag: '1',
        },
      ],
    },
  },
  '2204': {
    ...envelope('2204'),
    input: {
      feedetail: [
        {
          feedetl_sn: '1',
          mdtrt_id: 'M-0001',
          psn_no: 'P-0002',
          chrg_bchno: 'B1',
          rx_circ_flag: '0',
          fee_ocur_time: '2024-03-02 09:20:00',
          med_list_codg: 'X-EXAMPLE-1',
          medins_list_codg: 'H1-001',
          det_item_fee_sumamt: '30.00',
          cnt: '2',
          pric: '15.00',
          bilg_dept_codg: 'NK',
          bilg_dept_name: '内科',
          bilg_dr_codg: 'D001',
          bilg_dr_name: '李医生',
          hosp_appr_flag: '1',
        },
      ],
    },
  },
  '2205': { ...envelope('2205'), input: { data: { mdtrt_id: 'M-0001', chrg_bchno: '0000', psn_no: 'P-0002' } } },
  '5203': { ...envelope('5203'), input: { data: { psn_no: 'P-0002', setl_id: 'S-0001', mdtrt_id: 'M-0001' } } },
  '5204': { ...envelope('5204'), input: { data: { psn_no: 'P-0002', setl_id: 'S-0001', mdtrt_id: 'M-0001' } } },
} as const;
