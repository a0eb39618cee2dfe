import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyDir } from './load.js';
import type { Param, PolicyPack } from './model.js';
import { applyOverlay, replaceParams } from './overlay.js';
import { PolicyFileError } from './problems.js';

const builtin = loadPolicyDir();

const EXAMPLE_INPATIENT = fileURLToPath(new URL('../../examples/linfen-inpatient-user-policy.yaml', import.meta.url));

describe('user policy files (overlays)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-overlay-'));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('fill a parameter the documents leave open, marked as user-supplied', () => {
    const f = write(
      'ok.yaml',
      `format: yibao-policy-overlay/1
extends: luoyang-2024
parameters:
  benefits.resident-two-diseases.classes.any.ratio: { value: 50, unit: percent, source: 用户补充 }
`,
    );
    const packs = applyOverlay(builtin, f);
    const pack = packs.find((p) => p.id === 'luoyang-2024');
    const ratio = pack?.params.get('benefits.resident-two-diseases.classes.any.ratio');
    const v = ratio?.versions.find((x) => x.value !== null);
    expect(v?.value).toBe(5000);
    expect(v?.supplied).toBe('user');
    expect(pack?.overlays).toEqual([f]);
    // The built-in packs themselves are unchanged.
    expect(builtin.find((p) => p.id === 'luoyang-2024')?.params.get('benefits.resident-two-diseases.classes.any.ratio')?.versions[0]?.value).toBeNull();
  });

  it('refuse to override what a document gives, and unknown parameters', () => {
    const f = write(
      'bad.yaml',
      `format: yibao-policy-overlay/1
extends: luoyang-2024
parameters:
  benefits.resident-outpatient.cap: { value: 999, unit: yuan-per-year, source: 用户 }
  benefits.resident-outpatient.colour: { value: 1, unit: count, source: 用户 }
`,
    );
    try {
      applyOverlay(builtin, f);
      throw new Error('expected a rejection');
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyFileError);
      const text = (e as PolicyFileError).problems.join('\n');
      expect(text).toContain('parameters.benefits.resident-outpatient.cap: conflicts with 洛医保〔2023〕63号 二(一)2');
      expect(text).toContain('luoyang-2024 has no parameter benefits.resident-outpatient.colour');
    }
  });

  it('refuse an unknown pack', () => {
    const f = write('unknown.yaml', 'format: yibao-policy-overlay/1\nextends: nowhere\nparameters: {}\n');
    expect(() => applyOverlay(builtin, f)).toThrow(/extends: there is no policy pack nowhere/);
  });

  it('fill the inpatient benefit Linfen names without figures (the example user file), every value marked as supplied by the user', () => {
    const packs = applyOverlay(builtin, EXAMPLE_INPATIENT);
    const pack = packs.find((p) => p.id === 'linfen-2019');
    const ratio = pack?.params.get('benefits.resident-inpatient.classes.grade-3.ratio');
    expect(ratio?.versions).toHaveLength(1);
    expect(ratio?.versions[0]).toMatchObject({ value: 6000, supplied: 'user', suppliedBy: EXAMPLE_INPATIENT });
    // The benefit itself is the document's (三(一)); only its figures are the user's.
    expect(pack?.benefits.find((b) => b.visitType === 'inpatient')?.citation).toBe('临医保发〔2019〕15号 三(一)');
    // The document's own sections stay as they are, and the built-in pack still lacks the figures.
    expect(pack?.criticalIllness?.citation).toBe('临医保发〔2019〕15号 三(三)');
    expect(builtin.find((p) => p.id === 'linfen-2019')?.params.get('benefits.resident-inpatient.classes.grade-3.ratio')?.versions[0]?.value).toBeNull();
  });

  /** A user file adding residents' inpatient stays to a pack (`extends`). */
  const inpatientBenefit = (pack: string) =>
    write(
      `inpatient-${pack}.yaml`,
      `format: yibao-policy-overlay/1
extends: ${pack}
benefits:
  - id: resident-inpatient
    label: 居民医保住院（用户）
    visitType: inpatient
    scheme: resident
    kind: pooling
    source: 用户：住院
    capBucket: inpatient
    contractedOnly: { value: true, unit: flag, source: 用户 }
    deductibleWindow: { value: per-visit, unit: rule, source: 用户 }
    classes:
      - { id: any, label: 定点医疗机构, match: { tiers: [primary, county, city, province] }, deductible: { value: 500, unit: yuan-per-visit, source: 用户 }, ratio: { value: 70, unit: percent, source: 用户 } }
    cap: { value: 100000, unit: yuan-per-year, source: 用户 }
`,
    );

  it('add a benefit the pack lacks, every value marked as supplied by the user', () => {
    const f = inpatientBenefit('luoyang-2024');
    const pack = applyOverlay(builtin, f).find((p) => p.id === 'luoyang-2024');
    expect(pack?.benefits.find((b) => b.visitType === 'inpatient')?.citation).toContain('（用户提供）');
    expect(pack?.params.get('benefits.resident-inpatient.classes.any.ratio')?.versions[0]).toMatchObject({ value: 7000, supplied: 'user', suppliedBy: f });
    expect(builtin.find((p) => p.id === 'luoyang-2024')?.benefits.some((b) => b.visitType === 'inpatient')).toBe(false);
  });

  it('refuse a second benefit for the same visits, and a section the document already has', () => {
    const added = inpatientBenefit('luoyang-2024');
    const twice = applyOverlay(builtin, added);
    expect(() => applyOverlay(twice, added)).toThrow(/already has a benefit resident-inpatient[\s\S]*a second benefit for resident inpatient visits/);
    // Linfen names its inpatient benefit (figures missing): a user file fills it by path, not with a second one.
    expect(() => applyOverlay(builtin, inpatientBenefit('linfen-2019'))).toThrow(/already has a benefit resident-inpatient[\s\S]*a second benefit for resident inpatient visits/);
    const f = write(
      'ci.yaml',
      `format: yibao-policy-overlay/1
extends: linfen-2019
criticalIllness:
  source: 用户
  scheme: resident
  visitTypes: { value: [inpatient], unit: list, source: 用户 }
  threshold: { value: 1, unit: yuan-per-year, source: 用户 }
  ratio: { value: 99, unit: percent, source: 用户 }
  cap: { value: 1, unit: yuan-per-year, source: 用户 }
`,
    );
    expect(() => applyOverlay(builtin, f)).toThrow(/criticalIllness: linfen-2019 already has criticalIllness rules \(临医保发〔2019〕15号 三\(三\)\)/);
    const g = write(
      'types.yaml',
      `format: yibao-policy-overlay/1
extends: luoyang-2024
medicalAssistance:
  source: 用户
  visitTypes: { value: [inpatient, dentist], unit: list, source: 用户 }
  groups: {}
`,
    );
    expect(() => applyOverlay(builtin, g)).toThrow(/medicalAssistance.visitTypes: dentist is not a visit type/);
  });
});

describe('the overlay walk (replaceParams)', () => {
  const param = (path: string, text: string): Param => ({
    path,
    label: path,
    versions: [{ value: 1, unit: 'count', text, document: 'd', article: 'a', citation: 'd a', from: 0, to: null, supplied: 'document' }],
  });

  it('replaces a parameter by its path wherever it sits, in sections it was never told of, and copies rather than changes', () => {
    const old = param('someNewSection.groups.dibao.limit', 'old');
    const other = param('someNewSection.note', 'kept');
    const pack = { id: 'p', someNewSection: { groups: { dibao: { limit: old } }, list: [old, other], note: other }, params: new Map([[old.path, old]]) };
    const merged = param(old.path, 'new');
    const out = replaceParams(pack, new Map([[old.path, merged]]));
    expect(out.someNewSection.groups.dibao.limit).toBe(merged);
    expect(out.someNewSection.list).toEqual([merged, other]);
    expect(out.someNewSection.list[1]).toBe(other);
    expect(out.someNewSection.note).toBe(other);
    expect(out.params).toBe(pack.params);
    expect(pack.someNewSection.groups.dibao.limit).toBe(old);
  });

  it('swaps every parameter of the built-in packs it is given, leaving none of the old behind', () => {
    for (const pack of builtin as PolicyPack[]) {
      const replaced = new Map([...pack.params].map(([path, p]) => [path, { ...p }] as const));
      const { params: _params, ...structure } = pack;
      const out = replaceParams(structure, replaced);
      const seen: Param[] = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v !== null && typeof v === 'object' && !(v instanceof Map)) {
          if ('versions' in v && 'path' in v) seen.push(v as Param);
          else Object.values(v).forEach(walk);
        }
      };
      walk(out);
      expect(seen.length).toBeGreaterThan(0);
      for (const p of seen) expect(p).toBe(replaced.get(p.path));
    }
  });
});
