/**
 * ENROL-DUP 重复参保: one person enrolled more than once for one coverage year (豫医保办〔2023〕71号 十:
 * 持续开展重复参保数据治理,从源头上避免财政重复补助、重复享受待遇; 临医保发〔2019〕15号 二: 防止重复参保、
 * 重复补贴).
 *
 * The reading:
 * - the enrollments (参保缴费) of the coverage years the span touches (the China years of fromMs and
 *   of the last instant before toMs);
 * - a transfer (医保关系转移接续) moves an enrollment, it is not a new one: transfers are left out;
 * - the other enrollments of one person for one year are payments; two records that agree on
 *   region, scheme and payment day, and do not disagree on the amount (one not recorded, or the
 *   same), are one payment recorded twice (a settle carried it and the agency recorded it), not two;
 * - two or more payments in one year make a lead, whether in different regions, in different schemes,
 *   or the same paid twice;
 * - the amount in question is the subsidy drawn twice (重复补助), which the ledger does not hold: the
 *   lead's amount is 0 and not computed (vola_amt_stas 0 异常). It rests on enrollment records, not
 *   on settlements: no rows, no visit (mdtrt_id empty).
 *
 * The rule has no parameter: the documents' rule is one enrollment a year. newFromMs does not apply:
 * an enrollment has no settlement time.
 */
import { z } from 'zod';
import { chinaDay, yearOf } from '../../calendar/calendar.js';
import { SCHEMES } from '../../domain.js';
import { formatYuan } from '../../money/money.js';
import type { EnrollmentRow, Lead, MonitoringData, RuleDefinition, RunContext } from '../types.js';
import { SCHEME_TEXT } from './common.js';
import { HENAN_71_10, LINFEN_15_2 } from './sources.js';

export const enrolDupSchema = z.strictObject({});
export type EnrolDupParams = z.infer<typeof enrolDupSchema>;

/** Whether two records of one person and year are the same payment (see the module's comment). */
function samePayment(a: EnrollmentRow, b: EnrollmentRow): boolean {
  return a.region === b.region && a.scheme === b.scheme && a.paidOn === b.paidOn && (a.amountFen === null || b.amountFen === null || a.amountFen === b.amountFen);
}

function schemeText(scheme: string): string {
  const i = (SCHEMES as readonly string[]).indexOf(scheme);
  return i < 0 ? scheme : SCHEME_TEXT[i]!;
}

/** The leads (see the module's comment). */
export function enrolDupLeads(data: MonitoringData, _params: EnrolDupParams, ctx: RunContext): Lead[] {
  const rows = data.enrollments;
  const persons = data.persons.ids.length;
  const firstYear = yearOf(chinaDay(ctx.fromMs));
  const lastYear = yearOf(chinaDay(ctx.toMs - 1));
  const counted = (e: EnrollmentRow) => !e.transfer && e.coverageYear >= firstYear && e.coverageYear <= lastYear && e.person >= 0 && e.person < persons;
  // The rows by person, by a counting sort (linear).
  const start = new Int32Array(persons + 1);
  for (const e of rows) if (counted(e)) start[e.person + 1] = start[e.person + 1]! + 1;
  for (let p = 0; p < persons; p++) start[p + 1] = start[p + 1]! + start[p]!;
  const fill = start.slice(0, persons);
  const order = new Int32Array(start[persons]!);
  rows.forEach((e, i) => {
    if (!counted(e)) return;
    order[fill[e.person]!] = i;
    fill[e.person] = fill[e.person]! + 1;
  });
  const out: Lead[] = [];
  for (let p = 0; p < persons; p++) {
    if (start[p + 1]! - start[p]! < 2) continue;
    const mine = Array.from(order.subarray(start[p]!, start[p + 1]!), (i) => rows[i]!);
    mine.sort((a, b) => a.coverageYear - b.coverageYear || (a.paidOn < b.paidOn ? -1 : a.paidOn > b.paidOn ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < mine.length; ) {
      let j = i + 1;
      while (j < mine.length && mine[j]!.coverageYear === mine[i]!.coverageYear) j++;
      const year = mine.slice(i, j);
      i = j;
      const payments: EnrollmentRow[] = [];
      for (const e of year) if (!payments.some((kept) => samePayment(kept, e))) payments.push(e);
      if (payments.length >= 2) out.push(lead(data, p, year, payments));
    }
  }
  return out;
}

function lead(data: MonitoringData, person: number, records: EnrollmentRow[], payments: EnrollmentRow[]): Lead {
  const year = payments[0]!.coverageYear;
  const items = payments.map((e) => `${e.paidOn}在${e.region}参加${schemeText(e.scheme)}${e.amountFen === null ? '' : `，缴费${formatYuan(e.amountFen)}元`}`);
  const twice = records.length - payments.length;
  return {
    ruleId: ENROL_DUP.id,
    key: `ENROL-DUP:${data.persons.ids[person]}:${year}`,
    person,
    rows: [],
    rowAmountsFen: [],
    amountFen: 0,
    amountComputed: false,
    enrollments: records.map((e) => e.id),
    content:
      `参保人${year}年度有${payments.length}笔非转移接续的参保缴费：${items.join('；')}` +
      `${twice > 0 ? `（另有${twice}条记录与上列缴费的地区、险种、缴费日期相同，视为同一笔缴费的重复记录）` : ''}。` +
      `同一参保人同一年度只应参保一次（医保关系转移接续除外），疑似重复参保、重复享受财政补助；重复补助的金额不在本账内，未计算违规金额。`,
    figures: {
      coverageYear: year,
      payments: payments.length,
      records: records.length,
      regions: [...new Set(payments.map((e) => e.region))].join('、'),
      schemes: [...new Set(payments.map((e) => e.scheme))].join('、'),
    },
  };
}

export const ENROL_DUP: RuleDefinition<EnrolDupParams> = {
  id: 'ENROL-DUP',
  name: '重复参保',
  description:
    '同一参保人同一参保年度有两笔以上非转移接续的参保缴费（不同地区、不同险种，或同一地区同一险种缴费两次）的，提示疑似重复参保、重复享受财政补助。' +
    '地区、险种、缴费日期相同且金额不矛盾的记录视为同一笔缴费。重复补助的金额不在本账内，违规金额记为未计算。',
  sources: [HENAN_71_10, LINFEN_15_2],
  behaviour: '1',
  concerns: 'visit',
  reach: 'period',
  severity: '2',
  parameters: [],
  schema: enrolDupSchema,
  evaluate: enrolDupLeads,
};
