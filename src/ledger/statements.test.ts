import { describe, expect, it } from 'vitest';
import { batchWriteBag, TEXT_SEPARATOR, W_CAP, W_INSTITUTION, W_PERSON } from './statements.js';
import type { Bag, Decision } from './types.js';

type Decided = Extract<Decision, { bag: Bag }>;
const decided = (bag: Bag, flags: number, layers?: Bag[]): Decided => ({ result: { entry: {} as never, created: true, body: '{}' }, bag, flags, ...(layers ? { layers } : {}) });
const rowsOf = (bag: Bag) => JSON.parse((bag.batch as { rows: string }).rows) as Record<string, Record<string, unknown>[]>;

describe('batchWriteBag', () => {
  it('groups the rows by table, only the writes the flags ask for', () => {
    const rows = rowsOf(
      batchWriteBag([
        decided({ person: { id: 'A' }, settlement: { id: 'S-1', body: '{"id":"S-1"}' }, cap: { person_id: 'A', year: 2024, bucket: 'outpatient', used_fen: 100 } }, W_PERSON),
        decided({ person: { id: 'B' }, settlement: { id: 'S-2', body: '{"id":"S-2"}' }, cap: { person_id: 'B', year: 2024, bucket: 'outpatient', used_fen: 5 } }, W_CAP),
      ]),
    );
    // B is registered already (no W_PERSON): only A's row.
    expect(rows.persons).toEqual([{ id: 'A' }]);
    expect(rows.settlements).toEqual([{ id: 'S-1' }, { id: 'S-2' }]);
    // A's cap was not asked for (no W_CAP): only B's.
    expect(rows.cap_usage).toEqual([{ person_id: 'B', year: 2024, bucket: 'outpatient', used_fen: 5 }]);
    expect(rows.institutions).toBeUndefined();
  });

  it("keeps an upsert's last row of a key and a do-nothing insert's first, as statements one after another would", () => {
    const cap = (used: number) => ({ person_id: 'A', year: 2024, bucket: 'critical-illness', used_fen: used });
    const layer = (used: number) => ({ layerCap: cap(used), layer: { settlement_id: 'S-1', bucket: 'critical-illness', after_fen: used } });
    const rows = rowsOf(
      batchWriteBag([
        decided({ person: { id: 'A' }, institution: { id: 'H', tier: 'city' }, cap: cap(10) }, W_CAP | W_INSTITUTION, [layer(20), layer(30)]),
        decided({ person: { id: 'B' }, institution: { id: 'H', tier: 'primary' } }, W_INSTITUTION),
      ]),
    );
    expect(rows.cap_usage).toEqual([cap(30)]);
    expect(rows.institutions).toEqual([{ id: 'H', tier: 'city' }]);
    // Rows without a conflict key are all kept.
    expect(rows.settlement_layers).toHaveLength(2);
  });

  it("sends the entries' texts apart, in the settlements' order, and refuses one holding the separator", () => {
    const texts = ['{"id":"S-1","text":"统筹基金支付147.43元"}', '{"id":"S-2","quote":"\\"a\\""}', '{"id":"S-3"}'];
    const bag = batchWriteBag(texts.map((body, i) => decided({ person: { id: `P${i}` }, settlement: { id: `S-${i + 1}`, body } }, 0)));
    const batch = bag.batch as { rows: string; texts: string };
    expect(rowsOf(bag).settlements).toEqual([{ id: 'S-1' }, { id: 'S-2' }, { id: 'S-3' }]);
    expect(batch.texts.split(TEXT_SEPARATOR)).toEqual(texts);
    expect(JSON.stringify({ text: `a${TEXT_SEPARATOR}b` })).not.toContain(TEXT_SEPARATOR);
    expect(() => batchWriteBag([decided({ settlement: { id: 'S-9', body: `{}${TEXT_SEPARATOR}` } }, 0)])).toThrow(/U\+001E/);
  });
});
