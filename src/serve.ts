/**
 * Starting the settlement service (`yibao serve`): the one place that joins the ledger and the
 * HTTP service (src/api) into a listening server. The CLI asks for a service through this module
 * and never imports src/api; the service knows nothing of the CLI.
 */
import { buildServer, DEFAULT_TIMEOUTS, type ServerOptions, type Timeouts } from './api/server.js';

export { DEFAULT_TIMEOUTS, type Timeouts };

export interface ServiceOptions extends ServerOptions {
  port: number;
  host: string;
}

/** A running service. */
export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  address: string;
  /** Stops taking connections and lets the requests in flight finish. */
  close(): Promise<void>;
}

/** Builds the service over the ledger and starts listening. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { port, host, ...server } = options;
  const app = await buildServer(server);
  const address = await app.listen({ port, host });
  return { address, close: () => app.close() };
}
