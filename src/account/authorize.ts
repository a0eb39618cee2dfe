/**
 * Authorizing an operation on an account (个人账户的使用与处置): a visit's or a family member's payment, a
 * contribution paid from the account, transfer, refund, inheritance, opening balances: the entry to
 * append, or a refusal naming the article. Pure, like account.ts.
 */
import { VISIT_TYPE_LABELS, type VisitType } from '../domain.js';
import type { TraceStep } from '../engine/types.js';
import type { Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { rulesAt, type RulesAt } from './rules.js';
import {
  CLOSING_KINDS,
  type AccountEntry,
  type AccountRelation,
  type AccountState,
  type Approval,
  type Authorization,
  type CostShare,
  type Operation,
  type Refusal,
  type RefusalCode,
} from './types.js';
import { accountShare, balance, day, fen, invalid, policyStep, text, y } from './account.js';
// ---------------------------------------------------------------------------------------------
// Authorizing an operation

const RELATION_LABELS: Record<AccountRelation, string> = { spouse: '配偶', parent: '父母', child: '子女', household: '家庭成员' };

interface Ctx {
  readonly state: AccountState;
  readonly r: RulesAt;
  readonly id: string;
  readonly date: string;
  readonly before: Fen;
  readonly trace: TraceStep[];
}

function refuse(ctx: Pick<Ctx, 'trace'>, code: RefusalCode, reason: string, source: string): Refusal {
  ctx.trace.push({ step: 'refused', source, code, text: reason });
  return { ok: false, code, reason, source, trace: ctx.trace };
}

/** What an entry has beyond the fields every entry shares, kind by kind. */
type EntryBody = AccountEntry extends infer E
  ? E extends AccountEntry
    ? Omit<E, 'id' | 'accountId' | 'seq' | 'date' | 'amount' | 'balanceAfter' | 'source' | 'text'>
    : never
  : never;

/** Approves an entry of `amount` (signed), filling the fields every entry shares. */
function approve(ctx: Ctx, amount: Fen, source: string, why: string, rest: EntryBody): Approval {
  const balanceAfter = ctx.before + amount;
  const entry = {
    id: ctx.id,
    accountId: ctx.state.account.id,
    seq: ctx.state.entries.length + 1,
    date: ctx.date,
    amount,
    balanceAfter,
    source,
    text: why,
    ...rest,
  } as AccountEntry;
  ctx.trace.push({ step: 'entry', source, amount: amount / 100, balanceAfter: balanceAfter / 100, text: why });
  return { ok: true, entry, balanceBefore: ctx.before, balanceAfter, trace: ctx.trace };
}

/** The account's share of a visit's or purchase's costs (own, or a relative's). */
function costShare(ctx: Ctx, op: CostShare, who: string): Refusal | { accountPay: Fen; cashPay: Fen; personShare: Fen; source: string; why: string } {
  const { r } = ctx;
  text('visitId', op.visitId);
  const personShare = fen('personShare', op.personShare);
  const outOfScope = fen('outOfScope', op.outOfScope ?? 0);
  if (outOfScope > personShare) throw invalid(`outOfScope ${outOfScope} is more than personShare ${personShare}`);
  if (typeof op.contracted !== 'boolean') throw invalid('contracted must be true or false');
  const place = op.place ?? 'institution';
  const sources: string[] = [];
  let what: string;
  if (place === 'pharmacy') {
    if (!r.valueOr('uses.pharmacy', false))
      return refuse(ctx, 'USE_NOT_ALLOWED', `${r.rules.label}不得支付在零售药店购药的费用（${r.pack.document.number}未列此项用途）。`, r.cite('uses.pharmacy'));
    sources.push(r.cite('uses.pharmacy'));
    what = '定点零售药店购药';
  } else if (place === 'institution') {
    const type: VisitType = op.visitType ?? 'outpatient';
    if (!VISIT_TYPE_LABELS[type]) throw invalid(`visitType must be one of ${Object.keys(VISIT_TYPE_LABELS).join(', ')}, got ${JSON.stringify(type)}`);
    const types = r.valueOr<readonly string[]>('uses.visitTypes', []);
    if (!types.includes(type))
      return refuse(ctx, 'USE_NOT_ALLOWED', `${r.rules.label}只可支付${r.text('uses.visitTypes')}的费用，不支付${VISIT_TYPE_LABELS[type]}。`, r.cite('uses.visitTypes'));
    sources.push(r.cite('uses.visitTypes'));
    what = `${VISIT_TYPE_LABELS[type]}就医`;
  } else throw invalid(`place must be institution or pharmacy, got ${JSON.stringify(place)}`);
  if (!op.contracted && r.valueOr('uses.contractedOnly', false))
    return refuse(
      ctx,
      'NON_CONTRACTED',
      `${r.rules.label}只在定点医药机构支付，非定点${place === 'pharmacy' ? '零售药店' : '医疗机构'}的费用不予支付。`,
      r.cite('uses.contractedOnly'),
    );
  if (!r.has('uses.visitShare')) return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定${r.rules.label}可支付的费用部分。`, r.citation);
  const whole = r.value<string>('uses.visitShare') === 'whole-own-share';
  sources.push(r.cite('uses.visitShare'));
  const payable = whole ? personShare : personShare - outOfScope;
  const scopeText = whole
    ? `${who}个人负担${y(personShare)}元（含政策范围外${y(outOfScope)}元），账户可支付${y(payable)}元`
    : `${who}个人负担${y(personShare)}元，其中政策范围外${y(outOfScope)}元账户不予支付，账户可支付${y(payable)}元`;
  ctx.trace.push({
    step: 'share',
    source: r.cite('uses.visitShare'),
    personShare: personShare / 100,
    outOfScope: outOfScope / 100,
    payable: payable / 100,
    text: `${what}：${scopeText}。`,
  });
  if (payable === 0) return refuse(ctx, 'NOTHING_TO_PAY', `${scopeText}，无需账户支付。`, r.cite('uses.visitShare'));
  if (ctx.before <= 0) return refuse(ctx, 'INSUFFICIENT_BALANCE', `账户余额为0，${y(personShare)}元由个人现金支付。`, r.citation);
  const accountPay = accountShare(payable, ctx.before);
  const cashPay = personShare - accountPay;
  const why =
    accountPay === payable
      ? `${what}，${scopeText}；账户余额${y(ctx.before)}元，账户支付${y(accountPay)}元，个人现金支付${y(cashPay)}元，余额${y(ctx.before - accountPay)}元。`
      : `${what}，${scopeText}；账户余额${y(ctx.before)}元不足，账户支付全部余额${y(accountPay)}元，其余${y(cashPay)}元由个人现金支付。`;
  return { accountPay, cashPay, personShare, source: [...new Set(sources)].join('；'), why };
}

/** A whole amount paid from the account, or refused when the balance does not cover it. */
function wholeAmount(ctx: Ctx, amount: Fen, what: string): Refusal | null {
  if (ctx.before < amount) return refuse(ctx, 'INSUFFICIENT_BALANCE', `账户余额${y(ctx.before)}元不足${what}${y(amount)}元，不予支付（缴费须足额，不拆分）。`, ctx.r.citation);
  return null;
}

function relationAllowed(ctx: Ctx, key: 'uses.familyMedical' | 'uses.familyResidentContribution', relation: AccountRelation, memberId: string, what: string): Refusal | null {
  const { r, state } = ctx;
  if (!RELATION_LABELS[relation]) throw invalid(`relation must be one of ${Object.keys(RELATION_LABELS).join(', ')}, got ${JSON.stringify(relation)}`);
  text('memberId', memberId);
  const allowed = r.valueOr<readonly string[]>(key, []);
  if (!allowed.includes(relation))
    return refuse(
      ctx,
      'USE_NOT_ALLOWED',
      allowed.length > 0
        ? `${r.rules.label}可用于${r.text(key)}的${what}，不含${RELATION_LABELS[relation]}。`
        : `${r.pack.document.number}未规定${r.rules.label}可用于家庭成员的${what}。`,
      r.cite(key),
    );
  if (relation === 'household' && !(state.account.members ?? []).includes(memberId))
    return refuse(ctx, 'CONDITION_NOT_MET', `${memberId}不是登记在该家庭账户下的家庭成员。`, r.cite(key));
  if (memberId === state.account.holderId) throw invalid(`memberId ${memberId} is the holder: use a visit-payment or contribution-payment`);
  return null;
}

/** The closing entries take the whole balance. */
function closing(ctx: Ctx, key: 'closing.transferOut' | 'closing.refundIfNoTransfer' | 'closing.inheritance', what: string): Refusal | null {
  const { r } = ctx;
  if (!r.valueOr(key, false)) return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定${r.rules.label}可${what}。`, r.cite(key));
  return null;
}

/**
 * Decides an operation on an account against the rules in force on its date: the entry to
 * append, or a refusal `{ code, reason, source }` naming the article. Pure.
 *
 * How much each operation takes:
 * - `visit-payment` and `family-payment` of medical costs: the share the account may pay, up to
 *   the balance; the rest is the person's cash (`entry.cashPay`). Refused when the balance is 0.
 * - `family-payment` of a residents' contribution and `contribution-payment`: the whole amount, or
 *   refused (INSUFFICIENT_BALANCE) — a contribution is not paid in part.
 * - `transfer-out`, `refund`, `inheritance`: the whole balance (possibly 0), closing the account.
 * - `opening-balance` (first entry only) and `transfer-in`: money in.
 * - `other-use`: always refused (PROHIBITED_USE when the document names it).
 *
 * @example authorize({ kind: 'other-use', ref: 'g1', date: '2023-03-01', purpose: 'fitness', amount: 10000 }, state, policies)
 *   // { ok: false, code: 'PROHIBITED_USE', reason: '…不得用于支付公共卫生费用、体育健身或养生保健消费等…', source: '… 第七条' }
 * @throws AccountError INVALID_INPUT for malformed operations; NO_POLICY_IN_FORCE, NO_ACCOUNT_RULES,
 *   MISSING_PARAMETER from the policy.
 */
export function authorize(op: Operation, state: AccountState, policies: PolicySet): Authorization {
  const ref = text('ref', op?.ref);
  const d = day('date', op.date);
  const id = `${state.account.id}/${op.kind}/${ref}`;
  const trace: TraceStep[] = [];
  if (state.entries.some((e) => e.id === id)) return refuse({ trace }, 'DUPLICATE_REFERENCE', `账户中已有同一业务的记录（${id}），不重复记账。`, '');
  const closedBy = state.entries.find((e) => CLOSING_KINDS.includes(e.kind));
  if (closedBy) return refuse({ trace }, 'ACCOUNT_CLOSED', `账户已于${closedBy.date}关闭（${closedBy.text}），不再记账。`, closedBy.source);
  const r = rulesAt(policies, state.account.region, state.account.kind, d);
  trace.push(policyStep(r, op.date));
  const ctx: Ctx = { state, r, id, date: op.date, before: balance(state.entries), trace };
  switch (op.kind) {
    case 'visit-payment': {
      const share = costShare(ctx, op, '本人');
      if ('ok' in share) return share;
      return approve(ctx, -share.accountPay, share.source, share.why, {
        kind: 'visit-payment',
        ref,
        visitId: text('visitId', op.visitId),
        place: op.place ?? 'institution',
        personShare: share.personShare,
        cashPay: share.cashPay,
        ...(op.settlementId !== undefined ? { settlementId: op.settlementId } : {}),
      });
    }
    case 'family-payment': {
      const who = RELATION_LABELS[op.relation] ?? String(op.relation);
      if (op.purpose === 'medical-cost') {
        const no = relationAllowed(ctx, 'uses.familyMedical', op.relation, op.memberId, '医疗费用');
        if (no) return no;
        const share = costShare(ctx, op, `${who}（${op.memberId}）`);
        if ('ok' in share) return share;
        return approve(ctx, -share.accountPay, `${r.cite('uses.familyMedical')}；${share.source}`, share.why, {
          kind: 'family-payment',
          ref,
          relation: op.relation,
          memberId: op.memberId,
          purpose: 'medical-cost',
          visitId: text('visitId', op.visitId),
          place: op.place ?? 'institution',
          personShare: share.personShare,
          cashPay: share.cashPay,
        });
      }
      if ((op.purpose as string) !== 'resident-contribution')
        throw invalid(`purpose must be medical-cost or resident-contribution, got ${JSON.stringify((op as { purpose: unknown }).purpose)}`);
      const amount = fen('amount', op.amount, { positive: true });
      const year = coverageYear(op.coverageYear);
      const no =
        relationAllowed(ctx, 'uses.familyResidentContribution', op.relation, op.memberId, '城乡居民基本医疗保险个人缴费') ?? wholeAmount(ctx, amount, `${who}的居民医保个人缴费`);
      if (no) return no;
      return approve(
        ctx,
        -amount,
        r.cite('uses.familyResidentContribution'),
        `为${who}（${op.memberId}）缴纳${year}年度城乡居民基本医疗保险个人缴费${y(amount)}元，账户余额${y(ctx.before)}元，支付后余额${y(ctx.before - amount)}元。`,
        { kind: 'family-payment', ref, relation: op.relation, memberId: op.memberId, purpose: 'resident-contribution', coverageYear: year },
      );
    }
    case 'contribution-payment': {
      if ((op.purpose as string) !== 'supplementary-contribution') throw invalid(`purpose must be supplementary-contribution, got ${JSON.stringify(op.purpose)}`);
      const amount = fen('amount', op.amount, { positive: true });
      const year = coverageYear(op.coverageYear);
      if (!r.valueOr('uses.ownSupplementaryContribution', false))
        return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定${r.rules.label}可缴纳本人大额医疗费用补助。`, r.cite('uses.ownSupplementaryContribution'));
      const no = wholeAmount(ctx, amount, '本人大额医疗费用补助缴费');
      if (no) return no;
      return approve(
        ctx,
        -amount,
        r.cite('uses.ownSupplementaryContribution'),
        `缴纳本人${year}年度职工大额医疗费用补助个人缴费${y(amount)}元，账户余额${y(ctx.before)}元，支付后余额${y(ctx.before - amount)}元。`,
        { kind: 'contribution-payment', ref, purpose: 'supplementary-contribution', coverageYear: year },
      );
    }
    case 'transfer-out': {
      const to = text('toRegion', op.toRegion);
      const no = closing(ctx, 'closing.transferOut', '随医保关系转移划转') ?? sameRegion(ctx, to, 'closing.transferOut');
      if (no) return no;
      return approve(ctx, -ctx.before, r.cite('closing.transferOut'), `医保关系迁移到${to}，个人账户随其医保关系转移划转，划出全部余额${y(ctx.before)}元，账户关闭。`, {
        kind: 'transfer-out',
        ref,
        toRegion: to,
      });
    }
    case 'refund': {
      const to = text('toRegion', op.toRegion);
      if (typeof op.transferPossible !== 'boolean') throw invalid('transferPossible must be true or false');
      const no = closing(ctx, 'closing.refundIfNoTransfer', '一次性返还本人') ?? sameRegion(ctx, to, 'closing.refundIfNoTransfer');
      if (no) return no;
      if (op.transferPossible) return refuse(ctx, 'CONDITION_NOT_MET', `具备转移条件的，个人账户随医保关系转移划转，不一次性返还本人。`, r.cite('closing.refundIfNoTransfer'));
      return approve(ctx, -ctx.before, r.cite('closing.refundIfNoTransfer'), `医保关系迁移到${to}，不具备转移条件，个人账户余额${y(ctx.before)}元一次性返还本人，账户关闭。`, {
        kind: 'refund',
        ref,
        toRegion: to,
      });
    }
    case 'inheritance': {
      const death = day('deathDate', op.deathDate);
      if (death > d) throw invalid(`deathDate ${op.deathDate} is after the operation's date ${op.date}`);
      if (!Array.isArray(op.heirs) || op.heirs.length === 0) throw invalid('heirs must name at least one lawful heir');
      op.heirs.forEach((h, i) => text(`heirs[${i}]`, h));
      const no = closing(ctx, 'closing.inheritance', '由合法继承人继承');
      if (no) return no;
      return approve(
        ctx,
        -ctx.before,
        r.cite('closing.inheritance'),
        `参保人员于${op.deathDate}死亡，个人账户结余资金${y(ctx.before)}元一次性拨付给合法继承人（${op.heirs.join('、')}），账户关闭。`,
        { kind: 'inheritance', ref, deathDate: op.deathDate, heirs: [...op.heirs] },
      );
    }
    case 'opening-balance': {
      const amount = fen('amount', op.amount, { positive: true });
      if (!r.valueOr('carryOver', false)) return refuse(ctx, 'USE_NOT_ALLOWED', `${r.pack.document.number}未规定账户结余结转使用。`, r.cite('carryOver'));
      if (state.entries.length > 0) return refuse(ctx, 'CONDITION_NOT_MET', '期初余额只能作为账户的第一笔记录。', r.cite('carryOver'));
      return approve(ctx, amount, r.cite('carryOver'), `${r.quote('carryOver') ?? '账户结余结转使用'}：结转期初余额${y(amount)}元。`, { kind: 'opening-balance', ref });
    }
    case 'transfer-in': {
      const amount = fen('amount', op.amount, { positive: true });
      const from = text('fromRegion', op.fromRegion);
      const no = closing(ctx, 'closing.transferOut', '随医保关系转移划转') ?? sameRegion(ctx, from, 'closing.transferOut');
      if (no) return no;
      return approve(ctx, amount, r.cite('closing.transferOut'), `医保关系自${from}转入，个人账户随之划入${y(amount)}元。`, { kind: 'transfer-in', ref, fromRegion: from });
    }
    case 'other-use': {
      const purpose = text('purpose', op.purpose);
      fen('amount', op.amount);
      const prohibited = r.valueOr<readonly string[]>('uses.prohibited', []);
      if (prohibited.includes(purpose))
        return refuse(ctx, 'PROHIBITED_USE', `${r.quote('uses.prohibited') ?? `不得用于${purpose}`}：${purpose}不予支付。`, r.cite('uses.prohibited'));
      return refuse(ctx, 'USE_NOT_ALLOWED', `${r.rules.label}的用途以${r.citation}所列为限，${purpose}不在其内，不予支付。`, r.citation);
    }
    default:
      throw invalid(
        `kind must be one of visit-payment, family-payment, contribution-payment, transfer-out, refund, inheritance, opening-balance, transfer-in, other-use; got ${JSON.stringify((op as { kind: unknown }).kind)}`,
      );
  }
}

function coverageYear(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1990 || v > 2200) throw invalid(`coverageYear must be a year, got ${JSON.stringify(v)}`);
  return v;
}

/** A move must be to another pooling region (迁移到其他统筹地区, Puyang 第八条). */
function sameRegion(ctx: Ctx, region: string, key: 'closing.transferOut' | 'closing.refundIfNoTransfer'): Refusal | null {
  if (region !== ctx.state.account.region) return null;
  return refuse(ctx, 'CONDITION_NOT_MET', `${region}是账户所在统筹地区，不是迁移到其他统筹地区，不予${key === 'closing.transferOut' ? '划转' : '返还'}。`, ctx.r.cite(key));
}
