/**
 * Money and rates, exactly.
 *
 * Every amount inside yibao is an integer number of fen (分, 0.01 CNY) held in a JavaScript
 * number. Integers are exact in a double up to 2^53 (about 90 trillion yuan), far above any
 * amount we accept: input amounts are limited to {@link MAX_AMOUNT_FEN}, and a fen amount times a
 * rate in basis points stays below 2^53, so every product below is exact.
 *
 * Rates are integer basis points (1% = 100 bp). Division happens in one place,
 * {@link divRoundHalfAway}, and only where a policy says a payment is made.
 */
import { YibaoError } from '../errors.js';

/** An amount in fen (分). Always a safe integer. */
export type Fen = number;
/** A rate in basis points (万分之一): 60% = 6000. Always a safe integer. */
export type BasisPoints = number;

/** 100,000,000 yuan (一亿元): the largest amount yibao accepts for one visit. */
export const MAX_AMOUNT_FEN: Fen = 100_000_000 * 100;
/** 100% in basis points. */
export const ONE_HUNDRED_PERCENT: BasisPoints = 10_000;

/**
 * Integer division rounding half away from zero (四舍五入).
 *
 * @example divRoundHalfAway(5, 2) // 3
 * @example divRoundHalfAway(-5, 2) // -3
 * @example divRoundHalfAway(4, 3) // 1
 */
export function divRoundHalfAway(numerator: number, denominator: number): number {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator === 0) {
    throw new RangeError(`divRoundHalfAway needs safe integers and a non-zero divisor, got ${numerator}/${denominator}`);
  }
  const negative = numerator < 0 !== denominator < 0;
  const n = Math.abs(numerator);
  const d = Math.abs(denominator);
  const quotient = (n - (n % d)) / d;
  const remainder = n % d;
  const rounded = remainder * 2 >= d ? quotient + 1 : quotient;
  return negative ? -rounded : rounded;
}

/**
 * The share `rate` of an amount, rounded half away from zero to the fen.
 *
 * @example applyRate(13_000, 5_000) // 6_500 (50% of 130.00 yuan is 65.00 yuan)
 * @example applyRate(1, 5_000) // 1 (50% of 0.01 yuan is 0.005 yuan, rounded to 0.01)
 */
export function applyRate(amount: Fen, rate: BasisPoints): Fen {
  return divRoundHalfAway(amount * rate, ONE_HUNDRED_PERCENT);
}

/** Why a yuan amount could not be read. */
/** An amount that is not a valid amount in yuan (code INVALID_AMOUNT). */
export class AmountError extends YibaoError<'INVALID_AMOUNT'> {
  constructor(message: string) {
    super('INVALID_AMOUNT', message);
    this.name = 'AmountError';
  }
}

const DECIMAL_YUAN = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/;

/**
 * Reads an amount in yuan, given as a JSON number or a decimal string with at most two places,
 * into fen, exactly. A number is read through its shortest decimal form, so `12.35` becomes
 * 1235 fen and never 1234.9999.
 *
 * @example parseYuan('12.35') // 1235
 * @example parseYuan(200) // 20000
 * @throws AmountError for negatives, more than two decimal places, exponents, or amounts above
 *   {@link MAX_AMOUNT_FEN}.
 */
export function parseYuan(input: number | string): Fen {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new AmountError('must be a finite number');
    text = String(input);
  } else {
    text = input.trim();
  }
  if (text.startsWith('-')) throw new AmountError('must not be negative');
  const match = DECIMAL_YUAN.exec(text);
  if (!match) {
    throw new AmountError(
      /e/i.test(text) || /\.[0-9]{3,}$/.test(text)
        ? `must have at most two decimal places and be at most ${formatYuan(MAX_AMOUNT_FEN)} yuan, got ${text}`
        : `must be an amount in yuan with at most two decimal places, got ${JSON.stringify(input)}`,
    );
  }
  const whole = match[1] ?? '0';
  if (whole.length > 10) throw new AmountError(`must be at most ${formatYuan(MAX_AMOUNT_FEN)} yuan`);
  const fraction = (match[2] ?? '').padEnd(2, '0');
  const fen = Number(whole) * 100 + Number(fraction);
  if (fen > MAX_AMOUNT_FEN) throw new AmountError(`must be at most ${formatYuan(MAX_AMOUNT_FEN)} yuan`);
  return fen;
}

/**
 * Fen as a decimal yuan string with two places.
 *
 * @example formatYuan(1235) // '12.35'
 * @example formatYuan(-5) // '-0.05'
 */
export function formatYuan(amount: Fen): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const cents = abs % 100;
  return `${sign}${(abs - cents) / 100}.${cents < 10 ? '0' : ''}${cents}`;
}

/**
 * Fen as a JSON number of yuan, for output. The number is the double nearest the decimal, so
 * it prints as the decimal itself (`12.35`), and `parseYuan` reads it back exactly.
 *
 * @example toYuanNumber(1235) // 12.35
 */
export function toYuanNumber(amount: Fen): number {
  return Number(formatYuan(amount));
}

/**
 * A percentage with at most two decimal places as basis points.
 *
 * @example percentToBasisPoints(60) // 6000
 * @example percentToBasisPoints(62.5) // 6250
 */
export function percentToBasisPoints(percent: number): BasisPoints {
  const bp = Math.round(percent * 100);
  if (Math.abs(bp - percent * 100) > 1e-6) throw new RangeError(`percent ${percent} has more than two decimal places`);
  return bp;
}

/**
 * Basis points as a percentage for display.
 *
 * @example formatPercent(6500) // '65%'
 */
export function formatPercent(rate: BasisPoints): string {
  return `${rate / 100}%`;
}
