/**
 * A simulation thread: builds the engine and the population from what the main thread sends, then
 * settles the ranges of persons it is given, one at a time, and sends back their totals.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadPolicies } from '../policy/policies.js';
import { personBuffers } from './aggregate.js';
import { settleRange } from './kernel.js';
import { enginesFor } from './reform.js';
import { sourceOf, type ToMain, type ToWorker, type WorkerSetup } from './simulate.js';

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('src/sim/worker.ts runs as a worker thread');

// The main thread has checked the drafts: no problems are left to find here.
const engines = enginesFor(
  loadPolicies({ policyFiles: setup.policyFiles }).packs,
  setup.drafts,
  setup.policies.map((p) => p.packId),
  [],
);
const source = sourceOf(setup.input);

port.on('message', (m: ToWorker) => {
  if (m.type === 'stop') {
    port.close();
    return;
  }
  try {
    const totals = settleRange(engines, source, setup.policies, m.first, m.count, {
      progress: (persons, visits) => port.postMessage({ type: 'progress', persons, visits } satisfies ToMain),
    });
    port.postMessage({ type: 'done', totals } satisfies ToMain, personBuffers(totals));
  } catch (e) {
    port.postMessage({ type: 'failed', message: (e as Error).stack ?? String(e) } satisfies ToMain);
  }
});
port.postMessage({ type: 'ready' } satisfies ToMain);
