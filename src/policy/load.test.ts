import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDate } from '../calendar/calendar.js';
import { BUILTIN_POLICY_DIR, loadPolicyDir, loadPolicyFile } from './load.js';
import { buildPack } from './pack.js';
import { PolicyFileError } from './problems.js';
import { PolicySet } from './registry.js';

const SEEDS = join(BUILTIN_POLICY_DIR, '../../shared/seeds');
const builtin = loadPolicyDir();

/** A minimal valid policy file, as data, to break in each test. */
function minimal(): Record<string, any> {
  return parse(`
format: yibao-policy/1
id: test-pack
document: { number: 测试〔2024〕1号, title: 测试文件, issuer: 测试局 }
region: { code: "410300", name: 洛阳市 }
schemes: [resident]
effective: { from: 2024-01-01, source: 末段 }
benefits:
  - id: resident-outpatient
    label: 门诊统筹
    visitType: outpatient
    scheme: resident
    kind: pooling
    source: 二
    capBucket: outpatient
    contractedOnly: { value: true, unit: flag, source: 二 }
    classes:
      - id: any
        label: 定点医疗机构
        match: { tiers: [primary, county, city, province] }
        deductible: { value: 0, unit: yuan-per-visit, source: 二 }
        ratio: { value: 50, unit: percent, source: 二 }
    cap: { value: 260, unit: yuan-per-year, source: 二 }
`);
}

function problemsOf(data: unknown): string[] {
  try {
    buildPack('policies/test.yaml', data);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyFileError);
    return (e as PolicyFileError).problems;
  }
  throw new Error('expected the file to be rejected');
}

describe('the built-in policy packs', () => {
  it('load: one per document, five documents', () => {
    expect(builtin.map((p) => p.document.number).sort()).toEqual(
      ['洛医保〔2022〕36号', '洛医保〔2023〕63号', '濮阳市职工医保门诊共济保障机制实施细则（试行）', '临医保发〔2019〕15号', '豫医保办〔2023〕71号'].sort(),
    );
  });

  it('cite a document and an article for every parameter version, with effective dates', () => {
    for (const pack of builtin) {
      expect(pack.params.size, pack.id).toBeGreaterThan(0);
      for (const p of pack.params.values()) {
        for (const v of p.versions) {
          expect(v.document, p.path).toMatch(/.+/);
          expect(v.article, p.path).toMatch(/.+/);
          expect(v.citation, p.path).toBe(`${v.document} ${v.article}`);
          expect(v.from, p.path).toBeGreaterThanOrEqual(pack.effective.from);
          if (v.value === null) expect(v.missing, `${pack.id} ${p.path} is missing without a reason`).toMatch(/.+/);
        }
      }
    }
  });

  // The quote of each parameter must be the document's own words. Whitespace and the width of
  // punctuation vary between the seed texts (PDF extraction), so both sides are normalised.
  const normalise = (s: string) =>
    s
      .replace(/—\d+—/g, '') // page numbers of the PDF the seed was extracted from
      .replace(/\s+/g, '')
      .replace(/[（(]/g, '(')
      .replace(/[）)]/g, ')')
      .replace(/[，,]/g, ',')
      .replace(/[：:]/g, ':')
      .replace(/[；;]/g, ';')
      .replace(/[〔[]/g, '[')
      .replace(/[〕\]]/g, ']');
  it.skipIf(!existsSync(SEEDS))('quote each value in the words of its document (needs ../shared/seeds)', () => {
    const seedOf = new Map(builtin.map((p) => [p.document.number, normalise(readFileSync(join(SEEDS, p.document.seed as string), 'utf8'))]));
    let checked = 0;
    const notFound: string[] = [];
    for (const pack of builtin) {
      if (pack.effective.quote) expect(seedOf.get(pack.document.number), `${pack.id} effective`).toContain(normalise(pack.effective.quote));
      for (const p of pack.params.values()) {
        for (const v of p.versions) {
          expect(v.quote, `${pack.id} ${p.path} has no quote`).toBeDefined();
          const seed = seedOf.get(v.document);
          expect(seed, `${pack.id} ${p.path} cites ${v.document}, which is not a seed document`).toBeDefined();
          if (!seed?.includes(normalise(v.quote as string))) notFound.push(`${pack.id} ${p.path}: «${v.quote}» not in ${v.document}`);
          checked++;
        }
      }
    }
    expect(notFound).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });
});

describe('the loader rejects bad policy files, naming file, parameter and problem', () => {
  it('accepts the minimal file', () => {
    expect(buildPack('policies/test.yaml', minimal()).benefits).toHaveLength(1);
  });

  it('an uncited parameter', () => {
    const f = minimal();
    delete f.benefits[0].classes[0].ratio.source;
    const problems = problemsOf(f);
    expect(problems.join('\n')).toMatch(/benefits\[0\]\.classes\[0\]\.ratio.*source/);
  });

  it('a deductible window of 24 hours from the first visit (rolling-24h), which would depend on the order of settling', () => {
    const f = minimal();
    f.benefits[0].deductibleWindow = { value: 'rolling-24h', unit: 'rule', source: '二' };
    expect(problemsOf(f).join('\n')).toContain('rolling-24h is no longer a window: 当日（24小时） is read as the China calendar day, 0:00 to 24:00 (write natural-day)');
    f.benefits[0].deductibleWindow = { value: 'constructor', unit: 'rule', source: '二' };
    expect(problemsOf(f).join('\n')).toContain('must be one of natural-day, per-visit');
    f.benefits[0].deductibleWindow = { value: 'natural-day', unit: 'rule', source: '二' };
    expect(buildPack('policies/test.yaml', f).benefits).toHaveLength(1);
  });

  it('a value with the wrong unit for its place', () => {
    const f = minimal();
    f.benefits[0].cap.unit = 'percent';
    expect(problemsOf(f).join('\n')).toContain('benefits.resident-outpatient.cap: unit must be');
  });

  it('a ratio above 100%', () => {
    const f = minimal();
    f.benefits[0].classes[0].ratio.value = 150;
    expect(problemsOf(f).join('\n')).toContain('benefits.resident-outpatient.classes.any.ratio: unit percent needs a number from 0 to 100');
  });

  it('money with more than two decimal places or negative', () => {
    const f = minimal();
    f.benefits[0].cap.value = 260.005;
    expect(problemsOf(f).join('\n')).toContain('benefits.resident-outpatient.cap: amount must have at most two decimal places');
    f.benefits[0].cap.value = -1;
    expect(problemsOf(f).join('\n')).toContain('must not be negative');
  });

  it('a missing value without a reason', () => {
    const f = minimal();
    f.benefits[0].classes[0].ratio.value = null;
    expect(problemsOf(f).join('\n')).toContain('classes.any.ratio: has no value: give one, or say why the document does not with `missing:`');
  });

  it('overlapping dated versions', () => {
    const f = minimal();
    f.benefits[0].cap = [
      { value: 100, unit: 'yuan-per-year', source: '二', from: '2024-01-01', to: '2024-12-31' },
      { value: 200, unit: 'yuan-per-year', source: '二', from: '2024-06-01' },
    ];
    expect(problemsOf(f).join('\n')).toContain('benefits.resident-outpatient.cap: dated versions overlap');
  });

  it('institutions no class matches', () => {
    const f = minimal();
    f.benefits[0].classes[0].match = { tiers: ['primary'] };
    expect(problemsOf(f).join('\n')).toContain('no class matches a county institution of grade 0');
  });

  it('an unknown field, an unknown visit type, a bad region code', () => {
    const f = minimal();
    f.benefits[0].colour = 'red';
    f.benefits[0].visitType = 'dental';
    f.region.code = '4103';
    const text = problemsOf(f).join('\n');
    expect(text).toContain('region.code: must be a six-digit admdvs code');
    expect(text).toMatch(/benefits\[0\]/);
  });

  it('a category override for a class that does not exist', () => {
    const f = minimal();
    f.benefits[0].categories = { student: { classes: { primary: { ratio: { value: 80, unit: 'percent', source: '二' } } } } };
    expect(problemsOf(f).join('\n')).toContain('benefits.resident-outpatient.categories.student.classes.primary: there is no class primary');
  });

  it('YAML that does not parse, with its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'format: yibao-policy/1\nid: [unclosed\n');
    expect(() => loadPolicyFile(file)).toThrow(/broken\.yaml.*YAML line/s);
  });
});

describe('resolution by region and date', () => {
  const set = new PolicySet(builtin);
  const docs = (code: string, date: string) => set.chain(code, parseDate(date) as number).map((p) => p.document.number);

  it('finds the documents in force, most specific first', () => {
    expect(docs('410300', '2023-05-01')).toEqual(['洛医保〔2022〕36号', '豫医保办〔2023〕71号']);
    expect(docs('410300', '2024-05-01')).toEqual(['洛医保〔2023〕63号', '豫医保办〔2023〕71号']);
    expect(docs('410300', '2022-05-01')).toEqual(['洛医保〔2022〕36号']);
    expect(docs('410900', '2022-06-30')).toEqual([]);
    expect(docs('410900', '2022-07-01')).toEqual(['濮阳市职工医保门诊共济保障机制实施细则（试行）']);
    expect(docs('141000', '2020-03-01')).toEqual(['临医保发〔2019〕15号']);
    expect(docs('410300', '2021-12-31')).toEqual([]);
  });

  it('accepts admdvs codes and pinyin or Chinese names', () => {
    expect(set.regionCode('luoyang')).toBe('410300');
    expect(set.regionCode('Puyang')).toBe('410900');
    expect(set.regionCode('临汾')).toBe('141000');
    expect(set.regionCode('henan')).toBe('410000');
    expect(set.regionCode('410300')).toBe('410300');
    expect(set.regionCode('beijing')).toBeUndefined();
  });

  it('cuts Puyang into segments where the halved 2022 caps end', () => {
    const cuts = set.timeline('410900').map((s) => s.from);
    expect(cuts).toContain(parseDate('2022-07-01'));
    expect(cuts).toContain(parseDate('2023-01-01'));
  });
});

// A provincial floor's `compares:` key is checked when the file is loaded: a floor naming something
// no city file can have is rejected then, naming the floor and the field.
/** A floors file with one floor, `compares` as given. */
function floorsFile(floor: Record<string, unknown>, role = 'floors'): unknown {
  const data = parse(`
format: yibao-policy/1
id: test-floors
document: { number: 测试〔2023〕1号, title: 测试文件, issuer: 测试局 }
region: { code: "410000", name: 河南省 }
role: ${role}
schemes: [resident]
effective: { from: 2023-01-01, source: 一 }
parameters:
  floors: {}
`) as { parameters: { floors: Record<string, unknown> } };
  data.parameters.floors.ratioPrimary = { value: 60, unit: 'percent', bound: 'at-least', source: '二', ...floor };
  return data;
}

const target = { scheme: 'resident', visitType: 'outpatient', parameter: 'ratio', tiers: ['primary'] };

describe('compares: what a provincial floor bounds', () => {
  it('accepts a benefit parameter by tier, a fixed path, and none with the reason', () => {
    expect(buildPack('policies/test-floors.yaml', floorsFile({ compares: target })).params.get('parameters.floors.ratioPrimary')?.versions[0]?.compares).toEqual(target);
    expect(() => buildPack('x.yaml', floorsFile({ unit: 'yuan-per-year', value: 1020, compares: { path: 'contributions.fundingStandard' } }))).not.toThrow();
    expect(() => buildPack('x.yaml', floorsFile({ bound: 'about', compares: { none: '全年结算的结果' } }))).not.toThrow();
  });

  it('rejects a parameter, tier or visit type that does not exist', () => {
    expect(problemsOf(floorsFile({ compares: { ...target, parameter: 'ratoi' } }))).toEqual([
      'parameters.floors.ratioPrimary: compares.parameter: Invalid option: expected one of "ratio"|"deductible"|"deductibleWindow"|"cap"|"amount"',
    ]);
    expect(problemsOf(floorsFile({ compares: { ...target, tiers: ['township'] } }))).toEqual([expect.stringMatching(/^parameters\.floors\.ratioPrimary: compares\.tiers\[0\]: /)]);
    expect(problemsOf(floorsFile({ compares: { ...target, visitType: 'dental' } }))).toEqual([expect.stringMatching(/^parameters\.floors\.ratioPrimary: compares\.visitType: /)]);
    expect(problemsOf(floorsFile({ compares: { ...target, colour: 'red' } }))).toEqual([
      expect.stringMatching(/^parameters\.floors\.ratioPrimary: compares: Unrecognized key: "colour"/),
    ]);
  });

  it('rejects a path no city file has at a fixed place', () => {
    expect(problemsOf(floorsFile({ unit: 'yuan-per-year', value: 1020, compares: { path: 'contributions.fundingStandrd' } }))).toEqual([
      expect.stringMatching(/^parameters\.floors\.ratioPrimary: compares\.path: contributions\.fundingStandrd is not a parameter every city file has at a fixed path/),
    ]);
  });

  it('rejects a target whose unit cannot be the floor’s, tiers on a parameter that has none, and half a target', () => {
    expect(problemsOf(floorsFile({ unit: 'yuan-per-visit', value: 50, compares: target }))).toEqual([
      "parameters.floors.ratioPrimary: compares.parameter: a city's ratio is written in percent, and this floor is in yuan-per-visit",
    ]);
    expect(
      problemsOf(floorsFile({ unit: 'yuan-per-case', value: 1000, compares: { scheme: 'resident', visitType: 'birth-natural', parameter: 'amount', tiers: ['primary'] } })),
    ).toEqual(['parameters.floors.ratioPrimary: compares.tiers: amount is not a parameter of an institution class (tiers go with ratio or deductible)']);
    expect(problemsOf(floorsFile({ compares: { parameter: 'ratio' } }))).toEqual([
      'parameters.floors.ratioPrimary: compares.scheme: is required for a benefit parameter',
      'parameters.floors.ratioPrimary: compares.visitType: is required for a benefit parameter',
    ]);
    expect(problemsOf(floorsFile({ compares: { ...target, none: 'x' } })).join('\n')).toMatch(/name exactly one of/);
  });

  it('needs a bound to compare with, and a compares key on every floor of a floors file', () => {
    expect(problemsOf(floorsFile({ bound: undefined, compares: target }))).toEqual([
      'parameters.floors.ratioPrimary: bound: a floor compared with a city value needs bound: at-least | about | exactly',
    ]);
    expect(problemsOf(floorsFile({}))).toEqual([expect.stringMatching(/^parameters\.floors\.ratioPrimary: compares: a floor must name the city parameter it bounds/)]);
  });

  it('is only for a floors file', () => {
    expect(problemsOf(floorsFile({ compares: target }, 'rules'))).toEqual([
      "parameters.floors.ratioPrimary: compares: only a province's floors file (role: floors) says which city parameter a floor bounds",
    ]);
  });
});
