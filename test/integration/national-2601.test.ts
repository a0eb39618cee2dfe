/**
 * 2601 冲正交易 on every store: the original 2207 reversed exactly once whatever the retries (and
 * their msgids, and their interleaving with the original), a 2601 before its original (the original
 * then refused, REVERSED_BY_2601), the person checked, originals yibao cannot reverse refused, the
 * ledger balanced and the accumulators restored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { verifyLedger } from '../../src/ledger/ledger.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const engine = new SettlementEngine(loadPolicies());
const COUNTY = { tier: 'county', grade: 2, contracted: true };
type Json = any;

let seq = 0;
const msgid = (tag = 'M') => `H1${tag}2024030210${String(++seq).padStart(6, '0')}`;

/** A 2207: a Luoyang 2024 resident at a county grade-2 hospital, 300 yuan of which 250 eligible (fund 100 after the 50 deductible at 50%). */
const outpatient = (person: string, visit: string, id = msgid('S')) => ({
  msgid: id,
  insuplc_admdvs: '410300',
  fixmedins_code: 'H1',
  inf_time: '2024-03-02 10:00:00',
  input: {
    data: { psn_no: person, med_type: '11', medfee_sumamt: '300.00', mdtrt_id: visit, insutype: '390', acct_used_flag: '0', fulamt_ownpay_amt: '50.00', inscp_scp_amt: '250.00' },
  },
  yibao: { person: { category: 'adult' }, institution: COUNTY },
});
const reversal = (person: string, omsgid: string, oinfno = '2207', id = msgid('R')) => ({
  infno: '2601',
  msgid: id,
  fixmedins_code: 'H1',
  input: { data: { psn_no: person, omsgid, oinfno } },
});

/** A shuffle (Fisher–Yates) with a seeded generator: each round its own, repeatable order. */
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

for (const s of STORES) {
  describe.skipIf(s.skip)(`2601 冲正 on ${s.label}`, () => {
    let service: TestService;
    let store: LedgerDb;
    let app: FastifyInstance;
    let h1: CreatedKey;
    let agency: CreatedKey;

    async function post(infno: string, body: unknown, key = h1.key) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/national/${infno}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: res.json() as Json };
    }
    const entriesOf = (visit: string) =>
      store.db.selectFrom('settlements').select(['id', 'kind', 'reverses', 'fund_pay_fen']).where('visit_id', '=', visit).orderBy('kind', 'desc').execute();
    const capOf = async (person: string) =>
      (await store.db.selectFrom('cap_usage').select(['used_fen']).where('person_id', '=', person).execute()).reduce((a, r) => a + Number(r.used_fen), 0);

    beforeAll(async () => {
      service = await startService(s.open, engine);
      ({ store, app, h1, agency } = service);
    });
    afterAll(async () => {
      await service?.close();
    });

    it('reverses a settled 2207 once: the retries, with other msgids, answer the same reversal; the original retried is refused', async () => {
      const settle = outpatient('R-1', 'R-1-v1');
      const first = await post('2207', settle);
      expect(first.status).toBe(201);
      const setlId = first.body.output.setlinfo.setl_id as string;
      expect(await capOf('R-1')).toBe(10000);

      const r1 = await post('2601', reversal('R-1', settle.msgid));
      expect(r1.status).toBe(201);
      expect(r1.body).toMatchObject({ infcode: 0, err_msg: null, output: null, yibao: { done: 'reversed', setlId, replayed: false, oinfno: '2207', omsgid: settle.msgid } });
      const reversalId = r1.body.yibao.reversalId as string;
      expect(reversalId).toMatch(/^R-/);
      expect(r1.body.yibao.memo).toContain(`结算 ${setlId} 由 ${reversalId} 撤销`);

      const r2 = await post('2601', reversal('R-1', settle.msgid));
      expect(r2.status).toBe(200);
      expect(r2.body.yibao).toMatchObject({ done: 'reversed', setlId, reversalId, replayed: true, firstMsgid: r1.body.yibao.firstMsgid });

      const again = await post('2207', settle);
      expect([again.status, again.body.infcode, again.body.error.code]).toEqual([409, -1, 'REVERSED_BY_2601']);
      expect(again.body.error.message).toContain(reversalId);

      expect((await entriesOf('R-1-v1')).map((e) => [e.kind, e.reverses])).toEqual([
        ['settlement', null],
        ['reversal', setlId],
      ]);
      expect(await capOf('R-1')).toBe(0);
      expect((await verifyLedger(store.db)).ok).toBe(true);
      const audit = await store.db.selectFrom('audit_log').select(['action', 'target']).where('action', '=', 'national.2601').execute();
      expect(audit).toContainEqual({ action: 'national.2601', target: `H1/2207/${settle.msgid}` });
    });

    it('a 2601 before its original: registered, and the original is refused when it arrives, nothing settled', async () => {
      const settle = outpatient('R-2', 'R-2-v1');
      const r = await post('2601', reversal('R-2', settle.msgid));
      expect(r.status).toBe(201);
      expect(r.body.yibao).toMatchObject({ done: 'registered', replayed: false });
      const late = await post('2207', settle);
      expect([late.status, late.body.error.code]).toEqual([409, 'REVERSED_BY_2601']);
      expect(await entriesOf('R-2-v1')).toEqual([]);
      const retry = await post('2601', reversal('R-2', settle.msgid));
      expect([retry.status, retry.body.yibao.done, retry.body.yibao.replayed]).toEqual([200, 'registered', true]);
      // The 冲正 is keyed by person (0012); another person's 2601 of the same message is still refused.
      const another = await post('2601', reversal('R-2x', settle.msgid));
      expect([another.status, another.body.error.code]).toEqual([409, 'PERSON_MISMATCH']);
      const rows = await store.db.selectFrom('national_reversals').select('psn_no').where('omsgid', '=', settle.msgid).execute();
      expect(rows).toEqual([{ psn_no: 'R-2' }]);
    });

    it('refuses another person, an original yibao cannot reverse, and a bad message (in Chinese), writing nothing', async () => {
      const settle = outpatient('R-3', 'R-3-v1');
      expect((await post('2207', settle)).status).toBe(201);
      const other = await post('2601', reversal('R-3x', settle.msgid));
      expect([other.status, other.body.error.code]).toEqual([409, 'PERSON_MISMATCH']);
      expect(other.body.error.message).toMatch(/^data\.psn_no: /);
      const pharmacy = await post('2601', reversal('R-3', settle.msgid, '2102'));
      expect([pharmacy.status, pharmacy.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
      expect(pharmacy.body.error.message).toContain('2207 门诊结算、2304 住院结算、2401 入院办理');
      const bad = await post('2601', { msgid: msgid(), fixmedins_code: 'H1', input: { data: { psn_no: 'R-3', oinfno: 22 } } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.problems).toEqual([expect.stringMatching(/^data\.omsgid: 缺少必填字段/), expect.stringMatching(/^data\.oinfno: 无效输入/)]);
      const rows = await store.db.selectFrom('national_reversals').selectAll().where('omsgid', '=', settle.msgid).execute();
      expect(rows).toEqual([]);
      expect((await entriesOf('R-3-v1')).length).toBe(1);
      // Another institution's key may not reverse at H1.
      const theirs = await post('2601', reversal('R-3', settle.msgid), agency.key);
      expect(theirs.status).toBe(201);
    });

    it('a 2401 admission: cancelled once (ledger.national.visits), the retries answer the same', async () => {
      const omsgid = msgid('A');
      const r0 = await post('2601', reversal('R-4', omsgid, '2401'));
      expect(r0.body.yibao).toMatchObject({ done: 'registered' });
      const other = msgid('A');
      const { visit } = await service.ledger.national.visits.register(
        {
          requestId: `2401:H1:${other}`,
          requestHash: 'h',
          institutionId: 'H1',
          psnNo: 'R-4',
          kind: 'inpatient',
          insutype: '390',
          medType: '21',
          begntime: Date.parse('2024-03-02T10:00:00+08:00'),
          iptOtpNo: 'ZY-1',
          info: {},
        },
        { id: h1.id, role: 'institution', institutionId: 'H1' },
      );
      const r1 = await post('2601', reversal('R-4', other, '2401'));
      expect([r1.status, r1.body.yibao.done, r1.body.yibao.mdtrtId]).toEqual([201, 'cancelled', visit.mdtrt_id]);
      expect(r1.body.yibao.memo).toContain(`入院办理 ${visit.mdtrt_id} 已撤销`);
      const r2 = await post('2601', reversal('R-4', other, '2401'));
      expect([r2.status, r2.body.yibao.done, r2.body.yibao.mdtrtId, r2.body.yibao.replayed]).toEqual([200, 'cancelled', visit.mdtrt_id, true]);
      expect((await service.ledger.national.visits.get('H1', visit.mdtrt_id))?.status).toBe('cancelled');
      const row = await store.db.selectFrom('national_reversals').select(['target', 'reversal_id']).where('omsgid', '=', other).executeTakeFirst();
      expect(row).toEqual({ target: visit.mdtrt_id, reversal_id: null });
      // The admission retried after its 冲正: refused.
      await expect(service.ledger.national.reversals.refuseIfReversed('H1', '2401', other)).rejects.toMatchObject({ code: 'REVERSED_BY_2601' });
    });

    it('exactly once under concurrency: a 2207 and 12 concurrent 2601 retries in random interleavings, several rounds', async () => {
      for (let round = 0; round < 6; round++) {
        const person = `RC-${round}`;
        const settle = outpatient(person, `${person}-v1`);
        const retries = Array.from({ length: 12 }, () => reversal(person, settle.msgid));
        const jobs = shuffled([{ infno: '2207', body: settle as unknown }, ...retries.map((b) => ({ infno: '2601', body: b as unknown }))], 7919 * (round + 1));
        // Each message starts after its own delay (0–39 ms, seeded): in some rounds the 2207 is well
        // ahead, in others the 2601s are, in others they overlap.
        const lead = [0, 40, 15, 0, 25, 5][round] as number;
        const delays = shuffled(
          Array.from({ length: jobs.length }, (_, i) => (i * 7) % 40),
          31 * (round + 1),
        );
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        const answers = await Promise.all(
          jobs.map(async (j, i) => {
            await sleep(j.infno === '2207' ? 0 : lead + (delays[i] as number));
            return { ...j, ...(await post(j.infno, j.body)) };
          }),
        );
        const original = answers.find((a) => a.infno === '2207') as { status: number; body: Json };
        const reversals = answers.filter((a) => a.infno === '2601');
        const entries = await entriesOf(`${person}-v1`);
        if (process.env.DEBUG_2601) console.log(s.label, round, entries.length, original.status, reversals.map((a) => a.body.yibao?.done).join(','));
        const row = await store.db.selectFrom('national_reversals').selectAll().where('omsgid', '=', settle.msgid).execute();
        expect(row.length).toBe(1);
        // Exactly one 2601 made the row; every one answered 0.
        expect(reversals.filter((a) => a.status === 201).length).toBe(1);
        for (const a of reversals) expect([a.status, a.body.infcode]).toContainEqual(0);
        if (entries.length === 0) {
          // The 2601s came first: the original refused, nothing settled, every 2601 'registered'.
          expect([original.status, original.body.error?.code]).toEqual([409, 'REVERSED_BY_2601']);
          for (const a of reversals) expect(a.body.yibao.done).toBe('registered');
        } else {
          // Settled, then reversed once: one settlement, one reversal; the 2601s answer it or 'registered'.
          expect(entries.map((e) => e.kind)).toEqual(['settlement', 'reversal']);
          const [settlement, rev] = entries as unknown as [{ id: string }, { id: string; reverses: string }];
          expect(rev.reverses).toBe(settlement.id);
          expect(row[0]).toMatchObject({ target: settlement.id, reversal_id: rev.id });
          for (const a of reversals) {
            if (a.body.yibao.done === 'reversed') expect(a.body.yibao).toMatchObject({ setlId: settlement.id, reversalId: rev.id });
            else expect(a.body.yibao.done).toBe('registered');
          }
          // The original: answered before the 2601 came (201), or refused (reversed under it).
          if (original.status !== 201) expect(original.body.error.code).toBe('REVERSED_BY_2601');
          // A retry of the 2601 now answers the reversal.
          const now = await post('2601', reversal(person, settle.msgid));
          expect(now.body.yibao).toMatchObject({ done: 'reversed', setlId: settlement.id, reversalId: rev.id, replayed: true });
        }
        expect(await capOf(person)).toBe(0);
        expect((await verifyLedger(store.db)).ok).toBe(true);
      }
    });
  });
}
