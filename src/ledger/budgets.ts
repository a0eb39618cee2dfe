/**
 * The budget book (预算管理): budgets the agency records per pooling area (县区), year and account,
 * payments out of the separate accounts, and the statements and warnings read from them and the
 * entries (src/monitoring/budget.ts; 洛医保〔2023〕63号 三(一), 洛医保〔2022〕36号 第三条).
 *
 * A budget is never edited: a revision is a new row and the newest is in force. Every write is
 * named by the client's request id (the same id and body: the original answer; another body:
 * IDEMPOTENCY_CONFLICT, idempotency.ts) and audited in its own transaction.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { chinaDay, yearOf, yearStart, type DayNumber } from '../calendar/calendar.js';
import { accountStatement, completeYears, DailySeries, type AccountStatement, type BudgetRecord } from '../monitoring/budget.js';
import {
  accountOf,
  accountSpec,
  FAMILY_DOCTOR_ACCOUNT,
  standardBudget,
  standardRate,
  STUDENT_ACCOUNT,
  studentBenefits,
  surplusRule,
  type BudgetBasis,
} from '../monitoring/budget-policy.js';
import { WARNING_SETTING, warningSettingSchema, type WarningSetting } from '../monitoring/warning.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import type { BudgetRequest, PaymentRequest } from '../request/budget-request.js';
import { pageOf, type Page, type Positions } from '../request/page.js';
import { writeAudit } from './audit.js';
import { countPersons, dailyPayments, dailySpending, firstEntryDay } from './budget-spending.js';
import { LedgerError, type LedgerErrorCode } from './errors.js';
import { idempotently, replayIfSeen, type Idempotency } from './idempotency.js';
import { uuidv7 } from './ids.js';
import type { MonitoringSettings, Setting } from './monitoring-settings.js';
import type { BudgetPaymentsTable, BudgetsTable, Database } from './schema.js';
import type { Actor } from './types.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The past complete years a projection reads (the latest of them). */
export const MAX_HISTORY_YEARS = 5;

/** A payment out of a separate account, as recorded. */
export interface PaymentRecord {
  id: string;
  area: string;
  year: number;
  account: string;
  amount: Fen;
  paidOn: string;
  note: string | null;
  requestId: string;
  recordedBy: string;
  recordedAt: number;
}

/** An area as the clearing registry has it. */
export interface Area {
  code: string;
  name: string;
  region: string;
}

/** The statements of one area's accounts for a year. */
export interface AreaStatement {
  area: Area;
  year: number;
  asOf: DayNumber;
  warningSetting: Setting<WarningSetting> | null;
  accounts: AccountStatement[];
}

const sha = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

const budgetOf = (r: BudgetsTable): BudgetRecord => ({
  id: r.id,
  area: r.area,
  year: Number(r.year),
  account: r.account,
  amount: Number(r.amount_fen),
  basis: JSON.parse(r.basis) as BudgetBasis,
  note: r.note,
  requestId: r.request_id,
  recordedBy: r.actor,
  recordedAt: Number(r.recorded_at),
});

const paymentOf = (r: BudgetPaymentsTable): PaymentRecord => ({
  id: r.id,
  area: r.area,
  year: Number(r.year),
  account: r.account,
  amount: Number(r.amount_fen),
  paidOn: r.paid_on,
  note: r.note,
  requestId: r.request_id,
  recordedBy: r.actor,
  recordedAt: Number(r.recorded_at),
});

/** The replay rule of a write stored with its request hash. */
function byHash<R extends { request_hash: string }, T>(hash: string, answer: (r: R) => T, what: string, requestId: string): Idempotency<R, T> {
  return {
    matches: (prior) => prior.request_hash === hash,
    answer,
    conflict: () => new LedgerError('IDEMPOTENCY_CONFLICT', `${what} ${requestId} was recorded with another body; use a new id`),
  };
}

export class BudgetBook {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly policies: PolicySet,
    private readonly settings: MonitoringSettings,
    private readonly now: () => number,
  ) {}

  /** The report day when none is asked: yesterday (China time, the last whole day), and within `year` when given. */
  defaultAsOf(year?: number): DayNumber {
    const yesterday = chinaDay(this.now()) - 1;
    return year === undefined ? yesterday : Math.min(yesterday, yearStart(year + 1) - 1);
  }

  /** A registered district, or the refusal (INVALID_REQUEST for a body's field, NOT_FOUND for a path's). */
  async area(code: string, refusal: LedgerErrorCode = 'INVALID_REQUEST', db: Db = this.db): Promise<Area> {
    const d = await db.selectFrom('districts').select(['code', 'name', 'region']).where('code', '=', code).executeTakeFirst();
    if (!d) {
      const field = refusal === 'INVALID_REQUEST' ? 'area: ' : '';
      throw new LedgerError(refusal, `${field}${code} is not a registered district (县区); register it first (PUT /v1/clearing/districts/${code}, yibao clearing districts set)`);
    }
    return d;
  }

  private spec(area: Area, account: string) {
    const spec = accountSpec(this.policies, area.region, account);
    if (!spec) {
      const benefits = [...new Set(this.policies.packs.filter((p) => this.policies.lineage(area.region).includes(p.region.code)).flatMap((p) => p.benefits.map((b) => b.id)))];
      throw new LedgerError(
        'INVALID_REQUEST',
        `account: ${account} is not an account of ${area.name} (${area.region}): one of ${[...benefits.sort(), STUDENT_ACCOUNT, FAMILY_DOCTOR_ACCOUNT].join(', ')}`,
      );
    }
    return spec;
  }

  /** Records a budget (a new revision); a replay answers the original. Audited. */
  async setBudget(req: BudgetRequest, actor: Actor): Promise<{ budget: BudgetRecord; created: boolean; previous: BudgetRecord | null }> {
    const hash = sha([req.area, req.year, req.account, req.amount, req.fromPolicy, req.note]);
    const find = () => this.db.selectFrom('budgets').selectAll().where('request_id', '=', req.id).executeTakeFirst();
    const spec = byHash<BudgetsTable, { budget: BudgetRecord; created: boolean; previous: BudgetRecord | null }>(
      hash,
      (r) => ({ budget: budgetOf(r), created: false, previous: null }),
      'budget',
      req.id,
    );
    return idempotently(
      () =>
        this.db.transaction().execute(async (trx) => {
          const replay = replayIfSeen(spec, await trx.selectFrom('budgets').selectAll().where('request_id', '=', req.id).executeTakeFirst());
          if (replay) return replay;
          const area = await this.area(req.area, 'INVALID_REQUEST', trx);
          this.spec(area, req.account);
          let amount: Fen;
          let basis: BudgetBasis = { method: 'entered' };
          if (req.fromPolicy !== null) {
            // The rate first: an account without one is refused before anything is counted.
            const separate = standardRate(this.policies, area.region, req.year, req.account).account;
            const persons = req.fromPolicy.persons ?? (await countPersons(trx, area.code, req.year, separate));
            if (persons === 0) {
              throw new LedgerError(
                'INVALID_REQUEST',
                `fromPolicy: the ledger counts no persons for ${req.account} in ${area.name} (${area.code}) ${req.year} (registered in the district with a payment recorded for the year); give fromPolicy.persons, or the amount`,
              );
            }
            ({ amount, basis } = standardBudget(this.policies, area.region, req.year, req.account, persons, req.fromPolicy.persons === null ? 'ledger' : 'entered'));
          } else amount = req.amount as Fen;
          const before = await this.inForce(trx, area.code, req.year, req.account);
          const at = this.now();
          const row: BudgetsTable = {
            id: uuidv7(at),
            area: area.code,
            year: req.year,
            account: req.account,
            amount_fen: amount,
            basis: JSON.stringify(basis),
            note: req.note,
            request_id: req.id,
            request_hash: hash,
            actor: actor.id,
            recorded_at: at,
          };
          await trx.insertInto('budgets').values(row).execute();
          await writeAudit(trx, actor, at, 'monitoring.budget.set', `${area.code}/${req.year}/${req.account}`, {
            requestId: req.id,
            amount: toYuanNumber(amount),
            before: before ? toYuanNumber(before.amount) : null,
            basis,
            note: req.note,
          });
          return { budget: budgetOf(row), created: true, previous: before };
        }),
      find,
      spec,
    );
  }

  /** The budget in force of an area, year and account (the newest revision), or null. */
  private async inForce(db: Db, area: string, year: number, account: string): Promise<BudgetRecord | null> {
    const r = await db
      .selectFrom('budgets')
      .selectAll()
      .where('area', '=', area)
      .where('year', '=', year)
      .where('account', '=', account)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? budgetOf(r) : null;
  }

  /** Records a payment out of a separate account (family-doctor); a replay answers the original. Audited. */
  async recordPayment(req: PaymentRequest, actor: Actor): Promise<{ payment: PaymentRecord; created: boolean }> {
    const hash = sha([req.area, req.account, req.amount, req.paidOn, req.note]);
    const find = () => this.db.selectFrom('budget_payments').selectAll().where('request_id', '=', req.id).executeTakeFirst();
    const spec = byHash<BudgetPaymentsTable, { payment: PaymentRecord; created: boolean }>(hash, (r) => ({ payment: paymentOf(r), created: false }), 'payment', req.id);
    return idempotently(
      () =>
        this.db.transaction().execute(async (trx) => {
          const replay = replayIfSeen(spec, await trx.selectFrom('budget_payments').selectAll().where('request_id', '=', req.id).executeTakeFirst());
          if (replay) return replay;
          const area = await this.area(req.area, 'INVALID_REQUEST', trx);
          if (req.account !== FAMILY_DOCTOR_ACCOUNT) {
            this.spec(area, req.account);
            throw new LedgerError(
              'INVALID_REQUEST',
              `account: payments are recorded for ${FAMILY_DOCTOR_ACCOUNT} (家庭医生签约服务费, 分账管理) only; ${req.account} spends what its settlements pay`,
            );
          }
          const at = this.now();
          const row: BudgetPaymentsTable = {
            id: uuidv7(at),
            area: area.code,
            year: req.year,
            account: req.account,
            amount_fen: req.amount,
            paid_on: req.paidOn,
            note: req.note,
            request_id: req.id,
            request_hash: hash,
            actor: actor.id,
            recorded_at: at,
          };
          await trx.insertInto('budget_payments').values(row).execute();
          await writeAudit(trx, actor, at, 'monitoring.budget.payment', `${area.code}/${req.year}/${req.account}`, {
            requestId: req.id,
            amount: toYuanNumber(req.amount),
            paidOn: req.paidOn,
            note: req.note,
          });
          return { payment: paymentOf(row), created: true };
        }),
      find,
      spec,
    );
  }

  /**
   * Budgets in area, year and account order, a page at a time: those in force, or with `history`
   * every revision (oldest first within an account).
   */
  async list(filter: { area?: string; year?: number; account?: string; history?: boolean; limit: number; after?: Positions['budgets'] }): Promise<Page<BudgetRecord>> {
    let q = this.db.selectFrom('budgets').selectAll();
    if (filter.area !== undefined) q = q.where('area', '=', filter.area);
    if (filter.year !== undefined) q = q.where('year', '=', filter.year);
    if (filter.account !== undefined) q = q.where('account', '=', filter.account);
    if (!filter.history) {
      q = q.where('id', 'in', (eb) =>
        eb
          .selectFrom('budgets as n')
          .select((e) => e.fn.max('n.id').as('id'))
          .groupBy(['n.area', 'n.year', 'n.account']),
      );
    }
    const a = filter.after;
    if (a) {
      q = q.where((eb) =>
        eb.or([
          eb('area', '>', a[0]),
          eb.and([eb('area', '=', a[0]), eb('year', '>', a[1])]),
          eb.and([eb('area', '=', a[0]), eb('year', '=', a[1]), eb('account', '>', a[2])]),
          eb.and([eb('area', '=', a[0]), eb('year', '=', a[1]), eb('account', '=', a[2]), eb('id', '>', a[3])]),
        ]),
      );
    }
    const rows = await q
      .orderBy('area')
      .orderBy('year')
      .orderBy('account')
      .orderBy('id')
      .limit(filter.limit + 1)
      .execute();
    return pageOf(rows, filter.limit, 'budgets', (r) => [r.area, Number(r.year), r.account, r.id], budgetOf);
  }

  /** Payments in the order recorded, a page at a time. */
  async payments(filter: { area?: string; year?: number; account?: string; limit: number; after?: Positions['budgetPayments'] }): Promise<Page<PaymentRecord>> {
    let q = this.db.selectFrom('budget_payments').selectAll();
    if (filter.area !== undefined) q = q.where('area', '=', filter.area);
    if (filter.year !== undefined) q = q.where('year', '=', filter.year);
    if (filter.account !== undefined) q = q.where('account', '=', filter.account);
    if (filter.after) q = q.where('id', '>', filter.after[0]);
    const rows = await q
      .orderBy('id')
      .limit(filter.limit + 1)
      .execute();
    return pageOf(rows, filter.limit, 'budgetPayments', (r) => [r.id], paymentOf);
  }

  /** The margin in force, or null when the agency has not set it. */
  async warningSetting(): Promise<Setting<WarningSetting> | null> {
    const s = await this.settings.get<unknown>(WARNING_SETTING);
    if (!s) return null;
    const parsed = warningSettingSchema.safeParse(s.value);
    return parsed.success ? { ...s, value: parsed.data } : null;
  }

  /** The statements of an area's accounts for a year, as at `asOf` (default {@link defaultAsOf}). @throws NOT_FOUND for an unknown area. */
  async statement(areaCode: string, year: number, asOf = this.defaultAsOf(year)): Promise<AreaStatement> {
    const area = await this.area(areaCode, 'NOT_FOUND');
    const [one] = await this.statements([area], year, asOf, true);
    return one as AreaStatement;
  }

  /** The statements of every area with a budget in `asOf`'s year (or `areaCode`'s), as at `asOf`: the warnings' reading. */
  async statementsOfYear(asOf: DayNumber, areaCode?: string): Promise<AreaStatement[]> {
    const year = yearOf(asOf);
    if (areaCode !== undefined) return this.statements([await this.area(areaCode, 'NOT_FOUND')], year, asOf, true);
    const codes = await this.db.selectFrom('budgets').select('area').distinct().where('year', '=', year).execute();
    if (codes.length === 0) return [];
    const areas = await this.db
      .selectFrom('districts')
      .select(['code', 'name', 'region'])
      .where(
        'code',
        'in',
        codes.map((c) => c.area),
      )
      .orderBy('code')
      .execute();
    return this.statements(areas, year, asOf, false);
  }

  /** Reads budgets, spending and payments once for all `areas` and builds their statements. */
  private async statements(areas: Area[], year: number, asOf: DayNumber, single: boolean): Promise<AreaStatement[]> {
    const codes = areas.map((a) => a.code);
    const only = single ? codes[0] : undefined;
    const [setting, first, budgetRows] = await Promise.all([
      this.warningSetting(),
      firstEntryDay(this.db),
      this.db
        .selectFrom('budgets')
        .selectAll()
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('budgets as n')
            .select((e) => e.fn.max('n.id').as('id'))
            .where('n.area', 'in', codes)
            .where('n.year', '<=', year)
            .groupBy(['n.area', 'n.year', 'n.account']),
        )
        .execute(),
    ]);
    const budgets = budgetRows.map(budgetOf);
    const past = completeYears(first, year, MAX_HISTORY_YEARS);
    // From the first past year read, or the first students' budget (its rollover chain), whichever is earlier.
    const studentYears = budgets.filter((b) => b.account === STUDENT_ACCOUNT).map((b) => b.year);
    const fromYear = Math.min(year, past[0] ?? year, ...studentYears);
    const lastDay = Math.min(asOf, yearStart(year + 1) - 1);
    const [spend, paid] =
      lastDay < yearStart(fromYear)
        ? [[], []]
        : await Promise.all([dailySpending(this.db, yearStart(fromYear), lastDay, only), dailyPayments(this.db, yearStart(fromYear), lastDay, only)]);
    const series = new Map<string, DailySeries>();
    const seriesOf = (area: string, account: string) => {
      const key = `${area}\u0000${account}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = new DailySeries()));
      return s;
    };
    const studentIds = new Map(areas.map((a) => [a.code, studentBenefits(this.policies, a.region)]));
    for (const g of spend) {
      const ids = studentIds.get(g.area);
      if (ids) seriesOf(g.area, accountOf(g.benefit, g.student, ids)).add(g.day, g.fund);
    }
    for (const p of paid) seriesOf(p.area, p.account).add(p.day, p.amount);
    return areas.map((area) => {
      const mine = budgets.filter((b) => b.area === area.code);
      const accounts = new Set(mine.filter((b) => b.year === year).map((b) => b.account));
      if (single) {
        for (const key of series.keys()) {
          const [a, account] = key.split('\u0000') as [string, string];
          if (
            a === area.code &&
            series
              .get(key)
              ?.byYear.get(year)
              ?.some((x) => x !== 0)
          )
            accounts.add(account);
        }
      }
      const order = (x: string) => (x === STUDENT_ACCOUNT ? 1 : x === FAMILY_DOCTOR_ACCOUNT ? 2 : 0);
      const list = [...accounts].sort((x, y) => order(x) - order(y) || (x < y ? -1 : x > y ? 1 : 0));
      const statements = list.flatMap((account) => {
        const spec = accountSpec(this.policies, area.region, account);
        if (!spec) return [];
        return [
          accountStatement({
            area: area.code,
            year,
            asOf,
            account: spec,
            budgets: new Map(mine.filter((b) => b.account === account).map((b) => [b.year, b])),
            series: series.get(`${area.code}\u0000${account}`) ?? new DailySeries(),
            pastYears: past,
            surplusRule: (y) => surplusRule(this.policies, area.region, y),
            warning: setting?.value,
          }),
        ];
      });
      return { area, year, asOf, warningSetting: setting, accounts: statements };
    });
  }
}
