/**
 * The HTTP service on a fresh store, with an agency, an analyst and an institution (H1) key: what
 * the API tests start from.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer, type ServerOptions } from '../../src/api/server.js';
import { createKey, KeyStore, type CreatedKey } from '../../src/ledger/keys.js';
import type { LedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type LedgerOptions } from '../../src/ledger/ledger.js';
import type { SettlementEngine } from '../../src/engine/settle.js';

export interface TestService {
  store: LedgerDb;
  /** The service's ledger. */
  ledger: Ledger;
  app: FastifyInstance;
  agency: CreatedKey;
  analyst: CreatedKey;
  h1: CreatedKey;
  close(): Promise<void>;
}

/** Response bodies are read loosely in tests; the assertions are the schema. */
type Json = any;

/** An injected response with its body parsed as JSON (`body_`, undefined when it is not JSON). */
export function withJson(res: LightMyRequestResponse): LightMyRequestResponse & { body_: Json } {
  let parsed: Json;
  try {
    parsed = res.json();
  } catch {
    parsed = undefined;
  }
  return Object.assign(res, { body_: parsed });
}

/**
 * Opens the store, builds the service over it (keys cached for 0 s: a revoked key stops at once),
 * and creates the keys; `options` for the ledger (its queue bound) and the server (timeouts…).
 */
export async function startService(
  open: () => Promise<LedgerDb>,
  engine: SettlementEngine,
  options: { ledger?: LedgerOptions; server?: Pick<ServerOptions, 'timeouts' | 'bodyLimit' | 'national' | 'policyFiles'> } = {},
): Promise<TestService> {
  const store = await open();
  const ledger = new Ledger(store, engine, Date.now, options.ledger);
  await ledger.ready;
  const app = await buildServer({ ledger, policies: engine.policies, keys: new KeyStore(store.db, 0), logger: false, ...options.server });
  await app.ready();
  const [agency, analyst, h1] = [await createKey(store.db, 'agency'), await createKey(store.db, 'analyst'), await createKey(store.db, 'institution', { institutionId: 'H1' })];
  return {
    store,
    ledger,
    app,
    agency,
    analyst,
    h1,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
