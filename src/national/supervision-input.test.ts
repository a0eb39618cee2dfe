import { describe, expect, it } from 'vitest';
import { RequestError } from '../request/settle-request.js';
import { loadCodeEdition } from './code-editions.js';
import { checkVisitsOf, LIMITS, parseNationalSupervision } from './supervision-input.js';

type Json = any;

/** An encounter of 表130 with every required field. */
function encounter(over: Record<string, unknown> = {}): Json {
  return {
    mdtrt_id: 'V-2',
    medins_id: 'H1',
    medins_name: '某县人民医院',
    medins_admdvs: '410322',
    medins_type: '1',
    medins_lv: '2',
    adm_date: '2024-03-02 15:00:00',
    dscg_date: '2024-03-02 15:30:00',
    dscg_main_dise_codg: 'J06.900',
    dscg_main_dise_name: '急性上呼吸道感染',
    fsi_diagnose_dtos: [],
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
    acct_payamt: '20.00',
    ma_amt: '5.00',
    setl_totlnum: 1,
    insutype: '390',
    reim_flag: '2',
    out_setl_flag: '0',
    ...over,
  };
}

function message(encounters: Json[], patient: Record<string, unknown> = {}, data: Record<string, unknown> = {}): Json {
  return {
    infno: '3101',
    fixmedins_code: 'H1',
    input: {
      data: {
        patient_dtos: [{ patn_id: 'P-1', patn_name: '张三', gend: '1', brdy: '1980-05-01', poolarea: '410300', curr_mdtrt_id: 'V-2', fsi_encounter_dtos: encounters, ...patient }],
        ...data,
      },
    },
  };
}

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof RequestError) return e.problems;
    throw e;
  }
  throw new Error('expected a RequestError');
};

const visits = (m: Json) => checkVisitsOf(parseNationalSupervision('3101', m));

describe('3101/3102 messages', () => {
  it('checks the current encounter: ids, the card’s time, the visit type and the amounts', () => {
    // cash = 120.00 − 60.00 (hifp) − 20.00 (acct) − 5.00 (ma) = 35.00.
    const history = encounter({ mdtrt_id: 'V-1', adm_date: '2024-03-02 09:00:00', dscg_date: '2024-03-02 09:20:00' });
    expect(visits(message([history, encounter()], {}, { rule_ids: ['SPLIT-DAY', 'SPLIT-DAY'] }))).toEqual({
      visits: [
        {
          personId: 'P-1',
          institutionId: 'H1',
          visitId: 'V-2',
          timeMs: Date.parse('2024-03-02T15:00:00+08:00'),
          visitType: 'outpatient',
          total: 12000,
          fund: 6000,
          account: 2000,
          cash: 3500,
        },
      ],
      ruleIds: ['SPLIT-DAY'],
    });
  });

  it('times a stay at discharge, a purchase at its start; classes med_types without a visit type of their own', () => {
    const stay = encounter({ med_mdtrt_type: '2', med_type: '21', adm_date: '2024-03-01 08:00:00', dscg_date: '2024-03-05 10:00:00' });
    expect(visits(message([stay])).visits[0]).toMatchObject({ timeMs: Date.parse('2024-03-05T10:00:00+08:00'), visitType: 'inpatient' });
    // 52 生育住院 names two yibao types (natural, caesarean): the class, inpatient.
    expect(visits(message([{ ...stay, med_type: '52' }])).visits[0]?.visitType).toBe('inpatient');
    // 41 定点药店购药 has no yibao type: a purchase is outpatient, timed at adm_date.
    const buy = encounter({ med_mdtrt_type: '3', med_type: '41' });
    expect(visits(message([buy])).visits[0]).toMatchObject({ timeMs: Date.parse('2024-03-02T15:00:00+08:00'), visitType: 'outpatient' });
    expect(visits(message([encounter({ med_type: '14' })])).visits[0]?.visitType).toBe('two-diseases');
  });

  it("reads the edition's med_types: Hunan 28 日间手术 a stay (no visit type of its own, the edition's inpatient class), 51 生育门诊; 21 unknown there", () => {
    // 3101's med_type is 字符型 3 (the Hunan edition, 【3101】 field 21): Hunan's four-digit codes cannot be sent.
    const hunan = loadCodeEdition('hunan-v1.1.27');
    const hv = (m: Json) => checkVisitsOf(parseNationalSupervision('3101', m), hunan);
    const stay = encounter({ med_mdtrt_type: '2', med_type: '28', adm_date: '2024-03-01 08:00:00', dscg_date: '2024-03-05 10:00:00' });
    expect(hv(message([stay])).visits[0]?.visitType).toBe('inpatient');
    expect(hv(message([encounter({ med_type: '51' })])).visits[0]?.visitType).toBe('prenatal');
    expect(problems(() => hv(message([encounter({ med_type: '28' })])))).toEqual([
      expect.stringMatching(/med_type: 28 日间手术 is an inpatient med_type, but med_mdtrt_type is 1 门诊$/),
    ]);
    expect(problems(() => hv(message([{ ...stay, med_type: '21' }])))).toEqual([expect.stringMatching(/med_type: unknown med_type "21"/)]);
    expect(problems(() => visits(message([stay])))).toEqual([expect.stringMatching(/med_type: unknown med_type "28"/)]);
  });

  it('leaves out optional amounts as 0: the whole total is cash', () => {
    const e = encounter();
    delete e.hifp_payamt;
    delete e.acct_payamt;
    delete e.ma_amt;
    expect(visits(message([e])).visits[0]).toMatchObject({ total: 12000, fund: 0, account: 0, cash: 12000 });
  });

  it('refuses contradictions, naming each field', () => {
    // 60 + 50 + 20 = 130 > 120.
    expect(problems(() => visits(message([encounter({ acct_payamt: '50.00', ma_amt: '20.00' })])))).toEqual([
      'data.patient_dtos[0].fsi_encounter_dtos[0]: hifp_payamt + acct_payamt + ma_amt (130) exceed medfee_sumamt (120)',
    ]);
    expect(problems(() => visits(message([encounter({ medins_id: 'H2' })])))[0]).toMatch(/medins_id: H2 is not the message's fixmedins_code H1/);
    expect(problems(() => visits(message([encounter({ mdtrt_id: 'V-9' })])))[0]).toMatch(/curr_mdtrt_id: V-2 is none of the patient's fsi_encounter_dtos/);
    expect(problems(() => visits(message([encounter({ med_type: '21' })])))[0]).toMatch(/med_type: 21 普通住院 is an inpatient med_type, but med_mdtrt_type is 1 门诊/);
    expect(problems(() => visits(message([encounter({ med_mdtrt_type: '4' })])))[0]).toMatch(/med_mdtrt_type: 4 其他/);
    expect(problems(() => visits(message([encounter({ med_type: '77' })])))[0]).toMatch(/unknown med_type "77"/);
    expect(problems(() => visits(message([encounter({ dscg_date: '2024-03-02 14:00:00' })])))[0]).toMatch(/dscg_date: before adm_date/);
    expect(problems(() => visits(message([encounter(), encounter()])))[0]).toMatch(/mdtrt_id: V-2 appears twice/);
  });

  it('refuses a field missing, too long, of a code outside its table, and lists over their bounds', () => {
    const e = encounter({ medins_admdvs: '4103221', matn_stas: '7', wardno: 'x'.repeat(21) });
    delete e.dr_codg;
    const lines = problems(() => parseNationalSupervision('3101', message([e], { brdy: '1980-02-30' })));
    expect(lines).toHaveLength(5);
    expect(lines).toEqual(
      expect.arrayContaining([
        'data.patient_dtos[0].brdy: must be a real date yyyy-MM-dd',
        'data.patient_dtos[0].fsi_encounter_dtos[0].medins_admdvs: 数值过大：期望 string <=6 字符（must be at most 6 characters）',
        'data.patient_dtos[0].fsi_encounter_dtos[0].dr_codg: 缺少必填字段，期望 string（must be a string）',
        expect.stringMatching(/^data\.patient_dtos\[0\]\.fsi_encounter_dtos\[0\]\.matn_stas: 无效选项.*（must be one of/),
        'data.patient_dtos[0].fsi_encounter_dtos[0].wardno: 数值过大：期望 string <=20 字符（must be at most 20 characters）',
      ]),
    );
    const many = Array.from({ length: LIMITS.orders + 1 }, () => ({}));
    expect(
      problems(() => parseNationalSupervision('3101', message([encounter({ fsi_order_dtos: many })]))).some((l) =>
        l.endsWith(`fsi_order_dtos: 数值过大：期望 array <=${LIMITS.orders} 项（must hold at most ${LIMITS.orders}）`),
      ),
    ).toBe(true);
    expect(problems(() => parseNationalSupervision('3102', message([encounter()])))).toEqual([
      'infno: the message says 3101, but this is 3102 明细审核事中分析服务 (POST /v1/national/3102)',
    ]);
    expect(problems(() => parseNationalSupervision('3101', { fixmedins_code: 'H1', input: { data: { patient_dtos: [] } } }))).toEqual([
      'data.patient_dtos: 数值过小：期望 array >=1 项（must hold at least one patient）',
    ]);
  });
});
