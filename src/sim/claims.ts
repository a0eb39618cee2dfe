/**
 * Real claims for `yibao simulate`: a CSV file, one visit a row, with a header row naming the
 * columns (any order). Every row is validated; problems are reported with their line numbers.
 *
 * | column          | required | meaning                                                              |
 * |-----------------|----------|----------------------------------------------------------------------|
 * | person          | yes      | person id; a person's rows must agree on category, hardship, familyDoctorAt |
 * | category        | yes      | adult, child, student, newborn (residents); active, retired (employees) |
 * | hardship        | no       | tekun, dibao, fanpin, monitored, jiandang, rural-tekun, other; empty: none |
 * | familyDoctorAt  | no       | institution id where the person signed with a family doctor; empty: none |
 * | visit           | yes      | visit id                                                             |
 * | time            | yes      | ISO 8601 date-time with offset, e.g. 2024-03-02T10:00:00+08:00       |
 * | type            | no       | outpatient (default), two-diseases, birth-natural, birth-cesarean, prenatal, inpatient |
 * | institution     | yes      | institution id; its rows must agree on tier, grade, contracted       |
 * | tier            | yes      | primary, county, city, province                                      |
 * | grade           | yes      | 0 (ungraded), 1, 2, 3                                                |
 * | contracted      | yes      | true or false (1 or 0)                                               |
 * | total           | yes      | 医疗费总额, yuan, at most two decimals                                  |
 * | eligible        | no       | 符合政策范围金额, yuan; empty: the total                                  |
 * | admittedAt      | no       | inpatient stays: admission (入院), ISO 8601; `time` is the discharge   |
 * | outOfCounty     | no       | true: the institution is outside the person's county (县域外就医)       |
 * | referred        | no       | true: the transfer was referred and filed (已办理转诊备案)              |
 * | inHospital      | no       | true: an outpatient visit made during a stay (住院期间)                 |
 *
 * All visits must fall in one calendar year (China time). A person's visits are settled in time
 * order, whatever the order of the rows.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { chinaDay, parseInstant, yearOf, yearStart } from '../calendar/calendar.js';
import { schemeOf, CATEGORIES, HARDSHIP_GROUPS, TIERS, VISIT_TYPES, type Grade, type Scheme, type VisitType } from '../domain.js';
import type { Institution } from '../engine/types.js';
import { formatIssues } from '../policy/schema.js';
import { amount, enumOf, id } from '../request/settle-request.js';
import { calendarDayOf, type PersonDraft, type PersonSource } from './population.js';
import { ScenarioError } from './scenario.js';

export const CLAIM_COLUMNS = [
  'person',
  'category',
  'hardship',
  'familyDoctorAt',
  'visit',
  'time',
  'type',
  'institution',
  'tier',
  'grade',
  'contracted',
  'total',
  'eligible',
  'admittedAt',
  'outOfCounty',
  'referred',
  'inHospital',
] as const;
const REQUIRED: readonly string[] = ['person', 'category', 'visit', 'time', 'institution', 'tier', 'grade', 'contracted', 'total'];
/** Past this many problems the rest are counted, not listed. */
const MAX_PROBLEMS = 50;

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const instant = z.string().transform((v, ctx) => {
  const t = parseInstant(v);
  if (t === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 date-time such as 2024-03-02T10:00:00+08:00, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return t;
});

const flag = z.enum(['true', 'false', '1', '0'], { error: (i) => `must be true or false (or 1 or 0), got ${JSON.stringify(i.input)}` }).transform((c) => c === 'true' || c === '1');

const rowSchema = z.strictObject({
  person: id,
  category: enumOf(CATEGORIES),
  hardship: optional(enumOf(HARDSHIP_GROUPS)),
  familyDoctorAt: optional(id),
  visit: id,
  time: instant,
  type: optional(enumOf(VISIT_TYPES)),
  institution: id,
  tier: enumOf(TIERS),
  grade: z.enum(['0', '1', '2', '3'], { error: (i) => `must be 0, 1, 2 or 3 (0 = ungraded), got ${JSON.stringify(i.input)}` }).transform((g) => Number(g) as Grade),
  contracted: flag,
  total: amount,
  eligible: optional(amount),
  admittedAt: optional(instant),
  outOfCounty: optional(flag),
  referred: optional(flag),
  inHospital: optional(flag),
});

/** Bits of {@link ClaimsData.flags}. */
export const OUT_OF_COUNTY = 1;
export const REFERRED = 2;
export const IN_HOSPITAL = 4;

/** The claims as columns, by person (plain data: it crosses to the simulation threads). */
export interface ClaimsData {
  kind: 'claims';
  /** The calendar year the claims fall in. */
  year: number;
  personIds: string[];
  category: Int8Array;
  hardship: Int8Array;
  familyDoctorAt: (string | null)[];
  /** Person i's visits are [visitFirst[i], visitFirst[i + 1]). */
  visitFirst: Int32Array;
  day: Int16Array;
  msOfDay: Int32Array;
  type: Uint8Array;
  institution: Int32Array;
  total: Float64Array;
  eligible: Float64Array;
  /** Inpatient stays: how long before the discharge the admission was, ms (NaN: not given). */
  stay: Float64Array;
  /** OUT_OF_COUNTY | REFERRED | IN_HOSPITAL. */
  flags: Uint8Array;
  visitIds: string[];
  institutions: Institution[];
  /** The schemes and visit types the claims hold. */
  schemes: Scheme[];
  visitTypes: VisitType[];
}

/** One CSV line's fields (RFC 4180 quoting within the line). Null when a quote is left open. */
export function csvFields(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(field);
      if (i < line.length && line[i] !== ',') return null;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return out;
    i++; // the comma
  }
}

interface Row {
  line: number;
  person: number;
  time: number;
  type: number;
  institution: number;
  total: number;
  eligible: number;
  stay: number;
  flags: number;
  visit: string;
}

/**
 * Reads claims from CSV text. `file` names it in messages.
 * @throws ScenarioError listing the bad lines (line numbers count the header as line 1).
 */
export function parseClaims(text: string, file: string): ClaimsData {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const problems: string[] = [];
  let extra = 0;
  const problem = (line: number, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${file} line ${line}: ${message}`);
    else extra++;
  };
  const header = csvFields((lines[0] ?? '').replace(/\r$/, ''));
  if (!header || header.every((h) => h === '')) throw new ScenarioError([`${file} line 1: must be a header row naming the columns (${CLAIM_COLUMNS.join(', ')})`]);
  const known: readonly string[] = CLAIM_COLUMNS;
  const headerProblems = [
    ...header.filter((h) => !known.includes(h)).map((h) => `unknown column ${JSON.stringify(h)} (columns: ${CLAIM_COLUMNS.join(', ')})`),
    ...REQUIRED.filter((c) => !header.includes(c)).map((c) => `missing column ${c}`),
    ...header.filter((h, i) => header.indexOf(h) !== i).map((h) => `column ${h} given twice`),
  ];
  if (headerProblems.length > 0) throw new ScenarioError(headerProblems.map((p) => `${file} line 1: ${p}`));

  const personIndex = new Map<string, number>();
  const persons: { id: string; category: number; hardship: number; familyDoctorAt: string | null; line: number }[] = [];
  const institutionIndex = new Map<string, number>();
  const institutions: (Institution & { line: number })[] = [];
  const rows: Row[] = [];
  let year: number | undefined;
  let yearLine = 0;
  for (let n = 1; n < lines.length; n++) {
    const line = n + 1;
    const raw = (lines[n] as string).replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const fields = csvFields(raw);
    if (fields === null) {
      problem(line, 'a quoted field is not closed on its line');
      continue;
    }
    if (fields.length !== header.length) {
      problem(line, `has ${fields.length} fields, the header ${header.length}`);
      continue;
    }
    const record = Object.fromEntries(header.map((h, i) => [h, fields[i] as string]));
    const r = rowSchema.safeParse(record);
    if (!r.success) {
      for (const p of formatIssues(r.error.issues)) problem(line, p);
      continue;
    }
    const c = r.data;
    if (c.eligible !== undefined && c.eligible > c.total) {
      problem(line, 'eligible: must not exceed total');
      continue;
    }
    const type = c.type ?? 'outpatient';
    if (c.admittedAt !== undefined && type !== 'inpatient') {
      problem(line, 'admittedAt: only an inpatient stay has an admission time');
      continue;
    }
    if (c.admittedAt !== undefined && c.admittedAt > c.time) {
      problem(line, 'admittedAt: must not be after the discharge (time)');
      continue;
    }
    if (c.inHospital === true && type === 'inpatient') {
      problem(line, 'inHospital: is for outpatient visits made during a stay; an inpatient stay is type inpatient');
      continue;
    }
    const y = yearOf(chinaDay(c.time));
    if (year === undefined) {
      year = y;
      yearLine = line;
    } else if (y !== year) {
      problem(line, `time: claims must fall in one calendar year; this is in ${y}, line ${yearLine} in ${year}`);
      continue;
    }
    const category = CATEGORIES.indexOf(c.category);
    const hardship = c.hardship === undefined ? -1 : HARDSHIP_GROUPS.indexOf(c.hardship);
    const doctor = c.familyDoctorAt ?? null;
    let p = personIndex.get(c.person);
    if (p === undefined) {
      p = persons.length;
      personIndex.set(c.person, p);
      persons.push({ id: c.person, category, hardship, familyDoctorAt: doctor, line });
    } else {
      const known = persons[p] as (typeof persons)[number];
      if (known.category !== category || known.hardship !== hardship || known.familyDoctorAt !== doctor) {
        problem(line, `person ${c.person}: category, hardship or familyDoctorAt differ from line ${known.line}`);
        continue;
      }
    }
    let inst = institutionIndex.get(c.institution);
    if (inst === undefined) {
      inst = institutions.length;
      institutionIndex.set(c.institution, inst);
      institutions.push({ id: c.institution, tier: c.tier, grade: c.grade, contracted: c.contracted, line });
    } else {
      const known = institutions[inst] as (typeof institutions)[number];
      if (known.tier !== c.tier || known.grade !== c.grade || known.contracted !== c.contracted) {
        problem(line, `institution ${c.institution}: tier, grade or contracted differ from line ${known.line}`);
        continue;
      }
    }
    rows.push({
      line,
      person: p,
      time: c.time,
      type: VISIT_TYPES.indexOf(type),
      institution: inst,
      total: c.total,
      eligible: c.eligible ?? c.total,
      stay: c.admittedAt === undefined ? Number.NaN : c.time - c.admittedAt,
      flags: (c.outOfCounty ? OUT_OF_COUNTY : 0) | (c.referred ? REFERRED : 0) | (c.inHospital ? IN_HOSPITAL : 0),
      visit: c.visit,
    });
  }
  if (extra > 0) problems.push(`… and ${extra} more problems`);
  if (problems.length > 0) throw new ScenarioError(problems);
  if (year === undefined) throw new ScenarioError([`${file}: has no claims (only a header)`]);

  // By person, each person's visits in time order (rows in file order where times are equal).
  rows.sort((a, b) => a.person - b.person || a.time - b.time || a.line - b.line);
  const first = yearStart(year);
  const leap = yearStart(year + 1) - first === 366;
  const visitFirst = new Int32Array(persons.length + 1);
  for (const r of rows) visitFirst[r.person + 1] = (visitFirst[r.person + 1] as number) + 1;
  for (let i = 0; i < persons.length; i++) visitFirst[i + 1] = (visitFirst[i + 1] as number) + (visitFirst[i] as number);
  const n = rows.length;
  const data: ClaimsData = {
    kind: 'claims',
    year,
    personIds: persons.map((p) => p.id),
    category: Int8Array.from(persons, (p) => p.category),
    hardship: Int8Array.from(persons, (p) => p.hardship),
    familyDoctorAt: persons.map((p) => p.familyDoctorAt),
    visitFirst,
    day: new Int16Array(n),
    msOfDay: new Int32Array(n),
    type: new Uint8Array(n),
    institution: new Int32Array(n),
    total: new Float64Array(n),
    eligible: new Float64Array(n),
    stay: Float64Array.from(rows, (r) => r.stay),
    flags: Uint8Array.from(rows, (r) => r.flags),
    visitIds: rows.map((r) => r.visit),
    institutions: institutions.map(({ id, tier, grade, contracted }) => ({ id, tier, grade, contracted })),
    schemes: [...new Set(persons.map((p): Scheme => schemeOf(CATEGORIES[p.category] as (typeof CATEGORIES)[number])))],
    visitTypes: [...new Set(rows.map((r) => VISIT_TYPES[r.type] as VisitType))],
  };
  rows.forEach((r, i) => {
    const at = calendarDayOf(r.time, first, leap);
    data.day[i] = at.day;
    data.msOfDay[i] = at.msOfDay;
    data.type[i] = r.type;
    data.institution[i] = r.institution;
    data.total[i] = r.total;
    data.eligible[i] = r.eligible;
  });
  return data;
}

/** Reads a claims file. */
export function readClaims(file: string): ClaimsData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([`claims.file: ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  return parseClaims(text, file);
}

/** The persons of a claims file, one at a time. */
export class ClaimsSource implements PersonSource {
  readonly size: number;
  readonly institutions: Institution[];
  constructor(readonly data: ClaimsData) {
    this.size = data.personIds.length;
    this.institutions = data.institutions;
  }

  fill(index: number, d: PersonDraft): void {
    const c = this.data;
    const from = c.visitFirst[index] as number;
    const to = c.visitFirst[index + 1] as number;
    d.index = index;
    d.id = c.personIds[index] as string;
    d.category = c.category[index] as number;
    d.hardship = c.hardship[index] as number;
    d.familyDoctorAt = c.familyDoctorAt[index] ?? undefined;
    d.count = to - from;
    d.reserve(d.count);
    d.day.set(c.day.subarray(from, to));
    d.msOfDay.set(c.msOfDay.subarray(from, to));
    d.type.set(c.type.subarray(from, to));
    d.institution.set(c.institution.subarray(from, to));
    d.total.set(c.total.subarray(from, to));
    d.eligible.set(c.eligible.subarray(from, to));
    d.extras = c;
    d.extrasFrom = from;
    d.visitIds = c.visitIds.slice(from, to);
  }
}
