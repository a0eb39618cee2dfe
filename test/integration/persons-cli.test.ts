/**
 * `yibao persons set|show|list` as an agency clerk runs them (the built bin, a real process), and
 * which way `yibao serve` runs: the line it prints at start, for the flag, the environment variable
 * and the default; and a settle file held to the registry the clerk kept.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/yibao.js');
const dir = mkdtempSync(join(tmpdir(), 'yibao-persons-cli-'));

function yibao(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env });
}

function file(body: unknown): string {
  const f = join(dir, `f-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(body));
  return f;
}

/** Starts `yibao serve` on a free port, returns what it printed up to its ways line, and stops it. */
function serveStartLines(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--db', join(dir, 'serve.db'), '--port', '0', '--log-level', 'warn', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`yibao serve printed no persons line in 15 s\n${stderr}`));
    }, 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/^persons: .*\n/m.test(stderr)) {
        clearTimeout(timer);
        child.once('exit', () => done(stderr));
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!/^persons: /m.test(stderr)) fail(new Error(`yibao serve exited (${code}) before starting\n${stderr}`));
    });
  });
}

describe('yibao persons', () => {
  const db = join(dir, 'persons.db');

  it('sets, shows and lists records; a settle file is held to them', async () => {
    const set = await yibao([
      'persons',
      'set',
      file({ id: 'C-P1', region: 'luoyang', scheme: 'resident', category: 'adult', hardship: 'tekun', familyDoctorAt: 'H1' }),
      '--db',
      db,
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ id: 'C-P1', region: '410300', hardship: 'tekun', created: true, changed: true });
    const again = await yibao([
      'persons',
      'set',
      file({ id: 'C-P1', region: '410300', scheme: 'resident', category: 'adult', hardship: 'tekun', familyDoctorAt: 'H1' }),
      '--db',
      db,
    ]);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, changed: false });
    expect(
      (await yibao(['persons', 'set', file({ id: 'C-P2', region: '410900', scheme: 'employee', category: 'active', employment: 'flexible', accountReformed: false }), '--db', db]))
        .code,
    ).toBe(0);

    const show = await yibao(['persons', 'show', 'C-P1', '--db', db]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^C-P1：410300 居民医保 成年居民；困难群众：特困人员；家庭医生签约：H1 {2}\[更新于 /);
    expect(JSON.parse((await yibao(['persons', 'show', 'C-P2', '--db', db, '--json'])).stdout)).toMatchObject({ employment: 'flexible', accountReformed: false });
    expect((await yibao(['persons', 'show', 'C-P2', '--db', db])).stdout).toContain('灵活就业人员；未调整个人账户结构');
    const list = await yibao(['persons', 'list', '--limit', '1', '--db', db]);
    expect(list.stdout).toMatch(/^参保人员信息 1 人（更多：--after C-P1）\n {2}C-P1：/);
    expect(JSON.parse((await yibao(['persons', 'list', '--after', 'C-P1', '--db', db, '--json'])).stdout).persons.map((p: { id: string }) => p.id)).toEqual(['C-P2']);

    // A settle file that says another group is refused; one that leaves it out settles as 特困人员.
    const visit = {
      id: 'C-V1',
      time: '2024-03-10T10:00:00+08:00',
      type: 'outpatient',
      institution: { id: 'H1', tier: 'county', grade: 2, contracted: true },
      total: 200,
      eligible: 180,
    };
    const person = { id: 'C-P1', region: '410300', scheme: 'resident', category: 'adult', enrollment: { paidOn: '2024-03-01', coverageYear: 2024 } };
    const mismatch = await yibao(['settle', file({ person: { ...person, hardship: 'dibao' }, visits: [visit] }), '--db', db]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/PERSON_MISMATCH: person\.hardship: dibao is not what the person registry holds/);
    const settled = await yibao(['settle', file({ person, visits: [visit] }), '--db', db]);
    expect(settled.code, settled.stderr).toBe(0);
    // 特困人员 are exempt from the wait (洛医保〔2023〕63号 六(三)): (180 − 50) × 50% = 65.
    expect(JSON.parse(settled.stdout).settlements[0]).toMatchObject({ eligibility: 'covered', fundPay: 65 });
  });

  it('refuses bad input (exit 2, every bad field, nothing on stdout) and an unknown person (exit 1)', async () => {
    const bad = await yibao(['persons', 'set', file({ id: 'C-B1', region: 'atlantis', scheme: 'resident', category: 'retired', employment: 'flexible' }), '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/region: unknown region "atlantis"/);
    expect(bad.stderr).toMatch(/category: retired is not a resident category/);
    expect(bad.stderr).toMatch(/employment: applies to the employees' scheme/);
    expect((await yibao(['persons', 'set', file({ region: '410300', scheme: 'resident', category: 'adult' }), '--db', db])).stderr).toMatch(/id: required/);
    for (const args of [
      ['persons'],
      ['persons', 'frobnicate'],
      ['persons', 'show'],
      ['persons', 'list', 'x'],
      ['persons', 'list', '--limit', '0'],
      ['persons', 'show', 'C-P1', '--after', 'x'],
    ]) {
      const r = await yibao([...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    const unknown = await yibao(['persons', 'show', 'C-nobody', '--db', db]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe('NOT_FOUND');
  });
});

describe('yibao serve: which way it runs, said at start', () => {
  it('open by default; enrollment required with --require-enrollment or YIBAO_REQUIRE_ENROLLMENT=1', async () => {
    expect(await serveStartLines([])).toMatch(/^persons: open \(default\): a person's first settle registers them/m);
    expect(await serveStartLines(['--require-enrollment'])).toMatch(/^persons: enrollment required \(--require-enrollment\)/m);
    expect(await serveStartLines([], { YIBAO_REQUIRE_ENROLLMENT: '1' })).toMatch(/^persons: enrollment required/m);
    expect(await serveStartLines([], { YIBAO_REQUIRE_ENROLLMENT: '0' })).toMatch(/^persons: open/m);
  }, 60_000);

  it('refuses a YIBAO_REQUIRE_ENROLLMENT it cannot read (exit 2)', async () => {
    const r = await yibao(['serve', '--db', join(dir, 'serve.db'), '--port', '0'], { YIBAO_REQUIRE_ENROLLMENT: 'maybe' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/YIBAO_REQUIRE_ENROLLMENT must be 1 or 0/);
  });
});
