/**
 * One error model (src/errors.ts): every area's error is a YibaoError with a stable code; the
 * service's one table gives each code its HTTP status (src/api/status.ts) and exitCodeFor the
 * command line's exit code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AccountError } from '../../src/account/types.js';
import { CatalogueError } from '../../src/catalogue/load.js';
import { statusFor } from '../../src/api/status.js';
import { OptionRequiredError } from '../../src/contribution/types.js';
import { SettlementError } from '../../src/engine/errors.js';
import { ERROR_CODES, exitCodeFor, YibaoError } from '../../src/errors.js';
import { AccountRefused } from '../../src/ledger/accounts.js';
import { LedgerError } from '../../src/ledger/errors.js';
import { InvariantError } from '../../src/ledger/invariants.js';
import { AmountError } from '../../src/money/money.js';
import { NationalCodeError } from '../../src/national/codes.js';
import { NationalIdentityError } from '../../src/national/setlinfo.js';
import { PolicyFileError } from '../../src/policy/problems.js';
import { RequestError } from '../../src/request/settle-request.js';
import { ScenarioError } from '../../src/sim/scenario.js';

describe('the error model', () => {
  it('makes every error class a YibaoError with its stable code and details', () => {
    const refusal = { ok: false, code: 'ACCOUNT_CLOSED', reason: '账户已注销', source: '第八条', trace: [] } as const;
    const cases: [YibaoError, string][] = [
      [new AmountError('must not be negative'), 'INVALID_AMOUNT'],
      [new OptionRequiredError('followsDibao', 'say whether'), 'OPTION_REQUIRED'],
      [new RequestError(['a: bad']), 'INVALID_REQUEST'],
      [new PolicyFileError('x.yaml', ['bad']), 'POLICY_FILE'],
      [new CatalogueError('c.json', ['bad']), 'INVALID_CATALOGUE'],
      [new SettlementError('NO_POLICY_IN_FORCE', 'none'), 'NO_POLICY_IN_FORCE'],
      [new AccountError('NO_ACCOUNT_RULES', 'none'), 'NO_ACCOUNT_RULES'],
      [new ScenarioError(['bad']), 'INVALID_SCENARIO'],
      [new NationalCodeError('data.med_type', 'unknown'), 'INVALID_CODE'],
      [new NationalIdentityError('≠'), 'INTERNAL_INVARIANT'],
      [new AccountRefused(refusal), 'ACCOUNT_CLOSED'],
      [new InvariantError('broken'), 'INTERNAL_INVARIANT'],
      [new LedgerError('NOT_FOUND', 'no such entry'), 'NOT_FOUND'],
    ];
    const known: string[] = Object.values(ERROR_CODES).flat();
    for (const [e, code] of cases) {
      expect(e, e.name).toBeInstanceOf(YibaoError);
      expect(e.code, e.name).toBe(code);
      expect(known, e.name).toContain(code);
    }
    expect(new RequestError(['a: bad', 'b: worse']).toJSON()).toEqual({ code: 'INVALID_REQUEST', message: 'invalid request: a: bad; b: worse', problems: ['a: bad', 'b: worse'] });
    expect(new SettlementError('MISSING_PARAMETER', 'm', [{ path: 'p', label: 'l', citation: 'c', reason: 'r' }]).toJSON()).toEqual({
      code: 'MISSING_PARAMETER',
      message: 'm',
      missing: [{ path: 'p', label: 'l', citation: 'c', reason: 'r' }],
    });
    expect(new AccountRefused(refusal).toJSON()).toEqual({ code: 'ACCOUNT_CLOSED', message: '账户已注销', reason: '账户已注销', source: '第八条', trace: [] });
  });

  it('gives each code the HTTP status the service has always answered', () => {
    const expected: Record<string, number> = {
      INVALID_REQUEST: 400,
      INVALID_JSON: 400,
      FORBIDDEN_KEY: 400,
      UNAUTHENTICATED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      IDEMPOTENCY_CONFLICT: 409,
      VISIT_ALREADY_SETTLED: 409,
      VISIT_CANCELLED: 409,
      DETAILS_CHANGED: 409,
      ALREADY_REVERSED: 409,
      NOT_REVERSIBLE: 409,
      INSTITUTION_MISMATCH: 409,
      PERSON_MISMATCH: 409,
      ACCOUNT_EXISTS: 409,
      ALREADY_CREDITED: 409,
      ACCOUNT_CLOSED: 409,
      DUPLICATE_REFERENCE: 409,
      PERSON_NOT_REGISTERED: 422,
      NOT_ENROLLED: 422,
      ENROLLMENT_NOT_ACCEPTED: 422,
      ACCOUNT_NOT_AVAILABLE: 422,
      VISIT_IN_FUTURE: 422,
      INSUFFICIENT_BALANCE: 422,
      PROHIBITED_USE: 422,
      NO_POLICY_IN_FORCE: 422,
      MISSING_PARAMETER: 422,
      NO_ACCOUNT_RULES: 422,
      OVERLOADED: 503,
      INTERNAL_INVARIANT: 500,
      SOMETHING_UNKNOWN: 500,
    };
    for (const [code, status] of Object.entries(expected)) expect(statusFor(code), code).toBe(status);
  });

  it('gives each code the exit code the command line has always used: 2 for invalid input, 1 otherwise', () => {
    for (const code of ['INVALID_REQUEST', 'INVALID_INPUT', 'INVALID_SCENARIO', 'USAGE', 'POLICY_FILE', 'INVALID_AMOUNT', 'INVALID_CATALOGUE'])
      expect(exitCodeFor(code), code).toBe(2);
    for (const code of ['NO_POLICY_IN_FORCE', 'IDEMPOTENCY_CONFLICT', 'ACCOUNT_CLOSED', 'NOT_FOUND', 'FORBIDDEN', 'INTERNAL_INVARIANT', 'SOMETHING_UNKNOWN'])
      expect(exitCodeFor(code), code).toBe(1);
  });
});

describe('docs/service.md, the status of every code', () => {
  const doc = readFileSync(new URL('../../docs/service.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| (\d{3}) \| (.*) \|$/gm)].map((m) => ({
    status: Number(m[1]),
    codes: [...(m[2] as string).matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((c) => c[1] as string),
  }));
  const listed = new Map(rows.flatMap((r) => r.codes.map((c) => [c, r.status] as const)));
  // Codes the service never answers as such: the document's paragraph under the table names them.
  const notServed = ['INVALID_INPUT', 'INTERNAL_INVARIANT', 'USAGE', 'INVALID_SCENARIO', 'POLICY_FILE'];

  it('gives each code it lists the status the service answers with', () => {
    expect(listed.size).toBeGreaterThan(30);
    // Every mention, so that a code listed under two statuses fails too.
    for (const r of rows) for (const code of r.codes) expect({ code, status: r.status }).toEqual({ code, status: statusFor(code) });
  });

  it('lists every code of the error model, or says why the service does not answer it', () => {
    const missing = Object.values(ERROR_CODES)
      .flat()
      .filter((c) => !listed.has(c) && !notServed.includes(c));
    expect(missing).toEqual([]);
    for (const c of notServed) expect(doc).toContain(`\`${c}\``);
  });
});
