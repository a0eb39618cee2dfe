/**
 * A thread reading part of a batch's settlements (supervision-read-threads.ts): its own read-only
 * connection to the ledger file in one read transaction, its own maps from person and institution
 * ids to the main thread's ordinals, and a loop answering each time range asked with the columns
 * of its live settlements, their buffers transferred (not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { ColumnsBuilder, type SettlementRow } from '../monitoring/columns.js';
import type { FromReadThread, ReadThreadData, ToReadThread } from './supervision-read-threads.js';

const port = parentPort;
if (!port) throw new Error('supervision-read-thread runs as a worker thread');
const data = workerData as ReadThreadData;

/** The connection and its select, opened on the first range asked (a failure is answered as a range's). */
let select: BetterSqlite3.Statement | undefined;
function open(): BetterSqlite3.Statement {
  const conn = new BetterSqlite3(data.path, { readonly: true, fileMustExist: true, timeout: 10_000 });
  conn.pragma('cache_size = -65536');
  conn.prepare('begin').run();
  return conn.prepare(data.fault === 'sql' ? 'select x from no_such_table where ? < ?' : data.sql).raw(true);
}

const personIds = typeof data.personIds !== 'string' ? data.personIds : data.personIds.length === 0 ? [] : data.personIds.split('\n');
const personCount = personIds.length;
const persons = new Map<string, number>();
for (let i = 0; i < personCount; i++) persons.set(personIds[i] as string, i);
const institutions = new Map<string, number>();
data.institutionIds.forEach((id, i) => institutions.set(id, i));

/** Reads [from, to) a slice at a time; institutions not on file get codes -1, -2… (`unknown`). */
function read(from: number, to: number, hint: number): Extract<FromReadThread, { part: unknown }> {
  const builder = new ColumnsBuilder(personCount, Math.max(1024, hint));
  const row: SettlementRow = { person: 0, institution: 0, timeMs: 0, visitType: 0, totalFen: 0, fundFen: 0, criticalFen: 0, assistanceFen: 0, accountFen: 0, cashFen: 0 };
  const unknown: string[] = [];
  const unknownCode = new Map<string, number>();
  let skipped = 0;
  for (let lo = from; lo < to; lo += data.sliceMs) {
    select ??= open();
    const rows = select.all(lo, Math.min(lo + data.sliceMs, to)) as unknown[][];
    for (const r of rows) {
      const p = persons.get(r[0] as string);
      if (p === undefined) {
        skipped++;
        continue;
      }
      const id = r[1] as string;
      let inst = institutions.get(id);
      if (inst === undefined) {
        inst = unknownCode.get(id);
        if (inst === undefined) {
          unknown.push(id);
          inst = -unknown.length;
          unknownCode.set(id, inst);
        }
      }
      row.person = p;
      row.institution = inst;
      row.timeMs = Number(r[2]);
      row.visitType = typeof r[3] === 'number' ? r[3] : 255;
      row.totalFen = Number(r[4]);
      row.fundFen = Number(r[5]);
      row.criticalFen = Number(r[6]);
      row.assistanceFen = Number(r[7]);
      row.accountFen = Number(r[8]);
      row.cashFen = Number(r[9]);
      builder.push(row);
    }
  }
  return { chunk: -1, part: builder.part(), unknown, skipped };
}

port.on('message', (m: ToReadThread) => {
  try {
    if (data.fault === 'exit') process.exit(3);
    const out = read(m.from, m.to, m.hint);
    out.chunk = m.chunk;
    const p = out.part;
    // The arrays are the thread's own (not shared): their buffers are ArrayBuffers.
    const buffers = [p.person, p.institution, p.timeMs, p.visitType, ...p.amounts].map((a) => a.buffer as ArrayBuffer);
    port.postMessage(out, buffers);
  } catch (e) {
    port.postMessage({ chunk: m.chunk, error: (e as Error).message } satisfies FromReadThread);
  }
});
