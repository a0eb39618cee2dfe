import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { guardFormula, readCsv, toCsv } from './csv.js';
import type { Table } from './table.js';

/** GBK bytes of 医疗费总额, from the GBK code table (医 D2BD, 疗 C1C6, 费 B7D1, 总 D7DC, 额 B6EE). */
const GBK_YILIAOFEIZONGE = [0xd2, 0xbd, 0xc1, 0xc6, 0xb7, 0xd1, 0xd7, 0xdc, 0xb6, 0xee];
/** GBK bytes of 张三. */
const GBK_ZHANGSAN = [0xd5, 0xc5, 0xc8, 0xfd];

const statement: Table = {
  name: '清算明细',
  columns: [
    { key: 'name', header: '姓名', kind: 'text' },
    { key: 'medfee', header: '医疗费总额', kind: 'fen' },
    { key: 'visits', header: '人次', kind: 'count' },
  ],
  rows: [
    { name: '张三', medfee: 1235, visits: 2 },
    { name: '李四', medfee: -1235, visits: null },
  ],
};

function errorOf(run: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    run();
  } catch (e) {
    return e as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected an error');
}

describe('toCsv', () => {
  it('writes UTF-8 with a BOM, Chinese headers, CRLF line ends and yuan amounts', () => {
    const buf = toCsv(statement, { encoding: 'utf8-bom' });
    expect([...buf.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(buf.subarray(3).toString('utf8')).toBe('姓名,医疗费总额,人次\r\n张三,12.35,2\r\n李四,-12.35,\r\n');
  });

  it('writes GBK bytes of the code table, with no BOM', () => {
    // The expected bytes are the code table's: check them by decoding, not by the encoder under test.
    expect(iconv.decode(Buffer.from(GBK_YILIAOFEIZONGE), 'gbk')).toBe('医疗费总额');
    expect(iconv.decode(Buffer.from(GBK_ZHANGSAN), 'gbk')).toBe('张三');
    const table: Table = { name: 't', columns: [statement.columns[1]!, statement.columns[0]!], rows: [{ medfee: 1235, name: '张三' }] };
    const buf = toCsv(table, { encoding: 'gbk' });
    const comma = 0x2c;
    const crlf = [0x0d, 0x0a];
    const expected = [
      ...GBK_YILIAOFEIZONGE,
      comma,
      0xd0,
      0xd5,
      0xc3,
      0xfb, // 姓名
      ...crlf,
      ...Buffer.from('12.35', 'ascii'),
      comma,
      ...GBK_ZHANGSAN,
      ...crlf,
    ];
    expect(iconv.decode(Buffer.from([0xd0, 0xd5, 0xc3, 0xfb]), 'gbk')).toBe('姓名');
    expect([...buf]).toEqual(expected);
  });

  it('quotes commas, double quotes, CR and LF (RFC 4180), and nothing else', () => {
    const table: Table = {
      name: 't',
      columns: [{ key: 's', header: '备注', kind: 'text' }],
      rows: [{ s: 'a,b' }, { s: 'say "hi"' }, { s: '一\n二' }, { s: 'x\ry' }, { s: ' 空格 ' }, { s: '' }],
    };
    const text = toCsv(table, { encoding: 'utf8-bom' }).subarray(3).toString('utf8');
    expect(text).toBe('备注\r\n"a,b"\r\n"say ""hi"""\r\n"一\n二"\r\n"x\ry"\r\n 空格 \r\n\r\n');
  });

  it('guards text cells against formula injection, but not numbers', () => {
    expect(guardFormula('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(guardFormula(`${start}1`)).toBe(`'${start}1`);
    expect(guardFormula('1-2')).toBe('1-2');
    expect(guardFormula("'quoted")).toBe("'quoted");
    const table: Table = {
      name: 't',
      columns: [
        { key: 's', header: '备注', kind: 'text' },
        { key: 'a', header: '金额', kind: 'fen' },
        { key: 'c', header: '次数', kind: 'count' },
      ],
      rows: [
        { s: '=1+1', a: -1235, c: -3 },
        { s: '-12', a: -5, c: 0 },
        { s: '@SUM(A1)', a: 0, c: 1 },
      ],
    };
    const text = toCsv(table, { encoding: 'utf8-bom' }).subarray(3).toString('utf8');
    expect(text).toBe("备注,金额,次数\r\n'=1+1,-12.35,-3\r\n'-12,-0.05,0\r\n'@SUM(A1),0.00,1\r\n");
  });

  it('refuses a character GBK cannot encode, naming row and column, instead of writing ?', () => {
    const table: Table = { ...statement, rows: [statement.rows[0]!, { name: '王五😀', medfee: 1, visits: 1 }] };
    const e = errorOf(() => toCsv(table, { encoding: 'gbk' }));
    expect(e.code).toBe('INVALID_FILE');
    expect(e.message).toContain('row 2');
    expect(e.message).toContain('姓名');
    expect(e.message).toContain('U+1F600');
    expect(e.message).toContain('utf8-bom');
    expect(e.details).toMatchObject({ row: 2, column: 'name', character: 'U+1F600' });
    // The same table is fine in UTF-8.
    expect(toCsv(table, { encoding: 'utf8-bom' }).subarray(3).toString('utf8')).toContain('王五😀');
    // A bullet (U+2022) is not in GBK either, in a header this time.
    const header = errorOf(() => toCsv({ name: 't', columns: [{ key: 'x', header: '•项目', kind: 'text' }], rows: [] }, { encoding: 'gbk' }));
    expect(header.code).toBe('INVALID_FILE');
    expect(header.message).toContain('header');
    expect(header.details).toMatchObject({ row: 0, column: 'x', character: 'U+2022' });
  });
});

describe('readCsv', () => {
  const utf8 = '姓名,医疗费总额\r\n张三,12.35\r\n"李,四","多\n行"\r\n';
  const expected = {
    header: ['姓名', '医疗费总额'],
    rows: [
      ['张三', '12.35'],
      ['李,四', '多\n行'],
    ],
  };

  it('reads UTF-8 without a BOM', () => {
    expect(readCsv(Buffer.from(utf8, 'utf8'))).toEqual({ encoding: 'utf8', ...expected });
  });

  it('reads UTF-8 with a BOM, dropping it', () => {
    expect(readCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(utf8, 'utf8')]))).toEqual({ encoding: 'utf8', ...expected });
  });

  it('reads GBK', () => {
    const bytes = Buffer.from([...GBK_YILIAOFEIZONGE, 0x0d, 0x0a, ...GBK_ZHANGSAN, 0x0d, 0x0a]);
    expect(readCsv(bytes)).toEqual({ encoding: 'gbk', header: ['医疗费总额'], rows: [['张三']] });
  });

  it('reads back what toCsv wrote, in both encodings', () => {
    for (const encoding of ['utf8-bom', 'gbk'] as const) {
      const back = readCsv(toCsv(statement, { encoding }));
      expect(back.encoding).toBe(encoding === 'gbk' ? 'gbk' : 'utf8');
      expect(back.header).toEqual(['姓名', '医疗费总额', '人次']);
      expect(back.rows).toEqual([
        ['张三', '12.35', '2'],
        ['李四', '-12.35', ''],
      ]);
    }
  });

  it('refuses a row whose field count differs from the header, naming its line', () => {
    // Line 1 header, lines 2–3 one quoted record, line 4 blank, line 5 short.
    const text = 'a,b\r\n"x\ny",z\r\n\r\nonly\r\n';
    const e = errorOf(() => readCsv(Buffer.from(text)));
    expect(e.code).toBe('INVALID_FILE');
    expect(e.message).toContain('line 5');
    expect(e.details).toEqual({ line: 5, fields: 1, expected: 2 });
    expect(errorOf(() => readCsv(Buffer.from('a,b\nc,d,e\n'))).details).toEqual({ line: 2, fields: 3, expected: 2 });
  });

  it('refuses a file over the size limit, an empty file, a broken quote, bytes of no encoding, a repeated header', () => {
    const big = errorOf(() => readCsv(Buffer.from('a,b\r\n1,2\r\n'), { maxBytes: 5 }));
    expect(big.code).toBe('INVALID_FILE');
    expect(big.details).toEqual({ bytes: 10, maxBytes: 5 });
    expect(errorOf(() => readCsv(Buffer.alloc(0))).code).toBe('INVALID_FILE');
    expect(errorOf(() => readCsv(Buffer.from('\r\n\r\n'))).code).toBe('INVALID_FILE');
    const quote = errorOf(() => readCsv(Buffer.from('a,b\r\n"x,y\r\n')));
    expect(quote.code).toBe('INVALID_FILE');
    expect(quote.message).toMatch(/line \d/);
    // 0xFF is no lead byte in UTF-8 or GBK.
    const bytes = errorOf(() => readCsv(Buffer.from([0x61, 0x0a, 0x62, 0xff, 0x0a])));
    expect(bytes.code).toBe('INVALID_FILE');
    expect(bytes.details).toEqual({ line: 2 });
    expect(errorOf(() => readCsv(Buffer.from([0xef, 0xbb, 0xbf, ...GBK_ZHANGSAN]))).message).toContain('byte-order mark');
    expect(errorOf(() => readCsv(Buffer.from('a,a\r\n1,2\r\n'))).code).toBe('INVALID_FILE');
  });
});
