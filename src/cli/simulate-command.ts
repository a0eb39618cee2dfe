/**
 * `yibao simulate SCENARIO [--json] [--svg DIR] [--impacts FILE.csv] [--threads N] [--policy-file F]...`
 *
 * Exit codes as the other commands: 0 the report is printed (visits the policies cannot settle are
 * counted in it); 2 the scenario, its claims file or the arguments are invalid: every problem on
 * stderr, naming the field or CSV line, nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { writeImpactsCsv } from '../sim/impacts.js';
import { buildReport, type SimulationReport } from '../sim/report.js';
import { renderReport } from '../sim/render.js';
import { readScenario, ScenarioError } from '../sim/scenario.js';
import { simulate } from '../sim/simulate.js';
import { writeCharts } from '../sim/svg.js';
import { EXIT_INVALID, EXIT_OK, pathIn, printJson, UsageError, type Command, type Io } from './io.js';

/** A progress bar redrawn in place on stderr, at most every 100 ms. */
export function progressBar(write: (text: string) => void): { update: (done: number, visits: number, of: number) => void; end: () => void } {
  let last = 0;
  let drawn = false;
  const started = Date.now();
  return {
    update(done, visits, of) {
      const now = Date.now();
      if (now - last < 100 && done < of) return;
      last = now;
      const cells = 30;
      const filled = of === 0 ? cells : Math.floor((done / of) * cells);
      const seconds = (now - started) / 1000;
      write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}] ${done.toLocaleString('en-US')}/${of.toLocaleString('en-US')} persons, ${visits.toLocaleString('en-US')} visits, ${seconds.toFixed(1)} s`,
      );
      drawn = true;
    },
    end() {
      if (drawn) write('\n');
    },
  };
}

export async function simulateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      svg: { type: 'string' },
      impacts: { type: 'string' },
      threads: { type: 'string' },
      'policy-file': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('simulate needs exactly one SCENARIO file (YAML or JSON)');
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!/^[0-9]+$/.test(values.threads) || threads > 64)
      throw new UsageError(`--threads must be a whole number 0–64 (0: no worker threads), got ${JSON.stringify(values.threads)}`);
  }
  const bar = io.stderrIsTTY ? progressBar(io.stderr) : undefined;
  let report: SimulationReport;
  try {
    const scenario = readScenario(pathIn(io, positionals[0] as string));
    const run = await simulate(scenario, {
      ...(threads !== undefined ? { threads } : {}),
      policyFiles: (values['policy-file'] ?? []).map((f) => pathIn(io, f)),
      ...(bar ? { progress: bar.update } : {}),
    });
    bar?.end();
    report = buildReport(run);
    if (values.impacts !== undefined) {
      const rows = writeImpactsCsv(run, pathIn(io, values.impacts));
      io.stderr(`yibao: per-person impacts written: ${values.impacts} (${rows.toLocaleString('en-US')} rows)\n`);
    }
  } catch (e) {
    bar?.end();
    if (e instanceof ScenarioError) {
      io.stderr(`yibao: invalid scenario:\n  ${e.problems.join('\n  ')}\n`);
      return EXIT_INVALID;
    }
    throw e;
  }
  if (values.json) printJson(io, report);
  else io.stdout(renderReport(report));
  if (values.svg !== undefined) {
    const files = writeCharts(report, pathIn(io, values.svg));
    io.stderr(`yibao: charts written: ${files.join(', ')}\n`);
  }
  return EXIT_OK;
}

export const SIMULATE_COMMAND: Command = {
  name: 'simulate',
  summary: "基金测算 / simulate a year of a population's visits",
  usage: `  yibao simulate SCENARIO [--json] [--svg DIR] [--impacts FILE.csv] [--threads N] [--policy-file F]...
      Settle a year of a population's visits under one or more policies (a YAML or JSON scenario:
      a seeded synthetic population, or real claims from a CSV file; see examples/simulate-*.yaml).
      Reports the fund's outlay (total, per capita, by tier, month, category, benefit), the share
      of people reaching each cap, what people pay themselves (percentiles, histogram), outlay
      against contributions, the student outpatient budget, and each policy against the first.
      A policy may be a reform draft: { pack, draft: FILE } or { pack, overrides: { path: value },
      reason, name }, hypothetical values over that entry only (marked 假设（改革草案）).
      --json prints the report as JSON; --svg DIR writes charts there; --impacts FILE.csv writes
      each person's out-of-pocket and fund pay under each later policy against the first (UTF-8
      with BOM); --threads N worker threads (default: every core; 0: none). Progress on stderr when it is a terminal.
`,
  run: simulateCommand,
};
