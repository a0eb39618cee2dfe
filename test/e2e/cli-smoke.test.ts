/**
 * The built `yibao` bin in a real process (bin/yibao.js runs dist/: `npm test` builds first): the
 * few things in-process tests cannot show — the process's exit code and streams, stdin, and a
 * service that listens until a signal. Everything else: the in-process CLI tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/yibao.js');
const dir = mkdtempSync(join(tmpdir(), 'yibao-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function yibao(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('yibao, a real process', () => {
  it('prints its version from package.json', () => {
    const r = yibao(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`yibao ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });

  it("prints the help, and a command's own with --help", () => {
    const help = yibao(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('yibao settle FILE');
    const settle = yibao(['settle', '--help']);
    expect(settle.code).toBe(0);
    expect(settle.stdout).toContain('yibao settle FILE');
    expect(settle.stdout).not.toContain('yibao policy list');
  });

  it('settles a person from stdin', () => {
    const person = { id: 'p1', region: '410300', scheme: 'resident', category: 'adult' };
    const visit = {
      id: 'v1',
      time: '2024-03-02T10:00:00+08:00',
      type: 'outpatient',
      institution: { id: 'H1', tier: 'county', grade: 2, contracted: true },
      total: 200,
      eligible: 180,
    };
    const r = yibao(['settle', '-', '--no-trace'], JSON.stringify({ person, visits: [visit] }));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).settlements[0]).toMatchObject({ fundPay: 65, cashPay: 135 });
  });

  it('exits 2 on invalid input and on a mistyped command, nothing on stdout', () => {
    const bad = yibao(['settle', '-'], '{ nope');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/not valid JSON/);
    const typo = yibao(['setle']);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toContain('您是不是要输入 settle？ / did you mean settle?');
  });

  it('serves: answers /healthz, stops itself on SIGTERM with exit code 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--db', join(dir, 'serve.db'), '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not serving within 15 s:\n${stderr}`)), 15_000);
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const m = /yibao serving on (\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)));
    });
    try {
      const res = await fetch(`${address}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
    }
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
    // It stops itself on SIGTERM, closing the service, the writer thread and the checkpointer,
    // and exits 0 (it used to exit 13: the threads' exits were awaited while unref'd).
    expect(signal).toBeNull();
    expect(code).toBe(0);
  });
});
