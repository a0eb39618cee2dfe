/**
 * The national platform's interface format (《医疗保障信息平台 定点医药机构接口规范》) over the same
 * settle, pre-settle and reverse paths as /v1/settlements:
 *
 *   POST /v1/national/2206  门诊预结算    → ledger.preSettle
 *   POST /v1/national/2207  门诊结算      → ledger.settle (idempotent by msgid)
 *   POST /v1/national/2208  门诊结算撤销  → ledger.reverse
 *   POST /v1/national/2303  住院预结算    → ledger.preSettle
 *   POST /v1/national/2304  住院结算      → ledger.settle
 *   POST /v1/national/2305  住院结算撤销  → ledger.reverse
 *
 * Requests are the platform's messages (src/national/input.ts); answers its envelope: `infcode`
 * 0 with `output: { setlinfo, setldetail }` (src/national/setlinfo.ts), or -1 with `err_msg`. A
 * refusal keeps the service's HTTP status and its `error: { code, message, problems }` beside the
 * envelope's fields. Authentication, roles and the institution rule are those of /v1/settlements.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { LedgerError, type Actor, type Entry } from '../../ledger/ledger.js';
import type { Category, Scheme, VisitType } from '../../domain.js';
import { RequestError } from '../../request/settle-request.js';
import {
  INTERFACE_NAMES,
  parseNationalReverse,
  parseNationalSettle,
  REVERSE_INTERFACES,
  reverseBodySchema,
  SETTLE_INTERFACES,
  settleBodySchema,
  toSettleOne,
  type ReverseInterface,
  type SettleInterface,
} from '../../national/input.js';
import { figuresOfEntry, nationalSettlement } from '../../national/setlinfo.js';
import { YibaoError } from '../../errors.js';
import { type App, JSON_TYPE, parsedBody, PERSONAL, type RoutePlugin } from '../context.js';
import { EXAMPLES } from '../examples.js';
import { envelopeSchema } from '../responses.js';

/**
 * A refusal: the service's error body (what the error handler sends and the serializer checks)
 * in the national envelope (added by the onSend hook below).
 */
export const refusalEnvelopeSchema = z
  .looseObject({
    infcode: z.literal(-1).optional(),
    inf_refmsgid: z.string().optional(),
    refmsg_time: z.string().optional(),
    respond_time: z.string().optional(),
    err_msg: z.string().optional().meta({ description: '`CODE: message`, the error code and message.' }),
    output: z.null().optional(),
    error: z.looseObject({ code: z.string(), message: z.string(), problems: z.array(z.string()).optional() }),
    requestId: z.string(),
  })
  .meta({
    description: 'A refusal in the national envelope: infcode -1, err_msg, and the service’s error { code, message, problems } and requestId; the HTTP status is the service’s.',
  });

/** yyyyMMddHHmmssSSS, China time, as the platform stamps its messages. */
function stamp(epochMs: number): string {
  return new Date(epochMs + 8 * 3_600_000).toISOString().replace(/[-:TZ.]/g, '');
}

const receivedAt = new WeakMap<FastifyRequest, number>();

/** The refusal's envelope: the service's error body with infcode -1 and err_msg. */
function errorEnvelope(req: FastifyRequest, payload: string): string {
  let body: { error?: { code?: string; message?: string }; requestId?: string };
  try {
    body = JSON.parse(payload) as typeof body;
  } catch {
    return payload;
  }
  const now = Date.now();
  return JSON.stringify({
    infcode: -1,
    inf_refmsgid: req.id,
    refmsg_time: stamp(receivedAt.get(req) ?? now),
    respond_time: stamp(now),
    err_msg: body.error ? `${body.error.code ?? 'ERROR'}: ${body.error.message ?? ''}` : 'error',
    output: null,
    ...body,
  });
}

/**
 * An institution key settles and reverses at its own institution only (as POST /v1/settlements):
 * a preHandler, once the message is read.
 */
export function checkInstitution(actor: Actor, fixmedinsCode: string): void {
  if (actor.role === 'institution' && actor.institutionId !== fixmedinsCode) {
    throw new YibaoError('FORBIDDEN', `fixmedins_code: an institution key for ${actor.institutionId} may settle only at ${actor.institutionId}, not ${fixmedinsCode}`);
  }
}

/** Sends a success in the national envelope: infcode 0, the message ids and times, `output` and `yibao`. */
export type EnvelopeSender = (req: FastifyRequest, reply: FastifyReply, status: number, output: unknown, yibao: Record<string, unknown>) => FastifyReply;

/**
 * The national envelope on a plugin's routes: the time each request came (refmsg_time), refusals
 * (made by the service's error handler) wrapped with infcode -1 and err_msg, the status kept.
 * Returns the sender of successes.
 */
export function nationalEnvelope(scope: App): EnvelopeSender {
  scope.addHook('onRequest', (req, _reply, done) => {
    receivedAt.set(req, Date.now());
    done();
  });
  scope.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string') done(null, errorEnvelope(req, payload));
    else done(null, payload);
  });
  return (req, reply, status, output, yibao) => {
    const now = Date.now();
    return reply
      .code(status)
      .type(JSON_TYPE)
      .send({ infcode: 0, inf_refmsgid: req.id, refmsg_time: stamp(receivedAt.get(req) ?? now), respond_time: stamp(now), err_msg: null, output, yibao });
  };
}

export const nationalRoutes: RoutePlugin = async (scope, { ctx }) => {
  {
    const ok = nationalEnvelope(scope);

    for (const infno of SETTLE_INTERFACES) {
      const commits = infno === '2207' || infno === '2304';
      scope.post(
        `/${infno}`,
        {
          config: { roles: PERSONAL },
          schema: {
            summary: `${INTERFACE_NAMES[infno]} (${infno})${commits ? ': settles and commits; idempotent by msgid' : ': what would be settled now; writes nothing'}`,
            tags: ['national'],
            body: parsedBody(settleBodySchema(infno), [EXAMPLES.national(infno)]),
            response: { 200: envelopeSchema, ...(commits ? { 201: envelopeSchema } : {}), '4xx': refusalEnvelopeSchema },
          },
          preHandler: async (req) => checkInstitution(req.actor, parseNationalSettle(infno, req.body).fixmedins_code),
        },
        async (req, reply) => settle(infno, req, reply),
      );
    }
    for (const infno of REVERSE_INTERFACES) {
      scope.post(
        `/${infno}`,
        {
          config: { roles: PERSONAL },
          schema: {
            summary: `${INTERFACE_NAMES[infno]} (${infno}): reverses a settlement (冲正); idempotent by msgid`,
            tags: ['national'],
            body: parsedBody(reverseBodySchema, [EXAMPLES.nationalReverse(infno)]),
            response: { 200: envelopeSchema, 201: envelopeSchema, '4xx': refusalEnvelopeSchema },
          },
          preHandler: async (req) => checkInstitution(req.actor, parseNationalReverse(infno, req.body).fixmedinsCode),
        },
        async (req, reply) => reverse(infno, req, reply),
      );
    }

    async function settle(infno: SettleInterface, req: FastifyRequest, reply: FastifyReply) {
      const actor = req.actor;
      const body = parseNationalSettle(infno, req.body);
      // A pre-settlement shows the person's accumulators as they stand: a read of personal data.
      if (infno === '2206' || infno === '2303') ctx.reads(req, `read.national-${infno}`, body.input.data.psn_no, { mdtrtId: body.input.data.mdtrt_id });
      const registered = await ctx.ledger.registered(body.input.data.psn_no, body.fixmedins_code);
      const n = toSettleOne(infno, body, registered, ctx.policies);
      let entry: Record<string, unknown>;
      let created = false;
      try {
        if (infno === '2207' || infno === '2304') ({ entry, created } = await ctx.ledger.settle(n.one, actor));
        else entry = await ctx.ledger.preSettle(n.one, actor);
      } catch (e) {
        // The ledger names the project's fields (one or more `field: …` parts); the caller sent national ones.
        if (e instanceof LedgerError) throw new LedgerError(e.code, e.message.split('; ').map(n.rename).join('; '));
        throw e;
      }
      const id = typeof entry.id === 'string' ? entry.id : null;
      const output = nationalSettlement(figuresOfEntry(entry), {
        setlId: id,
        mdtrtId: n.one.visit.id,
        psnNo: n.one.person.id,
        scheme: n.scheme,
        category: n.category,
        visitType: n.visitType,
        setlTime: typeof entry.createdAt === 'string' ? Date.parse(entry.createdAt) : Date.now(),
        medType: n.medType,
        ...(n.psnType !== undefined ? { psnType: n.psnType } : {}),
        ...(n.msgid !== undefined ? { medinsSetlId: n.msgid } : {}),
      });
      const yibao = id === null ? { preSettlement: true } : { entryId: id, requestId: n.one.requestId, replayed: !created };
      return ok(req, reply, created ? 201 : 200, output, yibao);
    }

    async function reverse(infno: ReverseInterface, req: FastifyRequest, reply: FastifyReply) {
      const actor = req.actor;
      const r = parseNationalReverse(infno, req.body);
      const parties = await ctx.ledger.entryParties(r.setlId);
      // As the ledger: another institution's settlement does not exist for an institution key.
      if (!parties || (actor.role === 'institution' && parties.institutionId !== actor.institutionId)) {
        throw new LedgerError('NOT_FOUND', `data.setl_id: settlement ${r.setlId} does not exist`);
      }
      const problems: string[] = [];
      if (parties.visitId !== r.mdtrtId) problems.push(`data.mdtrt_id: settlement ${r.setlId} is of visit ${parties.visitId}, not ${r.mdtrtId}`);
      if (parties.personId !== r.psnNo) problems.push(`data.psn_no: settlement ${r.setlId} is of person ${parties.personId}, not ${r.psnNo}`);
      if (parties.institutionId !== r.fixmedinsCode) problems.push(`fixmedins_code: settlement ${r.setlId} was settled at ${parties.institutionId}, not ${r.fixmedinsCode}`);
      const stay = ['inpatient', 'birth-natural', 'birth-cesarean'].includes(parties.visitType);
      if (stay !== (infno === '2305')) {
        problems.push(`data.setl_id: settlement ${r.setlId} is ${stay ? 'an inpatient' : 'an outpatient'} settlement; reverse it with ${stay ? '2305' : '2208'}, not ${infno}`);
      }
      if (problems.length > 0) throw new RequestError(problems);
      let result: { entry: Entry; created: boolean };
      try {
        result = await ctx.ledger.reverse(r.setlId, r.requestId, actor);
      } catch (e) {
        if (e instanceof LedgerError) throw new LedgerError(e.code, e.message.replace(/^requestId:/, r.msgid !== undefined ? 'msgid:' : 'yibao.requestId:'));
        throw e;
      }
      const { entry, created } = result;
      const output = nationalSettlement(figuresOfEntry(entry), {
        setlId: entry.id,
        mdtrtId: parties.visitId,
        psnNo: parties.personId,
        scheme: parties.scheme as Scheme,
        category: parties.category as Category,
        visitType: parties.visitType as VisitType,
        setlTime: typeof entry.createdAt === 'string' ? Date.parse(entry.createdAt) : Date.now(),
        ...(r.msgid !== undefined ? { medinsSetlId: r.msgid } : {}),
      });
      return ok(req, reply, created ? 201 : 200, output, { entryId: entry.id, reverses: r.setlId, requestId: r.requestId, replayed: !created });
    }
  }
};
