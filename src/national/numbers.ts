/**
 * The national answers' numeric fields (数值型) as JSON numbers, written with their decimals: the
 * platform answers `"medfee_sumamt": 300.00`, not `"300.00"`. yibao builds every amount as exact
 * text from integer fen (setlinfo.ts, formatYuan) and, when it answers, writes the fields the
 * specification types 数值型 as numbers with that same text — never through a float.
 *
 * The fields are those of the output tables of the transactions yibao answers (the Hunan edition
 * of the national interface specification (V1.1.27): 【1101】 表8/9, 【2204】 表80, 【2206】/【2207】
 * 表88–89 …, 【2301】, 【2303】/【2304】, 【3101】/【3102】 表134, 【3202】, 【5203】 表269/270, 【5204】,
 * 【5206】 表276), with their type lengths (16,2 amounts; 5,4 ratios; 16,4 counts; 16,6 prices; 4,1
 * age; 4,2 days).
 */

/** 数值型 fields of the national outputs. */
export const NUMERIC_FIELDS: readonly string[] = [
  'acct_mulaid_pay',
  'acct_pay',
  'act_pay_dedc',
  'age',
  'balc',
  'cash_payamt',
  'cnt',
  'crt_payb_lmt_amt',
  'cum',
  'cvlserv_pay',
  'det_item_fee_sumamt',
  'fulamt_ownpay_amt',
  'fund_pay_sumamt',
  'fund_payamt',
  'hifdm_pay',
  'hifes_pay',
  'hifmi_pay',
  'hifob_pay',
  'hifp_pay',
  'hosp_part_amt',
  'inscp_scp_amt',
  'maf_pay',
  'medfee_sumamt',
  'oth_pay',
  'overlmt_amt',
  'overlmt_selfpay',
  'pool_prop_selfpay',
  'prd_days',
  'pref_fund_pay',
  'preselfpay_amt',
  'pric',
  'pric_uplmt_amt',
  'psn_cash_pay',
  'psn_part_amt',
  'psn_pay',
  'selfpay_prop',
  'vola_amt',
];

const FIELDS = NUMERIC_FIELDS.join('|');
/** `"field":"-12.30"` — a numeric field written as text (a JSON string holds no unescaped quote, so this is never inside one). */
const AS_TEXT = new RegExp(`"(${FIELDS})":"(-?\\d{1,16}(?:\\.\\d{1,6})?)"`, 'g');
/** `"field":-12.30` — the same field written as a number. */
const AS_NUMBER = new RegExp(`"(${FIELDS})":(-?\\d{1,16}(?:\\.\\d{1,6})?)(?=[,}\\]])`, 'g');

/**
 * Where an answer's `output` is in its JSON text: from `"output":` to the `,"yibao":` that follows
 * it (the envelope's last key; the extension block keeps yibao's own formats), or to the end.
 */
function outputSpan(json: string): [number, number] | undefined {
  const start = json.indexOf('"output":');
  if (start < 0) return undefined;
  const yibao = json.lastIndexOf(',"yibao":');
  return [start, yibao > start ? yibao : json.length];
}

/**
 * An answer's JSON text with the numeric fields of its `output` written as numbers: `"300.00"` →
 * `300.00`, digits unchanged. Other fields, null values and the `yibao` block are left as they are.
 */
export function numbersInOutput(json: string): string {
  const span = outputSpan(json);
  if (!span) return json;
  const [a, b] = span;
  return json.slice(0, a) + json.slice(a, b).replace(AS_TEXT, '"$1":$2') + json.slice(b);
}

/** The inverse (for a client that compares text): the numeric fields of `output` as text again, digits unchanged. */
export function textInOutput(json: string): string {
  const span = outputSpan(json);
  if (!span) return json;
  const [a, b] = span;
  return json.slice(0, a) + json.slice(a, b).replace(AS_NUMBER, '"$1":"$2"') + json.slice(b);
}

/** The numeric fields of an answer's `output` written as text (none when the answer writes numbers). */
export function numericFieldsAsText(json: string): string[] {
  const span = outputSpan(json);
  if (!span) return [];
  return [...json.slice(span[0], span[1]).matchAll(AS_TEXT)].map((m) => m[1] as string);
}
