/**
 * `yibao policy check CITY --against PROVINCE [--date D] [--json]` and
 * `yibao policy diff A B [--json]` (src/analysis/).
 *
 * check exits 1 on any breach of a floor, or when no floors document of the province or no
 * document of the city is in force on the date; diff exits 0 whatever it finds. Bad input (an
 * unknown region or pack, a bad date, a region that is not the province's city) exits 2.
 */
import { chinaDay } from '../calendar/calendar.js';
import { checkAgainstFloors, renderCheck } from '../analysis/check.js';
import { diffPacks, renderDiff } from '../analysis/diff.js';
import { readCity, readDay, readPack, readProvince } from '../analysis/refs.js';
import { SettlementError } from '../engine/errors.js';
import type { PolicySet } from '../policy/registry.js';
import { EXIT_FAILED, EXIT_OK, printJson, UsageError, type Io } from './io.js';

export interface AnalysisOptions {
  against?: string | undefined;
  date?: string | undefined;
  json?: boolean | undefined;
}

const FILES = { files: true };

export function policyAnalysisCommand(sub: 'check' | 'diff', args: string[], values: AnalysisOptions, policies: PolicySet, io: Io): number {
  const print = (json: unknown, text: string) => (values.json ? printJson(io, json) : io.stdout(text));
  if (sub === 'diff') {
    if (args.length !== 2) throw new UsageError('policy diff needs two policies A B (pack ids such as luoyang-2022, or policy files)');
    if (values.against !== undefined || values.date !== undefined) throw new UsageError('policy diff takes no --against or --date');
    const report = diffPacks(readPack(args[0] as string, 'A', policies, FILES), readPack(args[1] as string, 'B', policies, FILES));
    print(report, renderDiff(report));
    return EXIT_OK;
  }
  if (args.length !== 1) throw new UsageError('policy check needs one CITY (admdvs code or name, a pack id, or a policy file)');
  if (values.against === undefined) throw new UsageError('policy check needs --against PROVINCE');
  const day = readDay(values.date, '--date', chinaDay((io.now ?? Date.now)()));
  const city = readCity(args[0] as string, 'CITY', policies, day, FILES);
  const province = readProvince(values.against, '--against', city, policies);
  try {
    const report = checkAgainstFloors(policies, city, province, day);
    print(report, renderCheck(report));
    return report.breach ? EXIT_FAILED : EXIT_OK;
  } catch (e) {
    if (!(e instanceof SettlementError)) throw e;
    if (values.json) printJson(io, { error: e.toJSON() });
    io.stderr(`yibao: ${e.code}: ${e.message}\n`);
    return EXIT_FAILED;
  }
}
