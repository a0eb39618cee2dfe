import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Three projects, run together by `npm test` and alone by `npm run test:unit|integration|e2e`:
 *
 * - unit: pure code in-process: src/**\/*.test.ts beside the code, and test/unit/.
 * - integration: the ledger on its stores (SQLite, the writer thread, PostgreSQL), the service
 *   through fastify's inject, the simulation's worker threads: test/integration/.
 * - e2e: real processes (the `yibao` bin, `yibao serve` killed mid-write): test/e2e/.
 *
 * The global setup (test/support/global-setup.ts) runs once for all three: it builds dist/ from
 * today's sources (the worker threads and the bin run it) and migrates the PostgreSQL template.
 */
const shared = {
  // Property tests and real processes take their time; a hung test still fails.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Most files wait on PostgreSQL, SQLite fsyncs, worker threads or child processes rather than
  // on the CPU: more files in flight than cores keeps both cores busy (vitest's default on two
  // cores is one file at a time).
  pool: 'forks',
} satisfies TestProjectInlineConfiguration['test'];


export default defineConfig({
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    maxWorkers: Number(process.env.YIBAO_TEST_WORKERS ?? 4),
    projects: [
      // Unit and integration files share their worker's module cache (isolate: false): each file
      // would otherwise import and transform the same sources again, a third of the unit run. The
      // files keep no state in modules between them: every store, service and ledger is the file's own.
      { test: { ...shared, name: 'unit', isolate: false, sequence: { groupOrder: 0 }, include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'] } },
      { test: { ...shared, name: 'integration', isolate: false, sequence: { groupOrder: 0 }, include: ['test/integration/**/*.test.ts'] } },
      // Real processes are CPU-bound from their first instruction (node's start, loading dist/ and
      // the policies) and some keep their own deadlines (yibao serve must report its address within
      // 15 s): they run after unit and integration (groupOrder 1), two at a time, one per core.
      { test: { ...shared, name: 'e2e', include: ['test/e2e/**/*.test.ts'], maxWorkers: 2, sequence: { groupOrder: 1 } } },
    ],
  },
});
