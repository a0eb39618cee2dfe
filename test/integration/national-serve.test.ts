/**
 * `yibao serve`'s national flags (the built bin, a real process): the line it prints at start for
 * the defaults, the flags and the environment variables, and the refusals of values it cannot read
 * (exit 2).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/yibao.js');
const dir = mkdtempSync(join(tmpdir(), 'yibao-national-serve-'));

/** Starts `yibao serve` on a free port, returns what it printed up to its national line, and stops it. */
function nationalLine(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--db', join(dir, 'serve.db'), '--port', '0', '--log-level', 'warn', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`yibao serve printed no national line in 15 s\n${stderr}`));
    }, 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /^national: .*\n/m.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.once('exit', () => done(m[0]));
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!/^national: /m.test(stderr)) fail(new Error(`yibao serve exited (${code}) before starting\n${stderr}`));
    });
  });
}

describe('yibao serve: the national interface, said at start', () => {
  it('http, no sign-in, no catalogue, the national codes by default; the flags and the environment change them', async () => {
    expect(await nationalLine([])).toBe(
      'national: status http (a refusal keeps its HTTP status); sign-in not required; catalogue none (every fee detail self-paid); codes national (国家医保信息平台接口规范（yibao 默认）); amounts numbers with their decimals (300.00)\n',
    );
    expect(await nationalLine(['--national-amounts', 'text'])).toMatch(/; amounts text \("300\.00"\)\n$/);
    expect(await nationalLine([], { YIBAO_NATIONAL_AMOUNTS: 'text' })).toMatch(/; amounts text /);
    expect(await nationalLine(['--national-status', 'platform', '--require-sign-in', '--codes', 'hunan-v1.1.27'])).toMatch(
      /^national: status platform \(every answer HTTP 200, a refusal infcode -1\); sign-in required .*; codes hunan-v1\.1\.27 \(湖南省/,
    );
    const line = await nationalLine([], { YIBAO_NATIONAL_STATUS: 'platform', YIBAO_REQUIRE_SIGN_IN: '1', YIBAO_CODES: join(ROOT, 'codes/national.json') });
    expect(line).toMatch(/^national: status platform .*; sign-in required .*; codes national /);
    expect(await nationalLine(['--catalogue', join(ROOT, 'catalogues/sample.json')])).toMatch(/; catalogue 样例目录.* \(a sample\), 8 items; /);
    expect(await nationalLine([], { YIBAO_CATALOGUE: join(ROOT, 'catalogues/sample.json') })).toMatch(/; catalogue 样例目录/);
  }, 60_000);

  it('refuses a status, a sign-in variable or a code edition it cannot read (exit 2)', async () => {
    const serve = (args: string[], env: Record<string, string> = {}) => runCli(['serve', '--db', join(dir, 'serve.db'), '--port', '0', ...args], { env });
    const status = await serve(['--national-status', 'loud']);
    expect([status.code, status.stderr]).toEqual([2, expect.stringMatching(/--national-status \(or YIBAO_NATIONAL_STATUS\) must be http or platform, got "loud"/)]);
    const amounts = await serve(['--national-amounts', 'float']);
    expect([amounts.code, amounts.stderr]).toEqual([2, expect.stringMatching(/--national-amounts \(or YIBAO_NATIONAL_AMOUNTS\) must be number or text, got "float"/)]);
    const flag = await serve([], { YIBAO_REQUIRE_SIGN_IN: 'maybe' });
    expect([flag.code, flag.stderr]).toEqual([2, expect.stringMatching(/YIBAO_REQUIRE_SIGN_IN must be 1 or 0/)]);
    const bad = join(dir, 'bad-codes.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad' }));
    const codes = await serve(['--codes', bad]);
    expect([codes.code, codes.stderr]).toEqual([2, expect.stringMatching(/bad-codes\.json: not a code edition: title: /)]);
    const catalogue = await serve(['--catalogue', bad]);
    expect([catalogue.code, catalogue.stderr]).toEqual([2, expect.stringMatching(/bad-codes\.json/)]);
    const unknown = await serve(['--codes', 'atlantis']);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringMatching(/atlantis: neither a built-in code edition/)]);
  }, 60_000);
});
