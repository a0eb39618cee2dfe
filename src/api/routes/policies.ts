/**
 * The policy documents over HTTP (the web policy browser's reads): every pack (`yibao policy
 * list`), a pack's parameters with value, article, quote and dates, the chain in force for a region
 * on a date (`yibao policy show`), what the documents leave open (`yibao policy missing`) — public,
 * as the documents are; and the analyses, as `yibao policy check` and `yibao policy diff`
 * (src/analysis/): a city's policies against its province's floors on a date, and what changed
 * between two policy packs. No personal data: every role may ask. Packs are named by id only (no files).
 *
 * A check that finds a breach still answers 200 (`breach: true`): the analysis succeeded. No floors
 * document or no city document in force on the date is 422 NO_POLICY_IN_FORCE. Registered under
 * /v1/policies.
 */
import { z } from 'zod';
import { checkAgainstFloors } from '../../analysis/check.js';
import { diffPacks } from '../../analysis/diff.js';
import { readCity, readDay, readPack, readProvince } from '../../analysis/refs.js';
import { chinaDay, formatDate } from '../../calendar/calendar.js';
import { YibaoError } from '../../errors.js';
import { missingParameters, packRows, showPack } from '../../policy/show.js';
import { ISO_DATE_TEXT } from '../../policy/schema.js';
import { ID_MAX } from '../../request/id.js';
import { ANALYSTS, errorSchema, idParam, type RoutePlugin } from '../context.js';
import { policyCheckSchema, policyDiffSchema } from '../responses.js';

/** `?city=luoyang&against=henan&date=2024-06-01`. */
export const checkQuery = z.strictObject({
  city: z.string({ error: 'is required: the city (admdvs code or name, or a policy pack id)' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
  against: z.string({ error: 'is required: the province (admdvs code or name)' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
  date: z.string().regex(ISO_DATE_TEXT, 'must be a date YYYY-MM-DD').optional(),
});

/** `?a=luoyang-2022&b=luoyang-2024`. */
export const diffQuery = z.strictObject({
  a: z.string({ error: 'is required: a policy pack id' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
  b: z.string({ error: 'is required: a policy pack id' }).min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`),
});

/** `?date=2024-06-01` (default: today, China time). */
const dateQuery = z.strictObject({ date: z.string().regex(ISO_DATE_TEXT, 'must be a date YYYY-MM-DD').optional() });
/** `?region=410300` (a region's packs only). */
const missingQuery = z.strictObject({ region: z.string().min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`).optional() });
const regionParam = z.strictObject({ region: z.string().min(1).max(ID_MAX, `must be at most ${ID_MAX} characters`) });

/** The policy documents themselves (the policy browser's reads): public, as the documents are. */
const browseSchema = z.looseObject({}).meta({ description: 'Policy packs, parameters, versions and citations (src/policy/show.ts)' });

export const policyRoutes: RoutePlugin = async (app, { ctx }) => {
  /** A region by code, name or alias; 404 naming the known ones. */
  const regionOf = (raw: string): string => {
    const code = ctx.policies.regionCode(raw);
    if (!code) {
      throw new YibaoError(
        'NOT_FOUND',
        `region ${JSON.stringify(raw)} is not one of the policies' regions: ${ctx.policies
          .allRegions()
          .map((r) => `${r.code} ${r.name}`)
          .join(', ')}`,
      );
    }
    return code;
  };

  app.get(
    '',
    {
      schema: {
        summary: 'Every policy document yibao implements (public): id, document number and title, region, schemes, dates in force, benefits, parameter count',
        response: { 200: browseSchema, '4xx': errorSchema },
      },
    },
    async () => ({ packs: packRows(ctx.policies.packs) }),
  );

  app.get(
    '/missing',
    {
      schema: {
        summary:
          'Every parameter the documents leave open (public): what a settlement needing it refuses with MISSING_PARAMETER until a user policy file supplies it, with the article',
        querystring: missingQuery,
        response: { 200: browseSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const region = req.query.region === undefined ? undefined : regionOf(req.query.region);
      return { missing: missingParameters(region === undefined ? ctx.policies.packs : ctx.policies.packs.filter((p) => p.region.code === region)) };
    },
  );

  app.get(
    '/packs/:id',
    {
      schema: {
        summary: "A policy pack's parameters (public): value, unit, article, the document's own sentence, dates; on ?date= the versions in force that day, else every version",
        params: idParam,
        querystring: dateQuery,
        response: { 200: browseSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const pack = ctx.policies.packs.find((p) => p.id === req.params.id);
      if (!pack) throw new YibaoError('NOT_FOUND', `params.id: no policy pack ${req.params.id}; known: ${ctx.policies.packs.map((p) => p.id).join(', ')}`);
      return { ...showPack(pack, req.query.date === undefined ? undefined : readDay(req.query.date, 'query.date', 0)) };
    },
  );

  app.get(
    '/regions/:region',
    {
      schema: {
        summary: 'The policies in force for a region on a date (public; default today): each pack of the chain (province, city) with its parameters and citations',
        params: regionParam,
        querystring: dateQuery,
        response: { 200: browseSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const code = regionOf(req.params.region);
      const day = readDay(req.query.date, 'query.date', chinaDay(Date.now()));
      return { region: code, date: formatDate(day), inForce: ctx.policies.chain(code, day).map((p) => showPack(p, day)) };
    },
  );

  app.get(
    '/check',
    {
      config: { roles: ANALYSTS },
      schema: {
        summary: "A city's policies against its province's floors (省级底线标准) on a date (default today), each line with both values, both citations and a verdict",
        querystring: checkQuery,
        response: { 200: policyCheckSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const q = req.query;
      const day = readDay(q.date, 'query.date', chinaDay(Date.now()));
      const city = readCity(q.city, 'query.city', ctx.policies, day, { files: false });
      return checkAgainstFloors(ctx.policies, city, readProvince(q.against, 'query.against', city, ctx.policies), day);
    },
  );

  app.get(
    '/diff',
    {
      config: { roles: ANALYSTS },
      schema: {
        summary: 'Parameters added, removed and changed from policy pack a to policy pack b, with both citations and dates',
        querystring: diffQuery,
        response: { 200: policyDiffSchema, '4xx': errorSchema },
      },
    },
    async (req) => diffPacks(readPack(req.query.a, 'query.a', ctx.policies, { files: false }), readPack(req.query.b, 'query.b', ctx.policies, { files: false })),
  );
};
