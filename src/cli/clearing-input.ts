/**
 * The clearing registry's input files (清算登记), as `yibao clearing … set FILE` and `yibao
 * clearing remit FILE` read them: a paying centre (医保中心), a county or district (县区), an
 * institution's district and centre, remitted funds (上解资金). Validated with zod, every bad field
 * named (exit 2); the ledger checks the rest (registered district, the policy's rule).
 */
import { z } from 'zod';
import { CENTRE_LEVELS, DISTRICT_LEVELS, type Centre, type District, type InstitutionClearing } from '../clearing/centres.js';
import { parsePeriod } from '../clearing/period.js';
import { formatDate } from '../calendar/calendar.js';
import type { Remittance } from '../ledger/clearing-registry.js';
import type { PolicySet } from '../policy/registry.js';
import { formatIssues } from '../policy/schema.js';
import { id, printableText } from '../request/id.js';
import { amount, dateText, enumOf, parseWithRegion, RequestError } from '../request/settle-request.js';

/** A district code (县区编码): letters and digits, at most 12, as a person's `district`. */
const code = z.string({ error: 'must be a district code' }).regex(/^[0-9A-Za-z]{1,12}$/, { error: 'must be a district code (letters and digits, at most 12)' });
const name = printableText(100).min(1, 'must not be empty');
const region = z.string({ error: 'must be a region (admdvs code or alias)' });
const period = z.string({ error: 'must be a month YYYY-MM' }).refine(
  (v) => {
    try {
      parsePeriod(v);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be a month YYYY-MM (2000-01 … 2099-12)' },
);

const centreSchema = z.strictObject({ id, name, level: enumOf(CENTRE_LEVELS), region, district: code.nullable().optional() });
const districtSchema = z.strictObject({ code, name, region, level: enumOf(DISTRICT_LEVELS) });
const institutionSchema = z.strictObject({ institution: id, district: code, centre: id.nullable().optional() });
const remittanceSchema = z.strictObject({
  id,
  district: code,
  period,
  amount,
  remittedOn: dateText,
  note: printableText(500).nullable().optional(),
});

/** The region's problem, if any, else the parsed record with the region's code. */
function withRegion<S extends z.ZodType<{ region: string }>>(schema: S, data: unknown, policies: PolicySet): z.output<S> {
  const { parsed, region, problems } = parseWithRegion(schema, data, (data as { region?: unknown } | null)?.region, 'region', policies);
  if (problems.length > 0 || region === undefined) throw new RequestError(problems.length > 0 ? problems : ['region: required']);
  return Object.assign(parsed, { region });
}

/** A paying centre: `{ id, name, level: city | county, region, district? }` (a county centre names its district). */
export function parseCentre(data: unknown, policies: PolicySet): Centre {
  const c = withRegion(centreSchema, data, policies);
  return { id: c.id, name: c.name, level: c.level, region: c.region, district: c.district ?? null };
}

/** A county or district: `{ code, name, region, level: county | urban }`. */
export function parseDistrict(data: unknown, policies: PolicySet): District {
  const d = withRegion(districtSchema, data, policies);
  return { code: d.code, name: d.name, region: d.region, level: d.level };
}

function parse<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw new RequestError(formatIssues(r.error.issues));
  return r.data;
}

/** An institution's registration: `{ institution, district, centre? }` (centre left out: the policy's rule names it). */
export function parseInstitution(data: unknown): InstitutionClearing {
  const r = parse(institutionSchema, data);
  return { institutionId: r.institution, district: r.district, centreId: r.centre ?? null };
}

/** Remitted funds: `{ id, district, period, amount (yuan), remittedOn, note? }`. */
export function parseRemittance(data: unknown): Remittance {
  const r = parse(remittanceSchema, data);
  return { id: r.id, district: r.district, period: r.period, amount: r.amount, remittedOn: formatDate(r.remittedOn), note: r.note ?? null };
}
