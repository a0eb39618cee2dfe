/**
 * `yibao accounts …` as a user runs it: the built bin, a real process on a SQLite file, exit codes
 * and streams (0 done; 1 refused, stdout has the error; 2 invalid, every bad field on stderr and
 * nothing on stdout), and `yibao ledger verify` finding a tampered account entry.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { runCli } from '../support/cli.js';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'yibao-accounts-cli-'));
const DB = join(dir, 'ledger.db');

function yibao(args: string[], input?: string) {
  return runCli(args, input === undefined ? {} : { input });
}

function file(body: unknown): string {
  const f = join(dir, `req-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
  return f;
}

describe('yibao accounts', () => {
  it('opens, credits a month once, pays, refuses with the article, shows, verifies', async () => {
    const open = await yibao([
      'accounts',
      'open',
      file({ id: 'CLI-1', kind: 'employee-personal', holderId: 'e1', region: 'puyang', openedOn: '2023-01-01', holder: { category: 'active', contributionBase: '4567.89' } }),
      '--db',
      DB,
    ]);
    expect(open.code, open.stderr).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({ id: 'CLI-1', region: '410900', created: true });

    const c1 = await yibao(['accounts', 'credit-month', '2023-01', '--db', DB]);
    expect(c1.code, c1.stderr).toBe(0);
    expect(c1.stdout).toContain('1 credited (91.36 yuan), 0 already credited');
    const c2 = await yibao(['accounts', 'credit-month', '2023-01', '--db', DB, '--json']);
    expect(JSON.parse(c2.stdout)).toMatchObject({ credited: 0, alreadyCredited: 1 });

    const pay = file({
      requestId: 'cli-pay-1',
      accountId: 'CLI-1',
      operation: { kind: 'visit-payment', date: '2023-03-01', visitId: 'v1', contracted: true, personShare: 128, outOfScope: 30 },
    });
    const p = await yibao(['accounts', 'operate', pay, '--db', DB]);
    expect(p.code, p.stderr).toBe(0);
    // 第七条: the whole share, 128; the balance 91.36 pays all it has, 36.64 in cash.
    expect(JSON.parse(p.stdout)).toMatchObject({ amount: -91.36, balanceAfter: 0, cashPay: 36.64, replayed: false });
    expect(JSON.parse((await yibao(['accounts', 'operate', pay, '--db', DB])).stdout)).toMatchObject({ amount: -91.36, replayed: true });

    const refused = await yibao([
      'accounts',
      'operate',
      file({ requestId: 'cli-fit', accountId: 'CLI-1', operation: { kind: 'other-use', purpose: 'fitness', amount: 1, date: '2023-03-02' } }),
      '--db',
      DB,
    ]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'PROHIBITED_USE', source: expect.stringContaining('第七条') });
    expect(refused.stderr).toContain('体育健身');

    const shown = await yibao(['accounts', 'show', 'CLI-1', '--db', DB, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      balance: 0,
      entries: [
        { kind: 'credit', amount: 91.36 },
        { kind: 'visit-payment', amount: -91.36 },
      ],
    });
    expect((await yibao(['accounts', 'show', 'CLI-1', '--db', DB])).stdout).toContain('balance 0.00 yuan, 2 entries');
    expect((await yibao(['accounts', 'show', 'nope', '--db', DB])).code).toBe(1);

    const ok = await yibao(['ledger', 'verify', '--db', DB]);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain('1 accounts, 2 account entries');
    const db = new BetterSqlite3(DB);
    db.prepare(`update account_entries set amount_fen = 9999 where id = 'CLI-1/credit/2023-01'`).run();
    db.close();
    const bad = await yibao(['ledger', 'verify', '--db', DB]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('MISMATCH account CLI-1');
  });

  const invalid: [string, string[], RegExp[]][] = [
    ['a bad month', ['credit-month', '2023-13'], [/month/]],
    [
      'an operation with bad fields',
      ['operate', '@{"requestId":"x","accountId":"A","operation":{"kind":"visit-payment","date":"2023-02-30","contracted":"yes","personShare":-1}}'],
      [/operation\.date/, /operation\.visitId/, /operation\.contracted/, /operation\.personShare/],
    ],
    ['an opening with bad fields', ['open', '@{"id":"","kind":"savings","holderId":"h","region":"atlantis"}'], [/id/, /kind/]],
    ['a file that is not JSON', ['open', '@{"id":'], [/not valid JSON/]],
    ['no command', [], [/open \| holder \| credit-month \| operate \| show/]],
  ];
  for (const [name, args, patterns] of invalid) {
    it(`refuses ${name}: exit 2, each bad field named, nothing on stdout`, async () => {
      const r = await yibao(['accounts', ...args.map((a) => (a.startsWith('@') ? file(a.slice(1)) : a)), '--db', join(dir, 'untouched.db')]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      for (const p of patterns) expect(r.stderr).toMatch(p);
    });
  }
});
