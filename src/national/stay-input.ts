/**
 * The inpatient stay's messages (住院): 2401 入院办理, 2402 出院办理, 2403 住院信息变更, 2404 入院撤销,
 * 2405 出院撤销, 2301 住院费用明细上传, 2302 住院费用明细撤销 — their bodies as the Hunan edition of the
 * national interface specification (V1.1.27) gives them, validated strictly (every field the
 * specification marks required is required, no field it does not list is accepted), every problem
 * named by its node and field (`mdtrtinfo.begntime: …`, `feedetail[3].cnt: …`, `data.mdtrt_id: …`).
 *
 * Each is a write: the message id (msgid, 发送方报文ID) is required and makes the request id
 * `INFNO:INSTITUTION:MSGID`, so the same message again answers what the first did.
 */
import { refineResidentIds } from './certno.js';
import { hash as digest } from 'node:crypto';
import { z } from 'zod';
import { parseInstant } from '../calendar/calendar.js';
import { formatIssues } from '../policy/schema.js';
import { parseYuan } from '../money/money.js';
import { canonicalJson } from '../request/settle-one.js';
import { id, RequestError } from '../request/settle-request.js';
import { envelopeFields, text } from './input.js';
import { INSUTYPES } from './codes.js';
import { inpatientMedTypes, NATIONAL_CODES, type CodeEdition } from './code-editions.js';
import { nationalDate, nationalDateTime } from './visit-input.js';

export const STAY_INTERFACES = ['2401', '2402', '2403', '2404', '2405', '2301', '2302'] as const;
export type StayInterface = (typeof STAY_INTERFACES)[number];

/** 交易名称. */
export const STAY_INTERFACE_NAMES: Record<StayInterface, string> = {
  '2401': '入院办理',
  '2402': '出院办理',
  '2403': '住院信息变更',
  '2404': '入院撤销',
  '2405': '出院撤销',
  '2301': '住院费用明细上传',
  '2302': '住院费用明细撤销',
};

/** At most this many fee details in one 2301 (a hospital uploads a long stay in several messages). */
export const MAX_DETAILS = 1000;

/** The Hunan edition's 险种类型 besides those the default edition names: a stay takes them and the edition's own. */
const INSUTYPE_CODES = new Set([...INSUTYPES.map((c) => c.code), '350', '360', '370', '380', '391', '399', '39905', '410']);

const code = (codes: Record<string, string>, what: string) =>
  z.string({ error: 'must be a string' }).refine((v) => v in codes, {
    error: (iss) =>
      `${JSON.stringify(iss.input)} is not a ${what} (${Object.entries(codes)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')})`,
  });

/** 诊断类别 (diag_type). */
const DIAG_TYPES = { '1': '西医诊断', '2': '中医主病诊断', '3': '中医主证诊断' };
/** 主诊断标志, and every 是/否 flag. */
const YES_NO = { '0': '否', '1': '是' };
/** 医院审批标志 (hosp_appr_flag). */
const HOSP_APPR = { '0': '无须审批', '1': '审批通过', '2': '审批不通过' };
/** 离院方式 (dscg_way). */
const DSCG_WAYS = { '1': '医嘱离院', '2': '医嘱转院', '3': '医嘱转社区卫生服务机构/乡镇卫生院', '4': '非医嘱离院', '5': '死亡', '9': '其他' };
/** 就诊凭证类型 (mdtrt_cert_type). */
const CERT_TYPES = { '01': '医保电子凭证', '02': '居民身份证', '03': '社会保障卡' };

/** 日期时间型 (yyyy-MM-dd HH:mm:ss, China time) and 日期型 (yyyy-MM-dd), as the outpatient messages read them. */
const stayTime = nationalDateTime;
const date = nationalDate;
/** 数值型 of `digits` digits without decimals (孕周数, 胎次…), as a number or its text. */
const whole = (digits: number) =>
  z
    .union([z.number(), z.string()], { error: 'must be a whole number' })
    .refine((v) => new RegExp(`^\\d{1,${digits}}$`).test(String(v)), `must be a whole number of at most ${digits} digits`);
/** A decimal as a number or text, at most `places` places (`signed`: may be negative), kept as text. */
const decimal = (places: number, signed: boolean) =>
  z
    .union([z.number(), z.string()], { error: 'must be a number (or its decimal text)' })
    .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
    .refine(
      (v) => new RegExp(`^${signed ? '-?' : ''}\\d{1,16}(\\.\\d{1,${places}})?$`).test(v),
      `must be a decimal with at most ${places} decimal places${signed ? '' : ', not negative'}`,
    );
/** 明细项目费用总额: yuan with at most two places, negative for a 退单 line; in fen. */
const signedYuan = decimal(2, true).transform((v, ctx) => {
  try {
    return v.startsWith('-') ? -parseYuan(v.slice(1)) : parseYuan(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const exp = text(4000).optional();

/** Fields 2401 mdtrtinfo, 2402 dscginfo and 2403 adminfo share (生育, 病种, 手术). */
const careFields = {
  dise_codg: text(30).optional(),
  dise_name: text(500).optional(),
  oprn_oprt_code: text(30).optional(),
  oprn_oprt_name: text(500).optional(),
  fpsc_no: text(50).optional(),
  matn_type: text(6).optional(),
  birctrl_type: text(6).optional(),
  latechb_flag: text(3).optional(),
  geso_val: whole(2).optional(),
  fetts: whole(3).optional(),
  fetus_cnt: whole(3).optional(),
  pret_flag: text(3).optional(),
  birctrl_matn_date: date.optional(),
  exp_content: exp,
};

/** A diagnosis (表104/107/109 诊断信息); 2401's rows carry no mdtrt_id, 2402's no adm_cond. */
const diagnosis = (stay: boolean, admission: boolean) =>
  z.strictObject({
    ...(stay ? { mdtrt_id: id } : {}),
    psn_no: id,
    diag_type: code(DIAG_TYPES, '诊断类别'),
    maindiag_flag: code(YES_NO, '主诊断标志 ("0" 否, "1" 是)'),
    diag_srt_no: whole(2),
    diag_code: text(20),
    diag_name: text(100),
    ...(admission ? { adm_cond: text(500).optional() } : {}),
    diag_dept: text(50),
    dise_dor_no: text(30),
    dise_dor_name: text(50),
    diag_time: stayTime,
  });

const rows = <T extends z.ZodType>(row: T, max: number) =>
  z.array(row, { error: 'must be an array of rows' }).min(1, 'must have at least one row').max(max, `must have at most ${max} rows`);

/**
 * The stay messages' schemas in an edition: a stay's insutype (险种类型) and med_type (医疗类别) are
 * the edition's.
 */
function build(e: CodeEdition) {
  const stayTypes = inpatientMedTypes(e);
  const insutype = z
    .string({ error: 'must be a string' })
    .refine((v) => INSUTYPE_CODES.has(v) || v in e.insutype.codes, { error: (iss) => `${JSON.stringify(iss.input)} is not a 险种类型 (insutype)` });
  const medType = z.string({ error: 'must be a string' }).refine((v) => stayTypes.some(([c]) => c === v), {
    error: (iss) => {
      const name = e.med_type.codes[String(iss.input)];
      return `${JSON.stringify(iss.input)}${name ? ` ${name}` : ''} is not an inpatient 医疗类别 (med_type)${e.name === NATIONAL_CODES.name ? '' : ` of ${e.name}`}: one of ${stayTypes
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}`;
    },
  });

  /** Fields of the admission 2401 gives and 2403 changes. */
  const admissionFields = {
    psn_no: id,
    coner_name: text(50).optional(),
    tel: text(50).optional(),
    begntime: stayTime,
    mdtrt_cert_type: code(CERT_TYPES, '就诊凭证类型'),
    med_type: medType,
    medrcdno: text(30).optional(),
    atddr_no: text(30),
    chfpdr_name: text(50),
    adm_diag_dscr: text(200),
    adm_dept_codg: text(30),
    adm_dept_name: text(100),
    adm_bed: text(30),
    dscg_maindiag_code: text(20),
    dscg_maindiag_name: text(300),
    main_cond_dscr: text(1000).optional(),
    dise_type_code: text(6).optional(),
    ...careFields,
  };

  /** 表103 输入-就诊信息 (mdtrtinfo). */
  const mdtrtinfo = z
    .strictObject({
      ...admissionFields,
      insutype,
      mdtrt_cert_no: text(50).optional(),
      card_sn: text(32).optional(),
      cert_type: text(3),
      certno: text(20),
      ipt_no: text(30),
      insuplc_admdvs: text(6),
      mdtrtarea_admvs: text(6),
    })
    .superRefine(refineResidentIds());

  /** 表108 输入-入院登记信息 (adminfo). */
  const adminfo = z.strictObject({
    ...admissionFields,
    mdtrt_id: id,
    endtime: stayTime.optional(),
    ipt_otp_no: text(30),
    ttp_pay_prop: decimal(4, false).optional(),
  });

  /** 表106 输入-出院信息 (dscginfo). */
  const dscginfo = z.strictObject({
    mdtrt_id: id,
    psn_no: id,
    insutype,
    endtime: stayTime,
    cop_flag: text(3).optional(),
    dscg_dept_codg: text(30),
    dscg_dept_name: text(100),
    dscg_bed: text(30).optional(),
    dscg_way: code(DSCG_WAYS, '离院方式'),
    die_date: date.optional(),
    ...careFields,
  });

  /** 表91 输入 (feedetail): one fee detail. */
  const feedetail = z.strictObject({
    feedetl_sn: text(30).min(1, 'must not be empty'),
    init_feedetl_sn: text(30).optional(),
    mdtrt_id: id,
    drord_no: text(30).optional(),
    psn_no: id,
    med_type: medType,
    fee_ocur_time: stayTime,
    med_list_codg: text(50).min(1, 'must not be empty'),
    medins_list_codg: text(150).min(1, 'must not be empty'),
    det_item_fee_sumamt: signedYuan,
    cnt: decimal(4, true),
    pric: decimal(6, false),
    bilg_dept_codg: text(30),
    bilg_dept_name: text(100),
    bilg_dr_codg: text(30),
    bilg_dr_name: text(50),
    acord_dept_codg: text(30).optional(),
    acord_dept_name: text(100).optional(),
    orders_dr_code: text(30).optional(),
    orders_dr_name: text(50).optional(),
    hosp_appr_flag: code(HOSP_APPR, '医院审批标志').optional(),
    tcmdrug_used_way: text(6).optional(),
    etip_flag: text(3).optional(),
    etip_hosp_code: text(30).optional(),
    dscg_tkdrug_flag: code(YES_NO, '出院带药标志 ("0" 否, "1" 是)').optional(),
    matn_fee_flag: text(6).optional(),
    memo: text(500).optional(),
    comb_no: text(3).optional(),
    exp_content: exp,
  });

  /** 表110/111/93: a stay named by its 就诊ID and person. */
  const stayRef = { mdtrt_id: id, psn_no: id, exp_content: exp };

  const DATA: Record<StayInterface, z.ZodType> = {
    '2401': z.strictObject({ mdtrtinfo, diseinfo: rows(diagnosis(false, true), 100) }),
    '2402': z.strictObject({ dscginfo, diseinfo: rows(diagnosis(true, false), 100) }),
    '2403': z.strictObject({ adminfo, diseinfo: z.array(diagnosis(true, true), { error: 'must be an array of rows' }).max(100, 'must have at most 100 rows').optional() }),
    '2404': z.strictObject(stayRef),
    '2405': z.strictObject(stayRef),
    '2301': z.strictObject({ feedetail: rows(feedetail, MAX_DETAILS) }),
    '2302': z.strictObject({ data: rows(z.strictObject({ feedetl_sn: text(30).min(1, 'must not be empty'), ...stayRef }), MAX_DETAILS) }),
  };

  return { mdtrtinfo, adminfo, dscginfo, feedetail, DATA };
}

type StaySchemas = ReturnType<typeof build>;
const built = new WeakMap<CodeEdition, StaySchemas>();
/** The schemas of an edition, built once. */
function schemas(e: CodeEdition): StaySchemas {
  let s = built.get(e);
  if (!s) built.set(e, (s = build(e)));
  return s;
}

/**
 * The body of a stay message: the envelope with `input`. 2401/2402/2403 carry their nodes
 * (mdtrtinfo, dscginfo, adminfo, diseinfo) in `input`, 2301 its feedetail rows, 2302 its data rows;
 * 2404/2405 their single row in `input.data` — as the platform sends them.
 */
export const stayBodySchema = (infno: StayInterface, e: CodeEdition = NATIONAL_CODES) => {
  const { DATA } = schemas(e);
  return z.strictObject({
    ...envelopeFields,
    input: infno === '2404' || infno === '2405' ? z.strictObject({ data: DATA[infno] }, { error: 'must be an object { data: {...} }' }) : DATA[infno],
  });
};

/** A diagnosis row as validated (mdtrt_id on 2402/2403's, adm_cond on 2401/2403's). */
export type Diagnosis = Omit<z.output<ReturnType<typeof diagnosis>>, 'mdtrt_id' | 'adm_cond'> & { mdtrt_id?: string; adm_cond?: string };
export type FeeDetailMessage = z.output<StaySchemas['feedetail']>;

/** The parts of a validated stay message every route reads. */
interface Common {
  infno: StayInterface;
  fixmedinsCode: string;
  msgid: string;
  /** `INFNO:INSTITUTION:MSGID`. */
  requestId: string;
  /** sha256 of the message's `input`, key order aside: the same msgid with another input is refused. */
  hash: string;
  mdtrtId: string;
  psnNo: string;
}
export interface Admission extends Common {
  infno: '2401';
  mdtrtinfo: z.output<StaySchemas['mdtrtinfo']>;
  diseinfo: Diagnosis[];
  begntime: number;
}
export interface Discharge extends Common {
  infno: '2402';
  dscginfo: z.output<StaySchemas['dscginfo']>;
  diseinfo: Diagnosis[];
  endtime: number;
}
export interface Amendment extends Common {
  infno: '2403';
  adminfo: z.output<StaySchemas['adminfo']>;
  diseinfo: Diagnosis[];
  begntime: number;
  endtime: number | undefined;
}
export interface StayRef extends Common {
  infno: '2404' | '2405';
}
export interface DetailUpload extends Common {
  infno: '2301';
  feedetail: FeeDetailMessage[];
}
export interface DetailCancel extends Common {
  infno: '2302';
  /** The serial numbers to cancel; null: all of the stay's ("0000"). */
  feedetlSns: string[] | null;
}
export type StayMessage = Admission | Discharge | Amendment | StayRef | DetailUpload | DetailCancel;

const instant = (v: string) => parseInstant(v.replace(' ', 'T')) as number;

/** The national path of a problem: the node (mdtrtinfo, dscginfo, adminfo, diseinfo, feedetail, data) and its field. */
const lines = (issues: readonly z.core.$ZodIssue[]) => formatIssues(issues).map((l) => l.replace(/^input\./, '').replace(/^input:/, 'input:'));

/** Every row names the same stay and person as the first (`path` the rows' national path). */
function oneStay(rows: readonly { mdtrt_id?: string; psn_no: string }[], path: string, mdtrtId: string | undefined, psnNo: string, problems: string[]): void {
  rows.forEach((r, i) => {
    if (mdtrtId !== undefined && r.mdtrt_id !== undefined && r.mdtrt_id !== mdtrtId)
      problems.push(`${path}[${i}].mdtrt_id: ${r.mdtrt_id} is not the message's stay ${mdtrtId}: one message is one stay`);
    if (r.psn_no !== psnNo) problems.push(`${path}[${i}].psn_no: ${r.psn_no} is not the message's person ${psnNo}`);
  });
}

/** At most one 主诊断 per 诊断类别, and each (diag_type, diag_srt_no) once. */
function diagnosesProblems(rows: readonly Diagnosis[], path: string, problems: string[]): void {
  const seen = new Map<string, number>();
  const main = new Map<string, number>();
  rows.forEach((r, i) => {
    const key = `${r.diag_type}:${Number(r.diag_srt_no)}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${path}[${i}].diag_srt_no: ${r.diag_srt_no} of diag_type ${r.diag_type} is row ${first}'s too`);
    else seen.set(key, i);
    if (r.maindiag_flag === '1') {
      const m = main.get(r.diag_type);
      if (m !== undefined) problems.push(`${path}[${i}].maindiag_flag: diag_type ${r.diag_type} has its 主诊断 in row ${m} already`);
      else main.set(r.diag_type, i);
    }
  });
}

/**
 * A validated stay message; its insutype and med_type are the edition's (default: the national one).
 *
 * @throws RequestError listing every problem by its national field.
 */
export function parseStayMessage(infno: StayInterface, body: unknown, e: CodeEdition = NATIONAL_CODES): StayMessage {
  const r = stayBodySchema(infno, e).safeParse(body ?? {});
  if (!r.success) throw new RequestError(lines(r.error.issues));
  const b = r.data as { infno?: string; msgid?: string; fixmedins_code: string; input: Record<string, unknown> };
  const problems: string[] = [];
  if (b.infno !== undefined && b.infno !== infno)
    problems.push(`infno: the message says ${b.infno}, but this is ${infno} ${STAY_INTERFACE_NAMES[infno]} (POST /v1/national/${infno})`);
  if (b.msgid === undefined) problems.push(`msgid: required for ${infno}: the message id (发送方报文ID) makes a retry safe`);
  const msgid = b.msgid ?? '';
  const common = {
    fixmedinsCode: b.fixmedins_code,
    msgid,
    requestId: `${infno}:${b.fixmedins_code}:${msgid}`.slice(0, 200),
    hash: digest('sha256', canonicalJson(b.input), 'hex'),
  };
  let m: StayMessage;
  switch (infno) {
    case '2401': {
      const d = b.input as { mdtrtinfo: z.output<StaySchemas['mdtrtinfo']>; diseinfo: Diagnosis[] };
      oneStay(d.diseinfo, 'diseinfo', undefined, d.mdtrtinfo.psn_no, problems);
      diagnosesProblems(d.diseinfo, 'diseinfo', problems);
      m = { ...common, infno, mdtrtId: '', psnNo: d.mdtrtinfo.psn_no, mdtrtinfo: d.mdtrtinfo, diseinfo: d.diseinfo, begntime: instant(d.mdtrtinfo.begntime) };
      break;
    }
    case '2402': {
      const d = b.input as { dscginfo: z.output<StaySchemas['dscginfo']>; diseinfo: Diagnosis[] };
      oneStay(d.diseinfo, 'diseinfo', d.dscginfo.mdtrt_id, d.dscginfo.psn_no, problems);
      diagnosesProblems(d.diseinfo, 'diseinfo', problems);
      m = { ...common, infno, mdtrtId: d.dscginfo.mdtrt_id, psnNo: d.dscginfo.psn_no, dscginfo: d.dscginfo, diseinfo: d.diseinfo, endtime: instant(d.dscginfo.endtime) };
      break;
    }
    case '2403': {
      const d = b.input as { adminfo: z.output<StaySchemas['adminfo']>; diseinfo?: Diagnosis[] };
      const diseinfo = d.diseinfo ?? [];
      oneStay(diseinfo, 'diseinfo', d.adminfo.mdtrt_id, d.adminfo.psn_no, problems);
      diagnosesProblems(diseinfo, 'diseinfo', problems);
      const begntime = instant(d.adminfo.begntime);
      const endtime = d.adminfo.endtime === undefined ? undefined : instant(d.adminfo.endtime);
      if (endtime !== undefined && endtime < begntime) problems.push(`adminfo.endtime: ${d.adminfo.endtime} is before begntime ${d.adminfo.begntime}`);
      m = { ...common, infno, mdtrtId: d.adminfo.mdtrt_id, psnNo: d.adminfo.psn_no, adminfo: d.adminfo, diseinfo, begntime, endtime };
      break;
    }
    case '2404':
    case '2405': {
      const d = (b.input as { data: { mdtrt_id: string; psn_no: string } }).data;
      m = { ...common, infno, mdtrtId: d.mdtrt_id, psnNo: d.psn_no };
      break;
    }
    case '2301': {
      const rows = (b.input as { feedetail: FeeDetailMessage[] }).feedetail;
      const first = rows[0] as FeeDetailMessage;
      oneStay(rows, 'feedetail', first.mdtrt_id, first.psn_no, problems);
      const sns = new Map<string, number>();
      rows.forEach((row, i) => {
        const j = sns.get(row.feedetl_sn);
        if (j !== undefined) problems.push(`feedetail[${i}].feedetl_sn: ${row.feedetl_sn} is row ${j}'s too: unique within a stay`);
        else sns.set(row.feedetl_sn, i);
        if (row.feedetl_sn === '0000') problems.push(`feedetail[${i}].feedetl_sn: "0000" is 2302's word for all of a stay's details, not a serial number`);
      });
      m = { ...common, infno, mdtrtId: first.mdtrt_id, psnNo: first.psn_no, feedetail: rows };
      break;
    }
    case '2302': {
      const rows = (b.input as { data: { feedetl_sn: string; mdtrt_id: string; psn_no: string }[] }).data;
      const first = rows[0] as { mdtrt_id: string; psn_no: string };
      oneStay(rows, 'data', first.mdtrt_id, first.psn_no, problems);
      const all = rows.some((row) => row.feedetl_sn === '0000');
      if (all && rows.length > 1) problems.push('data: feedetl_sn "0000" cancels all of the stay\'s details; send it alone, not with other rows');
      const sns = rows.map((row) => row.feedetl_sn);
      sns.forEach((sn, i) => {
        if (sns.indexOf(sn) !== i) problems.push(`data[${i}].feedetl_sn: ${sn} is row ${sns.indexOf(sn)}'s too`);
      });
      m = { ...common, infno, mdtrtId: first.mdtrt_id, psnNo: first.psn_no, feedetlSns: all ? null : sns };
      break;
    }
  }
  if (problems.length > 0) throw new RequestError(problems);
  return m;
}
