#!/usr/bin/env node
// `npm test`: the typecheck of sources, benchmarks and tests (tsc -p tsconfig.test.json) and the
// test run (vitest, whose global setup builds dist/ first) side by side rather than one after the
// other. Arguments go to vitest (`npm test -- --project unit`). Exits non-zero when either fails,
// after both have finished, so one failure never hides the other's output.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);

function run(label, script, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: label === 'vitest' ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('close', (code, signal) => resolve({ label, code: code ?? 1, signal, out }));
  });
}

const started = Date.now();
const [typecheck, tests] = await Promise.all([
  run('typecheck', require.resolve('typescript/bin/tsc'), ['-p', 'tsconfig.test.json']).then((r) => {
    process.stdout.write(r.code === 0 ? `\ntypecheck: ok (${((Date.now() - started) / 1000).toFixed(1)} s)\n` : `\ntypecheck FAILED (tsc -p tsconfig.test.json):\n${r.out}\n`);
    return r;
  }),
  run('vitest', require.resolve('vitest/vitest.mjs'), ['run', ...process.argv.slice(2)]),
]);
if (typecheck.code !== 0) process.stdout.write(`\ntypecheck FAILED (tsc -p tsconfig.test.json): see above\n`);
process.exit(typecheck.code !== 0 ? typecheck.code : tests.code);
