/**
 * The supervision book (监管) on the ledger, on every store: hand-made visits settled through the
 * real ledger (Luoyang residents, 洛医保〔2023〕63号 二(一)2 outpatient pooling), the agency's rule
 * settings, a batch run, an incremental run, checks before (3101) and during (3102) a settle, and a
 * finding's status changed with a reason.
 *
 * Amounts by hand (基层 JX2/XX: no deductible, 60%; 县级 YS: 50 a visit, then 50%; 市级 JX: 50, then 40%):
 *   total 50 at JX2 → fund 30.00; total 100 at YS → (100 − 50) × 50% = 25.00; total 200 at JX → 60.00.
 * Sites: JX 112.395000,34.658000; YS 112.789000,34.727000 (36.83 km from JX, haversine);
 *        JX2 112.400000,34.660000 (0.51 km from JX); XX has none.
 * Settings: SPLIT-DAY minVisits 3; CARD-DISTANCE minDistanceKm 30, withinMinutes 60.
 * Each settlement's time (created_at) is a minute after its visit's.
 *
 * March (the batch over [03-01, 03-12)):
 *   P1 JX2 03-04 09:00, 10:00, 11:00          → SPLIT-DAY: 3 visits ≥ 3; amount: the 2nd and 3rd visits' fund, 30 + 30 = 60.00
 *   P2 JX2 03-04 09:00, 10:00                 → 2 < 3: nothing
 *   P3 JX2 03-05 09:00, 10:00 (reversed), 11:00 → 2 live < 3: nothing
 *   P4 JX 03-06 10:00, YS 10:30               → CARD-DISTANCE: 36.83 km ≥ 30 in 30 min ≤ 60; amount: YS's fund 25.00
 *   P5 JX 03-06 10:00, JX2 10:20              → 0.51 km < 30: nothing
 *   P6 JX 03-07 10:00, YS 12:00, XX 12:10     → 120 min > 60: nothing; (YS, XX) within 10 min, XX has no site: 1 pair unjudged
 * Live settlements in the span: 3 + 2 + 2 + 2 + 2 + 3 = 14, of 6 persons.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { readThreads } from '../../src/ledger/supervision-read-threads.js';
import type { CheckVisit, RunSummary } from '../../src/ledger/supervision-types.js';
import { CARD_DISTANCE } from '../../src/monitoring/rules/card-distance.js';
import { FREQ_PEER } from '../../src/monitoring/rules/freq-peer.js';
import { SPLIT_DAY } from '../../src/monitoring/rules/split-day.js';
import type { RuleDefinition } from '../../src/monitoring/types.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };
const RULES = [SPLIT_DAY, CARD_DISTANCE, FREQ_PEER];

/** Epoch ms of a China time '2024-03-04 09:00'. */
const at = (t: string) => Date.parse(`${t.replace(' ', 'T')}:00+08:00`);
const resident = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const INST = {
  JX: { id: 'JX', tier: 'city', grade: 3, contracted: true },
  YS: { id: 'YS', tier: 'county', grade: 2, contracted: true },
  JX2: { id: 'JX2', tier: 'primary', grade: 0, contracted: true },
  XX: { id: 'XX', tier: 'primary', grade: 0, contracted: true },
} as const;
type Inst = keyof typeof INST;

async function count(store: LedgerDb, table: 'findings' | 'supervision_runs' | 'finding_status' | 'audit_log', where = ''): Promise<number> {
  const row = (await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)} ${sql.raw(where)}`.execute(store.db)).rows[0];
  return Number(row?.n);
}

/** The variants: each store through its driver's handles, and SQLite through Kysely alone. */
const VARIANTS = [
  ...STORES.filter((s) => !s.label.includes('writer')).map((s) => ({ ...s, kysely: false })),
  { ...(STORES[0] as (typeof STORES)[number]), label: 'sqlite (kysely only)', kysely: true },
];

for (const s of VARIANTS) {
  describe.skipIf(s.skip)(`the supervision book on ${s.label}`, () => {
    const clock = { now: at('2024-03-01 08:00') };
    let store: LedgerDb;
    let ledger: Ledger;
    const ids: Record<string, string> = {};

    async function settle(name: string, person: string, inst: Inst, time: string, total: number) {
      clock.now = at(time) + 60_000;
      const req = parseSettleOne(
        {
          requestId: `r-${name}`,
          person: resident(person),
          visit: { id: `v-${name}`, time: `${time.replace(' ', 'T')}:00+08:00`, type: 'outpatient', institution: INST[inst], total },
        },
        policies,
      );
      ids[name] = (await ledger.settle(req, agency)).entry.id;
    }

    // On the SQLite file, the batches below read their settlements in worker threads (however few);
    // through Kysely alone and on PostgreSQL, on the run's reader.
    const minEntries = readThreads.minEntries;
    beforeAll(async () => {
      readThreads.minEntries = 0;
      store = await s.open();
      ledger = new Ledger(s.kysely ? { ...store, sqlite: undefined, pool: undefined } : store, engine, () => clock.now, { supervisionRules: RULES });
      await ledger.ready;
      await settle('P1a', 'P1', 'JX2', '2024-03-04 09:00', 50);
      await settle('P1b', 'P1', 'JX2', '2024-03-04 10:00', 50);
      await settle('P1c', 'P1', 'JX2', '2024-03-04 11:00', 50);
      await settle('P2a', 'P2', 'JX2', '2024-03-04 09:00', 50);
      await settle('P2b', 'P2', 'JX2', '2024-03-04 10:00', 50);
      await settle('P3a', 'P3', 'JX2', '2024-03-05 09:00', 50);
      await settle('P3b', 'P3', 'JX2', '2024-03-05 10:00', 50);
      await settle('P3c', 'P3', 'JX2', '2024-03-05 11:00', 50);
      clock.now = at('2024-03-05 12:00');
      await ledger.reverse(ids.P3b as string, 'r-P3b-reversal', agency);
      await settle('P4a', 'P4', 'JX', '2024-03-06 10:00', 200);
      await settle('P4b', 'P4', 'YS', '2024-03-06 10:30', 100);
      await settle('P5a', 'P5', 'JX', '2024-03-06 10:00', 200);
      await settle('P5b', 'P5', 'JX2', '2024-03-06 10:20', 50);
      await settle('P6a', 'P6', 'JX', '2024-03-07 10:00', 200);
      await settle('P6b', 'P6', 'YS', '2024-03-07 12:00', 100);
      await settle('P6c', 'P6', 'XX', '2024-03-07 12:10', 50);
      // P7, on the day the batch's span ends: two visits before the first incremental run.
      await settle('P7a', 'P7', 'JX2', '2024-03-12 09:00', 50);
      await settle('P7b', 'P7', 'JX2', '2024-03-12 09:30', 50);
    });
    afterAll(async () => {
      readThreads.minEntries = minEntries;
      await store?.close();
    });

    it('lists the rules with no setting; refuses bad settings naming each problem; keeps a partial one and names what is missing', async () => {
      const before = await ledger.supervision.rules();
      expect(before.map((r) => [r.id, r.enabled, r.params, r.missing])).toEqual([
        ['SPLIT-DAY', false, null, ['minVisits']],
        ['CARD-DISTANCE', false, null, ['minDistanceKm', 'withinMinutes']],
        ['FREQ-PEER', false, null, ['minVisits', 'multipleOfMedian']],
      ]);
      await expect(ledger.supervision.setRule('NO-SUCH', { enabled: true, params: {}, reason: 'x' }, agency)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const bad = ledger.supervision.setRule('CARD-DISTANCE', { enabled: true, params: { minDistanceKm: 0.5, withinMinutes: 60, radius: 3 }, reason: '' }, agency);
      await expect(bad).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      const message = await bad.catch((e: Error) => e.message);
      expect(message).toContain('params.radius');
      expect(message).toContain('reason: required');
      const values = ledger.supervision.setRule('CARD-DISTANCE', { enabled: true, params: { minDistanceKm: 0.5, withinMinutes: 0 }, reason: '试行' }, agency);
      const valueMessage = await values.catch((e: Error) => e.message);
      expect(valueMessage).toContain('params.minDistanceKm');
      expect(valueMessage).toContain('params.withinMinutes');
      await expect(ledger.supervision.setRule('SPLIT-DAY', { enabled: true, params: { minVisits: 3 }, severity: '9' as never, reason: '试行' }, agency)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      expect(await count(store, 'audit_log', "where action = 'monitoring.settings.set'")).toBe(0);

      const partial = await ledger.supervision.setRule('FREQ-PEER', { enabled: true, params: { minVisits: 100 }, reason: '先定下限' }, agency);
      expect(partial).toMatchObject({ enabled: true, params: { minVisits: 100 }, missing: ['multipleOfMedian'], setBy: 'agency-1', reason: '先定下限' });
      await ledger.supervision.setRule('SPLIT-DAY', { enabled: true, params: { minVisits: 3 }, reason: '试行' }, agency);
      const card = await ledger.supervision.setRule('CARD-DISTANCE', { enabled: true, params: { minDistanceKm: 30, withinMinutes: 60 }, severity: '1', reason: '试行' }, agency);
      expect(card).toMatchObject({ severity: '1', missing: [] });
      expect(await count(store, 'audit_log', "where action = 'monitoring.settings.set'")).toBe(3);
    });

    it('records sites in exact microdegrees, refuses bad ones, writes nothing unchanged, pages', async () => {
      await ledger.supervision.setSite({ institutionId: 'JX', kind: 'medical', longitude: 112.395, latitude: 34.658 }, agency);
      await ledger.supervision.setSite({ institutionId: 'YS', kind: 'medical', longitude: '112.789000' as never, latitude: 34.727 }, agency);
      await ledger.supervision.setSite({ institutionId: 'JX2', kind: 'medical', longitude: 112.4, latitude: 34.66 }, agency);
      await ledger.supervision.setSite({ institutionId: 'XX', kind: 'pharmacy', longitude: null, latitude: null }, agency);
      const row = await store.db.selectFrom('institution_sites').select(['longitude_e6', 'latitude_e6']).where('institution_id', '=', 'YS').executeTakeFirstOrThrow();
      expect([Number(row.longitude_e6), Number(row.latitude_e6)]).toEqual([112_789_000, 34_727_000]);
      const audits = await count(store, 'audit_log', "where action = 'supervision.site.set'");
      expect(audits).toBe(4);
      expect(await ledger.supervision.setSite({ institutionId: 'JX', kind: 'medical', longitude: 112.395, latitude: 34.658 }, agency)).toMatchObject({ longitude: 112.395 });
      expect(await count(store, 'audit_log', "where action = 'supervision.site.set'")).toBe(4);
      for (const bad of [
        { institutionId: 'JX', kind: 'medical', longitude: 112.3950001, latitude: 34.658 },
        { institutionId: 'JX', kind: 'medical', longitude: 180.000001, latitude: 34.658 },
        { institutionId: 'JX', kind: 'medical', longitude: 112.395, latitude: -90.5 },
        { institutionId: 'JX', kind: 'clinic', longitude: 112.395, latitude: 34.658 },
        { institutionId: 'JX', kind: 'medical', longitude: 112.395, latitude: null },
      ]) {
        await expect(ledger.supervision.setSite(bad as never, agency)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      }
      expect(await ledger.supervision.sites(2, 1)).toEqual({
        items: [
          { institutionId: 'JX2', kind: 'medical', longitude: 112.4, latitude: 34.66 },
          { institutionId: 'XX', kind: 'pharmacy', longitude: null, latitude: null },
        ],
        total: 4,
      });
      await expect(ledger.supervision.sites(1001, 0)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    });

    let batch: RunSummary;
    it('a batch finds the split visits and the card used far apart, and nothing else', async () => {
      clock.now = at('2024-03-12 12:00');
      batch = await ledger.supervision.run({ from: at('2024-03-01 00:00'), to: at('2024-03-12 00:00') }, agency);
      expect(batch).toMatchObject({ kind: 'batch', from: at('2024-03-01 00:00'), to: at('2024-03-12 00:00'), settlements: 14, persons: 6, leads: 2, newFindings: 2 });
      expect(batch.byRule).toEqual({ 'SPLIT-DAY': { leads: 1, newFindings: 1 }, 'CARD-DISTANCE': { leads: 1, newFindings: 1 } });
      expect(batch.notRun).toEqual([{ ruleId: 'FREQ-PEER', reason: '未设置参数: multipleOfMedian (parameters not set)' }]);
      expect(Object.keys(batch.unjudged)).toEqual(['CARD-DISTANCE']);
      expect(batch.rules.map((r) => [r.ruleId, r.severity])).toEqual([
        ['SPLIT-DAY', '2'],
        ['CARD-DISTANCE', '1'],
      ]);
      expect(batch.timings?.loadMs).toBeGreaterThanOrEqual(0);
      expect(await ledger.supervision.getRun(batch.id)).toEqual(batch);

      const { items, total } = await ledger.supervision.findings({ limit: 10, offset: 0 });
      expect(total).toBe(2);
      const split = items.find((f) => f.ruleId === 'SPLIT-DAY');
      expect(split).toMatchObject({
        personId: 'P1',
        visitId: 'v-P1a',
        institutionId: 'JX2',
        amount: 6_000,
        amountComputed: true,
        severity: '2',
        behaviour: '1',
        status: 'open',
        runId: batch.id,
        happenedAt: at('2024-03-04 11:00') + 60_000,
      });
      expect(split?.evidence.settlements.map((e) => [e.id, e.visitId, e.fund, e.amount])).toEqual([
        [ids.P1a, 'v-P1a', 3_000, 0],
        [ids.P1b, 'v-P1b', 3_000, 3_000],
        [ids.P1c, 'v-P1c', 3_000, 3_000],
      ]);
      expect(split?.evidence.sources.length).toBeGreaterThan(0);
      const card = items.find((f) => f.ruleId === 'CARD-DISTANCE');
      expect(card).toMatchObject({ personId: 'P4', visitId: 'v-P4b', institutionId: 'YS', amount: 2_500, severity: '1' });
      expect(card?.evidence.settlements.map((e) => e.id)).toEqual([ids.P4b, ids.P4a]);
      expect(card?.evidence.figures).toMatchObject({ distanceKm: 36.83, elapsedMinutes: 30 });
      expect(await count(store, 'audit_log', `where action = 'supervision.run' and target = '${batch.id}'`)).toBe(1);
    });

    it('the same batch again finds the same leads and writes no finding twice', async () => {
      const again = await ledger.supervision.run({ from: at('2024-03-01 00:00'), to: at('2024-03-12 00:00') }, agency);
      expect(again).toMatchObject({ leads: 2, newFindings: 0 });
      expect(await count(store, 'findings')).toBe(2);
      // FREQ-PEER set in full now: run in the next batch (nobody has 100 visits), its peers kept.
      await ledger.supervision.setRule('FREQ-PEER', { enabled: true, params: { minVisits: 100, multipleOfMedian: 30_000 }, reason: '定倍数' }, agency);
      const third = await ledger.supervision.run({ from: at('2024-03-01 00:00'), to: at('2024-03-12 00:00') }, agency);
      expect(third).toMatchObject({ leads: 2, newFindings: 0, notRun: [] });
      expect(third.byRule['FREQ-PEER']).toEqual({ leads: 0, newFindings: 0 });
    });

    it('incremental runs read on from the last run, look back as far as the rules need, and find only new leads', async () => {
      // Since the batch's end (03-12 00:00) to 11:59:55: P7's two visits — below three.
      const first = await ledger.supervision.runIncremental(agency);
      expect(first).toMatchObject({ kind: 'incremental', from: at('2024-03-12 00:00'), to: at('2024-03-12 12:00') - 5_000, settlements: 2, persons: 1, leads: 0, newFindings: 0 });
      expect(first.notRun).toEqual([{ ruleId: 'FREQ-PEER', reason: '按期间筛查的规则，只在批量筛查中运行 (a period rule: not run in an incremental run)' }]);
      // P7's third visit that day: the run reads from 11:59:55, looks back to the day's start and sees three.
      await settle('P7c', 'P7', 'JX2', '2024-03-12 14:00', 50);
      clock.now = at('2024-03-12 15:00');
      const second = await ledger.supervision.runIncremental(agency);
      expect(second).toMatchObject({ from: first.to, to: at('2024-03-12 15:00') - 5_000, settlements: 3, persons: 1, leads: 1, newFindings: 1 });
      const p7 = await ledger.supervision.findings({ personId: 'P7', limit: 10, offset: 0 });
      expect(p7.items.map((f) => [f.ruleId, f.amount, f.evidence.settlements.map((e) => e.id)])).toEqual([['SPLIT-DAY', 6_000, [ids.P7a, ids.P7b, ids.P7c]]]);
      // Nothing since: a run is still recorded, over an empty span.
      const third = await ledger.supervision.runIncremental(agency);
      expect(third).toMatchObject({ from: second.to, to: second.to, settlements: 0, leads: 0, newFindings: 0 });
      expect(await count(store, 'supervision_runs', "where kind = 'incremental'")).toBe(3);
    });

    const candidate = (person: string, inst: Inst, visitId: string, time: string, fund: number, total: number): CheckVisit => ({
      personId: person,
      institutionId: inst,
      visitId,
      timeMs: at(time),
      visitType: 'outpatient',
      total,
      fund,
      account: 0,
      cash: total - fund,
    });

    it('a check (3101) answers the leads a visit would raise against the history, and stores nothing', async () => {
      await settle('P8a', 'P8', 'JX2', '2024-03-12 15:10', 50);
      await settle('P8b', 'P8', 'JX2', '2024-03-12 15:20', 50);
      await settle('P9a', 'P9', 'JX', '2024-03-12 15:00', 200);
      clock.now = at('2024-03-12 15:40');
      const findings = await count(store, 'findings');
      const runs = await count(store, 'supervision_runs');
      const leads = await ledger.supervision.check([
        candidate('P8', 'JX2', 'v-P8c', '2024-03-12 15:40', 3_000, 5_000),
        candidate('P9', 'YS', 'v-P9b', '2024-03-12 15:30', 2_500, 10_000),
        // P2's visits were a week ago: a third at JX2 today is the day's first.
        candidate('P2', 'JX2', 'v-P2c', '2024-03-12 15:40', 3_000, 5_000),
        // P5 at JX then JX2, 0.51 km apart: not far.
        candidate('P5', 'JX2', 'v-P5c', '2024-03-06 10:40', 3_000, 5_000),
      ]);
      expect(leads.map((l) => [l.ruleId, l.personId, l.visitId, l.institutionId, l.amount])).toEqual([
        // P8: 15:11, 15:21 settled and the candidate at 15:40: three; the 2nd's fund and the candidate's, 30 + 30.
        ['SPLIT-DAY', 'P8', 'v-P8c', 'JX2', 6_000],
        // P9: JX at 15:01, YS at 15:30: 29 minutes, 36.83 km; the candidate's fund.
        ['CARD-DISTANCE', 'P9', 'v-P9b', 'YS', 2_500],
      ]);
      expect(leads[0]?.evidence.settlements.map((e) => [e.id, e.visitId])).toEqual([
        [ids.P8a, 'v-P8a'],
        [ids.P8b, 'v-P8b'],
        ['', 'v-P8c'],
      ]);
      expect(leads[0]?.findingId).toBeUndefined();
      expect(await count(store, 'findings')).toBe(findings);
      expect(await count(store, 'supervision_runs')).toBe(runs);
      // Only the rules asked for; a rule not in the catalogue is refused.
      const card = await ledger.supervision.check([candidate('P8', 'JX2', 'v-P8c', '2024-03-12 15:40', 3_000, 5_000)], ['CARD-DISTANCE']);
      expect(card).toEqual([]);
      await expect(ledger.supervision.check([candidate('P8', 'JX2', 'v', '2024-03-12 15:40', 1, 1)], ['NOPE'])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      await expect(ledger.supervision.check([{ ...candidate('P8', 'JX2', 'v', '2024-03-12 15:40', 1, 1), total: -1 }])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    });

    it('a check in process (3102) keeps its leads as findings of an in-process run, once', async () => {
      const visit = candidate('P8', 'JX2', 'v-P8c', '2024-03-12 15:40', 3_000, 5_000);
      const [lead] = await ledger.supervision.checkInProcess([visit], agency);
      expect(lead).toMatchObject({ ruleId: 'SPLIT-DAY', visitId: 'v-P8c', amount: 6_000 });
      const stored = await ledger.supervision.finding(lead?.findingId as string);
      expect(stored).toMatchObject({ personId: 'P8', visitId: 'v-P8c', status: 'open', amount: 6_000 });
      expect((await ledger.supervision.getRun(stored?.runId as string))?.kind).toBe('in-process');
      const [again] = await ledger.supervision.checkInProcess([visit], agency);
      expect(again?.findingId).toBe(lead?.findingId);
      // No lead (P2's first visit of the day): no run written.
      const runs = await count(store, 'supervision_runs');
      expect(await ledger.supervision.checkInProcess([candidate('P2', 'JX2', 'v-P2c', '2024-03-12 15:40', 3_000, 5_000)], agency)).toEqual([]);
      expect(await count(store, 'supervision_runs')).toBe(runs);
      expect(await count(store, 'findings', "where person_id = 'P8'")).toBe(1);
      // Once P8's third visit is settled, an incremental run finds the lead on file: no new finding.
      await settle('P8c', 'P8', 'JX2', '2024-03-12 15:40', 50);
      clock.now = at('2024-03-12 16:00');
      const run = await ledger.supervision.runIncremental(agency);
      expect(run).toMatchObject({ leads: 1, newFindings: 0 });
    });

    it('a status changes only with a reason, audited, kept in the history; the status it has writes nothing', async () => {
      const { items } = await ledger.supervision.findings({ ruleId: 'SPLIT-DAY', personId: 'P1', limit: 10, offset: 0 });
      const id = items[0]?.id as string;
      await expect(ledger.supervision.setStatus(id, { status: 'confirmed', reason: '  ' }, agency)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      await expect(ledger.supervision.setStatus(id, { status: 'closed' as never, reason: '核实' }, agency)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      await expect(ledger.supervision.setStatus('F-none', { status: 'confirmed', reason: '核实' }, agency)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      clock.now = at('2024-03-13 09:00');
      const confirmed = await ledger.supervision.setStatus(id, { status: 'confirmed', reason: '现场核查属实' }, agency);
      expect(confirmed).toMatchObject({ status: 'confirmed', statusAt: at('2024-03-13 09:00') });
      expect(await ledger.supervision.setStatus(id, { status: 'confirmed', reason: '再次确认' }, agency)).toMatchObject({ status: 'confirmed', statusAt: at('2024-03-13 09:00') });
      expect(await ledger.supervision.statusHistory(id)).toEqual([{ status: 'confirmed', reason: '现场核查属实', actor: 'agency-1', at: at('2024-03-13 09:00') }]);
      const audit = await store.db.selectFrom('audit_log').select(['detail', 'actor']).where('action', '=', 'supervision.finding.status').where('target', '=', id).execute();
      expect(audit.map((a) => JSON.parse(a.detail))).toEqual([{ before: 'open', after: 'confirmed', reason: '现场核查属实', ruleId: 'SPLIT-DAY' }]);
      expect((await ledger.supervision.findings({ status: 'confirmed', limit: 10, offset: 0 })).total).toBe(1);
      await expect(ledger.supervision.statusHistory('F-none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('pages findings (bounded) and counts them without persons', async () => {
      const all = await ledger.supervision.findings({ limit: 1000, offset: 0 });
      expect(all.total).toBe(4);
      const page = await ledger.supervision.findings({ limit: 1, offset: 1 });
      expect(page.items[0]?.id).toBe(all.items[1]?.id);
      await expect(ledger.supervision.findings({ limit: 1001, offset: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      await expect(ledger.supervision.findings({ limit: 10, offset: 100_001 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      const counts = await ledger.supervision.counts({});
      expect(counts).toEqual([
        { ruleId: 'CARD-DISTANCE', ruleName: CARD_DISTANCE.name, status: 'open', severity: '1', institutionId: 'YS', count: 1, amount: 2_500 },
        { ruleId: 'SPLIT-DAY', ruleName: SPLIT_DAY.name, status: 'confirmed', severity: '2', institutionId: 'JX2', count: 1, amount: 6_000 },
        { ruleId: 'SPLIT-DAY', ruleName: SPLIT_DAY.name, status: 'open', severity: '2', institutionId: 'JX2', count: 2, amount: 12_000 },
      ]);
      expect((await ledger.supervision.runs(100, 0)).total).toBe(9);
    });
  });
}

/** A rule for the tests of failure: it throws, or gives `n` leads of which the last cannot be stored. */
function fixture(id: string, behaviour: 'throw' | number): RuleDefinition {
  return {
    id,
    name: `测试规则 ${id}`,
    description: 'test only',
    sources: [],
    behaviour: '1',
    concerns: 'visit',
    reach: 'period',
    severity: '3',
    parameters: [],
    schema: z.strictObject({}),
    evaluate(data) {
      if (behaviour === 'throw') throw new Error('the rule broke');
      return Array.from({ length: behaviour }, (_, i) => ({
        ruleId: id,
        key: `lead-${i}`,
        person: 0,
        rows: i === 0 && data.settlements.length > 0 ? [0] : [],
        amountFen: i === behaviour - 1 ? Number.NaN : 100,
        amountComputed: true,
        content: '测试',
        figures: {},
      }));
    },
  };
}

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`a supervision run that fails on ${s.label}`, () => {
    it('writes nothing: neither when a rule throws, nor when the 2,001st finding cannot be stored after 2,000 were', async () => {
      const store = await s.open();
      try {
        const clock = { now: at('2024-03-04 10:00') };
        const ledger = new Ledger(store, engine, () => clock.now, { supervisionRules: [SPLIT_DAY, fixture('BOOM', 'throw'), fixture('MANY', 2001)] });
        await ledger.ready;
        await ledger.settle(
          parseSettleOne(
            { requestId: 'r-1', person: resident('P1'), visit: { id: 'v-1', time: '2024-03-04T09:00:00+08:00', type: 'outpatient', institution: INST.JX2, total: 50 } },
            policies,
          ),
          agency,
        );
        await ledger.supervision.setRule('SPLIT-DAY', { enabled: true, params: { minVisits: 2 }, reason: '试行' }, agency);
        await ledger.supervision.setRule('BOOM', { enabled: true, params: {}, reason: '试行' }, agency);
        clock.now = at('2024-03-06 00:00');
        const span = { from: at('2024-03-01 00:00'), to: at('2024-03-05 00:00') };
        await expect(ledger.supervision.run(span, agency)).rejects.toThrow('the rule broke');
        await ledger.supervision.setRule('BOOM', { enabled: false, params: {}, reason: '停用' }, agency);
        await ledger.supervision.setRule('MANY', { enabled: true, params: {}, reason: '试行' }, agency);
        // The last finding fails (SQLite: NOT NULL; PostgreSQL: bigint "NaN") after 2,000 were inserted (PostgreSQL: by the first statement).
        await expect(ledger.supervision.run(span, agency)).rejects.toThrow(/amount_fen|bigint/);
        expect(await count(store, 'findings')).toBe(0);
        expect(await count(store, 'supervision_runs')).toBe(0);
        expect(await count(store, 'audit_log', "where action = 'supervision.run'")).toBe(0);
      } finally {
        await store.close();
      }
    });
  });
}

describe('a batch whose read thread fails on sqlite', () => {
  const minEntries = readThreads.minEntries;
  afterAll(() => {
    readThreads.minEntries = minEntries;
    readThreads.fault = undefined;
  });
  it("rejects the run and writes nothing: neither when a thread's SQL fails, nor when a thread exits", async () => {
    const store = await (STORES[0] as (typeof STORES)[number]).open();
    try {
      const clock = { now: at('2024-03-04 10:00') };
      const ledger = new Ledger(store, engine, () => clock.now, { supervisionRules: [SPLIT_DAY] });
      await ledger.ready;
      for (const [i, time] of ['09:00', '09:30'].entries()) {
        await ledger.settle(
          parseSettleOne(
            { requestId: `r-${i}`, person: resident('P1'), visit: { id: `v-${i}`, time: `2024-03-04T${time}:00+08:00`, type: 'outpatient', institution: INST.JX2, total: 50 } },
            policies,
          ),
          agency,
        );
      }
      await ledger.supervision.setRule('SPLIT-DAY', { enabled: true, params: { minVisits: 2 }, reason: '试行' }, agency);
      clock.now = at('2024-03-06 00:00');
      const span = { from: at('2024-03-01 00:00'), to: at('2024-03-05 00:00') };
      readThreads.minEntries = 0;
      readThreads.fault = 'sql';
      await expect(ledger.supervision.run(span, agency)).rejects.toThrow(/read thread failed: no such table: no_such_table/);
      readThreads.fault = 'exit';
      await expect(ledger.supervision.run(span, agency)).rejects.toThrow(/read thread stopped \(exit code 3\)/);
      expect(await count(store, 'findings')).toBe(0);
      expect(await count(store, 'supervision_runs')).toBe(0);
      expect(await count(store, 'audit_log', "where action = 'supervision.run'")).toBe(0);
      // The same run with threads that work: P1's two visits on 03-04 at JX2 are one lead (minVisits 2).
      readThreads.fault = undefined;
      await expect(ledger.supervision.run(span, agency)).resolves.toMatchObject({ settlements: 2, persons: 1, leads: 1, newFindings: 1 });
    } finally {
      await store.close();
    }
  });
});

/**
 * The catalogue's rules (the ledger's default) and duplicate enrollment (重复参保), which rests on
 * enrollments, not settlements. Enrollments of 2024, written as the agency's records are:
 *   Q1: 410300 resident paid 2024-01-10 (380.00) and 410900 resident paid 2024-02-01 (380.00): two payments → a lead
 *   Q2: one payment → nothing
 *   Q3: the same payment recorded twice (same region, scheme and day; one amount not recorded) → nothing
 *   Q4: a payment and a transfer (转移接续) in → nothing
 */
for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`the catalogue's rules on ${s.label}`, () => {
    it('lists the six rules with their missing parameters, and finds the person enrolled twice from enrollments alone', async () => {
      const store = await s.open();
      try {
        const clock = { now: at('2024-03-04 10:00') };
        const ledger = new Ledger(store, engine, () => clock.now);
        await ledger.ready;
        const views = await ledger.supervision.rules();
        expect(views.map((r) => [r.id, r.reach, r.missing])).toEqual([
          ['SPLIT-DAY', 'visit', ['minVisits']],
          ['FREQ-PEER', 'period', ['minVisits', 'multipleOfMedian']],
          ['CARD-DISTANCE', 'visit', ['minDistanceKm', 'withinMinutes']],
          ['ACCT-CASHOUT', 'visit', ['windowDays', 'minPurchases', 'minAccountFen']],
          ['INST-FUND-PEER', 'period', expect.any(Array)],
          ['ENROL-DUP', 'period', []],
        ]);
        for (const p of ['Q1', 'Q2', 'Q3', 'Q4']) {
          await ledger.settle(
            parseSettleOne(
              { requestId: `r-${p}`, person: resident(p), visit: { id: `v-${p}`, time: '2024-03-04T09:00:00+08:00', type: 'outpatient', institution: INST.JX2, total: 50 } },
              policies,
            ),
            agency,
          );
        }
        const enrollment = (id: string, person: string, region: string, paidOn: string, amount: number | null, transfer = 0) => ({
          id,
          person_id: person,
          coverage_year: 2024,
          paid_on: paidOn,
          transfer,
          amount_fen: amount,
          payer: null,
          recorded_at: at('2024-03-01 08:00'),
          request_id: `req-${id}`,
          request_hash: 'h',
          actor: 'agency-1',
          region,
          scheme: 'resident',
          category: 'adult',
          hardship: null,
        });
        await store.db
          .insertInto('enrollments')
          .values([
            enrollment('E-Q1-a', 'Q1', '410300', '2024-01-10', 38_000),
            enrollment('E-Q1-b', 'Q1', '410900', '2024-02-01', 38_000),
            enrollment('E-Q2-a', 'Q2', '410300', '2024-01-10', 38_000),
            enrollment('E-Q3-a', 'Q3', '410300', '2024-01-10', 38_000),
            enrollment('E-Q3-b', 'Q3', '410300', '2024-01-10', null),
            enrollment('E-Q4-a', 'Q4', '410300', '2024-01-10', 38_000),
            enrollment('E-Q4-b', 'Q4', '410900', '2024-02-01', 38_000, 1),
          ])
          .execute();
        await ledger.supervision.setRule('ENROL-DUP', { enabled: true, params: {}, reason: '重复参保治理' }, agency);
        clock.now = at('2024-04-02 08:00');
        const run = await ledger.supervision.run({ from: at('2024-03-01 00:00'), to: at('2024-04-01 00:00') }, agency);
        expect(run).toMatchObject({ leads: 1, newFindings: 1, byRule: { 'ENROL-DUP': { leads: 1, newFindings: 1 } } });
        expect(run.notRun.map((n) => n.ruleId)).toEqual(['SPLIT-DAY', 'FREQ-PEER', 'CARD-DISTANCE', 'ACCT-CASHOUT', 'INST-FUND-PEER']);
        const [finding] = (await ledger.supervision.findings({ ruleId: 'ENROL-DUP', limit: 10, offset: 0 })).items;
        expect(finding).toMatchObject({ personId: 'Q1', visitId: null, institutionId: null, amount: 0, amountComputed: false, happenedAt: at('2024-02-01 00:00') });
        expect(finding?.evidence.settlements).toEqual([]);
        expect(finding?.evidence.enrollments).toEqual([
          { id: 'E-Q1-a', coverageYear: 2024, region: '410300', scheme: 'resident', paidOn: '2024-01-10', amount: 38_000 },
          { id: 'E-Q1-b', coverageYear: 2024, region: '410900', scheme: 'resident', paidOn: '2024-02-01', amount: 38_000 },
        ]);
      } finally {
        await store.close();
      }
    });
  });
}
