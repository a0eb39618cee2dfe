import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CatalogueError, itemOn, parseCatalogue } from './load.js';

const SAMPLE = new URL('../../catalogues/sample.json', import.meta.url);

const item = (over: Record<string, unknown> = {}) => ({
  code: 'A01',
  name: '测试甲类',
  listType: '101',
  chargeType: '09',
  itemClass: '01',
  validFrom: '2024-01-01',
  source: '测试',
  ...over,
});

const file = (items: unknown[], over: Record<string, unknown> = {}) => JSON.stringify({ name: '测试目录', sample: false, items, ...over });

/** The problems a text is refused with. */
function problemsOf(text: string): readonly string[] {
  try {
    parseCatalogue(text, 'cat.json');
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogueError);
    expect((e as CatalogueError).code).toBe('INVALID_CATALOGUE');
    return (e as CatalogueError).problems;
  }
  throw new Error('not refused');
}

describe('parseCatalogue', () => {
  it('reads the shipped sample, labelled as one, every item saying it is a sample', () => {
    const c = parseCatalogue(readFileSync(SAMPLE, 'utf8'), 'sample.json');
    expect(c.sample).toBe(true);
    expect(c.name).toContain('样例');
    const all = [...c.items.values()].flat();
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(all.length).toBeLessThanOrEqual(10);
    for (const i of all) expect(i.source).toContain('样例');
    // 甲类, 乙类 with a ratio, 乙类 with a limit, 丙类, a service item with a limit, a consumable
    expect(all.some((i) => i.itemClass === '01' && i.listType === '101')).toBe(true);
    expect(all.some((i) => i.itemClass === '02' && i.selfPayRatio !== undefined && i.priceLimit === undefined)).toBe(true);
    expect(all.some((i) => i.itemClass === '02' && i.priceLimit !== undefined)).toBe(true);
    expect(all.some((i) => i.itemClass === '03')).toBe(true);
    expect(all.some((i) => i.listType === '201' && i.priceLimit !== undefined)).toBe(true);
    expect(all.some((i) => i.listType === '301')).toBe(true);
  });

  it('keeps each code’s versions in date order and finds the one in force, both ends included', () => {
    const c = parseCatalogue(
      file([
        item({ code: 'V', validFrom: '2024-07-01' }),
        item({ code: 'V', itemClass: '02', selfPayRatio: '0.1500', validFrom: '2024-01-01', validTo: '2024-06-30' }),
        item({ code: 'E', validFrom: '2024-01-01', validTo: '2024-03-31' }),
      ]),
      'cat.json',
    );
    expect(c.items.get('V')?.map((v) => v.validFrom)).toEqual(['2024-01-01', '2024-07-01']);
    expect(itemOn(c, 'V', '2023-12-31')).toBeUndefined();
    expect(itemOn(c, 'V', '2024-01-01')?.itemClass).toBe('02');
    expect(itemOn(c, 'V', '2024-06-30')?.itemClass).toBe('02');
    expect(itemOn(c, 'V', '2024-07-01')?.itemClass).toBe('01');
    expect(itemOn(c, 'V', '2099-12-31')?.itemClass).toBe('01');
    expect(itemOn(c, 'E', '2024-03-31')?.code).toBe('E');
    expect(itemOn(c, 'E', '2024-04-01')).toBeUndefined();
    expect(itemOn(c, 'nope', '2024-04-01')).toBeUndefined();
    // Keys the file leaves out are not there as undefined.
    expect(Object.keys(itemOn(c, 'E', '2024-02-01') ?? {})).not.toContain('selfPayRatio');
  });

  it('lists every problem of a file, each with its path', () => {
    const problems = problemsOf(
      file([
        item({ itemClass: '02' }), // 0: 乙类 without a ratio
        item({ code: 'B', selfPayRatio: '0.1' }), // 1: 甲类 with a ratio
        item({ code: 'C', priceLimit: '0' }), // 2: a limit of 0
        item({ code: 'D', priceLimit: '1.1234567' }), // 3: 7 places
        item({ code: 'E', validFrom: '2024-05-01', validTo: '2024-04-30' }), // 4: runs backwards
        item({ code: 'F', validFrom: '2023-02-29' }), // 5: not a real date
        item({ code: 'G', validFrom: '2024-01-01', validTo: '2024-06-30' }), // 6 and 7 overlap on 2024-06-30
        item({ code: 'G', validFrom: '2024-06-30' }),
        item({ code: 'H', colour: 'red' }), // 8: an unknown key
        item({ code: 'X'.repeat(51) }), // 9: a code too long
        item({ code: 'I', itemClass: '04', listType: '999', chargeType: '15' }), // 10
        item({ code: 'J', itemClass: '02', selfPayRatio: '1.0001' }), // 11: beyond 1
        item({ code: 'K', itemClass: '02', selfPayRatio: '0.12345' }), // 12: 5 places
        item({ code: 'L', name: '' }), // 13
        'not an item', // 14
      ]),
    );
    const at = (path: string) => problems.filter((p) => p.startsWith(`${path}: `));
    expect(at('items[0].selfPayRatio')[0]).toContain('乙类项目须有先行自付比例');
    expect(at('items[1].selfPayRatio')[0]).toContain('甲类项目不设先行自付比例');
    expect(at('items[2].priceLimit')[0]).toContain('限价须大于 0');
    expect(at('items[3].priceLimit')[0]).toContain('至多 6 位');
    expect(at('items[4].validTo')[0]).toContain('不可早于 validFrom');
    expect(at('items[5].validFrom')[0]).toContain('真实日期');
    expect(at('items[7].validFrom')[0]).toContain('编码 G 的有效期与 items[6]（2024-01-01 至 2024-06-30）重叠');
    expect(at('items[8]')[0]).toContain('未知字段 / unknown key "colour"');
    expect(at('items[9].code')[0]).toContain('至多 50 个字符');
    expect(at('items[10].itemClass')).toHaveLength(1);
    expect(at('items[10].listType')[0]).toContain('目录类别');
    expect(at('items[10].chargeType')[0]).toContain('医疗收费项目类别');
    expect(at('items[11].selfPayRatio')[0]).toContain('0 至 1');
    expect(at('items[12].selfPayRatio')[0]).toContain('至多 4 位');
    expect(at('items[13].name')[0]).toContain('不可为空');
    expect(at('items[14]')).toHaveLength(1);
    expect(problems.length).toBe(16);
  });

  it('refuses an open-ended version followed by another of the same code, and the same code twice', () => {
    expect(problemsOf(file([item({ validFrom: '2024-01-01' }), item({ validFrom: '2025-01-01' })]))).toEqual([
      'items[1].validFrom: 编码 A01 的有效期与 items[0]（2024-01-01 至 长期）重叠 / the versions of A01 overlap',
    ]);
    expect(problemsOf(file([item(), item()]))).toHaveLength(1);
  });

  it('refuses what is not a catalogue at all, naming the top-level fields', () => {
    expect(problemsOf('{')[0]).toContain('不是有效的 JSON');
    expect(problemsOf('[]')).toHaveLength(1);
    const top = problemsOf(JSON.stringify({ name: '', items: {} }));
    expect(top.some((p) => p.startsWith('name: '))).toBe(true);
    expect(top.some((p) => p.startsWith('sample: '))).toBe(true);
    expect(top.some((p) => p.startsWith('items: '))).toBe(true);
    // The top level's problems and the items' together.
    const both = problemsOf(JSON.stringify({ name: 'x', items: [item({ itemClass: '02' })] }));
    expect(both).toHaveLength(2);
  });

  it('refuses more than 1,000,000 items', () => {
    const problems = problemsOf(`{"name":"大","sample":false,"items":[${'0,'.repeat(1_000_000)}0]}`);
    expect(problems).toEqual(['items: 至多 1000000 项 / at most 1000000 items']);
  });

  it('says in its message how many problems and which file', () => {
    const e = (() => {
      try {
        parseCatalogue(file([item({ itemClass: '02' }), item({ code: 'B', priceLimit: '-1' })]), 'mine.json');
      } catch (err) {
        return err as CatalogueError;
      }
    })();
    expect(e?.message).toMatch(/^mine\.json: 2 处问题/);
    expect(e?.toJSON()).toMatchObject({ code: 'INVALID_CATALOGUE', file: 'mine.json' });
  });
});
