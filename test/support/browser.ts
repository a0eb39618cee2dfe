/**
 * What the browser tests (test/e2e/web-*.test.ts) share: Debian's chromium driven by
 * playwright-core (never `playwright install`), the web app built from today's sources, and where
 * screenshots go. Without chromium a file's tests are skipped with a message, except under CI=true,
 * where they must run (.ci/run installs chromium and fonts-noto-cjk).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CHROMIUM = process.env.YIBAO_CHROMIUM ?? '/usr/bin/chromium';
const WEB = join(ROOT, 'dist', 'web');
/** Where the tests' screenshots go (not committed; one per page is copied to docs/screenshots). */
export const SHOTS = join(ROOT, 'test-results');

/**
 * Whether chromium is here for the browser tests of `label`; says so on stderr when it is not.
 *
 * @throws Error under CI=true without chromium: the browser tests must not be skipped in CI.
 */
export function chromiumPresent(label: string): boolean {
  const present = existsSync(CHROMIUM);
  if (!present && process.env.CI === 'true') {
    throw new Error(`[yibao tests] CI=true but ${CHROMIUM} is missing; the browser tests must not be skipped in CI (.ci/run installs chromium)`);
  }
  if (!present) process.stderr.write(`\n[yibao tests] ${CHROMIUM} is missing: the browser tests (${label}) are SKIPPED (they run in CI).\n\n`);
  return present;
}

/** The newest modification time under a folder. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Whether dist/web is built and newer than every file of web/. */
function fresh(): boolean {
  const index = join(WEB, 'index.html');
  return existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'web'));
}

/**
 * dist/web as today's web/ sources build it (built again when missing or older than a source).
 * Test files run side by side: one builds while the others wait for it (a lock directory, taken
 * atomically by mkdir; one left by a killed run is taken over after five minutes), so that no test
 * is served a half-written build.
 */
export function ensureBuilt(): void {
  if (fresh()) return;
  const lock = join(ROOT, 'dist', '.web-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (fresh()) return;
      const taken = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() > deadline || Date.now() - taken > 300_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!fresh())
      execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Chromium headless, Chinese: the date field is the browser's own, shown in China's order (2024/03/02) in a Chinese browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=zh-CN'],
    env: { ...process.env, LANG: 'zh_CN.UTF-8', LANGUAGE: 'zh_CN' },
  });
}
