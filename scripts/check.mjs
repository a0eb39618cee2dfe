#!/usr/bin/env node
// `npm run check`: the guard rails, each run even when an earlier one fails so that one report
// shows everything to fix. Biome (lint and format of src/, test/, bench/ and web/'s TypeScript), dependency-cruiser (the
// house's walls, .dependency-cruiser.cjs) and the file-size limit (scripts/file-size.mjs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
// The packages' own bin files (their exports do not list them).
const bin = (pkg, path) => join(root, 'node_modules', pkg, path);

const checks = [
  ['biome', [bin('@biomejs/biome', 'bin/biome'), 'check', '--error-on-warnings', 'src', 'test', 'bench', 'web']],
  ['dependency-cruiser', [bin('dependency-cruiser', 'bin/dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs']],
  ['file size', [fileURLToPath(new URL('./file-size.mjs', import.meta.url))]],
];

const failed = [];
for (const [name, args] of checks) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed.push(name);
}
process.stdout.write(failed.length === 0 ? '\ncheck: all guard rails pass\n' : `\ncheck FAILED: ${failed.join(', ')}\n`);
process.exit(failed.length === 0 ? 0 : 1);
