/**
 * Unit tests of the account model: hand-computed figures, errors and the MISSING_PARAMETER path.
 * The per-document cases are in test/cases/*.yaml under `accounts:`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_POLICY_DIR, loadPolicyDir } from '../policy/load.js';
import { buildPack } from '../policy/pack.js';
import { loadPolicies } from '../policy/policies.js';
import { PolicySet } from '../policy/registry.js';
import { AccountError, accountShare, authorize, balance, creditMonth, creditMonthBatch, monthlyCredit, verifyEntries, type AccountState } from './index.js';

const policies = loadPolicies();
const account = { id: 'A1', kind: 'employee-personal' as const, holderId: 'p1', region: '410900' };
const empty: AccountState = { account, entries: [] };

function errorOf(f: () => unknown): AccountError {
  try {
    f();
  } catch (e) {
    if (e instanceof AccountError) return e;
    throw e;
  }
  throw new Error('expected an AccountError');
}

describe('monthlyCredit (Puyang 第六条)', () => {
  it('active: 2% of the base, half a fen rounded away from zero', () => {
    // 1234.25 × 2% = 24.685 → 24.69; 1234.24 × 2% = 24.6848 → 24.68.
    expect(monthlyCredit({ id: 'p1', region: '410900', category: 'active', contributionBase: 123_425 }, '2023-01', policies).amount).toBe(2469);
    expect(monthlyCredit({ id: 'p1', region: '410900', category: 'active', contributionBase: 123_424 }, '2023-01', policies).amount).toBe(2468);
  });

  it('retired: 60 a month, with a trace citing 第六条(二)', () => {
    const c = monthlyCredit({ id: 'p1', region: 'puyang', category: 'retired', requiredYearsMet: true }, '2022-07', policies);
    expect(c.amount).toBe(6000);
    expect(c.trace.map((t) => t.step)).toEqual(['policy', 'credit']);
    expect(c.source).toContain('第六条(二)');
  });

  it('bad input is named', () => {
    expect(errorOf(() => monthlyCredit({ id: 'p1', region: '410900', category: 'active' }, '2023-01', policies)).message).toContain('contributionBase');
    expect(errorOf(() => monthlyCredit({ id: 'p1', region: '410900', category: 'active', contributionBase: 1.5 }, '2023-01', policies)).code).toBe('INVALID_INPUT');
    expect(errorOf(() => monthlyCredit({ id: 'p1', region: '410900', category: 'retired' }, '2023-01', policies)).message).toContain('requiredYearsMet');
    expect(errorOf(() => monthlyCredit({ id: 'p1', region: '410900', category: 'retired', requiredYearsMet: true }, '2023-13', policies)).message).toContain('YYYY-MM');
  });

  it('a region whose documents have no account rules', () => {
    expect(errorOf(() => monthlyCredit({ id: 'p1', region: '141000', category: 'retired', requiredYearsMet: true }, '2019-05', policies)).code).toBe('NO_ACCOUNT_RULES');
  });

  it('a rule the document refers to without a value fails with MISSING_PARAMETER naming it', () => {
    const raw = parse(readFileSync(join(BUILTIN_POLICY_DIR, 'puyang-2022.yaml'), 'utf8'));
    raw.accounts[0].credit.retiredMonthly = { value: null, unit: 'yuan-per-month', source: '第六条(二)', missing: 'test: the amount is left to another document' };
    const others = loadPolicyDir().filter((p) => p.id !== 'puyang-2022');
    const set = new PolicySet([...others, buildPack('puyang-test.yaml', raw)]);
    const e = errorOf(() => monthlyCredit({ id: 'p1', region: '410900', category: 'retired', requiredYearsMet: true }, '2023-01', set));
    expect(e.code).toBe('MISSING_PARAMETER');
    expect(e.missing[0]?.path).toBe('accounts.employee-personal.credit.retiredMonthly');
    expect(e.message).toContain('another document');
  });
});

describe('creditMonth and the batch', () => {
  const retiree = { id: 'p1', region: '410900', category: 'retired' as const, requiredYearsMet: true };

  it('a deterministic id per month; a second run adds nothing', () => {
    const one = creditMonth(empty, retiree, '2023-01', policies);
    expect(one.entry).toMatchObject({ id: 'A1/credit/2023-01', seq: 1, amount: 6000, balanceAfter: 6000, date: '2023-01-01', fundedBy: 'pooled-fund' });
    const two = creditMonth(one.state, retiree, '2023-01', policies);
    expect(two.entry).toBeNull();
    expect(two.skipped?.code).toBe('ALREADY_CREDITED');
  });

  it('refuses a holder who is not the account’s', () => {
    expect(errorOf(() => creditMonth(empty, { ...retiree, id: 'p2' }, '2023-01', policies)).code).toBe('INVALID_INPUT');
  });

  it('the batch credits each account once and reports the others', () => {
    const b = { id: 'B1', kind: 'employee-personal' as const, holderId: 'p2', region: '410900' };
    const out = creditMonthBatch(
      [
        { state: empty, holder: retiree },
        { state: empty, holder: retiree },
        { state: { account: b, entries: [] }, holder: { id: 'p2', region: '410900', category: 'active' } },
      ],
      '2023-01',
      policies,
    );
    expect(out.credited.map((e) => e.id)).toEqual(['A1/credit/2023-01']);
    expect(out.skipped.map((s) => s.code)).toEqual(['ALREADY_CREDITED']);
    expect(out.failed.map((f) => [f.accountId, f.error.code])).toEqual([['B1', 'INVALID_INPUT']]);
  });
});

describe('authorize, balance, accountShare', () => {
  const funded = creditMonth(empty, { id: 'p1', region: '410900', category: 'retired', requiredYearsMet: true }, '2023-01', policies).state;

  it('accountShare: hand-computed', () => {
    expect(accountShare(8000, 6000)).toBe(6000);
    expect(accountShare(2500, 6000)).toBe(2500);
    expect(accountShare(2500, 0)).toBe(0);
    expect(errorOf(() => accountShare(-1, 10)).code).toBe('INVALID_INPUT');
  });

  it('a visit: 80.00 share against 60.00 → 60.00 from the account, 20.00 cash', () => {
    const a = authorize({ kind: 'visit-payment', ref: 'S1', date: '2023-01-15', visitId: 'v1', contracted: true, personShare: 8000 }, funded, policies);
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(a.entry).toMatchObject({ id: 'A1/visit-payment/S1', seq: 2, amount: -6000, balanceAfter: 0, cashPay: 2000, personShare: 8000 });
    expect(balance([...funded.entries, a.entry])).toBe(0);
    const again = authorize(
      { kind: 'visit-payment', ref: 'S1', date: '2023-01-15', visitId: 'v1', contracted: true, personShare: 8000 },
      { account, entries: [...funded.entries, a.entry] },
      policies,
    );
    expect(again.ok ? null : again.code).toBe('DUPLICATE_REFERENCE');
  });

  it('bad operations are named', () => {
    const op = { kind: 'visit-payment', ref: 'S1', date: '2023-02-30', visitId: 'v1', contracted: true, personShare: 8000 } as const;
    expect(errorOf(() => authorize(op, funded, policies)).message).toContain('date');
    expect(errorOf(() => authorize({ ...op, date: '2023-02-01', personShare: -1 }, funded, policies)).message).toContain('personShare');
    expect(errorOf(() => authorize({ ...op, date: '2023-02-01', outOfScope: 9000 }, funded, policies)).message).toContain('outOfScope');
    expect(errorOf(() => authorize({ kind: 'nope' } as never, funded, policies)).code).toBe('INVALID_INPUT');
  });

  it('verifyEntries finds a tampered balance', () => {
    const [e] = funded.entries;
    expect(verifyEntries(funded)).toEqual([]);
    expect(verifyEntries({ account, entries: [{ ...e!, balanceAfter: 1 }] }).join()).toContain('balanceAfter');
  });
});
