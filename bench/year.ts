/**
 * A synthetic year of settlements for bench/supervision: persons of Luoyang in its districts,
 * hospitals and pharmacies with their places, one enrollment each (a few enrolled twice), and the
 * year's settlements in time order, as ledger rows. The amounts obey the money identity (fund +
 * critical + assistance + account + cash = total) but are not the engine's: supervision reads the
 * rows, not how they were computed. Patterns the rules look for are planted at known rates: visits
 * split within a day, a card used far away within the hour, pharmacy purchases in round sums paid
 * by the account, institutions whose fund per visit is several times their peers'.
 */
import { CATEGORIES, HARDSHIP_GROUPS } from '../src/domain.js';
import { CITIES, type Rng } from './month.js';

export type Row = Record<string, string | number | null>;

export interface YearOptions {
  year: number;
  persons: number;
  settles: number;
  institutions: number;
  pharmacies: number;
  seed: number;
}

export interface YearInstitution {
  id: string;
  tier: string;
  grade: number;
  kind: 'medical' | 'pharmacy';
  longitude: number | null;
  latitude: number | null;
  /** Planted: fund per visit several times its peers'. */
  outlier: boolean;
}

const CHINA_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const DISTRICTS = CITIES.luoyang.districts.map((d) => d.code);
const REGION = CITIES.luoyang.region;

export const personId = (i: number) => `P${String(i).padStart(8, '0')}`;

/** Persons: 70% residents (adults, children, students), 30% employees; 4% in a hardship group. */
export function* persons(o: YearOptions, rng: Rng, at: number): Generator<Row> {
  for (let i = 0; i < o.persons; i++) {
    const resident = rng.chance(0.7);
    const category = resident ? (rng.chance(0.8) ? 'adult' : rng.chance(0.6) ? 'child' : 'student') : rng.chance(0.75) ? 'active' : 'retired';
    if (!CATEGORIES.includes(category as (typeof CATEGORIES)[number])) throw new Error(category);
    yield {
      id: personId(i),
      region: REGION,
      scheme: resident ? 'resident' : 'employee',
      category,
      hardship: rng.chance(0.04) ? rng.pick(HARDSHIP_GROUPS.slice(0, 5)) : null,
      family_doctor_at: null,
      employment: null,
      account_reformed: null,
      district: rng.pick(DISTRICTS),
      updated_at: at,
    };
  }
}

/** Hospitals in four tiers and pharmacies, spread over about 100 km; 2% have no recorded place. */
export function institutions(o: YearOptions, rng: Rng): YearInstitution[] {
  const out: YearInstitution[] = [];
  for (let i = 0; i < o.institutions; i++) {
    const pharmacy = i >= o.institutions - o.pharmacies;
    const u = rng.next();
    const tier = pharmacy ? 'primary' : u < 0.7 ? 'primary' : u < 0.9 ? 'county' : u < 0.98 ? 'city' : 'province';
    const placed = !rng.chance(0.02);
    out.push({
      id: `${pharmacy ? 'Y' : 'H'}${String(i).padStart(5, '0')}`,
      tier,
      grade: pharmacy ? 0 : tier === 'primary' ? 1 : tier === 'county' ? 2 : 3,
      kind: pharmacy ? 'pharmacy' : 'medical',
      longitude: placed ? Math.round((111.8 + rng.next() * 1.1) * 1e6) / 1e6 : null,
      latitude: placed ? Math.round((34.2 + rng.next() * 0.7) * 1e6) / 1e6 : null,
      outlier: !pharmacy && i % 199 === 7,
    });
  }
  return out;
}

/** One enrollment a person for the year; 0.3% enrolled again elsewhere (重复参保). */
export function* enrollments(o: YearOptions, rng: Rng, at: number, scheme: (i: number) => string): Generator<Row> {
  for (let i = 0; i < o.persons; i++) {
    const base = {
      person_id: personId(i),
      coverage_year: o.year,
      transfer: 0,
      amount_fen: 38000,
      payer: null,
      recorded_at: at,
      request_id: null,
      request_hash: null,
      actor: null,
      scheme: scheme(i),
      category: null,
      hardship: null,
    };
    yield { ...base, id: `E${i}`, paid_on: `${o.year - 1}-12-01`, region: REGION };
    if (rng.chance(0.003)) yield { ...base, id: `E${i}b`, paid_on: `${o.year}-02-01`, region: CITIES.puyang.region };
  }
}

/** Counts of what was planted, for the bench to print beside what the rules found. */
export interface Planted {
  splits: number;
  farPairs: number;
  cashOutPersons: number;
}

/**
 * The year's settlements, day by day, each day's in time order. About 1 in 500 visits is followed
 * the same day by another at the same institution (a split); about 1 in 2,000 by one at another
 * institution within 30 minutes (far or near, as the places fall); 500 employees buy at one
 * pharmacy in round 100-yuan sums paid by their account every ten days or so.
 */
export function* settlements(o: YearOptions, rng: Rng, insts: YearInstitution[], schemeOf: (i: number) => string, planted: Planted): Generator<Row[]> {
  const medical = insts.filter((i) => i.kind === 'medical');
  const pharmacies = insts.filter((i) => i.kind === 'pharmacy');
  const start = Date.UTC(o.year, 0, 1) - CHINA_OFFSET_MS;
  const days = Math.round((Date.UTC(o.year + 1, 0, 1) - Date.UTC(o.year, 0, 1)) / DAY_MS);
  const perDay = Math.floor(o.settles / days);
  const cashOut = Array.from({ length: Math.min(500, o.persons) }, (_, k) => ({
    person: (k * 7919) % o.persons,
    pharmacy: pharmacies[k % pharmacies.length] as YearInstitution,
  })).filter((c) => schemeOf(c.person) === 'employee');
  planted.cashOutPersons = cashOut.length;
  let n = 0;
  for (let d = 0; d < days; d++) {
    const dayStart = start + d * DAY_MS;
    const rows: Row[] = [];
    const quota = d === days - 1 ? o.settles - n : perDay;
    const push = (person: number, inst: YearInstitution, time: number, inpatient: boolean, round: boolean) => {
      const scheme = schemeOf(person);
      const total = round ? 10_000 : inpatient ? rng.int(300_000, 3_000_000) : rng.int(1_500, 30_000);
      const factor = inst.outlier ? 6 : 1;
      const t = Math.min(total * factor, 9_000_000);
      const fund = inst.kind === 'pharmacy' ? 0 : Math.floor((t * rng.int(50, 80)) / 100);
      const critical = inpatient && t > 1_500_000 ? Math.floor((t - fund) / 4) : 0;
      const rest = t - fund - critical;
      const account = scheme === 'employee' && (inst.kind === 'pharmacy' || !inpatient) ? rest : 0;
      const visitType = inpatient ? 'inpatient' : 'outpatient';
      rows.push({
        request_hash: 'bench',
        kind: 'settlement',
        reverses: null,
        person_id: personId(person),
        visit_id: `V${n + rows.length}`,
        institution_id: inst.id,
        visit_date: new Date(time + CHINA_OFFSET_MS).toISOString().slice(0, 10),
        year: o.year,
        policy: '洛医保〔2023〕63号',
        benefit: `${scheme}-${visitType}`,
        eligibility: 'eligible',
        total_fen: t,
        eligible_fen: t,
        deductible_fen: 0,
        fund_pay_fen: fund,
        critical_illness_pay_fen: critical,
        assistance_pay_fen: 0,
        account_pay_fen: account,
        cash_pay_fen: rest - account,
        body: '{}',
        actor: 'bench',
        created_at: time,
      });
    };
    while (rows.length < quota) {
      // Heavier users first: a skewed pick of persons.
      const person = Math.min(o.persons - 1, Math.floor(o.persons * rng.next() ** 1.4));
      const time = dayStart + 8 * 3_600_000 + rng.int(0, 11 * 3_600_000);
      const pharmacy = rng.chance(0.22);
      const inst = pharmacy ? rng.pick(pharmacies) : rng.pick(medical);
      // Inpatient stays are residents' (the loaded policies have no employee inpatient benefit).
      const inpatient = !pharmacy && schemeOf(person) === 'resident' && rng.chance(0.06);
      push(person, inst, time, inpatient, false);
      if (rng.chance(0.002)) {
        push(person, inst, time + rng.int(10, 120) * 60_000, inpatient, false);
        planted.splits++;
      } else if (rng.chance(0.0005)) {
        push(person, rng.pick(medical), time + rng.int(5, 30) * 60_000, false, false);
        planted.farPairs++;
      }
    }
    for (const c of cashOut) if ((d + c.person) % 10 === 0) push(c.person, c.pharmacy, dayStart + 10 * 3_600_000 + (c.person % 3_600) * 1000, false, true);
    rows.sort((a, b) => (a.created_at as number) - (b.created_at as number));
    n += rows.length;
    yield rows;
  }
}
