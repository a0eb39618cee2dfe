/** `yibao persons identity set ID FILE | show ID`: as PUT/GET /v1/persons/{id}/identity, on a SQLite ledger file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLedgerDb } from '../../src/ledger/connect.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'yibao-identity-'));
const file = (name: string, body: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
};

describe('yibao persons identity', () => {
  it('sets and shows an identity, the number masked in the line and the audit log', async () => {
    const db = join(dir, 'ledger.db');
    const identity = file('id.json', { psn_cert_type: '01', certno: '11010519491231002X', psn_name: '张三', naty: '01' });
    // Not in the registry yet: refused (exit 1), the number masked.
    const none = await runCli(['persons', 'identity', 'set', 'p1', identity, '--db', db]);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout).error.code).toBe('NOT_FOUND');
    expect((await runCli(['persons', 'set', file('p1.json', { id: 'p1', region: '410300', scheme: 'resident', category: 'adult' }), '--db', db])).code).toBe(0);
    const set = await runCli(['persons', 'identity', 'set', 'p1', identity, '--db', db]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ psn_no: 'p1', gend: '2', brdy: '1949-12-31', created: true, changed: true });
    const show = await runCli(['persons', 'identity', 'show', 'p1', '--db', db]);
    expect(show.stdout).toBe('p1：居民身份证（户口簿） 1101**********002X；张三；女；出生日期 1949-12-31；民族 01\n');
    expect(JSON.parse((await runCli(['persons', 'identity', 'show', 'p1', '--db', db, '--json'])).stdout).certno).toBe('11010519491231002X');
    // A mistyped number: exit 2, the problem on stderr without the number.
    const bad = await runCli(['persons', 'identity', 'set', 'p1', file('bad.json', { psn_cert_type: '01', certno: '110105194912310021', psn_name: '张三' }), '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('1101**********0021');
    expect(bad.stderr).not.toContain('110105194912310021');
    expect((await runCli(['persons', 'identity', 'show', '--db', db])).code).toBe(2);
    const store = await openLedgerDb({ target: db });
    try {
      const rows = await store.db.selectFrom('audit_log').select(['action', 'detail']).where('target', '=', 'p1').execute();
      expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['identity.set', 'read.identity']));
      for (const r of rows) expect(r.detail).not.toContain('11010519491231002X');
    } finally {
      await store.close();
    }
  });
});
