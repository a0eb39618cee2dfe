/**
 * The supervision rules' settings (监管规则设置): for each rule of the catalogue, whether the agency
 * has turned it on, the parameters it set (none has a default: a rule with a parameter not set does
 * not run, and says which) and the severity it reports with. Kept in the monitoring settings under
 * `rule:<id>` (versioned, audited, an unchanged setting writes nothing).
 */
import type { Kysely } from 'kysely';
import { SEVERITIES, type RuleDefinition, type Severity } from '../monitoring/types.js';
import { formatIssues } from '../policy/schema.js';
import { LedgerError } from './errors.js';
import type { MonitoringSettings, Setting } from './monitoring-settings.js';
import type { Database } from './schema.js';
import type { RuleSettingInput, RuleView } from './supervision-types.js';
import type { Actor } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each rule has its own parameter type.
export type AnyRule = RuleDefinition<any>;

/** The longest reason a setting or a status change takes. */
export const MAX_REASON = 500;

/** How long the rules' settings are used before asking whether they changed (another process's change is seen within it). */
export const SETTINGS_RECHECK_MS = 1_000;

/** A rule's setting as stored (the value of `rule:<id>`). */
export interface RuleSetting {
  enabled: boolean;
  params: Record<string, unknown>;
  severity?: Severity;
}

/** A rule with its setting in force, ready to run or saying why it cannot. */
export interface RuleInForce {
  rule: AnyRule;
  view: RuleView;
  /** The parameters as the rule's schema gave them back, when complete and valid. */
  params?: unknown;
  /** Why it does not run (Chinese, then English), when it does not. */
  notRun?: string;
}

export const ruleKey = (id: string) => `rule:${id}`;

/** A reason as a setting or a status change requires it: 1 to MAX_REASON characters, not blank. */
export function requireReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '') throw new LedgerError('INVALID_REQUEST', 'reason: required (说明理由)');
  if (reason.length > MAX_REASON) throw new LedgerError('INVALID_REQUEST', `reason: at most ${MAX_REASON} characters, not ${reason.length}`);
  return reason;
}

/** The rule's parameters not set in `params` (an optional one is never missing). */
const missingOf = (rule: AnyRule, params: Record<string, unknown> | null) =>
  rule.parameters.filter((p) => !p.optional && (params?.[p.name] === undefined || params[p.name] === null)).map((p) => p.name);

function viewOf(rule: AnyRule, s: Setting<RuleSetting> | undefined): RuleView {
  const v = s?.value;
  const params = v?.params ?? null;
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    sources: rule.sources,
    behaviour: rule.behaviour,
    concerns: rule.concerns,
    reach: rule.reach,
    parameters: rule.parameters,
    severity: v?.severity ?? rule.severity,
    enabled: v?.enabled ?? false,
    params,
    missing: missingOf(rule, params),
    setBy: s?.actor ?? null,
    setAt: s?.at ?? null,
    reason: s?.reason ?? null,
  };
}

/**
 * The problems of a rule's parameters: names the rule does not have, and values its schema
 * refuses. Parameters not given are not a problem here (the rule does not run until they are).
 */
export function paramProblems(rule: AnyRule, params: Record<string, unknown>): string[] {
  const names = new Set(rule.parameters.map((p) => p.name));
  const problems = Object.keys(params)
    .filter((k) => !names.has(k))
    .map((k) => `params.${k}: ${rule.id} has no parameter ${k} (its parameters: ${[...names].join(', ') || 'none'})`);
  if (problems.length > 0) return problems;
  if (missingOf(rule, params).length === 0) {
    const r = rule.schema.safeParse(params);
    return r.success ? [] : formatIssues(r.error.issues, 'params');
  }
  // Some not set: each one given is checked on its own, where the schema has a shape to check it by.
  const shape = (rule.schema as unknown as { shape?: Record<string, { safeParse(v: unknown): { success: boolean; error?: { issues: never[] } } }> }).shape;
  if (!shape) return [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const r = shape[k]?.safeParse(v);
    if (r && !r.success) problems.push(...formatIssues(r.error?.issues ?? [], `params.${k}`));
  }
  return problems;
}

export class SupervisionRules {
  /** The settings of every rule, as read at `version` (the newest settings row): checks read them often. */
  private cache: { version: string; settings: Map<string, Setting<RuleSetting>>; checkedAt: number } | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: MonitoringSettings,
    readonly catalogue: readonly AnyRule[],
  ) {}

  byId(id: string): AnyRule | undefined {
    return this.catalogue.find((r) => r.id === id);
  }

  /**
   * Every rule's setting in force. Read again when the settings changed (their newest row and
   * count), asked at most every SETTINGS_RECHECK_MS: a check (3101) then costs no query for them.
   * This book's own changes are seen at once; another process's within SETTINGS_RECHECK_MS.
   */
  private async current(): Promise<Map<string, Setting<RuleSetting>>> {
    const at = Date.now();
    if (this.cache && at - this.cache.checkedAt < SETTINGS_RECHECK_MS) return this.cache.settings;
    const v = await this.db
      .selectFrom('monitoring_settings')
      .select((eb) => [eb.fn.max('id').as('v'), eb.fn.countAll<string | number>().as('n')])
      .executeTakeFirst();
    const version = `${v?.v ?? ''}/${v?.n ?? 0}`;
    if (this.cache && this.cache.version === version) {
      this.cache.checkedAt = at;
      return this.cache.settings;
    }
    const settings = new Map<string, Setting<RuleSetting>>();
    for (const rule of this.catalogue) {
      const s = await this.settings.get<RuleSetting>(ruleKey(rule.id));
      if (s) settings.set(rule.id, s);
    }
    this.cache = { version, settings, checkedAt: at };
    return settings;
  }

  async views(): Promise<RuleView[]> {
    const settings = await this.current();
    return this.catalogue.map((r) => viewOf(r, settings.get(r.id)));
  }

  /** Each rule with what it would run with, or why it does not run. */
  async inForce(): Promise<RuleInForce[]> {
    const settings = await this.current();
    return this.catalogue.map((rule) => {
      const view = viewOf(rule, settings.get(rule.id));
      if (!view.enabled) {
        return {
          rule,
          view,
          notRun: settings.has(rule.id)
            ? '已停用 (disabled by the agency)'
            : `未设置、未启用 (not set up by the agency)${view.missing.length > 0 ? `; 未设置参数: ${view.missing.join(', ')}` : ''}`,
        };
      }
      if (view.missing.length > 0) return { rule, view, notRun: `未设置参数: ${view.missing.join(', ')} (parameters not set)` };
      const parsed = rule.schema.safeParse(view.params);
      if (!parsed.success) return { rule, view, notRun: `参数无效 (invalid parameters): ${formatIssues(parsed.error.issues, 'params').join('; ')}` };
      return { rule, view, params: parsed.data };
    });
  }

  /**
   * Sets a rule (audited; the setting in force again writes nothing).
   *
   * @throws LedgerError NOT_FOUND for a rule not in the catalogue; INVALID_REQUEST naming each bad field.
   */
  async set(ruleId: string, input: RuleSettingInput, actor: Actor): Promise<RuleView> {
    const rule = this.byId(ruleId);
    if (!rule) throw new LedgerError('NOT_FOUND', `rule ${ruleId} is not in the catalogue (${this.catalogue.map((r) => r.id).join(', ')})`);
    const problems: string[] = [];
    if (typeof input?.enabled !== 'boolean') problems.push('enabled: true or false');
    const params = input?.params;
    if (params === null || typeof params !== 'object' || Array.isArray(params)) problems.push('params: an object of the rule’s parameters');
    else problems.push(...paramProblems(rule, params));
    if (input?.severity !== undefined && !SEVERITIES.includes(input.severity)) problems.push(`severity: one of ${SEVERITIES.join(', ')} (1 明确违规, 2 高度可疑, 3 轻度可疑)`);
    try {
      requireReason(input?.reason);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (problems.length > 0) throw new LedgerError('INVALID_REQUEST', `rule ${ruleId}: ${problems.join('; ')}`);
    const value: RuleSetting = { enabled: input.enabled, params: Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) };
    if (input.severity !== undefined) value.severity = input.severity;
    const { setting } = await this.settings.set(ruleKey(ruleId), value, input.reason, actor);
    this.cache = undefined;
    return viewOf(rule, setting as Setting<RuleSetting>);
  }
}
