import { describe, expect, it } from 'vitest';
import { scenarioProblems } from '../../test/support/problems.js';
import { parseInstant } from '../calendar/calendar.js';
import { CLAIM_COLUMNS, ClaimsSource, csvFields, parseClaims } from './claims.js';
import { PersonDraft, dayStarts } from './population.js';

const HEADER = 'person,category,hardship,visit,time,institution,tier,grade,contracted,total,eligible';

const problems = (text: string) => scenarioProblems(() => parseClaims(text, 'c.csv'));

describe('csvFields', () => {
  it('splits on commas, reads quoted fields with doubled quotes', () => {
    expect(csvFields('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(csvFields('"x,y","say ""hi""",')).toEqual(['x,y', 'say "hi"', '']);
    expect(csvFields('"open')).toBeNull();
    expect(csvFields('"a"b')).toBeNull();
  });
});

describe('parseClaims', () => {
  it('reads claims into persons with their visits in time order, any column order', () => {
    const text = [
      'total,person,category,visit,time,institution,tier,grade,contracted,type,familyDoctorAt',
      '120.50,A,adult,a2,2024-05-02T10:00:00+08:00,H1,county,2,true,outpatient,J1',
      '"30",A,adult,a1,2024-05-01T09:30:00+08:00,J1,primary,0,1,,J1',
      '80,B,student,b1,2024-12-31T23:59:00+08:00,J1,primary,0,true,,',
      '',
    ].join('\r\n');
    const c = parseClaims(text, 'c.csv');
    expect(c.year).toBe(2024);
    expect(c.personIds).toEqual(['A', 'B']);
    expect(c.institutions).toEqual([
      { id: 'H1', tier: 'county', grade: 2, contracted: true },
      { id: 'J1', tier: 'primary', grade: 0, contracted: true },
    ]);
    expect(c.schemes).toEqual(['resident']);
    const d = new PersonDraft();
    const source = new ClaimsSource(c);
    source.fill(0, d);
    expect(d).toMatchObject({ id: 'A', category: 0, hardship: -1, familyDoctorAt: 'J1', count: 2, visitIds: ['a1', 'a2'] });
    expect([...d.total.subarray(0, 2)]).toEqual([3000, 12050]);
    expect([...d.eligible.subarray(0, 2)]).toEqual([3000, 12050]);
    // The day and time of day give back the instant in the claims' own year.
    const starts = dayStarts(2024);
    expect((starts[d.day[0] as number] as number) + (d.msOfDay[0] as number)).toBe(parseInstant('2024-05-01T09:30:00+08:00'));
    source.fill(1, d);
    expect(d).toMatchObject({ id: 'B', category: 2, familyDoctorAt: undefined, count: 1 });
    expect((starts[d.day[0] as number] as number) + (d.msOfDay[0] as number)).toBe(parseInstant('2024-12-31T23:59:00+08:00'));
  });

  it('puts a common year’s days on the leap-year calendar (1 March after 29 February)', () => {
    const c = parseClaims(`${HEADER}\nA,adult,,a1,2023-03-01T08:00:00+08:00,J1,primary,0,true,10,`, 'c.csv');
    expect(c.year).toBe(2023);
    expect(c.day[0]).toBe(60);
    expect(dayStarts(2023)[60]).toBe(parseInstant('2023-03-01T00:00:00+08:00'));
    // 29 February of a leap year, settled in a common year, falls on the 28th.
    expect(dayStarts(2023)[59]).toBe(parseInstant('2023-02-28T00:00:00+08:00'));
  });

  it('names each bad line and field', () => {
    const p = problems(
      [
        HEADER,
        'A,adult,,a1,2024-05-01T09:00:00+08:00,J1,primary,0,true,10,',
        'A,adult,,a2,2024-05-01,J1,hospital,5,yes,-3,',
        'B,elder,poor,b1,nope,J1,primary,0,true,10,20',
        'C,adult,,c1,2024-05-01T09:00:00+08:00,J1,primary,0,true,10,20',
        'A,child,,a3,2024-05-03T09:00:00+08:00,J1,primary,0,true,10,',
        'D,adult,,d1,2024-05-03T09:00:00+08:00,J1,county,2,true,10,',
        'E,adult,,e1,2023-05-03T09:00:00+08:00,J2,primary,0,true,10,',
        'F,adult,"x,e1',
        'G,adult,,g1',
      ].join('\n'),
    );
    expect(p).toEqual([
      'c.csv line 3: tier: must be one of primary | county | city | province, got "hospital"',
      'c.csv line 3: grade: must be 0, 1, 2 or 3 (0 = ungraded), got "5"',
      'c.csv line 3: contracted: must be true or false (or 1 or 0), got "yes"',
      'c.csv line 3: total: must not be negative',
      'c.csv line 4: category: must be one of adult | child | student | newborn | active | retired, got "elder"',
      'c.csv line 4: hardship: must be one of tekun | dibao | fanpin | monitored | jiandang | rural-tekun | other, got "poor"',
      'c.csv line 4: time: must be an ISO 8601 date-time such as 2024-03-02T10:00:00+08:00, got "nope"',
      'c.csv line 5: eligible: must not exceed total',
      'c.csv line 6: person A: category, hardship or familyDoctorAt differ from line 2',
      'c.csv line 7: institution J1: tier, grade or contracted differ from line 2',
      'c.csv line 8: time: claims must fall in one calendar year; this is in 2023, line 2 in 2024',
      'c.csv line 9: a quoted field is not closed on its line',
      'c.csv line 10: has 4 fields, the header 11',
    ]);
  });

  it('checks the header', () => {
    expect(problems('person,category,visit,when\n')).toEqual([
      `c.csv line 1: unknown column "when" (columns: ${CLAIM_COLUMNS.join(', ')})`,
      'c.csv line 1: missing column time',
      'c.csv line 1: missing column institution',
      'c.csv line 1: missing column tier',
      'c.csv line 1: missing column grade',
      'c.csv line 1: missing column contracted',
      'c.csv line 1: missing column total',
    ]);
    expect(problems('')).toEqual([`c.csv line 1: must be a header row naming the columns (${CLAIM_COLUMNS.join(', ')})`]);
    expect(problems(`${HEADER}\n`)).toEqual(['c.csv: has no claims (only a header)']);
  });

  it('lists at most 50 problems and counts the rest', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `A${i},adult,,v,2024-05-01T09:00:00+08:00,J1,primary,0,true,x,`);
    const p = problems([HEADER, ...rows].join('\n'));
    expect(p).toHaveLength(51);
    expect(p[50]).toBe('… and 10 more problems');
  });
});
