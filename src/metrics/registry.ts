/**
 * Metrics (运行指标) in Prometheus' text exposition format, version 0.0.4: counters, gauges and
 * histograms with labels, for an operator's scraper (`GET /metrics`, docs/operations.md
 * "Metrics"). Pure: no I/O, no clock; a metric is either kept here (`inc`, `set`, `observe`) or
 * collected from its owner when rendered (`collect`), so that the ledger keeps its own figures
 * ({@link Durations}) without knowing this registry.
 *
 * Bounded: a metric holds at most {@link MAX_SERIES} label sets; a further one is counted under
 * every label {@link OVERFLOW}, so that no label a client can influence grows the memory.
 */

/** A series' labels, by label name. */
export type Labels = Readonly<Record<string, string>>;

/** At most this many label sets a metric. */
export const MAX_SERIES = 500;

/** The value of every label of the series that holds what came past {@link MAX_SERIES}. */
export const OVERFLOW = '_other';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Upper bounds (seconds) for request and transaction durations: 1 ms to 10 s. */
export const SECONDS_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Observations counted into fixed buckets (upper bounds, ascending; a last bucket above them all),
 * with their sum and count: a histogram's state, kept by whoever observes.
 */
export class Durations {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = SECONDS_BUCKETS) {
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i] as number;
      if (!Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number))) throw new Error(`bucket bounds must be finite and ascending: ${bounds.join(', ')}`);
    }
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

type Kind = 'counter' | 'gauge' | 'histogram';

/** One sample a collector gives: a number, or a histogram's state. */
export interface Sample {
  labels?: Labels;
  value: number | Durations;
}

interface Family {
  name: string;
  help: string;
  kind: Kind;
  labelNames: readonly string[];
  samples(): Iterable<Sample>;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function number(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isNaN(n) ? 'NaN' : String(n);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] as string)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** The label values of `labels` in the order of `names`; a missing or unknown label is a programming error. */
function valuesOf(metric: string, names: readonly string[], labels: Labels = {}): string[] {
  const given = Object.keys(labels);
  if (given.length !== names.length || given.some((k) => !names.includes(k))) {
    throw new Error(`metric ${metric}: labels must be exactly ${names.join(', ') || '(none)'}, not ${given.join(', ') || '(none)'}`);
  }
  return names.map((n) => String(labels[n]));
}

/** Series kept by the registry, by their label values. */
class Series<T> {
  private readonly byKey = new Map<string, { values: string[]; state: T }>();

  constructor(
    private readonly metric: string,
    private readonly names: readonly string[],
    private readonly make: () => T,
  ) {}

  get(labels: Labels | undefined): T {
    let values = valuesOf(this.metric, this.names, labels);
    let key = values.join('\u0000');
    let s = this.byKey.get(key);
    if (!s && this.byKey.size >= MAX_SERIES) {
      values = this.names.map(() => OVERFLOW);
      key = values.join('\u0000');
      s = this.byKey.get(key);
    }
    if (!s) {
      s = { values, state: this.make() };
      this.byKey.set(key, s);
    }
    return s.state;
  }

  *entries(): Iterable<[string[], T]> {
    for (const s of this.byKey.values()) yield [s.values, s.state];
  }
}

/** A counter kept by the registry: only goes up. */
export class Counter {
  constructor(private readonly series: Series<{ v: number }>) {}

  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) throw new Error(`a counter goes up by a finite amount ≥ 0, not ${by}`);
    this.series.get(labels).v += by;
  }
}

/** A histogram kept by the registry. */
export class Histogram {
  constructor(private readonly series: Series<Durations>) {}

  observe(labels: Labels | undefined, value: number): void {
    this.series.get(labels).observe(value);
  }
}

/** The metrics of one process, rendered for a scrape. */
export class MetricsRegistry {
  private readonly families: Family[] = [];

  private add(f: Family): void {
    if (!METRIC_NAME.test(f.name)) throw new Error(`not a metric name: ${f.name}`);
    for (const l of f.labelNames) if (!LABEL_NAME.test(l) || l === 'le' || l.startsWith('__')) throw new Error(`metric ${f.name}: not a label name: ${l}`);
    if (this.families.some((g) => g.name === f.name)) throw new Error(`metric ${f.name} is registered twice`);
    this.families.push(f);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const series = new Series(name, labelNames, () => ({ v: 0 }));
    this.add({ name, help, kind: 'counter', labelNames, samples: () => mapSeries(series, labelNames, (s) => s.v) });
    return new Counter(series);
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], bounds: readonly number[] = SECONDS_BUCKETS): Histogram {
    new Durations(bounds); // the bounds checked now, not at the first observation
    const series = new Series(name, labelNames, () => new Durations(bounds));
    this.add({ name, help, kind: 'histogram', labelNames, samples: () => mapSeries(series, labelNames, (d) => d) });
    return new Histogram(series);
  }

  /** A metric whose samples are read from their owner at each render. */
  collect(name: string, help: string, kind: Kind, labelNames: readonly string[], samples: () => Iterable<Sample>): void {
    this.add({ name, help, kind, labelNames, samples });
  }

  /** Every metric, in the order registered, in the text format (`text/plain; version=0.0.4`). */
  render(): string {
    const out: string[] = [];
    for (const f of this.families) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.kind}`);
      let n = 0;
      for (const s of f.samples()) {
        if (++n > MAX_SERIES + 1) break;
        const values = valuesOf(f.name, f.labelNames, s.labels);
        if (s.value instanceof Durations) {
          if (f.kind !== 'histogram') throw new Error(`metric ${f.name}: a ${f.kind} takes numbers`);
          const d = s.value;
          let cumulative = 0;
          for (let i = 0; i <= d.bounds.length; i++) {
            cumulative += d.counts[i] as number;
            const le = i < d.bounds.length ? number(d.bounds[i] as number) : '+Inf';
            out.push(`${f.name}_bucket${labelText(f.labelNames, values, ['le', le])} ${cumulative}`);
          }
          out.push(`${f.name}_sum${labelText(f.labelNames, values)} ${number(d.sum)}`, `${f.name}_count${labelText(f.labelNames, values)} ${d.count}`);
        } else {
          if (f.kind === 'histogram') throw new Error(`metric ${f.name}: a histogram takes Durations`);
          out.push(`${f.name}${labelText(f.labelNames, values)} ${number(s.value)}`);
        }
      }
    }
    return `${out.join('\n')}\n`;
  }
}

function* mapSeries<T>(series: Series<T>, names: readonly string[], value: (t: T) => number | Durations): Iterable<Sample> {
  for (const [values, state] of series.entries()) {
    yield { labels: Object.fromEntries(names.map((n, i) => [n, values[i] as string])), value: value(state) };
  }
}
