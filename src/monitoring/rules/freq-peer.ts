/**
 * FREQ-PEER 就诊频次异常: a person who settled far more visits in the run's span than the persons of
 * the same scheme and category (同类参保人) — the sign of 过度诊疗 and of a card used by others
 * (濮阳 第二十二条, 洛医保〔2022〕36号 第十七条).
 *
 * The reading:
 * - a visit is a live settlement in the span [fromMs, toMs), of any visit type;
 * - the peers of a person are the persons of the same scheme and category with at least one visit
 *   in the span: whether the ledger hands the rule every insured person or only those who settled,
 *   the median is the same, and the insured who never saw a doctor do not pull it to 0;
 * - the median is exact: counts are whole numbers, so it is a whole or a half, found by a histogram
 *   of counts per group (linear), and held as twice itself (`median2`) so that every comparison is
 *   in integers: count × 20000 ≥ median2 × multipleOfMedian (basis points);
 * - the threshold is T = max(minVisits, ⌈median2 × multipleOfMedian / 20000⌉) visits; a person with
 *   T or more is a lead;
 * - the amount in question is the fund (统筹基金, 大病保险, 医疗救助) paid on the T-th visit and those
 *   after it: the visits from the one that reached the threshold on. The visits before it are
 *   listed as concerned (涉及项), with no amount.
 *
 * A period rule: it judges a span, not a visit, and is not run at pre-settle or incrementally.
 */
import { z } from 'zod';
import { CATEGORIES, CATEGORY_LABELS, SCHEMES } from '../../domain.js';
import { formatYuan } from '../../money/money.js';
import type { Lead, MonitoringData, RuleDefinition, RunContext } from '../types.js';
import { firstAtOrAfter, fundOf, multipleText, pushIfNew, SCHEME_TEXT, spanText } from './common.js';
import { HENAN_71_9, LUOYANG_36_17, PUYANG_22, PUYANG_23 } from './sources.js';

export interface FreqPeerParams {
  /** 就诊次数下限: fewer visits are never a lead, whatever the peers. */
  minVisits: number;
  /** 同类参保人就诊次数中位数的倍数, basis points (30000 = 3 倍). */
  multipleOfMedian: number;
}

export const freqPeerSchema = z.strictObject({
  minVisits: z.int({ error: 'must be a whole number of visits (就诊次数下限)' }).min(1).max(100_000),
  multipleOfMedian: z
    .int({ error: 'must be a whole number of basis points (30000 = 3 倍)' })
    .min(10_000, { error: 'must be at least 10000 (1 倍): far above the median, not below it' })
    .max(10_000_000),
});

const NC = CATEGORIES.length;
const NG = SCHEMES.length * NC;

/** Each person's visits in the span and the peer groups' medians (twice the median: integers). */
interface PeerGroups {
  visits: Int32Array;
  /** Twice the median, by group (scheme × NC + category); 0 when the group has no peer. */
  median2: Float64Array;
  peers: Int32Array;
  /** Persons with visits whose scheme or category is not known: not judged. */
  unknown: number;
}

function groupOf(data: MonitoringData, p: number): number {
  const scheme = data.persons.scheme[p]!;
  const category = data.persons.category[p]!;
  return scheme < SCHEMES.length && category < NC ? scheme * NC + category : -1;
}

function peerGroups(data: MonitoringData, ctx: RunContext): PeerGroups {
  const s = data.settlements;
  const persons = s.personStart.length - 1;
  const visits = new Int32Array(persons);
  const peers = new Int32Array(NG);
  const max = new Int32Array(NG);
  let unknown = 0;
  for (let p = 0; p < persons; p++) {
    const lo = firstAtOrAfter(s.timeMs, s.personStart[p]!, s.personStart[p + 1]!, ctx.fromMs);
    const c = firstAtOrAfter(s.timeMs, lo, s.personStart[p + 1]!, ctx.toMs) - lo;
    visits[p] = c;
    if (c === 0) continue;
    const g = groupOf(data, p);
    if (g < 0) {
      unknown++;
      continue;
    }
    peers[g] = peers[g]! + 1;
    if (c > max[g]!) max[g] = c;
  }
  const histograms = Array.from({ length: NG }, (_, g) => new Int32Array(max[g]! + 1));
  for (let p = 0; p < persons; p++) {
    const c = visits[p]!;
    const g = c > 0 ? groupOf(data, p) : -1;
    if (g < 0) continue;
    const h = histograms[g]!;
    h[c] = h[c]! + 1;
  }
  const median2 = new Float64Array(NG);
  for (let g = 0; g < NG; g++) {
    const m = peers[g]!;
    if (m === 0) continue;
    // The values at sorted positions ⌊(m − 1) / 2⌋ and ⌊m / 2⌋ (0-based): one and the same when m is odd.
    const k1 = (m - 1) >> 1;
    const k2 = m >> 1;
    const h = histograms[g]!;
    let seen = 0;
    let v1 = -1;
    for (let v = 1; v < h.length; v++) {
      seen += h[v]!;
      if (v1 < 0 && seen > k1) v1 = v;
      if (seen > k2) {
        median2[g] = v1 + v;
        break;
      }
    }
  }
  return { visits, median2, peers, unknown };
}

/** The fewest visits that make a lead in a group: max(minVisits, ⌈median2 × multiple / 20000⌉). */
function thresholdOf(median2: number, params: FreqPeerParams): number {
  const n = median2 * params.multipleOfMedian;
  // ⌈n / 20000⌉ in integers: the float quotient is only a first guess near 2^53.
  let byMedian = Math.ceil(n / 20_000);
  while (byMedian * 20_000 < n) byMedian++;
  while (byMedian > 0 && (byMedian - 1) * 20_000 >= n) byMedian--;
  return Math.max(params.minVisits, byMedian);
}

/** The leads (see the module's comment). */
export function freqPeerLeads(data: MonitoringData, params: FreqPeerParams, ctx: RunContext): Lead[] {
  const s = data.settlements;
  const groups = peerGroups(data, ctx);
  const out: Lead[] = [];
  for (let p = 0; p < groups.visits.length; p++) {
    const c = groups.visits[p]!;
    if (c < params.minVisits) continue;
    const g = groupOf(data, p);
    if (g < 0) continue;
    const median2 = groups.median2[g]!;
    // Integers throughout: c × 20000 ≥ median2 × multiple (both sides below 2^53).
    if (c * 20_000 < median2 * params.multipleOfMedian) continue;
    const threshold = thresholdOf(median2, params);
    const lo = firstAtOrAfter(s.timeMs, s.personStart[p]!, s.personStart[p + 1]!, ctx.fromMs);
    const rows: number[] = [];
    const rowAmountsFen: number[] = [];
    let amount = 0;
    for (let r = lo + threshold - 1; r < lo + c; r++) {
      const fund = fundOf(s, r);
      rows.push(r);
      rowAmountsFen.push(fund);
      amount += fund;
    }
    for (let r = lo; r < lo + threshold - 1; r++) {
      rows.push(r);
      rowAmountsFen.push(0);
    }
    const scheme = data.persons.scheme[p]!;
    const category = CATEGORIES[data.persons.category[p]!]!;
    const median = median2 / 2;
    const questioned = c - threshold + 1;
    pushIfNew(
      out,
      s,
      {
        ruleId: FREQ_PEER.id,
        key: `FREQ-PEER:${data.persons.ids[p]}:${ctx.fromMs}:${ctx.toMs}`,
        person: p,
        rows,
        rowAmountsFen,
        amountFen: amount,
        amountComputed: true,
        content:
          `${spanText(ctx)}，参保人（${SCHEME_TEXT[scheme]}${CATEGORY_LABELS[category]}）就诊结算${c}次；同类参保人中有就诊的${groups.peers[g]}人，就诊次数中位数${median}次。` +
          `设定：≥${params.minVisits}次且≥中位数的${multipleText(params.multipleOfMedian)}倍，即≥${threshold}次即提示。` +
          `第${threshold}次起的${questioned}次就诊基金支付（统筹基金、大病保险、医疗救助）合计${formatYuan(amount)}元，就诊频次明显高于同类参保人。`,
        figures: {
          visits: c,
          peers: groups.peers[g]!,
          peerMedianVisits: median,
          minVisits: params.minVisits,
          multipleOfMedian: params.multipleOfMedian,
          thresholdVisits: threshold,
          questionedVisits: questioned,
          fundQuestionedFen: amount,
        },
      },
      ctx,
    );
  }
  return out;
}

/** The medians by peer group: `median:<scheme>:<category>` (visits, a whole or a half) and `peers:<scheme>:<category>`. */
export function freqPeerStats(data: MonitoringData, _params: FreqPeerParams, ctx: RunContext): Record<string, number> {
  const groups = peerGroups(data, ctx);
  const out: Record<string, number> = {};
  for (let g = 0; g < NG; g++) {
    if (groups.peers[g] === 0) continue;
    const name = `${SCHEMES[Math.floor(g / NC)]}:${CATEGORIES[g % NC]}`;
    out[`median:${name}`] = groups.median2[g]! / 2;
    out[`peers:${name}`] = groups.peers[g]!;
  }
  return out;
}

export const FREQ_PEER: RuleDefinition<FreqPeerParams> = {
  id: 'FREQ-PEER',
  name: '就诊频次异常（明显高于同类参保人）',
  description:
    '统计期间内参保人的就诊结算次数达到设定下限，且达到同险种、同人员类别中有就诊的参保人就诊次数中位数的设定倍数的，提示就诊频次异常（疑似过度诊疗或医保凭证被他人使用）。' +
    '违规金额为达到阈值的那次就诊及其后各次就诊的基金支付（统筹基金、大病保险、医疗救助）。',
  sources: [PUYANG_22, PUYANG_23, LUOYANG_36_17, HENAN_71_9],
  behaviour: '1',
  concerns: 'visit',
  reach: 'period',
  severity: '3',
  parameters: [
    { name: 'minVisits', label: '就诊结算次数下限', unit: '次' },
    { name: 'multipleOfMedian', label: '同类参保人就诊次数中位数的倍数', unit: '基点（10000 = 1 倍）' },
  ],
  schema: freqPeerSchema,
  evaluate: freqPeerLeads,
  peerStats: freqPeerStats,
  unjudged(data, _params, ctx) {
    const { unknown } = peerGroups(data, ctx);
    return unknown === 0 ? undefined : `${unknown}名参保人的险种或人员类别未知，无法确定同类参保人，未判断`;
  },
};
