/**
 * A simulation thread: builds the engine and the population from what the main thread sends, then
 * settles the ranges of persons it is given, one at a time, and sends back their totals.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SettlementEngine } from '../engine/settle.js';
import { loadPolicies } from '../policy/policies.js';
import type { Totals } from './aggregate.js';
import { settleRange } from './kernel.js';
import { sourceOf, type ToMain, type ToWorker, type WorkerSetup } from './simulate.js';

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('src/sim/worker.ts runs as a worker thread');

const engine = new SettlementEngine(loadPolicies({ policyFiles: setup.policyFiles }));
const source = sourceOf(setup.input);

/** The buffers of a result's per-person amounts, moved rather than copied. */
const buffers = (t: Totals) => t.policies.map((p) => p.cash.buffer as ArrayBuffer);

port.on('message', (m: ToWorker) => {
  if (m.type === 'stop') {
    port.close();
    return;
  }
  try {
    const totals = settleRange(engine, source, setup.policies, m.first, m.count, {
      progress: (persons, visits) => port.postMessage({ type: 'progress', persons, visits } satisfies ToMain),
    });
    port.postMessage({ type: 'done', totals } satisfies ToMain, buffers(totals));
  } catch (e) {
    port.postMessage({ type: 'failed', message: (e as Error).stack ?? String(e) } satisfies ToMain);
  }
});
port.postMessage({ type: 'ready' } satisfies ToMain);
