/**
 * Watching the fund on a large ledger: how long the budget statements, the warnings and the
 * high-cost patients take over the entries the clearing bench loaded and kept.
 *
 *   node dist/bench/clearing.js --store sqlite --keep      # prints where the ledger is
 *   node dist/bench/budgets.js --db /dev/shm/yibao-bench-clearing-XXXXXX/ledger.db [--as-of 2024-03-31]
 *   node dist/bench/budgets.js --db postgres://postgres@127.0.0.1:5432/yibao_bench_…
 *
 * On the kept ledger (its districts registered by the clearing bench) it records one budget per
 * district for the report day's year (1.00 yuan on the district's first benefit, so that every one
 * warns; request ids `bench-budget-…`, replayed on later runs), sets the warning margin and the
 * high-cost thresholds (5,000.00 in the year, 3,000.00 in 30 days), then times:
 *   1. one district's statement (ledger.budgets.statement: the GROUP BY over the span's entries of
 *      that district's insured);
 *   2. every district's statements, the warnings' reading (one GROUP BY over all the span's entries);
 *   3. the high-cost counts by district and hardship group (one GROUP BY by person);
 *   4. the first page of the high-cost list (100 persons, with their critical-illness position).
 * Speed is measured here, never asserted.
 */
import { dayOf, formatDate, parseDate, yearOf } from '../src/calendar/calendar.js';
import { SettlementEngine } from '../src/engine/settle.js';
import { migrateToLatest, openLedgerDb } from '../src/ledger/connect.js';
import { Ledger } from '../src/ledger/ledger.js';
import type { Actor } from '../src/ledger/types.js';
import { benefitAccounts } from '../src/monitoring/budget-policy.js';
import { loadPolicies } from '../src/policy/policies.js';

const ACTOR: Actor = { id: 'bench', role: 'agency' };
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const secs = (ms: number) => `${fmt(ms / 1000, 2)} s`;
const peakRss = () => `${fmt(process.resourceUsage().maxRSS / 1024, 0)} MB`;

async function main(argv: string[]): Promise<number> {
  let db: string | undefined;
  let asOf = dayOf(2024, 3, 31);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (a === '--db' && v) db = v;
    else if (a === '--as-of' && v && parseDate(v) !== undefined) asOf = parseDate(v) as number;
    else throw new Error('usage: node dist/bench/budgets.js --db FILE|URL [--as-of YYYY-MM-DD]');
  }
  if (!db) throw new Error('--db FILE|URL: a ledger the clearing bench kept (--keep)');
  const policies = loadPolicies();
  const store = await openLedgerDb({ target: db });
  try {
    await migrateToLatest(store.db);
    const ledger = new Ledger(store, new SettlementEngine(policies));
    await ledger.ready;
    const year = yearOf(asOf);
    const n = await store.db
      .selectFrom('settlements')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    const districts = await store.db.selectFrom('districts').select(['code', 'region']).orderBy('code').execute();
    console.log(`yibao budgets bench: ${fmt(Number(n?.n))} entries, ${districts.length} districts, ${store.dialect}, as at ${formatDate(asOf)}`);
    if (districts.length === 0) throw new Error('no district is registered: run the clearing bench with --keep first');
    for (const d of districts) {
      const account = [...benefitAccounts(policies, d.region).keys()][0];
      if (!account) continue;
      await ledger.budgets.setBudget({ id: `bench-budget-${d.code}-${year}`, area: d.code, year, account, amount: 100, fromPolicy: null, note: 'bench' }, ACTOR);
    }
    await ledger.settings.set('warning', { marginBp: 1000 }, 'bench', ACTOR);
    await ledger.settings.set('high-cost', { yearBurdenFen: 500_000, window: { days: 30, burdenFen: 300_000 } }, 'bench', ACTOR);

    let t = performance.now();
    const one = await ledger.budgets.statement((districts[0] as { code: string }).code, year, asOf);
    console.log(`statement of ${one.area.code}: ${secs(performance.now() - t)} (${one.accounts.length} accounts)`);
    t = performance.now();
    const all = await ledger.budgets.statementsOfYear(asOf);
    const firing = all.reduce((k, a) => k + a.accounts.filter((s) => s.warning.evaluated && s.warning.fires).length, 0);
    console.log(`warnings of every district: ${secs(performance.now() - t)} (${all.length} districts, ${firing} warn)`);
    t = performance.now();
    const counts = await ledger.highCost.counts(asOf);
    console.log(`high-cost counts: ${secs(performance.now() - t)} (${fmt(counts.counts.reduce((k, c) => k + c.persons, 0))} persons)`);
    t = performance.now();
    const list = await ledger.highCost.list(asOf, ACTOR, { limit: 100 });
    console.log(`high-cost list, first page: ${secs(performance.now() - t)} (${list.page.entries.length} persons)`);
    console.log(`peak RSS ${peakRss()}`);
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
