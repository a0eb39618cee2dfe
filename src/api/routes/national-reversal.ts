/**
 * The national interface: 2601 冲正交易 (issue 15; the Hunan edition of the national interface
 * specification (V1.1.27), 【2601】).
 *
 *   POST /v1/national/2601  冲正交易 → ledger.national.reversals.reverse
 *
 * The original (2207 门诊结算, 2304 住院结算, 2401 入院办理) named by oinfno and omsgid at the
 * message's institution is reversed exactly once, whatever the retries and their msgids; a 2601
 * that comes before its original is kept, and the original is refused when it arrives
 * (REVERSED_BY_2601). The spec gives no output: `output` is null and `yibao` says what was done.
 */
import { nationalReversalEnvelope } from '../../national/reversal-answer.js';
import { parseNationalReversal, reversalBodySchema } from '../../national/reversal-input.js';
import { parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { checkInstitution, nationalEnvelope, refusalEnvelopeSchema } from '../national-envelope.js';
import { envelopeSchema } from '../responses.js';

const EXAMPLE = {
  infno: '2601',
  msgid: 'H1202403021000260101',
  fixmedins_code: 'H1',
  inf_time: '2024-03-02 10:05:00',
  input: { data: { psn_no: 'P-0002', omsgid: 'H1202403021000220701', oinfno: '2207' } },
};

export const nationalReversalRoutes: RoutePlugin = async (scope, { ctx }) => {
  const ok = nationalEnvelope(scope, ctx);
  scope.post(
    '/2601',
    {
      config: { roles: PERSONAL },
      schema: {
        summary: '冲正交易 (2601): reverses the original 2207/2304 settlement or cancels the 2401 admission, exactly once; before the original, the original is refused',
        tags: ['national'],
        body: parsedBody(reversalBodySchema, [EXAMPLE]),
        response: { 200: envelopeSchema, 201: envelopeSchema, '4xx': refusalEnvelopeSchema },
      },
      preHandler: async (req) => checkInstitution(req.actor, parseNationalReversal(req.body).fixmedinsCode),
    },
    async (req, reply) => {
      const m = parseNationalReversal(req.body);
      const outcome = await ctx.ledger.national.reversals.reverse(
        { institutionId: m.fixmedinsCode, psnNo: m.psnNo, oinfno: m.oinfno, omsgid: m.omsgid, msgid: m.msgid },
        req.actor,
      );
      return ok(req, reply, outcome.created ? 201 : 200, null, nationalReversalEnvelope(outcome));
    },
  );
};
