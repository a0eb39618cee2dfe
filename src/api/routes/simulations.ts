/**
 * Simulations (基金测算) for the web reform builder: POST a scenario (the `yibao simulate` format,
 * as JSON) and get the report — each policy's outlay, each later policy against the first, who
 * gains and loses, a bounded summary of the per-person impacts — and the charts with the ECharts
 * option that draws each (src/sim/charts.ts), so the browser draws what `simulate --svg` draws.
 *
 * A policy may be a reform: `{ pack, overrides: { path: value }, reason, name }`, hypothetical
 * values marked as such and never saved. Over HTTP no file is read (no claims, no draft files),
 * the population is bounded, and the run happens on worker threads (off the event loop) with a
 * timeout; one simulation at a time, another is told to come back (OVERLOADED). Writes nothing;
 * the run is audited as an analysis (analysis.simulation) with the scenario's name and size.
 * Registered under /v1/simulations.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { YibaoError } from '../../errors.js';
import type { Role } from '../../ledger/keys.js';
import { barChartOption, reportCharts } from '../../sim/charts.js';
import { buildReport } from '../../sim/report.js';
import { parseScenario } from '../../sim/scenario.js';
import { simulate } from '../../sim/simulate.js';
import { errorSchema, parsedBody, type RoutePlugin } from '../context.js';

/** Who may run a simulation: the analyst and the agency. */
export const SIMULATORS: Role[] = ['analyst', 'agency'];
/** The largest synthetic population over HTTP. */
export const MAX_HTTP_PERSONS = 200_000;
/** How long a simulation may take over HTTP. */
export const SIMULATION_TIMEOUT_MS = 25_000;

/** The scenario, as `docs/simulate.md` describes it; checked in full by the scenario parser. */
const scenarioBody = z
  .looseObject({
    format: z.literal('yibao-scenario/1').meta({ description: 'yibao-scenario/1' }),
    name: z.string().optional(),
    seed: z.number().int().optional(),
    year: z.number().int().optional(),
    policies: z
      .array(
        z.union([
          z.string(),
          z.looseObject({
            pack: z.string(),
            year: z.number().int().optional(),
            name: z.string().optional(),
            overrides: z.record(z.string(), z.unknown()).optional(),
            reason: z.string().optional(),
          }),
        ]),
      )
      .meta({ description: 'The policies; the first is the base. A reform: { pack, name, overrides: { parameter path: value }, reason } (hypothetical, never saved).' }),
    population: z.looseObject({ size: z.number().int() }).meta({ description: `A synthetic population of at most ${MAX_HTTP_PERSONS.toLocaleString('en-US')} persons` }),
    visits: z.looseObject({}),
    tiers: z.looseObject({}),
  })
  .meta({ description: 'A simulation scenario (docs/simulate.md), as JSON; no claims or draft files over HTTP.' });

const EXAMPLE = {
  format: 'yibao-scenario/1',
  name: '县级起付线调至100元（假设）',
  seed: 7,
  year: 2024,
  policies: [
    'luoyang-2024',
    {
      pack: 'luoyang-2024',
      name: '调高起付线（假设）',
      overrides: { 'benefits.resident-outpatient.classes.county.deductible': 100 },
      reason: '县级起付线由50元调至100元',
    },
  ],
  population: { size: 2000 },
  visits: { perPerson: { adult: 5 } },
  tiers: { primary: { share: 50, cost: { p0: 10, p100: 200 } }, county: { share: 50, grade: 1, cost: { p0: 20, p100: 400 } } },
};

const answerSchema = z
  .looseObject({
    simulation: z.literal(true),
    /** Whether any policy is a reform draft (hypothetical values). */
    hypothetical: z.boolean(),
    report: z.looseObject({ policies: z.array(z.looseObject({})), comparisons: z.array(z.looseObject({})) }),
    charts: z.record(
      z.string(),
      z.looseObject({
        chart: z.object({ title: z.string(), unit: z.string(), groups: z.array(z.string()), series: z.array(z.object({ name: z.string(), values: z.array(z.number()) })) }),
        option: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ description: 'The simulation report (as `yibao simulate --json`) and its charts, each with the ECharts option that draws it.' });

export const simulationRoutes: RoutePlugin = async (app, { ctx }) => {
  let running = false;
  app.post(
    '',
    {
      config: { roles: SIMULATORS },
      schema: {
        summary: `基金测算 Simulate a year of a synthetic population (at most ${MAX_HTTP_PERSONS.toLocaleString('en-US')} persons) under the scenario's policies, a reform draft beside its baseline: the report with each later policy against the first, the impacts summary and the charts' ECharts options; writes nothing; audited as an analysis (analyst, agency)`,
        body: parsedBody(scenarioBody, [EXAMPLE]),
        response: { 200: answerSchema, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (req) => {
      const scenario = parseScenario(req.body, '.', { files: false, maxPersons: MAX_HTTP_PERSONS });
      if (running) throw new YibaoError('OVERLOADED', 'another simulation is running; try again shortly');
      running = true;
      let report: ReturnType<typeof buildReport>;
      try {
        const threads = Math.max(1, Math.min(4, availableParallelism() - 1));
        const run = await simulate(scenario, { threads, policyFiles: [...ctx.policyFiles], timeoutMs: SIMULATION_TIMEOUT_MS });
        report = buildReport(run);
      } finally {
        running = false;
      }
      const hypothetical = report.policies.some((p) => p.policy.draft !== null);
      ctx.reads(req, 'analysis.simulation', scenario.name.slice(0, 200), {
        persons: report.population.persons,
        policies: report.policies.map((p) => (p.policy.draft ? `${p.policy.id} (${p.policy.name}, hypothetical)` : p.policy.id)),
      });
      const charts = Object.fromEntries(Object.entries(reportCharts(report)).map(([file, chart]) => [file.replace(/\.svg$/, ''), { chart, option: barChartOption(chart) }]));
      return { simulation: true as const, hypothetical, report, charts };
    },
  );
};
