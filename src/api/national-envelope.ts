/**
 * The national envelope (公共输入/输出参数) on every /v1/national route: when each request came
 * (refmsg_time), refusals wrapped with infcode -1 and err_msg, successes sent with infcode 0, and
 * the institution rule. Each national route plugin calls {@link nationalEnvelope} once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { YibaoError } from '../errors.js';
import type { Actor } from '../ledger/ledger.js';
import type { SignInCheck } from '../ledger/national-sign-ins.js';
import { errMsgOf } from '../national/err-msg.js';
import { numbersInOutput } from '../national/numbers.js';
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
    err_msg: z.string().optional().meta({ description: 'The code’s Chinese title and every problem: `报文校验失败：data.medfee_sumamt：…；data.insutype：…`.' }),
    output: z.null().optional(),
    error: z.looseObject({ code: z.string(), message: z.string(), problems: z.array(z.string()).optional() }),
    requestId: z.string(),
  })
  .meta({
    description:
      'A refusal in the national envelope: infcode -1, err_msg, and the service’s error { code, message, problems } and requestId; the HTTP status is the service’s (statusMode http) or 200 (statusMode platform).',
  });

/** yyyyMMddHHmmssSSS, China time, as the platform stamps its messages. */
function stamp(epochMs: number): string {
  return new Date(epochMs + 8 * 3_600_000).toISOString().replace(/[-:TZ.]/g, '');
}

const receivedAt = new WeakMap<FastifyRequest, number>();

/** The refusal's envelope: the service's error body with infcode -1 and err_msg. */
function errorEnvelope(req: FastifyRequest, payload: string): string {
  let body: { error?: { code?: string; message?: string; problems?: string[] }; requestId?: string };
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
    err_msg: body.error ? errMsgOf(body.error) : '交易失败',
    output: null,
    ...body,
  });
}

/** Why a sign_no is refused (ledger.national.signIns.verify), in Chinese. */
const SIGN_IN_REFUSALS: Record<Exclude<SignInCheck, 'ok'>, string> = {
  unknown: '签到编号不存在；先以 9001 签到',
  'signed-out': '该签到已签退（9002）；重新以 9001 签到',
  'other-institution': '签到编号不是本机构（fixmedins_code）的签到',
  'other-key': '签到编号不是本密钥签到所得；以本密钥 9001 签到',
};

/**
 * requireSignIn: every national message but 9001 签到 carries a live sign_no of its institution,
 * signed in by the same key (a preHandler, before the route reads the message).
 */
async function checkSignIn(ctx: RouteContext, req: FastifyRequest): Promise<void> {
  if ((req.routeOptions.url ?? '').endsWith('/9001')) return;
  const body = (req.body ?? {}) as { sign_no?: unknown; fixmedins_code?: unknown };
  if (typeof body.sign_no !== 'string' || body.sign_no === '') {
    throw new YibaoError('NOT_SIGNED_IN', 'sign_no: 缺少签到编号：本服务要求每个报文（9001 签到除外）带 9001 签到所得的 sign_no');
  }
  if (typeof body.fixmedins_code !== 'string') return; // the route's own parse names fixmedins_code
  const check = await ctx.ledger.national.signIns.verify(body.sign_no, body.fixmedins_code, req.actor.id);
  if (check !== 'ok') throw new YibaoError('NOT_SIGNED_IN', `sign_no: ${SIGN_IN_REFUSALS[check]}（${body.sign_no}）`);
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
export function nationalEnvelope(scope: App, ctx: RouteContext): EnvelopeSender {
  scope.addHook('onRequest', (req, _reply, done) => {
    receivedAt.set(req, Date.now());
    done();
  });
  if (ctx.national.requireSignIn) scope.addHook('preHandler', async (req) => checkSignIn(ctx, req));
  // The service's own hooks (the audit of refusals) ran before this one, with the status as made.
  scope.addHook('onSend', (req, reply, payload, done) => {
    if (typeof payload !== 'string') return done(null, payload);
    // A success: its 数值型 fields as numbers with their decimals (numbers.ts), unless asked for text.
    if (reply.statusCode < 400) return done(null, ctx.national.amounts === 'number' && payload.startsWith('{"infcode":0') ? numbersInOutput(payload) : payload);
    // 'platform': every answer HTTP 200, the refusal in infcode -1 (the platform's way).
    if (ctx.national.statusMode === 'platform') void reply.code(200);
    done(null, errorEnvelope(req, payload));
  });
  return (req, reply, status, output, yibao) => {
    const now = Date.now();
    return reply
      .code(status)
      .type(JSON_TYPE)
      .send({ infcode: 0, inf_refmsgid: req.id, refmsg_time: stamp(receivedAt.get(req) ?? now), respond_time: stamp(now), err_msg: null, output, yibao });
  };
}
