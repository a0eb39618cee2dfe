/**
 * The service's metrics (运行指标) at `GET /metrics`, in Prometheus' text format (version 0.0.4),
 * for the operator who runs instances behind a load balancer (docs/operations.md "Metrics"):
 * requests by route and status with their durations, refusals by code, the settle paths' queues
 * and transactions (how many settles each commit carried, how long it took), the PostgreSQL
 * pools, and the process (CPU, memory, the event loop's delay). Each instance answers for itself.
 *
 * Aggregates only: a label is a route's template, a method, a status, an error code or a path's
 * name, never a person, an institution, a key or a request's own text, and every metric holds a
 * bounded number of label sets (metrics/registry.ts). Agency and analyst keys may read them.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ledger, SettlePathStats } from '../ledger/ledger.js';
import { MetricsRegistry, SECONDS_BUCKETS, type Sample } from '../metrics/registry.js';

/** The exposition format's media type. */
export const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** How often the event loop's delay is sampled (ms). */
const DELAY_RESOLUTION_MS = 10;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A refusal's code in the service's error body (`{"error":{"code":"…"`), or in the national envelope's. */
const ERROR_CODE = /"code":"([A-Z][A-Z0-9_]{0,63})"/;

/** The metrics of one service instance over its ledger; `render` answers a scrape. */
export function serviceMetrics(ledger: Ledger): {
  registry: MetricsRegistry;
  onResponse: (req: FastifyRequest, reply: FastifyReply) => void;
  onError: (statusCode: number, payload: unknown) => void;
  render: () => string;
  close: () => void;
} {
  const registry = new MetricsRegistry();
  registry.collect('yibao_info', 'The store this instance settles on (value 1).', 'gauge', ['store'], () => [{ labels: { store: ledger.store.dialect }, value: 1 }]);

  const requests = registry.counter('yibao_http_requests_total', 'HTTP requests answered, by method, route template and status.', ['method', 'route', 'status']);
  const durations = registry.histogram(
    'yibao_http_request_duration_seconds',
    'Time from a request received to its answer sent, by method and route template.',
    ['method', 'route'],
    SECONDS_BUCKETS,
  );
  const errors = registry.counter('yibao_http_errors_total', "Answers of status 400 and above, by the error's code.", ['code']);

  const perPath = (value: (s: SettlePathStats) => Sample['value']) => () =>
    Object.entries(ledger.settleStats()).map(([queue, s]) => ({ labels: { queue, path: s.path }, value: value(s) }));
  const pathLabels = ['queue', 'path'];
  registry.collect(
    'yibao_settle_waiting',
    'Settles accepted and not yet answered (queued, or in a transaction under way); queue "settle" for most visits, "account" for visits paid from the personal account.',
    'gauge',
    pathLabels,
    perPath((s) => s.waiting),
  );
  registry.collect(
    'yibao_settle_max_queue',
    'The most settles that may wait; one more is refused OVERLOADED (yibao serve --max-queue).',
    'gauge',
    pathLabels,
    perPath((s) => s.maxQueue),
  );
  registry.collect(
    'yibao_settle_transactions_total',
    'Transactions of settles (batches) committed or rolled back.',
    'counter',
    pathLabels,
    perPath((s) => s.transactions.count),
  );
  registry.collect(
    'yibao_settle_transaction_settles_total',
    'Settles those transactions answered (written, retries answered, refusals).',
    'counter',
    pathLabels,
    perPath((s) => s.transactions.settles),
  );
  registry.collect(
    'yibao_settle_transaction_seconds',
    "A transaction's time from BEGIN to its COMMIT's return: on SQLite with synchronous=FULL, the fsync of its WAL included.",
    'histogram',
    pathLabels,
    perPath((s) => s.transactions.seconds),
  );
  registry.collect(
    'yibao_settle_transaction_size',
    'Settles a transaction carried (group commit).',
    'histogram',
    pathLabels,
    perPath((s) => s.transactions.sizes),
  );

  registry.collect('yibao_pg_pool_connections', 'PostgreSQL connections of each pool, open and of those idle.', 'gauge', ['pool', 'state'], () =>
    ledger.poolStats().flatMap((p) => [
      { labels: { pool: p.pool, state: 'open' }, value: p.total },
      { labels: { pool: p.pool, state: 'idle' }, value: p.idle },
    ]),
  );
  registry.collect('yibao_pg_pool_waiting', 'Queries waiting for a connection of each PostgreSQL pool.', 'gauge', ['pool'], () =>
    ledger.poolStats().map((p) => ({ labels: { pool: p.pool }, value: p.waiting })),
  );

  registry.collect('process_cpu_user_seconds_total', 'User CPU time of the process (all its threads).', 'counter', [], () => [{ value: process.cpuUsage().user / 1e6 }]);
  registry.collect('process_cpu_system_seconds_total', 'System CPU time of the process (all its threads).', 'counter', [], () => [{ value: process.cpuUsage().system / 1e6 }]);
  registry.collect('process_resident_memory_bytes', 'Resident memory of the process.', 'gauge', [], () => [{ value: process.memoryUsage.rss() }]);
  registry.collect('nodejs_heap_used_bytes', "The JavaScript heap's bytes in use (the main thread's).", 'gauge', [], () => [{ value: process.memoryUsage().heapUsed }]);
  const startedAt = Date.now() / 1000 - process.uptime();
  registry.collect('process_start_time_seconds', 'When the process started, in seconds since 1970.', 'gauge', [], () => [{ value: Math.round(startedAt) }]);

  // The event loop's delay over the time since the previous scrape: a timer due every
  // DELAY_RESOLUTION_MS, and how much later than that it ran (Node's histogram holds the whole
  // interval between runs, the resolution included, which is taken off here).
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  const late = (ns: number) => Math.max(0, ns / 1e6 - DELAY_RESOLUTION_MS) / 1000;
  registry.collect(
    'nodejs_eventloop_delay_seconds',
    'How late the event loop ran a timer, since the previous scrape: median, 99th percentile and largest.',
    'gauge',
    ['quantile'],
    () => {
      const ns = delay.count > 0 ? [delay.percentile(50), delay.percentile(99), delay.max] : [0, 0, 0];
      delay.reset();
      return [
        { labels: { quantile: '0.5' }, value: late(ns[0] as number) },
        { labels: { quantile: '0.99' }, value: late(ns[1] as number) },
        { labels: { quantile: 'max' }, value: late(ns[2] as number) },
      ];
    },
  );

  return {
    registry,
    onResponse(req, reply) {
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      // The route's template (`/v1/settlements/:id`), never the path as sent; none for a 404.
      const route = req.routeOptions.url ?? '(none)';
      requests.inc({ method, route, status: String(reply.statusCode) });
      durations.observe({ method, route }, reply.elapsedTime / 1000);
    },
    onError(statusCode, payload) {
      if (statusCode < 400) return;
      const code = typeof payload === 'string' ? ERROR_CODE.exec(payload.slice(0, 200))?.[1] : undefined;
      errors.inc({ code: code ?? `HTTP_${statusCode}` });
    },
    render: () => registry.render(),
    close: () => delay.disable(),
  };
}

/** `GET /metrics`, and the hooks that count every answer. */
export function registerMetrics(app: FastifyInstance, ledger: Ledger): void {
  const metrics = serviceMetrics(ledger);
  app.addHook('onSend', (_req, reply, payload, done) => {
    metrics.onError(reply.statusCode, payload);
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    metrics.onResponse(req, reply);
    done();
  });
  app.addHook('onClose', (_app, done) => {
    metrics.close();
    done();
  });
  app.get('/metrics', { config: { roles: ['agency', 'analyst'] }, schema: { hide: true } }, async (_req, reply) => reply.type(METRICS_TYPE).send(metrics.render()));
}
