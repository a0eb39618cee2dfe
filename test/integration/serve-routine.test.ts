/**
 * `yibao serve`'s routine (src/serve.ts): the day-end and supervision's incremental run, each on
 * its own timer, one turn at a time, a failure reported and the next turn run all the same.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyStore } from '../../src/ledger/keys.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPolicies } from '../../src/policy/policies.js';
import pg from 'pg';
import { openLedgerDb } from '../../src/ledger/connect.js';
import { every, exclusively, MIN_EVERY_MS, ROUTINE_LOCK_KEYS, SKIPPED_ELSEWHERE, startService } from '../../src/serve.js';
import { runCli } from '../support/cli.js';
import { freshPostgres, freshSqlite, pgAvailable } from '../support/stores.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('every', () => {
  it('refuses a period under a minute or over a day', () => {
    expect(() => every(1_000, async () => undefined)).toThrow(RangeError);
    expect(() => every(86_400_001, async () => undefined)).toThrow(RangeError);
  });

  it('runs one turn at a time: a turn still running when the next is due is skipped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let started = 0;
    let release: () => void = () => undefined;
    const stop = every(MIN_EVERY_MS, async () => {
      started++;
      await new Promise<void>((r) => {
        release = r;
      });
    });
    vi.advanceTimersByTime(MIN_EVERY_MS);
    expect(started).toBe(1);
    vi.advanceTimersByTime(MIN_EVERY_MS * 3);
    expect(started).toBe(1);
    release();
    await Promise.resolve();
    await Promise.resolve();
    vi.advanceTimersByTime(MIN_EVERY_MS);
    expect(started).toBe(2);
    release();
    await stop();
    vi.advanceTimersByTime(MIN_EVERY_MS * 5);
    expect(started).toBe(2);
  });
});

describe('the service routine', () => {
  it('runs the day-end and supervision incremental runs on their timers, and reports a failure without stopping', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const store = await freshSqlite();
    const engine = new SettlementEngine(loadPolicies());
    const ledger = new Ledger(store, engine);
    const outcomes: string[] = [];
    const service = await startService({
      ledger,
      policies: engine.policies,
      keys: new KeyStore(store.db, 0),
      logger: false,
      port: 0,
      host: '127.0.0.1',
      superviseEveryMs: 60_000,
      dayEndEveryMs: 120_000,
      onRoutine: (job, o) => outcomes.push(`${job}:${o.ok ? 'ok' : `failed ${o.error.message}`}`),
    });
    try {
      const settle = async (ms: number) => {
        vi.advanceTimersByTime(ms);
        // Let the turns' database work finish.
        await vi.waitFor(() => expect(outcomes.length).toBeGreaterThan(0), { timeout: 5_000, interval: 20 });
      };
      await settle(60_000);
      await vi.waitFor(() => expect(outcomes).toContain('supervise:ok'), { timeout: 5_000, interval: 20 });
      const runs = await store.db.selectFrom('supervision_runs').select(['kind', 'actor']).execute();
      expect(runs).toEqual([{ kind: 'incremental', actor: 'serve' }]);
      outcomes.length = 0;
      await settle(60_000);
      await vi.waitFor(() => expect(outcomes).toEqual(expect.arrayContaining(['supervise:ok', 'day-end:ok'])), { timeout: 5_000, interval: 20 });
      // A failing turn is reported, and the next turn runs.
      const spy = vi.spyOn(ledger.supervision, 'runIncremental').mockRejectedValueOnce(new Error('disk gone'));
      outcomes.length = 0;
      await settle(60_000);
      await vi.waitFor(() => expect(outcomes).toContain('supervise:failed disk gone'), { timeout: 5_000, interval: 20 });
      spy.mockRestore();
      outcomes.length = 0;
      await settle(60_000);
      await vi.waitFor(() => expect(outcomes).toContain('supervise:ok'), { timeout: 5_000, interval: 20 });
    } finally {
      await service.close();
      await store.close();
    }
  });

  it('yibao serve refuses a routine period out of bounds before it opens anything', async () => {
    const r = await runCli(['serve', '--supervise-every', '5', '--db', ':memory:']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--supervise-every');
    const d = await runCli(['serve', '--day-end-every', 'nightly', '--db', ':memory:']);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('--day-end-every');
  });
});

describe.skipIf(!pgAvailable)('several instances over one PostgreSQL: a routine turn runs in one at a time', () => {
  it('takes the job’s advisory lock; another instance’s turn meanwhile is skipped; the lock goes with the turn', async () => {
    // Two pools: two instances.
    const one = await freshPostgres(2);
    const other = await openLedgerDb({ target: one.url, poolSize: 2 });
    try {
      let release: () => void = () => undefined;
      const first = exclusively(one.pool as pg.Pool, ROUTINE_LOCK_KEYS['day-end'], () => new Promise<string>((r) => (release = () => r('ran'))));
      // Until the first holds the lock (its query on its own connection).
      for (let i = 0; i < 200 && !(await held(one.url)); i++) await new Promise((r) => setTimeout(r, 10));
      expect(await exclusively(other.pool as pg.Pool, ROUTINE_LOCK_KEYS['day-end'], async () => 'ran too')).toBe(SKIPPED_ELSEWHERE);
      // Another job's lock is its own.
      expect(await exclusively(other.pool as pg.Pool, ROUTINE_LOCK_KEYS.supervise, async () => 'supervised')).toBe('supervised');
      release();
      expect(await first).toBe('ran');
      expect(await exclusively(other.pool as pg.Pool, ROUTINE_LOCK_KEYS['day-end'], async () => 'ran now')).toBe('ran now');
      // A turn that fails lets go of the lock all the same.
      await expect(exclusively(one.pool as pg.Pool, ROUTINE_LOCK_KEYS['day-end'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await exclusively(other.pool as pg.Pool, ROUTINE_LOCK_KEYS['day-end'], async () => 'after a failure')).toBe('after a failure');
    } finally {
      await other.close();
      await one.close();
    }
  });
});

/** Whether some session of the database holds the day-end's advisory lock. */
async function held(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const key = BigInt(ROUTINE_LOCK_KEYS['day-end']);
    const { rows } = await c.query(
      "select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and ((classid::bigint << 32) | objid::bigint) = $1::bigint and database = (select oid from pg_database where datname = current_database())",
      [key.toString()],
    );
    return rows[0].n > 0;
  } finally {
    await c.end();
  }
}
