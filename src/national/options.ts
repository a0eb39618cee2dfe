/**
 * How the service speaks the national interface (issue 15): configured by `yibao serve` flags and
 * ServerOptions.national; docs/national.md.
 */
import type { Catalogue } from '../catalogue/types.js';
import { NATIONAL_CODES, type CodeEdition } from './code-editions.js';

export interface NationalOptions {
  /**
   * Every national message but 9001 must carry a live `sign_no` (9001 签到) of its institution and
   * of the key that signed in. Default false.
   */
  requireSignIn: boolean;
  /**
   * 'http' (default): a refusal keeps the service's HTTP status (400, 403, 409 …) in the envelope.
   * 'platform': every national answer is HTTP 200, a refusal `infcode: -1`, as the platform does.
   */
  statusMode: 'http' | 'platform';
  /** The catalogue fee details are priced by (三个目录); undefined: no catalogue, every item self-paid. */
  catalogue: Catalogue | undefined;
  /** The edition of the code tables messages are read and answered in (code-editions.ts): `national` unless chosen. */
  codes: CodeEdition;
  /**
   * 'number' (default): the answers' 数值型 fields (amounts, ratios, counts, prices) are JSON numbers
   * written with their decimals (`"medfee_sumamt": 300.00`), as the platform answers (numbers.ts).
   * 'text': the same digits as strings (`"300.00"`), for a system that reads them so.
   */
  amounts: 'number' | 'text';
}

export const DEFAULT_NATIONAL_OPTIONS: NationalOptions = Object.freeze({
  requireSignIn: false,
  statusMode: 'http',
  catalogue: undefined,
  codes: NATIONAL_CODES,
  amounts: 'number',
});
