/**
 * The ledger: the settlement engine wrapped in one database transaction per operation, in the
 * shape of the national platform's pre-settle / settle / reverse.
 *
 * - pre-settle computes what would be settled now and writes nothing;
 * - settle computes and commits the entry with its accumulator changes atomically; a request id
 *   makes it idempotent (same id and body: the original entry; same id, other body: refused);
 * - reverse writes a new entry with the amounts negated and restores the accumulators; an entry is
 *   never edited, and a settlement is reversed at most once.
 *
 * Settlements of one person are serialized: on PostgreSQL by the person row's lock (the upsert
 * that opens every settle takes it), on SQLite by its single writer. So two visits settled at once
 * can never both spend the same remaining cap.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { formatDate } from '../calendar/calendar.js';
import type { Accumulators, DeductibleWindow } from '../engine/accumulators.js';
import { SettlementError } from '../engine/errors.js';
import type { Person, Settlement, SettlementEngine } from '../engine/settle.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import { settlementJson } from '../request/settle-person.js';
import type { SettleOne } from '../request/settle-one.js';
import type { LedgerDb } from './connect.js';
import type { Database, SettlementsTable } from './schema.js';

/** Who is acting: recorded on every write. */
export interface Actor {
  id: string;
  role: 'institution' | 'agency' | 'analyst' | 'system';
  institutionId?: string;
}

export type LedgerErrorCode =
  | 'IDEMPOTENCY_CONFLICT'
  | 'VISIT_ALREADY_SETTLED'
  | 'NOT_FOUND'
  | 'ALREADY_REVERSED'
  | 'NOT_REVERSIBLE'
  | 'INSTITUTION_MISMATCH'
  | 'FORBIDDEN';

/** A refused ledger operation (maps to a 4xx). Nothing was written. */
export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

/** A ledger entry as the API returns it. */
export type Entry = Record<string, unknown> & { id: string; kind: 'settlement' | 'reversal'; requestId: string };

export interface SettleResult {
  entry: Entry;
  /** False when the request id was seen before and the original entry is returned. */
  created: boolean;
}

export interface CapView {
  bucket: string;
  year: number;
  used: number;
  limit: number | null;
  remaining: number | null;
}

export interface AccumulatorView {
  person: string;
  year: number;
  caps: CapView[];
  deductibleWindows: { bucket: string; institution: string; openedAt: string; day: string; borne: number }[];
}

export interface VerifyReport {
  ok: boolean;
  checked: { entries: number; capRows: number; windowRows: number };
  mismatches: string[];
}

type Db = Kysely<Database> | Transaction<Database>;

/** Accumulators read from the ledger inside the transaction. */
class LoadedAccumulators implements Accumulators {
  constructor(
    private readonly caps: Map<string, Fen>,
    private readonly windows: Map<string, DeductibleWindow>,
  ) {}
  capUsed(bucket: string, year: number): Fen {
    return this.caps.get(`${year}\u0000${bucket}`) ?? 0;
  }
  deductibleWindow(bucket: string, institutionId: string): DeductibleWindow | undefined {
    return this.windows.get(`${bucket}\u0000${institutionId}`);
  }
}

async function loadAccumulators(db: Db, personId: string, institutionId: string): Promise<LoadedAccumulators> {
  const [caps, windows] = await Promise.all([
    db.selectFrom('cap_usage').select(['year', 'bucket', 'used_fen']).where('person_id', '=', personId).execute(),
    db
      .selectFrom('deductible_windows')
      .select(['bucket', 'opened_at', 'day', 'borne_fen'])
      .where('person_id', '=', personId)
      .where('institution_id', '=', institutionId)
      .execute(),
  ]);
  return new LoadedAccumulators(
    new Map(caps.map((c) => [`${c.year}\u0000${c.bucket}`, Number(c.used_fen)])),
    new Map(windows.map((w) => [`${w.bucket}\u0000${institutionId}`, { openedAt: Number(w.opened_at), day: Number(w.day), borne: Number(w.borne_fen) }])),
  );
}

function entryOf(row: Pick<SettlementsTable, 'body'>): Entry {
  return JSON.parse(row.body) as Entry;
}

const isUniqueViolation = (e: unknown) => /unique|duplicate key/i.test(String((e as Error)?.message));

export class Ledger {
  constructor(
    readonly store: LedgerDb,
    readonly engine: SettlementEngine,
    private readonly now: () => number = Date.now,
  ) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  /** Enrollment on file for the coverage year, when the request brings none. */
  private async withStoredEnrollment(db: Db, person: Person, year: number): Promise<Person> {
    if (person.enrollment) return person;
    const row = await db
      .selectFrom('enrollments')
      .select(['paid_on', 'coverage_year', 'transfer'])
      .where('person_id', '=', person.id)
      .where('coverage_year', '=', year)
      .orderBy('recorded_at', 'desc')
      .executeTakeFirst();
    if (!row) return person;
    const paidOn = Date.parse(`${row.paid_on}T00:00:00Z`) / 86_400_000;
    return { ...person, enrollment: { paidOn, coverageYear: Number(row.coverage_year), transfer: Number(row.transfer) === 1 } };
  }

  /** What would be settled now. Writes nothing. */
  async preSettle(req: SettleOne, actor: Actor): Promise<Record<string, unknown>> {
    this.checkInstitution(req, actor);
    const acc = await loadAccumulators(this.db, req.person.id, req.visit.institution.id);
    const person = await this.withStoredEnrollment(this.db, req.person, new Date(req.visit.time + 8 * 3_600_000).getUTCFullYear());
    const s = this.engine.settle(person, req.visit, acc, { trace: true });
    return { preSettlement: true, ...settlementJson(s) };
  }

  private checkInstitution(req: SettleOne, actor: Actor): void {
    if (actor.role === 'institution' && actor.institutionId !== req.visit.institution.id) {
      throw new LedgerError(
        'FORBIDDEN',
        `visit.institution.id: an institution key for ${actor.institutionId} may settle only visits at ${actor.institutionId}, not ${req.visit.institution.id}`,
      );
    }
  }

  /**
   * Settles one visit and commits it with its accumulator changes, atomically. Idempotent by
   * request id. Throws SettlementError (the documents cannot settle it) or LedgerError (refused).
   */
  async settle(req: SettleOne, actor: Actor): Promise<SettleResult> {
    this.checkInstitution(req, actor);
    const replay = await this.replay(this.db, req);
    if (replay) return replay;
    try {
      return await this.db.transaction().execute((trx) => this.settleIn(trx, req, actor));
    } catch (e) {
      // Two requests with one id raced: the loser's insert hit the unique index. Answer as a retry.
      if (isUniqueViolation(e)) {
        const again = await this.replay(this.db, req);
        if (again) return again;
      }
      throw e;
    }
  }

  private async replay(db: Db, req: SettleOne): Promise<SettleResult | undefined> {
    const prior = await db.selectFrom('settlements').select(['body', 'request_hash', 'kind']).where('request_id', '=', req.requestId).executeTakeFirst();
    if (!prior) return undefined;
    if (prior.kind !== 'settlement' || prior.request_hash !== req.hash) {
      throw new LedgerError(
        'IDEMPOTENCY_CONFLICT',
        `requestId: ${req.requestId} was already used for a different request; use a new request id for a new request`,
      );
    }
    return { entry: entryOf(prior), created: false };
  }

  private async settleIn(trx: Transaction<Database>, req: SettleOne, actor: Actor): Promise<SettleResult> {
    const now = this.now();
    const { person: p, visit } = req;
    // The upsert takes the person's row lock on PostgreSQL until commit: settlements of one person
    // run one at a time from here on.
    await trx
      .insertInto('persons')
      .values({
        id: p.id,
        region: p.region,
        scheme: p.scheme,
        category: p.category,
        hardship: p.hardship ?? null,
        family_doctor_at: p.familyDoctorAt ?? null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          region: p.region,
          scheme: p.scheme,
          category: p.category,
          hardship: p.hardship ?? null,
          family_doctor_at: p.familyDoctorAt ?? null,
          updated_at: now,
        }),
      )
      .execute();
    // Under the lock, look again: a retry may have committed while we waited.
    const replay = await this.replay(trx, req);
    if (replay) return replay;
    const settled = await trx
      .selectFrom('settlements as s')
      .select(['s.id'])
      .where('s.visit_id', '=', visit.id)
      .where('s.kind', '=', 'settlement')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('settlements as r').select('r.id').whereRef('r.reverses', '=', 's.id'))))
      .executeTakeFirst();
    if (settled) {
      throw new LedgerError('VISIT_ALREADY_SETTLED', `visit.id: visit ${visit.id} is already settled as ${settled.id}; reverse it first to settle it again`);
    }
    await this.recordInstitution(trx, visit.institution, p.region, now);
    if (p.enrollment) {
      await trx
        .insertInto('enrollments')
        .values({
          id: `${p.id}:${p.enrollment.coverageYear}:${formatDate(p.enrollment.paidOn)}`,
          person_id: p.id,
          coverage_year: p.enrollment.coverageYear,
          paid_on: formatDate(p.enrollment.paidOn),
          transfer: p.enrollment.transfer ? 1 : 0,
          amount_fen: null,
          payer: null,
          recorded_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
    const acc = await loadAccumulators(trx, p.id, visit.institution.id);
    const person = await this.withStoredEnrollment(trx, p, new Date(visit.time + 8 * 3_600_000).getUTCFullYear());
    const s = this.engine.settle(person, visit, acc, { trace: true });
    const id = `S-${randomUUID()}`;
    const entry: Entry = { id, kind: 'settlement', requestId: req.requestId, createdAt: new Date(now).toISOString(), ...settlementJson(s) };
    await trx
      .insertInto('visits')
      .values({
        id: visit.id,
        person_id: p.id,
        institution_id: visit.institution.id,
        time_ms: visit.time,
        visit_date: formatDate(s.date),
        type: visit.type,
        total_fen: visit.total,
        eligible_fen: visit.eligible,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await trx.insertInto('settlements').values(this.row(id, req, s, entry, actor, now)).execute();
    await this.applyChanges(trx, p.id, visit.institution.id, s);
    await this.audit(trx, actor, 'settle', id, { requestId: req.requestId, visitId: visit.id, person: p.id, fundPay: toYuanNumber(s.fundPay) }, now);
    return { entry, created: true };
  }

  private async recordInstitution(trx: Transaction<Database>, inst: SettleOne['visit']['institution'], region: string, now: number): Promise<void> {
    const known = await trx.selectFrom('institutions').select(['tier', 'grade', 'contracted']).where('id', '=', inst.id).executeTakeFirst();
    if (known) {
      if (known.tier !== inst.tier || Number(known.grade) !== inst.grade || (Number(known.contracted) === 1) !== inst.contracted) {
        throw new LedgerError(
          'INSTITUTION_MISMATCH',
          `visit.institution: ${inst.id} is registered as ${known.tier}, grade ${known.grade}, ${Number(known.contracted) === 1 ? 'contracted' : 'not contracted'}; the request says ${inst.tier}, grade ${inst.grade}, ${inst.contracted ? 'contracted' : 'not contracted'}`,
        );
      }
      return;
    }
    await trx
      .insertInto('institutions')
      .values({ id: inst.id, name: null, tier: inst.tier, grade: inst.grade, contracted: inst.contracted ? 1 : 0, region, updated_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  private row(id: string, req: SettleOne, s: Settlement, entry: Entry, actor: Actor, now: number): SettlementsTable {
    const w = s.changes.deductibleWindow;
    return {
      id,
      request_id: req.requestId,
      request_hash: req.hash,
      kind: 'settlement',
      reverses: null,
      person_id: req.person.id,
      visit_id: req.visit.id,
      institution_id: req.visit.institution.id,
      visit_date: formatDate(s.date),
      year: new Date(s.date * 86_400_000).getUTCFullYear(),
      policy: s.policy,
      benefit: s.benefit,
      eligibility: s.eligibility,
      total_fen: s.total,
      eligible_fen: s.eligible,
      deductible_fen: s.deductible,
      fund_pay_fen: s.fundPay,
      critical_illness_pay_fen: s.criticalIllnessPay,
      assistance_pay_fen: s.assistancePay,
      account_pay_fen: s.accountPay,
      cash_pay_fen: s.cashPay,
      cap_bucket: s.changes.cap?.bucket ?? null,
      cap_year: s.changes.cap?.year ?? null,
      cap_before_fen: s.changes.cap?.before ?? null,
      cap_after_fen: s.changes.cap?.after ?? null,
      window_bucket: w?.bucket ?? null,
      window_opened_at: w?.window.openedAt ?? null,
      window_day: w?.window.day ?? null,
      window_borne_after_fen: w?.window.borne ?? null,
      body: JSON.stringify(entry),
      actor: actor.id,
      created_at: now,
    };
  }

  private async applyChanges(trx: Transaction<Database>, personId: string, institutionId: string, s: Settlement): Promise<void> {
    const cap = s.changes.cap;
    if (cap) {
      await trx
        .insertInto('cap_usage')
        .values({ person_id: personId, year: cap.year, bucket: cap.bucket, used_fen: cap.after })
        .onConflict((oc) => oc.columns(['person_id', 'year', 'bucket']).doUpdateSet({ used_fen: cap.after }))
        .execute();
    }
    const w = s.changes.deductibleWindow;
    if (w) {
      await trx
        .insertInto('deductible_windows')
        .values({ person_id: personId, bucket: w.bucket, institution_id: institutionId, opened_at: w.window.openedAt, day: w.window.day, borne_fen: w.window.borne })
        .onConflict((oc) =>
          oc.columns(['person_id', 'bucket', 'institution_id']).doUpdateSet({ opened_at: w.window.openedAt, day: w.window.day, borne_fen: w.window.borne }),
        )
        .execute();
    }
  }

  private async audit(db: Db, actor: Actor, action: string, target: string, detail: unknown, at: number): Promise<void> {
    await db.insertInto('audit_log').values({ at, actor: actor.id, role: actor.role, action, target, detail: JSON.stringify(detail) }).execute();
  }

  /**
   * Reverses a settlement: a new entry with the amounts negated, and the accumulators restored
   * (the cap by what the settlement paid; the deductible window by what it bore, if that window is
   * still the institution's current one). Refused for a reversal, or a settlement reversed before.
   */
  async reverse(settlementId: string, requestId: string, actor: Actor): Promise<SettleResult> {
    const hash = `reverse:${settlementId}`;
    try {
      return await this.db.transaction().execute(async (trx) => {
        const prior = await trx.selectFrom('settlements').select(['body', 'request_hash']).where('request_id', '=', requestId).executeTakeFirst();
        if (prior) {
          if (prior.request_hash !== hash) throw new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${requestId} was already used for a different request`);
          return { entry: entryOf(prior), created: false };
        }
        const original = await trx.selectFrom('settlements').selectAll().where('id', '=', settlementId).executeTakeFirst();
        if (!original) throw new LedgerError('NOT_FOUND', `settlement ${settlementId} does not exist`);
        if (actor.role === 'institution' && actor.institutionId !== original.institution_id) {
          throw new LedgerError('NOT_FOUND', `settlement ${settlementId} does not exist`);
        }
        if (original.kind !== 'settlement') throw new LedgerError('NOT_REVERSIBLE', `${settlementId} is a reversal; a reversal cannot be reversed`);
        // Lock the person, as settle does.
        await trx.updateTable('persons').set({ updated_at: this.now() }).where('id', '=', original.person_id).execute();
        const already = await trx.selectFrom('settlements').select('id').where('reverses', '=', settlementId).executeTakeFirst();
        if (already) throw new LedgerError('ALREADY_REVERSED', `settlement ${settlementId} was already reversed by ${already.id}`);
        const now = this.now();
        const id = `R-${randomUUID()}`;
        const n = (v: number | null) => (v === null ? null : -Number(v));
        const fund = Number(original.fund_pay_fen);
        const deductible = Number(original.deductible_fen);
        let capAfter: number | null = null;
        if (original.cap_bucket !== null && original.cap_year !== null && fund !== 0) {
          const row = await trx
            .selectFrom('cap_usage')
            .select('used_fen')
            .where('person_id', '=', original.person_id)
            .where('year', '=', Number(original.cap_year))
            .where('bucket', '=', original.cap_bucket)
            .executeTakeFirst();
          capAfter = Number(row?.used_fen ?? 0) - fund;
          await trx
            .updateTable('cap_usage')
            .set({ used_fen: capAfter })
            .where('person_id', '=', original.person_id)
            .where('year', '=', Number(original.cap_year))
            .where('bucket', '=', original.cap_bucket)
            .execute();
        }
        let windowAfter: number | null = null;
        if (original.window_bucket !== null && deductible !== 0) {
          const current = await trx
            .selectFrom('deductible_windows')
            .select(['opened_at', 'borne_fen'])
            .where('person_id', '=', original.person_id)
            .where('bucket', '=', original.window_bucket)
            .where('institution_id', '=', original.institution_id)
            .executeTakeFirst();
          if (current && Number(current.opened_at) === Number(original.window_opened_at)) {
            windowAfter = Number(current.borne_fen) - deductible;
            const where = trx
              .updateTable('deductible_windows')
              .where('person_id', '=', original.person_id)
              .where('bucket', '=', original.window_bucket)
              .where('institution_id', '=', original.institution_id);
            if (windowAfter > 0) await where.set({ borne_fen: windowAfter }).execute();
            else
              await trx
                .deleteFrom('deductible_windows')
                .where('person_id', '=', original.person_id)
                .where('bucket', '=', original.window_bucket)
                .where('institution_id', '=', original.institution_id)
                .execute();
          }
        }
        const y = (v: number | null) => (v === null ? null : toYuanNumber(-Number(v)));
        const entry: Entry = {
          id,
          kind: 'reversal',
          requestId,
          reverses: settlementId,
          createdAt: new Date(now).toISOString(),
          visitId: original.visit_id,
          person: original.person_id,
          policy: original.policy,
          total: y(original.total_fen),
          eligible: y(original.eligible_fen),
          deductible: y(original.deductible_fen),
          fundPay: y(original.fund_pay_fen),
          criticalIllnessPay: y(original.critical_illness_pay_fen),
          assistancePay: y(original.assistance_pay_fen),
          accountPay: y(original.account_pay_fen),
          cashPay: y(original.cash_pay_fen),
          restored: {
            cap: capAfter === null ? null : { bucket: original.cap_bucket, year: original.cap_year, usedAfter: toYuanNumber(capAfter) },
            deductibleWindow: windowAfter === null ? null : { bucket: original.window_bucket, institution: original.institution_id, borneAfter: toYuanNumber(Math.max(0, windowAfter)) },
          },
        };
        await trx
          .insertInto('settlements')
          .values({
            ...original,
            id,
            request_id: requestId,
            request_hash: hash,
            kind: 'reversal',
            reverses: settlementId,
            total_fen: -Number(original.total_fen),
            eligible_fen: -Number(original.eligible_fen),
            deductible_fen: -deductible,
            fund_pay_fen: -fund,
            critical_illness_pay_fen: -Number(original.critical_illness_pay_fen),
            assistance_pay_fen: -Number(original.assistance_pay_fen),
            account_pay_fen: -Number(original.account_pay_fen),
            cash_pay_fen: -Number(original.cash_pay_fen),
            cap_before_fen: n(null),
            cap_after_fen: capAfter,
            window_borne_after_fen: windowAfter,
            body: JSON.stringify(entry),
            actor: actor.id,
            created_at: now,
          })
          .execute();
        await this.audit(trx, actor, 'reverse', id, { reverses: settlementId, requestId }, now);
        return { entry, created: true };
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        const prior = await this.db.selectFrom('settlements').select(['body', 'request_hash']).where('request_id', '=', requestId).executeTakeFirst();
        if (prior?.request_hash === hash) return { entry: entryOf(prior), created: false };
        const again = await this.db.selectFrom('settlements').select('id').where('reverses', '=', settlementId).executeTakeFirst();
        if (again) throw new LedgerError('ALREADY_REVERSED', `settlement ${settlementId} was already reversed by ${again.id}`);
      }
      throw e;
    }
  }

  /** One entry with its trace; institutions see only their own. */
  async entry(id: string, actor: Actor): Promise<Entry> {
    const row = await this.db.selectFrom('settlements').select(['body', 'institution_id']).where('id', '=', id).executeTakeFirst();
    if (!row || (actor.role === 'institution' && row.institution_id !== actor.institutionId)) {
      throw new LedgerError('NOT_FOUND', `settlement ${id} does not exist`);
    }
    return entryOf(row);
  }

  /** A person's entries, oldest first; institutions see only those at their institution. */
  async history(personId: string, actor: Actor, options: { year?: number } = {}): Promise<Entry[]> {
    let q = this.db.selectFrom('settlements').select(['body']).where('person_id', '=', personId);
    if (options.year !== undefined) q = q.where('year', '=', options.year);
    if (actor.role === 'institution') q = q.where('institution_id', '=', actor.institutionId ?? '');
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(entryOf);
  }

  /** Used and remaining per cap bucket for a year, and the open deductible windows. */
  async accumulators(personId: string, year: number): Promise<AccumulatorView> {
    const person = await this.db.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirst();
    if (!person) throw new LedgerError('NOT_FOUND', `person ${personId} has no settlements in the ledger`);
    const caps = await this.db.selectFrom('cap_usage').select(['bucket', 'used_fen']).where('person_id', '=', personId).where('year', '=', year).orderBy('bucket').execute();
    // The limit in force for the person's category at the end of the year (or today's policy).
    const limits = new Map<string, Fen>();
    const seg = this.engine.segmentAt(person.region, Date.UTC(year, 11, 31) / 86_400_000);
    if (seg) {
      for (const b of seg.benefits) {
        if (b?.kind !== 'pooling') continue;
        const table = b.tables.find((_, i) => i === ['adult', 'child', 'student', 'newborn', 'active', 'retired'].indexOf(person.category));
        if (table && table.missing.length === 0 && !limits.has(b.bucket)) limits.set(b.bucket, table.cap);
      }
    }
    const buckets = new Set([...caps.map((c) => c.bucket), ...limits.keys()]);
    const used = new Map(caps.map((c) => [c.bucket, Number(c.used_fen)]));
    const windows = await this.db
      .selectFrom('deductible_windows')
      .select(['bucket', 'institution_id', 'opened_at', 'day', 'borne_fen'])
      .where('person_id', '=', personId)
      .orderBy('opened_at', 'desc')
      .execute();
    return {
      person: personId,
      year,
      caps: [...buckets].sort().map((bucket) => {
        const u = used.get(bucket) ?? 0;
        const limit = limits.get(bucket);
        return {
          bucket,
          year,
          used: toYuanNumber(u),
          limit: limit === undefined ? null : toYuanNumber(limit),
          remaining: limit === undefined ? null : toYuanNumber(Math.max(0, limit - u)),
        };
      }),
      deductibleWindows: windows
        .filter((w) => new Date(Number(w.day) * 86_400_000).getUTCFullYear() === year)
        .map((w) => ({
          bucket: w.bucket,
          institution: w.institution_id,
          openedAt: new Date(Number(w.opened_at)).toISOString(),
          day: formatDate(Number(w.day)),
          borne: toYuanNumber(Number(w.borne_fen)),
        })),
    };
  }

  /**
   * Fund outlay by policy and month: net of reversals, no personal data.
   */
  async fundStats(year?: number): Promise<{ year: number | null; rows: Record<string, unknown>[]; totals: Record<string, number> }> {
    let q = this.db
      .selectFrom('settlements')
      .select([
        'policy',
        sql<string>`substr(visit_date, 1, 7)`.as('month'),
        sql<string>`sum(case when kind = 'settlement' then 1 else -1 end)`.as('settlements'),
        sql<string>`sum(total_fen)`.as('total'),
        sql<string>`sum(fund_pay_fen)`.as('fund'),
        sql<string>`sum(cash_pay_fen)`.as('cash'),
      ])
      .groupBy(['policy', sql`substr(visit_date, 1, 7)`])
      .orderBy('policy')
      .orderBy(sql`substr(visit_date, 1, 7)`);
    if (year !== undefined) q = q.where('year', '=', year);
    const rows = await q.execute();
    const out = rows.map((r) => ({
      policy: r.policy,
      month: r.month,
      settlements: Number(r.settlements),
      total: toYuanNumber(Number(r.total)),
      fundPay: toYuanNumber(Number(r.fund)),
      cashPay: toYuanNumber(Number(r.cash)),
    }));
    const sum = (k: 'total' | 'fund' | 'cash') => rows.reduce((a, r) => a + Number(r[k]), 0);
    return {
      year: year ?? null,
      rows: out,
      totals: {
        settlements: out.reduce((a, r) => a + r.settlements, 0),
        total: toYuanNumber(sum('total')),
        fundPay: toYuanNumber(sum('fund')),
        cashPay: toYuanNumber(sum('cash')),
      },
    };
  }

  /** See {@link verifyLedger}. */
  verify(): Promise<VerifyReport> {
    return verifyLedger(this.db);
  }
}

/**
 * Recomputes every accumulator from the entries and compares: the cap used per person, year and
 * bucket must be the sum of the fund payments of its entries (reversals are negative); each
 * stored deductible window must hold the deductibles its entries bore; every entry's parts must
 * add up to its total.
 */
export async function verifyLedger(db: Kysely<Database>): Promise<VerifyReport> {
  const mismatches: string[] = [];
  const sums = await db
    .selectFrom('settlements')
    .select(['person_id', 'cap_year', 'cap_bucket', sql<string>`sum(fund_pay_fen)`.as('total')])
    .where('cap_bucket', 'is not', null)
    .groupBy(['person_id', 'cap_year', 'cap_bucket'])
    .execute();
  const stored = await db.selectFrom('cap_usage').selectAll().execute();
  const key = (p: string, y: number | null, b: string | null) => `${p} ${y} ${b}`;
  const expected = new Map(sums.map((s) => [key(s.person_id, Number(s.cap_year), s.cap_bucket), Number(s.total)]));
  const actual = new Map(stored.map((s) => [key(s.person_id, Number(s.year), s.bucket), Number(s.used_fen)]));
  for (const k of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(k) ?? 0;
    const a = actual.get(k) ?? 0;
    if (e !== a) mismatches.push(`cap used ${k}: the entries sum to ${toYuanNumber(e)}, the accumulator holds ${toYuanNumber(a)}`);
  }
  const windows = await db.selectFrom('deductible_windows').selectAll().execute();
  for (const w of windows) {
    const s = await db
      .selectFrom('settlements')
      .select(sql<string>`coalesce(sum(deductible_fen), 0)`.as('borne'))
      .where('person_id', '=', w.person_id)
      .where('window_bucket', '=', w.bucket)
      .where('institution_id', '=', w.institution_id)
      .where('window_opened_at', '=', w.opened_at)
      .executeTakeFirst();
    if (Number(s?.borne ?? 0) !== Number(w.borne_fen)) {
      mismatches.push(
        `deductible window ${w.person_id} ${w.bucket} ${w.institution_id} opened ${new Date(Number(w.opened_at)).toISOString()}: the entries bore ${toYuanNumber(Number(s?.borne ?? 0))}, the accumulator holds ${toYuanNumber(Number(w.borne_fen))}`,
      );
    }
  }
  const unbalanced = await db
    .selectFrom('settlements')
    .select(['id'])
    .where(
      sql<boolean>`fund_pay_fen + critical_illness_pay_fen + assistance_pay_fen + account_pay_fen + cash_pay_fen <> total_fen`,
    )
    .execute();
  for (const u of unbalanced) mismatches.push(`entry ${u.id}: its parts do not add up to its total`);
  const count = await db.selectFrom('settlements').select(sql<string>`count(*)`.as('n')).executeTakeFirst();
  return {
    ok: mismatches.length === 0,
    checked: { entries: Number(count?.n ?? 0), capRows: stored.length, windowRows: windows.length },
    mismatches,
  };
}

export { SettlementError };
