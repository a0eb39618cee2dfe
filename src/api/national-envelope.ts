/**
 * The national envelope (公共输入/输出参数) on every /v1/national route: when each request came
 * (refmsg_time), refusals wrapped with infcode -1 and err_msg, successes sent with infcode 0, and
 * the institution rule. Each national route plugin calls {@link nationalEnvelope} once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { YibaoError } from '../errors.js';
import type { Actor } from '../ledger/ledger.js';
import { type App, JSON_TYPE, type RouteContext } from './context.js';

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
export function nationalEnvelope(scope: App, _ctx: RouteContext): EnvelopeSender {
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
