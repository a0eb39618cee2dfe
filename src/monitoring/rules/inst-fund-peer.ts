/**
 * INST-FUND-PEER 机构次均基金支付异常: an institution whose fund paid per visit, for one visit type
 * over the span, is far above that of the institutions of the same tier (同级) for the same visit
 * type — the sign of 过度诊疗、过度检查 and of visits drawn beyond need (濮阳 第二十二条, 第二十三条
 * 健全医疗服务监控、分析、考核体系; 洛医保〔2022〕36号 第十六条).
 *
 * The reading:
 * - per (institution, visit type): its live settlements in the span (visits) and the fund they drew
 *   (统筹基金 + 大病保险 + 医疗救助); an institution with at least `minVisits` visits of the type is
 *   judged, and is a peer of the others of its tier and type;
 * - a group (tier, visit type) with fewer than `minPeers` such institutions is not judged; nor one
 *   whose median is 0 (no multiple of nothing); nor an institution of unknown tier: all counted;
 * - the median of the group's per-visit averages (the institution itself included) is exact: the
 *   averages are fractions fund/visits, ordered by cross-multiplication (BigInt where floats could
 *   tie), the median a fraction num/den (of two middle ones: their mean). A lead when
 *   fund × 10000 × den ≥ num × multipleOfMedian × visits, in BigInt;
 * - the amount in question is the fund above the median level: fund − median × visits, a fraction
 *   rounded half away from zero to the fen (vola_amt has two decimals). It belongs to the institution,
 *   not to a visit: the details (the institution's visits with the most fund, at most 20, the
 *   largest first, whose person is the lead's patn_id) carry 0 each.
 *
 * With newFromMs, a lead is kept when any of the institution's visits of the type in the span (not
 * only those listed) is new. A period rule: not run at pre-settle or incrementally.
 */
import { z } from 'zod';
import { TIER_LABELS, TIERS, VISIT_TYPES } from '../../domain.js';
import { divRoundHalfAway, formatYuan } from '../../money/money.js';
import type { Lead, MonitoringData, RuleDefinition, RunContext } from '../types.js';
import { firstAtOrAfter, fundOf, multipleText, spanText, visitTypeLabel, visitTypeName } from './common.js';
import { HENAN_71_9, LUOYANG_36_16, PUYANG_22, PUYANG_23 } from './sources.js';

export interface InstFundPeerParams {
  /** 机构该类就诊人次下限: fewer, and the institution is neither judged nor a peer. */
  minVisits: number;
  /** 同级同类机构数下限. */
  minPeers: number;
  /** 次均基金支付中位数的倍数, basis points (20000 = 2 倍). */
  multipleOfMedian: number;
}

export const instFundPeerSchema = z.strictObject({
  minVisits: z.int({ error: 'must be a whole number of visits (机构就诊人次下限)' }).min(1).max(100_000_000),
  minPeers: z.int({ error: 'must be a whole number of institutions (同级同类机构数下限)' }).min(2, { error: 'must be at least 2: one institution has no peers' }).max(100_000),
  multipleOfMedian: z
    .int({ error: 'must be a whole number of basis points (20000 = 2 倍)' })
    .min(10_000, { error: 'must be at least 10000 (1 倍): far above the median, not below it' })
    .max(10_000_000),
});

/** The most visits a lead lists as evidence. */
export const EVIDENCE_VISITS = 20;

const NV = VISIT_TYPES.length;

/** A group's median per-visit fund, a fraction. */
interface Median {
  num: bigint;
  den: bigint;
}

/** What one pass finds: per slot (institution × NV + visit type) the visits and fund; the groups. */
interface Table {
  visits: Int32Array;
  fund: Float64Array;
  lastMs: Float64Array;
  /** By group (tier × NV + visit type): the slots judged, and the median (undefined: not judged). */
  groups: { slots: number[]; median: Median | undefined }[];
  unknownTier: number;
  fewPeers: number;
  zeroMedian: number;
}

function table(data: MonitoringData, params: InstFundPeerParams, ctx: RunContext): Table {
  const s = data.settlements;
  const slots = data.institutions.ids.length * NV;
  const visits = new Int32Array(slots);
  const fund = new Float64Array(slots);
  const lastMs = new Float64Array(slots).fill(Number.NEGATIVE_INFINITY);
  for (let p = 0; p + 1 < s.personStart.length; p++) {
    const lo = firstAtOrAfter(s.timeMs, s.personStart[p]!, s.personStart[p + 1]!, ctx.fromMs);
    const hi = firstAtOrAfter(s.timeMs, lo, s.personStart[p + 1]!, ctx.toMs);
    for (let r = lo; r < hi; r++) {
      const vt = s.visitType[r]!;
      if (vt >= NV) continue;
      const k = s.institution[r]! * NV + vt;
      visits[k] = visits[k]! + 1;
      fund[k] = fund[k]! + fundOf(s, r);
      if (s.timeMs[r]! > lastMs[k]!) lastMs[k] = s.timeMs[r]!;
    }
  }
  const groups = Array.from({ length: TIERS.length * NV }, () => ({ slots: [] as number[], median: undefined as Median | undefined }));
  let unknownTier = 0;
  for (let k = 0; k < slots; k++) {
    if (visits[k]! < params.minVisits) continue;
    const tier = data.institutions.tier[Math.floor(k / NV)]!;
    if (tier >= TIERS.length) unknownTier++;
    else groups[tier * NV + (k % NV)]!.slots.push(k);
  }
  let fewPeers = 0;
  let zeroMedian = 0;
  for (const g of groups) {
    if (g.slots.length === 0) continue;
    if (g.slots.length < params.minPeers) {
      fewPeers += g.slots.length;
      continue;
    }
    g.slots.sort((a, b) => compareAverages(fund, visits, a, b));
    const m = g.slots.length;
    const a = g.slots[(m - 1) >> 1]!;
    const b = g.slots[m >> 1]!;
    const median =
      a === b
        ? { num: BigInt(fund[a]!), den: BigInt(visits[a]!) }
        : { num: BigInt(fund[a]!) * BigInt(visits[b]!) + BigInt(fund[b]!) * BigInt(visits[a]!), den: 2n * BigInt(visits[a]!) * BigInt(visits[b]!) };
    if (median.num <= 0n) zeroMedian += m;
    else g.median = median;
  }
  return { visits, fund, lastMs, groups, unknownTier, fewPeers, zeroMedian };
}

/** Orders slots by fund / visits, exactly: floats where they differ clearly, BigInt cross-products where not. */
function compareAverages(fund: Float64Array, visits: Int32Array, a: number, b: number): number {
  const x = fund[a]! / visits[a]!;
  const y = fund[b]! / visits[b]!;
  if (Math.abs(x - y) > 1e-9 * Math.max(Math.abs(x), Math.abs(y))) return x < y ? -1 : 1;
  const l = BigInt(fund[a]!) * BigInt(visits[b]!);
  const r = BigInt(fund[b]!) * BigInt(visits[a]!);
  return l < r ? -1 : l > r ? 1 : a - b;
}

/** x / d rounded half away from zero (d > 0). */
function roundDiv(x: bigint, d: bigint): bigint {
  const q = x / d;
  const r = x % d;
  if (r >= 0n) return 2n * r >= d ? q + 1n : q;
  return -2n * r >= d ? q - 1n : q;
}

/** The leads (see the module's comment). */
export function instFundPeerLeads(data: MonitoringData, params: InstFundPeerParams, ctx: RunContext): Lead[] {
  const s = data.settlements;
  const t = table(data, params, ctx);
  const mult = BigInt(params.multipleOfMedian);
  const firing: { slot: number; group: number; median: Median; top: number[] }[] = [];
  const mark = new Int32Array(t.visits.length).fill(-1);
  t.groups.forEach((g, gi) => {
    const median = g.median;
    if (median === undefined) return;
    for (const k of g.slots) {
      if (ctx.newFromMs !== undefined && t.lastMs[k]! < ctx.newFromMs) continue;
      if (BigInt(t.fund[k]!) * 10_000n * median.den < median.num * mult * BigInt(t.visits[k]!)) continue;
      mark[k] = firing.length;
      firing.push({ slot: k, group: gi, median, top: [] });
    }
  });
  if (firing.length === 0) return [];
  // The visits with the most fund of each firing institution and type, in one pass (ties: the earlier row).
  for (let p = 0; p + 1 < s.personStart.length; p++) {
    const lo = firstAtOrAfter(s.timeMs, s.personStart[p]!, s.personStart[p + 1]!, ctx.fromMs);
    const hi = firstAtOrAfter(s.timeMs, lo, s.personStart[p + 1]!, ctx.toMs);
    for (let r = lo; r < hi; r++) {
      const vt = s.visitType[r]!;
      if (vt >= NV) continue;
      const f = mark[s.institution[r]! * NV + vt]!;
      if (f < 0) continue;
      const top = firing[f]!.top;
      const fund = fundOf(s, r);
      if (top.length === EVIDENCE_VISITS && fund <= fundOf(s, top[top.length - 1]!)) continue;
      let i = top.length;
      while (i > 0 && fundOf(s, top[i - 1]!) < fund) i--;
      top.splice(i, 0, r);
      if (top.length > EVIDENCE_VISITS) top.pop();
    }
  }
  return firing.map((f) => lead(data, params, ctx, t, f.slot, t.groups[f.group]!.slots.length, f.median, f.top));
}

function lead(data: MonitoringData, params: InstFundPeerParams, ctx: RunContext, t: Table, slot: number, peers: number, median: Median, top: number[]): Lead {
  const institution = Math.floor(slot / NV);
  const vt = slot % NV;
  const institutionId = data.institutions.ids[institution]!;
  const tier = TIERS[data.institutions.tier[institution]!]!;
  const visits = t.visits[slot]!;
  const fund = t.fund[slot]!;
  const v = BigInt(visits);
  const excess = Number(roundDiv(BigInt(fund) * median.den - median.num * v, median.den));
  const averageFen = divRoundHalfAway(fund, visits);
  const medianFen = Number(roundDiv(median.num, median.den));
  // The ratio of the average to the median, to two places (shown, not compared).
  const ratio = Number(roundDiv(BigInt(fund) * median.den * 100n, median.num * v)) / 100;
  return {
    ruleId: INST_FUND_PEER.id,
    key: `INST-FUND-PEER:${institutionId}:${visitTypeName(vt)}:${ctx.fromMs}:${ctx.toMs}`,
    person: data.settlements.person[top[0]!]!,
    institution,
    rows: top,
    rowAmountsFen: top.map(() => 0),
    amountFen: excess,
    amountComputed: true,
    content:
      `${spanText(ctx)}，${institutionId}（${TIER_LABELS[tier]}）${visitTypeLabel(vt)}结算${visits}人次，基金支付（统筹基金、大病保险、医疗救助）合计${formatYuan(fund)}元，次均${formatYuan(averageFen)}元；` +
      `同级同类就诊的${peers}家机构（各≥${params.minVisits}人次，含本机构）次均基金支付中位数${formatYuan(medianFen)}元，本机构为其${ratio.toFixed(2)}倍` +
      `（设定：同组≥${params.minPeers}家、≥中位数的${multipleText(params.multipleOfMedian)}倍即提示）。按中位数水平计，超出的基金支付约${formatYuan(excess)}元；证据列出基金支付最高的${top.length}次就诊。`,
    figures: {
      institution: institutionId,
      tier,
      visitType: visitTypeName(vt),
      visits,
      fundFen: fund,
      averageFen,
      peers,
      peerMedianFen: medianFen,
      ratio,
      minVisits: params.minVisits,
      minPeers: params.minPeers,
      multipleOfMedian: params.multipleOfMedian,
      excessFen: excess,
    },
  };
}

/** The medians by group: `median:<tier>:<visit type>` (fen per visit, unrounded) and `peers:<tier>:<visit type>`. */
export function instFundPeerStats(data: MonitoringData, params: InstFundPeerParams, ctx: RunContext): Record<string, number> {
  const t = table(data, params, ctx);
  const out: Record<string, number> = {};
  t.groups.forEach((g, gi) => {
    if (g.slots.length < params.minPeers) return;
    const name = `${TIERS[Math.floor(gi / NV)]}:${VISIT_TYPES[gi % NV]}`;
    out[`median:${name}`] = g.median === undefined ? 0 : Number(g.median.num) / Number(g.median.den);
    out[`peers:${name}`] = g.slots.length;
  });
  return out;
}

export const INST_FUND_PEER: RuleDefinition<InstFundPeerParams> = {
  id: 'INST-FUND-PEER',
  name: '机构次均基金支付异常（明显高于同级机构）',
  description:
    '统计期间内，定点医药机构某类就诊的次均基金支付（统筹基金、大病保险、医疗救助）达到同级别、同类就诊机构次均基金支付中位数的设定倍数的，提示疑似过度诊疗、过度检查。' +
    '只判断人次达到设定下限的机构，且同组机构数达到设定下限。违规金额为按中位数水平计超出的基金支付（四舍五入到分）。',
  sources: [PUYANG_22, PUYANG_23, LUOYANG_36_16, HENAN_71_9],
  behaviour: '1',
  concerns: 'visit',
  reach: 'period',
  severity: '3',
  parameters: [
    { name: 'minVisits', label: '机构该类就诊人次下限', unit: '人次' },
    { name: 'minPeers', label: '同级同类机构数下限', unit: '家' },
    { name: 'multipleOfMedian', label: '同级同类机构次均基金支付中位数的倍数', unit: '基点（10000 = 1 倍）' },
  ],
  schema: instFundPeerSchema,
  evaluate: instFundPeerLeads,
  peerStats: instFundPeerStats,
  unjudged(data, params, ctx) {
    const t = table(data, params, ctx);
    const parts: string[] = [];
    if (t.unknownTier > 0) parts.push(`${t.unknownTier}个机构就诊类型组合的机构级别未知`);
    if (t.fewPeers > 0) parts.push(`${t.fewPeers}个机构就诊类型组合所在的同级同类组不足${params.minPeers}家机构`);
    if (t.zeroMedian > 0) parts.push(`${t.zeroMedian}个机构就诊类型组合所在组的次均基金支付中位数为0，无法按倍数判断`);
    return parts.length === 0 ? undefined : `${parts.join('；')}，未判断`;
  },
};
