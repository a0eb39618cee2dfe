import { ScenarioError } from '../../src/sim/scenario.js';

/** The problems a simulation input is refused with (fails when it is accepted). */
export function scenarioProblems(read: () => unknown): string[] {
  try {
    read();
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  throw new Error('expected the input to be refused');
}
