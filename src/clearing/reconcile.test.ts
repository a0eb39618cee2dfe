import { describe, expect, it } from 'vitest';
import { YibaoError } from '../errors.js';
import type { DetailRow, LedgerDetailRow, RefundFlag } from './detail.js';
import { formatResultFile } from './national-file.js';
import { type DetailDifference, reconcileDetail, reconcileTotals, resultFileRows } from './reconcile.js';

const T0 = Date.parse('2024-03-10T02:00:00Z');

function h(setl_id: string, medfee: number, fund: number, acct: number, flag: RefundFlag = '0', mdtrt_id = `M${setl_id.slice(1)}`, psn_no = `P${setl_id.slice(1)}`): DetailRow {
  return { setl_id, mdtrt_id, psn_no, medfee_sumamt: medfee, fund_pay_sumamt: fund, acct_pay: acct, refd_setl_flag: flag };
}

function l(setl_id: string, medfee: number, fund: number, acct: number, reverses: string | null = null, mdtrt_id = `M${setl_id.slice(1)}`): LedgerDetailRow {
  return {
    ...h(setl_id, medfee, fund, acct, reverses === null ? '0' : '1', mdtrt_id, `P${mdtrt_id.slice(1)}`),
    reverses,
    settledAt: T0,
    cash_payamt: medfee - fund - acct,
  };
}

/**
 * The ledger's rows in the span (March 2024): a settlement the hospital lists alike (S01), one whose
 * 医疗费总额 the hospital has 0.50 higher (S02), one the hospital lacks (S03), a refund pair both in the
 * span of which the hospital lists only the forward row (S04 reversed by S05), a reverse row whose
 * forward S00 lies in February (S06, listed alone, as expected), one whose psn_no differs (S07) and
 * a settlement the hospital flags as a refund (S08). The hospital lists S01 twice and S09, unknown.
 */
const LEDGER: LedgerDetailRow[] = [
  l('S01', 10000, 8000, 500),
  l('S02', 20000, 15000, 0),
  l('S03', 5000, 4000, 1000),
  l('S04', 30000, 24000, 2000),
  l('S05', -30000, -24000, -2000, 'S04', 'M04'),
  l('S06', -8000, -6000, 0, 'S00'),
  l('S07', 2000, 1000, 0),
  l('S08', 6000, 3000, 0),
];
const HOSPITAL: DetailRow[] = [
  h('S01', 10000, 8000, 500),
  h('S01', 10000, 8000, 500),
  h('S02', 20050, 15000, 0),
  h('S04', 30000, 24000, 2000),
  h('S06', -8000, -6000, 0, '1'),
  h('S07', 2000, 1000, 0, '0', 'M07', 'P77'),
  h('S08', 6000, 3000, 0, '1'),
  h('S09', 4500, 3000, 0),
];

describe('reconcileDetail', () => {
  const rec = reconcileDetail(HOSPITAL, LEDGER);

  it('classifies every difference, sorted by setl_id', () => {
    const a = (medfee_sumamt: number, fund_pay_sumamt: number, acct_pay: number) => ({ medfee_sumamt, fund_pay_sumamt, acct_pay });
    expect(rec.differences).toEqual<DetailDifference[]>([
      {
        setl_id: 'S01',
        mdtrt_id: 'M01',
        psn_no: 'P01',
        refd_setl_flag: '0',
        class: 'duplicated',
        fields: [],
        hospital: a(10000, 8000, 500),
        ledger: a(10000, 8000, 500),
        memo: '医院文件中结算ID S01 重复（共 2 条），此条未参与比对',
      },
      {
        setl_id: 'S02',
        mdtrt_id: 'M02',
        psn_no: 'P02',
        refd_setl_flag: '0',
        class: 'amount-differs',
        fields: ['medfee_sumamt'],
        hospital: a(20050, 15000, 0),
        ledger: a(20000, 15000, 0),
        memo: '医疗费总额不一致：医院 200.50 元，医保 200.00 元',
      },
      {
        setl_id: 'S03',
        mdtrt_id: 'M03',
        psn_no: 'P03',
        refd_setl_flag: '0',
        class: 'missing-in-hospital',
        fields: [],
        hospital: null,
        ledger: a(5000, 4000, 1000),
        memo: '医院端无此结算记录',
      },
      {
        setl_id: 'S05',
        mdtrt_id: 'M04',
        psn_no: 'P04',
        refd_setl_flag: '1',
        class: 'refund-incomplete',
        fields: [],
        hospital: null,
        ledger: a(-30000, -24000, -2000),
        memo: '退费不完整：医院端有原结算 S04，缺少其退费结算 S05（医保端同一对账期内已退费）',
      },
      {
        setl_id: 'S07',
        mdtrt_id: 'M07',
        psn_no: 'P07',
        refd_setl_flag: '0',
        class: 'field-differs',
        fields: ['psn_no'],
        hospital: a(2000, 1000, 0),
        ledger: a(2000, 1000, 0),
        memo: '人员编号不一致：医院 P77，医保 P07',
      },
      {
        setl_id: 'S08',
        mdtrt_id: 'M08',
        psn_no: 'P08',
        refd_setl_flag: '0',
        class: 'refund-incomplete',
        fields: ['refd_setl_flag'],
        hospital: a(6000, 3000, 0),
        ledger: a(6000, 3000, 0),
        memo: '退费结算标志不一致：医院 1（是），医保 0（否）',
      },
      {
        setl_id: 'S09',
        mdtrt_id: 'M09',
        psn_no: 'P09',
        refd_setl_flag: '0',
        class: 'missing-in-ledger',
        fields: [],
        hospital: a(4500, 3000, 0),
        ledger: null,
        memo: '医保端对账期内无此结算记录',
      },
    ]);
  });

  it('counts the matched rows (the forward of the pair, the reverse row whose forward lies before the span)', () => {
    expect(rec.matched.map((m) => m.setl_id)).toEqual(['S01', 'S04', 'S06']);
    expect(rec.matched[2]).toEqual({ setl_id: 'S06', mdtrt_id: 'M06', psn_no: 'P06', refd_setl_flag: '1', medfee_sumamt: -8000, fund_pay_sumamt: -6000, acct_pay: 0 });
  });

  it('totals the classes and both sides', () => {
    expect(rec.totals).toEqual({
      matched: 3,
      byClass: { 'missing-in-ledger': 1, 'missing-in-hospital': 1, 'refund-incomplete': 2, 'amount-differs': 1, 'field-differs': 1, duplicated: 1 },
      hospital: { medfee_sumamt: 74550, fund_pay_sumamt: 56000, acct_pay: 3000, count: 8 },
      ledger: { medfee_sumamt: 35000, fund_pay_sumamt: 25000, acct_pay: 1500, count: 8 },
    });
    expect(rec.balanced).toBe(false);
  });

  it('balances when both sides agree', () => {
    const same = LEDGER.map(({ reverses: _r, settledAt: _s, cash_payamt: _c, ...row }) => row);
    const r = reconcileDetail(same, LEDGER);
    expect(r.balanced).toBe(true);
    expect(r.differences).toEqual([]);
    expect(r.totals.matched).toBe(8);
    expect(r.totals.hospital).toEqual(r.totals.ledger);
  });

  it('reports a pair the hospital lists only the reverse of once, on the forward', () => {
    const r = reconcileDetail([h('S05', -30000, -24000, -2000, '1', 'M04', 'P04')], [LEDGER[3]!, LEDGER[4]!]);
    expect(r.differences).toHaveLength(1);
    expect(r.differences[0]).toMatchObject({
      setl_id: 'S04',
      class: 'refund-incomplete',
      hospital: null,
      memo: '退费不完整：医院端有退费结算 S05，缺少其原结算 S04（同一对账期内的退费须传正向和反向两条）',
    });
    expect(r.matched.map((m) => m.setl_id)).toEqual(['S05']);
  });

  it('reports a pair the hospital lacks wholly as two missing rows', () => {
    const r = reconcileDetail([], [LEDGER[3]!, LEDGER[4]!]);
    expect(r.differences.map((d) => [d.setl_id, d.class, d.memo])).toEqual([
      ['S04', 'missing-in-hospital', '医院端无此结算记录（已由 S05 退费）'],
      ['S05', 'missing-in-hospital', '医院端无此退费结算记录（原结算 S04）'],
    ]);
  });

  it('expects only the reverse row when the forward lies before the span', () => {
    // The hospital lists the February forward too: the ledger has no S00 in March.
    const r = reconcileDetail([h('S00', 8000, 6000, 0, '0', 'M06', 'P06'), h('S06', -8000, -6000, 0, '1')], [LEDGER[5]!]);
    expect(r.differences.map((d) => [d.setl_id, d.class, d.memo])).toEqual([['S00', 'missing-in-ledger', '医保端对账期内无此结算记录']]);
    expect(r.matched.map((m) => m.setl_id)).toEqual(['S06']);
    const missing = reconcileDetail([], [LEDGER[5]!]);
    expect(missing.differences[0]?.memo).toBe('医院端无此退费结算记录（原结算 S00 不在本对账期内）');
  });

  it('lists every differing field of a row, the flag first', () => {
    const r = reconcileDetail([h('S02', -20000, -15000, 0, '1', 'M99')], [LEDGER[1]!]);
    expect(r.differences[0]).toMatchObject({
      class: 'refund-incomplete',
      fields: ['refd_setl_flag', 'mdtrt_id', 'medfee_sumamt', 'fund_pay_sumamt'],
      memo: '退费结算标志不一致：医院 1（是），医保 0（否）；就诊ID不一致：医院 M99，医保 M02；医疗费总额不一致：医院 -200.00 元，医保 200.00 元；基金支付总额不一致：医院 -150.00 元，医保 150.00 元；金额正负相反',
    });
    const amounts = reconcileDetail([h('S01', 10000, 7999, 501, '0', 'M01', 'P99')], [LEDGER[0]!]);
    expect(amounts.differences[0]).toMatchObject({ class: 'amount-differs', fields: ['psn_no', 'fund_pay_sumamt', 'acct_pay'] });
  });

  it('compares the duplicate closest to the ledger and reports the others, whatever their order', () => {
    const wrong = h('S01', 99900, 8000, 500);
    const right = h('S01', 10000, 8000, 500);
    for (const rows of [
      [wrong, right],
      [right, wrong],
    ]) {
      const r = reconcileDetail(rows, [LEDGER[0]!]);
      expect(r.matched.map((m) => m.setl_id)).toEqual(['S01']);
      expect(r.differences).toEqual([expect.objectContaining({ class: 'duplicated', hospital: { medfee_sumamt: 99900, fund_pay_sumamt: 8000, acct_pay: 500 } })]);
    }
    // Without a ledger row, one is missing-in-ledger and the other duplicated.
    expect(reconcileDetail([wrong, right], []).differences.map((d) => [d.class, d.hospital?.medfee_sumamt])).toEqual([
      ['missing-in-ledger', 10000],
      ['duplicated', 99900],
    ]);
  });

  it('refuses a ledger listing a setl_id twice', () => {
    expect(() => reconcileDetail([], [LEDGER[0]!, LEDGER[0]!])).toThrow(YibaoError);
  });

  it('gives the same outcome however the inputs are ordered', () => {
    // A seeded generator (mulberry32) and Fisher–Yates: reproducible shuffles, no package.
    let seed = 20240301;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const shuffle = <T>(xs: readonly T[]): T[] => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    };
    // Besides the example: duplicates that differ from each other and from the ledger.
    const hospital = [...HOSPITAL, h('S02', 20000, 15001, 0), h('S02', 20050, 15000, 0, '0', 'M02', 'PX'), h('S09', 4500, 3000, 1), h('S03', 5000, 4000, 1000, '1')];
    const expected = reconcileDetail(hospital, LEDGER);
    expect(expected.differences.filter((d) => d.setl_id === 'S02').map((d) => d.class)).toEqual(['amount-differs', 'duplicated', 'duplicated']);
    for (let i = 0; i < 200; i++) {
      expect(reconcileDetail(shuffle(hospital), shuffle(LEDGER))).toEqual(expected);
    }
  });
});

describe('resultFileRows', () => {
  it('lists matched rows as 平 and differences as 不平, the ledger amounts first', () => {
    const rows = resultFileRows(reconcileDetail(HOSPITAL, LEDGER), { msgid: (id) => `MSG-${id}` });
    expect(rows.map((r) => [r.setl_id, r.stmt_rslt])).toEqual([
      ['S01', '0'],
      ['S01', '1'],
      ['S02', '1'],
      ['S03', '1'],
      ['S04', '0'],
      ['S05', '1'],
      ['S06', '0'],
      ['S07', '1'],
      ['S08', '1'],
      ['S09', '1'],
    ]);
    const text = formatResultFile(rows).split('\n');
    expect(text[2]).toBe('P02\tM02\tS02\tMSG-S02\t1\t0\t医疗费总额不一致：医院 200.50 元，医保 200.00 元\t200.00\t150.00\t0.00');
    expect(text[9]).toBe('P09\tM09\tS09\tMSG-S09\t1\t0\t医保端对账期内无此结算记录\t45.00\t30.00\t0.00');
    expect(resultFileRows(reconcileDetail(HOSPITAL, LEDGER), { matched: false })).toHaveLength(7);
  });
});

describe('reconcileTotals', () => {
  const ours = { medfee_sumamt: 35000, fund_pay_sumamt: 25000, acct_pay: 1500, fixmedins_setl_cnt: 8 };

  it('says 平 with the figures when every figure agrees', () => {
    expect(reconcileTotals(ours, { ...ours })).toEqual({
      stmt_rslt: '0',
      stmt_rslt_dscr: '平：医疗费总额 350.00 元、基金支付总额 250.00 元、个人账户支付金额 15.00 元、结算笔数 8 笔，双方一致',
    });
  });

  it('names each differing figure with both values and the gap', () => {
    const claimed = { medfee_sumamt: 74550, fund_pay_sumamt: 25000, acct_pay: 1499, fixmedins_setl_cnt: 8 };
    expect(reconcileTotals(claimed, ours)).toEqual({
      stmt_rslt: '1',
      stmt_rslt_dscr: '不平：医疗费总额 医院 745.50 元，医保 350.00 元（医院多 395.50 元）；个人账户支付金额 医院 14.99 元，医保 15.00 元（医院少 0.01 元）',
    });
    expect(reconcileTotals({ ...ours, fixmedins_setl_cnt: 7 }, ours).stmt_rslt_dscr).toBe('不平：结算笔数 医院 7 笔，医保 8 笔（医院少 1 笔）');
  });

  it('keeps to 200 characters: the gaps go when they would not fit', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const claimed = { medfee_sumamt: big, fund_pay_sumamt: big, acct_pay: big, fixmedins_setl_cnt: 9_999_999_999 };
    const ledger = { medfee_sumamt: -big, fund_pay_sumamt: -big, acct_pay: -big, fixmedins_setl_cnt: 0 };
    const d = reconcileTotals(claimed, ledger).stmt_rslt_dscr;
    expect(d).toBe(
      '不平：医疗费总额 医院 90071992547409.91 元，医保 -90071992547409.91 元；基金支付总额 医院 90071992547409.91 元，医保 -90071992547409.91 元；' +
        '个人账户支付金额 医院 90071992547409.91 元，医保 -90071992547409.91 元；结算笔数 医院 9999999999 笔，医保 0 笔',
    );
    expect(d.length).toBeLessThanOrEqual(200);
    // Two figures fit with their gaps.
    const two = reconcileTotals({ ...claimed, acct_pay: -big, fixmedins_setl_cnt: 0 }, ledger).stmt_rslt_dscr;
    expect(two).toBe(
      '不平：医疗费总额 医院 90071992547409.91 元，医保 -90071992547409.91 元（医院多 180143985094819.82 元）；基金支付总额 医院 90071992547409.91 元，医保 -90071992547409.91 元（医院多 180143985094819.82 元）',
    );
  });

  it('refuses figures that are not safe integers', () => {
    expect(() => reconcileTotals({ ...ours, acct_pay: 0.5 }, ours)).toThrow(RangeError);
    expect(() => reconcileTotals(ours, { ...ours, fixmedins_setl_cnt: -1 })).toThrow(RangeError);
  });
});
