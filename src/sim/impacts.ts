/**
 * Per-person impacts (个人影响) of each later policy against the first: what each person pays
 * themselves (个人现金支付) and what the fund pays for them (统筹基金支付) under both, from the
 * simulation's per-person vectors of fen (typed arrays, never an object per person).
 *
 * Two views: a bounded summary for the report (counts of who pays less or more, and the largest
 * changes each way), and the full list as a CSV file, one row per person and policy, written in
 * chunks so that a million persons never become a million objects.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { CATEGORIES, CATEGORY_LABELS, HARDSHIP_GROUPS, HARDSHIP_LABELS } from '../domain.js';
import { formatYuan, toYuanNumber } from '../money/money.js';
import type { PolicyTotals } from './aggregate.js';
import type { SimulationRun } from './simulate.js';

/** How many of the largest changes each way the summary lists. */
export const TOP_IMPACTS = 20;

/** One person's figures under the base and the other policy, in yuan. */
export interface PersonImpact {
  index: number;
  id: string;
  category: string;
  hardship: string | null;
  visits: number;
  cashBase: number;
  cashOther: number;
  cashChange: number;
  fundBase: number;
  fundOther: number;
  fundChange: number;
}

const hardshipOf = (slot: number) => (slot === 0 ? null : (HARDSHIP_GROUPS[slot - 1] ?? null));

function personImpact(run: SimulationRun, base: PolicyTotals, other: PolicyTotals, i: number): PersonImpact {
  const t = run.totals;
  const cb = base.cash[i] as number;
  const co = other.cash[i] as number;
  const fb = base.personFund[i] as number;
  const fo = other.personFund[i] as number;
  return {
    index: t.first + i,
    id: run.personId(t.first + i),
    category: CATEGORIES[t.personCategory[i] as number] as string,
    hardship: hardshipOf(t.personHardship[i] as number),
    visits: t.personVisits[i] as number,
    cashBase: toYuanNumber(cb),
    cashOther: toYuanNumber(co),
    cashChange: toYuanNumber(co - cb),
    fundBase: toYuanNumber(fb),
    fundOther: toYuanNumber(fo),
    fundChange: toYuanNumber(fo - fb),
  };
}

/**
 * Indexes of the `k` persons with the largest |change| in the direction `sign` (-1: pay less,
 * +1: pay more), largest first, ties by person index; a bounded insertion list.
 */
function largest(base: Float64Array, other: Float64Array, sign: 1 | -1, k: number): number[] {
  const top: { i: number; d: number }[] = [];
  for (let i = 0; i < base.length; i++) {
    const d = sign * ((other[i] as number) - (base[i] as number));
    if (d <= 0) continue;
    if (top.length === k && d <= (top[k - 1] as { d: number }).d) continue;
    let at = top.length;
    while (at > 0 && (top[at - 1] as { d: number }).d < d) at--;
    top.splice(at, 0, { i, d });
    if (top.length > k) top.pop();
  }
  return top.map((x) => x.i);
}

/** The summary of policy `p` (1…) against the first: counts, sums and the largest changes each way. */
export function impactSummary(run: SimulationRun, p: number, k = TOP_IMPACTS) {
  const base = run.totals.policies[0] as PolicyTotals;
  const other = run.totals.policies[p] as PolicyTotals;
  let gainers = 0;
  let losers = 0;
  let same = 0;
  let fundMore = 0;
  let fundLess = 0;
  for (let i = 0; i < base.cash.length; i++) {
    const d = (other.cash[i] as number) - (base.cash[i] as number);
    if (d < 0) gainers++;
    else if (d > 0) losers++;
    else same++;
    const f = (other.personFund[i] as number) - (base.personFund[i] as number);
    if (f > 0) fundMore++;
    else if (f < 0) fundLess++;
  }
  return {
    /** Persons who pay less themselves under the other policy (gain), more (lose), the same. */
    gainers,
    losers,
    same,
    /** Persons for whom the fund pays more, and less. */
    fundMore,
    fundLess,
    /** The largest falls in what a person pays (gains), and rises (losses), at most `k` each. */
    largestGains: largest(base.cash, other.cash, -1, k).map((i) => personImpact(run, base, other, i)),
    largestLosses: largest(base.cash, other.cash, 1, k).map((i) => personImpact(run, base, other, i)),
  };
}

/** The CSV's header row (Chinese first, the field in brackets). */
export const IMPACT_HEADERS = [
  '方案 policy',
  '序号 index',
  '人员编号 person',
  '人员类别 category',
  '困难群体 hardship',
  '就诊次数 visits',
  '基准现金支付 cash_base',
  '方案现金支付 cash_policy',
  '现金支付差额 cash_change',
  '基准统筹基金支付 fund_base',
  '方案统筹基金支付 fund_policy',
];

/** A CSV field: quoted when it holds a comma, quote or line end; a text that starts like a formula gets a leading '. */
function field(text: string): string {
  const guarded = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/**
 * Writes every person's impact under each later policy to `file`: UTF-8 with a byte-order mark
 * (for Excel), CRLF line ends, amounts in yuan with two decimals exactly from fen. Returns the
 * number of rows written (persons × later policies).
 */
export function writeImpactsCsv(run: SimulationRun, file: string): number {
  const t = run.totals;
  const base = t.policies[0] as PolicyTotals;
  const fd = openSync(file, 'w');
  let rows = 0;
  try {
    writeSync(fd, `\ufeff${IMPACT_HEADERS.map(field).join(',')}\r\n`);
    let chunk: string[] = [];
    for (let p = 1; p < t.policies.length; p++) {
      const other = t.policies[p] as PolicyTotals;
      const chosen = run.policies[p];
      const name = field(chosen?.name ?? chosen?.packId ?? String(p));
      for (let i = 0; i < t.persons; i++) {
        const cb = base.cash[i] as number;
        const co = other.cash[i] as number;
        const hardship = hardshipOf(t.personHardship[i] as number);
        const category = CATEGORIES[t.personCategory[i] as number] as (typeof CATEGORIES)[number];
        chunk.push(
          [
            name,
            String(t.first + i),
            field(run.personId(t.first + i)),
            field(`${CATEGORY_LABELS[category]} ${category}`),
            hardship === null ? '' : field(`${HARDSHIP_LABELS[hardship]} ${hardship}`),
            String(t.personVisits[i]),
            formatYuan(cb),
            formatYuan(co),
            formatYuan(co - cb),
            formatYuan(base.personFund[i] as number),
            formatYuan(other.personFund[i] as number),
          ].join(','),
        );
        rows++;
        if (chunk.length === 8192) {
          writeSync(fd, `${chunk.join('\r\n')}\r\n`);
          chunk = [];
        }
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\r\n')}\r\n`);
  } finally {
    closeSync(fd);
  }
  return rows;
}
