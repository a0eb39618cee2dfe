/**
 * Payments in the ledger (参保缴费记录): recorded one by one as immutable rows of `enrollments`, each
 * idempotent by the client's request id (same id and payment: the original row; same id, another
 * payment: IDEMPOTENCY_CONFLICT), the person row upserted as a settle does, every write in the
 * audit log. One Kysely query path for SQLite and PostgreSQL.
 *
 * A payment is recorded only when the documents can read it (enrollment/coverage.ts): a payment in
 * neither period, or where no document gives the periods, is refused and nothing is written.
 *
 * The settle reads these rows (decide.ts storedPaymentFor): of the payments for a visit's
 * year, the one whose benefits start first governs.
 */
import { PostgresAdapter, type Kysely, type Selectable } from 'kysely';
import { formatDate, parseDate } from '../calendar/calendar.js';
import type { Category, Hardship, Scheme } from '../domain.js';
import { coverageJson, deriveCoverage, rulesDay, type CoveragePerson } from '../enrollment/coverage.js';
import { governingPayment } from '../engine/periods.js';
import type { Enrollment } from '../engine/types.js';
import { PAYER_LABELS, type Payer, type RecordRequest } from '../enrollment/request.js';
import { SettlementError } from '../engine/errors.js';
import type { SettlementEngine } from '../engine/settle.js';
import { toYuanNumber } from '../money/money.js';
import { LedgerError } from './errors.js';
import { uuidv7 } from './ids.js';
import type { Database, EnrollmentsTable } from './schema.js';
import { idempotently, replayIfSeen, type Idempotency } from './idempotency.js';
import { runStatement, type SettleStatements } from './statements.js';
import { personRowOf, recordOfPerson } from './registry.js';
import type { Actor } from './types.js';

type Row = Selectable<EnrollmentsTable>;

/** A recorded payment as the API returns it, with the coverage it buys (or why none can be read). */
export type PaymentRecord = Record<string, unknown> & { id: string };

export interface RecordResult {
  record: PaymentRecord;
  /** False when the request id was seen before and the original row is returned. */
  created: boolean;
}

export class EnrollmentBook {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly statements: SettleStatements,
    private readonly engine: SettlementEngine,
    private readonly now: () => number,
  ) {}

  /**
   * Records a payment. Throws SettlementError (the documents cannot read it: 422) or LedgerError
   * IDEMPOTENCY_CONFLICT; nothing is written then.
   */
  async record(req: RecordRequest, actor: Actor): Promise<RecordResult> {
    // A request id is the person's (docs/service.md).
    const find = (db: Pick<Kysely<Database>, 'selectFrom'>) =>
      db.selectFrom('enrollments').selectAll().where('person_id', '=', req.person.id).where('request_id', '=', req.requestId).executeTakeFirst();
    const replay: Idempotency<Row, RecordResult> = {
      matches: (prior) => prior.request_hash === req.hash,
      answer: (prior) => ({ record: this.json(prior), created: false }),
      conflict: (prior) =>
        new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${req.requestId} was already used for a different payment (${prior?.id}); use a new request id for a new payment`),
    };
    return idempotently(
      () =>
        this.db.transaction().execute(async (trx) => {
          const seen = replayIfSeen(replay, await find(trx));
          if (seen) return seen;
          // Read before anything is written: a payment the documents cannot read is refused.
          const as = { region: req.person.region, scheme: req.person.scheme, category: req.person.category, hardship: req.person.hardship };
          deriveCoverage(this.engine, { id: req.person.id, ...as }, req.payment);
          const now = this.now();
          const person = req.person;
          // The person's lock, as a settle takes it (PostgreSQL; SQLite holds the one write lock), then
          // the person's row, as a settle writes it.
          if (trx.getExecutor().adapter instanceof PostgresAdapter) await runStatement(trx, this.statements.lock, { person: { id: person.id } });
          await runStatement(trx, this.statements.person, { person: personRowOf(recordOfPerson(person), now) });
          const row: Row = {
            id: `E-${uuidv7(now)}`,
            person_id: person.id,
            coverage_year: req.payment.coverageYear,
            paid_on: formatDate(req.payment.paidOn),
            transfer: req.payment.transfer ? 1 : 0,
            amount_fen: req.amount,
            payer: req.payer,
            recorded_at: now,
            request_id: req.requestId,
            request_hash: req.hash,
            actor: actor.id,
            region: as.region,
            scheme: as.scheme,
            category: as.category,
            hardship: as.hardship ?? null,
          };
          await trx.insertInto('enrollments').values(row).execute();
          await trx
            .insertInto('audit_log')
            .values({
              at: now,
              actor: actor.id,
              role: actor.role,
              action: 'enrollment.record',
              target: row.id,
              detail: JSON.stringify({
                requestId: req.requestId,
                person: person.id,
                coverageYear: row.coverage_year,
                paidOn: row.paid_on,
                amount: toYuanNumber(req.amount),
                payer: req.payer,
                transfer: req.payment.transfer,
              }),
            })
            .execute();
          return { record: this.json(row), created: true };
        }),
      // The same request id committed meanwhile by another call.
      () => find(this.db),
      replay,
    );
  }

  /**
   * A person's payments, by coverage year and day paid, each with the coverage it buys; for each
   * coverage year, `governing` marks the payment a settle without payment data uses.
   */
  async history(personId: string): Promise<{ person: string; enrollments: PaymentRecord[] }> {
    const person = await this.db.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirst();
    if (!person) throw new LedgerError('NOT_FOUND', `person ${personId} is not in the ledger`);
    const rows = await this.db
      .selectFrom('enrollments')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('coverage_year')
      .orderBy('paid_on')
      .orderBy('recorded_at')
      .orderBy('id')
      .execute();
    const records = rows.map((r) => this.json(r, person));
    for (const year of new Set(records.map((r) => r.coverageYear))) {
      const ofYear = records.filter((r) => r.coverageYear === year).map((r) => ({ r, paidOn: parseDate(r.paidOn as string) as number }));
      const governing = governingPayment(ofYear, ({ r }) => {
        const from = (r.coverage as { benefitsFrom: string } | undefined)?.benefitsFrom;
        if (from === undefined) throw new SettlementError('ENROLLMENT_INVALID', `${r.id} cannot be read`);
        return parseDate(from) as number;
      });
      for (const { r } of ofYear) r.governing = r === governing?.r && r.coverage !== undefined;
    }
    return { person: personId, enrollments: records };
  }

  /** A row as JSON, with its coverage read now (or the error saying why it cannot be). */
  private json(row: Row, current?: { region: string; scheme: string; category: string; hardship: string | null }): PaymentRecord {
    const as = row.category !== null ? row : current;
    const payment: Enrollment = { paidOn: parseDate(row.paid_on) as number, coverageYear: Number(row.coverage_year), transfer: Number(row.transfer) === 1 };
    const out: PaymentRecord = {
      id: row.id,
      requestId: row.request_id,
      person: row.person_id,
      coverageYear: Number(row.coverage_year),
      paidOn: row.paid_on,
      transfer: payment.transfer,
      amount: row.amount_fen === null ? null : toYuanNumber(Number(row.amount_fen)),
      payer: row.payer,
      payerLabel: row.payer === null ? null : (PAYER_LABELS[row.payer as Payer] ?? row.payer),
      recordedAt: new Date(Number(row.recorded_at)).toISOString(),
      recordedBy: row.actor,
      // `record`: recorded on its own; `settle`: brought by a settle request with its visit.
      source: row.request_id === null ? 'settle' : 'record',
      enrolledAs: row.category === null ? null : { region: row.region, scheme: row.scheme, category: row.category, hardship: row.hardship },
    };
    if (as) {
      const who: CoveragePerson = {
        id: row.person_id,
        region: as.region ?? '',
        scheme: as.scheme as Scheme,
        category: as.category as Category,
        hardship: (as.hardship ?? undefined) as Hardship | undefined,
      };
      try {
        out.coverage = coverageJson(deriveCoverage(this.engine, who, payment));
      } catch (e) {
        if (!(e instanceof SettlementError)) throw e;
        out.error = e.toJSON();
        out.rulesDay = formatDate(rulesDay(payment));
      }
    }
    return out;
  }
}
