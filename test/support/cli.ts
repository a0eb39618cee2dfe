/**
 * The `yibao` CLI in-process: main() with an injected Io, streams captured, the exit code returned.
 * Runs the sources (not yesterday's dist/); real-process runs are in test/e2e/cli-smoke.test.ts.
 */
import { main, type Io } from '../../src/cli/main.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string; stderrIsTTY?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => options.input ?? '',
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? ROOT,
    stderrIsTTY: options.stderrIsTTY ?? false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
