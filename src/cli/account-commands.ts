/**
 * `yibao accounts open FILE | holder ID FILE | credit-month YYYY-MM | operate FILE | show ID`:
 * personal accounts in the ledger (--db, as for the other ledger commands).
 *
 * Exit codes: 0 done; 1 refused or cannot (a refusal of the rules, an account that exists with
 * other details, a month some accounts could not be credited for) — `{ "error": … }` on stdout and
 * the reason on stderr; 2 invalid input, every bad field on stderr and nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { AccountError } from '../account/types.js';
import { AccountLedger, AccountRefused, storedEntryJson, type CreditMonthReport } from '../ledger/accounts.js';
import { LedgerError } from '../ledger/errors.js';
import type { Actor } from '../ledger/ledger.js';
import { loadPolicies } from '../policy/policies.js';
import { creditMonthSchema, parseHolder, parseOpenAccount, parseOperateFile } from '../request/account-request.js';
import { RequestError } from '../request/settle-request.js';
import { formatIssues } from '../policy/schema.js';
import { id } from '../request/id.js';
import { pageFields } from '../request/page.js';
import { z } from 'zod';
import { pathsIn, printJson, printRefusal, readJson, UsageError, type Command, type Io } from './io.js';
import { openStore } from './open-store.js';

const CLI_ACTOR: Actor = { id: 'cli', role: 'agency' };

const ACCOUNTS_USAGE = `  yibao accounts open FILE [--db PATH|URL]
      Open a personal account: { id, kind, holderId, region, openedOn?, members?, holder? }.
  yibao accounts holder ID FILE [--db PATH|URL]
      The holder's details from a month on: { from, category, contributionBase?, ... }.
  yibao accounts credit-month YYYY-MM [--db PATH|URL] [--json]
      Credit the month to every open account, once; prints how many were credited, already
      credited, not credited and why.
  yibao accounts operate FILE [--db PATH|URL]
      An operation on an account: { requestId, accountId, operation: { kind, date, ... } }.
  yibao accounts show ID [--limit N] [--cursor C] [--db PATH|URL] [--json]
      The account: balance, holder's details and a page of its entries (nextCursor: the next).
`;

export async function accountsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean' },
      'policy-file': { type: 'string', multiple: true },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
  });
  const [sub, ...rest] = positionals;
  const policies = loadPolicies({ policyFiles: pathsIn(io, values['policy-file']) ?? [] });
  const want = (n: number, what: string) => {
    if (rest.length !== n) throw new UsageError(`accounts ${sub} needs ${what}`);
  };
  // Validate before opening the ledger: invalid input touches nothing.
  let run: (accounts: AccountLedger) => Promise<number>;
  switch (sub) {
    case 'open': {
      want(1, 'one FILE (or - for stdin)');
      const req = parseOpenAccount(await readJson(rest[0] as string, io), policies);
      run = async (accounts) => {
        const r = await accounts.open(req, CLI_ACTOR);
        printJson(io, { ...r.account, created: r.created });
        return 0;
      };
      break;
    }
    case 'holder': {
      want(2, 'an account ID and a FILE');
      const terms = parseHolder(await readJson(rest[1] as string, io));
      run = async (accounts) => {
        const r = await accounts.setHolder(rest[0] as string, terms, CLI_ACTOR);
        printJson(io, { ...r.account, changed: r.changed });
        return 0;
      };
      break;
    }
    case 'credit-month': {
      want(1, 'a month YYYY-MM');
      const parsed = creditMonthSchema.safeParse({ month: rest[0] });
      if (!parsed.success) throw new RequestError(formatIssues(parsed.error.issues));
      run = async (accounts) => {
        const report = await accounts.creditMonth(parsed.data.month, CLI_ACTOR);
        if (values.json) printJson(io, report);
        else io.stdout(renderCredit(report));
        return report.failed > 0 ? 1 : 0;
      };
      break;
    }
    case 'operate': {
      want(1, 'one FILE (or - for stdin)');
      const req = parseOperateFile(await readJson(rest[0] as string, io), policies);
      run = async (accounts) => {
        const r = await accounts.operate(req.accountId, req, CLI_ACTOR);
        printJson(io, storedEntryJson(r, { replayed: !r.created }));
        return 0;
      };
      break;
    }
    case 'show': {
      want(1, 'an account ID');
      const page = z
        .strictObject({ id, ...pageFields('account') })
        .safeParse(Object.fromEntries(Object.entries({ id: rest[0], limit: values.limit, cursor: values.cursor }).filter(([, v]) => v !== undefined)));
      if (!page.success) throw new RequestError(formatIssues(page.error.issues).map((l) => (l.startsWith('id:') ? l : `--${l}`)));
      const { id: accountId, limit, cursor } = page.data;
      run = async (accounts) => {
        const shown = await accounts.show(accountId, { limit, after: cursor });
        if (values.json) printJson(io, shown);
        else io.stdout(renderShow(shown));
        if (shown.nextCursor) io.stderr(`more entries: add --cursor ${String(shown.nextCursor)}\n`);
        return 0;
      };
      break;
    }
    default:
      throw new UsageError(sub ? `unknown accounts command ${JSON.stringify(sub)}` : 'accounts needs a command: open | holder | credit-month | operate | show');
  }
  const store = await openStore(values.db, io);
  try {
    return await run(new AccountLedger(store, policies));
  } catch (e) {
    if (e instanceof AccountRefused) return printRefusal(io, e.toJSON(), `refused: ${e.code}: ${e.reason}${e.source ? ` (${e.source})` : ''}`);
    if (e instanceof LedgerError) return printRefusal(io, { code: e.code, message: e.message }, `${e.code}: ${e.message}`);
    if (e instanceof AccountError) {
      if (e.code === 'INVALID_INPUT') throw new RequestError([e.message]);
      return printRefusal(io, e.toJSON(), `${e.code}: ${e.message}`);
    }
    throw e;
  } finally {
    await store.close();
  }
}

function renderCredit(r: CreditMonthReport): string {
  const lines = [
    `${r.month}: ${r.accounts} open accounts — ${r.credited} credited (${r.creditedAmount.toFixed(2)} yuan), ${r.alreadyCredited} already credited, ${r.notCredited} not credited, ${r.failed} could not be credited; ${r.closed} closed`,
  ];
  for (const x of r.reasons)
    lines.push(`  ${x.count} × ${x.code}: ${x.reason}${x.source ? ` (${x.source})` : ''} — ${x.accounts.join(', ')}${x.count > x.accounts.length ? ', …' : ''}`);
  return lines.join('\n') + '\n';
}

function renderShow(a: Record<string, unknown>): string {
  const entries = a.entries as { seq: number; date: string; kind: string; amount: number; balanceAfter: number; source: string; text: string }[];
  const lines = [
    `account ${a.id} (${a.kind}) of ${a.holderId}, region ${a.region}, opened ${a.openedOn}${a.closedOn ? `, closed ${a.closedOn}` : ''}`,
    `balance ${(a.balance as number).toFixed(2)} yuan, ${entries.length} entries${a.nextCursor ? ' on this page, more follow' : ''}`,
  ];
  for (const e of entries)
    lines.push(
      `  ${String(e.seq).padStart(4)} ${e.date} ${e.kind.padEnd(20)} ${e.amount.toFixed(2).padStart(12)} → ${e.balanceAfter.toFixed(2).padStart(12)}  ${e.text} (${e.source})`,
    );
  return lines.join('\n') + '\n';
}

export const ACCOUNTS_COMMAND: Command = { name: 'accounts', summary: '个人账户 / personal accounts', usage: ACCOUNTS_USAGE, run: accountsCommand };
