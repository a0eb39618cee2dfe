/**
 * Exact decimals (精确小数) for the catalogue's arithmetic: a 数量 (cnt, up to 4 places), a 单价 or
 * 限价 (pric, up to 6 places), a 先行自付比例 (selfpay_prop, up to 4 places) are read as text into a
 * scaled BigInt — never a float — and every product is rounded to the fen half away from zero
 * (四舍五入, a negative half going to the more negative fen), once, where an amount is made.
 *
 * Field sizes follow the Hunan edition of the national interface specification (V1.1.27),
 * 【2204】: cnt 数值型 16,4, pric 数值型 16,6, selfpay_prop 数值型 5,4.
 */
import { YibaoError } from '../errors.js';
import type { Fen } from '../money/money.js';

/** 数量: at most 4 places, 12 digits before the point (数值型 16,4). */
export const COUNT = { places: 4, integerDigits: 12, negative: true } as const;
/** 单价 and 限价 in yuan: at most 6 places, 10 digits before the point (数值型 16,6). */
export const PRICE = { places: 6, integerDigits: 10, negative: false } as const;
/** 先行自付比例: at most 4 places (数值型 5,4); 0..1 is checked where it is read. */
export const RATIO = { places: 4, integerDigits: 1, negative: false } as const;

/** How a decimal text may look: its places, the digits before the point, whether it may be negative. */
export interface DecimalShape {
  places: number;
  integerDigits: number;
  negative: boolean;
}

/** A decimal in the catalogue's arithmetic: an integer `value` of units of 10^-`places`. */
export interface Scaled {
  value: bigint;
  places: number;
}

const DECIMAL_TEXT = /^([+-])?(\d+)(?:\.(\d+))?$/;

/**
 * Why `text` is not a decimal of `shape` (in Chinese, then English), or null when it is one.
 *
 * @example decimalProblem('1.23456', PRICE) // null
 * @example decimalProblem('1.23456', COUNT) // '小数位数至多 4 位 / at most 4 decimal places: "1.23456"'
 */
export function decimalProblem(text: unknown, shape: DecimalShape): string | null {
  if (typeof text !== 'string') return '须为十进制数文本 / must be a decimal number as text (e.g. "12.50")';
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return `不是十进制数 / not a decimal number: ${JSON.stringify(text.slice(0, 40))}`;
  const [, sign, whole = '', fraction = ''] = m;
  if (fraction.length > shape.places) return `小数位数至多 ${shape.places} 位 / at most ${shape.places} decimal places: ${JSON.stringify(text)}`;
  if (whole.replace(/^0+(?=\d)/, '').length > shape.integerDigits)
    return `整数部分至多 ${shape.integerDigits} 位 / at most ${shape.integerDigits} digits before the point: ${JSON.stringify(text)}`;
  if (sign === '-' && !shape.negative && /[1-9]/.test(whole + fraction)) return `不可为负 / must not be negative: ${JSON.stringify(text)}`;
  return null;
}

/** A decimal text that is not one (INVALID_REQUEST, with `problems` as a request's). */
export class DecimalError extends YibaoError<'INVALID_REQUEST'> {
  constructor(readonly problems: readonly string[]) {
    super('INVALID_REQUEST', `invalid request: ${problems.join('; ')}`, { problems });
    this.name = 'DecimalError';
  }
}

/**
 * Reads a decimal text of `shape` exactly, scaled to `shape.places`.
 *
 * @example scaled('12.3456', COUNT) // { value: 123456n, places: 4 }
 * @example scaled('-2', COUNT) // { value: -20000n, places: 4 }
 * @throws DecimalError naming `label`.
 */
export function scaled(text: string, shape: DecimalShape, label = 'value'): Scaled {
  const problem = decimalProblem(text, shape);
  if (problem !== null) throw new DecimalError([`${label}: ${problem}`]);
  const [, sign, whole = '', fraction = ''] = DECIMAL_TEXT.exec(text) as RegExpExecArray;
  const magnitude = BigInt(whole + fraction.padEnd(shape.places, '0'));
  return { value: sign === '-' ? -magnitude : magnitude, places: shape.places };
}

/** 10^n as a BigInt. */
export const pow10 = (n: number): bigint => 10n ** BigInt(n);

/**
 * numerator / denominator rounded half away from zero (denominator > 0).
 *
 * @example roundHalfAway(5n, 10n) // 1n
 * @example roundHalfAway(-5n, 10n) // -1n
 * @example roundHalfAway(-4n, 10n) // 0n
 */
export function roundHalfAway(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('roundHalfAway: the denominator must be positive');
  const magnitude = numerator < 0n ? -numerator : numerator;
  const rounded = (2n * magnitude + denominator) / (2n * denominator);
  return numerator < 0n ? -rounded : rounded;
}

/**
 * A product of decimals in yuan (e.g. 数量 × 单价) as fen, rounded half away from zero, exactly.
 * Returned as a BigInt: a product may be beyond any amount (the caller compares or bounds it).
 *
 * @example fenOfProduct(scaled('3', COUNT), scaled('0.335', PRICE)) // 101n (1.005 yuan → 1.01)
 */
export function fenOfProduct(...factors: Scaled[]): bigint {
  let value = 1n;
  let places = 0;
  for (const f of factors) {
    value *= f.value;
    places += f.places;
  }
  // yuan × 10^places → fen: divide by 10^(places − 2).
  return places >= 2 ? roundHalfAway(value, pow10(places - 2)) : value * pow10(2 - places);
}

/**
 * A scaled decimal as text with all its places (for memos: "0.1000", "-2.5000").
 *
 * @example scaledText({ value: 1000n, places: 4 }) // '0.1000'
 */
export function scaledText(s: Scaled): string {
  const negative = s.value < 0n;
  const digits = (negative ? -s.value : s.value).toString().padStart(s.places + 1, '0');
  const text = s.places === 0 ? digits : `${digits.slice(0, -s.places)}.${digits.slice(-s.places)}`;
  return negative ? `-${text}` : text;
}

/**
 * A decimal text as people read it: no trailing zeros after the point, no leading "+".
 *
 * @example plainDecimal('12.500000') // '12.5'
 * @example plainDecimal('+3.0') // '3'
 */
export function plainDecimal(text: string): string {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return text;
  const [, sign, whole = '', fraction = ''] = m;
  const w = whole.replace(/^0+(?=\d)/, '');
  const f = fraction.replace(/0+$/, '');
  const body = f === '' ? w : `${w}.${f}`;
  return sign === '-' && /[1-9]/.test(body) ? `-${body}` : body;
}

/** A BigInt of fen known to be within an amount, as a Fen. */
export const fenNumber = (fen: bigint): Fen => Number(fen);
