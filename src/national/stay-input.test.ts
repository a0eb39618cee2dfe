import { describe, expect, it } from 'vitest';
import { RequestError } from '../request/settle-request.js';
import { STAY_EXAMPLES } from './stay-examples.js';
import { loadCodeEdition } from './code-editions.js';
import { parseStayMessage, STAY_INTERFACES, type DetailCancel, type DetailUpload } from './stay-input.js';

type Json = any;

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof RequestError) return e.problems;
    throw e;
  }
  throw new Error('no problem');
};

const clone = (infno: keyof typeof STAY_EXAMPLES): Json => structuredClone(STAY_EXAMPLES[infno]);

describe('the inpatient stay messages (stay-input.ts)', () => {
  it('reads every example, with its request id INFNO:INSTITUTION:MSGID', () => {
    for (const infno of STAY_INTERFACES) {
      const m = parseStayMessage(infno, STAY_EXAMPLES[infno]);
      expect(m.requestId).toBe(`${infno}:H1:H1202403021000${infno}01`);
      expect(m.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('hashes the input whatever its key order, and differently when a field differs', () => {
    const a = parseStayMessage('2401', STAY_EXAMPLES['2401']);
    const b = clone('2401');
    b.input = { diseinfo: b.input.diseinfo, mdtrtinfo: Object.fromEntries(Object.entries(b.input.mdtrtinfo).reverse()) };
    expect(parseStayMessage('2401', b).hash).toBe(a.hash);
    b.input.mdtrtinfo.adm_bed = '13';
    expect(parseStayMessage('2401', b).hash).not.toBe(a.hash);
  });

  it('reads 2301 amounts as fen (a 退单 line negative), numbers as decimal text', () => {
    const b = clone('2301');
    b.input.feedetail.push({ ...b.input.feedetail[0], feedetl_sn: '2', init_feedetl_sn: '1', cnt: -1, pric: 30, det_item_fee_sumamt: -30 });
    const m = parseStayMessage('2301', b) as DetailUpload;
    expect(m.feedetail.map((d) => [d.cnt, d.pric, d.det_item_fee_sumamt])).toEqual([
      ['2', '30', 6000],
      ['-1', '30', -3000],
    ]);
  });

  it('names every problem of 2301 by its row and field', () => {
    const b = clone('2301');
    const row = b.input.feedetail[0];
    b.input.feedetail = [
      { ...row, cnt: '1.23456', pric: '-1', det_item_fee_sumamt: '1.001', fee_ocur_time: '2024-03-01', hosp_appr_flag: '3' },
      { ...row, feedetl_sn: '0000' },
    ];
    expect(problems(() => parseStayMessage('2301', b))).toEqual([
      expect.stringMatching(/^feedetail\[0\]\.fee_ocur_time: /),
      expect.stringMatching(/^feedetail\[0\]\.det_item_fee_sumamt: /),
      expect.stringMatching(/^feedetail\[0\]\.cnt: must be a decimal with at most 4 decimal places/),
      expect.stringMatching(/^feedetail\[0\]\.pric: must be a decimal with at most 6 decimal places, not negative/),
      expect.stringMatching(/^feedetail\[0\]\.hosp_appr_flag: "3" is not a 医院审批标志/),
    ]);
    b.input.feedetail = [row, { ...row, feedetl_sn: '0000' }];
    expect(problems(() => parseStayMessage('2301', b))).toEqual([expect.stringMatching(/^feedetail\[1\]\.feedetl_sn: "0000" is 2302's word/)]);
  });

  it('2302: "0000" is all the stay\'s details and comes alone', () => {
    expect((parseStayMessage('2302', STAY_EXAMPLES['2302']) as DetailCancel).feedetlSns).toBeNull();
    const b = clone('2302');
    b.input.data.push({ ...b.input.data[0], feedetl_sn: '3' });
    expect(problems(() => parseStayMessage('2302', b))).toEqual([expect.stringMatching(/^data: feedetl_sn "0000" cancels all/)]);
    b.input.data = [
      { ...b.input.data[0], feedetl_sn: '3' },
      { ...b.input.data[0], feedetl_sn: '3', mdtrt_id: 'M-OTHER' },
    ];
    expect(problems(() => parseStayMessage('2302', b))).toEqual([
      expect.stringMatching(/^data\[1\]\.mdtrt_id: M-OTHER/),
      expect.stringMatching(/^data\[1\]\.feedetl_sn: 3 is row 0's too/),
    ]);
  });

  it('refuses an infno of another transaction, an outpatient med_type and a field the table does not list', () => {
    const b = clone('2401');
    b.infno = '2201';
    b.input.mdtrtinfo.med_type = '11';
    b.input.mdtrtinfo.dept = 'x';
    expect(problems(() => parseStayMessage('2401', b))).toEqual([
      expect.stringMatching(/^mdtrtinfo\.med_type: "11" 普通门诊 is not an inpatient/),
      expect.stringMatching(/^mdtrtinfo: .*dept/),
    ]);
    b.input.mdtrtinfo.med_type = '2101';
    delete b.input.mdtrtinfo.dept;
    expect(problems(() => parseStayMessage('2401', b))).toEqual([expect.stringMatching(/^infno: the message says 2201, but this is 2401 入院办理/)]);
  });

  it("takes the edition's inpatient med_types: the Hunan edition 2101…52 (not 21), 2301's rows too; the default both", () => {
    const hunan = loadCodeEdition('hunan-v1.1.27');
    const b = clone('2401');
    expect(parseStayMessage('2401', b, hunan).infno).toBe('2401');
    b.input.mdtrtinfo.med_type = '21';
    expect(parseStayMessage('2401', b).infno).toBe('2401');
    expect(problems(() => parseStayMessage('2401', b, hunan))).toEqual([
      'mdtrtinfo.med_type: "21" is not an inpatient 医疗类别 (med_type) of hunan-v1.1.27: one of 2101 普通住院, 2102 单病种住院, 21303 精神病住院, 2105 康复治疗住院, 2106 生育平产(居民), 2107 生育剖宫产(居民), 2109 新生儿抢救, 22 外伤住院, 28 日间手术, 52 生育住院',
    ]);
    const up = clone('2301');
    up.input.feedetail[0].med_type = '9901';
    expect(problems(() => parseStayMessage('2301', up, hunan))).toEqual([expect.stringMatching(/^feedetail\[0\]\.med_type: "9901" 门诊两病 is not an inpatient 医疗类别/)]);
  });
});
