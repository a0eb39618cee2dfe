/**
 * A batch's settlements read on SQLite by worker threads (supervision-read-thread.ts): reading
 * 10,000,000 rows costs some 3.5 µs a row on one thread (better-sqlite3 making each row's values,
 * then the id look-ups), most of a batch's time. The span is cut into CHUNKS_PER_THREAD ranges a
 * thread; each thread, with its own read-only connection, is handed the next range when it
 * answers the last, and sends back the range's columns (its ArrayBuffers transferred, not copied).
 * (The person and institution tables are supervision-load.ts's PersonTable and InstitutionTable.)
 * The main thread puts the ranges in time order and groups them by person
 * (ColumnsBuilder.fromParts): a person's rows stay in time order.
 *
 * Snapshots: each thread reads in its own transaction, so the threads and the run's reader are
 * three snapshots, each taken a little later than the run's. Each range is read by one thread only,
 * so no settlement is read twice or missed for that; what a later snapshot may add is what was
 * committed meanwhile: a settle's created_at is the time it commits (near now), inside a batch's
 * span only when the span ends at now; its person not among the run's persons is skipped (counted
 * as `skipped`, as a load on one snapshot counts none), a reversal committed meanwhile leaves out
 * the settlement it reverses. A batch over a span that ended before the run began reads the same
 * rows on every snapshot.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ColumnsBuilder, type SettlementPart } from '../monitoring/columns.js';
import type { SettlementColumns } from '../monitoring/types.js';

/** What a read thread is started with. */
export interface ReadThreadData {
  path: string;
  /** The settlements' select, its last two parameters the time range [from, to). */
  sql: string;
  /**
   * Person ids in ordinal order, joined by '\n' (one string: one copy, no array of a million to
   * clone); as an array when an id holds a '\n'.
   */
  personIds: string | readonly string[];
  institutionIds: string[];
  /** A slice of time read by one `all()`. */
  sliceMs: number;
  fault?: ReadThreadFault;
}

/** Test only: a thread whose SQL is wrong, or that exits on its first range. */
export type ReadThreadFault = 'sql' | 'exit';

export interface ToReadThread {
  chunk: number;
  from: number;
  to: number;
  /** Rows expected: the arrays' first size. */
  hint: number;
}

export type FromReadThread = { chunk: number; part: SettlementPart; unknown: string[]; skipped: number } | { chunk: number; error: string };

/**
 * How a span is read by threads; changed by tests and the bench (--one-reader) only.
 *
 * Measured on a 2-core machine shared with other work, a year of 10,000,000 settlements, loadSpan
 * alone: with the machine's load average near 3–4, two threads 36.1 s and 41.1 s (CPU 57 s, 60 s;
 * peak RSS 1.4 GB, 1.5 GB) against one thread 53.2 s twice (CPU 48 s, 51 s; peak RSS 1.8 GB); with
 * its load average at 5–7 (no core to spare), threads lost: 96.8 s and 123.8 s against 83.8 s and
 * 57.5 s. The bench's batch (load average near 2): read 45.1 s and 36.6 s against 47.2 s with
 * --one-reader; peak RSS 2.0 GB and 1.9 GB against 1.9 GB. Starting the threads and their id maps costs about a second: a span of fewer entries
 * than `minEntries` is read on the run's connection.
 */
export const readThreads = {
  /** Fewer entries than this in a span: read on the run's connection. */
  minEntries: 200_000,
  fault: undefined as ReadThreadFault | undefined,
};

/** Ranges each thread is handed in turn (more than one: a thread done early takes the next). */
const CHUNKS_PER_THREAD = 8;

function threadFile(): URL {
  const beside = new URL('./supervision-read-thread.js', import.meta.url);
  if (existsSync(beside)) return beside;
  return new URL('../../dist/src/ledger/supervision-read-thread.js', import.meta.url);
}

/** Threads to read with: the cores, at least 2 and at most 4. */
export const readThreadCount = () => Math.min(4, Math.max(2, availableParallelism()));

/**
 * The live settlements of `span` read by threads from the ledger file at `path` (`sql`: the
 * select, ending with the range's two parameters), grouped by person. An institution not among
 * `institutions` is added to it (tier, grade and kind unknown). Rejects if any thread fails; the
 * threads are ended either way.
 */
export async function readSpanInThreads(
  path: string,
  sql: string,
  span: { from: number; to: number },
  entries: number,
  persons: { readonly ids: readonly string[] },
  institutions: { readonly ids: readonly string[]; ordinal(id: string): number },
  sliceMs: number,
): Promise<{ settlements: SettlementColumns; skipped: number }> {
  const threads = readThreadCount();
  const chunks = threads * CHUNKS_PER_THREAD;
  const width = Math.ceil((span.to - span.from) / chunks);
  const ranges: ToReadThread[] = [];
  for (let k = 0, from = span.from; from < span.to; k++, from += width) {
    ranges.push({ chunk: k, from, to: Math.min(from + width, span.to), hint: Math.ceil((entries / chunks) * 1.1) });
  }
  const data: ReadThreadData = {
    path,
    sql,
    personIds: persons.ids.some((id) => id.includes('\n')) ? persons.ids : persons.ids.join('\n'),
    institutionIds: [...institutions.ids],
    sliceMs,
    ...(readThreads.fault ? { fault: readThreads.fault } : {}),
  };
  const parts: (SettlementPart | undefined)[] = new Array(ranges.length);
  const unknowns: string[][] = new Array(ranges.length);
  let skipped = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      if (ranges.length === 0) resolve();
      const handOut = (w: Worker) => {
        const r = ranges[next++];
        if (r) w.postMessage(r);
      };
      for (let i = 0; i < Math.min(threads, ranges.length); i++) {
        const w = new Worker(threadFile(), { workerData: data });
        workers.push(w);
        w.on('message', (m: FromReadThread) => {
          if ('error' in m) return fail(new Error(`a supervision read thread failed: ${m.error}`));
          parts[m.chunk] = m.part;
          unknowns[m.chunk] = m.unknown;
          skipped += m.skipped;
          if (++done === ranges.length) resolve();
          else handOut(w);
        });
        w.on('error', (e: unknown) => fail(new Error(`a supervision read thread failed: ${(e as Error | undefined)?.message ?? String(e)}`)));
        w.on('exit', (code) => {
          if (done < ranges.length) fail(new Error(`a supervision read thread stopped (exit code ${code}) before it had read its part`));
        });
        handOut(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  // Institutions a thread met that are not on file: their codes -1, -2… as ordinals here.
  const ready = parts.map((p, k) => {
    if (!p) throw new Error(`a supervision read thread gave no part for range ${k}`);
    const unknown = unknowns[k] ?? [];
    if (unknown.length > 0) {
      const ordinals = unknown.map((id) => institutions.ordinal(id));
      for (let i = 0; i < p.length; i++) {
        const v = p.institution[i] as number;
        if (v < 0) p.institution[i] = ordinals[-v - 1] as number;
      }
    }
    return p;
  });
  parts.fill(undefined);
  return { settlements: ColumnsBuilder.fromParts(persons.ids.length, ready), skipped };
}
