import { describe, expect, it } from 'vitest';
import { idClock, uuidv7 } from './ids.js';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is a version-7, RFC 9562 variant UUID carrying the time in its first 48 bits', () => {
    const t = Date.UTC(2024, 0, 1, 8, 0, 0);
    const id = uuidv7(t);
    expect(id).toMatch(FORMAT);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(t);
  });

  it('grows with time, and within one millisecond, so entries append to the index', () => {
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) ids.push(uuidv7(1_700_000_000_000 + Math.floor(i / 1000)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never goes backwards when the clock does', () => {
    const a = uuidv7(1_800_000_000_500);
    const b = uuidv7(1_800_000_000_000);
    expect(b > a).toBe(true);
    expect(b).toMatch(FORMAT);
  });
});

describe('the id clock shared between threads', () => {
  it('orders ids made on another thread after the ones made here, within one millisecond', async () => {
    const { Worker } = await import('node:worker_threads');
    const t = 1_900_000_000_000;
    const before = uuidv7(t);
    // A worker that adopts this thread's clock and makes an id for the same millisecond.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.ids).then(({ useIdClock, uuidv7 }) => {
        useIdClock(workerData.clock);
        parentPort.postMessage(uuidv7(workerData.t));
      });`;
    const worker = new Worker(source, { eval: true, workerData: { clock: idClock(), t, ids: new URL('../../dist/src/ledger/ids.js', import.meta.url).href } });
    const other = await new Promise<string>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const after = uuidv7(t);
    expect(other > before).toBe(true);
    expect(after > other).toBe(true);
    expect([before, other, after].map((id) => id.slice(0, 13))).toEqual(Array(3).fill(before.slice(0, 13)));
  });
});
