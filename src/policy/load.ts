/**
 * Reading policy files from disk: one file (YAML text → {@link buildPack}), or every file of a
 * folder (the built-in packs by default). A file that cannot be read or parsed is a
 * {@link PolicyFileError}.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { PolicyPack } from './model.js';
import { buildPack } from './pack.js';
import { PolicyFileError } from './problems.js';

/**
 * The folder of built-in policy packs shipped with yibao: `policies/` at the package root, found
 * by walking up from this module (which runs from src/ under the tests and from dist/src/ built).
 */
export const BUILTIN_POLICY_DIR = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'policies'))) return join(dir, 'policies');
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the policies/ folder of the yibao package');
    dir = up;
  }
})();

export function parseYaml(file: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyFileError(
      file,
      doc.errors.map((e) => `YAML ${e.linePos?.[0] ? `line ${e.linePos[0].line}` : ''}: ${e.message.split('\n')[0]}`),
    );
  }
  return doc.toJS();
}

/** The parsed YAML of a file on disk. */
export function readYamlFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PolicyFileError(path, [`cannot be read: ${(e as Error).message}`]);
  }
  return parseYaml(path, text);
}

/** Loads one policy file from disk. */
export function loadPolicyFile(path: string): PolicyPack {
  return buildPack(path, readYamlFile(path));
}

/** Loads every `*.yaml` policy file in a folder (the built-in packs by default). */
export function loadPolicyDir(dir: string = BUILTIN_POLICY_DIR): PolicyPack[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  const packs = files.map((f) => loadPolicyFile(join(dir, f)));
  const ids = new Set<string>();
  for (const p of packs) {
    if (ids.has(p.id)) throw new PolicyFileError(p.file, [`id: ${p.id} is used by another policy file`]);
    ids.add(p.id);
  }
  return packs;
}
