/**
 * The budget warning (预警分析, 洛医保〔2023〕63号 三(一)): an account whose projected spending to
 * the year's end exceeds what it has for the year — the budget, plus for the students' account
 * what the last year left (结余滚存) — by more than the margin the agency sets (setting `warning`:
 * `{ marginBp }`, basis points of what it has). The margin has no default: without it no warning
 * is evaluated and the answer names the missing setting.
 *
 * Fires when projected − available > available × marginBp ÷ 10000, compared exactly in integers
 * ((projected − available) × 10000 > available × marginBp): at the margin exactly, it does not.
 */
import { z } from 'zod';
import { formatYuan, type Fen } from '../money/money.js';
import { roundRational, type Projection } from './projection.js';
import type { Citation } from './types.js';

/** The setting key of the margin. */
export const WARNING_SETTING = 'warning';

/** The most a margin may be: 100 000 bp (ten times what is available). */
export const MAX_MARGIN_BP = 100_000;

/** The agency's setting `warning`: the margin in basis points (0 = warn at any excess). */
export const warningSettingSchema = z.strictObject({
  marginBp: z
    .number({ error: 'must be a whole number of basis points (1% = 100)' })
    .int('must be a whole number of basis points (1% = 100)')
    .min(0, 'must not be negative')
    .max(MAX_MARGIN_BP, `must be at most ${MAX_MARGIN_BP}`)
    .meta({ description: 'How far above what an account has for the year (budget + carried in) its projection may go before a warning: basis points (1000 = 10%).' }),
});
export type WarningSetting = z.infer<typeof warningSettingSchema>;

/** 洛医保〔2023〕63号 三(一): what the warning serves. */
export const WARNING_CITATION: Citation = {
  document: '洛医保〔2023〕63号',
  article: '三(一)',
  quote: '各县区要科学合理预算门诊统筹保障资金，确保各项保障政策落实到位。……市医保中心结合基金支出情况，适时做出预警分析。',
};

/** The warning of one account, or why none was evaluated. */
export type WarningResult =
  | {
      evaluated: false;
      /** Why not (Chinese). */
      reason: string;
      /** The setting that would allow it, when a setting is what is missing. */
      missingSetting: string | null;
    }
  | {
      evaluated: true;
      fires: boolean;
      marginBp: number;
      /** Budget + carried in. */
      available: Fen;
      /** available × (10000 + marginBp) ÷ 10000: the projection above this fires (shown rounded to the fen; the test is exact). */
      threshold: Fen;
      projected: Fen;
      /** projected − available (negative: below what is available). */
      excess: Fen;
      /** excess ÷ available in basis points (rounded half away from zero); null when nothing is available. */
      excessBp: number | null;
      method: Projection['method'];
      methodLabel: string;
      text: string;
      citations: Citation[];
    };

/**
 * The warning of an account: evaluated when the margin is set, the account has a budget and a
 * projection was made.
 *
 * @param available budget + carried in, or null when the account has no budget for the year.
 * @param setting the margin in force, or undefined when the agency has not set it.
 * @param extra citations of the account's own rules (36号 第三条 for the students' account).
 */
export function evaluateWarning(available: Fen | null, projection: Projection | null, setting: WarningSetting | undefined, extra: readonly Citation[] = []): WarningResult {
  if (setting === undefined) {
    return { evaluated: false, reason: `未设置预警幅度（监测设置 ${WARNING_SETTING}：{ marginBp }），未作预警分析`, missingSetting: WARNING_SETTING };
  }
  if (available === null) return { evaluated: false, reason: '该账户本年度未录入预算，无从比较', missingSetting: null };
  if (projection === null) return { evaluated: false, reason: '本年度尚未开始或截至报告日没有可预测的天数', missingSetting: null };
  const { marginBp } = setting;
  const projected = projection.projected;
  const excess = projected - available;
  const fires = BigInt(excess) * 10_000n > BigInt(available) * BigInt(marginBp);
  const threshold = Number(roundRational(BigInt(available) * BigInt(10_000 + marginBp), 10_000n));
  const excessBp = available === 0 ? null : Number(roundRational(BigInt(excess) * 10_000n, BigInt(available)));
  const pct = (bp: number) => `${(bp / 100).toFixed(2)}%`;
  const text = fires
    ? `预警：采用${projection.methodLabel}，年末预计支出 ${formatYuan(projected)} 元，超过本年度可用额度 ${formatYuan(available)} 元 ${formatYuan(excess)} 元（${excessBp === null ? '可用额度为零' : pct(excessBp)}），超出预警幅度 ${pct(marginBp)}`
    : `未达预警：采用${projection.methodLabel}，年末预计支出 ${formatYuan(projected)} 元，本年度可用额度 ${formatYuan(available)} 元，预警线 ${formatYuan(threshold)} 元（幅度 ${pct(marginBp)}）`;
  return {
    evaluated: true,
    fires,
    marginBp,
    available,
    threshold,
    projected,
    excess,
    excessBp,
    method: projection.method,
    methodLabel: projection.methodLabel,
    text,
    citations: [WARNING_CITATION, ...extra],
  };
}
