#!/usr/bin/env node
// `npm run file-size`: no file in src/ over MAX_LINES lines. A file that must be longer is named in
// ALLOWED with the reason it cannot be split, and its own limit; an entry that is no longer needed
// (the file is gone or back under the limit) fails too, so the list never outlives its reasons.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 500;

/** path (from the repository root) → { lines: its own limit, reason: why it is one file }. */
const ALLOWED = {
  // e.g. 'src/national/codes.ts': { lines: 900, reason: 'the national code table, one row a line, generated from the NHSA catalogue' },
};

const root = fileURLToPath(new URL('../', import.meta.url));

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) yield path;
  }
}

function lineCount(text) {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

const problems = [];
const seen = new Set();
for (const path of files(join(root, 'src'))) {
  const name = relative(root, path).split('\\').join('/');
  const lines = lineCount(readFileSync(path, 'utf8'));
  const allowed = ALLOWED[name];
  if (allowed) {
    seen.add(name);
    if (lines > allowed.lines) problems.push(`${name}: ${lines} lines, over its allowed ${allowed.lines} (${allowed.reason})`);
    else if (lines <= MAX_LINES) problems.push(`${name}: ${lines} lines, under ${MAX_LINES}: remove it from ALLOWED in scripts/file-size.mjs`);
  } else if (lines > MAX_LINES) {
    problems.push(`${name}: ${lines} lines, over ${MAX_LINES}: split it, or name it in ALLOWED with the reason`);
  }
}
for (const name of Object.keys(ALLOWED)) {
  if (!seen.has(name)) problems.push(`${name}: in ALLOWED but not in src/: remove the entry`);
}
for (const [name, { reason }] of Object.entries(ALLOWED)) {
  if (typeof reason !== 'string' || reason.trim().length < 10) problems.push(`${name}: ALLOWED without a reason`);
}

if (problems.length > 0) {
  process.stderr.write(`file size: ${problems.length} problem(s) (limit ${MAX_LINES} lines a file in src/)\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`file size: every file in src/ within ${MAX_LINES} lines\n`);
