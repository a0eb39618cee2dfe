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

export const EXAMPLES = {
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
