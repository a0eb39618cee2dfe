/**
 * The simulation scenario (`yibao simulate SCENARIO`): a YAML or JSON file saying which policies
 * settle which year, and whose visits — a seeded synthetic population or real claims from a CSV
 * file (src/sim/claims.ts). Validated with zod; every problem names the bad field.
 *
 * Everything here becomes integers: shares in basis points, amounts in fen, cost distributions as
 * integer quantile knots. Only the visit rate (a Poisson mean) stays a decimal: it is a count, not
 * money.
 */
import { YibaoError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { CATEGORIES, COUNTY_TYPES, GRADES, HARDSHIP_GROUPS, TIERS, type Category, type CountyType, type Tier } from '../domain.js';
import { type AmountError, parseYuan, type BasisPoints, type Fen } from '../money/money.js';
import { formatIssues } from '../policy/schema.js';
import { enumOf, yearSchema } from '../request/settle-request.js';
import { type PolicyChoice, policyEntry, resolveDrafts } from './reform.js';

export type { PolicyChoice } from './reform.js';

/** A scenario that cannot be used: every problem, each naming its field (or CSV line). */
export class ScenarioError extends YibaoError<'INVALID_SCENARIO'> {
  constructor(readonly problems: string[]) {
    super('INVALID_SCENARIO', `invalid scenario:\n  ${problems.join('\n  ')}`, { problems });
    this.name = 'ScenarioError';
  }
}

/** Quantile positions are in parts per million of the distribution. */
export const PPM = 1_000_000;

/** A cost distribution: the amount at each of a rising list of quantiles (piecewise linear between). */
export interface CostKnot {
  /** Quantile, parts per million (0 … 1,000,000). */
  at: number;
  fen: Fen;
}

export interface TierSpec {
  /** Share of visits at this tier, basis points. */
  share: BasisPoints;
  /** Share of the tier's institutions at each grade 0–3, basis points (they add up to 10,000). */
  grades: BasisPoints[];
  /** How many institutions of the tier the population uses. */
  institutions: number;
  /** Share of the tier's institutions that are contracted (定点), basis points. */
  contracted: BasisPoints;
  /** 医疗费总额 per visit. */
  cost: CostKnot[];
  /** 符合政策范围金额 as a share of the total, drawn uniformly between these, basis points. */
  eligibleMin: BasisPoints;
  eligibleMax: BasisPoints;
}

export interface SyntheticSpec {
  kind: 'synthetic';
  size: number;
  /** Share of the population in each category (CATEGORIES order), basis points; adult takes the rest. */
  categoryShares: BasisPoints[];
  /** Share of residents in each hardship group (HARDSHIP_GROUPS order), basis points. */
  hardshipShares: BasisPoints[];
  /** Share of persons signed with a family doctor at the primary institution they use, basis points. */
  familyDoctor: BasisPoints;
  /** Outpatient visits per person per year (Poisson mean) by category (CATEGORIES order). */
  visitsPerPerson: number[];
  /** Relative weight of each month (January first) in the visits' dates. */
  monthWeights: number[];
  /** By TIERS index. */
  tiers: TierSpec[];
}

export interface ClaimsSpec {
  kind: 'claims';
  /** The CSV file, resolved against the scenario's folder. */
  file: string;
}

export interface Scenario {
  name: string;
  seed: number;
  /** The year the visits stand for (synthetic); for claims, the claims' own year. */
  year?: number;
  policies: PolicyChoice[];
  population: SyntheticSpec | ClaimsSpec;
  contributions: { countyType: CountyType; monitoredFollowsDibao?: boolean };
  /** Surplus of the student outpatient budget carried into the year (结余滚存), fen. */
  studentBudgetCarriedIn: Fen;
  /** Upper edges of the out-of-pocket histogram's bins, fen (a last bin takes the rest). */
  histogram: Fen[];
}

// ---------------------------------------------------------------------------------------------
// Field schemas.

/** A percentage 0–100 with at most two decimals, as basis points. */
const percent = z
  .number({ error: 'must be a percentage 0–100 (a number)' })
  .min(0, 'must be a percentage 0–100')
  .max(100, 'must be a percentage 0–100')
  .transform((v, ctx) => {
    const bp = Math.round(v * 100);
    if (Math.abs(bp - v * 100) > 1e-6) {
      ctx.addIssue({ code: 'custom', message: `must have at most two decimal places, got ${v}` });
      return z.NEVER;
    }
    return bp;
  });

const yuan = z.union([z.number(), z.string()], { error: 'must be an amount in yuan (a number or a decimal string)' }).transform((v, ctx) => {
  try {
    return parseYuan(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as AmountError).message });
    return z.NEVER;
  }
});

const QUANTILE_KEY = /^p(100|[0-9]{1,2}(?:\.[0-9]{1,4})?)$/;

/** `{ p0: 5, p50: 60, p90: 200, p100: 2000 }`: yuan at each percentile, from p0 to p100, never falling. */
const costSchema = z.record(z.string(), yuan).transform((raw, ctx) => {
  const knots: CostKnot[] = [];
  for (const [key, fen] of Object.entries(raw)) {
    const m = QUANTILE_KEY.exec(key);
    if (!m) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'keys are percentiles p0 … p100 (e.g. p50, p99.5)' });
      continue;
    }
    knots.push({ at: Math.round(Number(m[1]) * (PPM / 100)), fen });
  }
  knots.sort((a, b) => a.at - b.at);
  // An empty distribution too: there would be no amount to draw a visit's cost from.
  if (knots[0]?.at !== 0 || knots[knots.length - 1]?.at !== PPM) {
    ctx.addIssue({ code: 'custom', message: 'must give p0 (the least cost) and p100 (the greatest)' });
  }
  for (let i = 1; i < knots.length; i++) {
    if ((knots[i] as CostKnot).fen < (knots[i - 1] as CostKnot).fen) {
      ctx.addIssue({ code: 'custom', message: 'amounts must not fall as the percentile rises' });
      break;
    }
  }
  return knots;
});

const byCategory = <T extends z.ZodType>(value: T) => z.strictObject(Object.fromEntries(CATEGORIES.map((c) => [c, value.optional()])) as Record<Category, z.ZodOptional<T>>);

const gradeShares = z.strictObject({ '0': percent.optional(), '1': percent.optional(), '2': percent.optional(), '3': percent.optional() });

const tierSchema = z.strictObject({
  share: percent,
  /** One grade, or shares by grade. */
  grade: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), gradeShares], { error: 'must be a grade 0–3 or shares by grade, e.g. { 2: 70, 3: 30 }' }).optional(),
  institutions: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1,000,000').default(100),
  contracted: percent.default(10_000),
  cost: costSchema,
  eligible: z.union([percent, z.strictObject({ min: percent, max: percent })], { error: 'must be a percentage or { min, max }' }).default(10_000),
});

const populationSchema = z.strictObject({
  size: z.number({ error: 'must be a whole number of persons' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000_000, 'must be at most 100,000,000'),
  shares: byCategory(percent).default({}),
  hardship: z
    .strictObject(Object.fromEntries(HARDSHIP_GROUPS.map((h) => [h, percent.optional()])) as Record<(typeof HARDSHIP_GROUPS)[number], z.ZodOptional<typeof percent>>)
    .default({}),
  familyDoctor: percent.default(0),
});

const visitsSchema = z.strictObject({
  perPerson: byCategory(z.number({ error: 'must be a number of visits per year' }).min(0, 'must not be negative').max(365, 'must be at most 365')),
  months: z
    .array(z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(1_000_000), { error: 'must be 12 monthly weights' })
    .length(12, 'must be 12 monthly weights, January first')
    .optional(),
});

const scenarioSchema = z
  .strictObject({
    format: z.literal('yibao-scenario/1', { error: 'must be yibao-scenario/1' }),
    name: z.string().min(1).max(200).optional(),
    seed: z.number({ error: 'must be a whole number 0 … 4294967295' }).int('must be a whole number').min(0).max(0xffffffff).default(1),
    year: yearSchema.optional(),
    policies: z.array(policyEntry, { error: 'must be a list of policy pack ids' }).min(1, 'must name at least one policy').max(8, 'at most 8 policies'),
    population: populationSchema.optional(),
    visits: visitsSchema.optional(),
    tiers: z.strictObject(Object.fromEntries(TIERS.map((t) => [t, tierSchema.optional()])) as Record<Tier, z.ZodOptional<typeof tierSchema>>).optional(),
    claims: z.strictObject({ file: z.string({ error: 'must be the path of a CSV file' }).min(1) }).optional(),
    contributions: z
      .strictObject({
        countyType: enumOf(COUNTY_TYPES).default('ordinary'),
        monitoredFollowsDibao: z.boolean({ error: 'must be true or false' }).optional(),
      })
      .default({ countyType: 'ordinary' }),
    studentBudget: z.strictObject({ carriedIn: yuan.default(0) }).default({ carriedIn: 0 }),
    report: z
      .strictObject({
        histogram: z.array(yuan).min(1, 'must give at least one bin edge').max(50, 'at most 50 bin edges').optional(),
      })
      .default({}),
  })
  .superRefine((s, ctx) => {
    const synthetic = s.population !== undefined || s.visits !== undefined || s.tiers !== undefined;
    if (s.claims && synthetic) ctx.addIssue({ code: 'custom', path: ['claims'], message: 'give either claims (a CSV file) or population, visits and tiers, not both' });
    if (s.claims && s.year !== undefined)
      ctx.addIssue({ code: 'custom', path: ['year'], message: 'claims are of their own year: do not give year (to settle a policy in another year, give { pack, year })' });
    if (!s.claims) {
      for (const key of ['population', 'visits', 'tiers', 'year'] as const) {
        if (s[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required for a synthetic population (or give claims: { file })` });
      }
    }
    if (s.population) {
      const total = Object.values(s.population.shares).reduce<number>((a, b) => a + (b ?? 0), 0);
      if (total > 10_000) ctx.addIssue({ code: 'custom', path: ['population', 'shares'], message: `add up to ${total / 100}%, more than 100% (adults take what is left)` });
      if (s.population.shares.adult !== undefined)
        ctx.addIssue({ code: 'custom', path: ['population', 'shares', 'adult'], message: 'adults take what the other shares leave; do not give it' });
      const hardship = Object.values(s.population.hardship).reduce<number>((a, b) => a + (b ?? 0), 0);
      if (hardship > 10_000) ctx.addIssue({ code: 'custom', path: ['population', 'hardship'], message: `add up to ${hardship / 100}%, more than 100% of residents` });
    }
    if (s.tiers) {
      const total = Object.values(s.tiers).reduce<number>((a, t) => a + (t?.share ?? 0), 0);
      if (total !== 10_000) ctx.addIssue({ code: 'custom', path: ['tiers'], message: `visit shares add up to ${total / 100}%, not 100%` });
      for (const t of TIERS) {
        const spec = s.tiers[t];
        if (!spec) continue;
        if (typeof spec.grade === 'object') {
          const g = Object.values(spec.grade).reduce<number>((a, b) => a + (b ?? 0), 0);
          if (g !== 10_000) ctx.addIssue({ code: 'custom', path: ['tiers', t, 'grade'], message: `grade shares add up to ${g / 100}%, not 100%` });
        }
        if (typeof spec.eligible === 'object' && spec.eligible.min > spec.eligible.max) {
          ctx.addIssue({ code: 'custom', path: ['tiers', t, 'eligible'], message: 'min must not exceed max' });
        }
      }
    }
    if (s.visits?.months?.every((w) => w === 0)) ctx.addIssue({ code: 'custom', path: ['visits', 'months'], message: 'at least one month must have a weight' });
    if (s.report.histogram) {
      const h = s.report.histogram;
      for (let i = 1; i < h.length; i++) {
        if ((h[i] as number) <= (h[i - 1] as number)) {
          ctx.addIssue({ code: 'custom', path: ['report', 'histogram', i], message: 'bin edges must rise' });
          break;
        }
      }
    }
  });

/** Default histogram edges of out-of-pocket spending per person per year, yuan. */
const DEFAULT_HISTOGRAM_YUAN = [0, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

/** Default grade of a tier's institutions: primary ungraded, county 二级, city and province 三级. */
const DEFAULT_GRADE: Record<Tier, number> = { primary: 0, county: 2, city: 3, province: 3 };

function compileTier(tier: Tier, t: z.output<typeof tierSchema> | undefined): TierSpec {
  if (!t)
    return {
      share: 0,
      grades: [10_000, 0, 0, 0],
      institutions: 1,
      contracted: 10_000,
      cost: [
        { at: 0, fen: 0 },
        { at: PPM, fen: 0 },
      ],
      eligibleMin: 10_000,
      eligibleMax: 10_000,
    };
  const grades = GRADES.map(() => 0);
  if (t.grade === undefined) grades[DEFAULT_GRADE[tier]] = 10_000;
  else if (typeof t.grade === 'number') grades[t.grade] = 10_000;
  else for (const g of GRADES) grades[g] = t.grade[String(g) as '0'] ?? 0;
  const eligibleMin = typeof t.eligible === 'number' ? t.eligible : t.eligible.min;
  const eligibleMax = typeof t.eligible === 'number' ? t.eligible : t.eligible.max;
  return { share: t.share, grades, institutions: t.institutions, contracted: t.contracted, cost: t.cost, eligibleMin, eligibleMax };
}

/** Limits on what a scenario may ask for (over HTTP: no files, a bounded population). */
export interface ScenarioOptions {
  /** Whether claims and draft files may be read (default true). */
  files?: boolean;
  /** The largest synthetic population allowed. */
  maxPersons?: number;
}

/**
 * Checks a scenario's data (parsed YAML or JSON). `baseDir` resolves a claims file's path.
 * @throws ScenarioError naming every bad field.
 */
export function parseScenario(data: unknown, baseDir = '.', options: ScenarioOptions = {}): Scenario {
  const r = scenarioSchema.safeParse(data);
  if (!r.success) throw new ScenarioError(formatIssues(r.error.issues));
  const s = r.data;
  const files = options.files ?? true;
  const problems: string[] = [];
  if (!files && s.claims) problems.push('claims: claims files are not read here; give a synthetic population');
  if (options.maxPersons !== undefined && s.population && s.population.size > options.maxPersons)
    problems.push(`population.size: must be at most ${options.maxPersons.toLocaleString('en-US')} persons here, got ${s.population.size.toLocaleString('en-US')}`);
  const policies = resolveDrafts(s.policies, baseDir, files, problems);
  if (problems.length > 0) throw new ScenarioError(problems);
  const scenario: Scenario = {
    name: s.name ?? 'scenario',
    seed: s.seed,
    policies,
    population: s.claims ? { kind: 'claims', file: resolve(baseDir, s.claims.file) } : synthetic(s),
    contributions: s.contributions,
    studentBudgetCarriedIn: s.studentBudget.carriedIn,
    histogram: s.report.histogram ?? DEFAULT_HISTOGRAM_YUAN.map((v) => v * 100),
  };
  if (s.year !== undefined) scenario.year = s.year;
  return scenario;
}

function synthetic(s: z.output<typeof scenarioSchema>): SyntheticSpec {
  const p = s.population as z.output<typeof populationSchema>;
  const v = s.visits as z.output<typeof visitsSchema>;
  const tiers = s.tiers as Partial<Record<Tier, z.output<typeof tierSchema>>>;
  const categoryShares = CATEGORIES.map((c) => (c === 'adult' ? 0 : (p.shares[c] ?? 0)));
  categoryShares[CATEGORIES.indexOf('adult')] = 10_000 - categoryShares.reduce((a, b) => a + b, 0);
  return {
    kind: 'synthetic',
    size: p.size,
    categoryShares,
    hardshipShares: HARDSHIP_GROUPS.map((h) => p.hardship[h] ?? 0),
    familyDoctor: p.familyDoctor,
    visitsPerPerson: CATEGORIES.map((c) => v.perPerson[c] ?? 0),
    monthWeights: v.months ?? [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
    tiers: TIERS.map((t) => compileTier(t, tiers[t])),
  };
}

/** Reads a scenario file (YAML, or JSON, which YAML reads too). */
export function readScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(doc.errors.map((e) => `${file}: ${e.linePos?.[0] ? `line ${e.linePos[0].line}: ` : ''}${e.message.split('\n')[0]}`));
  }
  return parseScenario(doc.toJS(), dirname(file));
}
