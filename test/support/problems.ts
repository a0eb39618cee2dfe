import { RequestError } from '../../src/request/settle-request.js';
import { ScenarioError } from '../../src/sim/scenario.js';

/** An error that refuses input with a list of `field: problem` lines. */
type Refusal = abstract new (...args: never[]) => Error & { problems: string[] };

/** The problems `read` is refused with, as an error of class `kind` (fails when it is accepted). */
export function problemsOf(kind: Refusal, read: () => unknown): string[] {
  try {
    read();
  } catch (e) {
    if (e instanceof kind) return e.problems;
    throw e;
  }
  throw new Error('expected the input to be refused');
}

/** The problems a simulation input is refused with (fails when it is accepted). */
export const scenarioProblems = (read: () => unknown): string[] => problemsOf(ScenarioError, read);

/** The problems a request is refused with (fails when it is accepted). */
export const requestProblems = (read: () => unknown): string[] => problemsOf(RequestError, read);
