/**
 * The web app's speed, in a real browser (Debian's chromium, as the browser tests): how long the
 * first load of `/` takes on loopback, how long the calculator takes from the click to the answer
 * on screen, and how much JavaScript the first load fetches (gzipped).
 *
 *   npm run bench:web
 *   node dist/bench/web.js --loads 10 --clicks 100
 *
 * `yibao serve` runs as a child process on a fresh SQLite file (the calculator reads no ledger);
 * dist/web must be built (`npm run build:web`, which `npm ci` runs). Each first load is a new
 * browser context (nothing cached): from `goto` to the calculator's form on screen. Each click
 * changes 政策范围内金额, then, timed in the page by the browser's clock, clicks 计算 and waits until
 * 统筹基金 shows the amount computed by hand ((eligible − 50.00) × 50%, Luoyang's county grade-2
 * outpatient deductible and ratio).
 * Targets (issue 16): first load under 1 s, calculator p95 under 100 ms, initial JavaScript under 500 KB gzipped.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { eachOption, fmt } from './cli.js';
import { BIN, cleanups, onSignals, ROOT, startServer } from './serve.js';

const CHROMIUM = process.env.YIBAO_CHROMIUM ?? '/usr/bin/chromium';

function parseArgs(argv: readonly string[]): { loads: number; clicks: number } {
  const o = { loads: 10, clicks: 100 };
  eachOption(argv, (flag, v) => {
    if (flag === '--loads') o.loads = v.int(1, 1000);
    else if (flag === '--clicks') o.clicks = v.int(1, 10_000);
    else throw new Error(`unknown option ${flag} (--loads, --clicks)`);
  });
  return o;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
const yuan = (fen: number) => `${(fen / 100).toFixed(2)} 元`;

async function main(): Promise<number> {
  onSignals('bench:web');
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist/web/index.html'))) throw new Error('dist/web is not built: run npm run build:web first');
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM} (apt-get install chromium fonts-noto-cjk)`);
  const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-web-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  cleanups.add(removeDir);
  const server = await startServer([BIN, 'serve', '--db', join(dir, 'web.db'), '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn']);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--lang=zh-CN'] });
  try {
    console.log(`yibao web bench: ${server.url}, chromium ${browser.version()}, node ${process.version}`);
    // The calculator's shareable link: opening it fills the form and calculates.
    const link = `${server.url}/?region=410300&scheme=resident&category=adult&tier=county&grade=2&contracted=1&type=outpatient&date=2024-03-02&total=300.00&eligible=250.00`;

    // First loads, nothing cached; the JavaScript fetched by the first one, gzipped.
    const loads: number[] = [];
    let jsRaw = 0;
    let jsGzip = 0;
    for (let i = 0; i < o.loads; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
      const page = await context.newPage();
      const scripts: Promise<void>[] = [];
      if (i === 0) {
        page.on('response', (r) => {
          if (!r.url().endsWith('.js')) return;
          scripts.push(
            r.body().then((b) => {
              jsRaw += b.length;
              jsGzip += gzipSync(b, { level: 9 }).length;
            }),
          );
        });
      }
      const t0 = performance.now();
      await page.goto(`${server.url}/`);
      await page.getByTestId('calculate').waitFor();
      loads.push(performance.now() - t0);
      await Promise.all(scripts);
      await context.close();
    }

    // Clicks: each a new eligible amount; the answer is on screen when 统筹基金 shows its figure.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByTestId('split-fundPay').locator('td').filter({ hasText: '100.00 元' }).waitFor();
    const eligible = page.getByLabel('政策范围内金额（元）');
    const clicks: number[] = [];
    for (let i = 1; i <= o.clicks; i++) {
      const eligibleFen = 25_000 - i; // below the total, above the deductible
      await eligible.fill((eligibleFen / 100).toFixed(2));
      const fund = Math.round((eligibleFen - 5_000) / 2); // half away from zero on a positive amount
      // Timed in the page (the browser's own clock): the click, the request, the answer drawn.
      // Browser code as text: the benches are compiled without the DOM's types.
      const ms = (await page.evaluate(`new Promise((resolve, reject) => {
        const expected = ${JSON.stringify(yuan(fund))};
        const t0 = performance.now();
        // Each frame until 统筹基金 shows it (at most 5 s).
        const check = () => {
          const cell = document.querySelector('[data-testid="split-fundPay"] td');
          if (cell && (cell.textContent || '').includes(expected)) return resolve(performance.now() - t0);
          if (performance.now() - t0 > 5000) return reject(new Error('no answer ' + expected + ' within 5 s: ' + (cell && cell.textContent)));
          requestAnimationFrame(check);
        };
        document.querySelector('[data-testid="calculate"]').click();
        requestAnimationFrame(check);
      })`)) as number;
      clicks.push(ms);
    }
    await context.close();

    const l = [...loads].sort((a, b) => a - b);
    const c = [...clicks].sort((a, b) => a - b);
    console.log(
      `first load of / (no cache, to the calculator's form): p50 ${fmt(percentile(l, 50))} ms, max ${fmt(l[l.length - 1] as number)} ms over ${o.loads} loads (target < 1,000 ms)`,
    );
    console.log(
      `calculator, click → answer on screen: p50 ${fmt(percentile(c, 50), 1)} ms, p95 ${fmt(percentile(c, 95), 1)} ms, max ${fmt(c[c.length - 1] as number, 1)} ms over ${o.clicks} clicks (target p95 < 100 ms)`,
    );
    console.log(`initial JavaScript: ${fmt(jsRaw / 1024)} KB, ${fmt(jsGzip / 1024)} KB gzipped (target < 500 KB gzipped)`);
    return 0;
  } finally {
    await browser.close();
    await server.stop();
    removeDir();
    cleanups.delete(removeDir);
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`bench:web: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
