/**
 * The read replica's failures (src/ledger/analysis.ts): a replica that cannot be reached, or a
 * query it cancelled for replay, is STORE_UNAVAILABLE naming the replica; any other error passes
 * unchanged. And a replica is a PostgreSQL URL.
 */
import { describe, expect, it } from 'vitest';
import { replicaError, replicaReads } from '../../src/ledger/analysis.js';
import { openReadReplica } from '../../src/ledger/connect.js';
import { StoreUnavailableError } from '../../src/ledger/errors.js';
import { loadPolicies } from '../../src/policy/policies.js';

describe('the read replica', () => {
  it('turns a connection error or a replay cancellation into STORE_UNAVAILABLE naming the replica, and nothing else', () => {
    const refused = replicaError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect((refused as StoreUnavailableError).message).toMatch(/^the read replica cannot be reached \(ECONNREFUSED\)/);
    const cancelled = replicaError(Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001' }));
    expect(cancelled).toBeInstanceOf(StoreUnavailableError);
    expect((cancelled as StoreUnavailableError).message).toMatch(/^the read replica cannot be reached \(a query cancelled by the replica's replay/);
    const serialization = Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
    expect(replicaError(serialization)).toBe(serialization);
    const bug = new TypeError('x is undefined');
    expect(replicaError(bug)).toBe(bug);
  });

  it('answers every routed read STORE_UNAVAILABLE when the replica refuses connections', async () => {
    const replica = openReadReplica('postgres://postgres@127.0.0.1:1/none', { connectTimeoutMs: 2_000 });
    try {
      const reads = replicaReads(replica, loadPolicies(), Date.now);
      expect(reads.replica).toBe(true);
      const calls: [string, () => Promise<unknown>][] = [
        ['fundStats', () => reads.fundStats(2024)],
        ['clearing.statements', () => reads.clearing.statements({ id: 'a', role: 'agency' }, { limit: 10 })],
        ['clearing.centreStatements', () => reads.clearing.centreStatements('2024-01')],
        ['clearing.districtClearing', () => reads.clearing.districtClearing('2024-01')],
        ['supervision.runs', () => reads.supervision.runs(10, 0)],
        ['supervision.findings', () => reads.supervision.findings({ limit: 10, offset: 0 })],
        ['supervision.counts', () => reads.supervision.counts({})],
      ];
      for (const [name, read] of calls) {
        const e = await read().then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e, name).toBeInstanceOf(StoreUnavailableError);
        expect((e as Error).message, name).toMatch(/^the read replica cannot be reached/);
      }
    } finally {
      await replica.close();
    }
  });

  it('is a postgres:// URL', () => {
    expect(() => openReadReplica('./replica.db')).toThrow(/a read replica is a PostgreSQL server: give a postgres:\/\/ URL/);
  });
});
