/**
 * Supervision data made by hand for the rules' tests (src/monitoring/rules/*.test.ts): persons,
 * institutions and visits in the words a reader checks against the comments, turned into the
 * columns the rules read (through ColumnsBuilder, as the ledger does).
 */
import { CATEGORIES, SCHEMES, TIERS, VISIT_TYPES, type Category, type Scheme, type Tier, type VisitType } from '../../src/domain.js';
import { ColumnsBuilder } from '../../src/monitoring/columns.js';
import { INSTITUTION_KINDS, KIND_UNKNOWN, type EnrollmentRow, type InstitutionKind, type MonitoringData, type RunContext } from '../../src/monitoring/types.js';

export interface PersonSpec {
  id?: string;
  scheme?: Scheme;
  category?: Category;
}

export interface InstitutionSpec {
  id?: string;
  /** 'unknown': not recorded (255). */
  tier?: Tier | 'unknown';
  grade?: number;
  kind?: InstitutionKind | 'unknown';
  /** Degrees; absent: not recorded (NaN). */
  lat?: number;
  lon?: number;
}

export interface VisitSpec {
  person: number;
  institution: number;
  /** China time, '2024-03-05 10:00' (or with seconds), or epoch ms. */
  at: string | number;
  type?: VisitType;
  /** Fen. */
  fund?: number;
  critical?: number;
  assistance?: number;
  account?: number;
  cash?: number;
  /** Default: the sum of the parts. */
  total?: number;
}

/** Epoch ms of a China time '2024-03-05 10:00[:ss]'. */
export function at(text: string): number {
  const iso = text.length === 16 ? `${text}:00` : text;
  const ms = Date.parse(`${iso.replace(' ', 'T')}+08:00`);
  if (Number.isNaN(ms)) throw new Error(`bad time ${text}`);
  return ms;
}

/** The span [from day 00:00, to day + 1 00:00) in China time, as a RunContext. */
export function span(fromDay: string, toDay: string, extra: Partial<RunContext> = {}): RunContext {
  return { fromMs: at(`${fromDay} 00:00`), toMs: at(`${toDay} 00:00`) + 86_400_000, ...extra };
}

export function monitoringData(spec: {
  persons: number | PersonSpec[];
  institutions: number | InstitutionSpec[];
  visits: VisitSpec[];
  enrollments?: EnrollmentRow[];
}): MonitoringData {
  const persons: PersonSpec[] = typeof spec.persons === 'number' ? Array.from({ length: spec.persons }, () => ({})) : spec.persons;
  const insts: InstitutionSpec[] = typeof spec.institutions === 'number' ? Array.from({ length: spec.institutions }, () => ({})) : spec.institutions;
  const b = new ColumnsBuilder(persons.length, spec.visits.length);
  for (const v of spec.visits) {
    const fund = v.fund ?? 0;
    const critical = v.critical ?? 0;
    const assistance = v.assistance ?? 0;
    const account = v.account ?? 0;
    const cash = v.cash ?? 0;
    b.push({
      person: v.person,
      institution: v.institution,
      timeMs: typeof v.at === 'number' ? v.at : at(v.at),
      visitType: VISIT_TYPES.indexOf(v.type ?? 'outpatient'),
      totalFen: v.total ?? fund + critical + assistance + account + cash,
      fundFen: fund,
      criticalFen: critical,
      assistanceFen: assistance,
      accountFen: account,
      cashFen: cash,
    });
  }
  return {
    persons: {
      ids: persons.map((p, i) => p.id ?? `P${i}`),
      scheme: Uint8Array.from(persons, (p) => SCHEMES.indexOf(p.scheme ?? 'resident')),
      category: Uint8Array.from(persons, (p) => CATEGORIES.indexOf(p.category ?? 'adult')),
      hardship: new Uint8Array(persons.length).fill(255),
    },
    institutions: {
      ids: insts.map((x, i) => x.id ?? `H${i}`),
      tier: Uint8Array.from(insts, (x) => (x.tier === 'unknown' ? 255 : TIERS.indexOf(x.tier ?? 'primary'))),
      grade: Uint8Array.from(insts, (x) => x.grade ?? 1),
      kind: Uint8Array.from(insts, (x) => (x.kind === 'unknown' ? KIND_UNKNOWN : INSTITUTION_KINDS.indexOf(x.kind ?? 'medical'))),
      latitudeE6: Float64Array.from(insts, (x) => (x.lat === undefined ? Number.NaN : Math.round(x.lat * 1_000_000))),
      longitudeE6: Float64Array.from(insts, (x) => (x.lon === undefined ? Number.NaN : Math.round(x.lon * 1_000_000))),
    },
    settlements: b.finish(),
    enrollments: spec.enrollments ?? [],
  };
}

/** The rows of a lead as (person id, China time) pairs, for readable expectations. */
export function rowTimes(data: MonitoringData, rows: readonly number[]): string[] {
  return rows.map((r) => {
    const t = new Date(data.settlements.timeMs[r]! + 8 * 3_600_000).toISOString();
    return `${data.persons.ids[data.settlements.person[r]!]} ${t.slice(0, 10)} ${t.slice(11, 16)}`;
  });
}
