/**
 * Engine throughput: settles 1,000,000 synthetic outpatient visits in one process, with the trace
 * off and on, and prints visits per second for each.
 *
 *   npm run bench:engine                       # 50,000 persons × 20 visits, 5 rounds per mode
 *   node dist/bench/engine.js --persons 10000 --visits 20 --rounds 3 --warmup 1 --mode off
 *
 * The population (seeded, deterministic): Puyang (410900) employees, active and retired, with
 * visits in 2023; Luoyang (410300) residents, adults and students, with visits in 2024. Each
 * person has a year of visits in time order at institutions of every tier and grade, some of
 * them repeated at the same institution the same day (or the next), amounts in integer
 * fen. Every input object is built before timing starts; a timed round settles every visit of
 * every person against that person's own fresh MemoryAccumulators, applying the changes after
 * each visit, and sums what the fund paid so the work cannot be skipped.
 */
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { dayOf, formatChinaTime, formatDate, MS_PER_DAY } from '../src/calendar/calendar.js';
import { MemoryAccumulators } from '../src/engine/accumulators.js';
import { SettlementError } from '../src/engine/errors.js';
import { SettlementEngine } from '../src/engine/settle.js';
import type { Institution, Person, Visit } from '../src/engine/types.js';
import type { Grade, Hardship, Tier } from '../src/domain.js';
import { loadPolicies } from '../src/policy/policies.js';
import type { PolicySet } from '../src/policy/registry.js';
import { parseSettleRequest } from '../src/request/settle-request.js';

// ---------------------------------------------------------------------------------------------
// Options.

interface Options {
  persons: number;
  visits: number;
  rounds: number;
  traceRounds: number;
  warmup: number;
  seed: number;
  mode: 'both' | 'off' | 'on';
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { persons: 50_000, visits: 20, rounds: 5, traceRounds: 5, warmup: 1, seed: 20240101, mode: 'both' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = next();
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${a}: not a whole number: ${v}`);
      return n;
    };
    switch (a) {
      case '--persons':
        o.persons = int();
        break;
      case '--visits':
        o.visits = int();
        break;
      case '--rounds':
        o.rounds = int();
        o.traceRounds = o.rounds;
        break;
      case '--trace-rounds':
        o.traceRounds = int();
        break;
      case '--warmup':
        o.warmup = int();
        break;
      case '--seed':
        o.seed = int();
        break;
      case '--mode': {
        const m = next();
        if (m !== 'both' && m !== 'off' && m !== 'on') throw new Error(`--mode: both, off or on, not ${m}`);
        o.mode = m;
        break;
      }
      default:
        throw new Error(`unknown option ${a} (options: --persons --visits --rounds --trace-rounds --warmup --seed --mode)`);
    }
  }
  if (o.rounds < 1 || o.traceRounds < 1) throw new Error('--rounds must be at least 1');
  return o;
}

// ---------------------------------------------------------------------------------------------
// Deterministic PRNG (mulberry32).

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

// ---------------------------------------------------------------------------------------------
// Synthetic population. Persons and visits are built in the shapes `yibao settle` gives them
// (parseSettleRequest: optional person fields added in its order, an institution object per
// visit, short ids as JSON.parse leaves them), and a sample is checked against that parser.

const HOUR_MS = 3_600_000;
const CHINA_OFFSET_MS = 8 * HOUR_MS;
const TIERS: readonly Tier[] = ['primary', 'county', 'city', 'province'];
const GRADES: readonly Grade[] = [0, 1, 2, 3];
const HARDSHIPS: readonly Hardship[] = ['tekun', 'dibao', 'fanpin', 'monitored', 'jiandang', 'rural-tekun', 'other'];

export interface Subject {
  person: Person;
  visits: Visit[];
}

/** Institutions of every tier and grade, a few of them not contracted. */
function institutions(rng: Rng, prefix: string, count: number): Institution[] {
  // Ids as JSON.parse gives them (short strings come out internalized).
  const ids = JSON.parse(JSON.stringify(Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`))) as string[];
  const out: Institution[] = [];
  for (let i = 0; i < count; i++) {
    // Most visits go to primary and county institutions; every tier × grade occurs.
    const tier = i < 16 ? (TIERS[i >> 2] as Tier) : rng.pick(['primary', 'primary', 'primary', 'county', 'county', 'city', 'province'] as const);
    const grade = i < 16 ? (GRADES[i & 3] as Grade) : tier === 'primary' ? rng.pick([0, 1] as const) : rng.pick([1, 2, 2, 3] as const);
    out.push({ id: ids[i] as string, tier, grade, contracted: !rng.chance(0.03) });
  }
  return out;
}

/** A person's visits over one year, in time order. */
function visitsFor(rng: Rng, personId: string, year: number, count: number, favourites: Institution[], all: Institution[]): Visit[] {
  const yearStartMs = dayOf(year, 1, 1) * MS_PER_DAY - CHINA_OFFSET_MS; // 00:00 China time, 1 January
  const draft: { time: number; institution: Institution }[] = [];
  while (draft.length < count) {
    const prev = draft[draft.length - 1];
    if (prev && rng.chance(0.15)) {
      // Back at the same institution later the same day, or within about a day.
      const gap = rng.chance(0.7) ? rng.int(1, 6) * HOUR_MS + rng.int(0, 59) * 60_000 : rng.int(18, 30) * HOUR_MS;
      const time = prev.time + gap;
      if (time < yearStartMs + 365 * MS_PER_DAY) {
        draft.push({ time, institution: prev.institution });
        continue;
      }
    }
    const day = rng.int(0, 363);
    const minute = rng.int(7 * 60, 21 * 60);
    const institution = rng.chance(0.8) ? rng.pick(favourites) : rng.pick(all);
    draft.push({ time: yearStartMs + day * MS_PER_DAY + minute * 60_000, institution });
  }
  draft.sort((a, b) => a.time - b.time);
  return draft.map((d, i) => {
    // Mostly small bills, a few large ones; the policy-range part at most the total.
    const total = rng.chance(0.9) ? rng.int(500, 40_000) : rng.int(40_000, 300_000);
    const eligible = rng.chance(0.4) ? total : total - Math.floor((total * rng.int(0, 3000)) / 10_000);
    const inst = d.institution;
    return {
      id: `${personId}-v${i + 1}`,
      time: d.time,
      type: 'outpatient',
      institution: { id: inst.id, tier: inst.tier, grade: inst.grade, contracted: inst.contracted },
      total,
      eligible,
      useAccount: false,
    };
  });
}

/** The synthetic population: persons with their visits in time order. */
export function population(seed: number, persons: number, visitsPerPerson: number, policies: PolicySet = loadPolicies()): Subject[] {
  const rng = new Rng(seed);
  const puyang = institutions(rng, 'PY', 400);
  const luoyang = institutions(rng, 'LY', 400);
  const puyangCode = policies.regionCode('410900') as string;
  const luoyangCode = policies.regionCode('410300') as string;
  const subjects: Subject[] = [];
  for (let p = 0; p < persons; p++) {
    const employee = rng.chance(0.5);
    const pool = employee ? puyang : luoyang;
    const favourites = [rng.pick(pool), rng.pick(pool), rng.pick(pool)];
    const primary = favourites.filter((i) => i.tier === 'primary');
    const id = `P${String(p).padStart(7, '0')}`;
    // Persons in parseSettleRequest's shape: every key present, absent ones undefined.
    let person: Person;
    let hardship: Hardship | undefined;
    let enrollment: Person['enrollment'];
    let year: number;
    if (employee) {
      year = 2023;
      person = {
        id,
        region: puyangCode,
        scheme: 'employee',
        category: rng.chance(0.7) ? 'active' : 'retired',
        hardship: undefined,
        familyDoctorAt: undefined,
        employment: undefined,
        accountReformed: undefined,
        enrollment: undefined,
      };
      if (rng.chance(0.8)) enrollment = { paidOn: dayOf(2022, rng.int(1, 12), rng.int(1, 28)), coverageYear: 2023, transfer: false };
    } else {
      year = 2024;
      person = {
        id,
        region: luoyangCode,
        scheme: 'resident',
        category: rng.chance(0.8) ? 'adult' : 'student',
        hardship: undefined,
        familyDoctorAt: undefined,
        employment: undefined,
        accountReformed: undefined,
        enrollment: undefined,
      };
      if (rng.chance(0.06)) hardship = rng.pick(HARDSHIPS);
      // Most paid in the concentrated period (Sep–Dec 2023); some late, in 2024, and wait 30 days.
      enrollment = rng.chance(0.1)
        ? { paidOn: dayOf(2024, rng.int(1, 4), rng.int(1, 28)), coverageYear: 2024, transfer: rng.chance(0.1) }
        : { paidOn: dayOf(2023, rng.int(9, 12), rng.int(1, 28)), coverageYear: 2024, transfer: false };
    }
    const familyDoctorAt = primary.length > 0 && rng.chance(0.4) ? (primary[0] as Institution).id : undefined;
    if (hardship) person.hardship = hardship;
    if (familyDoctorAt) person.familyDoctorAt = familyDoctorAt;
    if (enrollment) person.enrollment = enrollment;
    subjects.push({ person, visits: visitsFor(rng, id, year, visitsPerPerson, favourites, pool) });
  }
  for (let i = 0; i < Math.min(subjects.length, 200); i++) {
    const s = subjects[i] as Subject;
    if (!isDeepStrictEqual(parseSettleRequest(JSON.parse(JSON.stringify(request(s))), policies), s)) {
      throw new Error(`bench input ${i} differs from what parseSettleRequest builds from it`);
    }
  }
  return subjects;
}

/** A subject as a `yibao settle` request (amounts in yuan, times as ISO text). */
function request({ person, visits }: Subject): unknown {
  const yuan = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
  const e = person.enrollment;
  return {
    person: { ...person, enrollment: e ? { paidOn: formatDate(e.paidOn), coverageYear: e.coverageYear, transfer: e.transfer } : undefined },
    visits: visits.map(({ useAccount: _, ...v }) => ({ ...v, time: formatChinaTime(v.time), total: yuan(v.total), eligible: yuan(v.eligible) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Timing.

interface RoundResult {
  ms: number;
  visits: number;
  errors: number;
  fundPay: number;
  cashPay: number;
  traceSteps: number;
}

function round(engine: SettlementEngine, subjects: readonly Subject[], trace: boolean): RoundResult {
  const options = { trace };
  let visits = 0;
  let errors = 0;
  let fundPay = 0;
  let cashPay = 0;
  let traceSteps = 0;
  const start = process.hrtime.bigint();
  for (let p = 0; p < subjects.length; p++) {
    const { person, visits: list } = subjects[p] as Subject;
    const acc = new MemoryAccumulators();
    for (let v = 0; v < list.length; v++) {
      try {
        const s = engine.settle(person, list[v] as Visit, acc, options);
        acc.apply(s.changes);
        fundPay += s.fundPay;
        cashPay += s.cashPay;
        if (s.trace) traceSteps += s.trace.length;
      } catch (e) {
        if (!(e instanceof SettlementError)) throw e;
        errors++;
      }
      visits++;
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, visits, errors, fundPay, cashPay, traceSteps };
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

function bench(engine: SettlementEngine, subjects: readonly Subject[], trace: boolean, rounds: number, warmup: number): RoundResult {
  const label = `engine trace=${trace ? 'on' : 'off'}`;
  for (let i = 0; i < warmup; i++) round(engine, subjects, trace);
  const results: RoundResult[] = [];
  for (let i = 0; i < rounds; i++) results.push(round(engine, subjects, trace));
  const first = results[0] as RoundResult;
  for (const r of results) {
    if (r.fundPay !== first.fundPay || r.cashPay !== first.cashPay || r.errors !== first.errors) throw new Error(`${label}: rounds disagree`);
  }
  const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
  const median = [...results].sort((a, b) => a.ms - b.ms)[Math.floor(results.length / 2)] as RoundResult;
  console.log(
    `${label}: ${fmtInt((best.visits / best.ms) * 1000)} visits/s (${fmtInt(best.visits)} visits in ${fmtInt(best.ms)} ms, best of ${rounds}; median ${fmtInt(median.ms)} ms)`,
  );
  console.log(
    `  checksum: fundPay ${fmtInt(first.fundPay)} fen, cashPay ${fmtInt(first.cashPay)} fen, errors ${first.errors}` + (trace ? `, trace steps ${fmtInt(first.traceSteps)}` : ''),
  );
  return first;
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const policies = loadPolicies();
  const engine = new SettlementEngine(policies);
  const t0 = process.hrtime.bigint();
  const subjects = population(o.seed, o.persons, o.visits, policies);
  const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const total = subjects.reduce((n, s) => n + s.visits.length, 0);
  console.log(
    `built ${fmtInt(total)} visits for ${fmtInt(subjects.length)} persons in ${fmtInt(buildMs)} ms (seed ${o.seed}); node ${process.version}, warm-up ${o.warmup} round(s)`,
  );
  const off = o.mode !== 'on' ? bench(engine, subjects, false, o.rounds, o.warmup) : undefined;
  const on = o.mode !== 'off' ? bench(engine, subjects, true, o.traceRounds, o.warmup) : undefined;
  if (off && on && (off.fundPay !== on.fundPay || off.cashPay !== on.cashPay || off.errors !== on.errors)) {
    throw new Error('the trace changed what was settled');
  }
}

// Run when started as a script (the population is also used by checks that import this file).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
