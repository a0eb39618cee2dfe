/**
 * The personal account in the fund chain: after the pooled fund (and, where they apply, critical
 * illness and assistance), the account pays what it may of the person's share, before cash
 * (个人账户支付 → 个人现金支付). Pure: the account's state comes in, the entry to append goes out.
 *
 * The rules are the account's (`authorize` of a visit-payment): which visit types, contracted
 * institutions only, the whole share or only the in-scope part, up to the balance.
 */
import { formatDate } from '../calendar/calendar.js';
import type { Person, Settlement, TraceStep, Visit } from '../engine/types.js';
import { formatYuan, type Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { balance } from './account.js';
import { authorize } from './authorize.js';
import type { AccountEntry, AccountKind, AccountState } from './types.js';

/** The account a person's visits are paid from: employees' personal account, residents' family account. */
export function accountKindFor(person: Pick<Person, 'scheme'>): AccountKind {
  return person.scheme === 'employee' ? 'employee-personal' : 'resident-family';
}

/**
 * An account known only by its balance (a `yibao settle FILE` request): its state is one
 * opening-balance entry.
 */
export function stateFromBalance(person: Pick<Person, 'id' | 'region' | 'scheme'>, account: { id: string; balance: Fen; members?: readonly string[] }): AccountState {
  return {
    account: { id: account.id, kind: accountKindFor(person), holderId: person.id, region: person.region, ...(account.members ? { members: account.members } : {}) },
    entries: [
      {
        kind: 'opening-balance',
        ref: 'request',
        id: `${account.id}/opening-balance/request`,
        accountId: account.id,
        seq: 1,
        date: '1970-01-01',
        amount: account.balance,
        balanceAfter: account.balance,
        source: '',
        text: `账户余额${formatYuan(account.balance)}元（请求所载）。`,
      },
    ],
  };
}

/** What the account did at a settlement. */
export interface AccountUse {
  accountId: string;
  /** Paid from the account (0 when refused). */
  paid: Fen;
  balanceBefore: Fen;
  balanceAfter: Fen;
  /** The entry to append; absent when the account paid nothing. */
  entry?: AccountEntry;
  /** Why the account paid nothing, when it did not (a refusal code of the account's rules). */
  refused?: string;
}

/**
 * Pays from the account what its rules allow of the settlement's cash share. Returns the
 * settlement with `accountPay` and `cashPay` moved and a trace step (when the settlement has a
 * trace), and what the account did. A refusal of the account's rules (not allowed for this visit,
 * no balance...) is no error: the person pays cash, and the trace says why.
 *
 * @example payFromAccount(settlement, visit, state, policies)
 *   // settlement.cashPay 12800 → accountPay 12800, cashPay 0; use.balanceAfter = before − 12800
 */
export function payFromAccount(settlement: Settlement, visit: Visit, state: AccountState, policies: PolicySet, settlementId?: string): { settlement: Settlement; use: AccountUse } {
  const share = settlement.cashPay;
  const balanceBefore = balance(state.entries);
  const base = { accountId: state.account.id, balanceBefore };
  if (share <= 0) return { settlement, use: { ...base, paid: 0, balanceAfter: balanceBefore, refused: 'NOTHING_TO_PAY' } };
  const decision = authorize(
    {
      kind: 'visit-payment',
      ref: settlementId ?? visit.id,
      date: formatDate(settlement.date),
      visitId: visit.id,
      visitType: visit.type,
      contracted: visit.institution.contracted,
      personShare: share,
      outOfScope: Math.min(settlement.outOfScope, share),
      ...(settlementId !== undefined ? { settlementId } : {}),
    },
    state,
    policies,
  );
  const y = (f: Fen) => formatYuan(f);
  if (!decision.ok) {
    const step: TraceStep = { step: 'account', source: decision.source, accountPay: 0, text: `个人账户不支付：${decision.reason}` };
    return {
      settlement: settlement.trace ? { ...settlement, trace: [...settlement.trace, step] } : settlement,
      use: { ...base, paid: 0, balanceAfter: balanceBefore, refused: decision.code },
    };
  }
  const paid = -decision.entry.amount;
  const step: TraceStep = {
    step: 'account',
    source: decision.entry.source,
    accountPay: paid / 100,
    balanceBefore: balanceBefore / 100,
    balanceAfter: decision.balanceAfter / 100,
    text: `个人账户支付${y(paid)}元（余额${y(balanceBefore)}元，支付后${y(decision.balanceAfter)}元）；个人现金支付${y(share - paid)}元。`,
  };
  return {
    settlement: {
      ...settlement,
      accountPay: settlement.accountPay + paid,
      cashPay: share - paid,
      trace: settlement.trace ? [...settlement.trace, step] : null,
    },
    use: { ...base, paid, balanceAfter: decision.balanceAfter, entry: decision.entry },
  };
}

/** What the settlement reports of the account's part. */
export function accountView(use: AccountUse): NonNullable<Settlement['account']> {
  return { accountId: use.accountId, paid: use.paid, balanceBefore: use.balanceBefore, balanceAfter: use.balanceAfter, ...(use.refused ? { refused: use.refused } : {}) };
}
