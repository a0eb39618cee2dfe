/**
 * Running a simulation: the scenario's persons are cut into ranges, the ranges handed out to
 * worker threads as they ask for work, and their totals merged in person order. Each person's
 * visits come from their own random stream (or their own claims) and every figure is a sum, so
 * the result is the same for any number of threads; `threads: 0` settles in this thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { schemeOf, CATEGORIES, type Scheme } from '../domain.js';
import type { SettlementEngine } from '../engine/settle.js';
import { YibaoError } from '../errors.js';
import type { PolicyDraft } from '../policy/draft.js';
import { loadPolicies } from '../policy/policies.js';
import { emptyTotals, mergeTotals, type Totals } from './aggregate.js';
import { ClaimsSource, readClaims, type ClaimsData } from './claims.js';
import { settleRange, type PolicyYear } from './kernel.js';
import { choosePolicyYears, type ChosenPolicy } from './policy-year.js';
import { SyntheticPopulation, type PersonSource } from './population.js';
import { enginesFor } from './reform.js';
import { ScenarioError, type Scenario, type SyntheticSpec } from './scenario.js';

/** What a thread needs to make the persons: the synthetic spec and seed, or the claims. */
export type SourceInput = { kind: 'synthetic'; spec: SyntheticSpec; seed: number } | ClaimsData;

export interface WorkerSetup {
  policyFiles: string[];
  input: SourceInput;
  policies: PolicyYear[];
  /** Each policy's draft (undefined: the documents' pack). */
  drafts: (PolicyDraft | undefined)[];
}

export type ToWorker = { type: 'range'; first: number; count: number } | { type: 'stop' };
export type ToMain = { type: 'ready' } | { type: 'progress'; persons: number; visits: number } | { type: 'done'; totals: Totals } | { type: 'failed'; message: string };

export function sourceOf(input: SourceInput): PersonSource {
  return input.kind === 'synthetic' ? new SyntheticPopulation(input.spec, input.seed) : new ClaimsSource(input);
}

export interface SimulateOptions {
  /** Worker threads; 0 settles in this thread. Default: the machine's available parallelism. */
  threads?: number;
  policyFiles?: string[];
  /** Persons per range handed to a thread (results do not depend on it). */
  rangeSize?: number;
  /** Stop the worker threads and fail with SIMULATION_TIMEOUT after this long (threads ≥ 1 only). */
  timeoutMs?: number;
  /** Called as persons are settled, with the running counts. */
  progress?: (persons: number, visits: number, of: number) => void;
}

export interface SimulationRun {
  scenario: Scenario;
  /** The documents' packs (the base policy's engine). */
  engine: SettlementEngine;
  policies: ChosenPolicy[];
  /** The year the visits stand for (the scenario's, or the claims'). */
  visitsYear: number;
  totals: Totals;
  /** Worker threads used (0: settled in the calling thread). */
  threads: number;
  /** Claims: the file read. */
  claimsFile?: string;
  /** A person's id by index (`p0`… for a synthetic population, the claims' own ids). */
  personId: (index: number) => string;
}

/** The compiled worker beside this file, or the build's copy when running from the TypeScript sources. */
function workerFile(): URL {
  const beside = new URL('./worker.js', import.meta.url);
  if (existsSync(beside)) return beside;
  return new URL('../../dist/src/sim/worker.js', import.meta.url);
}

/** Settles the scenario; resolves with every person's totals merged. */
export async function simulate(scenario: Scenario, options: SimulateOptions = {}): Promise<SimulationRun> {
  const policyFiles = options.policyFiles ?? [];
  const drafts = scenario.policies.map((p) => p.draft);
  const problems: string[] = [];
  const engines = enginesFor(
    loadPolicies({ policyFiles }).packs,
    drafts,
    scenario.policies.map((p) => p.pack),
    problems,
  );
  if (problems.length > 0) throw new ScenarioError(problems);
  const engine = engines[0] as SettlementEngine;
  let input: SourceInput;
  let visitsYear: number;
  let kinds: { schemes: Scheme[]; visitTypes: ('outpatient' | ClaimsData['visitTypes'][number])[] };
  if (scenario.population.kind === 'claims') {
    const claims = readClaims(scenario.population.file);
    input = claims;
    visitsYear = claims.year;
    kinds = { schemes: claims.schemes, visitTypes: claims.visitTypes };
  } else {
    const spec = scenario.population;
    input = { kind: 'synthetic', spec, seed: scenario.seed };
    visitsYear = scenario.year as number;
    const schemes = new Set<Scheme>();
    CATEGORIES.forEach((c, i) => {
      if ((spec.categoryShares[i] ?? 0) > 0) schemes.add(schemeOf(c));
    });
    kinds = { schemes: [...schemes], visitTypes: ['outpatient'] };
  }
  const chosen = choosePolicyYears(engines, scenario.policies, visitsYear, kinds);
  const policies: PolicyYear[] = chosen.map(({ packId, region, year, dayStarts }) => ({ packId, region, year, dayStarts }));
  const source = sourceOf(input);
  const size = source.size;
  const requested = Math.max(0, Math.min(options.threads ?? availableParallelism(), 64));
  const rangeSize = options.rangeSize ?? Math.max(1024, Math.min(65_536, Math.ceil(size / (Math.max(1, requested) * 16))));
  const ranges: { first: number; count: number }[] = [];
  for (let first = 0; first < size; first += rangeSize) ranges.push({ first, count: Math.min(rangeSize, size - first) });
  // No more threads than ranges to give them.
  const threads = Math.min(requested, ranges.length);
  const run = (totals: Totals): SimulationRun => ({
    scenario,
    engine,
    policies: chosen,
    visitsYear,
    totals,
    threads,
    ...(scenario.population.kind === 'claims' ? { claimsFile: scenario.population.file } : {}),
    personId: input.kind === 'synthetic' ? (i) => `p${i}` : (i) => input.personIds[i] as string,
  });

  let done = 0;
  let visits = 0;
  const onProgress = (persons: number, v: number) => {
    done += persons;
    visits += v;
    options.progress?.(done, visits, size);
  };
  if (threads === 0) return run(settleRange(engines, source, policies, 0, size, { progress: onProgress }));

  const parts: Totals[] = [];
  const setup: WorkerSetup = { policyFiles, input, policies, drafts };
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let live = 0;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      clearTimeout(timer);
      reject(e);
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => fail(new YibaoError('SIMULATION_TIMEOUT', `the simulation did not finish within ${options.timeoutMs} ms; try a smaller population`)), options.timeoutMs);
    const give = (w: Worker) => {
      const range = ranges[next++];
      w.postMessage(range ? ({ type: 'range', ...range } satisfies ToWorker) : ({ type: 'stop' } satisfies ToWorker));
    };
    for (let i = 0; i < threads; i++) {
      const w = new Worker(workerFile(), { workerData: setup });
      workers.push(w);
      live++;
      w.on('message', (m: ToMain) => {
        if (m.type === 'ready') give(w);
        else if (m.type === 'progress') onProgress(m.persons, m.visits);
        else if (m.type === 'done') {
          parts.push(m.totals);
          give(w);
        } else fail(new Error(`simulation thread failed: ${m.message}`));
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        live--;
        if (code !== 0) fail(new Error(`simulation thread exited with code ${code}`));
        else if (live === 0 && !failed) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
  // In person order: the merged lists (benefits, caps, error examples) come out the same for any threads.
  parts.sort((a, b) => a.first - b.first);
  const totals = emptyTotals(0, size, policies.length);
  for (const part of parts) mergeTotals(totals, part);
  return run(totals);
}
