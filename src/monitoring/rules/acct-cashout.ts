/**
 * ACCT-CASHOUT 个人账户套现嫌疑: a person who, at one retail pharmacy (定点零售药店), pays with the
 * personal account (个人账户) again and again within a few days, for sums that add up — the pattern of
 * 个人账户套现 (濮阳 第二十二条), often in round amounts (a card swiped for cash or goods).
 *
 * The reading:
 * - only settlements at institutions of kind pharmacy, in the span, whose personal-account part is
 *   positive (accountFen > 0), count as purchases; at an institution whose kind is not recorded the
 *   purchases cannot be judged and are counted (`unjudged`);
 * - per person and pharmacy, a rolling window of `windowDays` China days (the day of a purchase and
 *   the windowDays − 1 days before it): a lead when, at a purchase, the window holds at least
 *   `minPurchases` purchases whose account parts add up to at least `minAccountFen`;
 * - with `roundAmountFen` and `minRoundSharePercent` (both or neither, optional): additionally at
 *   least that share of the window's purchases have a total (totalFen) that is a whole multiple of
 *   roundAmountFen (整额), compared in integers: round × 100 ≥ share × purchases;
 * - once a window makes a lead, the next window starts after its last purchase: purchases are never
 *   in two leads, and their amounts are never counted twice;
 * - the amount in question is the account money of the window's purchases (each purchase's account
 *   part on its detail). The lead is about the purchase that completed the window.
 *
 * For incremental runs and checks the ledger gives the rule at least windowDays of history before
 * newFromMs, so that windows are the ones a batch run would find.
 *
 * One pass over each person's rows: a person's purchases at one pharmacy are chained through a
 * scratch array, each chain walked once with the window's two ends.
 */
import { z } from 'zod';
import { chinaDay, chinaDayStart, formatDate } from '../../calendar/calendar.js';
import { formatYuan } from '../../money/money.js';
import { INSTITUTION_KINDS, KIND_UNKNOWN, type Lead, type MonitoringData, type RuleDefinition, type RunContext } from '../types.js';
import { firstAtOrAfter, isNew, maxPersonRows, pushIfNew } from './common.js';
import { HENAN_71_9, PUYANG_22 } from './sources.js';

export interface AcctCashoutParams {
  /** 统计窗口, China days. */
  windowDays: number;
  /** 窗口内个人账户支付购药次数下限. */
  minPurchases: number;
  /** 窗口内个人账户支付金额合计下限, fen. */
  minAccountFen: number;
  /** 整额的单位, fen (10000 = 100 元): optional, with minRoundSharePercent. */
  roundAmountFen?: number | undefined;
  /** 整额购药次数占比下限, percent: optional, with roundAmountFen. */
  minRoundSharePercent?: number | undefined;
}

export const acctCashoutSchema = z
  .strictObject({
    windowDays: z.int({ error: 'must be a whole number of days (统计窗口)' }).min(1).max(366),
    minPurchases: z.int({ error: 'must be a whole number of purchases (购药次数下限)' }).min(1).max(10_000),
    minAccountFen: z.int({ error: 'must be a whole number of fen (个人账户支付合计下限)' }).min(1).max(10_000_000_000),
    roundAmountFen: z.int({ error: 'must be a whole number of fen (整额单位)' }).min(1).max(100_000_000).optional(),
    minRoundSharePercent: z.int({ error: 'must be a whole percent (整额占比下限)' }).min(1).max(100).optional(),
  })
  .refine((v) => (v.roundAmountFen === undefined) === (v.minRoundSharePercent === undefined), {
    error: 'roundAmountFen and minRoundSharePercent go together: set both (整额单位与整额占比下限) or neither',
    path: ['minRoundSharePercent'],
  });

const PHARMACY = INSTITUTION_KINDS.indexOf('pharmacy');

/** Walks every person's purchases; adds the leads to `out` (when given); returns the purchases not judged. */
function walk(data: MonitoringData, params: AcctCashoutParams, ctx: RunContext, out: Lead[] | null): number {
  const s = data.settlements;
  const kind = data.institutions.kind;
  const n = data.institutions.ids.length;
  const stamp = new Int32Array(n).fill(-1);
  const head = new Int32Array(n);
  const tail = new Int32Array(n);
  const next = new Int32Array(maxPersonRows(s));
  let unjudged = 0;
  for (let p = 0; p + 1 < s.personStart.length; p++) {
    const lo = firstAtOrAfter(s.timeMs, s.personStart[p]!, s.personStart[p + 1]!, ctx.fromMs);
    const hi = firstAtOrAfter(s.timeMs, lo, s.personStart[p + 1]!, ctx.toMs);
    let any = false;
    for (let r = lo; r < hi; r++) {
      if (!(s.accountFen[r]! > 0)) continue;
      const inst = s.institution[r]!;
      const k = kind[inst]!;
      if (k !== PHARMACY) {
        if ((k === KIND_UNKNOWN || k >= INSTITUTION_KINDS.length) && isNew(s, r, ctx)) unjudged++;
        continue;
      }
      next[r - lo] = -1;
      if (stamp[inst] !== p) {
        stamp[inst] = p;
        head[inst] = r;
      } else {
        next[tail[inst]! - lo] = r;
      }
      tail[inst] = r;
      any = true;
    }
    if (!any || out === null) continue;
    for (let r = lo; r < hi; r++) {
      const inst = s.institution[r]!;
      if (stamp[inst] === p && head[inst] === r) windows(data, params, ctx, p, r, lo, next, out);
    }
  }
  return unjudged;
}

/** The windows of one person's purchases at one pharmacy (the chain from `first`). */
function windows(data: MonitoringData, params: AcctCashoutParams, ctx: RunContext, person: number, first: number, base: number, next: Int32Array, out: Lead[]): void {
  const s = data.settlements;
  const unit = params.roundAmountFen;
  const share = params.minRoundSharePercent ?? 0;
  let w = first;
  let count = 0;
  let sum = 0;
  let round = 0;
  for (let r = first; r !== -1; r = next[r - base]!) {
    count++;
    sum += s.accountFen[r]!;
    if (unit !== undefined && s.totalFen[r]! % unit === 0) round++;
    const fromDay = s.day[r]! - params.windowDays + 1;
    while (s.day[w]! < fromDay) {
      count--;
      sum -= s.accountFen[w]!;
      if (unit !== undefined && s.totalFen[w]! % unit === 0) round--;
      w = next[w - base]!;
    }
    if (count < params.minPurchases || sum < params.minAccountFen) continue;
    if (unit !== undefined && round * 100 < share * count) continue;
    pushIfNew(out, s, lead(data, params, person, w, r, base, next, { count, sum, round }), ctx);
    w = next[r - base]!;
    count = 0;
    sum = 0;
    round = 0;
  }
}

function lead(
  data: MonitoringData,
  params: AcctCashoutParams,
  person: number,
  from: number,
  to: number,
  base: number,
  next: Int32Array,
  f: { count: number; sum: number; round: number },
): Lead {
  const s = data.settlements;
  const rows = [to];
  const rowAmountsFen = [s.accountFen[to]!];
  for (let r = from; r !== to; r = next[r - base]!) {
    rows.push(r);
    rowAmountsFen.push(s.accountFen[r]!);
  }
  const institution = s.institution[to]!;
  const institutionId = data.institutions.ids[institution]!;
  const firstDay = formatDate(s.day[from]!);
  const lastDay = formatDate(s.day[to]!);
  const unit = params.roundAmountFen;
  const roundText = unit === undefined ? '' : `，其中总金额为${formatYuan(unit)}元整数倍的${f.round}次`;
  const roundSetting = unit === undefined ? '' : `，且总金额为${formatYuan(unit)}元整数倍的占比≥${params.minRoundSharePercent}%`;
  const figures: Record<string, number | string> = {
    institution: institutionId,
    firstDay,
    lastDay,
    purchases: f.count,
    accountFen: f.sum,
    windowDays: params.windowDays,
    minPurchases: params.minPurchases,
    minAccountFen: params.minAccountFen,
  };
  if (unit !== undefined) {
    figures.roundPurchases = f.round;
    figures.roundAmountFen = unit;
    figures.minRoundSharePercent = params.minRoundSharePercent!;
  }
  return {
    ruleId: ACCT_CASHOUT.id,
    key: `ACCT-CASHOUT:${data.persons.ids[person]}:${institutionId}:${s.timeMs[to]}`,
    person,
    institution,
    rows,
    rowAmountsFen,
    amountFen: f.sum,
    amountComputed: true,
    content:
      `${firstDay}至${lastDay}，参保人在定点零售药店（${institutionId}）用个人账户支付购药${f.count}次，个人账户支付合计${formatYuan(f.sum)}元${roundText}` +
      `（设定：${params.windowDays}日内≥${params.minPurchases}次且合计≥${formatYuan(params.minAccountFen)}元${roundSetting}即提示），疑似个人账户套现。`,
    figures,
  };
}

export const ACCT_CASHOUT: RuleDefinition<AcctCashoutParams> = {
  id: 'ACCT-CASHOUT',
  name: '个人账户套现嫌疑（定点零售药店）',
  description:
    '同一参保人在同一定点零售药店，设定天数内用个人账户支付购药的次数和个人账户支付合计均达到设定值（可另设整额购药占比）的，提示疑似个人账户套现。' +
    '违规金额为这些购药的个人账户支付合计。机构类型未登记的，无法判断，单独计数。',
  sources: [PUYANG_22, HENAN_71_9],
  behaviour: '1',
  concerns: 'visit',
  reach: 'visit',
  severity: '3',
  parameters: [
    { name: 'windowDays', label: '统计窗口（自然日）', unit: '天' },
    { name: 'minPurchases', label: '窗口内个人账户支付购药次数下限', unit: '次' },
    { name: 'minAccountFen', label: '窗口内个人账户支付合计下限', unit: '分' },
    { name: 'roundAmountFen', label: '整额单位（可选，与整额占比下限同设）', unit: '分', optional: true },
    { name: 'minRoundSharePercent', label: '整额购药次数占比下限（可选，与整额单位同设）', unit: '%', optional: true },
  ],
  schema: acctCashoutSchema,
  // The window's days before the new settlement's day.
  lookbackFrom: (params, fromMs) => chinaDayStart(chinaDay(fromMs) - params.windowDays),
  evaluate(data, params, ctx) {
    const out: Lead[] = [];
    walk(data, params, ctx, out);
    return out;
  },
  unjudged(data, params, ctx) {
    const n = walk(data, params, ctx, null);
    return n === 0 ? undefined : `${n}笔个人账户支付的结算所在机构未登记类型（定点医疗机构或定点零售药店），未判断`;
  },
};
