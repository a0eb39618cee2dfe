/**
 * A synthetic population for the supervision rules at scale (the 200,000-row test beside the rules,
 * and timing by hand): persons, institutions around Henan (some pharmacies, some of no recorded kind
 * or site), a year of settlements with the patterns the rules look for mixed in (several visits a
 * day, visits far apart within minutes, repeated account purchases), and enrollments with some
 * duplicates. Deterministic (a seeded generator), built straight into columns.
 */
import { CATEGORIES, SCHEMES, TIERS, VISIT_TYPES } from '../../src/domain.js';
import { ColumnsBuilder } from '../../src/monitoring/columns.js';
import { INSTITUTION_KINDS, KIND_UNKNOWN, type EnrollmentRow, type MonitoringData } from '../../src/monitoring/types.js';

/** mulberry32: a small seeded generator, [0, 1). */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SYNTHETIC_YEAR = { fromMs: Date.parse('2024-01-01T00:00:00+08:00'), toMs: Date.parse('2025-01-01T00:00:00+08:00') };

export function syntheticData(opts: { persons: number; rows: number; institutions: number; seed?: number }): MonitoringData {
  const rnd = generator(opts.seed ?? 14);
  const int = (n: number) => Math.floor(rnd() * n);
  const nInst = opts.institutions;
  const pharmacy = INSTITUTION_KINDS.indexOf('pharmacy');
  const kind = new Uint8Array(nInst);
  const tier = new Uint8Array(nInst);
  const lat = new Float64Array(nInst);
  const lon = new Float64Array(nInst);
  for (let i = 0; i < nInst; i++) {
    kind[i] = i % 50 === 49 ? KIND_UNKNOWN : i % 5 === 0 ? pharmacy : 0;
    tier[i] = int(TIERS.length);
    // Henan spans about 31.4–36.4 N, 110.4–116.6 E; one in 40 has no site.
    lat[i] = i % 40 === 39 ? Number.NaN : Math.round((31.4 + rnd() * 5) * 1e6);
    lon[i] = i % 40 === 39 ? Number.NaN : Math.round((110.4 + rnd() * 6.2) * 1e6);
  }
  const b = new ColumnsBuilder(opts.persons, opts.rows);
  const span = SYNTHETIC_YEAR.toMs - SYNTHETIC_YEAR.fromMs;
  const outpatient = VISIT_TYPES.indexOf('outpatient');
  let i = 0;
  while (i < opts.rows) {
    const person = int(opts.persons);
    const institution = int(nInst);
    let t = SYNTHETIC_YEAR.fromMs + Math.floor(rnd() * span);
    // A burst: one visit, or several at one institution or around, minutes apart.
    const burst = rnd() < 0.9 ? 1 : 2 + int(3);
    for (let k = 0; k < burst && i < opts.rows; k++, i++) {
      const inst = k > 0 && rnd() < 0.3 ? int(nInst) : institution;
      const vt = rnd() < 0.85 ? outpatient : int(VISIT_TYPES.length);
      const isPharmacy = kind[inst] === pharmacy;
      // Institutions 3, 40, 77…: three times the others' costs (for INST-FUND-PEER).
      const inflate = inst % 37 === 3 ? 3 : 1;
      const total = isPharmacy && rnd() < 0.3 ? 10_000 * (1 + int(3)) : inflate * (500 + int(vt === outpatient ? 30_000 : 2_000_000));
      const fund = isPharmacy ? 0 : Math.floor(total * (0.3 + rnd() * 0.5));
      const critical = rnd() < 0.02 ? Math.floor((total - fund) / 2) : 0;
      const assistance = 0;
      const account = rnd() < 0.5 ? Math.floor((total - fund - critical) * rnd()) : 0;
      const cash = total - fund - critical - assistance - account;
      b.push({
        person,
        institution: inst,
        timeMs: t,
        visitType: vt,
        totalFen: total,
        fundFen: fund,
        criticalFen: critical,
        assistanceFen: assistance,
        accountFen: account,
        cashFen: cash,
      });
      t += 60_000 * (1 + int(120));
    }
  }
  const enrollments: EnrollmentRow[] = [];
  for (let p = 0; p < opts.persons; p++) {
    const dup = rnd() < 0.01;
    const year = 2024;
    enrollments.push({ id: `E${p}`, person: p, coverageYear: year, region: '410300', scheme: 'resident', transfer: false, amountFen: 38_000, paidOn: '2023-10-01' });
    if (dup)
      enrollments.push({
        id: `E${p}b`,
        person: p,
        coverageYear: year,
        region: rnd() < 0.5 ? '410900' : '410300',
        scheme: 'resident',
        transfer: rnd() < 0.3,
        amountFen: 38_000,
        paidOn: '2023-11-01',
      });
  }
  return {
    persons: {
      ids: Array.from({ length: opts.persons }, (_, p) => `P${p}`),
      scheme: Uint8Array.from({ length: opts.persons }, () => int(SCHEMES.length)),
      category: Uint8Array.from({ length: opts.persons }, () => int(CATEGORIES.length)),
      hardship: new Uint8Array(opts.persons).fill(255),
    },
    institutions: { ids: Array.from({ length: nInst }, (_, k) => `H${k}`), tier, grade: new Uint8Array(nInst).fill(1), kind, latitudeE6: lat, longitudeE6: lon },
    settlements: b.finish(),
    enrollments,
  };
}
