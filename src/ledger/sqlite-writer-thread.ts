/**
 * The SQLite writer thread (see sqlite-writer.ts): its own connection to the ledger file, the
 * settle statements and the engine, and a loop that settles what the service sends, a batch per
 * transaction.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Kysely, SqliteDialect } from 'kysely';
import { SettlementEngine } from '../engine/settle.js';
import { PolicySet } from '../policy/registry.js';
import { openSqlite } from './connect.js';
import { useIdClock } from './ids.js';
import { setClockTolerance } from './visit-time.js';
import type { Database } from './schema.js';
import { MAX_BATCH } from './queue.js';
import { SqliteBatchSettler } from './sqlite-path.js';
import { SettleStatements } from './statements.js';
import type { SettleJob } from './types.js';
import { toWire, type FromWriter, type ToWriter, type WriterThreadData } from './sqlite-writer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-writer-thread runs as a worker thread');
const data = workerData as WriterThreadData;
useIdClock(data.idClock);
setClockTolerance(data.clockToleranceMs);
const send = (m: FromWriter) => port.postMessage(m);

let settler: SqliteBatchSettler;
try {
  const sqlite = openSqlite(data.path, data.busyTimeout, data.synchronous);
  if (data.walAutocheckpoint !== undefined) sqlite.pragma(`wal_autocheckpoint = ${data.walAutocheckpoint}`);
  // Kysely here only compiles the statements; they run on the driver.
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  settler = new SqliteBatchSettler(sqlite, new SettleStatements(db), new SettlementEngine(new PolicySet(data.packs)), Date.now, data.mode);
  send({ ready: true, synchronous: Number(sqlite.pragma('synchronous', { simple: true })) });
} catch (e) {
  send({ fatal: (e as Error).message });
  process.exit(1);
}

let stopping = false;

/** Settles jobs in batches; answers each batch after its commit. */
function settleAll(jobs: (SettleJob & { seq: number })[]): void {
  for (let i = 0; i < jobs.length; i += MAX_BATCH) {
    const batch = jobs.slice(i, i + MAX_BATCH);
    let results: [number, ReturnType<typeof toWire>][];
    const started = performance.now();
    try {
      const outcomes = settler.settleBatch(batch);
      results = batch.map((job, k) => [job.seq, toWire(outcomes[k] as Parameters<typeof toWire>[0])]);
    } catch (e) {
      // The transaction itself failed (BEGIN, COMMIT): nothing of the batch was written.
      results = batch.map((job) => [job.seq, toWire({ error: e })]);
    }
    send({ results, seconds: (performance.now() - started) / 1000 });
  }
}

function take(m: ToWriter, jobs: (SettleJob & { seq: number })[]): void {
  if ('stop' in m) stopping = true;
  else for (const j of m.jobs) jobs.push(j);
}

port.on('message', (first: ToWriter) => {
  const jobs: (SettleJob & { seq: number })[] = [];
  take(first, jobs);
  // Everything else already waiting joins this round: the batch grows with the load.
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) take(m.message as ToWriter, jobs);
  if (jobs.length > 0) settleAll(jobs);
  if (stopping) {
    settler.sqlite.close();
    port.close();
  }
});
