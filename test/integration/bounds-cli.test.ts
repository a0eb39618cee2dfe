/**
 * The bounded service's commands as a user runs them (the built bin, a SQLite file): a visit after
 * now settles as a what-if but not into the ledger; `ledger history` and `accounts show` page;
 * `audit` reads the log back; `keys list` shows no secret; `serve` refuses bad limits and says which
 * SQLite durability it runs with.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/yibao.js');
const dir = mkdtempSync(join(tmpdir(), 'yibao-bounds-cli-'));
const DB = join(dir, 'ledger.db');

function yibao(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env });
}

function file(body: unknown): string {
  const f = join(dir, `req-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(body));
  return f;
}

const person = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const visit = (id: string, time: string) => ({ id, time, type: 'outpatient', institution: { id: 'H1', tier: 'county', grade: 2, contracted: true }, total: 200, eligible: 180 });

describe('visits after now on the command line', () => {
  it('yibao settle FILE computes a what-if for next year; with --db the ledger refuses it and writes nothing', async () => {
    const nextYear = new Date().getUTCFullYear() + 1;
    const f = file({ person: person('cli-future'), visits: [visit('cli-future-v1', `${nextYear}-03-02T10:00:00+08:00`)] });
    const whatIf = await yibao(['settle', f]);
    expect(whatIf.code, whatIf.stderr).toBe(0);
    expect(JSON.parse(whatIf.stdout).settlements).toEqual([expect.objectContaining({ visitId: 'cli-future-v1', fundPay: expect.any(Number) })]);
    const into = await yibao(['settle', f, '--db', DB]);
    expect(into.code).toBe(1);
    expect(into.stderr).toMatch(/VISIT_IN_FUTURE: visit\.time: .* is after now/);
    const history = await yibao(['ledger', 'history', 'cli-future', '--db', DB]);
    expect(history.code, history.stderr).toBe(0);
    expect(JSON.parse(history.stdout)).toEqual({ person: 'cli-future', entries: [], nextCursor: null });
  });
});

describe('paging, the audit log and keys on the command line', () => {
  it('ledger history pages with --limit and --cursor; bad options are invalid input naming them', async () => {
    const f = file({ person: person('cli-pg'), visits: ['10', '11', '12'].map((h, i) => visit(`cli-pg-v${i}`, `2024-03-02T${h}:00:00+08:00`)) });
    expect((await yibao(['settle', f, '--db', DB])).code).toBe(0);
    const p1 = await yibao(['ledger', 'history', 'cli-pg', '--limit', '2', '--db', DB]);
    expect(p1.code, p1.stderr).toBe(0);
    const page1 = JSON.parse(p1.stdout);
    expect(page1.entries.map((e: { visitId: string }) => e.visitId)).toEqual(['cli-pg-v0', 'cli-pg-v1']);
    expect(p1.stderr).toContain(`--cursor ${page1.nextCursor}`);
    const page2 = JSON.parse((await yibao(['ledger', 'history', 'cli-pg', '--limit', '2', '--cursor', page1.nextCursor, '--db', DB])).stdout);
    expect(page2.entries.map((e: { visitId: string }) => e.visitId)).toEqual(['cli-pg-v2']);
    expect(page2.nextCursor).toBeNull();
    for (const [args, named] of [
      [['ledger', 'history', 'cli-pg', '--limit', '0'], '--limit'],
      [['ledger', 'history', 'cli-pg', '--cursor', 'nope'], '--cursor'],
      [['ledger', 'history', 'cli\tpg'], 'person'],
      [['ledger', 'history', 'cli-pg', '--year', '24'], '--year'],
    ] as const) {
      const r = await yibao([...args, '--db', DB]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(named);
    }
  });

  it('accounts show pages its entries', async () => {
    const open = file({
      id: 'CLI-PG',
      kind: 'employee-personal',
      holderId: 'cli-pg-holder',
      region: 'puyang',
      openedOn: '2023-01-01',
      holder: { category: 'retired', requiredYearsMet: true },
    });
    expect((await yibao(['accounts', 'open', open, '--db', DB])).code).toBe(0);
    for (const m of ['01', '02', '03']) expect((await yibao(['accounts', 'credit-month', `2023-${m}`, '--db', DB])).code).toBe(0);
    const p1 = await yibao(['accounts', 'show', 'CLI-PG', '--limit', '2', '--json', '--db', DB]);
    expect(p1.code, p1.stderr).toBe(0);
    const shown = JSON.parse(p1.stdout);
    expect(shown.entries.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    const p2 = JSON.parse((await yibao(['accounts', 'show', 'CLI-PG', '--limit', '2', '--cursor', shown.nextCursor, '--json', '--db', DB])).stdout);
    expect(p2.entries.map((e: { seq: number }) => e.seq)).toEqual([3]);
    expect(p2.nextCursor).toBeNull();
    expect(await yibao(['accounts', 'show', 'CLI-PG', '--limit', '501', '--db', DB])).toMatchObject({ code: 2, stdout: '' });
  });

  it('audit reads the log back, filtered and paged; the CLI reads are in it', async () => {
    const reads = JSON.parse((await yibao(['audit', '--target', 'cli-pg', '--json', '--db', DB])).stdout);
    // The two pages read above, and this read of the log itself.
    expect(reads.entries.map((e: { actor: string; action: string; target: string }) => [e.actor, e.action, e.target])).toEqual([
      ['cli', 'read.history', 'cli-pg'],
      ['cli', 'read.history', 'cli-pg'],
      ['cli', 'read.audit', 'cli-pg'],
    ]);
    const settles = await yibao(['audit', '--action', 'settle', '--limit', '2', '--json', '--db', DB]);
    const page = JSON.parse(settles.stdout);
    expect(page.entries).toHaveLength(2);
    for (const e of page.entries) expect(e).toMatchObject({ actor: 'cli', action: 'settle', detail: { requestId: expect.stringMatching(/^file:/) } });
    expect(settles.stderr).toContain(`--cursor ${page.nextCursor}`);
    const text = await yibao(['audit', '--actor', 'cli', '--action', 'settle', '--from', '2020-01-01', '--db', DB]);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(3);
    for (const [args, named] of [
      [['audit', '--from', 'yesterday'], '--from'],
      [['audit', '--from', '2024-02-01', '--to', '2024-01-01'], '--to'],
      [['audit', '--limit', 'all'], '--limit'],
    ] as const) {
      const r = await yibao([...args, '--db', DB]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(named);
    }
  });

  it('keys list shows every key with its role and state, never a key or its hash', async () => {
    const created = await yibao(['keys', 'create', 'institution', '--institution', 'H9', '--label', 'ward 9', '--db', DB]);
    const key = created.stdout.trim();
    const id = /created institution key (K-\S+)/.exec(created.stderr)?.[1] as string;
    expect((await yibao(['keys', 'revoke', id, '--db', DB])).code).toBe(0);
    const list = await yibao(['keys', 'list', '--json', '--db', DB]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ id, role: 'institution', institutionId: 'H9', label: 'ward 9', revokedAt: expect.any(String) }));
    const text = (await yibao(['keys', 'list', '--db', DB])).stdout;
    expect(text).toMatch(new RegExp(`${id}\\tinstitution H9\\tward 9\\tcreated .*\\trevoked `));
    for (const out of [list.stdout, text]) {
      expect(out).not.toContain(key);
      expect(out).not.toMatch(/[0-9a-f]{64}/);
    }
  });
});

describe('yibao serve', () => {
  it('refuses bad limits as invalid input, before opening anything', async () => {
    for (const [args, env, named] of [
      [['--headers-timeout', 'abc'], {}, '--headers-timeout'],
      [['--headers-timeout', '5000', '--request-timeout', '1000'], {}, 'headers timeout'],
      [['--sqlite-sync', 'off'], {}, '--sqlite-sync'],
      [['--pg-statements', 'named'], {}, '--pg-statements must be prepared or unprepared'],
      [[], { YIBAO_PG_STATEMENTS: 'off' }, 'YIBAO_PG_STATEMENTS'],
      [[], { YIBAO_MAX_QUEUE: '0' }, 'YIBAO_MAX_QUEUE'],
      [[], { YIBAO_CLOCK_TOLERANCE_MS: '-5' }, 'YIBAO_CLOCK_TOLERANCE_MS'],
    ] as const) {
      const r = await yibao(['serve', '--db', join(dir, 'never.db'), '--port', '0', ...args], env);
      expect(r.code, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(named);
    }
  });

  it('says at start which SQLite durability it runs with, and its limits', async () => {
    for (const [args, says] of [
      [[], 'sqlite: synchronous=FULL'],
      [['--sqlite-sync', 'normal', '--max-queue', '7', '--headers-timeout', '3000'], 'sqlite: synchronous=NORMAL (opted in)'],
    ] as const) {
      const child = spawn(process.execPath, [BIN, 'serve', '--db', join(dir, 'serve.db'), '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no limits line within 15 s:\n${stderr}`)), 15_000);
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          if (/^limits: /m.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)));
      }).finally(() => child.kill('SIGTERM'));
      await new Promise((resolve) => child.once('close', resolve));
      expect(stderr).toContain(says);
      if (args.length > 0) expect(stderr).toMatch(/headers 3000 ms, .*at most 7 settles waiting/);
      else expect(stderr).toMatch(/headers 10000 ms, request 30000 ms, keep-alive 5000 ms, idle 60000 ms; at most 1024 settles waiting; visits up to 300000 ms after now/);
    }
  });
});
