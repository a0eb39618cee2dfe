/**
 * The maternity-grant decision on small made-up packs (the real document's conditions are in
 * test/cases/luoyang-2024.yaml): a condition the policy does not set is not checked, the years
 * come from the policy, a figure the policy leaves open fails naming it, a user file's value is
 * marked, and the loader checks the units.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dayOf } from '../calendar/calendar.js';
import { SettlementError } from '../engine/errors.js';
import { applyOverlay } from '../policy/overlay.js';
import { buildPack } from '../policy/pack.js';
import { PolicyFileError } from '../policy/problems.js';
import { PolicySet } from '../policy/registry.js';
import { decideMaternityGrant, type MaternityGrantClaim } from './grant.js';

/** A made-up city whose grant is 800, for two years of the employer's insurance, with only some conditions. */
function file(): Record<string, any> {
  return parse(`
format: yibao-policy/1
id: test-city
document: { number: 测试〔2029〕9号, title: 测试文件, issuer: 测试局 }
region: { code: "419900", name: 测试市 }
schemes: [employee]
effective: { from: 2030-01-01, source: 末段 }
maternityGrant:
  label: 一次性生育补助金
  source: 五
  amount: { value: 800, unit: yuan-per-case, source: 五 }
  claimantSex: { value: male, unit: rule, source: 五 }
  employerInsuredYears: { value: 2, unit: years, source: 五 }
  spouseWithoutEmployer: { value: false, unit: flag, source: 五 }
`);
}

const setOf = (f: Record<string, any>) => new PolicySet([buildPack('policies/test.yaml', f)]);
const claim = (more: Partial<MaternityGrantClaim> = {}): MaternityGrantClaim => ({
  claimant: { id: 'c1', region: '419900', scheme: 'resident', sex: 'male', maternityInsured: false, contributionsPaid: false },
  employer: { maternityInsuredSince: dayOf(2028, 6, 1) },
  spouse: { hasEmployer: true, residentMaternityBenefit: true },
  birthDate: dayOf(2030, 6, 2),
  ...more,
});

describe('decideMaternityGrant', () => {
  it('checks only the conditions the policy sets, with its own years and amount', () => {
    // Insured from 2028-06-01: two years end on 2030-06-01, complete from 2030-06-02. Sex set; the
    // spouse flag is false and the other conditions are absent: not checked.
    const d = decideMaternityGrant(setOf(file()), claim());
    expect(d.conditions.map((c) => [c.condition, c.met])).toEqual([
      ['male', true],
      ['employer-insured', true],
    ]);
    expect(d).toMatchObject({ granted: true, amount: 80000, standard: 80000, policy: '测试〔2029〕9号' });
    const early = decideMaternityGrant(setOf(file()), claim({ birthDate: dayOf(2030, 6, 1) }));
    expect(early).toMatchObject({ granted: false, amount: 0 });
    expect(early.refusals.map((r) => [r.condition, r.source])).toEqual([['employer-insured', '测试〔2029〕9号 五']]);
  });

  it('fails naming a figure the policy leaves open, and marks a user-supplied one', () => {
    const f = file();
    f.maternityGrant.amount = { value: null, unit: 'yuan-per-case', source: '五', missing: '另行规定' };
    let e: unknown;
    try {
      decideMaternityGrant(setOf(f), claim());
    } catch (caught) {
      e = caught;
    }
    expect(e).toBeInstanceOf(SettlementError);
    expect((e as SettlementError).code).toBe('MISSING_PARAMETER');
    expect((e as SettlementError).missing.map((m) => m.path)).toEqual(['maternityGrant.amount']);
    const packs = applyOverlay([buildPack('policies/test.yaml', f)], 'mine.yaml', {
      format: 'yibao-policy-overlay/1',
      extends: 'test-city',
      parameters: { 'maternityGrant.amount': { value: 900, unit: 'yuan-per-case', source: '本地文件 六' } },
    });
    const d = decideMaternityGrant(new PolicySet(packs), claim());
    expect(d.amount).toBe(90000);
    expect(d.trace.at(-1)?.source).toBe('mine.yaml 本地文件 六（用户提供）');
  });

  it('is refused before the policy is in force, and with no policy giving it', () => {
    const code = (c: MaternityGrantClaim) => {
      try {
        decideMaternityGrant(setOf(file()), c);
      } catch (e) {
        return (e as SettlementError).code;
      }
      return 'decided';
    };
    expect(code(claim({ birthDate: dayOf(2029, 12, 31) }))).toBe('NO_POLICY_IN_FORCE');
    const none = file();
    delete none.maternityGrant;
    expect(() => decideMaternityGrant(setOf(none), claim())).toThrow(/no policy in force gives a one-time maternity grant/);
  });

  it('is pure: the same answer twice', () => {
    const s = setOf(file());
    expect(decideMaternityGrant(s, claim())).toEqual(decideMaternityGrant(s, claim()));
  });
});

describe('the loader checks the grant section', () => {
  it('refuses a condition in the wrong unit and an unknown rule value, naming each', () => {
    const f = file();
    f.maternityGrant.employerInsuredYears = { value: 12, unit: 'count', source: '五' };
    f.maternityGrant.claimantSex = { value: 'any', unit: 'rule', source: '五' };
    try {
      buildPack('policies/test.yaml', f);
      throw new Error('expected a rejection');
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyFileError);
      const text = (e as PolicyFileError).problems.join('\n');
      expect(text).toContain('maternityGrant.employerInsuredYears: unit must be years, not count');
      expect(text).toContain('maternityGrant.claimantSex: must be one of male, female');
    }
  });
});
