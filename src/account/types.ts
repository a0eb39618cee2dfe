/**
 * The words of the account model: accounts, their entries, the operations asked of them, and
 * the answers (an entry to append, or a refusal naming the article).
 *
 * An account is a ledger of entries, never edited: its balance is the sum of the entries' signed
 * amounts. Every type here is plain data (strings, integers, arrays of strings), so an entry can be
 * stored as one row and read back as it was.
 */
import { YibaoError } from '../errors.js';
import type { MissingParameter } from '../engine/errors.js';
import type { TraceStep } from '../engine/types.js';
import type { Fen } from '../money/money.js';
import type { AccountKind, AccountRelation } from '../policy/schema.js';
import type { EmployeeCategory, VisitType } from '../domain.js';

export type { AccountKind, AccountRelation };

/** One account: whose, which kind, in which region (admdvs code). */
export interface Account {
  /** Unique id of the account (the integrator's key). */
  readonly id: string;
  readonly kind: AccountKind;
  /** The insured person the account belongs to (the family account: the head of the household). */
  readonly holderId: string;
  /** admdvs code of the region whose policy governs the account, e.g. `410900`. */
  readonly region: string;
  /** Family accounts (`resident-family`): the household members registered on the account. */
  readonly members?: readonly string[];
}

/** An account and its entries in ledger order (seq 1, 2, 3...). */
export interface AccountState {
  readonly account: Account;
  readonly entries: readonly AccountEntry[];
}

/** The holder as the month's credit needs them (职工医保 only). */
export interface Holder {
  readonly id: string;
  /** admdvs code. */
  readonly region: string;
  /** 在职 active or 退休 retired, in the month credited. */
  readonly category: EmployeeCategory;
  /** Active: the month's own contribution base (本人参保缴费基数) in fen. Required for active holders. */
  readonly contributionBase?: Fen;
  /** Active insured paying at the employer rate (按照用人单位费率标准缴纳医保费): no account (Puyang 第十四条). */
  readonly paysAtEmployerRate?: boolean;
  /** Retirees: reached the required contribution years, or topped up to them (Puyang 第十四条). */
  readonly requiredYearsMet?: boolean;
}

/** A month, `YYYY-MM`. */
export type Month = string;

export type EntryKind =
  | 'credit'
  | 'opening-balance'
  | 'transfer-in'
  | 'visit-payment'
  | 'family-payment'
  | 'contribution-payment'
  | 'visit-payment-reversal'
  | 'transfer-out'
  | 'refund'
  | 'inheritance';

/** Entries that close the account: nothing can be appended after one. */
export const CLOSING_KINDS: readonly EntryKind[] = ['transfer-out', 'refund', 'inheritance'];

interface EntryCommon {
  /**
   * Unique and deterministic: `ACCOUNT/credit/YYYY-MM` for a credit, `ACCOUNT/KIND/REF` for the
   * rest (REF is the operation's reference). A unique index on it makes retries harmless.
   */
  readonly id: string;
  readonly accountId: string;
  /** Position in the account's ledger, from 1. */
  readonly seq: number;
  /** Day the entry is for, `YYYY-MM-DD` (a credit: the first day of its month). */
  readonly date: string;
  /** Signed fen: positive into the account, negative out of it. */
  readonly amount: Fen;
  /** The balance after this entry: the sum of the amounts up to and including it. */
  readonly balanceAfter: Fen;
  /** Citations of the articles that allow it. */
  readonly source: string;
  /** Chinese explanation, as in settlement traces. */
  readonly text: string;
}

/** 按月计入: a month's credit (Puyang 第六条). */
export interface CreditEntry extends EntryCommon {
  readonly kind: 'credit';
  readonly period: Month;
  /** active: 2% of the own contribution base; retired: the fixed monthly amount. */
  readonly basis: 'active-contribution-base' | 'retired-fixed';
  /** 个人缴纳的基本医疗保险费 (active) or 统筹基金 (retirees), 第六条(一)(二). */
  readonly fundedBy: 'individual-contribution' | 'pooled-fund';
  /** Active: the base the credit was computed from. */
  readonly contributionBase?: Fen;
}

/** A balance brought into yibao as it stood (结转使用 / 结余资金不清零). First entry only. */
export interface OpeningBalanceEntry extends EntryCommon {
  readonly kind: 'opening-balance';
  readonly ref: string;
}

/** The balance received with an insurance relationship moved in from another pooling region. */
export interface TransferInEntry extends EntryCommon {
  readonly kind: 'transfer-in';
  readonly ref: string;
  readonly fromRegion: string;
}

/** Where account money is spent on medical costs. */
export type Place = 'institution' | 'pharmacy';

/** The holder's own share at a visit (or a pharmacy purchase), paid from the account. */
export interface VisitPaymentEntry extends EntryCommon {
  readonly kind: 'visit-payment';
  readonly ref: string;
  readonly visitId: string;
  readonly settlementId?: string;
  readonly place: Place;
  /** The share the person bore before the account paid (the settlement's cash before the account). */
  readonly personShare: Fen;
  /** What the person still pays in cash: personShare − the account's payment. */
  readonly cashPay: Fen;
}

/** A relative's medical costs or residents' contribution, paid from the account (Puyang 第七条). */
export interface FamilyPaymentEntry extends EntryCommon {
  readonly kind: 'family-payment';
  readonly ref: string;
  readonly relation: AccountRelation;
  readonly memberId: string;
  readonly purpose: 'medical-cost' | 'resident-contribution';
  /** medical-cost: the visit or purchase. */
  readonly visitId?: string;
  readonly place?: Place;
  readonly personShare?: Fen;
  readonly cashPay?: Fen;
  /** resident-contribution: the coverage year paid for. */
  readonly coverageYear?: number;
}

/** The holder's own 职工大额医疗费用补助 contribution (Puyang 第七条). */
export interface ContributionPaymentEntry extends EntryCommon {
  readonly kind: 'contribution-payment';
  readonly ref: string;
  readonly purpose: 'supplementary-contribution';
  readonly coverageYear: number;
}

/** The whole balance moved with the insurance relationship to another region (Puyang 第八条). */
export interface TransferOutEntry extends EntryCommon {
  readonly kind: 'transfer-out';
  readonly ref: string;
  readonly toRegion: string;
}

/** The whole balance returned once to the holder when it cannot be transferred (Puyang 第八条). */
export interface RefundEntry extends EntryCommon {
  readonly kind: 'refund';
  readonly ref: string;
  readonly toRegion: string;
}

/** The whole balance paid once to the lawful heirs on the holder's death (Puyang 第八条). */
export interface InheritanceEntry extends EntryCommon {
  readonly kind: 'inheritance';
  readonly ref: string;
  readonly deathDate: string;
  readonly heirs: readonly string[];
}

/**
 * 冲正: a settlement the account paid into was reversed; what the account paid goes back to it.
 * Not an operation of the account's rules: the reversal of one of its entries.
 */
export interface VisitPaymentReversalEntry extends EntryCommon {
  readonly kind: 'visit-payment-reversal';
  readonly ref: string;
  readonly visitId: string;
  /** The reversed settlement. */
  readonly settlementId: string;
  /** The reversal entry of the ledger. */
  readonly reversalId: string;
}

export type AccountEntry =
  | VisitPaymentReversalEntry
  | CreditEntry
  | OpeningBalanceEntry
  | TransferInEntry
  | VisitPaymentEntry
  | FamilyPaymentEntry
  | ContributionPaymentEntry
  | TransferOutEntry
  | RefundEntry
  | InheritanceEntry;

interface OperationCommon {
  /** The caller's reference, unique within the account (request id, settlement id...). */
  readonly ref: string;
  /** Day of the operation, `YYYY-MM-DD`: the policy in force on it decides. */
  readonly date: string;
}

/** Costs of a visit or a pharmacy purchase, as the settlement left them to the person. */
export interface CostShare {
  readonly visitId: string;
  readonly settlementId?: string;
  /** institution (定点医疗机构) or pharmacy (定点零售药店). Default institution. */
  readonly place?: Place;
  /** Visits: the visit type (default outpatient). Not used for pharmacy purchases. */
  readonly visitType?: VisitType;
  /** Whether the institution or pharmacy is contracted (定点). */
  readonly contracted: boolean;
  /** The person's share before the account: total − fund − critical illness − assistance. */
  readonly personShare: Fen;
  /** Of personShare, the part outside the policy range (政策范围外). Default 0. */
  readonly outOfScope?: Fen;
}

export type Operation =
  | (OperationCommon & { readonly kind: 'opening-balance'; readonly amount: Fen })
  | (OperationCommon & { readonly kind: 'transfer-in'; readonly amount: Fen; readonly fromRegion: string })
  | (OperationCommon & CostShare & { readonly kind: 'visit-payment' })
  | (OperationCommon & CostShare & { readonly kind: 'family-payment'; readonly purpose: 'medical-cost'; readonly relation: AccountRelation; readonly memberId: string })
  | (OperationCommon & {
      readonly kind: 'family-payment';
      readonly purpose: 'resident-contribution';
      readonly relation: AccountRelation;
      readonly memberId: string;
      readonly amount: Fen;
      readonly coverageYear: number;
    })
  | (OperationCommon & { readonly kind: 'contribution-payment'; readonly purpose: 'supplementary-contribution'; readonly amount: Fen; readonly coverageYear: number })
  | (OperationCommon & { readonly kind: 'transfer-out'; readonly toRegion: string })
  | (OperationCommon & { readonly kind: 'refund'; readonly toRegion: string; readonly transferPossible: boolean })
  | (OperationCommon & { readonly kind: 'inheritance'; readonly deathDate: string; readonly heirs: readonly string[] })
  /** Any other spending (public health, fitness, wellness...): always refused, naming the rule. */
  | (OperationCommon & { readonly kind: 'other-use'; readonly purpose: string; readonly amount: Fen });

/** Why an operation is refused. Refusals are answers of the rules, not errors. */
export type RefusalCode =
  /** The document names it as a use the account must not pay (不得用于…). */
  | 'PROHIBITED_USE'
  /** The document does not allow it (a use it does not list, a relation it does not name, ...). */
  | 'USE_NOT_ALLOWED'
  /** Not at a contracted institution or pharmacy. */
  | 'NON_CONTRACTED'
  /** The balance does not cover it (or is nil). */
  | 'INSUFFICIENT_BALANCE'
  /** There is nothing to pay (the share the account may pay is 0). */
  | 'NOTHING_TO_PAY'
  /** The condition the document sets is not met (refund while transfer is possible, ...). */
  | 'CONDITION_NOT_MET'
  /** The account was closed by a transfer out, refund or inheritance. */
  | 'ACCOUNT_CLOSED'
  /** An entry with this reference is already in the account. */
  | 'DUPLICATE_REFERENCE';

export interface Refusal {
  readonly ok: false;
  readonly code: RefusalCode;
  /** Chinese, naming the article. */
  readonly reason: string;
  /** Citation of the article, when one decides. */
  readonly source: string;
  readonly trace: readonly TraceStep[];
}

export interface Approval<E extends AccountEntry = AccountEntry> {
  readonly ok: true;
  /** The entry to append (seq and balanceAfter already set). */
  readonly entry: E;
  readonly balanceBefore: Fen;
  readonly balanceAfter: Fen;
  readonly trace: readonly TraceStep[];
}

export type Authorization = Approval | Refusal;

/** Errors of input and of policy (not refusals): a clear code and message. */
export type AccountErrorCode = 'INVALID_INPUT' | 'NO_POLICY_IN_FORCE' | 'NO_ACCOUNT_RULES' | 'MISSING_PARAMETER';

export class AccountError extends YibaoError<AccountErrorCode> {
  constructor(
    code: AccountErrorCode,
    message: string,
    readonly missing: readonly MissingParameter[] = [],
  ) {
    super(code, message, missing.length > 0 ? { missing } : {});
    this.name = 'AccountError';
  }

  override toJSON(): { code: AccountErrorCode; message: string; missing?: readonly MissingParameter[] } {
    return this.missing.length > 0 ? { code: this.code, message: this.message, missing: this.missing } : { code: this.code, message: this.message };
  }
}
