/**
 * The explanation of a settlement (the trace): every line's text, built only when the trace is on.
 * Values in the lines are yuan, for people; the text is Chinese. The settlement engine (settle.ts)
 * calls these at each step; nothing here decides an amount.
 */
import { formatChinaTime, formatDate, type DayNumber } from '../calendar/calendar.js';
import { CATEGORY_LABELS, HARDSHIP_LABELS, TIER_LABELS, VISIT_TYPE_LABELS } from '../domain.js';
import { formatPercent, formatYuan, toYuanNumber, type BasisPoints, type Fen } from '../money/money.js';
import {
  WINDOW_PER_VISIT,
  type Cite,
  type CompiledAmountLimit,
  type CompiledBenefit,
  type CompiledClass,
  type CompiledLayer,
  type CompiledPooling,
  type CompiledReferral,
  type LayerTable,
  type PoolingTable,
} from './compiled.js';
import type { Institution, Person, TraceStep, Visit } from './types.js';

/**
 * {@link toYuanNumber}, without the detour through text: for a safe integer the quotient by 100
 * is the double nearest the decimal, which is what parsing the decimal gives (+0 for -0, as the
 * text has no sign).
 */
export function y(amount: Fen): number {
  return Number.isSafeInteger(amount) ? amount / 100 + 0 : toYuanNumber(amount);
}

const CENTS: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

/** Yuan text of the amounts below 2^17 fen (1,310.72 yuan) that traces have printed. */
const YUAN_TEXT: (string | undefined)[] = new Array<string | undefined>(1 << 17).fill(undefined);

/** {@link formatYuan}, with the cents from a table, and small amounts' text made once. */
export function yuanText(amount: Fen): string {
  if (amount >= 0 && amount < 1 << 17 && (amount | 0) === amount) {
    let text = YUAN_TEXT[amount];
    if (text === undefined) {
      const cents = amount % 100;
      YUAN_TEXT[amount] = text = `${(amount - cents) / 100}.${CENTS[cents] as string}`;
    }
    return text;
  }
  if (amount >= 0 && Number.isSafeInteger(amount)) {
    const cents = amount % 100;
    return `${(amount - cents) / 100}.${CENTS[cents] as string}`;
  }
  return formatYuan(amount);
}

/** Percent text of the ratios traces have printed (0 to 100%, in basis points). */
const PERCENT_TEXT: (string | undefined)[] = new Array<string | undefined>(10_001).fill(undefined);

/** {@link formatPercent}, each ratio's text made once. */
export function percentText(rate: BasisPoints): string {
  if (rate >= 0 && rate <= 10_000 && (rate | 0) === rate) {
    let text = PERCENT_TEXT[rate];
    if (text === undefined) PERCENT_TEXT[rate] = text = formatPercent(rate);
    return text;
  }
  return formatPercent(rate);
}

const citedText = new WeakMap<Cite, string>();

export function cited(c: Cite): string {
  let text = citedText.get(c);
  if (text === undefined) {
    text = c.userSupplied ? `${c.citation}（用户提供）` : c.citation;
    citedText.set(c, text);
  }
  return text;
}

/** Two citations as one source line, each once (absent ones left out). */
export function sources2(a: Cite | null | undefined, b: Cite | null | undefined): string {
  if (!a) return b ? cited(b) : '';
  if (!b) return cited(a);
  const ta = cited(a);
  const tb = cited(b);
  return ta === tb ? ta : `${ta}；${tb}`;
}

/** Three citations as one source line, each once, in order (absent ones left out). */
export function sources3(a: Cite | null | undefined, b: Cite | null | undefined, c: Cite | null | undefined): string {
  if (!a) return sources2(b, c);
  if (!b) return sources2(a, c);
  if (!c) return sources2(a, b);
  const ta = cited(a);
  const tb = cited(b);
  const tc = cited(c);
  let text = ta;
  if (tb !== ta) text += `；${tb}`;
  if (tc !== ta && tc !== tb) text += `；${tc}`;
  return text;
}

// The explanation of a pooling settlement, line by line (only with the trace on).

/** The classify line's text by institution id, for the tier, grade and class it was made for. */
const CLASSIFY_TEXT = new Map<string, { tier: string; grade: number; label: string; text: string }>();

function classifyText(inst: Institution, cls: CompiledClass): string {
  const known = CLASSIFY_TEXT.get(inst.id);
  if (known !== undefined && known.tier === inst.tier && known.grade === inst.grade && known.label === cls.label) return known.text;
  const text = `${inst.id}（${TIER_LABELS[inst.tier]}，${inst.grade === 0 ? '未定级' : `${inst.grade}级`}）按${cls.label}结算。`;
  if (CLASSIFY_TEXT.size >= 100_000) CLASSIFY_TEXT.clear();
  CLASSIFY_TEXT.set(inst.id, { tier: inst.tier, grade: inst.grade, label: cls.label, text });
  return text;
}

/** The start of the cap line's text for the year and limit it was last made for. */
let capTextYear = NaN;
let capTextLimit = NaN;
let capTextStart = '';

function capText(year: number, limit: Fen): string {
  if (year !== capTextYear || limit !== capTextLimit) {
    capTextStart = `${year}年度支付限额${yuanText(limit)}元，已支付`;
    capTextYear = year;
    capTextLimit = limit;
  }
  return capTextStart;
}

export function traceClassify(trace: TraceStep[], inst: Institution, cls: CompiledClass, total: Fen, eligible: Fen, outOfScope: Fen): void {
  trace.push({
    step: 'classify',
    source: cited(cls.ratioCite),
    institution: inst.id,
    tier: inst.tier,
    grade: inst.grade,
    class: cls.id,
    label: cls.label,
    text: classifyText(inst, cls),
  });
  if (outOfScope > 0) {
    trace.push({
      step: 'out-of-scope',
      amount: y(outOfScope),
      text: `医疗费总额${yuanText(total)}元，其中政策范围外${yuanText(outOfScope)}元由个人负担，政策范围内${yuanText(eligible)}元。`,
    });
  }
}

export function traceDeductible(
  trace: TraceStep[],
  benefit: CompiledPooling,
  cls: CompiledClass,
  inst: Institution,
  day: DayNumber,
  sameWindow: boolean,
  borneBefore: Fen,
  deductible: Fen,
): void {
  const step: TraceStep = {
    step: 'deductible',
    source: sources2(cls.deductibleCite, benefit.windowCite),
    standard: y(cls.deductible),
    borneBefore: y(borneBefore),
    deductible: y(deductible),
    text: '',
  };
  if (benefit.window === WINDOW_PER_VISIT) {
    step.text = `起付标准${yuanText(cls.deductible)}元/次，本次负担${yuanText(deductible)}元。`;
  } else {
    // The window is the visit's China calendar day (同一自然日; 当日（24小时） read as 0时至24时),
    // not 24 hours from whichever visit was settled first.
    const window = `${formatDate(day)}当日（北京时间0时至24时）`;
    step.window = formatDate(day);
    step.text = sameWindow
      ? `起付标准${yuanText(cls.deductible)}元/次；${window}内已在${inst.id}负担${yuanText(borneBefore)}元，本次负担${yuanText(deductible)}元。`
      : `起付标准${yuanText(cls.deductible)}元/次，本次负担${yuanText(deductible)}元；${window}内在${inst.id}多次就诊只负担一次。`;
  }
  trace.push(step);
}

export function traceRatio(
  trace: TraceStep[],
  person: Person,
  table: PoolingTable,
  cls: CompiledClass,
  familyDoctor: boolean,
  ratio: BasisPoints,
  eligible: Fen,
  deductible: Fen,
  base: Fen,
  computed: Fen,
): void {
  // The parts of the ratio, joined with '，', and their citations, each once.
  let parts = `${cls.label}${percentText(cls.ratio)}`;
  let bonusCite: Cite | null = null;
  let doctorCite: Cite | null = null;
  if (table.ratioBonus > 0 && table.ratioBonusCite) {
    parts += `，${CATEGORY_LABELS[person.category]}提高${table.ratioBonus / 100}个百分点`;
    bonusCite = table.ratioBonusCite;
  }
  if (familyDoctor && table.familyDoctorBonusCite) {
    parts += `，签约家庭医生机构提高${table.familyDoctorBonus / 100}个百分点`;
    doctorCite = table.familyDoctorBonusCite;
  }
  trace.push({
    step: 'ratio',
    source: sources3(cls.ratioCite, bonusCite, doctorCite),
    ratio: ratio / 100,
    base: y(base),
    amount: y(computed),
    text: `支付比例${percentText(ratio)}（${parts}）：(${yuanText(eligible)} − ${yuanText(deductible)}) × ${percentText(ratio)} = ${yuanText(computed)}元（四舍五入到分）。`,
  });
}

export function traceCapAndResult(
  trace: TraceStep[],
  table: PoolingTable,
  year: number,
  usedBefore: Fen,
  remainingCap: Fen,
  computed: Fen,
  fundPay: Fen,
  usedAfter: Fen,
  cashPay: Fen,
  outOfScope: Fen,
  deductible: Fen,
  base: Fen,
): void {
  trace.push({
    step: 'cap',
    source: cited(table.capCite),
    cap: y(table.cap),
    usedBefore: y(usedBefore),
    remaining: y(remainingCap),
    fundPay: y(fundPay),
    usedAfter: y(usedAfter),
    text:
      fundPay < computed
        ? `${capText(year, table.cap)}${yuanText(usedBefore)}元，剩余${yuanText(remainingCap)}元；本次基金支付${yuanText(fundPay)}元，超出限额的${yuanText(computed - fundPay)}元由个人负担。`
        : `${capText(year, table.cap)}${yuanText(usedBefore)}元，剩余${yuanText(remainingCap)}元；本次基金支付${yuanText(fundPay)}元。`,
  });
  trace.push({
    step: 'result',
    fundPay: y(fundPay),
    cashPay: y(cashPay),
    text: `统筹基金支付${yuanText(fundPay)}元；个人现金支付${yuanText(cashPay)}元（政策范围外${yuanText(outOfScope)}元 + 起付标准${yuanText(deductible)}元 + 按比例自付及超限额${yuanText(base - fundPay)}元）。`,
  });
}

export function traceReferral(trace: TraceStep[], referral: CompiledReferral, full: BasisPoints, ratio: BasisPoints, base: Fen, computed: Fen, atFullRatio: Fen): void {
  trace.push({
    step: 'referral',
    source: cited(referral.reductionCite),
    reduction: referral.reduction / 100,
    ratio: ratio / 100,
    amount: y(computed),
    atFullRatio: y(atFullRatio),
    // What the lowering actually took off the fund's payment is known only after the cap (the
    // referral-exclusion step): here, the figure at the full ratio beside the lowered one.
    text: `未经转诊备案到县域外就医，支付比例下浮${referral.reduction / 100}个百分点：${percentText(full)} → ${percentText(ratio)}；${yuanText(base)} × ${percentText(ratio)} = ${yuanText(computed)}元（按原比例为${yuanText(atFullRatio)}元）。`,
  });
}

export function tracePolicy(trace: TraceStep[], person: Person, visit: Visit, day: DayNumber, benefit: CompiledBenefit, regionName: string | undefined): void {
  const policy = benefit.pack.document.number;
  trace.push({
    step: 'policy',
    source: benefit.citation,
    policy,
    benefit: benefit.label,
    region: person.region,
    date: formatDate(day),
    text: `${formatChinaTime(visit.time)}在${regionName ?? person.region}就诊（${VISIT_TYPE_LABELS[visit.type]}），适用${policy}：${benefit.label}。`,
  });
}

/** The line of a benefit refused to those whose account structure was not adjusted. */
export function traceAccountReform(trace: TraceStep[], benefit: CompiledPooling, reform: Cite): void {
  trace.push({
    step: 'account-reform',
    source: cited(reform),
    result: 'account-not-reformed',
    text: `未通过调整个人账户结构增加统筹基金收入的参保人员，不享受门诊共济保障待遇：${benefit.label}基金不予支付。`,
  });
}

export function traceNotContracted(trace: TraceStep[], benefit: CompiledBenefit, inst: Institution): void {
  trace.push({
    step: 'contracted',
    source: cited(benefit.contractedCite),
    institution: inst.id,
    text: `${inst.id}不是定点医疗机构，基金不予支付。`,
  });
}

export function traceInHospital(trace: TraceStep[], benefit: CompiledPooling, notDuringStay: Cite, visit: Visit): void {
  trace.push({ step: 'in-hospital', source: cited(notDuringStay), text: `住院期间发生的${VISIT_TYPE_LABELS[visit.type]}费用，不享受${benefit.label}待遇。` });
}

export function traceNoDeductible(trace: TraceStep[], cls: CompiledClass): void {
  trace.push({ step: 'deductible', source: cited(cls.deductibleCite), standard: 0, deductible: 0, text: `${cls.label}不设起付标准。` });
}

/** The result line of a visit the fund pays nothing for. */
export function traceNothingFromFund(trace: TraceStep[], visit: Visit): void {
  trace.push({
    step: 'result',
    fundPay: 0,
    cashPay: y(visit.total),
    text: `基金支付0元，个人现金支付${yuanText(visit.total)}元。`,
  });
}

export function traceAmountLimit(trace: TraceStep[], benefit: CompiledAmountLimit, total: Fen, eligible: Fen, fundPay: Fen, cashPay: Fen): void {
  if (total > eligible) {
    trace.push({
      step: 'out-of-scope',
      amount: y(total - eligible),
      text: `医疗费总额${yuanText(total)}元，其中政策范围外${yuanText(total - eligible)}元由个人负担。`,
    });
  }
  trace.push({
    step: 'amount-limit',
    source: cited(benefit.amountCite),
    standard: y(benefit.amount),
    eligible: y(eligible),
    fundPay: y(fundPay),
    text: `${benefit.label}支付标准${benefit.amountCite.text}；政策范围内费用${yuanText(eligible)}元，基金支付${yuanText(fundPay)}元。`,
  });
  trace.push({ step: 'result', fundPay: y(fundPay), cashPay: y(cashPay), text: `基金支付${yuanText(fundPay)}元；个人现金支付${yuanText(cashPay)}元。` });
}

export function traceReferralExclusion(trace: TraceStep[], excludedCite: Cite, excluded: Fen): void {
  trace.push({ step: 'referral-exclusion', source: cited(excludedCite), amount: y(excluded), text: `转诊下浮少付的${yuanText(excluded)}元不纳入大病保险范围。` });
}

/** The result line of the whole fund chain. */
export function traceChainResult(trace: TraceStep[], fundPay: Fen, criticalIllnessPay: Fen, assistancePay: Fen, cashPay: Fen): void {
  trace.push({
    step: 'result',
    fundPay: y(fundPay),
    criticalIllnessPay: y(criticalIllnessPay),
    assistancePay: y(assistancePay),
    cashPay: y(cashPay),
    text: `统筹基金支付${yuanText(fundPay)}元；大病保险支付${yuanText(criticalIllnessPay)}元；医疗救助支付${yuanText(assistancePay)}元；个人现金支付${yuanText(cashPay)}元。`,
  });
}

/** The line of one later layer of the fund chain (大病保险, 医疗救助). */
export function traceLayer(
  trace: TraceStep[],
  l: CompiledLayer,
  table: LayerTable,
  person: Person,
  year: number,
  counted: Fen,
  baseBefore: Fen,
  baseAfter: Fen,
  over: Fen,
  computed: Fen,
  paidBefore: Fen,
  pay: Fen,
): void {
  const group = person.hardship !== undefined && l.groups[person.hardship] !== undefined ? `（${HARDSHIP_LABELS[person.hardship]}）` : '';
  const capText = table.cap === null ? '不设年度最高支付限额' : `年度最高支付限额${yuanText(table.cap)}元，已支付${yuanText(paidBefore)}元`;
  trace.push({
    step: l.kind,
    source:
      sources3(l.visitTypesCite, table.thresholdCite, table.ratioCite) +
      (table.cap === null || table.capCite.citation === table.thresholdCite.citation ? '' : `；${cited(table.capCite)}`),
    counted: y(counted),
    yearBefore: y(baseBefore),
    yearAfter: y(baseAfter),
    threshold: y(table.threshold),
    ratio: table.ratio / 100,
    cap: table.cap === null ? null : y(table.cap),
    paidBefore: y(paidBefore),
    pay: y(pay),
    text:
      `${l.label}${group}：本次计入医保目录内个人自付${yuanText(counted)}元，${year}年累计${yuanText(baseBefore)}元→${yuanText(baseAfter)}元；` +
      `起付标准${yuanText(table.threshold)}元，超过部分${yuanText(over)}元 × ${percentText(table.ratio)} = ${yuanText(computed)}元；${capText}；本次支付${yuanText(pay)}元。`,
  });
}
