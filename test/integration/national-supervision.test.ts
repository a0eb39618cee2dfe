/**
 * The national supervision transactions (POST /v1/national/3101 明细审核事前分析服务 and 3102
 * 明细审核事中分析服务) on SQLite and PostgreSQL, against the ledger's history.
 *
 * By hand (Luoyang resident, county hospital H1 grade 2, outpatient; the fund pays 50% above a
 * deductible of 50.00 a day at one institution):
 *   settled  v-1  P1 at H1 2024-03-02 09:00, total 100 → fund 25.00
 *   checked  V-2  P1 at H1 2024-03-02 15:00 (adm_date), total 120, hifp_payamt 60.00
 * SPLIT-DAY (minVisits 2): P1 has 2 outpatient visits at H1 on 03-02 → a lead on V-2 whose vola_amt
 * is the fund after the first visit, V-2's 60.00. The same visit on 03-03 (one visit that day)
 * raises nothing; P3, with no history, nothing.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { createKey, type CreatedKey, KeyStore } from '../../src/ledger/keys.js';
import { type Actor, Ledger } from '../../src/ledger/ledger.js';
import { SPLIT_DAY } from '../../src/monitoring/rules/split-day.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { rowCounts } from '../support/counts.js';
import { STORES } from '../support/stores.js';
import { nationalJson } from '../support/national.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const clerk: Actor = { id: 'agency-1', role: 'agency' };

type Json = any;
const at = (iso: string) => Date.parse(iso);
const TABLES = ['findings', 'finding_status', 'supervision_runs', 'settlements', 'audit_log'] as const;

/** A 3101/3102 message of one patient's current encounter at `medins`. */
function message(infno: '3101' | '3102', o: { patient?: string; visit?: string; medins?: string; fixmedins?: string; adm?: string; ruleIds?: unknown[] } = {}): Json {
  const visit = o.visit ?? 'V-2';
  const adm = o.adm ?? '2024-03-02 15:00:00';
  return {
    infno,
    msgid: `M-${infno}-${visit}`,
    fixmedins_code: o.fixmedins ?? 'H1',
    input: {
      data: {
        patient_dtos: [
          {
            patn_id: o.patient ?? 'P1',
            patn_name: '张三',
            gend: '1',
            brdy: '1980-05-01',
            poolarea: '410300',
            curr_mdtrt_id: visit,
            fsi_encounter_dtos: [
              {
                mdtrt_id: visit,
                medins_id: o.medins ?? 'H1',
                medins_name: '某县人民医院',
                medins_admdvs: '410322',
                medins_type: '1',
                medins_lv: '2',
                adm_date: adm,
                dscg_date: adm,
                dscg_main_dise_codg: 'J06.900',
                dscg_main_dise_name: '急性上呼吸道感染',
                fsi_diagnose_dtos: [],
                dr_codg: 'DR-01',
                adm_dept_codg: 'NK',
                adm_dept_name: '内科',
                dscg_dept_codg: 'NK',
                dscg_dept_name: '内科',
                med_mdtrt_type: '1',
                med_type: '11',
                fsi_order_dtos: [],
                matn_stas: '0',
                medfee_sumamt: '120.00',
                ownpay_amt: '0.00',
                selfpay_amt: '12.00',
                hifp_payamt: '60.00',
                setl_totlnum: 1,
                insutype: '390',
                reim_flag: '2',
                out_setl_flag: '0',
              },
            ],
          },
        ],
        ...(o.ruleIds ? { rule_ids: o.ruleIds } : {}),
      },
    },
  };
}

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`national 3101 and 3102 on ${s.label}`, () => {
    let store: LedgerDb;
    let ledger: Ledger;
    let app: FastifyInstance;
    const clock = { now: at('2024-03-02T09:00:00+08:00') };
    const keys = {} as Record<'agency' | 'analyst' | 'h1' | 'h2', CreatedKey>;

    async function post(infno: string, key: CreatedKey, body: unknown) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/national/${infno}`,
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: nationalJson(res.body) as Json };
    }
    const counts = () => rowCounts(store, TABLES);

    beforeAll(async () => {
      store = await s.open();
      ledger = new Ledger(store, engine, () => clock.now, { supervisionRules: [SPLIT_DAY] });
      await ledger.ready;
      app = await buildServer({ ledger, policies, keys: new KeyStore(store.db, 0), logger: false });
      await app.ready();
      keys.agency = await createKey(store.db, 'agency');
      keys.analyst = await createKey(store.db, 'analyst');
      keys.h1 = await createKey(store.db, 'institution', { institutionId: 'H1' });
      keys.h2 = await createKey(store.db, 'institution', { institutionId: 'H2' });
      const one = parseSettleOne(
        {
          requestId: 'r-1',
          person: { id: 'P1', region: '410300', scheme: 'resident', category: 'adult' },
          visit: { id: 'v-1', time: '2024-03-02T09:00:00+08:00', type: 'outpatient', institution: { id: 'H1', tier: 'county', grade: 2, contracted: true }, total: 100 },
        },
        policies,
      );
      expect((await ledger.settle(one, clerk)).entry.fundPay).toBe(25);
      await ledger.supervision.setRule('SPLIT-DAY', { enabled: true, params: { minVisits: 2 }, reason: '试行' }, clerk);
      clock.now = at('2024-03-02T15:05:00+08:00');
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    it('3101 answers the split visit’s lead in 表134 and stores nothing, auditing the call', async () => {
      const before = await counts();
      const r = await post('3101', keys.h1, message('3101'));
      expect(r.status).toBe(200);
      expect([r.body.infcode, r.body.err_msg]).toEqual([0, null]);
      expect(r.body.output.result).toHaveLength(1);
      const row = r.body.output.result[0];
      expect(row).toMatchObject({
        rule_id: 'SPLIT-DAY',
        rule_name: SPLIT_DAY.name,
        patn_id: 'P1',
        mdtrt_id: 'V-2',
        vola_amt: '60.00',
        vola_amt_stas: '1',
        sev_deg: '2',
        vola_bhvr_type: '1',
      });
      expect(row.vola_cont).toContain('2024-03-02');
      expect(row.judge_result_detail_dtos.map((d: Json) => [d.patn_id, d.mdtrt_id, d.vola_item_type, d.vola_amt])).toEqual([
        ['P1', 'v-1', '2', '0.00'],
        ['P1', 'V-2', '1', '60.00'],
      ]);
      expect(typeof row.jr_id).toBe('string');
      expect(row.judge_result_detail_dtos.map((d: Json) => d.jrd_id)).toEqual([`${row.jr_id}-1`, `${row.jr_id}-2`]);
      expect(row.vola_evid).toContain('洛医保〔2022〕36号 第十六条');
      // Nothing stored but the audit row of the read.
      expect(await counts()).toEqual(before);
      const audit = await store.db.selectFrom('audit_log').select(['action', 'target', 'actor']).where('action', '=', 'read.national-3101').execute();
      expect(audit).toEqual([{ action: 'read.national-3101', target: 'P1', actor: keys.h1.id }]);
    });

    it('3101 raises nothing for a visit on another day, or a person with no history', async () => {
      const nextDay = await post('3101', keys.h1, message('3101', { adm: '2024-03-03 10:00:00' }));
      expect([nextDay.status, nextDay.body.output.result]).toEqual([200, []]);
      const stranger = await post('3101', keys.h1, message('3101', { patient: 'P3' }));
      expect([stranger.status, stranger.body.output.result]).toEqual([200, []]);
      // Only the rules asked for: a known rule runs.
      expect((await post('3101', keys.h1, message('3101', { ruleIds: ['SPLIT-DAY'] }))).body.output.result).toHaveLength(1);
    });

    it('3102 keeps the lead as a finding the institution can read, jr_id its id', async () => {
      const before = await counts();
      const r = await post('3102', keys.h1, message('3102'));
      expect([r.status, r.body.infcode, r.body.yibao.stored]).toEqual([200, 0, true]);
      expect(r.body.output.result.map((x: Json) => [x.rule_id, x.mdtrt_id, x.vola_amt])).toEqual([['SPLIT-DAY', 'V-2', '60.00']]);
      const after = await counts();
      expect(after.findings - before.findings).toBe(1);
      expect(after.supervision_runs - before.supervision_runs).toBe(1);
      const jrId = r.body.output.result[0].jr_id;
      const f = await app.inject({ method: 'GET', url: `/v1/supervision/findings/${jrId}`, headers: { authorization: `Bearer ${keys.h1.key}` } });
      expect(f.statusCode).toBe(200);
      expect(f.json()).toMatchObject({ id: jrId, ruleId: 'SPLIT-DAY', personId: 'P1', visitId: 'V-2', institutionId: 'H1', amount: 60, status: 'open' });
      // The same visit checked again: the same finding.
      const again = await post('3102', keys.h1, message('3102'));
      expect(again.body.output.result[0].jr_id).toBe(jrId);
      expect((await counts()).findings).toBe(after.findings);
    });

    it('refuses another institution’s visits, analysts, unknown rules and invalid messages in the national envelope', async () => {
      const before = await counts();
      const theirs = await post('3102', keys.h2, message('3102'));
      expect([theirs.status, theirs.body.infcode, theirs.body.error.code]).toEqual([403, -1, 'FORBIDDEN']);
      expect(theirs.body.err_msg).toMatch(/^无权操作：fixmedins_code：an institution key for H2 checks only its own visits/);
      // H1's key with its own fixmedins_code, checking a visit at H2: refused as another's.
      const elsewhere = await post('3101', keys.h1, message('3101', { medins: 'H2' }));
      expect([elsewhere.status, elsewhere.body.infcode, elsewhere.body.error.code]).toEqual([403, -1, 'FORBIDDEN']);
      expect(elsewhere.body.err_msg).toContain('fsi_encounter_dtos[0].medins_id：an institution key for H1 checks only its own visits, not H2');
      // Any key: the visit checked is at the message's institution.
      const mixed = await post('3101', keys.agency, message('3101', { medins: 'H2' }));
      expect([mixed.status, mixed.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(mixed.body.error.problems[0]).toMatch(/medins_id: H2 is not the message's fixmedins_code H1/);
      expect((await post('3101', keys.analyst, message('3101'))).status).toBe(403);
      const unknown = await post('3101', keys.h1, message('3101', { ruleIds: ['NO-SUCH'] }));
      expect([unknown.status, unknown.body.error.problems]).toEqual([400, ['data.rule_ids[0]: "NO-SUCH" is not a rule yibao knows (GET /v1/supervision/rules)']]);
      const invalid = await post('3102', keys.h1, { infno: '3102', fixmedins_code: 'H1', input: { data: {} } });
      expect([invalid.status, invalid.body.infcode, invalid.body.output]).toEqual([400, -1, null]);
      expect(invalid.body.err_msg).toMatch(/^报文校验失败：data\.patient_dtos/);
      const wrong = await post('3102', keys.h1, message('3101'));
      expect(wrong.body.error.problems).toEqual(['infno: the message says 3101, but this is 3102 明细审核事中分析服务 (POST /v1/national/3102)']);
      const notJson = await app.inject({
        method: 'POST',
        url: '/v1/national/3101',
        headers: { authorization: `Bearer ${keys.h1.key}`, 'content-type': 'application/json' },
        payload: '{',
      });
      expect([notJson.statusCode, notJson.json().infcode]).toEqual([400, -1]);
      // The agency may check any institution's visits (its own message's fixmedins_code).
      expect((await post('3101', keys.agency, message('3101', { fixmedins: 'H2', medins: 'H2' }))).body.output.result).toEqual([]);
      const after = await counts();
      expect([after.findings, after.supervision_runs, after.settlements]).toEqual([before.findings, before.supervision_runs, before.settlements]);
    });
  });
}
