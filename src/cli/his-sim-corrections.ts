/**
 * The corrections of a hospital's day and its detail reconciliation (`yibao his-sim`, issue 15),
 * played on HisDay (his-sim-day.ts):
 * - outpatient: a visit registered by mistake and cancelled (2201 → 2202); a visit checked before
 *   settling (3101 事前), a charge batch uploaded wrongly and cancelled by its 收费批次号 (2204 →
 *   2205), the right one uploaded and settled — the settlement made of the remaining details — with
 *   3102 (事中) between the pre-settlement and the settlement;
 * - a stay: a second admission by mistake cancelled (2401 → 2404); on the stay 2301, one detail
 *   cancelled (2302), the diagnoses completed (2403), discharged (2402), the discharge undone (2405)
 *   and done again, pre-settled and settled (2303, 2304), the settlement reversed (2305: its exact
 *   negation, the person's cumulative values (5206) back where they were);
 * - the day's end: 3202 with the detail file of the day's settlements and reversals as the hospital
 *   saw them (docs/national.md, 3202: the file inline), expecting 平.
 */
import type { NationalAnswer, NationalClient } from '../client/client.js';
import type { Infno, SetlInfo, SupervisionOutput, YibaoExtension } from '../client/messages.js';
import type { Fen } from '../money/money.js';
import { equal, fen0, feeDetailChecks, fenOf, rowOf, sameFigures, settlementChecks, yuan, type Check, type Outcome, type Row, type Step } from './his-sim-checks.js';
import { admission, amendment, discharge, itemsOf, outpatientFees, registration, staySettle, stayFees, supervision, totalOf, visitInfo, type Item } from './his-sim-messages.js';
import type { SimPerson } from './his-sim-setup.js';

/** What these steps need of the day (HisDay, his-sim-day.ts). */
export interface HisDay {
  readonly o: { institution: string; seed: number };
  readonly client: NationalClient;
  readonly steps: Step[];
  readonly rows: Row[];
  readonly next: () => number;
  readonly stayExt: { yibao: YibaoExtension };
  time(offsetMinutes?: number): string;
  step<T>(infno: Infno, subject: string, body: () => Promise<Outcome<T>>): Promise<T | undefined>;
  cumulative(p: SimPerson, when: string): Promise<Map<string, Fen> | undefined>;
  settleVisit(
    p: SimPerson,
    mdtrtId: string,
    batch: string,
    items: Item[],
    time: string,
    lose?: boolean,
    during?: (pre: SetlInfo | undefined) => Promise<unknown>,
  ): Promise<SetlInfo | undefined>;
}

/** A check added to the step just recorded (its status follows). */
function addCheck(day: HisDay, check: Check): void {
  const step = day.steps[day.steps.length - 1] as Step;
  step.checks.push(check);
  if (!check.ok && step.status === 'balanced') step.status = 'unbalanced';
}

/** The serial numbers the answer's yibao block says were cancelled, against those expected. */
function cancelledCheck(a: NationalAnswer<null>, expected: string[]): Check {
  const got = Array.isArray(a.yibao?.cancelled) ? (a.yibao.cancelled as unknown[]).map(String).sort() : [];
  const ok = got.join(',') === [...expected].sort().join(',');
  return { label: '撤销的明细 = 所发的', ok, detail: `中心 ${got.join('、') || '—'} / 医院 ${expected.join('、')}` };
}

const selfPaidOf = (items: Item[]): Fen => items.filter((i) => i.code.startsWith('HIS-')).reduce((n, i) => n + i.priceFen * i.count, 0);

/** 3101 / 3102's answer: a list of leads, each about the visit; the visit counted as checked. */
function supervisionChecks(out: SupervisionOutput, yibao: Record<string, unknown> | undefined, mdtrtId: string, stored: boolean): Check[] {
  const leads = out.result;
  const checked = Array.isArray(yibao?.checked) ? (yibao.checked as unknown[]) : [];
  return [
    { label: '应答为违规信息列表，每条属本次就诊', ok: Array.isArray(leads) && leads.every((l) => l.mdtrt_id === mdtrtId), detail: `${leads?.length ?? '—'} 条线索` },
    { label: 'yibao.checked 含本次就诊', ok: checked.includes(mdtrtId), detail: checked.join('、') || '—' },
    { label: stored ? '事中：线索存为疑点（yibao.stored）' : '事前：不存（yibao.stored）', ok: yibao?.stored === stored, detail: String(yibao?.stored) },
  ];
}

/** A registration by mistake cancelled; a visit checked (3101, 3102), its wrong batch cancelled (2205), settled. */
export async function outpatientCorrections(day: HisDay, p: SimPerson): Promise<void> {
  const time = day.time();
  const ownId = `${day.o.institution}-${day.o.seed}-C`;
  const wrongId = await day.step('2201', `${p.psnNo}（误挂号）`, async () => {
    const a = await day.client.register(registration(p, time, `MZ${ownId}-X`));
    return { result: a.output.data.mdtrt_id };
  });
  if (wrongId)
    await day.step('2202', wrongId, async () => {
      const a = await day.client.cancelRegistration({ data: { psn_no: p.psnNo, mdtrt_id: wrongId, ipt_otp_no: `MZ${ownId}-X` } });
      return { result: a, checks: [{ label: '挂号已撤销', ok: a.yibao?.status === 'cancelled', detail: String(a.yibao?.status) }] };
    });
  const mdtrtId = await day.step('2201', `${p.psnNo}（更正场景）`, async () => {
    const a = await day.client.register(registration(p, time, `MZ${ownId}`));
    return { result: a.output.data.mdtrt_id };
  });
  if (!mdtrtId) return;
  await day.step('2203', mdtrtId, async () => ({ result: await day.client.uploadVisitInfo(visitInfo(p.psnNo, mdtrtId, time)) }));
  const items = itemsOf(day.next);
  await day.step('3101', `${mdtrtId}（事前）`, async () => {
    const a = await day.client.auditBefore(supervision(p, day.o.institution, mdtrtId, time, { medfee: totalOf(items), ownpay: selfPaidOf(items), selfpay: 0 }));
    return { result: a, checks: supervisionChecks(a.output, a.yibao, mdtrtId, false) };
  });
  // The wrong batch: every item charged twice over (one more unit each); cancelled by its chrg_bchno.
  const wrong = items.map((i) => ({ ...i, count: i.count + 1 }));
  const uploaded = await day.step('2204', `${mdtrtId}（错误批次 B${ownId}-X）`, async () => {
    const a = await day.client.uploadFees({ feedetail: outpatientFees(p.psnNo, mdtrtId, `B${ownId}-X`, time, wrong) });
    const c = feeDetailChecks(a.output.result, totalOf(wrong));
    return { result: c, checks: c.checks };
  });
  if (uploaded)
    await day.step('2205', `${mdtrtId} 批次 B${ownId}-X`, async () => {
      const a = await day.client.cancelFees({ data: { mdtrt_id: mdtrtId, chrg_bchno: `B${ownId}-X`, psn_no: p.psnNo } });
      return {
        result: a,
        checks: [
          cancelledCheck(
            a,
            wrong.map((_, i) => String(i + 1)),
          ),
        ],
      };
    });
  await day.settleVisit(p, mdtrtId, `B${ownId}`, items, time, false, (pre) =>
    day.step('3102', `${mdtrtId}（事中）`, async () => {
      const f = pre
        ? {
            medfee: fen0(pre.medfee_sumamt),
            ownpay: fen0(pre.fulamt_ownpay_amt),
            selfpay: fen0(pre.preselfpay_amt) + fen0(pre.overlmt_selfpay),
            hifp: fen0(pre.hifp_pay),
            acct: fen0(pre.acct_pay),
          }
        : { medfee: totalOf(items), ownpay: selfPaidOf(items), selfpay: 0 };
      const a = await day.client.auditDuring(supervision(p, day.o.institution, mdtrtId, time, f));
      return { result: a, checks: supervisionChecks(a.output, a.yibao, mdtrtId, true) };
    }),
  );
}

/** 5206 values equal, key by key: the reversal put the cumulative values back. */
function sameCumulative(before: Map<string, Fen>, after: Map<string, Fen>): Check {
  const off = [...new Set([...before.keys(), ...after.keys()])].filter((k) => (before.get(k) ?? 0) !== (after.get(k) ?? 0));
  return {
    label: '5206 累计回到结算前',
    ok: off.length === 0,
    detail: off.length === 0 ? `${before.size} 项一致` : off.map((k) => `${k} ${yuan(before.get(k))} → ${yuan(after.get(k))}`).join('；'),
  };
}

/** A stay with its corrections: 2401 (and one by mistake, 2404), 2301, 2302, 2403, 2402, 2405, 2402, 2303, 2304, 2305. */
export async function stay(day: HisDay, p: SimPerson): Promise<void> {
  const admitted = day.time(-3 * 24 * 60);
  const ownId = `${day.o.institution}-${day.o.seed}-ZY`;
  const mdtrtId = await day.step('2401', p.psnNo, async () => {
    const a = await day.client.admit(admission(p, admitted, `ZY${ownId}`));
    return { result: a.output.result.mdtrt_id, checks: [{ label: '就诊ID', ok: !!a.output.result.mdtrt_id, detail: a.output.result.mdtrt_id }] };
  });
  const wrongId = await day.step('2401', `${p.psnNo}（误入院）`, async () => {
    const a = await day.client.admit(admission(p, day.time(-60), `ZY${ownId}-X`));
    return { result: a.output.result.mdtrt_id };
  });
  if (wrongId)
    await day.step('2404', wrongId, async () => {
      const a = await day.client.cancelAdmission({ data: { mdtrt_id: wrongId, psn_no: p.psnNo } });
      return { result: a, checks: [{ label: '入院已撤销', ok: a.yibao?.status === 'cancelled', detail: String(a.yibao?.status) }] };
    });
  if (!mdtrtId) return;
  const items = itemsOf(day.next);
  const uploaded = await day.step('2301', mdtrtId, async () => {
    const a = await day.client.uploadStayFees({ feedetail: stayFees(p.psnNo, mdtrtId, admitted, items) });
    const c = feeDetailChecks(a.output.result, totalOf(items));
    return { result: c, checks: c.checks };
  });
  // The last detail was charged by mistake: cancelled (2302); the stay is settled without it.
  const sn = String(items.length);
  const cancelled = uploaded
    ? await day.step('2302', `${mdtrtId} 明细 ${sn}`, async () => {
        const a = await day.client.cancelStayFees({ data: [{ feedetl_sn: sn, mdtrt_id: mdtrtId, psn_no: p.psnNo }] });
        return { result: a, checks: [cancelledCheck(a, [sn])] };
      })
    : undefined;
  const remaining = cancelled ? items.slice(0, -1) : items;
  const total = totalOf(remaining);
  await day.step('2403', mdtrtId, async () => {
    const a = await day.client.amendStay(amendment(p, mdtrtId, admitted, `ZY${ownId}`));
    return { result: a, checks: [{ label: '变更后医疗类别 52 生育住院', ok: a.yibao?.medType === '52', detail: String(a.yibao?.medType) }] };
  });
  const out = () =>
    day.step('2402', mdtrtId, async () => {
      const endtime = day.time();
      const a = await day.client.discharge(discharge(p, mdtrtId, endtime));
      return { result: a, checks: [{ label: '出院时间 = 所发', ok: a.yibao?.endtime === endtime, detail: `${String(a.yibao?.endtime)} / ${endtime}` }] };
    });
  if (await out()) {
    await day.step('2405', mdtrtId, async () => {
      const a = await day.client.undoDischarge({ data: { mdtrt_id: mdtrtId, psn_no: p.psnNo } });
      return { result: a, checks: [{ label: '出院已撤销（出院时间为空）', ok: a.yibao?.endtime === null, detail: String(a.yibao?.endtime) }] };
    });
    await out();
  }
  const message = staySettle(p, mdtrtId, remaining, uploaded !== undefined);
  const settled = (s: SetlInfo, d: Parameters<typeof settlementChecks>[1]) => [
    ...settlementChecks(s, d),
    equal('医疗费总额 = 医院未撤销明细之和', fenOf(s.medfee_sumamt), total, ['中心 ', '医院 ']),
  ];
  const pre = await day.step('2303', mdtrtId, async () => {
    const a = await day.client.preSettleStay(message, day.stayExt);
    return { result: a.output.setlinfo, checks: settled(a.output.setlinfo, a.output.setldetail) };
  });
  const before = await day.cumulative(p, '住院结算前');
  const setl = await day.step('2304', mdtrtId, async () => {
    const a = await day.client.settleStay(message, day.stayExt);
    const s = a.output.setlinfo;
    const checks = settled(s, a.output.setldetail);
    if (pre) checks.push(sameFigures('预结算 = 结算', pre, s));
    return { result: s, checks };
  });
  if (!setl) return;
  day.rows.push(rowOf('21', setl, p.psnNo));
  const reversed = await day.step('2305', mdtrtId, async () => {
    const a = await day.client.reverseStay({ data: { setl_id: setl.setl_id ?? '', mdtrt_id: mdtrtId, psn_no: p.psnNo } });
    return { result: a.output.setlinfo, checks: [...settlementChecks(a.output.setlinfo, a.output.setldetail), sameFigures('撤销 = 结算之相反数', setl, a.output.setlinfo, -1)] };
  });
  if (!reversed) return;
  day.rows.push(rowOf('21', reversed, p.psnNo, '1'));
  const after = await day.cumulative(p, '住院结算撤销后');
  if (before && after) addCheck(day, sameCumulative(before, after));
}

/** 3202 of the day: the file of every settlement and reversal the hospital keeps (both classes), expecting 平. */
export async function reconcileDetails(day: HisDay, date: string): Promise<void> {
  const rows = day.rows;
  const sum = (f: 'medfee' | 'fund' | 'cash') => rows.reduce((n, r) => n + r[f], 0);
  const y = (f: Fen) => (f < 0 ? '-' : '') + (Math.abs(f) / 100).toFixed(2);
  const header = 'setl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\trefd_setl_flag';
  const file = [header, ...rows.map((r) => [r.setlId, r.mdtrtId, r.psnNo, y(r.medfee), y(r.fund), y(r.acct), r.refd].join('\t'))].join('\n') + '\n';
  await day.step('3202', `${rows.length} 笔（门诊与住院）`, async () => {
    const a = await day.client.reconcileDetails({
      data: {
        setl_optins: '410300',
        stmt_begndate: date,
        stmt_enddate: date,
        medfee_sumamt: y(sum('medfee')),
        fund_pay_sumamt: y(sum('fund')),
        cash_payamt: y(sum('cash')),
        fixmedins_setl_cnt: rows.length,
        // yibao compares every row of the span whatever the class; the message needs one.
        clr_type: '11',
        fixmedins_refd_setl_flag: '0',
      },
      file,
    });
    const summary = a.output.summary as { matched?: number; differences?: number };
    return {
      result: a.output,
      checks: [
        { label: `对明细账：医院 ${rows.length} 笔与中心逐笔一致`, ok: a.output.stmt_rslt === '0', detail: `stmt_rslt ${a.output.stmt_rslt}` },
        {
          label: '逐笔相符 = 医院笔数，差异 0',
          ok: summary.matched === rows.length && summary.differences === 0,
          detail: `相符 ${summary.matched ?? '—'}，差异 ${summary.differences ?? '—'}`,
        },
      ],
    };
  });
}
