/**
 * The calculator (待遇测算): "how much will I pay" for one visit, from the documents alone — the
 * engine's settlement of the person and visit given, as if nothing had been used earlier in the
 * year (no deductible paid, no cap used), with the trace and every article it cites. Stateless
 * and public (no key): it reads no ledger and writes nothing, so it names no one and is not
 * audited. The web calculator (`/`) is its page. Registered under /v1/calculations.
 */
import { isFailure, outcomeJson, settleVisits } from '../../request/settle-person.js';
import { parseSettleOne, preSettleSchema } from '../../request/settle-one.js';
import { errorSchema, parsedBody, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { entrySchema } from '../responses.js';

export const calculationRoutes: RoutePlugin = async (app, { ctx }) => {
  const engine = ctx.ledger.engine;
  app.post(
    '',
    {
      schema: {
        summary:
          'Calculate a visit from the documents alone (待遇测算; public, no key): the split — fund, critical illness, assistance, account, cash — and the trace with each article, as if it were the first visit of the year; reads and writes nothing',
        body: parsedBody(preSettleSchema, [EXAMPLES.preSettle]),
        response: { 200: entrySchema, '4xx': errorSchema },
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
