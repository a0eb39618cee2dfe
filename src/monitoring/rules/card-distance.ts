/**
 * CARD-DISTANCE 异地短时就诊（疑似借卡、冒名）: two consecutive settlements of one person, at two
 * institutions at least `minDistanceKm` apart, within `withinMinutes` of each other. One person
 * cannot be in both places: the card (医保凭证) was lent, or someone used it in the person's name
 * (洛医保〔2022〕36号 第十七条: 借给他人使用, 冒名顶替).
 *
 * The reading:
 * - consecutive: adjacent in the person's time-ordered live settlements within the span; a pair is
 *   judged when the institutions differ and the later one came at most `withinMinutes` after the
 *   earlier (equal counts as within);
 * - the distance is the great circle between the institutions' recorded sites (haversine, mean earth
 *   radius 6371.0088 km, src/monitoring/geo.ts); at least `minDistanceKm` makes a lead;
 * - an institution with no recorded site cannot be judged: such pairs are counted (`unjudged`);
 * - the lead is about the later visit (the one that could not have been the person's): its fund
 *   (统筹基金, 大病保险, 医疗救助) is the amount in question; the earlier visit is concerned (涉及项).
 *
 * One pass over each person's rows, the distance computed only for pairs the time already selects.
 */
import { z } from 'zod';
import { formatYuan } from '../../money/money.js';
import { e6ToRad, haversineRadKm } from '../geo.js';
import type { Lead, MonitoringData, RuleDefinition, RunContext } from '../types.js';
import { chinaTimeText, firstAtOrAfter, fundOf, isNew, pushIfNew } from './common.js';
import { HENAN_71_9, LUOYANG_36_17 } from './sources.js';

export interface CardDistanceParams {
  /** 两机构间距离下限, km. */
  minDistanceKm: number;
  /** 两次结算间隔上限, minutes. */
  withinMinutes: number;
}

export const cardDistanceSchema = z.strictObject({
  minDistanceKm: z.int({ error: 'must be a whole number of kilometres (距离下限)' }).min(1).max(20_000),
  withinMinutes: z.int({ error: 'must be a whole number of minutes (时间间隔上限)' }).min(1).max(525_600),
});

interface Sites {
  lat: Float64Array;
  lon: Float64Array;
  cos: Float64Array;
  known: Uint8Array;
}

function sitesOf(data: MonitoringData): Sites {
  const inst = data.institutions;
  const n = inst.ids.length;
  const sites: Sites = { lat: new Float64Array(n), lon: new Float64Array(n), cos: new Float64Array(n), known: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const la = inst.latitudeE6[i]!;
    const lo = inst.longitudeE6[i]!;
    if (!Number.isFinite(la) || !Number.isFinite(lo)) continue;
    sites.lat[i] = e6ToRad(la);
    sites.lon[i] = e6ToRad(lo);
    sites.cos[i] = Math.cos(sites.lat[i]!);
    sites.known[i] = 1;
  }
  return sites;
}

/** Walks every judged pair; adds the leads to `out` (when given) and returns the pairs not judged. */
function walk(data: MonitoringData, params: CardDistanceParams, ctx: RunContext, out: Lead[] | null): number {
  const s = data.settlements;
  const sites = sitesOf(data);
  const withinMs = params.withinMinutes * 60_000;
  let unjudged = 0;
  for (let p = 0; p + 1 < s.personStart.length; p++) {
    const lo = firstAtOrAfter(s.timeMs, s.personStart[p]!, s.personStart[p + 1]!, ctx.fromMs);
    const hi = firstAtOrAfter(s.timeMs, lo, s.personStart[p + 1]!, ctx.toMs);
    for (let b = lo + 1; b < hi; b++) {
      const a = b - 1;
      const ia = s.institution[a]!;
      const ib = s.institution[b]!;
      if (ia === ib || s.timeMs[b]! - s.timeMs[a]! > withinMs) continue;
      if (sites.known[ia] !== 1 || sites.known[ib] !== 1) {
        if (isNew(s, b, ctx)) unjudged++;
        continue;
      }
      const km = haversineRadKm(sites.lat[ia]!, sites.lon[ia]!, sites.cos[ia]!, sites.lat[ib]!, sites.lon[ib]!, sites.cos[ib]!);
      if (km < params.minDistanceKm || out === null) continue;
      pushIfNew(out, s, lead(data, params, p, a, b, km), ctx);
    }
  }
  return unjudged;
}

function lead(data: MonitoringData, params: CardDistanceParams, person: number, a: number, b: number, km: number): Lead {
  const s = data.settlements;
  const ids = data.institutions.ids;
  const instA = ids[s.institution[a]!]!;
  const instB = ids[s.institution[b]!]!;
  const ta = s.timeMs[a]!;
  const tb = s.timeMs[b]!;
  const minutes = (tb - ta) / 60_000;
  const fund = fundOf(s, b);
  const distanceKm = Math.round(km * 1000) / 1000;
  return {
    ruleId: CARD_DISTANCE.id,
    key: `CARD-DISTANCE:${data.persons.ids[person]}:${instA}:${ta}:${instB}:${tb}`,
    person,
    institution: s.institution[b]!,
    rows: [b, a],
    rowAmountsFen: [fund, 0],
    amountFen: fund,
    amountComputed: true,
    content:
      `参保人于${chinaTimeText(ta)}在${instA}结算后，相隔${Math.round(minutes * 10) / 10}分钟于${chinaTimeText(tb)}在${instB}结算，两机构直线距离约${km.toFixed(1)}公里` +
      `（设定：${params.withinMinutes}分钟内、相距≥${params.minDistanceKm}公里即提示），疑似医保凭证借给他人使用或冒名就医；后一次就诊基金支付（统筹基金、大病保险、医疗救助）${formatYuan(fund)}元。`,
    figures: {
      earlierInstitution: instA,
      laterInstitution: instB,
      distanceKm,
      elapsedMinutes: minutes,
      minDistanceKm: params.minDistanceKm,
      withinMinutes: params.withinMinutes,
      fundLaterFen: fund,
    },
  };
}

export const CARD_DISTANCE: RuleDefinition<CardDistanceParams> = {
  id: 'CARD-DISTANCE',
  name: '异地短时就诊（疑似借卡、冒名）',
  description:
    '同一参保人相邻两次结算发生在不同定点医药机构，间隔不超过设定分钟数，而两机构直线距离达到设定公里数的，提示疑似医保凭证借给他人使用或冒名顶替就医。' +
    '违规金额为后一次就诊的基金支付（统筹基金、大病保险、医疗救助）。机构位置未登记的，无法判断，单独计数。',
  sources: [LUOYANG_36_17, HENAN_71_9],
  behaviour: '1',
  concerns: 'visit',
  reach: 'visit',
  severity: '2',
  parameters: [
    { name: 'minDistanceKm', label: '两机构直线距离下限', unit: '公里' },
    { name: 'withinMinutes', label: '相邻两次结算间隔上限', unit: '分钟' },
  ],
  schema: cardDistanceSchema,
  // The set minutes before.
  lookbackFrom: (params, fromMs) => fromMs - params.withinMinutes * 60_000,
  evaluate(data, params, ctx) {
    const out: Lead[] = [];
    walk(data, params, ctx, out);
    return out;
  },
  unjudged(data, params, ctx) {
    const n = walk(data, params, ctx, null);
    return n === 0 ? undefined : `${n}对相邻结算所在机构的位置未登记，无法计算距离，未判断`;
  },
};
