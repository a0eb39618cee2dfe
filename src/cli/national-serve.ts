/**
 * `yibao serve`'s national options (issue 15): how the service speaks the national interface.
 *
 *   --national-status http|platform   (YIBAO_NATIONAL_STATUS)   a refusal's HTTP status, or 200 with infcode -1
 *   --require-sign-in                 (YIBAO_REQUIRE_SIGN_IN=1) every message but 9001 carries a live sign_no
 *   --catalogue FILE                  (YIBAO_CATALOGUE)         the catalogue fee details are priced by
 *   --codes EDITION|FILE              (YIBAO_CODES)             the code tables' edition (national, hunan-v1.1.27, or a file)
 *   --national-amounts number|text    (YIBAO_NATIONAL_AMOUNTS)  the answers' 数值型 fields as numbers (default) or text
 */
import { readFileSync } from 'node:fs';
import { parseCatalogue } from '../catalogue/load.js';
import type { Catalogue } from '../catalogue/types.js';
import { loadCodeEdition, NATIONAL_CODES, type CodeEdition } from '../national/code-editions.js';
import type { NationalOptions } from '../national/options.js';
import { pathIn, UsageError, type Io } from './io.js';

/** The flags' parseArgs options. */
export const NATIONAL_SERVE_FLAGS = {
  'national-status': { type: 'string' },
  'require-sign-in': { type: 'boolean' },
  catalogue: { type: 'string' },
  codes: { type: 'string' },
  'national-amounts': { type: 'string' },
} as const;

/** A yes/no environment variable: 1/true/yes or 0/false/no (or unset: no). */
function envYes(name: string, env: NodeJS.ProcessEnv): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  throw new UsageError(`${name} must be 1 or 0 (true or false), got ${JSON.stringify(env[name])}`);
}

/** The national options the flags (else the environment) ask for, and the start line saying them. */
export function nationalServeOptions(
  values: {
    'national-status'?: string | undefined;
    'require-sign-in'?: boolean | undefined;
    catalogue?: string | undefined;
    codes?: string | undefined;
    'national-amounts'?: string | undefined;
  },
  env: NodeJS.ProcessEnv,
  io: Io,
): { national: NationalOptions; line: string } {
  const status = values['national-status'] ?? env.YIBAO_NATIONAL_STATUS ?? 'http';
  if (status !== 'http' && status !== 'platform') throw new UsageError(`--national-status (or YIBAO_NATIONAL_STATUS) must be http or platform, got ${JSON.stringify(status)}`);
  const amounts = values['national-amounts'] ?? env.YIBAO_NATIONAL_AMOUNTS ?? 'number';
  if (amounts !== 'number' && amounts !== 'text') throw new UsageError(`--national-amounts (or YIBAO_NATIONAL_AMOUNTS) must be number or text, got ${JSON.stringify(amounts)}`);
  const requireSignIn = values['require-sign-in'] ?? envYes('YIBAO_REQUIRE_SIGN_IN', env);
  const catalogueFile = values.catalogue ?? (env.YIBAO_CATALOGUE || undefined);
  let catalogue: Catalogue | undefined;
  if (catalogueFile !== undefined) {
    const file = pathIn(io, catalogueFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--catalogue (or YIBAO_CATALOGUE): cannot read ${file}: ${(e as Error).message}`);
    }
    catalogue = parseCatalogue(text, file);
  }
  const codesArg = values.codes ?? (env.YIBAO_CODES || undefined);
  let codes: CodeEdition = NATIONAL_CODES;
  if (codesArg !== undefined) codes = loadCodeEdition(/[/\\]|\.json$/.test(codesArg) ? pathIn(io, codesArg) : codesArg);
  const line =
    `national: status ${status === 'platform' ? 'platform (every answer HTTP 200, a refusal infcode -1)' : 'http (a refusal keeps its HTTP status)'}; ` +
    `sign-in ${requireSignIn ? 'required (every message but 9001 carries a live sign_no)' : 'not required'}; ` +
    `catalogue ${catalogue ? `${catalogue.name}${catalogue.sample ? ' (a sample)' : ''}, ${catalogue.items.size} items` : 'none (every fee detail self-paid)'}; ` +
    `codes ${codes.name} (${codes.title}); ` +
    `amounts ${amounts === 'number' ? 'numbers with their decimals (300.00)' : 'text ("300.00")'}\n`;
  return { national: { statusMode: status, requireSignIn, catalogue, codes, amounts }, line };
}
