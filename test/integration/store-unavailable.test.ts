/**
 * The database out of reach, in small: which errors are STORE_UNAVAILABLE (503), and the bounds of
 * the PostgreSQL pool (the waiting list; the connect timeout). The whole story — PostgreSQL
 * stopped under load and started again — is test/e2e/pg-restart.test.ts.
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { statusFor } from '../../src/api/status.js';
import { openLedgerDb } from '../../src/ledger/connect.js';
import { storeUnavailable } from '../../src/ledger/errors.js';
import { runCli } from '../support/cli.js';
import { PG_ADMIN_URL, pgAvailable } from '../support/stores.js';

describe('STORE_UNAVAILABLE', () => {
  it('is what a lost, refused or timed-out connection and a server shutting down or starting up are', () => {
    const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    for (const e of [
      coded('ECONNREFUSED'),
      coded('ECONNRESET'),
      coded('57P01', 'terminating connection due to administrator command'),
      coded('57P03', 'the database system is starting up'),
      coded('08006'),
      coded('53300', 'sorry, too many clients already'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), { code: 'ECONNREFUSED' }),
      new Error('wrapped', { cause: coded('ECONNREFUSED') }),
      coded('SQLITE_BUSY', 'database is locked'),
      coded('SQLITE_BUSY_SNAPSHOT'),
      coded('SQLITE_FULL', 'database or disk is full'),
    ]) {
      const down = storeUnavailable(e);
      expect(down?.code, String(e)).toBe('STORE_UNAVAILABLE');
      expect(down?.message).toMatch(/cannot be reached.*same request id/);
    }
    expect(statusFor('STORE_UNAVAILABLE')).toBe(503);
  });

  it('is not what a bug or a refusal of the data is', () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    for (const e of [
      new Error('boom'),
      new TypeError('x is undefined'),
      coded('23505'),
      coded('22P02'),
      coded('40001'),
      coded('SQLITE_CONSTRAINT_UNIQUE'),
      coded('SQLITE_CORRUPT'),
      'a string',
      null,
      undefined,
    ]) {
      expect(storeUnavailable(e), String(e)).toBeUndefined();
    }
  });
});

describe.skipIf(!pgAvailable)('the PostgreSQL pool is bounded', () => {
  it('refuses one more than maxWaiting callers waiting for a connection with OVERLOADED, at once', async () => {
    const store = await openLedgerDb({ target: PG_ADMIN_URL, poolSize: 1, maxWaiting: 2 });
    try {
      const pool = store.pool as NonNullable<typeof store.pool>;
      const held = await pool.connect();
      const waiting = [pool.connect(), pool.connect()];
      await expect(pool.connect()).rejects.toMatchObject({ code: 'OVERLOADED' });
      // The callback form (pool.query's) too.
      await expect(pool.query('select 1')).rejects.toMatchObject({ code: 'OVERLOADED' });
      held.release();
      for (const w of waiting) (await w).release();
      expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await store.close();
    }
  });

  it('gives up connecting to a server that does not answer after connectTimeoutMs, as STORE_UNAVAILABLE', async () => {
    // A listener that accepts and never speaks: PostgreSQL's host gone silent.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const store = await openLedgerDb({ target: `postgres://postgres@127.0.0.1:${port}/test`, connectTimeoutMs: 300 });
    try {
      const t0 = Date.now();
      const e = await (store.pool as NonNullable<typeof store.pool>).query('select 1').catch((x: unknown) => x);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(storeUnavailable(e)?.code).toBe('STORE_UNAVAILABLE');
    } finally {
      await store.close();
      silent.close();
    }
  });
});

describe('the command line with the database out of reach', () => {
  it('says STORE_UNAVAILABLE (exit 1), not an internal error', async () => {
    // A port nothing listens on: connections are refused.
    const free: Server = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const port = (free.address() as { port: number }).port;
    await new Promise<void>((r) => free.close(() => r()));
    const r = await runCli(['ledger', 'verify', '--db', `postgres://postgres@127.0.0.1:${port}/test`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^yibao: STORE_UNAVAILABLE: the database cannot be reached \(ECONNREFUSED\)/);
  });
});
