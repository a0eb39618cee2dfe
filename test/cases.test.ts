/**
 * Runs every hand-computed case in test/cases/*.yaml through the same path as `yibao settle`:
 * validate the request, settle the visits in order with accumulators carried, render as JSON.
 */
import { describe, expect, it } from 'vitest';
import { SettlementEngine } from '../src/engine/settle.js';
import { loadPolicies } from '../src/policy/policies.js';
import { outcomeJson, settleVisits } from '../src/request/settle-person.js';
import { parseSettleRequest } from '../src/request/settle-request.js';
import { loadCaseFiles } from './support/cases.js';

const ROOT = new URL('../', import.meta.url).pathname;

for (const file of loadCaseFiles()) {
  describe(`${file.file} — ${file.document}`, () => {
    for (const c of file.cases) {
      it(c.name, () => {
        const policies = loadPolicies({ policyFiles: (c.policyFiles ?? []).map((f) => ROOT + f) });
        const engine = new SettlementEngine(policies);
        const request = parseSettleRequest(c.request, policies);
        const { outcomes } = settleVisits(engine, request, { trace: true });
        const json = outcomes.map(outcomeJson);
        expect(json.map((o) => o.visitId)).toEqual(c.expect.map((e) => e.visitId));
        c.expect.forEach((want, i) => {
          const got = json[i] as Record<string, unknown>;
          const { visitId, error, messageIncludes, ...fields } = want;
          if (error !== undefined) {
            const err = got.error as { code: string; message: string } | undefined;
            expect(err?.code, `${visitId}: error code`).toBe(error);
            for (const s of messageIncludes ?? []) expect(err?.message, `${visitId}: message`).toContain(s);
            return;
          }
          expect(got.error, `${visitId}: unexpected error`).toBeUndefined();
          for (const [k, v] of Object.entries(fields)) {
            if (v !== null && typeof v === 'object') expect(got[k], `${visitId}.${k}`).toMatchObject(v as object);
            else expect(got[k], `${visitId}.${k}`).toEqual(v);
          }
          // The parts always add up to the total.
          const parts = ['fundPay', 'criticalIllnessPay', 'assistancePay', 'accountPay', 'cashPay'].reduce(
            (sum, k) => sum + Math.round((got[k] as number) * 100),
            0,
          );
          expect(parts, `${visitId}: parts add up to total`).toBe(Math.round((got.total as number) * 100));
        });
      });
    }
  });
}
