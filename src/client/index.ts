/**
 * yibao's national-interface client, as the package exports it (`yibao/client`): NationalClient,
 * its errors, and the types of every message (issue 15; docs/national.md, "The acceptance kit").
 */
export {
  type CallOptions,
  type Exchange,
  type NationalAnswer,
  NationalClient,
  type NationalClientOptions,
  NationalError,
  NationalTimeoutError,
  msgidGenerator,
  nationalTimeOf,
} from './client.js';
export type * from './messages.js';
export { TRANSACTION_NAMES } from './messages.js';
