/**
 * Reading what supervision rules judge (监管数据) into columns: persons, institutions with their
 * sites, live settlements (a settlement not reversed; reversals themselves are not rows) and
 * enrollments. A batch reads every live settlement settled in a span; an incremental run and a
 * check read the settlements of a few persons over a look-back window (index settlements_person).
 *
 * A settlement's time is its created_at (结算时间: when the card was used); its visit type is its
 * visit's (supervision-visit-types.ts).
 */
import { chinaDay, yearOf } from '../calendar/calendar.js';
import { CATEGORIES, HARDSHIP_GROUPS, SCHEMES, TIERS, VISIT_TYPES } from '../domain.js';
import { ColumnsBuilder, type SettlementRow } from '../monitoring/columns.js';
import {
  INSTITUTION_KINDS,
  KIND_UNKNOWN,
  type EnrollmentRow,
  type InstitutionColumns,
  type MonitoringData,
  type PersonColumns,
  type SettlementColumns,
} from '../monitoring/types.js';
import { LedgerError } from './errors.js';
import { readSpanInThreads, readThreads } from './supervision-read-threads.js';
import type { Reader, Row } from './supervision-reader.js';

/** The index of a value in a list of names, or 255 when it is not one of them. */
const indexer = (names: readonly (string | number)[]) => {
  const m = new Map<string | number, number>(names.map((n, i) => [n, i]));
  return (v: unknown) => m.get(v as string) ?? 255;
};
const schemeIndex = indexer(SCHEMES);
const categoryIndex = indexer(CATEGORIES);
const hardshipIndex = indexer(HARDSHIP_GROUPS);
const tierIndex = indexer(TIERS);
const kindIndex = indexer(INSTITUTION_KINDS);
export const visitTypeIndex = indexer(VISIT_TYPES);

/** A live settlement: a settlement, and no reversal points at it. */
export const LIVE = `s.kind = 'settlement' and not exists (select 1 from settlements r where r.person_id = s.person_id and r.reverses = s.id)`;

/**
 * The columns of a settlement as the builder takes them, in the order `settlementSink` reads them;
 * `visitType`: the SQL of the visit type's index (supervision-visit-types.ts visitTypeSql).
 */
const settlementSelect = (visitType: string) => `select s.person_id, s.institution_id, s.created_at, ${visitType}, s.total_fen, s.fund_pay_fen,
  s.critical_illness_pay_fen, s.assistance_pay_fen, s.account_pay_fen, s.cash_pay_fen from settlements s`;

/** A list of ids as one parameter: SQLite's json_each over JSON text, PostgreSQL's text array. */
export const idList = (r: Reader) => (r.dialect === 'postgres' ? 'select unnest(?::text[]) as id' : 'select value as id from json_each(?)');
export const idParam = (r: Reader, ids: readonly string[]): unknown => (r.dialect === 'postgres' ? ids : JSON.stringify(ids));

/**
 * The most entries (settlements and reversals) a batch reads. Each takes about 140 bytes at the
 * peak (the builder's arrays and the columns it makes, both alive while it groups them): 15,000,000
 * is some 2 GB. A longer span is refused, nothing read further; run shorter spans.
 */
export const MAX_RUN_ENTRIES = 15_000_000;

/** Ids a chunk of a list parameter holds at most. */
const ID_CHUNK = 5_000;

/** Persons by ordinal, and each id's ordinal. */
export class PersonTable {
  readonly ids: string[] = [];
  readonly index = new Map<string, number>();
  private readonly attrs: number[] = [];

  add(id: string, scheme: unknown, category: unknown, hardship: unknown): number {
    const known = this.index.get(id);
    if (known !== undefined) return known;
    const o = this.ids.length;
    this.ids.push(id);
    this.index.set(id, o);
    this.attrs.push(schemeIndex(scheme), categoryIndex(category), hardshipIndex(hardship));
    return o;
  }

  columns(): PersonColumns {
    const n = this.ids.length;
    const scheme = new Uint8Array(n);
    const category = new Uint8Array(n);
    const hardship = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scheme[i] = this.attrs[3 * i] as number;
      category[i] = this.attrs[3 * i + 1] as number;
      hardship[i] = this.attrs[3 * i + 2] as number;
    }
    return { ids: this.ids, scheme, category, hardship };
  }
}

/** Institutions by ordinal; an institution met in a settlement and not on file gets one too (tier, grade and kind unknown). */
export class InstitutionTable {
  readonly ids: string[] = [];
  readonly index = new Map<string, number>();
  private readonly attrs: number[] = [];

  /** `row`: id, tier, grade, site kind, longitude_e6, latitude_e6 (nulls where unknown). */
  addRow(row: Row): number {
    const id = String(row[0]);
    const known = this.index.get(id);
    if (known !== undefined) return known;
    const o = this.ids.length;
    this.ids.push(id);
    this.index.set(id, o);
    const num = (v: unknown) => (v === null || v === undefined ? Number.NaN : Number(v));
    const grade = row[2] === null || row[2] === undefined ? 255 : Number(row[2]);
    this.attrs.push(
      tierIndex(row[1]),
      grade >= 0 && grade < 255 ? grade : 255,
      row[3] === null || row[3] === undefined ? KIND_UNKNOWN : kindIndex(row[3]),
      num(row[4]),
      num(row[5]),
    );
    return o;
  }

  ordinal(id: string): number {
    return this.index.get(id) ?? this.addRow([id, null, null, null, null, null]);
  }

  columns(): InstitutionColumns {
    const n = this.ids.length;
    const c: InstitutionColumns = {
      ids: this.ids,
      tier: new Uint8Array(n),
      grade: new Uint8Array(n),
      kind: new Uint8Array(n),
      longitudeE6: new Float64Array(n),
      latitudeE6: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      const a = 5 * i;
      c.tier[i] = this.attrs[a] as number;
      c.grade[i] = this.attrs[a + 1] as number;
      c.kind[i] = this.attrs[a + 2] as number;
      c.longitudeE6[i] = this.attrs[a + 3] as number;
      c.latitudeE6[i] = this.attrs[a + 4] as number;
    }
    return c;
  }
}

/** The columns of an institution as `InstitutionTable.addRow` takes them, for `ids` (a subquery giving ids). */
export const institutionSelect = (ids: string) => `select x.id, i.tier, i.grade, st.kind, st.longitude_e6, st.latitude_e6
  from (${ids}) x left join institutions i on i.id = x.id left join institution_sites st on st.institution_id = x.id`;

/**
 * SQLite reads many rows a slice at a time with `all`: better-sqlite3's `iterate` costs some 4 µs
 * a row and one `all` over millions of rows makes the collector work as hard; `all` over slices of
 * tens of thousands costs about 1 µs a row (measured on 1,000,000 settlements: 4.2 s, 7.2 s, 1.1 s).
 * `text` ends its parameters with a range [lo, hi) of an integer key; other stores read it whole.
 */
async function eachSlice(reader: Reader, text: string, params: readonly unknown[], lo: number, hi: number, step: number, onRow: (r: Row) => void): Promise<void> {
  if (reader.dialect !== 'sqlite') {
    await reader.each(text, [...params, lo, hi], onRow);
    return;
  }
  for (let k = lo; k < hi; k += step) {
    const rows = await reader.all(text, [...params, k, Math.min(k + step, hi)]);
    for (const r of rows) onRow(r);
    await new Promise<void>((done) => setImmediate(done));
  }
}

/** A slice of settlement time SQLite reads at once (about 7,000 settlements at 10,000,000 a year). */
const SLICE_MS = 6 * 3_600_000;
/** A slice of persons' rowids SQLite reads at once. */
const PERSON_SLICE = 50_000;

/** Every person on file. */
export async function loadPersons(reader: Reader, ids?: readonly string[]): Promise<PersonTable> {
  const t = new PersonTable();
  const onRow = (r: Row) => t.add(String(r[0]), r[1], r[2], r[3]);
  if (ids === undefined && reader.dialect === 'sqlite') {
    const [range] = await reader.all('select min(rowid), max(rowid) from persons', []);
    const lo = Number(range?.[0] ?? 0);
    const hi = Number(range?.[1] ?? -1) + 1;
    await eachSlice(reader, 'select id, scheme, category, hardship from persons where rowid >= ? and rowid < ?', [], lo, hi, PERSON_SLICE, onRow);
  } else if (ids === undefined) await reader.each('select id, scheme, category, hardship from persons', [], onRow);
  else {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      await reader.each(`select id, scheme, category, hardship from persons where id in (${idList(reader)})`, [idParam(reader, ids.slice(i, i + ID_CHUNK))], onRow);
    }
  }
  return t;
}

/** Every institution on file (institutions, and sites of institutions not yet on file). */
export async function loadInstitutions(reader: Reader): Promise<InstitutionTable> {
  const t = new InstitutionTable();
  await reader.each(
    `select i.id, i.tier, i.grade, st.kind, st.longitude_e6, st.latitude_e6 from institutions i left join institution_sites st on st.institution_id = i.id
     union all
     select st.institution_id, null, null, st.kind, st.longitude_e6, st.latitude_e6 from institution_sites st
       where not exists (select 1 from institutions i where i.id = st.institution_id)`,
    [],
    (r) => t.addRow(r),
  );
  return t;
}

/** Turns settlement rows (SETTLEMENT_SELECT's columns) into the builder's, skipping persons not loaded. */
function settlementSink(persons: PersonTable, institutions: InstitutionTable, builder: ColumnsBuilder): { onRow: (r: Row) => void; skipped: () => number } {
  const row: SettlementRow = { person: 0, institution: 0, timeMs: 0, visitType: 0, totalFen: 0, fundFen: 0, criticalFen: 0, assistanceFen: 0, accountFen: 0, cashFen: 0 };
  let skipped = 0;
  const onRow = (r: Row) => {
    const p = persons.index.get(r[0] as string);
    if (p === undefined) {
      skipped++;
      return;
    }
    row.person = p;
    row.institution = institutions.ordinal(r[1] as string);
    row.timeMs = Number(r[2]);
    row.visitType = typeof r[3] === 'number' ? r[3] : visitTypeIndex(r[3]);
    row.totalFen = Number(r[4]);
    row.fundFen = Number(r[5]);
    row.criticalFen = Number(r[6]);
    row.assistanceFen = Number(r[7]);
    row.accountFen = Number(r[8]);
    row.cashFen = Number(r[9]);
    builder.push(row);
  };
  return { onRow, skipped: () => skipped };
}

/** Settlement times [from, to), epoch ms. */
export interface Span {
  from: number;
  to: number;
}

/** The coverage years (参保年度) a span's China days fall in. */
export function coverageYears(span: Span): { first: number; last: number } {
  return { first: yearOf(chinaDay(span.from)), last: yearOf(chinaDay(Math.max(span.from, span.to - 1))) };
}

/** Enrollments of the coverage years, of the persons loaded (region and scheme: as enrolled, else the person's). */
export async function loadEnrollments(reader: Reader, persons: PersonTable, years: { first: number; last: number }, ids?: readonly string[]): Promise<EnrollmentRow[]> {
  const out: EnrollmentRow[] = [];
  const select = `select e.id, e.person_id, e.coverage_year, coalesce(e.region, p.region), coalesce(e.scheme, p.scheme), e.transfer, e.amount_fen, e.paid_on
    from enrollments e join persons p on p.id = e.person_id where e.coverage_year >= ? and e.coverage_year <= ?`;
  const onRow = (r: Row) => {
    const person = persons.index.get(r[1] as string);
    if (person === undefined) return;
    out.push({
      id: String(r[0]),
      person,
      coverageYear: Number(r[2]),
      region: String(r[3]),
      scheme: String(r[4]),
      transfer: Number(r[5]) === 1,
      amountFen: r[6] === null ? null : Number(r[6]),
      paidOn: String(r[7]),
    });
  };
  if (ids === undefined) await reader.each(select, [years.first, years.last], onRow);
  else {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      await reader.each(`${select} and e.person_id in (${idList(reader)})`, [years.first, years.last, idParam(reader, ids.slice(i, i + ID_CHUNK))], onRow);
    }
  }
  return out;
}

/** What a load read, with the maps from ids to ordinals. */
export interface Loaded {
  data: MonitoringData;
  persons: PersonTable;
  institutions: InstitutionTable;
  /** Settlements whose person was not on file when read (none in one snapshot). */
  skipped: number;
}

/**
 * A batch's data: every person and institution on file, every live settlement settled in the span
 * (one pass over the settlements_time index), the enrollments of the span's coverage years. On a
 * SQLite file, a span of many settlements is read by worker threads (supervision-read-threads.ts).
 */
export async function loadSpan(reader: Reader, span: Span, visitType: string): Promise<Loaded> {
  const persons = await loadPersons(reader);
  const institutions = await loadInstitutions(reader);
  const [count] = await reader.all('select count(*) from settlements s where s.created_at >= ? and s.created_at < ?', [span.from, span.to]);
  const entries = Number(count?.[0] ?? 0);
  if (entries > MAX_RUN_ENTRIES) {
    throw new LedgerError('INVALID_REQUEST', `from, to: the span holds ${entries} entries, more than a run reads (${MAX_RUN_ENTRIES}); run shorter spans`);
  }
  const select = `${settlementSelect(visitType)} where ${LIVE} and s.created_at >= ? and s.created_at < ?`;
  let settlements: SettlementColumns;
  let skipped: number;
  if (reader.file !== undefined && entries >= readThreads.minEntries) {
    ({ settlements, skipped } = await readSpanInThreads(reader.file, select, span, entries, persons, institutions, SLICE_MS));
  } else {
    const builder = new ColumnsBuilder(persons.ids.length, entries);
    const sink = settlementSink(persons, institutions, builder);
    await eachSlice(reader, select, [], span.from, span.to, SLICE_MS, sink.onRow);
    settlements = builder.finish();
    skipped = sink.skipped();
  }
  const enrollments = await loadEnrollments(reader, persons, coverageYears(span));
  return { data: { persons: persons.columns(), institutions: institutions.columns(), settlements, enrollments }, persons, institutions, skipped };
}

/**
 * An incremental run's data: the persons with a live settlement in `span`, each with their live
 * settlements in [lookFrom, span.to) (index settlements_person) and the enrollments of those years.
 */
export async function loadPersonsSince(reader: Reader, span: Span, lookFrom: number, visitType: string): Promise<Loaded> {
  const ids: string[] = [];
  await reader.each(`select distinct s.person_id from settlements s where s.created_at >= ? and s.created_at < ? and ${LIVE}`, [span.from, span.to], (r) => ids.push(String(r[0])));
  const persons = await loadPersons(reader, ids);
  const institutions = await loadInstitutions(reader);
  const builder = new ColumnsBuilder(persons.ids.length, ids.length * 8);
  const sink = settlementSink(persons, institutions, builder);
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    await reader.each(
      `${settlementSelect(visitType)} where s.person_id in (${idList(reader)}) and s.created_at >= ? and s.created_at < ? and ${LIVE}`,
      [idParam(reader, chunk), lookFrom, span.to],
      sink.onRow,
    );
  }
  const settlements = builder.finish();
  const enrollments = await loadEnrollments(reader, persons, coverageYears({ from: lookFrom, to: span.to }), ids);
  return { data: { persons: persons.columns(), institutions: institutions.columns(), settlements, enrollments }, persons, institutions, skipped: sink.skipped() };
}
