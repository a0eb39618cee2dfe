import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { contentTypeOf, EXPORT_FORMATS, fileExtension, isExportFormat, render } from './formats.js';
import type { Table } from './table.js';

const funds: Table = {
  name: '基金支付',
  columns: [
    { key: 'fund_pay_type', header: '基金支付类型', kind: 'text' },
    { key: 'amount', header: '支付金额（元）', kind: 'fen' },
    { key: 'visits', header: '人次', kind: 'count' },
    { key: 'day', header: '日期', kind: 'date' },
    { key: 'at', header: '结算时间', kind: 'datetime' },
  ],
  rows: [
    { fund_pay_type: '390100', amount: 1235, visits: 2, day: 19_723, at: Date.parse('2024-03-02T02:00:00Z') },
    { fund_pay_type: '610100', amount: -5, visits: null, day: null, at: null },
  ],
};
const other: Table = { name: '差异', columns: [{ key: 'id', header: '结算ID', kind: 'text' }], rows: [{ id: 'S1' }] };

describe('export formats', () => {
  it('names four formats, their content types and extensions', () => {
    expect(EXPORT_FORMATS).toEqual(['json', 'csv', 'csv-gbk', 'xlsx']);
    expect(EXPORT_FORMATS.map(contentTypeOf)).toEqual([
      'application/json; charset=utf-8',
      'text/csv; charset=utf-8',
      'text/csv; charset=gbk',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
    expect(EXPORT_FORMATS.map(fileExtension)).toEqual(['json', 'csv', 'csv', 'xlsx']);
    expect(isExportFormat('csv-gbk')).toBe(true);
    expect(isExportFormat('xls')).toBe(false);
    expect(isExportFormat(undefined)).toBe(false);
  });

  it('renders JSON keyed by table name, fen as yuan numbers', async () => {
    const out = await render([funds, other], 'json');
    expect(out.contentType).toBe('application/json; charset=utf-8');
    expect(out.extension).toBe('json');
    const text = out.body.toString('utf8');
    expect(JSON.parse(text)).toEqual({
      基金支付: [
        { fund_pay_type: '390100', amount: 12.35, visits: 2, day: '2024-01-01', at: '2024-03-02T10:00:00+08:00' },
        { fund_pay_type: '610100', amount: -0.05, visits: null, day: null, at: null },
      ],
      差异: [{ id: 'S1' }],
    });
    // The yuan numbers print as their decimals.
    expect(text).toContain('"amount": 12.35,');
    expect(text).toContain('"amount": -0.05,');
  });

  it('renders one table as CSV in UTF-8 with a BOM or in GBK', async () => {
    const utf8 = await render([funds], 'csv');
    expect(utf8.contentType).toBe('text/csv; charset=utf-8');
    expect([...utf8.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(utf8.body.subarray(3).toString('utf8')).toBe('基金支付类型,支付金额（元）,人次,日期,结算时间\r\n390100,12.35,2,2024-01-01,2024-03-02 10:00:00\r\n610100,-0.05,,,\r\n');
    const gbk = await render([funds], 'csv-gbk');
    expect(gbk.contentType).toBe('text/csv; charset=gbk');
    expect(gbk.extension).toBe('csv');
    expect(gbk.body[0]).not.toBe(0xef);
    expect(iconv.decode(gbk.body, 'gbk')).toBe(utf8.body.subarray(3).toString('utf8'));
  });

  it('refuses CSV of several tables, and no tables at all', async () => {
    await expect(render([funds, other], 'csv')).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { tables: ['基金支付', '差异'] } });
    await expect(render([funds, other], 'csv-gbk')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(render([], 'json')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('renders every table into one XLSX workbook', async () => {
    const out = await render([funds, other], 'xlsx');
    expect(out.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(out.extension).toBe('xlsx');
    // A zip archive: 'PK\x03\x04'.
    expect([...out.body.subarray(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);
  });
});
