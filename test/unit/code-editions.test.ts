/**
 * Editions of the national code tables (src/national/code-editions.ts): the default (national) is
 * what codes.ts always answered; the Hunan V1.1.27 edition reads and answers its own codes; a
 * user's file may map a layer to a code of its own table; a bad file is refused naming each problem.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inpatientMedTypes, isInpatientMedType, loadCodeEdition, NATIONAL_CODES, parseCodeEdition } from '../../src/national/code-editions.js';
import { parseRegister, parseVisitInfo } from '../../src/national/visit-input.js';
import { RequestError } from '../../src/request/settle-request.js';
import { categoryOf, countsTowardFund, fundPayTypeOf, insutypeOf, medTypeOf, NationalCodeError, psnTypeOf, schemeOf, visitTypeOf } from '../../src/national/codes.js';

const hunan = loadCodeEdition('hunan-v1.1.27');

describe('code editions', () => {
  it('national is the default: the codes yibao has always answered', () => {
    expect(loadCodeEdition('national')).toEqual(NATIONAL_CODES);
    expect([medTypeOf('inpatient').code, medTypeOf('two-diseases').code, fundPayTypeOf('critical-illness', 'resident')?.code, fundPayTypeOf('account', 'resident')]).toEqual([
      '21',
      '14',
      '390200',
      null,
    ]);
    expect([categoryOf('1101'), categoryOf('12')]).toEqual(['active', 'retired']);
    expect(() => categoryOf('15')).toThrow('psn_type "15" has no yibao category (only 11 在职 and 12 退休 are mapped)');
    expect(() => schemeOf('392')).toThrow('392 城乡居民大病医疗保险 is not settled by yibao; it settles 310 职工基本医疗保险 and 390 城乡居民基本医疗保险');
  });

  it('Hunan V1.1.27 (§6): 2101 普通住院, 9901 门诊两病, its psn_types, 390200 and the family account 390500', () => {
    expect(medTypeOf('inpatient', hunan)).toEqual({ code: '2101', name: '普通住院' });
    expect(medTypeOf('two-diseases', hunan)).toEqual({ code: '9901', name: '门诊两病' });
    expect(visitTypeOf('2101', undefined, 'data.med_type', hunan)).toBe('inpatient');
    expect(visitTypeOf('9901', undefined, 'data.med_type', hunan)).toBe('two-diseases');
    expect(visitTypeOf('2107', undefined, 'data.med_type', hunan)).toBe('birth-cesarean');
    // 21 is not in Hunan's table: refused naming the med_types it reads.
    expect(() => visitTypeOf('21', undefined, 'data.med_type', hunan)).toThrow(/unknown med_type "21" is not settled by yibao; it settles 11 普通门诊, 51 生育门诊/);
    expect(() => visitTypeOf('14', undefined, 'data.med_type', hunan)).toThrow(NationalCodeError);
    expect([categoryOf('1403', 'data.psn_type', hunan), categoryOf('1112', 'data.psn_type', hunan), categoryOf('116013', 'data.psn_type', hunan)]).toEqual([
      'student',
      'retired',
      'active',
    ]);
    expect(() => categoryOf('116003', 'data.psn_type', hunan)).toThrow(/失业人员|has no yibao category/);
    expect(psnTypeOf('adult', hunan)).toEqual({ code: '15', name: '居民（成年）' });
    expect(insutypeOf('resident', hunan)).toEqual({ code: '390', name: '城乡居民基本医疗保险' });
    expect(fundPayTypeOf('critical-illness', 'resident', hunan)).toEqual({ code: '390200', name: '城乡居民大病医疗保险基金' });
    expect(fundPayTypeOf('pooled', 'employee', hunan)).toEqual({ code: '310100', name: '城镇职工基本医疗保险统筹基金' });
    expect(fundPayTypeOf('account', 'resident', hunan)).toEqual({ code: '390500', name: '居民家庭账户金' });
    expect([countsTowardFund('390500', hunan), countsTowardFund('390200', hunan)]).toEqual([false, true]);
  });

  it("a user's edition maps critical illness to a code of its own; a bad one is refused naming every problem", () => {
    const mine = JSON.parse(readFileSync(new URL('../../codes/national.json', import.meta.url), 'utf8'));
    mine.name = 'my-province';
    mine.fund_pay_type.codes['391100'] = '城乡居民大病保险基金（本省）';
    mine.fund_pay_type.layer['critical-illness'].resident = '391100';
    const e = parseCodeEdition(JSON.stringify(mine), 'my-province.json');
    expect(fundPayTypeOf('critical-illness', 'resident', e)).toEqual({ code: '391100', name: '城乡居民大病保险基金（本省）' });
    mine.med_type.visitType.inpatient = '2101';
    delete mine.insutype.scheme.employee;
    let problems: string[] = [];
    try {
      parseCodeEdition(JSON.stringify(mine), 'bad.json');
    } catch (err) {
      expect((err as NationalCodeError).code).toBe('INVALID_FILE');
      problems = (err as { details: { problems: string[] } }).details.problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^insutype\.scheme\.employee: /)]);
    delete mine.insutype;
    mine.insutype = { codes: { '310': 'x', '390': 'y' }, scheme: { employee: '310', resident: '390' } };
    expect(() => parseCodeEdition(JSON.stringify(mine), 'bad.json')).toThrow('med_type.visitType.inpatient: 2101 is not in this edition');
    expect(() => loadCodeEdition('no-such-edition')).toThrow(/neither a built-in code edition \(national, hunan-v1\.1\.27\) nor a readable file/);
  });

  it("names a stay's med_types: the Hunan edition its own (in its order), the default the national table's and Hunan's as always", () => {
    expect(inpatientMedTypes(hunan).map(([c]) => c)).toEqual(['2101', '2102', '21303', '2105', '2106', '2107', '2109', '22', '28', '52']);
    expect(inpatientMedTypes(NATIONAL_CODES).map(([c]) => c)).toEqual(['21', '22', '23', '24', '28', '52', '92', '2101', '2102', '2105', '2106', '2107', '2109', '21303']);
    expect([isInpatientMedType(hunan, '2101'), isInpatientMedType(hunan, '21'), isInpatientMedType(hunan, '9901')]).toEqual([true, false, false]);
    expect([isInpatientMedType(NATIONAL_CODES, '21'), isInpatientMedType(NATIONAL_CODES, '2101'), isInpatientMedType(NATIONAL_CODES, '14')]).toEqual([true, false, false]);
    const mine = JSON.parse(readFileSync(new URL('../../codes/hunan-v1.1.27.json', import.meta.url), 'utf8'));
    mine.med_type.inpatient = ['2101', '21'];
    expect(() => parseCodeEdition(JSON.stringify(mine), 'bad.json')).toThrow('med_type.inpatient[1]: 21 is not in this edition');
  });

  it('2201 and 2203 read the edition: 9901 门诊两病 an outpatient med_type of Hunan, 2101 an inpatient one, 12 unknown there, 392 refused', () => {
    const problems = (f: () => unknown): string[] => {
      try {
        f();
      } catch (e) {
        if (e instanceof RequestError) return e.problems;
        throw e;
      }
      return [];
    };
    const info = (medType: string) => ({
      infno: '2203',
      msgid: 'M1',
      fixmedins_code: 'H1',
      input: {
        mdtrtinfo: { mdtrt_id: 'V1', psn_no: 'P1', med_type: medType, begntime: '2024-03-02 09:00:00', dise_codg: 'I10.x00', dise_name: '高血压' },
        diseinfo: [],
      },
    });
    expect(parseVisitInfo(info('9901'), hunan).medType).toBe('9901');
    expect(problems(() => parseVisitInfo(info('9901')))).toEqual([expect.stringMatching(/^mdtrtinfo\.med_type: unknown 医疗类别 "9901" \(11, 12, /)]);
    expect(problems(() => parseVisitInfo(info('2101'), hunan))).toEqual([expect.stringMatching(/^mdtrtinfo\.med_type: 2101 普通住院 is an inpatient 医疗类别/)]);
    expect(problems(() => parseVisitInfo(info('14'), hunan))).toEqual([]);
    expect(problems(() => parseVisitInfo(info('12'), hunan))).toEqual([expect.stringMatching(/^mdtrtinfo\.med_type: unknown 医疗类别 "12" in hunan-v1\.1\.27/)]);
    const reg = {
      infno: '2201',
      msgid: 'M2',
      fixmedins_code: 'H1',
      input: {
        data: {
          psn_no: 'P1',
          insutype: '392',
          begntime: '2024-03-02 09:00:00',
          mdtrt_cert_type: '02',
          mdtrt_cert_no: '410302198001010019',
          psn_cert_type: '01',
          certno: '410302198001010019',
          psn_type: '15',
          psn_name: '张三',
          ipt_otp_no: 'MZ1',
          dept_code: 'NK',
          dept_name: '内科',
          caty: 'A03',
        },
      },
    };
    expect(problems(() => parseRegister(reg, hunan))).toEqual([
      'data.insutype: 392 城乡居民大病医疗保险 is not settled by yibao; it settles 310 职工基本医疗保险 and 390 城乡居民基本医疗保险',
    ]);
  });
});
