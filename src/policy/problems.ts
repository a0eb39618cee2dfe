/**
 * What is wrong with a policy file: every problem found, each naming the file, the parameter and
 * the problem, thrown together so that a file is rejected whole.
 */
import { YibaoError } from '../errors.js';

/** A policy file that cannot be used, with every problem found. */
export class PolicyFileError extends YibaoError<'POLICY_FILE'> {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super('POLICY_FILE', `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`, { file, problems });
    this.name = 'PolicyFileError';
  }
}

/** Collects problems while building; throws them all at the end. */
export class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
}
