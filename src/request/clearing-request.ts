/**
 * The clearing registry's requests (清算登记) and a remittance (上解资金), as the agency sends them:
 *
 *   paying centre (医保中心)   { name, level: city | county, region, district? }   PUT /v1/clearing/centres/{id}
 *   district (县区)            { name, region, level: county | urban }             PUT /v1/clearing/districts/{code}
 *   institution's clearing     { district, centre? }                               PUT /v1/clearing/institutions/{id}
 *   remittance                 { id, district, period, amount, remittedOn, note? } POST /v1/clearing/remittances
 *
 * Centre ids and district codes are 6 to 12 letters or digits (an admdvs code such as 410381 fits);
 * an institution is any id (src/request/id.ts). A region is a code or an alias of the policies'
 * regions and is kept as its code. The path's id may be repeated in the body (`id`, `code`).
 */
import { z } from 'zod';
import { parseDate } from '../calendar/calendar.js';
import { CENTRE_LEVELS, type Centre, DISTRICT_LEVELS, type District, type InstitutionClearing } from '../clearing/centres.js';
import { parsePeriod } from '../clearing/period.js';
import type { Fen } from '../money/money.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { id, printableText } from './id.js';
import { amount, readRegion, RequestError } from './settle-request.js';

/** A centre id or district code: 6 to 12 letters or digits. */
export const clearingCode = z.string({ error: 'must be a code of 6 to 12 letters or digits' }).regex(/^[0-9A-Za-z]{6,12}$/, 'must be a code of 6 to 12 letters or digits');

const name = printableText(100).min(1, 'must not be empty');
const region = z.string({ error: 'must be a region code or name' }).meta({ description: 'A region of the policies: its code (410300) or an alias (luoyang).' });
const levelOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });

export const centreBodySchema = z.strictObject({
  id: clearingCode.optional().meta({ description: 'The path’s id, repeated (optional).' }),
  name,
  level: levelOf(CENTRE_LEVELS).meta({ description: 'city 市医保中心, county 县区医保中心' }),
  region,
  district: clearingCode.nullable().optional().meta({ description: 'A county centre’s district (registered first); none for the city centre.' }),
});

export const districtBodySchema = z.strictObject({
  code: clearingCode.optional().meta({ description: 'The path’s code, repeated (optional).' }),
  name,
  region,
  level: levelOf(DISTRICT_LEVELS).meta({ description: 'county 县（含按县管理的区）, urban 城市区' }),
});

export const institutionBodySchema = z.strictObject({
  id: id.optional().meta({ description: 'The path’s institution id, repeated (optional).' }),
  district: clearingCode.meta({ description: 'The registered district (县区) the institution is in.' }),
  centre: clearingCode.nullable().optional().meta({ description: 'The paying centre; may be left out where the policy’s rule names it (洛医保〔2023〕63号 三(二)).' }),
});

export const remittanceBodySchema = z.strictObject({
  id: id.meta({ description: 'The client’s id: the same id again is a replay (200); with other details, 409.' }),
  district: clearingCode,
  period: z.string({ error: 'must be a month YYYY-MM' }).meta({ description: 'The month the funds are for, YYYY-MM.' }),
  amount: z.union([z.number(), z.string()]).meta({ description: 'yuan, a number or a decimal string, at most two places' }),
  remittedOn: z.string({ error: 'must be a date YYYY-MM-DD' }).meta({ description: 'YYYY-MM-DD' }),
  note: printableText(500).optional(),
});

/** Checks the body, the path's id against the body's, and the region: the problems or the parsed body. */
function parseWith<S extends z.ZodType>(schema: S, body: unknown, policies: PolicySet | undefined, path: { field: string; value: string }) {
  const parsed = schema.safeParse(body ?? {});
  const raw = (body as { region?: unknown } | null)?.region;
  const { region, problem } = policies ? readRegion(raw, 'region', policies) : { region: undefined, problem: undefined };
  const problems = parsed.success ? [] : formatIssues(parsed.error.issues);
  if (problem) problems.unshift(problem);
  const given = parsed.success ? (parsed.data as Record<string, unknown>)[path.field] : undefined;
  if (given !== undefined && given !== path.value) problems.push(`${path.field}: ${String(given)} is not the one of the path (${path.value})`);
  if (problems.length > 0 || !parsed.success) throw new RequestError(problems);
  return { data: parsed.data as z.output<S>, region: region as string };
}

/** A paying centre from PUT /v1/clearing/centres/{id}. @throws RequestError naming each bad field. */
export function parseCentre(body: unknown, centreId: string, policies: PolicySet): Centre {
  const { data, region } = parseWith(centreBodySchema, body, policies, { field: 'id', value: centreId });
  return { id: centreId, name: data.name, level: data.level, region, district: data.district ?? null };
}

/** A district from PUT /v1/clearing/districts/{code}. @throws RequestError naming each bad field. */
export function parseDistrict(body: unknown, code: string, policies: PolicySet): District {
  const { data, region } = parseWith(districtBodySchema, body, policies, { field: 'code', value: code });
  return { code, name: data.name, region, level: data.level };
}

/** An institution's clearing registration from PUT /v1/clearing/institutions/{id}. @throws RequestError naming each bad field. */
export function parseInstitutionClearing(body: unknown, institutionId: string): InstitutionClearing {
  const { data } = parseWith(institutionBodySchema, body, undefined, { field: 'id', value: institutionId });
  return { institutionId, district: data.district, centreId: data.centre ?? null };
}

/** A remittance, amount in fen. */
export interface RemittanceRequest {
  id: string;
  district: string;
  period: string;
  amount: Fen;
  remittedOn: string;
  note: string | null;
}

/**
 * A remittance from POST /v1/clearing/remittances.
 *
 * @throws RequestError naming each bad field (an amount that is not yuan with two decimals
 *   among them); PeriodError (INVALID_PERIOD) for a period that is not a month.
 */
export function parseRemittance(body: unknown): RemittanceRequest {
  const parsed = remittanceBodySchema.safeParse(body ?? {});
  if (!parsed.success) throw new RequestError(formatIssues(parsed.error.issues));
  const r = parsed.data;
  const problems: string[] = [];
  const fen = amount.safeParse(r.amount);
  if (!fen.success) problems.push(...formatIssues(fen.error.issues, 'amount'));
  if (parseDate(r.remittedOn) === undefined) problems.push(`remittedOn: must be a real date YYYY-MM-DD, got ${JSON.stringify(r.remittedOn)}`);
  if (problems.length > 0 || !fen.success) throw new RequestError(problems);
  parsePeriod(r.period);
  return { id: r.id, district: r.district, period: r.period, amount: fen.data, remittedOn: r.remittedOn, note: r.note ?? null };
}
