import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUMERIC_FIELDS, numbersInOutput, numericFieldsAsText, textInOutput } from './numbers.js';

const answer = (output: unknown, yibao: unknown = { entryId: 'S-1', ledger: { medfee_sumamt: '80' } }) =>
  JSON.stringify({ infcode: 0, inf_refmsgid: 'r', err_msg: null, output, yibao });

describe('numbers in national answers (numbers.ts)', () => {
  it("writes output's numeric fields as numbers with their digits, and leaves the rest and the yibao block", () => {
    const text = answer({
      setlinfo: { setl_id: 'S-1', medfee_sumamt: '300.00', pool_prop_selfpay: '0.5000', age: '45.0', balc: null, psn_name: '张三', insutype: '390' },
      setldetail: [{ fund_pay_type: '390100', fund_payamt: '-12.30', setl_proc_info: '"medfee_sumamt":"1.00" 不是字段' }],
      result: [{ cnt: '2', pric: '15.000000', det_item_fee_sumamt: '' }],
    });
    const numbers = numbersInOutput(text);
    expect(numbers).toContain('"medfee_sumamt":300.00,');
    expect(numbers).toContain('"pool_prop_selfpay":0.5000,');
    expect(numbers).toContain('"age":45.0,');
    expect(numbers).toContain('"fund_payamt":-12.30,');
    expect(numbers).toContain('"cnt":2,');
    expect(numbers).toContain('"pric":15.000000,');
    // Not a number: null, empty, a code, a name; a quote inside a string value is escaped, never matched.
    expect(numbers).toContain('"balc":null');
    expect(numbers).toContain('"det_item_fee_sumamt":""');
    expect(numbers).toContain('"insutype":"390"');
    expect(numbers).toContain('\\"medfee_sumamt\\":\\"1.00\\" 不是字段');
    // The extension block keeps yibao's own formats.
    expect(numbers).toContain('"ledger":{"medfee_sumamt":"80"}');
    expect(JSON.parse(numbers).output.setlinfo.medfee_sumamt).toBe(300);
    expect(numericFieldsAsText(numbers)).toEqual([]);
    expect(numericFieldsAsText(text)).toEqual(['medfee_sumamt', 'pool_prop_selfpay', 'age', 'fund_payamt', 'cnt', 'pric']);
    expect(textInOutput(numbers)).toBe(text);
  });

  it('an answer with no output is left alone', () => {
    const refusal = JSON.stringify({ infcode: -1, err_msg: '报文校验失败', output: null, error: { code: 'INVALID_REQUEST' } });
    expect(numbersInOutput(refusal)).toBe(refusal);
    expect(numbersInOutput('{"status":"ok"}')).toBe('{"status":"ok"}');
  });

  it('text → numbers → text is the identity, for any amounts in any numeric field', () => {
    const amount = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 6 })).map(([neg, v, places]) => {
      const s = v.toString().padStart(places + 1, '0');
      const digits = places === 0 ? s : `${s.slice(0, -places)}.${s.slice(-places)}`;
      return neg && v !== 0n ? `-${digits}` : digits;
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...NUMERIC_FIELDS), amount), { maxLength: 20 }), (rows) => {
        const text = answer({ rows: rows.map(([k, v]) => ({ [k]: v })) });
        const numbers = numbersInOutput(text);
        expect(numericFieldsAsText(numbers)).toEqual([]);
        expect(textInOutput(numbers)).toBe(text);
        // Each number reads back as the digits written.
        const parsed = JSON.parse(numbers).output.rows as Record<string, number>[];
        rows.forEach(([k, v], i) => expect(parsed[i]?.[k]).toBe(Number(v)));
      }),
      { numRuns: 300 },
    );
  });
});
