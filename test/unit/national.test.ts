/**
 * The national interface format without HTTP: code tables, settlements mapped to setlinfo /
 * setldetail (figures computed by hand), the identities over random settlements (property tests,
 * random figures and real engine settlements), and national messages mapped to the project's
 * settle request with problems naming the national fields.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Category, Scheme, VisitType } from '../../src/domain.js';
import { CATEGORIES, EMPLOYEE_CATEGORIES, RESIDENT_CATEGORIES, VISIT_TYPES } from '../../src/domain.js';
import { MemoryAccumulators } from '../../src/engine/accumulators.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { Settlement } from '../../src/engine/types.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { requestProblems } from '../support/problems.js';
import {
  categoryOf,
  countsTowardFund,
  FUND_PAY_TYPES,
  fundPayTypeOf,
  insutypeOf,
  INSUTYPES,
  MED_TYPES,
  medTypeOf,
  nameOf,
  NationalCodeError,
  psnTypeOf,
  schemeOf,
  visitTypeOf,
} from '../../src/national/codes.js';
import { parseNationalReverse, parseNationalSettle, toSettleOne, type Registered, type SettleInterface } from '../../src/national/input.js';
import { figuresOf, figuresOfEntry, nationalSettlement, NationalIdentityError, ratioText, type Figures, type NationalContext } from '../../src/national/setlinfo.js';
import { settlementJson } from '../../src/request/settle-person.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);

const figures = (f: Partial<Figures>): Figures => ({
  total: 0,
  eligible: 0,
  outOfScope: 0,
  deductible: 0,
  fundPay: 0,
  criticalIllnessPay: 0,
  assistancePay: 0,
  accountPay: 0,
  cashPay: 0,
  ratio: null,
  capRemaining: null,
  balanceAfter: null,
  ...f,
});

const context = (c: Partial<NationalContext> = {}): NationalContext => ({
  setlId: 'S-1',
  mdtrtId: 'V-1',
  psnNo: 'P-1',
  scheme: 'resident',
  category: 'adult',
  visitType: 'outpatient',
  setlTime: Date.parse('2024-03-02T10:00:00+08:00'),
  ...c,
});

describe('code tables', () => {
  it('maps the schemes to the two basic insurances and back, refusing the others by name', () => {
    expect(insutypeOf('employee')).toEqual({ code: '310', name: '职工基本医疗保险' });
    expect(insutypeOf('resident')).toEqual({ code: '390', name: '城乡居民基本医疗保险' });
    expect(schemeOf('310')).toBe('employee');
    expect(schemeOf('390')).toBe('resident');
    expect(() => schemeOf('320')).toThrow(/data\.insutype: 320 公务员医疗补助 is not settled by yibao/);
    expect(() => schemeOf('999')).toThrow(/data\.insutype: unknown insutype "999"/);
  });

  it('maps every visit type to a med_type and each settled med_type back', () => {
    for (const t of VISIT_TYPES) {
      const m = medTypeOf(t);
      expect(nameOf(MED_TYPES, m.code)).toBe(m.name);
      if (t !== 'birth-natural' && t !== 'birth-cesarean') expect(visitTypeOf(m.code, undefined)).toBe(t);
    }
    expect(medTypeOf('outpatient').code).toBe('11');
    expect(medTypeOf('inpatient').code).toBe('21');
    expect(medTypeOf('prenatal').code).toBe('51');
    expect(medTypeOf('birth-cesarean').code).toBe('52');
    expect(visitTypeOf('52', 'birth-cesarean')).toBe('birth-cesarean');
    expect(() => visitTypeOf('52', undefined)).toThrow(/yibao\.visit\.type: required for med_type 52 生育住院/);
    expect(() => visitTypeOf('52', 'outpatient')).toThrow(/yibao\.visit\.type: outpatient is not a 52/);
    expect(() => visitTypeOf('13', undefined)).toThrow(NationalCodeError);
    expect(() => visitTypeOf('13', undefined)).toThrow(/data\.med_type: 13 急诊 is not settled by yibao/);
  });

  it('gives psn_type only where a code was found, and refuses the rest', () => {
    expect(psnTypeOf('active')?.code).toBe('11');
    expect(psnTypeOf('retired')?.code).toBe('12');
    for (const c of RESIDENT_CATEGORIES) expect(psnTypeOf(c)).toBeNull();
    expect(categoryOf('1101')).toBe('active');
    expect(categoryOf('12')).toBe('retired');
    expect(() => categoryOf('1501')).toThrow(/data\.psn_type: psn_type "1501" has no yibao category/);
  });

  it('names every fund_pay_type it uses from the table, and keeps the personal account out of the fund sum', () => {
    for (const scheme of ['employee', 'resident'] as Scheme[]) {
      for (const layer of ['pooled', 'critical-illness', 'assistance', 'account'] as const) {
        const t = fundPayTypeOf(layer, scheme);
        if (t) expect(nameOf(FUND_PAY_TYPES, t.code)).toBe(t.name);
      }
    }
    expect(fundPayTypeOf('pooled', 'employee')?.code).toBe('310100');
    expect(fundPayTypeOf('pooled', 'resident')?.code).toBe('390100');
    expect(fundPayTypeOf('critical-illness', 'resident')?.code).toBe('390200');
    expect(fundPayTypeOf('assistance', 'resident')?.code).toBe('610100');
    expect(fundPayTypeOf('account', 'employee')?.code).toBe('310200');
    expect(fundPayTypeOf('account', 'resident')).toBeNull();
    expect(countsTowardFund('310200')).toBe(false);
    expect(countsTowardFund('310100')).toBe(true);
    expect(INSUTYPES.map((c) => c.code)).toContain('392');
  });
});

describe('setlinfo and setldetail of hand-made settlements', () => {
  it('Luoyang 2024 resident at a county hospital: total 300, eligible 250, deductible 50, ratio 50% → fund 100, person 200', () => {
    const out = nationalSettlement(figures({ total: 30_000, eligible: 25_000, outOfScope: 5_000, deductible: 5_000, ratio: 5_000, fundPay: 10_000, cashPay: 20_000 }), context());
    expect(out.setlinfo).toMatchObject({
      setl_id: 'S-1',
      mdtrt_id: 'V-1',
      psn_no: 'P-1',
      insutype: '390',
      psn_type: null,
      med_type: '11',
      setl_time: '2024-03-02 10:00:00',
      medfee_sumamt: '300.00',
      fulamt_ownpay_amt: '50.00',
      overlmt_selfpay: '0.00',
      preselfpay_amt: '0.00',
      inscp_scp_amt: '250.00',
      act_pay_dedc: '50.00',
      hifp_pay: '100.00',
      pool_prop_selfpay: '0.5000',
      hifmi_pay: '0.00',
      hifob_pay: '0.00',
      maf_pay: '0.00',
      fund_pay_sumamt: '100.00',
      psn_part_amt: '200.00',
      acct_pay: '0.00',
      psn_cash_pay: '200.00',
      balc: null,
    });
    expect(out.setldetail).toEqual([
      {
        fund_pay_type: '390100',
        fund_pay_type_name: '城乡居民基本医疗保险基金',
        inscp_scp_amt: '250.00',
        crt_payb_lmt_amt: null,
        fund_payamt: '100.00',
        setl_proc_info: '符合政策范围250.00元，起付线50.00元，支付比例50%，统筹基金支付100.00元',
      },
    ]);
  });

  it('the same visit through the engine (Luoyang 2024, county grade 2) gives the same figures', () => {
    const s = engine.settle(
      { id: 'P-1', region: '410300', scheme: 'resident', category: 'adult' },
      {
        id: 'V-1',
        time: Date.parse('2024-03-02T10:00:00+08:00'),
        type: 'outpatient',
        institution: { id: 'H1', tier: 'county', grade: 2, contracted: true },
        total: 30_000,
        eligible: 25_000,
        useAccount: false,
      },
      new MemoryAccumulators(),
    );
    const { setlinfo } = nationalSettlement(figuresOf(s), context());
    expect(setlinfo).toMatchObject({
      medfee_sumamt: '300.00',
      act_pay_dedc: '50.00',
      hifp_pay: '100.00',
      pool_prop_selfpay: '0.5000',
      fund_pay_sumamt: '100.00',
      psn_part_amt: '200.00',
      psn_cash_pay: '200.00',
    });
    // The entry's JSON (yuan numbers) reads back to the same figures, to the fen.
    expect(figuresOfEntry(settlementJson(s))).toEqual(figuresOf(s));
  });

  it('an employee paying from the personal account: 310100 and 310200 rows, the account outside fund_pay_sumamt', () => {
    // 1000 total, 900 eligible, deductible 100, 80% of 800 = 640 from the fund; the account pays 200 of the 360 left.
    const out = nationalSettlement(
      figures({
        total: 100_000,
        eligible: 90_000,
        outOfScope: 10_000,
        deductible: 10_000,
        ratio: 8_000,
        fundPay: 64_000,
        accountPay: 20_000,
        cashPay: 16_000,
        balanceAfter: 5_050,
        capRemaining: 1_000_000,
      }),
      context({ scheme: 'employee', category: 'retired' }),
    );
    expect(out.setlinfo).toMatchObject({
      insutype: '310',
      psn_type: '12',
      fund_pay_sumamt: '640.00',
      psn_part_amt: '360.00',
      acct_pay: '200.00',
      psn_cash_pay: '160.00',
      balc: '50.50',
      pool_prop_selfpay: '0.8000',
    });
    expect(out.setldetail.map((r) => [r.fund_pay_type, r.fund_pay_type_name, r.fund_payamt, r.crt_payb_lmt_amt])).toEqual([
      ['310100', '职工基本医疗保险统筹基金', '640.00', '10000.00'],
      ['310200', '职工基本医疗保险个人账户基金', '200.00', null],
    ]);
  });

  it('a resident stay with critical illness and assistance: 390100 + 390200 + 610100 make fund_pay_sumamt', () => {
    // 20000 total, 18000 eligible; the pooled fund 10440, 大病保险 3000, 医疗救助 1000, cash 5560.
    const out = nationalSettlement(
      figures({
        total: 2_000_000,
        eligible: 1_800_000,
        outOfScope: 200_000,
        deductible: 60_000,
        ratio: 6_000,
        fundPay: 1_044_000,
        criticalIllnessPay: 300_000,
        assistancePay: 100_000,
        cashPay: 556_000,
      }),
      context({ visitType: 'inpatient' }),
    );
    expect(out.setlinfo).toMatchObject({
      med_type: '21',
      hifp_pay: '10440.00',
      hifmi_pay: '3000.00',
      hifob_pay: '0.00',
      maf_pay: '1000.00',
      fund_pay_sumamt: '14440.00',
      psn_part_amt: '5560.00',
    });
    expect(out.setldetail.map((r) => [r.fund_pay_type, r.fund_payamt])).toEqual([
      ['390100', '10440.00'],
      ['390200', '3000.00'],
      ['610100', '1000.00'],
    ]);
  });

  it("an employee's critical-illness layer is hifob_pay and 330100", () => {
    const out = nationalSettlement(
      figures({ total: 10_000, eligible: 10_000, fundPay: 6_000, criticalIllnessPay: 3_000, cashPay: 1_000, ratio: 6_000 }),
      context({ scheme: 'employee', category: 'active' }),
    );
    expect(out.setlinfo).toMatchObject({ hifmi_pay: '0.00', hifob_pay: '30.00', psn_type: '11', fund_pay_sumamt: '90.00' });
    expect(out.setldetail.map((r) => r.fund_pay_type)).toEqual(['310100', '330100']);
  });

  it('a reversal: the amounts negated, two decimals kept', () => {
    const out = nationalSettlement(figures({ total: -30_005, eligible: -25_000, outOfScope: -5_005, deductible: -5_000, fundPay: -10_000, cashPay: -20_005 }), context());
    expect(out.setlinfo).toMatchObject({ medfee_sumamt: '-300.05', hifp_pay: '-100.00', fund_pay_sumamt: '-100.00', psn_part_amt: '-200.05', pool_prop_selfpay: null });
    expect(out.setldetail[0]?.fund_payamt).toBe('-100.00');
  });

  it('echoes the psn_type and med_type the caller sent, and the msgid as medins_setl_id', () => {
    const out = nationalSettlement(figures({ total: 100, eligible: 100, cashPay: 100 }), context({ psnType: '1501', medType: '14', medinsSetlId: 'H1202403021000000001' }));
    expect(out.setlinfo).toMatchObject({ psn_type: '1501', med_type: '14', medins_setl_id: 'H1202403021000000001' });
  });

  it('refuses figures that break the identities (the check can fail)', () => {
    expect(() => nationalSettlement(figures({ total: 10_000, eligible: 10_000, fundPay: 5_000, cashPay: 4_999 }), context())).toThrow(NationalIdentityError);
  });

  it('writes ratios as 5,4 fractions', () => {
    expect(ratioText(5_000)).toBe('0.5000');
    expect(ratioText(6_250)).toBe('0.6250');
    expect(ratioText(10_000)).toBe('1.0000');
    expect(ratioText(5)).toBe('0.0005');
  });
});

// ---------------------------------------------------------------------------------------------
// Identities over random settlements

const yuanText = /^-?\d+\.\d{2}$/;

/** Yuan text with two decimals back to fen, by its digits (independent of the code under test). */
function parseSigned(text: string): number {
  const m = /^(-?)(\d+)\.(\d{2})$/.exec(text);
  if (!m) throw new Error(`not yuan text with two decimals: ${text}`);
  const v = Number(m[2]) * 100 + Number(m[3]);
  return m[1] ? -v : v;
}

/** Checks the identities on an output, reading its yuan text back to fen. */
function expectIdentities(out: ReturnType<typeof nationalSettlement>): void {
  const s = out.setlinfo;
  for (const [k, v] of Object.entries(s)) if (k.endsWith('_amt') || k.endsWith('_pay') || k === 'balc') if (v !== null) expect(v, k).toMatch(yuanText);
  const f = (k: keyof typeof s) => parseSigned(s[k] as string);
  expect(f('fund_pay_sumamt') + f('psn_part_amt')).toBe(f('medfee_sumamt'));
  expect(f('acct_pay') + f('psn_cash_pay')).toBe(f('psn_part_amt'));
  const fundRows = out.setldetail.filter((r) => countsTowardFund(r.fund_pay_type)).reduce((sum, r) => sum + parseSigned(r.fund_payamt), 0);
  expect(fundRows).toBe(f('fund_pay_sumamt'));
  expect(f('hifp_pay') + f('hifmi_pay') + f('hifob_pay') + f('maf_pay')).toBe(f('fund_pay_sumamt'));
  for (const r of out.setldetail) expect(r.fund_payamt).toMatch(yuanText);
}

const fen = fc.integer({ min: 0, max: 5_000_000_000 });
const categoryFor = (scheme: Scheme) => fc.constantFrom<Category>(...(scheme === 'employee' ? EMPLOYEE_CATEGORIES : RESIDENT_CATEGORIES));
const randomSettlement = fc
  .record({
    fundPay: fen,
    criticalIllnessPay: fen,
    assistancePay: fen,
    accountPay: fen,
    cashPay: fen,
    outOfScope: fen,
    deductible: fen,
    ratio: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
    capRemaining: fc.option(fen, { nil: null }),
    balanceAfter: fc.option(fen, { nil: null }),
    scheme: fc.constantFrom<Scheme>('employee', 'resident'),
    visitType: fc.constantFrom<VisitType>(...VISIT_TYPES),
    reversal: fc.boolean(),
  })
  .chain((r) => categoryFor(r.scheme).map((category) => ({ ...r, category })));

describe('identities (property)', () => {
  it('hold for random settlements and their reversals', () => {
    fc.assert(
      fc.property(randomSettlement, (r) => {
        const total = r.fundPay + r.criticalIllnessPay + r.assistancePay + r.accountPay + r.cashPay;
        const sign = r.reversal ? -1 : 1;
        const n = (v: number) => (v === 0 ? 0 : sign * v);
        const f = figures({
          total: n(total),
          eligible: n(Math.max(0, total - r.outOfScope)),
          outOfScope: n(Math.min(total, r.outOfScope)),
          deductible: n(r.deductible),
          fundPay: n(r.fundPay),
          criticalIllnessPay: n(r.criticalIllnessPay),
          assistancePay: n(r.assistancePay),
          accountPay: n(r.accountPay),
          cashPay: n(r.cashPay),
          ratio: r.ratio,
          capRemaining: r.capRemaining,
          balanceAfter: r.balanceAfter,
        });
        const out = nationalSettlement(f, context({ scheme: r.scheme, category: r.category, visitType: r.visitType }));
        expectIdentities(out);
        expect(parseSigned(out.setlinfo.medfee_sumamt)).toBe(f.total);
      }),
      { numRuns: 500 },
    );
  });

  it('hold for real engine settlements of random Luoyang and Puyang visits', () => {
    const visitArb = fc.record({
      total: fc.integer({ min: 0, max: 2_000_000 }),
      share: fc.integer({ min: 0, max: 100 }),
      day: fc.integer({ min: 0, max: 700 }),
      type: fc.constantFrom<VisitType>('outpatient', 'inpatient', 'two-diseases'),
      tier: fc.constantFrom('primary', 'county', 'city', 'province' as const),
      grade: fc.constantFrom(0, 1, 2, 3),
      person: fc.constantFrom(
        { id: 'P', region: '410300', scheme: 'resident' as const, category: 'adult' as Category },
        { id: 'P', region: '410900', scheme: 'employee' as const, category: 'retired' as Category },
      ),
    });
    fc.assert(
      fc.property(fc.array(visitArb, { minLength: 1, maxLength: 8 }), (visits) => {
        const acc = new MemoryAccumulators();
        visits
          .sort((a, b) => a.day - b.day)
          .forEach((v, i) => {
            let s: Settlement;
            try {
              s = engine.settle(
                v.person,
                {
                  id: `V${i}`,
                  time: Date.parse('2024-01-01T10:00:00+08:00') + v.day * 86_400_000,
                  type: v.type,
                  institution: { id: `H-${v.tier}-${v.grade}`, tier: v.tier, grade: v.grade as 0 | 1 | 2 | 3, contracted: true },
                  total: v.total,
                  eligible: Math.floor((v.total * v.share) / 100),
                  useAccount: false,
                },
                acc,
              );
            } catch {
              return; // the documents cannot settle it (a missing parameter): nothing to map
            }
            acc.apply(s.changes);
            const out = nationalSettlement(figuresOf(s), context({ scheme: v.person.scheme, category: v.person.category, visitType: v.type }));
            expectIdentities(out);
            expect(figuresOfEntry(settlementJson(s))).toEqual(figuresOf(s));
          });
      }),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Input mapping

const message = (data: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  infno: '2207',
  msgid: 'H1202403021000000001',
  insuplc_admdvs: '410300',
  fixmedins_code: 'H1',
  inf_time: '2024-03-02 10:00:00',
  input: { data: { psn_no: 'P-1', med_type: '11', medfee_sumamt: 300, mdtrt_id: 'V-1', insutype: '390', inscp_scp_amt: '250.00', ...data } },
  yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true } },
  ...more,
});

function mapped(infno: SettleInterface, body: unknown, registered: Registered = {}) {
  return toSettleOne(infno, parseNationalSettle(infno, body), registered, policies);
}

describe('national messages → the project request', () => {
  it('maps a 2207 message with the extension block', () => {
    const n = mapped('2207', message({ acct_used_flag: '0' }));
    expect(n.one.requestId).toBe('nat-2207-H1202403021000000001');
    expect(n.one.person).toMatchObject({ id: 'P-1', region: '410300', scheme: 'resident', category: 'adult' });
    expect(n.one.visit).toMatchObject({
      id: 'V-1',
      type: 'outpatient',
      total: 30_000,
      eligible: 25_000,
      useAccount: false,
      institution: { id: 'H1', tier: 'county', grade: 2, contracted: true },
    });
    expect(n.one.visit.time).toBe(Date.parse('2024-03-02T10:00:00+08:00'));
    expect(n.medType).toBe('11');
  });

  it('takes what the message lacks from the ledger, and eligible from the out-of-range parts', () => {
    const { yibao: _ignored, ...bare } = message(
      { inscp_scp_amt: undefined, fulamt_ownpay_amt: '30', overlmt_selfpay: '15.5', preselfpay_amt: '4.50' },
      { insuplc_admdvs: undefined },
    );
    const n = mapped('2207', bare, {
      person: { region: '410300', scheme: 'resident', category: 'child', hardship: 'dibao', familyDoctorAt: null, employment: null, accountReformed: null },
      institution: { tier: 'county', grade: 2, contracted: true },
    });
    expect(n.one.person).toMatchObject({ region: '410300', category: 'child', hardship: 'dibao' });
    expect(n.one.visit.eligible).toBe(25_000);
  });

  it('reads an employee category from psn_type 11/12 and echoes it', () => {
    const n = mapped('2207', message({ insutype: '310', psn_type: '1201' }, { insuplc_admdvs: '410900', yibao: { institution: { tier: 'county', grade: 2, contracted: true } } }));
    expect(n.one.person).toMatchObject({ scheme: 'employee', category: 'retired' });
    expect(n.psnType).toBe('1201');
  });

  it('maps 2304 (no med_type: 21) and 52 with the birth chosen in the extension', () => {
    const stay = message(
      { med_type: undefined },
      { infno: '2304', yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true }, visit: { admittedAt: '2024-02-27T09:00:00+08:00' } } },
    );
    const n = mapped('2304', stay);
    expect(n.one.visit).toMatchObject({ type: 'inpatient', admittedAt: Date.parse('2024-02-27T09:00:00+08:00') });
    expect(n.one.requestId).toBe('nat-2304-H1202403021000000001');
    const birth = mapped(
      '2304',
      message(
        { med_type: '52' },
        { infno: '2304', yibao: { person: { category: 'adult' }, institution: { tier: 'county', grade: 2, contracted: true }, visit: { type: 'birth-cesarean' } } },
      ),
    );
    expect(birth.one.visit.type).toBe('birth-cesarean');
  });

  it('needs no request id for a pre-settle', () => {
    const { msgid: _m, ...noMsgid } = message({}, { infno: '2206' });
    expect(mapped('2206', noMsgid).one.requestId).toBe('');
  });

  it('names the national field of every problem', () => {
    expect(requestProblems(() => mapped('2207', message({ medfee_sumamt: 'abc' })))).toEqual([expect.stringMatching(/^data\.medfee_sumamt: must be an amount in yuan/)]);
    expect(requestProblems(() => mapped('2207', message({ medfee_sumamt: 12.345 })))[0]).toMatch(/^data\.medfee_sumamt: must have at most two decimal places/);
    expect(requestProblems(() => mapped('2207', message({ mdtrt_id: undefined })))).toEqual(['data.mdtrt_id: 缺少必填字段，期望 string（must be a string）']);
    expect(requestProblems(() => mapped('2207', message({ surprise: 1 })))[0]).toMatch(/^data: /);
    expect(requestProblems(() => mapped('2207', message({}, { fixmedins_code: '' })))).toEqual(['fixmedins_code: 数值过小：期望 string >=1 字符（must not be empty）']);
    expect(requestProblems(() => mapped('2207', message({ med_type: '13' })))).toEqual([expect.stringMatching(/^data\.med_type: 13 急诊 is not settled by yibao/)]);
    expect(requestProblems(() => mapped('2207', message({ med_type: '21' })))).toEqual([
      expect.stringMatching(/^data\.med_type: 21 普通住院 is an inpatient med_type; settle it with 2303\/2304, not 2207/),
    ]);
    expect(requestProblems(() => mapped('2207', message({ insutype: '392' })))).toEqual([expect.stringMatching(/^data\.insutype: 392 城乡居民大病医疗保险 is not settled/)]);
    expect(requestProblems(() => mapped('2207', message({ inscp_scp_amt: 250, fulamt_ownpay_amt: 40 })))).toEqual([
      expect.stringMatching(/^data\.inscp_scp_amt: 250\.00 with .* must make medfee_sumamt 300\.00, but make 290\.00/),
    ]);
    expect(requestProblems(() => mapped('2207', message({ inscp_scp_amt: 350 })))).toEqual(['data.inscp_scp_amt: must not exceed total']);
    expect(requestProblems(() => mapped('2207', message({ acct_used_flag: 'Y' })))[0]).toMatch(/^data\.acct_used_flag: 无效选项.*（must be "0" \(否\) or "1" \(是\)）/);
    expect(requestProblems(() => mapped('2207', message({}, { msgid: undefined })))).toEqual([expect.stringMatching(/^msgid: required for 2207/)]);
    expect(requestProblems(() => mapped('2207', message({}, { inf_time: '2024-03-02T10:00:00' })))[0]).toMatch(/^inf_time: 格式不符（must be a time yyyy-MM-dd HH:mm:ss/);
    expect(requestProblems(() => mapped('2207', message({}, { inf_time: '2024-02-30 10:00:00' })))[0]).toMatch(/^inf_time: must be a real date and time/);
    expect(requestProblems(() => mapped('2207', message({}, { inf_time: undefined })))).toEqual([expect.stringMatching(/^inf_time: required/)]);
    expect(requestProblems(() => mapped('2207', message({}, { infno: '2206' })))).toEqual([expect.stringMatching(/^infno: the message says 2206, but this is 2207/)]);
    expect(requestProblems(() => mapped('2207', message({}, { insuplc_admdvs: '999999' })))[0]).toMatch(/^insuplc_admdvs: unknown region "999999"/);
    expect(requestProblems(() => mapped('2304', message({ mid_setl_flag: '1', med_type: undefined }, { infno: '2304' })))).toEqual([
      expect.stringMatching(/^data\.mid_setl_flag: 中途结算/),
    ]);
    expect(requestProblems(() => mapped('2304', message({ med_type: '52' }, { infno: '2304' })))).toEqual([expect.stringMatching(/^yibao\.visit\.type: required for med_type 52/)]);
  });

  it('names the extension or the ledger where a field came from there', () => {
    expect(requestProblems(() => mapped('2207', message({}, { yibao: { institution: { tier: 'county', grade: 2, contracted: true } } })))).toEqual([
      expect.stringMatching(/^yibao\.person\.category: required: person P-1 is not in the ledger/),
    ]);
    expect(requestProblems(() => mapped('2207', message({}, { yibao: { person: { category: 'adult' } } })))).toEqual([
      expect.stringMatching(/^yibao\.institution: required: institution H1 \(fixmedins_code\) is not in the ledger/),
    ]);
    expect(requestProblems(() => mapped('2207', message({}, { yibao: { person: { category: 'active' }, institution: { tier: 'county', grade: 2, contracted: true } } })))).toEqual([
      'yibao.person.category: active is not a resident category (adult | child | student | newborn)',
    ]);
    expect(
      requestProblems(() => mapped('2207', message({}, { yibao: { person: { category: 'elder' }, institution: { tier: 'county', grade: 2, contracted: true } } })))[0],
    ).toMatch(/^yibao\.person\.category: 无效选项：期望以下之一 .*（must be one of/);
    const { yibao: _y, ...bare } = message({ insutype: '310' });
    expect(
      requestProblems(() =>
        mapped('2207', bare, {
          person: { region: '410300', scheme: 'resident', category: 'adult', hardship: null, familyDoctorAt: null, employment: null, accountReformed: null },
          institution: { tier: 'county', grade: 2, contracted: true },
        }),
      ),
    ).toEqual(["the ledger's person P-1: its category (give yibao.person.category): adult is not a employee category (active | retired)"]);
    // A psn_type yibao cannot read is still echoed when the category is given.
    expect(mapped('2207', message({ psn_type: '1501' })).psnType).toBe('1501');
  });

  it('a resident psn_type without a category is refused naming data.psn_type', () => {
    expect(requestProblems(() => mapped('2207', message({ psn_type: '1501' }, { yibao: { institution: { tier: 'county', grade: 2, contracted: true } } })))).toEqual([
      expect.stringMatching(/^data\.psn_type: psn_type "1501" has no yibao category/),
    ]);
  });

  it('maps 2208 and 2305 to a reversal with the msgid as request id', () => {
    const r = parseNationalReverse('2208', { msgid: 'H1202403021000000002', fixmedins_code: 'H1', input: { data: { setl_id: 'S-1', mdtrt_id: 'V-1', psn_no: 'P-1' } } });
    expect(r).toMatchObject({ setlId: 'S-1', mdtrtId: 'V-1', psnNo: 'P-1', fixmedinsCode: 'H1', requestId: 'nat-2208-H1202403021000000002' });
    expect(requestProblems(() => parseNationalReverse('2305', { fixmedins_code: 'H1', input: { data: { setl_id: 'S-1', mdtrt_id: 'V-1', psn_no: 'P-1' } } }))).toEqual([
      expect.stringMatching(/^msgid: required for 2305/),
    ]);
    expect(requestProblems(() => parseNationalReverse('2208', { msgid: 'm1', fixmedins_code: 'H1', input: { data: { mdtrt_id: 'V-1', psn_no: 'P-1' } } }))).toEqual([
      'data.setl_id: 缺少必填字段，期望 string（must be a string）',
    ]);
    expect(
      requestProblems(() =>
        parseNationalReverse('2208', { msgid: 'm1', fixmedins_code: 'H1', input: { data: { setl_id: 'S', mdtrt_id: 'V-1', psn_no: 'P-1' } }, yibao: { person: {} } }),
      )[0],
    ).toMatch(/^yibao: /);
  });
});

describe('every category has a scheme', () => {
  it('(sanity of the generators above)', () => {
    expect([...EMPLOYEE_CATEGORIES, ...RESIDENT_CATEGORIES].sort()).toEqual([...CATEGORIES].sort());
  });
});
