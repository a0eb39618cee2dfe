/**
 * Reading the closed months back (清算结果查询): the statements of a month (no personal data: an
 * institution's totals), one statement whole, what each paying centre owes its institutions, the
 * districts' remitted funds against what was paid for their insured (洛医保〔2023〕63号 三(三)), and
 * the entries a statement covers (personal data: the read is audited).
 */
import type { Kysely } from 'kysely';
import { formatChinaTime } from '../calendar/calendar.js';
import { periodBounds, type Period } from '../clearing/period.js';
import { toYuanNumber } from '../money/money.js';
import { pageOf, type Page } from '../request/page.js';
import { writeAudit } from './audit.js';
import { MAX_REGISTRY_ROWS, type ClearingRegistry } from './clearing-registry.js';
import { LedgerError } from './errors.js';
import type { ClearingStatementsTable, Database } from './schema.js';
import type { Actor } from './types.js';

const num = (v: unknown) => Number(v ?? 0);

/** A statement's figures as lists show them (fen columns as yuan numbers). */
export function statementRow(r: Omit<ClearingStatementsTable, 'body'>) {
  return {
    period: r.period,
    institution: r.institution_id,
    centre: r.centre_id,
    settlements: num(r.settlements),
    reversals: num(r.reversals),
    medfee_sumamt: toYuanNumber(num(r.medfee_sumamt)),
    fund_pay_sumamt: toYuanNumber(num(r.fund_pay_sumamt)),
    acct_pay: toYuanNumber(num(r.acct_pay)),
    cash_payamt: toYuanNumber(num(r.cash_payamt)),
    payable: toYuanNumber(num(r.payable_fen)),
  };
}
export type StatementRow = ReturnType<typeof statementRow>;

const COLUMNS = ['period', 'institution_id', 'centre_id', 'settlements', 'reversals', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay', 'cash_payamt', 'payable_fen'] as const;

/** An institution's actor sees its own; any other filter it gives must be its own. */
function scope(actor: Actor, institution: string | undefined): string | undefined {
  if (actor.role !== 'institution') return institution;
  if (institution !== undefined && institution !== actor.institutionId)
    throw new LedgerError('FORBIDDEN', `an institution reads its own statements only (${actor.institutionId ?? '?'})`);
  return actor.institutionId;
}

export async function listStatements(
  db: Kysely<Database>,
  actor: Actor,
  f: { period?: string; institution?: string; centre?: string; limit: number; after?: [string, string] },
): Promise<Page<StatementRow>> {
  let q = db.selectFrom('clearing_statements').select(COLUMNS);
  const institution = scope(actor, f.institution);
  if (institution !== undefined) q = q.where('institution_id', '=', institution);
  if (f.period !== undefined) q = q.where('period', '=', f.period);
  if (f.centre !== undefined) q = q.where('centre_id', '=', f.centre);
  const after = f.after;
  if (after) q = q.where((eb) => eb.or([eb('period', '<', after[0]), eb.and([eb('period', '=', after[0]), eb('institution_id', '>', after[1])])]));
  const rows = await q
    .orderBy('period', 'desc')
    .orderBy('institution_id')
    .limit(f.limit + 1)
    .execute();
  return pageOf(rows, f.limit, 'statements', (r) => [r.period, r.institution_id], statementRow);
}

/** One statement whole. @throws LedgerError NOT_FOUND (also another institution's, to an institution). */
export async function getStatement(db: Kysely<Database>, actor: Actor, period: Period, institution: string): Promise<Record<string, unknown>> {
  if (actor.role === 'institution' && actor.institutionId !== institution) throw new LedgerError('NOT_FOUND', `no statement of ${institution} for ${period}`);
  const row = await db.selectFrom('clearing_statements').selectAll().where('period', '=', period).where('institution_id', '=', institution).executeTakeFirst();
  if (!row) throw new LedgerError('NOT_FOUND', `no statement of ${institution} for ${period} (is ${period} closed? yibao clearing periods)`);
  return { ...(JSON.parse(row.body) as Record<string, unknown>), figures: statementRow(row) };
}

/** What each paying centre owes its institutions for a closed month (中心清算汇总). */
export async function centreStatements(db: Kysely<Database>, registry: ClearingRegistry, period: Period) {
  const rows = await db
    .selectFrom('clearing_statements')
    .select(COLUMNS)
    .where('period', '=', period)
    .orderBy('centre_id')
    .orderBy('institution_id')
    .limit(MAX_REGISTRY_ROWS * 10)
    .execute();
  const names = new Map((await registry.centres()).map((c) => [c.id, c.name]));
  const by = new Map<
    string,
    { centre: string; name: string | null; institutions: number; settlements: number; reversals: number; medfee: number; fund: number; acct: number; cash: number; payable: number }
  >();
  for (const r of rows) {
    const c = by.get(r.centre_id) ?? {
      centre: r.centre_id,
      name: names.get(r.centre_id) ?? null,
      institutions: 0,
      settlements: 0,
      reversals: 0,
      medfee: 0,
      fund: 0,
      acct: 0,
      cash: 0,
      payable: 0,
    };
    c.institutions++;
    c.settlements += num(r.settlements);
    c.reversals += num(r.reversals);
    c.medfee += num(r.medfee_sumamt);
    c.fund += num(r.fund_pay_sumamt);
    c.acct += num(r.acct_pay);
    c.cash += num(r.cash_payamt);
    c.payable += num(r.payable_fen);
    by.set(r.centre_id, c);
  }
  return [...by.values()].map((c) => ({
    period,
    centre: c.centre,
    name: c.name,
    institutions: c.institutions,
    settlements: c.settlements,
    reversals: c.reversals,
    medfee_sumamt: toYuanNumber(c.medfee),
    fund_pay_sumamt: toYuanNumber(c.fund),
    acct_pay: toYuanNumber(c.acct),
    cash_payamt: toYuanNumber(c.cash),
    payable: toYuanNumber(c.payable),
    text: `${period} ${c.name ?? c.centre} 应支付 ${c.institutions} 家定点医疗机构 ${toYuanNumber(c.payable)} 元（基金 ${toYuanNumber(c.fund)} 元，个人账户 ${toYuanNumber(c.acct)} 元）`,
  }));
}

/**
 * 三(三) 定期清算: per district, the funds it remitted for the month (上解资金, recorded by the agency)
 * against what its city centre paid for the district's insured (基金 + 个人账户), and the balance;
 * what other centres paid for them is shown beside it.
 */
export async function districtClearing(db: Kysely<Database>, registry: ClearingRegistry, period: Period) {
  const [paid, remitted, districts, centres] = await Promise.all([
    db.selectFrom('clearing_districts').selectAll().where('period', '=', period).limit(MAX_REGISTRY_ROWS).execute(),
    registry.remittances(period),
    registry.districts(),
    registry.centres(),
  ]);
  const city = new Set(centres.filter((c) => c.level === 'city').map((c) => c.id));
  const names = new Map(districts.map((d) => [d.code, d.name]));
  const codes = [...new Set([...paid.map((p) => p.district), ...remitted.map((r) => r.district), ...districts.filter((d) => d.level === 'urban').map((d) => d.code)])].sort();
  return codes.map((code) => {
    const mine = paid.filter((p) => p.district === code);
    const byCity = mine.filter((p) => city.has(p.centre_id)).reduce((n, p) => n + num(p.fund_pay_sumamt) + num(p.acct_pay), 0);
    const others = mine.filter((p) => !city.has(p.centre_id)).map((p) => ({ centre: p.centre_id, paid: toYuanNumber(num(p.fund_pay_sumamt) + num(p.acct_pay)) }));
    const rem = remitted.filter((r) => r.district === code);
    const total = rem.reduce((n, r) => n + r.amount, 0);
    const name = code === '' ? '未登记县区' : (names.get(code) ?? code);
    const balance = total - byCity;
    return {
      period,
      district: code,
      name,
      remitted: toYuanNumber(total),
      remittances: rem.map((r) => ({ ...r, amount: toYuanNumber(r.amount) })),
      paidByCity: toYuanNumber(byCity),
      paidByOthers: others,
      balance: toYuanNumber(balance),
      text: `${period} ${name}：上解 ${toYuanNumber(total)} 元，市医保中心实际支付本区参保人员 ${toYuanNumber(byCity)} 元，${balance >= 0 ? `结余 ${toYuanNumber(balance)} 元` : `缺口 ${toYuanNumber(-balance)} 元`}（洛医保〔2023〕63号 三(三)）`,
    };
  });
}

/** The entries a statement covers, in time order (personal data: audited by the caller's route). */
export async function coveredEntries(db: Kysely<Database>, actor: Actor, period: Period, institution: string, limit: number, after: [number, string] | undefined, at: number) {
  if (actor.role === 'institution' && actor.institutionId !== institution) throw new LedgerError('NOT_FOUND', `no statement of ${institution} for ${period}`);
  const { start, end } = periodBounds(period);
  let q = db
    .selectFrom('settlements')
    .select([
      'id',
      'kind',
      'reverses',
      'visit_id',
      'person_id',
      'benefit',
      'created_at',
      'total_fen',
      'fund_pay_fen',
      'critical_illness_pay_fen',
      'assistance_pay_fen',
      'account_pay_fen',
      'cash_pay_fen',
    ])
    .where('institution_id', '=', institution)
    .where('created_at', '>=', start)
    .where('created_at', '<', end);
  if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after[0]), eb.and([eb('created_at', '=', after[0]), eb('id', '>', after[1])])]));
  const rows = await q
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  await writeAudit(db, actor, at, 'read.clearing.entries', `${period}/${institution}`, { count: Math.min(rows.length, limit) });
  return pageOf(
    rows,
    limit,
    'covered',
    (r) => [num(r.created_at), r.id],
    (r) => ({
      setl_id: r.id,
      kind: r.kind,
      reverses: r.reverses,
      mdtrt_id: r.visit_id,
      psn_no: r.person_id,
      benefit: r.benefit,
      setl_time: formatChinaTime(num(r.created_at)),
      medfee_sumamt: toYuanNumber(num(r.total_fen)),
      fund_pay_sumamt: toYuanNumber(num(r.fund_pay_fen) + num(r.critical_illness_pay_fen) + num(r.assistance_pay_fen)),
      acct_pay: toYuanNumber(num(r.account_pay_fen)),
      cash_payamt: toYuanNumber(num(r.cash_pay_fen)),
    }),
  );
}
