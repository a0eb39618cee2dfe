/**
 * Simulation throughput: generates and settles a year of synthetic outpatient visits (by default
 * 1,000,000 persons, about 10 visits each, under luoyang-2024) on worker threads, and prints
 * visits per second, wall time, peak memory (RSS of the whole process, every thread included:
 * process.resourceUsage().maxRSS) and the threads used.
 *
 *   npm run bench:sim
 *   node dist/bench/sim.js --persons 1000000 --threads 2 --policies luoyang-2024
 *   node dist/bench/sim.js --policies luoyang-2022,luoyang-2024      # the comparison: every visit settled twice
 *
 * The wall time runs from reading the scenario to the merged totals (thread start-up, policy
 * loading in each thread, generation and settlement); building the report is timed apart.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { progressBar } from '../src/cli/simulate-command.js';
import { buildReport } from '../src/sim/report.js';
import { readScenario } from '../src/sim/scenario.js';
import { simulate } from '../src/sim/simulate.js';

interface Options {
  scenario: string;
  persons: number;
  threads: number;
  policies: string[];
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { scenario: 'examples/simulate-luoyang-2024.yaml', persons: 1_000_000, threads: availableParallelism(), policies: ['luoyang-2024'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    const int = () => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${a}: not a whole number: ${v}`);
      return n;
    };
    switch (a) {
      case '--scenario':
        o.scenario = v;
        break;
      case '--persons':
        o.persons = int();
        break;
      case '--threads':
        o.threads = int();
        break;
      case '--policies':
        o.policies = v.split(',').filter((p) => p !== '');
        break;
      default:
        throw new Error(`unknown option ${a} (options: --scenario --persons --threads --policies)`);
    }
  }
  return o;
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

export async function main(argv: readonly string[]): Promise<void> {
  const o = parseArgs(argv);
  const loadBefore = loadavg()[0] as number;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const scenario = readScenario(o.scenario);
  if (scenario.population.kind !== 'synthetic') throw new Error('the bench needs a synthetic scenario');
  scenario.population.size = o.persons;
  scenario.policies = o.policies.map((pack) => ({ pack }));
  const bar = process.stderr.isTTY ? progressBar((t) => process.stderr.write(t)) : undefined;
  const run = await simulate(scenario, { threads: o.threads, ...(bar ? { progress: bar.update } : {}) });
  bar?.end();
  const settled = performance.now();
  const report = buildReport(run);
  const reported = performance.now();
  const wall = (settled - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const visits = run.totals.visits;
  const settlements = run.policies.length * visits;
  const rss = process.resourceUsage().maxRSS;
  console.log(
    `node ${process.version}, ${cpus().length} cores (${availableParallelism()} available), ${run.threads} worker thread(s); scenario ${o.scenario}, seed ${scenario.seed}`,
  );
  console.log(
    `persons ${run.totals.persons.toLocaleString('en-US')}, visits ${visits.toLocaleString('en-US')}, policies ${run.policies.map((p) => `${p.packId} (${p.year})`).join(', ')}`,
  );
  console.log(
    `wall ${wall.toFixed(2)} s (generate + settle); ${Math.round(visits / wall).toLocaleString('en-US')} visits/s; ${Math.round(settlements / wall).toLocaleString('en-US')} settlements/s`,
  );
  console.log(`report ${((reported - settled) / 1000).toFixed(2)} s; peak RSS ${mb(rss)} (process.resourceUsage().maxRSS, all threads)`);
  // Other work on the machine shows here: CPU time well below threads × wall means the threads waited for a core.
  console.log(
    `CPU ${cpuSeconds.toFixed(2)} s (user + system, all threads, report included) = ${(cpuSeconds / wall).toFixed(2)} cores busy on average; load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after`,
  );
  console.log(`checksum: fund ${report.policies.map((p) => `${p.policy.id} ${p.fund.total.toFixed(2)}`).join(', ')} yuan`);
  const target = visits >= 10_000_000 && run.totals.persons >= 1_000_000;
  if (target) console.log(`target (10M visits, 1M persons, < 5 s, < 2 GB): ${wall < 5 && rss < 2 * 1024 * 1024 ? 'met' : 'NOT met'}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exitCode = 1;
  });
}
