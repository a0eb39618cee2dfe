/**
 * The commands that use the ledger: `serve`, `ledger verify|history`, `audit`, `keys
 * create|revoke|list`, and `settle FILE --db`.
 */
import { delimiter } from 'node:path';
import { missingParameters } from '../policy/show.js';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { KeyStore, ROLES, createKey, listKeys, revokeKey, type Role } from '../ledger/keys.js';
import { yearQuery } from '../request/year-query.js';
import { readAudit } from '../ledger/audit.js';
import { loadPolicies } from '../policy/policies.js';
import { formatIssues } from '../policy/schema.js';
import { auditQuerySchema } from '../request/audit-query.js';
import { id } from '../request/id.js';
import { pageFields } from '../request/page.js';
import { RequestError } from '../request/settle-request.js';
import { NATIONAL_SERVE_FLAGS, nationalServeOptions } from './national-serve.js';
import { DEFAULT_TIMEOUTS, MAX_EVERY_MS, MIN_EVERY_MS, startService, type Timeouts } from '../serve.js';
import { SettlementError } from '../engine/errors.js';
import { SettlementEngine } from '../engine/settle.js';
import { migrateToLatest, openLedgerDb, pgStatementsFrom, sqliteSyncFrom, type LedgerDb, type PgStatements, type SqliteSync } from '../ledger/connect.js';
import { openReplica, readReplicaTarget, replicaLine } from './read-replica.js';
import { DEFAULT_MAX_QUEUE } from '../ledger/queue.js';
import { DEFAULT_CLOCK_TOLERANCE_MS, setClockTolerance } from '../ledger/visit-time.js';
import { verifyAccounts } from '../ledger/accounts.js';
import { verifyClearing } from '../ledger/clearing.js';
import { Ledger, LedgerError, verifyLedger, type Actor } from '../ledger/ledger.js';
import type { PolicySet } from '../policy/registry.js';
import { parseSettleOne, canonicalJson } from '../request/settle-one.js';
import type { SettleRequest } from '../request/settle-request.js';
import { envOf, pathsIn, printJson, UsageError, type Command, type Io } from './io.js';
import { openStore, target } from './open-store.js';

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
  io: Io,
): Promise<{ outcomes: Record<string, unknown>[]; failures: { visitId: string; code: string; message: string }[] }> {
  setClockTolerance(wholeNumber('clock-tolerance', undefined, 'YIBAO_CLOCK_TOLERANCE_MS', DEFAULT_CLOCK_TOLERANCE_MS, 0, envOf(io)));
  const store = await openStore(dbTarget, io);
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

/**
 * Validates a command's arguments with a zod schema: invalid input (exit 2) naming each, options
 * as --name, the positional ones (`positional`) as they are.
 */
function parseOptions<T extends z.ZodType>(schema: T, data: Record<string, unknown>, positional: string[] = []): z.output<T> {
  const r = schema.safeParse(Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)));
  if (!r.success) throw new RequestError(formatIssues(r.error.issues).map((l) => (positional.some((p) => l.startsWith(`${p}:`)) ? l : `--${l}`)));
  return r.data;
}

/** A CLI read of personal data, in the audit log as the service's are. */
const auditCliRead = (store: LedgerDb, action: string, target: string, detail: Record<string, unknown>) =>
  store.db
    .insertInto('audit_log')
    .values({ at: Date.now(), actor: CLI_ACTOR.id, role: 'system', action, target, detail: JSON.stringify(detail) })
    .execute();

const historyOptions = z.strictObject({ person: id, year: yearQuery.shape.year, ...pageFields('history') });

export async function ledgerCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, json: { type: 'boolean' }, year: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
  });
  if (positionals[0] === 'history') {
    if (positionals.length !== 2) throw new UsageError('ledger history needs a PERSON id');
    const o = parseOptions(historyOptions, { person: positionals[1], year: values.year, limit: values.limit, cursor: values.cursor }, ['person']);
    const store = await openStore(values.db, io, { existing: true });
    try {
      const ledger = new Ledger(store, new SettlementEngine(loadPolicies()));
      await auditCliRead(store, 'read.history', o.person, { ...(o.year ? { year: Number(o.year) } : {}), ...(o.cursor ? { cursor: true } : {}) });
      const page = await ledger.historyPage(o.person, CLI_ACTOR, { ...(o.year ? { year: Number(o.year) } : {}), limit: o.limit, after: o.cursor });
      printJson(io, { person: o.person, ...page });
      if (page.nextCursor) io.stderr(`more entries: add --cursor ${page.nextCursor}\n`);
      return 0;
    } finally {
      await store.close();
    }
  }
  if (positionals[0] !== 'verify' || positionals.length !== 1) throw new UsageError('ledger needs a command: verify | history PERSON');
  const store = await openStore(values.db, io, { existing: true });
  try {
    const report = await verifyLedger(store.db);
    const accounts = await verifyAccounts(store.db);
    const clearing = await verifyClearing(store.db);
    const ok = report.ok && accounts.ok && clearing.mismatches.length === 0;
    if (values.json) printJson(io, { store: store.location, ...report, ok, accounts, clearing });
    else {
      io.stdout(
        `ledger ${store.location} (${store.dialect}): ${report.checked.entries} entries, ${report.checked.capRows} cap accumulators, ${report.checked.windowRows} deductible windows; ${accounts.checked.accounts} accounts, ${accounts.checked.entries} account entries; ${clearing.periods} closed months\n`,
      );
      if (ok) io.stdout('verify: every accumulator, account balance and closed month agrees with the entries\n');
      else for (const m of [...report.mismatches, ...accounts.mismatches, ...clearing.mismatches]) io.stdout(`MISMATCH ${m}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

/** `yibao audit`: a page of the audit log, filtered (the options of GET /v1/audit). */
export async function auditCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean' },
      actor: { type: 'string' },
      action: { type: 'string' },
      target: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError('audit takes options only');
  const { db, json, ...filters } = values;
  const f = parseOptions(auditQuerySchema, filters);
  const store = await openStore(db, io, { existing: true });
  try {
    await auditCliRead(store, 'read.audit', f.target ?? f.actor ?? '*', { filter: { ...filters, cursor: filters.cursor ? true : undefined } });
    const page = await readAudit(store.db, { ...f, after: f.cursor });
    if (json) printJson(io, page);
    else {
      for (const e of page.entries) io.stdout(`${e.id}\t${e.at}\t${e.actor} (${e.role})\t${e.action}\t${e.target}\t${JSON.stringify(e.detail)}\n`);
      if (page.entries.length === 0) io.stdout('no audit rows match\n');
    }
    if (page.nextCursor) io.stderr(`more rows: add --cursor ${page.nextCursor}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function keysCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, institution: { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [sub, arg] = positionals;
  if (sub === 'list') {
    if (arg !== undefined) throw new UsageError('keys list takes no arguments');
    const store = await openStore(values.db, io, { existing: true });
    try {
      const keys = await listKeys(store.db);
      if (values.json) printJson(io, keys);
      else {
        for (const k of keys) {
          io.stdout(
            `${k.id}\t${k.role}${k.institutionId ? ` ${k.institutionId}` : ''}\t${k.label ?? ''}\tcreated ${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}\n`,
          );
        }
        if (keys.length === 0) io.stdout('no keys\n');
      }
      return 0;
    } finally {
      await store.close();
    }
  }
  if (sub === 'create') {
    if (!arg || !(ROLES as readonly string[]).includes(arg)) throw new UsageError(`keys create needs a ROLE: ${ROLES.join(' | ')}`);
    if (arg === 'institution' && !values.institution) throw new UsageError('an institution key needs --institution ID');
    if (arg !== 'institution' && values.institution) throw new UsageError(`an ${arg} key is not tied to an institution; drop --institution`);
    const store = await openStore(values.db, io);
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
    const store = await openStore(values.db, io, { existing: true });
    try {
      const done = await revokeKey(store.db, arg);
      io.stderr(done ? `revoked ${arg}\n` : `no active key ${arg}\n`);
      return done ? 0 : 1;
    } finally {
      await store.close();
    }
  }
  throw new UsageError('keys needs a command: create ROLE [--institution ID] | revoke ID | list');
}

/**
 * A whole number from `--flag`, else the environment variable, else `fallback`.
 *
 * @throws UsageError naming the flag or variable when it is not a whole number from `min`.
 */
function wholeNumber(flag: string, value: string | undefined, env: string, fallback: number, min: number, environment: NodeJS.ProcessEnv): number {
  const raw = value ?? environment[env];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${value !== undefined ? `--${flag}` : env} must be a whole number from ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** The service's limits: flags, else their environment variables, else the defaults (docs/service.md). */
function serviceLimits(values: Record<string, string | undefined>, environment: NodeJS.ProcessEnv) {
  const ms = (flag: string, env: string, fallback: number) => wholeNumber(flag, values[flag], env, fallback, 1, environment);
  const timeouts: Timeouts = {
    headersMs: ms('headers-timeout', 'YIBAO_HEADERS_TIMEOUT_MS', DEFAULT_TIMEOUTS.headersMs),
    requestMs: ms('request-timeout', 'YIBAO_REQUEST_TIMEOUT_MS', DEFAULT_TIMEOUTS.requestMs),
    keepAliveMs: ms('keep-alive-timeout', 'YIBAO_KEEP_ALIVE_TIMEOUT_MS', DEFAULT_TIMEOUTS.keepAliveMs),
    idleMs: ms('idle-timeout', 'YIBAO_IDLE_TIMEOUT_MS', DEFAULT_TIMEOUTS.idleMs),
  };
  if (timeouts.headersMs > timeouts.requestMs)
    throw new UsageError(`the headers timeout (${timeouts.headersMs} ms) must not be longer than the request timeout (${timeouts.requestMs} ms)`);
  const maxQueue = wholeNumber('max-queue', values['max-queue'], 'YIBAO_MAX_QUEUE', DEFAULT_MAX_QUEUE, 1, environment);
  const clockToleranceMs = wholeNumber('clock-tolerance', values['clock-tolerance'], 'YIBAO_CLOCK_TOLERANCE_MS', DEFAULT_CLOCK_TOLERANCE_MS, 0, environment);
  let sqliteSync: SqliteSync;
  let pgStatements: PgStatements;
  try {
    sqliteSync = sqliteSyncFrom(values['sqlite-sync'], environment);
    pgStatements = pgStatementsFrom(values['pg-statements'], environment);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { timeouts, maxQueue, clockToleranceMs, sqliteSync, pgStatements };
}

/** A yes/no environment variable: 1/true/yes or 0/false/no (or unset: no). */
function envFlag(name: string, env: NodeJS.ProcessEnv): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  throw new UsageError(`${name} must be 1 or 0 (true or false), got ${JSON.stringify(env[name])}`);
}

/** --supervise-every / --day-end-every (seconds; or YIBAO_SUPERVISE_EVERY, YIBAO_DAY_END_EVERY): off unless given. */
function routineOptions(supervise: string | undefined, dayEnd: string | undefined, env: NodeJS.ProcessEnv): { superviseEveryMs?: number; dayEndEveryMs?: number } {
  const seconds = (flag: string, v: string | undefined, variable: string): number | undefined => {
    const text = v ?? env[variable];
    if (text === undefined || text.trim() === '') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n * 1000 < MIN_EVERY_MS || n * 1000 > MAX_EVERY_MS) {
      throw new UsageError(`--${flag} (or ${variable}) must be whole seconds from ${MIN_EVERY_MS / 1000} to ${MAX_EVERY_MS / 1000}, got ${JSON.stringify(text)}`);
    }
    return n * 1000;
  };
  const s = seconds('supervise-every', supervise, 'YIBAO_SUPERVISE_EVERY');
  const d = seconds('day-end-every', dayEnd, 'YIBAO_DAY_END_EVERY');
  return { ...(s === undefined ? {} : { superviseEveryMs: s }), ...(d === undefined ? {} : { dayEndEveryMs: d }) };
}

export async function serveCommand(args: string[], io: Io): Promise<number> {
  const env = envOf(io);
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      'read-db': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'policy-file': { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'pool-size': { type: 'string' },
      'require-enrollment': { type: 'boolean' },
      'headers-timeout': { type: 'string' },
      'request-timeout': { type: 'string' },
      'keep-alive-timeout': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'max-queue': { type: 'string' },
      'clock-tolerance': { type: 'string' },
      'sqlite-sync': { type: 'string' },
      'pg-statements': { type: 'string' },
      'supervise-every': { type: 'string' },
      'day-end-every': { type: 'string' },
      ...NATIONAL_SERVE_FLAGS,
    },
  });
  const requireEnrollment = values['require-enrollment'] ?? envFlag('YIBAO_REQUIRE_ENROLLMENT', env);
  const port = Number(values.port ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`);
  const limits = serviceLimits(values as Record<string, string | undefined>, env);
  const routine = routineOptions(values['supervise-every'], values['day-end-every'], env);
  const nationalServe = nationalServeOptions(values, env, io);
  setClockTolerance(limits.clockToleranceMs);
  // User policy files: --policy-file, else YIBAO_POLICY_FILES (separated by the platform's path delimiter, as PATH).
  const userFiles = values['policy-file'] ?? (env.YIBAO_POLICY_FILES ? env.YIBAO_POLICY_FILES.split(delimiter).filter((f) => f !== '') : undefined);
  const policyFiles = pathsIn(io, userFiles) ?? [];
  const policies = loadPolicies({ policyFiles });
  const readDb = readReplicaTarget(values['read-db'], target(values.db, io), env);
  const store = await openLedgerDb({
    target: target(values.db, io),
    ...(values['pool-size'] ? { poolSize: Number(values['pool-size']) } : {}),
    backgroundCheckpoints: true,
    writerThread: true,
    sqliteSync: limits.sqliteSync,
    pgStatements: limits.pgStatements,
    onPoolError: (e) => io.stderr(`yibao: database connection error: ${e.message}\n`),
    onWarning: (message) => io.stderr(`yibao: ${message}\n`),
  });
  await migrateToLatest(store.db);
  // The read replica: a second pool as bounded as the first; never migrated (replication brings the schema).
  const replica = readDb === undefined ? undefined : openReplica(readDb, values['pool-size'], io);
  // Checked before the service starts: a reachable database without the ledger is refused.
  let replicaNote: string | undefined;
  if (replica) {
    try {
      replicaNote = await replicaLine(replica);
    } catch (e) {
      await replica.close();
      await store.close();
      throw e;
    }
  }
  const ledger = new Ledger(store, new SettlementEngine(policies), Date.now, {
    requireEnrollment,
    maxQueue: limits.maxQueue,
    ...(replica ? { readReplica: replica } : {}),
  });
  await ledger.ready;
  const service = await startService({
    ...routine,
    onRoutine: (job, outcome) => {
      if (!outcome.ok) io.stderr(`yibao: ${job === 'supervise' ? 'supervision incremental run' : 'day-end'} failed (retried at the next turn): ${outcome.error.message}\n`);
    },
    ledger,
    policies,
    policyFiles,
    keys: new KeyStore(store.db),
    logger: { level: values['log-level'] ?? env.LOG_LEVEL ?? 'info' },
    timeouts: limits.timeouts,
    national: nationalServe.national,
    port,
    host: values.host ?? env.HOST ?? '127.0.0.1',
  });
  const address = service.address;
  io.stderr(`yibao serving on ${address} (store: ${store.dialect} ${store.location}); docs at ${address}/docs\n`);
  if (replicaNote) io.stderr(replicaNote);

  if (store.dialect === 'sqlite') {
    io.stderr(
      store.sqliteSync === 'NORMAL'
        ? 'sqlite: synchronous=NORMAL (opted in): faster, but a power cut can lose the last acknowledged settlements\n'
        : 'sqlite: synchronous=FULL: every acknowledged settlement is on disk (fsync, shared by each batch)\n',
    );
  } else {
    io.stderr(
      store.pgStatements === 'unprepared'
        ? 'postgres: settle statements unprepared (parsed where they run), as behind a transaction-pooling proxy that keeps no prepared statements\n'
        : 'postgres: settle statements prepared once per connection (behind PgBouncer: 1.21 or later with max_prepared_statements, else --pg-statements unprepared)\n',
    );
  }
  const t = limits.timeouts;
  io.stderr(
    `limits: headers ${t.headersMs} ms, request ${t.requestMs} ms, keep-alive ${t.keepAliveMs} ms, idle ${t.idleMs} ms; at most ${limits.maxQueue} settles waiting; visits up to ${limits.clockToleranceMs} ms after now\n`,
  );
  if (routine.superviseEveryMs || routine.dayEndEveryMs) {
    const each = (ms: number | undefined) => (ms ? `every ${ms / 1000} s` : 'off');
    io.stderr(`routine: supervision incremental run ${each(routine.superviseEveryMs)}; day-end ${each(routine.dayEndEveryMs)}\n`);
  }
  const open = missingParameters(policies.packs).length;
  io.stderr(
    `policies: ${policies.packs.map((p) => p.id).join(', ')}${userFiles?.length ? `; user policy files: ${userFiles.join(', ')}` : ''}; ${open} parameter version(s) still missing (yibao policy missing)\n`,
  );
  io.stderr(
    requireEnrollment
      ? "persons: enrollment required (--require-enrollment): only persons in the registry with a payment the agency recorded for the visit's year are settled (else PERSON_NOT_REGISTERED, NOT_ENROLLED)\n"
      : "persons: open (default): a person's first settle registers them; a person with no payment on file is taken as covered (yibao serve --require-enrollment for the agency's way)\n",
  );
  io.stderr(nationalServe.line);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void service
        .close()
        .then(() => store.close())
        .then(() => replica?.close())
        .then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

export { canonicalJson };

export const LEDGER_COMMANDS: Command[] = [
  {
    name: 'serve',
    summary: '结算服务（HTTP）/ the settlement service',
    usage: `  yibao serve [--port 8080] [--host 127.0.0.1] [--db PATH|URL] [--policy-file F]... [--log-level info]
              [--require-enrollment] [--read-db URL]
      [--headers-timeout MS] [--request-timeout MS] [--keep-alive-timeout MS] [--idle-timeout MS]
      [--max-queue N] [--clock-tolerance MS] [--sqlite-sync full|normal] [--pg-statements prepared|unprepared]
      [--supervise-every SECONDS] [--day-end-every SECONDS]
      [--national-status http|platform] [--require-sign-in] [--catalogue FILE] [--codes EDITION|FILE]
      [--national-amounts number|text]
      (without --policy-file, the files listed in YIBAO_POLICY_FILES, separated by :)
      The settlement service (HTTP). OpenAPI document at /openapi.json, interactive docs at /docs.
      --require-enrollment (or YIBAO_REQUIRE_ENROLLMENT=1), the agency's way: settle only persons
      in the registry (yibao persons set) with a payment recorded for the visit's year (yibao
      enrollment record); by default a first settle registers the person and no payment on file
      is taken as covered.
      --supervise-every (or YIBAO_SUPERVISE_EVERY): run supervision's visit rules over the
      settlements since the last run this often (监管增量筛查); --day-end-every (or
      YIBAO_DAY_END_EVERY): sum each China day that has ended this often (日结). Both off unless
      given; 60 to 86400 seconds.
      --read-db URL (or YIBAO_READ_DATABASE_URL), PostgreSQL only: a read replica (a streaming
      standby) the analysis reads go to: GET /v1/stats/fund, clearing's statement list and month
      views, supervision's lists of runs and findings and the counts. They may be a moment behind
      the primary; while the replica is away they answer 503 STORE_UNAVAILABLE (docs/operations.md).
      The national interface: --national-status (or YIBAO_NATIONAL_STATUS) platform answers every
      national message HTTP 200, a refusal infcode -1 (default http keeps the status);
      --require-sign-in (or YIBAO_REQUIRE_SIGN_IN=1): every message but 9001 carries a live sign_no;
      --catalogue (or YIBAO_CATALOGUE) the catalogue file fee details are priced by; --codes (or
      YIBAO_CODES) the code tables: national (default), hunan-v1.1.27, or an edition file;
      --national-amounts (or YIBAO_NATIONAL_AMOUNTS) number (default: 300.00, as the platform) or
      text ("300.00") for the answers' amounts, ratios, counts and prices.
`,
    run: serveCommand,
  },
  {
    name: 'ledger',
    summary: "账本核对与明细 / verify the ledger, a person's entries",
    usage: `  yibao ledger verify [--db PATH|URL] [--json]
      Recompute every accumulator and account balance from the entries; exit 1 on any mismatch.
  yibao ledger history PERSON [--year Y] [--limit N] [--cursor C] [--db PATH|URL]
      A page of a person's entries, oldest first (JSON, with nextCursor for the next page).
`,
    run: ledgerCommand,
  },
  {
    name: 'audit',
    summary: '审计日志 / the audit log',
    usage: `  yibao audit [--actor K] [--action A] [--target T] [--from T] [--to T] [--limit N] [--cursor C] [--json]
      A page of the audit log: writes, refused requests and reads of personal data, oldest first.
`,
    run: auditCommand,
  },
  {
    name: 'keys',
    summary: 'API 密钥 / API keys',
    usage: `  yibao keys create ROLE [--institution ID] [--label L] [--db PATH|URL]
      Create an API key (ROLE: institution | agency | analyst); prints it once.
  yibao keys list [--db PATH|URL] [--json]
      Every key: id, role, institution, label, created, revoked (never the key or its hash).
  yibao keys revoke ID [--db PATH|URL]
`,
    run: keysCommand,
  },
];
