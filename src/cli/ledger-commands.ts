/**
 * The commands that use the ledger: `serve`, `ledger verify`, `keys create|revoke`, and
 * `settle FILE --db`.
 */
import { delimiter } from 'node:path';
import { missingParameters } from '../policy/show.js';
import { parseArgs } from 'node:util';
import { KeyStore, ROLES, createKey, revokeKey, type Role } from '../api/keys.js';
import { buildServer } from '../api/server.js';
import { SettlementError } from '../engine/errors.js';
import { SettlementEngine } from '../engine/settle.js';
import { defaultTarget, migrateToLatest, openLedgerDb, type LedgerDb } from '../ledger/connect.js';
import { verifyAccounts } from '../ledger/accounts.js';
import { Ledger, LedgerError, verifyLedger, type Actor } from '../ledger/ledger.js';
import type { PolicySet } from '../policy/registry.js';
import { parseSettleOne, canonicalJson } from '../request/settle-one.js';
import type { SettleRequest } from '../request/settle-request.js';
import type { Io } from './main.js';

export class UsageError extends Error {}

export async function openStore(db: string | undefined): Promise<LedgerDb> {
  const store = await openLedgerDb({ target: defaultTarget(db) });
  await migrateToLatest(store.db);
  return store;
}

const CLI_ACTOR: Actor = { id: 'cli', role: 'agency' };

/**
 * Settles a file's visits into the ledger, continuing each person's year from what it holds.
 * Each visit's request id is `file:<person>:<visit>`, so running the same file again returns the
 * entries already made instead of settling twice.
 */
export async function settleIntoLedger(
  request: SettleRequest,
  raw: { person: unknown; visits: unknown[] },
  policies: PolicySet,
  dbTarget: string | undefined,
): Promise<{ outcomes: Record<string, unknown>[]; failures: { visitId: string; code: string; message: string }[] }> {
  const store = await openStore(dbTarget);
  try {
    const ledger = new Ledger(store, new SettlementEngine(policies));
    const outcomes: Record<string, unknown>[] = [];
    const failures: { visitId: string; code: string; message: string }[] = [];
    for (let i = 0; i < request.visits.length; i++) {
      const visit = raw.visits[i] as { id: string };
      const one = parseSettleOne({ requestId: `file:${request.person.id}:${visit.id}`.slice(0, 128).replace(/[^A-Za-z0-9._:-]/g, '_'), person: raw.person, visit }, policies);
      try {
        const { entry, created } = await ledger.settle(one, CLI_ACTOR);
        outcomes.push({ ...entry, replayed: !created });
      } catch (e) {
        if (!(e instanceof SettlementError || e instanceof LedgerError)) throw e;
        outcomes.push({ visitId: visit.id, error: { code: e.code, message: e.message } });
        failures.push({ visitId: visit.id, code: e.code, message: e.message });
      }
    }
    return { outcomes, failures };
  } finally {
    await store.close();
  }
}

export async function ledgerCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals[0] !== 'verify' || positionals.length !== 1) throw new UsageError('ledger needs a command: verify');
  const store = await openStore(values.db);
  try {
    const report = await verifyLedger(store.db);
    const accounts = await verifyAccounts(store.db);
    const ok = report.ok && accounts.ok;
    if (values.json) io.stdout(JSON.stringify({ store: store.location, ...report, ok, accounts }, null, 2) + '\n');
    else {
      io.stdout(`ledger ${store.location} (${store.dialect}): ${report.checked.entries} entries, ${report.checked.capRows} cap accumulators, ${report.checked.windowRows} deductible windows; ${accounts.checked.accounts} accounts, ${accounts.checked.entries} account entries\n`);
      if (ok) io.stdout('verify: every accumulator and account balance agrees with the entries\n');
      else for (const m of [...report.mismatches, ...accounts.mismatches]) io.stdout(`MISMATCH ${m}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

export async function keysCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, institution: { type: 'string' }, label: { type: 'string' } },
  });
  const [sub, arg] = positionals;
  if (sub === 'create') {
    if (!arg || !(ROLES as readonly string[]).includes(arg)) throw new UsageError(`keys create needs a ROLE: ${ROLES.join(' | ')}`);
    if (arg === 'institution' && !values.institution) throw new UsageError('an institution key needs --institution ID');
    if (arg !== 'institution' && values.institution) throw new UsageError(`a ${arg} key is not tied to an institution; drop --institution`);
    const store = await openStore(values.db);
    try {
      const k = await createKey(store.db, arg as Role, {
        ...(values.institution ? { institutionId: values.institution } : {}),
        ...(values.label ? { label: values.label } : {}),
      });
      io.stdout(`${k.key}\n`);
      io.stderr(`created ${k.role} key ${k.id}${k.institutionId ? ` for institution ${k.institutionId}` : ''}; the key is shown only now, only its hash is stored\n`);
      return 0;
    } finally {
      await store.close();
    }
  }
  if (sub === 'revoke') {
    if (!arg) throw new UsageError('keys revoke needs a key id (K-...)');
    const store = await openStore(values.db);
    try {
      const done = await revokeKey(store.db, arg);
      io.stderr(done ? `revoked ${arg}\n` : `no active key ${arg}\n`);
      return done ? 0 : 1;
    } finally {
      await store.close();
    }
  }
  throw new UsageError('keys needs a command: create ROLE [--institution ID] | revoke ID');
}

/** A yes/no environment variable: 1/true/yes or 0/false/no (or unset: no). */
function envFlag(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  throw new UsageError(`${name} must be 1 or 0 (true or false), got ${JSON.stringify(env[name])}`);
}

export async function serveCommand(args: string[], io: Io, loadPolicies: (files: string[] | undefined) => PolicySet): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'policy-file': { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'pool-size': { type: 'string' },
      'require-enrollment': { type: 'boolean' },
    },
  });
  const requireEnrollment = values['require-enrollment'] ?? envFlag('YIBAO_REQUIRE_ENROLLMENT');
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`);
  // User policy files: --policy-file, else YIBAO_POLICY_FILES (separated by the platform's path delimiter, as PATH).
  const userFiles = values['policy-file'] ?? (process.env.YIBAO_POLICY_FILES ? process.env.YIBAO_POLICY_FILES.split(delimiter).filter((f) => f !== '') : undefined);
  const policies = loadPolicies(userFiles);
  const target = defaultTarget(values.db);
  const store = await openLedgerDb({
    target,
    ...(values['pool-size'] ? { poolSize: Number(values['pool-size']) } : {}),
    backgroundCheckpoints: true,
    writerThread: true,
    onPoolError: (e) => io.stderr(`yibao: database connection error: ${e.message}\n`),
  });
  await migrateToLatest(store.db);
  const ledger = new Ledger(store, new SettlementEngine(policies), Date.now, { requireEnrollment });
  await ledger.ready;
  const app = await buildServer({ ledger, policies, keys: new KeyStore(store.db), logger: { level: values['log-level'] ?? process.env.LOG_LEVEL ?? 'info' } });
  const address = await app.listen({ port, host: values.host ?? process.env.HOST ?? '127.0.0.1' });
  io.stderr(`yibao serving on ${address} (store: ${store.dialect} ${store.location}); docs at ${address}/docs\n`);
  const open = missingParameters(policies.packs).length;
  io.stderr(
    `policies: ${policies.packs.map((p) => p.id).join(', ')}${userFiles?.length ? `; user policy files: ${userFiles.join(', ')}` : ''}; ${open} parameter version(s) still missing (yibao policy missing)\n`,
  );
  io.stderr(
    requireEnrollment
      ? 'persons: enrollment required (--require-enrollment): only persons in the registry with a payment the agency recorded for the visit\'s year are settled (else PERSON_NOT_REGISTERED, NOT_ENROLLED)\n'
      : "persons: open (default): a person's first settle registers them; a person with no payment on file is taken as covered (yibao serve --require-enrollment for the agency's way)\n",
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      void app.close().then(() => store.close()).then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

export { canonicalJson };
