/**
 * The policies a command works with: the built-in packs in policies/, with the user's policy
 * files layered over them in the order given.
 */
import { loadPolicyDir, BUILTIN_POLICY_DIR } from './load.js';
import { applyOverlay } from './overlay.js';
import type { PolicyPack } from './model.js';
import { PolicySet } from './registry.js';

let builtin: PolicyPack[] | undefined;

/** The built-in packs, loaded once per process. */
export function builtinPacks(): PolicyPack[] {
  builtin ??= loadPolicyDir(BUILTIN_POLICY_DIR);
  return builtin;
}

export function loadPolicies(options: { policyFiles?: readonly string[]; dir?: string } = {}): PolicySet {
  let packs = options.dir ? loadPolicyDir(options.dir) : builtinPacks();
  for (const f of options.policyFiles ?? []) packs = applyOverlay(packs, f);
  return new PolicySet(packs);
}
