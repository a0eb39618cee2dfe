/**
 * The supervision rules (监管规则) yibao knows, in the order they are listed. Each is data about
 * itself (id, name, articles, parameters, severity) and a pure judgement (src/monitoring/rules/).
 */
import type { RuleDefinition } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each rule has its own parameter type; the catalogue holds them all.
export const RULES: readonly RuleDefinition<any>[] = [];

// biome-ignore lint/suspicious/noExplicitAny: as above.
export function ruleById(id: string): RuleDefinition<any> | undefined {
  return RULES.find((r) => r.id === id);
}
