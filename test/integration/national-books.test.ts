/**
 * The visit and fee-detail books of the national interface (national-visits.ts,
 * national-fee-details.ts) on SQLite and PostgreSQL: a registration idempotent by request id, its
 * changes and cancel, uploads all or nothing, cancels, and the details live at an instant; a live
 * settlement of the visit stops them, its reversal frees them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PricedDetail } from '../../src/catalogue/types.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { type Actor, Ledger } from '../../src/ledger/ledger.js';
import type { DetailToStore } from '../../src/ledger/national-fee-details.js';
import type { VisitRegistration } from '../../src/ledger/national-visits.js';
import type { Fen } from '../../src/money/money.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const clerk: Actor = { id: 'key-h1', role: 'institution', institutionId: 'H1' };
const at = (iso: string) => Date.parse(iso);

const registration = (o: Partial<VisitRegistration> = {}): VisitRegistration => ({
  requestId: '2201:H1:M-1',
  requestHash: 'h-1',
  institutionId: 'H1',
  psnNo: 'P1',
  kind: 'outpatient',
  insutype: '390',
  medType: '11',
  begntime: at('2024-03-02T09:00:00+08:00'),
  iptOtpNo: 'MZ-001',
  info: { dept_code: 'D1' },
  ...o,
});

/** A detail of `fen`, all 符合政策范围 (the book stores what the pricer made; it does not price). */
const detail = (sn: string, fen: number): DetailToStore => {
  const priced: PricedDetail = { listed: true, fullOwnPay: 0 as Fen, overLimit: 0 as Fen, preSelfPay: 0 as Fen, eligible: fen as Fen, memo: '样例' };
  return {
    feedetlSn: sn,
    chrgBchno: 'B1',
    feeOcurTime: at('2024-03-02T09:10:00+08:00'),
    medListCodg: 'X1',
    medinsListCodg: 'H-X1',
    cnt: '1',
    pric: (fen / 100).toFixed(2),
    amount: fen as Fen,
    priced,
    body: { feedetl_sn: sn },
  };
};

describe.each(STORES)('the national visit and fee-detail books on $label', (s) => {
  let store: LedgerDb;
  let ledger: Ledger;
  const clock = { now: at('2024-03-02T09:05:00+08:00') };
  beforeAll(async () => {
    if (s.skip) return;
    store = await s.open();
    ledger = new Ledger(store, engine, () => clock.now);
    await ledger.ready;
  });
  afterAll(async () => {
    await store?.close();
  });
  const audits = async (action: string) => (await store.db.selectFrom('audit_log').select('id').where('action', '=', action).execute()).length;

  it.skipIf(s.skip)('registers a visit once per request id, with a centre-made mdtrt_id of at most 30 characters', async () => {
    const { visit, created } = await ledger.national.visits.register(registration(), clerk);
    expect(created).toBe(true);
    expect(visit.mdtrt_id.length).toBeLessThanOrEqual(30);
    expect(visit).toMatchObject({ institution_id: 'H1', psn_no: 'P1', kind: 'outpatient', status: 'open', endtime: null });
    const again = await ledger.national.visits.register(registration(), clerk);
    expect(again).toEqual({ visit, created: false });
    await expect(ledger.national.visits.register(registration({ requestHash: 'h-other' }), clerk)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await audits('national.visit.register')).toBe(1);
    expect(await ledger.national.visits.get('H1', visit.mdtrt_id)).toEqual(visit);
    expect(await ledger.national.visits.get('H2', visit.mdtrt_id)).toBeUndefined();
  });

  it.skipIf(s.skip)('changes a visit once per request id; refuses another person, another institution', async () => {
    const { visit } = await ledger.national.visits.register(registration(), clerk);
    const change = {
      requestId: '2203:H1:M-3',
      institutionId: 'H1',
      mdtrtId: visit.mdtrt_id,
      psnNo: 'P1',
      action: 'visit-info',
      medType: '14',
      infoKey: 'visit',
      infoValue: { diseinfo: [{ diag_code: 'I10' }] },
    };
    const changed = await ledger.national.visits.change(change, clerk);
    expect(changed.med_type).toBe('14');
    expect(JSON.parse(changed.info)).toMatchObject({ registration: { dept_code: 'D1' }, visit: { diseinfo: [{ diag_code: 'I10' }] } });
    expect((await ledger.national.visits.change(change, clerk)).info).toBe(changed.info);
    expect(await audits('national.visit.visit-info')).toBe(1);
    await expect(ledger.national.visits.change({ ...change, requestId: 'x', psnNo: 'P2' }, clerk)).rejects.toMatchObject({ code: 'PERSON_MISMATCH' });
    await expect(ledger.national.visits.change({ ...change, requestId: 'y', institutionId: 'H2' }, clerk)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.skipIf(s.skip)('uploads all or nothing, refuses a live serial number, cancels one or all, and answers what was live when', async () => {
    const { visit } = await ledger.national.visits.register(registration(), clerk);
    const id = visit.mdtrt_id;
    clock.now = at('2024-03-02T09:20:00+08:00');
    const up = { requestId: '2204:H1:M-4', institutionId: 'H1', mdtrtId: id, psnNo: 'P1', details: [detail('2', 3000), detail('1', 2000)] };
    const first = await ledger.national.feeDetails.upload(up, clerk);
    expect(first.replayed).toBe(false);
    expect(first.rows.map((r) => [r.feedetl_sn, r.sumamt_fen, r.inscp_scp_fen])).toEqual([
      ['1', 2000, 2000],
      ['2', 3000, 3000],
    ]);
    const again = await ledger.national.feeDetails.upload(up, clerk);
    expect(again.replayed).toBe(true);
    expect(again.rows.map((r) => r.id)).toEqual(first.rows.map((r) => r.id));
    await expect(ledger.national.feeDetails.upload({ ...up, details: [detail('1', 2001)] }, clerk)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    // Serial 2 is live, 3 is new: nothing of it is stored.
    const dup = ledger.national.feeDetails.upload({ ...up, requestId: '2204:H1:M-5', details: [detail('3', 100), detail('2', 100), detail('3', 100)] }, clerk);
    await expect(dup).rejects.toMatchObject({ code: 'DUPLICATE_REFERENCE' });
    await expect(dup).rejects.toThrow(/feedetl_sn 3: .*repeated.*feedetl_sn 2: /);
    await expect(ledger.national.feeDetails.upload({ ...up, requestId: '2204:H1:M-6', psnNo: 'P2', details: [detail('9', 1)] }, clerk)).rejects.toMatchObject({
      code: 'PERSON_MISMATCH',
    });
    expect(await ledger.national.feeDetails.liveAt('H1', id, clock.now)).toHaveLength(2);
    expect(await audits('national.fee-details.upload')).toBe(1);

    clock.now = at('2024-03-02T09:30:00+08:00');
    const c1 = await ledger.national.feeDetails.cancel({ requestId: '2205:H1:M-7', institutionId: 'H1', mdtrtId: id, psnNo: 'P1', feedetlSn: '2' }, clerk);
    expect(c1.cancelled.map((r) => r.feedetl_sn)).toEqual(['2']);
    expect((await ledger.national.feeDetails.cancel({ requestId: '2205:H1:M-7', institutionId: 'H1', mdtrtId: id, psnNo: 'P1', feedetlSn: '2' }, clerk)).replayed).toBe(true);
    await expect(ledger.national.feeDetails.cancel({ requestId: '2205:H1:M-8', institutionId: 'H1', mdtrtId: id, psnNo: 'P1', feedetlSn: '2' }, clerk)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    // Serial 2 may be sent again once cancelled.
    await ledger.national.feeDetails.upload({ ...up, requestId: '2204:H1:M-9', details: [detail('2', 500)] }, clerk);
    expect((await ledger.national.feeDetails.liveAt('H1', id, at('2024-03-02T09:25:00+08:00'))).map((r) => [r.feedetl_sn, r.sumamt_fen])).toEqual([
      ['1', 2000],
      ['2', 3000],
    ]);
    expect((await ledger.national.feeDetails.liveAt('H1', id, clock.now)).map((r) => [r.feedetl_sn, r.sumamt_fen])).toEqual([
      ['1', 2000],
      ['2', 500],
    ]);
    clock.now = at('2024-03-02T09:40:00+08:00');
    const all = await ledger.national.feeDetails.cancel({ requestId: '2205:H1:M-10', institutionId: 'H1', mdtrtId: id, psnNo: 'P1', feedetlSn: null }, clerk);
    expect(all.cancelled.map((r) => r.feedetl_sn)).toEqual(['1', '2']);
    expect(await ledger.national.feeDetails.liveAt('H1', id, clock.now)).toEqual([]);
  });

  it.skipIf(s.skip)('races: one msgid sent twice at once registers one visit; one serial number in two uploads at once is stored once', async () => {
    const twice = await Promise.all([1, 2].map(() => ledger.national.visits.register(registration({ requestId: '2201:H1:M-race' }), clerk)));
    expect(twice[0]?.visit.mdtrt_id).toBe(twice[1]?.visit.mdtrt_id);
    expect(twice.filter((r) => r.created)).toHaveLength(1);
    const id = twice[0]?.visit.mdtrt_id as string;
    const up = (n: number) =>
      ledger.national.feeDetails.upload({ requestId: `2204:H1:M-race-${n}`, institutionId: 'H1', mdtrtId: id, psnNo: 'P1', details: [detail('7', 100 * n)] }, clerk);
    const results = await Promise.allSettled([up(1), up(2)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'DUPLICATE_REFERENCE' } });
    expect(await ledger.national.feeDetails.liveAt('H1', id, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
  });

  it.skipIf(s.skip)('refuses uploads, cancels and changes while the visit has a live settlement; frees them once it is reversed', async () => {
    clock.now = at('2024-03-02T10:00:00+08:00');
    const { visit } = await ledger.national.visits.register(registration({ requestId: '2201:H1:M-20', psnNo: 'P1' }), clerk);
    const id = visit.mdtrt_id;
    await ledger.national.feeDetails.upload({ requestId: '2204:H1:M-21', institutionId: 'H1', mdtrtId: id, psnNo: 'P1', details: [detail('1', 10000)] }, clerk);
    const one = parseSettleOne(
      {
        requestId: 'r-21',
        person: { id: 'P1', region: '410300', scheme: 'resident', category: 'adult' },
        visit: { id, time: '2024-03-02T10:00:00+08:00', type: 'outpatient', institution: { id: 'H1', tier: 'county', grade: 2, contracted: true }, total: 100 },
      },
      policies,
    );
    clock.now = at('2024-03-02T10:05:00+08:00');
    const { entry } = await ledger.settle(one, { id: 'agency-1', role: 'agency' });
    const base = { institutionId: 'H1', mdtrtId: id, psnNo: 'P1' };
    await expect(ledger.national.feeDetails.upload({ ...base, requestId: '2204:H1:M-22', details: [detail('2', 1)] }, clerk)).rejects.toMatchObject({
      code: 'VISIT_ALREADY_SETTLED',
    });
    await expect(ledger.national.feeDetails.cancel({ ...base, requestId: '2205:H1:M-23', feedetlSn: null }, clerk)).rejects.toMatchObject({ code: 'VISIT_ALREADY_SETTLED' });
    await expect(ledger.national.visits.cancel({ ...base, requestId: '2202:H1:M-24', reason: '退号' }, clerk)).rejects.toMatchObject({ code: 'VISIT_ALREADY_SETTLED' });
    await expect(ledger.national.visits.change({ ...base, requestId: '2203:H1:M-25', action: 'visit-info', infoKey: 'visit', infoValue: {} }, clerk)).rejects.toMatchObject({
      code: 'VISIT_ALREADY_SETTLED',
    });

    clock.now = at('2024-03-02T10:10:00+08:00');
    await ledger.reverse(entry.id, 'rev-21', { id: 'agency-1', role: 'agency' });
    clock.now = at('2024-03-02T10:15:00+08:00');
    expect((await ledger.national.feeDetails.cancel({ ...base, requestId: '2205:H1:M-26', feedetlSn: null }, clerk)).cancelled).toHaveLength(1);
    const cancelled = await ledger.national.visits.cancel({ ...base, requestId: '2202:H1:M-27', reason: '退号' }, clerk);
    expect(cancelled.status).toBe('cancelled');
    expect((await ledger.national.visits.cancel({ ...base, requestId: '2202:H1:M-28', reason: '退号' }, clerk)).status).toBe('cancelled');
    expect(await audits('national.visit.cancel')).toBe(1);
    await expect(ledger.national.feeDetails.upload({ ...base, requestId: '2204:H1:M-29', details: [detail('3', 1)] }, clerk)).rejects.toMatchObject({ code: 'VISIT_CANCELLED' });
    await expect(ledger.national.visits.change({ ...base, requestId: '2203:H1:M-30', action: 'visit-info', infoKey: 'visit', infoValue: {} }, clerk)).rejects.toMatchObject({
      code: 'VISIT_CANCELLED',
    });
  });
});
