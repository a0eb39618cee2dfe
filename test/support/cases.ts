/**
 * Hand-computed settlement cases, one YAML file per document in test/cases/ (after OpenFisca's
 * YAML tests): a request exactly as `yibao settle` takes it, and for each visit the figures worked
 * out by hand from the document. Only the fields a case lists are compared.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface CaseExpectation {
  visitId: string;
  /** Expected error code instead of a settlement. */
  error?: string;
  /** Substrings the error message must contain. */
  messageIncludes?: string[];
  /** Citations (substrings) some step of the settlement's trace must give as its source. */
  cites?: string[];
  [field: string]: unknown;
}

export interface SettlementCase {
  name: string;
  /** Articles the case exercises, for the reader. */
  articles?: string[];
  /** How the figures were worked out. */
  working?: string;
  policyFiles?: string[];
  request: unknown;
  /** Each visit's expected outcome (absent when the request is refused: `invalid`). */
  expect?: CaseExpectation[];
  /** Patterns each of which some invalid-input line must match (the request is refused, nothing settled). */
  invalid?: string[];
}

/**
 * A hand-computed contribution case: a request exactly as `yibao contribution` takes it, and the
 * figures (yuan, as printed) worked out from the document — or the error, or the invalid fields.
 */
export interface ContributionCase {
  name: string;
  articles?: string[];
  working?: string;
  policyFiles?: string[];
  request: unknown;
  /** Fields of the JSON result to compare (only those listed). */
  expect?: Record<string, unknown>;
  /** Expected error code instead of a result. */
  error?: string;
  /** Substrings the error message must contain. */
  messageIncludes?: string[];
  /** Patterns each of which some invalid-input line must match (the request is refused). */
  invalid?: string[];
}

/**
 * A hand-computed account case: an account, then steps in order — a month's credit or an
 * operation — each with what it must give. Amounts in yuan, as in the settlement cases.
 */
export interface AccountStep {
  /** Credit a month: the holder as in that month (id and region come from the account). */
  credit?: { month: string; holder: { category: 'active' | 'retired'; contributionBase?: number | string; paysAtEmployerRate?: boolean; requiredYearsMet?: boolean } };
  /** An operation for `authorize` (amount, personShare and outOfScope in yuan). */
  op?: Record<string, unknown>;
  expect: {
    /** Approved: the entry's signed amount, the balance after, and for cost shares the cash left. */
    amount?: number;
    balanceAfter?: number;
    cashPay?: number;
    kind?: string;
    /** Refused with this code. */
    refused?: string;
    /** Credit skipped with this code. */
    skipped?: string;
    /** Failed with this AccountError code. */
    error?: string;
    /** Substrings of the citation, the reason/text, or the error message. */
    sourceIncludes?: string[];
    textIncludes?: string[];
  };
}

export interface AccountCase {
  name: string;
  articles?: string[];
  working?: string;
  policyFiles?: string[];
  account: { id: string; kind: string; holderId: string; region: string; members?: string[] };
  steps: AccountStep[];
}

/**
 * A hand-computed coverage case: a request exactly as `yibao enrollment coverage` takes it, and
 * the coverage (dates as printed) worked out from the document — or the error, or the invalid
 * fields. The same shape as a contribution case.
 */
export type CoverageCase = ContributionCase;

/**
 * A hand-computed claim case (`yibao claim maternity-grant`): the claim as the command takes it, and
 * the decision (fields of the JSON, amounts in yuan) worked out from the document — or the error,
 * or the invalid fields. The same shape as a contribution case.
 */
export type ClaimCase = ContributionCase;

export interface CaseFile {
  file: string;
  document: string;
  cases: SettlementCase[];
  contributions: ContributionCase[];
  /** Hand-computed account cases (src/account). */
  accounts: AccountCase[];
  /** Hand-computed coverage cases (src/enrollment). */
  coverage: CoverageCase[];
  /** Hand-computed maternity-grant claims (src/maternity). */
  claims: ClaimCase[];
}

export const CASES_DIR = new URL('../cases/', import.meta.url).pathname;

export function loadCaseFiles(dir = CASES_DIR): CaseFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const data = parse(readFileSync(join(dir, f), 'utf8')) as Partial<Omit<CaseFile, 'file'>>;
      return {
        file: f,
        document: data.document ?? f,
        cases: data.cases ?? [],
        contributions: data.contributions ?? [],
        accounts: data.accounts ?? [],
        coverage: data.coverage ?? [],
        claims: data.claims ?? [],
      };
    });
}
