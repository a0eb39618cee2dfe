/**
 * High-cost patients (高额费用负担患者预警) read from the ledger: persons whose personal burden (cash +
 * personal account) in the report day's calendar year, or in the window of days ending on it,
 * reaches the agency's thresholds (setting `high-cost`; src/monitoring/high-cost.ts). One GROUP BY
 * pass over the span's entries by person, the thresholds applied in HAVING, a page at a time in
 * order of the year's burden (highest first); then the page's persons, their critical-illness
 * cap usage (cap_usage) and the cap of their group from the policy in force.
 *
 * The list names persons: each read writes an audit row `read.high-cost` naming whom it listed.
 * The counts by district and hardship group name nobody.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { chinaDayStart, type DayNumber, dayOf, formatDate, yearOf } from '../calendar/calendar.js';
import type { Hardship } from '../domain.js';
import { CRITICAL_ILLNESS_BASE, CRITICAL_ILLNESS_PAID } from '../engine/compiled.js';
import type { SettlementEngine } from '../engine/settle.js';
import {
  hardshipOf,
  HIGH_COST_SETTING,
  highCostPatient,
  highCostSettingSchema,
  windowDays,
  yearDays,
  type HighCostPatient,
  type HighCostSetting,
  type PersonBurden,
} from '../monitoring/high-cost.js';
import { encodeCursor, type Page, type Positions } from '../request/page.js';
import { writeAudit } from './audit.js';
import type { MonitoringSettings, Setting } from './monitoring-settings.js';
import type { Database } from './schema.js';
import type { Actor } from './types.js';

const num = (v: unknown) => Number(v ?? 0);

/** The count of listed persons by district and hardship group. */
export interface HighCostCount {
  area: string;
  hardship: Hardship | null;
  persons: number;
}

/** The SQL of the qualifying persons: person, the year's sums, the window's. */
function qualifying(setting: HighCostSetting, asOf: DayNumber, after?: Positions['highCost']): RawBuilder<Record<string, unknown>> {
  const year = yearDays(asOf, yearOf(asOf));
  const win = setting.window ? windowDays(asOf, setting.window.days) : undefined;
  const from = Math.min(year.from, win?.from ?? year.from);
  const ys = chinaDayStart(year.from);
  const ws = win ? chinaDayStart(win.from) : ys;
  const inYear = (col: string) => sql`sum(case when s.created_at >= ${ys} then s.${sql.raw(col)} else 0 end)`;
  const yearBurden = sql`sum(case when s.created_at >= ${ys} then s.account_pay_fen + s.cash_pay_fen else 0 end)`;
  const windowBurden = sql`sum(case when s.created_at >= ${ws} then s.account_pay_fen + s.cash_pay_fen else 0 end)`;
  const reaches = [
    ...(setting.yearBurdenFen !== undefined ? [sql`${yearBurden} >= ${setting.yearBurdenFen}`] : []),
    ...(setting.window !== undefined ? [sql`${windowBurden} >= ${setting.window.burdenFen}`] : []),
  ];
  const page = after ? sql`and (${yearBurden} < ${after[0]} or (${yearBurden} = ${after[0]} and s.person_id > ${after[1]}))` : sql``;
  return sql<Record<string, unknown>>`
    select s.person_id as person,
           sum(case when s.created_at >= ${ys} then (case when s.kind = 'settlement' then 1 else -1 end) else 0 end) as n,
           ${inYear('total_fen')} as total, ${inYear('fund_pay_fen')} as fund, ${inYear('critical_illness_pay_fen')} as critical,
           ${inYear('assistance_pay_fen')} as assistance, ${inYear('account_pay_fen')} as account, ${inYear('cash_pay_fen')} as cash,
           sum(case when s.created_at >= ${ws} then s.account_pay_fen else 0 end) as w_account,
           sum(case when s.created_at >= ${ws} then s.cash_pay_fen else 0 end) as w_cash,
           ${yearBurden} as burden
      from settlements s
     where s.created_at >= ${chinaDayStart(from)} and s.created_at < ${chinaDayStart(asOf + 1)}
     group by s.person_id
    having (${sql.join(reaches, sql` or `)}) ${page}`;
}

export class HighCostBook {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: SettlementEngine,
    private readonly settings: MonitoringSettings,
    private readonly now: () => number,
  ) {}

  /** The thresholds in force, or null when the agency has not set them. */
  async setting(): Promise<Setting<HighCostSetting> | null> {
    const s = await this.settings.get<unknown>(HIGH_COST_SETTING);
    if (!s) return null;
    const parsed = highCostSettingSchema.safeParse(s.value);
    return parsed.success ? { ...s, value: parsed.data } : null;
  }

  /**
   * A page of the persons listed as at `asOf`, the highest year burden first; nobody when no
   * threshold is set. Audited as `read.high-cost` with the persons listed.
   */
  async list(
    asOf: DayNumber,
    actor: Actor,
    options: { limit: number; after?: Positions['highCost'] },
  ): Promise<{ setting: Setting<HighCostSetting> | null; page: Page<HighCostPatient> }> {
    const setting = await this.setting();
    if (!setting) return { setting, page: { entries: [], nextCursor: null } };
    const q = qualifying(setting.value, asOf, options.after);
    const { rows } = await sql<Record<string, unknown>>`select * from (${q}) q order by q.burden desc, q.person limit ${options.limit + 1}`.execute(this.db);
    const more = rows.length > options.limit;
    const kept = more ? rows.slice(0, options.limit) : rows;
    const year = yearOf(asOf);
    const ids = kept.map((r) => String(r.person));
    const [persons, caps] = ids.length
      ? await Promise.all([
          this.db.selectFrom('persons').select(['id', 'region', 'district', 'hardship', 'category']).where('id', 'in', ids).execute(),
          this.db
            .selectFrom('cap_usage')
            .select(['person_id', 'bucket', 'used_fen'])
            .where('person_id', 'in', ids)
            .where('year', '=', year)
            .where('bucket', 'in', [CRITICAL_ILLNESS_PAID, CRITICAL_ILLNESS_BASE])
            .execute(),
        ])
      : [[], []];
    const byId = new Map(persons.map((p) => [p.id, p]));
    const used = new Map(caps.map((c) => [`${c.person_id}\u0000${c.bucket}`, num(c.used_fen)]));
    const entries = kept.flatMap((r) => {
      const id = String(r.person);
      const p = byId.get(id);
      const hardship = hardshipOf(p?.hardship ?? null);
      const paidUsed = used.get(`${id}\u0000${CRITICAL_ILLNESS_PAID}`);
      const limit = p ? this.criticalIllnessCap(p.region, year, hardship) : null;
      const burden: PersonBurden = {
        person: id,
        district: p?.district ?? null,
        hardship,
        category: p?.category ?? null,
        year: {
          settlements: num(r.n),
          total: num(r.total),
          fund: num(r.fund),
          criticalIllness: num(r.critical),
          assistance: num(r.assistance),
          account: num(r.account),
          cash: num(r.cash),
        },
        window: setting.value.window ? { account: num(r.w_account), cash: num(r.w_cash) } : null,
        criticalIllness: {
          paidThisYear: num(r.critical),
          cap: paidUsed === undefined ? null : { bucket: CRITICAL_ILLNESS_PAID, used: paidUsed, limit, remaining: limit === null ? null : Math.max(0, limit - paidUsed) },
          countedSelfPaid: used.get(`${id}\u0000${CRITICAL_ILLNESS_BASE}`) ?? null,
        },
      };
      const listed = highCostPatient(burden, setting.value, asOf);
      return listed ? [listed] : [];
    });
    const last = kept.at(-1);
    const nextCursor = more && last ? encodeCursor('highCost', [num(last.burden), String(last.person)]) : null;
    await writeAudit(this.db, actor, this.now(), 'read.high-cost', `high-cost/${formatDate(asOf)}`, {
      asOf: formatDate(asOf),
      persons: entries.map((e) => e.person),
      cursor: options.after !== undefined,
    });
    return { setting, page: { entries, nextCursor } };
  }

  /** How many persons are listed as at `asOf`, by district and hardship group (no personal data); none without thresholds. */
  async counts(asOf: DayNumber): Promise<{ setting: Setting<HighCostSetting> | null; counts: HighCostCount[] }> {
    const setting = await this.setting();
    if (!setting) return { setting, counts: [] };
    const { rows } = await sql<Record<string, unknown>>`
      select coalesce(p.district, '') as area, coalesce(p.hardship, '') as hardship, count(*) as n
        from (${qualifying(setting.value, asOf)}) q
        left join persons p on p.id = q.person
       group by 1, 2
       order by 1, 2`.execute(this.db);
    return { setting, counts: rows.map((r) => ({ area: String(r.area), hardship: hardshipOf(String(r.hardship) || null), persons: num(r.n) })) };
  }

  /** The critical-illness cap (大病保险 年度最高支付限额) of a person's group in force at the year's end, or null (none, or lifted). */
  private criticalIllnessCap(region: string, year: number, hardship: Hardship | null): number | null {
    const layer = this.engine.segmentAt(region, dayOf(year, 12, 31))?.criticalIllness;
    if (!layer) return null;
    const table = (hardship !== null ? layer.groups[hardship] : undefined) ?? layer.general;
    return table && table.missing.length === 0 ? table.cap : null;
  }
}
