/**
 * The agency's month (月度清算): closing a month into immutable statements per institution and
 * paying centre, the centres' and districts' views of them, and what a reconciliation (对账) reads.
 *
 * A ledger entry belongs to the China-time month of its settlement time (created_at). Months close
 * in order; a month closes once it has ended, and closing it again answers the first close. The
 * close reads the month's entries in one grouped query under the clearing lock (PostgreSQL: the
 * advisory lock every settling transaction holds shared, statements.ts; SQLite: the write lock),
 * so no entry can join a month while it is being closed, and none can join it after: a later
 * entry's time is later than the close. A reversal of an entry of a closed month is in the month it
 * was made, as that month's adjustment (以前月份退费调整): a closed statement is never edited.
 */
import { sql, type Kysely } from 'kysely';
import { chinaDay, chinaDayStart, formatChinaTime, formatDate, MS_PER_DAY } from '../calendar/calendar.js';
import type { CentreBasis } from '../clearing/centres.js';
import type { LedgerDetailRow } from '../clearing/detail.js';
import { nextPeriod, periodBounds, periodDays, periodOf, type Period } from '../clearing/period.js';
import { buildStatements, type DepositRule, type EntryGroup } from '../clearing/statement.js';
import { versionAt } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';
import { toYuanNumber } from '../money/money.js';
import { writeAudit } from './audit.js';
import { daysGroups, firstUnrolled, monthGroups, rollUpDays } from './clearing-days.js';
import { ClearingRegistry } from './clearing-registry.js';
import { centreStatements, coveredEntries, districtClearing, getStatement, listStatements } from './clearing-views.js';
import { LedgerError } from './errors.js';
import type { Database } from './schema.js';
import { clearingLock } from './statements.js';
import type { Actor } from './types.js';

/** What a close answers. */
export interface CloseResult {
  period: Period;
  /** False when the month was already closed: the answer is the first close's. */
  created: boolean;
  closedAt: string;
  closedBy: string;
  entries: number;
  statements: number;
  summary: Record<string, unknown>;
}

/** At most this many entries a reconciliation compares (a month of one institution). */
export const MAX_RECONCILE_ROWS = 1_000_000;

const num = (v: unknown) => Number(v ?? 0);

export class ClearingBook {
  readonly registry: ClearingRegistry;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly postgres: boolean,
    private readonly policies: PolicySet,
    private readonly now: () => number,
  ) {
    this.registry = new ClearingRegistry(db, policies, now);
  }

  /** The deposit rule (`parameters.clearing.qualityDeposit`) of a policy in force on a day, if its pack has one. */
  depositRule(policy: string, day: number): DepositRule | undefined {
    // An entry names its policy by document number (settlements.policy); a pack id is taken too.
    const pack = this.policies.packs.find((p) => p.document.number === policy || p.id === policy);
    const param = pack?.groups.clearing?.qualityDeposit;
    const version = param ? versionAt(param, day) : undefined;
    return param && version ? { policy, path: param.path, version } : undefined;
  }

  /**
   * Closes a month: one statement per institution with entries in it, and what was paid per
   * district. Idempotent: a closed month answers its close.
   *
   * @throws LedgerError PERIOD_NOT_ENDED, EARLIER_PERIOD_OPEN, NO_PAYING_CENTRE (naming every
   *   institution without one); nothing is written.
   */
  async close(period: Period, actor: Actor): Promise<CloseResult> {
    const { start, end } = periodBounds(period);
    const prior = await this.closed(period);
    if (prior) return prior;
    if (this.now() < end) throw new LedgerError('PERIOD_NOT_ENDED', `period: ${period} has not ended (it ends ${formatChinaTime(end)}); a month is closed after its last day`);
    await this.checkOrder(this.db, period);
    const firstDay = chinaDay(start);
    const lastDay = chinaDay(end - 1);
    // Day-end for the days not yet summed (clearing-days.ts), each in a transaction of its own.
    await rollUpDays(this.db, this.postgres, this.now, lastDay);
    return this.db.connection().execute(async (conn) => {
      await sql.raw(this.postgres ? 'begin' : 'begin immediate').execute(conn);
      try {
        if (this.postgres) {
          await clearingLock().execute(conn);
          // The month's groups are few (institutions × districts × benefits); memory to hash them.
          await sql`set local work_mem = '256MB'`.execute(conn);
        }
        const again = await this.closed(period, conn);
        if (again) {
          await sql`rollback`.execute(conn);
          return again;
        }
        await this.checkOrder(conn, period);
        const open = await firstUnrolled(conn);
        if (open !== null && open <= lastDay) throw new Error(`clearing: day ${open} of ${period} is not summed after the day-end`);
        const groups = await daysGroups(conn, firstDay, lastDay);
        const resolved = await this.registry.resolveAll(conn);
        const problems = [...new Set(groups.map((g) => g.institution))].sort().flatMap((inst) => {
          const r = resolved.get(inst);
          if (!r) return [`机构 ${inst} 未登记所在县区和支付经办机构（PUT /v1/clearing/institutions/${inst}）`];
          return 'problem' in r ? [r.problem] : [];
        });
        if (problems.length > 0) {
          throw new LedgerError(
            'NO_PAYING_CENTRE',
            `${period} cannot be closed: ${problems.length} institution(s) have no paying centre; nothing was written. ${problems.slice(0, 20).join('；')}${problems.length > 20 ? `；…（共 ${problems.length} 家）` : ''}`,
          );
        }
        const { statements, districts } = buildStatements({
          period,
          groups,
          centreOf: (inst) => resolved.get(inst) as CentreBasis,
          depositOf: (policy) => this.depositRule(policy, lastDay),
        });
        const now = this.now();
        const entries = groups.reduce((n, g) => n + g.count, 0);
        const centres = new Map<string, { id: string; name: string; statements: number; payable: number }>();
        for (const s of statements) {
          const c = centres.get(s.centre.centre.id) ?? { id: s.centre.centre.id, name: s.centre.centre.name, statements: 0, payable: 0 };
          c.statements++;
          c.payable += s.payable;
          centres.set(c.id, c);
        }
        const summary = {
          period,
          span: { from: formatChinaTime(start), to: formatChinaTime(end) },
          entries,
          statements: statements.length,
          centres: [...centres.values()].map((c) => ({ ...c, payable: toYuanNumber(c.payable) })),
          missing: [...new Set(statements.flatMap((s) => (s.body.missing as { parameter: string }[]).map((m) => m.parameter)))],
        };
        await conn
          .insertInto('clearing_periods')
          .values({ period, closed_at: now, actor: actor.id, entries, statements: statements.length, body: JSON.stringify(summary) })
          .execute();
        for (let i = 0; i < statements.length; i += 200) {
          await conn
            .insertInto('clearing_statements')
            .values(
              statements.slice(i, i + 200).map((s) => ({
                period,
                institution_id: s.institution,
                centre_id: s.centre.centre.id,
                settlements: s.settlements,
                reversals: s.reversals,
                medfee_sumamt: s.totals.medfee_sumamt,
                fund_pay_sumamt: s.totals.fund_pay_sumamt,
                acct_pay: s.totals.acct_pay,
                cash_payamt: s.totals.cash_payamt,
                payable_fen: s.payable,
                body: JSON.stringify({ ...s.body, closedAt: formatChinaTime(now) }),
              })),
            )
            .execute();
        }
        for (let i = 0; i < districts.length; i += 200) {
          await conn
            .insertInto('clearing_districts')
            .values(
              districts.slice(i, i + 200).map((d) => ({
                period,
                district: d.district,
                centre_id: d.centre,
                entries: d.entries,
                fund_pay_sumamt: d.fund_pay_sumamt,
                acct_pay: d.acct_pay,
                body: JSON.stringify(d.body),
              })),
            )
            .execute();
        }
        await writeAudit(conn, actor, now, 'clearing.close', period, { entries, statements: statements.length });
        await sql`commit`.execute(conn);
        return { period, created: true, closedAt: formatChinaTime(now), closedBy: actor.id, entries, statements: statements.length, summary };
      } catch (e) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * Day-end (日结): sums every China day that has ended and is not summed yet (clearing-days.ts);
   * run nightly (`yibao clearing rollup`), so that a month's close adds up its days.
   */
  rollUp(throughDay = chinaDay(this.now()) - 1): Promise<{ days: number; entries: number }> {
    return rollUpDays(this.db, this.postgres, this.now, throughDay);
  }

  /** The close of a month, if it is closed. */
  async closed(period: Period, db: Kysely<Database> = this.db): Promise<CloseResult | undefined> {
    const row = await db.selectFrom('clearing_periods').selectAll().where('period', '=', period).executeTakeFirst();
    if (!row) return undefined;
    return {
      period,
      created: false,
      closedAt: formatChinaTime(Number(row.closed_at)),
      closedBy: row.actor,
      entries: num(row.entries),
      statements: num(row.statements),
      summary: JSON.parse(row.body) as Record<string, unknown>,
    };
  }

  /** The closed months, newest first. */
  async periods(limit = 120): Promise<CloseResult[]> {
    const rows = await this.db.selectFrom('clearing_periods').select('period').orderBy('period', 'desc').limit(limit).execute();
    return Promise.all(rows.map(async (r) => (await this.closed(r.period)) as CloseResult));
  }

  /** The first month not yet closed: after the last closed one, else the month of the first entry. */
  async firstOpen(db: Kysely<Database> = this.db): Promise<Period | null> {
    const last = await db
      .selectFrom('clearing_periods')
      .select((eb) => eb.fn.max('period').as('p'))
      .executeTakeFirst();
    if (last?.p) return nextPeriod(last.p);
    const first = await db
      .selectFrom('settlements')
      .select((eb) => eb.fn.min('created_at').as('t'))
      .executeTakeFirst();
    return first?.t === null || first?.t === undefined ? null : periodOf(Number(first.t));
  }

  private async checkOrder(db: Kysely<Database>, period: Period): Promise<void> {
    const open = await this.firstOpen(db);
    if (open !== null && open < period) {
      throw new LedgerError(
        'EARLIER_PERIOD_OPEN',
        `period: ${open} is still open; months are closed in order, so close ${open} before ${period} (yibao clearing close --period ${open})`,
      );
    }
  }

  /** The entries of [start, end) grouped for the statements (see {@link monthGroups}). */
  groups(db: Kysely<Database>, start: number, end: number, institution?: string): Promise<EntryGroup[]> {
    return monthGroups(db, start, end, institution);
  }

  /**
   * An institution's entries in [start, end) in the national detail shape, in time order (for a
   * reconciliation). At most {@link MAX_RECONCILE_ROWS}.
   */
  async detailRows(institution: string, start: number, end: number): Promise<LedgerDetailRow[]> {
    const rows = await this.db
      .selectFrom('settlements')
      .select([
        'id',
        'visit_id',
        'person_id',
        'kind',
        'reverses',
        'created_at',
        'total_fen',
        'fund_pay_fen',
        'critical_illness_pay_fen',
        'assistance_pay_fen',
        'account_pay_fen',
        'cash_pay_fen',
      ])
      .where('institution_id', '=', institution)
      .where('created_at', '>=', start)
      .where('created_at', '<', end)
      .orderBy('created_at')
      .orderBy('id')
      .limit(MAX_RECONCILE_ROWS + 1)
      .execute();
    if (rows.length > MAX_RECONCILE_ROWS)
      throw new LedgerError('INVALID_REQUEST', `the span holds more than ${MAX_RECONCILE_ROWS} entries of ${institution}; reconcile a shorter span`);
    return rows.map((r) => ({
      setl_id: r.id,
      mdtrt_id: r.visit_id,
      psn_no: r.person_id,
      medfee_sumamt: num(r.total_fen),
      fund_pay_sumamt: num(r.fund_pay_fen) + num(r.critical_illness_pay_fen) + num(r.assistance_pay_fen),
      acct_pay: num(r.account_pay_fen),
      cash_payamt: num(r.cash_pay_fen),
      refd_setl_flag: r.kind === 'reversal' ? '1' : '0',
      reverses: r.reverses,
      settledAt: num(r.created_at),
    }));
  }

  /** Statements, newest month first; an institution's actor sees its own (clearing-views.ts). */
  statements(actor: Actor, f: { period?: string; institution?: string; centre?: string; limit: number; after?: [string, string] }) {
    return listStatements(this.db, actor, f);
  }

  /** One statement whole. @throws LedgerError NOT_FOUND. */
  statement(actor: Actor, period: Period, institution: string) {
    return getStatement(this.db, actor, period, institution);
  }

  /** What each paying centre owes its institutions for a closed month. @throws LedgerError NOT_FOUND when the month is open. */
  async centreStatements(period: Period) {
    await this.mustBeClosed(period);
    return centreStatements(this.db, this.registry, period);
  }

  /** 三(三): per district, remitted funds against what was paid for its insured. @throws LedgerError NOT_FOUND when the month is open. */
  async districtClearing(period: Period) {
    await this.mustBeClosed(period);
    return districtClearing(this.db, this.registry, period);
  }

  /** The entries a statement covers (personal data; the read is audited). */
  covered(actor: Actor, period: Period, institution: string, limit: number, after?: [number, string]) {
    return coveredEntries(this.db, actor, period, institution, limit, after, this.now());
  }

  private async mustBeClosed(period: Period): Promise<void> {
    if (!(await this.closed(period))) throw new LedgerError('NOT_FOUND', `${period} is not closed (yibao clearing close --period ${period})`);
  }

  /** The first and last day of a period (for the national stmt_begndate/stmt_enddate). */
  days(period: Period) {
    return periodDays(period);
  }
}

/**
 * Every closed month recomputed from the entries: each institution's counts and totals must be
 * its statement's, and no entry of the month may lack a statement (an entry that joined a
 * closed month, or a statement edited). The paying centre is not recomputed: the registry may
 * have changed since; the statement keeps the centre that was due when it closed.
 */
export async function verifyClearing(db: Kysely<Database>): Promise<{ periods: number; mismatches: string[] }> {
  const periods = await db.selectFrom('clearing_periods').select(['period', 'entries']).orderBy('period').execute();
  const mismatches: string[] = [];
  // Each summed day (日结) still holds the entries it summed: none joined it afterwards.
  const rolled = await db.selectFrom('clearing_rolled_days').select(['day', 'entries']).orderBy('day').execute();
  for (const r of rolled) {
    const from = chinaDayStart(Number(r.day));
    const n = await db
      .selectFrom('settlements')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('created_at', '>=', from)
      .where('created_at', '<', from + MS_PER_DAY)
      .executeTakeFirstOrThrow();
    if (Number(n.n) !== Number(r.entries))
      mismatches.push(`clearing day ${formatDate(Number(r.day))}: summed ${Number(r.entries)} entries at its day-end, the ledger holds ${Number(n.n)}`);
  }
  for (const p of periods) {
    const { start, end } = periodBounds(p.period);
    const want = new Map<string, number[]>();
    for (const g of await monthGroups(db, start, end)) {
      const t = want.get(g.institution) ?? [0, 0, 0, 0, 0, 0];
      t[g.kind === 'settlement' ? 0 : 1] = (t[g.kind === 'settlement' ? 0 : 1] as number) + g.count;
      t[2] = (t[2] as number) + g.total;
      t[3] = (t[3] as number) + g.fund + g.criticalIllness + g.assistance;
      t[4] = (t[4] as number) + g.account;
      t[5] = (t[5] as number) + g.cash;
      want.set(g.institution, t);
    }
    const rows = await db.selectFrom('clearing_statements').selectAll().where('period', '=', p.period).execute();
    const have = new Map(rows.map((r) => [r.institution_id, [r.settlements, r.reversals, r.medfee_sumamt, r.fund_pay_sumamt, r.acct_pay, r.cash_payamt].map(num)]));
    const names = ['settlements', 'reversals', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay', 'cash_payamt'];
    for (const inst of [...new Set([...want.keys(), ...have.keys()])].sort()) {
      const w = want.get(inst) ?? [0, 0, 0, 0, 0, 0];
      const h = have.get(inst);
      if (!h) {
        mismatches.push(`clearing ${p.period}: institution ${inst} has ${(w[0] as number) + (w[1] as number)} entries in the closed month but no statement`);
        continue;
      }
      const differ = names.filter((_, i) => w[i] !== h[i]).map((n) => `${n} ${h[names.indexOf(n)]} ≠ ${w[names.indexOf(n)]} from the entries`);
      if (differ.length > 0) mismatches.push(`clearing ${p.period} statement of ${inst}: ${differ.join(', ')}`);
    }
  }
  return { periods: periods.length, mismatches };
}
