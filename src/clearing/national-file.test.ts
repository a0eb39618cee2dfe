import { describe, expect, it } from 'vitest';
import type { DetailRow } from './detail.js';
import { DetailFileError, formatDetailFile, formatResultFile, parseDetailFile, type ResultFileRow } from './national-file.js';

const ROW_A: DetailRow = { setl_id: 'S001', mdtrt_id: 'M001', psn_no: 'P001', medfee_sumamt: 12345, fund_pay_sumamt: 10000, acct_pay: 345, refd_setl_flag: '0' };
const ROW_R: DetailRow = { setl_id: 'S002', mdtrt_id: 'M001', psn_no: 'P001', medfee_sumamt: -12345, fund_pay_sumamt: -10000, acct_pay: -345, refd_setl_flag: '1' };
const LINE_A = 'S001\tM001\tP001\t123.45\t100.00\t3.45\t0';
const LINE_R = 'S002\tM001\tP001\t-123.45\t-100.00\t-3.45\t1';

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

describe('parseDetailFile', () => {
  it('reads the seven columns in the order of 表150, yuan to fen, a reverse row negative', () => {
    expect(parseDetailFile(`${LINE_A}\n${LINE_R}\n`)).toEqual([ROW_A, ROW_R]);
  });

  it('reads amounts with no or one decimal', () => {
    const [row] = parseDetailFile('S1\tM1\tP1\t7\t0.5\t0\t0');
    expect(row).toMatchObject({ medfee_sumamt: 700, fund_pay_sumamt: 50, acct_pay: 0 });
    expect(Object.is(parseDetailFile('S1\tM1\tP1\t-0.00\t0\t0\t1')[0]?.medfee_sumamt, 0)).toBe(true);
  });

  it('tolerates a BOM, CRLF, trailing newlines and a header of the field names', () => {
    const text = `\uFEFFsetl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\trefd_setl_flag\r\n${LINE_A}\r\n${LINE_R}\r\n\r\n`;
    expect(parseDetailFile(text)).toEqual([ROW_A, ROW_R]);
    expect(parseDetailFile(LINE_A)).toEqual([ROW_A]);
    expect(parseDetailFile('')).toEqual([]);
    expect(parseDetailFile('\uFEFF\n')).toEqual([]);
  });

  it('refuses a header that is not the field names in order', () => {
    const e = fileError(() => parseDetailFile(`setl_id\tpsn_no\tmdtrt_id\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\trefd_setl_flag\n${LINE_A}`));
    expect(e.message).toMatch(/^line 1: a header/);
  });

  it('refuses a wrong column count, naming the line', () => {
    const e = fileError(() => parseDetailFile(`${LINE_A}\nS3\tM3\tP3\t1.00\t1.00\t0\n`));
    expect(e.message).toBe('line 2: has 6 columns; a row has 7 separated by tabs (setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag)');
    expect(e.details).toEqual({ line: 2 });
    expect(fileError(() => parseDetailFile(`${LINE_A}\t`)).message).toMatch(/^line 1: has 8 columns/);
    expect(fileError(() => parseDetailFile('S1,M1,P1,1,1,0,0')).message).toMatch(/^line 1: has 1 column;/);
  });

  it('refuses an empty line inside the file', () => {
    expect(fileError(() => parseDetailFile(`${LINE_A}\n\n${LINE_R}`)).message).toBe('line 2: empty line inside the file');
  });

  it('refuses bad amounts, naming line and column', () => {
    const e = fileError(() => parseDetailFile(`${LINE_A}\nS3\tM3\tP3\t12.345\t1.00\t0\t0`));
    expect(e.message).toMatch(/^line 2, column 4 medfee_sumamt \(医疗费总额\): "12\.345" is not an amount in yuan/);
    expect(e.details).toEqual({ line: 2, column: 4, field: 'medfee_sumamt' });
    for (const bad of ['', 'abc', '1e3', '--1', '1,000.00', '¥5', '100000000.01']) {
      expect(fileError(() => parseDetailFile(`S3\tM3\tP3\t1.00\t${bad}\t0\t0`)).message).toMatch(/^line 1, column 5 fund_pay_sumamt \(基金支付总额\)/);
    }
    expect(fileError(() => parseDetailFile(`S3\tM3\tP3\t1.00\t1.00\tx\t0`)).message).toMatch(/^line 1, column 6 acct_pay \(个人账户支出\)/);
  });

  it('refuses a flag other than 0 or 1', () => {
    for (const bad of ['2', '', '否', 'Y', '01']) {
      const e = fileError(() => parseDetailFile(`S3\tM3\tP3\t1.00\t1.00\t0\t${bad}`));
      expect(e.message).toMatch(/^line 1, column 7 refd_setl_flag \(退费结算标志\): .* is not a refund flag: 0 \(否\) or 1 \(是\)$/);
    }
  });

  it("refuses empty ids and ids over 128 characters; reads the ledger's own (38 characters)", () => {
    expect(fileError(() => parseDetailFile('S3\t \tP3\t1.00\t1.00\t0\t0')).message).toBe('line 1, column 2 mdtrt_id (就诊ID): must not be empty');
    const long = 'X'.repeat(129);
    expect(fileError(() => parseDetailFile(`${long}\tM3\tP3\t1.00\t1.00\t0\t0`)).message).toBe('line 1, column 1 setl_id (结算ID): is 129 characters long; at most 128 are read');
    expect(parseDetailFile(`${'X'.repeat(128)}\tM3\t人员编号三十\t1.00\t1.00\t0\t0`)[0]?.setl_id).toHaveLength(128);
    const ledgerId = 'S-01900000-0000-7000-8000-000000000000';
    expect(parseDetailFile(`${ledgerId}\tM3\tP3\t1.00\t1.00\t0\t0`)[0]?.setl_id).toBe(ledgerId);
    expect(fileError(() => parseDetailFile(`S3\tM3\t${'人'.repeat(129)}\t1.00\t1.00\t0\t0`)).message).toMatch(/^line 1, column 3 psn_no \(人员编号\): is 129 characters/);
  });

  it('refuses more than maxRows rows, the header not counted', () => {
    const header = 'setl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\trefd_setl_flag';
    expect(parseDetailFile(`${header}\n${LINE_A}\n${LINE_R}\n`, { maxRows: 2 })).toHaveLength(2);
    const e = fileError(() => parseDetailFile(`${header}\n${LINE_A}\n${LINE_R}\n${LINE_A}\n`, { maxRows: 2 }));
    expect(e.message).toBe('line 4: the file has more than 2 rows');
  });
});

describe('formatDetailFile', () => {
  it('writes 表150 lines with yuan amounts, and parseDetailFile reads them back', () => {
    const text = formatDetailFile([ROW_A, ROW_R]);
    expect(text).toBe(`${LINE_A}\n${LINE_R}\n`);
    expect(parseDetailFile(text)).toEqual([ROW_A, ROW_R]);
    expect(formatDetailFile([])).toBe('');
  });

  it('refuses values the file cannot carry, naming the row', () => {
    expect(fileError(() => formatDetailFile([ROW_A, { ...ROW_R, mdtrt_id: 'M\t1' }])).message).toBe('row 2, column 2 mdtrt_id (就诊ID): must not contain a tab or a line break');
    expect(fileError(() => formatDetailFile([{ ...ROW_A, acct_pay: 1.5 }])).message).toMatch(/^row 1, column 6 acct_pay/);
    expect(fileError(() => formatDetailFile([{ ...ROW_A, setl_id: '' }])).message).toMatch(/^row 1, column 1 setl_id \(结算ID\): must not be empty/);
  });
});

describe('formatResultFile', () => {
  it('writes the ten columns of 表151 in order, memo flattened', () => {
    const rows: ResultFileRow[] = [
      {
        psn_no: 'P001',
        mdtrt_id: 'M001',
        setl_id: 'S001',
        msgid: 'MSG1',
        stmt_rslt: '0',
        refd_setl_flag: '0',
        memo: '',
        medfee_sumamt: 12345,
        fund_pay_sumamt: 10000,
        acct_pay: 345,
      },
      {
        psn_no: 'P002',
        mdtrt_id: '',
        setl_id: '',
        msgid: '',
        stmt_rslt: '1',
        refd_setl_flag: '1',
        memo: '医保端无此结算记录\t第二句\n',
        medfee_sumamt: -5,
        fund_pay_sumamt: 0,
        acct_pay: -5,
      },
    ];
    expect(formatResultFile(rows)).toBe('P001\tM001\tS001\tMSG1\t0\t0\t\t123.45\t100.00\t3.45\nP002\t\t\t\t1\t1\t医保端无此结算记录 第二句\t-0.05\t0.00\t-0.05\n');
  });

  it('cuts a memo to 500 characters', () => {
    const row: ResultFileRow = {
      psn_no: 'P',
      mdtrt_id: 'M',
      setl_id: 'S',
      msgid: '',
      stmt_rslt: '1',
      refd_setl_flag: '0',
      memo: '不'.repeat(600),
      medfee_sumamt: 0,
      fund_pay_sumamt: 0,
      acct_pay: 0,
    };
    const memo = formatResultFile([row]).split('\t')[6] as string;
    expect([...memo]).toHaveLength(500);
    expect(memo.endsWith('不…')).toBe(true);
  });

  it('refuses a bad result code', () => {
    const row = { psn_no: 'P', mdtrt_id: 'M', setl_id: 'S', msgid: '', stmt_rslt: '2', refd_setl_flag: '0', memo: '', medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0 };
    expect(fileError(() => formatResultFile([row as unknown as ResultFileRow])).message).toBe('row 1, column 5 stmt_rslt: "2" is not a result: 0 (平) or 1 (不平)');
  });
});
