/**
 * A finding in the national supervision shape: the result (违规信息, 表134 of 3101 明细审核事前分析服务
 * and 3102 明细审核事中分析服务) and its details (违规明细信息, 表135), from plain data the ledger holds
 * (a lead, its rule, the severity in force, and the settlements it rests on, by id).
 *
 * Amounts are yuan text with two decimals, made from integer fen (src/money): never a float of money.
 * Texts are cut to the specification's lengths by code points (a character is never split), with
 * an ellipsis when cut: rule_name 200, vola_cont 500, vola_evid 500. Ids are passed whole: yibao's
 * ids may be longer than the specification's 50 (up to 128, src/request/id.ts), and a cut id would
 * name another record.
 */
import { formatYuan, type Fen } from '../money/money.js';
import type { BehaviourType, Citation, Lead, Severity } from './types.js';

/** The lengths of the texts in 表134 (字符型, 参数长度). */
export const RESULT_TEXT_MAX = { rule_name: 200, vola_cont: 500, vola_evid: 500 } as const;

/** One settlement a finding rests on (a detail, 表135). */
export interface SupervisionDetailInput {
  /** jrd_id. */
  id: string;
  personId: string;
  visitId: string | null;
  /** Its part of the finding's amount, fen. */
  amountFen: Fen;
  /** The visit the finding is about (违规项); the others are concerned (涉及项). */
  triggering: boolean;
}

/** A finding as the ledger holds it. */
export interface SupervisionResultInput {
  jrId: string;
  ruleId: string;
  ruleName: string;
  content: string;
  personId: string;
  visitId: string | null;
  amountFen: Fen;
  amountComputed: boolean;
  severity: Severity;
  behaviour: BehaviourType;
  sources: readonly Citation[];
  details: readonly SupervisionDetailInput[];
  /** task_id, when the finding belongs to a task of the caller's. */
  taskId?: string | null;
}

/** 表135 输出-违规明细信息 (judge_result_detail_dtos). */
export interface JudgeResultDetail {
  jrd_id: string;
  patn_id: string;
  mdtrt_id: string | null;
  /** 处方(医嘱)标识: yibao judges settlements, not prescriptions: null. */
  rx_id: string | null;
  /** vola_item_type: 1 违规项, 2 涉及项. */
  vola_item_type: '1' | '2';
  /** Yuan, two decimals. */
  vola_amt: string;
}

/** 表134 输出-违规信息 (result). */
export interface JudgeResult {
  jr_id: string;
  rule_id: string;
  rule_name: string;
  vola_cont: string;
  patn_id: string;
  mdtrt_id: string | null;
  judge_result_detail_dtos: JudgeResultDetail[];
  /** Yuan, two decimals; 0.00 when not computed. */
  vola_amt: string;
  /** vola_amt_stas: 1 正常 (computed), 0 异常 (could not be). */
  vola_amt_stas: '0' | '1';
  sev_deg: Severity;
  vola_evid: string;
  vola_bhvr_type: BehaviourType;
  task_id: string | null;
}

/** Cuts a text to at most `max` code points, ending in … when cut. */
export function truncateText(text: string, max: number): string {
  let count = 0;
  for (const _ of text) if (++count > max) break;
  if (count <= max) return text;
  let out = '';
  let kept = 0;
  for (const ch of text) {
    if (kept === max - 1) break;
    out += ch;
    kept++;
  }
  return `${out}…`;
}

/** The articles as vola_evid (违规依据): 洛医保〔2022〕36号 第十七条：“…”；… */
export function evidenceText(sources: readonly Citation[]): string {
  return truncateText(sources.map((c) => `${c.document} ${c.article}：“${c.quote}”`).join('；'), RESULT_TEXT_MAX.vola_evid);
}

/** Each row's part of a lead's amount (表135 vola_amt), parallel to its rows: rowAmountsFen, or all of it on the first row. */
export function rowAmountsOf(lead: Pick<Lead, 'rows' | 'amountFen' | 'rowAmountsFen'>): number[] {
  if (lead.rowAmountsFen !== undefined) {
    if (lead.rowAmountsFen.length !== lead.rows.length) throw new RangeError(`rowAmountsFen has ${lead.rowAmountsFen.length} amounts for ${lead.rows.length} rows`);
    return lead.rowAmountsFen;
  }
  return lead.rows.map((_, i) => (i === 0 ? lead.amountFen : 0));
}

function yuan(fen: Fen, what: string): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`${what} must be a whole number of fen, got ${fen}`);
  return formatYuan(fen);
}

/** The national result (表134 with its 表135 details) of a finding. */
export function supervisionResult(f: SupervisionResultInput): JudgeResult {
  return {
    jr_id: f.jrId,
    rule_id: f.ruleId,
    rule_name: truncateText(f.ruleName, RESULT_TEXT_MAX.rule_name),
    vola_cont: truncateText(f.content, RESULT_TEXT_MAX.vola_cont),
    patn_id: f.personId,
    mdtrt_id: f.visitId,
    judge_result_detail_dtos: f.details.map((d) => ({
      jrd_id: d.id,
      patn_id: d.personId,
      mdtrt_id: d.visitId,
      rx_id: null,
      vola_item_type: d.triggering ? '1' : '2',
      vola_amt: yuan(f.amountComputed ? d.amountFen : 0, `details[${d.id}].amountFen`),
    })),
    vola_amt: yuan(f.amountComputed ? f.amountFen : 0, 'amountFen'),
    vola_amt_stas: f.amountComputed ? '1' : '0',
    sev_deg: f.severity,
    vola_evid: evidenceText(f.sources),
    vola_bhvr_type: f.behaviour,
    task_id: f.taskId ?? null,
  };
}
