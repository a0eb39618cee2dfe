/**
 * The synthetic population the service benchmarks settle: persons of two cities (Puyang employees
 * in 2023, Luoyang residents in 2024), each going to a few institutions of a fixed registry, and
 * request bodies that make a new visit for one of them each time.
 */
import { MS_PER_DAY } from '../src/calendar/calendar.js';

/** mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface InstitutionJson {
  id: string;
  tier: 'primary' | 'county' | 'city' | 'province';
  grade: 0 | 1 | 2 | 3;
  contracted: boolean;
}

interface PersonJson {
  id: string;
  region: string;
  scheme: 'employee' | 'resident';
  category: string;
  hardship?: string;
  familyDoctorAt?: string;
  enrollment?: { paidOn: string; coverageYear: number; transfer?: boolean };
}

export interface Subject {
  person: PersonJson;
  /** Where this person goes: a few institutions of the person's city. */
  favourites: InstitutionJson[];
  /** Start of the person's visits (epoch ms) and how many were sent. */
  start: number;
  sent: number;
}

const HOUR_MS = 3_600_000;

/** A fixed registry per city: an institution's tier, grade and contract never change. */
function registry(next: () => number, prefix: string, count: number): InstitutionJson[] {
  const tiers = ['primary', 'primary', 'primary', 'county', 'county', 'city', 'province'] as const;
  const out: InstitutionJson[] = [];
  for (let i = 0; i < count; i++) {
    const tier = tiers[Math.floor(next() * tiers.length)] as InstitutionJson['tier'];
    const grade = (tier === 'primary' ? Math.floor(next() * 2) : 1 + Math.floor(next() * 3)) as InstitutionJson['grade'];
    out.push({ id: `${prefix}${String(i).padStart(4, '0')}`, tier, grade, contracted: next() >= 0.03 });
  }
  return out;
}

export function population(seed: number, count: number): Subject[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const puyang = registry(next, 'PY', 300);
  const luoyang = registry(next, 'LY', 300);
  const hardships = ['tekun', 'dibao', 'fanpin', 'monitored', 'jiandang', 'rural-tekun', 'other'];
  const subjects: Subject[] = [];
  for (let p = 0; p < count; p++) {
    const employee = next() < 0.5;
    const pool = employee ? puyang : luoyang;
    const favourites = [pick(pool), pick(pool), pick(pool)];
    const id = `P${String(p).padStart(7, '0')}`;
    let person: PersonJson;
    let yearStart: number;
    if (employee) {
      // Puyang employees (濮阳 410900), 2023.
      person = { id, region: '410900', scheme: 'employee', category: next() < 0.7 ? 'active' : 'retired' };
      if (next() < 0.5) person.enrollment = { paidOn: `2022-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}-15`, coverageYear: 2023 };
      yearStart = Date.parse('2023-01-01T00:00:00+08:00');
    } else {
      // Luoyang residents (洛阳 410300), 2024; most paid in the concentrated period, some late.
      person = { id, region: '410300', scheme: 'resident', category: next() < 0.85 ? 'adult' : 'student' };
      if (next() < 0.06) person.hardship = pick(hardships);
      const r = next();
      if (r < 0.6)
        person.enrollment = { paidOn: `2023-${String(9 + Math.floor(next() * 4)).padStart(2, '0')}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`, coverageYear: 2024 };
      else if (r < 0.7) person.enrollment = { paidOn: `2024-0${1 + Math.floor(next() * 3)}-10`, coverageYear: 2024, transfer: next() < 0.1 };
      yearStart = Date.parse('2024-01-01T00:00:00+08:00');
    }
    const primary = favourites.find((i) => i.tier === 'primary');
    if (primary && next() < 0.4) person.familyDoctorAt = primary.id;
    // Visits start on one of the first 200 days, between 07:00 and 12:00 China time.
    const start = yearStart + Math.floor(next() * 200) * MS_PER_DAY + 7 * HOUR_MS + Math.floor(next() * 300) * 60_000;
    subjects.push({ person, favourites, start, sent: 0 });
  }
  return subjects;
}

/**
 * Request bodies: each call makes a new visit for a person (persons in a shuffled round robin),
 * with a request id and visit id never used before. A person's k-th visit is 5 h after the
 * (k−1)-th (so some fall the same day, at the same institution), at one of the person's
 * favourite institutions; amounts in yuan, some with a part outside the policy range.
 */
export class Requests {
  private readonly order: number[];
  private cursor = 0;
  private seq = 0;
  private readonly next: () => number;
  constructor(
    private readonly subjects: Subject[],
    private readonly tag: string,
    seed: number,
  ) {
    this.next = rng(seed ^ 0x5bd1e995);
    this.order = subjects.map((_, i) => i);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [this.order[i], this.order[j]] = [this.order[j] as number, this.order[i] as number];
    }
  }

  get made(): number {
    return this.seq;
  }

  body(): string {
    const s = this.subjects[this.order[this.cursor] as number] as Subject;
    this.cursor = (this.cursor + 1) % this.order.length;
    const k = s.sent++ % 600; // 600 × 5 h = 125 days: stays inside the year
    const n = ++this.seq;
    const institution = s.favourites[Math.floor(this.next() * s.favourites.length)] as InstitutionJson;
    const fen = this.next() < 0.9 ? 500 + Math.floor(this.next() * 40_000) : 40_000 + Math.floor(this.next() * 260_000);
    const outside = this.next() < 0.4 ? 0 : Math.floor((fen * Math.floor(this.next() * 3000)) / 10_000);
    const yuan = (f: number) => `${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}`;
    const visit: Record<string, unknown> = {
      id: `${this.tag}-v${n}`,
      time: new Date(s.start + k * 5 * HOUR_MS).toISOString(),
      type: 'outpatient',
      institution,
      total: yuan(fen),
    };
    if (outside > 0) visit.eligible = yuan(fen - outside);
    return JSON.stringify({ requestId: `${this.tag}-r${n}`, person: s.person, visit });
  }
}
