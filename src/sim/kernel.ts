/**
 * Settling a range of persons under each policy of a simulation, adding up as it goes.
 *
 * Every visit goes through {@link SettlementEngine.settle} (trace off) against the person's own
 * {@link MemoryAccumulators}, exactly as `yibao settle` does: the simulation has no settlement
 * arithmetic of its own. A person's visits are made once and settled under each policy in that
 * policy's year (the same day of the year and time of day).
 */
import { CATEGORIES, HARDSHIP_GROUPS, schemeOf, VISIT_TYPES, type Category, type Hardship, type Scheme } from '../domain.js';
import { MemoryAccumulators } from '../engine/accumulators.js';
import { SettlementError } from '../engine/errors.js';
import { tierIndex } from '../engine/indexes.js';
import type { SettlementEngine } from '../engine/settle.js';
import { ELIGIBILITIES, type Eligibility, type Institution, type Person, type Settlement, type Visit } from '../engine/types.js';
import { add, AMOUNT, emptyTotals, type BenefitTotals, type CapTotals, type PolicyTotals, type Totals } from './aggregate.js';
import { IN_HOSPITAL, OUT_OF_COUNTY, REFERRED } from './claims.js';
import { MONTH_OF_DAY, PersonDraft, type PersonSource } from './population.js';

/** A policy as the kernel uses it: the region its persons belong to and the instants of its year's days. */
export interface PolicyYear {
  packId: string;
  region: string;
  year: number;
  /** 00:00 China time of each calendar day (population.ts dayStarts). */
  dayStarts: Float64Array;
}

/** Index in {@link ELIGIBILITIES} (the engine's list) of each eligibility word. */
const ELIGIBILITY_INDEX = Object.fromEntries(ELIGIBILITIES.map((e, i) => [e, i])) as Record<Eligibility, number>;
const STUDENT = CATEGORIES.indexOf('student');
const SCHEME_OF: Scheme[] = CATEGORIES.map(schemeOf);

/** The cap a person's settlements last reached in one bucket, kept while settling the person. */
interface CapSeen {
  bucket: string;
  limit: number;
  usedAfter: number;
}

function capTotals(p: PolicyTotals, bucket: string, limit: number): CapTotals {
  for (const c of p.caps) if (c.bucket === bucket && c.limit === limit) return c;
  const made: CapTotals = { bucket, limit, persons: CATEGORIES.map(() => 0), reached: CATEGORIES.map(() => 0) };
  p.caps.push(made);
  return made;
}

function benefitTotals(p: PolicyTotals, id: string, label: string, policy: string): BenefitTotals {
  for (const b of p.benefits) if (b.id === id && b.policy === policy) return b;
  const made = { id, label, policy, visits: 0, fund: 0 };
  p.benefits.push(made);
  return made;
}

/** A claim's admission time and flags on the visit (claims only; the synthetic visits have none). */
function setExtras(visit: Visit, stay: number, flags: number): void {
  visit.admittedAt = Number.isNaN(stay) ? undefined : visit.time - stay;
  visit.outOfCounty = (flags & OUT_OF_COUNTY) !== 0;
  visit.referred = (flags & REFERRED) !== 0;
  visit.inHospital = (flags & IN_HOSPITAL) !== 0;
}

/** Progress: persons and visits done since the last call. */
export type Progress = (persons: number, visits: number) => void;

/** Sees each visit's outcome (for tests that hold the simulation against other settle paths). */
export type Observer = (person: number, policy: number, visit: number, outcome: Settlement | SettlementError) => void;

export interface RangeOptions {
  progress?: Progress;
  observe?: Observer;
}

/**
 * Settles persons [first, first + count) of the source under each policy; returns their totals.
 * A visit the engine refuses (no policy in force, a parameter missing) is counted by error code
 * and changes nothing, as in `yibao settle`.
 */
export function settleRange(
  engines: SettlementEngine | readonly SettlementEngine[],
  source: PersonSource,
  policies: readonly PolicyYear[],
  first: number,
  count: number,
  options: RangeOptions = {},
): Totals {
  const { progress, observe } = options;
  const engineOf = (p: number) => (Array.isArray(engines) ? engines[p] : engines) as SettlementEngine;
  const totals = emptyTotals(first, count, policies.length);
  const draft = new PersonDraft();
  const institutions: readonly Institution[] = source.institutions;
  const visit: Visit = { id: '', time: 0, type: 'outpatient', institution: institutions[0] as Institution, total: 0, eligible: 0, useAccount: false };
  const capsSeen: CapSeen[] = [];
  const tierOf = Uint8Array.from(institutions, (i) => tierIndex(i.tier));
  const personCash = new Float64Array(policies.length);
  let reportedPersons = 0;
  let reportedVisits = 0;
  let visitsDone = 0;
  for (let k = 0; k < count; k++) {
    source.fill(first + k, draft);
    const categoryAt = draft.category;
    const category = CATEGORIES[categoryAt] as Category;
    const hardship: Hardship | undefined = draft.hardship < 0 ? undefined : HARDSHIP_GROUPS[draft.hardship];
    add(totals.categoryPersons, categoryAt, 1);
    add(totals.hardshipPersons, draft.hardship + 1, 1);
    const familyDoctorAt = draft.familyDoctorAt;
    if (familyDoctorAt !== undefined) totals.familyDoctor++;
    totals.visits += draft.count;
    totals.personVisits[k] = draft.count;
    totals.personCategory[k] = categoryAt;
    totals.personHardship[k] = draft.hardship + 1;
    visitsDone += draft.count;
    for (let p = 0; p < policies.length; p++) {
      const policy = policies[p] as PolicyYear;
      const engine = engineOf(p);
      const agg = totals.policies[p] as PolicyTotals;
      const person: Person = { id: draft.id, region: policy.region, scheme: SCHEME_OF[categoryAt] as Scheme, category, hardship, familyDoctorAt };
      const acc = new MemoryAccumulators();
      const starts = policy.dayStarts;
      const amounts = agg.amounts;
      capsSeen.length = 0;
      let cash = 0;
      let fundPaid = 0;
      let benefit: BenefitTotals | null = null;
      for (let v = 0; v < draft.count; v++) {
        const day = draft.day[v] as number;
        visit.id = draft.visitIds === null ? draft.id : (draft.visitIds[v] as string);
        visit.time = (starts[day] as number) + (draft.msOfDay[v] as number);
        visit.type = VISIT_TYPES[draft.type[v] as number] as Visit['type'];
        visit.institution = institutions[draft.institution[v] as number] as Institution;
        visit.total = draft.total[v] as number;
        visit.eligible = draft.eligible[v] as number;
        const extras = draft.extras;
        if (extras !== null) setExtras(visit, extras.stay[draft.extrasFrom + v] as number, extras.flags[draft.extrasFrom + v] as number);
        let s: Settlement;
        try {
          s = engine.settle(person, visit, acc);
        } catch (e) {
          if (!(e instanceof SettlementError)) throw e;
          if (observe !== undefined) observe(first + k, p, v, e);
          const found = agg.errors.find((x) => x.code === e.code);
          if (found) {
            found.visits++;
            found.total += visit.total;
          } else agg.errors.push({ code: e.code, visits: 1, total: visit.total, example: e.message });
          continue;
        }
        acc.apply(s.changes);
        if (observe !== undefined) observe(first + k, p, v, s);
        const fund = s.fundPay;
        const tier = tierOf[draft.institution[v] as number] as number;
        const month = MONTH_OF_DAY[day] as number;
        agg.visits++;
        add(agg.byEligibility, s.eligibility === 'covered' ? 0 : ELIGIBILITY_INDEX[s.eligibility], 1);
        add(amounts, AMOUNT.total, s.total);
        add(amounts, AMOUNT.eligible, s.eligible);
        add(amounts, AMOUNT.outOfScope, s.outOfScope);
        add(amounts, AMOUNT.deductible, s.deductible);
        add(amounts, AMOUNT.fund, fund);
        add(amounts, AMOUNT.cash, s.cashPay);
        add(amounts, AMOUNT.criticalIllness, s.criticalIllnessPay);
        add(amounts, AMOUNT.assistance, s.assistancePay);
        add(agg.tierVisits, tier, 1);
        add(agg.tierTotal, tier, s.total);
        add(agg.tierFund, tier, fund);
        add(agg.monthVisits, month, 1);
        add(agg.monthFund, month, fund);
        add(agg.categoryVisits, categoryAt, 1);
        add(agg.categoryFund, categoryAt, fund);
        add(agg.categoryCash, categoryAt, s.cashPay);
        if (categoryAt === STUDENT && visit.type === 'outpatient') agg.studentOutpatientFund += fund;
        if (benefit === null || benefit.id !== s.benefit || benefit.policy !== s.policy) benefit = benefitTotals(agg, s.benefit, s.benefitLabel, s.policy);
        benefit.visits++;
        benefit.fund += fund;
        cash += s.cashPay;
        fundPaid += fund;
        const cap = s.cap;
        if (cap !== null) {
          let seen: CapSeen | undefined;
          for (const c of capsSeen) if (c.bucket === cap.bucket) seen = c;
          if (seen === undefined) capsSeen.push({ bucket: cap.bucket, limit: cap.limit, usedAfter: cap.usedAfter });
          else {
            seen.limit = cap.limit;
            seen.usedAfter = cap.usedAfter;
          }
        }
      }
      for (const c of capsSeen) {
        const t = capTotals(agg, c.bucket, c.limit);
        (t.persons[categoryAt] as number)++;
        if (c.usedAfter >= c.limit) (t.reached[categoryAt] as number)++;
      }
      agg.cash[k] = cash;
      agg.personFund[k] = fundPaid;
      personCash[p] = cash;
    }
    for (let p = 1; p < policies.length; p++) {
      const c = totals.comparisons[p - 1] as Totals['comparisons'][number];
      const diff = (personCash[p] as number) - (personCash[0] as number);
      const slot = diff < 0 ? 0 : diff > 0 ? 1 : 2;
      add(c.byCategory, categoryAt * 3 + slot, 1);
      add(c.byHardship, (draft.hardship + 1) * 3 + slot, 1);
      if (diff < 0) c.gain -= diff;
      else c.loss += diff;
    }
    if (progress !== undefined && (k & 4095) === 4095) {
      progress(k + 1 - reportedPersons, visitsDone - reportedVisits);
      reportedPersons = k + 1;
      reportedVisits = visitsDone;
    }
  }
  if (progress !== undefined) progress(count - reportedPersons, visitsDone - reportedVisits);
  return totals;
}
