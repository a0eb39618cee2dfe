import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './scenario.js';

const base = {
  format: 'yibao-scenario/1',
  year: 2024,
  population: { size: 10 },
  visits: { perPerson: { adult: 1 } },
  tiers: { county: { share: 100, cost: { p0: 200, p100: 200 } } },
};
const problems = (data: unknown, options = {}, dir = '.') => {
  try {
    parseScenario(data, dir, options);
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  return [];
};

describe('reform drafts in a scenario', () => {
  it('reads an inline draft for its entry only, with its name and reason; the base stays the documents', () => {
    const s = parseScenario({
      ...base,
      policies: [
        'luoyang-2024',
        { pack: 'luoyang-2024', name: '调高起付线（假设）', overrides: { 'benefits.resident-outpatient.classes.county.deductible': 100 }, reason: '测算' },
      ],
    });
    expect(s.policies[0]).toEqual({ pack: 'luoyang-2024' });
    expect(s.policies[1]).toEqual({
      pack: 'luoyang-2024',
      name: '调高起付线（假设）',
      draft: { source: 'policies[1].overrides', reason: '测算', parameters: { 'benefits.resident-outpatient.classes.county.deductible': 100 } },
    });
  });

  it('reads a draft file (yibao-policy-overlay/1) against the scenario folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-draft-'));
    writeFileSync(
      join(dir, 'reform.yaml'),
      'format: yibao-policy-overlay/1\nextends: luoyang-2024\nreason: 比例下调\nparameters:\n  benefits.resident-outpatient.classes.county.ratio: { value: 40, unit: percent, source: 草案一 }\n',
    );
    const s = parseScenario({ ...base, policies: ['luoyang-2024', { pack: 'luoyang-2024', draft: 'reform.yaml' }] }, dir);
    expect(s.policies[1]?.draft?.source).toBe(join(dir, 'reform.yaml'));
    expect(s.policies[1]?.draft?.reason).toBe('比例下调');
    expect(Object.keys(s.policies[1]?.draft?.parameters ?? {})).toEqual(['benefits.resident-outpatient.classes.county.ratio']);
  });

  it('refuses bad entries, every problem named', () => {
    const p = problems({
      ...base,
      policies: [
        'luoyang-2024',
        { pack: 'luoyang-2024', draft: 'x.yaml', overrides: { a: 1 } },
        { pack: 'luoyang-2024', reason: 'why' },
        { pack: 'luoyang-2024', overrides: {} },
        { pack: 'luoyang-2024', overrides: { a: [1] }, colour: 'red' },
        7,
      ],
    });
    expect(p).toEqual([
      'policies[1].overrides: give either draft (a file) or overrides, not both',
      'policies[2].reason: is the reason of a draft: give draft or overrides with it',
      'policies[3].overrides: must name at least one parameter',
      'policies[4]: Unrecognized key: "colour"',
      'policies[5]: must be a policy pack id (e.g. luoyang-2024) or { pack, year, name, draft | overrides, reason }',
    ]);
  });

  it('refuses a draft file that cannot be read or is not a parameters-only overlay of the entry’s pack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-draft-'));
    writeFileSync(join(dir, 'other.yaml'), 'format: yibao-policy-overlay/1\nextends: luoyang-2022\nparameters:\n  a.b: { value: 1, unit: percent, source: x }\nbenefits: []\n');
    const p = problems({ ...base, policies: ['luoyang-2024', { pack: 'luoyang-2024', draft: 'missing.yaml' }, { pack: 'luoyang-2024', draft: 'other.yaml' }] }, {}, dir);
    expect(p[0]).toMatch(/^policies\[1\]\.draft: .*missing\.yaml: cannot be read \(ENOENT\)$/);
    expect(p[1]).toMatch(/^policies\[2\]\.draft\(.*other\.yaml\): Unrecognized key: "benefits"$/);
  });

  it('over HTTP: no claims or draft files, and a bounded population', () => {
    expect(
      problems({ ...base, population: { size: 300_000 }, policies: ['luoyang-2024', { pack: 'luoyang-2024', draft: 'x.yaml' }] }, { files: false, maxPersons: 200_000 }),
    ).toEqual([
      'population.size: must be at most 200,000 persons here, got 300,000',
      'policies[1].draft: draft files are not read here; give the values inline as overrides: { path: value }',
    ]);
  });
});
