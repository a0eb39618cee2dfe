/**
 * The examples of the OpenAPI document: a request body per route that the service accepts as it
 * is (Luoyang 2024 residents at a county hospital, the Puyang employees' account of a retired
 * holder), so that "try it" works on a ledger that has what it names (a reversal and an account
 * operation name an entry or account made by the examples before them). test/openapi.test.ts
 * checks each against its route's schema and the route's parser.
 */
import type { ReverseInterface, SettleInterface } from '../national/input.js';

const H1 = { id: 'H1', tier: 'county', grade: 2, contracted: true };
const person = { id: 'P-0001', region: '410300', scheme: 'resident', category: 'adult' };
const visit = { id: 'V-0001', time: '2024-03-02T10:00:00+08:00', type: 'outpatient', institution: H1, total: 200, eligible: 180 };

/** A 2206/2207 message (outpatient) or a 2303/2304 one (a caesarean birth, 52). */
function national(infno: SettleInterface) {
  const stay = infno === '2303' || infno === '2304';
  return {
    msgid: `H1202403021000${infno}01`,
    insuplc_admdvs: '410300',
    fixmedins_code: 'H1',
    inf_time: '2024-03-02 10:00:00',
    input: {
      data: {
        psn_no: 'P-0002',
        mdtrt_cert_type: '02',
        med_type: stay ? '52' : '11',
        medfee_sumamt: stay ? '5000.00' : '300.00',
        psn_setlway: '01',
        mdtrt_id: stay ? 'V-0003' : 'V-0002',
        insutype: '390',
        acct_used_flag: '0',
        fulamt_ownpay_amt: stay ? '500.00' : '50.00',
        inscp_scp_amt: stay ? '4500.00' : '250.00',
      },
    },
    yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true }, ...(stay ? { visit: { type: 'birth-cesarean' } } : {}) },
  };
}

/** The clearing examples: Luoyang's city centre pays H1, in the city district 涧西区 (洛医保〔2023〕63号 三(二)). */
const clearing = {
  district: { code: '410305', name: '涧西区', region: '410300', level: 'urban' },
  centre: { id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300' },
  institution: { id: 'H1', district: '410305' },
  remittance: { id: 'RM-410305-2024-03', district: '410305', period: '2024-03', amount: '12000.00', remittedOn: '2024-04-10', note: '2024年3月上解资金' },
  /** H1's own export for March 2024 (a UTF-8 CSV, base64): one row, 2 yuan of 5 from the fund. */
  reconciliation: {
    institution: 'H1',
    from: '2024-03-01',
    to: '2024-03-31',
    format: 'csv',
    file: Buffer.from('结算ID,就诊ID,人员编号,医疗费总额,基金支付总额,个人账户支出,退费结算标志\nS-9001,V-9001,P-9001,5.00,2.00,0.00,否\n').toString('base64'),
  },
  national3201: {
    infno: '3201',
    msgid: 'H120240401090000320101',
    fixmedins_code: 'H1',
    input: {
      data: {
        insutype: '390',
        clr_type: '11',
        setl_optins: '410300',
        stmt_begndate: '2024-03-01',
        stmt_enddate: '2024-03-31',
        medfee_sumamt: '0.00',
        fund_pay_sumamt: '0.00',
        acct_pay: '0.00',
        fixmedins_setl_cnt: 0,
        fixmedins_refd_setl_flag: '0',
      },
    },
  },
  national3202: {
    infno: '3202',
    msgid: 'H120240401090000320201',
    fixmedins_code: 'H1',
    input: {
      data: {
        setl_optins: '410300',
        stmt_begndate: '2024-03-01',
        stmt_enddate: '2024-03-31',
        medfee_sumamt: '5.00',
        fund_pay_sumamt: '2.00',
        cash_payamt: '3.00',
        fixmedins_setl_cnt: 1,
        clr_type: '11',
        fixmedins_refd_setl_flag: '0',
      },
      file: 'S-9001\tV-9001\tP-9001\t5.00\t2.00\t0.00\t0\n',
    },
  },
};

/** Budgets and monitoring settings of 涧西区 (410305): 洛医保〔2022〕36号 第三条, 洛医保〔2023〕63号 三(一), 七(三). */
const monitoring = {
  budget: { id: 'B-2024-410305-ro', area: '410305', year: 2024, account: 'resident-outpatient', amount: '1200000.00', note: '2024 年门诊统筹预算' },
  budgetFromPolicy: { id: 'B-2024-410305-st', area: '410305', year: 2024, account: 'student-outpatient', fromPolicy: { persons: 1200 }, note: '在校大学生 1200 人' },
  payment: { id: 'BP-2024-0001', area: '410305', account: 'family-doctor', amount: '6600.00', paidOn: '2024-04-10', note: '一季度家庭医生签约服务费' },
  warning: { value: { marginBp: 1000 }, reason: '年末预计超过可用额度 10% 时预警' },
  highCost: { value: { yearBurdenFen: 2_000_000, window: { days: 90, burdenFen: 1_000_000 } }, reason: '年度个人负担 2 万元或 90 天内 1 万元' },
};

/**
 * A 3101/3102 message: P-0002's second outpatient visit at H1 on 2024-03-02 (the 2207 example
 * settled V-0002 that morning), checked before (3101) or while (3102) it is settled.
 */
function supervisionMessage(infno: '3101' | '3102') {
  return {
    infno,
    msgid: `H120240302150000${infno}01`,
    fixmedins_code: 'H1',
    input: {
      data: {
        patient_dtos: [
          {
            patn_id: 'P-0002',
            patn_name: '张三',
            gend: '1',
            brdy: '1980-05-01',
            poolarea: '410300',
            curr_mdtrt_id: 'V-0004',
            fsi_encounter_dtos: [
              {
                mdtrt_id: 'V-0004',
                medins_id: 'H1',
                medins_name: '洛阳市某县人民医院',
                medins_admdvs: '410322',
                medins_type: '1',
                medins_lv: '2',
                adm_date: '2024-03-02 15:00:00',
                dscg_date: '2024-03-02 15:30:00',
                dscg_main_dise_codg: 'J06.900',
                dscg_main_dise_name: '急性上呼吸道感染',
                fsi_diagnose_dtos: [
                  {
                    dise_id: 'D-0004-1',
                    inout_dise_type: '1',
                    maindise_flag: '1',
                    dias_srt_no: '1',
                    dise_codg: 'J06.900',
                    dise_name: '急性上呼吸道感染',
                    dise_date: '2024-03-02 15:10:00',
                  },
                ],
                dr_codg: 'DR-01',
                adm_dept_codg: 'NK',
                adm_dept_name: '内科',
                dscg_dept_codg: 'NK',
                dscg_dept_name: '内科',
                med_mdtrt_type: '1',
                med_type: '11',
                fsi_order_dtos: [],
                matn_stas: '0',
                medfee_sumamt: '120.00',
                ownpay_amt: '0.00',
                selfpay_amt: '12.00',
                hifp_payamt: '60.00',
                setl_totlnum: 1,
                insutype: '390',
                reim_flag: '2',
                out_setl_flag: '0',
              },
            ],
          },
        ],
        rule_ids: ['SPLIT-DAY'],
      },
    },
  };
}

/** Supervision: the split-visit rule set, H1's site, March's run, the checks and a finding's status. */
const supervision = {
  rule: { enabled: true, params: { minVisits: 2 }, severity: '2', reason: '洛医保〔2022〕36号 第十六条：同日同机构同类就诊两次即提示' },
  site: { kind: 'medical', longitude: 112.454, latitude: 34.619 },
  run: { from: '2024-03-01', to: '2024-03-31' },
  status: { status: 'dismissed', reason: '经核查，两次就诊分属不同科室且均有病历，非分解就诊' },
  national3101: supervisionMessage('3101'),
  national3102: supervisionMessage('3102'),
};

export const EXAMPLES = {
  clearing,
  monitoring,
  supervision,
  preSettle: { person, visit },
  settle: { requestId: 'R-0001', person, visit },
  reversal: { requestId: 'R-0001-reversal' },
  contribution: { region: 'luoyang', year: 2024, countyType: 'western', hardship: 'dibao' },
  maternityGrant: {
    claimant: { id: 'P-0101', region: 'luoyang', scheme: 'employee', sex: 'male', employment: 'employer', maternityInsured: true, contributionsPaid: true },
    employer: { maternityInsuredSince: '2022-05-01' },
    spouse: { hasEmployer: false, residentMaternityBenefit: false },
    birthDate: '2024-03-10',
  },
  enrollment: { requestId: 'E-0001', person, coverageYear: 2024, paidOn: '2024-03-01', amount: 380, payer: 'self' },
  coverage: { person: { region: 'luoyang', scheme: 'resident', category: 'newborn' }, coverageYear: 2024, paidOn: '2024-05-10' },
  person: { region: 'luoyang', scheme: 'resident', category: 'adult', hardship: 'dibao' },
  openAccount: { id: 'A-0001', kind: 'employee-personal', holderId: 'P-0201', region: '410900', openedOn: '2023-01-01', holder: { category: 'retired', requiredYearsMet: true } },
  creditMonth: { month: '2023-01' },
  holder: { from: '2023-06', category: 'retired', requiredYearsMet: true },
  operation: { requestId: 'A-0001-pay-1', operation: { kind: 'visit-payment', date: '2023-02-01', visitId: 'V-0201', contracted: true, personShare: '25.50' } },
  national,
  nationalReverse: (infno: ReverseInterface) => ({
    msgid: `H1202403021000${infno}01`,
    fixmedins_code: 'H1',
    input: { data: { setl_id: 'S-0001', mdtrt_id: infno === '2305' ? 'V-0003' : 'V-0002', psn_no: 'P-0002' } },
  }),
} as const;
