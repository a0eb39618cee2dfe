import { describe, expect, it } from 'vitest';
import { SPLIT_DAY } from './rules/split-day.js';
import { evidenceText, rowAmountsOf, supervisionResult, truncateText, type SupervisionResultInput } from './supervision-result.js';

const finding = (over: Partial<SupervisionResultInput> = {}): SupervisionResultInput => ({
  jrId: 'F-1',
  ruleId: 'SPLIT-DAY',
  ruleName: SPLIT_DAY.name,
  content: '2024-03-05，参保人在同一定点医药机构（H0）以普通门诊结算3次……',
  personId: 'P0',
  visitId: 'V1',
  amountFen: 2850,
  amountComputed: true,
  severity: '2',
  behaviour: '1',
  sources: SPLIT_DAY.sources,
  details: [
    { id: 'S1', personId: 'P0', visitId: 'V1', amountFen: 0, triggering: true },
    { id: 'S2', personId: 'P0', visitId: 'V2', amountFen: 2300, triggering: false },
    { id: 'S3', personId: 'P0', visitId: 'V3', amountFen: 550, triggering: false },
  ],
  ...over,
});

describe('the national supervision result (3101/3102 表134, 表135)', () => {
  it('maps a finding: yuan text from fen, codes, details with their item type', () => {
    const r = supervisionResult(finding());
    expect(r).toMatchObject({
      jr_id: 'F-1',
      rule_id: 'SPLIT-DAY',
      rule_name: '分解就诊（同日同机构多次结算）',
      patn_id: 'P0',
      mdtrt_id: 'V1',
      vola_amt: '28.50',
      vola_amt_stas: '1',
      sev_deg: '2',
      vola_bhvr_type: '1',
      task_id: null,
    });
    expect(r.judge_result_detail_dtos).toEqual([
      { jrd_id: 'S1', patn_id: 'P0', mdtrt_id: 'V1', rx_id: null, vola_item_type: '1', vola_amt: '0.00' },
      { jrd_id: 'S2', patn_id: 'P0', mdtrt_id: 'V2', rx_id: null, vola_item_type: '2', vola_amt: '23.00' },
      { jrd_id: 'S3', patn_id: 'P0', mdtrt_id: 'V3', rx_id: null, vola_item_type: '2', vola_amt: '5.50' },
    ]);
    expect(r.vola_evid.startsWith('濮阳市职工医保门诊共济保障机制实施细则（试行） 第二十二条：“严厉打击过度诊疗')).toBe(true);
    expect(r.vola_evid).toContain('；洛医保〔2022〕36号 第十六条：“');
  });

  it('an amount not computed is 0.00 with status 0 (异常), and no visit is null', () => {
    const r = supervisionResult(finding({ amountFen: 0, amountComputed: false, visitId: null, details: [], taskId: 'T9' }));
    expect(r).toMatchObject({ vola_amt: '0.00', vola_amt_stas: '0', mdtrt_id: null, judge_result_detail_dtos: [], task_id: 'T9' });
  });

  it('refuses an amount that is not whole fen', () => {
    expect(() => supervisionResult(finding({ amountFen: 28.5 }))).toThrow(RangeError);
  });

  it('cuts texts by code points, never splitting a character', () => {
    const long = `${'医'.repeat(498)}😀😀😀`; // 501 code points, 504 UTF-16 units
    const cut = truncateText(long, 500);
    expect([...cut]).toHaveLength(500);
    // 499 kept (498 医 and one 😀) and the ellipsis; no lone surrogate.
    expect(cut.endsWith('医😀…')).toBe(true);
    expect(/\p{Cs}/u.test(cut)).toBe(false);
    const exact = `${'医'.repeat(499)}😀`;
    expect(truncateText(exact, 500)).toBe(exact);
    const r = supervisionResult(finding({ content: long, ruleName: '规'.repeat(201) }));
    expect([...r.vola_cont]).toHaveLength(500);
    expect([...r.rule_name]).toHaveLength(200);
    expect(r.rule_name.endsWith('规…')).toBe(true);
  });

  it('keeps vola_evid within 500 characters', () => {
    const many = Array.from({ length: 10 }, () => SPLIT_DAY.sources).flat();
    expect([...evidenceText(many)]).toHaveLength(500);
    expect(evidenceText([])).toBe('');
  });

  it('splits a lead amount over its rows', () => {
    expect(rowAmountsOf({ rows: [4, 5, 6], amountFen: 900 })).toEqual([900, 0, 0]);
    expect(rowAmountsOf({ rows: [4, 5], amountFen: 900, rowAmountsFen: [400, 500] })).toEqual([400, 500]);
    expect(() => rowAmountsOf({ rows: [4, 5], amountFen: 900, rowAmountsFen: [900] })).toThrow(RangeError);
  });
});
