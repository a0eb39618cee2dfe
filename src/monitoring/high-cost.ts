/**
 * High-cost patients (高额费用负担患者预警): insured people whose own share of their medical costs
 * puts them at risk of falling (back) into poverty, found early — 豫医保办〔2023〕71号 六 and
 * 洛医保〔2023〕63号 七(三): 完善参保动态监测、高额费用负担患者预警……确保风险早发现、早预防、早帮扶.
 *
 * Personal burden (个人负担) is read as what the person paid themselves: cash (现金) plus what their
 * personal account paid (个人账户); both are shown. A person is listed when their burden in the
 * calendar year up to the report day reaches the agency's year threshold, or their burden in the
 * N days ending on the report day reaches the window threshold (setting `high-cost`:
 * `{ yearBurdenFen?, window?: { days, burdenFen } }`, at least one). No threshold is invented:
 * without the setting nobody is listed and the report names the missing setting.
 */
import { z } from 'zod';
import { formatDate, type DayNumber, yearStart } from '../calendar/calendar.js';
import { HARDSHIP_GROUPS, HARDSHIP_LABELS, type Hardship } from '../domain.js';
import { formatYuan, MAX_AMOUNT_FEN, type Fen } from '../money/money.js';
import type { Citation } from './types.js';

/** The setting key of the thresholds. */
export const HIGH_COST_SETTING = 'high-cost';

/** The longest window: a year of days. */
export const MAX_WINDOW_DAYS = 366;

const threshold = (what: string) =>
  z
    .number({ error: 'must be a whole number of fen (1 yuan = 100)' })
    .int('must be a whole number of fen (1 yuan = 100)')
    .min(1, 'must be at least 1 fen')
    .max(MAX_AMOUNT_FEN, `must be at most ${MAX_AMOUNT_FEN} fen`)
    .meta({ description: what });

/** The agency's setting `high-cost`. */
export const highCostSettingSchema = z
  .strictObject({
    yearBurdenFen: threshold('A person whose personal burden (cash + personal account) in the calendar year reaches this many fen is listed.').optional(),
    window: z
      .strictObject({
        days: z
          .number({ error: `must be a whole number of days, 1 to ${MAX_WINDOW_DAYS}` })
          .int(`must be a whole number of days, 1 to ${MAX_WINDOW_DAYS}`)
          .min(1, `must be 1 to ${MAX_WINDOW_DAYS}`)
          .max(MAX_WINDOW_DAYS, `must be 1 to ${MAX_WINDOW_DAYS}`),
        burdenFen: threshold('A person whose personal burden in the window (the days ending on the report day) reaches this many fen is listed.'),
      })
      .optional(),
  })
  .refine((v) => v.yearBurdenFen !== undefined || v.window !== undefined, { message: 'set yearBurdenFen, window { days, burdenFen }, or both' });
export type HighCostSetting = z.infer<typeof highCostSettingSchema>;

export const HIGH_COST_CITATIONS: Citation[] = [
  {
    document: '豫医保办〔2023〕71号',
    article: '六',
    quote:
      '健全完善防范化解因病返贫致贫长效机制,完善参保动态监测、高额费用负担患者预警、部门间信息共享、风险协同处置等工作机制,常态化做好监测预警人员综合帮扶,确保风险早发现、早预防、早帮扶。',
  },
  {
    document: '洛医保〔2023〕63号',
    article: '七(三)',
    quote:
      '健全完善防范化解因病返贫致贫长效机制，完善参保动态监测、高额费用负担患者预警、部门间信息共享、风险协同处置等工作机制，常态化做好监测预警人员综合帮扶，确保风险早发现、早预防、早帮扶。',
  },
];

/** What each fund paid on a person's settlements in a span (net of reversals). */
export interface FundSums {
  settlements: number;
  total: Fen;
  /** 统筹基金. */
  fund: Fen;
  /** 大病保险. */
  criticalIllness: Fen;
  /** 医疗救助. */
  assistance: Fen;
  /** 个人账户. */
  account: Fen;
  /** 现金. */
  cash: Fen;
}

/** A person's critical-illness position (大病保险) in the year. */
export interface CriticalIllnessPosition {
  /** Critical-illness insurance paid on the year's settlements up to the report day. */
  paidThisYear: Fen;
  /** The year's cap bucket (cap_usage `critical-illness`), when the person has one: used, and the cap of their group (null: none, or lifted). */
  cap: { bucket: string; used: Fen; limit: Fen | null; remaining: Fen | null } | null;
  /** The self-paid cost counted toward the critical-illness threshold (cap_usage `critical-illness-self-paid`), when kept. */
  countedSelfPaid: Fen | null;
}

/** One person's figures, as the ledger gives them. */
export interface PersonBurden {
  person: string;
  district: string | null;
  hardship: Hardship | null;
  category: string | null;
  /** The calendar year of the report day, up to it. */
  year: FundSums;
  /** The window's account and cash, when a window is set. */
  window: { account: Fen; cash: Fen } | null;
  criticalIllness: CriticalIllnessPosition;
}

/** Personal burden (个人负担): cash + personal account. */
export const burdenOf = (x: { account: Fen; cash: Fen }): Fen => x.account + x.cash;

/** The days of the window ending on the report day: [from, to]. */
export function windowDays(asOf: DayNumber, days: number): { from: DayNumber; to: DayNumber } {
  return { from: asOf - days + 1, to: asOf };
}

/** The span the year threshold reads: 1 January of the report day's year to the report day. */
export function yearDays(asOf: DayNumber, year: number): { from: DayNumber; to: DayNumber } {
  return { from: yearStart(year), to: asOf };
}

/** Why a person is listed: which thresholds their burden reaches (empty: not listed). */
export function highCostReasons(p: Pick<PersonBurden, 'year' | 'window'>, setting: HighCostSetting): ('year' | 'window')[] {
  const out: ('year' | 'window')[] = [];
  if (setting.yearBurdenFen !== undefined && burdenOf(p.year) >= setting.yearBurdenFen) out.push('year');
  if (setting.window !== undefined && p.window !== null && burdenOf(p.window) >= setting.window.burdenFen) out.push('window');
  return out;
}

/** A listed person. */
export interface HighCostPatient extends PersonBurden {
  yearBurden: Fen;
  windowBurden: Fen | null;
  reasons: ('year' | 'window')[];
  hardshipLabel: string | null;
  text: string;
}

/** A person's entry in the list, or undefined when their burden reaches no threshold. */
export function highCostPatient(p: PersonBurden, setting: HighCostSetting, asOf: DayNumber): HighCostPatient | undefined {
  const reasons = highCostReasons(p, setting);
  if (reasons.length === 0) return undefined;
  const yearBurden = burdenOf(p.year);
  const windowBurden = p.window === null ? null : burdenOf(p.window);
  const parts: string[] = [];
  if (reasons.includes('year') && setting.yearBurdenFen !== undefined) {
    parts.push(
      `本年度截至 ${formatDate(asOf)} 个人负担 ${formatYuan(yearBurden)} 元（现金 ${formatYuan(p.year.cash)} 元 + 个人账户 ${formatYuan(p.year.account)} 元），达到年度标准 ${formatYuan(setting.yearBurdenFen)} 元`,
    );
  }
  if (reasons.includes('window') && setting.window !== undefined && p.window !== null && windowBurden !== null) {
    parts.push(`截至 ${formatDate(asOf)} 的 ${setting.window.days} 天内个人负担 ${formatYuan(windowBurden)} 元，达到标准 ${formatYuan(setting.window.burdenFen)} 元`);
  }
  return {
    ...p,
    yearBurden,
    windowBurden,
    reasons,
    hardshipLabel: p.hardship === null ? null : HARDSHIP_LABELS[p.hardship],
    text: parts.join('；'),
  };
}

/** A hardship code as stored, or null when it is none of the groups. */
export function hardshipOf(code: string | null): Hardship | null {
  return code !== null && (HARDSHIP_GROUPS as readonly string[]).includes(code) ? (code as Hardship) : null;
}

/** The label of a hardship group, or 非困难群众 (none on file). */
export const hardshipLabel = (h: Hardship | null): string => (h === null ? '非困难群众（未登记困难类别）' : HARDSHIP_LABELS[h]);

/** What a report says when no threshold is set. */
export const NO_THRESHOLD = `未设置高额费用负担标准（监测设置 ${HIGH_COST_SETTING}：{ yearBurdenFen?, window?: { days, burdenFen } }），不列出任何人员`;

/** The thresholds in words. */
export function thresholdText(setting: HighCostSetting): string {
  const parts: string[] = [];
  if (setting.yearBurdenFen !== undefined) parts.push(`年度个人负担达到 ${formatYuan(setting.yearBurdenFen)} 元`);
  if (setting.window !== undefined) parts.push(`${setting.window.days} 天内个人负担达到 ${formatYuan(setting.window.burdenFen)} 元`);
  return `${parts.join('，或 ')}（个人负担 = 现金 + 个人账户）`;
}
