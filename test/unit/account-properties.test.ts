/**
 * Property tests of the account model against the built-in policies (Puyang employees' personal
 * accounts, Luoyang residents' family accounts): random sequences of credits and operations, each
 * approved entry appended. Whatever the sequence:
 *
 *   - the balance is the sum of the entries, and each entry's balanceAfter the running sum;
 *   - no sequence drives the balance negative (and verifyEntries finds nothing wrong);
 *   - crediting a month that is already credited changes nothing, alone or in a batch;
 *   - accountShare never pays more than the share or the balance.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountShare,
  AccountError,
  authorize,
  balance,
  creditMonth,
  creditMonthBatch,
  verifyEntries,
  type AccountState,
  type Holder,
  type Operation,
} from '../../src/account/index.js';
import { loadPolicies } from '../../src/policy/policies.js';

const policies = loadPolicies();
const NUM_RUNS = 200;

const monthArb = fc
  .record({ y: fc.integer({ min: 2022, max: 2025 }), m: fc.integer({ min: 1, max: 12 }) })
  .map(({ y, m }) => `${y}-${String(m).padStart(2, '0')}`)
  .filter((m) => m >= '2022-07');
const dateArb = fc.date({ min: new Date('2022-07-01T00:00:00Z'), max: new Date('2025-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const fenArb = fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 0, max: 5_000_000 }));
const holderArb = fc.oneof(
  fc.record({ category: fc.constant('active' as const), contributionBase: fc.integer({ min: 0, max: 5_000_000 }), paysAtEmployerRate: fc.boolean() }),
  fc.record({ category: fc.constant('retired' as const), requiredYearsMet: fc.boolean() }),
);

type Step = { credit: { month: string; holder: Omit<Holder, 'id' | 'region'> } } | { op: Record<string, unknown> };

const opArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({
    kind: fc.constant('visit-payment'),
    visitId: fc.constant('v'),
    visitType: fc.constantFrom('outpatient', 'two-diseases', 'birth-natural'),
    place: fc.constantFrom('institution', 'pharmacy'),
    contracted: fc.boolean(),
    personShare: fenArb,
    outOfScope: fc.constant(0),
  }),
  fc.record({
    kind: fc.constant('family-payment'),
    purpose: fc.constant('medical-cost'),
    visitId: fc.constant('v'),
    relation: fc.constantFrom('spouse', 'parent', 'child', 'household'),
    memberId: fc.constantFrom('m1', 'm2'),
    contracted: fc.boolean(),
    personShare: fenArb,
  }),
  fc.record({
    kind: fc.constant('family-payment'),
    purpose: fc.constant('resident-contribution'),
    relation: fc.constantFrom('spouse', 'parent', 'child', 'household'),
    memberId: fc.constantFrom('m1', 'm2'),
    amount: fc.integer({ min: 1, max: 100_000 }),
    coverageYear: fc.constant(2024),
  }),
  fc.record({
    kind: fc.constant('contribution-payment'),
    purpose: fc.constant('supplementary-contribution'),
    amount: fc.integer({ min: 1, max: 100_000 }),
    coverageYear: fc.constant(2024),
  }),
  fc.record({ kind: fc.constant('other-use'), purpose: fc.constantFrom('fitness', 'wellness', 'public-health', 'spa'), amount: fenArb }),
  fc.record({ kind: fc.constant('opening-balance'), amount: fc.integer({ min: 1, max: 1_000_000 }) }),
  fc.record({ kind: fc.constant('transfer-in'), fromRegion: fc.constantFrom('410300', '110000'), amount: fc.integer({ min: 1, max: 1_000_000 }) }),
  fc.record({ kind: fc.constant('transfer-out'), toRegion: fc.constantFrom('410300', '410900') }),
  fc.record({ kind: fc.constant('refund'), toRegion: fc.constantFrom('110000', '410900'), transferPossible: fc.boolean() }),
  fc.record({ kind: fc.constant('inheritance'), deathDate: fc.constant('2022-07-01'), heirs: fc.constant(['h']) }),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ month: monthArb, holder: holderArb }).map((credit) => ({ credit })) },
  { weight: 4, arbitrary: fc.record({ op: opArb, date: dateArb }).map(({ op, date }) => ({ op: { ...op, date } })) },
);

const accountArb = fc.constantFrom(
  { id: 'A', kind: 'employee-personal' as const, holderId: 'p', region: '410900', members: ['m1'] },
  { id: 'F', kind: 'resident-family' as const, holderId: 'p', region: '410300', members: ['m1'] },
);

/** Runs the steps, appending every approved entry; checks the invariants after each. */
function run(state0: AccountState, steps: Step[]): AccountState {
  let state = state0;
  steps.forEach((step, i) => {
    const before = balance(state.entries);
    try {
      if ('credit' in step) {
        const holder = { ...step.credit.holder, id: state.account.holderId, region: state.account.region } as Holder;
        const out = creditMonth(state, holder, step.credit.month, policies);
        if (out.entry) expect(out.entry.amount).toBeGreaterThan(0);
        state = out.state;
        // Crediting the same month again changes nothing.
        const again = creditMonth(state, holder, step.credit.month, policies);
        expect(again.entry).toBeNull();
        expect(again.state).toBe(state);
      } else {
        const out = authorize({ ...step.op, ref: `r${i}` } as unknown as Operation, state, policies);
        if (out.ok) {
          expect(out.balanceBefore).toBe(before);
          expect(out.balanceAfter).toBe(before + out.entry.amount);
          state = { account: state.account, entries: [...state.entries, out.entry] };
        } else {
          expect(out.reason.length).toBeGreaterThan(0);
        }
      }
    } catch (e) {
      // Only policy/input answers (e.g. no account rules in force on a Luoyang date) — never a crash.
      expect(e).toBeInstanceOf(AccountError);
    }
    const sum = state.entries.reduce((s, e) => s + e.amount, 0);
    expect(balance(state.entries)).toBe(sum);
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(verifyEntries(state)).toEqual([]);
  });
  return state;
}

describe('account properties', () => {
  it('the balance is the sum of the entries and never negative, whatever the sequence', () => {
    const sequences = fc.tuple(accountArb, fc.array(stepArb, { maxLength: 40 }));
    fc.assert(
      fc.property(sequences, ([account, steps]) => {
        const state = run({ account, entries: [] }, steps);
        for (const e of state.entries) expect(Number.isSafeInteger(e.amount)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
    // The generator does reach the interesting entries, not only refusals: checked on a fixed
    // sample, so that a random run short of one kind cannot fail the test.
    const kinds = new Map<string, number>();
    for (const [account, steps] of fc.sample(sequences, { numRuns: NUM_RUNS, seed: 20241201 })) {
      for (const e of run({ account, entries: [] }, steps).entries) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
    }
    for (const k of ['credit', 'visit-payment', 'family-payment', 'contribution-payment', 'transfer-out', 'refund', 'inheritance', 'opening-balance'])
      expect(kinds.get(k) ?? 0, k).toBeGreaterThan(0);
  });

  it('crediting months twice — one by one or as a batch — changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ month: monthArb, holder: holderArb }), { minLength: 1, maxLength: 12 }), (credits) => {
        const account = { id: 'A', kind: 'employee-personal' as const, holderId: 'p', region: '410900' };
        let state: AccountState = { account, entries: [] };
        for (const c of credits) state = creditMonth(state, { ...c.holder, id: 'p', region: '410900' }, c.month, policies).state;
        const once = state;
        for (const c of credits) state = creditMonth(state, { ...c.holder, id: 'p', region: '410900' }, c.month, policies).state;
        expect(state.entries).toEqual(once.entries);
        const months = once.entries.map((e) => (e.kind === 'credit' ? e.period : ''));
        expect(new Set(months).size).toBe(months.length);
        // A batch over the same month, with the account named twice, credits it at most once.
        const first = credits[0] as (typeof credits)[number];
        const holder = { ...first.holder, id: 'p', region: '410900' };
        const batch = creditMonthBatch(
          [
            { state: once, holder },
            { state: once, holder },
          ],
          first.month,
          policies,
        );
        expect(batch.credited).toHaveLength(0);
        const fresh = creditMonthBatch(
          [
            { state: { account, entries: [] }, holder },
            { state: { account, entries: [] }, holder },
          ],
          first.month,
          policies,
        );
        expect(fresh.credited.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('accountShare pays neither more than the share nor more than the balance', () => {
    fc.assert(
      fc.property(fenArb, fc.integer({ min: -1000, max: 5_000_000 }), (share, bal) => {
        const paid = accountShare(share, bal);
        expect(paid).toBeGreaterThanOrEqual(0);
        expect(paid).toBeLessThanOrEqual(share);
        expect(paid).toBeLessThanOrEqual(Math.max(bal, 0));
        expect(paid === share || paid === Math.max(bal, 0)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
