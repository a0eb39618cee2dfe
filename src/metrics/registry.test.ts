import { describe, expect, it } from 'vitest';
import { Durations, MAX_SERIES, MetricsRegistry, OVERFLOW } from './registry.js';

describe('MetricsRegistry', () => {
  it('renders counters with their labels, help and type', () => {
    const r = new MetricsRegistry();
    const c = r.counter('yibao_test_total', 'Things counted.', ['route', 'status']);
    c.inc({ route: '/v1/settlements', status: '201' });
    c.inc({ route: '/v1/settlements', status: '201' }, 2);
    c.inc({ route: '/v1/settlements', status: '400' });
    expect(r.render()).toBe(
      [
        '# HELP yibao_test_total Things counted.',
        '# TYPE yibao_test_total counter',
        'yibao_test_total{route="/v1/settlements",status="201"} 3',
        'yibao_test_total{route="/v1/settlements",status="400"} 1',
        '',
      ].join('\n'),
    );
  });

  it('renders a histogram cumulatively, with +Inf, sum and count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram('yibao_test_seconds', 'Durations.', ['path'], [0.01, 0.1, 1]);
    // 0.005 and 0.01 in the first bucket (le is inclusive), 0.05 in the second, 3 above them all.
    for (const v of [0.005, 0.01, 0.05, 3]) h.observe({ path: 'p' }, v);
    const lines = r.render().split('\n');
    expect(lines).toEqual([
      '# HELP yibao_test_seconds Durations.',
      '# TYPE yibao_test_seconds histogram',
      'yibao_test_seconds_bucket{path="p",le="0.01"} 2',
      'yibao_test_seconds_bucket{path="p",le="0.1"} 3',
      'yibao_test_seconds_bucket{path="p",le="1"} 3',
      'yibao_test_seconds_bucket{path="p",le="+Inf"} 4',
      'yibao_test_seconds_sum{path="p"} 3.065',
      'yibao_test_seconds_count{path="p"} 4',
      '',
    ]);
  });

  it('collects samples from their owner at each render', () => {
    const r = new MetricsRegistry();
    let waiting = 3;
    const d = new Durations([1, 2]);
    d.observe(1.5);
    r.collect('yibao_waiting', 'Waiting.', 'gauge', ['path'], () => [{ labels: { path: 'postgres' }, value: waiting }]);
    r.collect('yibao_size', 'Sizes.', 'histogram', [], () => [{ value: d }]);
    expect(r.render()).toContain('yibao_waiting{path="postgres"} 3\n');
    waiting = 0;
    const text = r.render();
    expect(text).toContain('yibao_waiting{path="postgres"} 0\n');
    expect(text).toContain('yibao_size_bucket{le="1"} 0\nyibao_size_bucket{le="2"} 1\nyibao_size_bucket{le="+Inf"} 1\nyibao_size_sum 1.5\nyibao_size_count 1\n');
  });

  it('escapes label values and help text', () => {
    const r = new MetricsRegistry();
    r.counter('yibao_e_total', 'line one\nback\\slash', ['code']).inc({ code: 'a"b\\c\nd' });
    const text = r.render();
    expect(text).toContain('# HELP yibao_e_total line one\\nback\\\\slash\n');
    expect(text).toContain('yibao_e_total{code="a\\"b\\\\c\\nd"} 1\n');
  });

  it(`holds at most ${MAX_SERIES} label sets a metric, counting the rest under ${OVERFLOW}`, () => {
    const r = new MetricsRegistry();
    const c = r.counter('yibao_many_total', 'Many.', ['code']);
    for (let i = 0; i < MAX_SERIES + 50; i++) c.inc({ code: `C${i}` });
    const lines = r
      .render()
      .split('\n')
      .filter((l) => l.startsWith('yibao_many_total'));
    expect(lines).toHaveLength(MAX_SERIES + 1);
    expect(lines).toContain(`yibao_many_total{code="${OVERFLOW}"} 50`);
  });

  it('refuses what would render a malformed exposition', () => {
    const r = new MetricsRegistry();
    expect(() => r.counter('2bad', 'x')).toThrow(/not a metric name/);
    expect(() => r.counter('yibao_le', 'x', ['le'])).toThrow(/not a label name/);
    r.counter('yibao_twice_total', 'x');
    expect(() => r.counter('yibao_twice_total', 'x')).toThrow(/registered twice/);
    const c = r.counter('yibao_l_total', 'x', ['a']);
    expect(() => c.inc({ b: '1' })).toThrow(/labels must be exactly a/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/≥ 0/);
    expect(() => new Durations([1, 1])).toThrow(/ascending/);
  });
});
