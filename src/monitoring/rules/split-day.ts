/**
 * SPLIT-DAY 分解就诊: one person settled at one institution, on one China day, for the same kind of
 * visit, at least `minVisits` times. One visit split into several settlements draws each visit's
 * benefits again (a deductible window, a per-visit limit), the pattern of 过度诊疗 and of 弄虚作假
 * (濮阳 第二十二条, 洛医保〔2022〕36号 第十六条).
 *
 * One pass over each person's rows in the span: a day's rows are consecutive (rows are time-ordered),
 * and within a day the rows of one (institution, visit type) are chained through a scratch array,
 * groups found by a stamp per (institution, visit type): linear, nothing allocated per row.
 */
import { z } from 'zod';
import { chinaDay, chinaDayStart, formatDate } from '../../calendar/calendar.js';
import { VISIT_TYPES } from '../../domain.js';
import { formatYuan } from '../../money/money.js';
import type { Lead, MonitoringData, RuleDefinition, RunContext } from '../types.js';
import { firstAtOrAfter, fundOf, maxPersonRows, pushIfNew, visitTypeLabel, visitTypeName } from './common.js';
import { HENAN_71_9, LUOYANG_36_16, PUYANG_22 } from './sources.js';

export interface SplitDayParams {
  /** 同日同机构同类就诊结算次数下限: the visits that make a lead. */
  minVisits: number;
}

export const splitDaySchema = z.strictObject({
  minVisits: z.int({ error: 'must be a whole number of visits (同日就诊次数)' }).min(2, { error: 'must be at least 2: one visit is not split (同日就诊次数≥2)' }).max(1000),
});

/** The leads (see the module's comment). */
export function splitDayLeads(data: MonitoringData, params: SplitDayParams, ctx: RunContext): Lead[] {
  const s = data.settlements;
  const nv = VISIT_TYPES.length;
  const groups = data.institutions.ids.length * nv;
  const stamp = new Int32Array(groups).fill(-1);
  const count = new Int32Array(groups);
  const first = new Int32Array(groups);
  const last = new Int32Array(groups);
  const next = new Int32Array(maxPersonRows(s));
  const min = params.minVisits;
  const out: Lead[] = [];
  let block = 0;
  for (let p = 0; p + 1 < s.personStart.length; p++) {
    const lo = firstAtOrAfter(s.timeMs, s.personStart[p]!, s.personStart[p + 1]!, ctx.fromMs);
    const hi = firstAtOrAfter(s.timeMs, lo, s.personStart[p + 1]!, ctx.toMs);
    let b = lo;
    while (b < hi) {
      const day = s.day[b]!;
      let e = b + 1;
      while (e < hi && s.day[e] === day) e++;
      if (e - b >= min) {
        block++;
        for (let r = b; r < e; r++) {
          const vt = s.visitType[r]!;
          if (vt >= nv) continue;
          const g = s.institution[r]! * nv + vt;
          next[r - b] = -1;
          if (stamp[g] !== block) {
            stamp[g] = block;
            count[g] = 1;
            first[g] = r;
          } else {
            count[g] = count[g]! + 1;
            next[last[g]! - b] = r;
          }
          last[g] = r;
        }
        for (let r = b; r < e; r++) {
          const vt = s.visitType[r]!;
          if (vt >= nv) continue;
          const g = s.institution[r]! * nv + vt;
          if (first[g] === r && count[g]! >= min) pushIfNew(out, s, lead(data, params, p, r, b, next, count[g]!), ctx);
        }
      }
      b = e;
    }
  }
  return out;
}

function lead(data: MonitoringData, params: SplitDayParams, person: number, head: number, base: number, next: Int32Array, visits: number): Lead {
  const s = data.settlements;
  const rows: number[] = [];
  const rowAmountsFen: number[] = [];
  let amount = 0;
  for (let r = head; r !== -1; r = next[r - base]!) {
    const part = r === head ? 0 : fundOf(s, r);
    rows.push(r);
    rowAmountsFen.push(part);
    amount += part;
  }
  const institution = s.institution[head]!;
  const institutionId = data.institutions.ids[institution] ?? String(institution);
  const day = formatDate(s.day[head]!);
  const vt = s.visitType[head]!;
  return {
    ruleId: SPLIT_DAY.id,
    key: `SPLIT-DAY:${data.persons.ids[person]}:${institutionId}:${day}:${visitTypeName(vt)}`,
    person,
    institution,
    rows,
    amountFen: amount,
    amountComputed: true,
    rowAmountsFen,
    content:
      `${day}，参保人在同一定点医药机构（${institutionId}）以${visitTypeLabel(vt)}结算${visits}次（设定：同日同机构同类就诊≥${params.minVisits}次即提示），` +
      `首次之后${visits - 1}次就诊的基金支付（统筹基金、大病保险、医疗救助）合计${formatYuan(amount)}元，疑似分解就诊。`,
    figures: { day, institution: institutionId, visitType: visitTypeName(vt), visits, minVisits: params.minVisits, fundAfterFirstFen: amount },
  };
}

export const SPLIT_DAY: RuleDefinition<SplitDayParams> = {
  id: 'SPLIT-DAY',
  name: '分解就诊（同日同机构多次结算）',
  description:
    '同一参保人同一自然日在同一定点医药机构、同一就诊类型结算次数达到设定次数的，提示疑似分解就诊（将一次就诊拆分为多次结算）。' +
    '违规金额为当日首次之后各次就诊的基金支付（统筹基金、大病保险、医疗救助）。',
  sources: [PUYANG_22, LUOYANG_36_16, HENAN_71_9],
  behaviour: '1',
  concerns: 'visit',
  reach: 'visit',
  severity: '2',
  parameters: [{ name: 'minVisits', label: '同日同机构同类就诊结算次数下限', unit: '次' }],
  schema: splitDaySchema,
  // The same China day.
  lookbackFrom: (_params, fromMs) => chinaDayStart(chinaDay(fromMs)),
  evaluate: splitDayLeads,
};
