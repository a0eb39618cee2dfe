/**
 * The budget warning (洛医保〔2023〕63号 三(一)) around its margin, by hand: an account with 2,000.00
 * yuan available and a margin of 1,000 bp (10%) warns when the projection is above
 * 2,000.00 × 110% = 2,200.00 — at 2,200.00 it does not, at 2,200.01 it does.
 */
import { describe, expect, it } from 'vitest';
import type { Projection } from './projection.js';
import { evaluateWarning, warningSettingSchema } from './warning.js';

const projection = (projected: number): Projection => ({
  method: 'seasonal-share',
  methodLabel: '季节占比法',
  text: '',
  year: 2024,
  elapsed: 100,
  daysInYear: 366,
  spentToDate: 1,
  projected,
  shares: [],
  fallback: null,
  backtest: [],
  meanAbsErrorBp: null,
});

describe('evaluateWarning', () => {
  it('does not fire at the margin, fires one fen above it, with the evidence and the citation', () => {
    const at = evaluateWarning(200_000, projection(220_000), { marginBp: 1000 });
    expect(at).toMatchObject({ evaluated: true, fires: false, threshold: 220_000, excess: 20_000, excessBp: 1000 });
    const above = evaluateWarning(200_000, projection(220_001), { marginBp: 1000 });
    expect(above).toMatchObject({ evaluated: true, fires: true, available: 200_000, projected: 220_001, excess: 20_001, marginBp: 1000, method: 'seasonal-share' });
    if (!above.evaluated) throw new Error('evaluated');
    expect(above.citations[0]).toMatchObject({ document: '洛医保〔2023〕63号', article: '三(一)' });
    expect(above.text).toBe('预警：采用季节占比法，年末预计支出 2200.01 元，超过本年度可用额度 2000.00 元 200.01 元（10.00%），超出预警幅度 10.00%');
    // The linear method's label begins with 按 itself: the sentence must not say it twice.
    const linear = evaluateWarning(200_000, { ...projection(150_000), method: 'linear', methodLabel: '按日线性外推' }, { marginBp: 1000 });
    if (!linear.evaluated) throw new Error('evaluated');
    expect(linear.text).toBe('未达预警：采用按日线性外推，年末预计支出 1500.00 元，本年度可用额度 2000.00 元，预警线 2200.00 元（幅度 10.00%）');
    // Below the budget: no warning.
    expect(evaluateWarning(200_000, projection(150_000), { marginBp: 1000 })).toMatchObject({ fires: false, excess: -50_000, excessBp: -2500 });
  });

  it('with a margin of 0, fires at any excess and not at the budget itself', () => {
    expect(evaluateWarning(200_000, projection(200_000), { marginBp: 0 })).toMatchObject({ fires: false });
    expect(evaluateWarning(200_000, projection(200_001), { marginBp: 0 })).toMatchObject({ fires: true });
  });

  it('compares exactly where the threshold is not a whole fen', () => {
    // 0.03 available, 5000 bp: threshold 0.045 yuan (4.5 fen). 4 fen: (4−3)×10000 = 10000 > 3×5000 = 15000? no. 5 fen: 20000 > 15000: fires.
    expect(evaluateWarning(3, projection(4), { marginBp: 5000 })).toMatchObject({ fires: false, threshold: 5 });
    expect(evaluateWarning(3, projection(5), { marginBp: 5000 })).toMatchObject({ fires: true });
  });

  it('evaluates nothing without the margin, and names the missing setting', () => {
    const r = evaluateWarning(200_000, projection(900_000), undefined);
    expect(r).toMatchObject({ evaluated: false, missingSetting: 'warning' });
    if (r.evaluated) throw new Error('not evaluated');
    expect(r.reason).toContain('warning');
  });

  it('evaluates nothing for an account without a budget, or without a projection', () => {
    expect(evaluateWarning(null, projection(900_000), { marginBp: 0 })).toMatchObject({ evaluated: false, missingSetting: null });
    expect(evaluateWarning(200_000, null, { marginBp: 0 })).toMatchObject({ evaluated: false, missingSetting: null });
  });

  it('reads the setting strictly: whole basis points, not negative, nothing else', () => {
    expect(warningSettingSchema.safeParse({ marginBp: 1000 }).success).toBe(true);
    expect(warningSettingSchema.safeParse({ marginBp: -1 }).success).toBe(false);
    expect(warningSettingSchema.safeParse({ marginBp: 10.5 }).success).toBe(false);
    expect(warningSettingSchema.safeParse({}).success).toBe(false);
    expect(warningSettingSchema.safeParse({ marginBp: 10, other: 1 }).success).toBe(false);
  });
});
