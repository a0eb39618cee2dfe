import { describe, expect, it } from 'vitest';
import { mapHospitalHeader, normaliseHeader, readHospitalFile } from './hospital-file.js';
import { DetailFileError } from './national-file.js';

function fileError(f: () => unknown): DetailFileError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DetailFileError);
    expect((e as DetailFileError).code).toBe('INVALID_FILE');
    return e as DetailFileError;
  }
  throw new Error('expected a DetailFileError');
}

const CHINESE = ['结算ID', '就诊ID', '人员编号', '医疗费总额', '基金支付总额', '个人账户支出', '退费结算标志'];

describe('normaliseHeader', () => {
  it('drops spaces, a BOM and a yuan unit, and lower-cases ASCII', () => {
    expect(normaliseHeader(' 医疗费总额（元） ')).toBe('医疗费总额');
    expect(normaliseHeader('\uFEFF结算ID')).toBe('结算id');
    expect(normaliseHeader('SETL_ID ')).toBe('setl_id');
    expect(normaliseHeader('基金支付总额 (元)')).toBe('基金支付总额');
  });
});

describe('mapHospitalHeader', () => {
  it('finds each field by its national or Chinese name, in any order, ignoring other columns', () => {
    expect(mapHospitalHeader(['序号', ' 退费结算标志', 'psn_no', '就诊ID', '结算id', '医疗费总额(元)', '基金支付总额（元）', '个人账户支付金额', '备注'])).toEqual({
      refd_setl_flag: 1,
      psn_no: 2,
      mdtrt_id: 3,
      setl_id: 4,
      medfee_sumamt: 5,
      fund_pay_sumamt: 6,
      acct_pay: 7,
    });
  });

  it('names a missing column', () => {
    const e = fileError(() => mapHospitalHeader(['结算ID', '就诊ID', '人员编号', '医疗费总额', '基金支付总额', '退费结算标志']));
    expect(e.message).toBe('header: missing the column acct_pay (个人账户支出)');
    expect(e.details).toEqual({ line: 1, missing: ['acct_pay'] });
    expect(fileError(() => mapHospitalHeader(['结算ID', '就诊ID'])).message).toBe(
      'header: missing the columns psn_no (人员编号), medfee_sumamt (医疗费总额), fund_pay_sumamt (基金支付总额), acct_pay (个人账户支出), refd_setl_flag (退费结算标志)',
    );
  });

  it('refuses two columns for one field', () => {
    const e = fileError(() => mapHospitalHeader([...CHINESE, '个人账户支付金额']));
    expect(e.message).toBe('header: columns 6 ("个人账户支出") and 8 ("个人账户支付金额") both give acct_pay (个人账户支出); keep one');
  });
});

describe('readHospitalFile', () => {
  it('reads rows into detail rows, 否/是 and 0/1 flags, a negative reverse row', () => {
    const rows = readHospitalFile({
      header: ['医疗费总额（元）', '结算ID', '就诊ID', '人员编号', '基金支付总额', '个人账户支出', '退费结算标志', '科室'],
      rows: [
        ['123.45', 'S1', 'M1', 'P1', '100', '3.45', '否', '内科'],
        ['-123.45', ' S2 ', 'M1', 'P1', '-100.00', '-3.45', '是', '内科'],
        ['', '', '', '', '', '', '', ''],
        ['0.10', 'S3', 'M3', 'P3', '0', '0.1', '0', ''],
      ],
    });
    expect(rows).toEqual([
      { setl_id: 'S1', mdtrt_id: 'M1', psn_no: 'P1', medfee_sumamt: 12345, fund_pay_sumamt: 10000, acct_pay: 345, refd_setl_flag: '0' },
      { setl_id: 'S2', mdtrt_id: 'M1', psn_no: 'P1', medfee_sumamt: -12345, fund_pay_sumamt: -10000, acct_pay: -345, refd_setl_flag: '1' },
      { setl_id: 'S3', mdtrt_id: 'M3', psn_no: 'P3', medfee_sumamt: 10, fund_pay_sumamt: 0, acct_pay: 10, refd_setl_flag: '0' },
    ]);
  });

  it('names the line (the header is line 1) and column of a bad cell', () => {
    const table = (row: string[]) => ({ header: CHINESE, rows: [['S1', 'M1', 'P1', '1', '1', '0', '0'], row] });
    expect(fileError(() => readHospitalFile(table(['S2', 'M2', 'P2', '1.234', '1', '0', '0']))).message).toMatch(
      /^line 3, column 4 medfee_sumamt \(医疗费总额\): "1\.234" is not an amount in yuan/,
    );
    expect(fileError(() => readHospitalFile(table(['S2', 'M2', 'P2', '1', '1', '0', 'Y']))).message).toBe(
      'line 3, column 7 refd_setl_flag (退费结算标志): "Y" is not a refund flag: 0 (否) or 1 (是)',
    );
    expect(fileError(() => readHospitalFile(table(['S2', '', 'P2', '1', '1', '0', '0']))).message).toBe('line 3, column 2 mdtrt_id (就诊ID): must not be empty');
    expect(fileError(() => readHospitalFile(table(['S2', 'M2', 'P2', '1', '1']))).message).toBe('line 3: has 5 cells; column 6 acct_pay (个人账户支出) is missing');
  });

  it('refuses more than maxRows rows', () => {
    const row = ['S1', 'M1', 'P1', '1', '1', '0', '0'];
    expect(readHospitalFile({ header: CHINESE, rows: [row, row] }, { maxRows: 2 })).toHaveLength(2);
    expect(fileError(() => readHospitalFile({ header: CHINESE, rows: [row, row, row] }, { maxRows: 2 })).message).toBe('line 4: the file has more than 2 rows');
  });
});
