/**
 * A thread reading part of a batch's settlements (supervision-read-threads.ts): its own read-only
 * connection to the ledger file in one read transaction, its own maps from person and institution
 * ids to the main thread's ordinals, and a loop answering each time range asked with the columns
 * of its live settlements, their buffers transferred (not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
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

const persons = new Map<string, number>();
{
  const ids = typeof data.personIds !== 'string' ? data.personIds : data.personIds.length === 0 ? [] : data.personIds.split('\n');
  for (let i = 0; i < ids.length; i++) persons.set(ids[i] as string, i);
}
const institutions = new Map<string, number>();
data.institutionIds.forEach((id, i) => institutions.set(id, i));

/** Reads [from, to) a slice at a time; institutions not on file get codes -1, -2… (`unknown`). */
function read(from: number, to: number, hint: number): Extract<FromReadThread, { part: unknown }> {
  let cap = Math.max(1024, hint);
  let person = new Int32Array(cap);
  let institution = new Int32Array(cap);
  let timeMs = new Float64Array(cap);
  let visitType = new Uint8Array(cap);
  let amounts = Array.from({ length: 6 }, () => new Float64Array(cap));
  const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, size: number): T => {
    const next = new (a.constructor as { new (n: number): T })(size);
    next.set(a);
    return next;
  };
  const unknown: string[] = [];
  const unknownCode = new Map<string, number>();
  let n = 0;
  let skipped = 0;
  for (let lo = from; lo < to; lo += data.sliceMs) {
    select ??= open();
    const rows = select.all(lo, Math.min(lo + data.sliceMs, to)) as unknown[][];
    if (n + rows.length > cap) {
      cap = Math.max(cap * 2, n + rows.length);
      person = grow(person, cap);
      institution = grow(institution, cap);
      timeMs = grow(timeMs, cap);
      visitType = grow(visitType, cap);
      amounts = amounts.map((a) => grow(a, cap));
    }
    const [t, f, c, a, ac, ca] = amounts as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
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
      const i = n++;
      person[i] = p;
      institution[i] = inst;
      timeMs[i] = Number(r[2]);
      visitType[i] = typeof r[3] === 'number' ? r[3] : 255;
      t[i] = Number(r[4]);
      f[i] = Number(r[5]);
      c[i] = Number(r[6]);
      a[i] = Number(r[7]);
      ac[i] = Number(r[8]);
      ca[i] = Number(r[9]);
    }
  }
  // Arrays well past their rows (a range denser than hinted) are cut to them: the main thread holds every part at once.
  if (cap > n + (n >> 2) + 1024) {
    person = person.slice(0, n);
    institution = institution.slice(0, n);
    timeMs = timeMs.slice(0, n);
    visitType = visitType.slice(0, n);
    amounts = amounts.map((x) => x.slice(0, n));
  }
  return { chunk: -1, part: { length: n, person, institution, timeMs, visitType, amounts }, unknown, skipped };
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
