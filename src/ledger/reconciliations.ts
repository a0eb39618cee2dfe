/**
 * Reconciliations (对账) as the ledger records them: an institution's totals (3201 医药机构费用结算
 * 对总账) or its detail (3202 对明细账, or its own export) against the ledger's entries of a span of
 * settlement days. Each run is kept (the institution's and the agency's to read back), with its
 * differences; the comparison itself is src/clearing/reconcile.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { formatChinaTime } from '../calendar/calendar.js';
import type { DetailRow } from '../clearing/detail.js';
import { clearingClass } from '../clearing/funds.js';
import { daySpan } from '../clearing/period.js';
import { reconcileDetail, reconcileTotals, type DetailReconciliation, type StatementTotals } from '../clearing/reconcile.js';
import { toYuanNumber } from '../money/money.js';
import { pageOf, type Page } from '../request/page.js';
import { writeAudit } from './audit.js';
import type { ClearingBook } from './clearing.js';
import { LedgerError } from './errors.js';
import type { Database } from './schema.js';
import type { Actor } from './types.js';

/** At most this many differences a run keeps (the counts are always whole). */
export const MAX_KEPT_DIFFERENCES = 100_000;

/** A run as it is read back. */
export interface ReconciliationRecord {
  id: string;
  institution: string;
  kind: '3201' | '3202' | 'file';
  from: string;
  to: string;
  balanced: boolean;
  summary: Record<string, unknown>;
  createdAt: string;
  createdBy: string;
}

/** What 3201 asks (the institution's claimed totals and the class of settlements they cover). */
export interface TotalsClaim extends StatementTotals {
  insutype: string;
  clr_type: string;
  setl_optins: string;
  from: string;
  to: string;
  /** 退费结算标志: '0' the settlements only, '1' the refunds only; absent: both (net). */
  refd_setl_flag?: '0' | '1';
}

const sumsYuan = (s: { medfee_sumamt: number; fund_pay_sumamt: number; acct_pay: number; count: number }) => ({
  medfee_sumamt: toYuanNumber(s.medfee_sumamt),
  fund_pay_sumamt: toYuanNumber(s.fund_pay_sumamt),
  acct_pay: toYuanNumber(s.acct_pay),
  count: s.count,
});

export class ReconciliationBook {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clearing: ClearingBook,
    private readonly now: () => number,
  ) {}

  /**
   * 3201: the institution's totals for a class of settlements against the ledger's. stmt_rslt 0
   * balanced, 1 not, with the description (对账结果说明) naming each differing figure.
   */
  async totals(
    institution: string,
    claim: TotalsClaim,
    actor: Actor,
  ): Promise<{ id: string; setl_optins: string; stmt_rslt: '0' | '1'; stmt_rslt_dscr: string; ledger: StatementTotals }> {
    const { start, end } = daySpan(claim.from, claim.to);
    const groups = await this.clearing.groups(this.db, start, end, institution);
    const ledger: StatementTotals = { medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, fixmedins_setl_cnt: 0 };
    for (const g of groups) {
      const c = clearingClass(g.benefit);
      if (!c || c.insutype.code !== claim.insutype || c.clrType.code !== claim.clr_type) continue;
      if (claim.refd_setl_flag === '0' && g.kind !== 'settlement') continue;
      if (claim.refd_setl_flag === '1' && g.kind !== 'reversal') continue;
      ledger.medfee_sumamt += g.total;
      ledger.fund_pay_sumamt += g.fund + g.criticalIllness + g.assistance;
      ledger.acct_pay += g.account;
      ledger.fixmedins_setl_cnt += g.count;
    }
    const centre = (await this.clearing.registry.resolveAll()).get(institution);
    const centreId = centre && !('problem' in centre) ? centre.centre.id : null;
    let result = reconcileTotals(claim, ledger);
    if (centreId !== claim.setl_optins) {
      const why = centreId === null ? `机构 ${institution} 未登记支付经办机构` : `机构 ${institution} 的结算经办机构为 ${centreId}，不是 ${claim.setl_optins}`;
      result = { stmt_rslt: '1', stmt_rslt_dscr: `不平：${why}`.slice(0, 200) };
    }
    const id = await this.save(institution, '3201', claim.from, claim.to, result.stmt_rslt === '0', { claim: { ...claim }, ledger, ...result }, [], actor);
    return { id, setl_optins: claim.setl_optins, ...result, ledger };
  }

  /**
   * 3202 or a hospital's export: its rows against the ledger's entries of the span, every
   * difference classified. The run and its differences are kept (at most {@link MAX_KEPT_DIFFERENCES}).
   */
  async detail(
    institution: string,
    kind: '3202' | 'file',
    from: string,
    to: string,
    hospital: readonly DetailRow[],
    actor: Actor,
  ): Promise<{ id: string; result: DetailReconciliation }> {
    const { start, end } = daySpan(from, to);
    const ledger = await this.clearing.detailRows(institution, start, end);
    const result = reconcileDetail(hospital, ledger);
    const summary = {
      balanced: result.balanced,
      matched: result.totals.matched,
      byClass: result.totals.byClass,
      hospital: sumsYuan(result.totals.hospital),
      ledger: sumsYuan(result.totals.ledger),
      differences: result.differences.length,
      kept: Math.min(result.differences.length, MAX_KEPT_DIFFERENCES),
    };
    const id = await this.save(institution, kind, from, to, result.balanced, summary, result.differences.slice(0, MAX_KEPT_DIFFERENCES), actor);
    return { id, result };
  }

  private async save(institution: string, kind: string, from: string, to: string, balanced: boolean, summary: unknown, detail: unknown[], actor: Actor): Promise<string> {
    const id = `RC-${randomUUID()}`;
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('reconciliations')
        .values({
          id,
          institution_id: institution,
          kind,
          span_from: from,
          span_to: to,
          balanced: balanced ? 1 : 0,
          summary: JSON.stringify(summary),
          detail: JSON.stringify(detail),
          actor: actor.id,
          created_at: now,
        })
        .execute();
      await writeAudit(trx, actor, now, `reconcile.${kind}`, id, { institution, from, to, balanced });
    });
    return id;
  }

  /** Runs, newest first; an institution's actor sees only its own. */
  async list(actor: Actor, options: { institution?: string; limit: number; after?: [number, string] }): Promise<Page<ReconciliationRecord>> {
    let q = this.db.selectFrom('reconciliations').select(['id', 'institution_id', 'kind', 'span_from', 'span_to', 'balanced', 'summary', 'actor', 'created_at']);
    const only = actor.role === 'institution' ? actor.institutionId : options.institution;
    if (only !== undefined) q = q.where('institution_id', '=', only);
    const after = options.after;
    if (after) q = q.where((eb) => eb.or([eb('created_at', '<', after[0]), eb.and([eb('created_at', '=', after[0]), eb('id', '<', after[1])])]));
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    return pageOf(rows, options.limit, 'reconciliations', (r) => [Number(r.created_at), r.id], recordOf);
  }

  /** One run with its differences. @throws LedgerError NOT_FOUND (also for another institution's run). */
  async get(id: string, actor: Actor): Promise<ReconciliationRecord & { differences: unknown[] }> {
    const row = await this.db.selectFrom('reconciliations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (actor.role === 'institution' && actor.institutionId !== row.institution_id)) throw new LedgerError('NOT_FOUND', `reconciliation ${id} does not exist`);
    return { ...recordOf(row), differences: JSON.parse(row.detail) as unknown[] };
  }
}

function recordOf(r: {
  id: string;
  institution_id: string;
  kind: string;
  span_from: string;
  span_to: string;
  balanced: number;
  summary: string;
  actor: string;
  created_at: number;
}): ReconciliationRecord {
  return {
    id: r.id,
    institution: r.institution_id,
    kind: r.kind as ReconciliationRecord['kind'],
    from: r.span_from,
    to: r.span_to,
    balanced: Number(r.balanced) === 1,
    summary: JSON.parse(r.summary) as Record<string, unknown>,
    createdAt: formatChinaTime(Number(r.created_at)),
    createdBy: r.actor,
  };
}
