/**
 * The supervision rules (监管规则) yibao knows, in the order they are listed. Each is data about
 * itself (id, name, articles, parameters, severity) and a pure judgement (src/monitoring/rules/).
 */
import { ACCT_CASHOUT } from './rules/acct-cashout.js';
import { CARD_DISTANCE } from './rules/card-distance.js';
import { ENROL_DUP } from './rules/enrol-dup.js';
import { FREQ_PEER } from './rules/freq-peer.js';
import { INST_FUND_PEER } from './rules/inst-fund-peer.js';
import { SPLIT_DAY } from './rules/split-day.js';
import type { RuleDefinition } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each rule has its own parameter type; the catalogue holds them all.
export const RULES: readonly RuleDefinition<any>[] = [SPLIT_DAY, FREQ_PEER, CARD_DISTANCE, ACCT_CASHOUT, INST_FUND_PEER, ENROL_DUP];

// biome-ignore lint/suspicious/noExplicitAny: as above.
export function ruleById(id: string): RuleDefinition<any> | undefined {
  return RULES.find((r) => r.id === id);
}
