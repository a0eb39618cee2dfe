/**
 * The national supervision transactions in the platform's envelope, beside the settle ones
 * (routes/national.ts), registered under /v1/national:
 *
 *   POST /v1/national/3101  明细审核事前分析服务 → ledger.supervision.check: the leads the visits
 *                           would raise against each person's history; nothing is stored (the
 *                           call is audited as a read of personal data, `read.national-3101`)
 *   POST /v1/national/3102  明细审核事中分析服务 → ledger.supervision.checkInProcess: the same, and
 *                           the leads are kept as findings (jr_id is the finding's id; audited)
 *
 * The message is 表128–133 (src/national/supervision-input.ts); the answer's `output.result` is
 * one 表134 row a lead, with its 表135 details. An institution key checks its own visits only: the
 * envelope's fixmedins_code and each checked encounter's medins_id must be its institution (403);
 * for any key, a checked encounter's medins_id must be the fixmedins_code (400). Refusals as the other national routes: infcode -1, err_msg in Chinese (src/national/err-msg.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { YibaoError } from '../../errors.js';
import type { Actor } from '../../ledger/ledger.js';
import type { CheckLead } from '../../ledger/supervision-types.js';
import { type JudgeResult, supervisionResult } from '../../monitoring/supervision-result.js';
import { RequestError } from '../../request/settle-request.js';
import {
  checkVisitsOf,
  parseNationalSupervision,
  SUPERVISION_BODY_LIMIT,
  SUPERVISION_INTERFACE_NAMES,
  SUPERVISION_INTERFACES,
  type SupervisionBody,
  type SupervisionInterface,
  supervisionBodySchema,
} from '../../national/supervision-input.js';
import { parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { envelopeSchema } from '../responses.js';
import { nationalEnvelope, refusalEnvelopeSchema } from '../national-envelope.js';

/** An institution key checks its own visits only: the envelope's fixmedins_code and each current encounter's medins_id. */
function checkOwn(actor: Actor, body: SupervisionBody): void {
  if (actor.role !== 'institution') return;
  const own = actor.institutionId;
  if (own !== body.fixmedins_code) throw new YibaoError('FORBIDDEN', `fixmedins_code: an institution key for ${own} checks only its own visits, not ${body.fixmedins_code}'s`);
  body.input.data.patient_dtos.forEach((p, i) => {
    const j = p.fsi_encounter_dtos.findIndex((e) => e.mdtrt_id === p.curr_mdtrt_id);
    const e = p.fsi_encounter_dtos[j];
    if (e !== undefined && e.medins_id !== own) {
      throw new YibaoError(
        'FORBIDDEN',
        `data.patient_dtos[${i}].fsi_encounter_dtos[${j}].medins_id: an institution key for ${own} checks only its own visits, not ${e.medins_id}'s`,
      );
    }
  });
}

/**
 * A lead as 表134 (违规信息) with its 表135 details (违规明细, src/monitoring/supervision-result.ts):
 * one detail a settlement it rests on, jrd_id `{jr_id}-{n}`; the visit checked is the 违规项 (1),
 * the settled ones 涉及项 (2), each with its part of vola_amt.
 */
export function nationalResult(lead: CheckLead, jrId: string): JudgeResult {
  return supervisionResult({
    jrId,
    ruleId: lead.ruleId,
    ruleName: lead.ruleName,
    content: lead.content,
    personId: lead.personId,
    visitId: lead.visitId,
    amountFen: lead.amount,
    amountComputed: lead.amountComputed,
    severity: lead.severity,
    behaviour: lead.behaviour,
    sources: lead.evidence.sources,
    details: lead.evidence.settlements.map((e, i) => {
      const triggering = e.visitId === lead.visitId && e.institutionId === (lead.institutionId ?? e.institutionId);
      return { id: `${jrId}-${i + 1}`, personId: lead.personId, visitId: e.visitId, amountFen: e.amount ?? (triggering ? lead.amount : 0), triggering };
    }),
  });
}

export const nationalSupervisionRoutes: RoutePlugin = async (scope, { ctx }) => {
  const ok = nationalEnvelope(scope, ctx);
  const book = ctx.ledger.supervision;

  for (const infno of SUPERVISION_INTERFACES) {
    const stores = infno === '3102';
    scope.post(
      `/${infno}`,
      {
        config: { roles: PERSONAL },
        bodyLimit: SUPERVISION_BODY_LIMIT,
        schema: {
          summary: `${SUPERVISION_INTERFACE_NAMES[infno]} (${infno}): the leads (疑点) each patient's current encounter (curr_mdtrt_id) raises against the person's settled history, by the rules in force (or rule_ids); output.result is 表134 with 表135 details. ${stores ? 'The leads are kept as findings (jr_id = the finding id; GET /v1/supervision/findings/{jr_id})' : 'Nothing is stored; the call is audited'}. An institution checks its own visits only`,
          tags: ['national'],
          body: parsedBody(supervisionBodySchema, [stores ? EXAMPLES.supervision.national3102 : EXAMPLES.supervision.national3101]),
          response: { 200: envelopeSchema, '4xx': refusalEnvelopeSchema },
        },
        preHandler: async (req) => checkOwn(req.actor, parseNationalSupervision(infno, req.body)),
      },
      async (req, reply) => analyse(infno, req, reply),
    );
  }

  async function analyse(infno: SupervisionInterface, req: FastifyRequest, reply: FastifyReply) {
    const body = parseNationalSupervision(infno, req.body);
    const { visits, ruleIds } = checkVisitsOf(body, ctx.national.codes);
    if (ruleIds !== undefined) {
      const known = new Set((await book.rules()).map((r) => r.id));
      const unknown =
        body.input.data.rule_ids?.flatMap((r, i) => (known.has(r) ? [] : [`data.rule_ids[${i}]: ${JSON.stringify(r)} is not a rule yibao knows (GET /v1/supervision/rules)`])) ??
        [];
      if (unknown.length > 0) throw new RequestError(unknown);
    }
    let results: ReturnType<typeof nationalResult>[];
    if (infno === '3101') {
      ctx.reads(req, 'read.national-3101', visits[0]?.personId ?? '*', { persons: visits.map((v) => v.personId), visits: visits.map((v) => v.visitId) });
      const leads = await book.check(visits, ruleIds);
      results = leads.map((l) => nationalResult(l, randomUUID()));
    } else {
      const leads = await book.checkInProcess(visits, req.actor, ruleIds);
      results = leads.map((l) => nationalResult(l, l.findingId ?? randomUUID()));
    }
    return ok(req, reply, 200, { result: results }, { leads: results.length, stored: infno === '3102', checked: visits.map((v) => v.visitId) });
  }
};
