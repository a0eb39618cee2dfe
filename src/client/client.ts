/**
 * NationalClient (医保接口客户端): a hospital system's side of the national interface over HTTP
 * (issue 15), one method per transaction, for yibao's /v1/national/INFNO or any service that speaks
 * the same messages. Node 20's global fetch; nothing else.
 *
 * - Each message gets the envelope (公共输入参数): infno, a msgid (发送方报文ID: 定点医药机构编号 +
 *   yyyyMMddHHmmss China time + a 4-digit sequence, the specification's layout), inf_time, the
 *   institution's code and name, 参保地/就医地区划, 经办人, and the sign_no 9001 handed back.
 * - An answer with infcode 0 is returned as the typed envelope (公共输出参数).
 * - A refusal (infcode -1), whatever the HTTP status (the service answers 200 in its 'platform'
 *   status mode, as the platform does), throws a {@link NationalError} with err_msg and the code.
 * - No answer within timeoutMs throws a {@link NationalTimeoutError} carrying the msgid: the caller
 *   then sends 2601 冲正 with that msgid (omsgid) and infno (oinfno).
 */
import { YibaoError } from '../errors.js';
import type {
  AdmitInput,
  AmendStayInput,
  CancelFeesInput,
  CancelRegistrationInput,
  CancelStayFeesInput,
  CorrectInput,
  CumulativeInput,
  DischargeInput,
  EligibilityInput,
  FeeUploadInput,
  Infno,
  Messages,
  PersonInfoInput,
  PreSettleInput,
  ReconcileDetailsInput,
  ReconcileTotalsInput,
  RegisterInput,
  RequestEnvelope,
  ResponseEnvelope,
  ReverseInput,
  SettlementQueryInput,
  SettleInput,
  SignInInput,
  SignOutInput,
  StayFeeUploadInput,
  StayRefInput,
  SupervisionInput,
  StaySettleInput,
  VisitInfoInput,
  YibaoExtension,
} from './messages.js';

export interface NationalClientOptions {
  /** The service's root, e.g. http://127.0.0.1:8080 (messages go to {baseUrl}/v1/national/INFNO). */
  baseUrl: string;
  /** The institution's API key (Authorization: Bearer). */
  apiKey: string;
  /** 定点医药机构编号, 定点医药机构名称. */
  fixmedinsCode: string;
  fixmedinsName?: string;
  /** 参保地医保区划 and 就医地医保区划 of the envelope, when the HIS knows them. */
  insuplcAdmdvs?: string;
  mdtrtareaAdmvs?: string;
  /** 经办人 (opter), 经办人姓名; 经办人类别 1 (经办人). */
  opter?: string;
  opterName?: string;
  /** Milliseconds to wait for an answer (default 30 000). */
  timeoutMs?: number;
  /** The msgid generator (default {@link msgidGenerator}). */
  msgid?: () => string;
  /** The clock of inf_time and of the default msgids (default the system's). */
  now?: () => Date;
  /** Sees every exchange (e.g. to record it); a timed-out one has response undefined. */
  onExchange?: (exchange: Exchange) => void;
}

/** One request and its answer, as sent and received. */
export interface Exchange {
  infno: Infno;
  request: RequestEnvelope<unknown>;
  /** HTTP status; 0 when no answer came. */
  status: number;
  response: unknown;
}

/** Per call: a msgid of the caller's (a retry sends the same), the extension block, envelope fields. */
export interface CallOptions {
  msgid?: string;
  yibao?: YibaoExtension;
  envelope?: Partial<Omit<RequestEnvelope<unknown>, 'input' | 'infno'>>;
}

/** A successful answer: infcode 0 and the transaction's output. */
export type NationalAnswer<O> = ResponseEnvelope<O> & { output: O };

/** A refusal (交易失败, infcode -1) or an answer that is not the national envelope. */
export class NationalError extends YibaoError<string> {
  constructor(
    code: string,
    /** 错误信息 as the service wrote it. */
    readonly errMsg: string,
    readonly infno: Infno,
    readonly msgid: string,
    /** The HTTP status (200 in the 'platform' status mode). */
    readonly status: number,
    /** The answer as received (the envelope; or whatever came when it was not one). */
    readonly response: unknown,
    /** True when the answer was not a national envelope (no such transaction, a proxy's page…). */
    readonly transport = false,
  ) {
    super(code, `${infno} ${errMsg}`, { infno, msgid, status });
    this.name = 'NationalError';
  }
}

/** No answer within the timeout: the message may or may not have been processed. 2601 it by msgid. */
export class NationalTimeoutError extends YibaoError<'NATIONAL_TIMEOUT'> {
  constructor(
    readonly infno: Infno,
    readonly msgid: string,
    readonly timeoutMs: number,
  ) {
    super('NATIONAL_TIMEOUT', `${infno} 超时：${timeoutMs} 毫秒内无应答（报文 ${msgid}），请以 2601 冲正 / no answer within ${timeoutMs} ms`, { infno, msgid });
    this.name = 'NationalTimeoutError';
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The China-time (UTC+8) fields of an instant. */
function chinaParts(at: Date) {
  const c = new Date(at.getTime() + 8 * 3_600_000);
  return {
    date: `${c.getUTCFullYear()}-${pad(c.getUTCMonth() + 1)}-${pad(c.getUTCDate())}`,
    time: `${pad(c.getUTCHours())}:${pad(c.getUTCMinutes())}:${pad(c.getUTCSeconds())}`,
  };
}

/** yyyy-MM-dd HH:mm:ss, China time (the platform's 日期时间型). */
export function nationalTimeOf(at: Date): string {
  const { date, time } = chinaParts(at);
  return `${date} ${time}`;
}

/**
 * msgids as the specification lays them out: 定点医药机构编号 + yyyyMMddHHmmss (China time) + a
 * four-digit sequence, which wraps after 9999. `start` sets the first sequence number.
 */
export function msgidGenerator(fixmedinsCode: string, now: () => Date = () => new Date(), start = 1): () => string {
  let seq = start - 1;
  return () => {
    seq = (seq + 1) % 10_000;
    return `${fixmedinsCode}${nationalTimeOf(now()).replace(/\D/g, '')}${pad(seq, 4)}`;
  };
}

export class NationalClient {
  private readonly opts: NationalClientOptions;
  private readonly nextId: () => string;
  private readonly clock: () => Date;
  /** 签到编号 from the last 9001, sent with every message until 9002. */
  signNo: string | undefined;

  constructor(options: NationalClientOptions) {
    this.opts = options;
    this.clock = options.now ?? (() => new Date());
    this.nextId = options.msgid ?? msgidGenerator(options.fixmedinsCode, this.clock);
  }

  /** The next msgid the client would send (to keep one for a retry or a 2601). */
  nextMsgid(): string {
    return this.nextId();
  }

  /** Any transaction: the envelope around `input`, posted, the answer typed. */
  async call<K extends Infno>(infno: K, input: Messages[K]['input'], options: CallOptions = {}): Promise<NationalAnswer<Messages[K]['output']>> {
    const o = this.opts;
    const msgid = options.msgid ?? this.nextId();
    const request: RequestEnvelope<Messages[K]['input']> = {
      infno,
      msgid,
      ...(o.mdtrtareaAdmvs ? { mdtrtarea_admvs: o.mdtrtareaAdmvs } : {}),
      ...(o.insuplcAdmdvs ? { insuplc_admdvs: o.insuplcAdmdvs } : {}),
      ...(o.opter ? { opter_type: '1', opter: o.opter } : {}),
      ...(o.opterName ? { opter_name: o.opterName } : {}),
      inf_time: nationalTimeOf(this.clock()),
      fixmedins_code: o.fixmedinsCode,
      ...(o.fixmedinsName ? { fixmedins_name: o.fixmedinsName } : {}),
      ...(this.signNo ? { sign_no: this.signNo } : {}),
      ...options.envelope,
      input,
      ...(options.yibao ? { yibao: options.yibao } : {}),
    };
    const timeoutMs = o.timeoutMs ?? 30_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let status = 0;
    let text: string;
    try {
      const res = await fetch(`${o.baseUrl.replace(/\/+$/, '')}/v1/national/${infno}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (controller.signal.aborted) {
        o.onExchange?.({ infno, request, status: 0, response: undefined });
        throw new NationalTimeoutError(infno, msgid, timeoutMs);
      }
      throw new NationalError('TRANSPORT', `无法连接 / cannot reach ${o.baseUrl}: ${(e as Error).message}`, infno, msgid, 0, undefined, true);
    } finally {
      clearTimeout(timer);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    o.onExchange?.({ infno, request, status, response: body });
    return this.answer(infno, msgid, status, body) as NationalAnswer<Messages[K]['output']>;
  }

  /** The envelope when it says success; else the NationalError it is. */
  private answer(infno: Infno, msgid: string, status: number, body: unknown): NationalAnswer<unknown> {
    const envelope = typeof body === 'object' && body !== null && 'infcode' in body ? (body as ResponseEnvelope<unknown>) : undefined;
    if (!envelope) {
      const b = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown };
      const code = typeof b.code === 'string' ? b.code : status === 404 ? 'NOT_FOUND' : `HTTP_${status}`;
      const why = typeof b.message === 'string' ? b.message : typeof body === 'string' ? body.slice(0, 200) : `HTTP ${status}`;
      throw new NationalError(code, `应答不是医保接口报文 / not a national answer (HTTP ${status}): ${why}`, infno, msgid, status, body, true);
    }
    // A transaction without output (2202, 2203, 2402, 2601…) answers output null with infcode 0.
    if (envelope.infcode !== 0 || status >= 400) {
      const errMsg = envelope.err_msg ?? `infcode ${envelope.infcode}`;
      const code = envelope.error?.code ?? (/^([A-Z][A-Z_]+):/.exec(errMsg)?.[1] as string | undefined) ?? 'NATIONAL_REFUSED';
      throw new NationalError(code, errMsg, infno, msgid, status, envelope);
    }
    return envelope as NationalAnswer<unknown>;
  }

  // ---- one method per transaction ------------------------------------------------------------

  /** 9001 签到: keeps the sign_no and sends it with every message after. */
  async signIn(input: SignInInput, options?: CallOptions) {
    const answer = await this.call('9001', input, options);
    this.signNo = answer.output.signinoutb.sign_no;
    return answer;
  }
  /** 9002 签退 (sign_no defaults to the one kept); forgets the sign_no. */
  async signOut(input: { signOut: { opter_no: string; sign_no?: string } }, options?: CallOptions) {
    const signOut = { ...input.signOut, sign_no: input.signOut.sign_no ?? this.signNo ?? '' };
    const answer = await this.call('9002', { signOut } as SignOutInput, options);
    this.signNo = undefined;
    return answer;
  }
  /** 1101 人员信息获取. */
  personInfo = (input: PersonInfoInput, options?: CallOptions) => this.call('1101', input, options);
  /** 2001 人员待遇享受检查. */
  checkEligibility = (input: EligibilityInput, options?: CallOptions) => this.call('2001', input, options);
  /** 2201 门诊挂号. */
  register = (input: RegisterInput, options?: CallOptions) => this.call('2201', input, options);
  /** 2202 门诊挂号撤销. */
  cancelRegistration = (input: CancelRegistrationInput, options?: CallOptions) => this.call('2202', input, options);
  /** 2203 门诊就诊信息上传. */
  uploadVisitInfo = (input: VisitInfoInput, options?: CallOptions) => this.call('2203', input, options);
  /** 2204 门诊费用明细信息上传. */
  uploadFees = (input: FeeUploadInput, options?: CallOptions) => this.call('2204', input, options);
  /** 2205 门诊费用明细信息撤销. */
  cancelFees = (input: CancelFeesInput, options?: CallOptions) => this.call('2205', input, options);
  /** 2206 门诊预结算. */
  preSettle = (input: PreSettleInput, options?: CallOptions) => this.call('2206', input, options);
  /** 2207 门诊结算. */
  settle = (input: SettleInput, options?: CallOptions) => this.call('2207', input, options);
  /** 2208 门诊结算撤销. */
  reverseSettlement = (input: ReverseInput, options?: CallOptions) => this.call('2208', input, options);
  /** 2401 入院办理. */
  admit = (input: AdmitInput, options?: CallOptions) => this.call('2401', input, options);
  /** 2402 出院办理. */
  discharge = (input: DischargeInput, options?: CallOptions) => this.call('2402', input, options);
  /** 2403 住院信息变更. */
  amendStay = (input: AmendStayInput, options?: CallOptions) => this.call('2403', input, options);
  /** 2404 入院撤销. */
  cancelAdmission = (input: StayRefInput, options?: CallOptions) => this.call('2404', input, options);
  /** 2405 出院撤销. */
  undoDischarge = (input: StayRefInput, options?: CallOptions) => this.call('2405', input, options);
  /** 2301 住院费用明细上传. */
  uploadStayFees = (input: StayFeeUploadInput, options?: CallOptions) => this.call('2301', input, options);
  /** 2302 住院费用明细撤销. */
  cancelStayFees = (input: CancelStayFeesInput, options?: CallOptions) => this.call('2302', input, options);
  /** 2303 住院预结算. */
  preSettleStay = (input: StaySettleInput, options?: CallOptions) => this.call('2303', input, options);
  /** 2304 住院结算. */
  settleStay = (input: StaySettleInput, options?: CallOptions) => this.call('2304', input, options);
  /** 2305 住院结算撤销. */
  reverseStay = (input: ReverseInput, options?: CallOptions) => this.call('2305', input, options);
  /** 2601 冲正交易: undo a 2207 or 2304 by its msgid (omsgid) and infno (oinfno). */
  correct = (input: CorrectInput, options?: CallOptions) => this.call('2601', input, options);
  /** 5203 结算信息查询. */
  settlementInfo = (input: SettlementQueryInput, options?: CallOptions) => this.call('5203', input, options);
  /** 5204 费用明细查询. */
  feeDetails = (input: SettlementQueryInput, options?: CallOptions) => this.call('5204', input, options);
  /** 5206 人员累计信息查询. */
  cumulative = (input: CumulativeInput, options?: CallOptions) => this.call('5206', input, options);
  /** 3201 医药机构费用结算对总账. */
  reconcileTotals = (input: ReconcileTotalsInput, options?: CallOptions) => this.call('3201', input, options);
  /** 3101 明细审核事前分析服务: the leads before a settlement; nothing kept. */
  auditBefore = (input: SupervisionInput, options?: CallOptions) => this.call('3101', input, options);
  /** 3102 明细审核事中分析服务: the leads while settling; each kept as a finding. */
  auditDuring = (input: SupervisionInput, options?: CallOptions) => this.call('3102', input, options);
  /** 3202 医药机构费用结算对明细账 (the file inline). */
  reconcileDetails = (input: ReconcileDetailsInput, options?: CallOptions) => this.call('3202', input, options);
}
