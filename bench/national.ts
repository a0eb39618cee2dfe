/**
 * The hospital day over the national interface, end to end: how many national messages a served
 * store answers when several hospitals play their day at once, and what a visit settled from its
 * registration and fee details costs against a bare 2207 in the same run.
 *
 *   npm run bench:national
 *   node dist/bench/national.js --store sqlite --hospitals 8 --persons 20
 *   node dist/bench/national.js --store postgres --pg postgres://postgres@127.0.0.1:5432/test
 *
 * For each store (a fresh SQLite file, synchronous=FULL; a fresh PostgreSQL database):
 *
 * 1. `yibao keys create` an agency key and one institution key per hospital (H001…);
 * 2. `yibao serve --catalogue catalogues/sample.json` as a child process;
 * 3. the day: every hospital plays `yibao his-sim`'s day at once (src/cli/his-sim-day.ts; its own
 *    persons, seed = its number; setup with the agency key), each step checked in fen — 9001, per
 *    person 1101, 2001, 2201, 2203, 2204, 2206, 2207, 5206, 5204, 2208, a lost 2207 and its 2601,
 *    a stay 2401…2304, 3201, 9002. Every day must balance;
 * 4. the baseline, in the same run against the same server: the same number of outpatient visits
 *    as the day settled, each a bare 2207 (the hospital's own 就诊ID, the self-paid part stated in
 *    the message, no registration or details), one chain per hospital at once;
 * 5. prints messages/s of the day, visits/s of both, and the ratio of a visit's cost in the day
 *    (all its messages) to a bare 2207's.
 *
 * Exits 1 when a day did not balance or a baseline 2207 was refused.
 */
import { join } from 'node:path';
import { NationalClient, msgidGenerator } from '../src/client/client.js';
import { HisDay } from '../src/cli/his-sim-day.js';
import { itemsOf, outpatientSettle, random } from '../src/cli/his-sim-messages.js';
import { simPersons } from '../src/cli/his-sim-setup.js';
import { eachOption, fmt, storeOption } from './cli.js';
import { BIN, eachStore, onSignals, ROOT, startServer, yibao } from './serve.js';

interface Options {
  store: 'both' | 'sqlite' | 'postgres';
  hospitals: number;
  persons: number;
  pg: string;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { store: 'both', hospitals: 8, persons: 20, pg: process.env.YIBAO_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test' };
  eachOption(argv, (flag, v) => {
    if (flag === '--store') o.store = storeOption(v.next());
    else if (flag === '--hospitals') o.hospitals = v.int(1, 64);
    else if (flag === '--persons') o.persons = v.int(1, 500);
    else if (flag === '--pg') o.pg = v.next();
    else throw new Error(`unknown option ${flag} (--store, --hospitals, --persons, --pg)`);
  });
  return o;
}

interface Outcome {
  store: string;
  messages: number;
  daySeconds: number;
  dayVisits: number;
  bareVisits: number;
  bareSeconds: number;
  ok: boolean;
}

const hospital = (n: number) => `H${String(n).padStart(3, '0')}`;

async function key(db: string, ...args: string[]): Promise<string> {
  const created = await yibao(['keys', 'create', ...args, '--db', db, '--label', 'bench']);
  if (created.code !== 0) throw new Error(`keys create failed (${created.code}): ${created.stderr}`);
  return created.stdout.trim();
}

async function benchStore(label: 'sqlite' | 'postgres', db: string, shown: string, o: Options): Promise<Outcome> {
  console.log(`\n== ${label}: ${shown}`);
  const agency = await key(db, 'agency');
  const keys: string[] = [];
  for (let h = 1; h <= o.hospitals; h++) keys.push(await key(db, 'institution', '--institution', hospital(h)));
  const args = [BIN, 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', '--catalogue', join(ROOT, 'catalogues/sample.json')];
  const server = await startServer(args);
  try {
    // The day: every hospital at once.
    const days = keys.map((k, i) => new HisDay({ url: server.url, key: k, institution: hospital(i + 1), persons: o.persons, seed: i + 1, setupKey: agency }));
    const t0 = performance.now();
    const reports = await Promise.all(days.map((d) => d.run()));
    const daySeconds = (performance.now() - t0) / 1000;
    const steps = reports.flatMap((r) => r.steps);
    const dayVisits = steps.filter((s) => s.infno === '2207' || s.infno === '2304').length;
    const unbalanced = reports.filter((r) => !r.balanced);
    for (const r of unbalanced) {
      for (const s of r.steps.filter((x) => x.status !== 'balanced').slice(0, 3))
        console.log(`  ${r.institution} ${s.infno} ${s.subject}: ${s.status} ${JSON.stringify(s).slice(0, 600)}`);
      for (const line of r.setup.filter((l) => !l.includes('已登记')).slice(0, 3)) console.log(`  ${r.institution} setup: ${line.slice(0, 300)}`);
    }
    const byInfno = new Map<string, number>();
    for (const s of steps) byInfno.set(s.infno, (byInfno.get(s.infno) ?? 0) + 1);
    console.log(
      `the day: ${o.hospitals} hospitals × ${o.persons} persons at once: ${fmt(steps.length)} messages in ${fmt(daySeconds, 2)} s = ${fmt(steps.length / daySeconds)} messages/s; ${fmt(dayVisits)} settlements (2207/2304) = ${fmt(dayVisits / daySeconds)}/s; ${unbalanced.length === 0 ? 'every day balanced' : `NOT BALANCED: ${unbalanced.map((r) => r.institution).join(', ')}`}`,
    );
    console.log(
      `  messages by transaction: ${[...byInfno]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );

    // The baseline: as many bare 2207s (no 2201, no details), one chain per hospital at once.
    const perHospital = Math.max(1, Math.round(dayVisits / o.hospitals));
    let refused = 0;
    const t1 = performance.now();
    await Promise.all(
      keys.map(async (k, i) => {
        const code = hospital(i + 1);
        const client = new NationalClient({ baseUrl: server.url, apiKey: k, fixmedinsCode: code, msgid: msgidGenerator(`${code}B`), insuplcAdmdvs: '410300', timeoutMs: 30_000 });
        const persons = simPersons(o.persons, i + 1);
        const next = random(1000 + i);
        for (let v = 0; v < perHospital; v++) {
          const p = persons[v % persons.length] as (typeof persons)[number];
          try {
            await client.settle(outpatientSettle(p, `BARE-${code}-${v}`, `BB${v}`, itemsOf(next), false), {
              yibao: { institution: { tier: 'county', grade: 2, contracted: true } },
            });
          } catch (e) {
            if (refused++ === 0) console.log(`  a bare 2207 was refused: ${(e as Error).message}`);
          }
        }
      }),
    );
    const bareSeconds = (performance.now() - t1) / 1000;
    const bareVisits = perHospital * o.hospitals;
    console.log(
      `baseline: ${fmt(bareVisits)} bare 2207s, ${o.hospitals} chains at once, in ${fmt(bareSeconds, 2)} s = ${fmt(bareVisits / bareSeconds)}/s${refused ? `; ${refused} REFUSED` : ''}`,
    );
    const ratio = daySeconds / dayVisits / (bareSeconds / bareVisits);
    console.log(`a visit in the day (all its messages) costs ${fmt(ratio, 1)}× a bare 2207`);
    return { store: label, messages: steps.length, daySeconds, dayVisits, bareVisits, bareSeconds, ok: unbalanced.length === 0 && refused === 0 };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  onSignals('bench:national');
  const o = parseArgs(process.argv.slice(2));
  console.log(`yibao national-day bench: ${o.hospitals} hospitals × ${o.persons} persons, node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`);
  const outcomes = await eachStore(o.store, o.pg, (label, db, shown) => benchStore(label, db, shown, o));
  console.log('\nstore      messages/s   settlements/s   bare 2207/s   day visit ÷ bare   ok');
  for (const x of outcomes) {
    console.log(
      `${x.store.padEnd(10)} ${fmt(x.messages / x.daySeconds).padStart(10)} ${fmt(x.dayVisits / x.daySeconds).padStart(15)} ${fmt(x.bareVisits / x.bareSeconds).padStart(13)} ${`${fmt(x.daySeconds / x.dayVisits / (x.bareSeconds / x.bareVisits), 1)}×`.padStart(18)}   ${x.ok ? 'yes' : 'NO'}`,
    );
  }
  return outcomes.every((x) => x.ok) ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`bench:national: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
