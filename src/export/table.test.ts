import { describe, expect, it } from 'vitest';
import { type Column, cellJson, cellText, chinaDateTimeText, checkTables, type Table } from './table.js';

const fen: Column = { key: 'amount', header: '医疗费总额（元）', kind: 'fen' };
const count: Column = { key: 'n', header: '人次', kind: 'count' };
const date: Column = { key: 'd', header: '结算日期', kind: 'date' };
const datetime: Column = { key: 't', header: '结算时间', kind: 'datetime' };
const text: Column = { key: 's', header: '姓名', kind: 'text' };

function table(name: string, columns: Column[] = [text]): Table {
  return { name, columns, rows: [] };
}

describe('cells', () => {
  it('prints fen as yuan with two places, negatives included', () => {
    expect(cellText(fen, { amount: 1235 }, 0)).toBe('12.35');
    expect(cellText(fen, { amount: -1235 }, 0)).toBe('-12.35');
    expect(cellText(fen, { amount: 5 }, 0)).toBe('0.05');
    expect(cellText(fen, { amount: 0 }, 0)).toBe('0.00');
    expect(cellText(fen, { amount: 123_456_789 }, 0)).toBe('1234567.89');
    expect(cellJson(fen, { amount: 1235 }, 0)).toBe(12.35);
    expect(cellJson(fen, { amount: -5 }, 0)).toBe(-0.05);
  });

  it('prints null as an empty cell and in JSON as null', () => {
    for (const column of [fen, count, date, datetime, text]) {
      expect(cellText(column, { [column.key]: null }, 0)).toBe('');
      expect(cellJson(column, { [column.key]: null }, 0)).toBeNull();
    }
  });

  it('prints dates and China date-times', () => {
    // 2024-01-01 is day 19723 since 1970-01-01.
    expect(cellText(date, { d: 19_723 }, 0)).toBe('2024-01-01');
    expect(cellText(date, { d: '2024-02-29' }, 0)).toBe('2024-02-29');
    // 02:00 UTC is 10:00 in Beijing; 16:30 UTC the next day.
    const t = Date.parse('2024-03-02T02:00:00Z');
    expect(cellText(datetime, { t }, 0)).toBe('2024-03-02 10:00:00');
    expect(cellJson(datetime, { t }, 0)).toBe('2024-03-02T10:00:00+08:00');
    expect(chinaDateTimeText(Date.parse('2024-03-02T16:30:05Z'))).toBe('2024-03-03 00:30:05');
  });

  it('keeps text and prints numbers in a text column as their digits', () => {
    expect(cellText(text, { s: '=1+1' }, 0)).toBe('=1+1');
    expect(cellText(text, { s: 42 }, 0)).toBe('42');
    expect(cellText(count, { n: 7 }, 0)).toBe('7');
  });

  it('refuses a value of the wrong kind, naming row and column', () => {
    const fails = (column: Column, row: Record<string, string | number | null>) => {
      try {
        cellText(column, row, 4);
      } catch (e) {
        return e as { code: string; message: string; details: Record<string, unknown> };
      }
      throw new Error('expected an error');
    };
    const half = fails(fen, { amount: 12.5 });
    expect(half.code).toBe('INTERNAL_INVARIANT');
    expect(half.message).toContain('row 5');
    expect(half.message).toContain('医疗费总额（元）');
    expect(half.details).toEqual({ row: 5, column: 'amount' });
    expect(fails(fen, { amount: '12.35' }).code).toBe('INTERNAL_INVARIANT');
    expect(fails(count, { n: 1.5 }).code).toBe('INTERNAL_INVARIANT');
    expect(fails(date, { d: '2023-02-29' }).code).toBe('INTERNAL_INVARIANT');
    expect(fails(datetime, { t: '2024-03-02' }).code).toBe('INTERNAL_INVARIANT');
    expect(fails(text, { s: Number.NaN }).code).toBe('INTERNAL_INVARIANT');
    const missing = fails(fen, { amout: 1 });
    expect(missing.message).toContain('has no "amount"');
  });
});

describe('table names', () => {
  const code = (tables: Table[]) => {
    try {
      checkTables(tables);
      return 'ok';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };

  it('accepts Chinese names up to 31 characters', () => {
    expect(code([table('清算汇总'), table('对账差异明细')])).toBe('ok');
    expect(code([table('医'.repeat(31))])).toBe('ok');
  });

  it('refuses names a sheet cannot carry', () => {
    expect(code([table('医'.repeat(32))])).toBe('INVALID_INPUT');
    expect(code([table('')])).toBe('INVALID_INPUT');
    expect(code([table('2024/03')])).toBe('INVALID_INPUT');
    expect(code([table('a[1]')])).toBe('INVALID_INPUT');
    expect(code([table("'x")])).toBe('INVALID_INPUT');
    expect(code([table('History')])).toBe('INVALID_INPUT');
  });

  it('refuses two tables of one name (case-insensitively), no columns, or a key twice', () => {
    expect(code([table('Sheet'), table('sheet')])).toBe('INVALID_INPUT');
    expect(code([table('a', [])])).toBe('INVALID_INPUT');
    expect(code([table('a', [text, { ...text, header: '别名' }])])).toBe('INVALID_INPUT');
  });
});
