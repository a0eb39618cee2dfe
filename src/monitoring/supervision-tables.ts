/**
 * Supervision's records as people read them, for the service and the CLI alike: tables with
 * Chinese headers (表头) for the files they hand out (CSV UTF-8 or GBK, XLSX: src/export) and the
 * CLI's terminal tables — findings (疑点线索), their counts (统计, no personal data), runs (筛查批次),
 * rules (监管规则), sites (机构位置), a finding's status history (状态变更记录) — and the JSON views
 * (amounts in yuan, times ISO 8601 in China time).
 *
 * The records are read structurally (the shapes of src/ledger/supervision-types.ts), so this module
 * stays pure. Amounts are integer fen; times epoch ms.
 */
import { formatChinaTime } from '../calendar/calendar.js';
import type { Table } from '../export/table.js';
import { toYuanNumber } from '../money/money.js';
import {
  BEHAVIOUR_LABELS,
  type BehaviourType,
  FINDING_STATUS_LABELS,
  type FindingStatus,
  INSTITUTION_KIND_LABELS,
  type InstitutionKind,
  SEVERITY_LABELS,
  type Severity,
} from './types.js';

/** A finding as the tables read it. */
export interface FindingRow {
  id: string;
  ruleId: string;
  ruleName: string;
  runId: string;
  personId: string;
  visitId: string | null;
  institutionId: string | null;
  amount: number;
  amountComputed: boolean;
  severity: Severity;
  behaviour: BehaviourType;
  content: string;
  happenedAt: number;
  status: FindingStatus;
  statusAt: number;
  createdAt: number;
}

export interface CountRow {
  ruleId: string;
  ruleName: string;
  status: FindingStatus;
  severity: Severity;
  institutionId: string | null;
  count: number;
  amount: number;
}

export interface RunRow {
  id: string;
  kind: 'batch' | 'incremental' | 'in-process';
  from: number;
  to: number;
  startedAt: number;
  finishedAt: number;
  rules: { ruleId: string }[];
  notRun: { ruleId: string; reason: string }[];
  settlements: number;
  persons: number;
  leads: number;
  newFindings: number;
}

export interface RuleRow {
  id: string;
  name: string;
  severity: Severity;
  enabled: boolean;
  concerns: 'visit' | 'item';
  reach: 'visit' | 'period';
  missing: string[];
  setBy: string | null;
  setAt: number | null;
  reason: string | null;
}

export interface SiteRow {
  institutionId: string;
  kind: InstitutionKind;
  longitude: number | null;
  latitude: number | null;
}

export interface StatusChangeRow {
  status: FindingStatus;
  reason: string;
  actor: string;
  at: number;
}

/** 批次类型. */
export const RUN_KIND_LABELS: Record<RunRow['kind'], string> = { batch: '批量筛查', incremental: '增量筛查', 'in-process': '事中审核（3102）' };

const text = (key: string, header: string) => ({ key, header, kind: 'text' as const });
const fen = (key: string, header: string) => ({ key, header, kind: 'fen' as const });
const count = (key: string, header: string) => ({ key, header, kind: 'count' as const });
const datetime = (key: string, header: string) => ({ key, header, kind: 'datetime' as const });

/** 疑点线索: one row a finding, personal data (patn_id). */
export function findingsTable(findings: readonly FindingRow[]): Table {
  return {
    name: '疑点线索',
    columns: [
      text('id', '线索编号'),
      text('ruleId', '规则编号'),
      text('ruleName', '规则名称'),
      text('severity', '严重程度'),
      text('behaviour', '违规行为分类'),
      text('status', '核查状态'),
      text('personId', '参保人'),
      text('visitId', '就诊ID'),
      text('institutionId', '定点医药机构'),
      fen('amount', '违规金额（元）'),
      text('amountComputed', '金额计算状态'),
      text('content', '违规内容'),
      datetime('happenedAt', '发生时间'),
      datetime('createdAt', '发现时间'),
      datetime('statusAt', '状态时间'),
      text('runId', '筛查批次'),
    ],
    rows: findings.map((f) => ({
      id: f.id,
      ruleId: f.ruleId,
      ruleName: f.ruleName,
      severity: `${f.severity} ${SEVERITY_LABELS[f.severity]}`,
      behaviour: `${f.behaviour} ${BEHAVIOUR_LABELS[f.behaviour]}`,
      status: FINDING_STATUS_LABELS[f.status],
      personId: f.personId,
      visitId: f.visitId,
      institutionId: f.institutionId,
      amount: f.amount,
      amountComputed: f.amountComputed ? '1 正常' : '0 异常',
      content: f.content,
      happenedAt: f.happenedAt,
      createdAt: f.createdAt,
      statusAt: f.statusAt,
      runId: f.runId,
    })),
  };
}

/** 疑点线索统计: by rule, status, severity and institution; no personal data. */
export function countsTable(counts: readonly CountRow[]): Table {
  return {
    name: '疑点线索统计',
    columns: [
      text('ruleId', '规则编号'),
      text('ruleName', '规则名称'),
      text('status', '核查状态'),
      text('severity', '严重程度'),
      text('institutionId', '定点医药机构'),
      count('count', '线索数'),
      fen('amount', '涉及金额（元）'),
    ],
    rows: counts.map((c) => ({
      ruleId: c.ruleId,
      ruleName: c.ruleName,
      status: FINDING_STATUS_LABELS[c.status],
      severity: `${c.severity} ${SEVERITY_LABELS[c.severity]}`,
      institutionId: c.institutionId,
      count: c.count,
      amount: c.amount,
    })),
  };
}

/** 筛查批次. */
export function runsTable(runs: readonly RunRow[]): Table {
  return {
    name: '筛查批次',
    columns: [
      text('id', '批次编号'),
      text('kind', '类型'),
      datetime('from', '结算时间起'),
      datetime('to', '结算时间止（不含）'),
      datetime('startedAt', '开始时间'),
      datetime('finishedAt', '完成时间'),
      count('settlements', '结算笔数'),
      count('persons', '参保人数'),
      count('leads', '线索数'),
      count('newFindings', '新增线索'),
      text('rules', '已运行规则'),
      text('notRun', '未运行规则及原因'),
    ],
    rows: runs.map((r) => ({
      id: r.id,
      kind: RUN_KIND_LABELS[r.kind],
      from: r.from,
      to: r.to,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      settlements: r.settlements,
      persons: r.persons,
      leads: r.leads,
      newFindings: r.newFindings,
      rules: r.rules.map((x) => x.ruleId).join('、'),
      notRun: r.notRun.map((x) => `${x.ruleId}：${x.reason}`).join('；'),
    })),
  };
}

/** 监管规则. */
export function rulesTable(rules: readonly RuleRow[]): Table {
  return {
    name: '监管规则',
    columns: [
      text('id', '规则编号'),
      text('name', '规则名称'),
      text('severity', '严重程度'),
      text('enabled', '启用'),
      text('concerns', '对象'),
      text('reach', '适用'),
      text('missing', '待设参数'),
      text('setBy', '设置人'),
      datetime('setAt', '设置时间'),
      text('reason', '设置理由'),
    ],
    rows: rules.map((r) => ({
      id: r.id,
      name: r.name,
      severity: `${r.severity} ${SEVERITY_LABELS[r.severity]}`,
      enabled: r.enabled ? (r.missing.length > 0 ? '是（参数未设齐，不运行）' : '是') : '否',
      concerns: r.concerns === 'visit' ? '就诊' : '项目',
      reach: r.reach === 'visit' ? '逐次就诊（事前、事中、增量）' : '期间（批量筛查）',
      missing: r.missing.length > 0 ? r.missing.join('、') : null,
      setBy: r.setBy,
      setAt: r.setAt,
      reason: r.reason,
    })),
  };
}

/** 定点医药机构位置. */
export function sitesTable(sites: readonly SiteRow[]): Table {
  return {
    name: '定点医药机构位置',
    columns: [text('institutionId', '定点医药机构编号'), text('kind', '类型'), text('longitude', '经度'), text('latitude', '纬度')],
    rows: sites.map((s) => ({
      institutionId: s.institutionId,
      kind: INSTITUTION_KIND_LABELS[s.kind],
      longitude: s.longitude === null ? null : s.longitude.toFixed(6),
      latitude: s.latitude === null ? null : s.latitude.toFixed(6),
    })),
  };
}

/** 状态变更记录 of a finding, oldest first. */
export function historyTable(changes: readonly StatusChangeRow[]): Table {
  return {
    name: '状态变更记录',
    columns: [datetime('at', '时间'), text('status', '核查状态'), text('actor', '操作人'), text('reason', '理由')],
    rows: changes.map((c) => ({ at: c.at, status: FINDING_STATUS_LABELS[c.status], actor: c.actor, reason: c.reason })),
  };
}

// ---- JSON views -------------------------------------------------------------------------------

/** A settlement a finding rests on, as the evidence holds it. */
export interface EvidenceSettlementRow {
  id: string;
  visitId: string;
  institutionId: string;
  time: number;
  visitType: string;
  total: number;
  fund: number;
  critical: number;
  assistance: number;
  account: number;
  cash: number;
  /** Its part of the finding's amount, fen; absent on findings stored before. */
  amount?: number;
}

export interface EvidenceRow {
  settlements: EvidenceSettlementRow[];
  figures: Record<string, number | string>;
  sources: { document: string; article: string; quote: string }[];
  enrollments?: { id: string; coverageYear: number; region: string; scheme: string; paidOn: string; amount: number | null }[];
}

const iso = (ms: number) => formatChinaTime(ms);

/** Evidence with amounts in yuan and times in China time. */
export function evidenceView(e: EvidenceRow) {
  return {
    settlements: e.settlements.map((s) => ({
      ...s,
      time: iso(s.time),
      total: toYuanNumber(s.total),
      fund: toYuanNumber(s.fund),
      critical: toYuanNumber(s.critical),
      assistance: toYuanNumber(s.assistance),
      account: toYuanNumber(s.account),
      cash: toYuanNumber(s.cash),
      ...(s.amount !== undefined ? { amount: toYuanNumber(s.amount) } : {}),
    })),
    figures: e.figures,
    sources: e.sources,
    ...(e.enrollments ? { enrollments: e.enrollments.map((x) => ({ ...x, amount: x.amount === null ? null : toYuanNumber(x.amount) })) } : {}),
  };
}

/** A finding with amounts in yuan and times in China time. */
export const findingView = (f: FindingRow & { evidence: EvidenceRow }) => ({
  id: f.id,
  ruleId: f.ruleId,
  ruleName: f.ruleName,
  runId: f.runId,
  personId: f.personId,
  visitId: f.visitId,
  institutionId: f.institutionId,
  amount: toYuanNumber(f.amount),
  amountComputed: f.amountComputed,
  severity: f.severity,
  behaviour: f.behaviour,
  content: f.content,
  evidence: evidenceView(f.evidence),
  happenedAt: iso(f.happenedAt),
  status: f.status,
  statusAt: iso(f.statusAt),
  createdAt: iso(f.createdAt),
});

export const ruleView = <R extends RuleRow>(r: R) => ({ ...r, setAt: r.setAt === null ? null : iso(r.setAt) });

export const runView = <R extends RunRow>(r: R) => ({ ...r, from: iso(r.from), to: iso(r.to), startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt) });

export const historyView = (findingId: string, h: readonly StatusChangeRow[]) => ({ id: findingId, history: h.map((c) => ({ ...c, at: iso(c.at) })) });

/** Counts with amounts in yuan and their total. */
export function countsView(counts: readonly CountRow[]) {
  let n = 0;
  let amount = 0;
  for (const c of counts) {
    n += c.count;
    amount += c.amount;
  }
  return {
    counts: counts.map((c) => ({
      ruleId: c.ruleId,
      ruleName: c.ruleName,
      status: c.status,
      severity: c.severity,
      institutionId: c.institutionId,
      count: c.count,
      amount: toYuanNumber(c.amount),
    })),
    total: { count: n, amount: toYuanNumber(amount) },
  };
}
