import { describe, expect, it } from 'vitest';
import { RequestError } from './settle-request.js';
import { findingFilter, parseRun, parseSite, parseSitesFile, parseSpan, spanInstant } from './supervision-request.js';

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof RequestError) return e.problems;
    throw e;
  }
  throw new Error('expected a RequestError');
};

describe('a span of China days or instants', () => {
  it('reads a day as from at its China midnight, a day as to up to the next midnight', () => {
    // 2024-03-01 00:00 +08:00 = 2024-02-29T16:00Z; 2024-03-31 included → ends 2024-04-01 00:00 +08:00 = 2024-03-31T16:00Z.
    expect(parseSpan('2024-03-01', '2024-03-31')).toEqual({ from: Date.parse('2024-02-29T16:00:00Z'), to: Date.parse('2024-03-31T16:00:00Z') });
    // One day: [00:00, 24:00) China time.
    const d = parseSpan('2024-03-02', '2024-03-02');
    expect(d.to - d.from).toBe(86_400_000);
  });

  it('reads instants exactly, the end excluded', () => {
    expect(parseSpan('2024-03-02T10:00:00+08:00', '2024-03-02T11:00:00Z')).toEqual({ from: Date.parse('2024-03-02T02:00:00Z'), to: Date.parse('2024-03-02T11:00:00Z') });
    // Without an offset, China time.
    expect(spanInstant('2024-03-02T10:00:00', false)).toBe(Date.parse('2024-03-02T02:00:00Z'));
  });

  it('refuses what is not a day or an instant, a span backwards or empty, and a run over 366 days', () => {
    expect(problems(() => parseSpan('March', '2024-02-30'))).toEqual([
      'from: must be a China day YYYY-MM-DD or an ISO 8601 instant (2024-03-02T10:00:00+08:00), got "March"',
      'to: must be a China day YYYY-MM-DD or an ISO 8601 instant (2024-03-02T10:00:00+08:00), got "2024-02-30"',
    ]);
    expect(problems(() => parseSpan('2024-03-02', '2024-03-01'))[0]).toMatch(/^to: 2024-03-01 is not after from 2024-03-02/);
    // An instant as to is excluded: [10:00, 10:00) is empty.
    expect(problems(() => parseSpan('2024-03-02T10:00:00+08:00', '2024-03-02T10:00:00+08:00'))[0]).toMatch(/is not after/);
    // 2024 is a leap year: 2024-01-01 … 2024-12-31 is exactly 366 days, allowed; one day more is not.
    expect(parseRun({ from: '2024-01-01', to: '2024-12-31' })).toEqual({ span: parseSpan('2024-01-01', '2024-12-31') });
    expect(problems(() => parseRun({ from: '2024-01-01', to: '2025-01-01' }))[0]).toMatch(/at most 366 days/);
  });

  it('takes a run as a span or incremental, nothing else', () => {
    expect(parseRun({ incremental: true })).toEqual({ incremental: true });
    expect(problems(() => parseRun({ incremental: false }))).toHaveLength(1);
    expect(problems(() => parseRun({ from: '2024-03-01' }))).toHaveLength(1);
    expect(problems(() => parseRun({ from: '2024-03-01', to: '2024-03-02', incremental: true }))).toHaveLength(1);
  });

  it('filters findings by a span of happened_at', () => {
    expect(findingFilter({ from: '2024-03-01', to: '2024-03-01', status: 'open' })).toEqual({
      status: 'open',
      from: Date.parse('2024-02-29T16:00:00Z'),
      to: Date.parse('2024-03-01T16:00:00Z'),
    });
    expect(problems(() => findingFilter({ from: '2024-03-02', to: '2024-03-01' }))).toEqual(['query.to: 2024-03-01 is not after query.from 2024-03-02']);
  });
});

describe('a site', () => {
  it('takes a kind and both coordinates, or both null', () => {
    expect(parseSite({ kind: 'pharmacy', longitude: 112.454123, latitude: 34.619 }, 'Y1')).toEqual({
      institutionId: 'Y1',
      kind: 'pharmacy',
      longitude: 112.454123,
      latitude: 34.619,
    });
    expect(parseSite({ kind: 'medical', longitude: null, latitude: null }, 'H1')).toEqual({ institutionId: 'H1', kind: 'medical', longitude: null, latitude: null });
  });

  it('refuses a coordinate alone, out of range, with more than 6 decimals, another institution, an unknown kind', () => {
    expect(problems(() => parseSite({ kind: 'medical', longitude: 112.4, latitude: null }, 'H1'))).toEqual(['latitude: longitude and latitude are given together, or both null']);
    expect(problems(() => parseSite({ kind: 'medical', longitude: 181, latitude: 91 }, 'H1'))).toEqual([
      'longitude: must be between -180 and 180',
      'latitude: must be between -90 and 90',
    ]);
    expect(problems(() => parseSite({ kind: 'medical', longitude: 112.4541234, latitude: 34.6 }, 'H1'))).toEqual(['longitude: must have at most 6 decimals']);
    expect(problems(() => parseSite({ institutionId: 'H2', kind: 'medical', longitude: null, latitude: null }, 'H1'))[0]).toMatch(/H2 is not the path’s H1/);
    expect(problems(() => parseSite({ kind: 'clinic', longitude: null, latitude: null }, 'H1'))[0]).toMatch(/^kind: must be medical/);
  });

  it('reads a sites file as JSON or CSV (Chinese headers and kinds; GBK too), refusing it whole for one bad row', () => {
    const json = Buffer.from(JSON.stringify([{ institutionId: 'H1', kind: 'medical', longitude: 112.45, latitude: 34.62 }]));
    expect(parseSitesFile(json, 'sites.json')).toEqual([{ institutionId: 'H1', kind: 'medical', longitude: 112.45, latitude: 34.62 }]);
    const csv = Buffer.from('\uFEFF定点医药机构编号,类型,经度,纬度\nH1,定点医疗机构,112.45,34.62\nY1,pharmacy,,\n');
    expect(parseSitesFile(csv, 'sites.csv')).toEqual([
      { institutionId: 'H1', kind: 'medical', longitude: 112.45, latitude: 34.62 },
      { institutionId: 'Y1', kind: 'pharmacy', longitude: null, latitude: null },
    ]);
    const bad = Buffer.from('institutionId,kind,longitude,latitude\nH1,medical,112.45,34.62\nH1,medical,abc,34\n');
    expect(problems(() => parseSitesFile(bad, 'sites.csv'))).toEqual([
      'line 3.institutionId: H1 appears twice',
      'line 3.longitude: must be the longitude in degrees (a number), or null',
    ]);
    expect(problems(() => parseSitesFile(Buffer.from('a,b\n1,2\n'), 'x.csv'))[0]).toMatch(/header lacks institutionId, kind, longitude, latitude/);
  });
});
