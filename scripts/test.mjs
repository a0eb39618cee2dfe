#!/usr/bin/env node
// `npm test`: the typecheck of sources, benchmarks and tests (tsc -p tsconfig.test.json) and of the
// web app's TypeScript and Vue files (vue-tsc -p web/tsconfig.json), and the
// test run (vitest, whose global setup builds dist/ first) side by side rather than one after the
// other. Arguments go to vitest (`npm test -- --project unit`). Exits non-zero when either fails,
// after both have finished, so one failure never hides the other's output.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
// The packages' own bin files (vitest's exports do not list its bin).
const bin = (pkg, path) => join(root, 'node_modules', pkg, path);

function run(label, script, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: label === 'vitest' ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    // The typecheck takes what CPU the tests leave (they often wait on PostgreSQL, fsync, threads):
    // on two cores it must not slow the processes the end-to-end tests time.
    if (label === 'typecheck' && child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // not permitted here: it runs at the same priority
      }
    }
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    child.on('close', (code, signal) => resolve({ label, code: code ?? 1, signal, out }));
  });
}

/** tsc of the project, then vue-tsc of the web app (web/ is not in tsconfig.test.json: .vue needs vue-tsc). */
async function typecheckAll() {
  const node = await run('typecheck', bin('typescript', 'bin/tsc'), ['-p', 'tsconfig.test.json']);
  if (node.code !== 0) return { ...node, what: 'tsc -p tsconfig.test.json' };
  const web = await run('typecheck', bin('vue-tsc', 'bin/vue-tsc.js'), ['-p', 'web/tsconfig.json', '--noEmit']);
  return { ...web, what: 'vue-tsc -p web/tsconfig.json' };
}

const started = Date.now();
const [typecheck, tests] = await Promise.all([
  typecheckAll().then((r) => {
    process.stdout.write(r.code === 0 ? `\ntypecheck: ok (${((Date.now() - started) / 1000).toFixed(1)} s)\n` : `\ntypecheck FAILED (${r.what}):\n${r.out}\n`);
    return r;
  }),
  run('vitest', bin('vitest', 'vitest.mjs'), ['run', ...process.argv.slice(2)]),
]);
if (typecheck.code !== 0) process.stdout.write(`\ntypecheck FAILED (${typecheck.what}): see above\n`);
process.exit(typecheck.code !== 0 ? typecheck.code : tests.code);
