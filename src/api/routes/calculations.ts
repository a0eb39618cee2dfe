/**
 * The calculator (待遇测算): "how much will I pay" for one visit, from the documents alone — the
 * engine's settlement of the person and visit given, as if nothing had been used earlier in the
 * year (no deductible paid, no cap used), with the trace and every article it cites. Stateless
 * and public (no key): it reads no ledger and writes nothing, so it names no one and is not
 * audited. The web calculator (`/`) is its page. Registered under /v1/calculations.
 */
import { z } from 'zod';
import { formatDate } from '../../calendar/calendar.js';
import { CATEGORY_LABELS, GRADES, HARDSHIP_GROUPS, HARDSHIP_LABELS, SCHEME_CATEGORIES, SCHEMES, TIER_LABELS, TIERS, VISIT_TYPE_LABELS, VISIT_TYPES } from '../../domain.js';
import type { PolicySet } from '../../policy/registry.js';
import { isFailure, outcomeJson, settleVisits } from '../../request/settle-person.js';
import { parseSettleOne, preSettleSchema } from '../../request/settle-one.js';
import { errorSchema, parsedBody, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { entrySchema } from '../responses.js';

/** 居民医保 and 职工医保. */
const SCHEME_LABELS = { resident: '城乡居民基本医疗保险', employee: '职工基本医疗保险' } as const;
/** 未定级, 一级, 二级, 三级. */
const GRADE_LABELS = ['未定级', '一级', '二级', '三级'] as const;

const choice = z.object({ code: z.string(), label: z.string() });
const optionsSchema = z
  .object({
    regions: z.array(z.object({ code: z.string(), name: z.string(), parent: z.string().nullable(), from: z.string(), to: z.string().nullable() })).meta({
      description:
        'The regions with a policy document: code, Chinese name, the region above it, the first and last day any of its documents is in force (to null: still in force).',
    }),
    schemes: z.array(choice.extend({ categories: z.array(choice) })).meta({ description: 'The schemes, each with its categories of person.' }),
    hardshipGroups: z.array(choice),
    tiers: z.array(choice),
    grades: z.array(z.object({ code: z.number().int(), label: z.string() })),
    visitTypes: z.array(choice),
  })
  .meta({ description: "The calculator's choices, each with its Chinese label (src/domain.ts)." });

/** The calculator's choices: the regions with documents and the words of the domain, with their Chinese labels. */
export function calculationOptions(policies: PolicySet): z.infer<typeof optionsSchema> {
  const regions = policies.allRegions().map((r) => {
    const packs = policies.packs.filter((p) => p.region.code === r.code);
    const from = Math.min(...packs.map((p) => p.effective.from));
    const open = packs.some((p) => p.effective.to === null);
    const to = open ? null : Math.max(...packs.map((p) => p.effective.to ?? 0));
    return { code: r.code, name: r.name, parent: r.parent ?? null, from: formatDate(from), to: to === null ? null : formatDate(to) };
  });
  return {
    regions,
    schemes: SCHEMES.map((s) => ({ code: s, label: SCHEME_LABELS[s], categories: SCHEME_CATEGORIES[s].map((c) => ({ code: c, label: CATEGORY_LABELS[c] })) })),
    hardshipGroups: HARDSHIP_GROUPS.map((h) => ({ code: h, label: HARDSHIP_LABELS[h] })),
    tiers: TIERS.map((t) => ({ code: t, label: TIER_LABELS[t] })),
    grades: GRADES.map((g) => ({ code: g, label: GRADE_LABELS[g] })),
    visitTypes: VISIT_TYPES.map((v) => ({ code: v, label: VISIT_TYPE_LABELS[v] })),
  };
}

export const calculationRoutes: RoutePlugin = async (app, { ctx }) => {
  const engine = ctx.ledger.engine;
  const options = calculationOptions(ctx.policies);
  app.get(
    '/options',
    {
      schema: {
        summary:
          "The calculator's choices (public, no key): the regions with documents, schemes and their categories, hardship groups, institution tiers and grades, visit types, each with its Chinese label",
        response: { 200: optionsSchema, '4xx': errorSchema },
        // Public: no key (the document's default is the bearer key).
        security: [],
      },
    },
    async () => options,
  );
  app.post(
    '',
    {
      schema: {
        summary:
          'Calculate a visit from the documents alone (待遇测算; public, no key): the split — fund, critical illness, assistance, account, cash — and the trace with each article, as if it were the first visit of the year; reads and writes nothing',
        body: parsedBody(preSettleSchema, [EXAMPLES.preSettle]),
        response: { 200: entrySchema, '4xx': errorSchema },
        security: [],
      },
    },
    async (req) => {
      const one = parseSettleOne(req.body, ctx.policies, { requestIdRequired: false });
      // The personal account has no balance here: a visit asking it to pay is calculated without it.
      const visit = { ...one.visit, useAccount: false };
      const [outcome] = settleVisits(engine, { person: one.person, visits: [visit] }, { trace: true }).outcomes;
      if (!outcome) throw new Error('calculations: no outcome for the one visit');
      if (isFailure(outcome)) throw outcome.error;
      return { calculation: true, firstVisitOfYear: true, ...outcomeJson(outcome) };
    },
  );
};
