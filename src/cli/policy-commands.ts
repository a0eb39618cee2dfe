/**
 * `yibao policy list | show | missing | check | diff`: the policy documents yibao implements.
 */
import { parseArgs } from 'node:util';
import { chinaDay, formatDate, parseDate } from '../calendar/calendar.js';
import { missingParameters, packRows, renderShow, showPack } from '../policy/show.js';
import { policiesFrom } from './file-commands.js';
import { EXIT_FAILED, EXIT_OK, printJson, UsageError, type Command, type Io } from './io.js';
import { policyAnalysisCommand } from './policy-analysis-commands.js';

function policyCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'policy-file': { type: 'string', multiple: true },
      date: { type: 'string' },
      json: { type: 'boolean' },
      against: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...rest] = positionals;
  const policies = policiesFrom(values['policy-file'], io);
  if (sub === 'check' || sub === 'diff') return policyAnalysisCommand(sub, rest, values, policies, io);
  if (values.against !== undefined) throw new UsageError('--against goes with policy check');
  if (sub === 'list') {
    if (rest.length > 0) throw new UsageError('policy list takes no arguments');
    const rows = packRows(policies.packs);
    if (values.json) printJson(io, rows);
    else {
      for (const r of rows) {
        io.stdout(`${r.region} ${r.regionName.padEnd(4, '　')} ${r.document}\n`);
        io.stdout(
          `    ${r.id} · ${r.schemes.join('/')} · ${r.from} – ${r.to ?? ''} · ${r.parameters} parameters · ${r.role === 'floors' ? 'provincial floors and payment periods' : r.benefits.join(', ') || 'parameters only'}\n`,
        );
      }
    }
    return EXIT_OK;
  }
  if (sub === 'show') {
    if (rest.length !== 1) throw new UsageError('policy show needs one REGION (admdvs code or name)');
    const code = policies.regionCode(rest[0] as string);
    if (!code) {
      throw new UsageError(
        `unknown region ${JSON.stringify(rest[0])}; known: ${policies
          .allRegions()
          .map((r) => `${r.code} ${r.name}`)
          .join(', ')}`,
      );
    }
    let day: number;
    if (values.date !== undefined) {
      const d = parseDate(values.date);
      if (d === undefined) throw new UsageError(`--date must be a real date YYYY-MM-DD, got ${JSON.stringify(values.date)}`);
      day = d;
    } else day = chinaDay((io.now ?? Date.now)());
    if (values.json) {
      const chain = policies.chain(code, day);
      printJson(io, { region: code, date: formatDate(day), inForce: chain.map((p) => showPack(p, day)) });
    } else io.stdout(renderShow(policies, code, day));
    return policies.chain(code, day).length > 0 ? EXIT_OK : EXIT_FAILED;
  }
  if (sub === 'missing') {
    if (rest.length > 1) throw new UsageError('policy missing takes at most one REGION');
    let packs = policies.packs;
    if (rest.length === 1) {
      const code = policies.regionCode(rest[0] as string);
      if (!code)
        throw new UsageError(
          `unknown region ${JSON.stringify(rest[0])}; known: ${policies
            .allRegions()
            .map((r) => `${r.code} ${r.name}`)
            .join(', ')}`,
        );
      packs = packs.filter((p) => p.region.code === code);
    }
    const missing = missingParameters(packs);
    if (values.json) printJson(io, missing);
    else if (missing.length === 0) io.stdout('No parameter is missing: every one the packs name has a value.\n');
    else {
      let pack = '';
      for (const m of missing) {
        if (m.pack !== pack) {
          io.stdout(`${m.document} (${m.pack})\n`);
          pack = m.pack;
        }
        io.stdout(`  ${m.path}  ${m.label}  ${m.from} – ${m.to ?? ''}\n    ${m.citation}: ${m.reason}\n`);
      }
    }
    return EXIT_OK;
  }
  throw new UsageError(sub ? `unknown policy command ${JSON.stringify(sub)}` : 'policy needs a command: list, show, missing, check or diff');
}

export const POLICY_COMMAND: Command = {
  name: 'policy',
  summary: '政策文件：列表、参数、缺失、对照、差异 / the policy documents',
  usage: `  yibao policy list [--policy-file F]...
      The policy documents yibao implements, with their regions and dates.
  yibao policy missing [REGION] [--json] [--policy-file F]...
      The parameters the documents leave open and no user policy file has supplied yet: a
      settlement that needs one fails with MISSING_PARAMETER naming it.
  yibao policy show REGION [--date YYYY-MM-DD] [--json] [--policy-file F]...
      The parameters in force in REGION (admdvs code or name, e.g. 410300 or luoyang) on a date
      (default today), each with its source.
  yibao policy check CITY --against PROVINCE [--date YYYY-MM-DD] [--json] [--policy-file F]...
      Every provincial floor in force on the date (default today) against the city's value, with
      both citations: meets, breach, differs (a value the province gives as 左右 "about"), or
      not comparable (and why). CITY: a region, a pack id or a policy file (e.g. a draft). Exit 1
      on any breach.
  yibao policy diff A B [--json] [--policy-file F]...
      Parameters added, removed and changed from A to B (pack ids such as luoyang-2022, policy
      files, or a user policy file over its pack), with both citations and dates; a benefit whose
      institution classes changed is also compared tier by tier.
`,
  run: policyCommand,
};
