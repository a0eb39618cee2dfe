/**
 * A hospital's day over the national interface, played with NationalClient (issue 15, `yibao
 * his-sim`): sign in (9001); per person look up (1101), check eligibility (2001), register (2201),
 * upload the fee details (2204), pre-settle (2206), settle (2207), the cumulative values before and
 * after (5206), reverse every third (2208); a settle whose answer is "lost" (timed out) answered by
 * 冲正 (2601, twice: exactly once) and checked by 5203; the corrections (his-sim-corrections.ts: 2202,
 * 2205, 3101/3102; a stay with 2404, 2302, 2403, 2405, 2305); the day's totals reconciled (3201)
 * per class and its detail (3202); sign out (9002).
 *
 * Every step records what it checked (his-sim-checks.ts). A transaction the service does not offer
 * (HTTP 404, no national envelope) is reported 未提供 and the day goes on without it where it can
 * (the hospital then makes its own 就诊ID and states the amounts in the settle message); it is
 * never counted as balanced.
 */
import { msgidGenerator, NationalClient, NationalError, type Exchange } from '../client/client.js';
import { TRANSACTION_NAMES, type Infno, type SetlInfo, type YibaoExtension } from '../client/messages.js';
import type { Fen } from '../money/money.js';
import { equal, feeDetailChecks, fen0, fenOf, QUERY_FIGURES, rowOf, sameFigures, settlementChecks, type Outcome, type Row, type Step } from './his-sim-checks.js';
import { outpatientCorrections, reconcileDetails, stay } from './his-sim-corrections.js';

export type { Step, StepStatus } from './his-sim-checks.js';
import { itemsOf, visitInfo, outpatientFees, outpatientSettle, random, registration, totalOf } from './his-sim-messages.js';
import { setUpCentre, simPersons, type SimPerson } from './his-sim-setup.js';

export interface HisSimOptions {
  url: string;
  /** The institution's API key. */
  key: string;
  institution: string;
  persons: number;
  seed: number;
  /** The agency's key: set up the registry entries the day needs (his-sim-setup.ts). */
  setupKey?: string;
  timeoutMs?: number;
  /** Sees every exchange (--record). */
  record?: (exchange: Exchange) => void;
  now?: () => Date;
}

export interface DayReport {
  institution: string;
  date: string;
  persons: number;
  seed: number;
  setup: string[];
  steps: Step[];
  /** The transactions the service did not offer. */
  unavailable: string[];
  /** Every step answered and every check held. */
  balanced: boolean;
  /** The hospital's own ledger of the day, per class: what 3201 was sent. */
  ledger: Record<string, { medfee_sumamt: string; fund_pay_sumamt: string; acct_pay: string; count: number }>;
}

export class HisDay {
  readonly steps: Step[] = [];
  readonly unavailable = new Set<string>();
  readonly rows: Row[] = [];
  private unreachable = false;
  readonly client: NationalClient;
  readonly persons: SimPerson[];
  readonly next: () => number;
  /**
   * With --setup, the settle messages carry the extension block declaring the institution (a
   * contracted county grade-2 hospital): the service registers an institution by its first settle
   * and has no other route for it. Without --setup the institution must be in the ledger.
   */
  readonly ext: { yibao: YibaoExtension } | undefined;
  /** The stay's: natural birth (yibao.visit.type; 2401's matn_type 1 正常产 says the same). */
  readonly stayExt: { yibao: YibaoExtension };

  constructor(readonly o: HisSimOptions) {
    const clock = o.now ?? (() => new Date());
    // A real HIS keeps its 顺序号 across restarts; the sim starts it from the clock's milliseconds so
    // that two runs within one second do not send the same msgid (the centre would replay the first).
    const start = 1 + ((clock().getMilliseconds() * 10) % 9_000);
    this.client = new NationalClient({
      msgid: msgidGenerator(o.institution, clock, start),
      baseUrl: o.url,
      apiKey: o.key,
      fixmedinsCode: o.institution,
      fixmedinsName: '模拟医院',
      insuplcAdmdvs: '410300',
      mdtrtareaAdmvs: '410300',
      opter: 'SIM',
      opterName: '模拟经办人',
      timeoutMs: o.timeoutMs ?? 30_000,
      ...(o.record ? { onExchange: o.record } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    this.persons = simPersons(o.persons, o.seed);
    this.next = random(o.seed);
    this.ext = o.setupKey ? { yibao: { institution: { tier: 'county', grade: 2, contracted: true } } } : undefined;
    this.stayExt = { yibao: { ...this.ext?.yibao, visit: { type: 'birth-natural' } } };
  }

  /** Runs one transaction's step; undefined when it was refused, not offered, or failed. */
  async step<T>(infno: Infno, subject: string, body: () => Promise<Outcome<T>>): Promise<T | undefined> {
    // The service could not be reached: the rest of the day is not played (one failed step says why).
    if (this.unreachable) return undefined;
    const step: Step = { n: this.steps.length + 1, infno, name: TRANSACTION_NAMES[infno], subject, status: 'balanced', checks: [] };
    this.steps.push(step);
    try {
      const out = await body();
      step.checks = out.checks ?? [];
      if (out.message) step.message = out.message;
      if (step.checks.some((c) => !c.ok)) step.status = 'unbalanced';
      return out.result;
    } catch (e) {
      if (e instanceof NationalError && e.transport && e.status === 404) {
        step.status = 'unavailable';
        step.message = '服务未提供此交易 (HTTP 404)';
        this.unavailable.add(infno);
      } else if (e instanceof NationalError && !e.transport) {
        step.status = 'refused';
        step.message = e.errMsg.startsWith(e.code) ? e.errMsg : `${e.code}: ${e.errMsg}`;
      } else {
        step.status = 'failed';
        step.message = (e as Error).message;
        if (e instanceof NationalError && e.code === 'TRANSPORT') {
          this.unreachable = true;
          step.message += '；其余步骤未执行 / the rest of the day was not played';
        }
      }
      return undefined;
    }
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  time(offsetMinutes = 0): string {
    const t = new Date(this.now().getTime() + 8 * 3_600_000 + offsetMinutes * 60_000).toISOString();
    return `${t.slice(0, 10)} ${t.slice(11, 19)}`;
  }

  /** The whole day. */
  async run(): Promise<DayReport> {
    const setup = this.o.setupKey ? await setUpCentre(this.o.url, this.o.setupKey, this.o.institution, this.persons, Number(this.time().slice(0, 4))) : undefined;
    if (setup) setup.lines.push(...setup.unavailable.map((l) => `未提供 / not offered: ${l}`));
    const date = this.time().slice(0, 10);
    await this.step('9001', this.o.institution, async () => {
      const a = await this.client.signIn({ signIn: { opter_no: 'SIM', mac: '00-00-00-00-00-00', ip: '127.0.0.1' } });
      return { result: a, checks: [{ label: '签到编号', ok: !!a.output.signinoutb.sign_no, detail: a.output.signinoutb.sign_no }] };
    });
    for (const [i, p] of this.persons.entries()) await this.outpatient(p, i);
    const first = this.persons[0];
    if (first) await this.timedOut(first);
    if (first) await outpatientCorrections(this, first);
    // The stay is a birth: a woman of the day (the ID's sex digit), other than the timed-out one's.
    const stayPerson = this.persons.find((p) => p.gend === '2' && p !== first) ?? first;
    if (stayPerson) await stay(this, stayPerson);
    await this.reconcile(date, '11', '门诊');
    if (stayPerson) await this.reconcile(date, '21', '住院（含生育住院 52）');
    await reconcileDetails(this, date);
    if (this.client.signNo) await this.step('9002', this.o.institution, async () => ({ result: await this.client.signOut({ signOut: { opter_no: 'SIM' } }) }));
    return this.report(date, setup?.lines ?? [], setup?.problems ?? []);
  }

  /** The person's psn_no: 1101 by the identity, else the registry id the sim set up. */
  private async lookUp(p: SimPerson): Promise<string> {
    const found = await this.step('1101', p.psnNo, async () => {
      const a = await this.client.personInfo({ data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, psn_cert_type: '01', certno: p.certno, psn_name: p.name } });
      const b = a.output.baseinfo;
      return {
        result: b.psn_no,
        checks: [
          { label: '人员编号', ok: b.psn_no === p.psnNo, detail: `${b.psn_no}` },
          { label: '参保信息含 390 城乡居民', ok: a.output.insuinfo.some((r) => r.insutype === '390'), detail: a.output.insuinfo.map((r) => r.insutype).join('、') },
        ],
      };
    });
    return found ?? p.psnNo;
  }

  /** 5206's values, code → fen; undefined when not answered. */
  async cumulative(p: SimPerson, when: string): Promise<Map<string, Fen> | undefined> {
    return this.step('5206', `${p.psnNo} ${when}`, async () => {
      // 累计年月: the day's month (the answer does not then depend on when it is asked).
      const a = await this.client.cumulative({ data: { psn_no: p.psnNo, cum_ym: this.time().slice(0, 7).replace('-', '') } });
      const m = new Map<string, Fen>();
      for (const r of a.output.cuminfo) m.set(`${r.insutype}/${r.year}/${r.cum_type_code}`, fen0(r.cum));
      return { result: m, message: [...m].map(([k, v]) => `${k}=${(v / 100).toFixed(2)}`).join('；') || '无累计' };
    });
  }

  /** One person's outpatient visit. */
  private async outpatient(p: SimPerson, i: number): Promise<void> {
    const psnNo = await this.lookUp(p);
    const time = this.time();
    await this.step('2001', psnNo, async () => {
      const a = await this.client.checkEligibility({ data: { psn_no: psnNo, insutype: '390', fixmedins_code: this.o.institution, med_type: '11', begntime: time } }, this.ext);
      const refused = a.output.trtinfo.filter((r) => r.trt_enjymnt_flag !== '1');
      return {
        result: a,
        checks: [
          {
            label: '享受待遇',
            ok: refused.length === 0,
            detail: refused.length === 0 ? `${a.output.trtinfo.length} 项均享受` : refused.map((r) => `${r.fund_pay_type}: ${r.trt_chk_rslt}`).join('；'),
          },
        ],
      };
    });
    const ownId = `${this.o.institution}-${this.o.seed}-${i + 1}`;
    const mdtrtId =
      (await this.step('2201', psnNo, async () => {
        const a = await this.client.register(registration(p, time, `MZ${ownId}`));
        return { result: a.output.data.mdtrt_id, checks: [{ label: '就诊ID', ok: !!a.output.data.mdtrt_id, detail: a.output.data.mdtrt_id }] };
      })) ?? `V-${ownId}`;
    await this.step('2203', mdtrtId, async () => ({ result: await this.client.uploadVisitInfo(visitInfo(psnNo, mdtrtId, time)) }));
    const items = itemsOf(this.next);
    const setl = await this.settleVisit(p, mdtrtId, `B${ownId}`, items, time);
    if (setl && i === 0) await this.feeDetails(p, setl);
    if (setl && i % 3 === 1) await this.reverse(p, setl);
  }

  /** 2204, 2206, 2207 and 5206 around it; the settlement's setlinfo. `during`: run between 2206 and 2207 (3102). */
  async settleVisit(
    p: SimPerson,
    mdtrtId: string,
    batch: string,
    items: ReturnType<typeof itemsOf>,
    time: string,
    lose = false,
    during?: (pre: SetlInfo | undefined) => Promise<unknown>,
  ): Promise<SetlInfo | undefined> {
    const total = totalOf(items);
    const uploaded = await this.step('2204', mdtrtId, async () => {
      const a = await this.client.uploadFees({ feedetail: outpatientFees(p.psnNo, mdtrtId, batch, time, items) });
      return { result: feeDetailChecks(a.output.result, total), checks: feeDetailChecks(a.output.result, total).checks };
    });
    const message = outpatientSettle(p, mdtrtId, batch, items, uploaded !== undefined);
    const pre = await this.step('2206', mdtrtId, async () => {
      const a = await this.client.preSettle(message, this.ext);
      const s = a.output.setlinfo;
      const checks = [...settlementChecks(s, a.output.setldetail), equal('医疗费总额 = 医院明细之和', fenOf(s.medfee_sumamt), total, ['中心 ', '医院 '])];
      if (uploaded)
        checks.push(equal('符合政策范围金额 = 明细之和', fenOf(s.inscp_scp_amt), uploaded.inscp), equal('全自费金额 = 明细之和', fenOf(s.fulamt_ownpay_amt), uploaded.fulamt));
      return { result: s, checks };
    });
    if (lose) return this.lostSettle(p, mdtrtId, message);
    if (during) await during(pre);
    const before = await this.cumulative(p, '结算前');
    const setl = await this.step('2207', mdtrtId, async () => {
      const a = await this.client.settle(message, this.ext);
      const s = a.output.setlinfo;
      const checks = [...settlementChecks(s, a.output.setldetail), equal('医疗费总额 = 医院明细之和', fenOf(s.medfee_sumamt), total, ['中心 ', '医院 '])];
      if (pre) checks.push(sameFigures('预结算 = 结算', pre, s));
      return { result: s, checks };
    });
    if (!setl) return undefined;
    this.rows.push(rowOf('11', setl, p.psnNo));
    const after = await this.cumulative(p, '结算后');
    if (before && after) this.cumulativeMoved(p, before, after, setl);
    return setl;
  }

  /** 5206 moved by this settlement's fund pay: a check on the step just recorded. */
  private cumulativeMoved(p: SimPerson, before: Map<string, Fen>, after: Map<string, Fen>, s: SetlInfo): void {
    const moved = [...new Set([...before.keys(), ...after.keys()])].map((k) => ({ k, d: (after.get(k) ?? 0) - (before.get(k) ?? 0) })).filter((x) => x.d !== 0);
    const fund = fen0(s.fund_pay_sumamt);
    const hifp = fen0(s.hifp_pay);
    const total = fen0(s.medfee_sumamt);
    const step = this.steps[this.steps.length - 1] as Step;
    const byFund = moved.filter((x) => x.d === fund || x.d === hifp);
    step.checks.push({
      label: `5206 累计随本次结算变动（${p.psnNo}）`,
      ok: fund === 0 ? moved.every((x) => x.d === total || x.d === 0 || x.d === fen0(s.inscp_scp_amt)) : byFund.length > 0,
      detail:
        moved.length === 0
          ? `无变动（基金支付 ${(fund / 100).toFixed(2)}）`
          : moved.map((x) => `${x.k} +${(x.d / 100).toFixed(2)}`).join('；') + `（基金支付 ${(fund / 100).toFixed(2)}）`,
    });
    if (step.checks.some((c) => !c.ok) && step.status === 'balanced') step.status = 'unbalanced';
  }

  /** 5204 of a settlement: its details add up to its 医疗费总额. */
  private async feeDetails(p: SimPerson, s: SetlInfo): Promise<void> {
    await this.step('5204', s.setl_id ?? '', async () => {
      const a = await this.client.feeDetails({ data: { psn_no: p.psnNo, setl_id: s.setl_id ?? '', mdtrt_id: s.mdtrt_id ?? '' } });
      const rows = a.output;
      return {
        result: rows,
        checks: [
          equal(
            '费用明细之和 = 医疗费总额',
            rows.reduce((n, r) => n + fen0(r.det_item_fee_sumamt), 0),
            fenOf(s.medfee_sumamt),
          ),
        ],
      };
    });
  }

  /** 2208 of a settlement: the answer its exact negation. */
  private async reverse(p: SimPerson, s: SetlInfo): Promise<void> {
    const r = await this.step('2208', s.mdtrt_id ?? '', async () => {
      const a = await this.client.reverseSettlement({ data: { setl_id: s.setl_id ?? '', mdtrt_id: s.mdtrt_id ?? '', psn_no: p.psnNo } });
      return { result: a.output.setlinfo, checks: [...settlementChecks(a.output.setlinfo, a.output.setldetail), sameFigures('撤销 = 结算之相反数', s, a.output.setlinfo, -1)] };
    });
    if (r) this.rows.push(rowOf('11', r, p.psnNo, '1'));
  }

  /** A second visit of `p` whose 2207 answer is lost: 冲正 by 2601 (twice), then 5203. */
  private async timedOut(p: SimPerson): Promise<void> {
    const time = this.time();
    const ownId = `${this.o.institution}-${this.o.seed}-T`;
    const mdtrtId =
      (await this.step('2201', `${p.psnNo}（超时场景）`, async () => {
        const a = await this.client.register(registration(p, time, `MZ${ownId}`));
        return { result: a.output.data.mdtrt_id };
      })) ?? `V-${ownId}`;
    await this.settleVisit(p, mdtrtId, `B${ownId}`, itemsOf(this.next), time, true);
  }

  private async lostSettle(p: SimPerson, mdtrtId: string, message: ReturnType<typeof outpatientSettle>): Promise<undefined> {
    const msgid = this.client.nextMsgid();
    // The answer is discarded as if it never came; its setl_id is kept only to verify with 5203.
    const lost = await this.step('2207', `${mdtrtId}（应答丢弃，视为超时）`, async () => {
      const a = await this.client.settle(message, { msgid, ...this.ext });
      return { result: a.output.setlinfo, message: `报文 ${msgid} 的应答被丢弃` };
    });
    if (!lost) return undefined;
    const correctMsgid = this.client.nextMsgid();
    const correct = () => this.client.correct({ data: { psn_no: p.psnNo, omsgid: msgid, oinfno: '2207' } }, { msgid: correctMsgid });
    // yibao names the reversal it made (yibao.reversalId; the specification gives 2601 no output).
    const first = await this.step('2601', `冲正 ${msgid}`, async () => {
      const a = await correct();
      const reversalId = typeof a.yibao?.reversalId === 'string' ? a.yibao.reversalId : undefined;
      return { result: { reversalId }, message: typeof a.yibao?.memo === 'string' ? a.yibao.memo : undefined };
    });
    await this.step('2601', `冲正 ${msgid}（重发）`, async () => {
      const a = await correct();
      const again = typeof a.yibao?.reversalId === 'string' ? a.yibao.reversalId : undefined;
      const same = first !== undefined && again === first.reversalId;
      return {
        result: a,
        checks: [{ label: '重发冲正：同一应答，只冲正一次', ok: same, detail: same ? `同一撤销 ${again ?? '—'}` : `${first?.reversalId ?? '—'} / ${again ?? '—'}` }],
      };
    });
    // Without a 2601 the settlement stands: 5203 must show it live (the hospital then keeps it).
    const expected = first ? 'reversed' : 'live';
    const fate = await this.step('5203', first?.reversalId ?? lost.setl_id ?? '', async () => {
      try {
        const a = await this.client.settlementInfo({ data: { psn_no: p.psnNo, setl_id: first?.reversalId ?? lost.setl_id ?? '', mdtrt_id: mdtrtId } });
        const s = a.output.setlinfo;
        const got = s.refd_setl_flag === '1' ? 'reversed' : 'live';
        const checks = [
          expected === 'reversed'
            ? { label: '冲正后 5203：有退费结算', ok: got === 'reversed', detail: got === 'reversed' ? `退费结算 ${s.setl_id}` : '仍为有效结算' }
            : { label: '未冲正（无 2601）：5203 结算仍有效', ok: got === 'live', detail: got === 'live' ? `结算 ${s.setl_id}` : '已为退费' },
        ];
        if (got === 'reversed') checks.push(sameFigures('退费 = 被冲正结算之相反数', lost, s as unknown as SetlInfo, -1, QUERY_FIGURES));
        return { result: got, checks };
      } catch (e) {
        if (e instanceof NationalError && !e.transport && expected === 'reversed')
          return { result: 'absent', checks: [{ label: '冲正后 5203：结算不存在', ok: true, detail: e.errMsg }] };
        throw e;
      }
    });
    // The hospital's ledger learns the settlement's fate from 5203: reversed, a settlement and its refund.
    // (The lost answer's setl_id, kept by the sim, stands for the one 5203 of the visit would name: 3202's file.)
    if (fate === 'reversed' || (fate === undefined && first !== undefined)) {
      const row = rowOf('11', lost, p.psnNo);
      const refund: Row = { ...row, medfee: -row.medfee, fund: -row.fund, acct: -row.acct, cash: -row.cash, setlId: first?.reversalId ?? '', refd: '1' };
      this.rows.push(row, refund);
    }
    if (first === undefined) this.rows.push(rowOf('11', lost, p.psnNo));
    return undefined;
  }

  /** 3201 of a class: the hospital's net totals (settled − reversed; each row counted) against the ledger's. */
  private async reconcile(date: string, clrType: string, label: string): Promise<void> {
    const rows = this.rows.filter((r) => r.clrType === clrType);
    const sum = (f: 'medfee' | 'fund' | 'acct') => rows.reduce((n, r) => n + r[f], 0);
    const y = (f: Fen) => (f / 100).toFixed(2);
    await this.step('3201', `390 城乡居民 × ${clrType} ${label}`, async () => {
      const a = await this.client.reconcileTotals({
        data: {
          insutype: '390',
          clr_type: clrType,
          setl_optins: '410300',
          stmt_begndate: date,
          stmt_enddate: date,
          medfee_sumamt: y(sum('medfee')),
          fund_pay_sumamt: y(sum('fund')),
          acct_pay: y(sum('acct')),
          fixmedins_setl_cnt: rows.length,
          fixmedins_refd_setl_flag: '0',
        },
      });
      const s = a.output.stmtinfo;
      return {
        result: s,
        checks: [{ label: `对总账：医院 ${y(sum('medfee'))} 元 / ${y(sum('fund'))} 元 / ${rows.length} 笔 与中心一致`, ok: s.stmt_rslt === '0', detail: s.stmt_rslt_dscr }],
      };
    });
  }

  private report(date: string, setup: string[], setupProblems: string[]): DayReport {
    const ledger: DayReport['ledger'] = {};
    for (const clr of [...new Set(this.rows.map((r) => r.clrType))]) {
      const rows = this.rows.filter((r) => r.clrType === clr);
      const s = (f: 'medfee' | 'fund' | 'acct') => (rows.reduce((n, r) => n + r[f], 0) / 100).toFixed(2);
      ledger[clr] = { medfee_sumamt: s('medfee'), fund_pay_sumamt: s('fund'), acct_pay: s('acct'), count: rows.length };
    }
    const balanced = setupProblems.length === 0 && this.steps.every((s) => s.status === 'balanced');
    return {
      institution: this.o.institution,
      date,
      persons: this.o.persons,
      seed: this.o.seed,
      setup: [...setup, ...setupProblems.map((p) => `失败 / failed: ${p}`)],
      steps: this.steps,
      unavailable: [...this.unavailable].sort(),
      balanced,
      ledger,
    };
  }
}
