/**
 * The supervision messages of the national interface (Hunan V1.1.27), in the platform's envelope
 * (公共输入参数, src/national/input.ts):
 *
 *   3101 明细审核事前分析服务   a visit checked before it is settled: the leads it would raise
 *   3102 明细审核事中分析服务   a visit checked while it is settled: the leads are kept as findings
 *
 * Both take `input.data` (表128/136): patient_dtos (表129/137: the person and their encounters,
 * 表130/138, each with its diagnoses 表131/139, orders 表132/140 and operations 表133/141),
 * rule_ids and trig_scen. Every field of the tables is read with its required flag and its length;
 * lists are bounded ({@link LIMITS}). Strict where the rules read (ids, times, the visit's class,
 * the amounts); a required field the rules do not read must be present, and may be empty.
 *
 * What is checked, and how an encounter becomes the ledger's {@link CheckVisit}:
 *
 *   the visit        each patient's encounter whose mdtrt_id is curr_mdtrt_id (当前就诊); the
 *                    other encounters are the hospital's history, validated and not judged: the
 *                    person's history is the ledger's own settlements
 *   personId         patn_id;  institutionId medins_id (it must be the envelope's fixmedins_code);
 *                    visitId mdtrt_id
 *   timeMs           when the card is used: adm_date (就诊时间) for an outpatient visit or a
 *                    purchase (med_mdtrt_type 1 门诊, 3 购药); dscg_date (出院日期) for a stay
 *                    (2 住院), which is settled at discharge. yyyy-MM-dd HH:mm:ss, China time
 *   visitType        med_type's yibao visit type where it names one (11 outpatient, 14
 *                    two-diseases, 51 prenatal, 21 inpatient; src/national/codes.ts); any other
 *                    med_type by its class: 门诊 and 购药 → outpatient, 住院 → inpatient (so 52 生育住院
 *                    → inpatient). A med_type of the other class than med_mdtrt_type is refused;
 *                    med_mdtrt_type 4 其他 is refused (no yibao visit type)
 *   total            medfee_sumamt;   fund hifp_payamt (统筹金支付);   account acct_payamt
 *   cash             medfee_sumamt − hifp_payamt − acct_payamt − ma_amt (救助金), exactly; a message
 *                    whose parts exceed the total is refused, not clamped. An amount left out
 *                    (the three are optional in the spec) is 0: a 3101 before any pre-settlement
 *                    may know no fund share yet
 *   ruleIds          rule_ids when given (each must be a rule yibao knows); trig_scen (触发场景)
 *                    is accepted and not read: the transaction says the scene (3101 before, 3102
 *                    during settlement)
 */
import { z } from 'zod';
import { parseDate, parseInstant } from '../calendar/calendar.js';
import type { VisitType } from '../domain.js';
import type { Fen } from '../money/money.js';
import { safeParseNational } from './problems.js';
import { amount, id, RequestError } from '../request/settle-request.js';
import { NationalCodeError, visitTypesOf } from './codes.js';
import { isInpatientMedType, NATIONAL_CODES, type CodeEdition } from './code-editions.js';
import { envelopeFields, text } from './input.js';

/** The supervision transactions. */
export const SUPERVISION_INTERFACES = ['3101', '3102'] as const;
export type SupervisionInterface = (typeof SUPERVISION_INTERFACES)[number];

export const SUPERVISION_INTERFACE_NAMES: Record<SupervisionInterface, string> = {
  '3101': '明细审核事前分析服务',
  '3102': '明细审核事中分析服务',
};

/** The most of each list a message may hold. */
export const LIMITS = { patients: 100, encounters: 100, diagnoses: 100, orders: 1000, operations: 100, ruleIds: 50, orderMapKeys: 20 } as const;

/** The largest 3101/3102 body, in bytes (a hundred patients with their orders). */
export const SUPERVISION_BODY_LIMIT = 4 * 1024 * 1024;

/** A national id of at most `max` characters (the id rule, src/request/id.ts). */
const nid = (max: number) => id.refine((v) => v.length <= max, `must be at most ${max} characters`);

/** yyyy-MM-dd HH:mm:ss, China time → epoch ms. */
const dateTime = z
  .string({ error: 'must be a time yyyy-MM-dd HH:mm:ss' })
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be a time yyyy-MM-dd HH:mm:ss (China time)')
  .transform((v, ctx) => {
    const t = parseInstant(v.replace(' ', 'T'));
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a real date and time yyyy-MM-dd HH:mm:ss' });
      return z.NEVER;
    }
    return t;
  });

const date = z
  .string({ error: 'must be a date yyyy-MM-dd' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date yyyy-MM-dd')
  .refine((v) => parseDate(v) !== undefined, 'must be a real date yyyy-MM-dd');

const codeOf = <T extends readonly [string, ...string[]]>(values: T, names: string) => z.enum(values, { error: `must be one of ${names}` });
const list = <T extends z.ZodType>(item: T, max: number) => z.array(item, { error: 'must be a list' }).max(max, `must hold at most ${max}`);
const flag01 = codeOf(['0', '1'], '"1" (是), "0" (否)');

/** 数值型 (6,2): a quantity, at most two decimals. */
const quantity = z.union([z.number(), z.string()], { error: 'must be a number' }).transform((v, ctx) => {
  const t = typeof v === 'number' ? String(v) : v.trim();
  if (!/^\d{1,4}(\.\d{1,2})?$/.test(t)) {
    ctx.addIssue({ code: 'custom', message: 'must be a quantity of at most 4 digits and 2 decimals (数值型 6,2)' });
    return z.NEVER;
  }
  return Number(t);
});

/** 表131 诊断信息. */
const diagnosis = z.strictObject({
  dise_id: nid(50),
  inout_dise_type: text(3),
  maindise_flag: text(3),
  dias_srt_no: text(2),
  dise_codg: text(30),
  dise_name: text(200),
  dise_date: dateTime,
});

/** 表132 处方（医嘱）信息. */
const order = z.strictObject({
  rx_id: nid(50),
  rxno: text(20),
  grpno: text(20).optional(),
  long_drord_flag: flag01,
  hilist_type: text(3),
  chrg_type: text(3),
  drord_bhvr: text(3),
  hilist_code: text(20),
  hilist_name: text(50),
  hilist_dosform: text(50).optional(),
  hilist_lv: text(3),
  hilist_pric: amount,
  lv1_hosp_item_pric: amount.optional(),
  lv2_hosp_item_pric: amount.optional(),
  lv3_hosp_item_pric: amount.optional(),
  hilist_memo: text(200).optional(),
  hosplist_code: text(20),
  hosplist_name: text(50),
  hosplist_dosform: text(20).optional(),
  cnt: quantity,
  pric: amount,
  sumamt: amount,
  ownpay_amt: amount,
  selfpay_amt: amount,
  spec: text(100),
  spec_unt: text(20),
  drord_begn_date: dateTime,
  drord_stop_date: dateTime.optional(),
  drord_dept_codg: text(30),
  drord_dept_name: text(50),
  drord_dr_codg: text(30),
  drord_dr_name: text(30),
  drord_dr_profttl: text(3),
  curr_drord_flag: flag01,
  extend_order_map: z
    .record(z.string().max(30, 'a key is at most 30 characters'), text(50), { error: 'must be an object of strings' })
    .refine((m) => Object.keys(m).length <= LIMITS.orderMapKeys, `must have at most ${LIMITS.orderMapKeys} keys`)
    .optional(),
});

/** 表133 手术操作信息. */
const operation = z.strictObject({
  setl_list_oprn_id: text(30),
  oprn_code: text(30).optional(),
  oprn_name: text(500).optional(),
  main_oprn_flag: text(3),
  oprn_date: dateTime.optional(),
  anst_way: text(30).optional(),
  oper_dr_name: text(50).optional(),
  oper_dr_code: text(30).optional(),
  anst_dr_name: text(50).optional(),
  anst_dr_code: text(30).optional(),
});

/** 表130 就诊信息. */
const encounter = z.strictObject({
  mdtrt_id: nid(50),
  medins_id: nid(50),
  medins_name: text(200),
  medins_admdvs: text(6),
  medins_type: text(3),
  medins_lv: text(3),
  wardarea_codg: text(20).optional(),
  wardno: text(20).optional(),
  bedno: text(20).optional(),
  adm_date: dateTime,
  dscg_date: dateTime,
  dscg_main_dise_codg: text(20),
  dscg_main_dise_name: text(50),
  fsi_diagnose_dtos: list(diagnosis, LIMITS.diagnoses),
  dr_codg: text(20),
  adm_dept_codg: text(20),
  adm_dept_name: text(50),
  dscg_dept_codg: text(20),
  dscg_dept_name: text(50),
  /** 就诊类型: 1 门诊, 2 住院, 3 购药, 4 其他. */
  med_mdtrt_type: codeOf(['1', '2', '3', '4'], '"1" 门诊, "2" 住院, "3" 购药, "4" 其他'),
  med_type: text(3).min(1, 'must not be empty'),
  fsi_order_dtos: list(order, LIMITS.orders),
  /** 生育状态: 0 未知, 1 非妊娠期或哺乳期, 2 近期有生育计划, 3 妊娠期, 4 哺乳期. */
  matn_stas: codeOf(['0', '1', '2', '3', '4'], '"0" 未知, "1" 非妊娠期或哺乳期, "2" 近期有生育计划, "3" 妊娠期, "4" 哺乳期'),
  medfee_sumamt: amount,
  ownpay_amt: amount,
  selfpay_amt: amount,
  acct_payamt: amount.optional(),
  ma_amt: amount.optional(),
  hifp_payamt: amount.optional(),
  setl_totlnum: z.union([z.number().int().min(0).max(9999), z.string().regex(/^\d{1,4}$/)], { error: 'must be a count, 0 to 9999 (数值型 4)' }).transform(Number),
  insutype: text(3).min(1, 'must not be empty'),
  /** 报销标志: 1 手动报销, 2 联网报销. */
  reim_flag: codeOf(['1', '2'], '"1" 手动报销, "2" 联网报销'),
  out_setl_flag: flag01,
  fsi_operation_dtos: list(operation, LIMITS.operations).optional(),
  dise_no: text(30).optional(),
  dise_name: text(500).optional(),
  sinc_heal_lv: text(30).optional(),
  his_md_cnt: text(50).optional(),
});

/** 表129 参保人信息. */
const patient = z.strictObject({
  patn_id: nid(50),
  patn_name: text(50),
  /** 性别: 0 未知, 1 男, 2 女, 9 未说明性别. */
  gend: codeOf(['0', '1', '2', '9'], '"0" 未知, "1" 男, "2" 女, "9" 未说明性别'),
  brdy: date,
  poolarea: text(10),
  curr_mdtrt_id: nid(50),
  fsi_encounter_dtos: list(encounter, LIMITS.encounters).min(1, 'must hold at least the current encounter (curr_mdtrt_id)'),
});

/** 表128 规则分析信息. */
const analysisData = z.strictObject({
  patient_dtos: list(patient, LIMITS.patients).min(1, 'must hold at least one patient'),
  rule_ids: list(z.string({ error: 'must be a rule id' }).min(1, 'must not be empty').max(50, 'must be at most 50 characters'), LIMITS.ruleIds).optional(),
  trig_scen: text(3).optional(),
});

export const supervisionBodySchema = z.strictObject({
  ...envelopeFields,
  input: z.strictObject({ data: analysisData }, { error: 'must be an object { data: {...} }' }),
  yibao: z.strictObject({}).optional(),
});

export type SupervisionBody = z.output<typeof supervisionBodySchema>;
type Encounter = z.output<typeof encounter>;

/** A visit to check, as the ledger's book takes it (src/ledger/supervision-types.ts CheckVisit). */
export interface CheckVisitInput {
  personId: string;
  institutionId: string;
  visitId: string;
  timeMs: number;
  visitType: VisitType;
  total: Fen;
  fund: Fen;
  account: Fen;
  cash: Fen;
}

/** A validated 3101 or 3102 message. @throws RequestError naming each bad field (`data.patient_dtos[0]…`). */
export function parseNationalSupervision(infno: SupervisionInterface, body: unknown): SupervisionBody {
  const r = safeParseNational(supervisionBodySchema, body ?? {});
  if (!r.ok) throw new RequestError(r.problems);
  const given = r.data.infno;
  if (given !== undefined && given !== infno) {
    throw new RequestError([`infno: the message says ${given}, but this is ${infno} ${SUPERVISION_INTERFACE_NAMES[infno]} (POST /v1/national/${infno})`]);
  }
  return r.data;
}

const INPATIENT_TYPES: readonly VisitType[] = ['inpatient', 'birth-natural', 'birth-cesarean'];

/** An encounter's visit type (see the module's comment), or the problem. */
function visitTypeOfEncounter(e: Encounter, where: string, codes: CodeEdition): VisitType {
  const name = codes.med_type.codes[e.med_type];
  if (name === undefined) throw new NationalCodeError(`${where}.med_type`, `unknown med_type ${JSON.stringify(e.med_type)} (医疗类别)`);
  if (e.med_mdtrt_type === '4') throw new NationalCodeError(`${where}.med_mdtrt_type`, '4 其他: yibao judges 1 门诊, 2 住院 and 3 购药 visits');
  const stay = e.med_mdtrt_type === '2';
  const types = visitTypesOf(e.med_type, codes);
  const named = types.length === 1 ? (types[0] as VisitType) : undefined;
  const classOf = (t: VisitType) => INPATIENT_TYPES.includes(t);
  // A med_type of the other class: 21 普通住院 on an outpatient visit, 11 普通门诊 on a stay.
  // 99 地方扩展医疗类别 has no class of its own: med_mdtrt_type says it.
  const medTypeStay = named !== undefined ? classOf(named) : e.med_type === '99' ? stay : isInpatientMedType(codes, e.med_type);
  if (medTypeStay !== stay) {
    throw new NationalCodeError(
      `${where}.med_type`,
      `${e.med_type} ${name} is ${medTypeStay ? 'an inpatient' : 'an outpatient'} med_type, but med_mdtrt_type is ${e.med_mdtrt_type} ${stay ? '住院' : e.med_mdtrt_type === '3' ? '购药' : '门诊'}`,
    );
  }
  return named ?? (stay ? 'inpatient' : 'outpatient');
}

/**
 * The visits a message asks to check (each patient's current encounter) as the ledger takes them,
 * and the rules it names.
 *
 * @throws RequestError naming each problem (a curr_mdtrt_id naming no encounter, an encounter at
 *   another institution than fixmedins_code, times or amounts that contradict each other, codes
 *   with no yibao visit type).
 */
export function checkVisitsOf(body: SupervisionBody, codes: CodeEdition = NATIONAL_CODES): { visits: CheckVisitInput[]; ruleIds?: string[] } {
  const problems: string[] = [];
  const visits: CheckVisitInput[] = [];
  const persons = new Set<string>();
  body.input.data.patient_dtos.forEach((p, i) => {
    const at = `data.patient_dtos[${i}]`;
    if (persons.has(p.patn_id)) problems.push(`${at}.patn_id: ${p.patn_id} is listed twice; give each patient once`);
    persons.add(p.patn_id);
    const ids = new Set<string>();
    p.fsi_encounter_dtos.forEach((e, j) => {
      const where = `${at}.fsi_encounter_dtos[${j}]`;
      if (ids.has(e.mdtrt_id)) problems.push(`${where}.mdtrt_id: ${e.mdtrt_id} appears twice`);
      ids.add(e.mdtrt_id);
      if (e.dscg_date < e.adm_date) problems.push(`${where}.dscg_date: before adm_date`);
    });
    const j = p.fsi_encounter_dtos.findIndex((e) => e.mdtrt_id === p.curr_mdtrt_id);
    const e = p.fsi_encounter_dtos[j];
    if (e === undefined) {
      problems.push(`${at}.curr_mdtrt_id: ${p.curr_mdtrt_id} is none of the patient's fsi_encounter_dtos; the current encounter is the one checked`);
      return;
    }
    const where = `${at}.fsi_encounter_dtos[${j}]`;
    if (e.medins_id !== body.fixmedins_code)
      problems.push(`${where}.medins_id: ${e.medins_id} is not the message's fixmedins_code ${body.fixmedins_code}; an institution checks its own visits`);
    let visitType: VisitType = 'outpatient';
    try {
      visitType = visitTypeOfEncounter(e, where, codes);
    } catch (err) {
      if (err instanceof NationalCodeError) problems.push(err.message);
      else throw err;
    }
    const fund = e.hifp_payamt ?? 0;
    const account = e.acct_payamt ?? 0;
    const assistance = e.ma_amt ?? 0;
    const cash = e.medfee_sumamt - fund - account - assistance;
    if (cash < 0) problems.push(`${where}: hifp_payamt + acct_payamt + ma_amt (${(fund + account + assistance) / 100}) exceed medfee_sumamt (${e.medfee_sumamt / 100})`);
    for (const f of ['ownpay_amt', 'selfpay_amt'] as const) if (e[f] > e.medfee_sumamt) problems.push(`${where}.${f}: more than medfee_sumamt`);
    visits.push({
      personId: p.patn_id,
      institutionId: e.medins_id,
      visitId: e.mdtrt_id,
      timeMs: e.med_mdtrt_type === '2' ? e.dscg_date : e.adm_date,
      visitType,
      total: e.medfee_sumamt,
      fund,
      account,
      cash,
    });
  });
  if (problems.length > 0) throw new RequestError(problems);
  const ruleIds = body.input.data.rule_ids;
  return ruleIds === undefined ? { visits } : { visits, ruleIds: [...new Set(ruleIds)] };
}
