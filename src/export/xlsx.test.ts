import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Table } from './table.js';
import { displayWidth, MAX_XLSX_ROWS, toXlsx } from './xlsx.js';

const summary: Table = {
  name: '清算汇总',
  columns: [
    { key: 'name', header: '机构名称', kind: 'text' },
    { key: 'medfee', header: '医疗费总额（元）', kind: 'fen' },
    { key: 'visits', header: '人次', kind: 'count' },
    { key: 'day', header: '结算日期', kind: 'date' },
    { key: 'at', header: '结算时间', kind: 'datetime' },
  ],
  rows: [
    { name: '长沙市第一医院 & <门诊>', medfee: -1235, visits: 3, day: '2024-03-02', at: Date.parse('2024-03-02T02:00:00Z') },
    { name: '=1+1', medfee: 123_456_789, visits: null, day: null, at: null },
  ],
};
const differences: Table = { name: '对账差异', columns: [{ key: 'id', header: '结算ID', kind: 'text' }], rows: [] };

/** The workbook's parts as text. */
async function parts(tables: Table[]): Promise<Record<string, string>> {
  const files = unzipSync(new Uint8Array(await toXlsx(tables)));
  return Object.fromEntries(Object.entries(files).map(([path, bytes]) => [path, strFromU8(bytes)]));
}

/** The strings of sharedStrings.xml, in order (the sheet's `t="s"` cells index them). */
function sharedStrings(xml: string): string[] {
  return [...xml.matchAll(/<si><t[^>]*>([^<]*)<\/t><\/si>/g)].map((m) => m[1] as string);
}

/** The cell at an address: its attributes and its value's text. */
function cell(sheet: string, address: string): { attrs: string; v: string } | undefined {
  const m = new RegExp(`<c r="${address}"([^>]*)><v>([^<]*)</v></c>`).exec(sheet);
  return m ? { attrs: m[1] as string, v: m[2] as string } : undefined;
}

describe('toXlsx', () => {
  it('writes one sheet per table, named by it', async () => {
    const xml = await parts([summary, differences]);
    expect(Object.keys(xml)).toEqual(expect.arrayContaining(['xl/workbook.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml', 'xl/sharedStrings.xml']));
    expect(xml['xl/workbook.xml']).toMatch(/<sheet [^>]*name="清算汇总"[^>]*\/>.*<sheet [^>]*name="对账差异"/);
  });

  it('writes the Chinese headers in bold and keeps the header row in view', async () => {
    const xml = await parts([summary]);
    const strings = sharedStrings(xml['xl/sharedStrings.xml']!);
    const sheet = xml['xl/worksheets/sheet1.xml']!;
    const a1 = cell(sheet, 'A1')!;
    const b1 = cell(sheet, 'B1')!;
    expect(a1.attrs).toContain('t="s"');
    expect(strings[Number(a1.v)]).toBe('机构名称');
    expect(strings[Number(b1.v)]).toBe('医疗费总额（元）');
    // The header's style uses the bold font.
    const style = Number(/s="(\d+)"/.exec(b1.attrs)![1]);
    const styles = xml['xl/styles.xml']!;
    const xf = [...styles.matchAll(/<xf [^>]*>/g)][style]![0];
    const fontId = Number(/fontId="(\d+)"/.exec(xf)![1]);
    const fonts = [...styles.matchAll(/<font>.*?<\/font>/g)];
    expect(fonts[fontId]![0]).toContain('<b/>');
    expect(sheet).toMatch(/<pane [^>]*ySplit="1"[^>]*state="frozen"/);
  });

  it('writes fen as numbers of yuan with two places, and dates as dates', async () => {
    const xml = await parts([summary]);
    const sheet = xml['xl/worksheets/sheet1.xml']!;
    const styles = xml['xl/styles.xml']!;
    const formatOf = (address: string) => {
      const s = Number(/s="(\d+)"/.exec(cell(sheet, address)!.attrs)![1]);
      const xf = [...styles.matchAll(/<xf [^>]*>/g)][s]![0];
      const id = /numFmtId="(\d+)"/.exec(xf)![1];
      return new RegExp(`<numFmt numFmtId="${id}" formatCode="([^"]*)"`).exec(styles)![1];
    };
    expect(cell(sheet, 'B2')!.v).toBe('-12.35');
    expect(cell(sheet, 'B3')!.v).toBe('1234567.89');
    expect(formatOf('B2')).toBe('#,##0.00');
    expect(cell(sheet, 'C2')).toEqual({ attrs: '', v: '3' });
    // 2024-03-02 is Excel serial 45353 (2024-01-01 is 45292, then 31 + 29 days); 10:00 Beijing is 10/24 of a day.
    expect(cell(sheet, 'D2')!.v).toBe('45353');
    expect(formatOf('D2')).toBe('yyyy-mm-dd');
    expect(Number(cell(sheet, 'E2')!.v)).toBeCloseTo(45353 + 10 / 24, 9);
    expect(formatOf('E2')).toBe('yyyy-mm-dd hh:mm:ss');
    // Null cells are left out; text is text (no formula), escaped.
    expect(sheet).not.toContain('r="C3"');
    expect(sheet).not.toContain('<f>');
    const strings = sharedStrings(xml['xl/sharedStrings.xml']!);
    expect(strings).toContain('长沙市第一医院 &amp; &lt;门诊&gt;');
    expect(strings).toContain('=1+1');
  });

  it('sizes columns by their content, CJK counting double', async () => {
    expect(displayWidth('医疗费总额（元）')).toBe(16);
    expect(displayWidth('12.35')).toBe(5);
    expect(displayWidth('A医')).toBe(3);
    const sheet = (await parts([summary]))['xl/worksheets/sheet1.xml']!;
    const widths = [...sheet.matchAll(/<col min="(\d+)" max="\d+" width="(\d+)"/g)].map((m) => Number(m[2]));
    // Widest cell + 2, at least 8: 机构名称 by '长沙市第一医院 & <门诊>' (7×2 + 4 + 2×2 + 1 = 23); 医疗费总额（元） by its
    // header (16 > '1,234,567.89', 12); 人次 (4) the minimum; 结算日期 by '2024-03-02' (10); 结算时间 by '2024-03-02 10:00:00' (19).
    expect(widths).toEqual([25, 18, 8, 12, 21]);
  });

  it('refuses no tables, two tables of one name, and more rows than a sheet holds', async () => {
    await expect(toXlsx([])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(toXlsx([summary, { ...differences, name: '清算汇总' }])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const huge: Table = { ...differences, rows: new Array(MAX_XLSX_ROWS + 1) };
    await expect(toXlsx([huge])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(toXlsx([{ ...differences, rows: [{ id: 'x'.repeat(32_768) }] }])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
