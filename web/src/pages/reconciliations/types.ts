/** What the reconciliation routes answer (docs/service.md "Reconciliation"), as the page reads it. */
import { formatMoment } from '../../format';

export interface Sums {
  medfee_sumamt: number;
  fund_pay_sumamt: number;
  acct_pay: number;
  count: number;
}
export interface Amounts {
  medfee_sumamt: number;
  fund_pay_sumamt: number;
  acct_pay: number;
}
export interface Difference {
  setl_id: string;
  mdtrt_id: string;
  psn_no: string;
  refd_setl_flag: '0' | '1';
  class: string;
  fields: string[];
  hospital: Amounts | null;
  ledger: Amounts | null;
  memo: string;
}
/** A run without its differences (GET /v1/reconciliations). */
export interface RunSummary {
  id: string;
  institution: string;
  kind: '3201' | '3202' | 'file';
  from: string;
  to: string;
  balanced: boolean;
  stmt_rslt: '0' | '1';
  /** A detail run's: matched, byClass, hospital and ledger sums (yuan), differences; 3201's: stmt_rslt_dscr. */
  summary: {
    matched?: number;
    byClass?: Record<string, number>;
    hospital?: Sums;
    ledger?: Sums;
    differences?: number;
    /** How many differences the run keeps (at most 100,000). */
    kept?: number;
    stmt_rslt_dscr?: string;
  };
  createdAt: string;
  createdBy: string;
}
export interface Run extends RunSummary {
  differences: Difference[];
  differencesShown: number;
  differencesOffset: number;
  differencesTotal: number;
}

/** An instant in China time with its seconds: 2026年12月5日 05:21:09. */
export const timeOf = (iso: string) => formatMoment(iso, true);
