/**
 * The account rules in force for a region, an account kind and a day: the first policy in force
 * (most specific first, as for settlement) that has rules for the kind.
 */
import { formatDate, type DayNumber } from '../calendar/calendar.js';
import { versionAt } from '../policy/model.js';
import type { AccountRules, ParamVersion, PolicyPack } from '../policy/model.js';
import type { PolicySet } from '../policy/registry.js';
import type { AccountParamKey } from '../policy/schema.js';
import { AccountError, type AccountKind } from './types.js';

const KIND_LABELS: Record<AccountKind, string> = {
  'employee-personal': '职工医保个人账户',
  'resident-family': '居民医保个人（家庭）账户',
};

/** The rules of one account kind as they stand on one day. */
export class RulesAt {
  constructor(
    readonly pack: PolicyPack,
    readonly rules: AccountRules,
    readonly day: DayNumber,
  ) {}

  /** The account's own citation (for refusals where no single rule decides). */
  get citation(): string {
    return this.rules.citation;
  }

  private version(key: AccountParamKey): ParamVersion | undefined {
    const p = this.rules.params[key];
    return p ? versionAt(p, this.day) : undefined;
  }

  /** Whether the document states this rule (possibly as missing) on the day. */
  has(key: AccountParamKey): boolean {
    return this.version(key) !== undefined;
  }

  /**
   * The rule's value. Throws MISSING_PARAMETER naming it when the document refers to it without
   * giving it, and INVALID_INPUT-free: callers ask only for rules they checked with {@link has}.
   */
  value<T>(key: AccountParamKey): T {
    const p = this.rules.params[key];
    const v = this.version(key);
    if (!p || !v || v.value === null) {
      const path = p?.path ?? `accounts.${this.rules.kind}.${key}`;
      const missing = {
        path,
        label: p?.label ?? key,
        citation: v?.citation ?? p?.versions[0]?.citation ?? this.rules.citation,
        reason: v?.missing ?? `no value is in force on ${formatDate(this.day)}`,
      };
      throw new AccountError('MISSING_PARAMETER', `${path} (${missing.label}) is needed and not given: ${missing.reason}`, [missing]);
    }
    return v.value as T;
  }

  /** The rule as a value, or `fallback` when the document does not state it at all. */
  valueOr<T>(key: AccountParamKey, fallback: T): T {
    return this.has(key) ? this.value<T>(key) : fallback;
  }

  /** Citation of the rule (`document article`), or the account's when it is not stated. */
  cite(key: AccountParamKey): string {
    return this.version(key)?.citation ?? this.rules.citation;
  }

  /** The document's words for the rule, when quoted. */
  quote(key: AccountParamKey): string | undefined {
    return this.version(key)?.quote;
  }

  /** The value as printed (`2%`, `60 元/月`, `配偶、父母、子女`). */
  text(key: AccountParamKey): string {
    return this.version(key)?.text ?? '（未规定）';
  }
}

/**
 * The rules of `kind` in force in a region (admdvs code, or an alias such as `puyang`) on `day`.
 *
 * @throws AccountError NO_POLICY_IN_FORCE when no policy is in force there then, NO_ACCOUNT_RULES
 *   when none of those in force governs this kind of account.
 */
export function rulesAt(policies: PolicySet, regionOrAlias: string, kind: AccountKind, day: DayNumber): RulesAt {
  const region = policies.regionCode(regionOrAlias) ?? regionOrAlias;
  const chain = policies.chain(region, day);
  if (chain.length === 0) throw new AccountError('NO_POLICY_IN_FORCE', `${KIND_LABELS[kind]}: ${policies.describeInForce(region, day)}`);
  for (const pack of chain) {
    const rules = pack.accounts.find((a) => a.kind === kind);
    if (rules) return new RulesAt(pack, rules, day);
  }
  throw new AccountError(
    'NO_ACCOUNT_RULES',
    `${KIND_LABELS[kind]}: none of the policies ${policies.describeInForce(region, day).replace(/^in force /, 'in force ')} has rules for ${kind} accounts`,
  );
}

export { KIND_LABELS };
