/**
 * A person's identity (人员身份信息: 人员证件类型 psn_cert_type, 证件号码 certno, 人员姓名 psn_name,
 * 性别 gend, 出生日期 brdy, 民族 naty), kept by the agency beside the registry record; 1101 人员信息获取
 * finds the person by it. Registered under /v1/persons:
 *
 *   PUT /v1/persons/:id/identity   set it (create or replace; agency only; audited, certno masked)
 *   GET /v1/persons/:id/identity   read it (agency only; the read is audited)
 *
 * A resident ID (01) is checked (src/national/certno.ts); the person must be in the registry.
 */
import { z } from 'zod';
import { chinaDay } from '../../calendar/calendar.js';
import { LedgerError } from '../../ledger/ledger.js';
import type { PersonIdentity } from '../../ledger/national-identities.js';
import { identityBodySchema, parseIdentity } from '../../national/certno.js';
import { errorSchema, idParam, parsedBody, type RoutePlugin } from '../context.js';

const identitySchema = z
  .object({
    psn_no: z.string(),
    psn_cert_type: z.string(),
    certno: z.string(),
    psn_name: z.string(),
    gend: z.string(),
    brdy: z.string().nullable(),
    naty: z.string().nullable(),
    changed: z.boolean().optional(),
  })
  .meta({ description: "A person's identity, with the national field names; psn_no is the registry's person id." });

const EXAMPLE = { psn_cert_type: '01', certno: '11010519491231002X', psn_name: '张三', naty: '01' };

const json = (i: PersonIdentity) => ({ psn_no: i.personId, psn_cert_type: i.psnCertType, certno: i.certno, psn_name: i.psnName, gend: i.gend, brdy: i.brdy, naty: i.naty });

export const personIdentityRoutes: RoutePlugin = async (app, { ctx }) => {
  app.put(
    '/:id/identity',
    {
      config: { roles: ['agency'] },
      schema: {
        summary:
          "Set a person's identity (人员身份信息: psn_cert_type, certno, psn_name, gend, brdy, naty) for 1101; a resident ID (01) is checked and gives gend and brdy (agency only; audited, the certificate number masked)",
        params: idParam,
        body: parsedBody(identityBodySchema, [EXAMPLE]),
        response: { 200: identitySchema, 201: identitySchema, '4xx': errorSchema },
      },
    },
    async (req, reply) => {
      const input = parseIdentity(req.body, chinaDay(Date.now()));
      const { identity, created, changed } = await ctx.ledger.national.identities.set({ personId: req.params.id, ...input }, req.actor);
      return reply.code(created ? 201 : 200).send({ ...json(identity), changed });
    },
  );

  app.get(
    '/:id/identity',
    {
      config: { roles: ['agency'] },
      schema: { summary: "A person's identity (人员身份信息; agency only; the read is audited)", params: idParam, response: { 200: identitySchema, '4xx': errorSchema } },
    },
    async (req) => {
      ctx.reads(req, 'read.identity', req.params.id);
      const identity = await ctx.ledger.national.identities.get(req.params.id);
      if (!identity) throw new LedgerError('NOT_FOUND', `person ${req.params.id} has no identity on file; the agency sets it (PUT /v1/persons/${req.params.id}/identity)`);
      return json(identity);
    },
  );
};
