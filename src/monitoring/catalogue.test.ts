import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_POLICY_DIR, loadPolicyDir } from '../policy/load.js';
import { RULES, ruleById } from './catalogue.js';
import { BEHAVIOUR_TYPES, SEVERITIES } from './types.js';

// Beside the repository, as src/policy/load.test.ts finds them; YIBAO_SEEDS for a worktree elsewhere.
const SEEDS = process.env.YIBAO_SEEDS ?? join(BUILTIN_POLICY_DIR, '../../shared/seeds');

// As src/policy/load.test.ts: whitespace and the width of punctuation vary between the seed texts.
const normalise = (s: string) =>
  s
    .replace(/—\d+—/g, '')
    .replace(/\s+/g, '')
    .replace(/[（(]/g, '(')
    .replace(/[）)]/g, ')')
    .replace(/[，,]/g, ',')
    .replace(/[：:]/g, ':')
    .replace(/[；;]/g, ';')
    .replace(/[〔[]/g, '[')
    .replace(/[〕\]]/g, ']');

describe('the supervision rules catalogue', () => {
  it('holds the six rules in order, each found by its id', () => {
    expect(RULES.map((r) => r.id)).toEqual(['SPLIT-DAY', 'FREQ-PEER', 'CARD-DISTANCE', 'ACCT-CASHOUT', 'INST-FUND-PEER', 'ENROL-DUP']);
    for (const r of RULES) expect(ruleById(r.id)).toBe(r);
    expect(ruleById('NOPE')).toBeUndefined();
  });

  it('describes each rule in Chinese, with its codes and its parameters as its schema takes them', () => {
    for (const r of RULES) {
      expect(r.name, r.id).toMatch(/\p{Script=Han}/u);
      expect(r.description, r.id).toMatch(/\p{Script=Han}/u);
      expect([...r.name].length, r.id).toBeLessThanOrEqual(200);
      expect(SEVERITIES).toContain(r.severity);
      expect(BEHAVIOUR_TYPES).toContain(r.behaviour);
      expect(r.sources.length, r.id).toBeGreaterThan(0);
      for (const p of r.parameters) expect(p.label, `${r.id}.${p.name}`).toMatch(/\p{Script=Han}/u);
      // No default: a setting without a required parameter is refused; without an optional one, not.
      const required = r.parameters.filter((p) => !p.optional).map((p) => p.name);
      for (const name of required) {
        const issues = r.schema.safeParse({}).error?.issues ?? [];
        expect(
          issues.some((i) => i.path[0] === name),
          `${r.id}: {} is refused naming ${name}`,
        ).toBe(true);
      }
      if (required.length === 0) expect(r.schema.safeParse({}).success, r.id).toBe(true);
    }
  });

  it.skipIf(!existsSync(SEEDS))('quotes each article in its document’s words (needs ../shared/seeds)', () => {
    const seedOf = new Map(loadPolicyDir().map((p) => [p.document.number, p.document.seed]));
    const missing: string[] = [];
    for (const r of RULES) {
      for (const c of r.sources) {
        const seed = seedOf.get(c.document);
        expect(seed, `${r.id} cites ${c.document}, not a seed document`).toBeDefined();
        const text = normalise(readFileSync(join(SEEDS, seed as string), 'utf8'));
        if (!text.includes(normalise(c.quote))) missing.push(`${r.id}: «${c.quote}» not in ${c.document}`);
        // The article is there too (第二十二条, or a section heading 九、).
        const article = /^[一二三四五六七八九十]+$/.test(c.article) ? `${c.article}、` : c.article;
        if (!text.includes(normalise(article))) missing.push(`${r.id}: ${c.article} not in ${c.document}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the visit rules look back as far as they judge', () => {
  // 2024-03-10 09:30 China time.
  const at = Date.parse('2024-03-10T01:30:00Z');
  it('SPLIT-DAY to the China day, CARD-DISTANCE by its minutes, ACCT-CASHOUT by its days; the period rules do not say', () => {
    expect(ruleById('SPLIT-DAY')?.lookbackFrom?.({ minVisits: 2 }, at)).toBe(Date.parse('2024-03-09T16:00:00Z'));
    expect(ruleById('CARD-DISTANCE')?.lookbackFrom?.({ minDistanceKm: 40, withinMinutes: 90 }, at)).toBe(at - 90 * 60_000);
    expect(ruleById('ACCT-CASHOUT')?.lookbackFrom?.({ windowDays: 30, minPurchases: 8, minAccountFen: 1 }, at)).toBe(Date.parse('2024-02-08T16:00:00Z'));
    for (const id of ['FREQ-PEER', 'INST-FUND-PEER', 'ENROL-DUP']) expect(ruleById(id)?.lookbackFrom).toBeUndefined();
  });
});
