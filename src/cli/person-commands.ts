/**
 * `yibao persons set FILE | show ID | list | identity …` (identity-commands.ts): the person registry (参保人员信息) in the ledger
 * (--db, as for the other ledger commands), kept by the agency: the attributes that change a
 * person's benefits, which settles are checked against (src/ledger/registry.ts). Every change and
 * every read is in the audit log, as over HTTP.
 *
 * Exit codes: 0 done; 1 refused (no such person): `{ "error": … }` on stdout, the reason on
 * stderr; 2 invalid input, every bad field on stderr and nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { CATEGORY_LABELS, EMPLOYMENT_LABELS, HARDSHIP_LABELS, type Category, type Employment, type Hardship } from '../domain.js';
import { Ledger, LedgerError, type Actor } from '../ledger/ledger.js';
import { MAX_PERSONS_PAGE } from '../ledger/registry.js';
import { SettlementEngine } from '../engine/settle.js';
import { loadPolicies } from '../policy/policies.js';
import { parsePersonRecord } from '../request/person-request.js';
import { identityCommand } from './identity-commands.js';
import { pathsIn, printJson, printRefusal, readJson, UsageError, type Command, type Io } from './io.js';
import { openStore } from './open-store.js';

const CLI_ACTOR: Actor = { id: 'cli', role: 'agency' };

const PERSONS_USAGE = `  yibao persons set FILE [--db PATH|URL]
      Set a person's registry record { id, region, scheme, category, hardship?, familyDoctorAt?,
      employment?, accountReformed?, district? } (JSON; FILE may be -): created or replaced; settles
      are checked against it and never change it. district: a registered 县区 (yibao clearing districts).
  yibao persons show ID [--db PATH|URL] [--json]
  yibao persons list [--after ID] [--limit N] [--db PATH|URL] [--json]
      The registry in id order, N (at most ${MAX_PERSONS_PAGE}, default 100) after ID.
  yibao persons identity set ID FILE [--db PATH|URL]
  yibao persons identity show ID [--db PATH|URL] [--json]
      A person's identity (人员身份信息) { psn_cert_type, certno, psn_name, gend?, brdy?, naty? } for
      1101: a resident ID (01) is checked and gives gend and brdy. The number is masked in the audit
      log and in show's line (--json prints it whole).
`;

export async function personsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean' },
      after: { type: 'string' },
      limit: { type: 'string' },
      'policy-file': { type: 'string', multiple: true },
    },
  });
  const [sub, ...rest] = positionals;
  if (sub === 'identity') {
    if (values.after !== undefined || values.limit !== undefined) throw new UsageError('--after and --limit go with persons list');
    const policies = loadPolicies({ policyFiles: pathsIn(io, values['policy-file']) ?? [] });
    return identityCommand(rest, { json: values.json === true }, io, () => openStore(values.db, io), new SettlementEngine(policies), CLI_ACTOR);
  }
  const arity = { set: 1, show: 1, list: 0 }[sub ?? ''];
  if (arity === undefined || rest.length !== arity)
    throw new UsageError('persons needs a command: set FILE | show ID | list [--after ID] [--limit N] | identity set ID FILE | identity show ID');
  if (sub !== 'list' && (values.after !== undefined || values.limit !== undefined)) throw new UsageError('--after and --limit go with persons list');
  if (sub === 'set' && values.json) throw new UsageError('persons set prints JSON already; drop --json');
  let limit = 100;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || limit < 1 || limit > MAX_PERSONS_PAGE) throw new UsageError(`--limit must be a number from 1 to ${MAX_PERSONS_PAGE}`);
  }
  const policies = loadPolicies({ policyFiles: pathsIn(io, values['policy-file']) ?? [] });
  // Validated before the ledger is opened: a bad file creates no database.
  const record = sub === 'set' ? parsePersonRecord(await readJson(rest[0] as string, io), policies) : undefined;
  const store = await openStore(values.db, io);
  try {
    const ledger = new Ledger(store, new SettlementEngine(policies));
    if (record) {
      const { person, created, changed } = await ledger.persons.set(record, CLI_ACTOR);
      printJson(io, { ...person, created, changed });
      return 0;
    }
    if (sub === 'show') {
      const person = await ledger.persons.show(rest[0] as string, CLI_ACTOR);
      if (values.json) printJson(io, person);
      else io.stdout(`${describe(person)}\n`);
      return 0;
    }
    const page = await ledger.persons.list(CLI_ACTOR, { ...(values.after !== undefined ? { after: values.after } : {}), limit });
    if (values.json) printJson(io, page);
    else {
      io.stdout(`参保人员信息 ${page.persons.length} 人${page.next !== null ? `（更多：--after ${page.next}）` : ''}\n`);
      for (const p of page.persons) io.stdout(`  ${describe(p)}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof LedgerError)) throw e;
    return printRefusal(io, { code: e.code, message: e.message }, `${e.code}: ${e.message}`);
  } finally {
    await store.close();
  }
}

/** One line a person, for a clerk. */
function describe(p: Record<string, unknown>): string {
  const parts = [`${p.region as string} ${p.scheme === 'employee' ? '职工医保' : '居民医保'} ${CATEGORY_LABELS[p.category as Category]}`];
  if (p.district !== null && p.district !== undefined) parts.push(`县区：${p.district as string}`);
  if (p.hardship !== null) parts.push(`困难群众：${HARDSHIP_LABELS[p.hardship as Hardship]}`);
  if (p.familyDoctorAt !== null) parts.push(`家庭医生签约：${p.familyDoctorAt as string}`);
  if (p.employment !== null) parts.push(EMPLOYMENT_LABELS[p.employment as Employment]);
  if (p.accountReformed !== null) parts.push(p.accountReformed ? '已调整个人账户结构' : '未调整个人账户结构');
  return `${p.id as string}：${parts.join('；')}  [更新于 ${p.updatedAt as string}]`;
}

export const PERSONS_COMMAND: Command = { name: 'persons', summary: '参保人员信息 / the person registry', usage: PERSONS_USAGE, run: personsCommand };
