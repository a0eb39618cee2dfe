/**
 * Runs every hand-computed case in test/cases/*.yaml through the same path as `yibao settle`:
 * validate the request, settle the visits in order with accumulators carried, render as JSON.
 * The `contributions:` cases go the way of `yibao contribution`: validate, compute, render.
 */
import { describe, expect, it } from 'vitest';
import { contributionJson } from '../../src/contribution/json.js';
import { contributionFromRequest } from '../../src/contribution/request.js';
import { SettlementError } from '../../src/engine/errors.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { outcomeJson, settleVisits } from '../../src/request/settle-person.js';
import { parseSettleRequest, RequestError } from '../../src/request/settle-request.js';
import { AccountError, authorize, creditMonth, type Account, type AccountState, type Operation } from '../../src/account/index.js';
import { parseYuan } from '../../src/money/money.js';
import { loadCaseFiles, type AccountCase, type ContributionCase, type CoverageCase } from '../support/cases.js';
import type { PolicySet } from '../../src/policy/registry.js';
import { coverageJson, deriveCoverage } from '../../src/enrollment/coverage.js';
import { parseCoverageRequest } from '../../src/enrollment/request.js';
import { formatDate, parseDate } from '../../src/calendar/calendar.js';
import { MemoryAccumulators } from '../../src/engine/accumulators.js';
import { maternityGrantJson } from '../../src/maternity/grant.js';
import { maternityGrantFromRequest } from '../../src/maternity/request.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const fen = (yuan: unknown) => Math.round((yuan as number) * 100);

for (const file of loadCaseFiles()) {
  describe(`${file.file} — ${file.document}`, () => {
    for (const c of file.accounts ?? []) it(`account: ${c.name}`, () => runAccountCase(c));
    for (const c of file.cases ?? []) {
      it(c.name, () => {
        const policies = loadPolicies({ policyFiles: (c.policyFiles ?? []).map((f) => ROOT + f) });
        const engine = new SettlementEngine(policies);
        if (c.invalid !== undefined) {
          let thrown: unknown;
          try {
            parseSettleRequest(c.request, policies);
          } catch (e) {
            thrown = e;
          }
          return void checkOutcome({ invalid: c.invalid }, undefined, thrown);
        }
        const expected = c.expect ?? [];
        const request = parseSettleRequest(c.request, policies);
        const { outcomes } = settleVisits(engine, request, { trace: true });
        const json = outcomes.map(outcomeJson);
        expect(json.map((o) => o.visitId)).toEqual(expected.map((e) => e.visitId));
        expected.forEach((want, i) => {
          const got = json[i] as Record<string, unknown>;
          const { visitId, error, messageIncludes, cites, ...fields } = want;
          if (error !== undefined) {
            const err = got.error as { code: string; message: string } | undefined;
            expect(err?.code, `${visitId}: error code`).toBe(error);
            for (const s of messageIncludes ?? []) expect(err?.message, `${visitId}: message`).toContain(s);
            return;
          }
          expect(got.error, `${visitId}: unexpected error`).toBeUndefined();
          const sources = ((got.trace ?? []) as { source?: string }[]).map((t) => t.source ?? '');
          for (const cite of cites ?? [])
            expect(
              sources.some((s) => s.includes(cite)),
              `${visitId}: the trace cites ${cite}`,
            ).toBe(true);
          for (const [k, v] of Object.entries(fields)) {
            if (v !== null && typeof v === 'object') expect(got[k], `${visitId}.${k}`).toMatchObject(v as object);
            else expect(got[k], `${visitId}.${k}`).toEqual(v);
          }
          // The parts always add up to the total.
          const parts = ['fundPay', 'criticalIllnessPay', 'assistancePay', 'accountPay', 'cashPay'].reduce((sum, k) => sum + Math.round((got[k] as number) * 100), 0);
          expect(parts, `${visitId}: parts add up to total`).toBe(Math.round((got.total as number) * 100));
        });
      });
    }
  });
}

for (const file of loadCaseFiles()) {
  if (file.contributions.length === 0) continue;
  describe(`${file.file} — ${file.document} — contributions`, () => {
    for (const c of file.contributions) {
      it(c.name, () => {
        const out = answerOf(c, (policies) => contributionJson(contributionFromRequest(c.request, policies)));
        if (out === undefined) return;
        // The parts always add up where they are given: subsidy + individual = total; assistance +
        // payable = individual; the levels (or central + local) = the subsidy, wherever it is split.
        const subsidy = out.subsidy as Record<string, number | null>;
        if (out.total !== null) expect(fen(subsidy.total) + fen(out.individual), 'subsidy + individual = total').toBe(fen(out.total));
        if (out.individual !== null && out.assistance !== null) expect(fen(out.assistance) + fen(out.payable), 'assistance + payable = individual').toBe(fen(out.individual));
        // A figure is null exactly when it is listed as missing, with the parameters it needs.
        const missing = out.missing as { figure: string; code: string; missing: unknown[] }[];
        const figureOf = (f: string) => (f === 'subsidy.total' ? subsidy.total : out[f]);
        for (const f of ['total', 'individual', 'subsidy.total', 'assistance', 'payable', 'criticalIllnessFunding']) {
          if (f === 'criticalIllnessFunding' && out[f] === undefined) continue;
          expect(
            missing.some((m) => m.figure === f),
            `${f} is null exactly when missing`,
          ).toBe(figureOf(f) === null);
        }
        for (const m of missing) expect(m.missing.length, `${m.figure} names its parameters`).toBeGreaterThan(0);
        if (subsidy.total === null) expect([subsidy.central, subsidy.province, subsidy.city, subsidy.county], 'no level without the subsidy').toEqual([null, null, null, null]);
        if (subsidy.central !== null) {
          const rest = subsidy.local !== undefined ? fen(subsidy.local) : fen(subsidy.province) + fen(subsidy.city) + fen(subsidy.county);
          expect(fen(subsidy.central) + rest, 'levels add up to the subsidy').toBe(fen(subsidy.total));
        }
        const sources = JSON.stringify(out.trace);
        for (const a of c.articles ?? []) expect(sources, `the trace cites ${a}`).toContain(a);
      });
    }
  });
}

for (const file of loadCaseFiles()) {
  if (file.claims.length === 0) continue;
  describe(`${file.file} — ${file.document} — claims`, () => {
    for (const c of file.claims) {
      it(c.name, () => {
        const out = answerOf(c, (policies) => maternityGrantJson(maternityGrantFromRequest(c.request, policies)));
        if (out === undefined) return;
        // Granted exactly when no condition is refused; the amount is the standard then, else 0;
        // every refusal cites its article and quotes it.
        const conditions = out.conditions as { met: boolean; source: string; quote?: string }[];
        const refusals = out.refusals as typeof conditions;
        expect(refusals, 'refusals are the unmet conditions').toEqual(conditions.filter((x) => !x.met));
        expect(out.granted, 'granted when nothing is refused').toBe(refusals.length === 0);
        expect(out.amount).toBe(out.granted ? out.standard : 0);
        for (const r of refusals) {
          expect(r.source, 'a refusal cites its article').toMatch(/\S+ \S+/);
          expect(r.quote, 'a refusal quotes the document').toMatch(/.+/);
        }
        const sources = JSON.stringify(out.trace);
        for (const a of c.articles ?? []) expect(sources, `the trace cites ${a}`).toContain(a);
      });
    }
  });
}

for (const file of loadCaseFiles()) {
  if (file.coverage.length === 0) continue;
  describe(`${file.file} — ${file.document} — coverage`, () => {
    for (const c of file.coverage) it(c.name, () => runCoverageCase(c));
  });
}

/**
 * Runs a coverage case the way of `yibao enrollment coverage`, then settles a visit with the same
 * payment on the days around the edges of the coverage year, the wait and the coverage: the engine
 * must find the person covered exactly on the days the coverage says.
 */
function runCoverageCase(c: CoverageCase): void {
  const policies = loadPolicies({ policyFiles: (c.policyFiles ?? []).map((f) => ROOT + f) });
  const engine = new SettlementEngine(policies);
  let got: Record<string, unknown> | undefined;
  let thrown: unknown;
  let query: ReturnType<typeof parseCoverageRequest> | undefined;
  try {
    query = parseCoverageRequest(c.request, policies);
    got = coverageJson(deriveCoverage(engine, query.person, query.payment));
  } catch (e) {
    thrown = e;
  }
  if (c.invalid !== undefined) return void checkOutcome(c, got, thrown);
  const out = checkOutcome(c, got, thrown);
  if (out !== undefined) {
    const sources = JSON.stringify(out.trace);
    for (const a of c.articles ?? []) expect(sources, `the trace cites ${a}`).toContain(a);
  }
  // The engine agrees, on every day around the edges.
  const q = query as NonNullable<typeof query>;
  const year = q.payment.coverageYear;
  const first = parseDate(`${year}-01-01`) as number;
  const last = parseDate(`${year}-12-31`) as number;
  const cov = (got?.coverage ?? null) as { from: string; to: string } | null;
  const wait = (got?.waitingPeriod ?? null) as { from: string; to: string } | null;
  const edges = [first, last, q.payment.paidOn - 1, q.payment.paidOn, q.payment.paidOn + 1];
  for (const d of [cov?.from, cov?.to, wait?.from, wait?.to]) if (d) edges.push((parseDate(d) as number) - 1, parseDate(d) as number, (parseDate(d) as number) + 1);
  const person = {
    id: 'agree',
    region: q.person.region,
    scheme: q.person.scheme,
    category: q.person.category,
    hardship: q.person.hardship,
    familyDoctorAt: undefined,
    enrollment: q.payment,
  };
  const institution =
    q.person.scheme === 'resident'
      ? { id: 'H9', tier: 'primary' as const, grade: 1 as const, contracted: true }
      : { id: 'P1', tier: 'primary' as const, grade: 1 as const, contracted: true };
  for (const day of new Set(edges.filter((d) => d >= first && d <= last))) {
    const time = day * 86_400_000 + 4 * 3_600_000; // 12:00 China time
    const visit = { id: `v${day}`, time, type: 'outpatient' as const, institution, total: 10_000, eligible: 10_000, useAccount: false };
    const where = `engine on ${formatDate(day)}`;
    if (c.error !== undefined) {
      expect(() => engine.settle(person, visit, new MemoryAccumulators()), where).toThrow(SettlementError);
      try {
        engine.settle(person, visit, new MemoryAccumulators());
      } catch (e) {
        expect((e as SettlementError).code, where).toBe(c.error);
      }
      continue;
    }
    const within = cov !== null && formatDate(day) >= cov.from && formatDate(day) <= cov.to;
    expect(engine.settle(person, visit, new MemoryAccumulators()).eligibility, where).toBe(within ? 'covered' : 'waiting-period');
  }
}

/**
 * Runs a case whose answer is JSON (a contribution, a claim) under its policy files and checks the
 * outcome; returns the result when there is one to check further.
 */
function answerOf(c: ContributionCase, compute: (policies: PolicySet) => Record<string, unknown>): Record<string, unknown> | undefined {
  const policies = loadPolicies({ policyFiles: (c.policyFiles ?? []).map((f) => ROOT + f) });
  let got: Record<string, unknown> | undefined;
  let thrown: unknown;
  try {
    got = compute(policies);
  } catch (e) {
    thrown = e;
  }
  return checkOutcome(c, got, thrown);
}

/**
 * Checks a case's outcome: refused as invalid input naming the fields, or the error with its code
 * and message, or the listed fields of the result (objects partially, the rest exactly). Returns
 * the result when there is one to check further.
 */
function checkOutcome(
  c: { invalid?: string[]; error?: string; messageIncludes?: string[]; expect?: Record<string, unknown> },
  got: Record<string, unknown> | undefined,
  thrown: unknown,
): Record<string, unknown> | undefined {
  if (c.invalid !== undefined) {
    expect(thrown, 'the request is refused').toBeInstanceOf(RequestError);
    const lines = (thrown as RequestError).problems;
    for (const p of c.invalid)
      expect(
        lines.some((l) => new RegExp(p).test(l)),
        `${p} in ${lines.join(' | ')}`,
      ).toBe(true);
    return undefined;
  }
  if (c.error !== undefined) {
    expect(thrown, 'an error, not a result').toBeInstanceOf(SettlementError);
    expect((thrown as SettlementError).code).toBe(c.error);
    for (const s of c.messageIncludes ?? []) expect((thrown as SettlementError).message).toContain(s);
    return undefined;
  }
  if (thrown) throw thrown;
  const out = got as Record<string, unknown>;
  for (const [k, v] of Object.entries(c.expect ?? {})) {
    if (v !== null && typeof v === 'object') expect(out[k], k).toMatchObject(v as object);
    else expect(out[k], k).toEqual(v);
  }
  return out;
}

const yuan = (fen: number) => fen / 100;
const MONEY_FIELDS = ['amount', 'personShare', 'outOfScope'];

/** Runs an account case's steps in order, appending each approved entry, checking each expectation. */
function runAccountCase(c: AccountCase): void {
  const policies = loadPolicies({ policyFiles: (c.policyFiles ?? []).map((f) => ROOT + f) });
  let state: AccountState = { account: c.account as Account, entries: [] };
  c.steps.forEach((step, i) => {
    const where = `step ${i + 1}`;
    const want = step.expect;
    let got: { amount?: number; balanceAfter?: number; cashPay?: number; kind?: string; refused?: string; skipped?: string; error?: string; source?: string; text?: string };
    try {
      if (step.credit) {
        const h = step.credit.holder;
        const { contributionBase, ...rest } = h;
        const holder = {
          ...rest,
          id: c.account.holderId,
          region: c.account.region,
          ...(contributionBase !== undefined ? { contributionBase: parseYuan(contributionBase) } : {}),
        };
        const out = creditMonth(state, holder, step.credit.month, policies);
        state = out.state;
        got = out.entry
          ? { kind: 'credit', amount: yuan(out.entry.amount), balanceAfter: yuan(out.entry.balanceAfter), source: out.entry.source, text: out.entry.text }
          : { skipped: out.skipped?.code, source: out.skipped?.source ?? '', text: out.skipped?.reason ?? '' };
      } else {
        const raw = { ...(step.op as Record<string, unknown>) };
        for (const k of MONEY_FIELDS) if (raw[k] !== undefined) raw[k] = parseYuan(raw[k] as number | string);
        const out = authorize(raw as unknown as Operation, state, policies);
        if (out.ok) {
          state = { account: state.account, entries: [...state.entries, out.entry] };
          const cash = 'cashPay' in out.entry ? out.entry.cashPay : undefined;
          got = { kind: out.entry.kind, amount: yuan(out.entry.amount), balanceAfter: yuan(out.entry.balanceAfter), source: out.entry.source, text: out.entry.text };
          if (cash !== undefined) got.cashPay = yuan(cash);
        } else got = { refused: out.code, source: out.source, text: out.reason };
      }
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      got = { error: e.code, source: '', text: e.message };
    }
    for (const k of ['amount', 'balanceAfter', 'cashPay', 'kind', 'refused', 'skipped', 'error'] as const)
      if (want[k] !== undefined) expect(got[k], `${where}: ${k} (${got.text ?? ''})`).toEqual(want[k]);
    if (want.refused === undefined) expect(got.refused, `${where}: refused: ${got.text ?? ''}`).toBeUndefined();
    if (want.error === undefined) expect(got.error, `${where}: error: ${got.text ?? ''}`).toBeUndefined();
    for (const s of want.sourceIncludes ?? []) expect(got.source, `${where}: source`).toContain(s);
    for (const s of want.textIncludes ?? []) expect(got.text, `${where}: text`).toContain(s);
  });
}
