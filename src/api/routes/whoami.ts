/**
 * Who the key is (当前密钥身份): its id, role and institution, for the web app to show the pages a
 * role may open. Any valid key; never the key itself. Registered under /v1/whoami.
 */
import { z } from 'zod';
import { errorSchema, type RoutePlugin } from '../context.js';

const whoamiSchema = z.object({
  id: z.string().describe("the key's id (as `yibao keys list` shows it), never the key"),
  role: z.string().describe('institution, agency or analyst'),
  institution: z.string().nullable().describe('the institution an institution key speaks for; null otherwise'),
});

export const whoamiRoutes: RoutePlugin = async (app) => {
  app.get(
    '',
    {
      config: { roles: ['institution', 'agency', 'analyst'] },
      schema: {
        summary: 'Who the key presented is: its id, role and institution (any key; the key itself is never answered)',
        response: { 200: whoamiSchema, '4xx': errorSchema },
      },
    },
    async (req) => {
      const actor = req.actor;
      return { id: actor.id, role: actor.role, institution: actor.institutionId ?? null };
    },
  );
};
