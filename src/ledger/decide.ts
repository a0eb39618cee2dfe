/**
 * Deciding a settle from what the ledger holds: the rows of the read statement (statements.ts)
 * under the person's lock give a retry's original entry, a refusal, or the new entry with the rows
 * to write. A pre-settle is the same read and decision with the write left out.
 */
import type { Kysely } from 'kysely';
import { accountView, payFromAccount } from '../account/settle.js';
import type { AccountEntry } from '../account/types.js';
import { chinaDay, formatDate, parseDate, yearOf, type DayNumber } from '../calendar/calendar.js';
import type { Category, Hardship } from '../domain.js';
import type { Accumulators, DeductibleWindow } from '../engine/accumulators.js';
import type { SettlementEngine } from '../engine/settle.js';
import type { Person, Settlement } from '../engine/types.js';
import { governingStoredPayment } from '../enrollment/coverage.js';
import { toYuanNumber, type Fen } from '../money/money.js';
import { settlementJson } from '../request/settle-person.js';
import type { SettleOne } from '../request/settle-one.js';
import { LedgerError } from './errors.js';
import { replayed, type Idempotency } from './idempotency.js';
import { uuidv7 } from './ids.js';
import { assertMoneyIdentity, type CapSpent } from './invariants.js';
import { OPEN_MODE, personForSettle, personRecordOf, personRowOf, recordOfPerson, type RegistryMode } from './registry.js';
import type { Database, SettlementsTable } from './schema.js';
import { coverageYearOf, readBag, runStatement, W_CAP, W_ENROLLMENT, W_INSTITUTION, W_PERSON, W_WINDOW, type SettleStatements } from './statements.js';
import type { AccountAtSettle, Actor, Bag, Decision, Entry, ReadRow, SettleResult } from './types.js';
import { refuseVisitInFuture } from './visit-time.js';

/** Accumulators read from the ledger inside the transaction. */
export class LoadedAccumulators implements Accumulators {
  constructor(
    private readonly caps: Map<string, Fen>,
    /** By bucket, institution and day. */
    private readonly windows: Map<string, DeductibleWindow>,
  ) {}
  capUsed(bucket: string, year: number): Fen {
    return this.caps.get(`${year}\u0000${bucket}`) ?? 0;
  }
  deductibleWindow(bucket: string, institutionId: string, day: number): DeductibleWindow | undefined {
    return this.windows.get(`${bucket}\u0000${institutionId}\u0000${day}`);
  }
}

/** A payment on file, as the enrollments table holds it (the columns the settle reads). */
export interface StoredPaymentRow {
  paid_on: string;
  coverage_year: number | string;
  transfer: number | string;
  category: string | null;
  hardship: string | null;
  recorded_at: number | string;
}

/** A payment on file, as the engine takes it: with the person as they enrolled, when on file. */
export function storedEnrollment(row: StoredPaymentRow): NonNullable<Person['enrollment']> {
  return {
    paidOn: parseDate(row.paid_on) as DayNumber,
    coverageYear: Number(row.coverage_year),
    transfer: Number(row.transfer) === 1,
    enrolledAs: row.category === null ? undefined : { category: row.category as Category, hardship: (row.hardship ?? undefined) as Hardship | undefined },
  };
}

/**
 * The payment on file a visit is settled with, when the request brings none: of the person's
 * payments for the visit's year (in the order recorded), the one whose benefits start first
 * (enrollment/coverage.ts governingStoredPayment).
 */
export function storedPaymentFor(engine: SettlementEngine, person: Person, rows: readonly StoredPaymentRow[], visitTime: number): Person {
  if (person.enrollment || rows.length === 0) return person;
  const ordered = [...rows].sort((a, b) => Number(a.recorded_at) - Number(b.recorded_at));
  const chosen = governingStoredPayment(engine, person, ordered.map(storedEnrollment), chinaDay(visitTime));
  return chosen ? { ...person, enrollment: chosen } : person;
}

/**
 * The payments on file a settle may use: all of them; when the ledger requires enrollment, only
 * those the agency recorded (the rows a settle stores have no category), at least one for the
 * visit's year, and none brought by the request.
 *
 * @throws LedgerError ENROLLMENT_NOT_ACCEPTED, NOT_ENROLLED (requireEnrollment only).
 */
export function enrollmentsFor(person: Person, rows: readonly StoredPaymentRow[], visitTime: number, mode: RegistryMode): readonly StoredPaymentRow[] {
  if (!mode.requireEnrollment) return rows;
  if (person.enrollment) {
    throw new LedgerError(
      'ENROLLMENT_NOT_ACCEPTED',
      `person.enrollment: this service settles with the payments the agency recorded (--require-enrollment), not a request's; record the payment (POST /v1/persons/${person.id}/enrollments, yibao enrollment record) and send the visit without person.enrollment`,
    );
  }
  const recorded = rows.filter((r) => r.category !== null);
  if (recorded.length === 0) {
    throw new LedgerError(
      'NOT_ENROLLED',
      `person.id: person ${person.id} has no payment (参保缴费) on file for ${coverageYearOf(visitTime)}; this service settles enrolled persons only (--require-enrollment): the agency records payments (POST /v1/persons/${person.id}/enrollments, yibao enrollment record)`,
    );
  }
  return recorded;
}

/** A settle's request id seen before: the same request gets its entry, another is refused. */
export function settleReplay(req: SettleOne): Idempotency<{ body: string; request_hash: string; kind: string }, SettleResult> {
  return {
    matches: (prior) => prior.kind === 'settlement' && prior.request_hash === req.hash,
    answer: (prior) => ({ entry: JSON.parse(prior.body) as Entry, created: false, body: prior.body }),
    conflict: () => new LedgerError('IDEMPOTENCY_CONFLICT', `requestId: ${req.requestId} was already used for a different request; use a new request id for a new request`),
  };
}

/** The entry a settle's request id was stored with for its person, if any. */
export async function findSettle(db: Pick<Kysely<Database>, 'executeQuery'>, st: SettleStatements, req: SettleOne) {
  const { rows } = await runStatement(db, st.replay, readBag(req));
  return rows[0] as { body: string; request_hash: string; kind: string } | undefined;
}

/** The original answer to a settle whose request id the ledger holds (IDEMPOTENCY_CONFLICT for another request). */
export function replayOf(prior: { body: string; request_hash: string; kind: string }, req: SettleOne): SettleResult {
  return replayed(settleReplay(req), prior);
}

function personRow(req: SettleOne, now: number): Record<string, unknown> {
  return personRowOf(recordOfPerson(req.person), now);
}

/**
 * Decides a settle from the rows the read statement returned, under the person's lock: the
 * original entry for a retry; a refusal (LedgerError, or SettlementError from the engine); or the
 * new entry with the rows to write. With `preSettle`, the settlement the settle would make, and
 * nothing to write.
 *
 * @throws InvariantError when the settlement breaks the money identity (invariants.ts): nothing is written.
 */
export function decide(engine: SettlementEngine, req: SettleOne, actor: Actor, rows: readonly ReadRow[], now: number, account?: AccountAtSettle, mode?: RegistryMode): Decision;
export function decide(
  engine: SettlementEngine,
  req: SettleOne,
  actor: Actor,
  rows: readonly ReadRow[],
  now: number,
  account: AccountAtSettle | undefined,
  mode: RegistryMode,
  preSettle: true,
): Settlement;
export function decide(
  engine: SettlementEngine,
  req: SettleOne,
  actor: Actor,
  rows: readonly ReadRow[],
  now: number,
  account?: AccountAtSettle,
  mode: RegistryMode = OPEN_MODE,
  preSettle = false,
): Decision | Settlement {
  refuseVisitInFuture(req, now);
  let replay: ReadRow | undefined;
  let settled: string | undefined;
  let institution: ReadRow | undefined;
  let registry: ReadRow | undefined;
  let registryMore: ReadRow | undefined;
  const payments: StoredPaymentRow[] = [];
  const caps = new Map<string, Fen>();
  const windows = new Map<string, DeductibleWindow>();
  const { person: p, visit } = req;
  const inst = visit.institution;
  for (const r of rows) {
    switch (Number(r.k)) {
      case 1:
        replay = r;
        break;
      case 2:
        settled ??= r.s1 as string;
        break;
      case 3:
        institution = r;
        break;
      case 4:
        caps.set(`${Number(r.n1)}\u0000${r.s1}`, Number(r.n2));
        break;
      case 5:
        windows.set(`${r.s1}\u0000${inst.id}\u0000${Number(r.n1)}`, { day: Number(r.n1), borne: Number(r.n2) });
        break;
      case 6:
        payments.push({
          paid_on: r.s1 as string,
          category: r.s2 as string | null,
          hardship: r.s3 as string | null,
          coverage_year: r.n1 as number,
          transfer: r.n2 as number,
          recorded_at: r.n3 as number,
        });
        break;
      case 7:
        registry = r;
        break;
      case 8:
        registryMore = r;
        break;
    }
  }
  // Under the lock: a retry of a committed request (perhaps committed while we waited) gets the
  // original entry.
  if (replay && !preSettle) return { replay: replayOf({ body: replay.s1 as string, request_hash: replay.s2 as string, kind: replay.s3 as string }, req) };
  if (settled !== undefined) {
    throw new LedgerError('VISIT_ALREADY_SETTLED', `visit.id: visit ${visit.id} at ${inst.id} is already settled as ${settled}; reverse it first to settle it again`);
  }
  let flags = 0;
  if (institution) {
    const tier = institution.s1 as string;
    const grade = Number(institution.n1);
    const contracted = Number(institution.n2) === 1;
    if (tier !== inst.tier || grade !== inst.grade || contracted !== inst.contracted) {
      throw new LedgerError(
        'INSTITUTION_MISMATCH',
        `visit.institution: ${inst.id} is registered as ${tier}, grade ${grade}, ${contracted ? 'contracted' : 'not contracted'}; the request says ${inst.tier}, grade ${inst.grade}, ${inst.contracted ? 'contracted' : 'not contracted'}`,
      );
    }
  } else flags |= W_INSTITUTION;
  const record =
    registry && registryMore
      ? personRecordOf({
          id: p.id,
          region: registry.s1 as string,
          scheme: registry.s2 as string,
          category: registry.s3 as string,
          account_reformed: registry.n1 === null ? null : Number(registry.n1),
          hardship: registryMore.s1,
          family_doctor_at: registryMore.s2,
          employment: registryMore.s3,
        })
      : undefined;
  const registered = personForSettle(p, record, mode);
  // A person the registry holds is not written again (the insert would do nothing).
  if (!registry) flags |= W_PERSON;
  if (p.enrollment) flags |= W_ENROLLMENT;
  const person = storedPaymentFor(engine, registered, enrollmentsFor(registered, payments, visit.time, mode), visit.time);
  let s = engine.settle(person, visit, new LoadedAccumulators(caps, windows), { trace: true });
  const id = `S-${uuidv7(now)}`;
  let accountEntry: AccountEntry | undefined;
  if (account && visit.useAccount) {
    // The fund chain's last layer before cash: the personal account (src/account/settle.ts).
    const paid = payFromAccount(s, visit, account.state, account.policies, id);
    s = { ...paid.settlement, account: accountView(paid.use) };
    accountEntry = paid.use.entry;
  }
  assertMoneyIdentity(`visit ${visit.id}`, s, capsSpent(s));
  if (preSettle) return s;
  const entry: Entry = { id, kind: 'settlement', requestId: req.requestId, createdAt: new Date(now).toISOString(), institution: inst.id, ...settlementJson(s) };
  const body = JSON.stringify(entry);
  const visitDate = formatDate(s.date);
  const cap = s.changes.cap;
  const w = s.changes.deductibleWindow;
  if (cap) flags |= W_CAP;
  if (w) flags |= W_WINDOW;
  const bag: Bag = {
    person: personRow(req, now),
    visit: {
      id: visit.id,
      person_id: p.id,
      institution_id: inst.id,
      time_ms: visit.time,
      visit_date: visitDate,
      type: visit.type,
      total_fen: visit.total,
      eligible_fen: visit.eligible,
    },
    settlement: settlementRow(id, req, s, visitDate, body, actor, now),
    audit: {
      at: now,
      actor: actor.id,
      role: actor.role,
      action: 'settle',
      target: id,
      detail: JSON.stringify({ requestId: req.requestId, visitId: visit.id, person: p.id, fundPay: toYuanNumber(s.fundPay) }),
    },
  };
  if (flags & W_INSTITUTION) {
    bag.institution = { id: inst.id, tier: inst.tier, grade: inst.grade, contracted: inst.contracted ? 1 : 0, region: p.region, updated_at: now };
  }
  if (p.enrollment) {
    const paidOn = formatDate(p.enrollment.paidOn);
    bag.enrollment = {
      id: `${p.id}:${p.enrollment.coverageYear}:${paidOn}`,
      person_id: p.id,
      coverage_year: p.enrollment.coverageYear,
      paid_on: paidOn,
      transfer: p.enrollment.transfer ? 1 : 0,
      recorded_at: now,
    };
  }
  if (cap) bag.cap = { person_id: p.id, year: cap.year, bucket: cap.bucket, used_fen: cap.after };
  if (w) {
    bag.window = { person_id: p.id, bucket: w.bucket, institution_id: inst.id, day: w.window.day, borne_fen: w.window.borne };
  }
  const layers = s.changes.layers?.map((l) => ({
    layerCap: { person_id: p.id, year: l.year, bucket: l.bucket, used_fen: l.after },
    layer: { settlement_id: id, person_id: p.id, year: l.year, bucket: l.bucket, change_fen: l.after - l.before, after_fen: l.after },
  }));
  return { result: { entry, created: true, body }, bag, flags, ...(accountEntry ? { accountEntry } : {}), ...(layers ? { layers } : {}) };
}

const NO_CAPS: readonly CapSpent[] = [];

/** The caps a settlement spends, for the money identity. */
function capsSpent(s: Settlement): readonly CapSpent[] {
  const { cap, layers } = s.changes;
  if (!layers) return cap ? [cap] : NO_CAPS;
  return cap ? [cap, ...layers] : layers;
}

/** The settlements row of a new settlement (the bulk loaders of bench/clearing write the same). */
export function settlementRow(id: string, req: SettleOne, s: Settlement, visitDate: string, body: string, actor: Actor, now: number): SettlementsTable {
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
    visit_date: visitDate,
    year: yearOf(s.date),
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
    // Windows are days now (0006); the column is kept for the entries written before.
    window_opened_at: null,
    window_day: w?.window.day ?? null,
    window_borne_after_fen: w?.window.borne ?? null,
    body,
    actor: actor.id,
    created_at: now,
  };
}

/**
 * Pre-settle (预结算): the settle's read and decision ({@link decide}) with the write left out, so
 * it gives what the settle would give now — the same amounts, the same refusals. It takes no lock
 * and looks up no request id (a pre-settle reserves nothing and replays nothing); what other
 * settles commit in between is the settle's to see.
 */
export async function preSettle(
  db: Pick<Kysely<Database>, 'executeQuery'>,
  st: SettleStatements,
  engine: SettlementEngine,
  req: SettleOne,
  actor: Actor,
  now: number,
  account: AccountAtSettle | undefined,
  mode: RegistryMode,
): Promise<Settlement> {
  const rows = (await runStatement(db, st.read, readBag(req, true))).rows as ReadRow[];
  return decide(engine, req, actor, rows, now, account, mode, true);
}
