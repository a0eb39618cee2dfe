/**
 * A synthetic clearing month (清算月) of the ledger for bench/clearing: the rows the settle and
 * reverse paths would have written for a month of settlements, made in batches for a bulk load.
 *
 * Three cities and their districts (县区): Luoyang (洛阳 410300) residents under luoyang-2024
 * (普通门诊, 两病门诊用药, 分娩) and employees' prenatal visits (职工围产保健); Puyang (濮阳 410900)
 * employees under puyang-2022 (普通门诊统筹); Linfen (临汾 141000) residents' inpatient stays under
 * linfen-2019 (住院, with its 大病保险 layer). Several hundred institutions, coded as the national
 * platform codes them (H + district + number). Every amount is the real engine's
 * (SettlementEngine, trace off) on the person's own accumulators, so the money identity, the caps,
 * the deductible windows and the later layers are what the ledger would hold.
 *
 * A person's month is made at once: their visits in time order (some back at the same institution
 * the same day), some reversed (冲正) — most within hours, a few days later, some of them in the
 * next month — and some of those settled again. A tenth of the persons also had a visit in the last
 * days of the month before, and a quarter of those are reversed in this month. Each entry goes
 * through the engine in the order of its time; a reversal gives back what its settlement took from
 * the caps, the window and the layers, as reverse.ts does.
 *
 * Rows are objects keyed by column, as the ledger's tables (src/ledger/schema.ts) hold them; the
 * settlements row is decide.ts settlementRow's, the reversal's reverse.ts's. Bodies are small (the
 * entry's ids and amounts, no trace). No audit rows and no personal-account payments: visits do not
 * ask the account to pay.
 */
import { randomFillSync } from 'node:crypto';
import { chinaDay, dayOf, formatDate, MS_PER_DAY } from '../src/calendar/calendar.js';
import type { Category, Hardship, Tier } from '../src/domain.js';
import type { AccumulatorChanges, Accumulators, DeductibleWindow } from '../src/engine/accumulators.js';
import { SettlementError } from '../src/engine/errors.js';
import type { SettlementEngine } from '../src/engine/settle.js';
import type { Institution, Person, Settlement, Visit } from '../src/engine/types.js';
import { settlementRow } from '../src/ledger/decide.js';
import { personRowOf, recordOfPerson } from '../src/ledger/registry.js';
import type { SettlementLayersTable, SettlementsTable } from '../src/ledger/schema.js';
import type { Actor } from '../src/ledger/types.js';
import type { SettleOne } from '../src/request/settle-one.js';

export type Row = Record<string, string | number | null>;

/** One batch of rows, by table. */
export interface Batch {
  persons: Row[];
  institutions: Row[];
  enrollments: Row[];
  visits: Row[];
  settlements: Row[];
  settlement_layers: Row[];
  cap_usage: Row[];
  deductible_windows: Row[];
}

export const TABLES = [
  'persons',
  'institutions',
  'enrollments',
  'visits',
  'settlements',
  'settlement_layers',
  'cap_usage',
  'deductible_windows',
] as const satisfies readonly (keyof Batch)[];

const emptyBatch = (): Batch => ({ persons: [], institutions: [], enrollments: [], visits: [], settlements: [], settlement_layers: [], cap_usage: [], deductible_windows: [] });

/** What the month holds, counted as it is made. */
export interface MonthCounts {
  persons: number;
  /** Settlements made in the month (the --settles asked for). */
  settlements: number;
  /** Settlements of the month before (its last days). */
  settlementsBefore: number;
  reversalsOfMonth: number;
  reversalsOfMonthBefore: number;
  /** Reversals made after the month (of the month's settlements). */
  reversalsAfter: number;
  /** Visits settled again after their reversal. */
  resettled: number;
  /** Visits the engine refused (no row, as the settle path writes none). */
  refused: number;
  layerRows: number;
}

/** A district (县区) of a city. */
export interface District {
  code: string;
  name: string;
  level: 'urban' | 'county';
}

export interface City {
  region: string;
  name: string;
  districts: District[];
  institutions: number;
}

const d = (code: string, name: string, level: 'urban' | 'county' = 'county'): District => ({ code, name, level });

/** Luoyang's 偃师区 and 孟津区 are districts paid as counties (洛医保〔2023〕63号 三(二): 各县（含偃师区、孟津区）). */

/** The cities, their districts and how many institutions each has. */
export const CITIES: Record<'luoyang' | 'puyang' | 'linfen', City> = {
  luoyang: {
    region: '410300',
    name: '洛阳市',
    institutions: 420,
    districts: [
      d('410302', '老城区', 'urban'),
      d('410303', '西工区', 'urban'),
      d('410304', '瀍河回族区', 'urban'),
      d('410305', '涧西区', 'urban'),
      d('410307', '偃师区'),
      d('410308', '孟津区'),
      d('410311', '洛龙区', 'urban'),
      d('410323', '新安县'),
      d('410324', '栾川县'),
      d('410325', '嵩县'),
      d('410326', '汝阳县'),
      d('410327', '宜阳县'),
      d('410328', '洛宁县'),
      d('410329', '伊川县'),
    ],
  },
  puyang: {
    region: '410900',
    name: '濮阳市',
    institutions: 260,
    districts: [d('410902', '华龙区', 'urban'), d('410922', '清丰县'), d('410923', '南乐县'), d('410926', '范县'), d('410927', '台前县'), d('410928', '濮阳县')],
  },
  linfen: {
    region: '141000',
    name: '临汾市',
    institutions: 160,
    districts: [
      d('141002', '尧都区', 'urban'),
      d('141021', '曲沃县'),
      d('141022', '翼城县'),
      d('141023', '襄汾县'),
      d('141024', '洪洞县'),
      d('141025', '古县'),
      d('141026', '安泽县'),
      d('141027', '浮山县'),
      d('141028', '吉县'),
      d('141029', '乡宁县'),
      d('141030', '大宁县'),
      d('141031', '隰县'),
      d('141032', '永和县'),
      d('141033', '蒲县'),
      d('141034', '汾西县'),
      d('141081', '侯马市'),
      d('141082', '霍州市'),
    ],
  },
};

/** An institution of the registry, with its district. */
export interface BenchInstitution extends Institution {
  region: string;
  district: string;
}

/** mulberry32, with the helpers the month needs. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  u32(): number {
    return Math.floor(this.next() * 4294967296);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  /** A whole number ≥ 0, exponentially distributed with this mean (rounded down). */
  exp(mean: number): number {
    return Math.floor(-Math.log(1 - this.next()) * mean);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** 32 bits as 8 hex digits. */
const hex8 = (n: number) => `${HEX[n >>> 24]}${HEX[(n >>> 16) & 255]}${HEX[(n >>> 8) & 255]}${HEX[n & 255]}`;
/** 16 bits as 4 hex digits. */
const hex4 = (n: number) => `${HEX[(n >>> 8) & 255]}${HEX[n & 255]}`;

/** A UUIDv7 (ids.ts's layout) for an entry made at `ms`: the time, then random bits from `rng`. */
function uuid7(ms: number, rng: Rng): string {
  const r1 = rng.u32();
  const r2 = rng.u32();
  const r3 = rng.u32();
  return `${hex8(Math.floor(ms / 65536))}-${hex4(ms % 65536)}-${hex4(0x7000 | (r1 >>> 20))}-${hex4(0x8000 | (r1 & 0x3fff))}-${hex4(r2 >>> 16)}${hex8(r3)}`;
}

/** The registry: each city's institutions, coded H + district + number, in every tier and grade. */
export function institutionsOf(rng: Rng): Record<keyof typeof CITIES, BenchInstitution[]> {
  const make = (city: City): BenchInstitution[] => {
    const out: BenchInstitution[] = [];
    for (let i = 0; i < city.institutions; i++) {
      const district = city.districts[i % city.districts.length] as District;
      const tier: Tier =
        i < city.districts.length * 2
          ? district.level === 'urban'
            ? rng.pick(['city', 'city', 'province'] as const)
            : 'county'
          : rng.pick(['primary', 'primary', 'primary', 'county'] as const);
      const grade = tier === 'primary' ? rng.pick([0, 1] as const) : tier === 'county' ? rng.pick([1, 2, 2] as const) : rng.pick([2, 3, 3] as const);
      out.push({ id: `H${district.code}${String(i).padStart(5, '0')}`, tier, grade, contracted: !rng.chance(0.03), region: city.region, district: district.code });
    }
    return out;
  };
  return { luoyang: make(CITIES.luoyang), puyang: make(CITIES.puyang), linfen: make(CITIES.linfen) };
}

/** The month: `start` and `end` (exclusive) in epoch ms, China time. */
export interface MonthSpan {
  period: string;
  start: number;
  end: number;
}

export function monthSpan(period: string): MonthSpan {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const start = dayOf(y, m, 1) * MS_PER_DAY - 8 * 3_600_000;
  const end = (m === 12 ? dayOf(y + 1, 1, 1) : dayOf(y, m + 1, 1)) * MS_PER_DAY - 8 * 3_600_000;
  return { period, start, end };
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const ACTOR: Actor = { id: 'K-bench-clearing', role: 'institution' };

type Group = 'ly-resident' | 'py-employee' | 'lf-resident' | 'ly-prenatal';
/** Shares of the persons. With the visits each makes, about 6.5 settlements a person. */
const GROUPS: readonly [Group, number][] = [
  ['ly-resident', 0.5],
  ['py-employee', 0.38],
  ['lf-resident', 0.1],
  ['ly-prenatal', 0.02],
];

function pickGroup(r: number): Group {
  let sum = 0;
  for (const [g, share] of GROUPS) if (r < (sum += share)) return g;
  return 'ly-resident';
}

/** The person's own accumulators, as the ledger's tables hold them (a window given back to nothing is gone). */
class PersonAccumulators implements Accumulators {
  /** By bucket, then year. */
  readonly caps = new Map<string, Map<number, number>>();
  readonly windows = new Map<string, { bucket: string; institution: string; window: DeductibleWindow }>();
  capUsed(bucket: string, year: number): number {
    return this.caps.get(bucket)?.get(year) ?? 0;
  }
  deductibleWindow(bucket: string, institutionId: string, day: number): DeductibleWindow | undefined {
    return this.windows.get(`${bucket}\u0000${institutionId}\u0000${day}`)?.window;
  }
  setCap(bucket: string, year: number, used: number): void {
    let years = this.caps.get(bucket);
    if (!years) this.caps.set(bucket, (years = new Map()));
    years.set(year, used);
  }
  apply(c: AccumulatorChanges): void {
    if (c.cap) this.setCap(c.cap.bucket, c.cap.year, c.cap.after);
    for (const l of c.layers ?? []) this.setCap(l.bucket, l.year, l.after);
    const w = c.deductibleWindow;
    if (w) this.windows.set(`${w.bucket}\u0000${w.institutionId}\u0000${w.window.day}`, { bucket: w.bucket, institution: w.institutionId, window: w.window });
  }
}

/** One of a person's entries to make, at its time. */
interface Event {
  at: number;
  visit: Visit;
  /** A reversal: the settle event it reverses. */
  reverses?: Event;
  /** A settle: the row it made (undefined when refused), its layer rows. */
  row?: SettlementsTable;
  layers?: SettlementLayersTable[];
}

export interface MonthOptions {
  period: string;
  settles: number;
  seed: number;
  batchSize: number;
}

/**
 * The month's rows, a batch at a time (about `batchSize` settlements each, a person's rows never
 * split). `counts` is filled in as the batches are made.
 */
export function* monthBatches(engine: SettlementEngine, o: MonthOptions, counts: MonthCounts): Generator<Batch> {
  const rng = new Rng(o.seed);
  const span = monthSpan(o.period);
  const before = span.start - 4 * MS_PER_DAY;
  const year = new Date(span.start + 8 * HOUR).getUTCFullYear();
  const registry = institutionsOf(rng);
  const used = new Set<string>();
  const perDistrict = new Map<string, number>();
  let visitSeq = 0;
  const requestSeq = new Map<string, number>();
  /**
   * A request id as the national interface numbers a message (报文ID msgid): the institution's
   * code, the time (yyyyMMddHHmmss, China time) and the institution's own sequence number.
   */
  const requestIdOf = (institution: string, at: number): string => {
    const n = (requestSeq.get(institution) ?? 0) + 1;
    requestSeq.set(institution, n);
    return `${institution}${chinaStamp(at)}${String(n).padStart(6, '0')}`;
  };
  let batch = emptyBatch();
  const full: Batch[] = [];
  const ymd = (y: number, m: number, day: number) => dayOf(y, m, day);

  /** A visit time in the span [from, to) of days: 07:00–21:00 China time. */
  const timeIn = (from: number, days: number) => from + rng.int(0, days - 1) * MS_PER_DAY + rng.int(7 * 60, 21 * 60 - 1) * MINUTE;
  const days = Math.round((span.end - span.start) / MS_PER_DAY);

  while (counts.settlements < o.settles) {
    const group = pickGroup(rng.next());
    const cityKey = group === 'py-employee' ? 'puyang' : group === 'lf-resident' ? 'linfen' : 'luoyang';
    const city = CITIES[cityKey];
    const pool = registry[cityKey];
    const district = rng.pick(city.districts);
    const seq = (perDistrict.get(district.code) ?? 0) + 1;
    perDistrict.set(district.code, seq);
    const id = `${district.code}${String(seq).padStart(8, '0')}`;
    const local = pool.filter((i) => i.district === district.code);
    const favourites = [rng.pick(local), rng.pick(local), rng.pick(pool)];
    const person: Person = { id, region: city.region, scheme: group === 'py-employee' || group === 'ly-prenatal' ? 'employee' : 'resident', category: 'adult' };
    const plan: { type: Visit['type']; at: number }[] = [];
    const budget = o.settles - counts.settlements;
    if (group === 'ly-resident' || group === 'lf-resident') {
      person.category = rng.pick<Category>(['adult', 'adult', 'adult', 'adult', 'adult', 'adult', 'child', 'student']);
      if (rng.chance(0.06)) person.hardship = rng.pick<Hardship>(['tekun', 'dibao', 'fanpin', 'monitored', 'jiandang', 'rural-tekun', 'other']);
    } else {
      person.category = rng.chance(0.7) ? 'active' : 'retired';
      person.employment = 'employer';
      if (group === 'py-employee' && rng.chance(0.04)) person.accountReformed = false;
    }
    if (group === 'ly-resident') {
      const primary = favourites.find((i) => i.tier === 'primary');
      if (primary && rng.chance(0.4)) person.familyDoctorAt = primary.id;
      const e = rng.next();
      if (e < 0.88) person.enrollment = { paidOn: ymd(year - 1, rng.int(9, 12), rng.int(1, 28)), coverageYear: year, transfer: false };
      else if (e < 0.96) person.enrollment = { paidOn: ymd(year, rng.int(1, 2), rng.int(1, 28)), coverageYear: year, transfer: rng.chance(0.1) };
    } else if (group !== 'lf-resident' && rng.chance(0.85)) {
      person.enrollment = { paidOn: ymd(year - 1, rng.int(1, 12), rng.int(1, 28)), coverageYear: year, transfer: false };
    }
    // The month's visits: how many of each type.
    const types: Visit['type'][] = [];
    const add = (type: Visit['type'], n: number) => {
      for (let i = 0; i < n; i++) types.push(type);
    };
    if (group === 'ly-resident') {
      add('outpatient', 1 + rng.exp(6));
      if (rng.chance(0.12)) add('two-diseases', rng.int(1, 2));
      if (rng.chance(0.004)) add(rng.chance(0.65) ? 'birth-natural' : 'birth-cesarean', 1);
    } else if (group === 'py-employee') add('outpatient', 1 + rng.exp(6.5));
    else if (group === 'lf-resident') add('inpatient', rng.chance(0.85) ? 1 : 2);
    else add('prenatal', rng.int(1, 3));
    types.length = Math.min(types.length, budget);
    for (const type of types) plan.push({ type, at: timeIn(span.start, days) });
    // A tenth also came in the last days of the month before.
    if (rng.chance(0.1)) plan.push({ type: types[0] ?? 'outpatient', at: timeIn(before, 4) });
    plan.sort((a, b) => a.at - b.at);
    // Some visits are back at the same institution the same day (one deductible window).
    const visits: Visit[] = [];
    let prev: Visit | undefined;
    for (const p of plan) {
      let institution: Institution = rng.chance(0.8) ? rng.pick(favourites) : rng.pick(pool);
      let time = p.at;
      if (prev && prev.type === 'outpatient' && p.type === 'outpatient' && rng.chance(0.15)) {
        // Back the same day at the same institution: the same deductible window.
        const again = prev.time + rng.int(1, 4) * HOUR + rng.int(0, 59) * MINUTE;
        if (chinaDay(again) === chinaDay(prev.time) && again < span.end - HOUR) {
          time = again;
          institution = prev.institution;
        }
      }
      const total = amount(rng, p.type);
      const eligible = rng.chance(0.4) ? total : total - Math.floor((total * rng.int(0, 3000)) / 10_000);
      const visit: Visit = {
        id: `MD${String(++visitSeq).padStart(10, '0')}`,
        time,
        type: p.type,
        institution: { id: institution.id, tier: institution.tier, grade: institution.grade, contracted: institution.contracted },
        total,
        eligible,
        useAccount: false,
      };
      if (p.type === 'inpatient') visit.admittedAt = time - rng.int(2, 20) * MS_PER_DAY - rng.int(0, 600) * MINUTE;
      visits.push(visit);
      prev = visit;
    }
    // The events: each settle a few minutes after its visit; some reversed, some settled again.
    const events: Event[] = [];
    let room = budget - visits.filter((v) => v.time >= span.start).length;
    for (const visit of visits) {
      const settle: Event = { at: visit.time + (visit.type === 'inpatient' ? rng.int(10, 120) : rng.int(1, 30)) * MINUTE + rng.int(0, 59_999), visit };
      events.push(settle);
      const ofBefore = settle.at < span.start;
      if (!rng.chance(ofBefore ? 0.25 : 0.016)) continue;
      const soon = !ofBefore && rng.chance(0.6);
      const at = soon ? settle.at + rng.int(2, 180) * MINUTE : ofBefore ? span.start + rng.int(0, 5 * 24 * 60) * MINUTE : settle.at + rng.int(1, 12) * MS_PER_DAY;
      events.push({ at, visit, reverses: settle });
      const again = at + rng.int(5, 60) * MINUTE;
      if (soon && room > 0 && again < span.end && rng.chance(0.6)) {
        events.push({ at: again, visit });
        room--;
      }
    }
    events.sort((a, b) => a.at - b.at);
    makePerson(person, district.code, events);
    while (full.length > 0) yield full.shift() as Batch;
  }
  if (batch.settlements.length > 0) yield batch;

  function makePerson(person: Person, district: string, events: Event[]): void {
    const acc = new PersonAccumulators();
    const seen = new Set<string>();
    let first: number | undefined;
    for (const ev of events) {
      if (ev.reverses) {
        const original = ev.reverses.row;
        if (original) reverse(acc, ev, original, ev.reverses.layers ?? []);
        continue;
      }
      let s: Settlement;
      try {
        s = engine.settle(person, ev.visit, acc, {});
      } catch (e) {
        if (!(e instanceof SettlementError)) throw e;
        counts.refused++;
        continue;
      }
      acc.apply(s.changes);
      first ??= ev.at;
      const inst = ev.visit.institution;
      if (!used.has(inst.id)) {
        used.add(inst.id);
        batch.institutions.push({ id: inst.id, name: null, tier: inst.tier, grade: inst.grade, contracted: inst.contracted ? 1 : 0, region: person.region, updated_at: ev.at });
      }
      if (!seen.has(ev.visit.id)) {
        seen.add(ev.visit.id);
        const v = ev.visit;
        batch.visits.push({
          id: v.id,
          person_id: person.id,
          institution_id: inst.id,
          time_ms: v.time,
          visit_date: formatDate(s.date),
          type: v.type,
          total_fen: v.total,
          eligible_fen: v.eligible,
        });
      } else counts.resettled++;
      const id = `S-${uuid7(ev.at, rng)}`;
      const requestId = requestIdOf(inst.id, ev.at);
      const y = yuan;
      const date = formatDate(s.date);
      // JSON.stringify's text for these fields (ids, codes and numbers: nothing to escape), built directly.
      const body =
        `{"id":"${id}","kind":"settlement","requestId":"${requestId}","createdAt":"${new Date(ev.at).toISOString()}","institution":"${inst.id}","visitId":"${ev.visit.id}",` +
        `"policyId":"${s.policyId}","benefit":"${s.benefit}","date":"${date}","eligibility":"${s.eligibility}","total":${y(s.total)},"fundPay":${y(s.fundPay)},` +
        `"criticalIllnessPay":${y(s.criticalIllnessPay)},"assistancePay":${y(s.assistancePay)},"accountPay":${y(s.accountPay)},"cashPay":${y(s.cashPay)}}`;
      const req = { requestId, hash: requestHash(), person: { id: person.id }, visit: { id: ev.visit.id, institution: { id: inst.id } } } as unknown as SettleOne;
      const row = settlementRow(id, req, s, date, body, ACTOR, ev.at);
      ev.row = row;
      batch.settlements.push(row as unknown as Row);
      if (ev.at >= span.start && ev.at < span.end) counts.settlements++;
      else counts.settlementsBefore++;
      if (s.changes.layers) {
        ev.layers = s.changes.layers.map((l) => ({ settlement_id: id, person_id: person.id, year: l.year, bucket: l.bucket, change_fen: l.after - l.before, after_fen: l.after }));
        for (const l of ev.layers) batch.settlement_layers.push(l as unknown as Row);
        counts.layerRows += ev.layers.length;
      }
    }
    if (first === undefined) return;
    counts.persons++;
    batch.persons.push({ ...personRowOf(recordOfPerson(person), first), district });
    const e = person.enrollment;
    if (e) {
      const paidOn = formatDate(e.paidOn);
      batch.enrollments.push({
        id: `${person.id}:${e.coverageYear}:${paidOn}`,
        person_id: person.id,
        coverage_year: e.coverageYear,
        paid_on: paidOn,
        transfer: e.transfer ? 1 : 0,
        recorded_at: first,
      });
    }
    for (const [bucket, years] of acc.caps) for (const [year, used] of years) batch.cap_usage.push({ person_id: person.id, year, bucket, used_fen: used });
    for (const w of acc.windows.values())
      batch.deductible_windows.push({ person_id: person.id, bucket: w.bucket, institution_id: w.institution, day: w.window.day, borne_fen: w.window.borne });
    if (batch.settlements.length >= o.batchSize) {
      full.push(batch);
      batch = emptyBatch();
    }
  }

  /** A reversal (冲正) as reverse.ts makes it: the amounts negated, the accumulators given back. */
  function reverse(acc: PersonAccumulators, ev: Event, original: SettlementsTable, layers: readonly SettlementLayersTable[]): void {
    const fund = original.fund_pay_fen;
    const deductible = original.deductible_fen;
    let capAfter: number | null = null;
    if (original.cap_bucket !== null && original.cap_year !== null && fund !== 0) {
      capAfter = acc.capUsed(original.cap_bucket, original.cap_year) - fund;
      acc.setCap(original.cap_bucket, original.cap_year, capAfter);
    }
    let windowAfter: number | null = null;
    if (original.window_bucket !== null && original.window_day !== null && deductible !== 0) {
      const key = `${original.window_bucket}\u0000${original.institution_id}\u0000${original.window_day}`;
      const w = acc.windows.get(key);
      if (!w) throw new Error(`bench: ${original.id} bore a deductible in a window the person does not hold`);
      windowAfter = w.window.borne - deductible;
      if (windowAfter > 0) w.window = { day: w.window.day, borne: windowAfter };
      else acc.windows.delete(key);
    }
    const id = `R-${uuid7(ev.at, rng)}`;
    for (const l of layers) {
      const after = acc.capUsed(l.bucket, l.year) - l.change_fen;
      acc.setCap(l.bucket, l.year, after);
      batch.settlement_layers.push({ settlement_id: id, person_id: l.person_id, year: l.year, bucket: l.bucket, change_fen: -l.change_fen, after_fen: after });
      counts.layerRows++;
    }
    const requestId = requestIdOf(original.institution_id, ev.at);
    const y = (v: number) => yuan(-v);
    const body =
      `{"id":"${id}","kind":"reversal","requestId":"${requestId}","reverses":"${original.id}","createdAt":"${new Date(ev.at).toISOString()}",` +
      `"institution":"${original.institution_id}","visitId":"${original.visit_id}","person":"${original.person_id}","total":${y(original.total_fen)},"fundPay":${y(fund)},` +
      `"criticalIllnessPay":${y(original.critical_illness_pay_fen)},"assistancePay":${y(original.assistance_pay_fen)},"accountPay":${y(original.account_pay_fen)},"cashPay":${y(original.cash_pay_fen)}}`;
    const row: SettlementsTable = {
      ...original,
      id,
      request_id: requestId,
      request_hash: `reverse:${original.id}`,
      kind: 'reversal',
      reverses: original.id,
      total_fen: -original.total_fen,
      eligible_fen: -original.eligible_fen,
      deductible_fen: -deductible,
      fund_pay_fen: -fund,
      critical_illness_pay_fen: -original.critical_illness_pay_fen,
      assistance_pay_fen: -original.assistance_pay_fen,
      account_pay_fen: -original.account_pay_fen,
      cash_pay_fen: -original.cash_pay_fen,
      cap_before_fen: null,
      cap_after_fen: capAfter,
      window_borne_after_fen: windowAfter,
      body,
      actor: ACTOR.id,
      created_at: ev.at,
    };
    batch.settlements.push(row as unknown as Row);
    if (original.created_at < span.start) counts.reversalsOfMonthBefore++;
    else if (ev.at < span.end) counts.reversalsOfMonth++;
    else counts.reversalsAfter++;
  }
}

const RANDOM = Buffer.alloc(1 << 16);
let randomAt = RANDOM.length;

const STAMP_DAYS = new Map<number, string>();

/** yyyyMMddHHmmss of an instant, China time. */
function chinaStamp(at: number): string {
  const day = chinaDay(at);
  let date = STAMP_DAYS.get(day);
  if (date === undefined) STAMP_DAYS.set(day, (date = formatDate(day).replaceAll('-', '')));
  const s = Math.floor((at + 8 * HOUR - day * MS_PER_DAY) / 1000);
  const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  return `${date}${two(Math.floor(s / 3600))}${two(Math.floor(s / 60) % 60)}${two(s % 60)}`;
}

/** A request hash as the settle path stores it (64 hex digits); random here. */
function requestHash(): string {
  if (randomAt + 32 > RANDOM.length) {
    randomFillSync(RANDOM);
    randomAt = 0;
  }
  randomAt += 32;
  return RANDOM.toString('hex', randomAt - 32, randomAt);
}

/** Fen as the JSON number of yuan toYuanNumber gives (265.75, 106.3, -12), without the round trip through a number. */
function yuan(fen: number): string {
  const a = fen < 0 ? -fen : fen;
  const whole = Math.floor(a / 100);
  const cents = a - whole * 100;
  const sign = fen < 0 ? '-' : '';
  if (cents === 0) return `${sign}${whole}`;
  if (cents % 10 === 0) return `${sign}${whole}.${cents / 10}`;
  return `${sign}${whole}.${cents < 10 ? '0' : ''}${cents}`;
}

/** A bill in fen for a visit type: mostly small outpatient bills, a few large; stays of thousands. */
function amount(rng: Rng, type: Visit['type']): number {
  switch (type) {
    case 'outpatient':
      return rng.chance(0.9) ? rng.int(500, 40_000) : rng.int(40_000, 300_000);
    case 'two-diseases':
      return rng.int(3_000, 24_000);
    case 'prenatal':
      return rng.int(10_000, 80_000);
    case 'birth-natural':
      return rng.int(200_000, 600_000);
    case 'birth-cesarean':
      return rng.int(500_000, 1_200_000);
    default:
      // Inpatient: 2,000 to 150,000 yuan, most near the low end.
      return Math.round(200_000 * Math.exp(rng.next() * Math.log(75)));
  }
}
